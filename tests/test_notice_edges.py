"""Every task of the notice at its edges: on the target, a hair under, just under; the days
around every deadline, window end and the baseline.

驻政办〔2018〕163号 三: by 30 Sep the 2013–2017 supply rate ≥ 70 % (T1); by 31 Dec the
2013–2017 supply rate ≥ 75 % (T2), the 2009–2015 unsupplied stock disposed ≥ 20 % (T3),
idle land disposed ≥ 50 % (T4). 自然资规〔2018〕1号: five-year supply rate ≥ 60 % (N1).
"以上" (or more) is inclusive: a county exactly on the target meets it.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from _notice import DAY, MNR, NOTICE_TASKS, ZMD, idle_row, judge_all, measure, strip, workspace
from _ws import A, B, C, batch, supply

from landuse.campaigns.zengcun.assessment import assess
from landuse.verdict import RATE_EPS, judge_task

ALL = pd.Index([A], name="county_code")


def _case_ids(cases):
    return [c[1] for c in cases]


# --- the rule sets say what the notices say ------------------------------------------------

@pytest.mark.parametrize(("rules", "tid", "target", "deadline"), NOTICE_TASKS, ids=_case_ids(NOTICE_TASKS))
def test_bundled_tasks_are_the_notices(rules, tid, target, deadline):
    task = rules.task(tid)
    assert task.target == target
    assert task.deadline == deadline


def test_bundled_windows_baseline_and_deciding_are_the_notices():
    assert ZMD.task("T1").window == ZMD.task("T2").window == MNR.task("N1").window
    assert [str(d) for d in ZMD.task("T2").window] == ["2013-01-01", "2017-12-31"]
    assert [str(d) for d in ZMD.task("T3").window] == ["2009-01-01", "2015-12-31"]
    assert ZMD.task("T4").window is None
    assert str(ZMD.task("T3").baseline) == "2018-01-01"
    assert str(ZMD.baseline) == str(MNR.baseline) == "2018-01-01"
    assert ZMD.task("T1").milestone
    assert not any(ZMD.task(t).milestone for t in ("T2", "T3", "T4"))
    assert ZMD.award.deciding == ("T2", "T3", "T4")
    assert MNR.award.deciding == ("N1",)
    assert [t.measure for t in ZMD.tasks] == ["supply_rate", "supply_rate", "stock_disposal_rate",
                                              "idle_disposal_rate"]


# --- judge_task: the comparison --------------------------------------------------------------

def _judged(rules, tid, rate, *, as_of=None, base=1.0):
    task = rules.task(tid)
    return judge_task(task, measure({A: rate}, base=base), ALL, as_of or task.deadline).frame.loc[A]


def _at_slack_edge(target: float) -> float:
    """A rate r with r + RATE_EPS == target exactly in floating point."""
    r = target - RATE_EPS
    for _ in range(64):
        if r + RATE_EPS == target:
            return r
        r = math.nextafter(r, 0.0) if r + RATE_EPS > target else math.nextafter(r, 1.0)
    raise AssertionError("no rate at the slack edge")  # pragma: no cover


@pytest.mark.parametrize(("rules", "tid", "target", "deadline"), NOTICE_TASKS, ids=_case_ids(NOTICE_TASKS))
def test_exactly_on_the_target_meets_it(rules, tid, target, deadline):
    row = _judged(rules, tid, target)
    assert row["met"] == True  # noqa: E712
    assert row["gap_ha"] == 0.0


@pytest.mark.parametrize(("rules", "tid", "target", "deadline"), NOTICE_TASKS, ids=_case_ids(NOTICE_TASKS))
def test_a_hair_under_the_target_is_floating_point_and_meets_it(rules, tid, target, deadline):
    for rate in (math.nextafter(target, 0.0), target - 1e-10, _at_slack_edge(target)):
        assert rate < target
        assert _judged(rules, tid, rate)["met"] == True, rate  # noqa: E712


@pytest.mark.parametrize(("rules", "tid", "target", "deadline"), NOTICE_TASKS, ids=_case_ids(NOTICE_TASKS))
def test_just_under_the_target_misses_it(rules, tid, target, deadline):
    # 1e-8 under is 1 m² short in 10 000 ha: a real shortfall, well beyond rounding.
    row = _judged(rules, tid, target - 1e-8, base=100.0)
    assert row["met"] == False  # noqa: E712
    assert row["gap_ha"] == pytest.approx(1e-6, rel=1e-6)
    row = _judged(rules, tid, target - 0.01, base=10.0)
    assert row["met"] == False  # noqa: E712
    assert row["gap_ha"] == pytest.approx(0.1, rel=1e-9)  # 1 % of 10 ha still to do


@pytest.mark.parametrize(("rules", "tid", "target", "deadline"), NOTICE_TASKS, ids=_case_ids(NOTICE_TASKS))
def test_above_the_target_meets_it_without_gap(rules, tid, target, deadline):
    row = _judged(rules, tid, target + 0.01, base=10.0)
    assert row["met"] == True  # noqa: E712
    assert row["gap_ha"] == 0.0
    assert _judged(rules, tid, 1.0)["met"] == True  # noqa: E712


@pytest.mark.parametrize(("rules", "tid", "target", "deadline"), NOTICE_TASKS, ids=_case_ids(NOTICE_TASKS))
def test_judged_on_the_deadline_day_not_the_day_before(rules, tid, target, deadline):
    task = rules.task(tid)
    m = measure({A: target - 0.05, B: target + 0.05}, base=10.0)
    codes = pd.Index([A, B], name="county_code")
    before = judge_task(task, m, codes, deadline - DAY)
    assert not before.decided
    assert before.measured_on == deadline - DAY
    assert before.frame["met"].isna().all()  # pending, either way
    assert list(before.frame["reached"]) == [False, True]
    assert before.frame.at[A, "gap_ha"] == pytest.approx(0.5)  # gap shown before the deadline too
    for day in (deadline, deadline + DAY):
        on = judge_task(task, m, codes, day)
        assert on.decided
        assert on.measured_on == deadline
        assert list(on.frame["met"]) == [False, True]


@pytest.mark.parametrize(("rules", "tid", "target", "deadline"), NOTICE_TASKS, ids=_case_ids(NOTICE_TASKS))
def test_nothing_to_do_is_no_task_met_even_before_the_deadline(rules, tid, target, deadline):
    for day in (deadline - DAY, deadline):
        row = _judged(rules, tid, None, as_of=day)
        assert bool(row["no_task"])
        assert row["met"] == True  # noqa: E712
        assert bool(row["reached"])
        assert row["gap_ha"] == 0.0
        assert pd.isna(row["rate"])


def test_a_base_of_rounding_is_no_task_without_gap():
    # The measures give no rate (no task) for a base under 1e-6 ha; the judge shows no gap.
    task = ZMD.task("T3")
    m = pd.DataFrame({"done_ha": [0.0], "base_ha": [5e-7], "rate": [float("nan")]},
                     index=pd.Index([A], name="county_code"))
    row = judge_task(task, m, ALL, task.deadline).frame.loc[A]
    assert row["met"] == True  # noqa: E712
    assert row["gap_ha"] == 0.0


def test_a_county_missing_from_the_measure_has_no_task():
    task = ZMD.task("T2")
    out = judge_task(task, measure({A: 0.5}), pd.Index([A, B], name="county_code"), task.deadline).frame
    assert out.at[B, "met"] == True  # noqa: E712
    assert out.at[B, "base_ha"] == 0.0
    assert out.at[A, "met"] == False  # noqa: E712


# --- the same edges with rates computed from areas, through assess ---------------------------

def _supply_rate_ws(base_w: float, supplied_w: float, day: str):
    """A 2016 batch of base_w × 100 m with supplied_w × 100 m supplied on ``day``."""
    return workspace([A], batches=[batch("A1", A, "2016-06-01", strip(0, 0, base_w))],
                     supplies=[supply("PA1", "A1", day, strip(0, 0, supplied_w))])


def _stock_ws(base_w: float, supplied_w: float, day: str):
    """A 2012 batch (T3 only) of base_w × 100 m, supplied_w × 100 m supplied on ``day``."""
    return workspace([A], batches=[batch("A1", A, "2012-06-01", strip(0, 0, base_w))],
                     supplies=[supply("PA1", "A1", day, strip(0, 0, supplied_w))])


def _idle_ws(areas: list[float], disposed: int, day: str):
    rows = [idle_row(f"I{i}", A, a, "动工开发" if i == disposed else None, day if i == disposed else None)
            for i, a in enumerate(areas)]
    return workspace([A], idle=rows)


# (rules, task, builder arguments, expected rate, met): on the target, a hair under from areas,
# 1 m² per ha short.
AREA_CASES = [
    (ZMD, "T1", "on", (100, 70), 0.70, True),
    (ZMD, "T1", "hair", (830, 581), 5.81 / 8.3, True),
    (ZMD, "T1", "under", (100, 69.99), 0.6999, False),
    (ZMD, "T2", "on", (100, 75), 0.75, True),
    (ZMD, "T2", "hair", (40, 30), 0.3 / 0.4, True),
    (ZMD, "T2", "under", (100, 74.99), 0.7499, False),
    (MNR, "N1", "on", (100, 60), 0.60, True),
    (MNR, "N1", "hair", (670, 402), 4.02 / 6.7, True),
    (MNR, "N1", "under", (100, 59.99), 0.5999, False),
    (ZMD, "T3", "on", (500, 100), 0.20, True),
    (ZMD, "T3", "hair", (50, 10), (0.5 - 0.4) / 0.5, True),
    (ZMD, "T3", "under", (500, 99.99), 0.19998, False),
    (ZMD, "T4", "on", ([1.0, 1.0], 0), 0.50, True),
    (ZMD, "T4", "hair", ([0.01, 0.02, 0.03], 2), 0.03 / 0.060000000000000005, True),
    (ZMD, "T4", "under", ([1.0, 1.0002], 0), 1.0 / 2.0002, False),
]


@pytest.mark.parametrize(("rules", "tid", "case", "args", "rate", "met"), AREA_CASES,
                         ids=[f"{c[1]}-{c[2]}" for c in AREA_CASES])
def test_rates_from_areas_at_the_target(rules, tid, case, args, rate, met):
    task = rules.task(tid)
    day = str(task.deadline)
    if task.measure == "supply_rate":
        ws = _supply_rate_ws(*args, day)
    elif task.measure == "stock_disposal_rate":
        ws = _stock_ws(*args, day)
    else:
        ws = _idle_ws(*args, day)
    row = assess(ws, rules, task.deadline, raster=False).counties.set_index("county_code").loc[A]
    got = row[f"{tid}_rate"]
    if case == "on":
        assert got == task.target  # exactly, not approximately
    elif case == "hair":
        assert got < task.target  # floating point left it under ...
        assert got == pytest.approx(task.target, abs=1e-15)
        if rate is not None:
            assert got == rate
    else:
        assert got == pytest.approx(rate, rel=1e-12)
    assert row[f"{tid}_met"] == met  # ... and it still meets the target
    if not met:
        assert row[f"{tid}_gap_ha"] > 0


# --- one day before, on and after every deadline ---------------------------------------------

def _deadline_ws(tid: str, day_a: str, day_b: str):
    """A completes its task on ``day_a``, B on ``day_b``; before that both are at zero."""
    task = (ZMD if tid != "N1" else MNR).task(tid)
    if task.measure == "idle_disposal_rate":
        return workspace([A, B], idle=[idle_row("IA", A, 1.0, "协议有偿收回", day_a),
                                       idle_row("IB", B, 1.0, "无偿收回", day_b)])
    year = "2016-06-01" if task.measure == "supply_rate" else "2012-06-01"
    return workspace([A, B], batches=[batch("A1", A, year, strip(0, 0, 100)),
                                      batch("B1", B, year, strip(10_000, 0, 100))],
                     supplies=[supply("PA", "A1", day_a, strip(0, 0, 100)),
                               supply("PB", "B1", day_b, strip(10_000, 0, 100))])


@pytest.mark.parametrize(("rules", "tid", "target", "deadline"), NOTICE_TASKS, ids=_case_ids(NOTICE_TASKS))
def test_one_day_before_on_and_after_the_deadline(rules, tid, target, deadline):
    ws = _deadline_ws(tid, str(deadline), str(deadline + DAY))
    col = f"{tid}_met"
    before = assess(ws, rules, deadline - DAY, raster=False).counties.set_index("county_code")
    assert pd.isna(before.at[A, col])
    assert pd.isna(before.at[B, col])
    assert before.at[A, f"{tid}_rate"] == 0.0  # the work dated on the deadline is not yet done
    for day in (deadline, deadline + DAY):
        after = assess(ws, rules, day, raster=False).counties.set_index("county_code")
        # Work dated on the deadline counts; work a day late does not, even assessed later.
        assert after.at[A, f"{tid}_rate"] == 1.0
        assert after.at[A, col] == True  # noqa: E712
        assert after.at[B, f"{tid}_rate"] == 0.0
        assert after.at[B, col] == False  # noqa: E712


# --- approval windows and the baseline ------------------------------------------------------

def test_window_ends_one_day_either_side():
    # A: approvals on 2012-12-31 (1 ha), 2013-01-01 (2), 2017-12-31 (4), 2018-01-01 (8);
    # B: on 2008-12-31 (1), 2009-01-01 (2), 2015-12-31 (4), 2016-01-01 (8). Nothing supplied.
    def four(code, x0, dates):
        return [batch(f"{code}{i}", code, d, strip(x0 + 1_000 * i, 0, 100 * 2 ** i))
                for i, d in enumerate(dates)]

    ws = workspace([A, B], batches=four(A, 0, ["2012-12-31", "2013-01-01", "2017-12-31", "2018-01-01"])
                   + four(B, 10_000, ["2008-12-31", "2009-01-01", "2015-12-31", "2016-01-01"]))
    zmd = {r.task.id: r.frame for r in assess(ws, ZMD, "2018-12-31", raster=False).tasks}
    assert zmd["T1"].at[A, "base_ha"] == pytest.approx(6.0)   # 2 + 4
    assert zmd["T2"].at[A, "base_ha"] == pytest.approx(6.0)
    assert zmd["T2"].at[B, "base_ha"] == pytest.approx(12.0)  # 4 + 8
    assert zmd["T3"].at[A, "base_ha"] == pytest.approx(3.0)   # 1 + 2
    assert zmd["T3"].at[B, "base_ha"] == pytest.approx(6.0)   # 2 + 4
    mnr = {r.task.id: r.frame for r in assess(ws, MNR, "2018-12-31", raster=False).tasks}
    assert mnr["N1"].at[A, "base_ha"] == pytest.approx(6.0)
    assert mnr["N1"].at[B, "base_ha"] == pytest.approx(12.0)


def test_baseline_one_day_either_side():
    # Three 1 ha batches of 2012; half of each supplied on 2017-12-31, 2018-01-01, 2018-01-02.
    # A supply on or after the baseline day counts as disposal (baseline_day = "disposal", the
    # default of issue 11): U(T0) = 0.5 + 1 + 1 = 2.5 ha; U(T) = 1.5 ha; disposed 1 ha → 40 %.
    days = ["2017-12-31", "2018-01-01", "2018-01-02"]
    ws = workspace([A], batches=[batch(f"A{i}", A, "2012-06-01", strip(1_000 * i, 0, 100)) for i in range(3)],
                   supplies=[supply(f"P{i}", f"A{i}", d, strip(1_000 * i, 0, 50)) for i, d in enumerate(days)])
    out = assess(ws, ZMD, "2018-12-31", raster=False)
    t3 = {r.task.id: r.frame for r in out.tasks}["T3"]
    assert t3.at[A, "base_ha"] == pytest.approx(2.5)
    assert t3.at[A, "done_ha"] == pytest.approx(1.0)
    row = out.counties.set_index("county_code").loc[A]
    assert row["T3_rate"] == pytest.approx(0.4)
    assert row["T3_met"] == True  # noqa: E712


def test_stock_supplied_before_the_baseline_is_not_disposal():
    # 5 ha batch of 2012: 4 ha supplied on 2017-12-31, 1 ha on 2018-01-02.
    # U(T0) = 1 ha, all of it disposed → 100 %, not (5 − 0) / 5.
    ws = workspace([A, C], batches=[batch("A1", A, "2012-06-01", strip(0, 0, 500)),
                                    batch("C1", C, "2012-06-01", strip(20_000, 0, 500))],
                   supplies=[supply("P1", "A1", "2017-12-31", strip(0, 0, 400)),
                             supply("P2", "A1", "2018-01-02", strip(400, 0, 100)),
                             supply("P3", "C1", "2018-01-01", strip(20_000, 0, 100))])
    row = assess(ws, ZMD, "2018-12-31", raster=False).counties.set_index("county_code")
    assert row.at[A, "T3_rate"] == 1.0
    # Supplied on the baseline day itself: disposal (issue 11's reading), 1 of the 5 ha at T0 →
    # exactly 20 %, which meets the target, with no gap.
    assert row.at[C, "T3_rate"] == pytest.approx(0.2)
    assert bool(row.at[C, "T3_met"])
    assert row.at[C, "T3_gap_ha"] == pytest.approx(0.0)


def test_judge_all_helper_is_consistent():
    # The helper used by the consequence tests gives a county with every rate 1.0 an award.
    out = judge_all(ZMD, {"T2": {A: 1.0}}, ZMD.task("T2").deadline)
    assert out.at[A, "outcome"] == "award"
