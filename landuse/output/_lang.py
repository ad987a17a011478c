"""The two languages of every output, and the one refusal of a third.

Each output module keeps its own words in a ``{"zh": {...}, "en": {...}}`` table;
:func:`words` picks one language's words from such a table and refuses any other
language the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from landuse._errors import SchemaError

__all__ = ["LANGS", "check_lang", "pair_word", "words"]

#: The languages of reports, maps, ledgers and figures.
LANGS = ("zh", "en")

V = TypeVar("V")


def check_lang(lang: str) -> None:
    """Refuse a language other than ``zh`` or ``en``, in both.

    Raises
    ------
    SchemaError
        Naming the language given and the two there are.
    """
    if lang not in LANGS:
        raise SchemaError(f"未知的语言 “{lang}”（应为 zh 或 en）", f"unknown language '{lang}' (use zh or en)")


def words(table: Mapping[str, V], lang: str) -> V:
    """Return ``table[lang]`` after :func:`check_lang`."""
    check_lang(lang)
    return table[lang]


def pair_word(table: Mapping[str, tuple[str, str]], key: str, lang: str, **kw: object) -> str:
    """``table[key]`` — a ``(中文, English)`` pair — in ``lang``, formatted with ``kw`` if given."""
    text = table[key][0 if lang == "zh" else 1]
    return text.format(**kw) if kw else text
