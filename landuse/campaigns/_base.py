"""What every campaign declares and returns.

A campaign module (``landuse/campaigns/<name>.py``) defines a module-level
``CAMPAIGN = Campaign(...)``. The engine calls ``CAMPAIGN.parse_rules`` on the
rule-set TOML document, loads the workspace with ``CAMPAIGN.required``
layers, then ``CAMPAIGN.run(workspace, rules, as_of)``; every output (the
county table, ledgers, maps, report) reads the :class:`CampaignResult` and
never recomputes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["Campaign", "CampaignResult", "Ledger", "MapLayer"]


@dataclass(frozen=True)
class Ledger:
    """One ledger sheet: a title, the rows, and the Chinese/English column titles.

    ``columns`` maps each column of ``frame`` to ``(中文标题, English title)``,
    in sheet order; ``total`` lists the columns that get a total row.
    """

    name: str
    title: str
    title_en: str
    frame: pd.DataFrame
    columns: dict[str, tuple[str, str]]
    total: tuple[str, ...] = ()


@dataclass(frozen=True)
class MapLayer:
    """One map layer: features in the workspace CRS, coloured by ``category``.

    ``styles`` maps each value of ``frame[category]`` to ``(label, label_en, colour)``;
    ``popup`` maps columns to ``(中文, English)`` titles shown in the popup.
    """

    name: str
    label: str
    label_en: str
    frame: gpd.GeoDataFrame
    category: str
    styles: dict[str, tuple[str, str, str]]
    popup: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignResult:
    """A campaign measured and judged for every assessed unit as of a date.

    Attributes
    ----------
    counties : pandas.DataFrame
        One row per assessed unit, indexed by ``county_code``; the campaign's
        columns of ``counties.csv`` in order.
    columns : dict
        Column of ``counties`` → ``(中文, English)`` title for tables and ledgers.
    ledgers : list of Ledger
    layers : list of MapLayer
    problems : list of landuse.model.schema.Problem
        Problems found while measuring (added to the workspace's).
    summary : dict
        Headline figures for the report section (e.g. the city total).
    """

    campaign: str
    as_of: dt.date
    counties: pd.DataFrame
    columns: dict[str, tuple[str, str]]
    ledgers: list[Ledger] = field(default_factory=list)
    layers: list[MapLayer] = field(default_factory=list)
    problems: list[Any] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Campaign:
    """A campaign plug-in.

    Attributes
    ----------
    name : str
        The rule set's ``campaign`` value (``"weipian"``, ``"farmland"`` …).
    title, title_en : str
    required : tuple of str
        Canonical layers the campaign cannot run without (besides ``counties``).
    optional : tuple of str
        Layers it uses when present.
    parse_rules : callable
        ``(document: dict, source: str) -> rules``: the TOML document checked into
        a frozen, typed rule object (bad keys raise ``RuleSetError`` naming the
        dotted key), which has at least ``id``, ``name``, ``name_en``.
    run : callable
        ``(workspace, rules, as_of: datetime.date) -> CampaignResult``.
    report_section : callable, optional
        ``(result, lang: str) -> str``: an HTML fragment (data text escaped).
    ledger_names : tuple of str
        The names of the ledgers ``run`` returns (``<name>.csv`` beside ``counties.csv``),
        so that existing outputs are refused before anything is computed.
    """

    name: str
    title: str
    title_en: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    parse_rules: Callable[[dict[str, Any], str], Any]
    run: Callable[..., CampaignResult]
    report_section: Callable[[CampaignResult, str], str] | None = None
    ledger_names: tuple[str, ...] = ()
