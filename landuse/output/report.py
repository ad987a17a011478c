"""The meeting report: one HTML page, the XLSX ledgers, static PNGs and a GeoPackage.

One module (over 800 lines) because the page's sections read one headline and one set of words, and the figures' helper process is started here.

:func:`write_report` writes everything an analyst hands round before a
quarterly or year-end meeting into one folder:

``index.html``
    One self-contained, printable page: headline figures, the county table
    coloured by outcome, the interactive map, each task's rate against its
    target by county, the quarterly progress, the ranking, the field-check
    candidates, the data problems and the rule set and data sources. It
    works offline: every image is a ``data:`` URI, every chart inline SVG,
    the Folium map embedded in an ``<iframe srcdoc>``; no address on the
    internet is loaded. Every text from the data is escaped.
``ledgers.xlsx``
    The notice's attachments (see :mod:`landuse.output.ledgers`).
``outcome.png``, ``progress.png``
    The outcome map and the quarterly progress chart (see :mod:`landuse.output.figures`).
``results.gpkg``
    Layers ``counties``, ``batches``, ``idle`` and ``candidates`` with QGIS
    styles (categorized renderers, same colours and legend) in the
    GeoPackage's ``layer_styles`` table (see :mod:`landuse.output.results`).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import html
import importlib.util
import logging
import math
import os
import pickle
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import IO, TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from landuse._errors import OutputExistsError
from landuse.analysis.approvals import KIND_LABELS
from landuse.io.files import file_digest, write_bytes, write_text
from landuse.model.units import format_area, format_rate
from landuse.output import figures, ledgers
from landuse.output._lang import words
from landuse.output.results import write_results_gpkg

if TYPE_CHECKING:
    import geopandas as gpd

    from landuse.campaigns.zengcun.assessment import Assessment

__all__ = [
    "REPORT_FILES",
    "REPORT_STEPS",
    "headline",
    "report_html",
    "write_report",
]

ProgressFn = Callable[[str], None]

log = logging.getLogger(__name__)

#: The steps :func:`write_report` announces to its ``progress`` callback, in order.
REPORT_STEPS = (
    "progress",
    "outcome.png",
    "progress.png",
    "ledgers.xlsx",
    "map",
    "index.html",
    "results.gpkg",
)

#: The files :func:`write_report` writes, by key.
REPORT_FILES = {
    "html": "index.html",
    "xlsx": "ledgers.xlsx",
    "outcome_png": "outcome.png",
    "gpkg": "results.gpkg",
    "progress_png": "progress.png",
}


# --- words ---------------------------------------------------------------------------------
_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "lang": "zh-CN",
        "doc_title": "{name}：会议报告",
        "as_of": "截至 {date}",
        "provisional": "部分任务尚未到期：结果为按目前进度的预判",
        "nav_summary": "概况",
        "nav_counties": "县区考核",
        "nav_map": "地图",
        "nav_charts": "任务完成率",
        "nav_progress": "季度进展",
        "nav_ranking": "排名通报",
        "nav_candidates": "核查清单",
        "nav_problems": "数据问题",
        "nav_sources": "依据与数据来源",
        "summary": "概况",
        "card_award": "奖励县区",
        "card_penalty": "计划核减县区",
        "card_stock": "批而未供土地",
        "card_idle": "未处置闲置土地",
        "card_candidates": "核查清单",
        "card_plan": "下一年度计划合计",
        "unit_county": "{n} 个",
        "unit_parcels": "{n} 宗",
        "suspended_n": "其中暂停受理 {n} 个",
        "stock_note": "{years}批准，截至 {date}；全部批次 {all}",
        "idle_note": "任务清单共 {n} 宗 {area}，已处置 {rate}",
        "plan_note": "因素法测算 {base}",
        "counties": "县区考核结果",
        "counties_note": "完成率、目标与差距（公顷、亩）；✓ 完成，✗ 未完成，— 无任务。行底色为考核结果。",
        "rank": "排名",
        "county": "县区",
        "tasks_met": "完成任务",
        "outcome": "考核结果",
        "plan": "下一年度计划",
        "suspended": "暂停受理",
        "ranking": "通报",
        "combined": "综合处置率",
        "award": "奖励",
        "penalty": "计划核减",
        "award_milestone": "奖励（节点未完成）",
        "undetermined": "待定（数据不完整）",
        "commend": "表扬",
        "criticize": "批评",
        "yes": "是",
        "no": "否",
        "target": "目标",
        "gap": "差",
        "no_task": "无任务",
        "pending": "未到期",
        "deadline": "截止 {date}",
        "milestone": "节点任务",
        "deciding": "决定奖惩",
        "map": "考核结果地图",
        "map_placeholder": "交互地图模块（landuse.output.maps）尚未安装：下图为静态示意图。",
        "map_print": "打印版本见静态地图。",
        "charts": "各项任务完成率",
        "charts_note": "柱为截至 {date} 的完成率，虚线为目标；绿色完成，红色未完成，灰色未到期或无任务。",
        "progress": "季度进展",
        "progress_note": "各县区在每个季度末的完成率（虚线为目标）；通知要求各县区每季度初书面报告进展。",
        "ranking_h": "排名与通报",
        "ranking_note": "按{measure}从高到低排名；前 {top} 名通报表扬，后 {bottom} 名通报批评。",
        "commended": "通报表扬",
        "criticized": "通报批评",
        "not_ranked": "无处置任务，不参加排名",
        "stock_rate": "批而未供处置率",
        "idle_rate": "闲置土地处置率",
        "candidates": "核查清单",
        "candidates_note": "{years:g} 年未用的批准文件（失效、撤回、核减）和疑似闲置土地（国土资源部令第53号），供实地核查。",
        "kind": "类型",
        "count": "宗数",
        "area": "面积",
        "total": "合计",
        "typical": "典型案例",
        "typical_note": "面积大、闲置时间长的地块（通知要求市级至少直接查处 2 宗）。",
        "sample": "实地核查抽样",
        "sample_note": "可复现的随机抽样（每县区 {n} 宗，种子 {seed}）。",
        "parcels": "地块（编号与面积）",
        "id": "编号",
        "years": "闲置年限（年）",
        "cause": "原因",
        "measure": "建议措施",
        "source": "来源",
        "idle_ledger": "闲置土地台账",
        "candidate_list": "核查清单",
        "problems": "数据问题",
        "problems_note": "共 {n} 条（错误 {errors} 条：该行未参与计算；警告 {warnings} 条：该行已参与计算）。下表只列出可能影响考核结论的错误（前 {shown} 条）；警告和完整清单见 ledgers.xlsx 的“数据问题”表。",
        "layer": "图层",
        "severity": "级别",
        "feature": "要素",
        "field": "字段",
        "message": "说明",
        "row": "行号",
        "error": "错误",
        "warning": "警告",
        "none": "无",
        "sources": "考核依据与数据来源",
        "rules_name": "规则",
        "rules_source": "政策依据",
        "rules_path": "规则文件",
        "as_of_date": "考核日期",
        "workspace": "数据目录",
        "crs": "坐标系（面积量算平面）",
        "version": "landuse 版本",
        "made": "生成时间",
        "tasks": "考核任务",
        "task": "任务",
        "window": "批准时段",
        "baseline": "基期",
        "award_rule": "奖惩",
        "award_rule_text": "完成全部决定性任务（{deciding}）：下一年度计划 ×{met:g}；未完成任一项：×{missed:g}",
        "files": "本报告同时输出",
        "layers": "图层",
        "file": "文件",
        "digest": "SHA-256（前 12 位）",
        "problems_none_bearing": "共 {n} 条（错误 {errors} 条，警告 {warnings} 条），没有影响考核结论的错误；完整清单见 ledgers.xlsx 的“数据问题”表。",
        "footer": "本页由 landuse {version} 于 {now} 生成，离线可用，可直接打印。",
        "ha": "公顷",
        "mu": "亩",
    },
    "en": {
        "lang": "en",
        "doc_title": "{name}: meeting report",
        "as_of": "As of {date}",
        "provisional": "Some deadlines have not passed: outcomes are provisional, on progress so far",
        "nav_summary": "Summary",
        "nav_counties": "Counties",
        "nav_map": "Map",
        "nav_charts": "Task rates",
        "nav_progress": "Quarterly progress",
        "nav_ranking": "Ranking",
        "nav_candidates": "Field checks",
        "nav_problems": "Data problems",
        "nav_sources": "Rules and sources",
        "summary": "Summary",
        "card_award": "Counties awarded",
        "card_penalty": "Counties penalised",
        "card_stock": "Unsupplied land",
        "card_idle": "Undisposed idle land",
        "card_candidates": "Field-check list",
        "card_plan": "Next year's plan",
        "unit_county": "{n}",
        "unit_parcels": "{n}",
        "suspended_n": "{n} suspended",
        "stock_note": "approved {years}, as of {date}; all batches {all}",
        "idle_note": "task list: {n} parcels, {area}; {rate} disposed",
        "plan_note": "factor method: {base}",
        "counties": "County results",
        "counties_note": "Rate, target and gap (ha and mu); ✓ met, ✗ missed, — no task. Rows are shaded by outcome.",
        "rank": "Rank",
        "county": "County",
        "tasks_met": "Tasks met",
        "outcome": "Outcome",
        "plan": "Next year's plan",
        "suspended": "Suspended",
        "ranking": "Notice",
        "combined": "Combined disposal",
        "award": "award",
        "penalty": "penalty",
        "award_milestone": "award (milestone missed)",
        "undetermined": "undetermined (data incomplete)",
        "commend": "commended",
        "criticize": "criticised",
        "yes": "yes",
        "no": "no",
        "target": "target",
        "gap": "gap",
        "no_task": "no task",
        "pending": "pending",
        "deadline": "deadline {date}",
        "milestone": "milestone",
        "deciding": "decisive",
        "map": "Outcome map",
        "map_placeholder": "The interactive map module (landuse.output.maps) is not installed: a static sketch instead.",
        "map_print": "See the static map for print.",
        "charts": "Task rates by county",
        "charts_note": "Bars: rate as of {date}; dashed line: target. Green met, red missed, grey pending or no task.",
        "progress": "Quarterly progress",
        "progress_note": "Each county's rate at every quarter end (dashed: target); counties report in writing every quarter.",
        "ranking_h": "Ranking",
        "ranking_note": "Ranked by {measure}, highest first; the top {top} are commended, the bottom {bottom} criticised.",
        "commended": "Commended",
        "criticized": "Criticised",
        "not_ranked": "nothing to dispose of: not ranked",
        "stock_rate": "Stock disposal",
        "idle_rate": "Idle disposal",
        "candidates": "Field-check candidates",
        "candidates_note": "Approvals unused for {years:g} years (lapse, withdraw, reduce) and suspected idle parcels (MLR Order 53), for on-site checks.",
        "kind": "Kind",
        "count": "Count",
        "area": "Area",
        "total": "Total",
        "typical": "Typical cases",
        "typical_note": "The largest, longest-idle parcels (the notice asks the city to pick at least 2).",
        "sample": "Field sample",
        "sample_note": "A reproducible random sample ({n} per county, seed {seed}).",
        "parcels": "Parcels (id and area)",
        "id": "Id",
        "years": "Idle (years)",
        "cause": "Cause",
        "measure": "Measure",
        "source": "Source",
        "idle_ledger": "idle ledger",
        "candidate_list": "candidates",
        "problems": "Data problems",
        "problems_note": "{n} in all ({errors} errors: row left out; {warnings} warnings: row kept). Only the errors, which may bear on a verdict, are listed (the first {shown}); warnings and the full list are in ledgers.xlsx, sheet Data problems.",
        "layer": "Layer",
        "severity": "Severity",
        "feature": "Feature",
        "field": "Field",
        "message": "Message",
        "row": "Row",
        "error": "error",
        "warning": "warning",
        "none": "none",
        "sources": "Rules and data sources",
        "rules_name": "Rule set",
        "rules_source": "Policy",
        "rules_path": "Rule file",
        "as_of_date": "As of",
        "workspace": "Workspace",
        "crs": "CRS (measuring plane)",
        "version": "landuse version",
        "made": "Made",
        "tasks": "Tasks",
        "task": "Task",
        "window": "Approvals",
        "baseline": "Baseline",
        "award_rule": "Award",
        "award_rule_text": "All decisive tasks met ({deciding}): next year's plan ×{met:g}; any missed: ×{missed:g}",
        "files": "Written with this page",
        "layers": "Layers",
        "file": "File",
        "digest": "SHA-256 (first 12)",
        "problems_none_bearing": "{n} in all ({errors} errors, {warnings} warnings); none bears on a verdict. The full list is in ledgers.xlsx, sheet Data problems.",
        "footer": "Made by landuse {version} on {now}; works offline and prints.",
        "ha": "ha",
        "mu": "mu",
    },
}


def _words(lang: str) -> dict[str, str]:
    return words(_TEXT, lang)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _e(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute; missing values give ''."""
    return "" if _missing(value) else html.escape(str(value), quote=True)


def _area(ha: float | None, lang: str, *, digits: int = 2) -> str:
    return _e(format_area(None if _missing(ha) else float(ha), lang=lang, digits=digits))


def _rate(rate: float | None, lang: str) -> str:
    return _e(format_rate(None if _missing(rate) else float(rate), none=_words(lang)["no_task"]))


def _png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


# --- headline figures ----------------------------------------------------------------------
def headline(assessment: Assessment) -> dict[str, object]:
    """Return the report's headline figures (areas in hectares).

    Returns
    -------
    dict
        ``counties``, ``award`` / ``penalty`` / ``suspended`` (counts),
        ``award_names`` / ``penalty_names``, ``stock_ha`` (unsupplied area of
        the approvals in :func:`landuse.output.ledgers.statistics_scope`),
        ``stock_all_ha`` (of every batch approved to date), ``idle_ha``,
        ``idle_left_ha``, ``idle_n``, ``idle_left_n``, ``idle_rate``,
        ``candidates_n``, ``candidates_ha``, ``candidates_by_kind``
        ({kind: (count, ha)}), ``plan_base_ha``, ``plan_next_ha``,
        ``provisional`` (some deadline not yet passed).
    """
    c = assessment.counties
    b = assessment.batches
    scope = ledgers.statistics_scope(assessment)
    approved = b["approval_date"] <= pd.Timestamp(assessment.as_of)
    in_scope = b["approval_date"].between(pd.Timestamp(scope[0]), pd.Timestamp(scope[1]))
    idle = assessment.idle
    left = ~idle["disposed"].astype(bool)
    cand = assessment.candidates
    by_kind = {
        k: (int((cand["kind"] == k).sum()), float(cand.loc[cand["kind"] == k, "area_ha"].sum()))
        for k in KIND_LABELS
        if (cand["kind"] == k).any()
    }
    award = c["outcome"] == "award"
    idle_ha = float(idle["area_ha"].sum())
    return {
        "counties": len(c),
        "award": int(award.sum()),
        "penalty": int((c["outcome"] == "penalty").sum()),
        "suspended": int(c["suspended"].astype("boolean").fillna(False).sum()),
        "award_names": [str(x) for x in c.loc[award, "county_name"]],
        "penalty_names": [str(x) for x in c.loc[c["outcome"] == "penalty", "county_name"]],
        "scope": scope,
        "stock_ha": float(b.loc[in_scope, "unsupplied_ha"].sum()),
        "stock_all_ha": float(b.loc[approved, "unsupplied_ha"].sum()),
        "idle_ha": idle_ha,
        "idle_left_ha": float(idle.loc[left, "area_ha"].sum()),
        "idle_n": len(idle),
        "idle_left_n": int(left.sum()),
        "idle_rate": (idle_ha - float(idle.loc[left, "area_ha"].sum())) / idle_ha
        if idle_ha > 0
        else None,
        "candidates_n": len(cand),
        "candidates_ha": float(pd.to_numeric(cand["area_ha"]).sum()),
        "candidates_by_kind": by_kind,
        "plan_base_ha": float(c["plan_base_ha"].sum(min_count=1))
        if c["plan_base_ha"].notna().any()
        else None,
        "plan_next_ha": float(c["plan_next_ha"].sum(min_count=1))
        if c["plan_next_ha"].notna().any()
        else None,
        "provisional": not bool(c["outcome_final"].all()),
    }


# --- HTML pieces ---------------------------------------------------------------------------
def _svg_map(assessment: Assessment, lang: str, *, width: int = 900) -> str:
    """A static SVG of the counties coloured by outcome (placeholder for the Folium map)."""
    counties = assessment.counties
    classes = figures.outcome_classes(counties)
    x0, y0, x1, y1 = counties.total_bounds
    if not all(np.isfinite([x0, y0, x1, y1])) or x1 <= x0 or y1 <= y0:
        return ""
    height = int(width * (y1 - y0) / (x1 - x0))
    scale = width / (x1 - x0)
    geoms = shapely.simplify(counties.geometry.to_numpy(), (x1 - x0) / 1500)

    def ring(coords: np.ndarray) -> str:
        xs = (coords[:, 0] - x0) * scale
        ys = (y1 - coords[:, 1]) * scale
        return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True)) + "Z"

    parts = []
    for geom, cls, name in zip(geoms, classes, counties["county_name"], strict=True):
        if geom is None or geom.is_empty:
            continue
        d = ""
        for poly in getattr(geom, "geoms", [geom]):
            d += ring(np.asarray(poly.exterior.coords))
            d += "".join(ring(np.asarray(r.coords)) for r in poly.interiors)
        parts.append(
            f'<path class="county" d="{d}" fill="{figures.OUTCOME_COLORS.get(cls, figures.UNDETERMINED_COLOR)}" fill-rule="evenodd">'
            f"<title>{_e(name)}</title></path>"
        )
    for pt, name in zip(counties.representative_point(), counties["county_name"], strict=True):
        x, y = (pt.x - x0) * scale, (y1 - pt.y) * scale
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" class="label">{_e(name)}</text>')
    return (
        f'<svg class="svgmap" viewBox="-10 -10 {width + 20} {height + 20}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )


def _interactive_map(
    assessment: Assessment, lang: str, basemap: str | None, tianditu_key: str | None,
    overlays: Sequence[tuple[str, gpd.GeoDataFrame]] = (),
) -> str | None:
    """The Folium outcome map as standalone HTML, or None when landuse.output.maps is not there."""
    if importlib.util.find_spec("landuse.output.maps") is None:
        return None
    from landuse.output import maps

    fmap = maps.map_outcomes(assessment, lang=lang, basemap=basemap, tianditu_key=tianditu_key,
                             overlays=overlays)
    return maps.map_html(fmap)


def _task_chart(
    task_id: str,
    frame: pd.DataFrame,
    names: dict[str, str],
    target: float,
    lang: str,
    title: str,
    decided: bool,
) -> str:
    """Inline SVG: one horizontal bar per county, rate against the target line."""
    words = _words(lang)
    rows = frame.assign(name=[names.get(str(c), str(c)) for c in frame.index])
    rows = rows.sort_values("rate", ascending=False, na_position="last", kind="stable")
    bar_h, gap, left, right, top = 18, 6, 92, 64, 8
    plot_w = 300
    height = top + len(rows) * (bar_h + gap) + 22
    width = left + plot_w + right
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for k in range(0, 101, 25):
        x = left + plot_w * k / 100
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 18}" class="grid"/>'
            f'<text x="{x:.1f}" y="{height - 5}" class="tick">{k}%</text>'
        )
    # The target line goes under the bars and their labels: a label's white halo hides it.
    tx = left + plot_w * target
    out.append(
        f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{height - 18}" class="target"/>'
    )
    for i, (_, r) in enumerate(rows.iterrows()):
        y = top + i * (bar_h + gap)
        rate = r["rate"]
        if _missing(rate):
            cls, w, label = "none", 0.0, words["no_task"]
        else:
            met = r["met"]
            cls = "pending" if not decided or _missing(met) else ("met" if bool(met) else "missed")
            w, label = plot_w * float(rate), format_rate(float(rate))
        out.append(
            f'<text x="{left - 6}" y="{y + bar_h * 0.72:.1f}" class="name">{_e(r["name"])}</text>'
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" class="bar {cls}">'
            f"<title>{_e(r['name'])} {_e(label)}</title></rect>"
            f'<text x="{left + w + 4:.1f}" y="{y + bar_h * 0.72:.1f}" class="value">{_e(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _table(
    headers: Iterable[str],
    rows: Iterable[Iterable[str]],
    *,
    cls: str = "",
    row_classes: Iterable[str] | None = None,
) -> str:
    """An HTML table from already-escaped cells."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    row_classes = list(row_classes) if row_classes is not None else None
    body = []
    for i, row in enumerate(rows):
        rc = f' class="{row_classes[i]}"' if row_classes else ""
        body.append(f"<tr{rc}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    return (
        f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


@functools.cache
def _css() -> str:
    """The page's style sheet, shipped in ``landuse/_assets/report.css``."""
    return (resources.files("landuse.output") / "_assets" / "report.css").read_text(encoding="utf-8")


def _cards(a: Assessment, h: dict[str, object], lang: str) -> str:
    w = _words(lang)
    sep = "、" if lang == "zh" else ", "
    scope = h["scope"]
    years = (
        f"{scope[0].year}—{scope[1].year}年" if lang == "zh" else f"{scope[0].year}–{scope[1].year}"
    )
    by_kind = h["candidates_by_kind"]
    kinds = " · ".join(f"{_e(KIND_LABELS[k][lang == 'en'])} {n}" for k, (n, _) in by_kind.items())
    cards = [
        (
            "award",
            w["card_award"],
            _e(w["unit_county"].format(n=h["award"])),
            _e(sep.join(h["award_names"])) or "—",
        ),
        (
            "penalty",
            w["card_penalty"],
            _e(w["unit_county"].format(n=h["penalty"])),
            _e(sep.join(h["penalty_names"]))
            + "<br>"
            + _e(w["suspended_n"].format(n=h["suspended"])),
        ),
        (
            "",
            w["card_stock"],
            _area(h["stock_ha"], lang, digits=2)
            .replace("（", "<small>（")
            .replace(" (", "<small> (")
            + "</small>",
            _e(
                w["stock_note"].format(
                    years=years, date=a.as_of, all=format_area(h["stock_all_ha"], lang=lang)
                )
            ),
        ),
        (
            "",
            w["card_idle"],
            _area(h["idle_left_ha"], lang).replace("（", "<small>（").replace(" (", "<small> (")
            + "</small>",
            _e(
                w["idle_note"].format(
                    n=h["idle_n"],
                    area=format_area(h["idle_ha"], lang=lang),
                    rate=format_rate(h["idle_rate"], none="—"),
                )
            ),
        ),
        (
            "",
            w["card_candidates"],
            _e(w["unit_parcels"].format(n=h["candidates_n"])),
            kinds + "<br>" + _area(h["candidates_ha"], lang),
        ),
    ]
    if h["plan_next_ha"] is not None:
        cards.append(
            (
                "",
                w["card_plan"],
                _area(h["plan_next_ha"], lang, digits=1)
                .replace("（", "<small>（")
                .replace(" (", "<small> (")
                + "</small>",
                _e(w["plan_note"].format(base=format_area(h["plan_base_ha"], lang=lang, digits=1))),
            )
        )
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card {cls}"><div class="k">{k}</div><div class="v">{v}</div><div class="d">{d}</div></div>'
            for cls, k, v, d in cards
        )
        + "</div>"
    )


def _met_mark(met: object, rate: object) -> str:
    if _missing(rate):
        return '<span class="na">—</span>'
    if _missing(met):
        return '<span class="na">…</span>'
    return '<span class="ok">✓</span>' if bool(met) else '<span class="ko">✗</span>'


def _county_table(a: Assessment, lang: str) -> str:
    w = _words(lang)
    c = a.counties.sort_values("county_code", kind="stable")
    classes = figures.outcome_classes(c)
    deciding = set(a.rules.award.deciding)
    headers = [w["county"]]
    for t in a.rules.tasks:
        kind = w["deciding"] if t.id in deciding else (w["milestone"] if t.milestone else "")
        label = t.label if lang == "zh" else t.label_en
        headers.append(
            f'<span title="{_e(label)}">{_e(t.id)}</span><span class="sub">{_e(kind)} '
            f"≥{_e(format_rate(t.target, digits=0))}<br>{_e(w['deadline'].format(date=t.deadline))}"
            f"</span>"
        )
    headers += [w["tasks_met"], w["outcome"], w["plan"], w["suspended"], w["combined"], w["rank"]]
    rows = []
    for (_, r), cls in zip(c.iterrows(), classes, strict=True):
        cells = [f'<b>{_e(r["county_name"])}</b><span class="sub">{_e(r["county_code"])}</span>']
        for t in a.rules.tasks:
            rate, met, gap = r[f"{t.id}_rate"], r[f"{t.id}_met"], r[f"{t.id}_gap_ha"]
            cell = f"{_met_mark(met, rate)} {_rate(rate, lang)}"
            if not _missing(gap) and float(gap) > 0.005:
                cell += (
                    f'<span class="sub">{_e(w["gap"])} {_e(format_area(float(gap), unit="ha", lang=lang))}'
                    f" / {_e(format_area(float(gap), unit='mu', lang=lang))}</span>"
                )
            cells.append(cell)
        plan = r["plan_next_ha"]
        plan_cell = (
            ""
            if _missing(plan)
            else (
                f"{_e(format_area(float(plan), unit='ha', lang=lang, digits=1))}"
                f'<span class="sub">{_e(format_area(float(plan), unit="mu", lang=lang, digits=1))} · '
                f"×{float(r['plan_multiplier']):g}</span>"
            )
        )
        ranking = (
            "" if _missing(r["ranking"]) else f'<span class="sub">{_e(w[str(r["ranking"])])}</span>'
        )
        rank = "" if _missing(r["rank"]) else str(int(r["rank"]))
        suspended = r["suspended"]
        cells += [
            f"{int(r['tasks_met'])}/{len(deciding)}",
            f'<span class="badge {cls}">{_e(w[cls])}</span>',
            plan_cell,
            "" if _missing(suspended) else _e(w["yes"] if bool(suspended) else w["no"]),
            _rate(r["combined_disposal_rate"], lang),
            f"{rank}{ranking}",
        ]
        rows.append(cells)
    return _table(headers, rows, cls="counties", row_classes=list(classes))


def _legend(a: Assessment, lang: str) -> str:
    labels = figures.outcome_labels(a.rules, lang=lang)
    return (
        '<div class="legend">'
        + "".join(
            f'<span><i style="background:{figures.OUTCOME_COLORS[k]}"></i>{_e(v)}</span>'
            for k, v in labels.items()
        )
        + "</div>"
    )


def _charts(a: Assessment, lang: str) -> str:
    names = dict(
        zip(
            a.counties["county_code"].astype(str),
            a.counties["county_name"].astype(str),
            strict=True,
        )
    )
    figs = []
    for res in a.tasks:
        t = res.task
        label = t.label if lang == "zh" else t.label_en
        title = f"{t.id} {label}"
        svg = _task_chart(t.id, res.frame, names, t.target, lang, title, res.decided)
        sub = (
            f"{_e(_words(lang)['target'])} ≥{_e(format_rate(t.target, digits=0))} · "
            f"{_e(_words(lang)['deadline'].format(date=t.deadline))}"
        )
        figs.append(
            f"<figure><figcaption>{_e(title)} <small>{sub}</small></figcaption>{svg}</figure>"
        )
    return '<div class="charts">' + "".join(figs) + "</div>"


def _ranking(a: Assessment, lang: str) -> str:
    w = _words(lang)
    c = a.counties
    stock = next(
        (r.frame["rate"] for r in a.tasks if r.task.measure == "stock_disposal_rate"), None
    )
    idle = next((r.frame["rate"] for r in a.tasks if r.task.measure == "idle_disposal_rate"), None)
    ordered = c.sort_values(["rank", "county_code"], na_position="last", kind="stable")

    def names(kind: str) -> str:
        chosen = ordered[ordered["ranking"] == kind]
        items = "".join(
            f"<li>{_e(n)}（{_rate(v, lang)}）</li>"
            if lang == "zh"
            else f"<li>{_e(n)} ({_rate(v, lang)})</li>"
            for n, v in zip(chosen["county_name"], chosen["combined_disposal_rate"], strict=True)
        )
        return f"<ol>{items}</ol>" if items else f"<p>{_e(w['none'])}</p>"

    callouts = (
        f'<div class="two"><div class="callout good"><b>{_e(w["commended"])}</b>{names("commend")}</div>'
        f'<div class="callout bad"><b>{_e(w["criticized"])}</b>{names("criticize")}</div></div>'
    )
    rows, classes = [], []
    for _, r in ordered.iterrows():
        code = r["county_code"]
        rank = "—" if _missing(r["rank"]) else str(int(r["rank"]))
        note = "" if _missing(r["ranking"]) else _e(w[str(r["ranking"])])
        if _missing(r["rank"]):
            note = _e(w["not_ranked"])
        rows.append(
            [
                rank,
                _e(r["county_name"]),
                f'<span class="num">{_rate(r["combined_disposal_rate"], lang)}</span>',
                _rate(stock.get(code) if stock is not None else None, lang),
                _rate(idle.get(code) if idle is not None else None, lang),
                note,
            ]
        )
        classes.append({"commend": "award", "criticize": "penalty"}.get(str(r["ranking"]), ""))
    table = _table(
        [w["rank"], w["county"], w["combined"], w["stock_rate"], w["idle_rate"], w["ranking"]],
        rows,
        row_classes=classes,
    )
    return callouts + "<h3></h3>" + table


def _candidates(a: Assessment, lang: str) -> str:
    w = _words(lang)
    en = lang == "en"
    cand = pd.DataFrame(a.candidates.drop(columns="geometry"))
    names = dict(
        zip(
            a.counties["county_code"].astype(str),
            a.counties["county_name"].astype(str),
            strict=True,
        )
    )
    kinds = [k for k in KIND_LABELS if (cand["kind"] == k).any()]
    headers = [w["county"]] + [_e(KIND_LABELS[k][en]) for k in kinds] + [w["total"]]
    rows = []
    codes = list(a.counties.sort_values("county_code")["county_code"].astype(str))

    def cell(sel: pd.DataFrame) -> str:
        if sel.empty:
            return '<span class="na">—</span>'
        ha = float(pd.to_numeric(sel["area_ha"]).sum())
        return (
            f'{_e(w["unit_parcels"].format(n=len(sel)))}<span class="sub">'
            f"{_e(format_area(ha, unit='ha', lang=lang))} / {_e(format_area(ha, unit='mu', lang=lang))}</span>"
        )

    cc = cand["county_code"].astype(str)
    for code in codes:
        sub = cand[cc == code]
        rows.append(
            [_e(names.get(code, code))] + [cell(sub[sub["kind"] == k]) for k in kinds] + [cell(sub)]
        )
    rows.append(
        [f"<b>{_e(w['total'])}</b>"] + [cell(cand[cand["kind"] == k]) for k in kinds] + [cell(cand)]
    )
    out = [_table(headers, rows, cls="counties")]

    # Typical cases: from the idle ledger and the suspected-idle candidates.
    idle = pd.DataFrame(a.idle.drop(columns="geometry"))
    measure_col = "measure_en" if en else "measure"
    typical = [
        (
            r["idle_id"],
            r["county_code"],
            r["area_ha"],
            r["idle_years"],
            r["cause"],
            r[measure_col],
            w["idle_ledger"],
        )
        for _, r in idle[idle["typical"]].iterrows()
    ] + [
        (
            r["parcel_id"],
            r["county_code"],
            r["area_ha"],
            r["idle_years"],
            r["reason_en"] if en else r["reason"],
            r[measure_col],
            w["candidate_list"],
        )
        for _, r in cand[cand["typical"].astype(bool)].iterrows()
    ]
    typical.sort(key=lambda t: -(float(t[2] or 0) * float(0 if _missing(t[3]) else t[3])))
    out.append(f"<h3>{_e(w['typical'])}</h3><p class='note'>{_e(w['typical_note'])}</p>")
    out.append(
        _table(
            [w["id"], w["county"], w["area"], w["years"], w["cause"], w["measure"], w["source"]],
            [
                [
                    _e(i),
                    _e(names.get(str(c), c)),
                    f'<span class="num">{_area(ha, lang)}</span>',
                    "" if _missing(y) else f"{float(y):.1f}",
                    _e(cause),
                    _e(m),
                    _e(src),
                ]
                for i, c, ha, y, cause, m, src in typical
            ],
        )
    )

    sample = pd.concat(
        [
            pd.DataFrame(
                {
                    "id": idle.loc[idle["sample"], "idle_id"].astype("string"),
                    "county_code": idle.loc[idle["sample"], "county_code"].astype(str),
                    "area_ha": idle.loc[idle["sample"], "area_ha"],
                }
            ),
            pd.DataFrame(
                {
                    "id": cand.loc[cand["sample"].astype(bool), "parcel_id"].astype("string"),
                    "county_code": cand.loc[cand["sample"].astype(bool), "county_code"].astype(str),
                    "area_ha": pd.to_numeric(cand.loc[cand["sample"].astype(bool), "area_ha"]),
                }
            ),
        ],
        ignore_index=True,
    ).sort_values(["county_code", "id"], kind="stable")
    rules = a.rules.sampling
    out.append(
        f"<h3>{_e(w['sample'])}</h3><p class='note'>"
        f"{_e(w['sample_note'].format(n=rules.per_county, seed=rules.seed))}</p>"
    )
    rows = []
    for code, group in sample.groupby("county_code", sort=True):
        ha = float(group["area_ha"].sum())
        ids = "、".join(
            f"{_e(i)}（{_e(format_area(float(x), unit='ha', lang=lang))}）"
            if lang == "zh"
            else f"{_e(i)} ({_e(format_area(float(x), unit='ha', lang=lang))})"
            for i, x in zip(group["id"], group["area_ha"], strict=True)
        )
        rows.append(
            [
                _e(names.get(str(code), code)),
                str(len(group)),
                f'<span class="num">{_area(ha, lang)}</span>',
                f'<span class="ids">{ids}</span>',
            ]
        )
    out.append(_table([w["county"], w["count"], w["area"], w["parcels"]], rows, cls="sample"))
    return "".join(out)


def _problems(a: Assessment, lang: str, limit: int) -> str:
    from landuse.model.schema import LAYERS

    w = _words(lang)
    p = a.problems
    if p.empty:
        return f"<p>{_e(w['none'])}</p>"
    layer_names = {k: (v.label if lang == "zh" else v.label_en) for k, v in LAYERS.items()}
    counts = p.groupby(["layer", "severity"]).size().unstack(fill_value=0)
    for sev in ("error", "warning"):
        if sev not in counts.columns:
            counts[sev] = 0
    summary = _table(
        [w["layer"], w["error"], w["warning"]],
        [
            [_e(layer_names.get(str(layer), layer)), str(int(r["error"])), str(int(r["warning"]))]
            for layer, r in counts.iterrows()
        ],
    )
    errors, warnings_ = (
        int((p["severity"] == "error").sum()),
        int((p["severity"] == "warning").sum()),
    )
    # A leadership audience sees what may bear on a verdict; routine notices (a header on
    # row 3, a spelling normalised) stay in the workbook.
    shown = p[p["severity"] == "error"].head(limit)
    sources = a.workspace.sources
    key = "problems_note" if len(shown) else "problems_none_bearing"
    note = w[key].format(n=len(p), errors=errors, warnings=warnings_, shown=len(shown))
    if shown.empty:
        return f"<p class='note'>{_e(note)}</p>{summary}"
    detail = _table(
        [w["layer"], w["feature"], w["field"], w["severity"], w["message"], w["row"], w["source"]],
        [
            [
                _e(layer_names.get(str(r["layer"]), r["layer"])),
                _e(r["feature_id"]),
                _e(r["field"]),
                _e(w.get(str(r["severity"]), r["severity"])),
                _e(r["message_en"] if lang == "en" else r["message"]),
                _e(r["row"]),
                _e(r["source"] if not _missing(r["source"]) else sources.get(str(r["layer"]), "")),
            ]
            for _, r in shown.iterrows()
        ],
    )
    return f"<p class='note'>{_e(note)}</p>{summary}<h3></h3>{detail}"


def _file_name(source: str) -> str:
    """A layer's file and (in a GeoPackage) layer name, without the folder it lies in."""
    return Path(source).name if "://" not in source else source.split("?")[0].rsplit("/", 1)[-1]


def _digest(workspace: str, source: str) -> str | None:
    """SHA-256 digits of the file a layer came from (``file.gpkg:layer`` → the GeoPackage)."""
    if "://" in workspace or "://" in source:
        return None
    name = source.rsplit(":", 1)[0] if source.count(":") and not Path(source).exists() else source
    base = Path(workspace)
    path = Path(name) if Path(name).is_absolute() else (base / name if base.is_dir() else base)
    return file_digest(path)


def _sources(a: Assessment, lang: str) -> str:
    from landuse import __version__
    from landuse.model.schema import LAYERS

    w = _words(lang)
    rules = a.rules
    ws = a.workspace
    crs = ws.crs
    crs_text = (
        f"{crs.name} (EPSG:{crs.to_epsg()})" if crs is not None and crs.to_epsg() else str(crs)
    )
    items = [
        (
            w["rules_name"],
            f"{rules.name if lang == 'zh' else rules.name_en}（{rules.id}）"
            if lang == "zh"
            else f"{rules.name_en} ({rules.id})",
        ),
        (w["rules_source"], rules.source if lang == "zh" else rules.source_en),
        (w["rules_path"], _file_name(str(rules.path)) if rules.path else "—"),
        (w["as_of_date"], str(a.as_of)),
        (w["workspace"], _file_name(ws.source) if ws.source else "—"),
        (w["crs"], crs_text),
        (w["version"], __version__),
        (w["made"], dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    dl = (
        "<dl class='sources'>"
        + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
        + "</dl>"
    )
    layers = _table(
        [w["layers"], w["file"], w["digest"]],
        [
            [
                _e(
                    f"{LAYERS[k].label if lang == 'zh' else LAYERS[k].label_en}（{k}）"
                    if k in LAYERS
                    else k
                ),
                _e(_file_name(v)),
                _e(_digest(ws.source, v) or "—"),
            ]
            for k, v in ws.sources.items()
        ],
    )
    deciding = rules.award.deciding
    sep = "、" if lang == "zh" else ", "
    tasks = _table(
        [
            w["task"],
            w["target"],
            w["deadline"].format(date="").strip(),
            w["window"],
            w["baseline"],
            "",
        ],
        [
            [
                _e(f"{t.id} {t.label if lang == 'zh' else t.label_en}"),
                _e(f"≥{format_rate(t.target, digits=0)}"),
                _e(t.deadline),
                _e(f"{t.window[0]} – {t.window[1]}" if t.window else "—"),
                _e(t.baseline or "—"),
                _e(w["deciding"] if t.id in deciding else (w["milestone"] if t.milestone else "")),
            ]
            for t in rules.tasks
        ],
    )
    award = _e(
        w["award_rule_text"].format(
            deciding=sep.join(deciding),
            met=rules.award.met_multiplier,
            missed=rules.award.missed_multiplier,
        )
    )
    files = ", ".join(REPORT_FILES.values())
    return (
        f"{dl}<h3>{_e(w['tasks'])}</h3>{tasks}<p class='note'>{_e(w['award_rule'])}：{award}</p>"
        f"<h3>{_e(w['layers'])}</h3>{layers}<p class='note'>{_e(w['files'])}：{_e(files)}</p>"
    )


def report_html(
    assessment: Assessment,
    *,
    lang: str = "zh",
    map_html: str | None = None,
    progress_png: bytes | None = None,
    outcome_png: bytes | None = None,
    max_problems: int = 30,
) -> str:
    """Return the meeting report as one self-contained HTML page.

    Parameters
    ----------
    assessment : Assessment
    lang : {"zh", "en"}
    map_html : str, optional
        A standalone HTML map (the Folium outcome map), embedded in an
        ``<iframe srcdoc>``; without it a static SVG map is drawn.
    progress_png, outcome_png : bytes, optional
        The quarterly progress chart, and the static outcome map shown in
        print instead of the interactive map.
    max_problems : int, default 30
        Data problems listed (all are counted).

    Returns
    -------
    str
        The page. It loads nothing from the network and escapes every text
        from the data.
    """
    from landuse import __version__

    w = _words(lang)
    a = assessment
    h = headline(a)
    name = a.rules.name if lang == "zh" else a.rules.name_en
    title = w["doc_title"].format(name=name)
    sections = []
    sections.append(("summary", w["summary"], _cards(a, h, lang), ""))
    sections.append(
        (
            "counties",
            w["counties"],
            f"<p class='note'>{_e(w['counties_note'])}</p>{_legend(a, lang)}<h3></h3>"
            f"{_county_table(a, lang)}",
            "",
        )
    )
    if map_html is not None:
        # The map page goes in only once this page is laid out: a Leaflet map that starts in a
        # frame of no size yet cannot fit its bounds.
        from landuse.output.maps import map_frame

        body = map_frame(map_html, w["map"])
        if outcome_png is not None:
            image = f'<img class="figure" alt="{_e(w["map"])}" src="{_png_uri(outcome_png)}">'
            body += f'<div class="print-only">{image}</div><noscript>{image}</noscript>'
    else:
        body = (
            f"<p class='note'>{_e(w['map_placeholder'])}</p>{_legend(a, lang)}{_svg_map(a, lang)}"
        )
    sections.append(("map", w["map"], body, "pagebreak"))
    sections.append(
        (
            "charts",
            w["charts"],
            f"<p class='note'>{_e(w['charts_note'].format(date=a.as_of))}</p>{_charts(a, lang)}",
            "pagebreak",
        )
    )
    if progress_png is not None:
        sections.append(
            (
                "progress",
                w["progress"],
                f"<p class='note'>{_e(w['progress_note'])}</p>"
                f'<img class="figure" alt="{_e(w["progress"])}" src="{_png_uri(progress_png)}">',
                "pagebreak",
            )
        )
    top, bottom = a.rules.ranking.commend, a.rules.ranking.criticize
    sections.append(
        (
            "ranking",
            w["ranking_h"],
            f"<p class='note'>{_e(w['ranking_note'].format(top=top, bottom=bottom, measure=a.rules.ranking.label(lang)))}</p>"
            f"{_ranking(a, lang)}",
            "pagebreak",
        )
    )
    sections.append(
        (
            "candidates",
            w["candidates"],
            f"<p class='note'>{_e(w['candidates_note'].format(years=a.rules.approvals.lapse_years))}</p>"
            f"{_candidates(a, lang)}",
            "pagebreak",
        )
    )
    sections.append(("problems", w["problems"], _problems(a, lang, max_problems), "pagebreak"))
    sections.append(("sources", w["sources"], _sources(a, lang), ""))

    nav = "".join(f'<a href="#{sid}">{_e(w["nav_" + sid])}</a>' for sid, *_ in sections)
    body_html = "".join(
        f'<section id="{sid}" class="{cls}"><h2>{_e(head)}</h2>{content}</section>'
        for sid, head, content, cls in sections
    )
    source = a.rules.source if lang == "zh" else a.rules.source_en
    warn = f'<div class="warn">{_e(w["provisional"])}</div>' if h["provisional"] else ""
    unknown = int((a.counties["outcome"] == "undetermined").sum())
    if unknown:  # the gate let the report through with --accept-errors: say so first
        banner = (f"数据不完整：错误使部分数据未参与计算，{unknown} 个县区结果“待定”，不给出奖惩和排名；"
                  "详见“数据问题”" if lang == "zh" else
                  f"Data incomplete: errors kept rows out of the computation; {unknown} counties are "
                  "undetermined, with no award, penalty or rank; see the data problems")
        warn = f'<div class="warn" id="data-incomplete">{_e(banner)}</div>{warn}'
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        f'<!DOCTYPE html><html lang="{w["lang"]}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="landuse {_e(__version__)}">'
        f"<title>{_e(title)}</title><style>{_css()}</style></head><body>"
        f'<header class="top"><h1>{_e(title)}</h1><div class="meta">{_e(w["as_of"].format(date=a.as_of))}'
        f" · {_e(source)}</div>{warn}</header>"
        f"<nav>{nav}</nav><main>{body_html}</main>"
        f"<footer>{_e(w['footer'].format(version=__version__, now=now))}</footer></body></html>"
    )


# --- everything ----------------------------------------------------------------------------
_HELPER_FROM = 50  # counties from which the figures are drawn in a helper process


class _FigureHelper:
    """A Python process drawing the report's PNGs (:func:`landuse.output.figures.report_pngs`).

    Matplotlib holds the interpreter lock while it draws, so a province's
    figures (several seconds) can only run beside the ledgers and the map in
    another process. This one is started with ``python -c`` (no
    ``multiprocessing``: a script that calls :func:`write_report` without an
    ``if __name__ == "__main__"`` guard stays safe) and is sent its inputs
    pickled. Whatever goes wrong with it, the report draws the figures itself.
    """

    def __init__(self, process: subprocess.Popen[bytes], errors: IO[bytes]) -> None:
        self.process = process
        self.errors = errors  # what the helper says on stderr (a file: a pipe might fill up)
        self.writer: threading.Thread | None = None

    @classmethod
    def start(cls) -> _FigureHelper | None:
        """Start the helper (it loads matplotlib and waits for its inputs); None if it cannot."""
        if getattr(sys, "frozen", False) or not sys.executable:  # no Python to start
            return None
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        errors = tempfile.TemporaryFile()  # noqa: SIM115  (kept open until close())
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", "from landuse.output.figures import _serve; _serve()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=env,
            )
        except OSError:
            errors.close()
            return None
        return cls(process, errors)

    def send(self, assessment: Assessment, quarters: pd.DataFrame, *, lang: str, dpi: int) -> None:
        """Send the inputs: the counties, rules, date and data source (not the parcels)."""
        light = SimpleNamespace(
            counties=assessment.counties,
            rules=assessment.rules,
            as_of=assessment.as_of,
            workspace=SimpleNamespace(source=assessment.workspace.source),
        )
        request = pickle.dumps(
            {"assessment": light, "quarters": quarters, "lang": lang, "dpi": dpi},
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        stdin = self.process.stdin
        assert stdin is not None

        def write() -> None:  # the helper reads once it has loaded matplotlib: do not wait here
            try:
                stdin.write(request)
            except OSError:  # it died: result() will say so
                pass
            finally:
                with contextlib.suppress(OSError):
                    stdin.close()

        self.writer = threading.Thread(target=write, name="landuse-figures", daemon=True)
        self.writer.start()

    def result(self) -> dict[str, bytes] | None:
        """The PNGs, once drawn; None when the helper failed."""
        if self.writer is not None:
            self.writer.join()
        stdout = self.process.stdout
        assert stdout is not None
        out = stdout.read()
        if self.process.wait() != 0:
            self.errors.seek(0)
            log.info("figure helper failed (%s): %s", self.process.returncode,
                     self.errors.read().decode(errors="replace")[-2000:])
            return None
        try:
            pngs = pickle.loads(out)
        except Exception:  # anything unreadable: draw them here instead
            return None
        return pngs if isinstance(pngs, dict) else None

    def close(self) -> None:
        """Stop the helper if it still runs, and release its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        if self.writer is not None:
            self.writer.join()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process.wait()
        self.errors.close()


def write_report(
    assessment: Assessment,
    out_dir: str | os.PathLike,
    *,
    lang: str = "zh",
    basemap: str | None = None,
    tianditu_key: str | None = None,
    overlays: Sequence[tuple[str, gpd.GeoDataFrame]] = (),
    overwrite: bool = False,
    progress: ProgressFn | None = None,
    quarters: pd.DataFrame | None = None,
    dpi: int = 300,
) -> dict[str, Path]:
    """Write the meeting report into ``out_dir``.

    Writes ``index.html``, ``ledgers.xlsx``, ``outcome.png``,
    ``results.gpkg`` and ``progress.png`` (see the module docstring), each
    atomically. The CSV tables are written by
    :func:`landuse.campaigns.zengcun.assessment.save_assessment`.

    Parameters
    ----------
    assessment : Assessment
        From :func:`landuse.campaigns.zengcun.assessment.assess`.
    out_dir : path
        The folder; created when missing.
    lang : {"zh", "en"}
        Language of every heading, label, sheet and legend.
    basemap : {None, "osm", "tianditu", "gaode"} or str
        Tiles under the interactive map (none by default: offline), or the
        template of the bureau's own tile service (``http://…/{z}/{x}/{y}.png``,
        or WMTS with ``{TileMatrix}/{TileRow}/{TileCol}``).
    tianditu_key : str, optional
        The 天地图 key for ``basemap="tianditu"`` (default ``TIANDITU_KEY``).
    overlays : sequence of (name, GeoDataFrame), optional
        The bureau's own reference layers drawn under the parcels of the map.
    overwrite : bool, default False
        Replace existing files; without it an existing file is an error and
        nothing is written.
    progress : callable, optional
        Called with the name of each step (``"progress"``, ``"outcome.png"``,
        ``"progress.png"``, ``"ledgers.xlsx"``, ``"map"``, ``"index.html"``,
        ``"results.gpkg"``), for a progress display: :data:`REPORT_STEPS`.
    quarters : pandas.DataFrame, optional
        :func:`landuse.campaigns.zengcun.progress.quarterly_progress` of the assessment, when
        already computed.
    dpi : int, default 300
        Resolution of the PNG files.

    Returns
    -------
    dict of str to pathlib.Path
        The files written, by key (``html``, ``xlsx``, ``outcome_png``,
        ``gpkg``, ``progress_png``).

    Raises
    ------
    OutputExistsError
        When a file exists and ``overwrite`` is False.
    LanduseError
        When no installed font renders Chinese (install ``fonts-noto-cjk``).

    Examples
    --------
    >>> import tempfile
    >>> from landuse import load_workspace
    >>> from landuse.campaigns.zengcun.assessment import assess
    >>> a = assess(load_workspace(), "zhumadian-2018", "2018-12-31")
    >>> out = write_report(a, tempfile.mkdtemp())  # doctest: +SKIP
    >>> sorted(out)  # doctest: +SKIP
    ['gpkg', 'html', 'outcome_png', 'progress_png', 'xlsx']
    """
    from landuse.campaigns.zengcun.progress import quarterly_progress

    _words(lang)
    out = Path(out_dir)
    targets = {key: out / name for key, name in REPORT_FILES.items()}
    if not overwrite:
        existing = [str(p) for p in targets.values() if p.exists()]
        if existing:
            raise OutputExistsError(
                f"输出文件已存在：{'、'.join(existing)}；如需覆盖请加 --overwrite",
                f"outputs exist: {', '.join(existing)}; pass --overwrite to replace them",
            )
    figures.cjk_font()  # fail before writing anything when Chinese cannot be drawn

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    # Everything is made in memory first, so a failure leaves no file behind; then each
    # file is written atomically.
    # A province's figures are drawn in a helper process meanwhile (it loads matplotlib while the
    # quarters are worked out here).
    helper = _FigureHelper.start() if len(assessment.counties) >= _HELPER_FROM else None
    try:
        step("progress")
        if quarters is None:
            quarters = quarterly_progress(
                assessment.workspace, assessment.rules, as_of=assessment.as_of
            )
        if helper is not None:
            helper.send(assessment, quarters, lang=lang, dpi=dpi)

        step("outcome.png")
        if helper is None:
            outcome_fig = figures.outcome_figure(assessment, lang=lang)
            outcome_png = figures.figure_png(outcome_fig, dpi=dpi)
            outcome_small = figures.figure_png(outcome_fig, dpi=figures.SMALL_DPI["outcome"])

        step("progress.png")
        if helper is None:
            progress_fig = figures.progress_figure(quarters, assessment.rules, lang=lang)
            progress_png = figures.figure_png(progress_fig, dpi=dpi)
            progress_small = figures.figure_png(progress_fig, dpi=figures.SMALL_DPI["progress"])

        step("ledgers.xlsx")
        xlsx = ledgers.workbook_bytes(ledgers.ledgers_workbook(assessment, lang=lang, cells=False))

        step("map")
        map_html = _interactive_map(assessment, lang, basemap, tianditu_key, overlays)

        if helper is not None:
            pngs = helper.result()
            if pngs is None:  # the helper failed: draw them here
                pngs = figures.report_pngs(assessment, quarters, lang=lang, dpi=dpi)
            outcome_png, outcome_small = pngs["outcome"], pngs["outcome_small"]
            progress_png, progress_small = pngs["progress"], pngs["progress_small"]
    finally:
        if helper is not None:
            helper.close()

    step("index.html")
    page = report_html(
        assessment,
        lang=lang,
        map_html=map_html,
        progress_png=progress_small,
        outcome_png=outcome_small,
    )

    step("results.gpkg")
    write_results_gpkg(assessment, targets["gpkg"], lang=lang, overwrite=overwrite)
    write_bytes(outcome_png, targets["outcome_png"], overwrite=overwrite)
    write_bytes(progress_png, targets["progress_png"], overwrite=overwrite)
    write_bytes(xlsx, targets["xlsx"], overwrite=overwrite)
    write_text(page, targets["html"], overwrite=overwrite)
    return targets
