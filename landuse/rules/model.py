"""Rule sets: the policy figures of a 增存挂钩 campaign, loaded from TOML.

Every number the assessment uses — tasks, targets, deadlines, award and
penalty multipliers, exemptions, Order 53 thresholds, the two-year rule —
lives in a rule-set TOML file, never in code. :func:`load_ruleset` parses a
file once, checks it against the schema of :mod:`landuse.rules._schema`
(pydantic models) and builds the frozen dataclasses below; a bad file fails
at load with a :class:`~landuse._errors.RuleSetError` naming the file, the
dotted key, the reason and the value received.

Two rule sets are bundled (:func:`list_rulesets`):

* ``zhumadian-2018`` — 驻政办〔2018〕163号, the Zhumadian city rules;
* ``mnr-2018`` — 自然资规〔2018〕1号, the national rule, as far as it is
  quantified.

Users write their own for other years, provinces and cities; the bundled
files are commented templates. The layout of a file::

    id = "my-city-2019"
    name = "…"               # Chinese
    name_en = "…"
    source = "…"             # the document the figures come from
    source_en = "…"
    notes = "…"              # optional
    baseline = 2019-01-01    # T0 of stock_disposal_rate tasks; optional if none
    baseline_day = "disposal"  # a record dated on T0 is disposal (default) | "stock"

    [[tasks]]                # one table per task, in reporting order
    id = "T1"
    measure = "supply_rate"  # | "stock_disposal_rate" | "idle_disposal_rate"
    window = [2014-01-01, 2018-12-31]   # approvals dated in it; not for idle
    deadline = 2019-12-31
    target = 0.75
    milestone = false        # optional, default false
    baseline = 2019-01-01    # optional, stock_disposal_rate only
    label = "…"
    label_en = "…"

    [award]       # deciding, met_multiplier, missed_multiplier, plan_year_offset
    [suspension]  # on_missed, exempt_project_kinds, exempt_synonyms (optional)
    [treatment]   # little_stock_quantile and the four labels, zh and en
    [ranking]     # commend, criticize, measure and weights (optional)
    [idle]        # Order 53: disposal_methods, thresholds, causes
    [approvals]   # lapse_years, approvers, reduce_approvers, default_kind (optional)
    [landcover]   # built_up_classes, cultivated_classes, shares
    [sampling]    # per_county, seed, typical_cases (at least), typical_min_area_ha, typical_min_idle_years
    [supply]      # optional: measure ("geometry" | "attribute"), sliver_ha
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from landuse._errors import RuleSetError
from landuse.rules._terms import (
    APPROVAL_KINDS,
    MEASURES,
    RANKING_MEASURES,
    SUPPLY_MEASURES,
    ZENGCUN,
    Measure,
    ruleset_error,
)

__all__ = [
    "APPROVAL_KINDS",
    "MEASURES",
    "RANKING_MEASURES",
    "SUPPLY_MEASURES",
    "ApprovalRules",
    "Award",
    "IdleRules",
    "LandCoverRules",
    "Measure",
    "Ranking",
    "RuleSet",
    "Sampling",
    "SupplyRules",
    "Suspension",
    "Task",
    "Treatment",
    "list_rulesets",
    "load_ruleset",
]


_MEASURE_LABELS = {
    "supply_rate": ("供地率", "supply rate"),
    "stock_disposal_rate": ("批而未供土地处置率", "unsupplied-stock disposal rate"),
    "idle_disposal_rate": ("闲置土地处置率", "idle-land disposal rate"),
}


@dataclass(frozen=True)
class Task:
    """One target of the campaign: a rate, judged at a deadline.

    Attributes
    ----------
    id : str
        Short identifier, e.g. ``"T2"``.
    measure : {"supply_rate", "stock_disposal_rate", "idle_disposal_rate"}
        The rate judged (see ``DESIGN.md``, "Definitions").
    deadline : datetime.date
        The date T at which the rate is judged.
    target : float
        The least rate that meets the task, a fraction in [0, 1] (0.75 = 75 %).
    window : tuple of datetime.date, or None
        Approvals dated in ``[window[0], window[1]]`` inclusive are in scope;
        None for ``idle_disposal_rate`` (the idle layer is the task list).
    baseline : datetime.date or None
        T0 of a ``stock_disposal_rate`` task: disposal is the fall of the
        unsupplied area since this date. None for the other measures.
    milestone : bool
        True for an intermediate checkpoint: reported and warned about, but
        not deciding the award.
    label, label_en : str
        What the task is called in reports, in Chinese and English.
    """

    id: str
    measure: Measure
    deadline: dt.date
    target: float
    window: tuple[dt.date, dt.date] | None
    baseline: dt.date | None
    milestone: bool
    label: str
    label_en: str


@dataclass(frozen=True)
class Award:
    """Plan award and penalty (linkage 1.1 of the notice).

    A county that meets every deciding task gets next year's plan =
    factor-method plan × ``met_multiplier``; one that misses any gets
    × ``missed_multiplier``. The plan is the quota of the year of the last
    deciding deadline + ``plan_year_offset`` ("下一年度计划"), whatever the
    as-of date.
    """

    deciding: tuple[str, ...]
    met_multiplier: float
    missed_multiplier: float
    plan_year_offset: int

    def outcome_word(self, outcome: str, lang: str = "zh") -> str:
        """The word for an outcome: 奖励 / 计划核减, or 达标 / 未达标 when meeting the
        tasks brings no award (``met_multiplier`` ≤ 1, as in ``mnr-2018``).

        Examples
        --------
        >>> load_ruleset("zhumadian-2018").award.outcome_word("penalty")
        '计划核减'
        >>> load_ruleset("mnr-2018").award.outcome_word("award")
        '达标'
        """
        if self.met_multiplier > 1.0:
            words = {"award": ("奖励", "award"), "penalty": ("计划核减", "plan cut")}
        else:
            words = {"award": ("达标", "met"), "penalty": ("未达标", "missed")}
        words["undetermined"] = ("待定", "undetermined")
        zh, en = words.get(outcome, (outcome, outcome))
        return zh if lang == "zh" else en


@dataclass(frozen=True)
class Suspension:
    """Suspension of new construction land applications (linkage 1.3).

    ``on_missed``: a county missing a deciding task is suspended, except for
    the project kinds in ``exempt_project_kinds``. These are categories: each
    may list other names in ``exempt_synonyms`` (category → names), so that
    国家重点项目 counts as 省以上重点项目. Names are compared without spaces.
    """

    on_missed: bool
    exempt_project_kinds: tuple[str, ...]
    exempt_synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def exempt_category(self, project_kind: str | None) -> str | None:
        """Return the exempt category ``project_kind`` belongs to, or None.

        Examples
        --------
        >>> s = load_ruleset("zhumadian-2018").suspension
        >>> s.exempt_category("国家重点项目"), s.exempt_category("脱贫攻坚项目")
        ('省以上重点项目', '扶贫攻坚项目')
        >>> s.exempt_category("商品住宅项目") is None
        True
        """
        if project_kind is None:
            return None
        kind = _squeeze(project_kind)
        names = dict(self.exempt_synonyms)
        for category in self.exempt_project_kinds:
            if kind in {_squeeze(n) for n in (category, *names.get(category, ()))}:
                return category
        return None


def _squeeze(text: str) -> str:
    """Text compared as a project kind: no whitespace (ASCII or ideographic), ASCII brackets."""
    return re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")")


@dataclass(frozen=True)
class Treatment:
    """Scale-indicator and development-zone linkages (linkages 1.2 and 1.4).

    A county whose stock (Σ U_b(T0) + idle area) is at or below the
    ``little_stock_quantile`` of all counties' stock has "little stock";
    above it, "much stock". Little stock and all tasks met → ``scale_favoured``
    and ``devzone_supported``; much stock and a task missed → ``scale_cut``
    and ``devzone_suspended``. The ``_en`` fields are the English labels.
    """

    little_stock_quantile: float
    scale_favoured: str
    scale_cut: str
    devzone_supported: str
    devzone_suspended: str
    scale_favoured_en: str
    scale_cut_en: str
    devzone_supported_en: str
    devzone_suspended_en: str



_RANKING_LABELS = {
    "combined": ("综合处置率（批而未供处置与闲置土地处置合计）", "combined disposal rate (unsupplied stock and idle land together)"),
    "idle_disposal": ("闲置土地处置率", "idle-land disposal rate"),
    "stock_disposal": ("批而未供土地处置率", "unsupplied-stock disposal rate"),
    "supply_rate": ("农转征土地供地率", "supply rate of converted and expropriated land"),
    "weighted": ("加权处置率", "weighted rate"),
}


@dataclass(frozen=True)
class Ranking:
    """How counties are ranked, and how many are commended (top) and criticised (bottom).

    ``measure``: ``combined`` (stock and idle disposal together, the default),
    ``idle_disposal``, ``stock_disposal``, ``supply_rate`` (of the last deciding
    supply-rate task), or ``weighted``: Σ wᵢ·rateᵢ / Σ wᵢ over the rates in
    ``weights`` (names ``stock_disposal``, ``idle_disposal``, ``supply_rate``)
    that a county has.
    """

    commend: int
    criticize: int
    measure: str = "combined"
    weights: tuple[tuple[str, float], ...] = ()

    def label(self, lang: str = "zh") -> str:
        """What the ranking is by, in words."""
        zh, en = _RANKING_LABELS[self.measure]
        if self.measure == "weighted":
            parts = [f"{_RANKING_LABELS[k][lang == 'en']} × {w:g}" for k, w in self.weights]
            if lang == "zh":
                return f"{zh}（{'，'.join(parts)}）"
            return f"{en} ({', '.join(parts)})"
        return zh if lang == "zh" else en


@dataclass(frozen=True)
class IdleRules:
    """Idle land per 闲置土地处置办法 (国土资源部令第53号).

    Attributes
    ----------
    disposal_methods : tuple of str
        The 处置方式 that count as disposed for the idle-land disposal rate.
    not_started_years : float
        A parcel not started this many years after its agreed start date is
        suspected idle.
    developed_share_min, investment_share_min : float
        A started parcel with developed area below ``developed_share_min`` of
        the parcel (or investment below ``investment_share_min`` of the total)
        ``not_started_years`` after its agreed start is suspected idle.
    fee_rate : float
        Idle fee as a fraction of the land price (enterprise cause), due
        after ``fee_after_years`` of idleness.
    fee_after_years, recover_after_years : float
        Years idle before the fee, and before recovery without compensation.
    enterprise_causes, government_causes : tuple of str
        闲置原因 values treated as enterprise-caused and government-caused.
    """

    disposal_methods: tuple[str, ...]
    not_started_years: float
    developed_share_min: float
    investment_share_min: float
    fee_rate: float
    fee_after_years: float
    recover_after_years: float
    enterprise_causes: tuple[str, ...]
    government_causes: tuple[str, ...]


@dataclass(frozen=True)
class ApprovalRules:
    """The two-year rule for approvals (notice section 2.1).

    ``approvers`` are the authorities whose batches are in the campaign's
    scope and can lapse or be withdrawn after ``lapse_years``;
    ``reduce_approvers`` those whose batches can be reduced (核减).

    The lapse clause is read per approval kind (the batch's 审批类型): a
    farmland conversion (农用地转用) lapses after ``lapse_years`` unused
    (nothing supplied); an expropriation (土地征收) after ``lapse_years``
    with its compensation plan not implemented; a batch approving both
    when nothing is supplied and compensation is not implemented (with
    compensation implemented it is withdrawn instead). ``default_kind`` is
    the kind of a batch whose 审批类型 is empty.
    """

    lapse_years: float
    approvers: tuple[str, ...]
    reduce_approvers: tuple[str, ...]
    default_kind: str = "农用地转用和土地征收"




@dataclass(frozen=True)
class SupplyRules:
    """How supplied area is measured (the ``[supply]`` section; optional, these defaults).

    ``measure``: ``geometry`` (DESIGN "Definitions": the batch's outline
    intersected with the union of its supply parcels) or ``attribute`` (the
    monitoring system's view: the sum of the 供地面积 each supply record
    naming the batch reports). ``sliver_ha``: with ``geometry``, an
    unsupplied remainder under this many hectares counts as supplied, and the
    per-batch reconciliation lists differences between the two measures over
    it.
    """

    measure: str = "geometry"
    sliver_ha: float = 0.01


@dataclass(frozen=True)
class LandCoverRules:
    """Reading the land-cover raster (CLCD class codes by default).

    The land class on site is "unchanged" when the built-up share inside a
    geometry is at most ``unchanged_max_built_share``; a parcel counts as
    developed on the share of built-up pixels, compared with
    ``developed_min_share`` (by default Order 53's 1/3).

    ``survey_built_up_codes`` are the land survey's (三调 / 年度变更调查) DLBM
    prefixes counted as built up: when the workspace holds a ``survey`` layer
    and this list is given, the built-up share of a batch's unsupplied part is
    read from the survey before the raster (empty: the survey is not used).
    """

    built_up_classes: tuple[int, ...]
    cultivated_classes: tuple[int, ...]
    unchanged_max_built_share: float
    developed_min_share: float
    used_before_supply_min_built_share: float
    survey_built_up_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sampling:
    """The field-check sample: parcels per county, random seed, typical cases.

    ``typical_cases`` is the least number of typical cases ("2宗以上": at least
    2): the largest × longest-idle parcels. Parcels of at least
    ``typical_min_area_ha`` idle at least ``typical_min_idle_years`` are
    typical as well, however many they are (both optional; without them
    exactly ``typical_cases`` are picked).
    """

    per_county: int
    seed: int
    typical_cases: int
    typical_min_area_ha: float | None = None
    typical_min_idle_years: float | None = None


@dataclass(frozen=True)
class RuleSet:
    """A complete, validated rule set. Build one with :func:`load_ruleset`.

    Attributes
    ----------
    id, name, name_en, source, source_en, notes : str
        Identity and provenance; ``name`` and ``source`` are in Chinese.
    baseline : datetime.date or None
        Default T0 of ``stock_disposal_rate`` tasks and of the stock used for
        ranking and treatment. None only when the file gives none (then no
        task measures stock disposal).
    tasks : tuple of Task
        In reporting order.
    award, suspension, treatment, ranking, idle, approvals, landcover, sampling
        The sections of the file.
    path : str or None
        Where the rule set was loaded from; not compared for equality.

    Examples
    --------
    >>> rules = load_ruleset("zhumadian-2018")
    >>> rules.task("T2").target
    0.75
    >>> [t.id for t in rules.deciding_tasks]
    ['T2', 'T3', 'T4']
    >>> [t.id for t in rules.milestones]
    ['T1']
    """

    id: str
    name: str
    name_en: str
    source: str
    source_en: str
    notes: str
    baseline: dt.date | None
    tasks: tuple[Task, ...]
    award: Award
    suspension: Suspension
    treatment: Treatment
    ranking: Ranking
    idle: IdleRules
    approvals: ApprovalRules
    landcover: LandCoverRules
    sampling: Sampling
    path: str | None = field(default=None, compare=False)
    baseline_day: str = "disposal"
    supply: SupplyRules = field(default_factory=SupplyRules)

    def stock_date(self, task: Task) -> dt.date | None:
        """The day the stock U_b(T0) of ``task`` is measured at the end of.

        ``baseline_day = "disposal"`` (the default): a supply or revocation dated on the
        baseline itself counts as disposal, so the stock is measured at the end of the
        day before. ``"stock"``: it counts in the stock (measured at the end of the
        baseline day).

        Examples
        --------
        >>> rules = load_ruleset("zhumadian-2018")
        >>> rules.stock_date(rules.task("T3"))
        datetime.date(2017, 12, 31)
        """
        if task.baseline is None:
            return None
        if self.baseline_day == "disposal":
            return task.baseline - dt.timedelta(days=1)
        return task.baseline

    @property
    def campaign(self) -> str:
        """The campaign this rule set belongs to: ``"zengcun"`` (增存挂钩)."""
        return ZENGCUN

    def task(self, task_id: str) -> Task:
        """Return the task called ``task_id``.

        Parameters
        ----------
        task_id : str
            A task id such as ``"T2"``.

        Returns
        -------
        Task

        Raises
        ------
        RuleSetError
            If the rule set has no such task; the message lists the ids.

        Examples
        --------
        >>> load_ruleset("zhumadian-2018").task("T3").window
        (datetime.date(2009, 1, 1), datetime.date(2015, 12, 31))
        """
        for task in self.tasks:
            if task.id == task_id:
                return task
        known = ", ".join(t.id for t in self.tasks)
        msg_zh = f"规则集 {self.id} 中没有任务 {task_id!r}；已有任务：{known}"
        msg_en = f"rule set {self.id} has no task {task_id!r}; its tasks are: {known}"
        raise RuleSetError(msg_zh, msg_en)

    @property
    def deciding_tasks(self) -> tuple[Task, ...]:
        """The tasks that decide award, penalty and suspension, in file order."""
        return tuple(t for t in self.tasks if t.id in self.award.deciding)

    @property
    def milestones(self) -> tuple[Task, ...]:
        """The milestone tasks: reported and warned about, not deciding."""
        return tuple(t for t in self.tasks if t.milestone)

    def to_toml(self) -> str:
        """Write the rule set as TOML text that :func:`load_ruleset` reads back.

        Comments of the original file are not kept; copy a bundled file to
        start a commented rule set of your own.

        Returns
        -------
        str

        Examples
        --------
        >>> text = load_ruleset("mnr-2018").to_toml()
        >>> 'id = "mnr-2018"' in text
        True
        """
        lines = [
            f"# {self.name} / {self.name_en}",
            "# written by landuse.rules.model.RuleSet.to_toml",
            "",
        ]
        for name in ("id", "name", "name_en", "source", "source_en", "notes"):
            lines.append(f"{name} = {_toml_value(getattr(self, name))}")
        if self.baseline is not None:
            lines.append(f"baseline = {_toml_value(self.baseline)}")
        lines.append(f"baseline_day = {_toml_value(self.baseline_day)}")
        for task in self.tasks:
            lines += ["", "[[tasks]]"]
            for f in dataclasses.fields(task):
                value = getattr(task, f.name)
                if value is None:
                    continue
                if f.name == "baseline" and value == self.baseline:
                    continue
                lines.append(f"{f.name} = {_toml_value(value)}")
        for section in (*_SECTIONS, *_OPTIONAL_SECTIONS):
            lines += ["", f"[{section}]"]
            obj = getattr(self, section)
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                if value is None:
                    continue
                if f.name in _PAIRS:  # a table stored as pairs; none is no key
                    if not value:
                        continue
                    value = {k: list(v) if isinstance(v, tuple) else v for k, v in value}
                lines.append(f"{f.name} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


#: Fields held as ((key, values), ...) pairs and written as TOML tables.
_PAIRS = frozenset({"exempt_synonyms", "weights"})

#: Optional sections: written by to_toml, not required in a file.
_OPTIONAL_SECTIONS = ("supply",)

_SECTIONS = (
    "award",
    "suspension",
    "treatment",
    "ranking",
    "idle",
    "approvals",
    "landcover",
    "sampling",
)


def list_rulesets() -> list[str]:
    """Return the names of the bundled rule sets, sorted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> list_rulesets()
    ['mnr-2018', 'zhumadian-2018', 'zhumadian-2019-weipian', 'zhumadian-2020-farmland']
    """
    folder = resources.files("landuse.rules") / "rulesets"
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    )


def load_ruleset(name_or_path: str | os.PathLike[str]) -> RuleSet:
    """Load a rule set: a bundled one by name, or any TOML file by path.

    The file is parsed and checked once; the result is immutable. A file
    whose ``campaign`` key names another campaign than 增存挂钩 (``"zengcun"``,
    the default) is checked by that campaign's ``parse_rules`` (see
    :data:`landuse.campaigns.CAMPAIGNS`) and its rule object returned, e.g. a
    :class:`~landuse.campaigns.weipian.WeipianRules` for ``campaign = "weipian"``.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A bundled name (see :func:`list_rulesets`), e.g. ``"zhumadian-2018"``,
        or the path of a ``.toml`` file.

    Returns
    -------
    RuleSet
        Or, for a file whose ``campaign`` names another campaign (``"farmland"``),
        that campaign's rule object (see :data:`landuse.campaigns.CAMPAIGNS`).

    Raises
    ------
    RuleSetError
        If the name or file is unknown (the message lists the bundled names),
        the TOML is malformed (with the line), or a key is unknown, missing,
        of the wrong type, out of range or inconsistent with the others (the
        message names the file, the dotted key, the reason and the value).

    Examples
    --------
    >>> rules = load_ruleset("zhumadian-2018")
    >>> rules.task("T2").target
    0.75
    >>> rules.award.met_multiplier, rules.award.missed_multiplier
    (1.1, 0.8)
    """
    if isinstance(name_or_path, str) and _looks_like_name(name_or_path):
        return _load_bundled(name_or_path)
    path = Path(name_or_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _unknown(os.fspath(name_or_path), path_like=True) from None
    except OSError as exc:
        msg_zh = f"无法读取规则集文件 {path}：{exc.strerror or exc}"
        msg_en = f"cannot read rule set file {path}: {exc.strerror or exc}"
        raise RuleSetError(msg_zh, msg_en) from exc
    return _parse(data, str(path))


def _looks_like_name(text: str) -> bool:
    return not text.endswith(".toml") and "/" not in text and os.sep not in text


@functools.cache
def _load_bundled(name: str) -> RuleSet:
    resource = resources.files("landuse.rules") / "rulesets" / f"{name}.toml"
    if not resource.is_file():
        raise _unknown(name, path_like=False)
    return _parse(resource.read_bytes(), str(resource))


def _unknown(what: str, *, path_like: bool) -> RuleSetError:
    names = ", ".join(list_rulesets())
    if path_like:
        msg_zh = f"找不到规则集文件 {what}；内置规则集：{names}"
        msg_en = f"rule set file {what} not found; bundled rule sets: {names}"
    else:
        msg_zh = f"没有名为 {what!r} 的内置规则集；内置规则集：{names}；或给出 .toml 文件路径"
        msg_en = f"no bundled rule set {what!r}; bundled rule sets: {names}; or give a .toml path"
    return RuleSetError(msg_zh, msg_en)


# --- parsing: the schema (landuse.rules._schema) checks, the dataclasses hold --------------


def _parse(data: bytes, src: str) -> RuleSet:
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        msg_zh = f"规则集文件 {src} 不是 UTF-8 编码（第 {exc.start} 字节）；请另存为 UTF-8"
        msg_en = f"rule set file {src} is not UTF-8 (byte {exc.start}); save it as UTF-8"
        raise RuleSetError(msg_zh, msg_en) from exc
    except tomllib.TOMLDecodeError as exc:
        msg_zh = f"规则集文件 {src} 不是合法的 TOML：{exc}"
        msg_en = f"rule set file {src} is not valid TOML: {exc}"
        raise RuleSetError(msg_zh, msg_en) from exc
    campaign = doc.get("campaign", ZENGCUN)
    if campaign != ZENGCUN:
        return _campaign_rules(doc, src, campaign)
    return _build(doc, src)


def _campaign_rules(doc: dict[str, Any], src: str, campaign: Any) -> Any:
    """Hand a rule set of another campaign to that campaign's parser (the registry's table)."""
    import importlib

    # The registry lives with the campaigns, a stage below the rules: looked up by name at
    # run time, so that the rules never import the campaigns (no import circle).
    CAMPAIGNS = importlib.import_module("landuse.campaigns").CAMPAIGNS

    known = [ZENGCUN, *CAMPAIGNS]
    if not isinstance(campaign, str) or campaign not in CAMPAIGNS:
        raise ruleset_error(src, "campaign", f"未知的考核类型；可用：{', '.join(known)}",
                            f"unknown campaign; one of: {', '.join(known)}", campaign)
    module = importlib.import_module(CAMPAIGNS[campaign])
    return module.CAMPAIGN.parse_rules(doc, src)


def _build(doc: dict[str, Any], src: str) -> RuleSet:
    # pydantic is imported here, on the first load, not with the package: importing it and
    # building the schema's classes takes about 0.1 s.
    from landuse.rules._schema import ZengcunFile, validate

    f = validate(ZengcunFile, doc, src)
    s, lc = f.suspension, f.landcover
    return _make(
        RuleSet, f, path=src,
        tasks=tuple(
            _make(Task, t, baseline=t.baseline if t.baseline is not None or t.measure != "stock_disposal_rate"
                  else f.baseline)
            for t in f.tasks
        ),
        award=_make(Award, f.award),
        suspension=_make(Suspension, s, exempt_synonyms=tuple(
            (k, s.exempt_synonyms[k]) for k in s.exempt_project_kinds if k in s.exempt_synonyms)),
        treatment=_make(Treatment, f.treatment),
        ranking=_make(Ranking, f.ranking, weights=f.ranking.weights.pairs() if f.ranking.weights else ()),
        idle=_make(IdleRules, f.idle),
        approvals=_make(ApprovalRules, f.approvals),
        landcover=_make(LandCoverRules, lc,
                        developed_min_share=_or(lc.developed_min_share, f.idle.developed_share_min),
                        used_before_supply_min_built_share=_or(lc.used_before_supply_min_built_share,
                                                               lc.unchanged_max_built_share)),
        sampling=_make(Sampling, f.sampling),
        supply=_make(SupplyRules, f.supply),
    )


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _make(cls: type[Any], section: Any, **values: Any) -> Any:
    """The dataclass ``cls`` from the validated table ``section``: fields of the same name, then ``values``.

    A table's value left out (None) leaves a field with a default at its default.
    """
    given = vars(section)  # a pydantic model's field values
    for name, has_default in _has_default(cls).items():
        if name in values or name not in given:
            continue
        if given[name] is not None or not has_default:
            values[name] = given[name]
    return cls(**values)


@functools.cache
def _has_default(cls: type[Any]) -> dict[str, bool]:
    missing = dataclasses.MISSING
    return {f.name: f.default is not missing or f.default_factory is not missing for f in dataclasses.fields(cls)}


# --- writing ----------------------------------------------------------------

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
_TOML_ESCAPES |= {"\f": "\\f", "\r": "\\r"}


def _toml_str(text: str) -> str:
    out = []
    for ch in text:
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_str(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")  # pragma: no cover
