"""Area units: hectare (公顷), 亩 and square metre, and their formatting.

One hectare is 10 000 m² and 15 亩 (市亩, 666.67 m²). Every area inside
landuse is in hectares; 亩 is a display unit and an input unit (a column
named with a ``(亩)`` or ``_mu`` suffix).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "M2_PER_HA",
    "MU_PER_HA",
    "format_area",
    "format_rate",
    "ha_from_m2",
    "ha_from_mu",
    "mu_from_ha",
]

#: Square metres in one hectare.
M2_PER_HA = 10_000.0
#: 亩 in one hectare.
MU_PER_HA = 15.0


def ha_from_m2(m2):  # type: ignore[no-untyped-def]
    """Convert square metres to hectares (scalars, arrays or Series).

    >>> ha_from_m2(10_000.0)
    1.0
    """
    return m2 / M2_PER_HA


def ha_from_mu(mu):  # type: ignore[no-untyped-def]
    """Convert 亩 to hectares (scalars, arrays or Series).

    >>> ha_from_mu(15.0)
    1.0
    """
    return mu / MU_PER_HA


def mu_from_ha(ha):  # type: ignore[no-untyped-def]
    """Convert hectares to 亩 (scalars, arrays or Series).

    >>> mu_from_ha(1.0)
    15.0
    """
    return ha * MU_PER_HA


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def format_area(ha: float | None, *, unit: str = "both", lang: str = "zh", digits: int = 2) -> str:
    """Format an area given in hectares for people.

    Parameters
    ----------
    ha : float or None
        Area in hectares; None or NaN formats as an empty string.
    unit : {"ha", "mu", "both"}
        Hectares, 亩, or hectares followed by 亩 in brackets.
    lang : {"zh", "en"}
        Unit words: 公顷 / 亩, or ha / mu.
    digits : int
        Decimals for hectares (亩 get one fewer, at least 0).

    Examples
    --------
    >>> format_area(1.0)
    '1.00 公顷（15.0 亩）'
    >>> format_area(1234.5, unit="mu", lang="en")
    '18,517.5 mu'
    """
    if _missing(ha):
        return ""
    ha_word, mu_word = ("公顷", "亩") if lang == "zh" else ("ha", "mu")
    mu_digits = max(digits - 1, 0)
    as_ha = f"{ha:,.{digits}f} {ha_word}"
    as_mu = f"{mu_from_ha(ha):,.{mu_digits}f} {mu_word}"
    if unit == "ha":
        return as_ha
    if unit == "mu":
        return as_mu
    return f"{as_ha}（{as_mu}）" if lang == "zh" else f"{as_ha} ({as_mu})"


def format_rate(rate: float | None, *, digits: int = 1, none: str = "") -> str:
    """Format a fraction as a percentage; a missing rate gives ``none``.

    >>> format_rate(0.7512)
    '75.1%'
    >>> format_rate(None, none="无任务")
    '无任务'
    """
    if _missing(rate):
        return none
    return f"{rate * 100:.{digits}f}%"
