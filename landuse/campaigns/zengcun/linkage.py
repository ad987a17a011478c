r"""The 增存挂钩 linkage: the judge's verdict turned into plans, suspension, treatments and ranks.

From 驻政办〔2018〕163号 §1: a county that completes every deciding task on
time gets next year's plan at the factor-method result times the award
multiplier (×1.10); one that misses any is cut (×0.80) and its new
construction land applications are suspended, except the exempt project
kinds (§1.3), until the tasks are done and a resumption is confirmed. Scale
indicators (§1.2) and development zones (§1.4) favour counties with little
stock that complete their tasks and cut those with much stock that do not.
Counties are ranked by the combined disposal rate

.. math::

    \frac{\sum (U_b(T_0) - U_b(T)) + \sum_{\text{disposed}} a_i}
         {\sum U_b(T_0) + \sum a_i}

top ones commended, bottom ones criticised (§4.3). The comparison of each
task with its target, the combination of the deciding tasks into award or
penalty, the multiplier, the suspension and the ranking are the generic
judge's (:mod:`landuse.verdict`); this module adds what only this notice has.
Every figure comes from the :class:`~landuse.rules.model.RuleSet`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from landuse import verdict
from landuse.model.schema import Problem
from landuse.rules.model import RuleSet

__all__ = ["judge_counties", "resumed_while_short"]


def judge_counties(
    results: list[verdict.TaskResult],
    rules: RuleSet,
    as_of: dt.date,
    *,
    counties: pd.DataFrame,
    plan_base: pd.Series,
    stock_ha: pd.Series,
    combined: pd.Series,
    reached_now: pd.DataFrame | None = None,
    resumed_on: pd.Series | None = None,
    undetermined: pd.Index | None = None,
    rank_by: pd.Series | None = None,
) -> pd.DataFrame:
    """Decide each county's outcome, plan, suspension, treatment and rank.

    Parameters
    ----------
    results : list of TaskResult
        Every task of the rule set, judged by :func:`landuse.verdict.judge_task`.
    rules : RuleSet
    as_of : date
    counties : pandas.DataFrame
        ``county_code`` and ``county_name``.
    plan_base : pandas.Series
        Factor-method plan (ha) for the plan year, by county.
    stock_ha : pandas.Series
        Unsupplied plus undisposed idle hectares as of ``as_of``, by county.
    combined : pandas.Series
        Combined disposal rate by county (NaN: nothing to dispose of).
    reached_now : pandas.DataFrame, optional
        By county, one boolean column per deciding task whose deadline has
        passed: its target reached as of ``as_of`` itself. A suspended county
        that has reached every task it missed ``may_resume`` (可申请恢复受理).
    resumed_on : pandas.Series, optional
        The confirmed resumption date by county (on or before ``as_of``): the
        county is no longer suspended.
    undetermined : pandas.Index, optional
        Counties whose input lost rows to errors: outcome ``undetermined``,
        ``data_complete`` false, no multiplier, plan, suspension, treatment
        or rank (the others are ranked among themselves).
    rank_by : pandas.Series, optional
        The rate ranked by (``rules.ranking.measure``); default ``combined``.

    Returns
    -------
    pandas.DataFrame
        One row per county in the column order of ``counties.csv``.
    """
    codes = pd.Index(counties["county_code"], name="county_code")
    out = pd.DataFrame({"county_code": codes, "county_name": counties["county_name"].to_numpy()}, index=codes)
    deciding = set(rules.award.deciding)
    milestone_missed = pd.Series(False, index=codes)
    for res in results:
        f = res.frame.reindex(codes)
        tid = res.task.id
        out[f"{tid}_rate"] = f["rate"]
        out[f"{tid}_target"] = res.task.target
        out[f"{tid}_met"] = f["met"]
        out[f"{tid}_gap_ha"] = f["gap_ha"]
        if tid not in deciding and res.task.milestone:
            milestone_missed |= (f["met"] == False).fillna(False)  # noqa: E712 (nullable bool)
    judged = verdict.combine(results, codes, deciding=deciding, met_multiplier=rules.award.met_multiplier,
                             missed_multiplier=rules.award.missed_multiplier,
                             suspend_on_missed=rules.suspension.on_missed, undetermined=undetermined)
    v = judged.frame
    unknown, award = ~v["data_complete"], v["award"]
    out["tasks_met"] = v["tasks_met"]
    out["outcome"] = v["outcome"]
    base = plan_base.reindex(codes)
    out["plan_base_ha"] = base
    out["plan_next_ha"] = base * v["multiplier"]
    out["suspended"] = v["suspended"]
    out["combined_disposal_rate"] = combined.reindex(codes)
    ranking_rate = out["combined_disposal_rate"] if rank_by is None else rank_by.reindex(codes)
    ranks = verdict.rank_counties(ranking_rate.where(~unknown), rules)
    out["rank"] = ranks["rank"]
    out["ranking"] = ranks["ranking"]
    # Extra columns after the notice's: finality, milestone warning, treatments.
    out["outcome_final"] = v["final"]
    out["data_complete"] = v["data_complete"]
    out["milestone_missed"] = milestone_missed
    out["plan_multiplier"] = v["multiplier"]
    stock = stock_ha.reindex(codes).fillna(0.0)
    out["stock_ha"] = stock
    tr = rules.treatment
    little = stock <= stock.quantile(tr.little_stock_quantile) if len(stock) else stock.astype(bool)
    out["little_stock"] = little
    favoured, cut = little & award & ~unknown, ~little & ~award & ~unknown
    out["scale_treatment"] = np.select([favoured, cut], [tr.scale_favoured, tr.scale_cut], "")
    out["devzone_treatment"] = np.select([favoured, cut], [tr.devzone_supported, tr.devzone_suspended], "")
    # Resumption (§1.3 "整改任务完成并经申请确认后，可恢复受理").
    resumed = (resumed_on if resumed_on is not None else pd.Series(dtype="datetime64[ns]")).reindex(codes)
    resumed = pd.to_datetime(resumed)
    was_suspended = out["suspended"].astype(bool)
    out["resumed_on"] = resumed.where(was_suspended)
    out["suspended"] = was_suspended & resumed.isna()
    out["may_resume"] = out["suspended"] & _fixed(judged.met, reached_now, codes)
    out["ranking_measure"] = rules.ranking.measure
    out["ranking_rate"] = ranking_rate.astype("float64")
    # DESIGN "Assessed units": which kind of unit each row is (县区 or 功能区) and, for a zone,
    # the county it is carved from.
    kind = counties["unit_kind"] if "unit_kind" in counties else pd.Series(pd.NA, index=counties.index)
    out["unit_kind"] = kind.astype("string").fillna("县区").to_numpy()
    parent = counties["parent_code"] if "parent_code" in counties else pd.Series(pd.NA, index=counties.index)
    out["parent_code"] = parent.astype("string").where(out["unit_kind"].to_numpy() == "功能区").to_numpy()
    return out.reset_index(drop=True)


def _fixed(met: pd.DataFrame, reached_now: pd.DataFrame | None, codes: pd.Index) -> pd.Series:
    """Counties that missed a deciding task and have reached every one they missed as of the date."""
    fixed = pd.Series(False, index=codes)
    if reached_now is None or not len(reached_now.columns) or not len(met.columns):
        return fixed
    now = reached_now.reindex(codes).fillna(False).astype(bool)
    missed_by_task = pd.DataFrame({tid: (m == False).fillna(False).astype(bool)  # noqa: E712
                                   for tid, m in met.items()}, index=codes)
    # A task missed at its deadline and not measured again (deadline not passed) cannot be fixed.
    unfixed = pd.Series(False, index=codes)
    for tid in missed_by_task.columns:
        reached = now[tid] if tid in now.columns else pd.Series(False, index=codes)
        unfixed |= missed_by_task[tid] & ~reached
    return missed_by_task.any(axis=1) & ~unfixed


def resumed_while_short(counties: pd.DataFrame, rules: RuleSet, reached_now: pd.DataFrame | None
                        ) -> list[Problem]:
    """A warning for each county whose resumption is confirmed while the data says it is still short.

    §1.3 resumes applications "整改任务完成并经申请确认后": a confirmed resumption
    (the ``resumptions`` table) is taken as the city's word and ends the suspension,
    but a county that has not reached, as of the date, every deciding task it missed
    is named, so the record or the data can be checked.

    Parameters
    ----------
    counties : pandas.DataFrame
        As :func:`judge_counties` returns it.
    rules : RuleSet
    reached_now : pandas.DataFrame, optional
        As for :func:`judge_counties`.

    Returns
    -------
    list of Problem
        Warnings on the ``resumptions`` layer, one per such county.
    """
    if "resumed_on" not in counties or counties["resumed_on"].isna().all():
        return []
    c = counties.set_index("county_code")
    codes = pd.Index(c.index, name="county_code")
    met = pd.DataFrame({tid: c[f"{tid}_met"] for tid in rules.award.deciding if f"{tid}_met" in c}, index=codes)
    fixed = _fixed(met, reached_now, codes)
    out = []
    for code in c.index[c["resumed_on"].notna().to_numpy() & ~fixed.to_numpy(dtype=bool)]:
        day = pd.Timestamp(c.at[code, "resumed_on"])
        name = c.at[code, "county_name"]
        out.append(Problem(
            "resumptions", None, "date", "warning",
            f"{name}（{code}）已于 {day:%Y-%m-%d} 确认恢复受理，但按数据，其未完成的任务至今仍未达标：请核对恢复受理记录或数据",
            f"{code} {name}: resumption confirmed on {day:%Y-%m-%d}, yet by the data the tasks it missed are "
            "still short: check the resumption record or the data",
            county_code=str(code),
        ))
    return out
