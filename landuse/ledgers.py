"""The XLSX ledgers in the layout of the notice's attachments.

驻政办〔2018〕163号 asks the counties for three ledgers: the per-batch detail
of unsupplied land (附件2 批而未供情况明细表), the county summary (附件3
批而未供情况统计表) and the idle-land rectification ledger (附件4
闲置土地整改工作台账, "一宗一策": each parcel with its basic data, cause,
measure, deadline and responsible unit). :func:`ledgers_workbook` builds
them from an :class:`~landuse.assessment.Assessment`, with the county
assessment, the field-check candidates and the data problems as further
sheets: a title row, the as-of date and units, a frozen header row with the
units in the headers, number formats, fitted column widths, a filter, a
totals row, and print set-up (landscape, one page wide, header repeated).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from landuse.io import write_bytes
from landuse.units import MU_PER_HA

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from landuse.assessment import Assessment

__all__ = ["SHEETS", "ledgers_workbook", "statistics_scope", "write_ledgers"]

#: Sheet names, Chinese and English, in workbook order.
SHEETS = {
    "detail": ("批而未供情况明细表", "Unsupplied land by batch"),
    "statistics": ("批而未供情况统计表", "Unsupplied land by county"),
    "idle": ("闲置土地整改工作台账", "Idle land rectification"),
    "counties": ("县区考核", "County assessment"),
    "candidates": ("核查清单", "Field-check candidates"),
    "problems": ("数据问题", "Data problems"),
}

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
_HEADER_ROW = 3
_WORDS = {
    "zh": {
        "yes": "是",
        "no": "否",
        "total": "合计",
        "as_of": "截至 {date}",
        "units": "面积单位：公顷、亩",
        "rules": "考核依据：{source}",
        "made": "landuse {version} 生成于 {now}",
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
        "basis": {"attribute": "属性记载", "raster": "土地覆盖栅格", "field_check": "待实地核查"},
    },
    "en": {
        "yes": "yes",
        "no": "no",
        "total": "Total",
        "as_of": "As of {date}",
        "units": "Areas in ha and mu",
        "rules": "Rules: {source}",
        "made": "made by landuse {version} on {now}",
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
        "basis": {
            "attribute": "attribute",
            "raster": "land-cover raster",
            "field_check": "field check",
        },
    },
}


@dataclass(frozen=True)
class _Col:
    """One column: headers with units, its kind (number format) and where its values come from."""

    zh: str
    en: str
    kind: str
    values: str | Callable[[pd.DataFrame], pd.Series]
    total: str | None = None  # "sum", or None
    note: str | None = None


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


def _cell(value: object, kind: str, words: dict[str, str]) -> object:
    """A Python value openpyxl writes as the right cell type."""
    if _missing(value):
        return None
    if kind == "bool":
        return words["yes"] if bool(value) else words["no"]
    if kind == "date":
        return pd.Timestamp(value).date()
    if kind == "int":
        return int(value)
    if kind in ("ha", "mu", "rate", "years", "wan", "share"):
        return float(value)
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


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
# A province's ledgers hold a million data cells. openpyxl makes an object of each and writes it
# element by element (minutes); here each column is converted at once, to the values, types and
# styles openpyxl would store, and written either as openpyxl cells (ledgers_workbook's default)
# or straight into the sheet's XML when the workbook is saved (cells=False), byte for byte as
# openpyxl writes them.

_NUMBER_KINDS = frozenset({"ha", "mu", "rate", "years", "wan", "share"})
_STR = np.dtypes.StringDType()
_MAX_TEXT = 32_767  # openpyxl cuts longer strings
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_LONG_TEXT = 40  # longer text cells wrap
# what a cell holds, as openpyxl writes it
_EMPTY, _NUMBER, _TEXT, _SPACED, _FORMULA, _ERROR, _XML = range(7)
# style variants of a column's data cells
_PLAIN, _GENERAL, _WRAP = range(3)


@dataclass
class _Data:
    """One column's data cells.

    Attributes
    ----------
    what : numpy.ndarray
        Per row: ``_EMPTY``, ``_NUMBER``, ``_TEXT``, ``_SPACED`` (text with space at an end:
        kept with ``xml:space``), ``_FORMULA`` (text starting with "="), ``_ERROR`` (an Excel
        error code) or ``_XML`` (``text`` is the cell's XML, written by openpyxl).
    text : numpy.ndarray
        Objects: the value as the sheet's XML holds it (``"%.16g"`` of a number, the text
        cut to 32 767 characters, not yet escaped); with ``python``, the value handed to
        openpyxl instead (what :func:`_cell` returns).
    variant : numpy.ndarray
        Per row: ``_PLAIN`` (the column's number format), ``_GENERAL`` (an empty text cell)
        or ``_WRAP`` (a text over 40 characters, wrapped).
    width : int
        The widest value's display width (:func:`_width`).
    markup : bool
        Some text holds ``&``, ``<`` or ``>`` (to escape).
    """

    what: np.ndarray
    text: np.ndarray
    variant: np.ndarray
    width: int
    markup: bool = False


@dataclass
class _TextFacts:
    """What :func:`_text_facts` finds in each of some strings."""

    length: np.ndarray  # characters
    width: np.ndarray  # display width (:func:`_width`)
    illegal: np.ndarray  # holds a control character openpyxl refuses
    spaced: np.ndarray  # starts or ends with whitespace and is not all whitespace
    first: np.ndarray  # the first character's code point (-1 for "")
    markup: bool  # some string holds &, < or >


def _text_facts(strings: np.ndarray) -> _TextFacts:
    """Look at every character of some strings at once (their UTF-32 code points)."""
    length = np.strings.str_len(strings.astype(_STR)).astype(np.int64)
    codes = np.frombuffer("".join(strings.tolist()).encode("utf-32-le"), dtype=np.uint32)
    bounds = np.concatenate([[0], np.cumsum(length)])
    if not len(codes):
        none = np.zeros(len(strings), dtype=bool)
        return _TextFacts(length, length, none, none, np.full(len(strings), -1), False)
    distinct = np.flatnonzero(np.bincount(codes))
    chars = [chr(c) for c in distinct.tolist()]
    wide = np.zeros(int(distinct[-1]) + 1, dtype=np.int64)
    wide[distinct] = [unicodedata.east_asian_width(c) in "WF" for c in chars]
    space = np.zeros(len(wide), dtype=bool)
    space[distinct] = [c.isspace() for c in chars]  # what str.strip() takes off

    def per_string(flags: np.ndarray) -> np.ndarray:
        ends = np.concatenate([[0], np.cumsum(flags)])
        return ends[bounds[1:]] - ends[bounds[:-1]]

    illegal = (codes <= 8) | (codes == 11) | (codes == 12) | ((codes >= 14) & (codes <= 31))
    filled = length > 0
    first = np.full(len(strings), -1, dtype=np.int64)
    first[filled] = codes[bounds[:-1][filled]]
    at_end = np.zeros(len(strings), dtype=bool)
    at_end[filled] = space[codes[bounds[:-1][filled]]] | space[codes[bounds[1:][filled] - 1]]
    markup = bool(np.isin(distinct, (ord("&"), ord("<"), ord(">"))).any())
    return _TextFacts(
        length,
        length + per_string(wide[codes]),
        per_string(illegal) > 0,
        at_end & (per_string(space[codes]) < length),
        first,
        markup,
    )


def _number_width(numbers: np.ndarray) -> int:
    """The largest :func:`_width` of some numbers: their text only grows with the magnitude."""
    box = float if numbers.dtype.kind == "f" else int
    finite = np.isfinite(numbers)
    candidates = [box(v) for v in numbers[~finite]]  # inf and -inf
    for side in (numbers[finite & np.signbit(numbers)], numbers[finite & ~np.signbit(numbers)]):
        if len(side):
            candidates.append(box(side[np.argmax(np.abs(side))]))
    return max(map(_width, candidates), default=0)


def _convert(series: pd.Series, kind: str, words: dict[str, str], ws: Worksheet, column: int,
             *, python: bool) -> _Data:
    """Convert a column's values at once, as :func:`_cell` and openpyxl would one by one.

    Parameters
    ----------
    series : pandas.Series
        The column's values (:func:`_values`).
    kind : str
        The column's kind (a key of ``_FORMATS``).
    words : dict
        The sheet's words (``yes`` and ``no``).
    ws : openpyxl.worksheet.worksheet.Worksheet
        The sheet (for a column openpyxl has to write itself: see :func:`_objects`).
    column : int
        The column's number, from 1.
    python : bool
        Give ``text`` the values to hand to openpyxl rather than their XML text.

    Returns
    -------
    _Data
    """
    n = len(series)
    present = series.notna().to_numpy(dtype=bool)
    what = np.where(present, _NUMBER, _EMPTY).astype(np.int8)
    variant = np.full(n, _PLAIN, dtype=np.int8)
    text = np.empty(n, dtype=object)
    values = series[present]
    if kind == "bool":
        flags = values.to_numpy(dtype=object).astype(bool)
        strings = np.where(flags, words["yes"], words["no"]).astype(object)
        return _strings(strings, present, what, variant, text, python=python, wrap=False)
    if kind == "text":
        raw = values.to_numpy(dtype=object)
        if len(raw) and pd.api.types.infer_dtype(raw, skipna=False) != "string":
            return _objects(raw, present, words, ws, column, python=python)
        variant[~present] = _GENERAL
        return _strings(raw, present, what, variant, text, python=python, wrap=True)
    if kind == "date":
        dates = pd.to_datetime(values)
        if dates.dt.tz is not None:
            dates = dates.dt.tz_localize(None)
        if python:
            text[present] = dates.dt.date.to_numpy(dtype=object)
        else:
            days = (dates.dt.normalize() - _EXCEL_EPOCH).dt.days.to_numpy(dtype=np.int64)
            days = np.where((days > 0) & (days <= 60), days - 1, days)  # Excel's 29 Feb 1900
            text[present] = days.astype(str).astype(object)
        return _Data(what, text, variant, 10 if present.any() else 0)
    numbers = pd.to_numeric(values)
    if kind == "int":
        if pd.api.types.is_integer_dtype(numbers.dtype) or pd.api.types.is_bool_dtype(numbers.dtype):
            ints = numbers.to_numpy(dtype=np.int64)
        else:
            ints = np.trunc(numbers.to_numpy(dtype=np.float64)).astype(np.int64)
        text[present] = ints.tolist() if python else ints.astype(str).astype(object)
        return _Data(what, text, variant, _number_width(ints))
    if kind not in _NUMBER_KINDS:
        raise ValueError(f"unknown column kind {kind!r}")
    floats = numbers.to_numpy(dtype=np.float64)
    if python:
        text[present] = floats.tolist()
    else:
        # openpyxl writes "%.16g" (not the shortest repr): the values read back are those of a
        # workbook openpyxl wrote itself. No numpy routine formats this way faster than map.
        formatted = np.array(list(map("%.16g".__mod__, floats.tolist())), dtype=object)
        formatted[~np.isfinite(floats)] = ""  # inf: an empty <v/>, as openpyxl writes it
        text[present] = formatted
    return _Data(what, text, variant, _number_width(floats))


def _strings(strings: np.ndarray, present: np.ndarray, what: np.ndarray, variant: np.ndarray,
             text: np.ndarray, *, python: bool, wrap: bool) -> _Data:
    """Text cells (``strings`` where ``present``): widths, long ones wrapped, types as openpyxl's."""
    from openpyxl.cell.cell import ERROR_CODES
    from openpyxl.utils.exceptions import IllegalCharacterError

    facts = _text_facts(strings)
    if wrap:
        variant[present] = np.where(facts.length > _LONG_TEXT, _WRAP, _PLAIN)
    width = int(facts.width.max(initial=0))
    what[present] = _TEXT
    if python:
        text[present] = strings
        return _Data(what, text, variant, width)
    if (facts.length > _MAX_TEXT).any():  # openpyxl keeps the first 32 767 characters
        strings = np.array([t[:_MAX_TEXT] for t in strings.tolist()], dtype=object)
        facts = _text_facts(strings)
    if facts.illegal.any():
        value = strings[np.argmax(facts.illegal)]
        raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
    kind = np.where(facts.spaced, _SPACED, _TEXT).astype(np.int8)
    kind[(facts.first == ord("=")) & (facts.length > 1)] = _FORMULA
    code = (facts.first == ord("#")) & (kind != _FORMULA)
    kind[code] = np.where(np.isin(strings[code], list(ERROR_CODES)), _ERROR, kind[code])
    what[present] = kind
    text[present] = strings
    return _Data(what, text, variant, width, facts.markup)


def _objects(raw: np.ndarray, present: np.ndarray, words: dict[str, str], ws: Worksheet,
             column: int, *, python: bool) -> _Data:
    """A text column holding other objects than strings: one cell at a time, as openpyxl would.

    Only a column mixing numpy scalars with strings comes here (numbers and dates stay
    what they are: see :func:`_cell`).
    """
    from openpyxl.cell import Cell
    from openpyxl.cell._writer import etree_write_cell
    from openpyxl.xml.functions import tostring

    values = [_cell(v, "text", words) for v in raw]
    n = len(present)
    what = np.full(n, _EMPTY, dtype=np.int8)
    variant = np.full(n, _GENERAL, dtype=np.int8)
    variant[present] = [
        _GENERAL if v is None else _WRAP if isinstance(v, str) and len(v) > _LONG_TEXT else _PLAIN
        for v in values
    ]
    text = np.empty(n, dtype=object)
    width = max((_width(v) for v in values), default=0)
    if python:
        what[present] = _TEXT
        text[present] = values
        return _Data(what, text, variant, width)

    class Capture:
        xml = ""

        def write(self, element: object) -> None:
            self.xml = tostring(element).decode("utf-8")

    sink = Capture()
    xml = []
    for value in values:  # rows and styles are set later: placeholders the writer fills in
        cell = Cell(ws, row=1, column=column, value=value)
        etree_write_cell(sink, ws, cell, False)
        xml.append(sink.xml)
    what[present] = _XML
    text[present] = xml
    return _Data(what, text, variant, width)


def _escape(strings: np.ndarray, markup: bool) -> np.ndarray:
    """Escape text for XML element content as ElementTree does (&, <, >)."""
    out = strings.astype(_STR)
    if markup:
        for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            out = np.strings.replace(out, char, entity)
    return out


_ADD = np.strings.add


def _cells_xml(data: _Data, letter: str, rows: np.ndarray, styles: np.ndarray) -> np.ndarray:
    """The ``<c>`` elements of a column's data cells, as openpyxl writes them."""
    what, text = data.what, data.text
    start = _ADD(f'<c r="{letter}', rows)
    if (data.variant == data.variant[0]).all():
        out = _ADD(start, f'" s="{styles[data.variant[0]]}"')
    else:
        out = _ADD(_ADD(_ADD(start, '" s="'), styles[data.variant]), '"')
    tails = {
        _EMPTY: None,
        _NUMBER: (' t="n"><v>', "</v></c>"),
        _TEXT: (' t="inlineStr"><is><t>', "</t></is></c>"),
        _SPACED: (' t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"),
        _FORMULA: ("><f>", "</f><v /></c>"),
        _ERROR: (' t="e"><v>', "</v></c>"),
    }
    kinds = np.unique(what)
    for kind in kinds.tolist():
        if kind == _XML:
            continue
        rows_of = slice(None) if len(kinds) == 1 else what == kind
        if kind == _EMPTY:
            out[rows_of] = _ADD(out[rows_of], ' t="n" />')
            continue
        values = text[rows_of]
        if kind == _FORMULA:
            values = np.array([t[1:] for t in values.tolist()], dtype=object)
        values = values.astype(_STR) if kind == _NUMBER else _escape(values, data.markup)
        head, tail = tails[kind]
        cells = _ADD(_ADD(_ADD(out[rows_of], head), values), tail)
        if kind == _NUMBER:  # inf: openpyxl writes an empty value
            cells = np.where(values == "", _ADD(out[rows_of], ' t="n"><v /></c>'), cells)
        elif kind == _TEXT:  # "": no content at all
            cells = np.where(values == "", _ADD(out[rows_of], ' t="inlineStr" />'), cells)
        out[rows_of] = cells
    cell = what == _XML
    if cell.any():
        # openpyxl's own element, written for row 1 without a style: put the row and style in.
        xml = text[cell].astype(_STR)
        out[cell] = _ADD(_ADD(_ADD(_ADD(start[cell], '" s="'), styles[data.variant[cell]]), '"'),
                         np.strings.slice(xml, len(f'<c r="{letter}1"'), None))
    return out


def _rows_xml(data: list[_Data], styles: list[np.ndarray], first: int) -> str:
    """The ``<row>`` elements of the data rows, as openpyxl writes them."""
    from openpyxl.utils import get_column_letter

    n = len(data[0].what) if data else 0
    if not n:
        return ""
    rows = np.arange(first, first + n).astype(_STR)
    parts = [_ADD(_ADD('<row r="', rows), '">')]
    parts += [
        _cells_xml(column, get_column_letter(j), rows, ids)
        for j, (column, ids) in enumerate(zip(data, styles, strict=True), start=1)
    ]
    parts.append(np.full(n, "</row>", dtype=_STR))
    # row by row: the parts side by side, read across
    return "".join(np.stack(parts, axis=1).ravel().tolist())


@dataclass
class _Deferred:
    """A sheet's data rows as XML, written into the sheet when the workbook is saved."""

    xml: str
    before: str  # the sheet's XML they go in front of
    dimension: str  # the sheet's used range


def _splice(xlsx: bytes, sheets: list[tuple[Worksheet, _Deferred]]) -> bytes:
    """Put deferred data rows into the sheets of a workbook openpyxl has just written."""
    import re
    import zipfile

    patches = {ws.path.lstrip("/"): rows for ws, rows in sheets}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            rows = patches.get(info.filename)
            if rows is not None:
                xml = data.decode("utf-8")
                xml = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{rows.dimension}"', xml,
                             count=1)
                at = xml.index(rows.before)
                data = (xml[:at] + rows.xml + xml[at:]).encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


@functools.cache
def _deferring_workbook() -> type[Workbook]:
    """An openpyxl workbook whose ledger sheets keep their data rows as XML until it is saved.

    (A class made on first use: openpyxl is imported only when a workbook is made.)
    """
    from openpyxl import Workbook

    class DeferringWorkbook(Workbook):
        """A workbook whose ledger sheets' data rows are XML, spliced in by :meth:`save`."""

        def __init__(self) -> None:
            super().__init__()
            self.deferred: list[tuple[Worksheet, _Deferred]] = []

        def save(self, filename: str | os.PathLike | io.IOBase) -> None:
            """Save the workbook, data rows and all, to a path or a binary file object."""
            sheets = [(ws, rows) for ws, rows in self.deferred if ws in self.worksheets]
            if not sheets:
                super().save(filename)
                return
            buf = io.BytesIO()
            super().save(buf)
            data = _splice(buf.getvalue(), sheets)
            if hasattr(filename, "write"):
                filename.write(data)
            else:
                Path(filename).write_bytes(data)

    return DeferringWorkbook


def _register(ws: Worksheet) -> None:
    """Give the sheet's styled cells their style ids now, in the order openpyxl would on saving."""
    styles = ws.parent._cell_styles
    for _, cell in sorted(ws._cells.items()):
        if cell.has_style:
            styles.add(cell._style)


def _sheet(
    wb: Workbook,
    name: str,
    title: str,
    notes: list[str],
    columns: list[_Col],
    frame: pd.DataFrame,
    lang: str,
    *,
    totals: dict[str, object] | None = None,
) -> Worksheet:
    """Write one ledger sheet: title, notes, header (row 3), rows, optional totals row.

    Data rows go in as openpyxl cells or, in a workbook of :func:`_deferring_workbook`, as
    XML the workbook writes into the sheet when it is saved.
    """
    from copy import copy

    from openpyxl.cell import Cell
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    words = _WORDS[lang]
    deferred: list[tuple[Worksheet, _Deferred]] | None = getattr(wb, "deferred", None)
    ws = wb.create_sheet(name)
    ncol = len(columns)
    last = get_column_letter(ncol)
    ws["A1"] = title
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 26
    ws["A2"] = "　".join(notes) if lang == "zh" else "  ·  ".join(notes)
    ws["A2"].font = Font(size=9, color="555555")
    ws.merge_cells(f"A2:{last}2")

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDE4EE")
    widths = [0] * ncol
    for j, col in enumerate(columns, start=1):
        header = col.zh if lang == "zh" else col.en
        c = ws.cell(row=_HEADER_ROW, column=j, value=header)
        c.font = Font(bold=True)
        c.fill = head_fill
        c.border = border
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if col.note:
            c.comment = Comment(col.note, "landuse")
        widths[j - 1] = _width(header)
    _register(ws)

    data = [
        _convert(_values(col, frame), col.kind, words, ws, j, python=deferred is None)
        for j, col in enumerate(columns, start=1)
    ]
    # One styled template per column and variant, made in the order openpyxl would meet them
    # row by row, so number formats and style ids come out as if each cell had been styled.
    first = sorted(
        (int(np.argmax(d.variant == v)), j, v)
        for j, d in enumerate(data)
        for v in np.unique(d.variant).tolist()
    )
    wrap = Alignment(wrap_text=True, vertical="top")
    templates: dict[tuple[int, int], Cell] = {}
    for _, j, v in first:
        t = Cell(ws, row=_HEADER_ROW + 1, column=j + 1)
        kind = columns[j].kind
        t.number_format = "General" if v == _GENERAL else _FORMATS[kind]
        t.border = border
        if v == _WRAP:
            t.alignment = wrap
        wb._cell_styles.add(t._style)
        templates[(j, v)] = t
    for j, d in enumerate(data):
        widths[j] = max(widths[j], d.width)
    last_row = _HEADER_ROW + len(frame)
    if totals is not None:
        r = last_row + 1
        bold = Font(bold=True)
        total_fill = PatternFill("solid", fgColor="F2F2F2")
        for j, col in enumerate(columns, start=1):
            key = col.values if isinstance(col.values, str) else col.zh
            value = totals.get(key) if j != 2 else words["total"]
            value = _cell(value, col.kind, words) if j != 2 else value
            c = ws.cell(row=r, column=j, value=value)
            c.font = bold
            c.fill = total_fill
            c.border = border
            if value is not None and j != 2:
                c.number_format = _FORMATS[col.kind]
        for j in range(1, ncol + 1):
            if ws.cell(row=r, column=j).has_style:
                wb._cell_styles.add(ws.cell(row=r, column=j)._style)
    if deferred is not None:
        ids = [
            np.array([str(wb._cell_styles.add(templates[(j, v)]._style)) if (j, v) in templates
                      else "" for v in (_PLAIN, _GENERAL, _WRAP)], dtype=_STR)
            for j in range(ncol)
        ]
        end = last_row + (1 if totals is not None else 0)
        deferred.append((ws, _Deferred(
            _rows_xml(data, ids, _HEADER_ROW + 1),
            f'<row r="{last_row + 1}"' if totals is not None else "</sheetData>",
            f"A1:{last}{max(end, _HEADER_ROW)}",
        )))
    else:
        # openpyxl's object model needs a cell object each: the one loop over rows left.
        cells = ws._cells
        for j, d in enumerate(data):
            by_variant = {v: templates[(j, v)]._style for v in range(3) if (j, v) in templates}
            for i, (value, v) in enumerate(zip(d.text.tolist(), d.variant.tolist(), strict=True)):
                c = Cell(ws, row=_HEADER_ROW + 1 + i, column=j + 1, value=value)
                c._style = copy(by_variant[v])
                cells[(c.row, j + 1)] = c
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 6), 48)
    ws.row_dimensions[_HEADER_ROW].height = 32
    ws.freeze_panes = f"C{_HEADER_ROW + 1}"
    if len(frame):
        ws.auto_filter.ref = f"A{_HEADER_ROW}:{last}{last_row}"
    ws.print_title_rows = f"{_HEADER_ROW}:{_HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    return ws


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


def _supply_rate(supplied: float, approved: float, revoked: float) -> float:
    base = approved - revoked
    return supplied / base if base > 1e-6 else float("nan")


def _detail(wb: Workbook, a: Assessment, lang: str, notes: list[str]) -> None:
    b, scope = _scope_batches(a)
    names = _names(a)
    b = _serial(
        b.assign(
            _county=b["county_code"].astype(str).map(names),
            unsupplied_mu=b["unsupplied_ha"] * MU_PER_HA,
        )
    )
    cols = [
        _Col("序号", "No.", "int", "_n"),
        _Col("县区", "County", "text", "_county"),
        _Col("批次编号", "Batch id", "text", "batch_id"),
        _Col("批次名称", "Batch name", "text", "batch_name"),
        _Col("批准文号", "Approval no.", "text", "approval_no"),
        _Col("批准日期", "Approval date", "date", "approval_date"),
        _Col("批准机关", "Approved by", "text", "approver"),
        _Col("征收补偿实施情况", "Compensation", "text", "compensation"),
        _Col("批准面积(公顷)", "Approved (ha)", "ha", "approved_ha", "sum"),
        _Col("已供面积(公顷)", "Supplied (ha)", "ha", "supplied_ha", "sum"),
        _Col(
            "失效撤回核减面积(公顷)", "Lapsed, withdrawn, reduced (ha)", "ha", "revoked_ha", "sum"
        ),
        _Col("未供面积(公顷)", "Unsupplied (ha)", "ha", "unsupplied_ha", "sum"),
        _Col("未供面积(亩)", "Unsupplied (mu)", "mu", "unsupplied_mu", "sum"),
        _Col("供地率", "Supply rate", "rate", "supply_rate"),
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
    totals = {
        c.values: b[c.values].sum() for c in cols if c.total == "sum" and isinstance(c.values, str)
    }
    totals["supply_rate"] = _supply_rate(
        totals["supplied_ha"], totals["approved_ha"], totals["revoked_ha"]
    )
    title = (
        _WORDS[lang]["attachment"].format(n=2)
        + _years_label(scope, lang)
        + ("批而未供土地情况明细表" if lang == "zh" else "unsupplied land by batch")
    )
    _sheet(wb, SHEETS["detail"][lang == "en"], title, notes, cols, b, lang, totals=totals)


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


def _statistics(wb: Workbook, a: Assessment, lang: str, notes: list[str]) -> None:
    _, scope = _scope_batches(a)
    stats = _serial(county_statistics(a))
    cols = [
        _Col("序号", "No.", "int", "_n"),
        _Col("县区", "County", "text", "county_name"),
        _Col("县区代码", "County code", "text", "county_code"),
        _Col("批次数", "Batches", "int", "batches", "sum"),
        _Col("批准面积(公顷)", "Approved (ha)", "ha", "approved_ha", "sum"),
        _Col("已供面积(公顷)", "Supplied (ha)", "ha", "supplied_ha", "sum"),
        _Col(
            "失效撤回核减面积(公顷)", "Lapsed, withdrawn, reduced (ha)", "ha", "revoked_ha", "sum"
        ),
        _Col("未供面积(公顷)", "Unsupplied (ha)", "ha", "unsupplied_ha", "sum"),
        _Col("未供面积(亩)", "Unsupplied (mu)", "mu", "unsupplied_mu", "sum"),
        _Col("供地率", "Supply rate", "rate", "supply_rate"),
    ]
    totals = {
        c.values: stats[c.values].sum()
        for c in cols
        if c.total == "sum" and isinstance(c.values, str)
    }
    totals["supply_rate"] = _supply_rate(
        totals["supplied_ha"], totals["approved_ha"], totals["revoked_ha"]
    )
    title = (
        _WORDS[lang]["attachment"].format(n=3)
        + _years_label(scope, lang)
        + ("批而未供土地情况统计表" if lang == "zh" else "unsupplied land by county")
    )
    _sheet(wb, SHEETS["statistics"][lang == "en"], title, notes, cols, stats, lang, totals=totals)


def _idle(wb: Workbook, a: Assessment, lang: str, notes: list[str]) -> None:
    words = _WORDS[lang]
    idle = pd.DataFrame(a.idle.drop(columns="geometry"))
    idle = idle.sort_values(["county_code", "idle_id"], kind="stable")
    names = _names(a)
    overdue = ~idle["disposed"] & (idle["deadline"] < pd.Timestamp(a.as_of)).fillna(False)
    status = np.where(
        idle["disposed"],
        words["disposed"],
        np.where(overdue, words["overdue"], words["undisposed"]),
    )
    measure = idle["measure"] if lang == "zh" else idle.get("measure_en", idle["measure"])
    idle = _serial(
        idle.assign(
            _county=idle["county_code"].astype(str).map(names),
            _status=status,
            _measure=measure,
            area_mu=idle["area_ha"] * MU_PER_HA,
        )
    )
    cols = [
        _Col("序号", "No.", "int", "_n"),
        _Col("县区", "County", "text", "_county"),
        _Col("闲置编号", "Idle id", "text", "idle_id"),
        _Col("电子监管号", "Parcel (supervision no.)", "text", "parcel_id"),
        _Col("项目名称", "Project", "text", "project_name"),
        _Col("土地使用权人", "Land user", "text", "holder"),
        _Col("面积(公顷)", "Area (ha)", "ha", "area_ha", "sum"),
        _Col("面积(亩)", "Area (mu)", "mu", "area_mu", "sum"),
        _Col("认定日期", "Identified", "date", "identified_date"),
        _Col("闲置年限(年)", "Idle (years)", "years", "idle_years"),
        _Col("闲置原因", "Cause", "text", "cause"),
        _Col("处置方式", "Disposal", "text", "disposal"),
        _Col("处置日期", "Disposal date", "date", "disposal_date"),
        _Col("整改措施", "Measure", "text", "_measure"),
        _Col("土地闲置费(万元)", "Idle fee (10k yuan)", "wan", "idle_fee_wan", "sum"),
        _Col("整改期限", "Deadline", "date", "deadline"),
        _Col("责任单位", "Responsible unit", "text", "responsible_unit"),
        _Col("状态", "Status", "text", "_status"),
        _Col("典型案例", "Typical case", "bool", "typical"),
        _Col("实地核查抽样", "Field sample", "bool", "sample"),
    ]
    totals = {
        c.values: idle[c.values].sum()
        for c in cols
        if c.total == "sum" and isinstance(c.values, str)
    }
    title = words["attachment"].format(n=4) + (
        "闲置土地整改工作台账" if lang == "zh" else "idle land rectification ledger"
    )
    _sheet(wb, SHEETS["idle"][lang == "en"], title, notes, cols, idle, lang, totals=totals)


def _counties(wb: Workbook, a: Assessment, lang: str, notes: list[str]) -> None:
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
    totals = {
        col.values: c[col.values].sum(min_count=1)
        for col in cols
        if col.total == "sum" and isinstance(col.values, str)
    }
    title = (a.rules.name if lang == "zh" else a.rules.name_en) + (
        "：县区考核结果" if lang == "zh" else ": counties"
    )
    _sheet(wb, SHEETS["counties"][lang == "en"], title, notes, cols, c, lang, totals=totals)


def _candidates(wb: Workbook, a: Assessment, lang: str, notes: list[str]) -> None:
    from landuse.approvals import KIND_LABELS

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
        _Col("电子监管号", "Parcel (supervision no.)", "text", "parcel_id"),
        _Col("面积(公顷)", "Area (ha)", "ha", "area_ha", "sum"),
        _Col("面积(亩)", "Area (mu)", "mu", "area_mu", "sum"),
        _Col("已供面积(公顷)", "Supplied (ha)", "ha", "supplied_ha"),
        _Col("批准日期", "Approval date", "date", "approval_date"),
        _Col("批准机关", "Approved by", "text", "approver"),
        _Col("征收补偿实施情况", "Compensation", "text", "compensation"),
        _Col("批准后年限(年)", "Years since approval", "years", "years"),
        _Col("闲置年限(年)", "Idle (years)", "years", "idle_years"),
        _Col("原因", "Reason", "text", "_reason"),
        _Col("判定依据", "Basis", "text", "_basis"),
        _Col("建设用地占比", "Built-up share", "share", "built_share"),
        _Col("需实地核查", "Needs field check", "bool", "needs_field_check"),
        _Col("建议措施", "Measure", "text", "_measure"),
        _Col("土地闲置费(万元)", "Idle fee (10k yuan)", "wan", "idle_fee_wan", "sum"),
        _Col("返还指标(公顷)", "Indicators returned (ha)", "ha", "indicator_return_ha", "sum"),
        _Col("土地使用权人", "Land user", "text", "holder"),
        _Col("项目名称", "Project", "text", "project_name"),
        _Col("典型案例", "Typical case", "bool", "typical"),
        _Col("实地核查抽样", "Field sample", "bool", "sample"),
    ]
    totals = {
        c.values: pd.to_numeric(cand[c.values]).sum()
        for c in cols
        if c.total == "sum" and isinstance(c.values, str) and c.values in cand
    }
    title = (a.rules.name if lang == "zh" else a.rules.name_en) + (
        "：失效、撤回、核减及疑似闲置核查清单"
        if lang == "zh"
        else ": lapse, withdraw, reduce and suspected idle"
    )
    _sheet(wb, SHEETS["candidates"][en], title, notes, cols, cand, lang, totals=totals)


def _problems(wb: Workbook, a: Assessment, lang: str, notes: list[str]) -> None:
    words = _WORDS[lang]
    from landuse.schema import LAYERS

    p = a.problems
    layer_names = {k: (v.label if lang == "zh" else v.label_en) for k, v in LAYERS.items()}
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
    ws = _sheet(wb, SHEETS["problems"][lang == "en"], title, notes, cols, p, lang)
    ws.column_dimensions["F"].width = 80


def ledgers_workbook(assessment: Assessment, *, lang: str = "zh", cells: bool = True) -> Workbook:
    """Build the ledgers workbook of an assessment.

    Sheets (Chinese names by default, English with ``lang="en"``):
    批而未供情况明细表 (per batch approved in :func:`statistics_scope`),
    批而未供情况统计表 (per county, with a totals row), 闲置土地整改工作台账
    (per idle parcel), 县区考核, 核查清单 and 数据问题.

    Parameters
    ----------
    assessment : Assessment
    lang : {"zh", "en"}
    cells : bool, default True
        Make an openpyxl cell of every data cell. False keeps each sheet's data rows as
        XML that the workbook writes into the sheet when it is saved (with its ``save``
        or :func:`workbook_bytes`): the same file, made many times faster (a province's
        ledgers hold a million cells), but the data rows cannot be read or changed
        through openpyxl before saving.

    Returns
    -------
    openpyxl.Workbook

    Examples
    --------
    >>> from landuse import load_workspace
    >>> from landuse.assessment import assess
    >>> wb = ledgers_workbook(assess(load_workspace(), "zhumadian-2018", "2018-12-31"))
    >>> wb.sheetnames[:3]
    ['批而未供情况明细表', '批而未供情况统计表', '闲置土地整改工作台账']
    """
    from openpyxl import Workbook

    from landuse import __version__

    if lang not in _WORDS:
        from landuse._errors import LanduseError

        raise LanduseError(
            f"不支持的语言 “{lang}”（应为 zh 或 en）",
            f"unsupported language '{lang}' (use zh or en)",
        )
    words = _WORDS[lang]
    rules = assessment.rules
    notes = [
        words["as_of"].format(date=assessment.as_of),
        words["units"],
        words["rules"].format(source=rules.source if lang == "zh" else rules.source_en),
        words["made"].format(version=__version__, now=dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    wb = Workbook() if cells else _deferring_workbook()()
    wb.remove(wb.active)
    for build in (_detail, _statistics, _idle, _counties, _candidates, _problems):
        build(wb, assessment, lang, notes)
    wb.properties.creator = f"landuse {__version__}"
    wb.properties.title = rules.name if lang == "zh" else rules.name_en
    return wb


def workbook_bytes(workbook: Workbook) -> bytes:
    """Serialise an openpyxl workbook to XLSX bytes."""
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
        workbook_bytes(ledgers_workbook(assessment, lang=lang, cells=False)),
        target,
        overwrite=overwrite,
    )
