r"""Quarter-by-quarter progress of every county on every task.

驻政办〔2018〕163号 asks each county to report its progress in writing at the
start of every quarter. :func:`quarterly_progress` measures each task's rate
for every county at every quarter end of the campaign, with the same
arithmetic as :func:`landuse.campaigns.zengcun.assessment.assess` (see :mod:`landuse.analysis.supply`
and :mod:`landuse.analysis.idle` for the formulas), so the row at the as-of date is
the assessment's figure.

A task is measured at :math:`\min(d, \text{deadline})`: once its deadline has
passed its rate is the one judged at the deadline (a milestone such as the
end-September supply rate does not move afterwards).
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd

from landuse import verdict
from landuse._errors import SchemaError
from landuse.analysis import idle, supply
from landuse.model.workspace import Workspace
from landuse.rules.model import RuleSet, Task, load_ruleset

__all__ = [
    "PROGRESS_COLUMNS",
    "county_rows",
    "progress_dates",
    "progress_table",
    "quarterly_progress",
]

#: Columns of :func:`quarterly_progress`, in order.
PROGRESS_COLUMNS = [
    "county_code",
    "county_name",
    "date",
    "task",
    "rate",
    "target",
    "met",
    "decided",
    "measured_on",
    "done_ha",
    "base_ha",
    "gap_ha",
]


def _date(value: dt.date | str | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise SchemaError(
            f"{name} 不是可识别的日期：“{value}”（应为 2018-12-31）",
            f"{name} is not a date: '{value}' (use 2018-12-31)",
        ) from err
    if pd.isna(stamp):
        raise SchemaError(f"{name} 不能为空", f"{name} must not be empty")
    return stamp.normalize()


def progress_dates(
    rules: RuleSet,
    *,
    as_of: dt.date | str | pd.Timestamp,
    start: dt.date | str | pd.Timestamp | None = None,
) -> list[dt.date]:
    """Return the quarter ends from ``start`` to ``as_of``, and ``as_of`` itself.

    Parameters
    ----------
    rules : RuleSet
        Its earliest task deadline sets the default start.
    as_of : date
        The last day measured; added when it is not a quarter end.
    start : date, optional
        The campaign start; default 1 January of the year of the earliest
        task deadline (2018-01-01 for the 2018 rule sets).

    Returns
    -------
    list of datetime.date
        Ascending; never empty (at least ``as_of``).

    Examples
    --------
    >>> from landuse.rules.model import load_ruleset
    >>> rules = load_ruleset("zhumadian-2018")
    >>> [str(d) for d in progress_dates(rules, as_of="2018-12-31")]
    ['2018-03-31', '2018-06-30', '2018-09-30', '2018-12-31']
    >>> [str(d) for d in progress_dates(rules, as_of="2018-11-15")]
    ['2018-03-31', '2018-06-30', '2018-09-30', '2018-11-15']
    """
    end = _date(as_of, "as_of")
    if start is None:
        first = min(task.deadline for task in rules.tasks)
        begin = pd.Timestamp(first.year, 1, 1)
    else:
        begin = _date(start, "start")
    if begin > end:
        raise SchemaError(
            f"起始日期 {begin:%Y-%m-%d} 晚于截止日期 {end:%Y-%m-%d}",
            f"start {begin:%Y-%m-%d} is after as_of {end:%Y-%m-%d}",
        )
    quarters = pd.date_range(begin, end, freq="QE")
    days = [d.date() for d in quarters]
    if not days or days[-1] != end.date():
        days.append(end.date())
    return days


def _measure(
    task: Task, workspace: Workspace, rules: RuleSet, ledger: pd.DataFrame, on: dt.date
) -> pd.DataFrame:
    """One task's ``done_ha``, ``base_ha``, ``rate`` by county on one day."""
    if task.measure == "supply_rate":
        return supply.county_supply_rates(workspace.batches, ledger, task.window, on)
    if task.measure == "stock_disposal_rate":
        return supply.county_stock_disposal(
            workspace.batches, ledger, task.window, rules.stock_date(task), on
        )
    return idle.county_idle_disposal(workspace.idle, rules, on)


def quarterly_progress(
    workspace: Workspace,
    rules: RuleSet | str,
    *,
    as_of: dt.date | str | pd.Timestamp,
    start: dt.date | str | pd.Timestamp | None = None,
    links: supply.SupplyLinks | None = None,
) -> pd.DataFrame:
    """Measure every county's rate of every task at every quarter end.

    The supply parcels are linked to batches once and the batch ledger is
    measured at all dates in one pass; each task is then judged per date
    with :func:`landuse.verdict.judge_task`.

    Parameters
    ----------
    workspace : Workspace
        From :func:`landuse.load_workspace`.
    rules : RuleSet or str
        A rule set, a bundled name or a TOML path.
    as_of : date
        The last day measured (the assessment's date).
    start : date, optional
        The campaign start; see :func:`progress_dates`.
    links : SupplyLinks, optional
        Supply parcels already linked by :func:`landuse.analysis.supply.link_supplies`
        (up to ``as_of`` at least), to save linking them again.

    Returns
    -------
    pandas.DataFrame
        Long format, one row per county, date and task, sorted by task,
        county and date: ``county_code``, ``county_name``, ``date``
        (``datetime64``), ``task`` (its id), ``rate`` (NaN: no task),
        ``target``, ``met`` (nullable bool: the target reached on that day;
        true where there is no task), ``decided`` (the deadline has passed,
        so ``met`` is final), ``measured_on`` (the earlier of the date and
        the deadline), ``done_ha``, ``base_ha`` and ``gap_ha`` (hectares
        still to supply or dispose of).

    Examples
    --------
    >>> from landuse import load_workspace
    >>> p = quarterly_progress(load_workspace(), "zhumadian-2018", as_of="2018-12-31")
    >>> sorted(p["date"].dt.strftime("%m-%d").unique())
    ['03-31', '06-30', '09-30', '12-31']
    >>> len(p) == 11 * 4 * 4  # 10 counties and a functional zone
    True
    """
    if isinstance(rules, str | os.PathLike):
        rules = load_ruleset(rules)
    dates = progress_dates(rules, as_of=as_of, start=start)
    end = dates[-1]
    measured = sorted({min(d, task.deadline) for d in dates for task in rules.tasks})
    baselines = {rules.stock_date(task) for task in rules.tasks if task.baseline is not None}
    if links is None:
        links = supply.link_supplies(workspace.batches, workspace.supplies, until=end)
    ledger, _ = supply.batch_ledger(workspace, links, sorted({*measured, *baselines}),
                                    measure=rules.supply.measure, sliver_ha=rules.supply.sliver_ha)

    codes = pd.Index(workspace.counties["county_code"], name="county_code")
    names = pd.Series(workspace.counties["county_name"].to_numpy(), index=codes)
    frames = []
    for task in rules.tasks:
        for day in dates:
            on = min(day, task.deadline)
            result = verdict.judge_task(
                task, _measure(task, workspace, rules, ledger, on), codes, day
            )
            f = result.frame
            frames.append(
                pd.DataFrame(
                    {
                        "county_code": codes,
                        "county_name": names.reindex(codes).to_numpy(),
                        "date": pd.Timestamp(day),
                        "task": task.id,
                        "rate": f["rate"].to_numpy(dtype="float64", na_value=float("nan")),
                        "target": task.target,
                        "met": f["reached"].astype("boolean").to_numpy(),
                        "decided": result.decided,
                        "measured_on": pd.Timestamp(result.measured_on),
                        "done_ha": f["done_ha"].to_numpy(),
                        "base_ha": f["base_ha"].to_numpy(),
                        "gap_ha": f["gap_ha"].to_numpy(),
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    out["met"] = out["met"].astype("boolean")
    out["county_code"] = out["county_code"].astype("string")
    order = {task.id: i for i, task in enumerate(rules.tasks)}
    out = out.sort_values(
        ["task", "county_code", "date"],
        key=lambda s: s.map(order) if s.name == "task" else s,
        kind="stable",
        ignore_index=True,
    )
    return out[PROGRESS_COLUMNS]


def county_rows(quarters: pd.DataFrame, county: str) -> pd.DataFrame:
    """Return the rows of one county, found by code, name or a unique name prefix.

    Raises
    ------
    SchemaError
        When no county, or more than one, matches (the message lists them).
    """
    code = quarters["county_code"].astype("string")
    name = quarters["county_name"].astype("string")
    hit = quarters[(code == county) | (name == county)]
    if hit.empty:
        hit = quarters[name.str.startswith(county).fillna(False).astype(bool)]
    if hit["county_code"].nunique() != 1:
        pairs = dict(zip(code, name, strict=True))
        names = "、".join(f"{c} {n}" for c, n in pairs.items())
        raise SchemaError(
            f"找不到县区 “{county}”：可选 {names}", f"no county '{county}'; choose one of: {names}"
        )
    return hit


def progress_table(quarters: pd.DataFrame, *, county: str) -> pd.DataFrame:
    """One county's progress as a table: a row per date, for each task its rate, target and gap.

    Parameters
    ----------
    quarters : pandas.DataFrame
        From :func:`quarterly_progress`.
    county : str
        A county code, name or unique name prefix.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``date``; columns ``<TID>_rate``, ``<TID>_target``,
        ``<TID>_met`` and ``<TID>_gap_ha`` for each task, in the rule set's
        order.

    Raises
    ------
    SchemaError
        When the county is unknown.

    Examples
    --------
    >>> from landuse import load_workspace
    >>> p = quarterly_progress(load_workspace(), "zhumadian-2018", as_of="2018-12-31")
    >>> t = progress_table(p, county="泌阳")
    >>> list(t.columns[:4])
    ['T1_rate', 'T1_target', 'T1_met', 'T1_gap_ha']
    >>> len(t)
    4
    """
    rows = county_rows(quarters, county)
    tasks = list(dict.fromkeys(rows["task"]))
    wide = rows.pivot(index="date", columns="task", values=["rate", "target", "met", "gap_ha"])
    columns = {
        (field, task): f"{task}_{field}"
        for task in tasks
        for field in ("rate", "target", "met", "gap_ha")
    }
    out = pd.DataFrame({name: wide[key] for key, name in columns.items()})
    for task in tasks:
        for field in ("rate", "target", "gap_ha"):
            out[f"{task}_{field}"] = out[f"{task}_{field}"].astype("float64")
        out[f"{task}_met"] = out[f"{task}_met"].astype("boolean")
    out.columns.name = None
    return out
