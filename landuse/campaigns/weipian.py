"""土地卫片执法 and 增违挂钩: the illegal-land red line per assessed unit.

The rule set (``campaign = "weipian"``, e.g. ``zhumadian-2019-weipian``)
names the round, the red line, the rectification deadline and the plan
deduction; :func:`run` measures the round's change polygons as of a date
(:func:`landuse.analysis.changes.change_measures`) and returns the county columns
``F_ha, I_ha, violation_ratio, red_line_exceeded, rectification_rate,
unrectified_ha, plan_deduction_ha`` — ``red_line_exceeded`` decided by the
generic judge (:func:`criteria`, :func:`judge`: ``I < red line × F``), the
plan cut applied through :func:`landuse.verdict.deduct` — the ledger of illegal changes in the
layout of a 卫片执法台账, map layers of the changes by legality and by
rectification with the units coloured by the red line, and a report section
ranking the violation ratios with the city total against the red line.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import geopandas as gpd
import pandas as pd
from pydantic import AfterValidator, Field, model_validator

from landuse import verdict
from landuse.analysis.changes import _AREA_EPS, change_measures
from landuse.campaigns._base import Campaign, CampaignResult, Ledger, MapLayer, affected_units
from landuse.model.units import MU_PER_HA
from landuse.rules._schema import (
    Count,
    Identifier,
    Integers,
    NonEmptyStrings,
    Section,
    Share,
    Text,
    between,
    fail,
    validate,
)

__all__ = ["CAMPAIGN", "COLUMNS", "WeipianRules", "compose_plans", "criteria", "exceeded", "judge", "parse_rules",
           "run"]


@dataclass(frozen=True)
class WeipianRules:
    """A 卫片执法 / 增违挂钩 rule set, checked. Build one with :func:`parse_rules`.

    Attributes
    ----------
    id, name, name_en, source, source_en, notes : str
    round : int
        The monitoring year (监测年度) judged.
    deadline : datetime.date
        The rectification deadline; the default as-of date.
    deadline_local_choice : bool
        True when the deadline is not in the source document.
    red_line : float
        The violation ratio at or above which the red line is crossed (0.15).
    red_line_quote, red_line_basis, red_line_basis_en : str
    rectification_quote : str
    deduct_per_ha : float
        Hectares of next year's plan cut per hectare of illegal area not
        rectified at the date.
    deduct_local_choice : bool
        True when the source names the linkage without this figure.
    plan_year_offset : int
        The plan cut is that of year(round) + this.
    deduction_quote : str
    farmland_codes : tuple of str
        Land-survey classes (DLBM) that are farmland.
    cultivated_classes : tuple of int
        Land-cover raster classes that are cultivated.
    """

    id: str
    name: str
    name_en: str
    source: str
    source_en: str
    notes: str
    round: int
    deadline: dt.date
    deadline_local_choice: bool
    red_line: float
    red_line_quote: str
    red_line_basis: str
    red_line_basis_en: str
    rectification_quote: str
    deduct_per_ha: float
    deduct_local_choice: bool
    plan_year_offset: int
    deduction_quote: str
    farmland_codes: tuple[str, ...]
    cultivated_classes: tuple[int, ...]
    path: str | None = field(default=None, compare=False)

    @property
    def campaign(self) -> str:
        """The campaign this rule set belongs to: ``"weipian"``."""
        return "weipian"

    @property
    def plan_year(self) -> int:
        """The plan year the 增违挂钩 deduction cuts."""
        return self.round + self.plan_year_offset


class _RedLine(Section):
    ratio: Share
    quote: Text
    basis: str = ""
    basis_en: str = ""

    @model_validator(mode="after")
    def _positive(self) -> _RedLine:
        if self.ratio == 0:
            raise fail("红线应大于 0", "must be greater than 0", key=("ratio",), value=self.ratio)
        return self


class _Rectification(Section):
    quote: Text


class _Deduction(Section):
    per_ha: Annotated[float, between(0.0, 10.0)]
    local_choice: bool
    quote: Text
    plan_year_offset: Count = 1


class _Farmland(Section):
    survey_codes: NonEmptyStrings
    cultivated_classes: Integers


def _monitoring_year(value: int) -> int:
    if value > 2100:
        raise fail("应为监测年度，如 2019", "must be the monitoring year, e.g. 2019")
    return value


class _WeipianFile(Section):
    """The schema of a 卫片执法 rule-set file (field types: :mod:`landuse.rules._schema`)."""

    campaign: Literal["weipian"]
    id: Identifier
    name: Text
    name_en: Text
    source: Text
    source_en: Text
    round: Annotated[int, Field(ge=1949), AfterValidator(_monitoring_year)]
    deadline: dt.date
    red_line: _RedLine
    rectification: _Rectification
    deduction: _Deduction
    farmland: _Farmland
    notes: str = ""
    deadline_local_choice: bool = False

    @model_validator(mode="after")
    def _after_round(self) -> _WeipianFile:
        if self.deadline.year < self.round:
            raise fail(f"整改期限早于监测年度 {self.round}", f"is before the round {self.round}",
                       key=("deadline",), value=self.deadline)
        return self


def parse_rules(doc: dict[str, Any], src: str) -> WeipianRules:
    """Check a rule-set TOML document into :class:`WeipianRules`.

    Raises
    ------
    RuleSetError
        Naming the file, the dotted key (``red_line.ratio``…), the reason and
        the value received, in Chinese and English.

    Examples
    --------
    >>> from landuse.rules.model import load_ruleset
    >>> rules = load_ruleset("zhumadian-2019-weipian")
    >>> rules.round, rules.red_line, rules.deduct_per_ha, rules.campaign
    (2019, 0.15, 1.0, 'weipian')
    """
    f = validate(_WeipianFile, doc, src)
    return WeipianRules(
        id=f.id,
        name=f.name,
        name_en=f.name_en,
        source=f.source,
        source_en=f.source_en,
        notes=f.notes,
        round=f.round,
        deadline=f.deadline,
        deadline_local_choice=f.deadline_local_choice,
        red_line=f.red_line.ratio,
        red_line_quote=f.red_line.quote,
        red_line_basis=f.red_line.basis,
        red_line_basis_en=f.red_line.basis_en,
        rectification_quote=f.rectification.quote,
        deduct_per_ha=f.deduction.per_ha,
        deduct_local_choice=f.deduction.local_choice,
        plan_year_offset=f.deduction.plan_year_offset,
        deduction_quote=f.deduction.quote,
        farmland_codes=f.farmland.survey_codes,
        cultivated_classes=f.farmland.cultivated_classes,
        path=src,
    )


#: counties.csv columns of the campaign → (中文, English) titles, in order.
COLUMNS: dict[str, tuple[str, str]] = {
    "F_ha": ("占用耕地F（公顷）", "farmland taken F (ha)"),
    "I_ha": ("违法占耕I（公顷）", "taken illegally I (ha)"),
    "violation_ratio": ("违法比例", "violation ratio"),
    "red_line_exceeded": ("超过红线", "red line crossed"),
    "rectification_rate": ("整改率", "rectification rate"),
    "unrectified_ha": ("未整改（公顷）", "unrectified (ha)"),
    "plan_deduction_ha": ("核减计划（公顷）", "plan cut (ha)"),
    "data_complete": ("数据完整", "data complete"),
    "changes": ("图斑数", "changes"),
    "illegal_changes": ("违法图斑数", "illegal changes"),
    "illegal_ha": ("违法面积（公顷）", "illegal area (ha)"),
    "rectified_ha": ("已整改面积（公顷）", "rectified area (ha)"),
    "violation_rank": ("排名", "rank"),
}

#: Columns written to counties.csv but not shown in the terminal table.
_DETAIL = ("data_complete", "changes", "illegal_changes", "illegal_ha", "rectified_ha")

_LEGALITY_STYLES = {
    "违法": ("违法", "illegal", "#d7191c"),
    "合法": ("合法", "legal", "#1a9641"),
    "其他": ("其他（非新增建设等）", "other", "#969696"),
}
_RECTIFICATION_STYLES = {
    "rectified": ("已整改", "rectified", "#2b83ba"),
    "unrectified": ("未整改", "not rectified", "#d7191c"),
}
_RED_LINE_STYLES = {
    "exceeded": ("超过红线", "red line crossed", "#d7191c"),
    "below": ("低于红线", "below the red line", "#1a9641"),
    "no_task": ("无任务", "no task", "#bdbdbd"),
}


def run(workspace: Any, rules: WeipianRules, as_of: dt.date | None = None) -> CampaignResult:
    """Measure and judge the round for every assessed unit as of ``as_of``.

    Parameters
    ----------
    workspace : Workspace
        With the ``counties`` and ``changes`` layers.
    rules : WeipianRules
    as_of : datetime.date, optional
        Default: the rule set's rectification deadline.

    Returns
    -------
    CampaignResult
    """
    when = as_of or rules.deadline
    m = change_measures(workspace, round=rules.round, as_of=when, red_line=rules.red_line,
                        deduct_per_ha=rules.deduct_per_ha, farmland_codes=rules.farmland_codes,
                        cultivated_classes=rules.cultivated_classes)
    units = m.units.copy()
    red_line = judge(units, rules, when)
    units["red_line_exceeded"] = exceeded(red_line)
    ranks = verdict.rank_counties(units["violation_ratio"].astype("float64"))
    units["violation_rank"] = ranks["rank"]
    ranking = ranks["rank"].dropna().sort_values(kind="stable").index
    city = exceeded(judge(pd.DataFrame({"F_ha": [m.totals["F_ha"] or 0.0], "I_ha": [m.totals["I_ha"] or 0.0]},
                                       index=pd.Index(["city"], name="county_code")), rules, when))
    totals = {**m.totals, "red_line_exceeded": None if pd.isna(city.iloc[0]) else bool(city.iloc[0])}
    # The gate: an error that keeps change polygons (or counties) out of the measures leaves the
    # verdict of the unit the row belongs to undetermined; every unit's, when it cannot be placed.
    excluded = [p for p in [*workspace.problems, *m.problems]
                if p.severity == "error" and p.layer in ("changes", "counties")]
    units["data_complete"] = ~affected_units(excluded, workspace.counties, units.index)
    complete = bool(units["data_complete"].all())
    zones = bool((units["unit_kind"] == "功能区").any())
    head = ["county_name", "unit_kind"] if zones else ["county_name"]
    counties = units[[*head, *COLUMNS]]
    columns = {"county_name": ("县区", "unit"), **({"unit_kind": ("单位类型", "kind")} if zones else {}), **COLUMNS}
    names = units["county_name"]
    changes = m.changes
    summary = {
        "round": rules.round, "red_line": rules.red_line, "deduct_per_ha": rules.deduct_per_ha,
        "plan_year": rules.plan_year, "as_of": when, **{f"city_{k}": v for k, v in totals.items()},
        "exceeded": [str(c) for c in units.index[units["red_line_exceeded"].fillna(False).to_numpy(dtype=bool)]],
        "ranking": [str(c) for c in ranking],
        "zones": zones,
        "data_complete": complete,
        # The columns a terminal table shows (the others are in counties.csv).
        "shown": [*head, *(c for c in COLUMNS if c not in _DETAIL)],
    }
    return CampaignResult(
        campaign="weipian", as_of=when, counties=counties, columns=columns,
        ledgers=[_ledger(changes, names, when)],
        layers=_layers(changes, workspace, units, names),
        problems=m.problems, summary=summary, tasks=[red_line],
    )


def criteria(rules: WeipianRules) -> tuple[verdict.Criterion, ...]:
    """The campaign's task for the judge: farmland taken illegally below the red line.

    ``I < red_line × F`` (a unit at the line has crossed it: "达到15%以上"), with
    the slack of summed areas; a unit whose new construction took no farmland
    (F = 0) has no task. The rectification rate and the deduction are measures,
    not tasks: the rule set gives no threshold for them.
    """
    return (verdict.Criterion(
        "red_line", None, "<", deadline=None, eps=_AREA_EPS,
        label=f"违法占用耕地低于新增建设占用耕地的 {rules.red_line:.0%}（红线）",
        label_en=f"farmland taken illegally below {rules.red_line:.0%} of that taken by new construction "
                 "(the red line)", unit="ha"),)


def judge(units: pd.DataFrame, rules: WeipianRules, as_of: dt.date) -> verdict.TaskResult:
    """The red-line task judged by the generic judge from ``F_ha`` and ``I_ha`` per unit."""
    f = units["F_ha"].astype("float64")
    measure = pd.DataFrame({"rate": units["I_ha"].astype("float64"), "threshold": rules.red_line * f,
                            "no_task": ~(f > 0)}, index=units.index)
    return verdict.judge_task(criteria(rules)[0], measure, units.index, as_of)


def exceeded(result: verdict.TaskResult) -> pd.Series:
    """``red_line_exceeded``: the red-line task not met; empty where there is no task."""
    f = result.frame
    return (~f["met"].astype("boolean")).where(~f["no_task"].to_numpy(), pd.NA)


def _ledger(changes: pd.DataFrame, names: pd.Series, when: dt.date) -> Ledger:
    illegal = changes[changes["illegal"]].sort_values(["county_code", "change_id"])
    frame = pd.DataFrame({
        "change_id": illegal["change_id"].astype("string").to_numpy(),
        "county_name": illegal["county_code"].map(names).astype("string").to_numpy(),
        "area_ha": illegal["area_ha"].round(4).to_numpy(),
        "area_mu": (illegal["area_ha"] * MU_PER_HA).round(2).to_numpy(),
        "farmland_ha": illegal["farmland_ha"].round(4).to_numpy(),
        "farmland_mu": (illegal["farmland_ha"] * MU_PER_HA).round(2).to_numpy(),
        "violation_type": illegal["violation_type"].astype("string").to_numpy(),
        "rectified": illegal["rectified"].astype("string").fillna("未整改").to_numpy(),
        "rectified_date": illegal["rectified_date"].dt.strftime("%Y-%m-%d").astype("string").to_numpy(),
        "status_at_T": pd.Series(illegal["rectified_by_T"].to_numpy()).map(
            {True: "已整改", False: "未整改"}).astype("string").to_numpy(),
    })
    return Ledger(
        name="weipian_illegal",
        title=f"卫片执法违法图斑整改台账（截至 {when}）",
        title_en=f"Illegal change polygons and their rectification (as of {when})",
        frame=frame,
        columns={
            "change_id": ("编号", "change id"),
            "county_name": ("县区", "unit"),
            "area_ha": ("面积（公顷）", "area (ha)"),
            "area_mu": ("面积（亩）", "area (亩)"),
            "farmland_ha": ("占用耕地（公顷）", "farmland taken (ha)"),
            "farmland_mu": ("占用耕地（亩）", "farmland taken (亩)"),
            "violation_type": ("违法类型", "kind of violation"),
            "rectified": ("整改情况", "rectification"),
            "rectified_date": ("整改日期", "rectified on"),
            "status_at_T": ("考核日状态", "status at the date"),
        },
        total=("area_ha", "area_mu", "farmland_ha", "farmland_mu"),
    )


def _layers(changes: pd.DataFrame, workspace: Any, units: pd.DataFrame, names: pd.Series) -> list[MapLayer]:
    popup = {"change_id": ("编号", "change id"), "county_name": ("县区", "unit"),
             "area_ha": ("面积（公顷）", "area (ha)"), "farmland_ha": ("占用耕地（公顷）", "farmland (ha)"),
             "legality": ("合法性", "legality"), "rectified": ("整改情况", "rectification")}
    out: list[MapLayer] = []
    if isinstance(changes, gpd.GeoDataFrame) and changes.geometry.notna().any():
        shown = changes[changes.geometry.notna()].assign(
            county_name=lambda f: f["county_code"].map(names).astype("string"))
        cols = [*popup, "geometry"]
        out.append(MapLayer("weipian_legality", "卫片图斑（按合法性）", "change polygons by legality",
                            gpd.GeoDataFrame(shown[cols], geometry="geometry", crs=workspace.crs), "legality",
                            _LEGALITY_STYLES, popup))
        illegal = shown[shown["illegal"]].assign(
            rectification=lambda f: f["rectified_by_T"].map({True: "rectified", False: "unrectified"}))
        out.append(MapLayer("weipian_rectification", "违法图斑（按整改情况）", "illegal changes by rectification",
                            gpd.GeoDataFrame(illegal[[*cols[:-1], "rectification", "geometry"]], geometry="geometry",
                                             crs=workspace.crs),
                            "rectification", _RECTIFICATION_STYLES, popup))
    counties = workspace.counties.set_index("county_code")
    table = units.reindex(counties.index)
    verdict = table["red_line_exceeded"].map({True: "exceeded", False: "below"}).fillna("no_task")
    frame = gpd.GeoDataFrame({
        "county_code": counties.index.astype(str), "county_name": table["county_name"].to_numpy(),
        "violation_ratio": table["violation_ratio"].round(4).to_numpy(dtype="float64", na_value=float("nan")),
        "F_ha": table["F_ha"].round(4).to_numpy(), "I_ha": table["I_ha"].round(4).to_numpy(),
        "red_line": verdict.to_numpy(), "geometry": counties.geometry.to_numpy(),
    }, geometry="geometry", crs=workspace.crs)
    out.append(MapLayer("weipian_red_line", "县区违法比例红线", "units against the red line", frame, "red_line",
                        _RED_LINE_STYLES,
                        {"county_name": ("县区", "unit"), "violation_ratio": ("违法比例", "violation ratio"),
                         "F_ha": COLUMNS["F_ha"], "I_ha": COLUMNS["I_ha"]}))
    return out


def compose_plans(counties: pd.DataFrame, result: CampaignResult) -> pd.DataFrame:
    """Apply the 增违挂钩 deduction after the 增存挂钩 multiplier: one plan per county.

    Parameters
    ----------
    counties : pandas.DataFrame
        The 增存挂钩 county table (``county_code``, ``plan_next_ha`` = factor-method
        plan × the award or penalty multiplier).
    result : CampaignResult
        The 卫片执法 result for the same plan year.

    Returns
    -------
    pandas.DataFrame
        ``counties`` with the campaign's columns (``F_ha`` … ``plan_deduction_ha``)
        and ``plan_final_ha`` = max(``plan_next_ha`` − ``plan_deduction_ha``, 0);
        empty where there is no plan. A unit of the campaign missing from
        ``counties`` (a functional zone the 增存挂钩 table does not hold) keeps
        its deduction in the campaign's own table.

    Examples
    --------
    >>> import pandas as pd
    >>> zc = pd.DataFrame({"county_code": ["411702"], "plan_next_ha": [110.0]})
    >>> wp = CampaignResult("weipian", None, pd.DataFrame({"plan_deduction_ha": [7.5]},
    ...                     index=pd.Index(["411702"], name="county_code")), {})
    >>> compose_plans(zc, wp)["plan_final_ha"].tolist()
    [102.5]
    """
    ours = [c for c in COLUMNS if c in result.counties.columns]
    merged = counties.merge(result.counties[ours], how="left", left_on="county_code", right_index=True)
    merged["plan_final_ha"] = verdict.deduct(merged["plan_next_ha"], merged["plan_deduction_ha"])
    return merged


def _pct(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.1%}"  # type: ignore[arg-type]


def report_section(result: CampaignResult, lang: str = "zh") -> str:
    """Return the report's HTML section: the city total against the red line and the ranking.

    Every text from the data is escaped.
    """
    zh = lang != "en"
    s = result.summary
    red = s["red_line"]
    city = s.get("city_violation_ratio")
    crossed = city is not None and bool(s.get("city_red_line_exceeded"))
    e = html.escape
    head = e("土地卫片执法：违法占用耕地比例" if zh else "Satellite land enforcement: violation ratio")
    verdict = (("超过" if crossed else "低于") + f" {red:.0%} 红线") if zh else (
        ("above" if crossed else "below") + f" the {red:.0%} red line")
    lines = [f'<section class="campaign weipian"><h2>{head}</h2>']
    if not s.get("data_complete", True):
        lines.append('<p class="banner undetermined">' + e(
            "数据有错误，部分卫片图斑未参与计算：以下结论待定" if zh
            else "data errors kept change polygons out: the verdicts below are undetermined") + "</p>")
    lines.append("<p>" + e(
        f"{s['round']} 年度卫片，截至 {result.as_of}：全市新增建设占用耕地 {s['city_F_ha'] or 0:,.2f} 公顷"
        f"（{(s['city_F_ha'] or 0) * MU_PER_HA:,.2f} 亩），其中违法占用 {s['city_I_ha'] or 0:,.2f} 公顷"
        f"（{(s['city_I_ha'] or 0) * MU_PER_HA:,.2f} 亩），违法比例 {_pct(city)}，{verdict}；"
        f"违法图斑整改率 {_pct(s.get('city_rectification_rate'))}，未整改 {s['city_unrectified_ha'] or 0:,.2f} 公顷，"
        f"{s['plan_year']} 年计划核减 {s['city_plan_deduction_ha'] or 0:,.2f} 公顷。"
        if zh else
        f"Round {s['round']}, as of {result.as_of}: new construction took {s['city_F_ha'] or 0:,.2f} ha of "
        f"farmland city-wide, {s['city_I_ha'] or 0:,.2f} ha illegally: a violation ratio of {_pct(city)}, "
        f"{verdict}; {_pct(s.get('city_rectification_rate'))} of the illegal area rectified, "
        f"{s['city_unrectified_ha'] or 0:,.2f} ha not, cutting the {s['plan_year']} plan by "
        f"{s['city_plan_deduction_ha'] or 0:,.2f} ha.") + "</p>")
    titles = [("排名", "rank"), ("县区", "unit"), ("违法比例", "ratio"), ("红线", "red line"),
              ("违法占用耕地（公顷）", "illegal farmland (ha)"), ("整改率", "rectified"),
              ("核减（公顷）", "deduction (ha)")]
    lines.append("<table><thead><tr>" + "".join(f"<th>{e(z if zh else n)}</th>" for z, n in titles)
                 + "</tr></thead><tbody>")
    table = result.counties
    order = [c for c in s["ranking"]] + [c for c in table.index.astype(str) if c not in set(s["ranking"])]
    for code in order:
        row = table.loc[code]
        exceeded = row["red_line_exceeded"]
        mark = ("无任务" if zh else "no task") if pd.isna(exceeded) else (
            ("超过" if zh else "crossed") if bool(exceeded) else ("未超过" if zh else "below"))
        cls = ' class="over"' if not pd.isna(exceeded) and bool(exceeded) else ""
        rank = "" if pd.isna(row["violation_rank"]) else str(int(row["violation_rank"]))
        cells = [rank, str(row["county_name"]), _pct(row["violation_ratio"]), mark, f"{row['I_ha']:,.2f}",
                 _pct(row["rectification_rate"]), f"{row['plan_deduction_ha']:,.2f}"]
        lines.append(f"<tr{cls}>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    lines.append("</tbody></table></section>")
    return "\n".join(lines)


CAMPAIGN = Campaign(
    name="weipian",
    title="土地卫片执法与增违挂钩",
    title_en="Satellite land enforcement and the illegal-use linkage",
    required=("changes",),
    optional=("survey",),
    parse_rules=parse_rules,
    run=run,
    report_section=report_section,
    ledger_names=("weipian_illegal",),
    verdicts=("red_line_exceeded",),
    effects=("red_line_exceeded", "plan_deduction_ha"),
)
