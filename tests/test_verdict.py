"""The generic judge (``landuse/verdict.py``) and the campaigns that feed it.

Every figure is worked out by hand: rates on round numbers, and for the
campaigns squares in EPSG:4547 (a 100 m square is 1 ha = 15 亩).
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landuse import verdict
from landuse.campaigns import weipian
from landuse.campaigns._base import unit_quota
from landuse.rules.model import load_ruleset
from landuse.verdict import RATE_EPS, Criterion, combine, compare, deduct, judge_task, rank_counties
from tests._ws import A, B, C, sq
from tests.test_changes import build, change

CODES = pd.Index([A, B, C], name="county_code")
DEC31 = dt.date(2018, 12, 31)


def rates(*values: float) -> pd.DataFrame:
    return pd.DataFrame({"rate": list(values)}, index=CODES)


# --- the comparison --------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "threshold", "comparator", "eps", "expected"), [
    (0.75, 0.75, ">=", 0.0, True),
    (0.7499999999, 0.75, ">=", RATE_EPS, True),    # a rate computed a hair short meets the target
    (0.7499, 0.75, ">=", RATE_EPS, False),
    (0.75, 0.75, "<=", 0.0, True),
    (0.7500000001, 0.75, "<=", RATE_EPS, True),
    (0.76, 0.75, "<=", RATE_EPS, False),
    (0.15, 0.15, "<", 0.0, False),                 # at the red line is not below it
    (0.1499999999, 0.15, "<", RATE_EPS, False),    # nor a hair below, within the slack
    (0.149, 0.15, "<", RATE_EPS, True),
    (0.15, 0.15, ">", 0.0, False),
    (0.151, 0.15, ">", RATE_EPS, True),
])
def test_compare(value: float, threshold: float, comparator: str, eps: float, expected: bool) -> None:
    assert compare(value, threshold, comparator, eps) is expected


def test_an_unknown_comparator_is_refused() -> None:
    with pytest.raises(ValueError, match="=="):
        compare(1.0, 1.0, "==")


# --- one task --------------------------------------------------------------------------------
def test_a_task_is_decided_at_its_deadline_and_pending_before() -> None:
    task = Criterion("T", 0.75, ">=", DEC31)
    m = rates(0.80, 0.50, np.nan)
    before = judge_task(task, m, CODES, dt.date(2018, 10, 31))
    assert not before.decided
    assert before.measured_on == dt.date(2018, 10, 31)
    assert before.frame["outcome"].tolist() == ["pending", "pending", "no_task"]
    assert before.frame["met"].tolist() == [pd.NA, pd.NA, True]   # pending: empty; no task: met
    assert before.frame["reached"].tolist() == [True, False, True]  # where it stands today
    after = judge_task(task, m, CODES, dt.date(2019, 3, 1))
    assert after.decided
    assert after.measured_on == DEC31
    assert after.frame["outcome"].tolist() == ["met", "not_met", "no_task"]
    assert after.frame["met"].tolist() == [True, False, True]


def test_the_gap_is_the_hectares_still_to_do() -> None:
    # B supplied 5 of 10 ha against 75 %: 2.5 ha short. A is over the target: no gap.
    m = pd.DataFrame({"rate": [0.8, 0.5, np.nan], "done_ha": [8.0, 5.0, 0.0], "base_ha": [10.0, 10.0, 0.0]},
                     index=CODES)
    f = judge_task(Criterion("T", 0.75, ">=", DEC31), m, CODES, DEC31).frame
    assert f["gap_ha"].tolist() == [0.0, 2.5, 0.0]


def test_each_unit_may_have_its_own_threshold_and_its_own_no_task() -> None:
    # 29.4 亩 against 29.4 (met, exactly), 60 against 90, C has no threshold: no task.
    m = pd.DataFrame({"rate": [29.4, 60.0, 15.0], "threshold": [29.4, 90.0, np.nan],
                      "no_task": [False, False, True]}, index=CODES)
    f = judge_task(Criterion("retention", None, ">=", eps=0.0), m, CODES, DEC31).frame
    assert f["target"].tolist()[:2] == [29.4, 90.0]
    assert f["outcome"].tolist() == ["met", "not_met", "no_task"]


def test_an_undetermined_unit_gets_no_outcome() -> None:
    m = rates(0.80, 0.50, np.nan)
    f = judge_task(Criterion("T", 0.75), m, CODES, DEC31, undetermined=pd.Index([B, C])).frame
    assert f["outcome"].tolist() == ["met", "undetermined", "no_task"]
    assert f["met"].tolist() == [True, pd.NA, True]


def test_a_rule_set_task_is_a_rate_at_least_its_target() -> None:
    t2 = next(t for t in load_ruleset("zhumadian-2018").tasks if t.id == "T2")
    c = verdict.criterion(t2)
    assert (c.id, c.threshold, c.comparator, c.deadline) == ("T2", 0.75, ">=", DEC31)


# --- the verdict -----------------------------------------------------------------------------
def test_combine_reads_the_multipliers_and_the_suspension_it_is_given() -> None:
    rules = load_ruleset("zhumadian-2018")
    t1 = judge_task(Criterion("T1", 0.7, ">=", DEC31), rates(0.8, 0.8, 0.6), CODES, DEC31)
    t2 = judge_task(Criterion("T2", 0.5, ">=", DEC31), rates(0.6, 0.4, 0.6), CODES, DEC31)
    milestone = judge_task(Criterion("M", 0.9, ">=", DEC31), rates(0.0, 0.0, 0.0), CODES, DEC31)
    v = combine([t1, t2, milestone], CODES, deciding=("T1", "T2"), met_multiplier=rules.award.met_multiplier,
                missed_multiplier=rules.award.missed_multiplier, suspend_on_missed=rules.suspension.on_missed,
                undetermined=pd.Index([C]))
    f = v.frame
    assert f["tasks_met"].tolist() == [2, 1, 1]           # the milestone does not count
    assert f["outcome"].tolist() == ["award", "penalty", "undetermined"]
    assert f["multiplier"].tolist()[:2] == [1.1, 0.8]     # ×1.10 and ×0.80 from the TOML
    assert np.isnan(f["multiplier"].iloc[2])
    assert f["suspended"].tolist() == [False, True, False]
    assert f["final"].tolist() == [True, True, True]
    assert list(v.met.columns) == ["T1", "T2"]


def test_before_the_deadline_the_verdict_is_what_the_unit_gets_if_it_stays_as_it_is() -> None:
    t = judge_task(Criterion("T", 0.75, ">=", DEC31), rates(0.8, 0.5, np.nan), CODES, dt.date(2018, 6, 30))
    f = combine([t], CODES, deciding={"T"}, met_multiplier=1.1, missed_multiplier=0.8,
                suspend_on_missed=True).frame
    assert f["outcome"].tolist() == ["award", "penalty", "award"]
    assert f["final"].tolist() == [False, False, True]
    assert f["suspended"].tolist() == [False, False, False]   # suspended only once missed at the deadline


def test_a_deduction_cuts_the_plan_never_below_zero() -> None:
    got = deduct(pd.Series([110.0, 5.0, np.nan, 20.0]), pd.Series([7.5, 9.0, 1.0, np.nan]))
    assert got.tolist()[:2] == [102.5, 0.0]
    assert np.isnan(got.iloc[2])
    assert got.iloc[3] == 20.0


def test_ranking_highest_first_ties_by_code_top_and_bottom() -> None:
    r = rank_counties(pd.Series({"d": 0.5, "a": 0.9, "c": 0.5, "b": np.nan, "e": 0.1}), commend=1, criticize=1)
    assert r["rank"].dropna().to_dict() == {"d": 3, "a": 1, "c": 2, "e": 4}
    assert r["rank"].isna().tolist() == [False, False, False, True, False]  # b has no rate: not ranked
    assert r["ranking"].dropna().to_dict() == {"a": "commend", "e": "criticize"}


def test_the_judge_holds_no_policy_number_and_no_campaign() -> None:
    # Every number of a campaign comes from its rule set: the judge's literals are 0, 1 and the slack;
    # and nothing in its code (docstrings aside) names a measure or a treatment of one campaign.
    tree = ast.parse(Path(verdict.__file__).read_text(encoding="utf-8"))
    numbers = {node.value for node in ast.walk(tree)
               if isinstance(node, ast.Constant) and type(node.value) in (int, float)}
    assert numbers <= {0, 1, 1e-9}
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    words = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
    words += [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)]
    words += [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
              and id(n) not in docstrings]
    campaign = ("supply", "idle", "stock", "treatment", "devzone", "resum", "red_line", "retention", "farmland")
    assert [w for w in words if any(c in w.lower() for c in campaign)] == []


# --- 卫片执法 through the judge: squares by hand ---------------------------------------------
@pytest.fixture(scope="module")
def red_line():
    # A: legal 0.51 ha + illegal 0.03 + 0.06 ha of farmland: I = 0.09 = 15 % of F = 0.60, at the line: crossed.
    # B: legal 9 ha, illegal 1 ha: 10 %, below. C: no change, no farmland taken: no task.
    ws = build([
        change("a1", A, sq(0, 0), farmland_ha=0.51),
        change("a2", A, sq(200, 0), "违法", farmland_ha=0.03, rectified="已整改", rectified_date="2020-03-01"),
        change("a3", A, sq(400, 0), "违法", farmland_ha=0.06),
        change("b1", B, sq(10_000, 0, 300), farmland_ha=9.0),
        change("b2", B, sq(10_400, 0), "违法", farmland_ha=1.0),
    ])
    return weipian.run(ws, load_ruleset("zhumadian-2019-weipian"), dt.date(2020, 6, 30))


def test_the_red_line_is_decided_by_the_judge(red_line) -> None:
    (task,) = red_line.tasks
    f = task.frame
    assert f["outcome"].tolist() == ["not_met", "met", "no_task"]
    assert f["rate"].tolist()[:2] == pytest.approx([0.09, 1.0])
    assert f["target"].tolist()[:2] == pytest.approx([0.15 * 0.60, 0.15 * 10.0])
    assert red_line.counties["red_line_exceeded"].tolist() == [True, False, pd.NA]
    assert red_line.counties["violation_rank"].tolist() == [1, 2, pd.NA]
    assert red_line.summary["ranking"] == [A, B]
    # the city: 1.09 of 10.60 ha = 10.3 %, below the line
    assert red_line.summary["city_red_line_exceeded"] is False


def test_weipian_quota_shows_the_task_the_cut_and_the_measures(red_line) -> None:
    q = unit_quota(weipian.CAMPAIGN, red_line, A)
    (row,) = q.tasks.itertuples(index=False)
    assert (row.task, row.comparator, row.outcome, row.unit) == ("red_line", "<", "not_met", "ha")
    assert (row.value, row.threshold) == pytest.approx((0.09, 0.09))
    # two illegal squares of 1 ha, one rectified: 1 ha unrectified, cut hectare for hectare
    assert q.effects["plan_deduction_ha"][2] == pytest.approx(1.0)
    assert bool(q.effects["red_line_exceeded"][2]) is True
    assert q.measures["F_ha"][2] == pytest.approx(0.60)
    assert q.measures["rectification_rate"][2] == pytest.approx(0.5)


def test_compose_plans_cuts_after_the_multiplier(red_line) -> None:
    zc = pd.DataFrame({"county_code": [A, B, C], "plan_next_ha": [110.0, 0.5, 80.0]})
    got = weipian.compose_plans(zc, red_line)
    # A: 1 ha unrectified; B: 1 ha unrectified against a 0.5 ha plan: nothing left; C: nothing to cut
    assert got["plan_final_ha"].tolist() == [109.0, 0.0, 80.0]
