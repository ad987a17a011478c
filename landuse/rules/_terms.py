"""The vocabulary shared by the rule-set model and its schema: names and the error wording.

Kept apart from :mod:`landuse.rules._schema` so that the domain objects of
:mod:`landuse.rules.model` can name their measures without importing pydantic
(which the loader imports on first use only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, get_args

from landuse._errors import RuleSetError

#: The campaign of the rule sets :mod:`landuse.rules.model` models itself (增存挂钩).
ZENGCUN = "zengcun"

#: Approval kinds of a batch (审批类型), the combined one first (the default reading).
APPROVAL_KINDS: tuple[str, ...] = ("农用地转用和土地征收", "农用地转用", "土地征收")

Measure = Literal["supply_rate", "stock_disposal_rate", "idle_disposal_rate"]
MEASURES: tuple[str, ...] = get_args(Measure)

#: What counties are ranked by (§4.3 "处置率"): see :class:`~landuse.rules.model.Ranking`.
RANKING_MEASURES: tuple[str, ...] = ("combined", "idle_disposal", "stock_disposal", "supply_rate", "weighted")

#: How a batch's supplied area is measured (``[supply] measure``).
SUPPLY_MEASURES: tuple[str, ...] = ("geometry", "attribute")

#: No value to show in a message (a missing key).
MISSING: Any = object()


def show(value: Any) -> str:
    """A value as the message shows it: dates in ISO form, arrays and tables in TOML-like form."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def ruleset_error(src: str, key: str, zh: str, en: str, value: Any = MISSING) -> RuleSetError:
    """The error for one key of a rule-set file, in Chinese and English, with the value received."""
    got_zh = "" if value is MISSING else f"（收到 {show(value)}）"
    got_en = "" if value is MISSING else f" (got {show(value)})"
    return RuleSetError(
        f"规则集文件 {src}，键 {key}：{zh}{got_zh}",
        f"rule set file {src}, key {key}: {en}{got_en}",
    )
