"""Ranking (驻政办〔2018〕163号 四（三）3): "对处置率前3名的县区给予通报表扬，后3名的县区给予通报批评".

Highest combined disposal rate first, ties by county code; counties with nothing to dispose
of are not ranked; the top 3 are commended, the bottom 3 criticised, never one county both.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _notice import ZMD, judge_all, with_ranking
from _ws import A, B

from landuse.verdict import rank_counties

CODES = ["411702", "411721", "411722", "411723", "411724", "411725", "411726", "411727"]


def _ranked(rates: dict[str, float], rules=ZMD) -> tuple[list[str], list[str | None], pd.DataFrame]:
    out = rank_counties(pd.Series(rates, dtype="float64"), rules)
    order = out.dropna(subset=["rank"]).sort_values("rank")
    labels = [None if pd.isna(v) else str(v) for v in order["ranking"]]
    return list(order.index), labels, out


def test_the_notice_names_three_and_three():
    assert (ZMD.ranking.commend, ZMD.ranking.criticize) == (3, 3)


@pytest.mark.parametrize(("n", "expected"), [
    (1, ["commend"]),
    (2, ["commend", "commend"]),
    (3, ["commend", "commend", "commend"]),
    (4, ["commend", "commend", "commend", "criticize"]),
    (5, ["commend", "commend", "commend", "criticize", "criticize"]),
    (6, ["commend", "commend", "commend", "criticize", "criticize", "criticize"]),
    (7, ["commend", "commend", "commend", None, "criticize", "criticize", "criticize"]),
    (8, ["commend", "commend", "commend", None, None, "criticize", "criticize", "criticize"]),
])
def test_top_three_and_bottom_three_never_overlap(n, expected):
    # Rates fall with the code: 0.9, 0.8, ... so the order is the code order.
    rates = {code: 0.9 - 0.1 * i for i, code in enumerate(CODES[:n])}
    order, labels, out = _ranked(rates)
    assert order == CODES[:n]
    assert list(out.loc[order, "rank"]) == list(range(1, n + 1))
    assert labels == expected
    assert labels.count("commend") == min(3, n)
    assert labels.count("criticize") == max(0, min(3, n - 3))


def test_highest_first_not_lowest():
    order, _, _ = _ranked({"411702": 0.1, "411721": 0.95, "411722": 0.5})
    assert order == ["411721", "411722", "411702"]


@pytest.mark.parametrize(("commend", "criticize", "n", "expected"), [
    (1, 1, 1, ["commend"]),
    (1, 1, 2, ["commend", "criticize"]),
    (1, 1, 3, ["commend", None, "criticize"]),
    (0, 3, 2, ["criticize", "criticize"]),
    (0, 0, 3, [None, None, None]),
    (2, 5, 4, ["commend", "commend", "criticize", "criticize"]),
    (5, 2, 4, ["commend", "commend", "commend", "commend"]),
])
def test_other_counts_from_the_rule_set(commend, criticize, n, expected):
    rates = {code: 0.9 - 0.1 * i for i, code in enumerate(CODES[:n])}
    _, labels, _ = _ranked(rates, with_ranking(ZMD, commend, criticize))
    assert labels == expected


def test_ties_go_by_county_code_across_the_commend_line():
    # 7 counties; the 3rd to 5th share 0.5: the lower codes are commended, the highest is not.
    rates = {"411727": 0.5, "411702": 0.9, "411726": 0.5, "411721": 0.8, "411722": 0.5,
             "411723": 0.2, "411724": 0.1}
    order, labels, _ = _ranked(rates)
    assert order == ["411702", "411721", "411722", "411726", "411727", "411723", "411724"]
    assert labels == ["commend", "commend", "commend", None, "criticize", "criticize", "criticize"]


def test_rates_equal_but_for_floating_point_are_a_tie():
    # 0.1 + 0.2 disposed of 1.0 is 0.30000000000000004: it ranked ahead of the lower code's 0.3
    # (commended in its place); equal rates go by code.
    rates = {"411702": 0.3, "411721": (0.1 + 0.2) / 1.0, "411722": 0.9, "411723": 0.8,
             "411724": 0.1, "411725": 0.05, "411726": 0.01}
    assert rates["411721"] > rates["411702"]
    order, labels, _ = _ranked(rates)
    assert order == ["411722", "411723", "411702", "411721", "411724", "411725", "411726"]
    assert labels == ["commend", "commend", "commend", None, "criticize", "criticize", "criticize"]


def test_all_tied_go_by_code():
    rates = {code: 0.4 for code in reversed(CODES[:6])}
    order, labels, _ = _ranked(rates)
    assert order == CODES[:6]
    assert labels == ["commend"] * 3 + ["criticize"] * 3


def test_nothing_to_dispose_of_is_not_ranked_and_not_counted():
    # 7 counties, one without a rate: 6 ranked, so none sits between commended and criticised.
    rates = {code: 0.9 - 0.1 * i for i, code in enumerate(CODES[:7])}
    rates["411724"] = float("nan")
    order, labels, out = _ranked(rates)
    assert "411724" not in order
    assert pd.isna(out.at["411724", "rank"])
    assert pd.isna(out.at["411724", "ranking"])
    assert labels == ["commend"] * 3 + ["criticize"] * 3
    assert list(out.loc[order, "rank"]) == [1, 2, 3, 4, 5, 6]


def test_a_rate_of_zero_is_ranked_last_not_dropped():
    order, labels, out = _ranked({"411702": 0.0, "411721": 0.3})
    assert order == ["411721", "411702"]
    assert labels == ["commend", "commend"]
    assert out.at["411702", "rank"] == 2


def test_nobody_to_rank():
    _, labels, out = _ranked({"411702": float("nan")})
    assert labels == []
    assert out["rank"].isna().all()


def test_judge_counties_carries_the_rank():
    out = judge_all(ZMD, {"T2": {A: 1.0, B: 1.0}}, ZMD.task("T2").deadline,
                    combined={A: 0.2, B: 0.7})
    assert out.at[B, "rank"] == 1
    assert out.at[A, "rank"] == 2
    assert out.at[B, "ranking"] == "commend"
    assert out.at[A, "ranking"] == "commend"
    assert out.at[A, "combined_disposal_rate"] == pytest.approx(0.2)
