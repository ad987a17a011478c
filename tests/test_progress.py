"""Quarterly progress: the dates, hand-computed rates, and agreement with the assessment.

One county, one 2014 batch of 4 ha (a 200 m square) supplied 2.4 ha on
30 Sep 2018 and 0.8 ha more on 15 Nov 2018; one idle parcel of 2 ha
disposed on 20 Jun 2018. So the 2013–2017 supply rate is 0 at the ends of
Q1 and Q2, 60 % at the end of Q3 and 80 % at the end of Q4; the idle
disposal rate is 0 at Q1 and 100 % from Q2.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from _ws import A, batch, build, counties, sq, supply

from landuse import load_workspace
from landuse._errors import SchemaError
from landuse.analysis.supply import link_supplies
from landuse.campaigns.zengcun.assessment import assess
from landuse.campaigns.zengcun.progress import PROGRESS_COLUMNS, progress_dates, quarterly_progress
from landuse.rules.model import load_ruleset

RULES = load_ruleset("zhumadian-2018")


@pytest.fixture(scope="module")
def ws():
    return build(
        counties=counties(A),
        batches=[batch("A1", A, "2014-01-01", sq(0, 0, 200))],
        supplies=[
            supply("PA1", "A1", "2018-09-30", sq(0, 0, 200, 120)),
            supply("PA2", "A1", "2018-11-15", sq(0, 120, 200, 40)),
        ],
        idle=[
            {
                "idle_id": "IA1",
                "county_code": A,
                "area_ha": 2.0,
                "cause": "企业原因",
                "disposal": "协议有偿收回",
                "disposal_date": "2018-06-20",
                "identified_date": "2017-06-01",
                "geometry": None,
            }
        ],
        quotas=[{"county_code": A, "year": 2019, "plan_base_ha": 100.0}],
    )


@pytest.fixture(scope="module")
def sample():
    return load_workspace()


def _series(p: pd.DataFrame, task: str) -> list[float]:
    return p[p["task"] == task].sort_values("date")["rate"].round(6).tolist()


@pytest.mark.parametrize(
    ("as_of", "start", "expected"),
    [
        ("2018-12-31", None, ["2018-03-31", "2018-06-30", "2018-09-30", "2018-12-31"]),
        ("2018-11-15", None, ["2018-03-31", "2018-06-30", "2018-09-30", "2018-11-15"]),
        ("2018-03-31", None, ["2018-03-31"]),
        ("2018-02-10", None, ["2018-02-10"]),
        (
            "2019-03-31",
            None,
            ["2018-03-31", "2018-06-30", "2018-09-30", "2018-12-31", "2019-03-31"],
        ),
        ("2018-06-30", "2017-10-01", ["2017-12-31", "2018-03-31", "2018-06-30"]),
        (dt.date(2018, 7, 1), "2018-04-01", ["2018-06-30", "2018-07-01"]),
    ],
)
def test_quarter_ends_then_the_as_of_date(as_of, start, expected):
    assert [str(d) for d in progress_dates(RULES, as_of=as_of, start=start)] == expected


def test_campaign_start_is_the_year_of_the_first_deadline():
    mnr = load_ruleset("mnr-2018")
    assert progress_dates(mnr, as_of="2018-12-31")[0] == dt.date(2018, 3, 31)


@pytest.mark.parametrize(
    ("as_of", "start", "match"),
    [
        ("2018-12-31", "2019-01-01", "after"),
        ("not a date", None, "as_of"),
        ("2018-12-31", "someday", "start"),
    ],
)
def test_bad_dates(as_of, start, match):
    with pytest.raises(SchemaError, match=match):
        progress_dates(RULES, as_of=as_of, start=start)


def test_hand_computed_rates(ws):
    p = quarterly_progress(ws, RULES, as_of="2018-12-31")
    assert list(p.columns) == PROGRESS_COLUMNS
    assert len(p) == 1 * 4 * 4
    assert _series(p, "T2") == [0.0, 0.0, 0.6, 0.8]
    # T1 is the end-September milestone: frozen at its deadline afterwards.
    assert _series(p, "T1") == [0.0, 0.0, 0.6, 0.6]
    assert _series(p, "T4") == [0.0, 1.0, 1.0, 1.0]
    # T3: 4 ha unsupplied on 1 Jan 2018 (the baseline), 1.6 ha left at Q3, 0.8 ha at Q4.
    assert _series(p, "T3") == [0.0, 0.0, 0.6, 0.8]
    t2 = p[p["task"] == "T2"].set_index(p[p["task"] == "T2"]["date"].dt.strftime("%m-%d"))
    assert t2["target"].eq(0.75).all()
    assert t2["met"].tolist() == [False, False, False, True]
    assert t2["decided"].tolist() == [False, False, False, True]
    assert t2.at["09-30", "gap_ha"] == pytest.approx(0.75 * 4 - 2.4)
    t1 = p[p["task"] == "T1"].sort_values("date")
    assert t1["measured_on"].dt.date.tolist()[-1] == dt.date(2018, 9, 30)
    assert t1["decided"].tolist() == [False, False, True, True]


def test_a_county_without_a_task_is_met_with_no_rate(ws):
    p = quarterly_progress(ws, RULES, as_of="2018-12-31")
    assert p["county_name"].eq("县02").all()
    assert p["date"].dtype.kind == "M"


def test_links_can_be_passed_in(ws):
    links = link_supplies(ws.batches, ws.supplies)
    pd.testing.assert_frame_equal(
        quarterly_progress(ws, RULES, as_of="2018-12-31", links=links),
        quarterly_progress(ws, RULES, as_of="2018-12-31"),
    )


@pytest.mark.parametrize("as_of", ["2018-12-31", "2018-11-15"])
def test_last_row_is_the_assessment(sample, as_of):
    a = assess(sample, RULES, as_of, raster=False)
    p = quarterly_progress(sample, RULES, as_of=as_of)
    assert p["date"].max() == pd.Timestamp(as_of)
    assert len(p) == len(a.counties) * len(RULES.tasks) * 4
    last = p[p["date"] == pd.Timestamp(as_of)]
    c = a.counties.set_index("county_code")
    for task in RULES.tasks:
        rows = last[last["task"] == task.id].set_index("county_code")
        np.testing.assert_allclose(
            rows["rate"].to_numpy(dtype=float),
            c.loc[rows.index, f"{task.id}_rate"].to_numpy(dtype=float),
            rtol=0,
            atol=1e-12,
            equal_nan=True,
        )
        np.testing.assert_allclose(
            rows["gap_ha"].to_numpy(dtype=float),
            c.loc[rows.index, f"{task.id}_gap_ha"].to_numpy(dtype=float),
            rtol=0,
            atol=1e-9,
        )
        decided = c.loc[rows.index, f"{task.id}_met"].dropna()
        assert rows.loc[decided.index, "met"].astype(bool).tolist() == decided.astype(bool).tolist()


def test_rates_stay_in_range_and_supply_never_falls(sample):
    p = quarterly_progress(sample, "zhumadian-2018", as_of="2018-12-31")
    rates = p["rate"].dropna()
    assert rates.between(0.0, 1.0).all()
    supplied = p[p["task"] == "T2"].sort_values("date").groupby("county_code")["done_ha"]
    assert supplied.apply(lambda s: s.is_monotonic_increasing).all()


def test_one_county_as_a_table(ws):
    from landuse.campaigns.zengcun.progress import progress_table

    p = quarterly_progress(ws, RULES, as_of="2018-12-31")
    for key in (A, "县02", "县"):
        t = progress_table(p, county=key)
        assert t.index.strftime("%m-%d").tolist() == ["03-31", "06-30", "09-30", "12-31"]
        assert t["T2_rate"].round(6).tolist() == [0.0, 0.0, 0.6, 0.8]
        assert t["T2_rate"].dtype == "float64"
        assert t["T2_met"].tolist() == [False, False, False, True]
        assert list(t.columns[:4]) == ["T1_rate", "T1_target", "T1_met", "T1_gap_ha"]


@pytest.mark.parametrize("county", ["nowhere", "4117"])
def test_unknown_county_names_the_choices(ws, county):
    from landuse.campaigns.zengcun.progress import progress_table
    from landuse.output.figures import progress_figure

    p = quarterly_progress(ws, RULES, as_of="2018-12-31")
    with pytest.raises(SchemaError, match="县02"):
        progress_table(p, county=county)
    with pytest.raises(SchemaError, match="choose one of"):
        progress_figure(p, RULES, county=county)
