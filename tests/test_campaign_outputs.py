"""``landuse report`` and ``landuse map`` of any campaign's rule set (卫片执法, 耕地保护).

The page, the workbook and the tables come from the campaign's
:class:`~landuse.campaigns.CampaignResult` alone (landuse/output/campaign_report.py):
the figures checked here are those the campaigns' own tests and
``layers/README.md`` hand-check, read back from the files written.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import landuse.campaigns.weipian as weipian
from landuse.campaigns.farmland import CAMPAIGN as FARMLAND
from landuse.cli import cli
from landuse.model.workspace import sample_workspace
from landuse.output.campaign_report import report_files

WEIPIAN = "zhumadian-2019-weipian"
FARMLAND_RULES = "zhumadian-2020-farmland"
#: A script or style the page would fetch from the network.
EXTERNAL = re.compile(r"""(?:<script[^>]+src|<link[^>]+href)\s*=\s*["']?https?://""", re.IGNORECASE)
WEIPIAN_LAYERS = ("卫片图斑（按合法性）", "违法图斑（按整改情况）", "县区违法比例红线")
FARMLAND_LAYERS = ("耕地保有量完成情况", "补充耕地与增减挂钩重叠", "地类不实批次", "永久基本农田非农化")


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def offline(page: str) -> None:
    """Neither the page nor the map page inside it loads a script or style from the network."""
    assert not EXTERNAL.search(page)
    assert not EXTERNAL.search(html.unescape(page))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path)  # formulas as written
    return list(book[sheet].iter_rows(values_only=True))


@pytest.fixture(scope="module")
def weipian_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("weipian") / "report"
    result = invoke("report", "--rules", WEIPIAN, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def farmland_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("farmland") / "report"
    result = invoke("report", "--rules", FARMLAND_RULES, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def damaged_changes(folder: Path, edits: dict[int, dict[str, object]]) -> Path:
    """A workspace of the sample's counties and change polygons, some rows edited (0-based)."""
    src = sample_workspace()
    for path in src.glob("县区.*"):
        shutil.copy(path, folder / path.name)
    changes = gpd.read_file(src / "卫片图斑.gpkg", layer="卫片图斑")
    for row, values in edits.items():
        for name, value in values.items():
            changes[name] = changes[name].astype(object)
            changes.loc[row, name] = value
    changes.to_file(folder / "卫片图斑.gpkg", layer="卫片图斑", driver="GPKG")
    return folder


def illegal_rows(n: int) -> list[int]:
    changes = gpd.read_file(sample_workspace() / "卫片图斑.gpkg", layer="卫片图斑")
    return [int(i) for i in changes.index[changes["合法性"] == "违法"][:n]]


# --- 卫片执法 ---------------------------------------------------------------------------------
def test_weipian_report_writes_the_set(weipian_report: Path) -> None:
    names = sorted(p.name for p in weipian_report.iterdir())
    assert names == sorted(report_files(weipian.CAMPAIGN))
    assert names == sorted(["index.html", "ledgers.xlsx", "counties.csv", "weipian_illegal.csv", "problems.csv"])


def test_weipian_report_tables_are_those_of_assess(weipian_report: Path, tmp_path: Path) -> None:
    result = invoke("assess", "--rules", WEIPIAN, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    for name in ("counties.csv", "weipian_illegal.csv"):
        assert (weipian_report / name).read_bytes() == (tmp_path / name).read_bytes(), name
    rows = {r["county_code"]: r for r in read_csv(weipian_report / "counties.csv")}
    assert len(rows) == 11  # ten counties and the functional zone
    assert rows["411727"]["red_line_exceeded"] == "true"
    assert rows["411728"]["red_line_exceeded"] == "false"


def test_weipian_page_shows_the_section_table_and_layers(weipian_report: Path) -> None:
    page = (weipian_report / "index.html").read_text(encoding="utf-8")
    offline(page)
    assert "<title>驻马店市2019年度土地卫片执法违法比例与整改考核（增违挂钩）：会议报告</title>" in page
    assert "截至 2020-06-30" in page
    # the campaign's section: the city ratio against the 15 % red line
    assert '<section class="campaign weipian">' in page
    assert "违法比例 20.5%，超过 15% 红线" in page
    # the county table from the result's columns, one row per unit
    assert '<section id="counties">' in page
    assert "<th>占用耕地F（公顷）</th>" in page
    assert "<th>核减计划（公顷）</th>" in page
    table = page[page.index('<section id="counties">'):page.index('<section id="map">')]
    assert table.count("<tr>") == 12  # header and 11 units
    assert "<td>驻马店示范区</td>" in table
    # the map of its layers, inside the page
    assert 'id="lu-map-weipian"' in page
    for name in WEIPIAN_LAYERS:
        assert name in html.unescape(page), name
    # nothing wrong on the clean sample: no banner, the problems counted
    assert 'id="data-incomplete"' not in page
    assert 'id="problems-count">共 0 个错误' in page
    assert "weipian_illegal.csv" in page


def test_weipian_workbook(weipian_report: Path) -> None:
    book = openpyxl.load_workbook(weipian_report / "ledgers.xlsx")
    assert book.sheetnames == ["县区汇总", "卫片执法违法图斑整改台账（截至 2020-06-30）"]
    rows = sheet_rows(weipian_report / "ledgers.xlsx", book.sheetnames[1])
    assert rows[0][0] == "卫片执法违法图斑整改台账（截至 2020-06-30）"
    assert rows[1][0] == "截至 2020-06-30 · 规则集 zhumadian-2019-weipian"
    assert rows[3][:4] == ("编号", "县区", "面积（公顷）", "面积（亩）")
    ledger = read_csv(weipian_report / "weipian_illegal.csv")
    data = rows[4:4 + len(ledger)]
    assert [r[0] for r in data] == [r["编号"] for r in ledger]
    total = rows[4 + len(ledger)]
    assert total[0] == "合计"
    assert total[2] == f"=SUBTOTAL(9,C5:C{4 + len(ledger)})"
    assert sum(float(r["面积（公顷）"]) for r in ledger) == pytest.approx(
        sum(r[2] for r in data), abs=1e-9)
    # the units' sheet: the illegal area of 汝南县 as counties.csv has it
    units = sheet_rows(weipian_report / "ledgers.xlsx", "县区汇总")
    assert units[3][:3] == ("代码", "县区", "单位类型")
    csv_rows = {r["county_code"]: r for r in read_csv(weipian_report / "counties.csv")}
    by_code = {r[0]: r for r in units[4:15]}
    col = units[3].index("违法占耕I（公顷）")
    assert by_code["411727"][col] == pytest.approx(float(csv_rows["411727"]["I_ha"]), abs=1e-9)


def test_weipian_map_alone(tmp_path: Path) -> None:
    target = tmp_path / "maps" / "卫片.html"
    result = invoke("map", "--rules", WEIPIAN, "--out", str(target))
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    offline(page)
    for name in WEIPIAN_LAYERS:
        assert name in page
    assert json.dumps("县区违法比例红线 (11)")[1:-1] in page  # the layer control, 11 units drawn
    assert "驻马店市2019年度土地卫片执法违法比例与整改考核（增违挂钩）" in page
    assert sorted(p.name for p in target.parent.iterdir()) == ["卫片.html"]


def test_map_refuses_two_campaigns_at_once(tmp_path: Path) -> None:
    result = invoke("map", "--rules", "zhumadian-2018", "--rules", WEIPIAN, "--out", str(tmp_path / "m.html"))
    assert result.exit_code == 2
    assert "landuse map" in result.output
    assert not (tmp_path / "m.html").exists()


def test_quota_runs_a_campaign_and_refuses_a_project_kind_outside_zengcun(tmp_path: Path) -> None:
    # quota runs any campaign (tests/test_quota.py); --project-kind is 增存挂钩's suspension only.
    result = invoke("quota", "411702", "--rules", WEIPIAN, "--project-kind", "重大民生项目")
    assert result.exit_code == 2
    assert "zhumadian-2019-weipian" in result.output


# --- 耕地保护 ---------------------------------------------------------------------------------
def test_farmland_report_writes_the_set(farmland_report: Path) -> None:
    names = sorted(p.name for p in farmland_report.iterdir())
    assert names == sorted(report_files(FARMLAND))
    assert {"retention.csv", "overlaps.csv", "false_class.csv", "basic_farmland_nonfarm.csv"} <= set(names)


def test_farmland_page(farmland_report: Path) -> None:
    page = (farmland_report / "index.html").read_text(encoding="utf-8")
    offline(page)
    assert "驻马店市2020年耕地保护考核：会议报告" in page
    assert "截至 2020-06-15" in page
    # the section's figures (layers/README.md): 2 pairs over 7 ha, 3 batches, 7.7 ha, 123.20 万元
    assert "补充耕地与增减挂钩项目重叠 2 对，7.0000 公顷" in page
    assert "地类不实批次 3 个，应落实占补平衡 7.7000 公顷，应补缴新增费 123.20 万元" in page
    # the section already shows every county column: the page does not repeat the table
    assert '<section id="counties">' not in page
    for name in FARMLAND_LAYERS:
        assert name in html.unescape(page), name


def test_farmland_workbook_totals(farmland_report: Path) -> None:
    book = openpyxl.load_workbook(farmland_report / "ledgers.xlsx")
    assert book.sheetnames == ["县区汇总", "耕地保有量完成情况表", "重叠项目清单", "地类不实批次清单", "永久基本农田非农化图斑"]
    overlaps = sheet_rows(farmland_report / "ledgers.xlsx", "重叠项目清单")
    assert overlaps[3][-1] == "重叠面积（应核减指标，公顷）"
    pairs = overlaps[4:6]
    assert sorted(round(r[-1], 6) for r in pairs) == [3.0, 4.0]
    assert overlaps[6][0] == "合计"
    assert overlaps[6][-1] == "=SUBTOTAL(9,F5:F6)"
    false_class = sheet_rows(farmland_report / "ledgers.xlsx", "地类不实批次清单")
    batches = false_class[4:7]
    assert sum(r[8] for r in batches) == pytest.approx(7.7, abs=1e-9)
    assert sum(r[9] for r in batches) == pytest.approx(123.2, abs=1e-9)
    assert false_class[7][0] == "合计"
    # retention status in words, not codes
    retention = sheet_rows(farmland_report / "ledgers.xlsx", "耕地保有量完成情况表")
    status = next(i for i, h in enumerate(retention[3]) if isinstance(h, str) and "完成情况" in h)
    assert {r[status] for r in retention[4:16]} >= {"完成", "未完成", "低于保护红线"}


def test_farmland_map_alone(tmp_path: Path) -> None:
    target = tmp_path / "f.html"
    result = invoke("--lang", "en", "map", "--rules", FARMLAND_RULES, "--out", str(target))
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    offline(page)
    for name in ("farmland retention", "overlapping projects (2)", "false-class batches (3)"):
        assert name in page


# --- 增存挂钩 with 卫片执法 ---------------------------------------------------------------------
@pytest.mark.slow
def test_composed_report_appends_the_campaign(tmp_path: Path) -> None:
    out = tmp_path / "both"
    result = invoke("report", "--rules", "zhumadian-2018", "--rules", WEIPIAN, "--out", str(out))
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"index.html", "ledgers.xlsx", "results.gpkg", "counties.csv", "ledgers_weipian.xlsx",
            "weipian_illegal.csv"} <= names
    page = (out / "index.html").read_text(encoding="utf-8")
    offline(page)
    # the 增存挂钩 report, with the 卫片执法 section before its data problems, and a link to it
    assert page.index('<section id="candidates"') < page.index('<section id="campaign-weipian"') < page.index(
        '<section id="problems"')
    assert '<a href="#campaign-weipian">' in page
    assert "违法比例 20.5%，超过 15% 红线" in page
    assert 'id="lu-map"' in page
    assert 'id="lu-map-weipian"' in page
    for name in WEIPIAN_LAYERS:
        assert name in html.unescape(page)
    counties = pd.read_csv(out / "counties.csv", dtype={"county_code": str}).set_index("county_code")
    final = counties["plan_next_ha"] - counties["plan_deduction_ha"].fillna(0.0)
    assert counties["plan_final_ha"].to_numpy() == pytest.approx(final.clip(lower=0).to_numpy(), abs=1e-6)
    assert openpyxl.load_workbook(out / "ledgers_weipian.xlsx").sheetnames[1].startswith("卫片执法违法图斑整改台账")


# --- bad input and existing outputs ----------------------------------------------------------
def test_formula_cells_are_text_in_the_workbook_and_csv(tmp_path: Path) -> None:
    first, second = illegal_rows(2)
    folder = tmp_path / "ws"
    folder.mkdir()
    damaged_changes(folder, {first: {"监测图斑编号": "=1+2"}, second: {"监测图斑编号": "@SUM(A1)"}})
    out = tmp_path / "out"
    result = invoke("report", str(folder), "--rules", WEIPIAN, "--out", str(out))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out / "ledgers.xlsx")
    sheet = book[book.sheetnames[1]]
    ids = [c.value for c in sheet["A"][4:]]
    assert "'=1+2" in ids
    assert "'@SUM(A1)" in ids
    formulas = [c.value for row in sheet.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert formulas
    assert all(f.startswith("=SUBTOTAL(9,") for f in formulas)
    ledger = [r["编号"] for r in read_csv(out / "weipian_illegal.csv")]
    assert "'=1+2" in ledger
    assert "'@SUM(A1)" in ledger


def test_data_text_is_escaped_on_the_map(tmp_path: Path) -> None:
    (first,) = illegal_rows(1)
    folder = tmp_path / "ws"
    folder.mkdir()
    damaged_changes(folder, {first: {"监测图斑编号": "<img src=x onerror=alert(1)>"}})
    target = tmp_path / "m.html"
    result = invoke("map", str(folder), "--rules", WEIPIAN, "--out", str(target))
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_incomplete_data_are_refused_then_bannered(tmp_path: Path) -> None:
    (first,) = illegal_rows(1)
    folder = tmp_path / "ws"
    folder.mkdir()
    damaged_changes(folder, {first: {"合法性": "不清楚"}})
    out = tmp_path / "out"
    refused = invoke("report", str(folder), "--rules", WEIPIAN, "--out", str(out))
    assert refused.exit_code == 1
    assert "--accept-errors" in refused.output
    assert not out.exists()
    result = invoke("report", str(folder), "--rules", WEIPIAN, "--out", str(out), "--accept-errors")
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="data-incomplete"' in page
    assert "数据不完整：1 个错误使相关数据未参与计算" in page
    assert "数据不完整，结论待定" in html.unescape(page)  # the map's title says so too


def test_existing_outputs_are_refused_before_computing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def never(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("computed before the outputs were checked")

    monkeypatch.setattr(weipian, "CAMPAIGN", dataclasses.replace(weipian.CAMPAIGN, run=never))
    out = tmp_path / "out"
    out.mkdir()
    (out / "weipian_illegal.csv").write_text("mine", encoding="utf-8")
    result = invoke("report", "--rules", WEIPIAN, "--out", str(out))
    assert result.exit_code == 1
    assert "weipian_illegal.csv" in result.output
    assert "--overwrite" in result.output
    assert (out / "weipian_illegal.csv").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["weipian_illegal.csv"]
    target = tmp_path / "m.html"
    target.write_text("mine", encoding="utf-8")
    result = invoke("map", "--rules", WEIPIAN, "--out", str(target))
    assert result.exit_code == 1
    assert "--overwrite" in result.output
    assert target.read_text(encoding="utf-8") == "mine"
    assert calls == []


# --- any campaign: a result made by hand ----------------------------------------------------
def handmade_result() -> Any:
    """A campaign that exists nowhere: two units, one ledger with two rows, one empty, one layer."""
    import datetime as dt

    from shapely.geometry import box

    from landuse.campaigns import CampaignResult, Ledger, MapLayer

    counties = pd.DataFrame({"county_name": ["甲县", "乙县"], "done_ha": [1.5, float("nan")],
                             "ok": pd.array([True, pd.NA], dtype="boolean")},
                            index=pd.Index(["411702", "411721"], name="county_code"))
    rows = pd.DataFrame({"item": ["=HYPERLINK(\"x\")", "-2"], "kind": ["a", "b"], "area_ha": [1.25, 2.5],
                         "when": pd.to_datetime(["2020-01-02", None])})
    columns = {"item": ("编号", "item"), "kind": ("类型", "kind"), "area_ha": ("面积（公顷）", "area (ha)"),
               "when": ("日期", "date")}
    layer = MapLayer("units", "单位", "units",
                     gpd.GeoDataFrame({"state": ["good", "odd"], "county_name": ["甲县", "乙县"]},
                                      geometry=[box(500_000, 3_650_000, 501_000, 3_651_000),
                                                box(501_000, 3_650_000, 502_000, 3_651_000)], crs=4547),
                     "state", {"good": ("良", "good", "#00aa00"), "bad": ("差", "bad", "javascript:x")},
                     {"county_name": ("县区", "unit")})
    return CampaignResult(
        "handmade", dt.date(2020, 6, 30), counties,
        {"county_name": ("县区", "unit"), "done_ha": ("完成（公顷）", "done (ha)"), "ok": ("达标", "met")},
        ledgers=[Ledger("items", "清单", "items", rows, columns, total=("area_ha",)),
                 Ledger("none", "空清单", "nothing", rows.iloc[:0], columns, total=("area_ha",))],
        layers=[layer])


def test_any_campaigns_workbook(tmp_path: Path) -> None:
    from landuse.output.campaign_report import campaign_workbook_bytes

    path = tmp_path / "l.xlsx"
    path.write_bytes(campaign_workbook_bytes(handmade_result(), rules_id="own", title=("自定考核", "own")))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["县区汇总", "清单", "空清单"]
    units = sheet_rows(path, "县区汇总")
    assert units[3] == ("代码", "县区", "完成（公顷）", "达标")
    assert units[4] == ("411702", "甲县", 1.5, "是")
    assert units[5] == ("411721", "乙县", None, None)
    items = sheet_rows(path, "清单")
    assert items[0][0] == "清单"
    assert items[1][0] == "截至 2020-06-30 · 规则集 own"
    assert items[4] == ("'=HYPERLINK(\"x\")", "a", 1.25, "2020-01-02")
    assert items[5] == ("-2", "b", 2.5, None)  # a plain number stays as it is
    assert items[6] == ("合计", None, "=SUBTOTAL(9,C5:C6)", None)
    empty = sheet_rows(path, "空清单")
    assert empty[4] == ("合计", None, 0, None)


def test_any_campaigns_map(tmp_path: Path) -> None:
    from landuse.output.campaign_report import campaign_map
    from landuse.output.maps import map_html

    m = campaign_map(handmade_result(), title=("自定考核", "own"))
    assert m.landuse_stats.features == {"units": 2}
    page = map_html(m)
    offline(page)
    assert "javascript:x" not in page  # a colour that is not one is grey
    assert "#00aa00" in page
    assert "其他" in page  # "odd" has no style: it is drawn as other


def test_a_large_map_keeps_the_units_as_outlines() -> None:
    """Over 5 000 parcels the page draws on canvas and parcels are dots at city scale; the units'
    layer (the largest features) is the one the page's script keeps as outlines."""
    import numpy as np
    import shapely

    from landuse.campaigns import MapLayer
    from landuse.output.campaign_report import campaign_map
    from landuse.output.maps import map_html

    base = handmade_result()
    x = 500_000 + (np.arange(5_001) % 100) * 20.0
    y = 3_650_000 + (np.arange(5_001) // 100) * 20.0
    parcels = gpd.GeoDataFrame({"kind": ["p"] * 5_001}, geometry=shapely.box(x, y, x + 10, y + 10), crs=4547)
    result = dataclasses.replace(base, layers=[
        MapLayer("parcels", "图斑", "parcels", parcels, "kind", {"p": ("图斑", "parcel", "#d7191c")}), *base.layers])
    m = campaign_map(result, title=("自定考核", "own"))
    assert m.landuse_stats.features == {"counties": 2, "parcels": 5_001}
    assert m.landuse_stats.layers["counties"].name == "单位"
    page = map_html(m)
    assert '"canvas":true' in page
    assert "lu-units" in page  # the units' paths keep their own class
