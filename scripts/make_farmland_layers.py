#!/usr/bin/env python
"""Add the 耕地保护 layers to the bundled sample workspace ``layers/zhumadian/``.

SYNTHETIC, seeded: every run writes the same files. Adds

* ``地类图斑.gpkg`` with two layers, ``DLTB_2019`` (the survey judged for
  retention: 2 km cells clipped to the real county outlines) and ``DLTB_2017``
  (the survey before the 2018 approvals: 4 km cells, with four 2018 batches cut
  out as their own farmland polygons), in the national fields ``BSM, DLBM, DLMC,
  TBMJ, KCMJ, TBDLMJ, ZLDWDM, QSDWDM`` (no county field: the county is
  ``ZLDWDM``'s first 6 digits);
* ``永久基本农田.gpkg``: most 2019 farmland cells, plus three 1 km squares half
  on a built-up cell (非农化 50 ha each, in 上蔡, 平舆 and 汝南);
* ``补充耕地项目.gpkg`` / ``增减挂钩项目.gpkg``: one pair overlapping 4 ha in
  正阳, one 3 ha in 汝南, one touching by exactly the 0.01 ha tolerance in 汝南
  (not listed), one apart in 确山;
* ``耕地保护目标.csv``: targets that put 泌阳, 遂平, 正阳 above their retention
  target, 汝南 and 平舆 below their red line, the others between;
* a ``耕地面积`` column on ``批次.gpkg``: three 2018 batches declare less farmland
  than the 2017 survey shows (地类不实), one declares exactly what it shows; every
  other batch has none (not checked) and no other field is touched.

Usage::

    python scripts/make_farmland_layers.py     # writes, then prints the expected figures
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

REPO = Path(__file__).resolve().parents[1]
WS = REPO / "layers" / "zhumadian"
CRS = "EPSG:4547"
SEED = 2020

# DLBM → (DLMC, weight) of the 2019 cells.
CLASSES = {
    "0101": ("水田", 0.10), "0102": ("水浇地", 0.20), "0103": ("旱地", 0.32),
    "0201": ("果园", 0.03), "0301": ("乔木林地", 0.08), "1104": ("坑塘水面", 0.03), "1107": ("沟渠", 0.02),
    "1006": ("农村道路", 0.02), "0702": ("农村宅基地", 0.10), "0601": ("工业用地", 0.03),
    "1003": ("公路用地", 0.02), "1101": ("河流水面", 0.03), "1206": ("裸土地", 0.02),
}
FARMLAND = ("0101", "0102", "0103")
BUILT_UP = ("0702", "0601", "1003")
# 地类不实: batch → (DLBM in the 2017 survey, KCMJ share, shortfall ha); 0 = declared equals survey.
FALSE_CLASS = {
    "411728-2018-001": ("0101", 0.0, 2.5),    # 遂平
    "411723-2018-001": ("0103", 0.03, 4.0),   # 平舆
    "411727-2018-001": ("0102", 0.0, 1.2),    # 汝南
    "411725-2018-003": ("0101", 0.0, 0.0),    # 确山: declared = survey, not 地类不实
}
MET = ("411724", "411726", "411728")          # 正阳, 泌阳, 遂平
BELOW_REDLINE = ("411723", "411727")          # 平舆, 汝南
NONFARM_COUNTIES = ("411722", "411723", "411727")


def counties() -> gpd.GeoDataFrame:
    c = gpd.read_file(WS / "县区.shp", encoding="gbk").to_crs(CRS)
    return c.rename(columns={"XZQDM": "code", "XZQMC": "name"})[["code", "name", "geometry"]]


def grid(cty: gpd.GeoDataFrame, size: float) -> gpd.GeoDataFrame:
    """Square cells of ``size`` m clipped to each county, with a ``full`` flag for uncut cells."""
    x0, y0, x1, y1 = cty.total_bounds
    xs = np.arange(np.floor(x0 / size) * size, x1, size)
    ys = np.arange(np.floor(y0 / size) * size, y1, size)
    gx, gy = np.meshgrid(xs, ys)
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + size, gy.ravel() + size)
    ci, ki = shapely.STRtree(cells).query(cty.geometry.to_numpy(), predicate="intersects")
    parts = shapely.intersection(cells[ki], cty.geometry.to_numpy()[ci])
    keep = shapely.area(parts) > 1.0
    full = np.isclose(shapely.area(parts), size * size)
    out = gpd.GeoDataFrame({"code": cty["code"].to_numpy()[ci][keep], "cell": ki[keep], "full": full[keep],
                            "x0": gx.ravel()[ki[keep]], "y0": gy.ravel()[ki[keep]]},
                           geometry=parts[keep], crs=CRS)
    return out.reset_index(drop=True)


def survey_fields(frame: gpd.GeoDataFrame, rng: np.random.Generator, kc_share: np.ndarray) -> gpd.GeoDataFrame:
    tbmj = np.round(shapely.area(frame.geometry.to_numpy()), 2)
    kcmj = np.round(tbmj * kc_share, 2)
    village = rng.integers(1, 400, len(frame))
    zldwdm = [f"{c}{v:06d}0000000" for c, v in zip(frame["code"], village, strict=True)]
    return gpd.GeoDataFrame({
        "BSM": [f"{i + 1:018d}" for i in range(len(frame))],
        "DLBM": frame["dlbm"].to_numpy(), "DLMC": [CLASSES.get(d, ("耕地", 0))[0] for d in frame["dlbm"]],
        "TBMJ": tbmj, "KCMJ": kcmj, "TBDLMJ": np.round(tbmj - kcmj, 2),
        "ZLDWDM": zldwdm, "QSDWDM": zldwdm,
    }, geometry=frame.geometry.to_numpy(), crs=CRS)


def farmland_kc(dlbm: np.ndarray) -> np.ndarray:
    """田坎 deduction: 4 % of 旱地, none elsewhere."""
    return np.where(dlbm == "0103", 0.04, 0.0)


def main() -> int:
    # A fixed timestamp inside the GeoPackages: two runs write byte-identical files.
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2020-04-03T00:00:00Z"})
    rng = np.random.default_rng(SEED)
    cty = counties()
    names = dict(zip(cty["code"], cty["name"], strict=True))

    # --- survey 2019 ---
    s19 = grid(cty, 2000.0)
    codes = list(CLASSES)
    weights = np.array([CLASSES[c][1] for c in codes])
    s19["dlbm"] = rng.choice(codes, size=len(s19), p=weights / weights.sum())
    # 非农化 squares: a full built-up cell whose east neighbour is a full farmland cell.
    by_xy = {(round(x), round(y)): i for i, (x, y) in enumerate(zip(s19["x0"], s19["y0"], strict=True))
             if s19["full"].iat[i]}
    squares, reserved = [], set()
    for code in NONFARM_COUNTIES:
        for i in rng.permutation(np.flatnonzero((s19["code"] == code) & s19["full"])):
            east = by_xy.get((round(s19["x0"].iat[i]) + 2000, round(s19["y0"].iat[i])))
            if east is None or s19["code"].iat[east] != code:
                continue
            s19.loc[i, "dlbm"] = "0702"
            s19.loc[east, "dlbm"] = "0102"
            x, y = s19["x0"].iat[i], s19["y0"].iat[i]
            squares.append((code, shapely.box(x + 1500, y + 500, x + 2500, y + 1500)))
            reserved |= {i, east}
            break
    dltb19 = survey_fields(s19, rng, farmland_kc(s19["dlbm"].to_numpy()))

    # --- survey 2017: 4 km cells, the four batches cut out as their own farmland polygons ---
    batches = gpd.read_file(WS / "批次.gpkg", layer="批次").to_crs(CRS)
    chosen = batches.set_index("批次编号").loc[list(FALSE_CLASS)]
    s17 = grid(cty, 4000.0)
    s17["dlbm"] = rng.choice(codes, size=len(s17), p=weights / weights.sum())
    cut = shapely.union_all(chosen.geometry.to_numpy())
    s17 = s17.set_geometry(shapely.difference(s17.geometry.to_numpy(), cut))
    s17 = s17[~s17.geometry.is_empty].reset_index(drop=True)
    own = gpd.GeoDataFrame({"code": chosen["行政区代码"].to_numpy(), "dlbm": [FALSE_CLASS[b][0] for b in chosen.index]},
                           geometry=chosen.geometry.to_numpy(), crs=CRS)
    s17 = pd.concat([s17[["code", "dlbm", "geometry"]], own], ignore_index=True)
    kc = farmland_kc(s17["dlbm"].to_numpy()).astype(float)
    kc[-len(own):] = [FALSE_CLASS[b][1] for b in chosen.index]
    dltb17 = survey_fields(gpd.GeoDataFrame(s17, crs=CRS), rng, kc)

    path = WS / "地类图斑.gpkg"
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(dltb19, path, layer="DLTB_2019", driver="GPKG")
    pyogrio.write_dataframe(dltb17, path, layer="DLTB_2017", driver="GPKG", append=True)

    # --- permanent basic farmland ---
    farm19 = np.flatnonzero(np.isin(s19["dlbm"], FARMLAND))
    farm19 = np.array([i for i in farm19 if i not in reserved])
    pick = np.sort(rng.choice(farm19, size=int(0.85 * len(farm19)), replace=False))
    bf = gpd.GeoDataFrame({"code": s19["code"].to_numpy()[pick]}, geometry=s19.geometry.to_numpy()[pick], crs=CRS)
    extra = gpd.GeoDataFrame({"code": [c for c, _ in squares]}, geometry=[g for _, g in squares], crs=CRS)
    bf = pd.concat([bf, extra], ignore_index=True)
    bf = gpd.GeoDataFrame({"图斑编号": [f"JBNT{i + 1:05d}" for i in range(len(bf))], "行政区代码": bf["code"]},
                          geometry=bf.geometry, crs=CRS)
    bf_path = WS / "永久基本农田.gpkg"
    bf_path.unlink(missing_ok=True)
    pyogrio.write_dataframe(bf, bf_path, layer="永久基本农田", driver="GPKG")

    # --- projects: rectangles near each county's representative point ---
    def anchor(code: str) -> tuple[float, float]:
        p = cty.set_index("code").geometry[code].representative_point()
        return round(p.x, -1), round(p.y, -1)

    sup, link = [], []
    for pid, code, (sw, sh), (dx, ow, oh) in (
        ("1", "411724", (600, 400), (500, 100, 400)),      # 正阳: 100 m × 400 m = 4 ha
        ("2", "411727", (500, 500), (300, 200, 150)),      # 汝南: 200 m × 150 m = 3 ha
        ("3", "411727", (300, 300), (290, 10, 10)),        # 汝南: 10 m × 10 m = 0.01 ha, = tolerance
        ("4", "411725", (400, 400), (1000, 400, 400)),     # 确山: apart
    ):
        x, y = anchor(code)
        if pid == "3":
            x, y = x + 3000, y + 3000
        sup.append((f"BC{code}-2019-{pid}", f"{names[code]}补充耕地项目{pid}", code, round(sw * sh / 1e4, 4),
                    shapely.box(x, y, x + sw, y + sh)))
        lx = x + dx
        ly = y + sh - oh if pid in ("2", "3") else y
        link.append((f"ZJ{code}-2018-{pid}", f"{names[code]}增减挂钩拆旧复垦区{pid}", code,
                     round(ow * oh / 1e4, 4) if pid != "4" else 16.0,
                     shapely.box(lx, ly, lx + (ow if pid != "1" else 300), ly + oh)))
    for layer, rows, area_name in (("补充耕地项目", sup, "新增耕地面积"), ("增减挂钩项目", link, "拆旧复垦面积")):
        frame = gpd.GeoDataFrame({"项目编号": [r[0] for r in rows], "项目名称": [r[1] for r in rows],
                                  "行政区代码": [r[2] for r in rows],
                                  area_name: [round(shapely.area(r[4]) / 1e4, 4) for r in rows]},
                                 geometry=[r[4] for r in rows], crs=CRS)
        out = WS / f"{layer}.gpkg"
        out.unlink(missing_ok=True)
        pyogrio.write_dataframe(frame, out, layer=layer, driver="GPKG")
        for code, geom in zip(frame["行政区代码"], frame.geometry, strict=True):
            assert cty.set_index("code").geometry[code].contains(geom), (layer, code)

    # --- targets ---
    farm_ha = (dltb19[dltb19["DLBM"].isin(FARMLAND)].assign(code=lambda f: f["ZLDWDM"].str[:6])
               .groupby("code")["TBDLMJ"].sum() / 1e4)
    farm_mu = farm_ha * 15
    rows = []
    for code in sorted(cty["code"]):
        mu = farm_mu[code]
        if code in MET:
            target, red = np.floor(mu * 0.98), np.floor(mu * 0.95)
        elif code in BELOW_REDLINE:
            target, red = np.ceil(mu * 1.05), np.ceil(mu * 1.02)
        else:
            target, red = np.ceil(mu * 1.03), np.floor(mu * 0.97)
        rows.append({"行政区代码": code, "年度": 2020, "耕地保有量目标(亩)": int(target), "耕地保护红线(亩)": int(red),
                     "永久基本农田保护任务(亩)": int(np.floor(mu * 0.8))})
    pd.DataFrame(rows).to_csv(WS / "耕地保护目标.csv", index=False, encoding="utf-8-sig")

    # --- declared farmland on four batches: a new column, nothing else touched ---
    s17_by_batch = dltb17.iloc[-len(own):]["TBDLMJ"].to_numpy() / 1e4
    declared = {b: round(f - FALSE_CLASS[b][2], 6) for b, f in zip(chosen.index, s17_by_batch, strict=True)}
    _add_batch_column(WS / "批次.gpkg", declared)

    # --- expected figures ---
    print("survey 2019:", len(dltb19), "polygons; survey 2017:", len(dltb17), "polygons; basic farmland:", len(bf))
    bf_mu = (bf.assign(a=bf.area / 1e4).groupby("行政区代码")["a"].sum() * 15)
    table = pd.DataFrame({"name": pd.Series(names), "farmland_mu": farm_mu.round(4),
                          "target_mu": [r["耕地保有量目标(亩)"] for r in rows],
                          "redline_mu": [r["耕地保护红线(亩)"] for r in rows],
                          "basic_farmland_mu": bf_mu.round(4),
                          "basic_task_mu": [r["永久基本农田保护任务(亩)"] for r in rows]})
    print(table.to_string())
    print("city farmland 万亩:", round(farm_mu.sum() / 1e4, 4), " basic farmland 万亩:", round(bf_mu.sum() / 1e4, 4))
    for b, f in zip(chosen.index, s17_by_batch, strict=True):
        print(f"batch {b}: survey farmland {f:.6f} ha, declared {declared[b]:.6f} ha, shortfall "
              f"{f - declared[b]:.6f} ha")
    return 0


def _add_batch_column(path: Path, declared: dict[str, float]) -> None:
    """Add (or refill) 耕地面积 on the batches GeoPackage with plain SQL: no other byte of a row changes."""
    con = sqlite3.connect(path)
    # The GeoPackage's R-tree triggers name spatial functions; they never fire on this update
    # (the fid and geometry do not change), but SQLite wants them defined to prepare it.
    for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(fn, 1, lambda _g: 0)
    cols = [r[1] for r in con.execute('PRAGMA table_info("批次")')]
    if "耕地面积" in cols:
        have = dict(con.execute('SELECT "批次编号", "耕地面积" FROM "批次" WHERE "耕地面积" IS NOT NULL'))
        if have == declared:  # already written: leave the file's bytes alone
            con.close()
            return
    with con:
        if "耕地面积" not in cols:
            con.execute('ALTER TABLE "批次" ADD COLUMN "耕地面积" REAL')
        con.execute('UPDATE "批次" SET "耕地面积" = NULL')
        for bid, ha in declared.items():
            con.execute('UPDATE "批次" SET "耕地面积" = ? WHERE "批次编号" = ?', (ha, bid))
    con.close()


if __name__ == "__main__":
    sys.exit(main())
