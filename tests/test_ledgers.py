"""The XLSX ledgers as an analyst's Excel or LibreOffice opens and prints them.

The workbooks are written by :mod:`landuse.output.ledgers` (XlsxWriter) and read back
with openpyxl: cell values and types, totals as ``SUBTOTAL`` formulas with
cached values, no formula from data, page set-up, fonts and row heights. The
last tests print every sheet through LibreOffice (headless) to PDF and PNG
pages; they skip without LibreOffice, except under ``CI``, where they fail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import os
import re
import shutil
import subprocess
import zipfile
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from landuse import load_workspace
from landuse.campaigns.zengcun.assessment import assess
from landuse.output.ledgers import (
    _HEADER_ROW,
    _LINE_PT,
    FONT,
    SHEETS,
    Ledgers,
    _Col,
    _Sheet,
    _write_workbook,
    ledgers_workbook,
    sliver_ha,
    workbook_bytes,
    write_ledgers,
)

AS_OF = dt.date(2018, 12, 31)


@pytest.fixture(scope="module")
def sample():
    return assess(load_workspace(), "zhumadian-2018", "2018-12-31", raster=False)


@pytest.fixture(scope="module")
def xlsx(sample) -> bytes:
    return workbook_bytes(ledgers_workbook(sample))


@pytest.fixture(scope="module")
def formulas(xlsx):
    return openpyxl.load_workbook(io.BytesIO(xlsx))


@pytest.fixture(scope="module")
def values(xlsx):
    return openpyxl.load_workbook(io.BytesIO(xlsx), data_only=True)


def _table(ws) -> tuple[list[str], list[tuple]]:
    rows = list(ws.iter_rows(min_row=_HEADER_ROW, values_only=True))
    return list(rows[0]), rows[1:]


def _column(ws, header: str) -> int:
    heads = [c.value for c in ws[_HEADER_ROW]]
    return heads.index(header) + 1


# --- one sheet of awkward values ----------------------------------------------------------------
COLUMNS = [
    _Col("序号", "No.", "int", "_n"),
    _Col("文本", "Text", "text", "text"),
    _Col("面积", "Area", "ha", "ha", "sum"),
    _Col("日期", "Date", "date", "date"),
    _Col("是否", "Flag", "bool", "flag"),
    _Col("杂项", "Mixed", "text", "mixed"),
]
TEXTS = [
    "驻马店市驿城区",
    None,
    '=HYPERLINK("http://x/?"&A1,"点击")',
    "=cmd|' /C calc'!A0",
    "+1",
    "-12.5",
    "-A1+1",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "bell\x07 and NUL\x00",
    "长" * 41,
    "<b>&amp;</b>",
]


def awkward() -> pd.DataFrame:
    n = len(TEXTS)
    ha = np.arange(n, dtype=float) + 0.25
    ha[1] = np.nan
    ha[2] = np.inf
    return pd.DataFrame({
        "_n": np.arange(1, n + 1),
        "text": pd.array(TEXTS, dtype="string"),
        "ha": ha,
        "date": pd.to_datetime(["2018-12-31", None, "2009-01-01 13:45", *["2017-06-30"] * (n - 3)],
                               format="ISO8601"),
        "flag": pd.array([True, False, None, *[True] * (n - 3)], dtype="boolean"),
        "mixed": np.array(["文字", np.int64(7), np.float64(2.5), None, *["=1+1"] * (n - 4)],
                          dtype=object),
    })


def one_sheet(frame: pd.DataFrame, *, group: str | None = None) -> openpyxl.Workbook:
    book = Ledgers([_Sheet("detail", "表", "标题", COLUMNS, frame, "zh", ["注"], group=group)],
                   "规则　截至 2018-12-31", "t", "landuse")
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(book)))


# Text XlsxWriter escapes or marks in its own way: each goes the library's own path.
EDGES = [
    "  leading space",
    "trailing space ",
    "\u3000全角空格",
    "_x0041_ looks like an escape",
    "<r>rich</r>",
    "two\nlines",
    '"quoted" & <tag>',
    "not a character \ufffe",
    "\U0001F600" * 20_000,  # 40 000 UTF-16 units: XlsxWriter cuts it
    "",
    None,
    "驻马店市驿城区",
    "\rCR",
]


def _parts(book: Ledgers, *, per_cell: bool) -> dict[str, bytes]:
    buf = io.BytesIO()
    _write_workbook(book, buf, per_cell=per_cell)
    with zipfile.ZipFile(buf) as z:  # core.xml holds the time of writing
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_rows_written_at_once_are_byte_for_byte_what_xlsxwriter_writes_cell_by_cell(sample):
    edges = awkward().assign(text=pd.array(EDGES, dtype="string"))
    books = [
        ledgers_workbook(sample),
        ledgers_workbook(sample, lang="en"),
        Ledgers([_Sheet("detail", "表", "标题", COLUMNS, edges, "zh", ["注"], group="flag"),
                 _Sheet("detail", "空", "标题", COLUMNS, edges.iloc[:0], "zh", ["注"])],
                "规则", "t", "landuse"),
    ]
    for book in books:
        fast, reference = _parts(book, per_cell=False), _parts(book, per_cell=True)
        assert list(fast) == list(reference)
        for name in reference:
            assert fast[name] == reference[name], name
    sheet = fast["xl/worksheets/sheet1.xml"].decode()
    assert '<t xml:space="preserve">  leading space</t>' in sheet
    assert "_x005F_x0041_ looks like an escape" in sheet
    assert "<is><r>rich</r></is>" in sheet
    assert '>"quoted" &amp; &lt;tag&gt;</t>' in sheet


def test_text_that_would_run_is_written_as_text_with_a_quote():
    ws = one_sheet(awkward())["表"]
    got = [ws.cell(_HEADER_ROW + 1 + i, 2).value for i in range(len(TEXTS))]
    assert got[0] == "驻马店市驿城区"
    assert got[1] is None
    assert got[2] == "'" + TEXTS[2]
    assert got[3] == "'" + TEXTS[3]
    assert got[4] == "'+1"
    assert got[5] == "-12.5"  # a number, as text: cannot run
    assert got[6] == "'-A1+1"
    assert got[7] == "'@SUM(A1)"
    assert got[8] == "'\tTAB"
    assert got[9] in ("'\rCR", "'_x000D_CR")  # XLSX's own escape of a carriage return
    assert got[10] == "bell and NUL"  # control characters removed
    assert got[12] == "<b>&amp;</b>"
    mixed = [ws.cell(_HEADER_ROW + 1 + i, 6).value for i in range(4)]
    assert mixed == ["文字", 7, 2.5, None]  # numbers in a text column stay numbers
    assert ws.cell(_HEADER_ROW + 5, 6).value == "'=1+1"
    # the only formula: the total
    formulas = [(c.coordinate, c.value) for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    last = _HEADER_ROW + len(TEXTS) + 1
    assert formulas == [(f"C{last}", f"=SUBTOTAL(9,C{_HEADER_ROW + 1}:C{last - 1})")]


def test_values_types_and_cached_total():
    frame = awkward()
    ws = one_sheet(frame)["表"]
    row = _HEADER_ROW + 1
    assert ws.cell(row, 1).value == 1
    assert ws.cell(row, 3).value == 0.25
    assert ws.cell(row + 1, 3).value is None  # NaN
    assert ws.cell(row + 2, 3).value is None  # inf
    assert ws.cell(row, 4).value == dt.datetime(2018, 12, 31)
    assert ws.cell(row + 2, 4).value == dt.datetime(2009, 1, 1)  # the day, not the hour
    assert ws.cell(row, 4).number_format == "yyyy-mm-dd"
    assert ws.cell(row, 3).number_format == "#,##0.00"
    assert [ws.cell(row + i, 5).value for i in range(3)] == ["是", "否", None]
    cached = openpyxl.load_workbook(io.BytesIO(workbook_bytes(Ledgers(
        [_Sheet("detail", "表", "标题", COLUMNS, frame, "zh", ["注"])], "f", "t", "c"))),
        data_only=True)["表"]
    total = cached.cell(_HEADER_ROW + len(TEXTS) + 1, 3).value
    finite = frame["ha"][np.isfinite(frame["ha"])]
    assert total == pytest.approx(finite.sum())
    assert cached.cell(_HEADER_ROW + len(TEXTS) + 1, 2).value == "合计"


def test_long_text_wraps_and_its_row_is_tall_enough():
    ws = one_sheet(awkward())["表"]
    long_row = _HEADER_ROW + 12  # "长" * 41: 82 wide
    cell = ws.cell(long_row, 2)
    assert cell.alignment.wrap_text
    width = ws.column_dimensions["B"].width
    lines = math.ceil(82 / (width - 1.5))
    assert lines >= 2
    assert ws.row_dimensions[long_row].height >= lines * _LINE_PT
    one_line = ws.row_dimensions[_HEADER_ROW + 1].height
    assert one_line is None or one_line == pytest.approx(_LINE_PT + 4, abs=0.5)


def test_subtotals_after_each_group():
    frame = awkward().iloc[:6].assign(_kind=["甲", "甲", "乙", "乙", "乙", "丙"], ha=[1.0, 2, 4, 8,
                                                                                   16, 32])
    book = Ledgers([_Sheet("candidates", "表", "标题", COLUMNS, frame, "zh", ["注"],
                           group="_kind")], "f", "t", "c")
    data = workbook_bytes(book)
    ws = openpyxl.load_workbook(io.BytesIO(data))["表"]
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["表"]
    labels = [ws.cell(r, 2).value for r in range(_HEADER_ROW + 1, _HEADER_ROW + 11)]
    # rows: 2 of 甲, subtotal, 3 of 乙, subtotal, 1 of 丙, subtotal, total
    assert [i for i, v in enumerate(labels) if isinstance(v, str) and v.startswith("小计")] == \
        [2, 6, 8]
    assert labels[9] == "合计"
    sub = [cached.cell(_HEADER_ROW + 1 + i, 3).value for i in (2, 6, 8, 9)]
    assert sub == [3.0, 28.0, 32.0, 63.0]
    assert ws.cell(_HEADER_ROW + 3, 3).value == "=SUBTOTAL(9,C4:C5)"
    assert ws.cell(_HEADER_ROW + 10, 3).value == "=SUBTOTAL(9,C4:C12)"


# --- the sample's workbook ----------------------------------------------------------------------
def test_sheets_and_their_order(formulas):
    assert formulas.sheetnames == [zh for zh, _ in SHEETS.values()]


def test_no_formula_but_the_totals(formulas):
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    label = ws.cell(c.row, 2).value
                    assert label == "合计" or label.startswith("小计"), (ws.title, c.coordinate)
                    assert re.fullmatch(r'=SUBTOTAL\(9,[A-Z]+\d+:[A-Z]+\d+\)|=IF\(.*\)', c.value)
                elif isinstance(c.value, str):
                    assert not c.value.startswith(("=", "+", "@", "\t", "\r")), c.coordinate


def test_one_font_throughout(formulas):
    for ws in formulas.worksheets:
        for row in ws.iter_rows(max_row=min(ws.max_row, 60)):
            for c in row:
                if c.value is not None:
                    assert c.font.name == FONT, (ws.title, c.coordinate)
    assert formulas["批而未供情况明细表"]["A1"].font.sz == 14


def test_page_setup_for_filing(formulas, sample):
    for ws in formulas.worksheets:
        ps = ws.page_setup
        assert ps.orientation == "landscape"
        assert ws.print_title_rows == f"${_HEADER_ROW}:${_HEADER_ROW}"
        assert ws.page_margins.left == pytest.approx(0.4)
        assert ws.page_margins.bottom == pytest.approx(0.7)
        footer = ws.oddFooter
        assert sample.rules.name in footer.left.text
        assert "截至 2018-12-31" in footer.left.text
        assert "zhumadian" in footer.left.text  # the data source
        assert "&P" in footer.right.text
        assert "&N" in footer.right.text
        if ws.sheet_properties.pageSetUpPr.fitToPage:
            assert (ps.fitToWidth in (None, 1))
            assert ps.fitToHeight == 0
        else:
            # too wide for one page: printed at 75 %, key columns repeated on every page
            assert ps.scale == 75
            assert ws.print_title_cols == "$A:$C"
    # the notice's wide attachments on A3, the county summary on A4
    assert formulas["批而未供情况明细表"].page_setup.paperSize == 8
    assert formulas["闲置土地整改工作台账"].page_setup.paperSize == 8
    assert formulas["批而未供情况统计表"].page_setup.paperSize == 9
    assert formulas["县区考核"].print_title_cols == "$A:$C"


def test_totals_are_subtotals_with_cached_values(formulas, values, sample):
    ws, wv = formulas["批而未供情况统计表"], values["批而未供情况统计表"]
    last = ws.max_row
    col = _column(ws, "未供面积(公顷)")
    letter = openpyxl.utils.get_column_letter(col)
    assert ws.cell(last, col).value == f"=SUBTOTAL(9,{letter}4:{letter}{last - 1})"
    stats = sum(wv.cell(r, col).value for r in range(_HEADER_ROW + 1, last))
    assert wv.cell(last, col).value == pytest.approx(stats)
    rate = ws.cell(last, _column(ws, "供地率")).value
    assert rate.startswith("=IF(")
    b = sample.batches[sample.batches["approval_date"].between("2009-01-01", "2017-12-31")]
    assert wv.cell(last, _column(ws, "供地率")).value == pytest.approx(
        b["supplied_ha"].sum() / (b["approved_ha"].sum() - b["revoked_ha"].sum()))


def test_candidates_subtotalled_per_kind(values, sample):
    heads, rows = _table(values["核查清单"])
    from landuse.analysis.approvals import KIND_LABELS

    kinds = {KIND_LABELS[k][0]: k for k in sample.candidates["kind"].unique()}
    subs = {r[1].removeprefix("小计："): r[heads.index("面积(公顷)")] for r in rows
            if isinstance(r[1], str) and r[1].startswith("小计：")}
    by_kind = sample.candidates.groupby("kind")["area_ha"].sum()
    assert set(subs) == set(kinds)
    for zh, code in kinds.items():
        assert subs[zh] == pytest.approx(by_kind[code])
    assert rows[-1][1] == "合计"
    assert rows[-1][heads.index("面积(公顷)")] == pytest.approx(by_kind.sum())


def test_detail_lists_unsupplied_batches_only(values, sample):
    heads, rows = _table(values["批而未供情况明细表"])
    body = rows[:-1]
    unsupplied = [r[heads.index("未供面积(公顷)")] for r in body]
    assert min(unsupplied) >= 0.01
    b = sample.batches[sample.batches["approval_date"].between("2009-01-01", "2017-12-31")]
    assert len(body) == (b["unsupplied_ha"] >= 0.01).sum() == 159
    every = _table(values["批次供地情况全表"])[1][:-1]
    assert len(every) == len(b) == 344
    assert "批次供地情况全表" in values["批而未供情况明细表"]["A2"].value


def test_idle_ledger_shows_nothing_after_the_as_of_date(values, sample):
    ws = values["闲置土地整改工作台账"]
    heads, rows = _table(ws)
    body = rows[:-1]
    dates = [r[heads.index("处置日期")] for r in body if r[heads.index("处置日期")] is not None]
    assert dates
    assert max(dates) <= dt.datetime(2018, 12, 31)
    later = sample.idle["disposal_date"] > pd.Timestamp(AS_OF)
    assert later.sum() == 14
    by_id = {r[heads.index("闲置编号")]: r for r in body}
    for idle_id in sample.idle.loc[later, "idle_id"]:
        row = by_id[idle_id]
        assert row[heads.index("处置方式")] is None
        assert row[heads.index("处置日期")] is None
        assert row[heads.index("状态")].startswith("未处置")


def test_empty_columns_left_out_and_the_fee_filled_from_the_price(values, sample):
    heads, rows = _table(values["闲置土地整改工作台账"])
    assert "项目名称" not in heads
    assert "土地使用权人" not in heads
    fee = heads.index("土地闲置费(万元)")
    idle = sample.idle.set_index("idle_id")
    collected = {r[heads.index("闲置编号")]: r[fee] for r in rows[:-1] if r[fee] is not None}
    # the parcels whose fee was collected by the as-of date: 20 % of the land price
    expected = idle[(idle["disposal"] == "征缴土地闲置费")
                    & (idle["disposal_date"] <= pd.Timestamp(AS_OF))]
    assert len(expected) == len(collected) == 5
    for idle_id, value in collected.items():
        assert value == pytest.approx(idle.loc[idle_id, "land_price_wan"] * 0.20)
    assert rows[-1][fee] == pytest.approx(sum(collected.values()))
    cand = _table(values["核查清单"])[0]
    assert "土地闲置费(万元)" not in cand
    assert "项目名称" not in cand


def test_data_text_that_would_run_and_control_characters_in_the_sample(sample, tmp_path):
    b = sample.batches.copy()
    b["batch_name"] = b["batch_name"].astype("object")
    first = b.index[b["unsupplied_ha"] >= 0.01][:3]
    b.loc[first[0], "batch_name"] = '=HYPERLINK("http://x/?"&A1,"点击")'
    b.loc[first[1], "batch_name"] = "驿城区\x07批次\x1b"
    b.loc[first[2], "batch_name"] = "@cmd"
    hostile = dataclasses.replace(sample, batches=b)
    path = write_ledgers(hostile, tmp_path / "l.xlsx")
    book = openpyxl.load_workbook(path)
    names = [c.value for c in book["批而未供情况明细表"]["D"]]
    assert "'=HYPERLINK(\"http://x/?\"&A1,\"点击\")" in names
    assert "驿城区批次" in names
    assert "'@cmd" in names
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert c.value.startswith(("=SUBTOTAL(", "=IF(")), (ws.title, c.value)
    heads, rows = _table(book["数据问题"])
    notes = [r for r in rows if r[heads.index("图层")] == "台账"]
    # one entry for each sheet listing the batch names: 附件2 and the full list
    assert [r[heads.index("字段")] for r in notes] == ["批次名称", "批次名称"]
    assert "1 个单元格含控制字符（U+0007 U+001B）" in notes[0][heads.index("说明")]
    assert "批而未供情况明细表" in notes[0][heads.index("说明")]


def test_sliver_tolerance_from_the_rule_set(sample):
    assert sliver_ha(sample.rules) == 0.01 or hasattr(sample.rules, "supply")
    rules = SimpleNamespace(supply=SimpleNamespace(sliver_ha=1.0))
    assert sliver_ha(rules) == 1.0
    wider = dataclasses.replace(sample, rules=_with_supply(sample.rules, 1.0))
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(ledgers_workbook(wider))),
                                  data_only=True)
    _heads, rows = _table(book["批而未供情况明细表"])
    b = sample.batches[sample.batches["approval_date"].between("2009-01-01", "2017-12-31")]
    assert len(rows) - 1 == (b["unsupplied_ha"] >= 1.0).sum()


def _with_supply(rules, sliver: float):
    """The rule set with ``supply.sliver_ha`` (however the rule set holds it)."""
    supply = getattr(rules, "supply", None)
    if supply is not None and dataclasses.is_dataclass(supply):
        return dataclasses.replace(rules, supply=dataclasses.replace(supply, sliver_ha=sliver))

    class Rules:
        def __getattr__(self, name):
            return getattr(rules, name)

    proxy = Rules()
    proxy.supply = SimpleNamespace(sliver_ha=sliver)
    return proxy


def test_english_workbook(sample, tmp_path):
    path = write_ledgers(sample, tmp_path / "l.xlsx", lang="en")
    book = openpyxl.load_workbook(path, data_only=True)
    assert book.sheetnames == [en for _, en in SHEETS.values()]
    ws = book["Field-check candidates"]
    labels = [c.value for c in ws["B"] if isinstance(c.value, str)]
    assert "Subtotal: lapse" in labels or any(v.startswith("Subtotal:") for v in labels)
    assert "Page &P of &N" in book.worksheets[0].oddFooter.right.text


# --- printed through LibreOffice ----------------------------------------------------------------
def _soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe and shutil.which("pdftotext") and shutil.which("pdftoppm"):
        return exe
    reason = "LibreOffice (libreoffice-calc) and poppler-utils are needed to print the ledgers"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: .ci/run installs them)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def printed(xlsx, tmp_path_factory):
    """The sample's ledgers and a calibration sheet, printed to PDF by LibreOffice."""
    exe = _soffice()
    out = tmp_path_factory.mktemp("printed")
    (out / "ledgers.xlsx").write_bytes(xlsx)
    # calibration: one 10 pt cell printed at 100 %
    frame = pd.DataFrame({"_n": [1], "text": ["序号"], "ha": [1.0]})
    cols = [_Col("序号", "No.", "int", "_n"), _Col("文本", "Text", "text", "text")]
    Ledgers([_Sheet("statistics", "表", "标题", cols, frame, "zh", ["注"], totals=False)],
            "f", "t", "c").save(out / "scale.xlsx")
    subprocess.run(
        [exe, "--headless", "--norestore", f"-env:UserInstallation=file://{out}/profile",
         "--convert-to", "pdf", "--outdir", str(out), str(out / "ledgers.xlsx"),
         str(out / "scale.xlsx")],
        check=True, capture_output=True, timeout=300,
    )
    return out


def _words(pdf, page: int) -> list[tuple[str, float]]:
    """The words of a PDF page, each with its height (points)."""
    xml = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
                         check=True, capture_output=True, text=True).stdout
    return [
        (m.group(3), float(m.group(2)) - float(m.group(1)))
        for m in re.finditer(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', xml)
    ]


def _pages(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_every_sheet_printed_readably(printed):
    pdf = printed / "ledgers.pdf"
    # 10 pt at 100 %: the height pdftotext gives a word of this font at 10 pt
    ten_pt = max(h for w, h in _words(printed / "scale.pdf", 1) if w == "序号")
    pages = _pages(pdf)
    assert 7 <= pages <= 60
    titles = {
        "批而未供情况明细表": "附件2",
        "批而未供情况统计表": "附件3",
        "闲置土地整改工作台账": "附件4",
        "县区考核": "县区考核结果",
        "核查清单": "核查清单",
        "批次供地情况全表": "全部批次",
        "数据问题": "数据问题清单",
    }
    found = set()
    for page in range(1, pages + 1):
        words = _words(pdf, page)
        text = "".join(w for w, _ in words)
        found |= {sheet for sheet, title in titles.items() if title in text}
        assert "第" in text
        assert f"共{pages}页" in text.replace(" ", "")
        assert "截至2018-12-31" in text.replace(" ", "")  # the footer's as-of date
        smallest = min(h for _, h in words) / ten_pt * 10
        assert smallest >= 7.0, (page, smallest)  # no type under 7 pt on paper
    assert found == set(titles)


def test_wrapped_text_shown_whole_when_printed(printed, sample):
    pdf = printed / "ledgers.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.replace("\n", "").replace(" ", "")
    # the reasons of the candidate list wrap onto two or three lines: every one is there whole
    for reason in sample.candidates["reason"].dropna().unique()[:10]:
        assert reason.replace(" ", "") in text


def test_pages_render_to_images(printed, tmp_path):
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "3",
                    str(printed / "ledgers.pdf"), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == 3
    from PIL import Image

    with Image.open(images[0]) as im:
        width, height = im.size
    assert width / height == pytest.approx(420 / 297, rel=0.02)  # A3 landscape
