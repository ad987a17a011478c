"""The two-year rule: approvals that lapse, are withdrawn or are reduced.

From 驻政办〔2018〕163号 §2(1)1, after 自然资规〔2018〕1号: an approval by the
State Council or the province

* lapses automatically (失效) two years after approval, read per approval
  kind (the batch's 审批类型, else ``approvals.default_kind``): a farmland
  conversion when unused (nothing supplied); an expropriation when its
  compensation plan is not implemented; a batch approving both when nothing
  is supplied and compensation is not implemented;
* with compensation implemented (even partly), nothing supplied and the land
  class on site unchanged, is withdrawn (撤回);
* by the province, partly supplied, the rest unsupplied with its land class
  unchanged, is reduced (核减) by the rest.

A batch with nothing supplied whose unsupplied land is built up on site
(built-up share above ``landcover.used_before_supply_min_built_share``) is
used before supply (未供先用, phase 2 of the notice: "分类处理"): it gets its
own list and never lapses or is withdrawn.

The planning scale, annual plan and farmland-balance indicators of what
lapses, is withdrawn or reduced return to the county: the candidate's area
is the indicator returned.

"Land class unchanged" comes from the land survey when the workspace has
one (三调 / 年度变更调查 地类图斑: the built-up share of the unsupplied part
by ``landcover.survey_built_up_codes``, basis ``survey``), else from the
land-cover raster (basis ``raster``) — in both the built-up share at most the
rule set's threshold — else from a ``site_unchanged`` attribute; where none
says, the candidate needs a field check. 未供先用 reads the same share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse._arrays import member, polygonal, reindexed, take_away
from landuse.analysis.supply import EPS_HA, SupplyLinks, _ts
from landuse.rules.model import RuleSet

__all__ = ["CANDIDATE_COLUMNS", "approval_candidates", "unsupplied_parts"]

#: Columns of the candidates table, shared by approval and suspected-idle candidates.
CANDIDATE_COLUMNS = [
    "kind", "kind_label", "county_code", "batch_id", "parcel_id", "area_ha", "supplied_ha", "years",
    "idle_years", "approval_date", "approver", "compensation", "approval_kind", "cause", "reason", "reason_en", "basis",
    "built_share", "developed_share", "invested_share", "needs_field_check", "measure", "measure_en",
    "idle_fee_wan", "land_price_wan", "indicator_return_ha", "indicator_scale_ha", "indicator_plan_ha",
    "indicator_balance_ha", "indicator_balance_to", "holder", "project_name", "geometry",
]


def candidates_frame(frame: pd.DataFrame | None, crs: object) -> gpd.GeoDataFrame:
    """Return ``frame`` with exactly :data:`CANDIDATE_COLUMNS` (empty when None)."""
    if frame is None or frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in CANDIDATE_COLUMNS})
        frame["geometry"] = gpd.GeoSeries([], crs=crs)
    out = pd.DataFrame(frame).reindex(columns=CANDIDATE_COLUMNS)
    out["approval_date"] = pd.to_datetime(out["approval_date"]).astype("datetime64[ns]")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)

#: Smallest unsupplied area (ha) worth a candidate: 100 m², below any parcel.
MIN_CANDIDATE_HA = 0.01

KIND_LABELS = {
    "lapse": ("失效", "lapse"),
    "withdraw": ("撤回", "withdraw"),
    "reduce": ("批次核减", "reduce"),
    "used_before_supply": ("未供先用", "used before supply"),
    "suspected_idle": ("疑似闲置", "suspected idle"),
}


def unsupplied_parts(
    batches: gpd.GeoDataFrame, links: SupplyLinks, as_of: dt.date | str | pd.Timestamp
) -> gpd.GeoSeries:
    """Return each batch's outline less the supply parcels dated on or before ``as_of``
    (taken away parcel rank by parcel rank: :func:`landuse._arrays.take_away`)."""
    out = batches.set_index("batch_id").geometry.copy()
    pieces = links.pieces
    pieces = pieces[(pieces["supply_date"] <= _ts(as_of)).to_numpy() & member(pieces["batch_id"], out.index)]
    if pieces.empty:
        return out
    values = take_away(out.to_numpy(), out.index.get_indexer(pieces["batch_id"]), pieces.geometry.to_numpy())
    # A remainder is land: slivers of line or point the cutting may leave are dropped.
    return gpd.GeoSeries(polygonal(values), index=out.index, crs=out.crs)


def eligible_batches(
    batches: gpd.GeoDataFrame, ledger: pd.DataFrame, rules: RuleSet, as_of: dt.date | str | pd.Timestamp
) -> pd.Index:
    """Batch ids the two-year rule may apply to: approved by a listed approver more than
    ``lapse_years`` before ``as_of``, with unsupplied area left."""
    t = _ts(as_of)
    ar = rules.approvals
    b = batches.set_index("batch_id")
    unsupplied = reindexed(ledger[f"U@{t:%Y-%m-%d}"], b.index).fillna(0.0)
    old = (b["approval_date"] + pd.DateOffset(months=round(ar.lapse_years * 12))) < t
    return b.index[b["approver"].isin(ar.approvers) & old & (unsupplied > MIN_CANDIDATE_HA)]


def approval_candidates(
    batches: gpd.GeoDataFrame,
    ledger: pd.DataFrame,
    rules: RuleSet,
    as_of: dt.date | str | pd.Timestamp,
    *,
    remainder: gpd.GeoSeries | Callable[[pd.Index], gpd.GeoSeries] | None,
    left_on_ground: pd.Series,
    built_share: pd.Series | None = None,
    share_basis: pd.Series | None = None,
    survey_year: int | None = None,
) -> gpd.GeoDataFrame:
    """Find the batches the two-year rule applies to.

    Parameters
    ----------
    batches : geopandas.GeoDataFrame
        The workspace's batches.
    ledger : pandas.DataFrame
        From :func:`landuse.analysis.supply.batch_ledger`, measured at ``as_of``.
    rules : RuleSet
    as_of : date
    remainder : geopandas.GeoSeries or callable or None
        The unsupplied part of each batch (by ``batch_id``), or a function
        that cuts it for the given batch ids (called for the candidates only);
        None leaves the candidates without geometry.
    left_on_ground : pandas.Series
        Unsupplied hectares on the ground (outline less supplied parcels), by
        ``batch_id``.
    built_share : pandas.Series, optional
        Built-up share of each remainder, from the survey or the land-cover raster.
    share_basis : pandas.Series, optional
        Where each share comes from (``survey`` | ``raster``), by ``batch_id``;
        default ``raster`` for every share.
    survey_year : int, optional
        The survey year the ``survey`` shares were read from (named in the reasons).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per candidate: ``kind`` (``lapse`` | ``withdraw`` |
        ``reduce``), ``batch_id``, ``county_code``, ``area_ha`` (the
        unsupplied area, also the indicator returned), ``reason`` /
        ``reason_en``, ``basis`` (``survey`` | ``raster`` | ``attribute`` |
        ``field_check``), ``built_share``, ``needs_field_check`` and the
        remainder's geometry.
    """
    t = _ts(as_of)
    key = f"{t:%Y-%m-%d}"
    ar = rules.approvals
    b = batches.set_index("batch_id")
    supplied = reindexed(ledger[f"S@{key}"], b.index).fillna(0.0)
    unsupplied = reindexed(ledger[f"U@{key}"], b.index).fillna(0.0)
    # An unsupplied remainder under 100 m² on the ground is a gap between the attribute
    # area and the outline, not land to return.
    left_on_ground = reindexed(left_on_ground, b.index)
    eligible = pd.Series(member(b.index, eligible_batches(batches, ledger, rules, t)), index=b.index) & (
        left_on_ground.fillna(0.0) > MIN_CANDIDATE_HA)
    nothing = supplied <= EPS_HA

    share = built_share.reindex(b.index) if built_share is not None else pd.Series(np.nan, index=b.index)
    attr = b["site_unchanged"] if "site_unchanged" in b.columns else pd.Series(pd.NA, index=b.index)
    limit = rules.landcover.unchanged_max_built_share
    unchanged = pd.Series(pd.NA, index=b.index, dtype="boolean")
    unchanged[share.notna()] = (share[share.notna()] <= limit).to_numpy()
    source = (share_basis.reindex(b.index).astype("object") if share_basis is not None
              else pd.Series(np.nan, index=b.index, dtype="object")).fillna("raster")
    basis = pd.Series(np.where(share.notna(), source, "field_check"), index=b.index)
    use_attr = share.isna() & attr.notna()
    unchanged[use_attr] = attr[use_attr].astype("boolean")
    basis[use_attr] = "attribute"

    comp = b["compensation"]
    years = ((t - b["approval_date"]).dt.days / 365.25).round(1)
    # 未供先用 (phase 2: "对未供先用违法用地导致批而未供的，要实施分类处理"): built up on site with
    # nothing supplied is land in use, not an approval to lapse or withdraw.
    used = eligible & nothing & (share > rules.landcover.used_before_supply_min_built_share).fillna(False)
    kind_col = b["approval_kind"] if "approval_kind" in b.columns else pd.Series(pd.NA, index=b.index)
    approval_kind = kind_col.astype("string").fillna(ar.default_kind)
    conversion = (approval_kind == "农用地转用").to_numpy()
    not_compensated = ((comp == "未实施") | comp.isna()).fillna(False)
    # The lapse clause per approval kind: a conversion lapses unused; an expropriation with
    # its compensation plan not implemented; a batch approving both when both hold.
    lapse = eligible & nothing & ~used & (conversion | not_compensated)
    withdraw = (eligible & nothing & ~used & ~conversion & comp.isin(["部分实施", "已实施"])
                & unchanged.fillna(True))
    reduce = eligible & ~nothing & b["approver"].isin(ar.reduce_approvers) & unchanged.fillna(True)

    rows = []
    for kind, mask in (("lapse", lapse), ("withdraw", withdraw), ("reduce", reduce),
                       ("used_before_supply", used)):
        if not mask.any():
            continue
        sel = b[mask]
        frame = pd.DataFrame({
            "kind": kind,
            "kind_label": KIND_LABELS[kind][0],
            "batch_id": sel.index.astype("string"),
            "parcel_id": pd.Series(pd.NA, index=sel.index, dtype="string"),
            "county_code": sel["county_code"],
            "area_ha": unsupplied[mask],
            "supplied_ha": supplied[mask],
            "approval_date": sel["approval_date"],
            "approver": sel["approver"],
            "compensation": sel["compensation"],
            "approval_kind": approval_kind[mask],
            "years": years[mask],
            "basis": basis[mask] if kind != "lapse" else "attribute",
            "built_share": share[mask].round(4),
        }, index=sel.index)
        if kind == "lapse":
            frame["needs_field_check"] = (sel["compensation"].isna().to_numpy()
                                          & (frame["approval_kind"] != "农用地转用").to_numpy())
        elif kind == "used_before_supply":
            frame["needs_field_check"] = True  # what stands there, and may it be regularised?
        else:
            frame["needs_field_check"] = unchanged[mask].isna().to_numpy()
        frame["reason"], frame["reason_en"] = _reasons(kind, frame, limit, survey_year, basis[mask])
        rows.append(frame)
    if not rows:
        return candidates_frame(None, batches.crs)
    out = pd.concat(rows, ignore_index=True)
    if remainder is None:
        out["geometry"] = None
    else:
        parts = remainder(pd.Index(out["batch_id"].unique())) if callable(remainder) else remainder
        out["geometry"] = reindexed(parts, out["batch_id"]).to_numpy()
    # Nothing returns from land in use: 未供先用 is put right, not revoked.
    out["indicator_return_ha"] = out["area_ha"].where(out["kind"] != "used_before_supply", 0.0)
    _indicators_by_kind(out, b)
    return candidates_frame(out, batches.crs)


def _indicators_by_kind(out: pd.DataFrame, b: pd.DataFrame) -> None:
    """Split the returned indicators by kind (§2(1)2 "统筹使用相关指标税费"), in place.

    The construction-land scale (规模指标) goes back to the county and the annual plan
    indicator (计划指标) under plan management, both for the whole returned area; the
    farmland-balance indicator (耕地占补平衡指标) in proportion to the batch's
    ``balance_ha`` (empty when the batch does not say), to the county's reserve, or to
    the buyer's reserve where it was bought elsewhere ("指标退回购买单位储备库").
    """
    ret = out["indicator_return_ha"].astype("float64")
    out["indicator_scale_ha"] = ret
    out["indicator_plan_ha"] = ret
    ids = pd.Index(out["batch_id"].astype("string"))

    def col(name: str) -> pd.Series:
        if name not in b.columns:
            return pd.Series(pd.NA, index=range(len(out)), dtype="object")
        return pd.Series(reindexed(b[name], ids).to_numpy(), index=out.index)

    approved = pd.to_numeric(col("approved_ha"), errors="coerce").astype("float64")
    balance = pd.to_numeric(col("balance_ha"), errors="coerce").astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["indicator_balance_ha"] = (balance * ret / approved).where(approved > 0).round(4)
    source = col("balance_source").astype("string")
    buyer = col("balance_buyer").astype("string")
    bought = (source == "异地购买").fillna(False)
    to = pd.Series(np.where(bought, "购买单位储备库", "所在县区储备库"), index=out.index, dtype="string")
    named = bought & buyer.notna()
    to[named] = "购买单位储备库（" + buyer[named] + "）"
    out["indicator_balance_to"] = to.where(out["indicator_balance_ha"].notna() | bought)


def _reasons(kind: str, frame: pd.DataFrame, limit: float, survey_year: int | None = None,
             basis: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    years = frame["years"].map("{:.1f}".format).astype("string")
    share = frame["built_share"].map(lambda v: "" if pd.isna(v) else f"{v:.0%}").astype("string")
    by_survey = (basis == "survey").to_numpy(dtype=bool) if basis is not None else np.zeros(len(frame), bool)
    when = f"{survey_year} 年度" if survey_year is not None else ""
    when_en = f" of {survey_year}" if survey_year is not None else ""
    site_zh = np.where(frame["built_share"].notna(),
                       np.where(by_survey, f"，国土调查（三调/变更调查{when}）地类图斑建设用地占比 ", "，现场建设用地占比 ")
                       + share, "")
    site_en = np.where(frame["built_share"].notna(),
                       np.where(by_survey, f", built-up share in the land survey (三调{when_en}) ",
                                ", built-up share on site ") + share, "")
    check_zh = np.where(frame["needs_field_check"], "；现场地类需实地核查", "")
    check_en = np.where(frame["needs_field_check"], "; land class on site needs a field check", "")
    if kind == "lapse":
        comp_zh = np.where(frame["compensation"].isna(), "征收补偿实施情况不明（需核实）", "未实施征收补偿安置方案")
        comp_en = np.where(frame["compensation"].isna(), "compensation status unknown (verify)",
                           "compensation plan not implemented")
        ak = frame["approval_kind"].astype("string")
        # Which branch of "两年未用地或未实施征收补偿安置方案的" applied.
        zh = pd.Series(np.select(
            [ak == "农用地转用", ak == "土地征收"],
            ["农用地转用批准已满 " + years + " 年未用地（两年未用地），批准文件自动失效",
             "土地征收批准已满 " + years + " 年" + comp_zh + "（未实施征收补偿安置方案），批准文件自动失效"],
            "农用地转用和土地征收批准已满 " + years + " 年未供地，" + comp_zh
            + "（两年未用地且未实施征收补偿安置方案），批准文件自动失效"), index=frame.index)
        en = pd.Series(np.select(
            [ak == "农用地转用", ak == "土地征收"],
            ["farmland conversion approved " + years + " years ago and unused (two years unused): "
             "the approval lapses",
             "expropriation approved " + years + " years ago, " + comp_en
             + " (compensation not implemented): the approval lapses"],
            "conversion and expropriation approved " + years + " years ago, nothing supplied, " + comp_en
            + " (two years unused and compensation not implemented): the approval lapses"), index=frame.index)
    elif kind == "withdraw":
        zh = "批准已满 " + years + " 年未供地，征收补偿已（部分）实施" + site_zh + "，现场地类与批准前一致，报原批准机关撤回" + check_zh
        en = ("approved " + years + " years ago, nothing supplied, compensation (partly) implemented"
              + site_en + ", land class unchanged: withdraw the approval" + check_en)
    elif kind == "used_before_supply":
        zh = ("批准已满 " + years + " 年未供地" + site_zh
              + "，已建设使用：未供先用，分类处理（符合条件的补办供地手续，违法用地依法查处），不按失效、撤回处理")
        en = ("approved " + years + " years ago, nothing supplied" + site_en
              + ", built on: used before supply, to be handled case by case (regularise the supply where "
              "allowed, otherwise treat as illegal use), not a lapse or withdrawal")
    else:
        zh = ("省政府批准已满 " + years + " 年，部分供地，剩余 " + frame["area_ha"].map("{:.4f}".format).astype("string")
              + " 公顷未供" + site_zh + "，报省政府核减" + check_zh)
        en = ("province approval " + years + " years old, partly supplied, "
              + frame["area_ha"].map("{:.4f}".format).astype("string") + " ha unsupplied" + site_en
              + ": reduce the approval" + check_en)
    return pd.Series(zh, index=frame.index), pd.Series(en, index=frame.index)
