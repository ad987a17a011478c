"""The generic judge: tasks measured per unit, compared with a threshold, combined into a verdict.

A campaign measures; the judge decides. Every campaign (:mod:`landuse.campaigns`)
hands the judge, for each of its tasks, one measure per assessed unit and a
:class:`Criterion` (or a rule set's :class:`~landuse.rules.model.Task`, whose
rates are "at least" ``target``):

* :func:`judge_task`: the measure compared with the threshold by the
  comparator (``>=``, ``<=``, or their strict negations ``<`` and ``>``) as of
  a date. Before the deadline ``met`` is pending (empty); a unit with nothing
  to do has no task (met); a unit whose data is incomplete is undetermined
  (待定). The outcome per unit is one of :data:`OUTCOMES`.
* :func:`combine`: the outcomes of the deciding tasks into one verdict per
  unit: every deciding task met → the ``met`` multiplier, any missed → the
  ``missed`` multiplier and, when the rule set says so, suspension; a plan
  deduction in hectares after the multiplier (:func:`deduct`).
* :func:`rank_counties`: units ranked by a rate, the top commended and the
  bottom criticised.

Every number (targets, multipliers, deduction rates, how many are commended)
comes from the rule set; the judge holds only the comparison slack.
What a campaign does with the verdict beyond that (增存挂钩's scale and
development-zone treatments, its resumption of applications) lives in the
campaign's module (:mod:`landuse.campaigns.zengcun.linkage`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["COMPARATORS", "OUTCOMES", "RATE_EPS", "Criterion", "TaskResult", "Verdict", "combine", "compare",
           "criterion", "deduct", "judge_task", "rank_counties"]

#: Rates are compared with this slack so that 0.75 computed as 0.7499999999 meets 0.75.
RATE_EPS = 1e-9

Comparator = Literal[">=", "<=", ">", "<"]
#: ``>=`` and ``<=`` are met within the slack; ``<`` is "not ``>=``" and ``>`` "not ``<=``".
COMPARATORS: tuple[str, ...] = (">=", "<=", ">", "<")
#: The outcome of one task for one unit.
OUTCOMES: tuple[str, ...] = ("met", "not_met", "pending", "no_task", "undetermined")


@dataclass(frozen=True)
class Criterion:
    """What a task asks of each unit: ``measure <comparator> threshold``, judged at ``deadline``.

    Attributes
    ----------
    id : str
        The task's identifier (a column prefix in the tables).
    threshold : float or None
        The threshold every unit is held to; None when each unit has its own
        (the measure's ``threshold`` column, e.g. a county's retention target).
    comparator : {">=", "<=", ">", "<"}
    deadline : datetime.date or None
        The day the task is judged; None: judged on any date.
    eps : float
        Comparison slack in the measure's unit: ``>=`` is ``value + eps >= threshold``,
        ``<=`` is ``value - eps <= threshold``; the strict ones are their negations.
    milestone : bool
        An intermediate checkpoint: reported, not deciding.
    label, label_en : str
    unit : str
        The measure's unit as shown (``"ha"``, ``"mu"``; empty: a rate, shown in %).
    """

    id: str
    threshold: float | None
    comparator: Comparator = ">="
    deadline: dt.date | None = None
    eps: float = RATE_EPS
    milestone: bool = False
    label: str = ""
    label_en: str = ""
    unit: str = ""

    @property
    def target(self) -> float | None:
        """The threshold (the name rule-set tasks use)."""
        return self.threshold


def criterion(task: Any) -> Criterion:
    """A rule set's task (or a :class:`Criterion`) as a :class:`Criterion`.

    A :class:`~landuse.rules.model.Task` of 增存挂钩 is a rate that must reach its
    ``target`` (``>=``) by its ``deadline``.
    """
    if isinstance(task, Criterion):
        return task
    return Criterion(id=task.id, threshold=task.target, comparator=getattr(task, "comparator", ">="),
                     deadline=task.deadline, eps=getattr(task, "eps", RATE_EPS),
                     milestone=bool(getattr(task, "milestone", False)), label=getattr(task, "label", ""),
                     label_en=getattr(task, "label_en", ""))


def compare(value: Any, threshold: Any, comparator: str, eps: float = 0.0) -> Any:
    """``value <comparator> threshold`` within ``eps``, element-wise (NaN compares false for ``>=``/``<=``).

    Examples
    --------
    >>> compare(0.7499999999, 0.75, ">=", RATE_EPS), compare(0.15, 0.15, "<"), compare(2.0, 2.0, "<=")
    (True, False, True)
    """
    if comparator in (">=", "<"):
        holds = value + eps >= threshold
    elif comparator in ("<=", ">"):
        holds = value - eps <= threshold
    else:
        raise ValueError(f"unknown comparator {comparator!r}; one of {', '.join(COMPARATORS)}")
    if comparator in ("<", ">"):
        holds = np.logical_not(holds)
    return bool(holds) if np.ndim(holds) == 0 else holds


@dataclass(frozen=True)
class TaskResult:
    """One task judged for every unit.

    Attributes
    ----------
    task : Task or Criterion
        As the campaign gave it.
    measured_on : datetime.date
        The date the measure is taken at: the deadline once passed, else the as-of date.
    decided : bool
        True once the deadline has passed (always, for a task without one);
        before it ``met`` is empty.
    frame : pandas.DataFrame
        By ``county_code``: ``rate`` (the measure), ``target`` (the threshold),
        ``met`` (nullable bool), ``reached`` (the comparison holds as of the
        date, decided or not), ``no_task``, ``outcome`` (one of
        :data:`OUTCOMES`), and with ``done_ha`` and ``base_ha`` in the
        measure, ``gap_ha``: the hectares still to do to reach a ``>=`` target.
    """

    task: Any
    measured_on: dt.date
    decided: bool
    frame: pd.DataFrame


def judge_task(task: Any, measure: pd.DataFrame, counties: pd.Index, as_of: dt.date, *,
               undetermined: pd.Index | None = None) -> TaskResult:
    """Judge one task from its measure, for every unit of ``counties``.

    Parameters
    ----------
    task : Task or Criterion
        See :func:`criterion`.
    measure : pandas.DataFrame
        By unit code: ``rate`` (the measured value); optional ``threshold`` (the
        unit's own threshold, when the criterion has none), ``no_task`` (the unit
        has nothing to do; default: the value is missing), ``done_ha`` and
        ``base_ha`` (the numerator and denominator of a rate, for the gap).
    counties : pandas.Index
        The units judged, in order.
    as_of : datetime.date
    undetermined : pandas.Index, optional
        Units whose data is incomplete: ``met`` empty, outcome ``undetermined``.

    Returns
    -------
    TaskResult

    Notes
    -----
    A task is judged at its deadline: once ``as_of`` has reached it, ``met``
    says whether the comparison holds; before, ``met`` is empty (pending). A
    unit with nothing to do (no value, or ``no_task``) has no task: ``met``
    true, no gap.

    Examples
    --------
    >>> m = pd.DataFrame({"rate": [0.8, 0.5, np.nan]}, index=pd.Index(["a", "b", "c"], name="county_code"))
    >>> c = Criterion("T", 0.75, ">=", dt.date(2018, 12, 31))
    >>> judge_task(c, m, m.index, dt.date(2018, 12, 31)).frame["outcome"].tolist()
    ['met', 'not_met', 'no_task']
    >>> judge_task(c, m, m.index, dt.date(2018, 6, 30)).frame["outcome"].tolist()
    ['pending', 'pending', 'no_task']
    """
    crit = criterion(task)
    decided = crit.deadline is None or pd.Timestamp(as_of) >= pd.Timestamp(crit.deadline)
    frame = measure.reindex(counties)
    ratio = "done_ha" in frame.columns and "base_ha" in frame.columns
    if ratio:
        frame[["done_ha", "base_ha"]] = frame[["done_ha", "base_ha"]].fillna(0.0)
    if "no_task" in frame.columns:
        no_task = frame["no_task"].astype("boolean").fillna(True).astype(bool)
    else:
        no_task = frame["rate"].isna()
    threshold = frame["threshold"] if crit.threshold is None and "threshold" in frame.columns else crit.threshold
    frame["target"] = threshold
    reached = pd.Series(np.asarray(compare(frame["rate"], frame["target"], crit.comparator, crit.eps), dtype=bool),
                        index=frame.index)
    met = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    if decided:
        met[:] = reached.to_numpy()
    met[no_task] = True
    unknown = (frame.index.isin(undetermined) if undetermined is not None
               else np.zeros(len(frame), dtype=bool))
    met[unknown & ~no_task.to_numpy()] = pd.NA
    frame["met"] = met
    frame["reached"] = reached | no_task
    if ratio:
        frame["gap_ha"] = (frame["target"] * frame["base_ha"] - frame["done_ha"]).clip(lower=0.0).where(~no_task, 0.0)
    frame["no_task"] = no_task
    outcome = np.select([no_task.to_numpy(), unknown, ~np.full(len(frame), decided), reached.to_numpy()],
                        ["no_task", "undetermined", "pending", "met"], "not_met")
    frame["outcome"] = pd.Series(outcome, index=frame.index, dtype="object")
    measured_on = pd.Timestamp(as_of)
    if crit.deadline is not None:
        measured_on = min(pd.Timestamp(as_of), pd.Timestamp(crit.deadline))
    return TaskResult(task, measured_on.date(), bool(decided), frame)


@dataclass(frozen=True)
class Verdict:
    """The deciding tasks' outcomes combined for every unit (see :func:`combine`).

    Attributes
    ----------
    frame : pandas.DataFrame
        By ``county_code``: ``tasks_met`` (deciding tasks met), ``missed`` (a
        deciding task missed at its deadline), ``final`` (every deciding task
        decided), ``award`` (none missed and every one reached as of the date:
        before the deadline, what the unit gets if it stays as it is),
        ``outcome`` (``award`` | ``penalty`` | ``undetermined``),
        ``multiplier`` (NaN for an undetermined unit), ``suspended`` and
        ``data_complete``.
    met : pandas.DataFrame
        One nullable boolean column a deciding task.
    """

    frame: pd.DataFrame
    met: pd.DataFrame


def combine(results: list[TaskResult], codes: pd.Index, *, deciding: tuple[str, ...] | set[str],
            met_multiplier: float = 1.0, missed_multiplier: float = 1.0, suspend_on_missed: bool = False,
            undetermined: pd.Index | None = None) -> Verdict:
    """Combine the deciding tasks' outcomes into one verdict per unit.

    Parameters
    ----------
    results : list of TaskResult
    codes : pandas.Index
        The units, in order.
    deciding : collection of str
        The ids of the tasks that decide (the others are milestones or shown only).
    met_multiplier, missed_multiplier : float
        The plan multipliers of the rule set (e.g. ``award.met_multiplier``).
    suspend_on_missed : bool
        A unit that misses a deciding task is suspended (the rule set's ``suspension.on_missed``).
    undetermined : pandas.Index, optional
        Units whose data is incomplete: outcome ``undetermined``, no multiplier, not suspended.

    Returns
    -------
    Verdict

    Examples
    --------
    >>> i = pd.Index(["a", "b"], name="county_code")
    >>> m = pd.DataFrame({"rate": [0.8, 0.5]}, index=i)
    >>> r = judge_task(Criterion("T", 0.75, ">=", dt.date(2018, 12, 31)), m, i, dt.date(2019, 1, 1))
    >>> v = combine([r], i, deciding={"T"}, met_multiplier=1.1, missed_multiplier=0.8, suspend_on_missed=True)
    >>> v.frame["outcome"].tolist(), v.frame["multiplier"].tolist(), v.frame["suspended"].tolist()
    (['award', 'penalty'], [1.1, 0.8], [False, True])
    """
    deciding = set(deciding)
    met_cols, reached_cols = {}, {}
    for res in results:
        tid = criterion(res.task).id
        if tid in deciding:
            f = res.frame.reindex(codes)
            met_cols[tid] = f["met"]
            reached_cols[tid] = f["reached"]
    met = pd.DataFrame(met_cols, index=codes)
    reached = pd.DataFrame(reached_cols, index=codes)
    missed = (met == False).any(axis=1)  # noqa: E712 (nullable bool)
    award = ~missed & reached.all(axis=1)
    unknown = pd.Series(codes.isin(undetermined) if undetermined is not None else False, index=codes)
    multiplier = np.where(award, met_multiplier, missed_multiplier)
    frame = pd.DataFrame({
        "tasks_met": (met == True).sum(axis=1).astype("int64"),  # noqa: E712
        "missed": missed,
        "final": met.notna().all(axis=1),
        "award": award,
        "outcome": np.where(unknown, "undetermined", np.where(award, "award", "penalty")),
        "multiplier": np.where(unknown, np.nan, multiplier),
        "suspended": missed & bool(suspend_on_missed) & ~unknown,
        "data_complete": ~unknown,
    }, index=codes)
    return Verdict(frame, met)


def deduct(plan_ha: pd.Series, deduction_ha: pd.Series) -> pd.Series:
    """A plan cut by a deduction in hectares, never below zero (an empty deduction cuts nothing).

    Examples
    --------
    >>> deduct(pd.Series([110.0, 5.0, np.nan]), pd.Series([7.5, 9.0, 1.0])).tolist()
    [102.5, 0.0, nan]
    """
    return (plan_ha - deduction_ha.fillna(0.0)).clip(lower=0.0)


def rank_counties(rate: pd.Series, rules: Any = None, *, commend: int | None = None,
                  criticize: int | None = None) -> pd.DataFrame:
    """Rank units by a rate, highest first, ties by code; the top commended, the bottom criticised.

    Units with no rate (NaN) are not ranked; rates equal to 1e-9 (the
    slack of :data:`RATE_EPS`) are a tie. The top ``commend`` (default
    ``rules.ranking.commend``, else 0) are commended; the bottom ``criticize``
    (``rules.ranking.criticize``) criticised, never the same unit twice.

    Returns
    -------
    pandas.DataFrame
        By code: ``rank`` (nullable int) and ``ranking`` (``commend`` | ``criticize`` | empty).

    Examples
    --------
    >>> r = rank_counties(pd.Series({"a": 0.2, "b": 0.5, "c": np.nan}), commend=1)
    >>> r["rank"].tolist(), r["ranking"].tolist()
    ([2, 1, <NA>], [<NA>, 'commend', <NA>])
    """
    ranking = getattr(rules, "ranking", None)
    if commend is None:
        commend = ranking.commend if ranking is not None else 0
    if criticize is None:
        criticize = ranking.criticize if ranking is not None else 0
    # Rates equal but for floating point (0.1 + 0.2 against 0.3) are a tie, broken by code.
    ranked = (rate.dropna().astype("float64") / RATE_EPS).round()
    order = sorted(ranked.index, key=lambda code: (-ranked[code], str(code)))
    out = pd.DataFrame({"rank": pd.Series(pd.NA, index=rate.index, dtype="Int64"),
                        "ranking": pd.Series(pd.NA, index=rate.index, dtype="string")})
    n = len(order)
    top = min(commend, n)
    bottom = min(criticize, n - top)
    for position, code in enumerate(order, start=1):
        out.at[code, "rank"] = position
        if position <= top:
            out.at[code, "ranking"] = "commend"
        elif position > n - bottom:
            out.at[code, "ranking"] = "criticize"
    return out
