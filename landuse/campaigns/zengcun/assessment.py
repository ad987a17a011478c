"""One county assessment as of a date: :func:`assess` and :class:`Assessment`.

One module (over 800 lines) because it is the one place the 增存挂钩 measures meet the judge; the Assessment, its quota and its tables read the same frames.

Data flows one way: the :class:`~landuse.model.workspace.Workspace` goes through
the analyses (:mod:`~landuse.analysis.supply`, :mod:`~landuse.analysis.idle`,
:mod:`~landuse.analysis.approvals`, :mod:`~landuse.analysis.landcover`) into the judgment of
:mod:`~landuse.verdict`; the result is an :class:`Assessment` that maps,
reports and tables read and never recompute.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from landuse import verdict
from landuse._arrays import member, positions, reindexed, trim_heap
from landuse._errors import DataIncompleteError, RuleSetError, SchemaError
from landuse.analysis import approvals, idle, supply
from landuse.campaigns._base import affected_units, gate_message
from landuse.campaigns.zengcun.linkage import judge_counties, resumed_while_short
from landuse.io.files import output_set, write_csv
from landuse.model.schema import LAYERS, Problem, problems_frame
from landuse.model.units import MU_PER_HA
from landuse.model.workspace import Workspace
from landuse.rules.model import RuleSet, load_ruleset

__all__ = ["Assessment", "CountyQuota", "assess", "deciding_layers", "plan_year", "save_assessment", "tables"]

ProgressFn = Callable[[str], None]

#: The layers each measure reads. An error that keeps rows out of one of them leaves the verdict
#: of the counties those rows belong to undetermined (see :func:`deciding_layers`).
MEASURE_LAYERS: dict[str, tuple[str, ...]] = {
    "supply_rate": ("batches", "supplies", "revocations"),
    "stock_disposal_rate": ("batches", "supplies", "revocations"),
    "idle_disposal_rate": ("idle",),
}
#: Measures the ranking's combined disposal rate is made of (see :func:`_combined`).
RANKED_MEASURES = ("stock_disposal_rate", "idle_disposal_rate")
#: Beside the tasks' layers, a verdict reads the counties (who is judged and ranked), the
#: quotas (next year's plan) and whatever is wrong with the workspace as a whole.
VERDICT_LAYERS = ("workspace", "counties", "quotas")
#: Dates that record something done: one after the as-of date plus a year is a typing error
#: (planned dates, such as an agreed start or a rectification deadline, may lie ahead).
EVENT_DATES: dict[str, tuple[str, ...]] = {
    "batches": ("approval_date",),
    "supplies": ("supply_date", "actual_start", "actual_completion"),
    "idle": ("identified_date", "disposal_date"),
    "revocations": ("date",),
}


def deciding_layers(rules: RuleSet) -> tuple[str, ...]:
    """The layers a verdict of ``rules`` depends on: its deciding and ranked tasks' inputs.

    An error keeping rows out of one of these leaves a county ``undetermined``.
    """
    deciding = set(rules.award.deciding)
    measures = [t.measure for t in rules.tasks if t.id in deciding or t.measure in RANKED_MEASURES]
    layers = dict.fromkeys(VERDICT_LAYERS)
    for measure in measures:
        layers.update(dict.fromkeys(MEASURE_LAYERS[measure]))
    return tuple(layers)


@dataclass(frozen=True)
class CountyQuota:
    """One county's tasks, gaps and prospects (see :meth:`Assessment.quota`).

    ``suspended`` is true when the county has missed a deciding task (its
    deadline passed) and no resumption was confirmed; ``suspension_pending``
    when it has not yet, but would if it stayed as it is when the deadline
    comes (applications are still taken meanwhile);
    ``project_allowed`` says whether ``project_kind`` may apply now;
    ``exempt_category`` is the rule set's exempt category it falls under
    (省以上重点项目 for 国家重点项目), or None. ``may_resume``: suspended, and every
    deciding task it missed is reached as of the date (可申请恢复受理);
    ``resumed_on``: the date a resumption was confirmed (the ``resumptions``
    table), from which the county is no longer suspended.
    """

    county_code: str
    county_name: str
    as_of: dt.date
    tasks: pd.DataFrame
    outcome: str
    outcome_final: bool
    plan_base_ha: float
    plan_next_ha: float
    suspended: bool
    exempt_project_kinds: tuple[str, ...]
    project_kind: str | None
    project_allowed: bool | None
    exempt_category: str | None = None
    may_resume: bool = False
    resumed_on: dt.date | None = None
    suspension_pending: bool = False


@dataclass(eq=False)
class Assessment:
    """The outcome of :func:`assess`: every figure and the rows behind it.

    Attributes
    ----------
    rules : RuleSet
    as_of : datetime.date
    workspace : Workspace
        The input, kept so each figure can be traced to its rows.
    counties : geopandas.GeoDataFrame
        One row per county: for each task ``<ID>_rate``, ``<ID>_target``,
        ``<ID>_met``, ``<ID>_gap_ha``; ``tasks_met``, ``outcome``,
        ``plan_base_ha``, ``plan_next_ha``, ``suspended``,
        ``combined_disposal_rate``, ``rank``, ``ranking``, then details,
        among them ``data_complete`` (false where errors kept rows of the
        county out: its ``outcome`` is then ``undetermined``).
    tasks : list of verdict.TaskResult
        Each task's per-county numerators and denominators.
    batches : geopandas.GeoDataFrame
        Per batch: approved, supplied, revoked and unsupplied hectares as of
        the date and at the baseline, and the windows it falls in.
    supplies : geopandas.GeoDataFrame
        Supplied parcels with their patrol status (正常使用 ... 疑似闲置).
    idle : geopandas.GeoDataFrame
        The idle-land ledger with status, idle years and measures.
    candidates : geopandas.GeoDataFrame
        Lapse / withdraw / reduce candidates and suspected idle parcels.
    problems : pandas.DataFrame
        Input and analysis problems.
    """

    rules: RuleSet
    as_of: dt.date
    workspace: Workspace
    counties: gpd.GeoDataFrame
    tasks: list[verdict.TaskResult]
    batches: gpd.GeoDataFrame
    supplies: gpd.GeoDataFrame
    idle: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    problems: pd.DataFrame
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def undetermined(self) -> pd.Index:
        """Codes of the counties whose verdict is undetermined (errors kept rows of theirs out)."""
        c = self.counties
        if "data_complete" not in c:
            return pd.Index([], name="county_code", dtype="object")
        return pd.Index(c.loc[~c["data_complete"].astype(bool), "county_code"], name="county_code")

    @property
    def excluded(self) -> list[Problem]:
        """The error problems that kept rows out of a deciding task's inputs."""
        return list(self.extra.get("excluded", []))

    def gate(self, accept_errors: bool = False) -> None:
        """Refuse to give verdicts from damaged data.

        Parameters
        ----------
        accept_errors : bool, default False
            Go on all the same: the affected counties stay ``undetermined``
            (待定) and every output says so.

        Raises
        ------
        DataIncompleteError
            When errors kept rows out of a deciding task's inputs and
            ``accept_errors`` is False. The message says how many rows of
            which layer were excluded and why.
        """
        if accept_errors or self.undetermined.empty:
            return
        zh, en = gate_message(self.excluded, self.counties, self.undetermined)
        raise DataIncompleteError(zh, en)

    def county(self, key: str) -> pd.Series:
        """Return one county's row, by code or name (Chinese or a unique prefix)."""
        frame = self.counties
        hit = frame[(frame["county_code"] == key) | (frame["county_name"] == key)]
        if hit.empty:
            hit = frame[frame["county_name"].astype("string").str.startswith(key).fillna(False)]
        if len(hit) != 1:
            names = "、".join(f"{c} {n}" for c, n in zip(frame["county_code"], frame["county_name"], strict=True))
            raise SchemaError(f"找不到县区 “{key}”：可选 {names}", f"no county '{key}'; choose one of: {names}")
        return hit.iloc[0]

    def links(self) -> supply.SupplyLinks:
        """The supply parcels' pieces inside their batches up to the as-of date.

        Those :func:`assess` linked, or (an Assessment built without them) linked on
        first use and kept, so that the unsupplied parts and the reconciliation share one.
        """
        links = self.extra.get("links")
        if links is None:
            links = supply.link_supplies(self.workspace.batches, self.workspace.supplies, until=self.as_of)
            self.extra["links"] = links
        return links

    def unsupplied_parts(self) -> gpd.GeoSeries:
        """Each batch's outline less the parcels supplied by the as-of date (by ``batch_id``).

        Cut on first use and kept: maps draw it, the assessment itself needs it only for
        the two-year-rule candidates.
        """
        parts = self.extra.get("unsupplied_parts")
        if parts is None:
            parts = approvals.unsupplied_parts(self.workspace.batches, self.links(), self.as_of)
            self.extra["unsupplied_parts"] = parts
        return parts

    def quota(self, key: str, *, project_kind: str | None = None) -> CountyQuota:
        """One county's position: tasks, gaps, days to deadlines, and what it gets.

        Parameters
        ----------
        key : str
            County code or name.
        project_kind : str, optional
            A project kind (e.g. 重大民生项目): may it still apply for new
            construction land?

        Returns
        -------
        CountyQuota

        Examples
        --------
        >>> from landuse import load_workspace
        >>> a = assess(load_workspace(), "zhumadian-2018", "2018-10-31")
        >>> q = a.quota("遂平县")
        >>> list(q.tasks["task"])
        ['T1', 'T2', 'T3', 'T4']
        >>> int(q.tasks.loc[q.tasks["task"] == "T2", "days_left"].iloc[0])
        61
        """
        row = self.county(key)
        as_of = pd.Timestamp(self.as_of)
        records = []
        for res in self.tasks:
            f = res.frame.reindex([row["county_code"]]).iloc[0]
            records.append({
                "task": res.task.id, "label": res.task.label, "label_en": res.task.label_en,
                "milestone": res.task.milestone, "deadline": res.task.deadline,
                "days_left": max((pd.Timestamp(res.task.deadline) - as_of).days, 0),
                "rate": f["rate"], "target": res.task.target, "met": f["met"],
                "done_ha": f["done_ha"], "base_ha": f["base_ha"], "gap_ha": f["gap_ha"],
                "gap_mu": f["gap_ha"] * MU_PER_HA, "no_task": bool(f["no_task"]),
            })
        exempt = self.rules.suspension.exempt_project_kinds
        resumed = "resumed_on" in row and not pd.isna(row["resumed_on"])
        # Suspended once a deadline has passed with a deciding task missed (the counties table's
        # verdict, a confirmed resumption taken in); before, applications are still taken.
        suspended = bool(row["suspended"]) and not resumed
        pending = (not suspended and not resumed and not bool(row["outcome_final"])
                   and row["outcome"] == "penalty" and self.rules.suspension.on_missed)
        category = self.rules.suspension.exempt_category(project_kind)
        allowed = None if project_kind is None else (not suspended or category is not None)
        return CountyQuota(
            county_code=str(row["county_code"]), county_name=str(row["county_name"]),
            as_of=self.as_of, tasks=pd.DataFrame(records), outcome=str(row["outcome"]),
            outcome_final=bool(row["outcome_final"]), plan_base_ha=row["plan_base_ha"],
            plan_next_ha=row["plan_next_ha"], suspended=suspended, exempt_project_kinds=exempt,
            project_kind=project_kind, project_allowed=allowed, exempt_category=category,
            may_resume=bool(row.get("may_resume", False)),
            resumed_on=None if not resumed else pd.Timestamp(row["resumed_on"]).date(),
            suspension_pending=bool(pending),
        )

    def __repr__(self) -> str:
        outcome = self.counties["outcome"]
        awards, penalties = int((outcome == "award").sum()), int((outcome == "penalty").sum())
        unknown = len(outcome) - awards - penalties
        tail = f", {unknown} undetermined" if unknown else ""
        return (f"<Assessment {self.rules.id} as of {self.as_of}: {len(self.counties)} counties, "
                f"{awards} award, {penalties} penalty{tail}>")


def _as_date(value: dt.date | str | pd.Timestamp) -> dt.date:
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError) as err:
        raise SchemaError(f"无法识别的日期 “{value}”（应为 2018-12-31）",
                          f"not a date: '{value}' (use 2018-12-31)") from err


def assess(
    workspace: Workspace,
    rules: RuleSet | str = "zhumadian-2018",
    as_of: dt.date | str | None = None,
    *,
    progress: ProgressFn | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    raster: bool = True,
    geometry: bool = True,
    area: str = "plane",
) -> Assessment:
    """Assess every county of ``workspace`` against ``rules`` as of a date.

    Parameters
    ----------
    workspace : Workspace
        From :func:`landuse.load_workspace`.
    rules : RuleSet or str, default "zhumadian-2018"
        A rule set, a bundled name or a TOML path.
    as_of : date or str, optional
        The day of the assessment; default the last deciding task's deadline.
    progress : callable, optional
        Called with the name of each step.
    engine : {"local", "dask"}
        Run the supply analysis on this machine or on a Dask cluster.
    scheduler : str, optional
        With ``engine="dask"``: a ``tcp://`` scheduler address; default a
        local cluster.
    raster : bool, default True
        Use the land-cover raster (zonal statistics) when the workspace has one.
    geometry : bool, default True
        Cut the unsupplied part of each two-year-rule candidate out of its
        batch, for maps and GeoPackages. The CSV tables need no geometry:
        False leaves it empty and saves the cutting (a minute at national
        scale); :meth:`Assessment.unsupplied_parts` still cuts on demand.
    area : {"plane", "ellipsoidal"}
        Measure supplied areas on the Gauss-Krüger plane (default) or on the
        CGCS2000 ellipsoid, as the national land survey does: each batch's
        plane areas are divided by the projection's areal scale at the batch
        (:func:`landuse.analysis.supply.ellipsoidal_factor`). Attribute areas are kept.

    Returns
    -------
    Assessment

    Raises
    ------
    WorkspaceError
        When a required layer is missing.
    RuleSetError
        When ``as_of`` is before the rule set's first approval window opens
        (no task exists yet: nothing to rank or judge).

    Notes
    -----
    Rows dated (approval, supply, start, identification, disposal,
    revocation) more than a year after the later of ``as_of`` and the rule
    set's last deadline are left out, each named by an error. Counties whose
    rows an error kept out of a deciding task's inputs get outcome
    ``undetermined`` and ``data_complete`` false; :meth:`Assessment.gate`
    refuses such an assessment unless errors are accepted.

    Examples
    --------
    >>> from landuse import load_workspace
    >>> a = assess(load_workspace(), "zhumadian-2018", "2018-12-31")
    >>> len(a.counties)  # 10 counties and one functional zone
    11
    >>> sorted(a.counties["outcome"].unique())
    ['award', 'penalty']
    """
    if isinstance(rules, str | os.PathLike):
        rules = load_ruleset(rules)
    workspace.require()
    if as_of is None:
        as_of = max(t.deadline for t in rules.tasks)
    t = _as_date(as_of)
    _check_period(rules, t)

    def step(name: str) -> None:
        if progress:
            progress(name)

    measured = {min(t, task.deadline) for task in rules.tasks}
    baselines = {rules.stock_date(task) for task in rules.tasks if task.baseline is not None}
    dates = sorted({t, *measured, *baselines})
    layers = deciding_layers(rules)
    # Data is delivered up to the campaign's last deadline: a date a year past both it and the
    # as-of date is a typing error (a re-run as of an earlier day keeps the later rows).
    workspace = _without_late_dates(workspace, max(*dates, *(task.deadline for task in rules.tasks)), layers)
    step("supply")
    if engine == "dask":
        from landuse.analysis import distributed

        links = distributed.link_supplies(workspace, until=max(dates), scheduler=scheduler)
    elif engine == "local":
        links = supply.link_supplies(workspace.batches, workspace.supplies, until=max(dates))
    else:
        raise SchemaError(f"未知的计算引擎 “{engine}”（应为 local 或 dask）",
                          f"unknown engine '{engine}' (use local or dask)")
    if area not in ("plane", "ellipsoidal"):
        raise SchemaError(f"未知的面积量算方式 “{area}”（应为 plane 或 ellipsoidal）",
                          f"unknown area measure '{area}' (use plane or ellipsoidal)")
    scale = None
    if area == "ellipsoidal":
        b = workspace.batches
        scale = pd.Series(supply.ellipsoidal_factor(b.geometry, workspace.crs), index=pd.Index(b["batch_id"]))
    ledger, supply_problems = supply.batch_ledger(workspace, links, dates, measure=rules.supply.measure,
                                                  sliver_ha=rules.supply.sliver_ha, area_scale=scale)

    trim_heap()  # the links' temporaries: at national size a GiB the heap would keep
    step("tasks")
    results = []
    codes = pd.Index(workspace.counties["county_code"], name="county_code")
    for task in rules.tasks:
        on = min(t, task.deadline)
        if task.measure == "supply_rate":
            measure = supply.county_supply_rates(workspace.batches, ledger, task.window, on)
        elif task.measure == "stock_disposal_rate":
            measure = supply.county_stock_disposal(workspace.batches, ledger, task.window, rules.stock_date(task), on)
        else:
            measure = idle.county_idle_disposal(workspace.idle, rules, on)
        results.append(verdict.judge_task(task, measure, codes, t))
    now_reached = _reached_now(rules, workspace, ledger, codes, t)

    step("landcover")
    use_raster = raster and workspace.landcover is not None
    # Only the batches the two-year rule may reach need their unsupplied part cut out now;
    # the rest is cut on demand (Assessment.unsupplied_parts, for maps).
    eligible = approvals.eligible_batches(workspace.batches, ledger, rules, t)

    def cut(ids: pd.Index) -> gpd.GeoSeries:
        return approvals.unsupplied_parts(workspace.batches[member(workspace.batches["batch_id"], ids)], links, t)

    drawn = workspace.batches.set_index("batch_id")["geom_ha"]
    left_on_ground = drawn - reindexed(links.supplied_ha(t, drawn_only=True), drawn.index).fillna(0.0)
    remainder: gpd.GeoSeries | Callable[[pd.Index], gpd.GeoSeries] | None = cut if geometry else None
    parcel_built = remainder_built = None
    if use_raster:
        remainder = cut(eligible)
        from landuse.analysis.landcover import class_shares

        remainder_built = class_shares(remainder, workspace.landcover, rules.landcover)["built_share"]
        # The developed share comes from pixels only for started parcels no attribute describes.
        sup = workspace.supplies
        unknown = sup["developed_ha"].isna() & (sup["actual_start"] <= pd.Timestamp(t))
        parcel_built = class_shares(sup.geometry[unknown], workspace.landcover,
                                    rules.landcover)["built_share"]

    # The land survey, when there is one, says what stands on the unsupplied part before the raster.
    share_basis = None
    survey_share, survey_year = _survey_shares(
        workspace, rules, t, lambda: remainder if isinstance(remainder, gpd.GeoSeries) else cut(eligible))
    if survey_share is not None:
        share_basis = pd.Series("survey", index=survey_share.index[survey_share.notna()], dtype="object")
        remainder_built = (survey_share.combine_first(remainder_built) if remainder_built is not None
                           else survey_share)

    step("candidates")
    ledger_idle = idle.idle_ledger(workspace, rules, t)
    parcels = idle.parcel_status(workspace, rules, t, built_share=parcel_built)
    approval_cands = approvals.approval_candidates(
        workspace.batches, ledger, rules, t, remainder=remainder, left_on_ground=left_on_ground,
        built_share=remainder_built, share_basis=share_basis, survey_year=survey_year,
    )
    suspected = _suspected_candidates(parcels, ledger_idle, rules, workspace, t)
    parts = [c for c in (approval_cands, suspected) if not c.empty]
    candidates = approvals.candidates_frame(pd.concat(parts, ignore_index=True) if parts else None,
                                            workspace.crs)
    ledger_idle, candidates = _typical_and_sample(ledger_idle, candidates, rules)

    step("linkage")
    year = plan_year(rules)
    quotas = workspace.quotas
    plan_base = quotas[quotas["year"] == year].set_index("county_code")["plan_base_ha"]
    stock = _stock(workspace, ledger, ledger_idle, t)
    combined = _combined(results)
    excluded = [p for p in workspace.problems if p.severity == "error" and p.layer in layers]
    # A county's functional zones with it: an excluded row placed in the county by its code
    # may lie in one of them (the zone would lose a row and still give a verdict).
    undetermined = codes[affected_units(excluded, workspace.counties, codes)]
    counties = judge_counties(results, rules, t, counties=workspace.counties, plan_base=plan_base,
                             stock_ha=stock, combined=combined, reached_now=now_reached,
                             rank_by=_ranking_rate(results, rules, combined),
                             resumed_on=_resumed_on(workspace, t), undetermined=undetermined)
    counties = gpd.GeoDataFrame(
        counties, geometry=_unit_outlines(workspace.counties).reindex(counties["county_code"]).to_numpy(),
        crs=workspace.crs)

    batches = _batch_detail(workspace, ledger, rules, t, links)
    strays = supply.stray_supplies(workspace, links, until=max(dates)) if rules.supply.measure == "geometry" else []
    problems = problems_frame([*workspace.problems, *supply_problems, *strays, *_no_quota(counties, year),
                               *resumed_while_short(counties, rules, now_reached),
                               *_uncounted_disposals(workspace, rules)])
    return Assessment(rules, t, workspace, counties, results, batches, parcels, ledger_idle,
                      candidates, problems,
                      extra={"plan_year": year, "dates": dates, "links": links, "excluded": excluded,
                             "area": area})


def _check_period(rules: RuleSet, t: dt.date) -> None:
    """Refuse an as-of date before the rule set's first approval window opens.

    Before it no approval in any task's scope can exist: every rate would be
    empty or zero and a ranking of zeros would read as a verdict.
    """
    starts = [task.window[0] for task in rules.tasks if task.window is not None]
    if not starts or t >= min(starts):
        return
    first = min(starts)
    deadline = max(task.deadline for task in rules.tasks)
    raise RuleSetError(
        f"考核日期 {t} 早于规则集“{rules.name}”的考核范围（最早的批准日期范围始于 {first}）："
        f"此前没有任何考核任务，不能排名或奖惩；请给出 {first} 之后的日期（例如截止日期 {deadline}）",
        f"as-of date {t} is before the period of rule set '{rules.id}' (its first approval window "
        f"opens on {first}): no task exists yet, nothing can be ranked, awarded or penalised; give a "
        f"date from {first} on (e.g. the deadline {deadline})")


def _without_late_dates(workspace: Workspace, last: dt.date, layers: Iterable[str]) -> Workspace:
    """Keep rows dated more than a year after ``last`` out, each named by an error.

    ``last`` is the later of the as-of date and the rule set's last deadline.
    A batch approved in 2099 for an assessment as of 2018 is a typing error;
    counted or not, the verdict of its county would rest on it.
    """
    limit = pd.Timestamp(last) + pd.DateOffset(years=1)
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    county_of_batch = workspace.batches.set_index("batch_id")["county_code"]
    county_of_batch = county_of_batch[~county_of_batch.index.duplicated()]
    for name in layers:
        if name not in LAYERS:
            continue
        fields = [f for f in EVENT_DATES.get(name, ()) if f in workspace.layer(name).columns]
        if not fields:
            continue
        frame = workspace.layer(name)
        late = pd.DataFrame({f: frame[f] > limit for f in fields}, index=frame.index)
        bad = late.any(axis=1).to_numpy()
        if not bad.any():
            continue
        spec = LAYERS[name]
        ids = frame[spec.id_field] if spec.id_field in frame else pd.Series(pd.NA, index=frame.index)
        if "county_code" in frame:
            county = frame["county_code"]
        else:
            county = (frame["batch_id"].map(county_of_batch) if "batch_id" in frame
                      else pd.Series(None, index=frame.index, dtype="object"))
        for i in np.flatnonzero(bad):
            row = frame.iloc[i]
            fid = ids.iloc[i]
            code = county.iloc[i]
            for f in fields:
                if not late.iloc[i][f]:
                    continue
                label = spec.field(f).label
                value = f"{row[f]:%Y-%m-%d}"
                problems.append(Problem(
                    name, None if pd.isna(fid) else str(fid), f, "error",
                    f"{label} {value} 晚于 {limit:%Y-%m-%d}（考核日期及规则集截止日期之后一年），疑为录入错误；"
                    "该行不参与计算，请核对后更正",
                    f"{f} {value} is after {limit:%Y-%m-%d} (a year past the assessment date and the rule "
                    "set's deadlines), probably a typing error; the row is left out: check and correct it",
                    None if pd.isna(row.get("source_row")) else int(row["source_row"]),
                    workspace.sources.get(name), None if pd.isna(code) else str(code)))
        frames[name] = frame[~bad]
    if not problems:
        return workspace
    return dataclasses.replace(workspace, **frames, problems=[*workspace.problems, *problems])


def _survey_shares(workspace: Workspace, rules: RuleSet, t: dt.date, parts: Callable[[], gpd.GeoSeries]
                   ) -> tuple[pd.Series | None, int | None]:
    """Built-up share of each unsupplied part by the land survey, and the survey year read.

    The survey is the workspace's ``survey`` layer, read with the rule set's
    ``landcover.survey_built_up_codes``; its year is the latest not after
    ``t``'s (a survey without years serves as it is); ``parts()`` gives the
    unsupplied parts, cut only when a survey is read. A part whose batch was
    approved after that year gets no share: a survey from before the approval
    does not show the site since. None (and no year) when the workspace has no
    survey, the rule set lists no codes, or no survey year is early enough.
    """
    from landuse.analysis.survey import survey_built_share, survey_year_for

    codes = rules.landcover.survey_built_up_codes
    survey = workspace.layers.get("survey")
    if not codes or survey is None or survey.empty or not isinstance(survey, gpd.GeoDataFrame):
        return None, None
    dated = "year" in survey and survey["year"].notna().any()
    year = survey_year_for(survey, t.year) if dated else None
    if dated and year is None:
        return None, None
    share = survey_built_share(parts(), survey, codes, year)
    if year is not None:
        approved = workspace.batches.drop_duplicates("batch_id").set_index("batch_id")["approval_date"]
        late = (reindexed(approved, share.index).dt.year > year).fillna(False).to_numpy(dtype=bool)
        share[late] = np.nan
    return share, year


def _unit_outlines(counties: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Each unit's outline by code: a county less the functional zones carved from it."""
    out = counties.drop_duplicates("county_code").set_index("county_code").geometry
    if "unit_kind" not in counties or not (counties["unit_kind"] == "功能区").fillna(False).any():
        return out
    zones = counties[(counties["unit_kind"] == "功能区").fillna(False) & counties["parent_code"].notna()]
    carved = zones.geometry.groupby(zones["parent_code"].to_numpy()).agg(lambda g: shapely.union_all(g.to_numpy()))
    parents = carved.index[member(carved.index, out.index)]
    values = out.to_numpy().copy()
    pos = out.index.get_indexer(parents)
    values[pos] = shapely.difference(values[pos], carved.loc[parents].to_numpy())
    return gpd.GeoSeries(values, index=out.index, crs=out.crs)


def _reached_now(rules: RuleSet, workspace: Workspace, ledger: pd.DataFrame, codes: pd.Index,
                 t: dt.date) -> pd.DataFrame:
    """Whether each deciding task's target is reached as of ``t`` itself, by county.

    Only tasks whose deadline has passed are measured again (at ``t``); a county that
    missed one at its deadline and has reached it since may apply for resumption
    ("整改任务完成并经申请确认后，可恢复受理").
    """
    out = {}
    for task in rules.deciding_tasks:
        if t <= task.deadline:
            continue
        if task.measure == "supply_rate":
            measure = supply.county_supply_rates(workspace.batches, ledger, task.window, t)
        elif task.measure == "stock_disposal_rate":
            measure = supply.county_stock_disposal(workspace.batches, ledger, task.window, rules.stock_date(task), t)
        else:
            measure = idle.county_idle_disposal(workspace.idle, rules, t)
        out[task.id] = verdict.judge_task(task, measure, codes, t).frame["reached"]
    return pd.DataFrame(out, index=codes)


def _resumed_on(workspace: Workspace, t: dt.date) -> pd.Series:
    """The first confirmed resumption on or before ``t``, by county (the ``resumptions`` table)."""
    res = getattr(workspace, "resumptions", None)
    if res is None or res.empty:
        return pd.Series(dtype="datetime64[ns]")
    res = res[res["date"].notna() & (res["date"] <= pd.Timestamp(t))]
    return res.groupby("county_code")["date"].min()


def plan_year(rules: RuleSet) -> int:
    """The year whose factor-method plan the award or penalty applies to.

    "下一年度计划" is the year after the task year: the year of the last deciding
    deadline plus ``award.plan_year_offset``, whatever the as-of date (at 2019-06-30
    the 2018 tasks still decide the 2019 plan).
    """
    deciding = rules.deciding_tasks or rules.tasks
    return max(task.deadline for task in deciding).year + rules.award.plan_year_offset


def _uncounted_disposals(workspace: Workspace, rules: RuleSet) -> list[Problem]:
    idle_layer = workspace.idle
    odd = idle_layer[idle_layer["disposal"].notna() & ~idle_layer["disposal"].isin(rules.idle.disposal_methods)]
    allowed = "、".join(rules.idle.disposal_methods)
    return [Problem("idle", str(iid), "disposal", "warning",
                    f"处置方式 “{method}” 不是规则集认可的处置方式（{allowed}），不计为已处置",
                    f"disposal '{method}' is not a method the rule set counts; not counted as disposed",
                    int(row))
            for iid, method, row in zip(odd["idle_id"], odd["disposal"], odd["source_row"], strict=True)]


def _no_quota(counties: pd.DataFrame, year: int) -> list[Problem]:
    missing = counties[counties["plan_base_ha"].isna()]
    return [Problem("quotas", str(code), "plan_base_ha", "warning",
                    f"{name}（{code}）没有 {year} 年的因素法计划指标，无法计算下一年度计划",
                    f"{code} has no factor-method plan for {year}; next year's plan cannot be computed")
            for code, name in zip(missing["county_code"], missing["county_name"], strict=True)]


def _stock(workspace: Workspace, ledger: pd.DataFrame, ledger_idle: pd.DataFrame, t: dt.date) -> pd.Series:
    """Unsupplied (all approvals to date) plus undisposed idle hectares, by county."""
    key = f"{pd.Timestamp(t):%Y-%m-%d}"
    b = workspace.batches.set_index("batch_id")
    approved = b["approval_date"] <= pd.Timestamp(t)
    unsupplied = ledger.loc[b.index[approved], f"U@{key}"].groupby(b.loc[approved, "county_code"]).sum()
    idle_left = ledger_idle.loc[~ledger_idle["disposed"]].groupby("county_code")["area_ha"].sum()
    return unsupplied.add(idle_left, fill_value=0.0)


def _combined(results: list[verdict.TaskResult]) -> pd.Series:
    """Combined disposal rate from the (first) stock and idle disposal tasks."""
    chosen: dict[str, pd.DataFrame] = {}
    for r in results:
        if r.task.measure in ("stock_disposal_rate", "idle_disposal_rate"):
            chosen.setdefault(r.task.measure, r.frame)
    if not chosen:
        return pd.Series(dtype="float64")
    done = sum(f["done_ha"] for f in chosen.values())
    base = sum(f["base_ha"] for f in chosen.values())
    return supply._ratio(done, base)


def _ranking_rate(results: list[verdict.TaskResult], rules: RuleSet, combined: pd.Series) -> pd.Series:
    """The rate counties are ranked by: ``rules.ranking.measure`` (NaN: not ranked)."""
    rates: dict[str, pd.Series] = {}
    for r in results:
        key = {"stock_disposal_rate": "stock_disposal", "idle_disposal_rate": "idle_disposal"}.get(r.task.measure)
        if key:
            rates.setdefault(key, r.frame["rate"])
        elif r.task.measure == "supply_rate" and not r.task.milestone:
            rates["supply_rate"] = r.frame["rate"]  # the last deciding supply-rate task
    measure = rules.ranking.measure
    if measure == "combined":
        return combined
    if measure != "weighted":
        return rates.get(measure, pd.Series(dtype="float64"))
    parts = [(rates[k], w) for k, w in rules.ranking.weights if k in rates and w > 0]
    if not parts:
        return pd.Series(dtype="float64")
    frame = pd.concat([p for p, _ in parts], axis=1)
    weights = np.array([w for _, w in parts])
    have = frame.notna().to_numpy()
    total = (frame.fillna(0.0).to_numpy() * weights).sum(axis=1)
    norm = (have * weights).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(np.where(norm > 0, total / norm, np.nan), index=frame.index)


def _batch_detail(workspace: Workspace, ledger: pd.DataFrame, rules: RuleSet, t: dt.date,
                  links: supply.SupplyLinks) -> gpd.GeoDataFrame:
    key = f"{pd.Timestamp(t):%Y-%m-%d}"
    b = workspace.batches.copy()
    led = reindexed(ledger, b["batch_id"])
    b["supplied_ha"] = led[f"S@{key}"].to_numpy()
    b["revoked_ha"] = led[f"R@{key}"].to_numpy()
    b["unsupplied_ha"] = led[f"U@{key}"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        base = b["approved_ha"] - b["revoked_ha"]
        b["supply_rate"] = (b["supplied_ha"] / base).where(base > supply.EPS_HA)
    b["capped"] = led[f"capped@{key}"].to_numpy()
    for task in rules.tasks:
        if task.window is not None:
            d1, d2 = (pd.Timestamp(d) for d in task.window)
            b[f"in_{task.id}"] = b["approval_date"].between(d1, d2)
        if task.baseline is not None:
            k0 = f"{pd.Timestamp(rules.stock_date(task)):%Y-%m-%d}"
            b[f"unsupplied_baseline_ha_{task.id}"] = led[f"U@{k0}"].to_numpy()
    b["approval_year"] = b["approval_date"].dt.year.astype("Int64")
    counted = links.pieces[links.pieces["supply_date"] <= pd.Timestamp(t)]
    # A piece is one (batch, parcel) pair, so counting pieces counts parcels.
    pos = positions(counted["batch_id"], b["batch_id"])
    b["supplies"] = np.bincount(pos[pos >= 0], minlength=len(b)).astype("int64")
    return b


def _suspected_candidates(parcels: gpd.GeoDataFrame, ledger_idle: pd.DataFrame, rules: RuleSet,
                          workspace: Workspace, t: dt.date) -> gpd.GeoDataFrame:
    """Suspected idle parcels not yet on the task list, with cause and measure."""
    listed = set(ledger_idle["parcel_id"].dropna())
    sus = parcels[parcels["suspected_idle"] & ~member(parcels["parcel_id"], listed)]
    years = sus["years_since_start"]
    cause = pd.Series(pd.NA, index=sus.index, dtype="string")
    measures = idle._measures(cause, sus["agreed_start"], pd.Timestamp(t), sus["land_price_wan"], rules)
    out = pd.DataFrame({
        "kind": "suspected_idle",
        "kind_label": approvals.KIND_LABELS["suspected_idle"][0],
        "batch_id": sus["batch_id"].astype("string"),
        "parcel_id": sus["parcel_id"].astype("string"),
        "county_code": sus["county_code"],
        "area_ha": sus["area_ha"],
        "years": years,
        "idle_years": years,
        "cause": cause,
        "reason": sus["idle_reason"],
        "reason_en": sus["idle_reason_en"],
        "basis": sus["developed_basis"],
        "needs_field_check": True,
        "developed_share": sus["developed_share"],
        "invested_share": sus["invested_share"],
        "measure": measures["measure"],
        "measure_en": measures["measure_en"],
        "idle_fee_wan": measures["idle_fee_wan"],
        "land_price_wan": sus["land_price_wan"],
        "holder": sus["holder"],
        "project_name": sus["project_name"],
        "geometry": sus.geometry,
    })
    return approvals.candidates_frame(out, workspace.crs)


def _typical_and_sample(ledger_idle: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, rules: RuleSet,
                        *, per_county: int | None = None, seed: int | None = None
                        ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Flag typical idle cases (largest × longest) and a seeded per-county field sample.

    The pool is the undisposed task list plus suspected idle parcels.
    """
    per_county = rules.sampling.per_county if per_county is None else per_county
    seed = rules.sampling.seed if seed is None else seed
    ledger_idle = ledger_idle.copy()
    candidates = candidates.copy()
    pool_l = ledger_idle.loc[~ledger_idle["disposed"], ["idle_id", "county_code", "area_ha", "idle_years"]]
    pool_l = pool_l.assign(source="idle", key=pool_l["idle_id"].astype("string"))
    is_sus = candidates["kind"] == "suspected_idle" if "kind" in candidates else pd.Series(dtype=bool)
    pool_c = candidates.loc[is_sus, ["parcel_id", "county_code", "area_ha", "idle_years"]]
    pool_c = pool_c.assign(source="candidates", key=pool_c["parcel_id"].astype("string"))
    pool = pd.concat([pool_l.drop(columns="idle_id"), pool_c.drop(columns="parcel_id")])
    pool["score"] = pool["area_ha"] * pool["idle_years"].fillna(0.0)
    pool = pool.sort_values(["score", "key"], ascending=[False, True], kind="stable")
    # "挑选2宗以上": at least typical_cases, plus every parcel over both thresholds when set.
    sp = rules.sampling
    big = pd.Series(False, index=pool.index)
    if sp.typical_min_area_ha is not None and sp.typical_min_idle_years is not None:
        big = (pool["area_ha"] >= sp.typical_min_area_ha) & (pool["idle_years"].fillna(0.0) >= sp.typical_min_idle_years)
    ranked = np.arange(len(pool)) < sp.typical_cases
    typical = pool[ranked | big.to_numpy()]
    rng = np.random.default_rng(seed)
    ordered = pool.sort_values(["county_code", "key"], kind="stable")
    picks = []
    for _, group in ordered.groupby("county_code", sort=True):
        n = min(per_county, len(group))
        if n:
            picks.append(group.iloc[np.sort(rng.choice(len(group), size=n, replace=False))])
    sample = pd.concat(picks) if picks else pool.iloc[0:0]
    for frame, src in ((ledger_idle, "idle"), (candidates, "candidates")):
        frame["typical"] = False
        frame["sample"] = False
        frame.loc[typical.index[typical["source"] == src], "typical"] = True
        frame.loc[sample.index[sample["source"] == src], "sample"] = True
    return ledger_idle, candidates


def resample(assessment: Assessment, *, per_county: int, seed: int) -> Assessment:
    """Return ``assessment`` with a new field-check sample of ``per_county`` parcels."""
    ledger_idle, candidates = _typical_and_sample(
        assessment.idle, assessment.candidates, assessment.rules, per_county=per_county, seed=seed
    )
    return Assessment(assessment.rules, assessment.as_of, assessment.workspace, assessment.counties,
                      assessment.tasks, assessment.batches, assessment.supplies, ledger_idle, candidates,
                      assessment.problems, assessment.extra)


# --- tables --------------------------------------------------------------------------------
def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop geometry; booleans as true/false; dates as ISO text; NaN as empty.

    The text columns are built in Arrow (no Python string per value).
    """
    out = pd.DataFrame(frame.drop(columns=[c for c in ("geometry",) if c in frame.columns]))
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s.dtype) or str(s.dtype) == "boolean":
            flags = pa.array(s.array) if str(s.dtype) == "boolean" else pa.array(s.to_numpy(dtype=bool))
            out[col] = _arrow_text(pc.if_else(flags, "true", "false"), s.index)
        elif pd.api.types.is_datetime64_any_dtype(s.dtype) and getattr(s.dtype, "tz", None) is None:
            days = s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            out[col] = _arrow_text(pa.array(days).cast(pa.string()), s.index)  # date32 -> ISO day
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[col] = s.dt.strftime("%Y-%m-%d").where(s.notna(), "")
    return out


def _arrow_text(values: pa.Array, index: pd.Index) -> pd.Series:
    """Arrow text, missing values as empty text, as a pandas column."""
    return pd.Series(pd.arrays.ArrowStringArray(values.fill_null("").cast(pa.large_string())), index=index)


def _problems_table(assessment: Assessment) -> pd.DataFrame:
    return assessment.problems[["layer", "feature_id", "field", "severity", "message", "message_en",
                                "row", "source"]]


#: Each CSV table (no geometry) from the assessment, built when it is asked for.
_TABLES: dict[str, Callable[[Assessment], pd.DataFrame]] = {
    "counties": lambda a: _plain(a.counties),
    "batches": lambda a: _plain(a.batches),
    "idle": lambda a: _plain(a.idle),
    "candidates": lambda a: _plain(a.candidates),
    "supplies": lambda a: _plain(a.supplies),
    "reconciliation": lambda a: _plain(reconciliation_table(a)),
    "problems": _problems_table,
}


def tables(assessment: Assessment) -> dict[str, pd.DataFrame]:
    """Return the assessment's tables as written to CSV (no geometry)."""
    return {name: build(assessment) for name, build in _TABLES.items()}


#: The CSV files :func:`save_assessment` writes, in order.
TABLE_FILES = ("counties.csv", "batches.csv", "idle.csv", "candidates.csv", "supplies.csv",
               "reconciliation.csv", "problems.csv")


def reconciliation_table(assessment: Assessment) -> pd.DataFrame:
    """Per batch, supplied area by geometry and by the supply records (see
    :func:`landuse.analysis.supply.reconciliation`), tolerance ``rules.supply.sliver_ha``."""
    table = assessment.extra.get("reconciliation")
    if table is None:
        table = supply.reconciliation(assessment.workspace, assessment.links(), assessment.as_of,
                                      assessment.rules.supply.sliver_ha)
        assessment.extra["reconciliation"] = table
    return table


def save_assessment(assessment: Assessment, out_dir: str | os.PathLike, *, overwrite: bool = False) -> list[Path]:
    """Write ``counties.csv``, ``batches.csv``, ``idle.csv``, ``candidates.csv``,
    ``supplies.csv``, ``reconciliation.csv`` and ``problems.csv`` (UTF-8 with BOM)
    into ``out_dir``.

    The files are written as a set (:func:`landuse.io.files.output_set`): all of
    them or none replace the previous ones. With ``overwrite`` False an
    existing file is an error and nothing is written.
    """
    out = Path(out_dir)
    with output_set(out, TABLE_FILES, overwrite=overwrite) as stage:
        for name in TABLE_FILES:
            # One table at a time: at national size the plain copies of all seven at once
            # cost more than a GiB of the peak.
            trim_heap()
            write_csv(_TABLES[name.removesuffix(".csv")](assessment), stage / name)
    return [out / name for name in TABLE_FILES]
