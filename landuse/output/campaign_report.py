"""The outputs of any campaign plug-in: the report page, the map, the workbook and the tables.

One module (over 800 lines) because the page, the map adapter and the workbook share the cell texts of one result (the category labels its layers declare, the number formats its column names imply).

A campaign (:mod:`landuse.campaigns`) returns a
:class:`~landuse.campaigns._base.CampaignResult`; everything here reads that
result and nothing else, so a new campaign gets its report, map and ledgers
without a line of its own in this module:

``index.html``
    One self-contained page that opens offline: the title, the as-of date,
    a banner when data errors left rows out, the campaign's report section
    (``Campaign.report_section``), its county table (the columns the result
    declares, with their titles), the map of its layers (embedded as an
    ``<iframe srcdoc>``), the ledgers and the data problems. Every text from
    the data is escaped.
``ledgers.xlsx``
    One sheet of the county table, then one sheet per
    :class:`~landuse.campaigns._base.Ledger`: a title row, the as-of date
    and rule set, the headers the ledger declares, a frozen header row, a
    filter, and a total row (``SUBTOTAL`` formulas, values cached) for the
    ledger's ``total`` columns. Text from the data never runs: a cell a
    spreadsheet would read as a formula gets a leading ``'``.
``counties.csv``, ``<ledger>.csv``, ``problems.csv``
    As ``landuse assess --out`` writes them.

The map reuses the machinery of :mod:`landuse.output.maps` (Leaflet inlined
from ``xstatic-leaflet``, no tiles unless asked for, the compact layer
encoding and the size budget): each :class:`~landuse.campaigns._base.MapLayer`
becomes one switchable layer coloured by its category, with its popup
columns. Layers of larger features are drawn under those of smaller ones.

:func:`append_campaign` adds a campaign's section, county table and map to a
增存挂钩 report page (``landuse report --rules zhumadian-2018 --rules
zhumadian-2019-weipian``).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import logging
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.io.files import formula_safe, write_bytes, write_csv, write_text
from landuse.output._lang import check_lang, pair_word
from landuse.output.maps import map_frame

if TYPE_CHECKING:
    import folium

    from landuse.campaigns._base import Campaign, CampaignResult, MapLayer

__all__ = [
    "append_campaign",
    "campaign_map",
    "campaign_report_html",
    "campaign_tables",
    "campaign_workbook_bytes",
    "report_files",
    "write_campaign_report",
]

log = logging.getLogger(__name__)

_COLOUR = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")
_OTHER_COLOUR = "#9e9e9e"
_UNIT_EDGE = "#3d4a3d"
_MAX_PROBLEMS = 30

_WORDS: dict[str, tuple[str, str]] = {
    "doc_title": ("{name}：会议报告", "{name}: meeting report"),
    "as_of": ("截至 {date}", "as of {date}"),
    "incomplete": ("数据不完整：{n} 个错误使相关数据未参与计算，以下结论待定；详见“数据问题”",
                   "Data incomplete: {n} error(s) kept rows out of the computation, the verdicts below are "
                   "undetermined; see the data problems"),
    "nav_section": ("考核结果", "Results"),
    "nav_counties": ("县区明细", "Units"),
    "nav_map": ("地图", "Map"),
    "nav_ledgers": ("台账", "Ledgers"),
    "nav_problems": ("数据问题", "Data problems"),
    "nav_sources": ("依据", "Sources"),
    "counties": ("各县区（功能区）明细", "Every assessed unit"),
    "code": ("代码", "code"),
    "city": ("全市", "city"),
    "map": ("地图", "Map"),
    "no_layers": ("结果没有可绘制的图层", "the result has no layer to draw"),
    "ledgers": ("台账（ledgers.xlsx 各工作表，另有同名 CSV）", "Ledgers (sheets of ledgers.xlsx, and CSV files)"),
    "ledger_rows": ("{n} 行", "{n} rows"),
    "ledger_file": ("文件", "file"),
    "ledger_title": ("台账", "ledger"),
    "ledger_count": ("行数", "rows"),
    "problems": ("数据问题", "Data problems"),
    "problems_count": ("共 {errors} 个错误、{warnings} 个警告（全部见 problems.csv）",
                       "{errors} error(s) and {warnings} warning(s) (all in problems.csv)"),
    "problems_none": ("未发现数据问题", "No data problems found"),
    "p_severity": ("级别", "severity"),
    "p_layer": ("图层", "layer"),
    "p_feature": ("要素", "feature"),
    "p_field": ("字段", "field"),
    "p_message": ("问题与处理", "problem and mend"),
    "error": ("错误", "error"),
    "warning": ("警告", "warning"),
    "sources": ("依据与数据来源", "Rules and data"),
    "rules": ("规则集", "rule set"),
    "source": ("依据", "source"),
    "workspace": ("数据", "data"),
    "footer": ("landuse {version} 生成于 {now}", "made by landuse {version} on {now}"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "total": ("合计", "Total"),
    "sheet_counties": ("县区汇总", "units"),
    "sheet_meta": ("截至 {date} · 规则集 {rules}", "as of {date} · rule set {rules}"),
}

_EXTRA_CSS = """
.campaign .banner, .warn.undetermined { background:#f6c343; color:#222; padding:4px 8px; border-radius:3px; }
.campaign table tr.over td { background:#fdebe5; }
.scroll, #section > section { overflow-x:auto; }
table.counties td.num { text-align:right; }
tr.city td { font-weight:700; background:#eef2f6; }
"""

# The page loads the map once it is laid out (as the 增存挂钩 report does).

def _w(key: str, lang: str, **kw: object) -> str:
    return pair_word(_WORDS, key, lang, **kw)




def report_files(campaign: Campaign) -> list[str]:
    """The files :func:`write_campaign_report` writes for ``campaign``, in order.

    ``index.html``, ``ledgers.xlsx``, ``counties.csv``, one ``<ledger>.csv``
    per name in ``campaign.ledger_names`` and ``problems.csv``: known before
    anything is computed, so that existing outputs are refused first.
    """
    return ["index.html", "ledgers.xlsx", "counties.csv", *(f"{n}.csv" for n in campaign.ledger_names),
            "problems.csv"]


# --- cell texts ------------------------------------------------------------------------------
def _vocabulary(result: CampaignResult) -> dict[str, dict[str, tuple[str, str]]]:
    """Category column → value → (中文, English) label, from the result's map layers."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for layer in result.layers:
        out.setdefault(layer.category, {}).update(
            {str(v): (zh, en) for v, (zh, en, _colour) in layer.styles.items()})
    return out


def _numbers(values: pd.Series, col: str, lang: str) -> np.ndarray:
    """Each present number of a column as display text (each distinct value formatted once)."""
    from landuse.model.units import format_rate

    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out = np.full(len(numbers), "", dtype=object)
    present = ~np.isnan(numbers)
    if not present.any():
        return out
    codes, distinct = pd.factorize(numbers[present])
    integral = pd.api.types.is_integer_dtype(values.dtype)
    # Units are in the column titles ("面积（公顷）"): the cells carry the numbers alone.
    if col.endswith(("_ratio", "_rate")):
        texts = [format_rate(v) for v in distinct.tolist()]
    elif integral:
        texts = [f"{int(v):d}" for v in distinct.tolist()]
    else:
        texts = [f"{v:,.2f}" for v in distinct.tolist()]
    out[present] = np.array(texts, dtype=object)[codes]
    return out


def _column_texts(values: pd.Series, col: str, lang: str,
                  vocabulary: dict[str, dict[str, tuple[str, str]]] | None = None) -> np.ndarray:
    """Each value of a column as escaped display text ("" when missing)."""
    values = values.reset_index(drop=True)
    out = np.full(len(values), "", dtype=object)
    present = values.notna().to_numpy(dtype=bool)
    if not present.any():
        return out
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or str(dtype) == "boolean":
        flags = values[present].astype(bool).to_numpy()
        out[present] = np.where(flags, _w("yes", lang), _w("no", lang))
        return out
    if pd.api.types.is_datetime64_any_dtype(dtype):
        out[present] = values[present].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        return out
    if pd.api.types.is_numeric_dtype(dtype):
        return _numbers(values, col, lang)
    text = values[present].astype(object).map(str)
    labels = (vocabulary or {}).get(col)
    if labels:  # a category a map layer names: its label
        text = text.map(lambda v: labels[v][0 if lang == "zh" else 1] if v in labels else v)
    codes, distinct = pd.factorize(text)
    out[present] = np.array([_e(v) for v in distinct], dtype=object)[codes]
    return out


# --- map -------------------------------------------------------------------------------------
def _layer_key(name: str, taken: set[str]) -> str:
    """A key safe in the page's script and CSS class names, unique on the map."""
    key = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "layer"
    base, k = key, 1
    while key in taken or key == "counties":
        k += 1
        key = f"{base}_{k}"
    taken.add(key)
    return key


def _e(value: object) -> str:
    """Escape one value for HTML (quotes too: values may land in attributes)."""
    return html.escape(str(value), quote=True)


def _plane_crs(layers: Sequence[MapLayer]) -> Any:
    """The projected CRS the layers are drawn from: the first projected one (else None)."""
    for layer in layers:
        crs = layer.frame.crs
        if crs is not None and crs.is_projected:
            return crs
    return None


def _map_layers(result: CampaignResult, lang: str) -> tuple[list[Any], gpd.GeoDataFrame, dict[str, int]]:
    """The result's map layers as :mod:`landuse.output.maps` layers, its extent, and rows not drawn."""
    from landuse.output import maps

    crs = _plane_crs(result.layers)
    vocabulary = _vocabulary(result)
    prepared = []
    for layer in result.layers:
        frame = maps.to_plane(layer.frame, layer.name, crs)
        crs = crs if crs is not None else frame.crs
        shown = maps.drawable(frame)
        frame = frame[shown].reset_index(drop=True)
        area = float(np.median(shapely.area(frame.geometry.to_numpy()))) if len(frame) else 0.0
        prepared.append((layer, frame, int((~shown).sum()), area))
    # Large features (the units) under small ones (parcels): the drawing order follows size.
    prepared.sort(key=lambda p: -p[3])
    taken: set[str] = set()
    out, missing = [], {}
    for z, (layer, frame, no_geometry, _area) in enumerate(prepared):
        if not len(frame):
            continue
        unit = z == 0 and len(prepared) > 1
        own = _layer_key(layer.name, taken)
        # The units' layer takes the key the page's script knows as the units: on a map large
        # enough to be drawn on canvas, it stays outlines while parcels are dots (see map.js).
        key = "counties" if unit else own
        if no_geometry:
            missing[key] = no_geometry
        values = (frame[layer.category].astype(object).map(lambda v: None if pd.isna(v) else str(v))
                  if layer.category in frame else pd.Series(None, index=frame.index, dtype=object))
        known = list(layer.styles)
        styles = []
        for v in known:
            colour = layer.styles[v][2]
            colour = colour if _COLOUR.match(str(colour)) else _OTHER_COLOUR
            styles.append(maps.path_style(own, colour, _UNIT_EDGE if unit else colour,
                                           weight=1.4 if unit else 1.2, fill_opacity=0.55 if unit else 0.8))
        styles.append(maps.path_style(own, _OTHER_COLOUR, "#555555", weight=1.0,
                                       fill_opacity=0.55 if unit else 0.8))
        lookup = pd.Series(np.arange(len(known)), index=pd.Index(known, dtype=object))
        classes = lookup.reindex(values.to_numpy()).fillna(len(known)).to_numpy(dtype=int)
        label_of = {v: layer.styles[v][0 if lang == "zh" else 1] for v in known}
        category = values.map(label_of).astype(object).where(values.map(label_of).notna(), values)
        fields, columns = [], []
        for col, (zh, en) in layer.popup.items():
            if col not in frame:
                continue
            texts = _column_texts(frame[col], col, lang, vocabulary)
            if (texts != "").any():
                fields.append(_e(zh if lang == "zh" else en))
                columns.append(texts)
        first = columns[0] if columns else np.full(len(frame), "", dtype=object)
        tips = [first, _column_texts(category, "", lang)]
        present = set(values.dropna())
        legend = [(label_of[v], st) for v, st in zip(known, styles, strict=False) if v in present]
        if (classes == len(known)).any():
            legend.append(("其他" if lang == "zh" else "other", styles[-1]))
        name = _e(layer.label if lang == "zh" else layer.label_en)
        out.append(maps.DrawnLayer(key, name, gpd.GeoDataFrame(frame, geometry=frame.geometry.name, crs=crs),
                               classes, styles, fields, columns, tips, tolerance_m=1.0, digits=5, show=True,
                               z=405 + 5 * z if not unit else 402, legend=legend))
    bounds = [x.frame.total_bounds for x in out]
    extent = gpd.GeoDataFrame(
        geometry=[shapely.box(min(b[0] for b in bounds), min(b[1] for b in bounds),
                              max(b[2] for b in bounds), max(b[3] for b in bounds))] if bounds else [],
        crs=crs if bounds else None)
    return out, extent, missing


def campaign_map(
    result: CampaignResult,
    *,
    title: tuple[str, str] = ("", ""),
    lang: str = "zh",
    basemap: str | None = None,
    tianditu_key: str | None = None,
    max_html_mb: float = 10.0,
    overlays: Sequence[tuple[str, gpd.GeoDataFrame]] = (),
) -> folium.Map:
    """Map a campaign's layers: each coloured by its category, switchable, with its popup.

    Parameters
    ----------
    result : CampaignResult
        The layers (:class:`~landuse.campaigns._base.MapLayer`) in a CRS each.
    title : (str, str)
        The map's title in Chinese and English (the rule set's name).
    lang, basemap, tianditu_key, max_html_mb, overlays
        As for :func:`landuse.output.maps.map_outcomes`: offline unless a
        base map is asked for; large layers are thinned to the budget.

    Returns
    -------
    folium.Map
        With a ``landuse_stats`` attribute (:class:`~landuse.output.maps.MapStats`).

    Examples
    --------
    >>> from landuse import load_workspace
    >>> from landuse.campaigns.weipian import run
    >>> from landuse.rules.model import load_ruleset
    >>> ws = load_workspace(required=("counties", "changes"), landcover=False)
    >>> m = campaign_map(run(ws, load_ruleset("zhumadian-2019-weipian")))
    >>> m.landuse_stats.features  # the units' layer is keyed "counties", under the others
    {'counties': 11, 'weipian_legality': 300, 'weipian_rectification': 71}
    """
    from landuse.output import maps

    check_lang(lang)
    layers, extent, missing = _map_layers(result, lang)
    src = maps.MapSource(extent, [], title, result.as_of, no_geometry=missing)
    name = _e(title[0 if lang == "zh" else 1])
    sub = _w("as_of", lang, date=result.as_of)
    if not result.summary.get("data_complete", True):
        sub += "（数据不完整，结论待定）" if lang == "zh" else " (data incomplete: undetermined)"
    return maps.draw_layers(layers, src, (f"<b>{name}</b><span>{_e(sub)}</span>", f"{name} · {_e(sub)}"),
                            lang=lang, basemap=basemap, tianditu_key=tianditu_key, max_html_mb=max_html_mb,
                            overlays=overlays)


# --- tables ----------------------------------------------------------------------------------
def _titled(frame: pd.DataFrame, columns: dict[str, tuple[str, str]], lang: str) -> pd.DataFrame:
    return frame.rename(columns={c: (zh if lang == "zh" else en) for c, (zh, en) in columns.items()})


def campaign_tables(result: CampaignResult, problems: Iterable[Any] = (), *, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The CSV tables of a campaign, by file stem: ``counties``, each ledger, ``problems``.

    ``counties`` keeps the column names of ``counties.csv`` (``F_ha``…, as
    ``landuse assess --out`` writes them); a ledger's columns carry its
    titles in ``lang``.
    """
    from landuse.campaigns.zengcun.assessment import _plain
    from landuse.model.schema import problems_frame

    out = {"counties": _plain(result.counties.reset_index())}
    for ledger in result.ledgers:
        out[ledger.name] = _plain(_titled(ledger.frame, ledger.columns, lang))
    out["problems"] = problems_frame(problems)
    return out


# --- workbook --------------------------------------------------------------------------------
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    name = _SHEET_BAD.sub("_", title).strip("'") or "sheet"
    name = name[:31]
    base, k = name, 1
    while name.lower() in taken:
        k += 1
        suffix = f"({k})"
        name = base[:31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def _text_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _number_format(col: str, integral: bool) -> str:
    if col.endswith(("_ratio", "_rate")):
        return "0.0%"
    if col.endswith("_ha"):
        return "#,##0.0000"
    if integral:
        return "0"
    return "#,##0.00"


def _sheet_values(frame: pd.DataFrame, col: str, lang: str,
                  vocabulary: dict[str, dict[str, tuple[str, str]]]) -> tuple[list[Any], bool, bool]:
    """A column's cell values (None for a blank), whether they are numbers, and integral."""
    s = frame[col].reset_index(drop=True)
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype) or str(dtype) == "boolean":
        words = np.where(s.fillna(False).astype(bool).to_numpy(), _w("yes", lang), _w("no", lang))
        return [w if ok else None for w, ok in zip(words, s.notna(), strict=True)], False, False
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None).tolist(), False, False
    if pd.api.types.is_numeric_dtype(dtype):
        numbers = pd.to_numeric(s, errors="coerce").astype("float64")
        cells = numbers.astype(object).where(np.isfinite(numbers.to_numpy()), None).tolist()
        return cells, True, pd.api.types.is_integer_dtype(dtype)
    text = s.astype(object).where(s.notna(), None)
    labels = vocabulary.get(col)
    if labels:
        text = text.map(lambda v: labels[str(v)][0 if lang == "zh" else 1] if v is not None and str(v) in labels
                        else v)
    text = text.map(lambda v: None if v is None else str(v)).astype("object")
    safe = formula_safe(pd.DataFrame({col: text}))[col]
    return safe.where(safe.notna(), None).tolist(), False, False


def _write_sheet(wb: Any, fmt: Any, name: str, title: str, meta: str, frame: pd.DataFrame,
                 columns: dict[str, tuple[str, str]], total: Sequence[str], lang: str,
                 vocabulary: dict[str, dict[str, tuple[str, str]]]) -> None:
    cols = [c for c in columns if c in frame.columns]
    ws = wb.add_worksheet(name)
    n_cols = max(len(cols), 1)
    ws.merge_range(0, 0, 0, n_cols - 1, title, fmt("title")) if n_cols > 1 else ws.write_string(
        0, 0, title, fmt("title"))
    ws.merge_range(1, 0, 1, n_cols - 1, meta, fmt("meta")) if n_cols > 1 else ws.write_string(
        1, 0, meta, fmt("meta"))
    ws.set_row(0, 24)
    head = 3
    data_first = head + 1
    n = len(frame)
    for j, col in enumerate(cols):
        header = columns[col][0 if lang == "zh" else 1]
        ws.write_string(head, j, header, fmt("head"))
        cells, numeric, integral = _sheet_values(frame, col, lang, vocabulary)
        widths = [_text_width(header)]
        if numeric:
            number = fmt("num", _number_format(col, integral))
            for i, v in enumerate(cells):
                if v is None:
                    ws.write_blank(data_first + i, j, None, number)
                else:
                    ws.write_number(data_first + i, j, v, number)
            widths.append(14)
        else:
            text = fmt("text")
            for i, v in enumerate(cells):
                if v is None:
                    ws.write_blank(data_first + i, j, None, text)
                else:
                    ws.write_string(data_first + i, j, v, text)
            widths.extend(_text_width(v) for v in cells[:2000] if v is not None)
        ws.set_column(j, j, min(max(widths) + 2, 48))
        if col in total and numeric:
            letter = _column_letter(j)
            value = float(pd.to_numeric(frame[col], errors="coerce").sum())
            number = fmt("total_num", _number_format(col, integral))
            if n:
                formula = f"=SUBTOTAL(9,{letter}{data_first + 1}:{letter}{data_first + n})"
                ws.write_formula(data_first + n, j, formula, number, value)
            else:  # no rows: a sum over none, not a formula over its own cell
                ws.write_number(data_first, j, 0.0, number)
    if total:
        ws.write_string(data_first + n, 0, _w("total", lang), fmt("total"))
    ws.set_row(head, 30)
    ws.freeze_panes(data_first, 0)
    if cols:
        ws.autofilter(head, 0, head + max(n, 1), len(cols) - 1)
    ws.repeat_rows(head)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _column_letter(j: int) -> str:
    letters = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def campaign_workbook_bytes(result: CampaignResult, *, rules_id: str = "", lang: str = "zh",
                            title: tuple[str, str] = ("", "")) -> bytes:
    """The campaign's ledgers as an XLSX workbook: the county table, then one sheet per ledger.

    Each sheet: a title row, the as-of date and rule set, the headers the
    ledger declares, a frozen header row and a filter, and a ``SUBTOTAL`` total
    row for its ``total`` columns (values cached). A text cell a spreadsheet
    would run (``= + - @``, tab, CR) is written with a leading ``'``.

    Examples
    --------
    >>> from landuse import load_workspace
    >>> from landuse.campaigns.weipian import run
    >>> from landuse.rules.model import load_ruleset
    >>> ws = load_workspace(required=("counties", "changes"), landcover=False)
    >>> data = campaign_workbook_bytes(run(ws, load_ruleset("zhumadian-2019-weipian")))
    >>> data[:2]
    b'PK'
    """
    import xlsxwriter

    check_lang(lang)
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False})
    font = {"font_name": "Noto Sans CJK SC", "font_size": 10}
    cache: dict[tuple[str, str], Any] = {}

    def fmt(kind: str, number: str = "") -> Any:
        if (kind, number) not in cache:
            spec: dict[str, Any] = dict(font)
            if kind == "title":
                spec.update(bold=True, font_size=14, align="center", valign="vcenter")
            elif kind == "meta":
                spec.update(font_color="#555555")
            elif kind == "head":
                spec.update(bold=True, bg_color="#EEF2F6", border=1, text_wrap=True, align="center",
                            valign="vcenter")
            elif kind in ("num", "total_num"):
                spec.update(num_format=number, border=1)
                if kind == "total_num":
                    spec.update(bold=True, top=2)
            elif kind == "total":
                spec.update(bold=True, border=1, top=2)
            else:
                spec.update(border=1)
            cache[(kind, number)] = wb.add_format(spec)
        return cache[(kind, number)]

    vocabulary = _vocabulary(result)
    meta = _w("sheet_meta", lang, date=result.as_of, rules=rules_id)
    taken: set[str] = set()
    name = title[0 if lang == "zh" else 1]
    counties = result.counties.reset_index()
    columns = {"county_code": (_w("code", "zh"), _w("code", "en")),
               **{c: t for c, t in result.columns.items() if c in counties.columns}}
    _write_sheet(wb, fmt, _sheet_name(_w("sheet_counties", lang), taken),
                 f"{name}：{_w('counties', lang)}" if name and lang == "zh" else
                 (f"{name}: {_w('counties', lang)}" if name else _w("counties", lang)),
                 meta, counties, columns, (), lang, vocabulary)
    for ledger in result.ledgers:
        title_text = ledger.title if lang == "zh" else ledger.title_en
        _write_sheet(wb, fmt, _sheet_name(title_text, taken), title_text, meta, ledger.frame, ledger.columns,
                     ledger.total, lang, vocabulary)
    wb.close()
    return buffer.getvalue()


# --- the page --------------------------------------------------------------------------------
def _county_table(result: CampaignResult, lang: str) -> str:
    vocabulary = _vocabulary(result)
    frame = result.counties
    cols = [c for c in result.columns if c in frame.columns and c != "data_complete"]
    heads = [_e(_w("code", lang))] + [_e(result.columns[c][0 if lang == "zh" else 1]) for c in cols]
    texts = [np.array([_e(c) for c in frame.index.astype(str)], dtype=object)]
    numeric = [False]
    for c in cols:
        texts.append(_column_texts(frame[c], c, lang, vocabulary))
        numeric.append(pd.api.types.is_numeric_dtype(frame[c].dtype) and not pd.api.types.is_bool_dtype(
            frame[c].dtype))
    rows = []
    for i in range(len(frame)):
        cells = "".join(f'<td class="num">{t[i]}</td>' if num else f"<td>{t[i]}</td>"
                        for t, num in zip(texts, numeric, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    return ('<div class="scroll"><table class="counties"><thead><tr>' + "".join(f"<th>{h}</th>" for h in heads)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")


def _ledger_list(result: CampaignResult, lang: str) -> str:
    rows = []
    for ledger in result.ledgers:
        title = ledger.title if lang == "zh" else ledger.title_en
        totals = []
        for col in ledger.total:
            if col in ledger.frame:
                value = float(pd.to_numeric(ledger.frame[col], errors="coerce").sum())
                head = ledger.columns.get(col, (col, col))[0 if lang == "zh" else 1]
                totals.append(f"{head} {value:,.4f}" if col.endswith("_ha") else f"{head} {value:,.2f}")
        rows.append(f"<tr><td>{_e(title)}</td><td class=\"num\">{len(ledger.frame)}</td>"
                    f"<td>{_e('；'.join(totals) if lang == 'zh' else '; '.join(totals))}</td>"
                    f"<td>{_e(ledger.name)}.csv</td></tr>")
    heads = [_w("ledger_title", lang), _w("ledger_count", lang), _w("total", lang), _w("ledger_file", lang)]
    return ("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _problems(problems: Sequence[Any], lang: str) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if not problems:
        return f"<p>{_e(_w('problems_none', lang))}</p>"
    ordered = sorted(problems, key=lambda p: p.severity != "error")[:_MAX_PROBLEMS]
    heads = [_w(k, lang) for k in ("p_severity", "p_layer", "p_feature", "p_field", "p_message")]
    rows = "".join(
        f"<tr><td>{_e(_w(p.severity, lang) if p.severity in ('error', 'warning') else p.severity)}</td>"
        f"<td>{_e(p.layer)}</td><td>{_e(p.feature_id or '')}</td><td>{_e(p.field or '')}</td>"
        f"<td>{_e(p.message if lang == 'zh' else p.message_en)}</td></tr>" for p in ordered)
    return (f'<p class="note" id="problems-count">{_e(_w("problems_count", lang, errors=errors, warnings=warnings))}'
            "</p><table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead><tbody>"
            + rows + "</tbody></table>")


def campaign_report_html(
    result: CampaignResult,
    campaign: Campaign,
    rules: Any,
    *,
    lang: str = "zh",
    map_html: str | None = None,
    problems: Sequence[Any] = (),
    workspace: str | None = None,
) -> str:
    """Return a campaign's report as one self-contained HTML page.

    Parameters
    ----------
    result : CampaignResult
    campaign : Campaign
        Its ``report_section`` gives the section (escaped HTML).
    rules : rule set
        ``id``, ``name``, ``name_en`` and, when present, ``source``, ``source_en``.
    lang : {"zh", "en"}
    map_html : str, optional
        The campaign's map page (:func:`campaign_map`), embedded as an
        ``<iframe srcdoc>``.
    problems : sequence of Problem
        The workspace's and the campaign's: counted, the first 30 listed.
    workspace : str, optional
        Where the data came from, for the sources section.

    Returns
    -------
    str
        The page: it loads nothing from the network.
    """
    from landuse import __version__
    from landuse.output.report import _css

    check_lang(lang)
    zh = lang == "zh"
    name = rules.name if zh else rules.name_en
    title = _w("doc_title", lang, name=name)
    errors = sum(p.severity == "error" for p in problems)
    banner = ""
    if not result.summary.get("data_complete", True) or errors:
        banner = f'<div class="warn" id="data-incomplete">{_e(_w("incomplete", lang, n=errors))}</div>'
    sections = []
    own = campaign.report_section(result, lang) if campaign.report_section is not None else ""
    if own:
        sections.append(("section", f'<div id="section">{own}</div>'))
    # The county table, unless the campaign's section already shows every one of its columns.
    titles = [_e(t[0 if zh else 1]) for c, t in result.columns.items()
              if c in result.counties.columns and c != "data_complete"]
    if not (own and all(f">{t}<" in own for t in titles)):
        sections.append(("counties", f'<section id="counties"><h2>{_e(_w("counties", lang))}</h2>'
                                     f"{_county_table(result, lang)}</section>"))
    if map_html is not None:
        body = _map_frame(map_html, re.sub(r"[^A-Za-z0-9_-]", "_", campaign.name), lang)
    else:
        body = f"<p class='note'>{_e(_w('no_layers', lang))}</p>"
    sections.append(("map", f'<section id="map"><h2>{_e(_w("map", lang))}</h2>{body}</section>'))
    if result.ledgers:
        sections.append(("ledgers", f'<section id="ledgers"><h2>{_e(_w("ledgers", lang))}</h2>'
                                    f"{_ledger_list(result, lang)}</section>"))
    sections.append(("problems", f'<section id="problems"><h2>{_e(_w("problems", lang))}</h2>'
                                 f"{_problems(list(problems), lang)}</section>"))
    source = getattr(rules, "source" if zh else "source_en", "") or ""
    facts = [(_w("rules", lang), f"{rules.id}：{name}" if zh else f"{rules.id}: {name}"),
             (_w("source", lang), source)]
    if workspace:
        facts.append((_w("workspace", lang), workspace))
    sections.append(("sources", f'<section id="sources"><h2>{_e(_w("sources", lang))}</h2><dl class="sources">'
                                + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts if v)
                                + "</dl></section>"))
    nav = "".join(f'<a href="#{sid}">{_e(_w("nav_" + sid, lang))}</a>' for sid, _ in sections)
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="landuse {_e(__version__)}">'
        f"<title>{_e(title)}</title><style>{_css()}{_EXTRA_CSS}</style></head><body>"
        f'<header class="top"><h1>{_e(title)}</h1><div class="meta">{_e(_w("as_of", lang, date=result.as_of))}'
        f"{' · ' + _e(source) if source else ''}</div>{banner}</header>"
        f"<nav>{nav}</nav><main>{''.join(s for _, s in sections)}</main>"
        f"<footer>{_e(_w('footer', lang, version=__version__, now=now))}</footer></body></html>"
    )


def _map_frame(map_html: str, key: str, lang: str) -> str:
    """The map page in an iframe the page fills in once laid out (a map of no size cannot fit)."""
    return map_frame(map_html, _w("map", lang), f"lu-map-{key}")


def append_campaign(page: str, result: CampaignResult, campaign: Campaign, rules: Any, *, lang: str = "zh",
                    map_html: str | None = None, plans: pd.DataFrame | None = None,
                    workbook: str | None = None) -> str:
    """Add a campaign's section, county table and map to a report page, before its data problems.

    Parameters
    ----------
    page : str
        A report page (:func:`landuse.output.report.report_html`).
    result, campaign, rules
        The campaign's result, plug-in and rule set.
    map_html : str, optional
        The campaign's map page (:func:`campaign_map`).
    plans : pandas.DataFrame, optional
        The composed plans (``county_code``, ``county_name``, ``plan_next_ha``,
        ``plan_deduction_ha``, ``plan_final_ha``): shown as a table.
    workbook : str, optional
        The file name of the campaign's workbook, named in the section.

    Returns
    -------
    str
        The page with a ``<section id="campaign-<name>">`` and a link to it.
    """
    check_lang(lang)
    zh = lang == "zh"
    key = re.sub(r"[^A-Za-z0-9_-]", "_", campaign.name)
    name = rules.name if zh else rules.name_en
    parts = [f'<section id="campaign-{key}"><h2>{_e(name)}</h2>']
    if not result.summary.get("data_complete", True):
        parts.append(f'<div class="warn undetermined">{_e(_w("incomplete", lang, n=sum(p.severity == "error" for p in result.problems)))}</div>')
    if campaign.report_section is not None:
        parts.append(campaign.report_section(result, lang))
    parts.append(f"<h3>{_e(_w('counties', lang))}</h3>{_county_table(result, lang)}")
    if plans is not None and "plan_final_ha" in plans:
        cols = [c for c in ("county_code", "county_name", "plan_next_ha", "plan_deduction_ha", "plan_final_ha")
                if c in plans]
        heads = {"county_code": _WORDS["code"], "county_name": ("县区", "unit"),
                 "plan_next_ha": ("增存挂钩核定计划（公顷）", "增存挂钩 plan (ha)"),
                 "plan_deduction_ha": ("增违挂钩核减（公顷）", "增违挂钩 cut (ha)"),
                 "plan_final_ha": ("下一年度计划（公顷）", "next year's plan (ha)")}
        texts = [_column_texts(plans[c], c, lang) for c in cols]
        kinds = ['<td class="num">' if c.endswith("_ha") else "<td>" for c in cols]
        rows = "".join("<tr>" + "".join(f"{k}{t[i]}</td>" for k, t in zip(kinds, texts, strict=True)) + "</tr>"
                       for i in range(len(plans)))
        parts.append(f"<h3>{_e('计划核定（先乘增存挂钩系数，再减增违挂钩核减）' if zh else 'Plans: the 增存挂钩 multiplier, then the 增违挂钩 cut')}</h3>"
                     '<div class="scroll"><table class="counties"><thead><tr>'
                     + "".join(f"<th>{_e(heads[c][0 if zh else 1])}</th>" for c in cols)
                     + f"</tr></thead><tbody>{rows}</tbody></table></div>")
    if map_html is not None:
        parts.append(f"<h3>{_e(_w('map', lang))}</h3>{_map_frame(map_html, key, lang)}")
    if result.ledgers:
        note = f"（{workbook}）" if workbook and zh else (f" ({workbook})" if workbook else "")
        parts.append(f"<h3>{_e(_w('ledgers', lang) + note)}</h3>{_ledger_list(result, lang)}")
    parts.append("</section>")
    section = "".join(parts)
    at = page.find('<section id="problems"')
    at = at if at >= 0 else page.rfind("</main>")
    if at < 0:
        at = page.rfind("</body>")
    page = page[:at] + section + page[at:]
    link = f'<a href="#campaign-{key}">{_e(name)}</a>'
    nav = page.find('<a href="#problems">')
    nav = nav if nav >= 0 else page.find("</nav>")
    return page[:nav] + link + page[nav:] if nav >= 0 else page


def write_campaign_report(
    result: CampaignResult,
    campaign: Campaign,
    rules: Any,
    out_dir: str | os.PathLike,
    *,
    lang: str = "zh",
    problems: Sequence[Any] = (),
    workspace: str | None = None,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    overlays: Sequence[tuple[str, gpd.GeoDataFrame]] = (),
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write a campaign's report into ``out_dir``: the page, the workbook and the CSV tables.

    Everything is made in memory first, then each file is written
    atomically; the CLI writes into a staging folder
    (:func:`landuse.io.files.output_set`) so the set is replaced whole.

    Returns
    -------
    dict of str to pathlib.Path
        By file name (see :func:`report_files`).

    Raises
    ------
    OutputExistsError
        When a file exists and ``overwrite`` is False (nothing is written).
    """
    from landuse.io.files import check_outputs
    from landuse.output.maps import map_html as page_of

    check_lang(lang)
    out = Path(out_dir)
    names = report_files(campaign)
    extra = [f"{x.name}.csv" for x in result.ledgers if f"{x.name}.csv" not in names]
    names = [*names[:-1], *extra, names[-1]]
    check_outputs([out / n for n in names], overwrite=overwrite)
    title = (rules.name, rules.name_en)
    fmap = campaign_map(result, title=title, lang=lang, basemap=basemap, tianditu_key=tianditu_key,
                        overlays=overlays) if result.layers else None
    page = campaign_report_html(result, campaign, rules, lang=lang, problems=problems, workspace=workspace,
                                map_html=page_of(fmap) if fmap is not None else None)
    xlsx = campaign_workbook_bytes(result, rules_id=rules.id, lang=lang, title=title)
    tables = campaign_tables(result, problems, lang=lang)
    written = {"index.html": write_text(page, out / "index.html", overwrite=True),
               "ledgers.xlsx": write_bytes(xlsx, out / "ledgers.xlsx", overwrite=True)}
    for stem, frame in tables.items():
        written[f"{stem}.csv"] = write_csv(frame, out / f"{stem}.csv", overwrite=True)
    return written

