"""Helpers for the tests that pin 驻政办〔2018〕163号 (and 自然资规〔2018〕1号) at their edges.

The figures of the notice are written here as the notice states them, not read
from the rule set, so that a changed number in a bundled TOML fails a test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pandas as pd
from _ws import build, counties, sq

from landuse.campaigns.zengcun.linkage import judge_counties
from landuse.rules.model import RuleSet, load_ruleset
from landuse.verdict import TaskResult, judge_task

ZMD = load_ruleset("zhumadian-2018")
MNR = load_ruleset("mnr-2018")

#: (rule set, task id, target, deadline) as the notices state them.
NOTICE_TASKS = [
    (ZMD, "T1", 0.70, dt.date(2018, 9, 30)),
    (ZMD, "T2", 0.75, dt.date(2018, 12, 31)),
    (ZMD, "T3", 0.20, dt.date(2018, 12, 31)),
    (ZMD, "T4", 0.50, dt.date(2018, 12, 31)),
    (MNR, "N1", 0.60, dt.date(2018, 12, 31)),
]
TASK_IDS = [t[1] for t in NOTICE_TASKS]

DAY = dt.timedelta(days=1)


def measure(rates: dict[str, float | None], base: float = 1.0) -> pd.DataFrame:
    """A measure frame: ``done_ha = rate × base`` (rate None: no task, zero base)."""
    rows = {}
    for code, rate in rates.items():
        if rate is None:
            rows[code] = {"done_ha": 0.0, "base_ha": 0.0, "rate": float("nan")}
        else:
            rows[code] = {"done_ha": rate * base, "base_ha": base, "rate": rate}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "county_code"
    return frame


def judge_all(rules: RuleSet, rates: dict[str, dict[str, float | None]], as_of: dt.date,
              *, stock: dict[str, float] | None = None, plan: float = 100.0,
              combined: dict[str, float] | None = None) -> pd.DataFrame:
    """Judge counties from per-task rates: ``rates[task_id][county] = rate`` (missing: rate 1.0).

    Returns the ``judge_counties`` frame indexed by county code.
    """
    codes = sorted({c for per_task in rates.values() for c in per_task} | set(stock or {}))
    index = pd.Index(codes, name="county_code")
    results: list[TaskResult] = []
    for task in rules.tasks:
        per = {c: rates.get(task.id, {}).get(c, 1.0) for c in codes}
        results.append(judge_task(task, measure(per), index, as_of))
    frame = pd.DataFrame({"county_code": codes, "county_name": [f"县{c[-2:]}" for c in codes]})
    out = judge_counties(
        results, rules, as_of, counties=frame,
        plan_base=pd.Series(plan, index=index),
        stock_ha=pd.Series(stock or {}, dtype="float64"),
        combined=pd.Series(combined or {}, dtype="float64"),
    )
    return out.set_index("county_code")


def with_ranking(rules: RuleSet, commend: int, criticize: int) -> RuleSet:
    return dataclasses.replace(rules, ranking=dataclasses.replace(rules.ranking, commend=commend,
                                                                   criticize=criticize))


def workspace(county_codes: list[str], **layers: list[dict[str, Any]]):
    """A workspace of side-by-side counties with a 100 ha plan each for 2019."""
    layers.setdefault("batches", [])
    layers.setdefault("supplies", [])
    layers.setdefault("idle", [])
    quotas = [{"county_code": c, "year": 2019, "plan_base_ha": 100.0} for c in county_codes]
    return build(counties=counties(*county_codes), quotas=quotas, **layers)


def idle_row(iid: str, county: str, area: float, disposal: str | None = None,
             date: str | None = None, cause: str = "企业原因") -> dict[str, Any]:
    return {"idle_id": iid, "county_code": county, "area_ha": area, "cause": cause,
            "disposal": disposal, "disposal_date": date, "identified_date": "2017-06-01",
            "geometry": None}


def strip(x: float, y: float, width: float, height: float = 100.0):
    """A ``width`` × ``height`` m rectangle (``width`` m × 100 m = width / 100 ha)."""
    return sq(x, y, width, height)
