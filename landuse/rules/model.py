"""Rule sets: the policy figures of a 增存挂钩 campaign, loaded from TOML.

One module (over 800 lines) because the 增存挂钩 rule set's sections are checked against one another (tasks named by the award, windows against the baseline).

Every number the assessment uses — tasks, targets, deadlines, award and
penalty multipliers, exemptions, Order 53 thresholds, the two-year rule —
lives in a rule-set TOML file, never in code. :func:`load_ruleset` parses a
file once into frozen dataclasses and checks it; a bad file fails at load
with a :class:`~landuse._errors.RuleSetError` naming the file, the dotted key,
the reason and the value received.

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
import difflib
import functools
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

from landuse._errors import RuleSetError

__all__ = [
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

#: Approval kinds of a batch (审批类型), the combined one first (the default reading).
APPROVAL_KINDS: tuple[str, ...] = ("农用地转用和土地征收", "农用地转用", "土地征收")

Measure = Literal["supply_rate", "stock_disposal_rate", "idle_disposal_rate"]
MEASURES: tuple[str, ...] = get_args(Measure)

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


#: What counties are ranked by (§4.3 "处置率"): see :class:`Ranking`.
RANKING_MEASURES: tuple[str, ...] = ("combined", "idle_disposal", "stock_disposal", "supply_rate", "weighted")

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


#: How a batch's supplied area is measured (``[supply] measure``).
SUPPLY_MEASURES: tuple[str, ...] = ("geometry", "attribute")


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


# --- parsing and validation -------------------------------------------------

_MISSING: Any = object()
_MAX_MULTIPLIER = 5.0
_ID = re.compile(r"^[\w.-]+$")


def _show(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _error(src: str, key: str, zh: str, en: str, value: Any = _MISSING) -> RuleSetError:
    got_zh = "" if value is _MISSING else f"（收到 {_show(value)}）"
    got_en = "" if value is _MISSING else f" (got {_show(value)})"
    return RuleSetError(
        f"规则集文件 {src}，键 {key}：{zh}{got_zh}",
        f"rule set file {src}, key {key}: {en}{got_en}",
    )


class _Table:
    """One TOML table being read: checks keys, reads typed values by name."""

    def __init__(
        self,
        src: str,
        key: str,
        value: Any,
        *,
        required: Sequence[str],
        optional: Sequence[str] = (),
    ) -> None:
        self.src = src
        self.key = key
        if not isinstance(value, dict):
            raise _error(src, key or "(文件)", "应为表 [...]", "must be a table [...]", value)
        self.data: Mapping[str, Any] = value
        allowed = [*required, *optional]
        for name in value:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint_zh = f"，是否应为 {close[0]}？" if close else ""
                hint_en = f"; did you mean {close[0]}?" if close else ""
                raise _error(
                    src,
                    self.sub(name),
                    f"未知的键{hint_zh}；可用的键：{', '.join(allowed)}",
                    f"unknown key{hint_en}; allowed keys: {', '.join(allowed)}",
                )
        for name in required:
            if name not in value:
                raise _error(src, self.sub(name), "缺少此键", "missing key")

    def sub(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def has(self, name: str) -> bool:
        return name in self.data

    def error(self, name: str, zh: str, en: str, value: Any = _MISSING) -> RuleSetError:
        return _error(self.src, self.sub(name), zh, en, value)

    def string(self, name: str, *, default: str | None = None) -> str:
        if name not in self.data and default is not None:
            return default
        value = self.data[name]
        if not isinstance(value, str):
            raise self.error(name, "应为字符串", "must be a string", value)
        if default is None and not value.strip():
            raise self.error(name, "不能为空", "must not be empty", value)
        return value

    def identifier(self, name: str) -> str:
        value = self.string(name)
        if not _ID.match(value):
            raise self.error(
                name,
                "只能含字母、数字、下划线、点和连字符",
                "may hold only letters, digits, '_', '.' and '-'",
                value,
            )
        return value

    def choice(self, name: str, options: Sequence[str]) -> str:
        value = self.string(name)
        if value not in options:
            raise self.error(
                name,
                f"未知的取值；可用：{', '.join(options)}",
                f"unknown value; one of: {', '.join(options)}",
                value,
            )
        return value

    def boolean(self, name: str, *, default: bool | None = None) -> bool:
        if name not in self.data and default is not None:
            return default
        value = self.data[name]
        if not isinstance(value, bool):
            raise self.error(name, "应为 true 或 false", "must be true or false", value)
        return value

    def number(
        self, name: str, *, lo: float | None = None, hi: float | None = None, positive: bool = False
    ) -> float:
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(name, "应为数值", "must be a number", value)
        if not math.isfinite(value):
            raise self.error(name, "应为有限数值", "must be finite", value)
        if positive and value <= 0:
            raise self.error(name, "应大于 0", "must be greater than 0", value)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            if lo is not None and hi is not None:
                zh, en = f"应在 [{lo:g}, {hi:g}] 之内", f"must be in [{lo:g}, {hi:g}]"
            elif lo is not None:
                zh, en = f"应 ≥ {lo:g}", f"must be ≥ {lo:g}"
            else:
                zh, en = f"应 ≤ {hi:g}", f"must be ≤ {hi:g}"
            raise self.error(name, zh, en, value)
        return float(value)

    def share(self, name: str) -> float:
        """A fraction in [0, 1]: 0.75 means 75 %."""
        value = self.number(name)
        if not 0.0 <= value <= 1.0:
            hint_zh = hint_en = ""
            if 1.0 < value <= 100.0:
                hint_zh = f"；若指 {value:g}%，应写作 {value / 100:g}"
                hint_en = f"; if you meant {value:g} %, write {value / 100:g}"
            raise self.error(
                name,
                f"应为 [0, 1] 之间的比例{hint_zh}",
                f"must be a fraction in [0, 1]{hint_en}",
                self.data[name],
            )
        return value

    def multiplier(self, name: str) -> float:
        """A factor applied to the plan: 1.10 means +10 %, 0.80 means −20 %."""
        value = self.number(name, lo=0.0)
        if value > _MAX_MULTIPLIER:
            raise self.error(
                name,
                f"应为计划的倍率，如 1.10 表示奖励 10%；"
                f"大于 {_MAX_MULTIPLIER:g} 的值视为误写的百分数",
                f"must be a factor of the plan, e.g. 1.10 for +10 %; values above "
                f"{_MAX_MULTIPLIER:g} are refused as likely percentages",
                self.data[name],
            )
        return value

    def integer(self, name: str, *, lo: int | None = 0) -> int:
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, "应为整数", "must be an integer", value)
        if lo is not None and value < lo:
            raise self.error(name, f"应 ≥ {lo}", f"must be ≥ {lo}", value)
        return value

    def date(self, name: str) -> dt.date:
        return _date(self, name, self.data[name])

    def strings(self, name: str, *, allow_empty: bool = False) -> tuple[str, ...]:
        value = self.data[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(
                name, "应为非空字符串的数组", "must be an array of non-empty strings", value
            )
        if not value and not allow_empty:
            raise self.error(name, "不能为空数组", "must not be empty", value)
        dupes = sorted({v for v in value if value.count(v) > 1})
        if dupes:
            raise self.error(
                name, f"重复的取值：{', '.join(dupes)}", f"repeated: {', '.join(dupes)}", value
            )
        return tuple(value)

    def integers(self, name: str) -> tuple[int, ...]:
        value = self.data[name]
        ok = isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
        )
        if not ok:
            raise self.error(
                name, "应为非负整数的数组", "must be an array of non-negative integers", value
            )
        if not value:
            raise self.error(name, "不能为空数组", "must not be empty", value)
        if len(set(value)) != len(value):
            raise self.error(name, "有重复的取值", "has repeated values", value)
        return tuple(value)

    def window(self, name: str) -> tuple[dt.date, dt.date]:
        value = self.data[name]
        if not isinstance(value, list) or len(value) != 2:
            raise self.error(
                name,
                "应为两个日期的数组 [起, 止]，如 [2013-01-01, 2017-12-31]",
                "must be an array of two dates [start, end], e.g. [2013-01-01, 2017-12-31]",
                value,
            )
        start, end = (_date(self, name, v) for v in value)
        if start > end:
            raise self.error(name, "起始日期晚于截止日期", "the start is after the end", value)
        return start, end


def _date(table: _Table, name: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime | dt.time) or not isinstance(value, dt.date):
        hint_zh = hint_en = ""
        if isinstance(value, str):
            hint_zh = "；日期不加引号，写作 2018-09-30"
            hint_en = "; write dates unquoted, e.g. 2018-09-30"
        raise table.error(
            name,
            f"应为 TOML 日期（不含时间）{hint_zh}",
            f"must be a TOML date without time{hint_en}",
            value,
        )
    return value


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


#: The campaign of the rule sets this module models itself (增存挂钩).
ZENGCUN = "zengcun"


def _campaign_rules(doc: dict[str, Any], src: str, campaign: Any) -> Any:
    """Hand a rule set of another campaign to that campaign's parser (the registry's table)."""
    import importlib

    # The registry lives with the campaigns, a stage below the rules: looked up by name at
    # run time, so that the rules never import the campaigns (no import circle).
    CAMPAIGNS = importlib.import_module("landuse.campaigns").CAMPAIGNS

    known = [ZENGCUN, *CAMPAIGNS]
    if not isinstance(campaign, str) or campaign not in CAMPAIGNS:
        raise _error(src, "campaign", f"未知的考核类型；可用：{', '.join(known)}",
                     f"unknown campaign; one of: {', '.join(known)}", campaign)
    module = importlib.import_module(CAMPAIGNS[campaign])
    return module.CAMPAIGN.parse_rules(doc, src)


def _build(doc: dict[str, Any], src: str) -> RuleSet:
    top = _Table(
        src,
        "",
        doc,
        required=("id", "name", "name_en", "source", "source_en", "tasks", *_SECTIONS),
        optional=("notes", "baseline", "baseline_day", "campaign", *_OPTIONAL_SECTIONS),
    )
    baseline = top.date("baseline") if top.has("baseline") else None
    tasks = _tasks(top, baseline)
    by_id = {t.id: t for t in tasks}
    idle = _idle(_Table(src, "idle", doc["idle"], required=_field_names(IdleRules)))
    return RuleSet(
        id=top.identifier("id"),
        name=top.string("name"),
        name_en=top.string("name_en"),
        source=top.string("source"),
        source_en=top.string("source_en"),
        notes=top.string("notes", default=""),
        baseline=baseline,
        tasks=tasks,
        award=_award(_Table(src, "award", doc["award"], required=_field_names(Award)), by_id),
        suspension=_suspension(
            _Table(src, "suspension", doc["suspension"], required=("on_missed", "exempt_project_kinds"),
                   optional=("exempt_synonyms",))
        ),
        treatment=_treatment(
            _Table(src, "treatment", doc["treatment"], required=_field_names(Treatment))
        ),
        ranking=_ranking(_Table(src, "ranking", doc["ranking"], required=("commend", "criticize"),
                                optional=("measure", "weights"))),
        idle=idle,
        approvals=_approvals(
            _Table(src, "approvals", doc["approvals"], required=("lapse_years", "approvers", "reduce_approvers"),
                   optional=("default_kind",))
        ),
        landcover=_landcover(
            _Table(
                src,
                "landcover",
                doc["landcover"],
                required=("built_up_classes", "cultivated_classes", "unchanged_max_built_share"),
                optional=("developed_min_share", "used_before_supply_min_built_share",
                          "survey_built_up_codes"),
            ),
            idle,
        ),
        sampling=_sampling(
            _Table(src, "sampling", doc["sampling"], required=("per_county", "seed", "typical_cases"),
                   optional=("typical_min_area_ha", "typical_min_idle_years"))
        ),
        path=src,
        baseline_day=top.choice("baseline_day", ("disposal", "stock")) if top.has("baseline_day")
        else "disposal",
        supply=_supply(_Table(src, "supply", doc["supply"], required=(), optional=_field_names(SupplyRules)))
        if top.has("supply") else SupplyRules(),
    )


def _supply(t: _Table) -> SupplyRules:
    default = SupplyRules()
    return SupplyRules(
        measure=t.choice("measure", SUPPLY_MEASURES) if t.has("measure") else default.measure,
        sliver_ha=t.number("sliver_ha", lo=0.0) if t.has("sliver_ha") else default.sliver_ha,
    )


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _tasks(top: _Table, baseline: dt.date | None) -> tuple[Task, ...]:
    raw = top.data["tasks"]
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise top.error(
            "tasks", "应为表数组 [[tasks]]", "must be an array of tables [[tasks]]", raw
        )
    if not raw:
        raise top.error("tasks", "至少需要一项任务", "needs at least one task", raw)
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(raw, start=1):
        task_id = item.get("id")
        key = f"tasks.{task_id}" if isinstance(task_id, str) and _ID.match(task_id) else ""
        if not key or task_id in seen:
            key = f"tasks[{number}]"
        t = _Table(
            top.src,
            key,
            item,
            required=("id", "measure", "deadline", "target", "label", "label_en"),
            optional=("window", "baseline", "milestone"),
        )
        task_id = t.identifier("id")
        if task_id in seen:
            raise t.error(
                "id",
                f"任务编号重复（第 {seen[task_id]} 项任务已用）",
                f"duplicate task id (already used by task number {seen[task_id]})",
                task_id,
            )
        seen[task_id] = number
        tasks.append(_task(t, task_id, baseline))
    return tuple(tasks)


def _task(t: _Table, task_id: str, default_baseline: dt.date | None) -> Task:
    measure = t.choice("measure", MEASURES)
    deadline = t.date("deadline")
    window: tuple[dt.date, dt.date] | None = None
    if measure == "idle_disposal_rate":
        if t.has("window"):
            raise t.error(
                "window",
                "闲置土地处置率以闲置土地任务清单为准，不按批准日期划定范围；请删除此键",
                "an idle_disposal_rate task takes no approval window "
                "(the idle layer is the task list); remove the key",
                t.data["window"],
            )
    else:
        if not t.has("window"):
            raise t.error(
                "window",
                f"缺少此键：{measure} 任务需要批准日期范围 [起, 止]",
                f"missing key: a {measure} task needs an approval window [start, end]",
            )
        window = t.window("window")
        if window[1] > deadline:
            raise t.error(
                "window",
                f"批准日期范围的截止日期晚于考核日期 deadline = {deadline.isoformat()}",
                f"the window ends after the deadline {deadline.isoformat()}",
                list(window),
            )
    baseline: dt.date | None = None
    if t.has("baseline"):
        if measure != "stock_disposal_rate":
            raise t.error(
                "baseline",
                "只有 stock_disposal_rate 任务才有基期",
                "only a stock_disposal_rate task takes a baseline",
                t.data["baseline"],
            )
        baseline = t.date("baseline")
    elif measure == "stock_disposal_rate":
        if default_baseline is None:
            raise t.error(
                "baseline",
                "批而未供处置率任务需要基期 T0：在此任务或文件顶部写 baseline = 2018-01-01",
                "a stock_disposal_rate task needs a baseline T0: set baseline = 2018-01-01 "
                "in this task or at the top of the file",
            )
        baseline = default_baseline
    if baseline is not None and window is not None:
        if baseline > deadline:
            raise t.error(
                "baseline",
                f"基期晚于考核日期 deadline = {deadline.isoformat()}",
                f"the baseline is after the deadline {deadline.isoformat()}",
                baseline,
            )
        if window[1] > baseline:
            raise t.error(
                "window",
                f"存量的批准日期范围应在基期 {baseline.isoformat()} 之前截止",
                f"the stock's approval window must end by the baseline {baseline.isoformat()}",
                list(window),
            )
    return Task(
        id=task_id,
        measure=measure,  # type: ignore[arg-type]  # checked against MEASURES
        deadline=deadline,
        target=t.share("target"),
        window=window,
        baseline=baseline,
        milestone=t.boolean("milestone", default=False),
        label=t.string("label"),
        label_en=t.string("label_en"),
    )


def _award(t: _Table, tasks: Mapping[str, Task]) -> Award:
    deciding = t.strings("deciding")
    for task_id in deciding:
        if task_id not in tasks:
            raise t.error(
                "deciding",
                f"未知的任务 {task_id!r}；已有任务：{', '.join(tasks)}",
                f"unknown task {task_id!r}; the tasks are: {', '.join(tasks)}",
                list(deciding),
            )
        if tasks[task_id].milestone:
            raise t.error(
                "deciding",
                f"任务 {task_id} 是节点任务（milestone = true），不能决定奖惩",
                f"task {task_id} is a milestone (milestone = true) and cannot be deciding",
                list(deciding),
            )
    loose = [i for i, task in tasks.items() if not task.milestone and i not in deciding]
    if loose:
        raise t.error(
            "deciding",
            f"任务 {', '.join(loose)} 既不是节点任务也不决定奖惩；"
            "请列入 deciding，或在该任务中写 milestone = true",
            f"task {', '.join(loose)} is neither a milestone nor deciding; "
            "list it here or set milestone = true in the task",
            list(deciding),
        )
    return Award(
        deciding=deciding,
        met_multiplier=t.multiplier("met_multiplier"),
        missed_multiplier=t.multiplier("missed_multiplier"),
        plan_year_offset=t.integer("plan_year_offset", lo=0),
    )


def _suspension(t: _Table) -> Suspension:
    kinds = t.strings("exempt_project_kinds", allow_empty=True)
    synonyms: list[tuple[str, tuple[str, ...]]] = []
    if t.has("exempt_synonyms"):
        table = _Table(t.src, t.sub("exempt_synonyms"), t.data["exempt_synonyms"], required=(),
                       optional=kinds)
        seen: dict[str, str] = {}
        for category in kinds:
            if not table.has(category):
                continue
            names = table.strings(category)
            for name in names:
                if name in seen or name in kinds:
                    raise table.error(
                        category,
                        f"名称 {name!r} 已属于类别 {seen.get(name, name)!r}",
                        f"name {name!r} already belongs to category {seen.get(name, name)!r}",
                        list(names),
                    )
                seen[name] = category
            synonyms.append((category, names))
    return Suspension(
        on_missed=t.boolean("on_missed"),
        exempt_project_kinds=kinds,
        exempt_synonyms=tuple(synonyms),
    )


def _treatment(t: _Table) -> Treatment:
    labels = {n: t.string(n) for n in _field_names(Treatment) if n != "little_stock_quantile"}
    return Treatment(little_stock_quantile=t.share("little_stock_quantile"), **labels)


def _ranking(t: _Table) -> Ranking:
    measure = t.choice("measure", RANKING_MEASURES) if t.has("measure") else "combined"
    weights: list[tuple[str, float]] = []
    if t.has("weights"):
        names = RANKING_MEASURES[1:4]
        w = _Table(t.src, t.sub("weights"), t.data["weights"], required=(), optional=names)
        weights = [(n, w.number(n, lo=0.0)) for n in names if w.has(n)]
    if measure == "weighted" and not any(v > 0 for _, v in weights):
        raise t.error("weights", "measure = \"weighted\" 需要至少一个正权重，如 "
                      "weights = { idle_disposal = 0.5, supply_rate = 0.5 }",
                      "measure = \"weighted\" needs at least one positive weight, e.g. "
                      "weights = { idle_disposal = 0.5, supply_rate = 0.5 }")
    if weights and measure != "weighted":
        raise t.error("weights", "只有 measure = \"weighted\" 才用权重", "weights are for measure = \"weighted\" only",
                      t.data["weights"])
    return Ranking(commend=t.integer("commend"), criticize=t.integer("criticize"), measure=measure,
                   weights=tuple(weights))


def _idle(t: _Table) -> IdleRules:
    enterprise = t.strings("enterprise_causes")
    government = t.strings("government_causes")
    both = sorted(set(enterprise) & set(government))
    if both:
        raise t.error(
            "government_causes",
            f"{', '.join(both)} 同时列为企业原因和政府原因",
            f"{', '.join(both)} listed as both an enterprise and a government cause",
            list(government),
        )
    fee_after = t.number("fee_after_years", lo=0.0)
    recover_after = t.number("recover_after_years", lo=0.0)
    if recover_after < fee_after:
        raise t.error(
            "recover_after_years",
            f"无偿收回的年限应不短于征缴闲置费的年限 fee_after_years = {fee_after:g}",
            f"must not be shorter than fee_after_years = {fee_after:g}",
            t.data["recover_after_years"],
        )
    return IdleRules(
        disposal_methods=t.strings("disposal_methods"),
        not_started_years=t.number("not_started_years", positive=True),
        developed_share_min=t.share("developed_share_min"),
        investment_share_min=t.share("investment_share_min"),
        fee_rate=t.share("fee_rate"),
        fee_after_years=fee_after,
        recover_after_years=recover_after,
        enterprise_causes=enterprise,
        government_causes=government,
    )


def _approvals(t: _Table) -> ApprovalRules:
    approvers = t.strings("approvers")
    reduce = t.strings("reduce_approvers", allow_empty=True)
    extra = [a for a in reduce if a not in approvers]
    if extra:
        raise t.error(
            "reduce_approvers",
            f"{', '.join(extra)} 不在 approvers 之中",
            f"{', '.join(extra)} not among the approvers",
            list(reduce),
        )
    return ApprovalRules(
        lapse_years=t.number("lapse_years", positive=True),
        approvers=approvers,
        reduce_approvers=reduce,
        default_kind=t.choice("default_kind", APPROVAL_KINDS) if t.has("default_kind")
        else APPROVAL_KINDS[0],
    )


def _landcover(t: _Table, idle: IdleRules) -> LandCoverRules:
    built = t.integers("built_up_classes")
    cultivated = t.integers("cultivated_classes")
    both = sorted(set(built) & set(cultivated))
    if both:
        raise t.error(
            "cultivated_classes",
            f"类别 {both} 同时列为建设用地和耕地",
            f"classes {both} listed as both built-up and cultivated",
            list(cultivated),
        )
    developed = (
        t.share("developed_min_share") if t.has("developed_min_share") else idle.developed_share_min
    )
    unchanged = t.share("unchanged_max_built_share")
    used = (
        t.share("used_before_supply_min_built_share")
        if t.has("used_before_supply_min_built_share")
        else unchanged
    )
    if used < unchanged:
        raise t.error(
            "used_before_supply_min_built_share",
            f"不应低于 unchanged_max_built_share = {unchanged:g}（地类未变的批次不能算未供先用）",
            f"must not be below unchanged_max_built_share = {unchanged:g} "
            "(a batch whose land class is unchanged is not in use)",
            t.data["used_before_supply_min_built_share"],
        )
    return LandCoverRules(
        built_up_classes=built,
        cultivated_classes=cultivated,
        unchanged_max_built_share=unchanged,
        developed_min_share=developed,
        used_before_supply_min_built_share=used,
        survey_built_up_codes=_survey_codes(t),
    )


def _survey_codes(t: _Table) -> tuple[str, ...]:
    """The survey's built-up DLBM prefixes (``survey_built_up_codes``, 2 to 4 digits each; [] or none: unused)."""
    if not t.has("survey_built_up_codes"):
        return ()
    codes = t.strings("survey_built_up_codes", allow_empty=True)
    bad = [c for c in codes if not re.fullmatch(r"\d{2,4}", c)]
    if bad:
        raise t.error("survey_built_up_codes", f"地类编码前缀应为 2–4 位数字：{', '.join(bad)}",
                      f"land-class code prefixes must be 2 to 4 digits: {', '.join(bad)}", list(codes))
    return codes


def _sampling(t: _Table) -> Sampling:
    return Sampling(
        per_county=t.integer("per_county"),
        seed=t.integer("seed"),
        typical_cases=t.integer("typical_cases"),
        typical_min_area_ha=t.number("typical_min_area_ha", lo=0.0) if t.has("typical_min_area_ha") else None,
        typical_min_idle_years=(t.number("typical_min_idle_years", lo=0.0)
                                if t.has("typical_min_idle_years") else None),
    )


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
