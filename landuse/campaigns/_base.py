"""What every campaign declares and returns.

A campaign module (``landuse/campaigns/<name>.py``) defines a module-level
``CAMPAIGN = Campaign(...)``. The engine calls ``CAMPAIGN.parse_rules`` on the
rule-set TOML document, loads the workspace with ``CAMPAIGN.required``
layers, then ``CAMPAIGN.run(workspace, rules, as_of)``; every output (the
county table, ledgers, maps, report) reads the :class:`CampaignResult` and
never recomputes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landuse.model.schema import LAYERS, Problem

__all__ = ["Campaign", "CampaignResult", "Ledger", "MapLayer", "UnitQuota", "apply_gate", "find_unit", "gate_error",
           "run_on", "unit_quota"]

#: The title of the column saying whether a unit's data was complete.
DATA_COMPLETE = ("数据完整", "data complete")


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
    tasks : list of landuse.verdict.TaskResult
        The campaign's tasks as the generic judge decided them: each unit's
        measure, threshold and outcome (read by ``landuse quota``).
    """

    campaign: str
    as_of: dt.date
    counties: pd.DataFrame
    columns: dict[str, tuple[str, str]]
    ledgers: list[Ledger] = field(default_factory=list)
    layers: list[MapLayer] = field(default_factory=list)
    problems: list[Any] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    tasks: list[Any] = field(default_factory=list)


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
    verdicts : tuple of str
        The columns of ``counties`` that are verdicts: emptied for a unit whose
        data is incomplete (:func:`apply_gate`).
    status : str or None
        A column of verdict labels set to ``"undetermined"`` (待定) for such a unit.
    effects : tuple of str
        The columns of ``counties`` that say what the verdict does to a unit (a plan
        cut, an indicator to make good): shown first by ``landuse quota``.
    status_labels : dict
        Value of the :attr:`status` column → ``(中文, English)`` words.
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
    verdicts: tuple[str, ...] = ()
    status: str | None = None
    effects: tuple[str, ...] = ()
    status_labels: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def layers(self) -> tuple[str, ...]:
        """Every layer the campaign reads: the counties, its required and its optional layers."""
        return ("counties", *self.required, *self.optional)


def affected_units(excluded: Iterable[Any], counties: pd.DataFrame, codes: pd.Index) -> np.ndarray:
    """Which units the excluded rows touch: every unit when one row has no county, or one
    that is not a unit's.

    A county's functional zones are touched with it: a row placed in a county by
    its code may lie in one of the county's zones. A row that bears on a second
    county (``Problem.also_county``: a supply naming another county's batch)
    touches that one too.
    """
    excluded = list(excluded)
    if not excluded:
        return np.zeros(len(codes), dtype=bool)
    hit = {str(p.county_code) for p in excluded if p.county_code is not None}
    hit |= {str(p.also_county) for p in excluded if getattr(p, "also_county", None) is not None}
    # A row of a county no unit has (a code typed wrong, a county missing from the counties
    # layer) is one nobody can place: it may belong to any unit.
    if any(p.county_code is None for p in excluded) or not hit <= set(codes.astype(str)):
        return np.ones(len(codes), dtype=bool)
    if "parent_code" in counties.columns:
        parent = counties.set_index(counties["county_code"].astype("string"))["parent_code"].astype("string")
        hit |= {str(c) for c, up in parent.dropna().items() if up in hit}
    return np.asarray(codes.astype(str).isin(hit), dtype=bool)


def run_on(campaign: Campaign, rules: Any, as_of: dt.date | None, *, workspace: Any = None,
           crs: str | None = None, landcover: bool = True, loaded: Any = None) -> tuple[Any, CampaignResult, list[Any]]:
    """Run ``campaign`` on a workspace: ``loaded`` (e.g. a 增存挂钩 run's), or one loaded from ``workspace``.

    The workspace must hold the counties and the campaign's required layers
    (``Workspace.require`` says which are missing, in both languages). Returns
    the workspace, the result, and the problems: the workspace's, then the campaign's.
    """
    from landuse.model.workspace import load_workspace

    needed = ("counties", *campaign.required)
    if loaded is None:
        ws = load_workspace(workspace, crs=crs, required=needed, landcover=landcover)
    else:
        ws = loaded
        if not all(layer in ws.sources for layer in campaign.required):
            ws.required = needed
    ws.require()
    result = campaign.run(ws, rules, as_of)
    return ws, result, [*ws.problems, *result.problems]


def apply_gate(campaign: Campaign, result: CampaignResult, problems: Iterable[Any],
               counties: pd.DataFrame) -> CampaignResult:
    """Mark the units whose data is incomplete and empty their verdicts (the data gate).

    An error :class:`~landuse.model.schema.Problem` on a layer the campaign
    reads (:attr:`Campaign.layers`) kept its row out of the measures; the unit
    the row belongs to (``Problem.county_code``; every unit when None) gets
    ``data_complete`` false, its :attr:`Campaign.verdicts` empty and its
    :attr:`Campaign.status` ``"undetermined"`` (待定). The rest of the figures
    are kept: they are what the data that was read gives.

    Parameters
    ----------
    campaign : Campaign
    result : CampaignResult
        As ``campaign.run`` returned it.
    problems : iterable of Problem
        The workspace's and the campaign's problems.
    counties : pandas.DataFrame
        The counties layer (zones carry ``parent_code``).

    Returns
    -------
    CampaignResult
        With ``data_complete`` in ``counties`` (and-ed with the campaign's own, if
        it has one) and in ``summary`` (``data_complete``, ``undetermined``,
        ``excluded``: the error problems).
    """
    layers = set(campaign.layers)
    excluded = [p for p in problems if p.severity == "error" and p.layer in layers]
    table = result.counties.copy()
    hit = affected_units(excluded, counties, table.index)
    complete = ~hit
    if "data_complete" in table.columns:
        complete &= table["data_complete"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    table["data_complete"] = complete
    columns = dict(result.columns)
    columns.setdefault("data_complete", DATA_COMPLETE)
    if (~complete).any():
        for col in campaign.verdicts:
            if col in table.columns:
                if pd.api.types.is_bool_dtype(table[col]) or str(table[col].dtype) == "boolean":
                    table[col] = table[col].astype("boolean")
                elif pd.api.types.is_integer_dtype(table[col]):
                    table[col] = table[col].astype("Int64")
                table.loc[~complete, col] = pd.NA
        if campaign.status is not None and campaign.status in table.columns:
            table[campaign.status] = table[campaign.status].astype("string")
            table.loc[~complete, campaign.status] = "undetermined"
    summary = {**result.summary, "data_complete": bool(complete.all()),
               "undetermined": [str(c) for c in table.index[~complete]], "excluded": excluded}
    return dataclasses.replace(result, counties=table, columns=columns, summary=summary)


def gate_error(result: CampaignResult, counties: pd.DataFrame) -> Exception | None:
    """The refusal to give verdicts from damaged data, or None when every unit's data is complete.

    Returns a :class:`~landuse._errors.DataIncompleteError` whose message says
    how many rows of which layer were excluded, why, and which units are
    affected (the message of 增存挂钩's gate).
    """
    from landuse._errors import DataIncompleteError

    undetermined = pd.Index(result.summary.get("undetermined", []), name="county_code")
    if undetermined.empty:
        return None
    units = pd.DataFrame({"county_code": result.counties.index.astype(str),
                          "county_name": result.counties.get("county_name", pd.Series(
                              "", index=result.counties.index)).astype(str).to_numpy()})
    zh, en = gate_message(list(result.summary.get("excluded", [])), units, undetermined)
    return DataIncompleteError(zh, en)


def gate_message(excluded: list[Problem], counties: pd.DataFrame, undetermined: pd.Index,
                 *, causes: int = 3) -> tuple[str, str]:
    """One message, in Chinese and English: rows excluded per layer, their top causes, who is affected."""
    frame = pd.DataFrame({
        "layer": [p.layer for p in excluded], "row": [p.row for p in excluded],
        "field": [p.field or "" for p in excluded], "zh": [p.message for p in excluded],
        "en": [p.message_en or p.message for p in excluded]}, dtype="object")
    parts_zh, parts_en = [], []
    for layer, group in frame.groupby("layer", sort=False):
        spec = LAYERS.get(str(layer))
        label_zh = spec.label if spec else "工作区"
        label_en = spec.label_en if spec else "workspace"
        rows = group["row"].dropna().nunique()
        whole = group["row"].isna().sum()
        head_zh = f"{label_zh} {rows} 行被排除" if rows else f"{label_zh}"
        head_en = f"{label_en}: {rows} rows excluded" if rows else f"{label_en}"
        if whole:
            head_zh += f"{'，' if rows else ''}图层级错误 {whole} 项"
            head_en += f"{', ' if rows else ': '}{whole} layer-level error(s)"
        # One cause: one field, one message but for the values in it.
        cause = group["field"] + "|" + group["zh"].str.replace(r"[\d.:/\-]+", "#", regex=True)
        top = group.groupby(cause, sort=False).agg(n=("zh", "size"), zh=("zh", "first"), en=("en", "first"))
        top = top.sort_values("n", ascending=False, kind="stable").head(causes)
        why_zh = "；".join(zh if n == 1 else f"{n} 项，如：{zh}" for n, zh in zip(top["n"], top["zh"], strict=True))
        why_en = "; ".join(en if n == 1 else f"{n}×, e.g. {en}" for n, en in zip(top["n"], top["en"], strict=True))
        parts_zh.append(f"{head_zh}（{why_zh}）")
        parts_en.append(f"{head_en} ({why_en})")
    names = counties.set_index("county_code")["county_name"].reindex(undetermined)
    if len(undetermined) == len(counties):
        who_zh, who_en = f"全部 {len(counties)} 个县区", f"all {len(counties)} counties"
    else:
        who_zh = "、".join(f"{n}（{c}）" for c, n in names.items())
        who_en = ", ".join(f"{c} {n}" for c, n in names.items())
    zh = (f"数据不完整，不能给出考核结论：{'；'.join(parts_zh)}。受影响：{who_zh}。"
          "请用 landuse check 查看并修正后重算；如需照样出具结果（受影响县区标为“待定”），加 --accept-errors")
    en = (f"data incomplete, no verdict given: {'; '.join(parts_en)}. Affected: {who_en}. "
          "Run `landuse check` and mend the data; or pass --accept-errors to write all the same "
          "(the affected counties marked undetermined)")
    return zh, en


@dataclass(frozen=True)
class UnitQuota:
    """What a campaign decides for one assessed unit, and the measures behind it (``landuse quota``).

    Attributes
    ----------
    campaign, title, title_en : str
    county_code, county_name : str
    as_of : datetime.date
    tasks : pandas.DataFrame
        One row a task the judge decided: ``task``, ``label``, ``label_en``,
        ``comparator``, ``value`` (the measure), ``threshold``, ``unit``,
        ``deadline`` (None: none), ``days_left``, ``outcome`` (one of
        :data:`landuse.verdict.OUTCOMES`).
    effects : dict
        Column → ``(中文, English, value)``: what the verdict does to the unit
        (:attr:`Campaign.effects`; e.g. the plan cut).
    measures : dict
        Column → ``(中文, English, value)``: the unit's other columns.
    data_complete : bool
    """

    campaign: str
    title: str
    title_en: str
    county_code: str
    county_name: str
    as_of: dt.date
    tasks: pd.DataFrame
    effects: dict[str, tuple[str, str, Any]]
    measures: dict[str, tuple[str, str, Any]]
    data_complete: bool = True


def find_unit(table: pd.DataFrame, key: str) -> str:
    """The code of the unit ``key`` names in ``table`` (indexed by code, with ``county_name``).

    By code, by name, or by a unique prefix of the name.

    Raises
    ------
    SchemaError
        When no unit or more than one fits, listing the units.
    """
    from landuse._errors import SchemaError

    codes = table.index.astype(str)
    names = table["county_name"].astype("string") if "county_name" in table else pd.Series(
        "", index=table.index, dtype="string")
    hit = codes[(codes == key) | (names == key).fillna(False).to_numpy(dtype=bool)]
    if len(hit) == 0:
        hit = codes[names.str.startswith(key).fillna(False).to_numpy(dtype=bool)]
    if len(hit) != 1:
        listed = "、".join(f"{c} {n}" for c, n in zip(codes, names.fillna(""), strict=True))
        raise SchemaError(f"找不到县区 “{key}”：可选 {listed}", f"no county '{key}'; choose one of: {listed}")
    return str(hit[0])


def unit_quota(campaign: Campaign, result: CampaignResult, key: str) -> UnitQuota:
    """One unit's position in a campaign: each task as the judge decided it, the effects, the measures.

    Parameters
    ----------
    campaign : Campaign
    result : CampaignResult
        As ``campaign.run`` returned it (after :func:`apply_gate`, for the data gate).
    key : str
        The unit's code or name.

    Returns
    -------
    UnitQuota
    """
    from landuse.verdict import criterion

    code = find_unit(result.counties, key)
    table = result.counties.set_axis(result.counties.index.astype(str))
    row = table.loc[code]
    complete = bool(row["data_complete"]) if "data_complete" in row.index and not pd.isna(
        row["data_complete"]) else True
    as_of = pd.Timestamp(result.as_of)
    records = []
    for res in result.tasks:
        crit = criterion(res.task)
        f = res.frame.set_axis(res.frame.index.astype(str)).loc[code]
        outcome = str(f["outcome"]) if complete or f["outcome"] == "no_task" else "undetermined"
        records.append({
            "task": crit.id, "label": crit.label, "label_en": crit.label_en, "comparator": crit.comparator,
            "value": f["rate"], "threshold": f["target"], "unit": crit.unit, "deadline": crit.deadline,
            "days_left": None if crit.deadline is None else max((pd.Timestamp(crit.deadline) - as_of).days, 0),
            "outcome": outcome,
        })
    columns = result.columns
    shown = [c for c in table.columns if c not in ("county_name", "data_complete")]
    effects = {c: (*columns.get(c, (c, c)), row[c]) for c in campaign.effects if c in table.columns}
    measures = {c: (*columns.get(c, (c, c)), row[c]) for c in shown if c not in effects}
    return UnitQuota(campaign.name, campaign.title, campaign.title_en, code, str(row.get("county_name", "")),
                     result.as_of, pd.DataFrame(records, columns=[
                         "task", "label", "label_en", "comparator", "value", "threshold", "unit", "deadline",
                         "days_left", "outcome"]), effects, measures, complete)
