"""Built-up and cultivated shares from the land-cover raster (landuse.analysis.landcover), by hand.

Rasters are 10 m GeoTIFFs written to ``tmp_path`` with their top-left corner
at ``(X0, Y0 + 400)`` in EPSG:4547; CLCD codes as in the bundled rule set:
8 built-up, 1 cultivated, 5 (grassland) neither.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from _ws import X0, Y0
from exactextract import exact_extract
from rasterio.transform import from_origin
from shapely.geometry import box

from landuse.analysis import landcover as raster
from landuse.analysis.landcover import class_shares
from landuse.io.files import open_landcover
from landuse.rules.model import load_ruleset

RULES = load_ruleset("zhumadian-2018").landcover
BUILT, CROP, GRASS = 8, 1, 5
CRS = "EPSG:4547"


def test_rule_set_codes():
    assert RULES.built_up_classes == (BUILT,)
    assert RULES.cultivated_classes == (CROP,)


def _raster(path, arr, *, nodata=0, crs=CRS, origin=(X0, Y0 + 400)):
    arr = np.asarray(arr)
    profile = {"driver": "GTiff", "width": arr.shape[1], "height": arr.shape[0], "count": 1,
               "dtype": arr.dtype, "transform": from_origin(*origin, 10, 10), "nodata": nodata}
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
    return open_landcover(path)


def _grass(shape=(40, 40), dtype="uint8"):
    return np.full(shape, GRASS, dtype=dtype)


def _cell(row, col):
    """The 10 m pixel at ``row``, ``col`` of a raster whose top-left is (X0, Y0 + 400)."""
    return box(X0 + 10 * col, Y0 + 400 - 10 * (row + 1), X0 + 10 * (col + 1), Y0 + 400 - 10 * row)


def _series(*geoms, crs=CRS, index=None):
    return gpd.GeoSeries(list(geoms), crs=crs, index=index)


# A 100 m square: rows 10..19, columns 10..19 of the raster.
PARCEL = box(X0 + 100, Y0 + 200, X0 + 200, Y0 + 300)


def _thirty_built(arr):
    """30 of PARCEL's 100 pixels built-up (rows 10-12), 50 cultivated (rows 13-17)."""
    arr[10:13, 10:20] = BUILT
    arr[13:18, 10:20] = CROP
    return arr


def test_thirty_of_a_hundred_pixels_built_up(tmp_path):
    lc = _raster(tmp_path / "lc.tif", _thirty_built(_grass()))
    out = class_shares(_series(PARCEL), lc, RULES)
    assert list(out.columns) == ["built_share", "cultivated_share", "covered"]
    assert out.at[0, "built_share"] == pytest.approx(0.3, abs=1e-12)
    assert out.at[0, "cultivated_share"] == pytest.approx(0.5, abs=1e-12)
    assert bool(out.at[0, "covered"])


def test_partly_covered_pixels_are_weighted_by_the_part_covered(tmp_path):
    arr = _grass()
    arr[20, 0] = BUILT
    arr[20, 1:3] = CROP
    lc = _raster(tmp_path / "lc.tif", arr)
    # Along row 20: half of pixel 0 (built), all of pixel 1, half of pixel 2 (cultivated).
    strip = box(X0 + 5, Y0 + 190, X0 + 25, Y0 + 200)
    out = class_shares(_series(strip), lc, RULES)
    assert out.at[0, "built_share"] == pytest.approx(0.25, abs=1e-9)
    assert out.at[0, "cultivated_share"] == pytest.approx(0.75, abs=1e-9)


def test_nodata_pixels_are_left_out_of_the_denominator(tmp_path):
    arr = _thirty_built(_grass())
    arr[18:20, 10:20] = 0  # 20 of PARCEL's pixels without data
    arr[10, 10:16] = 0  # and 6 of its built-up ones: 24 built of 74 with data
    lc = _raster(tmp_path / "lc.tif", arr)
    out = class_shares(_series(PARCEL, _cell(18, 12)), lc, RULES)
    assert out.at[0, "built_share"] == pytest.approx(24 / 74, abs=1e-12)
    assert out.at[0, "cultivated_share"] == pytest.approx(50 / 74, abs=1e-12)
    # Only nodata under it: not covered.
    assert not out.at[1, "covered"]
    assert np.isnan(out.at[1, "built_share"])
    assert np.isnan(out.at[1, "cultivated_share"])


def test_parcel_half_outside_the_raster_is_measured_on_the_part_inside(tmp_path):
    arr = _grass()
    arr[0:10, 0:3] = BUILT  # 30 of the 50 pixels inside, in the raster's top-left corner
    lc = _raster(tmp_path / "lc.tif", arr)
    half_out = box(X0 - 100, Y0 + 300, X0 + 50, Y0 + 400)
    outside = box(X0 - 300, Y0, X0 - 200, Y0 + 100)
    touching = box(X0 - 100, Y0, X0, Y0 + 100)  # shares an edge with the raster only
    out = class_shares(_series(half_out, outside, touching), lc, RULES)
    assert out.at[0, "built_share"] == pytest.approx(0.6, abs=1e-12)
    assert out.at[0, "cultivated_share"] == pytest.approx(0.0, abs=1e-12)
    assert out["covered"].tolist() == [True, False, False]
    assert out.loc[[1, 2], ["built_share", "cultivated_share"]].isna().all().all()


def test_missing_and_empty_geometries_give_nan_on_the_input_index(tmp_path):
    lc = _raster(tmp_path / "lc.tif", _thirty_built(_grass()))
    geoms = _series(None, shapely.Polygon(), PARCEL, index=["a", "b", "c"])
    out = class_shares(geoms, lc, RULES)
    assert out.index.tolist() == ["a", "b", "c"]
    assert out["covered"].tolist() == [False, False, True]
    assert out.loc[["a", "b"], ["built_share", "cultivated_share"]].isna().all().all()
    assert out.at["c", "built_share"] == pytest.approx(0.3)
    assert out["covered"].dtype == bool
    nothing = class_shares(_series(None, None), lc, RULES)
    assert nothing["built_share"].isna().all()
    assert not nothing["covered"].any()
    assert class_shares(_series(), lc, RULES).empty


def test_geometries_in_another_crs_are_reprojected(tmp_path):
    lc = _raster(tmp_path / "lc.tif", _thirty_built(_grass()))
    shrunk = PARCEL.buffer(-0.5, join_style="mitre")  # safe from reprojection round-off
    geoms = _series(shrunk).to_crs("EPSG:4490")
    out = class_shares(geoms, lc, RULES)
    here = class_shares(_series(shrunk), lc, RULES)
    assert out.at[0, "built_share"] == pytest.approx(here.at[0, "built_share"], abs=1e-6)
    assert out.at[0, "built_share"] == pytest.approx(0.3, abs=0.01)


def test_raster_without_crs_takes_the_geometries_as_they_are(tmp_path):
    lc = _raster(tmp_path / "lc.tif", _thirty_built(_grass()), crs=None)
    assert lc.crs is None
    out = class_shares(_series(PARCEL), lc, RULES)
    assert out.at[0, "built_share"] == pytest.approx(0.3, abs=1e-12)


def test_a_class_both_built_up_and_cultivated_counts_in_both(tmp_path):
    lc = _raster(tmp_path / "lc.tif", _thirty_built(_grass()))
    rules = dataclasses.replace(RULES, built_up_classes=(BUILT, CROP), cultivated_classes=(CROP,))
    out = class_shares(_series(PARCEL), lc, rules)
    assert out.at[0, "built_share"] == pytest.approx(0.8, abs=1e-12)
    assert out.at[0, "cultivated_share"] == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize(("dtype", "nodata"), [("int8", -1), ("int16", -1), ("float32", np.nan), ("float32", -9.0)])
def test_other_pixel_types(tmp_path, dtype, nodata):
    arr = _thirty_built(_grass(dtype=dtype))
    arr[18:20, 10:20] = nodata
    arr[0:5, 10:20] = -2 if dtype != "uint8" else 2  # neither class, beside the parcel
    lc = _raster(tmp_path / "lc.tif", arr, nodata=nodata)
    out = class_shares(_series(PARCEL), lc, RULES)
    assert out.at[0, "built_share"] == pytest.approx(30 / 80, abs=1e-12)
    assert out.at[0, "cultivated_share"] == pytest.approx(50 / 80, abs=1e-12)


def test_nan_pixels_of_a_float_raster_without_nodata_are_skipped(tmp_path):
    arr = _thirty_built(_grass(dtype="float64"))
    arr[18:20, 10:20] = np.nan
    lc = _raster(tmp_path / "lc.tif", arr, nodata=None)
    out = class_shares(_series(PARCEL), lc, RULES)
    assert out.at[0, "built_share"] == pytest.approx(30 / 80, abs=1e-12)


# --- tiles, large geometries and the second process give the same answer -------------------
def _straddling_parcel(tmp_path):
    arr = _grass()
    arr[5:15, 5:8] = BUILT  # 30 of the parcel's 100 pixels, across a 4 × 4 pixel tile grid
    arr[5:15, 8:13] = CROP
    return _raster(tmp_path / "lc.tif", arr), box(X0 + 50, Y0 + 250, X0 + 150, Y0 + 350)


@pytest.mark.parametrize("tile_pixels", [1, 4, 7, 512])
def test_parcel_straddling_tiles(tmp_path, tile_pixels):
    lc, parcel = _straddling_parcel(tmp_path)
    out = class_shares(_series(parcel, PARCEL), lc, RULES, tile_pixels=tile_pixels)
    assert out.at[0, "built_share"] == pytest.approx(0.3, abs=1e-12)
    assert out.at[0, "cultivated_share"] == pytest.approx(0.5, abs=1e-12)
    assert out.at[1, "built_share"] == pytest.approx(0.0, abs=1e-12)


def test_geometry_too_large_to_read_at_once(tmp_path, monkeypatch):
    lc, parcel = _straddling_parcel(tmp_path)
    monkeypatch.setattr(raster, "_BIG_WINDOW", 50)
    out = class_shares(_series(parcel, _cell(0, 0)), lc, RULES, tile_pixels=4)
    assert out.at[0, "built_share"] == pytest.approx(0.3, abs=1e-12)
    assert out.at[1, "built_share"] == pytest.approx(0.0, abs=1e-12)


def _random_case(tmp_path, n=400, seed=5):
    """Rotated rectangles, some across the raster's edge, on a random raster with nodata."""
    rng = np.random.default_rng(seed)
    arr = rng.choice(np.array([0, CROP, GRASS, BUILT], dtype="uint8"), size=(60, 80),
                     p=[0.05, 0.4, 0.3, 0.25])
    lc = _raster(tmp_path / "lc.tif", arr)
    x = X0 - 50 + rng.uniform(0, 850, n)
    y = Y0 + 400 - 650 + rng.uniform(0, 700, n)
    rect = shapely.box(x, y, x + rng.uniform(5, 60, n), y + rng.uniform(5, 60, n))
    angle = rng.uniform(0, 90, n)
    geoms = [shapely.affinity.rotate(r, a) for r, a in zip(rect, angle, strict=True)]
    geoms[3] = None
    index = pd.Index([f"p{i}" for i in range(n)])
    return lc, gpd.GeoSeries(geoms, crs=CRS, index=index)


def _pixel_by_pixel(geoms, lc):
    """What exactextract gives reading the file itself, feature by feature."""
    frame = gpd.GeoDataFrame({"_k": np.arange(len(geoms))}, geometry=geoms.values, crs=geoms.crs)
    frame = frame[~frame.geometry.isna()]
    with rasterio.open(lc.path) as src:
        stats = exact_extract(src, frame, ["unique", "frac"], output="pandas", include_cols=["_k"])
    built = np.full(len(geoms), np.nan)
    cult = np.full(len(geoms), np.nan)
    for k, classes, fracs in zip(stats["_k"], stats["unique"], stats["frac"], strict=True):
        if len(fracs):
            built[k] = fracs[np.asarray(classes) == BUILT].sum()
            cult[k] = fracs[np.asarray(classes) == CROP].sum()
    return built, cult


def test_same_shares_as_exactextract_reading_the_file(tmp_path):
    lc, geoms = _random_case(tmp_path)
    built, cult = _pixel_by_pixel(geoms, lc)
    for tile_pixels in (3, 16, 512):
        out = class_shares(geoms, lc, RULES, tile_pixels=tile_pixels)
        np.testing.assert_allclose(out["built_share"], built, rtol=0, atol=1e-12)
        np.testing.assert_allclose(out["cultivated_share"], cult, rtol=0, atol=1e-12)
        assert (out["covered"].to_numpy() == ~np.isnan(built)).all()
    assert 0 < np.isnan(built).sum() < 40  # some outside the raster or on nodata only


def _spy_on_helper(monkeypatch):
    """Record, for each run sent to the helper, whether it answered."""
    answered: list[bool] = []
    measure = raster._Helper.measure

    def spy(self, *args):
        result = measure(self, *args)
        answered.append(result is not None)
        return result

    monkeypatch.setattr(raster._Helper, "measure", spy)
    return answered


def test_second_process_gives_the_same_answer(tmp_path, monkeypatch):
    lc, geoms = _random_case(tmp_path)
    alone = class_shares(geoms, lc, RULES, tile_pixels=8, workers=1)
    monkeypatch.setattr(raster, "_RUN_GEOMETRIES", 10)
    answered = _spy_on_helper(monkeypatch)
    shared = class_shares(geoms, lc, RULES, tile_pixels=8, parallel_min=1)
    assert answered
    assert all(answered)
    pd.testing.assert_frame_equal(shared, alone, check_exact=True)
    # Below the threshold, no second process.
    answered.clear()
    class_shares(geoms, lc, RULES, tile_pixels=8, parallel_min=len(geoms) + 1)
    assert not answered


def test_a_helper_that_fails_to_start_leaves_the_work_here(tmp_path, monkeypatch):
    lc, geoms = _random_case(tmp_path, n=60)
    alone = class_shares(geoms, lc, RULES, tile_pixels=8, workers=1)
    monkeypatch.setattr(raster, "_HELPER_CODE", "import sys; sys.exit(3)")
    monkeypatch.setattr(raster, "_RUN_GEOMETRIES", 5)
    answered = _spy_on_helper(monkeypatch)
    shared = class_shares(geoms, lc, RULES, tile_pixels=8, parallel_min=1)
    assert answered == [False]
    pd.testing.assert_frame_equal(shared, alone, check_exact=True)


def test_collections_count_by_their_polygons_and_slivers_give_nothing(tmp_path):
    # What cutting a batch can leave: the parcel with a stray line beside it, a bare point,
    # a line alone. The polygon is measured as PARCEL is (0.3 built); the rest has no area.
    lc = _raster(tmp_path / "lc.tif", _thirty_built(_grass()))
    stray = shapely.LineString([(X0 + 210, Y0 + 210), (X0 + 250, Y0 + 250)])
    mixed = shapely.GeometryCollection([stray, PARCEL])
    point = shapely.Point(X0 + 150, Y0 + 250)
    out = class_shares(_series(mixed, point, stray), lc, RULES)
    assert out.at[0, "built_share"] == pytest.approx(0.3, abs=1e-12)
    assert out.at[0, "cultivated_share"] == pytest.approx(0.5, abs=1e-12)
    assert out["covered"].tolist() == [True, False, False]
    assert out.loc[1:, "built_share"].isna().all()
