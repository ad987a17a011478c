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
        "penalty": "扣减",
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
    """Write one ledger sheet: title, notes, header (row 3), rows, optional totals row."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    words = _WORDS[lang]
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
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 6), 48)
    ws.row_dimensions[_HEADER_ROW].height = 32
    ws.freeze_panes = ws.cell(row=_HEADER_ROW + 1, column=3)
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


def ledgers_workbook(assessment: Assessment, *, lang: str = "zh") -> Workbook:
    """Build the ledgers workbook of an assessment.

    Sheets (Chinese names by default, English with ``lang="en"``):
    批而未供情况明细表 (per batch approved in :func:`statistics_scope`),
    批而未供情况统计表 (per county, with a totals row), 闲置土地整改工作台账
    (per idle parcel), 县区考核, 核查清单 and 数据问题.

    Parameters
    ----------
    assessment : Assessment
    lang : {"zh", "en"}

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
    wb = Workbook()
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
        workbook_bytes(ledgers_workbook(assessment, lang=lang)), target, overwrite=overwrite
    )
