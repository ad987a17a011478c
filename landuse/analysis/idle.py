r"""Idle land: the task list and its disposal rate; suspected idle parcels (Order 53).

The idle layer is the task list (闲置土地整改工作台账). A parcel counts as
disposed as of :math:`T` when its 处置方式 is one the rule set counts and its
处置日期 is on or before :math:`T`:

.. math:: \text{rate} = \frac{\sum_{i\ \text{disposed by}\ T} a_i}{\sum_i a_i}

Suspected idle parcels follow 闲置土地处置办法 (国土资源部令第53号), article 2:
a supplied parcel not started one year after its agreed start date; or
started, with less than a third of its area developed or less than a quarter
of its investment made, one year after. The idle years count from the agreed
start date. Enterprise cause: a fee of 20 % of the land price after one
year, recovery without compensation after two (article 14); government
cause: the measures of article 12.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse._arrays import member, reindexed
from landuse.analysis.supply import _ts, county_rates
from landuse.model.workspace import Workspace
from landuse.rules.model import RuleSet

__all__ = [
    "PATROL_STATUS",
    "county_idle_disposal",
    "idle_ledger",
    "parcel_status",
]

_DAYS_PER_YEAR = 365.25

#: The national patrol system's words for a parcel's state, with English glosses.
PATROL_STATUS = {
    "正常使用": "in normal use",
    "逾期开工": "start overdue",
    "逾期竣工": "completion overdue",
    "疑似闲置": "suspected idle",
    "疑似低效": "suspected inefficient",
    "闲置土地": "idle land",
    "低效土地": "inefficient land",
}

_GOVERNMENT_MEASURES = "协议有偿收回 / 置换土地 / 延长动工开发期限 / 调整土地用途或规划条件 / 安排临时使用"
_GOVERNMENT_MEASURES_EN = (
    "paid recovery by agreement / swap / extend the start deadline / change use or planning "
    "conditions / temporary use"
)


def disposed_mask(idle: pd.DataFrame, rules: RuleSet, as_of: dt.date | str | pd.Timestamp) -> pd.Series:
    """True for task-list parcels disposed of, by a counted method, on or before ``as_of``."""
    counted = idle["disposal"].isin(rules.idle.disposal_methods)
    return counted & (idle["disposal_date"] <= _ts(as_of))


def county_idle_disposal(
    idle: pd.DataFrame, rules: RuleSet, as_of: dt.date | str | pd.Timestamp
) -> pd.DataFrame:
    r"""Idle-land disposal rate per county as of a date.

    .. math:: \text{rate} = \frac{\text{area disposed by } T}{\text{area on the task list}}

    Returns
    -------
    pandas.DataFrame
        Indexed by ``county_code``: ``done_ha``, ``base_ha``, ``rate`` (NaN
        where a county has no idle parcel: no task).
    """
    done = idle["area_ha"].where(disposed_mask(idle, rules, as_of), 0.0)
    return county_rates(idle["county_code"], done, idle["area_ha"])


def _fmt(values: pd.Series, spec: str) -> pd.Series:
    """Format numbers as text (string dtype even when empty)."""
    return values.map(spec.format).astype("string")


def _years(later: pd.Series | pd.Timestamp, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.days / _DAYS_PER_YEAR


def _after(start: pd.Series, years: float, t: pd.Timestamp) -> pd.Series:
    """True where ``t`` is at least ``years`` after ``start`` on the calendar (满一年: same day)."""
    months = round(years * 12)
    return (start + pd.DateOffset(months=months)) <= t


def _measures(cause: pd.Series, start: pd.Series, t: pd.Timestamp, price: pd.Series,
              rules: RuleSet) -> pd.DataFrame:
    """Recommended measure and idle fee (万元) by cause and how long idle since ``start`` (Order 53)."""
    ir = rules.idle
    enterprise = cause.isin(ir.enterprise_causes)
    government = cause.isin(ir.government_causes)
    recover = enterprise & _after(start, ir.recover_after_years, t)
    fee = enterprise & _after(start, ir.fee_after_years, t) & ~recover
    measure = pd.Series(pd.NA, index=cause.index, dtype="string")
    measure_en = pd.Series(pd.NA, index=cause.index, dtype="string")
    measure[recover], measure_en[recover] = "无偿收回", "recover without compensation"
    measure[fee], measure_en[fee] = "征缴土地闲置费", "collect the idle-land fee"
    early = enterprise & ~recover & ~fee
    measure[early], measure_en[early] = "督促动工开发", "urge the start of construction"
    measure[government], measure_en[government] = _GOVERNMENT_MEASURES, _GOVERNMENT_MEASURES_EN
    unknown = ~enterprise & ~government
    measure[unknown], measure_en[unknown] = "调查认定闲置原因", "investigate and determine the cause"
    fee_wan = (price * ir.fee_rate).where(fee)
    return pd.DataFrame({"measure": measure, "measure_en": measure_en, "idle_fee_wan": fee_wan})


def idle_ledger(
    workspace: Workspace, rules: RuleSet, as_of: dt.date | str | pd.Timestamp
) -> gpd.GeoDataFrame:
    """The idle-land task list as of a date, with status, idle years and measure.

    Parameters
    ----------
    workspace : Workspace
    rules : RuleSet
    as_of : date

    Returns
    -------
    geopandas.GeoDataFrame
        The idle layer's columns, plus ``disposed`` (by a counted method,
        dated on or before ``as_of``), ``status`` (``disposed`` |
        ``undisposed``), ``idle_years`` (from the agreed start date, else one
        year before identification), ``measure`` / ``measure_en`` (for the
        undisposed) and ``idle_fee_wan`` (enterprise cause, idle one to two
        years: the fee rate times the land price).
    """
    t = _ts(as_of)
    idle = workspace.idle.copy()
    supplies = workspace.supplies
    if not supplies.empty:
        # Attributes the ledger lacks come from its supply parcel (found once for all four).
        cols = ["agreed_start", "land_price_wan", "project_name", "holder"]
        via = reindexed(supplies[cols].set_axis(supplies["parcel_id"].to_numpy()), idle["parcel_id"])
        for col in cols:
            idle[col] = idle[col].fillna(pd.Series(via[col].to_numpy(), index=idle.index, dtype=idle[col].dtype))
    idle["disposed"] = disposed_mask(idle, rules, t)
    idle["status"] = np.where(idle["disposed"], "disposed", "undisposed")
    # Idle time counts from the agreed start; without one, identification is taken to be
    # the moment the parcel had been idle the first qualifying year.
    months = round(rules.idle.not_started_years * 12)
    start = idle["agreed_start"].fillna(idle["identified_date"] - pd.DateOffset(months=months))
    idle["idle_years"] = _years(t, start).clip(lower=0.0).round(2)
    measures = _measures(idle["cause"], start, t, idle["land_price_wan"], rules)
    for col in measures:
        idle[col] = measures[col].where(~idle["disposed"])
    return idle


def parcel_status(
    workspace: Workspace,
    rules: RuleSet,
    as_of: dt.date | str | pd.Timestamp,
    *,
    built_share: pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Classify each supplied parcel as the national patrol system does.

    Parameters
    ----------
    workspace : Workspace
    rules : RuleSet
    as_of : date
    built_share : pandas.Series, optional
        Built-up share of each parcel from the land-cover raster, on the
        supplies' index; used for the developed share where no
        ``developed_ha`` attribute says it.

    Returns
    -------
    geopandas.GeoDataFrame
        The supplies dated on or before ``as_of`` with ``started``,
        ``developed_share`` and its ``developed_basis`` (``attribute`` |
        ``raster`` | ``field_check``), ``invested_share``, ``years_since_start``
        (from the agreed start), ``suspected_idle`` (Order 53, article 2),
        ``idle_reason`` / ``idle_reason_en`` and ``status`` (正常使用,
        逾期开工, 逾期竣工, 疑似闲置, 闲置土地).
    """
    t = _ts(as_of)
    ir = rules.idle
    sup = workspace.supplies[workspace.supplies["supply_date"] <= t].copy()
    started = sup["actual_start"].notna() & (sup["actual_start"] <= t)
    developed = sup["developed_ha"] / sup["area_ha"]
    basis = pd.Series(np.where(developed.notna(), "attribute", "field_check"), index=sup.index)
    if built_share is not None:
        from_raster = developed.isna() & built_share.reindex(sup.index).notna()
        developed = developed.fillna(built_share.reindex(sup.index))
        basis[from_raster] = "raster"
    invested = sup["invested_wan"] / sup["total_investment_wan"]
    years = _years(t, sup["agreed_start"])
    due = _after(sup["agreed_start"], ir.not_started_years, t)
    not_started = due & ~started
    low_developed = developed < ir.developed_share_min
    low_invested = invested < ir.investment_share_min
    under = due & started & (low_developed | low_invested)
    sup["started"] = started
    sup["developed_share"] = developed.round(4)
    sup["developed_basis"] = basis
    sup["invested_share"] = invested.round(4)
    sup["years_since_start"] = years.round(2)
    sup["suspected_idle"] = not_started | under
    # Texts are filled in numpy object arrays and made Arrow text once: assigning by mask into
    # an Arrow-backed Series rebuilds the column each time.
    reason = np.full(len(sup), None, dtype=object)
    reason_en = np.full(len(sup), None, dtype=object)

    def put(target: np.ndarray, mask: pd.Series, text: pd.Series) -> None:
        target[mask.to_numpy(dtype=bool)] = text.to_numpy(dtype=object, na_value=None)

    put(reason, not_started, "超过约定动工日期满" + _fmt(years[not_started], "{:.1f}") + "年未动工开发")
    put(reason_en, not_started, "not started " + _fmt(years[not_started], "{:.1f}") + " years after the agreed start")
    under_dev = under & low_developed
    # The thresholds come from the rule set (Order 53: one third, 25 %), never from here.
    # Measured values and thresholds to one decimal: 33.04 % is "33.0% 不足 33.3%", not "33% 不足 33%".
    dev_min, inv_min = f"{ir.developed_share_min:.1%}", f"{ir.investment_share_min:.1%}"
    put(reason, under_dev, "已动工但开发面积占比 " + _fmt(developed[under_dev], "{:.1%}") + f" 不足 {dev_min}")
    put(reason_en, under_dev, "started, but only " + _fmt(developed[under_dev], "{:.1%}")
        + f" of the area developed (under {dev_min})")
    under_inv = under & ~low_developed & low_invested
    put(reason, under_inv, "已动工但已投资额占比 " + _fmt(invested[under_inv], "{:.1%}") + f" 不足 {inv_min}")
    put(reason_en, under_inv, "started, but only " + _fmt(invested[under_inv], "{:.1%}")
        + f" of the investment made (under {inv_min})")
    sup["idle_reason"] = pd.Series(reason, index=sup.index, dtype="string")
    sup["idle_reason_en"] = pd.Series(reason_en, index=sup.index, dtype="string")
    listed = member(sup["parcel_id"],
        workspace.idle.loc[~disposed_mask(workspace.idle, rules, t), "parcel_id"].dropna()
    )
    status = np.full(len(sup), "正常使用", dtype=object)
    overdue_completion = sup["agreed_completion"].notna() & (sup["agreed_completion"] < t) & (
        sup["actual_completion"].isna() | (sup["actual_completion"] > t)
    )
    status[overdue_completion.to_numpy(dtype=bool)] = "逾期竣工"
    status[(~started & sup["agreed_start"].notna() & (sup["agreed_start"] < t)).to_numpy(dtype=bool)] = "逾期开工"
    status[sup["suspected_idle"].to_numpy(dtype=bool)] = "疑似闲置"
    status[listed] = "闲置土地"
    status = pd.Series(status, index=sup.index, dtype="string")
    sup["status"] = status
    return sup
