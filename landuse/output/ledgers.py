"""The XLSX ledgers in the layout of the notice's attachments, ready to print and file.

驻政办〔2018〕163号 asks the counties for three ledgers: the per-batch detail
of unsupplied land (附件2 批而未供情况明细表), the county summary (附件3
批而未供情况统计表) and the idle-land rectification ledger (附件4
闲置土地整改工作台账, "一宗一策": each parcel with its basic data, cause,
measure, deadline and responsible unit). :func:`ledgers_workbook` builds
them from an :class:`~landuse.campaigns.zengcun.assessment.Assessment`, with the county
assessment, the field-check candidates (subtotalled per kind), every batch of
the period and the data problems as further sheets, and :func:`write_ledgers`
writes them with XlsxWriter (the writer pandas uses), row by row in its
``constant_memory`` mode, the data rows a run at a time with the XML XlsxWriter
writes cell by cell (:func:`_sheet_class`: a province's 1.2 million cells in ~3 s
of CPU instead of ~12 s).

Each sheet has a title row, the as-of date and units, a frozen header row with
the units in the headers, number formats, column widths and row heights that
show wrapped text in Excel and LibreOffice alike, a filter, and totals that are
``SUBTOTAL`` formulas over the rows (their values cached, for viewers that do
not recalculate). One sans CJK font (:data:`FONT`) throughout. Print set-up:
landscape, A3 for the wide attachments, margins, the header row and key
columns repeated on every page, never smaller than 7.5 pt type on paper, a
footer with the rule set, the as-of date, the data source and page numbers.

Text from the data never runs: a cell that Excel would read as a formula
(starting with ``=``, ``+``, ``-`` not a number, ``@``, tab or CR) is written as
text with a leading ``'``, control characters are removed and counted in the
数据问题 sheet; the totals are the workbook's only formulas.

(Over 800 lines: the writer and the seven sheets' column lists, one per attachment; the
writer half can become its own module in the layout move.)
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pandas as pd

from landuse.io.files import write_bytes
from landuse.model.units import MU_PER_HA
from landuse.output._lang import words as lang_words

if TYPE_CHECKING:
    from landuse.campaigns.zengcun.assessment import Assessment

__all__ = [
    "FONT",
    "SHEETS",
    "Ledgers",
    "county_statistics",
    "ledgers_workbook",
    "sliver_ha",
    "statistics_scope",
    "workbook_bytes",
    "write_ledgers",
]

#: Sheet names, Chinese and English, in workbook order.
SHEETS = {
    "detail": ("批而未供情况明细表", "Unsupplied land by batch"),
    "statistics": ("批而未供情况统计表", "Unsupplied land by county"),
    "idle": ("闲置土地整改工作台账", "Idle land rectification"),
    "counties": ("县区考核", "County assessment"),
    "candidates": ("核查清单", "Field-check candidates"),
    "batches": ("批次供地情况全表", "All batches of the period"),
    "problems": ("数据问题", "Data problems"),
}

#: The one font of every cell, title and footer: a sans CJK face (fonts-noto-cjk on Debian).
FONT = "Noto Sans CJK SC"

_FORMATS = {
    "ha": "#,##0.00",
    "mu": "#,##0.0",
    "rate": "0.0%",
    "date": "yyyy-mm-dd",
    "int": "0",
    "years": "0.0",
    "wan": "#,##0.00",
    "share": "0%",
    "text": "@",
    "bool": "General",
}
_HEADER_ROW = 3  # 1-based, as Excel shows it
_BODY_PT = 10
_TITLE_PT = 14
# One line of 10 pt Noto Sans CJK: its ascent and descent take 1.45 em.
_LINE_PT = 14.5
_ROW_PAD_PT = 4.0
# Print no smaller than 75 %: 10 pt type is 7.5 pt on paper.
_MIN_SCALE = 0.75
# Landscape printable widths (points) at 0.4" side margins, and XlsxWriter's paper codes.
_MARGIN_IN = 0.4
_PAPERS = (("A4", 9, 841.9), ("A3", 8, 1190.6))
# One unit of column width (the width of "0" in the 10 pt font, and its padding), in points:
# LibreOffice 7.4 prints the sample's 附件2 (239.4 units) 1 317 pt wide.
_UNIT_PT = 5.5
_WIDTH_MIN, _WIDTH_MAX = 6, 48
_WRAP_WIDTH = 30  # a column of long text wraps at this width
_LONG_TEXT = 40  # longer text cells wrap
_MAX_TEXT = 32_767  # Excel's limit on a cell's characters
_KEY_COLUMNS = 3  # 序号, 县区 and the id: repeated on every page of a wide sheet
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_STR = np.dtypes.StringDType()
# Characters XML 1.0 (and so XLSX) cannot hold, and DEL: removed from ledger text.
_CONTROL_CODES = frozenset([*range(9), 11, 12, *range(14, 32), 127])
# A text cell starting with one of these is a formula to Excel (OWASP CSV injection).
_FORMULA_START = frozenset(map(ord, "=+-@\t\r"))

_WORDS = {
    "zh": {
        "yes": "是",
        "no": "否",
        "total": "合计",
        "subtotal": "小计：{what}",
        "as_of": "截至 {date}",
        "units": "面积单位：公顷、亩",
        "rules": "考核依据：{source}",
        "made": "landuse {version} 生成于 {now}",
        "footer": "{rules}　截至 {date}　数据来源：{source}　landuse {version}",
        "page": "第 &P 页，共 &N 页",
        "award": "奖励",
        "penalty": "计划核减",
        "commend": "通报表扬",
        "criticize": "通报批评",
        "disposed": "已处置",
        "undisposed": "未处置",
        "overdue": "未处置（已过整改期限）",
        "error": "错误",
        "warning": "警告",
        "attachment": "附件{n}　",
        "no_task": "无任务",
        "slivers": "未供面积不足 {ha:g} 公顷的批次不列入本表，见“{sheet}”",
        "fee_note": "征缴土地闲置费：土地价款 × {rate:.0%}",
        "control": "台账“{sheet}”列“{column}”：{n} 个单元格含控制字符（{chars}），已删除；"
        "序号 {rows}",
        "basis": {"attribute": "属性记载", "raster": "土地覆盖栅格", "survey": "国土调查地类图斑",
                  "field_check": "待实地核查"},
    },
    "en": {
        "yes": "yes",
        "no": "no",
        "total": "Total",
        "subtotal": "Subtotal: {what}",
        "as_of": "As of {date}",
        "units": "Areas in ha and mu",
        "rules": "Rules: {source}",
        "made": "made by landuse {version} on {now}",
        "footer": "{rules}  ·  as of {date}  ·  data: {source}  ·  landuse {version}",
        "page": "Page &P of &N",
        "award": "award",
        "penalty": "penalty",
        "commend": "commended",
        "criticize": "criticised",
        "disposed": "disposed",
        "undisposed": "undisposed",
        "overdue": "undisposed (deadline passed)",
        "error": "error",
        "warning": "warning",
        "attachment": "Attachment {n}: ",
        "no_task": "no task",
        "slivers": "batches with less than {ha:g} ha unsupplied are left out: see '{sheet}'",
        "fee_note": "idle fee collected: land price × {rate:.0%}",
        "control": "ledger '{sheet}', column '{column}': {n} cell(s) held control characters "
        "({chars}), removed; rows no. {rows}",
        "basis": {
            "attribute": "attribute",
            "raster": "land-cover raster",
            "survey": "land survey",
            "field_check": "field check",
        },
    },
}


def sliver_ha(rules: object) -> float:
    """The unsupplied area (ha) below which a batch counts as wholly supplied.

    The rule set's ``supply.sliver_ha`` (0.01 ha when the rule set has none): the
    ledgers list a batch as unsupplied, and the GeoPackage styles it 未供地 or
    部分供地, only from this area on, so the map legend agrees with the ledger.
    """
    return float(getattr(getattr(rules, "supply", None), "sliver_ha", 0.01))


@dataclass(frozen=True)
class _Col:
    """One column: headers with units, its kind (number format) and where its values come from.

    ``total`` is ``"sum"`` (a ``SUBTOTAL`` of the rows), ``"rate"`` (supplied over approved
    less revoked, from the totals of those columns) or None; an ``optional`` column is left
    out when it is empty in every row.
    """

    zh: str
    en: str
    kind: str
    values: str | Callable[[pd.DataFrame], pd.Series]
    total: str | None = None
    note: str | None = None
    optional: bool = False


@dataclass
class _Sheet:
    """One ledger sheet, before it is written."""

    key: str
    name: str
    title: str
    columns: list[_Col]
    frame: pd.DataFrame
    lang: str
    notes: list[str]
    totals: bool = True
    group: str | None = None  # a frame column: a subtotal row after each run of its values
    widths: dict[int, int] = field(default_factory=dict)  # fixed widths by column index


@dataclass
class Ledgers:
    """The ledger sheets of an assessment, ready to write (:func:`ledgers_workbook`).

    Attributes
    ----------
    sheets : list
        The sheets, in workbook order.
    footer : str
        The left part of every page's footer (rule set, as-of date, data source).
    title, creator : str
        Document properties.
    """

    sheets: list[_Sheet]
    footer: str
    title: str
    creator: str
    lang: str = "zh"

    @property
    def sheetnames(self) -> list[str]:
        """The sheet names, in workbook order."""
        return [s.name for s in self.sheets]

    def save(self, target: str | os.PathLike | BinaryIO) -> None:
        """Write the workbook to a path or a binary file object."""
        _write_workbook(self, target)


#: The area columns 附件2 (per batch) and 附件3 (per county) share, in the notice's order.
_AREA_COLUMNS = (
    _Col("批准面积(公顷)", "Approved (ha)", "ha", "approved_ha", "sum"),
    _Col("已供面积(公顷)", "Supplied (ha)", "ha", "supplied_ha", "sum"),
    _Col(
        "失效撤回核减面积(公顷)", "Lapsed, withdrawn, reduced (ha)", "ha", "revoked_ha", "sum"
    ),
    _Col("未供面积(公顷)", "Unsupplied (ha)", "ha", "unsupplied_ha", "sum"),
    _Col("未供面积(亩)", "Unsupplied (mu)", "mu", "unsupplied_mu", "sum"),
    _Col("供地率", "Supply rate", "rate", "supply_rate", "rate"),
)


def _values(col: _Col, frame: pd.DataFrame) -> pd.Series:
    if callable(col.values):
        return pd.Series(col.values(frame), index=frame.index)
    if col.values in frame.columns:
        return frame[col.values]
    return pd.Series(pd.NA, index=frame.index, dtype="object")


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _width(value: object) -> int:
    """Display width of a cell's text: East Asian wide characters count twice."""
    if value is None:
        return 0
    if isinstance(value, float):
        text = f"{value:,.2f}"
    elif isinstance(value, dt.date):
        text = "2018-12-31"
    else:
        text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- data cells, a column at a time ------------------------------------------------------------
# A province's ledgers hold a million data cells: each column is converted at once to the Python
# values XlsxWriter writes (float, int, str or None), with its widths and line counts.


@dataclass
class _TextFacts:
    """What :func:`_text_facts` finds in each of some strings."""

    length: np.ndarray  # characters
    width: np.ndarray  # display width (:func:`_width`)
    control: np.ndarray  # holds a control character XLSX cannot hold
    first: np.ndarray  # the first character's code point (-1 for "")


def _text_facts(strings: np.ndarray) -> _TextFacts:
    """Look at every character of some strings at once (their UTF-32 code points)."""
    length = np.strings.str_len(strings.astype(_STR)).astype(np.int64)
    codes = np.frombuffer("".join(strings.tolist()).encode("utf-32-le"), dtype=np.uint32)
    bounds = np.concatenate([[0], np.cumsum(length)])
    first = np.full(len(strings), -1, dtype=np.int64)
    if not len(codes):
        none = np.zeros(len(strings), dtype=bool)
        return _TextFacts(length, length, none, first)
    distinct = np.flatnonzero(np.bincount(codes))
    wide = np.zeros(int(distinct[-1]) + 1, dtype=np.int64)
    wide[distinct] = [unicodedata.east_asian_width(chr(c)) in "WF" for c in distinct.tolist()]

    def per_string(flags: np.ndarray) -> np.ndarray:
        ends = np.concatenate([[0], np.cumsum(flags)])
        return ends[bounds[1:]] - ends[bounds[:-1]]

    control = np.isin(codes, list(_CONTROL_CODES))
    filled = length > 0
    first[filled] = codes[bounds[:-1][filled]]
    return _TextFacts(length, length + per_string(wide[codes]), per_string(control) > 0, first)


def _number_width(numbers: np.ndarray) -> int:
    """The largest :func:`_width` of some numbers: their text only grows with the magnitude."""
    box = float if numbers.dtype.kind == "f" else int
    finite = np.isfinite(numbers)
    candidates: list[object] = []
    for side in (numbers[finite & np.signbit(numbers)], numbers[finite & ~np.signbit(numbers)]):
        if len(side):
            candidates.append(box(side[np.argmax(np.abs(side))]))
    return max(map(_width, candidates), default=0)


@dataclass
class _Data:
    """One column's data cells.

    Attributes
    ----------
    values : list
        Per row: a float or int (a number or an Excel date serial), a str, or None (empty).
    width : numpy.ndarray
        Per row, the display width of the text (:func:`_width`; 0 for numbers).
    long : bool
        Some text is longer than 40 characters: the column wraps.
    width_max : int
        The widest value's display width.
    cleaned : dict
        When control characters were removed: their count, the characters and the rows.
    """

    values: list[Any]
    width: np.ndarray
    long: bool = False
    width_max: int = 0
    cleaned: dict[str, Any] | None = None


def _safe_text(strings: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, Any] | None]:
    """Text as it goes into a cell: control characters removed, formula starts quoted, cut.

    Returns the strings, their facts' display widths and, when control characters were
    removed, ``{"n": count, "chars": "U+0007 …", "rows": positions}``.
    """
    facts = _text_facts(strings)
    cleaned = None
    if facts.control.any():
        rows = np.flatnonzero(facts.control)
        found: set[str] = set()
        fixed = []
        for text in strings[rows].tolist():  # only the few cells that hold one
            found.update(ch for ch in text if ord(ch) in _CONTROL_CODES)
            fixed.append("".join(ch for ch in text if ord(ch) not in _CONTROL_CODES))
        strings = strings.copy()
        strings[rows] = fixed
        cleaned = {
            "n": len(rows),
            "chars": " ".join(f"U+{ord(c):04X}" for c in sorted(found)),
            "rows": rows,
        }
        facts = _text_facts(strings)
    start = np.isin(facts.first, list(_FORMULA_START))
    minus = start & (facts.first == ord("-"))
    if minus.any():  # "-12.5" is a number, "-A1+1" a formula
        numeric = pd.to_numeric(pd.Series(strings[minus], dtype=object), errors="coerce")
        start[np.flatnonzero(minus)[numeric.notna().to_numpy()]] = False
    if start.any():
        strings = strings.copy()
        strings[start] = np.strings.add("'", strings[start].astype(_STR)).astype(object)
        facts = _text_facts(strings)
    if (facts.length > _MAX_TEXT).any():
        strings = np.array([t[:_MAX_TEXT] for t in strings.tolist()], dtype=object)
        facts = _text_facts(strings)
    return strings, facts.width, cleaned


def _convert(series: pd.Series, kind: str, words: dict[str, Any]) -> _Data:
    """Convert a column's values at once to what XlsxWriter writes.

    Parameters
    ----------
    series : pandas.Series
        The column's values (:func:`_values`).
    kind : str
        The column's kind (a key of ``_FORMATS``).
    words : dict
        The sheet's words (``yes`` and ``no``).

    Returns
    -------
    _Data
    """
    n = len(series)
    present = series.notna().to_numpy(dtype=bool)
    out = np.full(n, None, dtype=object)
    width = np.zeros(n, dtype=np.int64)
    values = series[present]
    if kind in ("bool", "text"):
        raw = values.to_numpy(dtype=object)
        if kind == "bool":
            raw = np.where(raw.astype(bool), words["yes"], words["no"]).astype(object)
        elif len(raw) and pd.api.types.infer_dtype(raw, skipna=False) != "string":
            return _objects(raw, present)
        strings, widths, cleaned = _safe_text(raw)
        out[present] = strings
        width[present] = widths
        long = kind == "text" and bool((widths > 2 * _LONG_TEXT).any() or any(
            len(t) > _LONG_TEXT for t in strings.tolist()))
        return _Data(out.tolist(), width, long, int(width.max(initial=0)), cleaned)
    if kind == "date":
        dates = pd.to_datetime(values)
        if dates.dt.tz is not None:
            dates = dates.dt.tz_localize(None)
        days = (dates.dt.normalize() - _EXCEL_EPOCH).dt.days.to_numpy(dtype=np.int64)
        days = np.where((days > 0) & (days <= 60), days - 1, days)  # Excel's 29 Feb 1900
        out[present] = days.tolist()
        return _Data(out.tolist(), width, width_max=10 if present.any() else 0)
    numbers = pd.to_numeric(values)
    if kind == "int":
        if pd.api.types.is_integer_dtype(numbers.dtype) or pd.api.types.is_bool_dtype(numbers.dtype):
            ints = numbers.to_numpy(dtype=np.int64)
        else:
            ints = np.trunc(numbers.to_numpy(dtype=np.float64)).astype(np.int64)
        out[present] = ints.tolist()
        return _Data(out.tolist(), width, width_max=_number_width(ints))
    if kind not in _FORMATS:
        raise ValueError(f"unknown column kind {kind!r}")
    floats = numbers.to_numpy(dtype=np.float64)
    finite = np.isfinite(floats)
    out[np.flatnonzero(present)[finite]] = floats[finite].tolist()  # inf: an empty cell
    return _Data(out.tolist(), width, width_max=_number_width(floats))


def _objects(raw: np.ndarray, present: np.ndarray) -> _Data:
    """A text column holding other objects than strings: numbers stay numbers, the rest text."""
    out = np.full(len(present), None, dtype=object)
    cells: list[Any] = []
    for v in raw.tolist():  # only a column mixing numpy scalars with strings comes here
        if _missing(v):
            cells.append(None)
        elif isinstance(v, bool | np.bool_):
            cells.append(str(bool(v)))
        elif isinstance(v, int | float | np.number) and math.isfinite(float(v)):
            cells.append(v.item() if isinstance(v, np.generic) else v)
        else:
            cells.append(str(v))
    texts = np.array([c if isinstance(c, str) else "" for c in cells], dtype=object)
    strings, widths, cleaned = _safe_text(texts)
    width = np.zeros(len(present), dtype=np.int64)
    is_text = np.array([isinstance(c, str) for c in cells], dtype=bool)
    merged = np.array(cells, dtype=object)
    merged[is_text] = strings[is_text]
    out[present] = merged
    width[present] = np.where(is_text, widths, [_width(c) for c in cells])
    long = any(len(t) > _LONG_TEXT for t in strings[is_text].tolist())
    return _Data(out.tolist(), width, long, int(width.max(initial=0)), cleaned)


# --- writing ----------------------------------------------------------------------------------


@dataclass
class _Layout:
    """Where a sheet's rows go (0-based sheet rows)."""

    rows: np.ndarray  # each data row's sheet row
    # after data row i (the key): (subtotal's sheet row, its first and last data rows, label)
    subtotals: dict[int, tuple[int, int, int, str]]
    body_end: int  # the last data or subtotal row
    total_row: int | None


def _layout(sheet: _Sheet, n: int) -> _Layout:
    first = _HEADER_ROW  # 0-based: the row after the header
    subtotals: dict[int, tuple[int, int, int, str]] = {}
    rows = np.arange(n) + first
    if sheet.group is not None and n:
        keys = sheet.frame[sheet.group].astype(str).to_numpy()
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], n]
        rows = rows + np.repeat(np.arange(len(starts)), ends - starts)
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            subtotals[b - 1] = (int(rows[b - 1]) + 1, a, b - 1, str(keys[a]))
    body_end = (int(rows[-1]) + (1 if subtotals else 0)) if n else first - 1
    return _Layout(rows, subtotals, body_end, body_end + 1 if sheet.totals else None)


def _column_letter(j: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(j)


def _paper(widths: list[int]) -> tuple[int, int | None, int]:
    """Paper code, fit-to-width (None: a fixed scale) and scale for columns of these widths."""
    needed = sum(w * _UNIT_PT + 1 for w in widths)
    for _, code, page in _PAPERS:
        printable = page - 2 * 72 * _MARGIN_IN
        if printable / needed >= _MIN_SCALE:
            return code, 1, min(100, math.floor(100 * printable / needed))
    return _PAPERS[-1][1], None, round(100 * _MIN_SCALE)


def _lines(width: np.ndarray, column_width: float) -> np.ndarray:
    """Lines a wrapped text of these display widths takes in a column this wide."""
    per_line = max(column_width - 1.5, 1.0)
    return np.maximum(np.ceil(width / per_line), 1).astype(np.int64)


def _write_workbook(ledgers: Ledgers, target: str | os.PathLike | BinaryIO, *,
                    per_cell: bool = False) -> None:
    """Write the sheets with XlsxWriter, each row once, in order (``constant_memory``).

    The data rows go a run at a time through :meth:`_BlockSheet.write_rows`; with
    ``per_cell`` they go one cell at a time through XlsxWriter's ``write_number``,
    ``write_string`` and ``write_blank`` instead (the reference the tests compare with:
    the same bytes, ten times slower).
    """
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        target if hasattr(target, "write") else os.fspath(target),  # type: ignore[arg-type]
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_format_properties": {"font_name": FONT, "font_size": _BODY_PT},
        },
    )
    wb.set_properties({"title": ledgers.title, "author": ledgers.creator,
                       "comments": ledgers.creator})
    base = {"font_name": FONT, "font_size": _BODY_PT}
    grey = "#999999"
    fmt_cache: dict[tuple[tuple[str, object], ...], Any] = {}

    def fmt(**props: object) -> Any:
        key = tuple(sorted({**base, **props}.items()))
        if key not in fmt_cache:
            fmt_cache[key] = wb.add_format(dict(key))
        return fmt_cache[key]

    try:
        for sheet in ledgers.sheets:
            _write_sheet(wb, sheet, ledgers, fmt, grey, per_cell)
    finally:
        wb.close()


def _write_cells(ws: Any, rows: list[int], values: list[list[Any]], numbers: list[bool],
                 fmts: list[Any], heights: dict[int, float]) -> None:
    """Write data rows one cell at a time through XlsxWriter's public calls (the reference)."""
    for i, r in enumerate(rows):
        if r in heights:
            ws.set_row(r, heights[r])
        for j, fmt in enumerate(fmts):
            v = values[j][i]
            if v is None:
                ws.write_blank(r, j, None, fmt)
            elif numbers[j] or type(v) is not str:
                ws.write_number(r, j, v, fmt)
            else:
                ws.write_string(r, j, v, fmt)


@cache
def _sheet_class() -> type | None:
    """XlsxWriter's worksheet with :meth:`write_rows`, a run of data rows written at once.

    None when the installed XlsxWriter lacks one of the internals it uses (the data rows
    then go cell by cell through the public calls: the same workbook, slower).

    XlsxWriter spends ~15 µs on each cell written through its public calls (argument
    checks, a tuple stored and read back, attributes escaped one by one); a province's
    ledgers hold 1.2 million cells. ``write_rows`` writes the same XML (``<c>`` elements
    exactly as XlsxWriter's ``_write_cell`` writes number, inline string and blank cells,
    the ``<row>`` elements and the sheet's dimensions by XlsxWriter itself, text escaped
    by XlsxWriter's own functions once per distinct string) a column at a time.
    ``tests/test_ledgers.py`` checks that the workbook is byte for byte the one the
    public calls write (``per_cell=True``), which guards it against XlsxWriter changes.
    """
    from xlsxwriter import utility, xmlwriter
    from xlsxwriter.worksheet import Worksheet

    try:
        from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate

        # text any of XlsxWriter's escapes or marks would change (its own patterns, and "<r>"
        # of a rich string): such text goes through XlsxWriter's functions, the rest as it is
        special = re.compile("|".join([
            utility.RE_LEADING_WHITESPACE.pattern, utility.RE_TRAILING_WHITESPACE.pattern,
            xmlwriter.re_control_chars_1.pattern, xmlwriter.re_control_chars_2.pattern,
            "[&<>\ufffe\uffff]", "^<r>",
        ])).search
        internals = ("_write_single_row", "_write_row", "_check_dimensions",
                     "_escape_control_characters", "_escape_data")
        if not all(hasattr(Worksheet, name) for name in internals):
            return None
    except (ImportError, AttributeError):
        return None

    class _BlockSheet(Worksheet):  # type: ignore[misc]
        def _inline(self, text: str) -> str:
            """A string cell's XML after its style: what ``_write_string`` and ``_write_cell`` write."""
            if len(text) > self.xls_strmax // 2 and _utf16_len(text) > self.xls_strmax:
                text = _utf16_truncate(text, self.xls_strmax)
            text = self._escape_control_characters(text)
            if text.startswith("<r>") and text.endswith("</r>"):
                return f' t="inlineStr"><is>{text}</is></c>'
            space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
            return f' t="inlineStr"><is><t{space}>{self._escape_data(text)}</t></is></c>'

        def _tails(self, values: list[Any], numeric: bool) -> list[str]:
            """Each cell's XML after its style: blank, number or inline string."""
            if numeric:
                return ["/>" if v is None else f"><v>{v:.16G}</v></c>" for v in values]
            half = self.xls_strmax // 2
            texts = {v: self._inline(v) if len(v) > half or special(v)
                     else f' t="inlineStr"><is><t>{v}</t></is></c>'
                     for v in set(values) if type(v) is str}
            return [texts[v] if type(v) is str else "/>" if v is None
                    else f"><v>{v:.16G}</v></c>" for v in values]

        def write_rows(self, rows: list[int], values: list[list[Any]], numbers: list[bool],
                       fmts: list[Any], heights: dict[int, float]) -> None:
            """Write data rows at once, with the XML of ``write_number/string/blank`` per cell.

            Parameters
            ----------
            rows : list of int
                The sheet rows (0-based, ascending), all after any row written so far.
            values : list of list
                Per column, per row: a number, a str or None (a blank cell with the format).
            numbers : list of bool
                Per column: its values are all numbers (else a str is a string cell).
            fmts : list of Format
                Per column, the cells' format.
            heights : dict
                Row heights (points) of the rows that are not the default height.
            """
            if not rows:
                return
            if not self.constant_memory or rows[0] <= self.previous_row:
                raise ValueError("write_rows: constant_memory, after the rows written")
            self._check_dimensions(rows[0], 0)
            self._check_dimensions(rows[-1], len(values) - 1)
            self._write_single_row(rows[0])  # the row before, as a first write_* in rows[0] would
            for r, h in heights.items():
                self.set_row(r, h)
            # one template a row: each cell's reference and style, its row number and tail filled in
            row_xml = "".join(
                f'<c r="{_column_letter(j)}{{0}}" s="{fmt._get_xf_index()}"{{{j + 1}}}'
                for j, fmt in enumerate(fmts)
            ).format
            tails = [self._tails(column, numeric)
                     for column, numeric in zip(values, numbers, strict=True)]
            write, info = self.fh.write, self.row_info
            for r, cells in zip(rows, zip(*tails, strict=True), strict=True):
                self._write_row(r, None, info.get(r))
                write(row_xml(r + 1, *cells))
                self._xml_end_tag("row")
            self.previous_row = rows[-1] + 1  # written: the next write_* starts a new row

    return _BlockSheet


def _write_sheet(wb: Any, sheet: _Sheet, ledgers: Ledgers, fmt: Callable[..., Any],
                 grey: str, per_cell: bool = False) -> None:
    words = _WORDS[sheet.lang]
    columns, frame = sheet.columns, sheet.frame
    ncol = len(columns)
    data = [_convert(_values(col, frame), col.kind, words) for col in columns]
    headers = [col.zh if sheet.lang == "zh" else col.en for col in columns]
    widths = []
    for j, (h, d) in enumerate(zip(headers, data, strict=True)):
        w = max(_header_width(h), d.width_max + 2)
        widest = _WRAP_WIDTH if d.long else _WIDTH_MAX
        widths.append(sheet.widths.get(j, min(max(w, _WIDTH_MIN), widest)))
    n = len(frame)
    lay = _layout(sheet, n)
    ws = wb.add_worksheet(sheet.name, worksheet_class=_sheet_class())
    per_cell = per_cell or not hasattr(ws, "write_rows")

    # row heights: the most lines any wrapped cell of the row takes
    lines = np.ones(n, dtype=np.int64)
    for d, w in zip(data, widths, strict=True):
        if d.long:
            lines = np.maximum(lines, _lines(d.width, w))
    header_lines = max(_header_lines(h, w) for h, w in zip(headers, widths, strict=True))

    border = {"border": 1, "border_color": grey}
    title_fmt = fmt(bold=True, font_size=_TITLE_PT, valign="vcenter")
    note_fmt = fmt(font_color="#555555", valign="vcenter")
    head_fmt = fmt(bold=True, bg_color="#DDE4EE", align="center", valign="vcenter",
                   text_wrap=True, **border)
    cell_fmts = [
        fmt(num_format=_FORMATS[col.kind], valign="top", text_wrap=d.long, **border)
        for col, d in zip(columns, data, strict=True)
    ]
    total_fmts = [
        fmt(num_format=_FORMATS[col.kind] if col.total else "General", bold=True,
            bg_color="#F2F2F2", valign="top", **border)
        for col in columns
    ]
    sub_fmts = [
        fmt(num_format=_FORMATS[col.kind] if col.total else "General", bold=True,
            bg_color="#F8F8F8", valign="top", italic=True, **border)
        for col in columns
    ]

    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    one_line = _LINE_PT + _ROW_PAD_PT
    ws.set_default_row(one_line)
    ws.set_row(0, 26)
    ws.write_string(0, 0, sheet.title, title_fmt)
    ws.set_row(1, one_line)
    ws.write_string(1, 0, ("　" if sheet.lang == "zh" else "  ·  ").join(sheet.notes), note_fmt)
    ws.set_row(2, max(32.0, header_lines * _LINE_PT + _ROW_PAD_PT))
    for j, (h, col) in enumerate(zip(headers, columns, strict=True)):
        ws.write_string(2, j, h, head_fmt)
        if col.note:
            ws.write_comment(2, j, col.note, {"author": "landuse", "font_name": FONT})

    values = [d.values for d in data]
    numbers = [col.kind not in ("text", "bool") for col in columns]
    sums = _column_sums(columns, data)
    rows = lay.rows.tolist()
    heights = (lines * _LINE_PT + _ROW_PAD_PT).tolist()
    tall = np.flatnonzero(lines > 1).tolist()
    # the data rows a run at a time (a run ends at a subtotal row), then its subtotal
    ends = sorted(lay.subtotals)
    if n and (not ends or ends[-1] != n - 1):
        ends.append(n - 1)
    start = 0
    for end in ends:
        run = slice(start, end + 1)
        if per_cell:
            _write_cells(ws, rows[run], [v[run] for v in values], numbers, cell_fmts,
                         {rows[i]: heights[i] for i in tall if start <= i <= end})
        else:
            ws.write_rows(rows[run], [v[run] for v in values], numbers, cell_fmts,
                          {rows[i]: heights[i] for i in tall if start <= i <= end})
        if end in lay.subtotals:
            row, a, b, label = lay.subtotals[end]
            _totals_row(ws, row, (rows[a], rows[b]), columns, data, sub_fmts,
                        words["subtotal"].format(what=label), slice(a, b + 1))
        start = end + 1
    if lay.total_row is not None:
        _totals_row(ws, lay.total_row, (_HEADER_ROW, max(lay.body_end, _HEADER_ROW)),
                    columns, data, total_fmts, words["total"], slice(0, n), sums)

    last = _column_letter(ncol - 1)
    ws.freeze_panes(_HEADER_ROW, 2)
    if n:
        ws.autofilter(f"A{_HEADER_ROW}:{last}{lay.body_end + 1}")
    ws.set_landscape()
    paper, fit, scale = _paper(widths)
    ws.set_paper(paper)
    ws.set_margins(left=_MARGIN_IN, right=_MARGIN_IN, top=0.6, bottom=0.7)
    ws.repeat_rows(_HEADER_ROW - 1)
    if fit is None:
        ws.set_print_scale(scale)
        ws.repeat_columns(0, min(_KEY_COLUMNS, ncol) - 1)
    else:
        ws.fit_to_pages(1, 0)
    ws.print_across()  # a wide sheet: its pages over, then down, as the table reads
    footer_font = f'&"{FONT},Regular"&10'
    ws.set_footer(
        f"&L{footer_font}{_footer_text(ledgers.footer)}&R{footer_font}{words['page']}",
        {"scale_with_doc": False},
        margin=0.3,
    )
    ws.set_header("", margin=0.3)


def _header_parts(header: str) -> tuple[int, int]:
    """Display widths of a header's name and of its unit ("(公顷)"; 0 without one)."""
    name, bracket, unit = header.partition("(")
    return _width(name), _width(bracket + unit)


def _header_width(header: str) -> int:
    """A column width for a header: its name on up to two lines, its unit on a line of its own.

    (A line may break before "(" but not before ")": the unit is never cut.)
    """
    name, unit = _header_parts(header)
    if name + unit <= 10:
        return name + unit + 2
    return max(math.ceil(name / 2), unit) + 2


def _header_lines(header: str, width: float) -> int:
    name, unit = _header_parts(header)
    lines = int(_lines(np.array([name + unit]), width)[0])
    return lines + (1 if unit and lines > 1 else 0)


def _footer_text(text: str) -> str:
    """Text for a header or footer: & doubled, within Excel's 255 characters with the codes."""
    text = text.replace("&", "&&")
    return text if len(text) <= 180 else text[:179] + "…"


def _column_sums(columns: list[_Col], data: list[_Data]) -> list[float | None]:
    """Each summed column's total over its data cells (None: no value to add)."""
    out: list[float | None] = []
    for col, d in zip(columns, data, strict=True):
        if col.total != "sum":
            out.append(None)
            continue
        nums = [v for v in d.values if v is not None and type(v) is not str]
        out.append(math.fsum(nums) if nums else None)
    return out


def _totals_row(ws: Any, r: int, span: tuple[int, int], columns: list[_Col], data: list[_Data],
                fmts: list[Any], label: str, rows: slice,
                sums: list[float | None] | None = None) -> None:
    """A subtotal or totals row: ``SUBTOTAL(9, …)`` of each summed column, values cached."""
    if sums is None:
        sums = _column_sums(columns, [_Data(d.values[rows], d.width) for d in data])
    a, b = span[0] + 1, span[1] + 1  # Excel's row numbers
    letters = {col.values: _column_letter(j) for j, col in enumerate(columns)
               if isinstance(col.values, str)}
    ws.set_row(r, _LINE_PT + _ROW_PAD_PT)
    for j, col in enumerate(columns):
        if j == 1:
            ws.write_string(r, j, label, fmts[j])
        elif col.total == "sum" and sums[j] is not None:
            ws.write_formula(r, j, f"=SUBTOTAL(9,{_column_letter(j)}{a}:{_column_letter(j)}{b})",
                             fmts[j], sums[j])
        elif col.total == "rate" and {"supplied_ha", "approved_ha", "revoked_ha"} <= set(letters):
            by = {k: sums[[c.values for c in columns].index(k)] or 0.0
                  for k in ("supplied_ha", "approved_ha", "revoked_ha")}
            base = by["approved_ha"] - by["revoked_ha"]
            s, ap, rv = (f"{letters[k]}{r + 1}" for k in ("supplied_ha", "approved_ha",
                                                           "revoked_ha"))
            ws.write_formula(r, j, f'=IF({ap}-{rv}>0.000001,{s}/({ap}-{rv}),"")', fmts[j],
                             by["supplied_ha"] / base if base > 1e-6 else "")
        else:
            ws.write_blank(r, j, None, fmts[j])


# --- the sheets ---------------------------------------------------------------------------------


def statistics_scope(assessment: Assessment) -> tuple[dt.date, dt.date]:
    """The approval dates the unsupplied-land ledgers cover.

    The span of the rule set's task windows (2009-01-01 to 2017-12-31 for
    驻政办〔2018〕163号, whose attachments cover 2009–2017 approvals), ended
    no later than the as-of date; without windows, every approval to date.
    """
    windows = [t.window for t in assessment.rules.tasks if t.window is not None]
    if not windows:
        first = assessment.batches["approval_date"].min()
        start = pd.Timestamp(first).date() if pd.notna(first) else assessment.as_of
        return start, assessment.as_of
    return min(w[0] for w in windows), min(max(w[1] for w in windows), assessment.as_of)


def _scope_batches(assessment: Assessment) -> tuple[pd.DataFrame, tuple[dt.date, dt.date]]:
    d1, d2 = statistics_scope(assessment)
    b = pd.DataFrame(assessment.batches.drop(columns="geometry"))
    b = b[b["approval_date"].between(pd.Timestamp(d1), pd.Timestamp(d2))]
    return b.sort_values(["county_code", "approval_date", "batch_id"], kind="stable"), (d1, d2)


def _years_label(scope: tuple[dt.date, dt.date], lang: str) -> str:
    a, b = scope[0].year, scope[1].year
    return f"{a}—{b}年" if lang == "zh" else f"{a}–{b} "


def _names(assessment: Assessment) -> dict[str, str]:
    c = assessment.counties
    return dict(zip(c["county_code"].astype(str), c["county_name"].astype(str), strict=True))


def _serial(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(_n=np.arange(1, len(frame) + 1))


def _leave_out_empty(columns: list[_Col], frame: pd.DataFrame) -> list[_Col]:
    """The columns less the optional ones that are empty in every row."""
    return [c for c in columns if not c.optional or _values(c, frame).notna().any()]


def _batch_columns(a: Assessment, b: pd.DataFrame, lang: str) -> list[_Col]:
    cols = [
        _Col("序号", "No.", "int", "_n"),
        _Col("县区", "County", "text", "_county"),
        _Col("批次编号", "Batch id", "text", "batch_id"),
        _Col("批次名称", "Batch name", "text", "batch_name", optional=True),
        _Col("批准文号", "Approval no.", "text", "approval_no"),
        _Col("批准日期", "Approval date", "date", "approval_date"),
        _Col("批准机关", "Approved by", "text", "approver", optional=True),
        _Col("征收补偿实施情况", "Compensation", "text", "compensation", optional=True),
        *_AREA_COLUMNS,
    ]
    for task in a.rules.tasks:
        if task.baseline is not None and f"unsupplied_baseline_ha_{task.id}" in b.columns:
            cols.append(
                _Col(
                    f"{task.baseline:%Y-%m-%d}未供面积(公顷)",
                    f"Unsupplied on {task.baseline} (ha)",
                    "ha",
                    f"unsupplied_baseline_ha_{task.id}",
                    "sum",
                    note=f"{task.id} {task.label}"
                    if lang == "zh"
                    else f"{task.id} {task.label_en}",
                )
            )
    seen: set[tuple[dt.date, dt.date]] = set()
    for task in a.rules.tasks:
        if task.window is not None and task.window not in seen and f"in_{task.id}" in b.columns:
            seen.add(task.window)
            w = (
                f"{task.window[0].year}—{task.window[1].year}年批准"
                if lang == "zh"
                else f"approved {task.window[0].year}–{task.window[1].year}"
            )
            cols.append(_Col(w, w, "bool", f"in_{task.id}"))
    cols.append(_Col("供地宗数", "Supply parcels", "int", "supplies", "sum"))
    return _leave_out_empty(cols, b)


def _detail(a: Assessment, lang: str, notes: list[str]) -> list[_Sheet]:
    """附件2 (the unsupplied batches: at least the sliver tolerance unsupplied) and every batch."""
    b, scope = _scope_batches(a)
    names = _names(a)
    b = b.assign(
        _county=b["county_code"].astype(str).map(names),
        unsupplied_mu=b["unsupplied_ha"] * MU_PER_HA,
    )
    sliver = sliver_ha(a.rules)
    unsupplied = _serial(b[b["unsupplied_ha"] >= sliver])
    every = _serial(b)
    en = lang == "en"
    years = _years_label(scope, lang)
    title = (
        _WORDS[lang]["attachment"].format(n=2)
        + years
        + ("批而未供土地情况明细表" if lang == "zh" else "unsupplied land by batch")
    )
    all_title = years + ("批准建设用地批次供地情况（全部批次）" if lang == "zh"
                         else "approved batches and their supply (every batch)")
    note = _WORDS[lang]["slivers"].format(ha=sliver, sheet=SHEETS["batches"][en])
    return [
        _Sheet("detail", SHEETS["detail"][en], title, _batch_columns(a, unsupplied, lang),
               unsupplied, lang, [*notes[:2], note, *notes[2:]]),
        _Sheet("batches", SHEETS["batches"][en], all_title, _batch_columns(a, every, lang),
               every, lang, notes),
    ]


def county_statistics(assessment: Assessment) -> pd.DataFrame:
    """Per-county totals of the approvals in :func:`statistics_scope`, as in 附件3.

    Returns
    -------
    pandas.DataFrame
        By county (every county, zeros where it has no batch): ``county_code``,
        ``county_name``, ``batches``, ``approved_ha``, ``supplied_ha``,
        ``revoked_ha``, ``unsupplied_ha``, ``unsupplied_mu``, ``supply_rate``.
    """
    b, _ = _scope_batches(assessment)
    sums = b.groupby("county_code")[
        ["approved_ha", "supplied_ha", "revoked_ha", "unsupplied_ha"]
    ].sum()
    counts = b.groupby("county_code").size().rename("batches")
    c = pd.DataFrame(assessment.counties[["county_code", "county_name"]]).set_index("county_code")
    out = c.join(counts).join(sums)
    out = out.fillna(
        {
            "batches": 0,
            "approved_ha": 0.0,
            "supplied_ha": 0.0,
            "revoked_ha": 0.0,
            "unsupplied_ha": 0.0,
        }
    )
    out["batches"] = out["batches"].astype("int64")
    out["unsupplied_mu"] = out["unsupplied_ha"] * MU_PER_HA
    base = out["approved_ha"] - out["revoked_ha"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["supply_rate"] = (out["supplied_ha"] / base).where(base > 1e-6)
    return out.reset_index()


def _statistics(a: Assessment, lang: str, notes: list[str]) -> list[_Sheet]:
    _, scope = _scope_batches(a)
    stats = _serial(county_statistics(a))
    cols = [
        _Col("序号", "No.", "int", "_n"),
        _Col("县区", "County", "text", "county_name"),
        _Col("县区代码", "County code", "text", "county_code"),
        _Col("批次数", "Batches", "int", "batches", "sum"),
        *_AREA_COLUMNS,
    ]
    title = (
        _WORDS[lang]["attachment"].format(n=3)
        + _years_label(scope, lang)
        + ("批而未供土地情况统计表" if lang == "zh" else "unsupplied land by county")
    )
    return [_Sheet("statistics", SHEETS["statistics"][lang == "en"], title, cols, stats, lang,
                   notes)]


def _idle_frame(a: Assessment, lang: str) -> pd.DataFrame:
    """The idle ledger as of the as-of date, with what the ledger shows of each parcel.

    A disposal dated after the as-of date was not known then: its method and date are
    blank (the status is already as at that date). The project and land user missing from
    the ledger come from the parcel's supply record; the idle fee of a parcel whose fee was
    collected is the land price times the rule set's fee rate.
    """
    words = _WORDS[lang]
    t = pd.Timestamp(a.as_of)
    idle = pd.DataFrame(a.idle.drop(columns="geometry"))
    idle = idle.sort_values(["county_code", "idle_id"], kind="stable")
    later = (idle["disposal_date"] > t).fillna(False).to_numpy(dtype=bool)
    idle["disposal"] = idle["disposal"].mask(later)
    idle["disposal_date"] = idle["disposal_date"].mask(later)
    supplies = pd.DataFrame(a.supplies.drop(columns="geometry"))
    for name in ("project_name", "holder"):
        if name in supplies and "parcel_id" in supplies:
            known = supplies.dropna(subset=[name]).drop_duplicates("parcel_id")
            from_supply = idle["parcel_id"].map(known.set_index("parcel_id")[name])
            if name in idle:
                from_supply = from_supply.astype(idle[name].dtype)
                idle[name] = idle[name].fillna(from_supply)
            else:
                idle[name] = from_supply
    fee = idle.get("idle_fee_wan", pd.Series(np.nan, index=idle.index, dtype="float64"))
    if "land_price_wan" in idle:
        # the disposal method the notice and Order 53 name for a fee (as in idle.py)
        collected = (idle["disposal"] == "征缴土地闲置费").fillna(False).to_numpy(dtype=bool)
        price_fee = pd.to_numeric(idle["land_price_wan"]) * a.rules.idle.fee_rate
        fee = pd.to_numeric(fee).where(pd.to_numeric(fee).notna() | ~collected, price_fee)
    idle["_fee"] = fee
    names = _names(a)
    overdue = ~idle["disposed"] & (idle["deadline"] < t).fillna(False)
    status = np.where(
        idle["disposed"],
        words["disposed"],
        np.where(overdue, words["overdue"], words["undisposed"]),
    )
    measure = idle["measure"] if lang == "zh" else idle.get("measure_en", idle["measure"])
    return _serial(
        idle.assign(
            _county=idle["county_code"].astype(str).map(names),
            _status=status,
            _measure=measure,
            area_mu=idle["area_ha"] * MU_PER_HA,
        )
    )


def _idle(a: Assessment, lang: str, notes: list[str]) -> list[_Sheet]:
    words = _WORDS[lang]
    idle = _idle_frame(a, lang)
    fee_note = words["fee_note"].format(rate=a.rules.idle.fee_rate)
    cols = [
        _Col("序号", "No.", "int", "_n"),
        _Col("县区", "County", "text", "_county"),
        _Col("闲置编号", "Idle id", "text", "idle_id"),
        _Col("电子监管号", "Parcel (supervision no.)", "text", "parcel_id"),
        _Col("项目名称", "Project", "text", "project_name", optional=True),
        _Col("土地使用权人", "Land user", "text", "holder", optional=True),
        _Col("面积(公顷)", "Area (ha)", "ha", "area_ha", "sum"),
        _Col("面积(亩)", "Area (mu)", "mu", "area_mu", "sum"),
        _Col("认定日期", "Identified", "date", "identified_date"),
        _Col("闲置年限(年)", "Idle (years)", "years", "idle_years"),
        _Col("闲置原因", "Cause", "text", "cause"),
        _Col("处置方式", "Disposal", "text", "disposal"),
        _Col("处置日期", "Disposal date", "date", "disposal_date"),
        _Col("整改措施", "Measure", "text", "_measure"),
        _Col("土地闲置费(万元)", "Idle fee (10k yuan)", "wan", "_fee", "sum", note=fee_note,
             optional=True),
        _Col("整改期限", "Deadline", "date", "deadline"),
        _Col("责任单位", "Responsible unit", "text", "responsible_unit", optional=True),
        _Col("状态", "Status", "text", "_status"),
        _Col("典型案例", "Typical case", "bool", "typical"),
        _Col("实地核查抽样", "Field sample", "bool", "sample"),
    ]
    title = words["attachment"].format(n=4) + (
        "闲置土地整改工作台账" if lang == "zh" else "idle land rectification ledger"
    )
    return [_Sheet("idle", SHEETS["idle"][lang == "en"], title, _leave_out_empty(cols, idle),
                   idle, lang, notes)]


def _counties(a: Assessment, lang: str, notes: list[str]) -> list[_Sheet]:
    words = _WORDS[lang]
    c = pd.DataFrame(a.counties.drop(columns="geometry"))
    c = c.sort_values("county_code", kind="stable")
    tr = a.rules.treatment
    en = lang == "en"
    scale_en = {tr.scale_favoured: tr.scale_favoured_en, tr.scale_cut: tr.scale_cut_en}
    dev_en = {
        tr.devzone_supported: tr.devzone_supported_en,
        tr.devzone_suspended: tr.devzone_suspended_en,
    }
    c = _serial(
        c.assign(
            _outcome=c["outcome"].map({"award": words["award"], "penalty": words["penalty"]}),
            _ranking=c["ranking"].map(
                {"commend": words["commend"], "criticize": words["criticize"]}
            ),
            _scale=c["scale_treatment"].map(scale_en) if en else c["scale_treatment"],
            _devzone=c["devzone_treatment"].map(dev_en) if en else c["devzone_treatment"],
            plan_next_mu=c["plan_next_ha"] * MU_PER_HA,
        )
    )
    cols = [
        _Col("序号", "No.", "int", "_n"),
        _Col("县区", "County", "text", "county_name"),
        _Col("县区代码", "County code", "text", "county_code"),
    ]
    for task in a.rules.tasks:
        tid = task.id
        note = (
            f"{tid} {task.label if lang == 'zh' else task.label_en}；截止 {task.deadline}"
            if lang == "zh"
            else f"{tid} {task.label_en}; deadline {task.deadline}"
        )
        c[f"_{tid}_gap_mu"] = c[f"{tid}_gap_ha"] * MU_PER_HA
        cols += [
            _Col(f"{tid}完成率", f"{tid} rate", "rate", f"{tid}_rate", note=note),
            _Col(f"{tid}目标", f"{tid} target", "rate", f"{tid}_target"),
            _Col(f"{tid}是否完成", f"{tid} met", "bool", f"{tid}_met"),
            _Col(f"{tid}差距(公顷)", f"{tid} gap (ha)", "ha", f"{tid}_gap_ha", "sum"),
            _Col(f"{tid}差距(亩)", f"{tid} gap (mu)", "mu", f"_{tid}_gap_mu", "sum"),
        ]
    cols += [
        _Col("完成任务数", "Tasks met", "int", "tasks_met"),
        _Col("考核结果", "Outcome", "text", "_outcome"),
        _Col("因素法计划(公顷)", "Factor-method plan (ha)", "ha", "plan_base_ha", "sum"),
        _Col("计划系数", "Plan multiplier", "years", "plan_multiplier"),
        _Col("下一年度计划(公顷)", "Next year's plan (ha)", "ha", "plan_next_ha", "sum"),
        _Col("下一年度计划(亩)", "Next year's plan (mu)", "mu", "plan_next_mu", "sum"),
        _Col("暂停受理新增建设用地", "New applications suspended", "bool", "suspended"),
        _Col("综合处置率", "Combined disposal rate", "rate", "combined_disposal_rate"),
        _Col("排名", "Rank", "int", "rank"),
        _Col("通报", "Notice", "text", "_ranking"),
        _Col("存量土地(公顷)", "Stock (ha)", "ha", "stock_ha", "sum"),
        _Col("城镇工矿规模指标", "Scale indicators", "text", "_scale"),
        _Col("开发区", "Development zones", "text", "_devzone"),
        _Col("节点任务未完成", "Milestone missed", "bool", "milestone_missed"),
        _Col("结果已定", "Final", "bool", "outcome_final"),
    ]
    title = (a.rules.name if lang == "zh" else a.rules.name_en) + (
        "：县区考核结果" if lang == "zh" else ": counties"
    )
    return [_Sheet("counties", SHEETS["counties"][en], title, cols, c, lang, notes)]


def _candidates(a: Assessment, lang: str, notes: list[str]) -> list[_Sheet]:
    from landuse.analysis.approvals import KIND_LABELS

    cand = pd.DataFrame(a.candidates.drop(columns="geometry"))
    order = {k: i for i, k in enumerate(KIND_LABELS)}
    cand = cand.assign(_order=cand["kind"].map(order)).sort_values(
        ["_order", "county_code", "batch_id", "parcel_id"], kind="stable"
    )
    names = _names(a)
    en = lang == "en"
    cand = _serial(
        cand.assign(
            _kind=cand["kind"].map({k: v[en] for k, v in KIND_LABELS.items()}),
            _county=cand["county_code"].astype(str).map(names),
            _reason=cand["reason_en"] if en else cand["reason"],
            _basis=cand["basis"].map(_WORDS[lang]["basis"]).fillna(cand["basis"]),
            _measure=cand["measure_en"] if en else cand["measure"],
            area_mu=pd.to_numeric(cand["area_ha"]) * MU_PER_HA,
        )
    )
    cols = [
        _Col("序号", "No.", "int", "_n"),
        _Col("类型", "Kind", "text", "_kind"),
        _Col("县区", "County", "text", "_county"),
        _Col("批次编号", "Batch id", "text", "batch_id"),
        _Col("电子监管号", "Parcel (supervision no.)", "text", "parcel_id", optional=True),
        _Col("面积(公顷)", "Area (ha)", "ha", "area_ha", "sum"),
        _Col("面积(亩)", "Area (mu)", "mu", "area_mu", "sum"),
        _Col("已供面积(公顷)", "Supplied (ha)", "ha", "supplied_ha"),
        _Col("批准日期", "Approval date", "date", "approval_date"),
        _Col("批准机关", "Approved by", "text", "approver", optional=True),
        _Col("征收补偿实施情况", "Compensation", "text", "compensation", optional=True),
        _Col("批准后年限(年)", "Years since approval", "years", "years"),
        _Col("闲置年限(年)", "Idle (years)", "years", "idle_years", optional=True),
        _Col("原因", "Reason", "text", "_reason"),
        _Col("判定依据", "Basis", "text", "_basis"),
        _Col("建设用地占比", "Built-up share", "share", "built_share", optional=True),
        _Col("需实地核查", "Needs field check", "bool", "needs_field_check"),
        _Col("建议措施", "Measure", "text", "_measure", optional=True),
        _Col("土地闲置费(万元)", "Idle fee (10k yuan)", "wan", "idle_fee_wan", "sum",
             optional=True),
        _Col("返还指标(公顷)", "Indicators returned (ha)", "ha", "indicator_return_ha", "sum",
             optional=True),
        _Col("土地使用权人", "Land user", "text", "holder", optional=True),
        _Col("项目名称", "Project", "text", "project_name", optional=True),
        _Col("典型案例", "Typical case", "bool", "typical"),
        _Col("实地核查抽样", "Field sample", "bool", "sample"),
    ]
    title = (a.rules.name if lang == "zh" else a.rules.name_en) + (
        "：失效、撤回、核减及疑似闲置核查清单"
        if lang == "zh"
        else ": lapse, withdraw, reduce and suspected idle"
    )
    # the candidate's own columns first, so the sheet reads 序号, 类型, 县区 across pages
    return [_Sheet("candidates", SHEETS["candidates"][en], title, _leave_out_empty(cols, cand),
                   cand, lang, notes, group="_kind")]


def _problems(a: Assessment, lang: str, notes: list[str],
              cleaned: list[dict[str, Any]] | None = None) -> _Sheet:
    """数据问题: the assessment's problems, and the ledger cells whose control characters went."""
    words = _WORDS[lang]
    from landuse.model.schema import LAYERS

    p = a.problems
    if cleaned:
        extra = pd.DataFrame(
            {
                "layer": "ledgers",
                "feature_id": None,
                "field": [c["column"] for c in cleaned],
                "severity": "warning",
                "message": [_WORDS["zh"]["control"].format(**c) for c in cleaned],
                "message_en": [_WORDS["en"]["control"].format(**c) for c in cleaned],
                "row": pd.array([pd.NA] * len(cleaned), dtype="Int64"),
                "source": "ledgers.xlsx",
            }
        )
        p = pd.concat([p, extra], ignore_index=True) if len(p) else extra
    layer_names = {k: (v.label if lang == "zh" else v.label_en) for k, v in LAYERS.items()}
    layer_names["ledgers"] = "台账" if lang == "zh" else "ledgers"
    p = _serial(
        p.assign(
            _layer=p["layer"].map(layer_names).fillna(p["layer"]),
            _severity=p["severity"].map({"error": words["error"], "warning": words["warning"]}),
            _message=p["message_en"] if lang == "en" else p["message"],
        )
    )
    cols = [
        _Col("序号", "No.", "int", "_n"),
        _Col("图层", "Layer", "text", "_layer"),
        _Col("要素编号", "Feature", "text", "feature_id"),
        _Col("字段", "Field", "text", "field"),
        _Col("级别", "Severity", "text", "_severity"),
        _Col("说明", "Message", "text", "_message"),
        _Col("行号", "Row", "int", "row"),
        _Col("来源", "Source", "text", "source"),
    ]
    title = "数据问题清单" if lang == "zh" else "Data problems"
    return _Sheet("problems", SHEETS["problems"][lang == "en"], title, cols, p, lang, notes,
                  totals=False, widths={5: 80})


def _control_characters(sheets: list[_Sheet]) -> list[dict[str, Any]]:
    """Where ledger text holds control characters (removed when written): one entry a column."""
    found = []
    for sheet in sheets:
        for col in sheet.columns:
            if col.kind != "text":
                continue
            values = _values(col, sheet.frame)
            present = values.notna().to_numpy(dtype=bool)
            texts = values[present].astype(str).to_numpy(dtype=object)
            if not len(texts) or not _text_facts(texts).control.any():
                continue
            _, _, cleaned = _safe_text(texts)
            assert cleaned is not None
            serial = sheet.frame["_n"].to_numpy()[np.flatnonzero(present)[cleaned["rows"]]]
            shown = ", ".join(map(str, serial[:10].tolist())) + (" …" if len(serial) > 10 else "")
            found.append({"sheet": sheet.name, "column": col.zh if sheet.lang == "zh" else col.en,
                          "n": cleaned["n"], "chars": cleaned["chars"], "rows": shown})
    return found


def ledgers_workbook(assessment: Assessment, *, lang: str = "zh",
                     cells: bool | None = None) -> Ledgers:
    """Build the ledgers workbook of an assessment.

    Sheets (Chinese names by default, English with ``lang="en"``):
    批而未供情况明细表 (附件2: each batch approved in :func:`statistics_scope`
    with at least :func:`sliver_ha` unsupplied), 批而未供情况统计表 (附件3, per
    county), 闲置土地整改工作台账 (附件4, per idle parcel as of the as-of date),
    县区考核, 核查清单 (subtotalled per kind), 批次供地情况全表 (every batch of the
    period) and 数据问题.

    Parameters
    ----------
    assessment : Assessment
    lang : {"zh", "en"}
    cells : bool, optional
        Ignored (the openpyxl writer it chose between is gone); kept for callers.

    Returns
    -------
    Ledgers
        Write it with :meth:`Ledgers.save`, :func:`workbook_bytes` or :func:`write_ledgers`.

    Examples
    --------
    >>> from landuse import load_workspace
    >>> from landuse.campaigns.zengcun.assessment import assess
    >>> wb = ledgers_workbook(assess(load_workspace(), "zhumadian-2018", "2018-12-31"))
    >>> wb.sheetnames[:3]
    ['批而未供情况明细表', '批而未供情况统计表', '闲置土地整改工作台账']
    """
    from landuse import __version__

    del cells
    words = lang_words(_WORDS, lang)
    rules = assessment.rules
    notes = [
        words["as_of"].format(date=assessment.as_of),
        words["units"],
        words["rules"].format(source=rules.source if lang == "zh" else rules.source_en),
        words["made"].format(version=__version__, now=dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    sheets: list[_Sheet] = []
    for build in (_detail, _statistics, _idle, _counties, _candidates):
        sheets += build(assessment, lang, notes)
    order = list(SHEETS)
    sheets.sort(key=lambda s: order.index(s.key))
    sheets.append(_problems(assessment, lang, notes, _control_characters(sheets)))
    source = Path(str(getattr(assessment.workspace, "source", "") or "")).name
    footer = words["footer"].format(
        rules=rules.name if lang == "zh" else rules.name_en,
        date=assessment.as_of,
        source=source or "-",
        version=__version__,
    )
    return Ledgers(sheets, footer, rules.name if lang == "zh" else rules.name_en,
                   f"landuse {__version__}", lang)


def workbook_bytes(workbook: Ledgers) -> bytes:
    """Serialise the ledgers (:func:`ledgers_workbook`) to XLSX bytes."""
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def write_ledgers(
    assessment: Assessment, target: str | os.PathLike, *, lang: str = "zh", overwrite: bool = False
) -> Path:
    """Write :func:`ledgers_workbook` to ``target`` (an ``.xlsx`` file), atomically.

    Raises
    ------
    OutputExistsError
        When ``target`` exists and ``overwrite`` is False.
    """
    return write_bytes(
        workbook_bytes(ledgers_workbook(assessment, lang=lang)), target, overwrite=overwrite
    )
