"""The shape of a rule-set file, declared as pydantic models, and its bilingual errors.

Each TOML table of a 增存挂钩 rule set is a :class:`Section`: a strict,
frozen pydantic model that refuses unknown keys, so a key's type, range and
presence are declared once, on the field. Checks that tie one key to another
(a task's window against its deadline, ``award.deciding`` against the task
ids…) are ``model_validator`` s of the table that holds both.

:func:`validate` turns the first :class:`pydantic.ValidationError` into the
:class:`~landuse._errors.RuleSetError` an analyst reads: the file, the dotted
key (pydantic's ``loc``; a task is named by its id, ``tasks.T2.target``), the
reason and the mend in Chinese and English, and the value received.

The domain objects built from these models are the frozen dataclasses of
:mod:`landuse.rules.model`; this module is imported on the first load only
(importing pydantic and building these classes takes about 0.1 s). The
farmland and 卫片执法 rule sets declare their own sections with the field
types below.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from landuse._errors import RuleSetError
from landuse.rules._terms import (
    APPROVAL_KINDS,
    MISSING,
    RANKING_MEASURES,
    SUPPLY_MEASURES,
    ZENGCUN,
    Measure,
    ruleset_error,
)

__all__ = [
    "Count",
    "Integers",
    "NonEmptyStrings",
    "NonNegative",
    "Positive",
    "Section",
    "Share",
    "Strings",
    "Text",
    "ZengcunFile",
    "between",
    "fail",
    "validate",
]

_ID = re.compile(r"^[\w.-]+$")
_MAX_MULTIPLIER = 5.0


class Section(BaseModel):
    """One TOML table: strict types (no ``"0.75"`` for 0.75), no unknown key, finite numbers, frozen."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


def fail(zh: str, en: str, *, key: tuple[str | int, ...] = (), value: Any = MISSING) -> PydanticCustomError:
    """A validation failure worded for the analyst, in Chinese and English.

    Parameters
    ----------
    zh, en : str
        The reason and the mend.
    key : tuple, optional
        For a check of a whole table: the key it blames, below the table's own
        (``("window",)``). Empty for a check of one field.
    value : optional
        The value the message shows; by default none for ``key``, the value
        received for a field.
    """
    ctx: dict[str, Any] = {"zh": zh, "en": en}
    if key:
        ctx["key"] = key
    if value is not MISSING:
        ctx["value"] = value
    return PydanticCustomError("landuse", "{en}", ctx)


def unknown_key(name: str, allowed: Sequence[str]) -> tuple[str, str]:
    """The reason for an unknown key, with the closest allowed one as a hint."""
    close = difflib.get_close_matches(name, allowed, n=1)
    hint_zh = f"，是否应为 {close[0]}？" if close else ""
    hint_en = f"; did you mean {close[0]}?" if close else ""
    return (f"未知的键{hint_zh}；可用的键：{', '.join(allowed)}",
            f"unknown key{hint_en}; allowed keys: {', '.join(allowed)}")


# --- field types ----------------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise fail("不能为空", "must not be empty")
    return value


def _identifier(value: str) -> str:
    if not _ID.match(value):
        raise fail("只能含字母、数字、下划线、点和连字符", "may hold only letters, digits, '_', '.' and '-'")
    return value


def _share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        hint_zh = hint_en = ""
        if 1.0 < value <= 100.0:
            hint_zh = f"；若指 {value:g}%，应写作 {value / 100:g}"
            hint_en = f"; if you meant {value:g} %, write {value / 100:g}"
        raise fail(f"应为 [0, 1] 之间的比例{hint_zh}", f"must be a fraction in [0, 1]{hint_en}")
    return value


def _multiplier(value: float) -> float:
    if value > _MAX_MULTIPLIER:
        raise fail(
            f"应为计划的倍率，如 1.10 表示奖励 10%；大于 {_MAX_MULTIPLIER:g} 的值视为误写的百分数",
            f"must be a factor of the plan, e.g. 1.10 for +10 %; values above "
            f"{_MAX_MULTIPLIER:g} are refused as likely percentages",
        )
    return value


def between(lo: float, hi: float) -> AfterValidator:
    """A number in ``[lo, hi]`` (use as ``Annotated[float, between(0, 100)]``)."""

    def check(value: float) -> float:
        if not lo <= value <= hi:
            raise fail(f"应在 [{lo:g}, {hi:g}] 之内", f"must be in [{lo:g}, {hi:g}]")
        return value

    return AfterValidator(check)


def _array_of(zh: str, en: str) -> WrapValidator:
    """An array whose faulty element is blamed on the whole array, as a tuple."""

    def check(value: Any, handler: Callable[[Any], list[Any]]) -> tuple[Any, ...]:
        try:
            return tuple(handler(value))
        except ValidationError:
            raise fail(zh, en) from None

    return WrapValidator(check)


def _not_empty(value: tuple[Any, ...]) -> tuple[Any, ...]:
    if not value:
        raise fail("不能为空数组", "must not be empty")
    return value


def _no_repeats(value: tuple[str, ...]) -> tuple[str, ...]:
    dupes = sorted({v for v in value if value.count(v) > 1})
    if dupes:
        raise fail(f"重复的取值：{', '.join(dupes)}", f"repeated: {', '.join(dupes)}")
    return value


def _distinct(value: tuple[int, ...]) -> tuple[int, ...]:
    if len(set(value)) != len(value):
        raise fail("有重复的取值", "has repeated values")
    return value


def _window_shape(value: Any) -> Any:
    if not isinstance(value, list) or len(value) != 2:
        raise fail("应为两个日期的数组 [起, 止]，如 [2013-01-01, 2017-12-31]",
                   "must be an array of two dates [start, end], e.g. [2013-01-01, 2017-12-31]")
    return value


def _window_order(value: list[dt.date]) -> tuple[dt.date, dt.date]:
    if value[0] > value[1]:
        raise fail("起始日期晚于截止日期", "the start is after the end")
    return value[0], value[1]


def _dlbm_prefixes(codes: tuple[str, ...]) -> tuple[str, ...]:
    bad = [c for c in codes if not re.fullmatch(r"\d{2,4}", c)]
    if bad:
        raise fail(f"地类编码前缀应为 2–4 位数字：{', '.join(bad)}",
                   f"land-class code prefixes must be 2 to 4 digits: {', '.join(bad)}")
    return codes


#: A non-empty string (a name, a label, a quote once given).
Text = Annotated[str, AfterValidator(_not_blank)]
#: An id: letters, digits, ``_``, ``.`` and ``-``.
Identifier = Annotated[Text, AfterValidator(_identifier)]
#: A fraction in [0, 1]: 0.75 means 75 %.
Share = Annotated[float, AfterValidator(_share)]
#: A factor applied to the plan: 1.10 means +10 %, 0.80 means −20 %.
Multiplier = Annotated[float, Field(ge=0), AfterValidator(_multiplier)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=0)]
#: An array of distinct non-empty strings, possibly empty, as a tuple.
Strings = Annotated[list[Text], _array_of("应为非空字符串的数组", "must be an array of non-empty strings"),
                    AfterValidator(_no_repeats)]
NonEmptyStrings = Annotated[Strings, AfterValidator(_not_empty)]
#: A non-empty array of distinct non-negative integers (raster classes), as a tuple.
Integers = Annotated[list[Annotated[int, Field(ge=0)]],
                     _array_of("应为非负整数的数组", "must be an array of non-negative integers"),
                     AfterValidator(_not_empty), AfterValidator(_distinct)]
#: Two dates ``[start, end]``, start not after end, as a tuple.
Window = Annotated[list[dt.date], BeforeValidator(_window_shape), AfterValidator(_window_order)]


# --- the 增存挂钩 rule set --------------------------------------------------------


class TaskSchema(Section):
    """One ``[[tasks]]`` table; its stock baseline is checked by :class:`ZengcunFile`."""

    id: Identifier
    measure: Measure
    deadline: dt.date
    target: Share
    label: Text
    label_en: Text
    window: Window | None = None
    baseline: dt.date | None = None
    milestone: bool = False

    @model_validator(mode="after")
    def _scope(self) -> TaskSchema:
        if self.measure == "idle_disposal_rate":
            if self.window is not None:
                raise fail("闲置土地处置率以闲置土地任务清单为准，不按批准日期划定范围；请删除此键",
                           "an idle_disposal_rate task takes no approval window "
                           "(the idle layer is the task list); remove the key",
                           key=("window",), value=list(self.window))
        elif self.window is None:
            raise fail(f"缺少此键：{self.measure} 任务需要批准日期范围 [起, 止]",
                       f"missing key: a {self.measure} task needs an approval window [start, end]",
                       key=("window",))
        elif self.window[1] > self.deadline:
            raise fail(f"批准日期范围的截止日期晚于考核日期 deadline = {self.deadline.isoformat()}",
                       f"the window ends after the deadline {self.deadline.isoformat()}",
                       key=("window",), value=list(self.window))
        if self.baseline is not None and self.measure != "stock_disposal_rate":
            raise fail("只有 stock_disposal_rate 任务才有基期", "only a stock_disposal_rate task takes a baseline",
                       key=("baseline",), value=self.baseline)
        return self


def _array_of_tables(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise fail("应为表数组 [[tasks]]", "must be an array of tables [[tasks]]")
    if not value:
        raise fail("至少需要一项任务", "needs at least one task")
    return value


def _distinct_ids(tasks: list[TaskSchema]) -> tuple[TaskSchema, ...]:
    seen: dict[str, int] = {}
    for index, task in enumerate(tasks):
        if task.id in seen:
            raise fail(f"任务编号重复（第 {seen[task.id]} 项任务已用）",
                       f"duplicate task id (already used by task number {seen[task.id]})",
                       key=(index, "id"), value=task.id)
        seen[task.id] = index + 1
    return tuple(tasks)


class AwardSchema(Section):
    deciding: NonEmptyStrings
    met_multiplier: Multiplier
    missed_multiplier: Multiplier
    plan_year_offset: Count


class SuspensionSchema(Section):
    on_missed: bool
    exempt_project_kinds: Strings
    exempt_synonyms: dict[str, NonEmptyStrings] = {}

    @model_validator(mode="after")
    def _categories(self) -> SuspensionSchema:
        kinds = self.exempt_project_kinds
        for category in self.exempt_synonyms:
            if category not in kinds:
                raise fail(*unknown_key(category, kinds), key=("exempt_synonyms", category))
        seen: dict[str, str] = {}
        for category in kinds:
            names = self.exempt_synonyms.get(category, ())
            for name in names:
                if name in seen or name in kinds:
                    owner = seen.get(name, name)
                    raise fail(f"名称 {name!r} 已属于类别 {owner!r}", f"name {name!r} already belongs to category {owner!r}",
                               key=("exempt_synonyms", category), value=list(names))
                seen[name] = category
        return self


class TreatmentSchema(Section):
    little_stock_quantile: Share
    scale_favoured: Text
    scale_cut: Text
    devzone_supported: Text
    devzone_suspended: Text
    scale_favoured_en: Text
    scale_cut_en: Text
    devzone_supported_en: Text
    devzone_suspended_en: Text


class WeightsSchema(Section):
    """``[ranking] weights``: the rates a ``weighted`` ranking averages (names as :data:`RANKING_MEASURES`)."""

    idle_disposal: NonNegative | None = None
    stock_disposal: NonNegative | None = None
    supply_rate: NonNegative | None = None

    def pairs(self) -> tuple[tuple[str, float], ...]:
        """The weights given, as (rate, weight) pairs in the order of :data:`RANKING_MEASURES`."""
        return tuple((n, w) for n in RANKING_MEASURES[1:4] if (w := getattr(self, n)) is not None)


class RankingSchema(Section):
    commend: Count
    criticize: Count
    measure: Literal[RANKING_MEASURES] = "combined"  # type: ignore[valid-type]
    weights: WeightsSchema | None = None

    @model_validator(mode="after")
    def _weighted(self) -> RankingSchema:
        pairs = self.weights.pairs() if self.weights is not None else ()
        if self.measure == "weighted" and not any(w > 0 for _, w in pairs):
            raise fail('measure = "weighted" 需要至少一个正权重，如 weights = { idle_disposal = 0.5, supply_rate = 0.5 }',
                       'measure = "weighted" needs at least one positive weight, e.g. '
                       "weights = { idle_disposal = 0.5, supply_rate = 0.5 }", key=("weights",))
        if pairs and self.measure != "weighted":
            raise fail('只有 measure = "weighted" 才用权重', 'weights are for measure = "weighted" only',
                       key=("weights",), value=dict(pairs))
        return self


class IdleSchema(Section):
    disposal_methods: NonEmptyStrings
    not_started_years: Positive
    developed_share_min: Share
    investment_share_min: Share
    fee_rate: Share
    fee_after_years: NonNegative
    recover_after_years: NonNegative
    enterprise_causes: NonEmptyStrings
    government_causes: NonEmptyStrings

    @model_validator(mode="after")
    def _consistent(self) -> IdleSchema:
        both = sorted(set(self.enterprise_causes) & set(self.government_causes))
        if both:
            raise fail(f"{', '.join(both)} 同时列为企业原因和政府原因",
                       f"{', '.join(both)} listed as both an enterprise and a government cause",
                       key=("government_causes",), value=list(self.government_causes))
        if self.recover_after_years < self.fee_after_years:
            fee = self.fee_after_years
            raise fail(f"无偿收回的年限应不短于征缴闲置费的年限 fee_after_years = {fee:g}",
                       f"must not be shorter than fee_after_years = {fee:g}",
                       key=("recover_after_years",), value=self.recover_after_years)
        return self


class ApprovalsSchema(Section):
    lapse_years: Positive
    approvers: NonEmptyStrings
    reduce_approvers: Strings
    default_kind: Literal[APPROVAL_KINDS] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _reducible(self) -> ApprovalsSchema:
        extra = [a for a in self.reduce_approvers if a not in self.approvers]
        if extra:
            raise fail(f"{', '.join(extra)} 不在 approvers 之中", f"{', '.join(extra)} not among the approvers",
                       key=("reduce_approvers",), value=list(self.reduce_approvers))
        return self


class LandCoverSchema(Section):
    built_up_classes: Integers
    cultivated_classes: Integers
    unchanged_max_built_share: Share
    developed_min_share: Share | None = None  # None: idle.developed_share_min
    used_before_supply_min_built_share: Share | None = None  # None: unchanged_max_built_share
    survey_built_up_codes: Annotated[Strings, AfterValidator(_dlbm_prefixes)] = ()

    @model_validator(mode="after")
    def _consistent(self) -> LandCoverSchema:
        both = sorted(set(self.built_up_classes) & set(self.cultivated_classes))
        if both:
            raise fail(f"类别 {both} 同时列为建设用地和耕地", f"classes {both} listed as both built-up and cultivated",
                       key=("cultivated_classes",), value=list(self.cultivated_classes))
        used, unchanged = self.used_before_supply_min_built_share, self.unchanged_max_built_share
        if used is not None and used < unchanged:
            raise fail(f"不应低于 unchanged_max_built_share = {unchanged:g}（地类未变的批次不能算未供先用）",
                       f"must not be below unchanged_max_built_share = {unchanged:g} "
                       "(a batch whose land class is unchanged is not in use)",
                       key=("used_before_supply_min_built_share",), value=used)
        return self


class SamplingSchema(Section):
    per_county: Count
    seed: Count
    typical_cases: Count
    typical_min_area_ha: NonNegative | None = None
    typical_min_idle_years: NonNegative | None = None


class SupplySchema(Section):
    """``[supply]``, optional; a key left out takes the default of :class:`~landuse.rules.model.SupplyRules`."""

    measure: Literal[SUPPLY_MEASURES] | None = None  # type: ignore[valid-type]
    sliver_ha: NonNegative | None = None


class ZengcunFile(Section):
    """A whole 增存挂钩 rule-set file (``campaign = "zengcun"`` or no ``campaign``)."""

    id: Identifier
    name: Text
    name_en: Text
    source: Text
    source_en: Text
    tasks: Annotated[list[TaskSchema], BeforeValidator(_array_of_tables), AfterValidator(_distinct_ids)]
    award: AwardSchema
    suspension: SuspensionSchema
    treatment: TreatmentSchema
    ranking: RankingSchema
    idle: IdleSchema
    approvals: ApprovalsSchema
    landcover: LandCoverSchema
    sampling: SamplingSchema
    notes: str = ""
    baseline: dt.date | None = None
    baseline_day: Literal["disposal", "stock"] = "disposal"
    campaign: Literal[ZENGCUN] = ZENGCUN  # type: ignore[valid-type]
    supply: SupplySchema = SupplySchema()

    @model_validator(mode="after")
    def _consistent(self) -> ZengcunFile:
        for index, task in enumerate(self.tasks):
            if task.measure == "stock_disposal_rate":
                self._stock_baseline(index, task)
        self._deciding()
        return self

    def _stock_baseline(self, index: int, task: TaskSchema) -> None:
        baseline = task.baseline if task.baseline is not None else self.baseline
        if baseline is None:
            raise fail("批而未供处置率任务需要基期 T0：在此任务或文件顶部写 baseline = 2018-01-01",
                       "a stock_disposal_rate task needs a baseline T0: set baseline = 2018-01-01 "
                       "in this task or at the top of the file", key=("tasks", index, "baseline"))
        if baseline > task.deadline:
            raise fail(f"基期晚于考核日期 deadline = {task.deadline.isoformat()}",
                       f"the baseline is after the deadline {task.deadline.isoformat()}",
                       key=("tasks", index, "baseline"), value=baseline)
        if task.window is not None and task.window[1] > baseline:
            raise fail(f"存量的批准日期范围应在基期 {baseline.isoformat()} 之前截止",
                       f"the stock's approval window must end by the baseline {baseline.isoformat()}",
                       key=("tasks", index, "window"), value=list(task.window))

    def _deciding(self) -> None:
        tasks = {t.id: t for t in self.tasks}
        deciding = self.award.deciding
        key = ("award", "deciding")
        for task_id in deciding:
            if task_id not in tasks:
                raise fail(f"未知的任务 {task_id!r}；已有任务：{', '.join(tasks)}",
                           f"unknown task {task_id!r}; the tasks are: {', '.join(tasks)}", key=key, value=list(deciding))
            if tasks[task_id].milestone:
                raise fail(f"任务 {task_id} 是节点任务（milestone = true），不能决定奖惩",
                           f"task {task_id} is a milestone (milestone = true) and cannot be deciding",
                           key=key, value=list(deciding))
        loose = [i for i, task in tasks.items() if not task.milestone and i not in deciding]
        if loose:
            raise fail(f"任务 {', '.join(loose)} 既不是节点任务也不决定奖惩；请列入 deciding，或在该任务中写 milestone = true",
                       f"task {', '.join(loose)} is neither a milestone nor deciding; "
                       "list it here or set milestone = true in the task", key=key, value=list(deciding))


# --- from pydantic's errors to the analyst's -------------------------------------

S = TypeVar("S", bound=BaseModel)

#: Pydantic error types → the reason, in Chinese and English (those with a bound come from ``_bounded``).
_REASONS: dict[str, tuple[str, str]] = {
    "missing": ("缺少此键", "missing key"),
    "model_type": ("应为表 [...]", "must be a table [...]"),
    "dict_type": ("应为表 [...]", "must be a table [...]"),
    "string_type": ("应为字符串", "must be a string"),
    "bool_type": ("应为 true 或 false", "must be true or false"),
    "int_type": ("应为整数", "must be an integer"),
    "int_from_float": ("应为整数", "must be an integer"),
    "float_type": ("应为数值", "must be a number"),
    "finite_number": ("应为有限数值", "must be finite"),
    "list_type": ("应为数组", "must be an array"),
}

#: Types reported first when several keys are wrong: the table's unknown keys, then its missing ones.
_FIRST = {"extra_forbidden": 0, "missing": 1}


def validate(schema: type[S], doc: Mapping[str, Any], src: str) -> S:
    """Check the TOML document ``doc`` of the file ``src`` against ``schema``.

    Returns
    -------
    The validated model.

    Raises
    ------
    RuleSetError
        For the first fault (the shallowest key; in a table, unknown keys
        before missing ones), naming the file, the dotted key, the reason and
        the value received.

    Examples
    --------
    >>> validate(SamplingSchema, {"per_county": 5, "seed": 2018, "typical_cases": 2}, "r.toml").seed
    2018
    >>> validate(SamplingSchema, {"per_county": 5, "seed": -1, "typical_cases": 2}, "r.toml")
    Traceback (most recent call last):
    ...
    landuse._errors.RuleSetError: 规则集文件 r.toml，键 seed：应 ≥ 0（收到 -1） / rule set file r.toml, key seed: must be ≥ 0 (got -1)
    """
    try:
        return schema.model_validate(doc)
    except ValidationError as exc:
        faults = sorted(((_full_loc(e), e) for e in exc.errors()), key=lambda le: (len(le[0]), _FIRST.get(le[1]["type"], 2)))
        loc, error = faults[0]
        raise _error(schema, doc, src, loc, error) from None


def _full_loc(error: Any) -> tuple[str | int, ...]:
    ctx = error.get("ctx") or {}
    return tuple(error["loc"]) + tuple(ctx.get("key", ()) if error["type"] == "landuse" else ())


def _error(schema: type[BaseModel], doc: Mapping[str, Any], src: str, loc: tuple[str | int, ...],
           error: Any) -> RuleSetError:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input", MISSING)
    if kind == "landuse":
        zh, en = ctx["zh"], ctx["en"]
        if "value" in ctx or "key" in ctx:
            value = ctx.get("value", MISSING)
    elif kind == "extra_forbidden":
        model = _model_at(schema, loc[:-1])
        zh, en = unknown_key(str(loc[-1]), list(model.model_fields) if model else [])
        value = MISSING
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal"):
        zh, en = _bounded(kind, ctx)
    elif kind == "literal_error":
        options = ", ".join(re.findall(r"'([^']*)'", ctx.get("expected", "")))
        zh, en = f"未知的取值；可用：{options}", f"unknown value; one of: {options}"
    elif kind == "date_type":
        hint = isinstance(value, str)
        zh = "应为 TOML 日期（不含时间）" + ("；日期不加引号，写作 2018-09-30" if hint else "")
        en = "must be a TOML date without time" + ("; write dates unquoted, e.g. 2018-09-30" if hint else "")
    else:
        zh, en = _REASONS.get(kind, (error["msg"], error["msg"]))
    if kind == "missing":
        value = MISSING
    return ruleset_error(src, _dotted(loc, doc) or "(文件)", zh, en, value)


def _bounded(kind: str, ctx: Mapping[str, Any]) -> tuple[str, str]:
    if kind == "greater_than":
        return f"应大于 {ctx['gt']:g}", f"must be greater than {ctx['gt']:g}"
    if kind == "greater_than_equal":
        return f"应 ≥ {ctx['ge']:g}", f"must be ≥ {ctx['ge']:g}"
    return f"应 ≤ {ctx['le']:g}", f"must be ≤ {ctx['le']:g}"


def _dotted(loc: tuple[str | int, ...], doc: Mapping[str, Any]) -> str:
    """The dotted key of a pydantic ``loc``: ``("tasks", 1, "target")`` → ``tasks.T2.target``.

    A task is named by its id, or ``tasks[n]`` (from 1) when the id is not a
    usable name or repeats an earlier one; the index of an element in an array
    of values is dropped (the array is blamed).
    """
    parts: list[str] = []
    rest = list(loc)
    if len(rest) > 1 and rest[0] == "tasks" and isinstance(rest[1], int):
        parts.append(_task_key(doc.get("tasks"), rest[1]))
        rest = rest[2:]
    parts += [str(p) for p in rest if not isinstance(p, int)]
    return ".".join(parts)


def _task_key(raw: Any, index: int) -> str:
    seen: set[Any] = set()
    for number, item in enumerate(raw if isinstance(raw, list) else [], start=1):
        task_id = item.get("id") if isinstance(item, dict) else None
        named = isinstance(task_id, str) and bool(_ID.match(task_id)) and task_id not in seen
        if number == index + 1:
            return f"tasks.{task_id}" if named else f"tasks[{number}]"
        seen.add(task_id)
    return f"tasks[{index + 1}]"  # pragma: no cover - pydantic only names existing tasks


def _model_at(schema: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class of the table at ``loc`` (for the keys an unknown key is told of)."""
    model: type[BaseModel] | None = schema
    a_key = False  # the part is a key of a table of tables (land_classes.<scheme>), or an index
    for part in loc:
        if a_key or isinstance(part, int):
            a_key = False
            continue
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            return None
        model = _model_in(field.annotation)
        a_key = get_origin(field.annotation) is dict
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
