"""Tasks, awards, penalties, plans, suspension and ranking, computed by hand.

Three counties, each with one 2014 batch of 4 ha (200 m square) and idle land:

* A supplies 3.2 ha by 31 Dec (80 %; 2.4 ha by 30 Sep = 60 %, milestone missed),
  disposes 2 of 3 ha idle → meets T2, T3, T4 → award despite T1.
* B supplies 3.2 ha by 30 Sep (80 %) but its only idle parcel (1 ha) is disposed
  in 2019 → misses T4 → penalty, suspended.
* C supplies 3.2 ha by 30 Sep and has no idle land → T4 "no task", met → award.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _ws import A, B, C, batch, build, counties, sq, supply

from landuse.campaigns.zengcun.assessment import assess, tables
from landuse.rules.model import load_ruleset
from landuse.verdict import rank_counties

RULES = load_ruleset("zhumadian-2018")


def idle_row(iid, county, area, disposal=None, date=None, cause="企业原因"):
    return {"idle_id": iid, "county_code": county, "area_ha": area, "cause": cause,
            "disposal": disposal, "disposal_date": date, "identified_date": "2017-06-01", "geometry": None}


@pytest.fixture(scope="module")
def ws():
    return build(
        counties=counties(A, B, C),
        batches=[batch("A1", A, "2014-01-01", sq(0, 0, 200)),
                 batch("B1", B, "2014-01-01", sq(10_000, 0, 200)),
                 batch("C1", C, "2014-01-01", sq(20_000, 0, 200))],
        supplies=[
            # A: 200 × 120 m = 2.4 ha in September, then 200 × 40 m = 0.8 ha in November.
            supply("PA1", "A1", "2018-09-30", sq(0, 0, 200, 120)),
            supply("PA2", "A1", "2018-11-15", sq(0, 120, 200, 40)),
            supply("PB1", "B1", "2018-09-01", sq(10_000, 0, 200, 160)),
            supply("PC1", "C1", "2017-05-01", sq(20_000, 0, 200, 160)),
        ],
        idle=[idle_row("IA1", A, 2.0, "协议有偿收回", "2018-12-31"),
              idle_row("IA2", A, 1.0),
              idle_row("IB1", B, 1.0, "动工开发", "2019-01-10")],
        quotas=[{"county_code": c, "year": 2019, "plan_base_ha": 100.0} for c in (A, B, C)],
    )


@pytest.fixture(scope="module")
def year_end(ws):
    return assess(ws, RULES, "2018-12-31", raster=False).counties.set_index("county_code")


def test_rates_at_their_deadlines(year_end):
    assert year_end.at[A, "T1_rate"] == pytest.approx(0.6)  # judged on 30 Sep, not on 31 Dec
    assert year_end.at[A, "T2_rate"] == pytest.approx(0.8)
    # T3: U(2018-01-01) = 4 ha, U(T) = 0.8 ha → 3.2 / 4.
    assert year_end.at[A, "T3_rate"] == pytest.approx(0.8)
    assert year_end.at[A, "T4_rate"] == pytest.approx(2 / 3)
    assert year_end.at[B, "T4_rate"] == pytest.approx(0.0)
    # C supplied before the baseline: nothing left to dispose of is still a stock of 0.8 ha.
    assert year_end.at[C, "T3_rate"] == pytest.approx(0.0)


def test_milestone_missed_only_is_still_awarded(year_end):
    assert year_end.at[A, "T1_met"] == False  # noqa: E712
    assert year_end.at[A, "outcome"] == "award"
    assert bool(year_end.at[A, "milestone_missed"])
    assert year_end.at[A, "plan_next_ha"] == pytest.approx(110.0)
    assert not year_end.at[A, "suspended"]


def test_missing_one_deciding_task_is_a_penalty_and_suspension(year_end):
    assert year_end.at[B, "T4_met"] == False  # noqa: E712
    assert year_end.at[B, "outcome"] == "penalty"
    assert year_end.at[B, "plan_next_ha"] == pytest.approx(80.0)
    assert bool(year_end.at[B, "suspended"])
    assert year_end.at[B, "T4_gap_ha"] == pytest.approx(0.5)  # half of 1 ha still to dispose of


def test_no_task_is_met_and_empty(ws, year_end):
    assert pd.isna(year_end.at[C, "T4_rate"])
    assert year_end.at[C, "T4_met"] == True  # noqa: E712
    table = tables(assess(ws, RULES, "2018-12-31", raster=False))["counties"].set_index("county_code")
    assert pd.isna(table.at[C, "T4_rate"])
    assert table.at[C, "T4_met"] == "true"


def test_stock_gap_in_hectares(year_end):
    # C: 0.8 ha stock at T0, none disposed, target 20 % → 0.16 ha to dispose of.
    assert year_end.at[C, "T3_gap_ha"] == pytest.approx(0.16)
    assert year_end.at[C, "T3_met"] == False  # noqa: E712


def test_pending_before_the_deadline(ws):
    before = assess(ws, RULES, "2018-10-31", raster=False).counties.set_index("county_code")
    assert pd.isna(before.at[A, "T2_met"])
    assert before.at[A, "T2_rate"] == pytest.approx(0.6)  # as of 31 Oct
    assert before.at[A, "T1_met"] == False  # noqa: E712  (T1's deadline has passed)
    assert not before["outcome_final"].any()
    assert not before["suspended"].any()


def test_combined_ranking(year_end):
    # A: (3.2 + 2) / (4 + 3) = 0.742…; B: (3.2 + 0) / (4 + 1) = 0.64; C: 0 / 0.8 = 0.
    assert year_end.at[A, "combined_disposal_rate"] == pytest.approx(5.2 / 7)
    assert year_end.at[B, "combined_disposal_rate"] == pytest.approx(0.64)
    assert list(year_end.sort_values("rank").index) == [A, B, C]


@pytest.mark.parametrize(("commend", "criticize", "expected"), [
    (3, 3, ["commend", "commend", "commend", "criticize", "criticize"]),
    (1, 1, ["commend", None, None, None, "criticize"]),
])
def test_ranking_ties_go_by_county_code(commend, criticize, expected):
    import dataclasses

    rules = dataclasses.replace(RULES, ranking=dataclasses.replace(RULES.ranking, commend=commend,
                                                                      criticize=criticize))
    rates = pd.Series({"411729": 0.5, "411702": 0.5, "411721": 0.9, "411799": float("nan"),
                       "411725": 0.1, "411722": 0.5})
    out = rank_counties(rates, rules)
    order = out.dropna(subset=["rank"]).sort_values("rank")
    assert list(order.index) == ["411721", "411702", "411722", "411729", "411725"]
    assert [None if pd.isna(v) else v for v in order["ranking"]] == expected
    assert pd.isna(out.at["411799", "rank"])


def test_plan_needs_the_next_years_quota(ws):
    import dataclasses

    two_on = dataclasses.replace(RULES, award=dataclasses.replace(RULES.award, plan_year_offset=2))
    later = assess(ws, two_on, "2019-03-31", raster=False)
    assert later.extra["plan_year"] == 2020
    assert later.counties["plan_base_ha"].isna().all()  # no 2020 quota
    assert (later.problems["layer"] == "quotas").sum() == 3


def test_plan_of_the_year_after_the_deadline_at_a_later_as_of(ws):
    # At 2019-06-30 the 2018 tasks still decide the 2019 plan (100 ha each): A × 1.10, B × 0.80.
    later = assess(ws, RULES, "2019-06-30", raster=False)
    c = later.counties.set_index("county_code")
    assert later.extra["plan_year"] == 2019
    assert c.at[A, "plan_next_ha"] == pytest.approx(110.0)
    assert c.at[B, "plan_next_ha"] == pytest.approx(80.0)
    assert c.at[C, "plan_next_ha"] == pytest.approx(80.0)  # C missed T3 in 2018
    assert later.quota(A).plan_next_ha == pytest.approx(110.0)
