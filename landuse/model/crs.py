"""Coordinate reference systems: the measuring plane, and GCJ-02 for display.

Areas are measured on the plane of the CGCS2000 3-degree Gauss-Krüger zone
that holds the data (EPSG:4534–4554, no zone prefix in the false easting;
EPSG:4513–4533 with it). Zhumadian, around 114°E, falls in zone 38,
EPSG:4547. Data already in a projected CRS is measured on its own plane.
Data spanning more than a few zones (a national workspace) is measured on an
Albers equal-area plane for China instead: a single Gauss-Krüger zone would
inflate areas far from its central meridian.

GCJ-02 is the offset datum of Chinese web maps (高德/AutoNavi). It is used
for display only, to lay WGS84 overlays on 高德 tiles; never write it into
an analysis output.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from pyproj import CRS

from landuse._errors import CRSError

__all__ = [
    "ALBERS_CHINA",
    "CGCS2000",
    "gcj02_from_wgs84",
    "geometries_to_gcj02",
    "gk_zone_crs",
    "gk_zone_epsg",
    "gk_zone_number",
    "measuring_crs",
    "wgs84_from_gcj02",
]

#: CGCS2000 geographic (lon/lat), the national datum.
CGCS2000 = CRS.from_epsg(4490)

#: Albers equal-area conic for mainland China on the CGCS2000 ellipsoid.
ALBERS_CHINA = CRS.from_proj4(
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
)

_FIRST_ZONE, _LAST_ZONE = 25, 45  # 3-degree zones with EPSG codes: CM 75°E .. 135°E
_MAX_ZONES_SPANNED = 2  # beyond this many zones either side, use the Albers plane


def gk_zone_number(lon: float) -> int:
    """Return the 3-degree Gauss-Krüger zone number holding longitude ``lon``.

    Zone ``n`` has central meridian ``3 n`` degrees east and covers
    ``3 n ± 1.5`` degrees.

    Examples
    --------
    >>> gk_zone_number(114.02)
    38
    >>> gk_zone_number(112.6)
    38
    """
    return int(np.floor((lon + 1.5) / 3.0))


def gk_zone_epsg(lon: float, *, zone_prefix: bool = False) -> int:
    """Return the EPSG code of the CGCS2000 3-degree zone holding ``lon``.

    Parameters
    ----------
    lon : float
        Longitude in degrees east (China spans about 73°E to 135°E).
    zone_prefix : bool, default False
        True for the codes whose false easting carries the zone number
        (EPSG:4513–4533), False for those without (EPSG:4534–4554).

    Raises
    ------
    CRSError
        When ``lon`` lies outside the zones CGCS2000 defines (75°E–135°E).

    Examples
    --------
    >>> gk_zone_epsg(114.0)
    4547
    >>> gk_zone_epsg(114.0, zone_prefix=True)
    4526
    """
    zone = gk_zone_number(lon)
    if not _FIRST_ZONE <= zone <= _LAST_ZONE:
        msg_zh = f"经度 {lon:.3f}° 不在 CGCS2000 三度带范围（约 73.5°E–136.5°E）内：请检查图层坐标系"
        msg_en = (
            f"longitude {lon:.3f} is outside the CGCS2000 3-degree zones (about 73.5E-136.5E): "
            "check the layer's CRS"
        )
        raise CRSError(msg_zh, msg_en)
    base = 4513 if zone_prefix else 4534
    return base + zone - _FIRST_ZONE


def gk_zone_crs(lon: float, *, zone_prefix: bool = False) -> CRS:
    """Return the CGCS2000 3-degree Gauss-Krüger CRS holding ``lon``."""
    return CRS.from_epsg(gk_zone_epsg(lon, zone_prefix=zone_prefix))


def measuring_crs(crs: CRS | str | int | None, bounds: tuple[float, float, float, float]) -> CRS:
    """Choose the plane on which areas are measured.

    Parameters
    ----------
    crs : pyproj.CRS or anything pyproj accepts
        The CRS the data is in.
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` of the data in ``crs``.

    Returns
    -------
    pyproj.CRS
        ``crs`` itself when it is projected; otherwise the CGCS2000
        3-degree zone of the data's centre, or the Albers plane for China
        when the data spans more than two zones either side of the centre.

    Raises
    ------
    CRSError
        When ``crs`` is None: areas cannot be measured on unknown coordinates.

    Examples
    --------
    >>> measuring_crs("EPSG:4490", (113.2, 32.3, 115.2, 33.6)).to_epsg()
    4547
    >>> measuring_crs(4547, (0, 0, 1, 1)).to_epsg()
    4547
    >>> measuring_crs(4490, (80.0, 20.0, 130.0, 50.0)).name
    'unknown'
    """
    if crs is None:
        raise CRSError(
            "数据没有坐标系，无法计算面积：请为图层补充 .prj 或指定坐标系（如 EPSG:4490 或 EPSG:4547）",
            "the data has no CRS, so areas cannot be measured: add a .prj to the layer "
            "or give its CRS (e.g. EPSG:4490 or EPSG:4547)",
        )
    crs = CRS.from_user_input(crs)
    if crs.is_projected:
        return crs
    minx, miny, maxx, maxy = bounds
    if not np.all(np.isfinite(bounds)):
        raise CRSError("数据范围为空，无法选择投影带", "the data has no extent to choose a zone from")
    transformer = pyproj.Transformer.from_crs(crs, CGCS2000, always_xy=True)
    xs, _ = transformer.transform([minx, maxx, (minx + maxx) / 2], [miny, maxy, (miny + maxy) / 2])
    centre = gk_zone_number(xs[2])
    if max(abs(gk_zone_number(xs[0]) - centre), abs(gk_zone_number(xs[1]) - centre)) > (
        _MAX_ZONES_SPANNED
    ):
        return ALBERS_CHINA
    return gk_zone_crs(xs[2])


# --- GCJ-02 -------------------------------------------------------------------------------
# The published forward formula of the GCJ-02 offset (Krasovsky 1940 ellipsoid constants).
_A = 6378245.0
_EE = 0.00669342162296594323


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    # GCJ-02 applies inside mainland China only; outside it equals WGS84.
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def gcj02_from_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS84 (or CGCS2000) coordinates to GCJ-02, for display on 高德 tiles.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitudes and latitudes. Points outside China are unchanged.

    Examples
    --------
    >>> lon, lat = gcj02_from_wgs84([114.0], [33.0])
    >>> bool(0.003 < lon[0] - 114.0 < 0.008), bool(-0.003 < lat[0] - 33.0 < 0.003)
    (True, True)
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    dlon, dlat = _offset(lon, lat)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def wgs84_from_gcj02(
    lon: np.ndarray, lat: np.ndarray, *, iterations: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Undo the GCJ-02 shift (fixed-point iteration; ~1 cm after 3 rounds).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitudes and latitudes in degrees.
    iterations : int, default 3
        Rounds of fixed-point refinement.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitudes and latitudes.

    Examples
    --------
    >>> glon, glat = gcj02_from_wgs84([114.0], [33.0])
    >>> lon, lat = wgs84_from_gcj02(glon, glat)
    >>> round(float(lon[0]), 7), round(float(lat[0]), 7)
    (114.0, 33.0)
    """
    glon = np.asarray(lon, dtype="float64")
    glat = np.asarray(lat, dtype="float64")
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        slon, slat = gcj02_from_wgs84(wlon, wlat)
        wlon = wlon - (slon - glon)
        wlat = wlat - (slat - glat)
    return wlon, wlat


def geometries_to_gcj02(geometries: np.ndarray) -> np.ndarray:
    """Shift an array of WGS84 lon/lat geometries to GCJ-02 (display only)."""

    def shift(coords: np.ndarray) -> np.ndarray:
        x, y = gcj02_from_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geometries, dtype=object), shift)
