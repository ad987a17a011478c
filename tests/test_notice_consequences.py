"""Consequences of the notice for a county on each side: plan multiplier, suspension and its
exempt project kinds, provisional outcomes before the deadline, scale-indicator and
development-zone treatment (驻政办〔2018〕163号 一（一）–（四）; 自然资规〔2018〕1号).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from _notice import DAY, MNR, ZMD, idle_row, judge_all, strip, workspace
from _ws import A, B, C, batch, supply

from landuse.campaigns.zengcun.assessment import assess

D = "411723"
E = "411724"
YEAR_END = dt.date(2018, 12, 31)
MET = {"T1": 0.8, "T2": 0.8, "T3": 0.3, "T4": 0.6}  # every task met, none by a wide margin
BEHIND = {"T1": 0.6, "T2": 0.7, "T3": 0.1, "T4": 0.4}  # every task missed

# 一（三）: "暂停受理除省以上重点项目、重大民生项目及扶贫攻坚项目外的新增建设用地申请"
ZMD_EXEMPT = ("省以上重点项目", "重大民生项目", "扶贫攻坚项目")
# 自然资规〔2018〕1号: "除国家重点项目和民生保障项目外，暂停安排新增建设用地指标"
MNR_EXEMPT = ("国家重点项目", "民生保障项目")


def _rates(**counties: dict[str, float]) -> dict[str, dict[str, float]]:
    """``_rates(A=MET, B={...})`` → ``{task: {county: rate}}``."""
    codes = {"A": A, "B": B, "C": C, "D": D, "E": E}
    out: dict[str, dict[str, float]] = {}
    for name, per_task in counties.items():
        for tid, rate in per_task.items():
            out.setdefault(tid, {})[codes[name]] = rate
    return out


# --- 一（一）: plan × 1.10 for all annual tasks done, × 0.80 for any one missed --------------

def test_the_notice_multipliers_and_exemptions():
    assert ZMD.award.met_multiplier == 1.10
    assert ZMD.award.missed_multiplier == 0.80
    assert ZMD.award.plan_year_offset == 1
    assert ZMD.suspension.on_missed
    assert ZMD.suspension.exempt_project_kinds == ZMD_EXEMPT
    assert (MNR.award.met_multiplier, MNR.award.missed_multiplier) == (1.0, 0.0)
    assert MNR.suspension.on_missed
    assert MNR.suspension.exempt_project_kinds == MNR_EXEMPT


def test_all_annual_tasks_met_is_an_award():
    row = judge_all(ZMD, _rates(A=MET), YEAR_END).loc[A]
    assert row["outcome"] == "award"
    assert bool(row["outcome_final"])
    assert row["plan_multiplier"] == pytest.approx(1.10, rel=1e-12)
    assert row["plan_next_ha"] == pytest.approx(110.0, rel=1e-12)
    assert not row["suspended"]
    assert row["tasks_met"] == 3


@pytest.mark.parametrize("missed", ["T2", "T3", "T4"])
def test_missing_any_one_annual_task_is_a_penalty(missed):
    rates = dict(MET, **{missed: BEHIND[missed]})
    row = judge_all(ZMD, _rates(A=rates), YEAR_END).loc[A]
    assert row["outcome"] == "penalty"
    assert bool(row["outcome_final"])
    assert row["plan_multiplier"] == pytest.approx(0.80, rel=1e-12)
    assert row["plan_next_ha"] == pytest.approx(80.0, rel=1e-12)
    assert bool(row["suspended"])
    assert row["tasks_met"] == 2
    assert row[f"{missed}_met"] == False  # noqa: E712


def test_missing_every_task_is_one_penalty():
    row = judge_all(ZMD, _rates(A=BEHIND), YEAR_END).loc[A]
    assert row["outcome"] == "penalty"
    assert row["plan_next_ha"] == pytest.approx(80.0, rel=1e-12)
    assert row["tasks_met"] == 0
    assert bool(row["milestone_missed"])


def test_no_task_counts_as_met_for_the_award():
    # B has no idle land (T4 no task) and meets T2 and T3.
    rates = _rates(B=dict(MET))
    rates["T4"][B] = None
    row = judge_all(ZMD, rates, YEAR_END).loc[B]
    assert row["outcome"] == "award"
    assert row["tasks_met"] == 3
    assert not row["suspended"]


def test_the_milestone_warns_but_does_not_decide():
    out = judge_all(ZMD, _rates(A=dict(MET, T1=0.6), B=dict(MET), C=dict(BEHIND, T1=0.8)), YEAR_END)
    assert out.at[A, "outcome"] == "award"
    assert bool(out.at[A, "milestone_missed"])
    assert out.at[A, "tasks_met"] == 3  # T1 is not one of the annual tasks
    assert not out.at[B, "milestone_missed"]
    assert out.at[C, "outcome"] == "penalty"  # meeting the milestone does not save it
    assert not out.at[C, "milestone_missed"]


def test_milestone_not_missed_before_its_own_deadline():
    t1 = ZMD.task("T1").deadline
    before = judge_all(ZMD, _rates(A=dict(MET, T1=0.6)), t1 - DAY).loc[A]
    assert not before["milestone_missed"]
    assert pd.isna(before["T1_met"])
    on = judge_all(ZMD, _rates(A=dict(MET, T1=0.6)), t1).loc[A]
    assert bool(on["milestone_missed"])


# --- before the deadline: provisional outcomes, both ways ------------------------------------

@pytest.mark.parametrize("day", [dt.date(2018, 10, 31), YEAR_END - DAY])
def test_provisional_outcomes_before_the_deadline(day):
    rates = _rates(A=MET, B=dict(MET, T2=0.7), C=BEHIND, D=dict(MET, T4=None))
    out = judge_all(ZMD, rates, day)
    assert not out["outcome_final"].any()
    assert not out["suspended"].any()  # nobody has missed a task yet
    # Ahead of every target: a provisional award; behind any: a provisional penalty.
    assert out.at[A, "outcome"] == "award"
    assert out.at[A, "plan_next_ha"] == pytest.approx(110.0, rel=1e-12)
    assert out.at[B, "outcome"] == "penalty"
    assert out.at[B, "plan_next_ha"] == pytest.approx(80.0, rel=1e-12)
    assert out.at[C, "outcome"] == "penalty"
    assert out.at[D, "outcome"] == "award"  # no idle land: nothing it can fall behind on
    assert out.at[A, "tasks_met"] == 0  # pending tasks are not yet met
    assert out.at[D, "tasks_met"] == 1  # ... but a task with nothing to do is


def test_a_deciding_task_decided_earlier_makes_a_final_penalty_but_not_a_final_award():
    # A rule set whose end-September task also decides: on 31 Oct it is decided, T2–T4 pending.
    t1 = dataclasses.replace(ZMD.task("T1"), milestone=False)
    rules = dataclasses.replace(ZMD, tasks=(t1, *ZMD.tasks[1:]),
                                award=dataclasses.replace(ZMD.award, deciding=("T1", "T2", "T3", "T4")))
    out = judge_all(rules, _rates(A=dict(MET, T1=0.6), B=MET), dt.date(2018, 10, 31))
    assert out.at[A, "outcome"] == "penalty"
    assert bool(out.at[A, "suspended"])  # it has missed a deciding task: suspended now
    assert not out.at[A, "outcome_final"]  # the others are pending still
    assert out.at[B, "outcome"] == "award"
    assert not out.at[B, "outcome_final"]
    assert not out.at[B, "suspended"]
    assert out.at[B, "tasks_met"] == 1


def test_suspension_only_when_the_rule_set_says_so():
    rules = dataclasses.replace(ZMD, suspension=dataclasses.replace(ZMD.suspension, on_missed=False))
    row = judge_all(rules, _rates(A=BEHIND), YEAR_END).loc[A]
    assert row["outcome"] == "penalty"
    assert not row["suspended"]


# --- 自然资规〔2018〕1号: below 60 % no new plan ---------------------------------------------

def test_national_floor_zero_plan_below_sixty_percent():
    out = judge_all(MNR, {"N1": {A: 0.6, B: 0.59}}, YEAR_END)
    assert out.at[A, "outcome"] == "award"
    assert out.at[A, "plan_next_ha"] == 100.0  # the factor-method plan stands
    assert not out.at[A, "suspended"]
    assert out.at[B, "outcome"] == "penalty"
    assert out.at[B, "plan_next_ha"] == 0.0
    assert bool(out.at[B, "suspended"])


# --- 一（二）and 一（四）: treatment by stock and outcome --------------------------------------

FAVOURED = ("倾斜", "支持")
CUT = ("扣减", "暂停支持")
NONE = ("", "")


@pytest.mark.parametrize(("median_outcome", "expected"), [
    ("award", {A: FAVOURED, B: NONE, C: FAVOURED, D: NONE, E: CUT}),
    ("penalty", {A: FAVOURED, B: NONE, C: NONE, D: NONE, E: CUT}),
])
def test_every_treatment_cell_and_the_median(median_outcome, expected):
    # Stock 1..5 ha: the median is C's 3 ha, which counts as little ("较少").
    # A little + award, B little + penalty, C at the median, D much + award, E much + penalty.
    stock = {A: 1.0, B: 2.0, C: 3.0, D: 4.0, E: 5.0}
    rates = _rates(A=MET, B=BEHIND, C=MET if median_outcome == "award" else BEHIND, D=MET, E=BEHIND)
    out = judge_all(ZMD, rates, YEAR_END, stock=stock)
    assert list(out["little_stock"]) == [True, True, True, False, False]
    for code, (scale, devzone) in expected.items():
        assert out.at[code, "scale_treatment"] == scale, code
        assert out.at[code, "devzone_treatment"] == devzone, code


def test_much_stock_penalty_next_to_the_median_is_cut():
    stock = {A: 1.0, B: 2.0, C: 3.0, D: 4.0, E: 5.0}
    out = judge_all(ZMD, _rates(A=MET, B=MET, C=MET, D=BEHIND, E=MET), YEAR_END, stock=stock)
    assert (out.at[D, "scale_treatment"], out.at[D, "devzone_treatment"]) == CUT
    assert (out.at[E, "scale_treatment"], out.at[E, "devzone_treatment"]) == NONE


def test_even_count_median_falls_between_two_counties():
    # Stock 1, 2, 3, 4: median 2.5 → A, B little; C, D much.
    stock = {A: 1.0, B: 2.0, C: 3.0, D: 4.0}
    out = judge_all(ZMD, _rates(A=MET, B=MET, C=BEHIND, D=BEHIND), YEAR_END, stock=stock)
    assert list(out["little_stock"]) == [True, True, False, False]
    assert list(out["scale_treatment"]) == ["倾斜", "倾斜", "扣减", "扣减"]


def test_a_county_without_stock_has_none():
    # E has no stock row: 0 ha. Stock 0, 1, 2, 3, 4: median 2 → E, A, B little.
    stock = {A: 1.0, B: 2.0, C: 3.0, D: 4.0}
    out = judge_all(ZMD, _rates(A=MET, B=MET, C=BEHIND, D=BEHIND, E=MET), YEAR_END, stock=stock)
    assert out.at[E, "stock_ha"] == 0.0
    assert list(out["little_stock"]) == [True, True, False, False, True]
    assert list(out["scale_treatment"]) == ["倾斜", "倾斜", "扣减", "扣减", "倾斜"]


def test_equal_stock_everywhere_is_all_little():
    out = judge_all(ZMD, _rates(A=MET, B=BEHIND), YEAR_END, stock={A: 2.0, B: 2.0})
    assert out["little_stock"].all()
    assert list(out["scale_treatment"]) == ["倾斜", ""]


def test_provisional_treatment_follows_the_provisional_outcome():
    stock = {A: 1.0, B: 2.0, C: 3.0}
    out = judge_all(ZMD, _rates(A=MET, B=MET, C=BEHIND), dt.date(2018, 11, 30), stock=stock)
    assert list(out["scale_treatment"]) == ["倾斜", "倾斜", "扣减"]
    assert list(out["devzone_treatment"]) == ["支持", "支持", "暂停支持"]


# --- 一（三）through assess: suspension and the exempt project kinds -------------------------

@pytest.fixture(scope="module")
def two_counties():
    """A supplies its whole 2016 batch and disposes of its idle parcel; B does neither."""
    return workspace(
        [A, B],
        batches=[batch("A1", A, "2016-06-01", strip(0, 0, 100)), batch("B1", B, "2016-06-01", strip(10_000, 0, 100))],
        supplies=[supply("PA", "A1", "2018-06-01", strip(0, 0, 100))],
        idle=[idle_row("IA", A, 1.0, "动工开发", "2018-06-01"), idle_row("IB", B, 1.0)],
    )


@pytest.mark.parametrize(("rules", "exempt", "day"), [
    (ZMD, ZMD_EXEMPT, "2018-12-31"),
    (ZMD, ZMD_EXEMPT, "2018-11-30"),  # provisional: B would be suspended if it stayed so
    (MNR, MNR_EXEMPT, "2018-12-31"),
])
def test_exempt_project_kinds_on_each_side(two_counties, rules, exempt, day):
    result = assess(two_counties, rules, day, raster=False)
    behind = result.quota(B, project_kind="一般工业项目")
    final = day == "2018-12-31"
    assert behind.outcome == "penalty"
    # Before the deadline nothing is missed yet: applications are taken, the suspension pending.
    assert behind.suspended is final
    assert behind.suspension_pending is not final
    assert behind.project_allowed is not final
    assert behind.exempt_project_kinds == exempt
    for kind in exempt:
        assert result.quota(B, project_kind=kind).project_allowed is True, kind
    ahead = result.quota(A, project_kind="一般工业项目")
    assert ahead.outcome == "award"
    assert not ahead.suspended
    assert not ahead.suspension_pending
    assert ahead.project_allowed is True
    assert behind.outcome_final is final
    row = result.counties.set_index("county_code")
    assert bool(row.at[B, "suspended"]) is final
    # The 2019 factor-method plan is 100 ha: × 0.80 / × 1.10 (national: × 0 / × 1).
    assert behind.plan_next_ha == pytest.approx(80.0 if rules is ZMD else 0.0, abs=1e-12)
    assert ahead.plan_next_ha == pytest.approx(110.0 if rules is ZMD else 100.0, rel=1e-12)
    assert result.extra["plan_year"] == 2019
