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
from typing import Any

from landuse.rules.model import _Table

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

        text = pd.Series(codes).astype("string").str.strip().str.upper()
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


def _text(t: _Table, name: str) -> str:
    return t.string(name, default="") if not t.has(name) else t.string(name)


def _tolerance(t: _Table, name: str) -> float:
    return t.number(name, lo=0.0, hi=100.0)


def parse_farmland_rules(doc: dict[str, Any], src: str) -> FarmlandRules:
    """Check a TOML document with ``campaign = "farmland"`` into :class:`FarmlandRules`.

    Raises
    ------
    RuleSetError
        Naming the file and the dotted key of the first unknown, missing,
        mistyped or out-of-range value.
    """
    sections = ("city", "retention", "basic_farmland", "overlap", "false_class", "survey", "land_classes")
    top = _Table(src, "", doc, required=("campaign", "id", "name", "name_en", "source", "source_en", "as_of",
                                         *sections), optional=("notes",))
    city_t = _Table(src, "city", doc["city"], required=("retention_wan_mu", "basic_farmland_wan_mu"),
                    optional=("quote",))
    city = CityTargets(city_t.number("retention_wan_mu", positive=True),
                       city_t.number("basic_farmland_wan_mu", positive=True), _text(city_t, "quote"))
    if city.basic_farmland_wan_mu > city.retention_wan_mu:
        raise city_t.error("basic_farmland_wan_mu", "永久基本农田保护面积不应大于耕地保有量目标",
                           "permanent basic farmland cannot exceed the retention target",
                           city.basic_farmland_wan_mu)
    ret = _Table(src, "retention", doc["retention"], required=("deadline",), optional=("quote",))
    bf = _Table(src, "basic_farmland", doc["basic_farmland"], required=("nonfarm_groups",), optional=("quote",))
    nonfarm = bf.strings("nonfarm_groups")
    for group in nonfarm:
        if group not in GROUPS[1:]:
            raise bf.error("nonfarm_groups", f"未知的地类组；可用：{', '.join(GROUPS[1:])}",
                           f"unknown land-class group; one of: {', '.join(GROUPS[1:])}", group)
    ov = _Table(src, "overlap", doc["overlap"], required=("tolerance_ha", "deadline"), optional=("quote",))
    fc = _Table(src, "false_class", doc["false_class"],
                required=("tolerance_ha", "fee_rate_wan_per_ha", "fee_rate_source", "deadline"),
                optional=("quote",))
    fee = fc.number("fee_rate_wan_per_ha", lo=0.0)
    if fee > 1000:
        raise fc.error("fee_rate_wan_per_ha", "单位为 万元/公顷（1 元/平方米 = 1 万元/公顷），该值过大",
                       "the unit is 万元 per hectare (1 yuan/m² = 1 万元/ha); the value is too large", fee)
    lc_raw = doc["land_classes"]
    if not isinstance(lc_raw, dict) or not lc_raw:
        raise top.error("land_classes", "应为至少一个分类表 [land_classes.<分类>]",
                        "must hold at least one table [land_classes.<scheme>]", lc_raw)
    land_classes: dict[str, LandClasses] = {}
    for scheme, table in lc_raw.items():
        t = _Table(src, f"land_classes.{scheme}", table, required=("farmland", "built_up"),
                   optional=("agricultural", "other", "note"))
        groups = {g: t.strings(g) for g in GROUPS if t.has(g)}
        seen: dict[str, str] = {}
        for g, prefixes in groups.items():
            for p in prefixes:
                if p in seen:
                    raise t.error(g, f"地类编码 {p} 已列在 {seen[p]} 中", f"code {p} is already listed in {seen[p]}", p)
                seen[p] = g
        land_classes[scheme] = LandClasses(scheme, groups)
    sv = _Table(src, "survey", doc["survey"], required=("scheme",))
    scheme = sv.choice("scheme", list(land_classes))
    campaign = top.choice("campaign", ["farmland"])
    return FarmlandRules(
        id=top.identifier("id"), name=top.string("name"), name_en=top.string("name_en"),
        source=top.string("source"), source_en=top.string("source_en"), notes=top.string("notes", default=""),
        as_of=top.date("as_of"), city=city,
        retention_deadline=ret.date("deadline"), retention_quote=_text(ret, "quote"),
        nonfarm_groups=nonfarm, basic_farmland_quote=_text(bf, "quote"),
        overlap=OverlapRules(_tolerance(ov, "tolerance_ha"), ov.date("deadline"), _text(ov, "quote")),
        false_class=FalseClassRules(_tolerance(fc, "tolerance_ha"), fee, fc.string("fee_rate_source"),
                                    fc.date("deadline"), _text(fc, "quote")),
        survey_scheme=scheme, land_classes=land_classes, campaign=campaign, path=src,
    )
