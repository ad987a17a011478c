"""The land survey (三调 / 年度变更调查 地类图斑) and the farmland measures built on it.

The survey arrives as the national database delivers it: a ``DLTB`` layer
with ``DLBM`` (地类编码), ``TBDLMJ`` (图斑地类面积, m²) or ``TBMJ`` − ``KCMJ``,
``ZLDWDM`` (坐落单位代码, whose first 6 digits are the county). Survey
areas are the survey's own (ellipsoidal) areas and are never re-measured:
where only part of a survey polygon lies inside another shape, that part
gets the polygon's delivered area times the share of its plane area inside.

A province's survey is millions of polygons; :func:`survey_by_county` reads
only the needed columns through pyogrio and Arrow and sums them by county
and land-class group without building a GeoDataFrame.

Measures (each vectorised, each returning a frame per county or per pair):

* :func:`retention` — farmland per county against ``farmland_targets``;
* :func:`basic_farmland_check` — permanent basic farmland per county and its
  non-farmland parts per polygon (非农化);
* :func:`project_overlaps` — 补充耕地 × 增减挂钩 pairs overlapping by more than a tolerance;
* :func:`false_class` — 地类不实 batches: survey farmland above declared farmland.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from landuse._errors import LayerReadError
from landuse.model._validate import _locate
from landuse.model.schema import AREA_SLIP, Problem, rename_columns, unit_kinds
from landuse.model.units import M2_PER_HA, MU_PER_HA

if TYPE_CHECKING:
    from landuse.rules.farmland import LandClasses

__all__ = [
    "basic_farmland_check",
    "false_class",
    "prepare_survey",
    "project_overlaps",
    "retention",
    "survey_built_share",
    "survey_by_county",
    "survey_year_for",
    "units_of",
]

#: Areas equal to this many decimals of a hectare are equal (sums of many floats drift).
_DIGITS = 8


def _county_from_codes(frame: pd.DataFrame) -> pd.Series:
    """County code: the field when given, else the first 6 digits of ZLDWDM, else of QSDWDM."""
    county = frame["county_code"].astype("string") if "county_code" in frame else pd.Series(
        pd.NA, index=frame.index, dtype="string")
    for col in ("zldwdm", "qsdwdm"):
        if col in frame:
            six = frame[col].astype("string").str.strip().str[:6]
            county = county.fillna(six.where(six.str.fullmatch(r"\d{6}").fillna(False)))
    return county


def units_of(frame: pd.DataFrame, named: pd.Series, counties: gpd.GeoDataFrame) -> pd.Series:
    """The assessed unit each feature counts for: a functional zone it lies in, else ``named``.

    DESIGN "Assessed units": a feature inside a zone (its representative point in
    the zone's outline) counts for the zone when it names the zone's parent
    county, the zone itself or no county; the parent keeps the rest. The rule
    is the one the 卫片执法 changes follow (:mod:`landuse.analysis.changes`).

    Parameters
    ----------
    frame : pandas.DataFrame
        The features; a GeoDataFrame to be placed in zones.
    named : pandas.Series
        The county each names (its field, ZLDWDM, or its location), on ``frame``'s index.
    counties : geopandas.GeoDataFrame
        The counties layer, zones among its rows.

    Returns
    -------
    pandas.Series
        Unit codes (string dtype) on ``frame``'s index.
    """

    named = named.astype("string")
    zones = counties[(unit_kinds(counties) == "功能区").to_numpy()]
    if zones.empty or not isinstance(frame, gpd.GeoDataFrame) or frame.empty:
        return named
    located = _locate(frame, zones).astype("string")
    parent = (zones.drop_duplicates("county_code").set_index("county_code")["parent_code"].astype("string")
              if "parent_code" in zones.columns else pd.Series(dtype="string"))
    located_parent = located.map(parent).astype("string") if len(parent) else pd.Series(
        pd.NA, index=frame.index, dtype="string")
    move = located.notna() & (named.isna() | (named == located_parent).fillna(False)
                              | (named == located).fillna(False))
    return named.mask(move.to_numpy(dtype=bool), located)


def delivered_ha(frame: pd.DataFrame) -> pd.Series:
    """Each survey polygon's area as delivered, in hectares.

    ``TBDLMJ`` (m²); where it is missing ``TBMJ − KCMJ`` (m², no KCMJ = 0);
    then a hectare ``area_ha``; last the geometry's plane area (``geom_ha``).

    Examples
    --------
    >>> f = pd.DataFrame({"tbdlmj_m2": [10_000.0, None, None], "tbmj_m2": [None, 20_000.0, None],
    ...                   "kcmj_m2": [None, 5_000.0, None], "geom_ha": [9.0, 9.0, 0.5]})
    >>> delivered_ha(f).tolist()
    [1.0, 1.5, 0.5]
    """
    nan = pd.Series(np.nan, index=frame.index, dtype="float64")
    tbdlmj = frame.get("tbdlmj_m2", nan).astype("float64")
    tbmj = frame.get("tbmj_m2", nan).astype("float64")
    kcmj = frame.get("kcmj_m2", nan).astype("float64").fillna(0.0)
    area = tbdlmj.fillna(tbmj - kcmj) / M2_PER_HA
    area = area.fillna(frame.get("area_ha", nan).astype("float64"))
    return area.fillna(frame.get("geom_ha", nan).astype("float64"))


def prepare_survey(survey: pd.DataFrame, classes: LandClasses, counties: gpd.GeoDataFrame
                   ) -> tuple[pd.DataFrame, list[Problem]]:
    """Add ``area_ha`` (delivered), ``group`` (land-class group) and ``county_code`` to the survey.

    The county is the ``county_code`` field, else ``ZLDWDM``'s first 6 digits,
    else the county containing the polygon; a polygon inside a functional zone
    counts for the zone (:func:`units_of`). Rows with an unknown class or no
    county are named in the problems (one message per cause, with a count).
    """
    problems: list[Problem] = []
    out = survey.copy()
    out["area_ha"] = delivered_ha(out)
    out["group"] = classes.group_of(out["dlbm"]).to_numpy()
    county = _county_from_codes(out)
    if isinstance(out, gpd.GeoDataFrame) and county.isna().any() and out.geometry.notna().any():
        located = _locate(out[county.isna()], counties)
        county = county.fillna(located.reindex(county.index))
    out["county_code"] = units_of(out, county, counties)
    unknown = out["group"] == "unknown"
    if unknown.any():
        codes = "、".join(sorted(out.loc[unknown, "dlbm"].dropna().astype(str).unique())[:10])
        area = out.loc[unknown, "area_ha"].sum()
        problems.append(Problem(
            "survey", None, "dlbm", "warning",
            f"{int(unknown.sum())} 个地类图斑的地类编码（{codes}）不在规则集的地类表（{classes.scheme}）中，"
            f"共 {area:.4f} 公顷，按非耕地计",
            f"{int(unknown.sum())} survey polygons have class codes ({codes}) not in the rule set's table "
            f"({classes.scheme}), {area:.4f} ha in all; counted as not farmland",
        ))
    years = out["year"] if "year" in out else pd.Series(pd.NA, index=out.index)
    if years.notna().any() and years.isna().any():
        problems.append(Problem(
            "survey", None, "year", "warning",
            f"{int(years.isna().sum())} 个地类图斑没有调查年度，而其余图斑有：这些图斑未参与计算；"
            "请补填年度字段或按年度分文件（survey_2017、survey_2019）",
            f"{int(years.isna().sum())} survey polygons have no year while the others have one: they are "
            "left out; fill the year or give one file a year (survey_2017, survey_2019)",
        ))
    out, slips = _area_slips(out)
    problems += slips
    lost = out["county_code"].isna()
    if lost.any():
        problems.append(Problem(
            "survey", None, "county_code", "warning",
            f"{int(lost.sum())} 个地类图斑无法确定县区（无行政区代码、坐落单位代码，图形也不在任何县区内），"
            f"共 {out.loc[lost, 'area_ha'].sum():.4f} 公顷，未计入任何县区",
            f"{int(lost.sum())} survey polygons have no county (no county_code, no ZLDWDM, not inside a county), "
            f"{out.loc[lost, 'area_ha'].sum():.4f} ha in all; counted in no county",
        ))
    return out, problems


def _area_slips(out: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Leave out polygons whose delivered area cannot be theirs; say so per county.

    A delivered area (``TBDLMJ``, ``TBMJ − KCMJ``) of zero or less, or ten times off the
    outline's plane area (公顷 for 平方米, ``KCMJ`` over ``TBMJ``), moved a county between
    met and below its red line. Without any area field the plane area serves, said once.
    """
    problems: list[Problem] = []
    fields = [c for c in ("tbdlmj_m2", "tbmj_m2") if c in out.columns and out[c].notna().any()]
    if not fields and isinstance(out, gpd.GeoDataFrame) and len(out):
        problems.append(Problem(
            "survey", None, "tbdlmj_m2", "warning",
            "地类图斑没有图斑地类面积（TBDLMJ）或图斑面积（TBMJ）字段：按图形的平面面积计，与调查成果的面积会有出入",
            "the survey has no TBDLMJ or TBMJ field: plane areas of the outlines are used, which differ from "
            "the survey's own",
        ))
        return out, problems
    if not isinstance(out, gpd.GeoDataFrame) or "geom_ha" not in out.columns:
        return out, problems
    plane = out["geom_ha"].astype("float64")
    area = out["area_ha"].astype("float64")
    slip = ((area <= 0) | (area > plane * AREA_SLIP) | (area * AREA_SLIP < plane)).fillna(False)
    slip &= plane.notna()
    if not slip.any():
        return out, problems
    for code, rows in out[slip.to_numpy(dtype=bool)].groupby(out["county_code"].astype(object).fillna(""), sort=True):
        ids = "、".join(rows["bsm"].dropna().astype(str).head(5)) if "bsm" in rows else ""
        problems.append(Problem(
            "survey", None, "tbdlmj_m2", "error",
            f"{len(rows)} 个地类图斑的面积（TBDLMJ 或 TBMJ−KCMJ）不可能是其图形的面积（小于等于 0，或相差十倍以上；"
            f"{ids}）：疑为单位或字段错误，未参与计算",
            f"{len(rows)} survey polygons have a delivered area (TBDLMJ or TBMJ−KCMJ) that cannot be their "
            f"outline's (zero or less, or ten times off; {ids}): a unit or field slip; left out",
            county_code=str(code) or None,
        ))
    return out[~slip.to_numpy(dtype=bool)], problems


def latest_year(survey: pd.DataFrame) -> pd.DataFrame:
    """The rows of the latest survey year (all rows when no row has a year)."""
    years = survey["year"] if "year" in survey else pd.Series(pd.NA, index=survey.index)
    if years.notna().any():
        return survey[years == years.max()]
    return survey


# --- retention ------------------------------------------------------------------------------
def retention(farmland_ha: pd.Series, targets: pd.DataFrame | None, year: int) -> pd.DataFrame:
    """Judge farmland retention per county against its targets.

    Parameters
    ----------
    farmland_ha : pandas.Series
        Survey farmland per county code, hectares.
    targets : pandas.DataFrame or None
        The ``farmland_targets`` layer (``county_code``, ``year``, ``retention_ha``,
        ``redline_ha``, ``basic_farmland_ha``); the row of the latest year ≤ ``year``
        is a county's target (its earliest when all are later).
    year : int
        The year judged.

    Returns
    -------
    pandas.DataFrame
        On ``farmland_ha``'s index: ``farmland_mu``, ``retention_target_mu``,
        ``redline_mu``, ``retention_gap_mu`` and ``retention_gap_ha`` (target −
        farmland, > 0 when short) and ``basic_farmland_task_mu``. Measures
        only: whether a county met its target or fell below its red line is
        the judge's (:func:`landuse.campaigns.farmland.judge`).

    Examples
    --------
    >>> t = pd.DataFrame({"county_code": ["a", "b"], "year": [2020, 2020], "retention_ha": [1.0, 2.0],
    ...                   "redline_ha": [0.5, 1.5], "basic_farmland_ha": [0.8, 1.6]})
    >>> r = retention(pd.Series([1.0, 1.0], index=["a", "b"]), t, 2020)
    >>> r["farmland_mu"].tolist(), r["retention_gap_mu"].tolist()
    ([15.0, 15.0], [0.0, 15.0])
    """
    index = farmland_ha.index
    out = pd.DataFrame(index=index)
    out["farmland_mu"] = (farmland_ha * MU_PER_HA).round(_DIGITS)
    target = _targets_for(targets, year).reindex(index)
    out["retention_target_mu"] = (target["retention_ha"] * MU_PER_HA).round(_DIGITS)
    out["redline_mu"] = (target["redline_ha"] * MU_PER_HA).round(_DIGITS)
    gap_mu = (out["retention_target_mu"] - out["farmland_mu"]).round(_DIGITS)
    out["retention_gap_mu"] = gap_mu.clip(lower=0.0)
    out["retention_gap_ha"] = (out["retention_gap_mu"] / MU_PER_HA).round(_DIGITS)
    out["basic_farmland_task_mu"] = (target["basic_farmland_ha"] * MU_PER_HA).round(_DIGITS)
    return out


def _targets_for(targets: pd.DataFrame | None, year: int) -> pd.DataFrame:
    cols = ["retention_ha", "redline_ha", "basic_farmland_ha"]
    if targets is None or targets.empty:
        return pd.DataFrame(columns=cols, dtype="float64")
    t = targets.copy()
    t["_year"] = t["year"].astype("Float64").fillna(year) if "year" in t else float(year)
    t["_late"] = t["_year"] > year
    # Latest year not after ``year`` first; a county with only later years takes its earliest.
    t = t.sort_values(["county_code", "_late", "_year"], ascending=[True, False, True])
    t = t.groupby("county_code", sort=False).tail(1).set_index("county_code")
    return t[cols].astype("float64")


# --- intersections ---------------------------------------------------------------------------
def _pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs of intersecting geometries and the plane area of each intersection (m²)."""
    if len(left) == 0 or len(right) == 0:
        empty = np.array([], dtype="int64")
        return empty, empty, np.array([], dtype="float64")
    tree = shapely.STRtree(right)
    li, ri = tree.query(left, predicate="intersects")
    area = shapely.area(shapely.intersection(left[li], right[ri]))
    keep = area > 0
    return li[keep], ri[keep], area[keep]


def _share_inside(survey: gpd.GeoDataFrame, shapes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (shape, survey row) and the survey's delivered hectares inside each shape.

    The part gets the survey polygon's delivered area × (plane area inside / plane area).
    """
    geoms = survey.geometry.to_numpy()
    si, ri, area = _pairs(shapes, geoms)
    whole = shapely.area(geoms[ri])
    share = np.divide(area, whole, out=np.zeros_like(area), where=whole > 0)
    return si, ri, survey["area_ha"].to_numpy(dtype="float64")[ri] * np.minimum(share, 1.0)


# --- permanent basic farmland --------------------------------------------------------------
def basic_farmland_check(basic: gpd.GeoDataFrame, survey: pd.DataFrame | None, nonfarm_groups: tuple[str, ...],
                         counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Measure each permanent basic farmland polygon and its non-farmland parts (非农化).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per polygon: ``bf_id``, ``county_code``, ``area_ha`` (attribute,
        else plane area), ``built_up_ha`` and ``nonfarm_ha`` (survey polygons of the
        ``nonfarm_groups`` inside it, delivered hectares; NaN without a survey with
        geometry).
    """
    out = basic.copy()
    county = _county_from_codes(out)
    if county.isna().any():
        county = county.fillna(_locate(out[county.isna()], counties).reindex(county.index))
    out["county_code"] = units_of(out, county, counties)
    out["area_ha"] = out["area_ha"].fillna(out["geom_ha"])
    out["built_up_ha"] = np.nan
    out["nonfarm_ha"] = np.nan
    if survey is None or not isinstance(survey, gpd.GeoDataFrame) or survey.geometry.isna().all():
        return out
    part = survey[survey["group"].isin(list(nonfarm_groups)) & survey.geometry.notna()]
    bi, ri, ha = _share_inside(part, out.geometry.to_numpy())
    built = part["group"].to_numpy()[ri] == "built_up"
    out["nonfarm_ha"] = np.bincount(bi, weights=ha, minlength=len(out)).round(_DIGITS)
    out["built_up_ha"] = np.bincount(bi[built], weights=ha[built], minlength=len(out)).round(_DIGITS)
    return out


# --- overlapping projects ------------------------------------------------------------------
def project_overlaps(supplement: gpd.GeoDataFrame, linkage: gpd.GeoDataFrame, tolerance_ha: float,
                     counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """List every 补充耕地 × 增减挂钩 pair overlapping by more than ``tolerance_ha``.

    The overlap is the plane area of the intersection: the indicator to cut from
    one of the two ("按照重叠面积，核减相应的占补平衡指标或增减挂钩指标"). A pair
    overlapping by exactly the tolerance is not listed (the overlap must exceed it).
    The pair's county is the supplementary project's (its field, else its location),
    else the linkage project's; a project inside a functional zone counts for the zone.

    Returns
    -------
    geopandas.GeoDataFrame
        ``supplement_id``, ``supplement_name``, ``linkage_id``, ``linkage_name``,
        ``county_code``, ``overlap_ha`` and the overlap's geometry.
    """
    cols = ["supplement_id", "supplement_name", "linkage_id", "linkage_name", "county_code", "overlap_ha"]
    crs = supplement.crs if supplement is not None else None
    si, li, area = _pairs(supplement.geometry.to_numpy(), linkage.geometry.to_numpy())
    ha = np.round(area / M2_PER_HA, _DIGITS)
    over = ha > tolerance_ha
    si, li, ha = si[over], li[over], ha[over]
    own = _county_from_codes(supplement)
    if own.isna().any():
        own = own.fillna(_locate(supplement[own.isna()], counties).reindex(own.index))
    own = units_of(supplement, own, counties)
    theirs = units_of(linkage, _county_from_codes(linkage), counties)
    county = pd.Series(own.to_numpy()[si], dtype="string").fillna(
        pd.Series(theirs.to_numpy()[li], dtype="string"))
    frame = pd.DataFrame({
        "supplement_id": supplement["project_id"].to_numpy()[si],
        "supplement_name": supplement["project_name"].to_numpy()[si],
        "linkage_id": linkage["project_id"].to_numpy()[li],
        "linkage_name": linkage["project_name"].to_numpy()[li],
        "county_code": county.to_numpy(),
        "overlap_ha": ha,
    }, columns=cols)
    geometry = shapely.intersection(supplement.geometry.to_numpy()[si], linkage.geometry.to_numpy()[li])
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=crs), crs=crs)


# --- 地类不实 -------------------------------------------------------------------------------
def false_class(batches: gpd.GeoDataFrame, survey: pd.DataFrame | None, *, tolerance_ha: float,
                fee_rate_wan_per_ha: float) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Compare each batch's declared farmland with the survey's before its approval.

    The survey before approval is the latest survey year before the approval
    year (a survey of year Y is the state at the end of Y); a survey without
    years serves every batch. Only batches with a declared ``farmland_ha`` are
    checked.

    Returns
    -------
    checked : geopandas.GeoDataFrame
        One row per checked batch: ``batch_id``, ``batch_name``, ``county_code``,
        ``approval_no``, ``approval_date``, ``survey_year``, ``declared_ha``,
        ``survey_farmland_ha``, ``shortfall_ha`` (survey − declared, ≥ 0),
        ``false_class`` (shortfall > tolerance), ``fee_wan`` (shortfall ×
        rate, for false-class batches, else 0).
    problems : list of Problem
        Batches with a declared farmland and no survey before their approval.
    """
    problems: list[Problem] = []
    declared = batches[batches["farmland_ha"].notna()]
    cols = ["batch_id", "batch_name", "county_code", "approval_no", "approval_date"]
    out = gpd.GeoDataFrame(declared[cols].copy(), geometry=declared.geometry, crs=batches.crs)
    out["survey_year"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["declared_ha"] = declared["farmland_ha"].astype("float64")
    out["survey_farmland_ha"] = np.nan
    if (survey is None or out.empty or not isinstance(survey, gpd.GeoDataFrame)
            or survey.geometry.isna().all()):
        return _judge(out, tolerance_ha, fee_rate_wan_per_ha), problems
    farm = survey[(survey["group"] == "farmland") & survey.geometry.notna()]
    years = farm["year"] if "year" in farm else pd.Series(pd.NA, index=farm.index)
    # The years the survey has are every polygon's, not the farmland's: a year whose survey shows
    # no farmland at all is still the state before approval (an older one was taken instead).
    every = survey["year"] if "year" in survey else pd.Series(pd.NA, index=survey.index)
    approval_year = out["approval_date"].dt.year
    if every.notna().any():
        known = np.sort(every.dropna().astype("int64").unique())
        pos = np.searchsorted(known, approval_year.fillna(0).to_numpy(dtype="int64"), side="left") - 1
        chosen = pd.array(np.where(pos >= 0, known[np.clip(pos, 0, None)], 0), dtype="Int64")
        chosen[pos < 0] = pd.NA
        out["survey_year"] = chosen
    measured = np.zeros(len(out))
    has_survey = np.ones(len(out), dtype=bool) if every.isna().all() else out["survey_year"].notna().to_numpy()
    for year in (pd.unique(out["survey_year"].dropna()) if every.notna().any() else [None]):
        rows = np.flatnonzero(has_survey if year is None
                              else (out["survey_year"] == year).fillna(False).to_numpy(dtype=bool))
        part = farm if year is None else farm[years == year]
        bi, _, ha = _share_inside(part, out.geometry.to_numpy()[rows])
        measured[rows] = np.bincount(bi, weights=ha, minlength=len(rows))
    out["survey_farmland_ha"] = np.where(has_survey, measured.round(_DIGITS), np.nan)
    for i in np.flatnonzero(~has_survey):
        bid = out["batch_id"].iloc[i]
        problems.append(Problem(
            "batches", str(bid), "farmland_ha", "warning",
            f"批次 {bid}（{approval_year.iloc[i]} 年批准）没有批准前年份的地类图斑，未做地类不实核查",
            f"batch {bid} (approved {approval_year.iloc[i]}) has no survey of a year before its approval; "
            "its land class was not checked",
        ))
    return _judge(out, tolerance_ha, fee_rate_wan_per_ha), problems


def _judge(out: gpd.GeoDataFrame, tolerance_ha: float, fee_rate: float) -> gpd.GeoDataFrame:
    short = (out["survey_farmland_ha"] - out["declared_ha"]).round(_DIGITS)
    out["shortfall_ha"] = short.clip(lower=0.0)
    out["false_class"] = (short > tolerance_ha).fillna(False).astype(bool)
    out["fee_wan"] = np.where(out["false_class"], (out["shortfall_ha"] * fee_rate).round(_DIGITS), 0.0)
    return out


# --- the land class on site, for 增存挂钩 -----------------------------------------------------
def survey_year_for(survey: pd.DataFrame, year: int) -> int | None:
    """The latest survey year not after ``year`` (None when the survey has no such year or no years)."""
    years = survey["year"] if "year" in survey else pd.Series(pd.NA, index=survey.index)
    known = years.dropna()
    known = known[known <= year]
    return int(known.max()) if not known.empty else None


def survey_built_share(parts: gpd.GeoSeries, survey: gpd.GeoDataFrame, built_up: tuple[str, ...],
                       year: int | None = None) -> pd.Series:
    """Built-up share of each part by the land survey: what the 地类图斑 say stands there.

    The share is the plane area of the survey polygons whose ``dlbm`` starts
    with a ``built_up`` prefix inside the part, over the plane area of all the
    survey polygons inside it (the part the survey covers). A share of plane
    areas needs no delivered area: both sides are measured alike.

    Parameters
    ----------
    parts : geopandas.GeoSeries
        The geometries measured (e.g. batches' unsupplied parts), by id.
    survey : geopandas.GeoDataFrame
        The ``survey`` layer (``dlbm``, ``year``, geometry).
    built_up : tuple of str
        DLBM prefixes counted as built up (the rule set's ``landcover.survey_built_up_codes``).
    year : int, optional
        Only the survey polygons of this year (default: every polygon).

    Returns
    -------
    pandas.Series
        On ``parts``' index; NaN where no survey polygon covers the part.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> parts = gpd.GeoSeries([box(0, 0, 100, 100), box(500, 0, 600, 100)], index=["a", "b"])
    >>> survey = gpd.GeoDataFrame({"dlbm": ["0702", "0101"], "year": [2017, 2017]},
    ...                           geometry=[box(0, 0, 25, 100), box(25, 0, 100, 100)])
    >>> survey_built_share(parts, survey, ("07",)).tolist()
    [0.25, nan]
    """
    out = pd.Series(np.nan, index=parts.index, dtype="float64")
    if survey is None or survey.empty or parts.empty:
        return out
    rows = survey.geometry.notna().to_numpy().copy()
    if year is not None and "year" in survey:
        rows &= (survey["year"] == year).fillna(False).to_numpy(dtype=bool)
    geoms = survey.geometry.to_numpy()[rows]
    codes = survey["dlbm"].astype("string").str.strip().to_numpy()[rows]
    shapes = parts.to_numpy()
    if not len(geoms):
        return out
    # A tree on the few parts, queried with the survey: a province's polygons are not indexed.
    tree = shapely.STRtree(shapes)
    gi, pi = tree.query(geoms, predicate="intersects")
    area = shapely.area(shapely.intersection(geoms[gi], shapes[pi]))
    built = pd.Series(codes[gi], dtype="string").str.startswith(tuple(built_up)).fillna(False).to_numpy(dtype=bool)
    covered = np.bincount(pi, weights=area, minlength=len(shapes))
    built_area = np.bincount(pi[built], weights=area[built], minlength=len(shapes))
    share = np.divide(built_area, covered, out=np.full(len(shapes), np.nan), where=covered > 0)
    out[:] = np.round(share, _DIGITS)
    return out


# --- a province's survey, without geometry ----------------------------------------------------
def survey_by_county(path: str | os.PathLike, classes: LandClasses, *, layer: str | None = None
                     ) -> pd.DataFrame:
    """Sum a survey file's delivered areas by county and land-class group, without geometry.

    Reads only the class, area and county columns through pyogrio and Arrow
    (no geometry, no GeoDataFrame), so a province's millions of polygons sum
    in seconds.

    Parameters
    ----------
    path : path-like
        A GeoPackage, FileGDB or shapefile holding the survey.
    classes : LandClasses
        The rule set's land-class table (``rules.classes``).
    layer : str, optional
        The layer inside ``path`` (default: the first one).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``county_code`` (``""`` for polygons with no county code or
        ZLDWDM), one column per group (``farmland``, ``agricultural``,
        ``built_up``, ``other``, ``unknown``) in hectares, and ``farmland_mu``.

    Raises
    ------
    LayerReadError
        When the file cannot be read or holds no DLBM or area field.
    """
    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as err:
        raise LayerReadError(f"无法读取地类图斑 {path}：{err}", f"cannot read the survey {path}: {err}") from err
    mapping, _ = rename_columns(list(info["fields"]), "survey")
    by_name = {v: k for k, v in mapping.items()}
    wanted = [c for c in ("dlbm", "tbdlmj_m2", "tbmj_m2", "kcmj_m2", "county_code", "zldwdm") if c in by_name]
    if "dlbm" not in by_name or not {"tbdlmj_m2", "tbmj_m2"} & set(by_name):
        raise LayerReadError(
            f"{path}：地类图斑缺少 DLBM（地类编码）或 TBDLMJ/TBMJ（面积）字段，无法不读图形汇总",
            f"{path}: the survey lacks DLBM or TBDLMJ/TBMJ; it cannot be summed without geometry",
        )
    _, table = pyogrio.read_arrow(path, layer=layer, columns=[by_name[c] for c in wanted], read_geometry=False)
    table = table.rename_columns([mapping.get(n, n) for n in table.column_names])
    area = _arrow_area(table)
    # A polygon with no county is summed under "" rather than lost.
    county = pc.fill_null(_arrow_county(table), "")
    codes = pc.dictionary_encode(pc.utf8_trim_whitespace(table["dlbm"].cast(pa.string())))
    codes = codes.combine_chunks() if isinstance(codes, pa.ChunkedArray) else codes
    groups = classes.group_of(pd.Series(codes.dictionary.to_pylist(), dtype="string")).to_numpy()
    group = pa.DictionaryArray.from_arrays(codes.indices, pa.array(groups.astype(str))).cast(pa.string())
    summed = pa.table({"county_code": county, "group": group, "area": area}).group_by(
        ["county_code", "group"]).aggregate([("area", "sum")])
    frame = summed.to_pandas().pivot_table(index="county_code", columns="group", values="area_sum",
                                           aggfunc="sum", fill_value=0.0) / M2_PER_HA
    for g in ("farmland", "agricultural", "built_up", "other", "unknown"):
        if g not in frame:
            frame[g] = 0.0
    frame = frame[["farmland", "agricultural", "built_up", "other", "unknown"]]
    frame.columns.name = None
    frame["farmland_mu"] = frame["farmland"] * MU_PER_HA
    return frame.sort_index()


def _arrow_area(table: pa.Table) -> pa.Array:
    def num(name: str) -> pa.ChunkedArray | None:
        return pc.cast(table[name], pa.float64()) if name in table.column_names else None

    tbdlmj, tbmj, kcmj = num("tbdlmj_m2"), num("tbmj_m2"), num("kcmj_m2")
    alt = None
    if tbmj is not None:
        alt = pc.subtract(tbmj, pc.fill_null(kcmj, 0.0)) if kcmj is not None else tbmj
    if tbdlmj is None:
        return alt
    return pc.coalesce(tbdlmj, alt) if alt is not None else tbdlmj


def _arrow_county(table: pa.Table) -> pa.Array:
    candidates = [pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(table[c].cast(pa.string())), 0, 6)
                  for c in ("county_code", "zldwdm") if c in table.column_names]
    if not candidates:
        return pa.nulls(table.num_rows, pa.string())
    return pc.coalesce(*candidates) if len(candidates) > 1 else candidates[0]
