"""``landuse quota`` of a campaign other than 增存挂钩: what the campaign decides for one unit.

The tasks as the generic judge (:mod:`landuse.verdict`) decided them, the
campaign's effects (:attr:`landuse.campaigns.Campaign.effects`) and the
measures behind them, from :func:`landuse.campaigns._base.unit_quota`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table

from landuse.campaigns import CAMPAIGNS
from landuse.campaigns._base import apply_gate, gate_error, run_on, unit_quota
from landuse.cli.app import Settings, _configure_logging, stdout_console
from landuse.model.units import format_area, format_rate

__all__ = ["campaign_quota"]

_OUTCOME_WORDS = {"met": ("完成", "met"), "not_met": ("未完成", "not met"), "pending": ("未到期", "pending"),
                  "no_task": ("无任务", "no task"), "undetermined": ("待定", "undetermined")}


def campaign_quota(settings: Settings, county: str, workspace: str | None, crs: str | None, rules: Any,
                   as_of: dt.date | None, *, accept_errors: bool = False, raster: bool = True) -> None:
    """``landuse quota`` of a campaign other than 增存挂钩: its tasks, effects and measures for one unit.

    The data gate is that of ``landuse assess``: errors that kept rows out refuse
    the verdicts unless ``accept_errors`` (then the unit's verdicts are 待定).
    """
    campaign = importlib.import_module(CAMPAIGNS[rules.campaign]).CAMPAIGN
    _configure_logging(settings)
    ws, result, problems = run_on(campaign, rules, as_of, workspace=workspace, crs=crs, landcover=raster)
    result = apply_gate(campaign, result, problems, ws.counties)
    refusal = None if accept_errors else gate_error(result, ws.counties)
    if refusal is not None:
        raise refusal
    q = unit_quota(campaign, result, county)
    t, lang = settings.t, settings.lang
    out = stdout_console()
    if not out.is_terminal:
        out.width = 10_000
    table = Table(title=t(f"{campaign.title}：{q.county_name}（{q.county_code}）截至 {q.as_of}",
                          f"{campaign.title_en}: {q.county_name} ({q.county_code}) as of {q.as_of}"))
    for zh, en in (("任务", "task"), ("内容", "measure"), ("实际", "value"), ("条件", "condition"),
                   ("截止日期", "deadline"), ("剩余天数", "days left"), ("状态", "status")):
        table.add_column(t(zh, en), justify="right" if en in ("value", "days left") else "left")
    for r in q.tasks.itertuples(index=False):
        status = _OUTCOME_WORDS.get(r.outcome, (r.outcome, r.outcome))
        table.add_row(r.task, r.label if lang == "zh" else r.label_en, _measure_text(r.value, r.unit, lang),
                      f"{r.comparator} {_measure_text(r.threshold, r.unit, lang)}",
                      "—" if r.deadline is None else str(r.deadline),
                      "—" if r.days_left is None else str(r.days_left), t(*status))
    out.print(table)
    plan_year = result.summary.get("plan_year")
    for col, (zh, en, value) in q.effects.items():
        text = _value_text(col, value, campaign, settings)
        if col == "plan_deduction_ha" and plan_year is not None:
            zh, en = f"{zh[:-len('（公顷）')] if zh.endswith('（公顷）') else zh}（{plan_year} 年计划，公顷）", \
                f"{en.removesuffix(' (ha)')} of the {plan_year} plan (ha)"
        out.print(t(f"{zh}：{text}", f"{en}: {text}"))
    if not q.data_complete:
        out.print(t("数据有错误，该单位结论待定（见 landuse check）", "data errors: this unit's verdicts are undetermined "
                    "(see landuse check)"))
    detail = Table(title=t("测算依据", "measures"))
    detail.add_column(t("项目", "item"))
    detail.add_column(t("数值", "value"), justify="right")
    for col, (zh, en, value) in q.measures.items():
        detail.add_row(t(zh, en), _value_text(col, value, campaign, settings))
    out.print(detail)


def _measure_text(value: object, unit: str, lang: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "ha":
        return format_area(float(value), lang=lang)  # type: ignore[arg-type]
    if unit == "mu":
        return f"{float(value):,.2f} {'亩' if lang == 'zh' else 'mu'}"  # type: ignore[arg-type]
    return format_rate(float(value))  # type: ignore[arg-type]


def _value_text(col: str, value: object, campaign: Any, settings: Settings) -> str:
    t = settings.t
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if col == campaign.status and isinstance(value, str):
        return t(*campaign.status_labels.get(value, _OUTCOME_WORDS.get(value, (value, value))))
    return cell_text(col, value, t)


def cell_text(col: str, value: object, t: Any) -> str:
    """A campaign table's cell as the terminal shows it: yes/no, a rate, an area, or the text.

    ``t(zh, en)`` picks the language; the column's name says what a number is
    (``*_ratio``/``*_rate``: a rate; ``*_ha``/``*_mu``/``*_wan``: an amount).
    """
    if isinstance(value, bool | np.bool_):
        return t("是", "yes") if value else t("否", "no")
    if col.endswith(("_ratio", "_rate")):
        return format_rate(float(value))  # type: ignore[arg-type]
    if col.endswith(("_ha", "_mu", "_wan")):
        return f"{float(value):,.2f}"  # type: ignore[arg-type]
    return str(value)
