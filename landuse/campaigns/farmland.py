"""The 耕地保护 (farmland protection) campaign of the 2020 speech.

Per county, as of a date: survey farmland against the retention target and
red line, permanent basic farmland against its task and its non-farmland
parts (非农化), 补充耕地 × 增减挂钩 projects that overlap, and batches whose
declared farmland falls short of the survey before approval (地类不实). The
measures are in :mod:`landuse.analysis.survey`; the figures in the rule set
``zhumadian-2020-farmland``; retention and the red line are decided by the
generic judge (:func:`criteria`, :func:`judge`).
"""

from __future__ import annotations

import datetime as dt
import html

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse import verdict
from landuse.analysis.changes import unit_kinds
from landuse.analysis.survey import (
    basic_farmland_check,
    false_class,
    prepare_survey,
    project_overlaps,
    retention,
)
from landuse.campaigns._base import Campaign, CampaignResult, Ledger, MapLayer
from landuse.model.schema import EARLIEST_DATE, LAYERS, Problem
from landuse.model.units import M2_PER_HA, MU_PER_HA
from landuse.rules.farmland import FarmlandRules, parse_farmland_rules

__all__ = ["CAMPAIGN", "COLUMNS", "criteria", "judge", "run"]

#: The campaign's columns of counties.csv, with their Chinese and English titles.
COLUMNS: dict[str, tuple[str, str]] = {
    "county_name": ("县区", "county"),
    "farmland_mu": ("耕地面积（亩）", "farmland (mu)"),
    "retention_target_mu": ("耕地保有量目标（亩）", "retention target (mu)"),
    "redline_mu": ("耕地保护红线（亩）", "red line (mu)"),
    "retention_gap_mu": ("距目标差（亩）", "short of target (mu)"),
    "retention_gap_ha": ("距目标差（公顷）", "short of target (ha)"),
    "retention_status": ("保有量完成情况", "retention"),
    "retention_met": ("完成保有量目标", "retention met"),
    "below_redline": ("低于保护红线", "below red line"),
    "basic_farmland_mu": ("永久基本农田（亩）", "basic farmland (mu)"),
    "basic_farmland_task_mu": ("永久基本农田保护任务（亩）", "basic farmland task (mu)"),
    "nonfarm_in_basic_ha": ("永久基本农田非农化（公顷）", "non-farmland in basic farmland (ha)"),
    "overlap_pairs": ("重叠项目对数", "overlapping pairs"),
    "overlap_ha": ("重叠面积（公顷）", "overlap (ha)"),
    "false_class_batches": ("地类不实批次数", "false-class batches"),
    "false_class_shortfall_ha": ("应落实占补平衡（公顷）", "farmland balance owed (ha)"),
    "false_class_fee_wan": ("应补缴新增费（万元）", "new-land fee owed (万元)"),
}

STATUS: dict[str, tuple[str, str, str]] = {
    "met": ("完成", "met", "#2e7d32"),
    "below_target": ("未完成", "below target", "#f9a825"),
    "below_redline": ("低于保护红线", "below red line", "#c62828"),
    "no_target": ("无任务", "no task", "#9e9e9e"),
    "undetermined": ("待定", "undetermined", "#bdbdbd"),
}


def _survey_year(survey: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The survey judged for retention: the latest year not after ``as_of`` (else the latest)."""
    years = survey["year"]
    if years.isna().all():
        return survey
    eligible = years[years <= as_of.year]
    year = eligible.max() if not eligible.empty else years.max()
    return survey[years == year]


def _targets_beyond_the_unit(table: pd.DataFrame, counties: pd.DataFrame) -> list[Problem]:
    """An error for a unit whose retention target exceeds its whole area.

    Targets headed without (亩) are read as 公顷: fifteen times too large, and eight units
    fell under their red line with exit 0. No unit can keep more farmland than its land.
    """
    if not isinstance(counties, gpd.GeoDataFrame) or "retention_target_mu" not in table:
        return []
    land_mu = pd.Series(counties.geometry.area.to_numpy() / M2_PER_HA * MU_PER_HA,
                        index=counties["county_code"].astype("string").to_numpy())
    target = table["retention_target_mu"].astype("float64")
    land = land_mu.reindex(table.index.astype("string")).to_numpy()
    over = (target.to_numpy() > land) & (land > 0)
    return [Problem(
        "farmland_targets", str(code), "retention_ha", "error",
        f"{code} 的耕地保有量目标 {target[code]:,.2f} 亩超过其全部土地面积 {land[k]:,.2f} 亩：疑为单位错误"
        "（表头缺“(亩)”时按公顷读取），该县区结论待定",
        f"{code}'s retention target {target[code]:,.2f} 亩 exceeds its whole area {land[k]:,.2f} 亩: a unit "
        "slip (a header without (亩) is read in 公顷); its verdict is undetermined",
        county_code=str(code),
    ) for k, code in enumerate(table.index) if over[k]]


def _odd_survey_years(survey: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, list[Problem]]:
    """Leave out the polygons of a survey year no survey can have (after the year after
    ``as_of``, before 1949), with an error per such year.

    A layer named DLTB_2091 for DLTB_2019 was passed over silently, and retention judged on
    an older survey.
    """
    if "year" not in survey:
        return survey, []
    odd = ((survey["year"] > as_of.year + 1) | (survey["year"] < EARLIEST_DATE.year)).fillna(False)
    counts = survey.loc[odd.to_numpy(dtype=bool), "year"].value_counts().sort_index()
    return survey[~odd.to_numpy(dtype=bool)], [Problem(
        "survey", None, "year", "error",
        f"地类图斑的调查年度 {int(y)} 不可能（应不晚于 {as_of.year + 1} 年）：疑为图层名或年度字段录入错误，"
        f"这 {int(n)} 个图斑未参与计算",
        f"survey year {int(y)} is impossible (no later than {as_of.year + 1}): a typing error in the layer "
        f"name or the year field; its {int(n)} polygons are left out",
    ) for y, n in counts.items()]


def run(workspace: object, rules: FarmlandRules, as_of: dt.date | None = None) -> CampaignResult:
    """Measure and judge the 耕地保护 campaign for every assessed unit as of ``as_of``.

    The units are the rows of the counties layer: counties and the functional
    zones carved from them (DESIGN "Assessed units"). What lies inside a zone —
    survey polygons, basic farmland, projects, batches — counts for the zone and
    its parent keeps the rest; a zone's targets are the ``farmland_targets``
    rows with its code, and a unit without one has no task (``no_target``).

    Parameters
    ----------
    workspace : landuse.model.workspace.Workspace
        Holding ``survey`` and, when present, ``basic_farmland``,
        ``supplement_projects``, ``linkage_projects``, ``farmland_targets`` in
        ``workspace.layers`` and batches with ``farmland_ha``.
    rules : FarmlandRules
    as_of : datetime.date, optional
        Default: the rule set's ``as_of``.

    Returns
    -------
    CampaignResult

    Examples
    --------
    >>> from landuse.rules.model import load_ruleset
    >>> from landuse.model.workspace import load_workspace
    >>> r = run(load_workspace(), load_ruleset("zhumadian-2020-farmland"))
    >>> sorted(r.counties.index[r.counties["retention_met"].fillna(False)])
    ['411724', '411726', '411728']
    """
    as_of = as_of or rules.as_of
    ws = workspace
    counties = ws.counties  # type: ignore[attr-defined]
    layers: dict[str, pd.DataFrame] = ws.layers  # type: ignore[attr-defined]
    index = pd.Index(counties["county_code"].astype("string"), name="county_code")
    problems: list[Problem] = []

    survey = layers.get("survey")
    current = None
    if survey is not None:
        survey, found = prepare_survey(survey, rules.classes, counties)
        problems += found
        survey, odd = _odd_survey_years(survey, as_of)
        problems += odd
        current = _survey_year(survey, as_of)
        farm = current[current["group"] == "farmland"]
        farmland_ha = farm.groupby("county_code")["area_ha"].sum().reindex(index, fill_value=0.0)
    else:
        farmland_ha = pd.Series(np.nan, index=index)
    if layers.get("farmland_targets") is None:
        problems.append(_absent("farmland_targets"))
    table = retention(farmland_ha, layers.get("farmland_targets"), as_of.year)
    problems += _targets_beyond_the_unit(table, counties)
    tasks = judge(table, rules, as_of)
    table.insert(0, "county_name", counties["county_name"].astype("string").to_numpy())

    basic = layers.get("basic_farmland")
    if basic is not None:
        polygons = basic_farmland_check(basic, current, rules.nonfarm_groups, counties)
        by = polygons.groupby("county_code")
        table["basic_farmland_mu"] = (by["area_ha"].sum().reindex(index, fill_value=0.0) * MU_PER_HA).round(8)
        table["nonfarm_in_basic_ha"] = by["nonfarm_ha"].sum(min_count=1).reindex(index).fillna(
            0.0 if polygons["nonfarm_ha"].notna().any() else np.nan).round(8)
    else:
        polygons = None
        problems.append(_absent("basic_farmland"))
        table["basic_farmland_mu"] = 0.0
        table["nonfarm_in_basic_ha"] = 0.0
    task = table.pop("basic_farmland_task_mu")
    table.insert(table.columns.get_loc("basic_farmland_mu") + 1, "basic_farmland_task_mu", task)

    sup, link = layers.get("supplement_projects"), layers.get("linkage_projects")
    for name, frame in (("supplement_projects", sup), ("linkage_projects", link)):
        if frame is None:
            problems.append(_absent(name))
    if sup is not None and link is not None:
        pairs = project_overlaps(sup, link, rules.overlap.tolerance_ha, counties)
        by = pairs.groupby("county_code")
        table["overlap_pairs"] = by.size().reindex(index, fill_value=0).astype("Int64")
        table["overlap_ha"] = by["overlap_ha"].sum().reindex(index, fill_value=0.0).round(8)
    else:
        pairs = None
        table["overlap_pairs"] = pd.array([0] * len(index), dtype="Int64")
        table["overlap_ha"] = 0.0

    checked, found = false_class(ws.batches, survey, tolerance_ha=rules.false_class.tolerance_ha,  # type: ignore[attr-defined]
                                 fee_rate_wan_per_ha=rules.false_class.fee_rate_wan_per_ha)
    problems += found
    bad = checked[checked["false_class"]]
    by = bad.groupby("county_code")
    table["false_class_batches"] = by.size().reindex(index, fill_value=0).astype("Int64")
    table["false_class_shortfall_ha"] = by["shortfall_ha"].sum().reindex(index, fill_value=0.0).round(8)
    table["false_class_fee_wan"] = by["fee_wan"].sum().reindex(index, fill_value=0.0).round(8)
    table = table[list(COLUMNS)]
    columns = COLUMNS
    kinds = unit_kinds(counties)
    if (kinds == "功能区").any():
        # DESIGN "Assessed units": every table says which kind of unit a row is.
        table.insert(1, "unit_kind", kinds.to_numpy())
        columns = {"county_name": COLUMNS["county_name"], "unit_kind": ("单位类型", "kind"),
                   **{k: v for k, v in COLUMNS.items() if k != "county_name"}}

    summary = _summary(table, rules, current)
    return CampaignResult(
        campaign="farmland", as_of=as_of, counties=table, columns=columns,
        ledgers=_ledgers(table, pairs, bad, polygons),
        layers=_layers(counties, table, pairs, bad, polygons),
        problems=problems, summary=summary, tasks=tasks,
    )


def criteria(rules: FarmlandRules) -> tuple[verdict.Criterion, ...]:
    """The campaign's tasks for the judge: retention at least the target, farmland not below the red line.

    Both compare 亩 rounded as the table shows them, without slack: a county
    exactly at its target has met it, one exactly at its red line is not below
    it. A county without a target (without a red line) has no such task.
    Neither waits for a deadline: the survey of the year judged is final.
    """
    return (
        verdict.Criterion("retention", None, ">=", eps=0.0, label="耕地保有量不低于目标",
                          label_en="farmland at least the retention target", unit="mu"),
        verdict.Criterion("redline", None, ">=", eps=0.0, label="耕地不低于保护红线",
                          label_en="farmland not below the red line", unit="mu"),
    )


def judge(table: pd.DataFrame, rules: FarmlandRules, as_of: dt.date) -> list[verdict.TaskResult]:
    """Judge retention and the red line with the generic judge and set the verdict columns of ``table``.

    ``table`` holds ``farmland_mu``, ``retention_target_mu`` and ``redline_mu`` by
    county code (:func:`landuse.analysis.survey.retention`); ``retention_met``,
    ``below_redline`` and ``retention_status`` are set from the judge's outcomes.
    """
    farm = table["farmland_mu"].astype("float64")
    target, red = table["retention_target_mu"].astype("float64"), table["redline_mu"].astype("float64")
    ret_crit, red_crit = criteria(rules)
    ret = verdict.judge_task(ret_crit, pd.DataFrame({"rate": farm, "threshold": target, "no_task": target.isna()}),
                             table.index, as_of)
    above = verdict.judge_task(red_crit, pd.DataFrame({"rate": farm, "threshold": red,
                                                       "no_task": red.isna() | farm.isna()}), table.index, as_of)
    has_target = target.notna().to_numpy()
    met = ret.frame["met"].astype("boolean")
    below = ~above.frame["met"].astype("boolean")
    table["retention_met"] = met.where(has_target, pd.NA)
    table["below_redline"] = below.where(has_target | red.notna().to_numpy(), pd.NA)
    status = np.select([~has_target, met.fillna(False).to_numpy(dtype=bool), below.fillna(False).to_numpy(dtype=bool)],
                       ["no_target", "met", "below_redline"], "below_target")
    table["retention_status"] = pd.Series(status, index=table.index, dtype="string")
    return [ret, above]


def _absent(layer: str) -> Problem:
    """An optional layer the workspace lacks: its measures count nothing, and that is said."""
    spec = LAYERS[layer]
    return Problem(layer, None, None, "warning",
                   f"工作区没有{spec.label}图层（{layer}）：相应各列按 0 计（目标表缺失时为无任务）",
                   f"the workspace has no {spec.label_en} layer ({layer}): its columns count 0 "
                   "(no targets: no task)")


def _summary(table: pd.DataFrame, rules: FarmlandRules, survey: pd.DataFrame | None) -> dict[str, object]:
    farmland_wan_mu = float(table["farmland_mu"].sum(min_count=1)) / 10_000
    basic_wan_mu = float(table["basic_farmland_mu"].sum(min_count=1)) / 10_000
    year = None
    if survey is not None and survey["year"].notna().any():
        year = int(survey["year"].max())
    return {
        "survey_year": year,
        "farmland_wan_mu": round(farmland_wan_mu, 6),
        "retention_target_wan_mu": rules.city.retention_wan_mu,
        "retention_met": bool(farmland_wan_mu >= rules.city.retention_wan_mu) if not np.isnan(farmland_wan_mu)
        else None,
        "basic_farmland_wan_mu": round(basic_wan_mu, 6),
        "basic_farmland_target_wan_mu": rules.city.basic_farmland_wan_mu,
        "basic_farmland_met": bool(basic_wan_mu >= rules.city.basic_farmland_wan_mu) if not np.isnan(basic_wan_mu)
        else None,
        "counties_met": [str(c) for c in table.index[table["retention_met"].fillna(False).to_numpy(dtype=bool)]],
        "counties_below_redline": [str(c) for c in
                                   table.index[table["below_redline"].fillna(False).to_numpy(dtype=bool)]],
        "overlap_pairs": int(table["overlap_pairs"].sum()),
        "overlap_ha": round(float(table["overlap_ha"].sum()), 6),
        "false_class_batches": int(table["false_class_batches"].sum()),
        "false_class_shortfall_ha": round(float(table["false_class_shortfall_ha"].sum()), 6),
        "false_class_fee_wan": round(float(table["false_class_fee_wan"].sum()), 6),
    }


def _ledgers(table: pd.DataFrame, pairs: gpd.GeoDataFrame | None, bad: gpd.GeoDataFrame,
             polygons: gpd.GeoDataFrame | None) -> list[Ledger]:
    kind = ["unit_kind"] if "unit_kind" in table.columns else []
    retention_frame = table.reset_index()[["county_code", "county_name", *kind, "farmland_mu", "retention_target_mu",
                                           "redline_mu", "retention_gap_mu", "retention_gap_ha",
                                           "retention_status", "basic_farmland_mu", "basic_farmland_task_mu"]]
    retention_frame = retention_frame.assign(
        retention_status=retention_frame["retention_status"].map({k: v[0] for k, v in STATUS.items()}))
    ledgers = [Ledger(
        "retention", "耕地保有量完成情况表", "farmland retention by county", retention_frame,
        {"county_code": ("行政区代码", "county code"),
         **{k: COLUMNS.get(k, ("单位类型", "kind")) for k in retention_frame.columns[1:]}},
        total=("farmland_mu", "retention_target_mu", "retention_gap_mu", "retention_gap_ha", "basic_farmland_mu",
               "basic_farmland_task_mu"),
    )]
    pair_frame = (pd.DataFrame(pairs.drop(columns="geometry")) if pairs is not None else pd.DataFrame(
        columns=["supplement_id", "supplement_name", "linkage_id", "linkage_name", "county_code", "overlap_ha"]))
    ledgers.append(Ledger(
        "overlaps", "重叠项目清单", "overlapping projects", pair_frame.reset_index(drop=True),
        {"supplement_id": ("补充耕地项目编号", "supplementary project"),
         "supplement_name": ("补充耕地项目名称", "supplementary project name"),
         "linkage_id": ("增减挂钩项目编号", "linkage project"), "linkage_name": ("增减挂钩项目名称", "linkage project name"),
         "county_code": ("行政区代码", "county code"), "overlap_ha": ("重叠面积（应核减指标，公顷）", "overlap (ha to cut)")},
        total=("overlap_ha",),
    ))
    batch_cols = ["batch_id", "batch_name", "county_code", "approval_no", "approval_date", "survey_year",
                  "declared_ha", "survey_farmland_ha", "shortfall_ha", "fee_wan"]
    ledgers.append(Ledger(
        "false_class", "地类不实批次清单", "batches with a false land class",
        pd.DataFrame(bad[batch_cols]).reset_index(drop=True),
        {"batch_id": ("批次编号", "batch"), "batch_name": ("批次名称", "batch name"),
         "county_code": ("行政区代码", "county code"), "approval_no": ("批准文号", "approval no."),
         "approval_date": ("批准日期", "approval date"), "survey_year": ("批准前调查年度", "survey year"),
         "declared_ha": ("报批耕地面积（公顷）", "declared farmland (ha)"),
         "survey_farmland_ha": ("调查耕地面积（公顷）", "survey farmland (ha)"),
         "shortfall_ha": ("应落实占补平衡（公顷）", "farmland balance owed (ha)"),
         "fee_wan": ("应补缴新增费（万元）", "fee owed (万元)")},
        total=("declared_ha", "survey_farmland_ha", "shortfall_ha", "fee_wan"),
    ))
    bf_cols = ["bf_id", "county_code", "area_ha", "built_up_ha", "nonfarm_ha"]
    nonfarm = (pd.DataFrame(polygons.loc[polygons["nonfarm_ha"].fillna(0) > 0, [*bf_cols, "source_row"]])
               if polygons is not None else pd.DataFrame(columns=[*bf_cols, "source_row"]))
    ledgers.append(Ledger(
        "basic_farmland_nonfarm", "永久基本农田非农化图斑", "non-farmland in permanent basic farmland",
        nonfarm.reset_index(drop=True),
        {"bf_id": ("图斑编号", "polygon"), "county_code": ("行政区代码", "county code"),
         "area_ha": ("图斑面积（公顷）", "area (ha)"), "built_up_ha": ("其中建设用地（公顷）", "built-up (ha)"),
         "nonfarm_ha": ("非耕地面积（公顷）", "non-farmland (ha)"), "source_row": ("源数据行号", "source row")},
        total=("area_ha", "built_up_ha", "nonfarm_ha"),
    ))
    return ledgers


def _layers(counties: gpd.GeoDataFrame, table: pd.DataFrame, pairs: gpd.GeoDataFrame | None,
            bad: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame | None) -> list[MapLayer]:
    shapes = counties[["county_code", "geometry"]].assign(county_code=counties["county_code"].astype("string"))
    joined = shapes.merge(table.reset_index(), on="county_code", how="left")
    out = [MapLayer("farmland_retention", "耕地保有量完成情况", "farmland retention",
                    gpd.GeoDataFrame(joined, geometry="geometry", crs=counties.crs), "retention_status", STATUS,
                    {"county_name": COLUMNS["county_name"], "farmland_mu": COLUMNS["farmland_mu"],
                     "retention_target_mu": COLUMNS["retention_target_mu"],
                     "retention_gap_mu": COLUMNS["retention_gap_mu"]})]
    if pairs is not None:
        out.append(MapLayer("project_overlaps", "补充耕地与增减挂钩重叠", "overlapping projects",
                            pairs.assign(kind="overlap"), "kind",
                            {"overlap": ("重叠部分", "overlap", "#6a1b9a")},
                            {"supplement_id": ("补充耕地项目", "supplementary project"),
                             "linkage_id": ("增减挂钩项目", "linkage project"), "overlap_ha": ("重叠面积（公顷）", "overlap (ha)")}))
    out.append(MapLayer("false_class", "地类不实批次", "false-class batches", bad.assign(kind="false_class"), "kind",
                        {"false_class": ("地类不实", "false land class", "#d84315")},
                        {"batch_id": ("批次编号", "batch"), "shortfall_ha": ("应落实占补平衡（公顷）", "owed (ha)"),
                         "fee_wan": ("应补缴新增费（万元）", "fee (万元)")}))
    if polygons is not None:
        hit = polygons[polygons["nonfarm_ha"].fillna(0) > 0]
        out.append(MapLayer("basic_farmland_nonfarm", "永久基本农田非农化", "non-farmland in basic farmland",
                            hit.assign(kind="nonfarm"), "kind", {"nonfarm": ("非农化图斑", "non-farmland", "#ef6c00")},
                            {"bf_id": ("图斑编号", "polygon"), "nonfarm_ha": ("非耕地面积（公顷）", "non-farmland (ha)")}))
    return out


def report_section(result: CampaignResult, lang: str = "zh") -> str:
    """The campaign's section of the meeting report: city totals and the county table (escaped HTML)."""
    zh = lang != "en"
    s = result.summary

    def t(a: str, b: str) -> str:
        return html.escape(a if zh else b)

    def num(v: object, digits: int = 2) -> str:
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else f"{v:,.{digits}f}"

    lines = [f"<section class=\"campaign farmland\"><h2>{t('耕地保护', 'Farmland protection')}</h2>", "<ul>"]
    # Rows kept out by data errors (the gate, accepted) leave the city's verdict undetermined too.
    complete = s.get("data_complete", True)
    lines.append("<li>" + t(
        f"全市耕地 {num(s['farmland_wan_mu'])} 万亩，目标 {num(s['retention_target_wan_mu'])} 万亩以上："
        f"{('已达到' if s['retention_met'] else '未达到') if complete else '待定（数据有错误）'}",
        f"city farmland {num(s['farmland_wan_mu'])} 万亩 against at least {num(s['retention_target_wan_mu'])} 万亩: "
        f"{('met' if s['retention_met'] else 'not met') if complete else 'undetermined (data errors)'}") + "</li>")
    lines.append("<li>" + t(
        f"永久基本农田 {num(s['basic_farmland_wan_mu'])} 万亩，目标不低于 {num(s['basic_farmland_target_wan_mu'])} 万亩",
        f"permanent basic farmland {num(s['basic_farmland_wan_mu'])} 万亩 against at least "
        f"{num(s['basic_farmland_target_wan_mu'])} 万亩") + "</li>")
    lines.append("<li>" + t(
        f"补充耕地与增减挂钩项目重叠 {s['overlap_pairs']} 对，{num(s['overlap_ha'], 4)} 公顷；"
        f"地类不实批次 {s['false_class_batches']} 个，应落实占补平衡 {num(s['false_class_shortfall_ha'], 4)} 公顷，"
        f"应补缴新增费 {num(s['false_class_fee_wan'])} 万元",
        f"{s['overlap_pairs']} overlapping project pairs, {num(s['overlap_ha'], 4)} ha; "
        f"{s['false_class_batches']} false-class batches, {num(s['false_class_shortfall_ha'], 4)} ha of farmland "
        f"balance and {num(s['false_class_fee_wan'])} 万元 of fees owed") + "</li></ul>")
    cols = list(result.columns)
    lines.append("<table><thead><tr><th>" + t("代码", "code") + "</th>" + "".join(
        f"<th>{t(*result.columns[c])}</th>" for c in cols) + "</tr></thead><tbody>")
    for code, row in result.counties.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            if c == "retention_status" and isinstance(v, str):
                label = STATUS.get(v, (v, v, ""))
                text = label[0] if zh else label[1]
            elif isinstance(v, bool | np.bool_):
                text = ("是" if v else "否") if zh else ("yes" if v else "no")
            elif isinstance(v, float):
                text = num(v)
            elif v is pd.NA or v is None:
                text = ""
            else:
                text = str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        lines.append(f"<tr><td>{html.escape(str(code))}</td>{''.join(cells)}</tr>")
    lines.append("</tbody></table></section>")
    return "\n".join(lines)


CAMPAIGN = Campaign(
    name="farmland",
    title="耕地保护",
    title_en="farmland protection",
    required=("survey",),
    optional=("basic_farmland", "supplement_projects", "linkage_projects", "farmland_targets", "batches"),
    parse_rules=parse_farmland_rules,
    run=run,
    report_section=report_section,
    ledger_names=("retention", "overlaps", "false_class", "basic_farmland_nonfarm"),
    verdicts=("retention_met", "below_redline"),
    status="retention_status",
    status_labels={k: (zh, en) for k, (zh, en, _colour) in STATUS.items()},
    effects=("retention_status", "retention_gap_mu", "overlap_ha", "false_class_shortfall_ha", "false_class_fee_wan"),
)
