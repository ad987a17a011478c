"""Change polygons (卫片图斑) measured per assessed unit as of a date: 卫片执法 and 增违挂钩.

Each year the Ministry's satellite monitoring delivers change polygons
(监测图斑); the county judges each one 合法 / 违法 / 其他 and rectifies the
illegal ones. For a round R and a date T, per assessed unit (county,
district or functional zone):

.. math::

    F = \\sum_{c \\in R,\\ \\text{new construction},\\ \\text{合法或违法}} \\text{farmland}_c
    \\qquad I = \\sum_{\\ldots,\\ \\text{违法}} \\text{farmland}_c
    \\qquad v = I / F

(:math:`F = 0`: no task, empty ratio); the red line is crossed when
:math:`v \\ge` the red line. The rectification rate is the area of the
round's illegal changes rectified on or before T over their area (none
illegal: empty rate, nothing unrectified), and the plan deduction of
增违挂钩 is ``deduct_per_ha`` × the illegal area not rectified at T.

A change's farmland is its ``farmland_ha`` (占用耕地面积); where that is
empty it is measured: the part of the change covered by the land survey's
farmland (layer ``survey``, 地类编码 0101/0102/0103 by default) or, without
a survey, the land-cover raster's cultivated share × the change's area.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse._arrays import copies
from landuse._errors import WorkspaceError
from landuse.model._validate import _locate, _outside_coded
from landuse.model.schema import EARLIEST_DATE, Problem, _feature_id, class_codes, unit_kinds
from landuse.model.units import M2_PER_HA
from landuse.model.workspace import Workspace

__all__ = ["ChangeMeasures", "change_measures", "unit_kinds"]

#: Tolerance (ha) of the red-line comparison I ≥ red_line × F: sums of areas carry rounding.
_AREA_EPS = 1e-9
#: Columns of the land survey that may hold the land-class code (地类编码).
_SURVEY_CODE_COLUMNS = ("dlbm", "land_class_code", "class_code", "land_class", "DLBM", "地类编码")


@dataclass(frozen=True)
class ChangeMeasures:
    """The measures of one round as of a date.

    Attributes
    ----------
    units : pandas.DataFrame
        One row per assessed unit, indexed by ``county_code``, in the counties
        layer's order: ``county_name``, ``unit_kind``, ``changes``,
        ``illegal_changes``, ``F_ha``, ``I_ha``, ``violation_ratio``,
        ``illegal_ha``, ``rectified_ha``, ``rectification_rate``,
        ``unrectified_ha``, ``plan_deduction_ha``. Measures only: the
        red-line verdict is the judge's (:mod:`landuse.campaigns.weipian`).
    changes : geopandas.GeoDataFrame
        The round's changes used, with the unit they count for
        (``county_code``), ``farmland_ha`` as used, ``farmland_source``
        (``attribute`` | ``survey`` | ``landcover``), ``in_task``,
        ``illegal``, ``rectified_by_T``.
    problems : list of Problem
        Rows left out or questioned while measuring.
    totals : dict
        City totals: ``F_ha``, ``I_ha``, ``violation_ratio``,
        ``illegal_ha``, ``rectified_ha``,
        ``rectification_rate``, ``unrectified_ha``, ``plan_deduction_ha``.
    """

    round: int
    as_of: dt.date
    red_line: float
    units: pd.DataFrame
    changes: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)
    totals: dict[str, object] = field(default_factory=dict)


def change_measures(
    workspace: Workspace,
    *,
    round: int,
    as_of: dt.date,
    red_line: float,
    deduct_per_ha: float,
    farmland_codes: Sequence[str] = ("0101", "0102", "0103"),
    cultivated_classes: Sequence[int] = (1,),
) -> ChangeMeasures:
    """Measure F, I, the violation ratio, rectification and deduction per unit.

    Parameters
    ----------
    workspace : Workspace
        With the ``changes`` layer (and ``survey`` or a land-cover raster
        when some change has no ``farmland_ha``).
    round : int
        The monitoring year (监测年度) judged.
    as_of : datetime.date
        T: a change counts as rectified when its ``rectified_date`` ≤ T.
    red_line : float
        The violation ratio at or above which the red line is crossed (0.15).
    deduct_per_ha : float
        Hectares of next year's plan cut per hectare of illegal area not
        rectified at T.
    farmland_codes : sequence of str
        The survey's land-class codes (DLBM) that are farmland.
    cultivated_classes : sequence of int
        The land-cover raster's cultivated classes (CLCD 1 by default).

    Returns
    -------
    ChangeMeasures

    Raises
    ------
    WorkspaceError
        When the workspace has no ``changes`` layer; when changes lack
        ``farmland_ha`` and neither a survey nor a land-cover raster can
        measure it, naming the layer and the rows.
    """
    problems: list[Problem] = []
    counties = workspace.counties
    source = workspace.sources.get("changes")
    if source is None:
        # Without the layer every unit would read "no task": say what is missing instead.
        raise WorkspaceError(
            f"工作区 {workspace.source} 没有卫片图斑图层（changes）：文件或图层应命名为 卫片图斑、监测图斑 或 changes",
            f"workspace {workspace.source} has no change-polygon layer (changes): name the file or layer "
            "卫片图斑, 监测图斑 or changes",
        )
    frame = workspace.layer("changes").copy()
    frame = _this_round(frame, round, source, problems, latest=max(round, as_of.year) + 1)
    frame = _unique(frame, source, problems)
    frame["county_code"] = _units_of(frame, counties, source, problems)
    frame = frame[frame["county_code"].notna()]
    frame = _farmland(frame, workspace, source, farmland_codes, cultivated_classes, round)
    frame = _judge(frame, as_of, source, problems)
    units = _per_unit(frame, counties, deduct_per_ha)
    totals = _totals(frame, deduct_per_ha)
    return ChangeMeasures(round, as_of, red_line, units, frame.reset_index(drop=True), problems, totals)


# --- steps ----------------------------------------------------------------------------------
def _problem(frame: pd.DataFrame, i: object, fld: str | None, severity: str, zh: str, en: str,
             source: str | None) -> Problem:
    row = frame.at[i, "source_row"]
    fid = _feature_id(frame.at[i, "change_id"], row)
    return Problem("changes", fid, fld, severity, zh, en, int(row), source)  # type: ignore[arg-type]


def _this_round(frame: pd.DataFrame, round_: int, source: str | None, problems: list[Problem], *,
                latest: int) -> pd.DataFrame:
    """Keep the round's changes; a change with no 监测年度 is taken to be of the round, once said.

    A 监测年度 no round can have (before 1949, after ``latest``: 2109 or 219 for 2019) is an
    error: the change was dropped silently as another round's.
    """
    odd = ((frame["round"] < EARLIEST_DATE.year) | (frame["round"] > latest)).fillna(False)
    for i in frame.index[odd.to_numpy(dtype=bool)]:
        problems.append(_problem(
            frame, i, "round", "error",
            f"监测年度 {frame.at[i, 'round']} 不可能是卫片执法的年度（应在 {EARLIEST_DATE.year}—{latest} 之间），"
            "疑为录入错误，该图斑未参与计算",
            f"monitoring year {frame.at[i, 'round']} cannot be a round (it lies outside "
            f"{EARLIEST_DATE.year}–{latest}): a typing error; the change is left out", source,
        ))
    no_round = frame["round"].isna()
    if no_round.any():
        problems.append(Problem(
            "changes", None, "round", "warning",
            f"{no_round.sum()} 个卫片图斑没有监测年度（round），按规则集的 {round_} 年度计",
            f"{no_round.sum()} change polygon(s) have no monitoring year (round); taken as the rule set's "
            f"round {round_}", None, source,
        ))
    keep = no_round | (frame["round"] == round_)
    return frame[keep.to_numpy(dtype=bool)]


def _unique(frame: pd.DataFrame, source: str | None, problems: list[Problem]) -> pd.DataFrame:
    dup = frame.duplicated(subset=["change_id"], keep="first")
    for i in frame.index[dup]:
        problems.append(_problem(
            frame, i, "change_id", "error",
            f"监测图斑编号重复：{frame.at[i, 'change_id']} 已出现过，该行未参与计算",
            f"duplicate change_id {frame.at[i, 'change_id']}; this row is left out", source,
        ))
    frame = frame[~dup]
    # The same polygon under a new id (exported twice): its farmland counted twice in F or I.
    # Every attribute but the id alike too: two changes drawn alike on purpose differ in some.
    if not isinstance(frame, gpd.GeoDataFrame):
        return frame
    attrs = [c for c in ("round", "county_code", "area_ha", "farmland_ha", "legality", "new_construction",
                         "rectified", "rectified_date") if c in frame.columns]
    first = copies(frame.geometry.to_numpy(), frame[attrs])
    copied = first >= 0
    for k in np.flatnonzero(copied):
        i, j = frame.index[k], frame.index[first[k]]
        problems.append(_problem(
            frame, i, "change_id", "error",
            f"与监测图斑 {frame.at[j, 'change_id']} 图形和各项属性完全相同：疑为同一图斑以新编号重复导出，"
            "该行未参与计算",
            f"the same polygon and attributes as change {frame.at[j, 'change_id']}: one change "
            "exported twice under two ids; this row is left out", source,
        ))
    return frame[~copied]


def _units_of(frame: pd.DataFrame, counties: gpd.GeoDataFrame, source: str | None,
              problems: list[Problem]) -> pd.Series:
    """The unit each change counts for: a zone it lies in, else the county it names or lies in."""
    named = frame["county_code"].astype("string")
    known = set(counties["county_code"].dropna())
    kinds = unit_kinds(counties)
    # Zones first, so that a change in a zone is found in the zone, not in its parent county.
    ordered = counties.iloc[np.argsort((kinds != "功能区").to_numpy(), kind="stable")]
    located = pd.Series(pd.NA, index=frame.index, dtype="string")
    if isinstance(frame, gpd.GeoDataFrame) and not counties.empty:
        located = _locate(frame, ordered).astype("string")
    zone_codes = set(counties.loc[(kinds == "功能区").to_numpy(), "county_code"])
    parent = (counties.set_index("county_code")["parent_code"].astype("string")
              if "parent_code" in counties.columns else pd.Series(dtype="string"))
    in_zone = located.isin(zone_codes).fillna(False)
    located_parent = located.map(parent).astype("string") if len(parent) else pd.Series(
        pd.NA, index=frame.index, dtype="string")
    # A zone carved from the county the change names (or a change naming none) takes the change.
    zone_wins = in_zone & (named.isna() | (located_parent == named).fillna(False) | (located == named).fillna(False))
    unit = named.where(named.notna(), located).mask(zone_wins, located)
    unknown = unit.notna() & ~unit.isin(known).fillna(False)
    for i in frame.index[unknown.to_numpy(dtype=bool)]:
        # Lost to the county it lies in (its code a typing error); placed nowhere, to every unit.
        problems.append(dataclasses.replace(_problem(
            frame, i, "county_code", "error",
            f"行政区代码 {unit[i]} 不在县区图层中，该图斑未参与计算", f"county_code {unit[i]} is not in the "
            "counties layer; the change is left out", source,
        ), county_code=None if pd.isna(located[i]) else str(located[i])))
    # A change coded to a unit it does not touch (lying wholly in another) moved between two
    # units' verdicts: left out, both undetermined. Astride a border, the code is kept.
    elsewhere = np.zeros(len(frame), dtype=bool)
    differ = (unit.notna() & ~unknown & located.notna() & (unit != located)).to_numpy(dtype=bool)
    if differ.any() and isinstance(frame, gpd.GeoDataFrame):
        elsewhere[differ] = _outside_coded(frame.geometry.to_numpy()[differ], unit[differ], counties)
    for i in frame.index[elsewhere]:
        problems.append(dataclasses.replace(_problem(
            frame, i, "county_code", "error",
            f"行政区代码为 {unit[i]}，图斑却整个位于 {located[i]} 内、与 {unit[i]} 毫不相交：代码或图形有误，"
            "该图斑未参与计算（请更正）",
            f"county_code {unit[i]}, but the change lies wholly in {located[i]}, nowhere in {unit[i]}: the "
            "code or the outline is wrong; the change is left out (correct it)", source,
        ), county_code=str(unit[i]), also_county=str(located[i])))
    unknown |= pd.Series(elsewhere, index=frame.index)
    lost = unit.isna()
    for i in frame.index[lost.to_numpy(dtype=bool)]:
        problems.append(_problem(
            frame, i, "county_code", "error",
            "没有行政区代码，且不在任何县区范围内，该图斑未参与计算",
            "no county_code and not inside any county; the change is left out", source,
        ))
    return unit.mask(unknown)


def _farmland(frame: pd.DataFrame, workspace: Workspace, source: str | None, codes: Sequence[str],
              cultivated: Sequence[int], round_: int) -> pd.DataFrame:
    """Fill ``farmland_ha`` where empty: from the survey's farmland, else from the raster."""
    frame = frame.copy()
    frame["farmland_source"] = pd.Series("attribute", index=frame.index, dtype="string")
    todo = frame["farmland_ha"].isna().to_numpy(dtype=bool)
    if not todo.any():
        return frame
    has_geom = np.zeros(len(frame), dtype=bool)
    if isinstance(frame, gpd.GeoDataFrame):
        values = frame.geometry.to_numpy()
        has_geom = ~shapely.is_missing(values) & ~shapely.is_empty(values)
    survey = workspace.layers.get("survey")
    measurable = todo & has_geom
    if measurable.any() and survey is not None and len(survey) and isinstance(survey, gpd.GeoDataFrame):
        frame.loc[frame.index[measurable], "farmland_ha"] = _from_survey(
            frame.geometry.to_numpy()[measurable], survey, codes, workspace, source, round_)
        frame.loc[frame.index[measurable], "farmland_source"] = "survey"
    elif measurable.any() and workspace.landcover is not None:
        from landuse.analysis.landcover import class_shares
        from landuse.rules.model import LandCoverRules

        rules = LandCoverRules(built_up_classes=(), cultivated_classes=tuple(cultivated),
                               unchanged_max_built_share=1.0, developed_min_share=1.0,
                               used_before_supply_min_built_share=1.0)
        geoms = frame.geometry[measurable]
        shares = class_shares(geoms, workspace.landcover, rules)
        ha = shares["cultivated_share"].to_numpy() * shapely.area(geoms.to_numpy()) / M2_PER_HA
        frame.loc[frame.index[measurable], "farmland_ha"] = ha
        frame.loc[frame.index[measurable], "farmland_source"] = "landcover"
    left = frame["farmland_ha"].isna().to_numpy(dtype=bool)
    if left.any():
        ids = "、".join(_feature_id(c, r) for c, r in zip(frame["change_id"][left][:5],
                                                          frame["source_row"][left][:5], strict=True))
        more = "…" if left.sum() > 5 else ""
        why_zh = ("这些图斑没有几何图形" if not (has_geom & left).any()
                  else "工作区既没有三调地类图斑图层（survey，地类编码 0101/0102/0103），也没有覆盖这些图斑的土地覆盖栅格")
        why_en = ("these changes have no geometry" if not (has_geom & left).any()
                  else "the workspace has no land-survey layer (survey) and no land-cover raster covering them")
        raise WorkspaceError(
            f"{source or '卫片图斑图层'}（changes）：{left.sum()} 个图斑缺少占用耕地面积（farmland_ha / 占用耕地面积 / GDMJ），"
            f"无法量算（{why_zh}），如 {ids}{more}。请在图层中填写占用耕地面积，或提供三调图层或土地覆盖栅格",
            f"{source or 'change layer'} (changes): {left.sum()} change(s) lack farmland_ha (占用耕地面积, GDMJ) "
            f"and it cannot be measured ({why_en}), e.g. {ids}{more}. Fill in the farmland area, or add the "
            "land survey or a land-cover raster",
        )
    return frame


def _from_survey(geoms: np.ndarray, survey: gpd.GeoDataFrame, codes: Sequence[str], workspace: Workspace,
                 source: str | None, round_: int) -> np.ndarray:
    """Hectares of each geometry covered by the survey's farmland polygons.

    One survey year serves: the latest before the round (a survey of year Y is the
    land at the end of Y, before the round's changes), else the earliest there is;
    every year at once would count the same farmland once a year. A part gets its
    polygon's delivered area (``TBDLMJ``, else ``TBMJ − KCMJ``) times the share of
    the polygon's plane area it covers: the survey's own areas, not re-measured.
    """
    from landuse.analysis.survey import _share_inside, delivered_ha

    column = next((c for c in _SURVEY_CODE_COLUMNS if c in survey.columns), None)
    if column is None:
        raise WorkspaceError(
            f"三调图层（survey）没有地类编码字段（DLBM），无法量算卫片图斑 {source or ''} 的占用耕地面积",
            "the land-survey layer (survey) has no land-class code (DLBM); the farmland of the change "
            "polygons cannot be measured",
        )
    years = survey["year"] if "year" in survey.columns else pd.Series(pd.NA, index=survey.index)
    if years.notna().any():
        known = years.dropna().astype("int64")
        before = known[known < round_]
        survey = survey[(years == (before.max() if len(before) else known.min())).fillna(False).to_numpy(dtype=bool)]
    farm = survey[class_codes(survey[column]).isin(list(codes)).fillna(False).to_numpy(dtype=bool)]
    if farm.crs is not None and not farm.crs.equals(workspace.crs):
        farm = farm.to_crs(workspace.crs)
    parts = farm.geometry.to_numpy()
    farm = farm[~shapely.is_missing(parts) & ~shapely.is_empty(parts)]
    farm = farm.assign(area_ha=delivered_ha(farm.assign(geom_ha=shapely.area(farm.geometry.to_numpy()) / M2_PER_HA)))
    gi, _, ha = _share_inside(farm, geoms)
    return np.bincount(gi, weights=ha, minlength=len(geoms))


def _judge(frame: pd.DataFrame, as_of: dt.date, source: str | None, problems: list[Problem]) -> pd.DataFrame:
    """Mark each change: in the task (F), illegal (I), rectified on or before T."""
    frame = frame.copy()
    legality = frame["legality"].astype("string")
    new = frame["new_construction"].astype("boolean").fillna(True)  # 是否新增建设用地: default 是
    frame["in_task"] = (new & legality.isin(["合法", "违法"])).astype(bool)
    frame["illegal"] = (legality == "违法").fillna(False).astype(bool)
    status = frame["rectified"].astype("string")
    dated = frame["rectified_date"].notna()
    by_t = (frame["rectified_date"] <= pd.Timestamp(as_of)).fillna(False)
    # A date settles it unless the status says the work is not finished.
    unfinished = status.isin(["整改中", "未整改"]).fillna(False)
    frame["rectified_by_T"] = (frame["illegal"] & by_t & ~unfinished).astype(bool)
    claimed = frame["illegal"] & (status == "已整改").fillna(False) & ~dated
    for i in frame.index[claimed.to_numpy(dtype=bool)]:
        problems.append(_problem(
            frame, i, "rectified_date", "warning",
            "整改情况为“已整改”但没有整改日期，无法确认在考核日期前完成，按未整改计",
            "marked rectified (已整改) but no rectified_date: it cannot be shown to be done by the date, "
            "so it counts as unrectified", source,
        ))
    return frame


def _per_unit(frame: pd.DataFrame, counties: pd.DataFrame, deduct: float) -> pd.DataFrame:
    codes = counties["county_code"]
    farmland = frame["farmland_ha"].astype("float64")
    area = frame["area_ha"].astype("float64")
    sums = pd.DataFrame({
        "county_code": frame["county_code"].to_numpy(),
        "changes": 1,
        "illegal_changes": frame["illegal"].astype("int64").to_numpy(),
        "F_ha": farmland.where(frame["in_task"], 0.0).to_numpy(),
        "I_ha": farmland.where(frame["in_task"] & frame["illegal"], 0.0).to_numpy(),
        "illegal_ha": area.where(frame["illegal"], 0.0).to_numpy(),
        "rectified_ha": area.where(frame["rectified_by_T"], 0.0).to_numpy(),
    }).groupby("county_code").sum()
    units = sums.reindex(codes.to_numpy()).fillna(0.0)
    units.index.name = "county_code"
    units[["changes", "illegal_changes"]] = units[["changes", "illegal_changes"]].astype("int64")
    units.insert(0, "county_name", counties["county_name"].astype("string").to_numpy())
    units.insert(1, "unit_kind", unit_kinds(counties).to_numpy())
    _rates(units, deduct)
    return units[["county_name", "unit_kind", "changes", "illegal_changes", "F_ha", "I_ha", "violation_ratio",
                  "illegal_ha", "rectified_ha", "rectification_rate", "unrectified_ha", "plan_deduction_ha"]]


def _rates(table: pd.DataFrame, deduct: float) -> None:
    """Add the ratio, rate, unrectified area and deduction to sums (in place).

    Measures only: whether a unit crossed the red line is the judge's
    (:func:`landuse.campaigns.weipian.judge`).
    """
    f, i = table["F_ha"], table["I_ha"]
    table["violation_ratio"] = (i / f.where(f > 0)).astype("Float64")
    illegal = table["illegal_ha"]
    table["rectification_rate"] = (table["rectified_ha"] / illegal.where(illegal > 0)).astype("Float64")
    table["unrectified_ha"] = (illegal - table["rectified_ha"]).clip(lower=0.0)
    table["plan_deduction_ha"] = deduct * table["unrectified_ha"]


def _totals(frame: pd.DataFrame, deduct: float) -> dict[str, object]:
    farmland = frame["farmland_ha"].astype("float64")
    area = frame["area_ha"].astype("float64")
    one = pd.DataFrame({
        "F_ha": [float(farmland[frame["in_task"]].sum())],
        "I_ha": [float(farmland[frame["in_task"] & frame["illegal"]].sum())],
        "illegal_ha": [float(area[frame["illegal"]].sum())],
        "rectified_ha": [float(area[frame["rectified_by_T"]].sum())],
    })
    _rates(one, deduct)
    return {k: (None if pd.isna(v) else float(v)) for k, v in one.iloc[0].items()}
