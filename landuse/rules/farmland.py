"""The rule set of the 耕地保护 (farmland protection) campaign, typed and checked.

A rule-set TOML file with ``campaign = "farmland"`` is parsed here into a
frozen :class:`FarmlandRules`; every figure the campaign uses (city targets,
tolerances, the 新增费 rate, the land-class table) lives in that file. A bad
file fails at load with a :class:`~landuse._errors.RuleSetError` naming the
file and the dotted key, in Chinese and English.

The layout of a file::

    campaign = "farmland"
    id = "…"; name = "…"; name_en = "…"; source = "…"; source_en = "…"
    as_of = 2020-06-15          # the default assessment date

    [city]           # retention_wan_mu, basic_farmland_wan_mu, quote
    [retention]      # deadline, quote
    [basic_farmland] # nonfarm_groups, quote
    [overlap]        # tolerance_ha, deadline, quote
    [false_class]    # tolerance_ha, fee_rate_wan_per_ha, fee_rate_source, deadline, quote
    [survey]         # scheme: which [land_classes.<scheme>] table reads DLBM
    [land_classes.<scheme>]   # farmland, agricultural, built_up, other: DLBM prefixes
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, model_validator

from landuse.rules._schema import (
    Identifier,
    NonEmptyStrings,
    NonNegative,
    Positive,
    Section,
    Text,
    between,
    fail,
    validate,
)

__all__ = [
    "CityTargets",
    "FalseClassRules",
    "FarmlandRules",
    "LandClasses",
    "OverlapRules",
    "parse_farmland_rules",
]

#: The groups a land class falls in; farmland is 耕地, the rest are not.
GROUPS: tuple[str, ...] = ("farmland", "agricultural", "built_up", "other")


@dataclass(frozen=True)
class LandClasses:
    """One classification's land-class table: DLBM prefixes of each group.

    A code belongs to the group of its longest listed prefix (``"0603"``
    before ``"06"``); a code no prefix matches is ``"unknown"``.
    """

    scheme: str
    groups: dict[str, tuple[str, ...]]

    def group_of(self, codes: Any) -> Any:
        """Return the group of each DLBM code (a pandas Series of text in, of text out).

        Examples
        --------
        >>> import pandas as pd
        >>> t = LandClasses("sandiao", {"farmland": ("0101",), "built_up": ("06",), "other": ("0603",)})
        >>> t.group_of(pd.Series(["0101", "0601", "0603", "9999"])).tolist()
        ['farmland', 'built_up', 'other', 'unknown']
        """
        import pandas as pd

        from landuse.model.schema import class_codes

        text = class_codes(codes)
        out = pd.Series("unknown", index=text.index, dtype="string")
        prefixes = sorted(((p, g) for g, ps in self.groups.items() for p in ps), key=lambda pg: len(pg[0]))
        # Shorter prefixes first, so a longer one overwrites: 0603 after 06.
        for prefix, group in prefixes:
            out = out.mask(text.str.startswith(prefix).fillna(False), group)
        return out


@dataclass(frozen=True)
class CityTargets:
    """The city's totals: farmland retention and permanent basic farmland, in 万亩."""

    retention_wan_mu: float
    basic_farmland_wan_mu: float
    quote: str


@dataclass(frozen=True)
class OverlapRules:
    """Overlap of 补充耕地 and 增减挂钩 projects: a pair is listed when its overlap exceeds the tolerance."""

    tolerance_ha: float
    deadline: dt.date
    quote: str


@dataclass(frozen=True)
class FalseClassRules:
    """地类不实: survey farmland in a batch above its declared farmland by more than the tolerance.

    The shortfall is the 占补平衡 to make good; × ``fee_rate_wan_per_ha`` the 新增费 to pay back.
    """

    tolerance_ha: float
    fee_rate_wan_per_ha: float
    fee_rate_source: str
    deadline: dt.date
    quote: str


@dataclass(frozen=True)
class FarmlandRules:
    """A complete, checked 耕地保护 rule set. Build one with :func:`landuse.rules.model.load_ruleset`.

    Examples
    --------
    >>> from landuse.rules.model import load_ruleset
    >>> rules = load_ruleset("zhumadian-2020-farmland")
    >>> rules.campaign, rules.city.retention_wan_mu, rules.overlap.tolerance_ha
    ('farmland', 1264.66, 0.01)
    """

    id: str
    name: str
    name_en: str
    source: str
    source_en: str
    notes: str
    as_of: dt.date
    city: CityTargets
    retention_deadline: dt.date
    retention_quote: str
    nonfarm_groups: tuple[str, ...]
    basic_farmland_quote: str
    overlap: OverlapRules
    false_class: FalseClassRules
    survey_scheme: str
    land_classes: dict[str, LandClasses]
    campaign: str = "farmland"
    path: str | None = field(default=None, compare=False)

    @property
    def classes(self) -> LandClasses:
        """The land-class table the survey's DLBM codes are read with."""
        return self.land_classes[self.survey_scheme]


# --- the schema: each table of the file, checked (see landuse.rules._schema) ------------------


class _City(Section):
    retention_wan_mu: Positive
    basic_farmland_wan_mu: Positive
    quote: Text = ""

    @model_validator(mode="after")
    def _within(self) -> _City:
        if self.basic_farmland_wan_mu > self.retention_wan_mu:
            raise fail("永久基本农田保护面积不应大于耕地保有量目标", "permanent basic farmland cannot exceed the retention target",
                       key=("basic_farmland_wan_mu",), value=self.basic_farmland_wan_mu)
        return self


class _Retention(Section):
    deadline: dt.date
    quote: Text = ""


def _nonfarm(groups: tuple[str, ...]) -> tuple[str, ...]:
    for group in groups:
        if group not in GROUPS[1:]:
            raise fail(f"未知的地类组；可用：{', '.join(GROUPS[1:])}",
                       f"unknown land-class group; one of: {', '.join(GROUPS[1:])}", value=group)
    return groups


class _BasicFarmland(Section):
    nonfarm_groups: Annotated[NonEmptyStrings, AfterValidator(_nonfarm)]
    quote: Text = ""


Tolerance = Annotated[float, between(0.0, 100.0)]


class _Overlap(Section):
    tolerance_ha: Tolerance
    deadline: dt.date
    quote: Text = ""


def _fee_rate(value: float) -> float:
    if value > 1000:
        raise fail("单位为 万元/公顷（1 元/平方米 = 1 万元/公顷），该值过大",
                   "the unit is 万元 per hectare (1 yuan/m² = 1 万元/ha); the value is too large")
    return value


class _FalseClass(Section):
    tolerance_ha: Tolerance
    fee_rate_wan_per_ha: Annotated[NonNegative, AfterValidator(_fee_rate)]
    fee_rate_source: Text
    deadline: dt.date
    quote: Text = ""


class _LandClassTable(Section):
    farmland: NonEmptyStrings
    built_up: NonEmptyStrings
    agricultural: NonEmptyStrings | None = None
    other: NonEmptyStrings | None = None
    note: str = ""

    def groups(self) -> dict[str, tuple[str, ...]]:
        """The prefixes of each group given, in the order of :data:`GROUPS`."""
        return {g: getattr(self, g) for g in GROUPS if getattr(self, g) is not None}

    @model_validator(mode="after")
    def _disjoint(self) -> _LandClassTable:
        seen: dict[str, str] = {}
        for g, prefixes in self.groups().items():
            for p in prefixes:
                if p in seen:
                    raise fail(f"地类编码 {p} 已列在 {seen[p]} 中", f"code {p} is already listed in {seen[p]}",
                               key=(g,), value=p)
                seen[p] = g
        return self


def _some_tables(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        raise fail("应为至少一个分类表 [land_classes.<分类>]", "must hold at least one table [land_classes.<scheme>]")
    return value


class _Survey(Section):
    scheme: Text


class _FarmlandFile(Section):
    campaign: Literal["farmland"]
    id: Identifier
    name: Text
    name_en: Text
    source: Text
    source_en: Text
    as_of: dt.date
    city: _City
    retention: _Retention
    basic_farmland: _BasicFarmland
    overlap: _Overlap
    false_class: _FalseClass
    survey: _Survey
    land_classes: Annotated[dict[str, _LandClassTable], BeforeValidator(_some_tables)]
    notes: str = ""

    @model_validator(mode="after")
    def _scheme(self) -> _FarmlandFile:
        if self.survey.scheme not in self.land_classes:
            options = ", ".join(self.land_classes)
            raise fail(f"未知的取值；可用：{options}", f"unknown value; one of: {options}",
                       key=("survey", "scheme"), value=self.survey.scheme)
        return self


def parse_farmland_rules(doc: dict[str, Any], src: str) -> FarmlandRules:
    """Check a TOML document with ``campaign = "farmland"`` into :class:`FarmlandRules`.

    Raises
    ------
    RuleSetError
        Naming the file and the dotted key of the first unknown, missing,
        mistyped or out-of-range value.
    """
    f = validate(_FarmlandFile, doc, src)
    fc = f.false_class
    return FarmlandRules(
        id=f.id, name=f.name, name_en=f.name_en, source=f.source, source_en=f.source_en, notes=f.notes,
        as_of=f.as_of, city=CityTargets(f.city.retention_wan_mu, f.city.basic_farmland_wan_mu, f.city.quote),
        retention_deadline=f.retention.deadline, retention_quote=f.retention.quote,
        nonfarm_groups=f.basic_farmland.nonfarm_groups, basic_farmland_quote=f.basic_farmland.quote,
        overlap=OverlapRules(f.overlap.tolerance_ha, f.overlap.deadline, f.overlap.quote),
        false_class=FalseClassRules(fc.tolerance_ha, fc.fee_rate_wan_per_ha, fc.fee_rate_source, fc.deadline,
                                    fc.quote),
        survey_scheme=f.survey.scheme,
        land_classes={scheme: LandClasses(scheme, table.groups()) for scheme, table in f.land_classes.items()},
        campaign=f.campaign, path=src,
    )
