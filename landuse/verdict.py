r"""The linkage: tasks judged, awards and penalties, suspension, treatment, ranking.

From 驻政办〔2018〕163号 §1: a county that completes every deciding task on
time gets next year's plan at the factor-method result times the award
multiplier (×1.10); one that misses any is cut (×0.80) and its new
construction land applications are suspended, except the exempt project
kinds. Scale indicators (§1.2) and development zones (§1.4) favour counties
with little stock that complete their tasks and cut those with much stock
that do not. Counties are ranked by the combined disposal rate

.. math::

    \frac{\sum (U_b(T_0) - U_b(T)) + \sum_{\text{disposed}} a_i}
         {\sum U_b(T_0) + \sum a_i}

top ones commended, bottom ones criticised (§4.3). Every figure comes from
the :class:`~landuse.rules.model.RuleSet`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from landuse.rules.model import RuleSet, Task

__all__ = ["TaskResult", "judge_counties", "judge_task", "rank_counties"]

#: Rates are compared with this slack so that 0.75 computed as 0.7499999999 meets 0.75.
RATE_EPS = 1e-9


@dataclass(frozen=True)
class TaskResult:
    """One task measured for every county.

    Attributes
    ----------
    task : Task
    measured_on : datetime.date
        The date the rate is measured at: the deadline once passed, else
        the as-of date.
    decided : bool
        True once the deadline has passed; before it ``met`` is empty.
    frame : pandas.DataFrame
        By ``county_code``: ``done_ha``, ``base_ha``, ``rate``, ``target``,
        ``met`` (nullable bool), ``gap_ha``, ``no_task``.
    """

    task: Task
    measured_on: dt.date
    decided: bool
    frame: pd.DataFrame


def judge_task(task: Task, measure: pd.DataFrame, counties: pd.Index, as_of: dt.date) -> TaskResult:
    """Judge one task from its measure (``done_ha``, ``base_ha``, ``rate`` by county).

    A task is judged at its deadline: once ``as_of`` has reached it, ``met``
    says whether the rate reached the target; before, ``met`` is empty
    (pending). A county with nothing to do (zero base) has no task: empty
    rate, ``met`` true, no gap. The gap is the hectares still to supply or
    dispose of to reach the target.
    """
    decided = pd.Timestamp(as_of) >= pd.Timestamp(task.deadline)
    frame = measure.reindex(counties)
    frame[["done_ha", "base_ha"]] = frame[["done_ha", "base_ha"]].fillna(0.0)
    no_task = frame["rate"].isna()
    frame["target"] = task.target
    reached = frame["rate"] + RATE_EPS >= task.target
    met = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    if decided:
        met[:] = reached.to_numpy()
    met[no_task] = True
    frame["met"] = met
    frame["reached"] = reached | no_task
    frame["gap_ha"] = (task.target * frame["base_ha"] - frame["done_ha"]).clip(lower=0.0).where(~no_task, 0.0)
    frame["no_task"] = no_task
    measured_on = min(pd.Timestamp(as_of), pd.Timestamp(task.deadline)).date()
    return TaskResult(task, measured_on, bool(decided), frame)


def rank_counties(combined: pd.Series, rules: RuleSet) -> pd.DataFrame:
    """Rank counties by a rate (the rule set's ranking measure), highest first, ties by county code.

    Counties with nothing to dispose of (NaN) are not ranked. The top
    ``rules.ranking.commend`` are commended; the bottom
    ``rules.ranking.criticize`` criticised, never the same county twice.

    Returns
    -------
    pandas.DataFrame
        By ``county_code``: ``rank`` (nullable int) and ``ranking``
        (``commend`` | ``criticize`` | empty).
    """
    ranked = combined.dropna()
    order = sorted(ranked.index, key=lambda code: (-ranked[code], str(code)))
    out = pd.DataFrame({"rank": pd.Series(pd.NA, index=combined.index, dtype="Int64"),
                        "ranking": pd.Series(pd.NA, index=combined.index, dtype="string")})
    n = len(order)
    top = min(rules.ranking.commend, n)
    bottom = min(rules.ranking.criticize, n - top)
    for position, code in enumerate(order, start=1):
        out.at[code, "rank"] = position
        if position <= top:
            out.at[code, "ranking"] = "commend"
        elif position > n - bottom:
            out.at[code, "ranking"] = "criticize"
    return out


def judge_counties(
    results: list[TaskResult],
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
        Every task of the rule set.
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
    rank_by : pandas.Series, optional
        The rate ranked by (``rules.ranking.measure``); default ``combined``.
    resumed_on : pandas.Series, optional
        The confirmed resumption date by county (on or before ``as_of``): the
        county is no longer suspended.
    undetermined : pandas.Index, optional
        Counties whose input lost rows to errors: outcome ``undetermined``,
        ``data_complete`` false, no multiplier, plan, suspension, treatment
        or rank (the others are ranked among themselves).

    Returns
    -------
    pandas.DataFrame
        One row per county in the column order of ``counties.csv``.
    """
    codes = pd.Index(counties["county_code"], name="county_code")
    out = pd.DataFrame({"county_code": codes, "county_name": counties["county_name"].to_numpy()}, index=codes)
    deciding = set(rules.award.deciding)
    met_cols, reached_cols, milestone_missed = [], [], pd.Series(False, index=codes)
    met_by_task: dict[str, pd.Series] = {}
    for res in results:
        f = res.frame.reindex(codes)
        tid = res.task.id
        out[f"{tid}_rate"] = f["rate"]
        out[f"{tid}_target"] = res.task.target
        out[f"{tid}_met"] = f["met"]
        out[f"{tid}_gap_ha"] = f["gap_ha"]
        if tid in deciding:
            met_by_task[tid] = f["met"]
            met_cols.append(f["met"])
            reached_cols.append(f["reached"])
        elif res.task.milestone:
            milestone_missed |= (f["met"] == False).fillna(False)  # noqa: E712 (nullable bool)
    met = pd.concat(met_cols, axis=1) if met_cols else pd.DataFrame(index=codes)
    reached = pd.concat(reached_cols, axis=1) if reached_cols else pd.DataFrame(index=codes)
    missed = (met == False).any(axis=1)  # noqa: E712
    final = met.notna().all(axis=1)
    # Before the deadline the outcome is what the county gets if it stays as it is.
    award = ~missed & reached.all(axis=1)
    unknown = pd.Series(codes.isin(undetermined) if undetermined is not None else False, index=codes)
    out["tasks_met"] = (met == True).sum(axis=1).astype("int64")  # noqa: E712
    out["outcome"] = np.where(unknown, "undetermined", np.where(award, "award", "penalty"))
    multiplier = np.where(award, rules.award.met_multiplier, rules.award.missed_multiplier)
    multiplier = np.where(unknown, np.nan, multiplier)
    base = plan_base.reindex(codes)
    out["plan_base_ha"] = base
    out["plan_next_ha"] = base * multiplier
    out["suspended"] = missed & rules.suspension.on_missed & ~unknown
    out["combined_disposal_rate"] = combined.reindex(codes)
    ranking_rate = out["combined_disposal_rate"] if rank_by is None else rank_by.reindex(codes)
    ranks = rank_counties(ranking_rate.where(~unknown), rules)
    out["rank"] = ranks["rank"]
    out["ranking"] = ranks["ranking"]
    # Extra columns after the notice's: finality, milestone warning, treatments.
    out["outcome_final"] = final
    out["data_complete"] = ~unknown
    out["milestone_missed"] = milestone_missed
    out["plan_multiplier"] = multiplier
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
    fixed = pd.Series(False, index=codes)
    if reached_now is not None and len(reached_now.columns) and met_by_task:
        now = reached_now.reindex(codes).fillna(False).astype(bool)
        missed_by_task = pd.DataFrame({tid: (m == False).fillna(False).astype(bool)  # noqa: E712
                                       for tid, m in met_by_task.items()}, index=codes)
        # A task missed at its deadline and not measured again (deadline not passed) cannot be fixed.
        unfixed = pd.Series(False, index=codes)
        for tid in missed_by_task.columns:
            reached = now[tid] if tid in now.columns else pd.Series(False, index=codes)
            unfixed |= missed_by_task[tid] & ~reached
        fixed = missed_by_task.any(axis=1) & ~unfixed
    out["may_resume"] = out["suspended"] & fixed
    out["ranking_measure"] = rules.ranking.measure
    out["ranking_rate"] = ranking_rate.astype("float64")
    # DESIGN "Assessed units": which kind of unit each row is (县区 or 功能区) and, for a zone,
    # the county it is carved from.
    kind = counties["unit_kind"] if "unit_kind" in counties else pd.Series(pd.NA, index=counties.index)
    out["unit_kind"] = kind.astype("string").fillna("县区").to_numpy()
    parent = counties["parent_code"] if "parent_code" in counties else pd.Series(pd.NA, index=counties.index)
    out["parent_code"] = parent.astype("string").where(out["unit_kind"].to_numpy() == "功能区").to_numpy()
    return out.reset_index(drop=True)
