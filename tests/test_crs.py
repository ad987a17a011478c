"""Measuring planes and the GCJ-02 shift (landuse.model.crs)."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point, box

from landuse import CRSError
from landuse.model.crs import (
    ALBERS_CHINA,
    gcj02_from_wgs84,
    geometries_to_gcj02,
    gk_zone_crs,
    gk_zone_epsg,
    gk_zone_number,
    measuring_crs,
    wgs84_from_gcj02,
)


@pytest.mark.parametrize(
    ("lon", "zone", "epsg", "epsg_prefixed"),
    [
        (114.0, 38, 4547, 4526),  # Zhumadian
        (114.02, 38, 4547, 4526),
        (112.6, 38, 4547, 4526),  # 114 - 1.4
        (115.49, 38, 4547, 4526),
        (115.5, 39, 4548, 4527),  # a zone edge belongs to the zone east of it
        (116.4, 39, 4548, 4527),  # Beijing
        (121.47, 40, 4549, 4528),  # Shanghai
        (75.0, 25, 4534, 4513),  # the first zone
        (135.0, 45, 4554, 4533),  # the last zone
    ],
)
def test_zone_choice(lon, zone, epsg, epsg_prefixed):
    assert gk_zone_number(lon) == zone
    assert gk_zone_epsg(lon) == epsg
    assert gk_zone_epsg(lon, zone_prefix=True) == epsg_prefixed
    crs = gk_zone_crs(lon)
    assert crs.to_epsg() == epsg
    assert "CGCS2000" in crs.name
    # The central meridian of zone n is 3n degrees east.
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert params["Longitude of natural origin"] == pytest.approx(3 * zone)


def test_prefixed_zone_carries_the_zone_in_its_false_easting():
    params = {
        p.name: p.value for p in gk_zone_crs(114.0, zone_prefix=True).coordinate_operation.params
    }
    assert params["False easting"] == pytest.approx(38_500_000)


@pytest.mark.parametrize("lon", [10.0, 70.0, 140.0, -114.0])
def test_zone_outside_china_is_refused(lon):
    with pytest.raises(CRSError, match="CGCS2000"):
        gk_zone_epsg(lon)


@pytest.mark.parametrize(
    ("crs", "bounds", "expected"),
    [
        ("EPSG:4490", (113.2, 32.3, 115.2, 33.6), 4547),  # Zhumadian in CGCS2000 lon/lat
        (4326, (113.2, 32.3, 115.2, 33.6), 4547),  # WGS84 lon/lat
        (4547, (0, 0, 1, 1), 4547),  # projected: its own plane
        (4526, (38_500_000, 3_650_000, 38_501_000, 3_651_000), 4526),
        (3857, (0, 0, 1, 1), 3857),
        ("EPSG:4490", (116.0, 39.0, 117.0, 40.0), 4548),
    ],
)
def test_measuring_crs(crs, bounds, expected):
    assert measuring_crs(crs, bounds).to_epsg() == expected


def test_measuring_crs_national_data_uses_albers():
    assert measuring_crs(4490, (80.0, 20.0, 130.0, 50.0)) == ALBERS_CHINA


def test_measuring_crs_needs_a_crs():
    with pytest.raises(CRSError, match="EPSG:4490") as info:
        measuring_crs(None, (0, 0, 1, 1))
    assert info.value.message("en").startswith("the data has no CRS")


def test_measuring_crs_needs_an_extent():
    nan = float("nan")
    with pytest.raises(CRSError):
        measuring_crs(4490, (nan, nan, nan, nan))


def test_areas_agree_across_the_zone_plane_and_lon_lat():
    # A 1 km square on the zone-38 plane near 114°E 33°N, taken to lon/lat and back.
    square = box(500_000, 3_650_000, 501_000, 3_651_000)
    to_geo = pyproj.Transformer.from_crs(4547, 4490, always_xy=True)
    geo = shapely.transform(
        shapely.segmentize(square, 10),
        lambda c: np.column_stack(to_geo.transform(c[:, 0], c[:, 1])),
    )
    plane = measuring_crs(4490, geo.bounds)
    back = pyproj.Transformer.from_crs(4490, plane, always_xy=True)
    area = shapely.transform(geo, lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1]))).area
    assert area == pytest.approx(1_000_000, rel=1e-6)


# --- GCJ-02 -------------------------------------------------------------------------------
def _metres(lon0, lat0, lon1, lat1):
    geod = pyproj.Geod(ellps="WGS84")
    return geod.inv(lon0, lat0, lon1, lat1)[2]


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(114.0, 33.0), (116.397, 39.909), (121.47, 31.23), (87.6, 43.8), (113.26, 23.13)],
)
def test_gcj02_offset_is_a_few_hundred_metres(lon, lat):
    glon, glat = gcj02_from_wgs84([lon], [lat])
    offset = _metres(lon, lat, glon[0], glat[0])
    assert 50 < offset < 800


def test_gcj02_offset_near_zhumadian():
    glon, glat = gcj02_from_wgs84([114.0], [33.0])
    assert 400 < _metres(114.0, 33.0, glon[0], glat[0]) < 800


@given(
    st.floats(min_value=74.0, max_value=134.0),
    st.floats(min_value=18.0, max_value=53.0),
)
def test_gcj02_round_trip(lon, lat):
    glon, glat = gcj02_from_wgs84([lon], [lat])
    wlon, wlat = wgs84_from_gcj02(glon, glat)
    assert abs(wlon[0] - lon) < 1e-6
    assert abs(wlat[0] - lat) < 1e-6


def test_gcj02_leaves_points_outside_china():
    lon, lat = gcj02_from_wgs84([2.35, -74.0], [48.85, 40.7])
    np.testing.assert_array_equal(lon, [2.35, -74.0])
    np.testing.assert_array_equal(lat, [48.85, 40.7])


def test_gcj02_arrays():
    lons = np.linspace(113.0, 115.0, 50)
    lats = np.linspace(32.0, 34.0, 50)
    glon, glat = gcj02_from_wgs84(lons, lats)
    assert glon.shape == lats.shape
    wlon, wlat = wgs84_from_gcj02(glon, glat)
    np.testing.assert_allclose(wlon, lons, atol=1e-6)
    np.testing.assert_allclose(wlat, lats, atol=1e-6)


def test_geometries_to_gcj02_shifts_every_vertex():
    geoms = np.array([Point(114.0, 33.0), box(114.0, 33.0, 114.01, 33.01), None], dtype=object)
    shifted = geometries_to_gcj02(geoms)
    glon, glat = gcj02_from_wgs84([114.0], [33.0])
    assert shifted[0].x == pytest.approx(glon[0])
    assert shifted[0].y == pytest.approx(glat[0])
    assert shifted[1].geom_type == "Polygon"
    assert shifted[1].bounds[0] == pytest.approx(glon[0])
    assert shifted[2] is None
