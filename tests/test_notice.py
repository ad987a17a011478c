"""驻政办〔2018〕163号 read whole (issue 11): exemptions, 未供先用, the lapse clause,
resumption, functional zones, ranking measure, supply measure, indicators by kind.

Squares in EPSG:4547 (``_ws.sq``): 100 m × 100 m = 1 ha.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from _ws import A, B, batch, build, counties, sq, supply

from landuse.campaigns.zengcun.assessment import assess, tables
from landuse.rules.model import load_ruleset

RULES = load_ruleset("zhumadian-2018")
MNR = load_ruleset("mnr-2018")


# --- 2. exemptions are categories with synonyms ---------------------------------------------
@pytest.mark.parametrize(("kind", "category"), [
    ("国家重点项目", "省以上重点项目"),
    ("省级重点项目", "省以上重点项目"),
    ("省 重点项目", "省以上重点项目"),       # spaces do not matter
    ("省以上重点项目", "省以上重点项目"),
    ("脱贫攻坚项目", "扶贫攻坚项目"),
    ("重大民生项目", "重大民生项目"),
    ("商品住宅项目", None),
    ("市级重点项目", None),                  # the city is below the province
])
def test_exempt_categories(kind, category):
    assert RULES.suspension.exempt_category(kind) == category


def test_national_rule_exempts_national_key_projects_only():
    assert MNR.suspension.exempt_category("国家级重点项目") == "国家重点项目"
    assert MNR.suspension.exempt_category("省级重点项目") is None


@pytest.fixture(scope="module")
def suspended_ws():
    # B: a 1 ha 2014 batch, nothing supplied → T2 0 % and T3 0 %: penalty, suspended.
    return build(counties=counties(A, B),
                 batches=[batch("A1", A, "2014-01-01", sq(0, 0)), batch("B1", B, "2014-01-01", sq(10_000, 0))],
                 supplies=[supply("PA1", "A1", "2018-06-01", sq(0, 0))],
                 quotas=[{"county_code": c, "year": 2019, "plan_base_ha": 100.0} for c in (A, B)])


def test_suspended_county_national_key_project_may_apply(suspended_ws):
    a = assess(suspended_ws, RULES, "2018-12-31", raster=False)
    q = a.quota(B, project_kind="国家重点项目")
    assert q.suspended
    assert q.project_allowed is True
    assert q.exempt_category == "省以上重点项目"
    assert a.quota(B, project_kind="商品住宅项目").project_allowed is False
    assert a.quota(A, project_kind="商品住宅项目").project_allowed is True


# --- 3. 未供先用: built up with nothing supplied is its own list, never a lapse ---------------
def test_built_up_unsupplied_batch_is_used_before_supply_not_a_lapse(tmp_path):
    from test_candidates import _landcover

    ws = build(counties=counties(A), batches=[
        batch("USED", A, "2015-03-01", sq(0, 0), approver="国务院", compensation="未实施"),
        batch("USED2", A, "2015-03-01", sq(200, 0), compensation="已实施"),
        batch("QUARTER", A, "2015-03-01", sq(400, 0), compensation="未实施"),
        batch("OPEN", A, "2015-03-01", sq(600, 0), compensation="未实施"),
    ], supplies=[supply("P0", None, "2016-01-01", sq(1500, 300, 10))])
    # USED and USED2: the whole 1 ha built up (share 1.0); QUARTER: a 50 m square, 0.25 ha (share 0.25).
    ws.landcover = _landcover(tmp_path / "lc.tif", [(0, 0, 100), (200, 0, 100), (400, 0, 50)])
    c = assess(ws, RULES, "2018-12-31").candidates.set_index("batch_id")
    assert c.at["USED", "kind"] == "used_before_supply"
    assert c.at["USED", "kind_label"] == "未供先用"
    assert c.at["USED", "built_share"] == pytest.approx(1.0)
    assert c.at["USED", "area_ha"] == pytest.approx(1.0)
    assert c.at["USED", "indicator_return_ha"] == pytest.approx(0.0)
    assert "未供先用" in c.at["USED", "reason"]
    assert c.at["USED2", "kind"] == "used_before_supply"  # compensated and built: not in "no list"
    assert c.at["QUARTER", "kind"] == "lapse"  # 25 % ≤ 50 %: not in use
    assert c.at["OPEN", "kind"] == "lapse"
    assert len(c) == 4  # one row each: never both 未供先用 and a lapse


# --- 4. the lapse clause per approval kind ---------------------------------------------------
def test_lapse_clause_per_approval_kind():
    ws = build(counties=counties(A), batches=[
        # a conversion unused two years lapses although compensation is implemented
        batch("CONV", A, "2015-03-01", sq(0, 0), approval_kind="农用地转用", compensation="已实施"),
        # an expropriation with its compensation plan not implemented lapses
        batch("EXPR", A, "2015-03-01", sq(200, 0), approval_kind="土地征收", compensation="未实施"),
        # an expropriation whose compensation is implemented is withdrawn, not lapsed
        batch("EXPR_DONE", A, "2015-03-01", sq(400, 0), approval_kind="征收", compensation="已实施"),
        # no 审批类型: the default reading, both — nothing supplied and compensation not implemented
        batch("BOTH", A, "2015-03-01", sq(600, 0), compensation="未实施"),
        batch("BOTH_DONE", A, "2015-03-01", sq(800, 0), compensation="部分实施"),
    ], supplies=[supply("P0", None, "2016-01-01", sq(1500, 300, 10))])
    c = assess(ws, RULES, "2018-12-31", raster=False).candidates.set_index("batch_id")
    assert RULES.approvals.default_kind == "农用地转用和土地征收"
    assert c.at["CONV", "kind"] == "lapse"
    assert c.at["CONV", "area_ha"] == pytest.approx(1.0)
    assert "两年未用地" in c.at["CONV", "reason"]
    assert "征收补偿" not in c.at["CONV", "reason"]
    assert "two years unused" in c.at["CONV", "reason_en"]
    assert c.at["EXPR", "kind"] == "lapse"
    assert c.at["EXPR", "reason"].startswith("土地征收批准已满 3.8 年未实施征收补偿安置方案")
    assert c.at["EXPR_DONE", "kind"] == "withdraw"
    assert c.at["BOTH", "kind"] == "lapse"
    assert c.at["BOTH", "approval_kind"] == "农用地转用和土地征收"
    assert "两年未用地且未实施征收补偿安置方案" in c.at["BOTH", "reason"]
    assert c.at["BOTH_DONE", "kind"] == "withdraw"


# --- 5. resumption ----------------------------------------------------------------------------
def _resumption_ws(resumptions=()):
    # B: a 1 ha 2014 batch with nothing supplied by 2018 → T2 0 %, T3 0 %: suspended at 2018-12-31.
    # On 2019-05-15 the whole 1 ha is supplied: T2 and T3 reach 100 % (≥ 75 %, ≥ 20 %); no idle land.
    return build(counties=counties(A, B),
                 batches=[batch("A1", A, "2014-01-01", sq(0, 0)), batch("B1", B, "2014-01-01", sq(10_000, 0))],
                 supplies=[supply("PA1", "A1", "2018-06-01", sq(0, 0)),
                           supply("PB1", "B1", "2019-05-15", sq(10_000, 0))],
                 resumptions=list(resumptions) or [{"county_code": A, "date": "2030-01-01"}])


@pytest.mark.parametrize(("as_of", "suspended", "may_resume"), [
    ("2018-12-31", True, False),
    ("2019-05-01", True, False),   # still 0 % supplied
    ("2019-05-31", True, True),    # 1 ha of 1 ha supplied: every missed task reached
])
def test_suspended_county_may_apply_for_resumption(as_of, suspended, may_resume):
    a = assess(_resumption_ws(), RULES, as_of, raster=False)
    c = a.counties.set_index("county_code")
    assert bool(c.at[B, "suspended"]) is suspended
    assert bool(c.at[B, "may_resume"]) is may_resume
    assert c.at[B, "outcome"] == "penalty"  # the 2018 verdict stands
    assert a.quota(B).may_resume is may_resume
    assert not c.at[A, "may_resume"]


def test_confirmed_resumption_ends_the_suspension():
    ws = _resumption_ws([{"county_code": B, "date": "2019-06-01"}])
    before = assess(ws, RULES, "2019-05-31", raster=False)
    assert bool(before.counties.set_index("county_code").at[B, "suspended"])
    after = assess(ws, RULES, "2019-06-30", raster=False)
    c = after.counties.set_index("county_code")
    assert not c.at[B, "suspended"]
    assert not c.at[B, "may_resume"]
    assert str(c.at[B, "resumed_on"])[:10] == "2019-06-01"
    q = after.quota(B, project_kind="商品住宅项目")
    assert not q.suspended
    assert q.project_allowed is True
    assert str(q.resumed_on) == "2019-06-01"


@pytest.mark.parametrize(("confirmed", "as_of", "named"), [
    ("2019-02-01", "2019-03-01", True),    # confirmed while B is still 0 % supplied
    ("2019-02-01", "2019-06-30", False),   # ... and reached since (1 ha supplied 2019-05-15)
    ("2019-06-01", "2019-06-30", False),   # confirmed once reached
])
def test_a_resumption_confirmed_while_still_short_is_taken_and_named(confirmed, as_of, named):
    # §1.3 "整改任务完成并经申请确认后，可恢复受理": the record is the city's word, so it ends the
    # suspension; where the data says the tasks are still short, a warning says so.
    a = assess(_resumption_ws([{"county_code": B, "date": confirmed}]), RULES, as_of, raster=False)
    assert not a.counties.set_index("county_code").at[B, "suspended"]
    found = a.problems[a.problems["layer"] == "resumptions"]
    if named:
        (row,) = found.to_dict("records")
        assert (row["severity"], row["field"], row["county_code"]) == ("warning", "date", B)
        assert f"（{B}）已于 2019-02-01 确认恢复受理，但按数据，其未完成的任务至今仍未达标" in row["message"]
    else:
        assert found.empty


# --- 6. functional zones ----------------------------------------------------------------------
Z = "411790"


def _zone_ws():
    units = counties(A, B)
    # A 1 km × 1 km zone (100 ha) carved from A's 10 km square.
    units.append({"county_code": Z, "county_name": "示范区", "unit_kind": "管委会", "parent_code": A,
                  "geometry": sq(0, 0, 1000)})
    return build(
        counties=units,
        batches=[batch("A1", A, "2014-01-01", sq(5000, 5000)),          # A, outside the zone
                 batch("Z1", A, "2014-01-01", sq(100, 100)),            # says A, lies in the zone
                 batch("Z2", None, "2014-01-01", sq(300, 300)),         # no code, lies in the zone
                 batch("B1", B, "2014-01-01", sq(10_000, 0))],
        supplies=[supply("PA1", "A1", "2018-06-01", sq(5000, 5000)),
                  supply("PZ1", "Z1", "2018-06-01", sq(100, 100))],
        idle=[{"idle_id": "I1", "parcel_id": "PZ1", "county_code": A, "area_ha": 1.0, "cause": "企业原因",
               "disposal": None, "disposal_date": None, "identified_date": "2017-06-01", "geometry": None}],
        quotas=[{"county_code": c, "year": 2019, "plan_base_ha": 100.0} for c in (A, B, Z)],
    )


def test_features_in_a_zone_count_for_the_zone():
    ws = _zone_ws()
    assert ws.batches.set_index("batch_id")["county_code"].to_dict() == {"A1": A, "Z1": Z, "Z2": Z, "B1": B}
    assert ws.supplies.set_index("parcel_id").at["PZ1", "county_code"] == Z
    assert ws.idle.set_index("idle_id").at["I1", "county_code"] == Z  # through its parcel
    a = assess(ws, RULES, "2018-12-31", raster=False)
    c = a.counties.set_index("county_code")
    assert c.at[Z, "unit_kind"] == "功能区"
    assert c.at[Z, "parent_code"] == A
    assert c.at[A, "unit_kind"] == "县区"
    assert pd.isna(c.at[A, "parent_code"])
    # Zone: 1 of 2 ha supplied → T2 50 %, missed; its 1 ha idle parcel undisposed → T4 0 %.
    assert c.at[Z, "T2_rate"] == pytest.approx(0.5)
    assert c.at[Z, "T4_rate"] == pytest.approx(0.0)
    assert c.at[Z, "outcome"] == "penalty"
    assert c.at[Z, "plan_next_ha"] == pytest.approx(80.0)
    # The parent keeps the rest: A1 alone, fully supplied; no idle land.
    assert c.at[A, "T2_rate"] == pytest.approx(1.0)
    assert pd.isna(c.at[A, "T4_rate"])
    assert c.at[A, "outcome"] == "award"
    # Ranked like a county: combined (T3 + T4): A 1/1, Z 1/(2+1), B 0/1.
    assert c.at[Z, "combined_disposal_rate"] == pytest.approx(1 / 3)
    assert list(c.sort_values("rank").index) == [A, Z, B]
    # Mapped: the parent's outline less the zone (100 km² − 1 km²).
    assert c.loc[A].geometry.area / 10_000 == pytest.approx(9900.0)
    assert c.loc[Z].geometry.area / 10_000 == pytest.approx(100.0)
    assert "unit_kind" in tables(a)["counties"].columns


# --- 7. the ranking measure is a rule-set choice -----------------------------------------------
def _ranked_by(measure, weights=()):
    import dataclasses

    rules = dataclasses.replace(RULES, ranking=dataclasses.replace(RULES.ranking, measure=measure,
                                                                   weights=tuple(weights)))
    # A: 2 ha batch, 0.5 ha supplied in 2018 → T2 25 %, T3 25 %; idle 1 ha of 1 ha disposed → T4 100 %.
    # B: 1 ha batch, fully supplied in 2018 → T2 100 %, T3 100 %; idle 0 of 1 ha disposed → T4 0 %.
    ws = build(counties=counties(A, B),
               batches=[batch("A1", A, "2014-01-01", sq(0, 0, 200, 100)), batch("B1", B, "2014-01-01", sq(10_000, 0))],
               supplies=[supply("PA1", "A1", "2018-06-01", sq(0, 0, 50, 100)),
                         supply("PB1", "B1", "2018-06-01", sq(10_000, 0))],
               idle=[{"idle_id": "IA", "county_code": A, "area_ha": 1.0, "cause": "企业原因", "disposal": "动工开发",
                      "disposal_date": "2018-10-01", "geometry": None},
                     {"idle_id": "IB", "county_code": B, "area_ha": 1.0, "cause": "企业原因", "geometry": None}])
    return assess(ws, rules, "2018-12-31", raster=False).counties.set_index("county_code")


@pytest.mark.parametrize(("measure", "weights", "rate_a", "rate_b", "first"), [
    ("combined", (), (0.5 + 1) / 3, 1 / 2, A),        # (0.5 + 1) / (2 + 1) vs (1 + 0) / (1 + 1)
    ("idle_disposal", (), 1.0, 0.0, A),
    ("supply_rate", (), 0.25, 1.0, B),
    ("stock_disposal", (), 0.25, 1.0, B),
    ("weighted", (("supply_rate", 0.5), ("idle_disposal", 0.5)), 0.625, 0.5, A),
    ("weighted", (("supply_rate", 3.0), ("idle_disposal", 1.0)), 0.4375, 0.75, B),
])
def test_ranking_measure(measure, weights, rate_a, rate_b, first):
    c = _ranked_by(measure, weights)
    assert c.at[A, "ranking_rate"] == pytest.approx(rate_a)
    assert c.at[B, "ranking_rate"] == pytest.approx(rate_b)
    assert c.at[first, "rank"] == 1
    assert (c["ranking_measure"] == measure).all()


def test_ranking_measure_in_the_rule_set_file(tmp_path):
    text = RULES.to_toml().replace('measure = "combined"',
                                   'measure = "weighted"\nweights = { supply_rate = 1.0, idle_disposal = 1.0 }')
    path = tmp_path / "w.toml"
    path.write_text(text, encoding="utf-8")
    rules = load_ruleset(path)
    assert rules.ranking.weights == (("idle_disposal", 1.0), ("supply_rate", 1.0))
    assert rules.ranking.label() == "加权处置率（闲置土地处置率 × 1，农转征土地供地率 × 1）"
    bad = tmp_path / "bad.toml"
    bad.write_text(RULES.to_toml().replace('measure = "combined"', 'measure = "weighted"'), encoding="utf-8")
    from landuse._errors import RuleSetError

    with pytest.raises(RuleSetError, match=r"ranking\.weights"):
        load_ruleset(bad)


# --- 8. smaller departures ----------------------------------------------------------------------
def test_suspected_idle_reason_prints_the_measured_share_to_one_decimal():
    ws = build(counties=counties(A), batches=[batch("B1", A, "2015-01-01", sq(0, 0, 1000))],
               supplies=[supply("P1", "B1", "2016-01-01", sq(0, 0), agreed_start="2017-01-01",
                                actual_start="2017-02-01", developed_ha=0.3304, area_ha=1.0)])
    sus = assess(ws, RULES, "2018-12-31", raster=False).candidates.set_index("parcel_id")
    assert "开发面积占比 33.0% 不足 33.3%" in sus.at["P1", "reason"]  # not "33% 不足 33%"


def test_outcome_words_one_plan_cut_word_and_no_award_under_mnr():
    assert RULES.award.outcome_word("award") == "奖励"
    assert RULES.award.outcome_word("penalty") == "计划核减"  # the plan; a batch's is 批次核减
    assert MNR.award.outcome_word("award") == "达标"  # × 1.0 is no award
    assert MNR.award.outcome_word("penalty") == "未达标"
    assert MNR.award.outcome_word("award", "en") == "met"
    from landuse.analysis.approvals import KIND_LABELS

    assert KIND_LABELS["reduce"][0] == "批次核减"


@pytest.mark.parametrize(("baseline_day", "t3"), [("disposal", 0.5), ("stock", 0.0)])
def test_a_supply_dated_on_the_baseline(baseline_day, t3):
    import dataclasses

    rules = dataclasses.replace(RULES, baseline_day=baseline_day)
    # 1 ha batch of 2014; half of it supplied on 2018-01-01, the baseline itself.
    ws = build(counties=counties(A), batches=[batch("A1", A, "2014-01-01", sq(0, 0))],
               supplies=[supply("P1", "A1", "2018-01-01", sq(0, 0, 100, 50))])
    c = assess(ws, rules, "2018-12-31", raster=False).counties.set_index("county_code")
    assert c.at[A, "T3_rate"] == pytest.approx(t3)  # disposal: 0.5 / 1; stock: 0 / 0.5
    assert RULES.baseline_day == "disposal"


def test_typical_cases_are_at_least_the_rule_sets_number():
    import dataclasses

    def idle_row(iid, area):
        return {"idle_id": iid, "county_code": A, "area_ha": area, "cause": "企业原因",
                "identified_date": "2015-01-01", "geometry": None}

    ws = build(counties=counties(A), batches=[batch("A1", A, "2014-01-01", sq(0, 0))],
               supplies=[supply("P0", "A1", "2016-01-01", sq(0, 0))],
               idle=[idle_row("I5", 5.0), idle_row("I4", 4.0), idle_row("I35", 3.5), idle_row("I1", 1.0)])
    two = assess(ws, RULES, "2018-12-31", raster=False).idle
    assert sorted(two.loc[two["typical"], "idle_id"]) == ["I4", "I5"]  # exactly 2 by default
    more = dataclasses.replace(RULES, sampling=dataclasses.replace(
        RULES.sampling, typical_min_area_ha=3.0, typical_min_idle_years=1.0))
    three = assess(ws, more, "2018-12-31", raster=False).idle
    assert sorted(three.loc[three["typical"], "idle_id"]) == ["I35", "I4", "I5"]  # "2宗以上"


# --- 9. supply measure, sliver and reconciliation -------------------------------------------------
def _supply_ws():
    # S1: 1 ha batch; its parcel leaves a 100 m × 0.5 m strip (0.005 ha) uncovered and reports 1.0 ha.
    # S2: 1 ha batch; its parcel covers half (0.5 ha) but its record reports 0.8 ha.
    # S3: 1 ha batch; a parcel naming no batch covers it all (geometry counts it, the system not).
    return build(counties=counties(A), batches=[
        batch("S1", A, "2014-01-01", sq(0, 0)), batch("S2", A, "2014-01-01", sq(200, 0)),
        batch("S3", A, "2014-01-01", sq(400, 0))],
        supplies=[supply("P1", "S1", "2018-06-01", sq(0, 0, 100, 99.5), area_ha=1.0),
                  supply("P2", "S2", "2018-06-01", sq(200, 0, 100, 50), area_ha=0.8),
                  supply("P3", None, "2018-06-01", sq(400, 0), area_ha=1.0)])


def test_sliver_counts_as_supplied_and_the_attribute_measure():
    import dataclasses

    ws = _supply_ws()
    geo = assess(ws, RULES, "2018-12-31", raster=False)
    b = geo.batches.set_index("batch_id")
    assert RULES.supply.sliver_ha == 0.01
    assert b.at["S1", "unsupplied_ha"] == pytest.approx(0.0)  # 0.005 ha < 0.01 ha: supplied
    assert b.at["S2", "unsupplied_ha"] == pytest.approx(0.5)
    assert geo.counties.at[0, "T2_rate"] == pytest.approx(2.5 / 3)
    no_sliver = dataclasses.replace(RULES, supply=dataclasses.replace(RULES.supply, sliver_ha=0.0))
    b0 = assess(ws, no_sliver, "2018-12-31", raster=False).batches.set_index("batch_id")
    assert b0.at["S1", "unsupplied_ha"] == pytest.approx(0.005)
    attr = dataclasses.replace(RULES, supply=dataclasses.replace(RULES.supply, measure="attribute"))
    ba = assess(ws, attr, "2018-12-31", raster=False)
    s = ba.batches.set_index("batch_id")["supplied_ha"]
    assert s["S1"] == pytest.approx(1.0)
    assert s["S2"] == pytest.approx(0.8)
    assert s["S3"] == pytest.approx(0.0)  # the record names no batch
    assert ba.counties.at[0, "T2_rate"] == pytest.approx(1.8 / 3)


def test_reconciliation_table(tmp_path):
    from landuse.campaigns.zengcun.assessment import save_assessment

    a = assess(_supply_ws(), RULES, "2018-12-31", raster=False)
    rec = tables(a)["reconciliation"].set_index("batch_id")
    assert rec.at["S1", "supplied_geometry_ha"] == pytest.approx(0.995)
    assert rec.at["S1", "difference_ha"] == pytest.approx(0.005)
    assert rec.at["S1", "over_tolerance"] == "false"  # within 0.01 ha
    assert rec.at["S2", "difference_ha"] == pytest.approx(0.3)
    assert rec.at["S2", "over_tolerance"] == "true"
    assert rec.at["S3", "difference_ha"] == pytest.approx(-1.0)
    written = save_assessment(a, tmp_path)
    assert (tmp_path / "reconciliation.csv") in written


# --- 10. indicators returned, by kind -------------------------------------------------------------
def test_indicators_returned_by_kind():
    ws = build(counties=counties(A), batches=[
        # 2 ha, its 0.8 ha farmland-balance indicator from the county's own reserve; nothing supplied.
        batch("OWN", A, "2015-03-01", sq(0, 0, 200, 100), compensation="未实施", balance_ha=0.8,
              balance_source="本县"),
        # 4 ha, half supplied; 2 ha of balance indicator bought from another county by 县01.
        batch("BOUGHT", A, "2015-03-01", sq(400, 0, 200), balance_ha=2.0, balance_source="异地购买",
              balance_buyer="县01"),
        # no balance fields: the scale and plan still return, the balance part is unknown
        batch("PLAIN", A, "2015-03-01", sq(800, 0), compensation="未实施"),
    ], supplies=[supply("P1", "BOUGHT", "2016-01-01", sq(400, 0, 200, 100))])
    c = assess(ws, RULES, "2018-12-31", raster=False).candidates.set_index("batch_id")
    assert c.at["OWN", "kind"] == "lapse"
    assert c.at["OWN", "indicator_scale_ha"] == pytest.approx(2.0)
    assert c.at["OWN", "indicator_plan_ha"] == pytest.approx(2.0)
    assert c.at["OWN", "indicator_balance_ha"] == pytest.approx(0.8)  # all of it: the whole batch lapses
    assert c.at["OWN", "indicator_balance_to"] == "所在县区储备库"
    assert c.at["BOUGHT", "kind"] == "reduce"
    assert c.at["BOUGHT", "indicator_plan_ha"] == pytest.approx(2.0)
    assert c.at["BOUGHT", "indicator_balance_ha"] == pytest.approx(1.0)  # 2.0 × 2 ha / 4 ha
    assert c.at["BOUGHT", "indicator_balance_to"] == "购买单位储备库（县01）"
    assert c.at["PLAIN", "indicator_scale_ha"] == pytest.approx(1.0)
    assert pd.isna(c.at["PLAIN", "indicator_balance_ha"])


# --- 11. areas on the ellipsoid -------------------------------------------------------------------
def test_ellipsoidal_areas_match_pyproj_geod():
    import pyproj
    from _ws import sq as square

    # A 1 ha batch 100 km east of the central meridian (114°E), half of it supplied.
    far = 100_000
    ws = build(counties=[{"county_code": A, "county_name": "县02", "geometry": square(far - 5000, -5000, 20_000)}],
               batches=[batch("E1", A, "2014-01-01", square(far, 0), approved_ha=1.0)],
               supplies=[supply("PE", "E1", "2018-06-01", square(far, 0, 100, 50))])
    plane = assess(ws, RULES, "2018-12-31", raster=False)
    ellip = assess(ws, RULES, "2018-12-31", raster=False, area="ellipsoidal")
    half = gpd.GeoSeries([square(far, 0, 100, 50)], crs=4547).to_crs(4490).iloc[0]
    geod_ha = abs(pyproj.Geod(ellps="GRS80").geometry_area_perimeter(half)[0]) / 10_000
    assert geod_ha == pytest.approx(0.49988, abs=1e-5)  # 0.025 % less than on the plane
    assert plane.batches.at[0, "supplied_ha"] == pytest.approx(0.5)
    assert ellip.batches.at[0, "supplied_ha"] == pytest.approx(geod_ha, abs=1e-8)
    assert ellip.extra["area"] == "ellipsoidal"
    assert plane.extra["area"] == "plane"


# --- the bundled sample ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample():
    from landuse import load_workspace

    return assess(load_workspace(), RULES, "2018-12-31")


def test_sample_built_up_unsupplied_batches_are_used_before_supply(tmp_path):
    # Read from the land-cover raster: the sample without its land survey (with the survey, its
    # classes come first, issue 14; tests/test_survey_zengcun.py covers that reading).
    import shutil

    from landuse.model.workspace import load_workspace, sample_workspace

    ws = tmp_path / "ws"
    shutil.copytree(sample_workspace(), ws, ignore=shutil.ignore_patterns("地类图斑.gpkg"))
    c = assess(load_workspace(ws), RULES, "2018-12-31").candidates.set_index("batch_id")
    used = sorted(c.index[c["kind"] == "used_before_supply"])
    assert used == ["411721-2010-003", "411721-2014-005", "411722-2015-006"]
    assert not (c["kind"] == "lapse")[used].any()
    assert set(c.loc[used, "basis"]) == {"raster"}


def test_sample_functional_zone_is_judged_and_ranked(sample):
    c = sample.counties.set_index("county_code")
    assert c.at["411790", "unit_kind"] == "功能区"
    assert c.at["411790", "parent_code"] == "411702"
    assert c.at["411790", "outcome"] == "penalty"
    assert c.at["411790", "T2_rate"] == pytest.approx(0.5712, abs=1e-4)  # layers/README: 57.12 %
    assert c.at["411790", "rank"] == 11
    assert c.at["411702", "T2_rate"] == pytest.approx(0.9587, abs=1e-4)  # the parent keeps the rest
    assert (sample.batches["county_code"] == "411790").sum() == 14


def test_map_popup_says_zone_and_resumption():
    from landuse.output.maps import map_html, map_outcomes

    a = assess(_resumption_ws(), RULES, "2019-05-31", raster=False)
    html = map_html(map_outcomes(a))
    assert "可申请恢复受理" in html
    zone = map_html(map_outcomes(assess(_zone_ws(), RULES, "2018-12-31", raster=False)))
    assert "示范区（功能区）" in zone
