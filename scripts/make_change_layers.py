#!/usr/bin/env python
"""Add a synthetic 卫片执法 change layer to the sample workspace ``layers/zhumadian/``.

Writes ``卫片图斑.gpkg`` (layer ``卫片图斑``, Chinese field names, EPSG:4547):
the change polygons (监测图斑) of the 2019 monitoring round, 22–40 per county,
plus a few of the 2018 round (which a 2019 run leaves aside), each judged
合法 / 违法 / 其他 and, when illegal, rectified or not. Everything is SYNTHETIC,
drawn from a seeded ``numpy.random.default_rng``, so every run writes the same
file; the existing layers are not touched.

Each county gets a target violation ratio (``TARGETS``): some above the
15 % red line, some below, the city total near the 20.6 % of the 2020 speech.
After writing, the check pass reads the file back with plain geopandas,
recomputes every county's F, I, ratio, rectification rate and deduction as
DESIGN.md defines them (without landuse) and prints the table that
``layers/README.md`` records.

Usage::

    python scripts/make_change_layers.py            # build, then check
    python scripts/make_change_layers.py --check    # only check the existing file
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "layers" / "zhumadian"
TARGET = FOLDER / "卫片图斑.gpkg"
LAYER = "卫片图斑"
PLANE = "EPSG:4547"
SEED = 20200403  # the date of the speech
ROUND = 2019
AS_OF = pd.Timestamp("2020-06-30")  # the rule set's rectification deadline
RED_LINE = 0.15
DEDUCT_PER_HA = 1.0
MU_PER_HA = 15.0

#: County → (changes in the 2019 round, target violation ratio).
TARGETS = {
    "411702": (40, 0.31),  # 驿城区
    "411721": (24, 0.09),  # 西平县
    "411722": (30, 0.27),  # 上蔡县
    "411723": (28, 0.13),  # 平舆县
    "411724": (34, 0.24),  # 正阳县
    "411725": (26, 0.12),  # 确山县
    "411726": (36, 0.22),  # 泌阳县
    "411727": (30, 0.34),  # 汝南县
    "411728": (22, 0.06),  # 遂平县
    "411729": (30, 0.22),  # 新蔡县
}
#: Changes of the previous round, per county (left out of a 2019 assessment).
OLD_ROUND = 3
VIOLATION_TYPES = ("未批先建", "批少占多", "未批即用", "非法占地建房", "擅自改变用途")


def county_rng(stage: int, code: str) -> np.random.Generator:
    """A generator of its own per county and stage: tuning one county leaves the others be."""
    return np.random.default_rng([SEED, stage, int(code)])


def rectangles(rng: np.random.Generator, outline: shapely.Geometry, n: int) -> np.ndarray:
    """``n`` rotated rectangles of 0.2–4 ha, at least 300 m inside ``outline`` and apart."""
    inner = shapely.buffer(outline, -300.0)
    shapely.prepare(inner)
    x0, y0, x1, y1 = shapely.bounds(inner)
    centres: list[tuple[float, float]] = []
    while len(centres) < n:
        xs = rng.uniform(x0, x1, 4 * n)
        ys = rng.uniform(y0, y1, 4 * n)
        for x, y in zip(xs[shapely.contains_xy(inner, xs, ys)], ys[shapely.contains_xy(inner, xs, ys)],
                        strict=True):
            if all((x - a) ** 2 + (y - b) ** 2 > 600.0**2 for a, b in centres):
                centres.append((float(x), float(y)))
            if len(centres) == n:
                break
    area_m2 = np.exp(rng.uniform(np.log(2_000.0), np.log(40_000.0), n))
    aspect = rng.uniform(1.0, 3.0, n)
    width = np.sqrt(area_m2 / aspect)
    length = width * aspect
    angle = rng.uniform(0, np.pi, n)
    polys = []
    for (cx, cy), w, h, a in zip(centres, width, length, angle, strict=True):
        corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
        rot = corners @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
        polys.append(shapely.Polygon(rot + np.array([cx, cy])))
    # Rounded to the centimetre, as delivered coordinates are.
    return shapely.set_precision(np.array(polys), 0.01)


def pick_illegal(rng: np.random.Generator, farmland: np.ndarray, in_task: np.ndarray, target: float) -> np.ndarray:
    """Mark changes illegal, in random order, while that brings I / F nearer the target."""
    illegal = np.zeros(len(farmland), dtype=bool)
    total = farmland[in_task].sum()
    taken = 0.0
    for i in rng.permutation(np.flatnonzero(in_task)):
        if abs((taken + farmland[i]) / total - target) < abs(taken / total - target):
            illegal[i] = True
            taken += farmland[i]
    return illegal


def county_changes(code: str, outline: shapely.Geometry) -> pd.DataFrame:
    n, target = TARGETS[code]
    rng = county_rng(1, code)
    geoms = rectangles(rng, outline, n + OLD_ROUND)
    area_ha = shapely.area(geoms) / 10_000.0
    farm_share = np.where(rng.random(len(geoms)) < 0.15, 0.0, rng.uniform(0.3, 1.0, len(geoms)))
    farmland_mu = np.round(area_ha * farm_share * MU_PER_HA, 2)
    rounds = np.r_[np.full(n, ROUND), np.full(OLD_ROUND, ROUND - 1)]
    other = rng.random(len(geoms)) < 0.08  # 伪变化, 非新增建设 …
    new = ~other | (rng.random(len(geoms)) < 0.5)
    in_task = new & ~other & (rounds == ROUND)
    illegal = pick_illegal(rng, farmland_mu, in_task, target)
    illegal |= (rounds != ROUND) & (rng.random(len(geoms)) < 0.5)
    legal_words = np.where(rng.random(len(geoms)) < 0.8, "合法", "合法用地")
    illegal_words = np.where(rng.random(len(geoms)) < 0.75, "违法", "违法用地")
    legality = np.where(other, "其他", np.where(illegal, illegal_words, legal_words))
    # Rectification of illegal changes: done (before or after the deadline), in progress, not begun.
    draw = rng.random(len(geoms))
    status = np.where(draw < 0.45, "已整改", np.where(draw < 0.65, "整改中", "未整改"))
    days = rng.integers(0, 366, len(geoms))
    done_on = pd.Timestamp("2019-10-01") + pd.to_timedelta(days, unit="D")
    status = np.where(illegal, status, None)
    dates = np.where(status == "已整改", done_on.strftime("%Y-%m-%d"), None)
    vtype = np.where(illegal, rng.choice(VIOLATION_TYPES, len(geoms)), None)
    codes = np.where(rng.random(len(geoms)) < 0.06, None, code)  # the county then comes from the location
    return pd.DataFrame({
        "监测图斑编号": [f"{code}{r}{i + 1:04d}" for i, r in enumerate(rounds)],
        "监测年度": rounds,
        "行政区代码": codes,
        "图斑面积": np.round(area_ha, 4),
        "占用耕地面积(亩)": farmland_mu,
        "合法性": legality,
        "违法类型": vtype,
        "是否新增建设用地": np.where(new, "是", "否"),
        "整改情况": status,
        "整改日期": dates,
        "geometry": geoms,
    })


@contextlib.contextmanager
def pyogrio_config(**options: str) -> Iterator[None]:
    """Set GDAL configuration options for the block."""
    before = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def build() -> None:
    counties = gpd.read_file(FOLDER / "县区.shp").to_crs(PLANE)
    frames = [county_changes(code, outline)
              for code, outline in zip(counties["XZQDM"], counties.geometry, strict=True)]
    changes = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=PLANE)
    if TARGET.exists():
        TARGET.unlink()
    # A fixed timestamp in the GeoPackage's metadata, so that every run writes the same bytes.
    with pyogrio_config(OGR_CURRENT_DATE="2020-04-03T00:00:00.000Z"):
        changes.to_file(TARGET, layer=LAYER, driver="GPKG")
    print(f"wrote {TARGET.relative_to(REPO)}: {len(changes)} change polygons")


def check() -> pd.DataFrame:
    """Recompute each county's figures from the file with plain pandas, as DESIGN.md defines them."""
    counties = gpd.read_file(FOLDER / "县区.shp").to_crs(PLANE)
    changes = gpd.read_file(TARGET, layer=LAYER)
    changes = changes[changes["监测年度"] == ROUND].copy()
    located = gpd.sjoin(gpd.GeoDataFrame(geometry=changes.geometry.representative_point(), crs=PLANE),
                        counties, predicate="within")["XZQDM"]
    changes["county"] = changes["行政区代码"].fillna(located)
    farmland = changes["占用耕地面积(亩)"] / MU_PER_HA
    legal = changes["合法性"].isin(["合法", "合法用地"])
    illegal = changes["合法性"].isin(["违法", "违法用地"])
    task = (changes["是否新增建设用地"] == "是") & (legal | illegal)
    done = illegal & (changes["整改情况"] == "已整改") & (pd.to_datetime(changes["整改日期"]) <= AS_OF)
    per = pd.DataFrame({
        "county": changes["county"],
        "F_ha": farmland.where(task, 0.0),
        "I_ha": farmland.where(task & illegal, 0.0),
        "illegal_ha": changes["图斑面积"].where(illegal, 0.0),
        "rectified_ha": changes["图斑面积"].where(done, 0.0),
    }).groupby("county").sum()
    per.loc["city"] = per.sum()
    per["violation_ratio"] = per["I_ha"] / per["F_ha"]
    per["red_line_exceeded"] = per["violation_ratio"] >= RED_LINE
    per["rectification_rate"] = per["rectified_ha"] / per["illegal_ha"]
    per["unrectified_ha"] = per["illegal_ha"] - per["rectified_ha"]
    per["plan_deduction_ha"] = DEDUCT_PER_HA * per["unrectified_ha"]
    names = dict(zip(counties["XZQDM"], counties["XZQMC"], strict=True)) | {"city": "全市"}
    per.insert(0, "name", per.index.map(names))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(per.round(4).to_string())
    return per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the existing file")
    args = parser.parse_args()
    if not args.check:
        build()
    check()


if __name__ == "__main__":
    main()
