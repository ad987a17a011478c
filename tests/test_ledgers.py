"""The XLSX ledgers written a column at a time are the files openpyxl writes a cell at a time.

:func:`landuse.output.ledgers.ledgers_workbook` converts each column at once and, with
``cells=False`` (the report's way), writes the data rows straight into the
sheet's XML. These tests hold both ways to a reference: the one-cell-at-a-time
writer the module had before (below), through openpyxl, on awkward values.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.exceptions import IllegalCharacterError

from landuse import load_workspace
from landuse.campaigns.zengcun.assessment import assess
from landuse.output.ledgers import (
    _FORMATS,
    _HEADER_ROW,
    _WORDS,
    _cell,
    _Col,
    _deferring_workbook,
    _sheet,
    _values,
    _width,
    ledgers_workbook,
    workbook_bytes,
    write_ledgers,
)


@pytest.fixture(scope="module")
def sample():
    return assess(load_workspace(), "zhumadian-2018", "2018-12-31", raster=False)


def reference_rows(ws, columns: list[_Col], frame: pd.DataFrame, lang: str) -> list[int]:
    """The data rows as the module wrote them before: one openpyxl cell at a time."""
    from openpyxl.styles import Alignment, Border, Side

    words = _WORDS[lang]
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    widths = [0] * len(columns)
    data = [_values(col, frame).to_numpy(dtype=object) for col in columns]
    for i in range(len(frame)):
        r = _HEADER_ROW + 1 + i
        for j, col in enumerate(columns, start=1):
            value = _cell(data[j - 1][i], col.kind, words)
            c = ws.cell(row=r, column=j, value=value)
            c.number_format = (
                _FORMATS[col.kind] if value is not None or col.kind != "text" else "General"
            )
            c.border = border
            if col.kind == "text" and isinstance(value, str) and len(value) > 40:
                c.alignment = Alignment(wrap_text=True, vertical="top")
            widths[j - 1] = max(widths[j - 1], _width(value))
    return widths


def sheet_xml(data: bytes) -> dict[str, str]:
    """Each part of an XLSX file, as text; the creation time left out."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {
            name: re.sub(r"\d{4}-\d\d-\d\dT[\d:]+Z", "", z.read(name).decode("utf-8"))
            for name in z.namelist()
        }


COLUMNS = [
    _Col("序号", "No.", "int", "n"),
    _Col("文本", "Text", "text", "text"),
    _Col("面积", "Area", "ha", "ha", "sum"),
    _Col("率", "Rate", "rate", "rate"),
    _Col("日期", "Date", "date", "date"),
    _Col("是否", "Flag", "bool", "flag"),
    _Col("杂项", "Mixed", "text", "mixed"),
    _Col("年限", "Years", "years", lambda f: f["ha"] * 2),
    _Col("缺", "Missing", "text", "no such column"),
]
TEXTS = [
    "驻马店市驿城区",
    None,
    "",
    "  leading and trailing  ",
    "　全角空格　",
    "   ",
    "<b>&amp;</b> > <",
    "=SUM(A1:A3)",
    "=",
    "#N/A",
    "#n/a",
    "长" * 41,
    "x" * 40,
    "😀 emoji 表情",
    "tab\tand\nnewline",
]


def awkward_frame() -> pd.DataFrame:
    n = len(TEXTS)
    rng = np.random.default_rng(5)
    ha = rng.random(n) * 10.0 ** rng.integers(-6, 9, n)
    ha[[1, 4]] = np.nan
    ha[2] = np.inf
    ha[3] = -1234567.891
    ha[5] = -0.0
    ha[6] = 0.1 + 0.2  # "%.16g" and repr differ
    dates = pd.to_datetime(
        ["2018-12-31", None, "1900-01-15", "1900-03-01", "2009-01-01 13:45", *["2017-06-30"] * (n - 5)],
        format="ISO8601",
    )
    mixed = np.array(
        ["文字", np.int64(7), np.float64(2.5), np.bool_(True), None, 3, *["x"] * (n - 6)], dtype=object
    )
    return pd.DataFrame(
        {
            "n": np.arange(1, n + 1),
            "text": pd.array(TEXTS, dtype="string"),
            "ha": ha,
            "rate": np.linspace(0, 1, n),
            "date": dates,
            "flag": pd.array([True, False, None, *[True] * (n - 3)], dtype="boolean"),
            "mixed": mixed,
        },
        index=np.arange(100, 100 + n),
    )


def build(frame: pd.DataFrame, how: str, lang: str = "zh") -> bytes:
    """One ledger sheet of ``frame``, written the reference way or the module's (cells on or off)."""
    wb = _deferring_workbook()() if how == "xml" else openpyxl.Workbook()
    wb.remove(wb.active)
    columns = COLUMNS
    if how == "reference":
        # the module's sheet with no rows, then the rows one cell at a time, as before
        ws = _sheet(wb, "表", "标题", ["注"], columns, frame.iloc[0:0], lang)
        widths = reference_rows(ws, columns, frame, lang)
        from openpyxl.utils import get_column_letter

        for j, w in enumerate(widths, start=1):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width,
                                                     min(max(w + 2, 6), 48))
        ws.auto_filter.ref = f"A{_HEADER_ROW}:I{_HEADER_ROW + len(frame)}"
    else:
        _sheet(wb, "表", "标题", ["注"], columns, frame, lang)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("how", ["cells", "xml"])
def test_awkward_values_as_openpyxl_writes_them_one_by_one(how):
    frame = awkward_frame()
    expected = sheet_xml(build(frame, "reference"))
    got = sheet_xml(build(frame, how))
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name] == expected[name], name


def test_awkward_values_read_back():
    book = openpyxl.load_workbook(io.BytesIO(build(awkward_frame(), "xml")))
    ws = book["表"]
    row = _HEADER_ROW + 1
    texts = [ws.cell(row + i, 2).value for i in range(len(TEXTS))]
    assert texts[0] == "驻马店市驿城区"
    assert texts[1] is None
    assert texts[3] == "  leading and trailing  "
    assert texts[6] == "<b>&amp;</b> > <"
    assert texts[13] == "😀 emoji 表情"
    assert ws.cell(row, 5).value == dt.datetime(2018, 12, 31)
    assert ws.cell(row + 4, 5).value == dt.datetime(2009, 1, 1)
    assert ws.cell(row + 6, 3).value == float("%.16g" % (0.1 + 0.2))
    assert ws.cell(row, 6).value == "是"
    assert ws.cell(row + 2, 6).value is None
    assert ws.cell(row + 1, 7).value == 7  # a numpy integer in a text column stays a number
    assert ws.cell(row + 11, 2).alignment.wrap_text
    assert not ws.cell(row + 12, 2).alignment.wrap_text
    assert ws.cell(row + 1, 2).number_format == "General"
    assert ws.cell(row, 2).number_format == "@"
    assert ws.column_dimensions["B"].width == 48  # 41 wide characters


def test_control_characters_refused_as_openpyxl_does():
    frame = awkward_frame()
    frame.loc[frame.index[0], "text"] = "bell\x07"
    for how in ("cells", "xml"):
        with pytest.raises(IllegalCharacterError):
            build(frame, how)


def test_no_rows():
    frame = awkward_frame().iloc[0:0]
    xml = sheet_xml(build(frame, "xml"))["xl/worksheets/sheet1.xml"]
    assert '<row r="4"' not in xml
    assert '<dimension ref="A1:I3"' in xml


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sample_ledgers_the_same_either_way(sample, lang):
    with_cells = sheet_xml(workbook_bytes(ledgers_workbook(sample, lang=lang)))
    from_xml = sheet_xml(workbook_bytes(ledgers_workbook(sample, lang=lang, cells=False)))
    assert with_cells.keys() == from_xml.keys()
    for name in with_cells:
        assert from_xml[name] == with_cells[name], name


def test_deferred_workbook_saves_its_rows_to_a_path(sample, tmp_path):
    wb = ledgers_workbook(sample, cells=False)
    wb.save(tmp_path / "a.xlsx")
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    sheet = book.worksheets[0]
    assert sheet.max_row > _HEADER_ROW + 10
    assert [sheet.cell(_HEADER_ROW + i, 1).value for i in (1, 2, 3)] == [1, 2, 3]
    path = write_ledgers(sample, tmp_path / "b.xlsx")
    assert sheet_xml(path.read_bytes()) == sheet_xml((tmp_path / "a.xlsx").read_bytes())
