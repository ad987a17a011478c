"""Folium maps of an :class:`~landuse.campaigns.zengcun.assessment.Assessment`: the outcome map.

Over 800 lines because the layers, the size budget and the page assembly share one private model (``DrawnLayer``); the encoding itself is in ``_layer_encoding``.

The outcome map colours each county by its award or penalty and lays the
assessment's parcels over it: the unsupplied part of each approval batch
(by approval year), supplied parcels (by patrol status), idle parcels
(undisposed, disposed, suspected) and the two-year-rule candidates (lapse,
withdraw, reduce). Every layer can be switched on and off; a legend, a
title, a scale bar and a full-screen button come with it.

Offline by default: bureau intranets often have no internet, so the saved
page carries Leaflet's script and style inline (read from the installed
``xstatic-leaflet`` package), loads no web font, icon or base-map tile, and
addresses nothing on the network. A base map is added only when asked
(``basemap="osm" | "tianditu" | "gaode"``); 高德 tiles are in GCJ-02, so the
overlays are then shifted WGS84 → GCJ-02 for display (the assessment itself
is never changed).

Large layers stay usable: geometries are simplified on the measuring plane
(a tolerance in metres) before they are reprojected to EPSG:4326 and their
coordinates rounded to 10⁻⁵° (about a metre); when the page would exceed its
size budget the largest layers are simplified harder and then lose their
smallest features, and the legend says so.

The page carries each layer compactly, in JSON script elements the map's
script reads only when the layer is first shown: one table of the layer's
distinct texts with each feature's texts as ids into it, and its outlines
as integer steps (:mod:`landuse.output._layer_encoding`, drawn by the
``leaflet-landuse`` plug-in: ``_assets/leaflet-landuse/README.md``). A province's parcels then fit the
budget, and the page opens without parsing or drawing its hidden layers.
When a layer has thousands of features, every layer is drawn on one canvas
(so each still answers the pointer), and parcels show as dots until the map
is zoomed in far enough to tell their outlines (city scale).

Every text that comes from the data (names, ids, field values) is
HTML-escaped in Python before it reaches the page, and no data passes
through Folium's templates (which would read ``{{ … }}`` in a name as
Jinja).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import logging
import math
import os
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse._errors import CRSError, LanduseError, SchemaError
from landuse.io.files import write_text
from landuse.model.crs import geometries_to_gcj02, measuring_crs
from landuse.model.units import format_area, format_rate
from landuse.output import _layer_encoding as enc
from landuse.output._lang import check_lang, pair_word

if TYPE_CHECKING:
    import folium

    from landuse.campaigns.zengcun.assessment import Assessment

__all__ = [
    "BASEMAPS",
    "DrawnLayer",
    "LayerStats",
    "MapSource",
    "MapStats",
    "draw_layers",
    "drawable",
    "map_html",
    "map_outcomes",
    "path_style",
    "render_map",
    "save_map",
    "to_plane",
]

log = logging.getLogger(__name__)

#: Base maps :func:`map_outcomes` can add (none by default: the map stays offline).
BASEMAPS = ("osm", "tianditu", "gaode")

_BYTES_PER_MB = 1_000_000
_MIN_UNSUPPLIED_HA = 0.001  # 10 m²: below this a batch counts as fully supplied on the map
_PAGE_BYTES = 8_000  # folium's page around the data: map, controls, layer control
_NOTE_BYTES = 250  # a legend note on a thinned layer
_CANVAS_OVER = 5_000  # features in one layer above which it is drawn on canvas, not SVG
_BOOST_UNDER = 2_000  # up to this many parcels, outlines thicken at city scale so each one shows
_SAMPLE = 2_000  # features simplified to judge whether simplifying a layer harder pays
_PAYS = 0.05  # ... it does when it saves this share of the layer's bytes



# --- words -----------------------------------------------------------------------------------
_WORDS: dict[str, tuple[str, str]] = {
    "as_of": ("截至 {date}", "as of {date}"),
    "summary": ("奖励 {award} 个县区，计划核减 {penalty} 个", "{award} counties awarded, {penalty} penalised"),
    "provisional_title": ("（暂定：考核截止日前，按当前完成情况）",
                          " (provisional: before the deadline, as things stand)"),
    "legend": ("图例", "Legend"),
    "counties": ("县区考核结果", "County outcomes"),
    "unsupplied": ("批而未供土地（按批准年份）", "Unsupplied approved land (by approval year)"),
    "supplies": ("已供宗地（按巡查状态）", "Supplied parcels (by patrol status)"),
    "idle_undisposed": ("闲置土地·未处置", "Idle land, undisposed"),
    "idle_disposed": ("闲置土地·已处置", "Idle land, disposed"),
    "suspected": ("疑似闲置（未列入台账）", "Suspected idle (not on the list)"),
    "lapse": ("拟失效批次", "Lapse candidates"),
    "withdraw": ("拟撤回批次", "Withdrawal candidates"),
    "reduce": ("拟核减部分", "Reduction candidates"),
    "used_before_supply": ("未供先用批次", "Used before supply"),
    "idle_group": ("闲置土地", "Idle land"),
    "candidates_group": ("失效、撤回、核减候选", "Lapse, withdrawal and reduction candidates"),
    "award": ("奖励", "Award"),
    "award_ms": ("奖励（节点任务未达标，预警）", "Award (milestone missed: warned)"),
    "penalty": ("计划核减", "Penalty"),
    "award_long": ("奖励：年度任务全部达标，下一年度计划 {m}", "Award: every annual task met, next year's plan {m}"),
    "award_ms_long": ("奖励，但节点任务未达标（预警）", "Award, but a milestone was missed (warning)"),
    "penalty_long": ("计划核减：有年度任务未达标，下一年度计划 {m}", "Penalty: an annual task missed, next year's plan {m}"),
    "provisional": ("虚线边框：暂定结果（考核截止日前）", "Dashed outline: provisional (before the deadline)"),
    "no_outcome": ("无考核结果", "No outcome"),
    "undetermined_long": ("待定：数据有错误（行被排除），不给出奖惩", "Undetermined: data errors (rows excluded), "
                          "no award or penalty"),
    "incomplete_title": ("（数据不完整：{n} 个县区待定）", " (data incomplete: {n} counties undetermined)"),
    "met_yes": ("达标", "Met"),
    "met_no": ("未达标", "Not met"),
    "met_pending": ("待定", "Pending"),
    "met_none": ("无任务", "No task"),
    "task": ("任务", "Task"),
    "rate": ("完成率", "Rate"),
    "target": ("目标", "Target"),
    "result": ("结果", "Result"),
    "gap": ("差距", "Gap"),
    "milestone_note": ("节点任务，只预警，不决定奖惩", "milestone: warned about, does not decide"),
    "plan_base": ("因素法测算计划", "Factor-method plan"),
    "plan_next": ("下一年度计划", "Next year's plan"),
    "suspended": ("暂停受理新增建设用地申请", "New construction land applications suspended"),
    "suspended_yes": ("是（{exempt}除外）", "yes (except {exempt})"),
    "may_resume": ("；任务已完成，可申请恢复受理", "; tasks now reached: may apply for resumption"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "combined": ("综合处置率", "Combined disposal rate"),
    "rank": ("处置率排名", "Rank by disposal rate"),
    "rank_of": ("第 {rank} 名（共 {n} 个）", "{rank} of {n}"),
    "unranked": ("不参加排名（无处置任务）", "not ranked (nothing to dispose of)"),
    "commend": ("通报表扬", "commended"),
    "criticize": ("通报批评", "criticised"),
    "scale": ("城镇工矿规模指标", "Urban and mining scale indicators"),
    "devzone": ("开发区升级扩区", "Development-zone upgrades"),
    "tasks_met": ("{k}/{n} 项年度任务达标", "{k}/{n} annual tasks met"),
    "rank_short": ("第{rank}名", "#{rank}"),
    "no_geometry": ("{layer}：{n} 条记录没有图形，未在图上显示", "{layer}: {n} rows have no geometry and are not drawn"),
    "thinned": ("为控制文件大小，“{layer}”{what}", "To keep the file small, '{layer}' {what}"),
    "thin_simplified": ("图形已简化（容差 {tol} 米）", "was simplified ({tol} m tolerance)"),
    "thin_dropped": ("略去最小的 {n} 个图斑（共 {total} 个）", "lost its {n} smallest of {total} features"),
    "and": ("，", " and "),
    "idle_from_parcel": ("图形取自供地宗地", "outline from the supply parcel"),
    "note_areas": ("图形仅示意位置，面积以统计表为准", "Outlines show location; areas are those of the tables"),
    "fullscreen": ("全屏", "Full screen"),
    "exit_fullscreen": ("退出全屏", "Exit full screen"),
    "years": ("{y:.1f} 年", "{y:.1f} years"),
    "wan": ("{v:,.2f} 万元", "{v:,.2f} ×10⁴ yuan"),
    "undisposed": ("未处置", "undisposed"),
    "disposed": ("已处置", "disposed"),
}

_FIELD_LABELS: dict[str, tuple[str, str]] = {
    "batch_id": ("批次编号", "Batch"),
    "batch_name": ("批次名称", "Batch name"),
    "approval_no": ("批准文号", "Approval no."),
    "approval_date": ("批准日期", "Approved on"),
    "approver": ("批准机关", "Approved by"),
    "approved_ha": ("批准面积", "Approved area"),
    "supplied_ha": ("已供面积", "Supplied"),
    "revoked_ha": ("失效撤回核减", "Lapsed, withdrawn, reduced"),
    "unsupplied_ha": ("批而未供面积", "Unsupplied"),
    "supply_rate": ("供地率", "Supply rate"),
    "compensation": ("征收补偿实施情况", "Compensation"),
    "county_code": ("行政区代码", "County code"),
    "parcel_id": ("宗地编号", "Parcel"),
    "project_name": ("项目名称", "Project"),
    "holder": ("用地单位", "Holder"),
    "supply_date": ("供地日期", "Supplied on"),
    "supply_method": ("供地方式", "Supply method"),
    "land_use": ("土地用途", "Land use"),
    "area_ha": ("面积", "Area"),
    "agreed_start": ("约定动工日期", "Agreed start"),
    "actual_start": ("实际动工日期", "Actual start"),
    "agreed_completion": ("约定竣工日期", "Agreed completion"),
    "status": ("状态", "Status"),
    "idle_reason": ("疑似闲置理由", "Why suspected"),
    "idle_id": ("闲置编号", "Idle id"),
    "identified_date": ("认定日期", "Identified on"),
    "cause": ("闲置原因", "Cause"),
    "disposal": ("处置方式", "Disposal"),
    "disposal_date": ("处置日期", "Disposed on"),
    "idle_years": ("闲置年限", "Years idle"),
    "measure": ("处置措施", "Measure"),
    "idle_fee_wan": ("土地闲置费", "Idle fee"),
    "responsible_unit": ("责任单位", "Responsible unit"),
    "deadline": ("整改期限", "Deadline"),
    "kind": ("类型", "Kind"),
    "reason": ("理由", "Reason"),
    "indicator_return_ha": ("返还指标", "Indicators returned"),
    "needs_field_check": ("需实地核查", "Field check needed"),
    "located": ("位置", "Location"),
    "tasks_in": ("计入任务", "Counts in"),
}

_PATROL_EN = {
    "正常使用": "in normal use", "逾期开工": "start overdue", "逾期竣工": "completion overdue",
    "疑似闲置": "suspected idle", "疑似低效": "suspected inefficient", "闲置土地": "idle land",
    "低效土地": "inefficient land",
}
_KIND_WORDS = {"lapse": ("失效", "lapse"), "withdraw": ("撤回", "withdraw"), "reduce": ("批次核减", "reduce"),
               "used_before_supply": ("未供先用", "used before supply"),
               "suspected_idle": ("疑似闲置", "suspected idle")}


def _w(key: str, lang: str, **kw: object) -> str:
    return pair_word(_WORDS, key, lang, **kw)


def _e(value: object) -> str:
    """Escape one value for HTML (quotes too: values may land in attributes)."""
    return html.escape(str(value), quote=True)


def _true(value: object) -> bool:
    """True for a present, true value (Python, numpy or pandas boolean)."""
    return not _missing(value) and bool(value)


def _false(value: object) -> bool:
    """True for a present, false value (not for a missing one)."""
    return not _missing(value) and not bool(value)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-likes are not missing scalars
        return False


# --- styles ----------------------------------------------------------------------------------
_COUNTY_FILL = {"award": "#57b45a", "award_ms": "#d4ec8e", "penalty": "#f07a5a", "none": "#d9d9d9"}
_OUTCOMES = list(_COUNTY_FILL)
_COUNTY_EDGE = "#3d4a3d"
_STATUS_COLOURS = {
    "正常使用": "#4393c3", "逾期开工": "#fdb863", "逾期竣工": "#f6e08a", "疑似闲置": "#e08214",
    "疑似低效": "#b2abd2", "闲置土地": "#8c2d04", "低效土地": "#5e3c99",
}
_IDLE_STYLE = {
    "idle_undisposed": {"fillColor": "#b2182b", "color": "#67001f"},
    "idle_disposed": {"fillColor": "#bdbdbd", "color": "#525252"},
    "suspected": {"fillColor": "#ff8c00", "color": "#a35400"},
}
_CANDIDATE_STYLE = {
    "lapse": {"color": "#111111", "dashArray": "3 3"},
    "withdraw": {"color": "#c51b7d", "dashArray": "6 3"},
    "reduce": {"color": "#00695c", "dashArray": "6 3"},
    "used_before_supply": {"color": "#e65100", "dashArray": "1 4"},
}
_YEAR_LIGHT, _YEAR_DARK = "#cbc9e2", "#3f007d"  # recent approvals light, old ones dark


def _ramp(n: int, light: str = _YEAR_LIGHT, dark: str = _YEAR_DARK) -> list[str]:
    """Return ``n`` colours from ``dark`` (first, oldest) to ``light`` (last, newest)."""
    a = np.array([int(dark[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    b = np.array([int(light[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    steps = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
    return ["#{:02x}{:02x}{:02x}".format(*np.rint(a + (b - a) * s).astype(int)) for s in steps]


def path_style(key: str, fill: str, edge: str, *, weight: float = 1.0, fill_opacity: float = 0.75,
                dash: str | None = None, opacity: float = 1.0) -> dict[str, Any]:
    """A Leaflet path style for one class of ``key``'s layer (its CSS class ``lu-<key>``).

    Parameters
    ----------
    key : str
        The layer's key.
    fill, edge : str
        Fill and outline colours (``#rrggbb``).
    weight, fill_opacity, dash, opacity
        Outline width in pixels, fill opacity, SVG dash pattern, outline opacity.

    Returns
    -------
    dict
        Leaflet's path options.
    """
    style: dict[str, Any] = {"className": f"lu-{key.replace('_', '-')}", "color": edge, "weight": weight,
                             "opacity": opacity, "fillColor": fill, "fillOpacity": fill_opacity}
    if dash:
        style["dashArray"] = dash
    return style


def _swatch(style: dict[str, Any]) -> str:
    border = "dashed" if style.get("dashArray") else "solid"
    fill = style["fillColor"] if style.get("fillOpacity", 0) >= 0.3 else "transparent"
    return (f'<i class="lu-sw" style="background:{fill};border:2px {border} {style["color"]}"></i>')


# --- value formatters (each returns escaped HTML text) ---------------------------------------
Formatter = Callable[[object, str], str]


def _f_text(value: object, lang: str) -> str:
    return "" if _missing(value) else _e(value)


def _f_date(value: object, lang: str) -> str:
    if _missing(value):
        return ""
    try:
        return _e(pd.Timestamp(value).strftime("%Y-%m-%d"))
    except (ValueError, TypeError):
        return _e(value)


def _f_area(value: object, lang: str) -> str:
    return "" if _missing(value) else _e(format_area(float(value), lang=lang))  # type: ignore[arg-type]


def _f_rate(value: object, lang: str) -> str:
    return "" if _missing(value) else _e(format_rate(float(value)))  # type: ignore[arg-type]


def _f_years(value: object, lang: str) -> str:
    return "" if _missing(value) else _e(_w("years", lang, y=float(value)))  # type: ignore[arg-type]


def _f_wan(value: object, lang: str) -> str:
    return "" if _missing(value) else _e(_w("wan", lang, v=float(value)))  # type: ignore[arg-type]


def _f_bool(value: object, lang: str) -> str:
    if _missing(value):
        return ""
    return _w("yes" if bool(value) else "no", lang)


def _f_patrol(value: object, lang: str) -> str:
    if _missing(value):
        return ""
    return _e(value if lang == "zh" else _PATROL_EN.get(str(value), str(value)))


def _f_idle_status(value: object, lang: str) -> str:
    if _missing(value):
        return ""
    return _w(str(value), lang) if str(value) in ("disposed", "undisposed") else _e(value)


def _f_kind(value: object, lang: str) -> str:
    if _missing(value):
        return ""
    words = _KIND_WORDS.get(str(value))
    return _e(words[0 if lang == "zh" else 1] if words else value)


# column, formatter; the label comes from _FIELD_LABELS
_FIELDS: dict[str, list[tuple[str, Formatter]]] = {
    "unsupplied": [
        ("batch_name", _f_text), ("approval_no", _f_text), ("approval_date", _f_date),
        ("approver", _f_text), ("approved_ha", _f_area), ("supplied_ha", _f_area),
        ("revoked_ha", _f_area), ("unsupplied_ha", _f_area), ("supply_rate", _f_rate),
        ("compensation", _f_text), ("tasks_in", _f_text), ("county_code", _f_text),
    ],
    "supplies": [
        ("project_name", _f_text), ("holder", _f_text), ("batch_id", _f_text),
        ("supply_date", _f_date), ("supply_method", _f_text), ("land_use", _f_text),
        ("area_ha", _f_area), ("agreed_start", _f_date), ("actual_start", _f_date),
        ("agreed_completion", _f_date), ("status", _f_patrol), ("idle_reason", _f_text),
        ("county_code", _f_text),
    ],
    "idle": [
        ("parcel_id", _f_text), ("project_name", _f_text), ("holder", _f_text),
        ("area_ha", _f_area), ("identified_date", _f_date), ("cause", _f_text),
        ("idle_years", _f_years), ("status", _f_idle_status), ("disposal", _f_text),
        ("disposal_date", _f_date), ("measure", _f_text), ("idle_fee_wan", _f_wan),
        ("responsible_unit", _f_text), ("deadline", _f_date), ("located", _f_text),
        ("county_code", _f_text),
    ],
    "candidates": [
        ("kind", _f_kind), ("batch_id", _f_text), ("parcel_id", _f_text), ("area_ha", _f_area),
        ("approval_date", _f_date), ("approver", _f_text), ("compensation", _f_text),
        ("reason", _f_text), ("measure", _f_text), ("idle_fee_wan", _f_wan),
        ("indicator_return_ha", _f_area), ("needs_field_check", _f_bool), ("holder", _f_text),
        ("project_name", _f_text), ("county_code", _f_text),
    ],
}
# English text columns replace their Chinese ones when lang="en"
_EN_COLUMNS = {"reason": "reason_en", "measure": "measure_en", "idle_reason": "idle_reason_en"}


# --- statistics ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerStats:
    """What one layer of the map holds.

    Attributes
    ----------
    key : str
        The layer's key: ``counties``, ``unsupplied``, ``supplies``,
        ``idle_undisposed``, ``idle_disposed``, ``suspected``, ``lapse``,
        ``withdraw``, ``reduce``.
    name : str
        The layer's name in the layer control.
    features : int
        Features drawn.
    total : int
        Features with a geometry before thinning.
    no_geometry : int
        Rows of the source without a geometry (not drawn).
    tolerance_m : float
        Simplification tolerance used, in metres on the measuring plane.
    base_tolerance_m : float
        The tolerance used when the size budget does not bite.
    bytes : int
        Bytes of the layer's data in the page (UTF-8).
    """

    key: str
    name: str
    features: int
    total: int
    no_geometry: int
    tolerance_m: float
    base_tolerance_m: float
    bytes: int

    @property
    def dropped(self) -> int:
        """Features left out to keep within the size budget."""
        return self.total - self.features

    @property
    def thinned(self) -> bool:
        """True when the budget made this layer coarser or smaller."""
        return self.dropped > 0 or self.tolerance_m > self.base_tolerance_m


@dataclass(frozen=True)
class MapStats:
    """The size and content of an outcome map.

    Attributes
    ----------
    bytes : int
        Size of the HTML page in bytes (UTF-8), as :func:`map_outcomes`
        renders it; :func:`save_map` and :func:`render_map` set it to the size
        written.
    budget_bytes : int
        The size budget (``max_html_mb``).
    layers : dict of str to LayerStats
        By layer key, in drawing order.
    path : pathlib.Path, optional
        Where the page was written.
    """

    bytes: int
    budget_bytes: int
    layers: dict[str, LayerStats]
    path: Path | None = None

    @property
    def thinned(self) -> tuple[str, ...]:
        """Keys of the layers the budget thinned."""
        return tuple(k for k, s in self.layers.items() if s.thinned)

    @property
    def features(self) -> dict[str, int]:
        """Features drawn, by layer key."""
        return {k: s.features for k, s in self.layers.items()}

    @property
    def megabytes(self) -> float:
        """Size in MB (10⁶ bytes)."""
        return self.bytes / _BYTES_PER_MB


# --- input -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _TaskInfo:
    id: str
    label: str
    label_en: str
    target: float | None
    milestone: bool
    deciding: bool


@dataclass
class MapSource:
    """The parts of an assessment the map reads, on one projected plane.

    Attributes
    ----------
    counties : geopandas.GeoDataFrame
        The units: their extent is the map's.
    tasks : list
        The tasks the units' popups report (empty for a campaign map).
    title : (str, str)
        Chinese and English.
    as_of : date or None
    rules : RuleSet, optional
    overlays : dict of str to GeoDataFrame
        The assessment's layers by key.
    no_geometry : dict of str to int
        Rows of each layer that could not be drawn, for the legend.
    """

    counties: gpd.GeoDataFrame
    tasks: list[_TaskInfo]
    title: tuple[str, str]
    as_of: dt.date | None
    rules: Any = None
    overlays: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    no_geometry: dict[str, int] = field(default_factory=dict)


def to_plane(frame: gpd.GeoDataFrame, name: str, crs: Any = None) -> gpd.GeoDataFrame:
    """Return ``frame`` on a projected plane (``crs`` when given), refusing a missing CRS."""
    if frame.crs is None:
        raise CRSError(f"图层 {name} 没有坐标系，无法制图：请先为它设置坐标系（如 EPSG:4547）",
                       f"layer {name} has no CRS, so it cannot be mapped: set its CRS first "
                       "(e.g. EPSG:4547)")
    if crs is not None:
        return frame if frame.crs == crs else frame.to_crs(crs)
    if frame.crs.is_projected:
        return frame
    return frame.to_crs(measuring_crs(frame.crs, tuple(frame.total_bounds)))


def drawable(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Which rows of ``frame`` have a geometry to draw (present and not empty)."""
    geoms = frame.geometry.to_numpy()
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def _tasks_from_columns(counties: pd.DataFrame) -> list[_TaskInfo]:
    ids = [c[: -len("_rate")] for c in counties.columns
           if c.endswith("_rate") and c != "combined_disposal_rate" and f"{c[:-5]}_met" in counties]
    out = []
    for tid in ids:
        target = counties.get(f"{tid}_target")
        value = float(target.dropna().iloc[0]) if target is not None and target.notna().any() else None
        out.append(_TaskInfo(tid, tid, tid, value, milestone=False, deciding=True))
    return out


def _source(assessment: Assessment | gpd.GeoDataFrame) -> MapSource:
    if isinstance(assessment, gpd.GeoDataFrame):
        counties = to_plane(assessment, "counties")
        return MapSource(counties, _tasks_from_columns(counties), ("县区考核结果", "County outcomes"), None)
    rules = assessment.rules
    counties = to_plane(assessment.counties, "counties")
    deciding = set(rules.award.deciding)
    tasks = [_TaskInfo(t.id, t.label, t.label_en, t.target, bool(t.milestone), t.id in deciding)
             for t in rules.tasks]
    src = MapSource(counties, tasks, (rules.name, rules.name_en), assessment.as_of, rules)
    crs = counties.crs
    frames = {name: getattr(assessment, name, None) for name in ("batches", "supplies", "idle", "candidates")}
    frames = {k: to_plane(v, k, crs) for k, v in frames.items() if v is not None and len(v)}
    parts = assessment.unsupplied_parts() if hasattr(assessment, "unsupplied_parts") else None
    _overlays(src, frames, pd.Timestamp(assessment.as_of), parts)
    return src


def _overlays(src: MapSource, frames: dict[str, gpd.GeoDataFrame], as_of: pd.Timestamp,
              parts: gpd.GeoSeries | None) -> None:
    """Split the assessment's frames into the map's overlay layers."""
    if "batches" in frames:
        src.overlays["unsupplied"] = _unsupplied(frames["batches"], frames.get("supplies"), as_of, parts)
    supplies = frames.get("supplies")
    if supplies is not None:
        # A map as of a date shows the parcels supplied by then.
        later = (supplies["supply_date"] > as_of).fillna(False).to_numpy() if "supply_date" in supplies else (
            np.zeros(len(supplies), dtype=bool))
        src.overlays["supplies"] = supplies[~later]
    idle = frames.get("idle")
    if idle is not None:
        idle = _idle_geometry(idle, supplies)
        disposed = idle["disposed"].fillna(False).astype(bool) if "disposed" in idle else (
            idle["status"] == "disposed")
        src.overlays["idle_undisposed"] = idle[~disposed.to_numpy()]
        src.overlays["idle_disposed"] = idle[disposed.to_numpy()]
    cands = frames.get("candidates")
    if cands is not None and "kind" in cands:
        for kind, key in (("suspected_idle", "suspected"), ("lapse", "lapse"), ("withdraw", "withdraw"),
                          ("reduce", "reduce"), ("used_before_supply", "used_before_supply")):
            src.overlays[key] = cands[(cands["kind"] == kind).fillna(False).to_numpy()]
    for key, frame in list(src.overlays.items()):
        ok = drawable(frame)
        if not ok.all():
            src.no_geometry[key] = int((~ok).sum())
        src.overlays[key] = frame[ok]


def _unsupplied(batches: gpd.GeoDataFrame, supplies: gpd.GeoDataFrame | None, as_of: pd.Timestamp,
                parts: gpd.GeoSeries | None) -> gpd.GeoDataFrame:
    """Each batch's unsupplied part: its outline less the parcels supplied on it by ``as_of``.

    Uses the assessment's own ``extra["unsupplied_parts"]`` (by ``batch_id``)
    when it carries them; otherwise cuts the parcels naming the batch, and
    those naming none that overlap it, out of the outline.
    """
    b = batches
    if "unsupplied_ha" in b:
        keep = np.array(b["unsupplied_ha"].fillna(0.0) > _MIN_UNSUPPLIED_HA, dtype=bool)
        if "approval_date" in b:
            keep &= (b["approval_date"] <= as_of).fillna(False).to_numpy()
        b = b[keep]
    b = b[drawable(b)].copy()
    if b.empty:
        return b
    if parts is not None:
        geoms = parts.reindex(b["batch_id"]).to_numpy()
        b["geometry"] = np.where(shapely.is_missing(geoms), b.geometry.to_numpy(), geoms)
    elif supplies is not None and len(supplies):
        s = supplies[drawable(supplies)]
        if "supply_date" in s:
            s = s[(s["supply_date"] <= as_of).fillna(False).to_numpy()]
        named = s[s["batch_id"].isin(b["batch_id"]).fillna(False).to_numpy()][["batch_id", "geometry"]]
        loose = s[s["batch_id"].isna().to_numpy()][["geometry"]]
        if len(loose):
            joined = gpd.sjoin(loose, b[["batch_id", "geometry"]], predicate="intersects")
            named = pd.concat([named, joined[["batch_id", "geometry"]]], ignore_index=True)
        if len(named):
            cut = named.dissolve(by="batch_id").geometry
            has = b["batch_id"].isin(cut.index).to_numpy()
            geoms = b.geometry.to_numpy().copy()
            geoms[has] = shapely.difference(geoms[has], cut.reindex(b.loc[has, "batch_id"]).to_numpy())
            b["geometry"] = geoms
    b = gpd.GeoDataFrame(b, geometry="geometry", crs=batches.crs)
    return b[drawable(b) & (shapely.area(b.geometry.to_numpy()) >= 1.0)]


def _idle_geometry(idle: gpd.GeoDataFrame, supplies: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Give idle rows without an outline the outline of their supply parcel."""
    idle = idle.copy()
    idle["located"] = pd.Series(pd.NA, index=idle.index, dtype="object")
    if supplies is None or "parcel_id" not in idle or "parcel_id" not in supplies:
        return idle
    missing = ~drawable(idle)
    if not missing.any():
        return idle
    outline = supplies[drawable(supplies)].drop_duplicates("parcel_id").set_index("parcel_id").geometry
    found = idle.loc[missing, "parcel_id"].map(outline)
    has = found.notna()
    idx = found.index[has.to_numpy()]
    idle.loc[idx, "geometry"] = found[has].to_numpy()
    idle.loc[idx, "located"] = "from_parcel"
    return idle


# --- layers ----------------------------------------------------------------------------------
@dataclass
class DrawnLayer:
    """One overlay, ready to encode: projected rows and escaped texts.

    ``classes[i]`` is row ``i``'s style in ``styles``; ``fields`` and ``values``
    make its popup table, ``tips`` its tooltip (all escaped HTML). The budget
    loop of :func:`draw_layers` thins it (``level``, ``keep``) when the page
    would be over its size.
    """

    key: str
    name: str
    frame: gpd.GeoDataFrame
    classes: np.ndarray
    styles: list[dict[str, Any]]
    fields: list[str]  # escaped labels of the popup table's rows
    values: list[np.ndarray]  # per field, each feature's escaped value ("" leaves the row out)
    tips: list[np.ndarray]  # the tooltip's parts, each feature's escaped text; joined by " · "
    tolerance_m: float
    digits: int
    show: bool
    z: int
    popups: np.ndarray | None = None  # each feature's popup as escaped HTML, not a table
    droppable: bool = True
    max_level: int = 2
    labels: list[tuple[float, float, str]] | None = None  # plane x, y, html
    legend: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    group: str = ""
    marks: list[list[Any]] | None = None  # the labels where the page puts them: lat, lon, html
    # state of the budget loop: simplification level, features kept, their encoding
    level: int = 0
    keep: np.ndarray = field(default_factory=lambda: np.ones(0, dtype=bool))
    shapes: enc.Shapes | None = None  # every feature at ``level``
    texts: enc.Texts | None = None  # the kept features'
    payload: tuple[str, str] = ("", "")  # the JSON the page carries: data, texts
    bytes: int = 0  # of the payload, UTF-8

    def __post_init__(self) -> None:
        self.keep = np.ones(len(self.frame), dtype=bool)

    @property
    def tolerance(self) -> float:
        """Simplification tolerance in metres at the current level (×4 a level)."""
        return self.tolerance_m * 4.0 ** self.level

    @property
    def thinned(self) -> bool:
        return self.level > 0 or not self.keep.all()

    @property
    def columns(self) -> list[np.ndarray]:
        """Every text column: the tooltip's parts, the popup's fields, the popups."""
        return [*self.tips, *self.values, *([] if self.popups is None else [self.popups])]


# --- column formatting (escaped HTML text; "" for a missing value) ---------------------------
def _dates(values: pd.Series) -> np.ndarray:
    """:func:`_f_date` of each (present) value, at once."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    dates = pd.to_datetime(values.astype(object), errors="coerce", format="mixed")
    out = dates.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    bad = dates.isna().to_numpy()
    if bad.any():  # not a date: the value itself, as _f_date gives it
        out[bad] = enc.escape_html(values[bad])
    return out


# Formatters of numbers: each gives the text of a float, as its scalar formatter does (nothing in
# their text needs escaping); numpy has nothing that formats as Python's format() does.
_NUMBER_TEXT: dict[Formatter, Callable[[float, str], str]] = {
    _f_area: lambda v, lang: format_area(v, lang=lang),
    _f_rate: lambda v, lang: format_rate(v),
    _f_years: lambda v, lang: _w("years", lang, y=v),
    _f_wan: lambda v, lang: _w("wan", lang, v=v),
}


def _formatted(values: pd.Series, fmt: Formatter, lang: str) -> np.ndarray:
    """``fmt`` of every value of a column, as an array of escaped texts."""
    out = np.full(len(values), "", dtype=object)
    present = values.notna().to_numpy(dtype=bool)
    if not present.any():
        return out
    values = values[present]
    if fmt is _f_text:  # each distinct text escaped once
        codes, distinct = pd.factorize(values)
        out[present] = enc.escape_html(pd.Series(distinct))[codes]
    elif fmt is _f_date:
        out[present] = _dates(values)
    elif fmt in _NUMBER_TEXT:  # each distinct number formatted once
        text = _NUMBER_TEXT[fmt]
        codes, distinct = pd.factorize(pd.to_numeric(values).to_numpy(dtype=float))
        out[present] = np.array([text(v, lang) for v in distinct.tolist()], dtype=object)[codes]
    else:  # few distinct values (words, kinds, flags): each formatted once
        codes, distinct = pd.factorize(values)
        out[present] = np.array([fmt(v, lang) for v in distinct], dtype=object)[codes]
    return out


def _table(frame: pd.DataFrame, group: str, lang: str) -> tuple[list[str], list[np.ndarray]]:
    """Escaped field labels and, per field, each row's escaped value of a layer's popup table."""
    labels, columns = [], []
    for col, fmt in _FIELDS[group]:
        src = _EN_COLUMNS.get(col, col) if lang == "en" else col
        if src not in frame and col in frame:
            src = col
        if src not in frame:
            continue
        values = _formatted(frame[src], fmt, lang)
        if not (values != "").any():
            continue
        labels.append(_e(_FIELD_LABELS[col][0 if lang == "zh" else 1]))
        columns.append(values)
    return labels, columns


def _texts(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame:
        return np.full(len(frame), "", dtype=object)
    return _formatted(frame[col], _f_text, "zh")


def _areas(frame: pd.DataFrame, col: str, lang: str) -> np.ndarray:
    if col not in frame:
        return np.full(len(frame), "", dtype=object)
    return _formatted(frame[col], _f_area, lang)


def _words(word: str, n: int) -> np.ndarray:
    return np.full(n, word, dtype=object)


def _county_class(row: pd.Series) -> str:
    outcome = row.get("outcome")
    if _missing(outcome) or str(outcome) not in ("award", "penalty"):
        return "none"
    if outcome == "award":
        return "award_ms" if _true(row.get("milestone_missed")) else "award"
    return "penalty"


def _outcome_word(kind: str, lang: str) -> str:
    return {"award": _w("award", lang), "award_ms": _w("award", lang), "penalty": _w("penalty", lang)}.get(
        kind, "")


def _county_layer(src: MapSource, lang: str) -> DrawnLayer:
    c = src.counties
    ok = drawable(c)
    no_geom = int((~ok).sum())
    if no_geom:
        src.no_geometry["counties"] = no_geom
    c = c[ok]
    rules = src.rules
    m_met = f"×{rules.award.met_multiplier:.2f}" if rules else ""
    m_missed = f"×{rules.award.missed_multiplier:.2f}" if rules else ""
    # Class i is outcome i; class i + len(_OUTCOMES) the same, provisional (dashed, paler).
    styles = [path_style("county", _COUNTY_FILL[name], _COUNTY_EDGE, weight=1.6,
                          fill_opacity=0.32 if provisional else 0.55, dash="7 5" if provisional else None)
              for provisional in (False, True) for name in _OUTCOMES]
    final = c["outcome_final"].fillna(True).astype(bool).to_numpy() if "outcome_final" in c else (
        np.ones(len(c), dtype=bool))
    kinds = [_county_class(r) for _, r in c.iterrows()]
    classes = np.array([_OUTCOMES.index(k) + (0 if f else len(_OUTCOMES)) for k, f in
                        zip(kinds, final, strict=True)], dtype=int)
    ranked = int(c["rank"].notna().sum()) if "rank" in c else 0
    n_deciding = sum(t.deciding for t in src.tasks)
    tips, popups, labels = [], [], []
    points = _label_points(c.geometry.to_numpy())
    for (_, row), kind, pt in zip(c.iterrows(), kinds, points, strict=True):
        name = _f_text(row.get("county_name"), lang) or _f_text(row.get("county_code"), lang)
        outcome = _outcome_word(kind, lang)
        k = row.get("tasks_met")
        tip = [name, outcome]
        if not _missing(k) and n_deciding:
            tip.append(_w("tasks_met", lang, k=int(k), n=n_deciding))
        tips.append(" · ".join(t for t in tip if t))
        popups.append(_county_popup(row, kind, src, lang, m_met, m_missed, ranked))
        second = [outcome]
        if not _missing(row.get("rank")):
            second.append(_w("rank_short", lang, rank=int(row["rank"])))
        labels.append((pt.x, pt.y, f"{name}<small>{' · '.join(x for x in second if x)}</small>"))
    legend = [
        (_w("award_long", lang, m=m_met) if rules else _w("award", lang), styles[0]),
        (_w("award_ms_long", lang), styles[1]),
        (_w("penalty_long", lang, m=m_missed) if rules else _w("penalty", lang), styles[2]),
    ]
    if "none" in kinds:
        legend.append((_w("no_outcome", lang), styles[_OUTCOMES.index("none")]))
    if not final.all():
        legend.append((_w("provisional", lang), styles[len(_OUTCOMES)]))
    return DrawnLayer("counties", _w("counties", lang), c, classes, styles, [], [],
                  [np.array(tips, dtype=object)], tolerance_m=20.0, digits=5, show=True, z=405,
                  popups=np.array(popups, dtype=object), droppable=False, max_level=2, labels=labels,
                  legend=legend)


def _label_points(geoms: np.ndarray) -> list[shapely.Point]:
    """A point well inside each polygon (pole of inaccessibility of its largest part)."""
    from shapely.ops import polylabel

    out = []
    for g in geoms:
        parts = shapely.get_parts(g)
        big = parts[int(np.argmax(shapely.area(parts)))] if len(parts) else g
        try:
            out.append(polylabel(big, tolerance=max(math.sqrt(big.area) / 100.0, 1.0)))
        except (shapely.errors.ShapelyError, ValueError):  # a degenerate ring: any inside point will do
            out.append(shapely.point_on_surface(g))
    return out


def _met_word(met: object, rate: object, lang: str) -> tuple[str, str]:
    if _missing(rate) and _true(met):
        return _w("met_none", lang), "lu-none"
    if _missing(met):
        return _w("met_pending", lang), "lu-pending"
    return (_w("met_yes", lang), "lu-yes") if bool(met) else (_w("met_no", lang), "lu-no")


def _county_popup(row: pd.Series, kind: str, src: MapSource, lang: str, m_met: str, m_missed: str,
                  ranked: int) -> str:
    """The popup of one county: every task, the plan, the suspension and the rank (escaped)."""
    zh = lang == "zh"
    name = _f_text(row.get("county_name"), lang)
    if row.get("unit_kind") == "功能区":  # DESIGN "Assessed units": say which kind of unit
        name += "（功能区）" if zh else " (functional zone)"
    code = _f_text(row.get("county_code"), lang)
    head = {"award": _w("award_long", lang, m=m_met), "award_ms": _w("award_ms_long", lang),
            "penalty": _w("penalty_long", lang, m=m_missed), "none": _w("no_outcome", lang)}[kind]
    if not m_met and kind != "none":
        head = _outcome_word(kind, lang)
    if row.get("outcome") == "undetermined":
        head = _w("undetermined_long", lang)
    provisional = _false(row.get("outcome_final")) and row.get("outcome") != "undetermined"
    if provisional:
        head += _w("provisional_title", lang)
    rows = []
    for t in src.tasks:
        rate = row.get(f"{t.id}_rate")
        met = row.get(f"{t.id}_met")
        word, cls = _met_word(met, rate, lang)
        target = row.get(f"{t.id}_target", t.target)
        gap = row.get(f"{t.id}_gap_ha")
        gap_text = _f_area(gap, lang) if not _missing(gap) and float(gap) > 0 else "—"
        label = _e(t.label if zh else t.label_en)
        note = f"<br><small>{_w('milestone_note', lang)}</small>" if t.milestone else ""
        rows.append(
            f"<tr><td><b>{_e(t.id)}</b> <span class=\"lu-task\">{label}</span>{note}</td>"
            f"<td class=\"lu-num\">{_f_rate(rate, lang) or '—'}</td>"
            f"<td class=\"lu-num\">{'≥ ' + _f_rate(target, lang) if not _missing(target) else ''}</td>"
            f"<td class=\"{cls}\">{word}</td><td class=\"lu-num\">{gap_text}</td></tr>")
    facts = []

    def fact(label_key: str, value: str) -> None:
        if value:
            facts.append(f"<tr><th>{_w(label_key, lang)}</th><td>{value}</td></tr>")

    fact("plan_base", _f_area(row.get("plan_base_ha"), lang))
    fact("plan_next", _f_area(row.get("plan_next_ha"), lang))
    suspended = row.get("suspended")
    if not _missing(suspended):
        if bool(suspended):
            exempt = src.rules.suspension.exempt_project_kinds if src.rules else ()
            text = (_w("suspended_yes", lang, exempt=_e(("、" if zh else ", ").join(exempt)))
                    if exempt else _w("yes", lang))
        else:
            text = _w("no", lang)
        if bool(suspended) and not _missing(row.get("may_resume")) and bool(row.get("may_resume")):
            text += _w("may_resume", lang)
        fact("suspended", text)
    fact("combined", _f_rate(row.get("combined_disposal_rate"), lang))
    rank = row.get("rank")
    if "rank" in row:
        if _missing(rank):
            fact("rank", _w("unranked", lang))
        else:
            text = _w("rank_of", lang, rank=int(rank), n=ranked)
            ranking = row.get("ranking")
            if not _missing(ranking) and str(ranking) in ("commend", "criticize"):
                text += " · " + _w(str(ranking), lang)
            fact("rank", text)
    fact("scale", _treatment(row.get("scale_treatment"), src, lang))
    fact("devzone", _treatment(row.get("devzone_treatment"), src, lang))
    heads = "".join(f"<th>{_w(k, lang)}</th>" for k in ("task", "rate", "target", "result", "gap"))
    return (f'<div class="lu-pop lu-county-pop"><h4>{name} <small>{code}</small></h4>'
            f'<p class="lu-head lu-{kind}">{head}</p>'
            f'<table class="lu-tasks"><thead><tr>{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<table class="lu-facts">{"".join(facts)}</table></div>')


def _treatment(value: object, src: MapSource, lang: str) -> str:
    if _missing(value) or not str(value):
        return ""
    if lang == "en" and src.rules is not None:
        tr = src.rules.treatment
        english = {tr.scale_favoured: tr.scale_favoured_en, tr.scale_cut: tr.scale_cut_en,
                   tr.devzone_supported: tr.devzone_supported_en,
                   tr.devzone_suspended: tr.devzone_suspended_en}
        return _e(english.get(str(value), value))
    return _e(value)


def _unsupplied_layer(frame: gpd.GeoDataFrame, src: MapSource, lang: str) -> DrawnLayer:
    years = frame["approval_year"] if "approval_year" in frame else frame["approval_date"].dt.year
    years = pd.array(years, dtype="Int64")
    present = sorted({int(y) for y in years.dropna()})
    colours = _ramp(len(present))
    styles = [path_style("unsupplied", col, "#2d0a5a", weight=0.8, fill_opacity=0.8) for col in colours]
    styles.append(path_style("unsupplied", "#999999", "#555555", weight=0.8, fill_opacity=0.8))
    lookup = pd.Series(np.arange(len(present)), index=pd.Index(present, dtype="Int64"))
    classes = lookup.reindex(years).fillna(len(present)).to_numpy(dtype=int)
    frame = frame.copy()
    in_cols = [t.id for t in src.tasks if f"in_{t.id}" in frame]
    tasks_in = np.full(len(frame), "", dtype=object)
    for t in in_cols:  # "T1, T2": the tasks whose window holds the approval
        flag = frame[f"in_{t}"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        tasks_in[flag] = np.where(tasks_in[flag] == "", t, tasks_in[flag] + ", " + t)
    frame["tasks_in"] = tasks_in if in_cols else ""
    labels, values = _table(frame, "unsupplied", lang)
    tips = [_texts(frame, "batch_id"), _areas(frame, "unsupplied_ha", lang)]
    legend = [(str(y), s) for y, s in zip(present, styles, strict=False)]
    return DrawnLayer("unsupplied", _w("unsupplied", lang), frame, classes, styles, labels, values, tips,
                  tolerance_m=2.0, digits=5, show=True, z=410, legend=legend)


def _supplies_layer(frame: gpd.GeoDataFrame, lang: str) -> DrawnLayer:
    status = frame["status"].astype("string").fillna("") if "status" in frame else pd.Series(
        "", index=frame.index)
    known = [s for s in _STATUS_COLOURS if (status == s).any()]
    styles = [path_style("supplies", _STATUS_COLOURS[s], "#2b2b2b", weight=0.7, fill_opacity=0.8)
              for s in known]
    styles.append(path_style("supplies", "#cccccc", "#2b2b2b", weight=0.7, fill_opacity=0.8))
    classes = pd.Series(np.arange(len(known)), index=known).reindex(status).fillna(len(known)).to_numpy(
        dtype=int)
    labels, values = _table(frame, "supplies", lang)
    tips = [_texts(frame, "parcel_id"), _formatted(status, _f_patrol, lang)]
    legend = [(s if lang == "zh" else _PATROL_EN.get(s, s), st) for s, st in zip(known, styles, strict=False)]
    return DrawnLayer("supplies", _w("supplies", lang), frame, classes, styles, labels, values, tips,
                  tolerance_m=2.0, digits=5, show=False, z=415, max_level=2, legend=legend)


def _idle_layer(key: str, frame: gpd.GeoDataFrame, lang: str, z: int, show: bool) -> DrawnLayer:
    colours = _IDLE_STYLE[key]
    styles = [path_style(key, colours["fillColor"], colours["color"], weight=1.2, fill_opacity=0.85)]
    classes = np.zeros(len(frame), dtype=int)
    frame = frame.copy()
    if "located" in frame:
        from_parcel = (_texts(frame, "located") == "from_parcel")
        frame["located"] = np.where(from_parcel, _w("idle_from_parcel", lang), None)
    group = "candidates" if key == "suspected" else "idle"
    labels, values = _table(frame, group, lang)
    first = "parcel_id" if key == "suspected" else "idle_id"
    tips = [_texts(frame, first), _words(_w(key, lang), len(frame)), _areas(frame, "area_ha", lang)]
    return DrawnLayer(key, _w(key, lang), frame, classes, styles, labels, values, tips,
                  tolerance_m=2.0, digits=5, show=show, z=z, legend=[(_w(key, lang), styles[0])],
                  group="idle_group")


def _candidate_layer(key: str, frame: gpd.GeoDataFrame, lang: str, z: int, show: bool) -> DrawnLayer:
    st = _CANDIDATE_STYLE[key]
    styles = [path_style(key, st["color"], st["color"], weight=2.2, fill_opacity=0.12, dash=st["dashArray"])]
    classes = np.zeros(len(frame), dtype=int)
    labels, values = _table(frame, "candidates", lang)
    batch, parcel = _texts(frame, "batch_id"), _texts(frame, "parcel_id")
    ids = np.where(batch != "", batch, parcel)
    tips = [_words(_w(key, lang), len(frame)), ids, _areas(frame, "area_ha", lang)]
    return DrawnLayer(key, _w(key, lang), frame, classes, styles, labels, values, tips,
                  tolerance_m=2.0, digits=5, show=show, z=z, legend=[(_w(key, lang), styles[0])],
                  group="candidates_group")


_ORDER = ["counties", "unsupplied", "idle_undisposed", "suspected", "idle_disposed", "supplies", "lapse",
          "withdraw", "reduce", "used_before_supply"]


def _layers(src: MapSource, lang: str) -> list[DrawnLayer]:
    out = [_county_layer(src, lang)]
    ov = src.overlays
    if len(ov.get("unsupplied", ())):
        out.append(_unsupplied_layer(ov["unsupplied"], src, lang))
    if len(ov.get("supplies", ())):
        out.append(_supplies_layer(ov["supplies"], lang))
    for key, z, show in (("idle_disposed", 420, False), ("idle_undisposed", 425, True),
                         ("suspected", 430, True)):
        if len(ov.get(key, ())):
            out.append(_idle_layer(key, ov[key], lang, z, show))
    for key, z, show in (("reduce", 435, False), ("withdraw", 440, True), ("lapse", 445, True),
                         ("used_before_supply", 447, True)):
        if len(ov.get(key, ())):
            out.append(_candidate_layer(key, ov[key], lang, z, show))
    # Panes fix the drawing order; this is the order of the layer control and the legend.
    return sorted(out, key=lambda x: _ORDER.index(x.key))


# --- encoding and the size budget ------------------------------------------------------------
def _to_display(geoms: np.ndarray, crs: Any, gcj02: bool) -> np.ndarray:
    """Reproject plane geometries to lon/lat for Leaflet (and shift them to GCJ-02 if asked)."""
    out = gpd.GeoSeries(geoms, crs=crs).to_crs(4326).to_numpy()
    return geometries_to_gcj02(out) if gcj02 else out


def _shapes(layer: DrawnLayer, gcj02: bool) -> enc.Shapes:
    """Every feature's outline at the layer's level, as the page carries it."""
    return enc.outlines(layer.frame.geometry.to_numpy(), layer.frame.crs, layer.tolerance, layer.digits,
                     gcj02)


def _texts_of(layer: DrawnLayer) -> enc.Texts:
    """The string table of the layer's kept features (most used first: short ids) and their ids."""
    return enc.string_table(layer.columns, layer.keep)


def _data_json(layer: DrawnLayer, ints: Callable[[np.ndarray], str]) -> str:
    """The layer's data JSON (its spec, kept features' classes, text ids and outlines).

    ``ints`` writes an array of integers: as JSON, or as a stand-in of its length.
    """
    assert layer.shapes is not None
    assert layer.texts is not None
    spec: dict[str, Any] = {"key": layer.key, "z": layer.z, "styles": layer.styles, "fields": layer.fields,
                            "boost": layer.key != "counties" and int(layer.keep.sum()) <= _BOOST_UNDER}
    if layer.marks:
        spec["labels"] = layer.marks
    return enc.layer_json(spec, layer.shapes, layer.texts, layer.classes, layer.keep, n_tips=len(layer.tips),
                          popups=layer.popups is not None, digits=layer.digits, ints=ints)


def _estimate(layer: DrawnLayer) -> int:
    """The bytes :func:`_payload` would write for the layer (at most; without writing them)."""
    assert layer.texts is not None

    def ints(values: np.ndarray) -> str:  # "[1,23,-4]": the numbers and commas, less one, and []
        return "x" * (int((enc.int_widths(values) + 1).sum()) + 1 if len(values) else 2)

    data = enc.script_safe(_data_json(layer, ints))
    strings = layer.texts.string_bytes
    texts = int(strings.sum()) + 1 if len(strings) else 2
    return len(data.encode("utf-8")) + texts


def _payload(layer: DrawnLayer) -> None:
    """Write the layer's JSON for the page: its spec, its kept features' texts and outlines."""
    assert layer.texts is not None
    # The texts apart: read only when a tooltip or popup first opens (and the rest stays ASCII,
    # which browsers hold in half the memory).
    layer.payload = (enc.script_safe(_data_json(layer, enc.json_ints)),
                     enc.script_safe(enc.to_json(layer.texts.strings.tolist())))
    layer.bytes = sum(len(p.encode("utf-8")) for p in layer.payload)


def _encode(layer: DrawnLayer, gcj02: bool, *, shapes: bool = True, texts: bool = True) -> None:
    """Encode the layer at its level with the features it keeps (outlines, texts, or both anew)."""
    if shapes:
        layer.shapes = _shapes(layer, gcj02)
        if layer.labels and layer.marks is None:
            crs = layer.frame.crs
            pts = _to_display(np.array([shapely.Point(x, y) for x, y, _ in layer.labels]), crs, gcj02)
            layer.marks = [[round(p.y, 6), round(p.x, 6), h] for p, (_, _, h) in
                           zip(pts, layer.labels, strict=True)]
    if texts:
        layer.texts = _texts_of(layer)
    layer.bytes = _estimate(layer)


def _layer_bytes(layer: DrawnLayer) -> int:
    return layer.bytes


def _drop(layer: DrawnLayer, excess: int) -> None:
    """Leave out the layer's smallest features, just enough to free ``excess`` bytes.

    What leaving out the first k of them frees: their outlines, ids and class, and the texts
    no feature kept still uses.
    """
    assert layer.shapes is not None
    assert layer.texts is not None
    kept = np.flatnonzero(layer.keep)
    order = np.argsort(shapely.area(layer.frame.geometry.to_numpy()[kept]), kind="stable")
    rank = np.empty(len(kept), dtype=np.int64)
    rank[order] = np.arange(len(kept))
    own = layer.shapes.bytes[kept] + layer.texts.bytes + enc.int_widths(layer.classes[kept]) + 1
    last = np.full(len(layer.texts.strings), -1, dtype=np.int64)
    for ids in layer.texts.ids:
        np.maximum.at(last, ids, rank)
    used = last >= 0
    texts = np.bincount(last[used], weights=layer.texts.string_bytes[used], minlength=len(kept))
    freed = np.cumsum(own[order]) + np.cumsum(texts[:len(kept)])
    n = int(np.searchsorted(freed, excess)) + 1
    layer.keep[kept[order[:n]]] = False


def _simplifying_pays(layer: DrawnLayer, gcj02: bool) -> bool:
    """Whether simplifying the layer a level harder would save a fair share of its bytes.

    Judged on a sample of its features. Parcels drawn as a few corners lose
    nothing to a harder tolerance but their shape: such a layer loses
    features instead.
    """
    assert layer.shapes is not None
    kept = np.flatnonzero(layer.keep)
    sample = np.unique(kept[np.linspace(0, len(kept) - 1, min(len(kept), _SAMPLE)).astype(int)])
    now = int(layer.shapes.bytes[sample].sum())
    harder = enc.outlines(layer.frame.geometry.to_numpy()[sample], layer.frame.crs, layer.tolerance * 4.0,
                       layer.digits, gcj02)
    saved = (now - int(harder.bytes.sum())) * len(kept) / len(sample)
    return saved >= _PAYS * layer.bytes


def _fit(layers: list[DrawnLayer], overhead: int, budget: int, gcj02: bool) -> int:
    """Thin the largest layer until the page fits ``budget`` bytes; return the page's size.

    The largest layer is simplified harder first (tolerance ×4 a step, up
    to its ``max_level``) while that saves a fair share of its bytes, then
    loses its smallest features, just enough; then the next largest. Small
    layers are left alone, so a county map keeps its idle parcels and
    candidates when the supplied parcels are what makes the file big.
    """
    for layer in layers:
        if layer.shapes is None:
            _encode(layer, gcj02)
    total = overhead + sum(x.bytes for x in layers)
    while total > budget:
        open_ = [x for x in layers if x.level < x.max_level or (x.droppable and x.keep.any())]
        if not open_:
            log.warning("map: %d bytes over a budget of %d even with every layer thinned", total, budget)
            break
        layer = max(open_, key=_layer_bytes)
        droppable = layer.droppable and layer.keep.any()
        if layer.level < layer.max_level and (not droppable or _simplifying_pays(layer, gcj02)):
            layer.level += 1
            _encode(layer, gcj02, texts=False)
        else:
            _drop(layer, total - budget)
            _encode(layer, gcj02, shapes=False)
        total = overhead + sum(x.bytes for x in layers)
    for layer in layers:
        _payload(layer)
    return overhead + sum(x.bytes for x in layers)


# --- assets ----------------------------------------------------------------------------------
@functools.cache
def _assets() -> tuple[str, str]:
    """The page's script and style: Leaflet's (xstatic-leaflet, images inlined) and ours.

    Ours: the ``leaflet-landuse`` plug-in that draws the encoded layers, then ``map.js``,
    the page around them (title, legend, view, shared canvas), and ``map.css``.
    """
    try:
        from xstatic.pkg import leaflet
    except ImportError as err:
        raise LanduseError("缺少 xstatic-leaflet：请安装（pip install xstatic-leaflet），离线地图需要它",
                           "xstatic-leaflet is missing: pip install xstatic-leaflet "
                           "(the offline map inlines Leaflet from it)") from err
    base = Path(leaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)  # comments: bug-tracker links, IE notes

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode((base / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    own = resources.files("landuse.output") / "_assets"
    js += "\n" + _compact(enc.plugin_script() + "\n" + (own / "map.js").read_text(encoding="utf-8"))
    css += "\n" + (own / "map.css").read_text(encoding="utf-8")
    return js, css


def _compact(script: str) -> str:
    """Our scripts without indentation or whole-line ``//`` comments (bytes against the budget).

    Line breaks stay where they are, so the script parses as written.
    """
    lines = (line.strip() for line in script.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


# --- folium elements (built on first use: folium is imported lazily) ------------------------
@functools.cache
def _elements() -> SimpleNamespace:
    from branca.element import Element, MacroElement
    from folium.map import Layer
    from folium.template import Template

    class Raw(Element):
        """Text put into the page as it is.

        Folium reads what a macro renders as a template again: data must never go that way
        (a name holding ``{{ ... }}`` would run as Jinja), nor Leaflet's script (slow).
        """

        def __init__(self, text: str) -> None:
            super().__init__()
            self._name = "LanduseRaw"
            self.text = text

        def render(self, **kwargs: Any) -> str:
            return self.text

    def data(element: Element, payload: str, suffix: str = "data") -> None:
        """Put ``payload`` (script-safe JSON) into the page's body, for the element's script."""
        name = f"{element.get_name()}_{suffix}"
        element.get_root().html.add_child(
            Raw(f'<script type="application/json" id="{name}">{payload}</script>'), name=name)

    class DataLayer(Layer):
        """An overlay the page's ``landuse.layer`` draws from its JSON, read when first shown."""

        _template = Template("""
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = landuse.layer({{ this._parent.get_name() }}, "{{ this.key }}",
                "{{ this.get_name() }}", {{ this.z }});
            {% if this.shown %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
            {% endmacro %}
        """)

        def __init__(self, name: str, key: str, z: int, payload: tuple[str, str], *, show: bool) -> None:
            # Shown here, not by folium, which adds the call again on every render.
            super().__init__(name=name, overlay=True, control=True, show=False)
            self.shown = show
            self._name = "LanduseLayer"
            self.key = key
            self.z = int(z)
            self.payload = payload

        def render(self, **kwargs: Any) -> None:
            data(self, self.payload[0], "data")
            data(self, self.payload[1], "text")
            super().render(**kwargs)

    class Chrome(MacroElement):
        """Title, legend, scale bar, full-screen button and the initial view."""

        _template = Template("""
            {% macro script(this, kwargs) %}
            landuse.chrome({{ this._parent.get_name() }}, "{{ this.get_name() }}_data");
            {% endmacro %}
        """)

        def __init__(self, options: str) -> None:
            super().__init__()
            self._name = "LanduseChrome"
            self.options = options

        def render(self, **kwargs: Any) -> None:
            data(self, self.options)
            super().render(**kwargs)

    return SimpleNamespace(DataLayer=DataLayer, Chrome=Chrome, Raw=Raw)


# --- base maps -------------------------------------------------------------------------------
_TIANDITU = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
             "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
             "&TILECOL={{x}}&tk={key}")


#: Placeholders of a WMTS (KVP or REST) template → Leaflet's.
_WMTS_KEYS = {"tilematrix": "{z}", "tilerow": "{y}", "tilecol": "{x}"}


def tile_template(url: str) -> str | None:
    """A bureau's own tile service as a Leaflet template, or None when ``url`` is not one.

    An XYZ template names ``{z}``, ``{x}`` and ``{y}``; a WMTS one ``{TileMatrix}``,
    ``{TileRow}`` and ``{TileCol}`` (any case), which become Leaflet's. Only
    ``http(s)://`` and ``file://`` addresses are taken (an intranet 天地图 node, a
    GeoServer, tiles on a shared drive).

    Examples
    --------
    >>> tile_template("http://10.1.2.3/tiles/{z}/{x}/{y}.png")
    'http://10.1.2.3/tiles/{z}/{x}/{y}.png'
    >>> tile_template("http://gis/wmts?LAYER=vec&TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}")
    'http://gis/wmts?LAYER=vec&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}'
    >>> tile_template("osm") is None
    True
    """
    text = url.strip()
    if not re.match(r"(?i)^(https?|file)://", text):
        return None
    text = re.sub(r"\{(tilematrix|tilerow|tilecol)\}", lambda m: _WMTS_KEYS[m.group(1).lower()], text,
                  flags=re.IGNORECASE)
    return text if all(k in text for k in ("{z}", "{x}", "{y}")) else None


def _tiles(basemap: str | None, key: str | None, lang: str) -> list[dict[str, Any]]:
    """Tile layers of a base map (none for the offline map)."""
    if basemap is None:
        return []
    own = tile_template(basemap)
    if own is not None:
        host = urllib.parse.urlsplit(own).netloc or "file"
        return [{"tiles": own, "overlay": False, "max_zoom": 20,
                 "name": f"本单位底图（{host}）" if lang == "zh" else f"Own tiles ({host})",
                 "attr": html.escape(host)}]
    if basemap == "osm":
        return [{"tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "subdomains": "abc",
                 "name": "OpenStreetMap" if lang == "en" else "OpenStreetMap 地图", "overlay": False,
                 "attr": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
                 "max_zoom": 19}]
    if basemap == "tianditu":
        key = (key or os.environ.get("TIANDITU_KEY") or "").strip()
        if not key:
            raise SchemaError(
                "天地图底图需要密钥（tk）：请用 tianditu_key 参数或 --tianditu-key 选项传入，"
                "或设置环境变量 TIANDITU_KEY（在 https://console.tianditu.gov.cn 申请“浏览器端”密钥）",
                "the 天地图 (Tianditu) base map needs a key (tk): pass tianditu_key / --tianditu-key "
                "or set TIANDITU_KEY (get a browser key at https://console.tianditu.gov.cn)")
        tk = urllib.parse.quote(key, safe="")
        attr = "天地图 © 国家地理信息公共服务平台" if lang == "zh" else "Tianditu © National Geomatics Center of China"
        notes = ("cva", "天地图注记") if lang == "zh" else ("eva", "Tianditu labels")
        return [
            {"tiles": _TIANDITU.format(layer="vec", key=tk), "subdomains": "01234567", "overlay": False,
             "name": "天地图矢量" if lang == "zh" else "Tianditu map", "attr": attr, "max_zoom": 18},
            {"tiles": _TIANDITU.format(layer=notes[0], key=tk), "subdomains": "01234567", "overlay": True,
             "name": notes[1], "attr": attr, "max_zoom": 18},
        ]
    return [{"tiles": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang="
                       + ("zh_cn" if lang == "zh" else "en") + "&size=1&scale=1&style=8&x={x}&y={y}&z={z}"),
             "subdomains": "1234", "overlay": False, "name": "高德地图" if lang == "zh" else "Gaode (AutoNavi)",
             "attr": "© 高德地图 AutoNavi（GCJ-02）", "max_zoom": 18}]


def _validate(lang: str, basemap: str | None, max_html_mb: float) -> None:
    check_lang(lang)
    if basemap is not None and basemap not in BASEMAPS and tile_template(basemap) is None:
        choices = " | ".join(BASEMAPS) + " | http://…/{z}/{x}/{y}.png"
        raise SchemaError(f"未知的底图 “{basemap}”（可选 {choices}，或不加底图）",
                          f"unknown base map '{basemap}' (use {choices}, or none)")
    if not (isinstance(max_html_mb, int | float) and max_html_mb > 0 and math.isfinite(max_html_mb)):
        raise SchemaError(f"地图大小上限应为正数（兆字节），收到 {max_html_mb!r}",
                          f"max_html_mb must be a positive number of megabytes, got {max_html_mb!r}")


# --- legend and title ------------------------------------------------------------------------
def _legend(layers: list[DrawnLayer], src: MapSource, lang: str) -> str:
    """The legend's HTML: one block per layer (or group of layers), then notes (escaped)."""
    parts = [f"<button type=\"button\">{_w('legend', lang)}</button><div>"]
    group = None
    for layer in layers:
        if not layer.group or layer.group != group:
            group = layer.group
            parts.append(f"<h5>{_e(_w(group, lang) if group else layer.name)}</h5>")
        if layer.key == "unsupplied":
            short = len(layer.legend) > 6  # many years: "09 10 11 ..." under the cells
            cells = "".join(f'<span title="{_e(label)}"><i style="background:{st["fillColor"]}"></i>'
                            f"{_e(label[-2:] if short else label)}</span>" for label, st in layer.legend)
            parts.append(f'<div class="lu-years">{cells}</div>')
        elif layer.key == "counties":
            parts.extend(f"<p>{_swatch(style)}{_e(label)}</p>" for label, style in layer.legend)
        else:
            parts.extend(f'<span class="lu-item">{_swatch(style)}{_e(label)}</span>'
                         for label, style in layer.legend)
    notes = []
    for layer in layers:
        if layer.thinned:
            what = []
            if layer.level:
                what.append(_w("thin_simplified", lang, tol=f"{layer.tolerance:g}"))
            if not layer.keep.all():
                what.append(_w("thin_dropped", lang, n=int((~layer.keep).sum()), total=len(layer.keep)))
            notes.append(_w("thinned", lang, layer=_e(layer.name), what=_w("and", lang).join(what)))
    names = {x.key: x.name for x in layers}
    for key, n in src.no_geometry.items():
        notes.append(_w("no_geometry", lang, layer=_e(names.get(key, _w(key, lang))), n=n))
    parts.extend(f'<p class="lu-note">{n}</p>' for n in notes)
    parts.append(f'<p class="lu-foot">{_w("note_areas", lang)}</p></div>')
    return "".join(parts)


def _title(src: MapSource, lang: str) -> tuple[str, str]:
    """The title as HTML and as plain text (both escaped)."""
    name = _e(src.title[0 if lang == "zh" else 1])
    c = src.counties
    line = []
    if src.as_of is not None:
        line.append(_w("as_of", lang, date=src.as_of.isoformat()))
    if "outcome" in c:
        award = int((c["outcome"] == "award").sum())
        line.append(_w("summary", lang, award=award, penalty=int((c["outcome"] == "penalty").sum())))
    sub = " · ".join(line)
    unknown = int((c["outcome"] == "undetermined").sum()) if "outcome" in c else 0
    if unknown:
        sub += _w("incomplete_title", lang, n=unknown)
    elif "outcome_final" in c and not c["outcome_final"].fillna(True).astype(bool).all():
        sub += _w("provisional_title", lang)
    plain = f"{name} · {sub}" if sub else name
    return f"<b>{name}</b><span>{sub}</span>", plain


# --- the map ---------------------------------------------------------------------------------
def map_outcomes(
    assessment: Assessment | gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    basemap: str | None = None,
    tianditu_key: str | None = None,
    max_html_mb: float = 10.0,
    overlays: Sequence[tuple[str, gpd.GeoDataFrame]] = (),
) -> folium.Map:
    """Map each county's outcome, with the assessment's parcels as switchable layers.

    Counties are coloured by outcome (award; award with a milestone missed,
    lighter; penalty), labelled with their names, and open a popup with
    every task's rate, target, result and gap (公顷 and 亩), next year's
    plan, the suspension and the rank. Overlays: the unsupplied part of
    each batch by approval year, supplied parcels by patrol status, idle
    parcels (undisposed, disposed, suspected) and the lapse, withdrawal and
    reduction candidates.

    Parameters
    ----------
    assessment : Assessment or geopandas.GeoDataFrame
        From :func:`landuse.campaigns.zengcun.assessment.assess`; or its ``counties`` frame
        alone (a map of the counties with no overlays).
    lang : {"zh", "en"}, default "zh"
        Language of the title, legend, layer names and popups.
    basemap : {None, "osm", "tianditu", "gaode"}, default None
        None keeps the page offline: no tiles, nothing fetched. ``"gaode"``
        tiles are GCJ-02: the overlays are then shifted WGS84 → GCJ-02 for
        display only.
    overlays : sequence of (name, GeoDataFrame), optional
        The bureau's own vector layers (roads, towns, rivers) drawn in grey under
        the parcels, offline, as reference: a zoomed-in view no longer shows
        parcels floating on flat colour without a tile service.
    tianditu_key : str, optional
        The 天地图 ``tk`` key; default the ``TIANDITU_KEY`` environment
        variable. It is written into the page (browsers send it with each
        tile request), so use a browser-side key.
    max_html_mb : float, default 10.0
        Size budget of the page in MB (10⁶ bytes). Over it, the largest
        layers are simplified harder and then lose their smallest features;
        the legend says which.

    Returns
    -------
    folium.Map
        Offline unless ``basemap`` is given. Its ``landuse_stats``
        attribute is a :class:`MapStats` with the page's size.

    Raises
    ------
    SchemaError
        On an unknown ``lang`` or ``basemap``, a non-positive budget, or
        ``basemap="tianditu"`` without a key.
    CRSError
        When the counties have no CRS.

    Examples
    --------
    >>> from landuse import load_workspace
    >>> from landuse.campaigns.zengcun.assessment import assess
    >>> a = assess(load_workspace(), "zhumadian-2018", "2018-12-31", raster=False)
    >>> m = map_outcomes(a)
    >>> m.landuse_stats.features["counties"]
    11
    >>> m.landuse_stats.thinned  # the sample fits the 10 MB budget as it is
    ()
    >>> "<script src=" in map_html(m)  # Leaflet is inlined: the page fetches nothing
    False
    """
    _validate(lang, basemap, max_html_mb)
    src = _source(assessment)
    return draw_layers(_layers(src, lang), src, _title(src, lang), lang=lang, basemap=basemap,
                       tianditu_key=tianditu_key, max_html_mb=max_html_mb, overlays=overlays)


def draw_layers(layers: list[DrawnLayer], src: MapSource, title: tuple[str, str], *, lang: str = "zh",
                basemap: str | None = None, tianditu_key: str | None = None, max_html_mb: float = 10.0,
                overlays: Sequence[tuple[str, gpd.GeoDataFrame]] = ()) -> folium.Map:
    """The page of ``layers`` over ``src``'s extent, thinned to ``max_html_mb``.

    What every landuse map shares, whichever layers it draws (:func:`map_outcomes`,
    :func:`landuse.output.campaign_report.campaign_map`): the offline page with its own
    script and style, the base map asked for, the legend, the layer switcher, and the
    byte budget met by thinning the largest layers first.

    Parameters
    ----------
    layers : list of DrawnLayer
        Drawn bottom to top by their ``z``; empty ones are left out.
    src : MapSource
        The extent (its ``counties``), the as-of date, the rows drawn nowhere.
    title : (str, str)
        The title as HTML (escaped already) and as the page's plain title.
    lang, basemap, tianditu_key, max_html_mb, overlays
        As for :func:`map_outcomes`.

    Returns
    -------
    folium.Map
        With a ``landuse_stats`` attribute (:class:`MapStats`).
    """
    _validate(lang, basemap, max_html_mb)
    tiles = _tiles(basemap, tianditu_key, lang)
    gcj02 = basemap == "gaode"
    budget = int(max_html_mb * _BYTES_PER_MB)
    js, css = _assets()
    title_html, title_text = title
    page = len(js.encode()) + len(css.encode()) + len((title_html + title_text).encode()) + _PAGE_BYTES
    layers = [x for x in layers if len(x.frame)]
    # Thinning adds a note per thinned layer to the legend: allow for them up front.
    notes = _NOTE_BYTES * len(layers)
    overhead = page + len(_legend(layers, src, lang).encode()) + notes
    total = _fit(layers, overhead, budget, gcj02)
    while True:
        legend = _legend(layers, src, lang)
        m = _assemble(layers, src, tiles, lang, legend, title_html, title_text, gcj02, overlays)
        size = len(map_html(m).encode("utf-8"))
        if size <= budget or total >= size or total > budget:
            break
        # The page around the data came out larger than allowed for: thin a little more.
        overhead += size - total
        total = _fit(layers, overhead, budget, gcj02)
    stats = MapStats(bytes=size, budget_bytes=budget, layers={x.key: _layer_stats(x, src) for x in layers})
    m.landuse_stats = stats  # type: ignore[attr-defined]
    return m


def _layer_stats(layer: DrawnLayer, src: MapSource) -> LayerStats:
    return LayerStats(layer.key, layer.name, int(layer.keep.sum()), len(layer.keep),
                      src.no_geometry.get(layer.key, 0), layer.tolerance, layer.tolerance_m,
                      _layer_bytes(layer))


def _assemble(layers: list[DrawnLayer], src: MapSource, tiles: list[dict[str, Any]], lang: str, legend: str,
              title_html: str, title_text: str, gcj02: bool,
              overlays: Sequence[tuple[str, gpd.GeoDataFrame]] = ()) -> folium.Map:
    import folium

    el = _elements()
    crs = src.counties.crs
    drawn = src.counties[drawable(src.counties)]
    minx, miny, maxx, maxy = _to_display(
        np.array([shapely.box(*drawn.total_bounds)]), crs, gcj02)[0].bounds if len(drawn) else (
        73.0, 18.0, 135.0, 54.0)
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=9, tiles=None,
                   control_scale=False, attribution_control=bool(tiles), zoom_snap=0.25,
                   zoom_delta=0.5, wheel_px_per_zoom_level=90)
    # Folium's default scripts and styles come from CDNs; the page carries its own.
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    root.title = title_text
    js, css = _assets()
    root.header.add_child(el.Raw(f"<style>{css}</style>"), name="landuse_css")
    root.header.add_child(el.Raw(f"<script>{js}</script>"), name="landuse_js")
    for t in tiles:
        folium.TileLayer(**t).add_to(m)
    chrome = {"title": title_html, "legend": legend,
              "fullscreen": [_w("fullscreen", lang), _w("exit_fullscreen", lang)],
              "bounds": [[miny, minx], [maxy, maxx]],
              # a large layer: every layer on one canvas (see map.js)
              "canvas": any(int(x.keep.sum()) > _CANVAS_OVER for x in layers)}
    el.Chrome(enc.script_safe(enc.to_json(chrome))).add_to(m)
    for name, frame in overlays:
        _overlay(name, frame, gcj02).add_to(m)
    for layer in layers:
        name = f"{layer.name} ({int(layer.keep.sum())})"
        el.DataLayer(name, layer.key, layer.z, layer.payload, show=layer.show).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return m


#: Simplification of reference overlays on the map, in degrees (about 1 m).
_OVERLAY_TOLERANCE_DEG = 1e-5


def _overlay(name: str, frame: gpd.GeoDataFrame, gcj02: bool) -> Any:
    """A reference layer in grey, geometry only (no attribute text reaches the page)."""
    import folium

    if frame.crs is None:
        raise CRSError(f"参考图层 “{name}” 没有坐标系：请为其补上 .prj 文件",
                       f"overlay '{name}' has no CRS: give it a .prj file")
    geoms = frame.geometry.to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    shown = shapely.simplify(_to_display(geoms, frame.crs, gcj02), _OVERLAY_TOLERANCE_DEG)
    data = gpd.GeoSeries(shown, crs=4326).__geo_interface__
    return folium.GeoJson(
        data, name=html.escape(name), control=True, show=True, interactive=False, smooth_factor=1.0,
        style_function=lambda _f: {"color": "#7a7a7a", "weight": 1.2, "opacity": 0.8,
                                   "fillColor": "#bdbdbd", "fillOpacity": 0.15},
    )


def map_html(m: folium.Map) -> str:
    """Return the complete HTML page of a map (what :func:`save_map` writes)."""
    return m.get_root().render()


_EXTERNAL = re.compile(r"""(?:<script[^>]+src|<link[^>]+href)\s*=\s*["']?https?://""", re.IGNORECASE)


def save_map(m: folium.Map, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a map as one HTML page, atomically, and log its size.

    Parameters
    ----------
    m : folium.Map
        From :func:`map_outcomes` (or any folium map).
    path : str or path-like
        The ``.html`` file to write.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        ``path``. A map from :func:`map_outcomes` has its
        ``landuse_stats`` updated with the measured size and the path.

    Raises
    ------
    OutputExistsError
        When ``path`` exists and ``overwrite`` is False.
    """
    page = map_html(m)
    if _EXTERNAL.search(page) and getattr(m, "landuse_stats", None) is not None:
        log.warning("map %s links a script or style on the network: it will not open offline", path)
    target = write_text(page, path, overwrite=overwrite)
    size = len(page.encode("utf-8"))
    stats = getattr(m, "landuse_stats", None)
    if isinstance(stats, MapStats):
        m.landuse_stats = replace(stats, bytes=size, path=target)  # type: ignore[attr-defined]
        if size > stats.budget_bytes:
            log.warning("map %s is %.1f MB, over its budget of %.1f MB", target, size / _BYTES_PER_MB,
                        stats.budget_bytes / _BYTES_PER_MB)
    log.info("map written to %s (%.2f MB)", target, size / _BYTES_PER_MB)
    return target


def render_map(assessment: Assessment | gpd.GeoDataFrame, path: str | os.PathLike, *,
               overwrite: bool = False, **options: Any) -> MapStats:
    """Make the outcome map of ``assessment`` and write it to ``path``.

    Parameters
    ----------
    assessment : Assessment or geopandas.GeoDataFrame
        As for :func:`map_outcomes`.
    path : str or path-like
        The ``.html`` file to write.
    overwrite : bool, default False
        Replace an existing file.
    **options
        ``lang``, ``basemap``, ``tianditu_key``, ``max_html_mb`` of
        :func:`map_outcomes`.

    Returns
    -------
    MapStats
        The measured size, features per layer and thinned layers.
    """
    m = map_outcomes(assessment, **options)
    save_map(m, path, overwrite=overwrite)
    return m.landuse_stats  # type: ignore[no-any-return]


def map_frame(map_html: str, title: str, frame_id: str = "lu-map") -> str:
    """A map page set in a report page: an iframe the page fills in once it is laid out.

    A Leaflet map that starts in a frame of no size yet cannot fit its bounds, so the
    page's own script moves ``data-srcdoc`` into ``srcdoc`` after layout. ``title``
    is plain text (escaped here); the map page is sandboxed (scripts and popups only).
    """
    return (f'<div class="mapbox"><iframe id="{frame_id}" title="{_e(title)}" '
            'sandbox="allow-scripts allow-popups" '
            f'data-srcdoc="{html.escape(map_html, quote=True)}"></iframe></div>'
            "<script>(function () {"
            f"var f = document.getElementById('{frame_id}');"
            "function go() { void f.getBoundingClientRect().height; f.srcdoc = f.dataset.srcdoc; }"
            "if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', go); }"
            " else { go(); }"
            "})();</script>")
