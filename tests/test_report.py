"""The meeting report: files, refusal to overwrite, atomicity, XLSX ledgers, GeoPackage, HTML.

Most tests read one report of the bundled sample (10 counties and a zone of Zhumadian,
2018 rules, as of 31 Dec 2018); the escaping tests use a two-county synthetic
workspace whose names and ids are HTML.
"""

from __future__ import annotations

import dataclasses
import html
import re
import sqlite3
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from _ws import A, B, batch, build, sq, supply

from landuse import load_workspace
from landuse._errors import LanduseError, OutputExistsError
from landuse.campaigns.zengcun.assessment import assess
from landuse.model.units import MU_PER_HA
from landuse.output.ledgers import SHEETS, county_statistics, statistics_scope
from landuse.output.report import REPORT_FILES, REPORT_STEPS, headline, report_html, write_report

XSS = "<img src=x onerror=alert(1)>"
EXTERNAL = re.compile(
    r"""\b(?:src|href|srcset|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I
)
CSS_URL = re.compile(r"""url\(\s*["']?\s*(?:https?:)?//|@import""", re.I)


@pytest.fixture(scope="module")
def sample():
    return assess(load_workspace(), "zhumadian-2018", "2018-12-31", raster=False)


@pytest.fixture(scope="module")
def report(sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    steps: list[str] = []
    paths = write_report(sample, out, progress=steps.append, dpi=120)
    return out, paths, steps


@pytest.fixture(scope="module")
def page(report):
    return report[1]["html"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def book(report):
    # data_only: the totals are SUBTOTAL formulas; their cached values are read
    return openpyxl.load_workbook(report[1]["xlsx"], data_only=True)


@pytest.fixture(scope="module")
def hostile():
    """Two counties whose names, ids and texts are HTML."""
    ws = build(
        counties=[
            {"county_code": A, "county_name": XSS, "geometry": sq(0, 0, 10_000)},
            {"county_code": B, "county_name": "西平县\"'&", "geometry": sq(10_000, 0, 10_000)},
        ],
        batches=[
            batch("<b>B1</b>", A, "2014-01-01", sq(0, 0, 200), batch_name=XSS),
            batch(
                "B2", B, "2012-01-01", sq(10_000, 0, 200), approver="国务院", compensation="未实施"
            ),
        ],
        supplies=[
            supply(
                "<script>alert(2)</script>",
                "<b>B1</b>",
                "2018-06-01",
                sq(0, 0, 200, 100),
                project_name=XSS,
                holder=XSS,
            )
        ],
        idle=[
            {
                "idle_id": XSS,
                "county_code": A,
                "area_ha": 1.0,
                "cause": "企业原因",
                "disposal": None,
                "disposal_date": None,
                "identified_date": "2017-06-01",
                "responsible_unit": XSS,
                "project_name": XSS,
                "geometry": sq(0, 100, 100),
            }
        ],
        quotas=[{"county_code": c, "year": 2019, "plan_base_ha": 50.0} for c in (A, B)],
    )
    return assess(ws, "zhumadian-2018", "2018-12-31", raster=False)


# --- files -----------------------------------------------------------------------------------
def test_writes_every_file_and_announces_each_step(report):
    out, paths, steps = report
    assert set(paths) == set(REPORT_FILES)
    assert {p.name for p in paths.values()} == set(REPORT_FILES.values())
    assert all(p.parent == out and p.stat().st_size > 1000 for p in paths.values())
    assert tuple(steps) == REPORT_STEPS
    assert sorted(p.name for p in out.iterdir()) == sorted(
        REPORT_FILES.values()
    )  # no temporary left


def test_refuses_to_overwrite_and_writes_nothing(sample, tmp_path):
    (tmp_path / "ledgers.xlsx").write_bytes(b"keep me")
    with pytest.raises(OutputExistsError, match="overwrite"):
        write_report(sample, tmp_path, dpi=50)
    assert [p.name for p in tmp_path.iterdir()] == ["ledgers.xlsx"]
    assert (tmp_path / "ledgers.xlsx").read_bytes() == b"keep me"
    paths = write_report(sample, tmp_path, dpi=50, overwrite=True)
    assert openpyxl.load_workbook(paths["xlsx"]).sheetnames[0] == SHEETS["detail"][0]


def test_a_failure_leaves_no_file_behind(sample, tmp_path, monkeypatch):
    from landuse.output import report as report_module

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report_module.ledgers, "ledgers_workbook", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_report(sample, tmp_path, dpi=50)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_geopackage_leaves_no_partial_file(sample, tmp_path, monkeypatch):
    import landuse.io.files

    calls = []
    real = pyogrio.write_dataframe

    def broken(frame, path, **kwargs):
        calls.append(kwargs["layer"])
        if len(calls) == 2:
            raise OSError("no space left on device")
        return real(frame, path, **kwargs)

    monkeypatch.setattr(landuse.io.files.pyogrio, "write_dataframe", broken)
    existing = tmp_path / "results.gpkg"
    existing.write_bytes(b"old")
    with pytest.raises(OSError, match="no space"):
        write_report(sample, tmp_path, dpi=50, overwrite=True)
    assert existing.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.gpkg"]


def test_unknown_language(sample, tmp_path):
    with pytest.raises(LanduseError, match="zh"):
        write_report(sample, tmp_path, lang="fr")
    assert list(tmp_path.iterdir()) == []


# --- XLSX --------------------------------------------------------------------------------------
HEADER_ROW = 3


def _headers(sheet) -> list[str]:
    return [c.value for c in sheet[HEADER_ROW] if c.value is not None]


def _rows(sheet) -> pd.DataFrame:
    values = list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))
    return pd.DataFrame(values[1:], columns=values[0])


def test_sheets_in_the_order_of_the_notice(book):
    assert book.sheetnames == [zh for zh, _ in SHEETS.values()]
    assert book.sheetnames[:3] == [
        "批而未供情况明细表",
        "批而未供情况统计表",
        "闲置土地整改工作台账",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == f"C{HEADER_ROW + 1}"
        assert sheet["A1"].value  # the title row
        assert all(sheet.column_dimensions[c].width >= 6 for c in "ABC")


def test_detail_sheet(book, sample):
    sheet = book["批而未供情况明细表"]
    headers = _headers(sheet)
    for h in (
        "序号",
        "县区",
        "批次编号",
        "批次名称",
        "批准文号",
        "批准日期",
        "批准机关",
        "批准面积(公顷)",
        "已供面积(公顷)",
        "失效撤回核减面积(公顷)",
        "未供面积(公顷)",
        "未供面积(亩)",
        "供地率",
    ):
        assert h in headers
    rows = _rows(sheet)
    body, total = rows.iloc[:-1], rows.iloc[-1]
    d1, d2 = statistics_scope(sample)
    every = sample.batches[
        sample.batches["approval_date"].between(pd.Timestamp(d1), pd.Timestamp(d2))
    ]
    assert (d1.year, d2.year) == (2009, 2017)
    # 附件2 lists the unsupplied batches only (0.01 ha on); every batch is in its own sheet
    b = every[every["unsupplied_ha"] >= 0.01]
    assert len(body) == len(b) == 159
    assert len(_rows(book["批次供地情况全表"]).iloc[:-1]) == len(every) == 344
    assert body["序号"].tolist() == list(range(1, len(b) + 1))
    assert total["县区"] == "合计"
    assert total["未供面积(公顷)"] == pytest.approx(b["unsupplied_ha"].sum())
    assert total["未供面积(亩)"] == pytest.approx(b["unsupplied_ha"].sum() * MU_PER_HA)
    assert total["批准面积(公顷)"] == pytest.approx(b["approved_ha"].sum())
    col = {h: i + 1 for i, h in enumerate(headers)}
    assert sheet.cell(HEADER_ROW + 1, col["批准面积(公顷)"]).number_format == "#,##0.00"
    assert sheet.cell(HEADER_ROW + 1, col["供地率"]).number_format == "0.0%"
    assert sheet.cell(HEADER_ROW + 1, col["批准日期"]).number_format == "yyyy-mm-dd"


def test_statistics_totals_equal_the_assessment(book, sample):
    rows = _rows(book["批而未供情况统计表"])
    body, total = rows.iloc[:-1], rows.iloc[-1]
    assert len(body) == len(sample.counties) == 11
    d1, d2 = statistics_scope(sample)
    b = sample.batches[sample.batches["approval_date"].between(pd.Timestamp(d1), pd.Timestamp(d2))]
    by_county = b.groupby("county_code")["unsupplied_ha"].sum()
    got = body.set_index("县区代码")["未供面积(公顷)"]
    np.testing.assert_allclose(
        got.loc[by_county.index].to_numpy(dtype=float), by_county.to_numpy(), atol=1e-9
    )
    for header, column in (
        ("批准面积(公顷)", "approved_ha"),
        ("已供面积(公顷)", "supplied_ha"),
        ("失效撤回核减面积(公顷)", "revoked_ha"),
        ("未供面积(公顷)", "unsupplied_ha"),
    ):
        assert total[header] == pytest.approx(b[column].sum()), header
        assert total[header] == pytest.approx(body[header].sum()), header
    assert total["批次数"] == len(b)
    rate = b["supplied_ha"].sum() / (b["approved_ha"].sum() - b["revoked_ha"].sum())
    assert total["供地率"] == pytest.approx(rate)
    assert headline(sample)["stock_ha"] == pytest.approx(total["未供面积(公顷)"])
    stats = county_statistics(sample)
    assert stats["unsupplied_ha"].sum() == pytest.approx(total["未供面积(公顷)"])


def test_idle_ledger_one_parcel_one_policy(book, sample):
    sheet = book["闲置土地整改工作台账"]
    headers = _headers(sheet)
    for h in (
        "序号",
        "县区",
        "闲置编号",
        "电子监管号",
        "面积(公顷)",
        "面积(亩)",
        "认定日期",
        "闲置原因",
        "处置方式",
        "整改措施",
        "整改期限",
        "责任单位",
        "状态",
    ):
        assert h in headers
    rows = _rows(sheet)
    body, total = rows.iloc[:-1], rows.iloc[-1]
    assert len(body) == len(sample.idle)
    assert set(body["闲置编号"]) == set(sample.idle["idle_id"])
    assert total["面积(公顷)"] == pytest.approx(sample.idle["area_ha"].sum())
    assert set(body["状态"]) <= {"已处置", "未处置", "未处置（已过整改期限）"}


def test_county_candidate_and_problem_sheets(book, sample):
    counties = _rows(book["县区考核"]).iloc[:-1]
    assert len(counties) == 11
    assert {
        "T2完成率",
        "T2目标",
        "T2是否完成",
        "T2差距(公顷)",
        "T2差距(亩)",
        "考核结果",
        "下一年度计划(公顷)",
        "暂停受理新增建设用地",
        "排名",
        "通报",
    } <= set(counties.columns)
    c = sample.counties.set_index("county_code")
    got = counties.set_index("县区代码")
    np.testing.assert_allclose(
        got["T2完成率"].astype(float), c.loc[got.index, "T2_rate"], atol=1e-12
    )
    assert (
        got["考核结果"] == c.loc[got.index, "outcome"].map({"award": "奖励", "penalty": "计划核减"})
    ).all()
    candidates = _rows(book["核查清单"]).iloc[:-1]
    candidates = candidates[candidates["序号"].notna()]  # less the subtotal per kind
    assert len(candidates) == len(sample.candidates)
    assert set(candidates["类型"]) <= {"失效", "撤回", "批次核减", "未供先用", "疑似闲置"}
    problems = _rows(book["数据问题"])
    assert len(problems) == len(sample.problems)


def test_english_workbook(sample, tmp_path):
    from landuse.output.ledgers import write_ledgers

    path = write_ledgers(sample, tmp_path / "l.xlsx", lang="en")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [en for _, en in SHEETS.values()]
    assert "Unsupplied (ha)" in _headers(book["Unsupplied land by county"])
    assert _rows(book["Unsupplied land by county"]).iloc[-1]["County"] == "Total"
    with pytest.raises(OutputExistsError):
        write_ledgers(sample, path, lang="en")


# --- GeoPackage --------------------------------------------------------------------------------
def test_geopackage_layers_and_qgis_styles(report, sample):
    path = report[1]["gpkg"]
    layers = dict(pyogrio.list_layers(path))
    assert {"counties", "batches", "idle", "candidates"} <= set(layers)
    assert layers["counties"] is not None
    sizes = {
        "counties": len(sample.counties),
        "batches": len(sample.batches),
        "supplies": len(sample.supplies),
        "idle": len(sample.idle),
        "candidates": len(sample.candidates),
    }
    for name, n in sizes.items():
        assert pyogrio.read_info(path, layer=name)["features"] == n
    counties = pyogrio.read_dataframe(path, layer="counties")
    assert set(counties["category"]) <= {"award", "award_milestone", "penalty"}
    assert (counties["outcome"] == sample.counties["outcome"].to_numpy()).all()
    batches = pyogrio.read_dataframe(path, layer="batches", read_geometry=False)
    assert {"supplied_ha", "unsupplied_ha", "unsupplied_mu", "category"} <= set(batches.columns)
    assert batches["unsupplied_ha"].sum() == pytest.approx(sample.batches["unsupplied_ha"].sum())
    with sqlite3.connect(path) as con:
        styles = con.execute(
            "SELECT f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
            "useAsDefault FROM layer_styles"
        ).fetchall()
        columns = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
        geometry = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
    assert columns == [
        "id",
        "f_table_catalog",
        "f_table_schema",
        "f_table_name",
        "f_geometry_column",
        "styleName",
        "styleQML",
        "styleSLD",
        "useAsDefault",
        "description",
        "owner",
        "ui",
        "update_time",
    ]
    assert sorted(r[0] for r in styles) == sorted(sizes)
    for table, geom, _, qml, sld, default in styles:
        assert geom == geometry[table]
        assert default == 1
        assert 'type="categorizedSymbol"' in qml
        assert 'attr="category"' in qml
        assert "<se:Rule>" in sld
        assert ET.fromstring(qml).find("renderer-v2/categories") is not None
        assert ET.fromstring(sld.encode()).tag.endswith("StyledLayerDescriptor")
    qml = dict((r[0], r[3]) for r in styles)["counties"]
    assert "奖励" in qml
    assert 'fieldName="county_name"' in qml


# --- HTML ----------------------------------------------------------------------------------------
def _map_document(page: str) -> str:
    m = re.search(r'data-srcdoc="([^"]*)"', page)
    return html.unescape(m.group(1)) if m else ""


def test_page_is_offline(page):
    assert not EXTERNAL.findall(page), EXTERNAL.findall(page)[:3]
    assert not CSS_URL.findall(page)
    embedded = _map_document(page)
    assert "leaflet" in embedded.lower()  # the interactive map is there, escaped into the attribute
    assert not re.findall(
        r"""<(?:script|link|img)[^>]+(?:src|href)\s*=\s*["']?(?:https?:)?//""", embedded, re.I
    )
    # Images are inline.
    assert re.findall(r'<img[^>]+src="data:image/png;base64,', page)


def test_page_has_every_section(page, sample):
    for section in (
        "summary",
        "counties",
        "map",
        "charts",
        "progress",
        "ranking",
        "candidates",
        "problems",
        "sources",
    ):
        assert f'<section id="{section}"' in page
    table = re.search(r'<table class="counties">.*?</table>', page, re.S).group(0)
    assert table.count("<tr class=") == len(sample.counties) == 11
    for name in sample.counties["county_name"]:
        assert html.escape(name) in table
    assert page.count('<svg class="chart"') == len(sample.rules.tasks)
    assert "@media print" in page
    assert "@page" in page
    assert "公顷" in page
    assert "亩" in page


def test_page_names_its_sources(page, sample):
    sources = re.search(r'<section id="sources".*?</section>', page, re.S).group(0)
    for text in (
        "zhumadian",
        "zhumadian-2018.toml",
        sample.rules.name,
        str(sample.as_of),
        *sample.workspace.sources.values(),
    ):
        assert html.escape(str(text)) in sources, text
    from landuse import __version__

    assert __version__ in sources
    # File names and their checksums, never the analyst's local folders.
    assert sample.workspace.source not in sources
    assert str(sample.rules.path) not in sources
    import hashlib

    counties = Path(sample.workspace.source) / "县区.shp"
    digest = hashlib.sha256()
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        part = counties.with_suffix(suffix)
        if part.exists():
            digest.update(part.read_bytes())
    assert f"<td>县区.shp</td><td>{digest.hexdigest()[:12]}</td>" in sources
    gpkg = hashlib.sha256((Path(sample.workspace.source) / "批次.gpkg").read_bytes()).hexdigest()
    assert f"<td>批次.gpkg:批次</td><td>{gpkg[:12]}</td>" in sources


def test_problems_section_lists_only_what_may_bear_on_a_verdict(sample):
    from landuse.output.report import _problems

    # The sample's one problem is a warning (the idle ledger's header row): counted, not listed.
    assert set(sample.problems["severity"]) == {"warning"}
    section = _problems(sample, "zh", 30)
    assert "没有影响考核结论的错误" in section
    assert "<th>要素</th>" not in section
    errors = sample.problems.assign(severity="error", feature_id="B-出错")
    listed = _problems(dataclasses.replace(sample, problems=errors), "zh", 30)
    assert "B-出错" in listed
    assert "<th>要素</th>" in listed


def test_headline_figures(sample, page):
    h = headline(sample)
    awarded = int((sample.counties["outcome"] == "award").sum())
    assert (h["award"], h["penalty"]) == (awarded, 11 - awarded)
    assert h["idle_ha"] == pytest.approx(sample.idle["area_ha"].sum())
    assert h["candidates_n"] == len(sample.candidates)
    assert sum(n for n, _ in h["candidates_by_kind"].values()) == len(sample.candidates)
    summary = re.search(r'<section id="summary".*?</section>', page, re.S).group(0)
    assert f"{h['stock_ha']:,.2f} 公顷" in summary
    assert f"{h['stock_ha'] * MU_PER_HA:,.1f} 亩" in summary


def test_data_is_escaped_everywhere(hostile, tmp_path):
    paths = write_report(hostile, tmp_path, dpi=50)
    page = paths["html"].read_text(encoding="utf-8")
    assert XSS not in page
    assert "<script>alert(2)" not in page
    assert html.escape(XSS) in page
    assert "西平县&quot;&#x27;&amp;" in page
    # Inside the embedded map, the data is escaped once more than the map itself.
    embedded = _map_document(page)
    assert XSS not in embedded
    assert "<script>alert" not in embedded
    # The workbook keeps the text as text.
    book = openpyxl.load_workbook(paths["xlsx"])
    assert XSS in [c.value for c in book["闲置土地整改工作台账"]["C"]]


def test_english_page(sample):
    page = report_html(sample, lang="en")
    assert '<html lang="en">' in page
    assert "County results" in page
    assert "Rules and data sources" in page
    assert "县区考核结果" not in page
    assert "static sketch" in page  # no map given: the SVG stands in


# --- PNG ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["outcome_png", "progress_png"])
def test_pngs_are_16_by_9(report, key):
    from PIL import Image

    with Image.open(report[1][key]) as im:
        width, height = im.size
    assert im.format == "PNG"
    assert width / height == pytest.approx(16 / 9, rel=0.01)
    assert width >= 1500


def test_cjk_font_is_found_or_the_error_says_how_to_get_one(monkeypatch):
    from matplotlib import font_manager

    from landuse.output import figures

    family = figures.cjk_font()
    assert family in figures.CJK_FAMILIES
    try:
        figures.cjk_font.cache_clear()
        monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
        monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
        # No system font: the font of the noto-cjk-sans-otc dependency still renders Chinese.
        assert figures.cjk_font() in figures.CJK_FAMILIES
        figures.cjk_font.cache_clear()
        monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
        monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)
        with pytest.raises(LanduseError, match="fonts-noto-cjk"):
            figures.cjk_font()
    finally:
        monkeypatch.undo()
        figures.cjk_font.cache_clear()
    assert figures.cjk_font() == family


def test_progress_chart_for_one_county(sample):
    from landuse.campaigns.zengcun.progress import quarterly_progress
    from landuse.output.figures import figure_png, progress_figure

    q = quarterly_progress(sample.workspace, sample.rules, as_of=sample.as_of)
    fig = progress_figure(q, sample.rules, county="泌阳县")
    assert fig.texts[0].get_text().startswith("泌阳县")
    assert figure_png(fig, dpi=40)[:8] == b"\x89PNG\r\n\x1a\n"


def test_relative_out_dir_is_created(sample, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = write_report(sample, Path("a") / "b", dpi=40)
    assert paths["html"] == Path("a/b/index.html")
    assert paths["html"].exists()
