"""Damaged copies of the sample workspace ``layers/zhumadian``, one function per fault.

Each function copies the sample into ``tmp`` (a folder, e.g. pytest's
``tmp_path``), damages the copy in one way and returns the workspace path.
Every fault found in bad input gets a function here and a test of the exact
behaviour (``tests/test_trust_input.py``), so the corpus grows with each one.

Run ``python tests/damaged.py OUT`` to write every damaged copy under OUT.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

SAMPLE = Path(__file__).resolve().parent.parent / "layers" / "zhumadian"

#: Every generator, by name.
CASES: dict[str, Callable[[Path], Path]] = {}


def case(f: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """Register a generator in :data:`CASES`."""
    CASES[f.__name__] = f
    return f


def copy(tmp: Path, name: str = "ws") -> Path:
    """A clean copy of the sample in ``tmp / name``."""
    out = Path(tmp) / name
    shutil.copytree(SAMPLE, out)
    return out


def _batches(ws: Path, edit: Callable, crs: object = None) -> None:
    """Rewrite 批次.gpkg after ``edit(frame) -> frame``; ``crs`` relabels it."""
    path = ws / "批次.gpkg"
    frame = pyogrio.read_dataframe(path)
    frame = edit(frame)
    if crs is not None:
        frame = frame.set_crs(crs, allow_override=True)
    path.unlink()
    pyogrio.write_dataframe(frame, path, layer="批次", driver="GPKG")


def _idle(ws: Path) -> pd.DataFrame:
    """The idle ledger as written, title rows included (no header)."""
    return pd.read_excel(ws / "闲置土地.xlsx", header=None, dtype=object)


def _shapefile(ws: Path, stem: str, edit: Callable) -> None:
    """Rewrite ``stem``.shp (GBK, as the sample's) after ``edit(frame) -> frame``."""
    path = ws / f"{stem}.shp"
    frame = edit(pyogrio.read_dataframe(path, encoding="GBK"))
    for p in ws.glob(f"{stem}.*"):
        p.unlink()
    pyogrio.write_dataframe(frame, path, encoding="GBK")


def _idle_rows(ws: Path, edit: Callable) -> None:
    """Rewrite the idle ledger's data rows after ``edit(table) -> table`` (title rows kept)."""
    raw = _idle(ws)
    table = raw.iloc[3:].copy()
    table.columns = raw.iloc[2].tolist()
    table = edit(table)
    width = table.shape[1]
    head = pd.DataFrame(raw.iloc[:2, :width].to_numpy())
    out = pd.concat([head, pd.DataFrame([list(table.columns)]), pd.DataFrame(table.to_numpy())],
                    ignore_index=True)
    out.to_excel(ws / "闲置土地.xlsx", header=False, index=False)


def _csv(ws: Path, name: str, edit: Callable, encoding: str = "utf-8-sig") -> None:
    """Rewrite ``name`` (a ledger CSV of the sample) after ``edit(frame) -> frame``, in its encoding."""
    path = ws / name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    edit(frame).to_csv(path, index=False, encoding=encoding)


# --- fields and values ------------------------------------------------------------------------
@case
def batches_no_date_field(tmp: Path) -> Path:
    """批次: the field 批准日期 renamed 审批时间 (not an alias)."""
    ws = copy(tmp)
    _batches(ws, lambda f: f.rename(columns={"批准日期": "审批时间"}))
    return ws


@case
def batches_dates_unreadable(tmp: Path) -> Path:
    """批次: every 批准日期 written "2014.5"."""
    ws = copy(tmp)
    _batches(ws, lambda f: f.assign(批准日期="2014.5"))
    return ws


@case
def batches_zone_date_unreadable(tmp: Path) -> Path:
    """批次: 411702-2011-002, coded 驿城区 (411702) but lying in the functional zone carved
    from it (驻马店示范区, 411790), has 批准日期 "不详"."""
    ws = copy(tmp)
    _batches(ws, lambda f: f.assign(批准日期=f["批准日期"].where(f["批次编号"] != "411702-2011-002", "不详")))
    return ws


@case
def batches_old_dates(tmp: Path) -> Path:
    """批次: batch 1 dated 1899-12-31 (the Excel epoch), batch 2 dated 1948-12-31."""
    ws = copy(tmp)

    def edit(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[0, "批准日期"] = "1899-12-31"
        f.loc[1, "批准日期"] = "1948-12-31"
        return f

    _batches(ws, edit)
    return ws


@case
def batches_nan_area(tmp: Path) -> Path:
    """批次: the approved area of batch 3 empty."""
    ws = copy(tmp)

    def edit(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[2, "批准面积"] = np.nan
        return f

    _batches(ws, edit)
    return ws


@case
def batches_nan_vertex(tmp: Path) -> Path:
    """批次: the second vertex of batch 4 NaN, of batch 5 inf."""
    ws = copy(tmp)

    def edit(f: pd.DataFrame) -> pd.DataFrame:
        for i, bad in ((3, np.nan), (4, np.inf)):
            geom = f.geometry.iloc[i]
            coords = shapely.get_coordinates(geom)
            coords[1] = bad
            f.loc[f.index[i], "geometry"] = shapely.set_coordinates(geom, coords)
        return f

    _batches(ws, edit)
    return ws


@case
def batches_control_chars(tmp: Path) -> Path:
    """批次: a BEL and a vertical tab in the name of batch 1."""
    ws = copy(tmp)

    def edit(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[0, "批次名称"] = "驿城\x07区\x0b批次"
        return f

    _batches(ws, edit)
    return ws


@case
def counties_missing_one(tmp: Path) -> Path:
    """县区: the county 411721 (西平县) removed; its features keep their code."""
    ws = copy(tmp)
    path = ws / "县区.shp"
    frame = pyogrio.read_dataframe(path, encoding="GBK")
    for p in ws.glob("县区.*"):
        p.unlink()
    pyogrio.write_dataframe(frame[frame["XZQDM"] != "411721"], path, encoding="GBK")
    return ws


@case
def batches_county_typo(tmp: Path) -> Path:
    """批次: 411724-2017-003 (正阳县, lying there) coded 411742, a county that does not exist."""
    ws = copy(tmp)
    _batches(ws, lambda f: f.assign(行政区代码=f["行政区代码"].mask(f["批次编号"] == "411724-2017-003", "411742")))
    return ws


@case
def supplies_county_typo(tmp: Path) -> Path:
    """供地: 4117232018B00000002 (平舆县, lying there) coded 411732, a county that does not exist."""
    ws = copy(tmp)
    _shapefile(ws, "供地", lambda f: f.assign(XZQDM=f["XZQDM"].mask(f["DZJGH"] == "4117232018B00000002", "411732")))
    return ws


@case
def idle_county_typo(tmp: Path) -> Path:
    """闲置土地: the third row's 行政区代码 typed 411072 (no such county; the ledger has no geometry)."""
    ws = copy(tmp)

    def edit(t: pd.DataFrame) -> pd.DataFrame:
        t.loc[t.index[2], "行政区代码"] = "411072"
        return t

    _idle_rows(ws, edit)
    return ws


@case
def counties_code_typo(tmp: Path) -> Path:
    """县区: 正阳县's code typed 411742 in the counties layer; its features keep 411724."""
    ws = copy(tmp)
    _shapefile(ws, "县区", lambda f: f.assign(XZQDM=f["XZQDM"].replace("411724", "411742")))
    return ws


@case
def idle_area_decimal_comma(tmp: Path) -> Path:
    """闲置土地: XZ411721-2017-003's 闲置面积(亩) typed "38,40" (38.40 with a decimal comma)."""
    ws = copy(tmp)

    def edit(t: pd.DataFrame) -> pd.DataFrame:
        t.loc[t["闲置编号"] == "XZ411721-2017-003", "闲置面积(亩)"] = "38,40"
        return t

    _idle_rows(ws, edit)
    return ws


@case
def quotas_decimal_comma(tmp: Path) -> Path:
    """计划指标.csv (GBK): 411724's 2019 plan typed "113,19"; another county's "1,131.90" (grouped)."""
    ws = copy(tmp)

    def edit(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[(f["行政区代码"] == "411724") & (f["年度"] == "2019"), "因素法计划指标"] = "113,19"
        f.loc[(f["行政区代码"] == "411721") & (f["年度"] == "2019"), "因素法计划指标"] = "1,131.90"
        return f

    _csv(ws, "计划指标.csv", edit, encoding="gbk")
    return ws


@case
def idle_disposal_field_renamed(tmp: Path) -> Path:
    """闲置土地: the field 处置方式 renamed 处置情况 (not an alias): every dated disposal lacks its method."""
    ws = copy(tmp)
    _idle_rows(ws, lambda t: t.rename(columns={"处置方式": "处置情况"}))
    return ws


@case
def counties_zone_without_parent(tmp: Path) -> Path:
    """县区: 驻马店示范区 (功能区 411790) with its 所属县区代码 (SSXZQDM) emptied."""
    ws = copy(tmp)
    _shapefile(ws, "县区", lambda f: f.assign(SSXZQDM=f["SSXZQDM"].mask(f["XZQDM"] == "411790", None)))
    return ws


@case
def counties_zone_kind_blank(tmp: Path) -> Path:
    """县区: 驻马店示范区 (411790, parent 411702) with its 单位类型 (DWLX) emptied."""
    ws = copy(tmp)
    _shapefile(ws, "县区", lambda f: f.assign(DWLX=f["DWLX"].mask(f["XZQDM"] == "411790", None)))
    return ws


@case
def counties_zone_parent_typo(tmp: Path) -> Path:
    """县区: 驻马店示范区 (411790)'s 所属县区代码 411702 typed 411721 (西平县, far from it)."""
    ws = copy(tmp)
    _shapefile(ws, "县区", lambda f: f.assign(SSXZQDM=f["SSXZQDM"].mask(f["XZQDM"] == "411790", "411721")))
    return ws


@case
def supplies_away_from_their_batch(tmp: Path) -> Path:
    """供地: 4117232018B00000002 naming 411723-2017-003, a batch of its county 平舆县 it lies far from;
    and 4117212013B00000006 (no batch id) without its outline."""
    ws = copy(tmp)

    def edit(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[f["DZJGH"] == "4117232018B00000002", "PCBH"] = "411723-2017-003"
        f.loc[f["DZJGH"] == "4117212013B00000006", "geometry"] = None
        return f

    _shapefile(ws, "供地", edit)
    return ws


@case
def supplies_naming_another_countys_batch(tmp: Path) -> Path:
    """供地: two parcels of 西平县 (411721) naming batches of 平舆县 (411723): 4117212013B00000001
    drawn far from 411723-2017-003, and 4117212013B00000002 naming 411723-2009-001 with its
    供地日期 unreadable (2013-13-16)."""
    ws = copy(tmp)

    def edit(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[f["DZJGH"] == "4117212013B00000001", "PCBH"] = "411723-2017-003"
        two = f["DZJGH"] == "4117212013B00000002"
        f.loc[two, "PCBH"] = "411723-2009-001"
        f["GDRQ"] = f["GDRQ"].astype(str)
        f.loc[two, "GDRQ"] = "20131316"
        return f

    _shapefile(ws, "供地", edit)
    return ws


@case
def supplies_next_to_their_batch(tmp: Path) -> Path:
    """供地: 4117212013B00000003 (6.4364 ha in 411721-2012-003) redrawn as a 100 m square in the
    top-left corner of its batch's box, where the tilted batch is not: it reaches no part of it."""
    ws = copy(tmp)
    batches = pyogrio.read_dataframe(ws / "批次.gpkg")
    x0, _, _, y1 = batches.loc[batches["批次编号"] == "411721-2012-003", "geometry"].iloc[0].bounds

    def edit(f: pd.DataFrame) -> pd.DataFrame:
        one = f["DZJGH"] == "4117212013B00000003"
        f.loc[one, "geometry"] = shapely.box(x0, y1 - 100, x0 + 100, y1)
        f.loc[one, "GDMJ"] = 1.0
        return f

    _shapefile(ws, "供地", edit)
    return ws


@case
def idle_area_infinite(tmp: Path) -> Path:
    """闲置土地.xlsx: XZ411725-2017-007's 闲置面积(亩) (a disposed row without 电子监管号) typed "inf"."""
    ws = copy(tmp)

    def edit(t: pd.DataFrame) -> pd.DataFrame:
        t.loc[t["闲置编号"] == "XZ411725-2017-007", "闲置面积(亩)"] = "inf"
        return t

    _idle_rows(ws, edit)
    return ws


@case
def batches_code_of_another_county(tmp: Path) -> Path:
    """批次: 411724-2017-003 (drawn in 正阳县) coded 411725 (确山县, a unit that exists)."""
    ws = copy(tmp)
    _batches(ws, lambda f: f.assign(行政区代码=f["行政区代码"].mask(f["批次编号"] == "411724-2017-003", "411725")))
    return ws


@case
def idle_code_of_another_county(tmp: Path) -> Path:
    """闲置土地.xlsx: XZ411721-2016-004 (parcel 4117212013B00000010, 西平县's) coded 411727."""
    ws = copy(tmp)

    def edit(t: pd.DataFrame) -> pd.DataFrame:
        t.loc[t["闲置编号"] == "XZ411721-2016-004", "行政区代码"] = "411727"
        return t

    _idle_rows(ws, edit)
    return ws


@case
def batches_exported_twice(tmp: Path) -> Path:
    """批次: 411723-2015-001 (平舆县) exported a second time, as 411723-2015-010, at the end."""
    ws = copy(tmp)

    def edit(f: pd.DataFrame) -> pd.DataFrame:
        again = f[f["批次编号"] == "411723-2015-001"].copy()
        again["批次编号"] = "411723-2015-010"
        return pd.concat([f, again], ignore_index=True)

    _batches(ws, edit)
    return ws


@case
def idle_listed_twice(tmp: Path) -> Path:
    """闲置土地.xlsx: XZ411721-2016-004 listed again at the end as XZ411721-2016-099."""
    ws = copy(tmp)

    def edit(t: pd.DataFrame) -> pd.DataFrame:
        again = t[t["闲置编号"] == "XZ411721-2016-004"].copy()
        again["闲置编号"] = "XZ411721-2016-099"
        return pd.concat([t, again])

    _idle_rows(ws, edit)
    return ws


@case
def batches_approval_year_typo(tmp: Path) -> Path:
    """批次: 411724-2017-003 (豫政土〔2017〕170号, approved 2017-12-02) dated 2018-12-02."""
    ws = copy(tmp)
    _batches(ws, lambda f: f.assign(批准日期=f["批准日期"].mask(f["批次编号"] == "411724-2017-003", "2018-12-02")))
    return ws


@case
def revocations_batch_typo(tmp: Path) -> Path:
    """失效撤回核减.csv: the fifth row's 批次编号 411728-2011-001 typed 411728-2011-010 (no such batch)."""
    ws = copy(tmp)

    def edit(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[f.index[4], "批次编号"] = "411728-2011-010"
        return f

    _csv(ws, "失效撤回核减.csv", edit)
    return ws


@case
def areas_unit_slips(tmp: Path) -> Path:
    """批次: 411702-2013-005's 批准面积 15.215 公顷 typed in 亩 (228.225); 闲置土地: XZ411721-2017-003's
    闲置面积(亩) typed in 平方米 (25600 for 38.4 亩)."""
    ws = copy(tmp)
    _batches(ws, lambda f: f.assign(批准面积=f["批准面积"].mask(f["批次编号"] == "411702-2013-005", 228.225)))

    def edit(t: pd.DataFrame) -> pd.DataFrame:
        t.loc[t["闲置编号"] == "XZ411721-2017-003", "闲置面积(亩)"] = 25600
        return t

    _idle_rows(ws, edit)
    return ws


# --- CRS ----------------------------------------------------------------------------------------
@case
def supplies_no_prj(tmp: Path) -> Path:
    """供地: the .prj deleted."""
    ws = copy(tmp)
    (ws / "供地.prj").unlink()
    return ws


@case
def batches_wrong_zone(tmp: Path) -> Path:
    """批次: coordinates of EPSG:4547 (zone 38 without prefix) labelled EPSG:4526 (with prefix)."""
    ws = copy(tmp)
    _batches(ws, lambda f: f, crs=4526)
    return ws


@case
def supplies_mercator_as_lonlat(tmp: Path) -> Path:
    """供地: reprojected to EPSG:3857 but labelled EPSG:4326."""
    ws = copy(tmp)
    path = ws / "供地.shp"
    frame = pyogrio.read_dataframe(path, encoding="GBK").to_crs(3857).set_crs(4326, allow_override=True)
    for p in ws.glob("供地.*"):
        p.unlink()
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    return ws


# --- shapefile bytes ------------------------------------------------------------------------------
@case
def supplies_dbf_cut(tmp: Path) -> Path:
    """供地.dbf cut to 60 % of its bytes."""
    ws = copy(tmp)
    path = ws / "供地.dbf"
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    return ws


@case
def supplies_dbf_header_count(tmp: Path) -> Path:
    """供地.dbf: the header's record count overwritten with 2."""
    ws = copy(tmp)
    path = ws / "供地.dbf"
    data = bytearray(path.read_bytes())
    data[4:8] = (2).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return ws


@case
def supplies_dbf_header_zeroed(tmp: Path) -> Path:
    """供地.dbf: its first 32 bytes (the header) overwritten with zeros."""
    ws = copy(tmp)
    path = ws / "供地.dbf"
    data = bytearray(path.read_bytes())
    data[:32] = bytes(32)
    path.write_bytes(bytes(data))
    return ws


@case
def supplies_shx_cut(tmp: Path) -> Path:
    """供地.shx cut to half its bytes (.shp and .dbf whole)."""
    ws = copy(tmp)
    path = ws / "供地.shx"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return ws


@case
def supplies_shp_cut(tmp: Path) -> Path:
    """供地.shp cut to 60 % of its bytes (.shx and .dbf whole)."""
    ws = copy(tmp)
    path = ws / "供地.shp"
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    return ws


@case
def supplies_cpg_says_utf8(tmp: Path) -> Path:
    """供地.cpg says UTF-8; the .dbf is GBK."""
    ws = copy(tmp)
    (ws / "供地.cpg").write_text("UTF-8")
    return ws


@case
def counties_cpg_says_latin1(tmp: Path) -> Path:
    """县区.cpg says ISO-8859-1; the .dbf is GBK (功能区 read as ¹¦ÄÜÇø: the zone judged a county)."""
    ws = copy(tmp)
    (ws / "县区.cpg").write_text("ISO-8859-1")
    return ws


@case
def supplies_cpg_says_1252(tmp: Path) -> Path:
    """供地.cpg says 1252, as ArcMap writes it; the .dbf is GBK (the read failed: invalid UTF-8)."""
    ws = copy(tmp)
    (ws / "供地.cpg").write_text("1252")
    return ws


@case
def counties_cpg_says_gbk(tmp: Path) -> Path:
    """县区.dbf rewritten in UTF-8; 县区.cpg still says GBK."""
    ws = copy(tmp)
    path = ws / "县区.shp"
    frame = pyogrio.read_dataframe(path, encoding="GBK")
    for p in ws.glob("县区.*"):
        p.unlink()
    pyogrio.write_dataframe(frame, path, encoding="UTF-8")
    (ws / "县区.cpg").write_text("GBK")
    return ws


# --- ledgers --------------------------------------------------------------------------------------
@case
def idle_header_row_20(tmp: Path) -> Path:
    """闲置土地.xlsx: 17 more title lines above its header (header on row 20)."""
    ws = copy(tmp)
    raw = _idle(ws)
    filler = pd.DataFrame([[f"说明 {i}"] + [None] * (raw.shape[1] - 1) for i in range(17)])
    filler.columns = raw.columns
    out = pd.concat([raw.iloc[:2], filler, raw.iloc[2:]], ignore_index=True)
    out.to_excel(ws / "闲置土地.xlsx", header=False, index=False)
    return ws


@case
def idle_header_only(tmp: Path) -> Path:
    """闲置土地.xlsx: the title and header rows, no data row."""
    ws = copy(tmp)
    raw = _idle(ws)
    raw.iloc[:3].to_excel(ws / "闲置土地.xlsx", header=False, index=False)
    return ws


def _idle_csv(ws: Path) -> bytes:
    """The idle ledger as GBK CSV bytes (header and data rows), replacing the XLSX."""
    raw = _idle(ws)
    (ws / "闲置土地.xlsx").unlink()
    table = raw.iloc[3:].copy()
    table.columns = raw.iloc[2].tolist()
    return table.to_csv(index=False).encode("gbk")


@case
def idle_csv_bad_byte(tmp: Path) -> Path:
    """闲置土地.csv in GBK with one byte (0xFF, never GBK) in row 5."""
    ws = copy(tmp)
    lines = _idle_csv(ws).split(b"\n")
    lines[5] = lines[5].replace(b",", b",\xff", 1)
    (ws / "闲置土地.csv").write_bytes(b"\n".join(lines))
    return ws


@case
def quotas_gbk_with_bom(tmp: Path) -> Path:
    """计划指标.csv: GBK text after a UTF-8 byte-order mark."""
    ws = copy(tmp)
    path = ws / "计划指标.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return ws


@case
def revocations_utf16(tmp: Path) -> Path:
    """失效撤回核减.csv in UTF-16 (with its BOM), as Excel's "Unicode text" writes."""
    ws = copy(tmp)
    path = ws / "失效撤回核减.csv"
    path.write_bytes(path.read_bytes().decode("utf-8-sig").encode("utf-16"))
    return ws


@case
def batches_no_rows(tmp: Path) -> Path:
    """批次.gpkg with its fields and no feature."""
    ws = copy(tmp)
    _batches(ws, lambda f: f.iloc[:0])
    return ws


@case
def batches_two_sources(tmp: Path) -> Path:
    """batches.geojson with 10 batches beside 批次.gpkg."""
    ws = copy(tmp)
    frame = pyogrio.read_dataframe(ws / "批次.gpkg").head(10)
    pyogrio.write_dataframe(frame.to_crs(4326), ws / "batches.geojson", driver="GeoJSON")
    return ws


# --- campaign layers -----------------------------------------------------------------------------
@case
def survey_no_class(tmp: Path) -> Path:
    """地类图斑.gpkg with the DLBM of DLTB_2019's polygon 2001 emptied (past DLTB_2017's 1269 rows, so the
    row number names it alone: the two layers share row numbers)."""
    ws = copy(tmp)
    path = ws / "地类图斑.gpkg"
    layers = {name: pyogrio.read_dataframe(path, layer=name) for name, _ in pyogrio.list_layers(path)}
    path.unlink()
    for name, frame in layers.items():
        if name == "DLTB_2019":
            frame["DLBM"] = frame["DLBM"].astype(object)
            frame.loc[2000, "DLBM"] = None
        pyogrio.write_dataframe(frame, path, layer=name)
    return ws


# --- zips -----------------------------------------------------------------------------------------
@case
def zip_plain(tmp: Path) -> Path:
    """The sample zipped as it is (with landcover.tif)."""
    out = Path(tmp) / "sample.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(SAMPLE.iterdir()):
            z.write(p, p.name)
    return out


@case
def zip_duplicate_member(tmp: Path) -> Path:
    """A zip of the sample holding two members named 计划指标.csv (the second empty of data)."""
    out = Path(tmp) / "dup.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(SAMPLE.iterdir()):
            z.write(p, p.name)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
            z.writestr("计划指标.csv", "行政区代码,年度,新增建设用地计划指标\n411702,2018,1\n")
    return out


@case
def zip_bomb(tmp: Path) -> Path:
    """A zip of the sample plus a 1.5 GiB member of zeros (a few MB compressed)."""
    out = Path(tmp) / "bomb.zip"
    chunk = b"\0" * (1 << 24)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(SAMPLE.iterdir()):
            z.write(p, p.name)
        with z.open("zeros.bin", "w", force_zip64=True) as member:
            for _ in range(96):  # 96 x 16 MiB = 1.5 GiB
                member.write(chunk)
    return out


def main(argv: list[str]) -> None:
    """Write every damaged copy under ``argv[0]`` (one folder per case)."""
    root = Path(argv[0])
    for name, make in CASES.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        print(name, make(folder))


if __name__ == "__main__":
    main(sys.argv[1:] or ["damaged"])
