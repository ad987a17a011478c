"""Two-year-rule candidates and suspected idle parcels (Order 53), by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import rasterio
from _ws import X0, Y0, A, batch, build, counties, sq, supply
from rasterio.transform import from_origin

from landuse.campaigns.zengcun.assessment import assess
from landuse.io.files import open_landcover
from landuse.rules.model import load_ruleset

RULES = load_ruleset("zhumadian-2018")
T = "2018-12-31"


def _landcover(path, built_squares):
    """A 10 m raster over x 0..2000, y 0..400: cropland (1), built-up (8) on the given squares."""
    arr = np.ones((40, 200), dtype="uint8")
    for x, y, size in built_squares:
        r0 = 40 - int((y + size) / 10)
        arr[r0:r0 + int(size / 10), int(x / 10):int((x + size) / 10)] = 8
    with rasterio.open(path, "w", driver="GTiff", width=200, height=40, count=1, dtype="uint8",
                       crs="EPSG:4547", transform=from_origin(X0, Y0 + 400, 10, 10), nodata=0) as dst:
        dst.write(arr, 1)
    return open_landcover(path)


def _approvals_ws():
    return build(
        counties=counties(A),
        batches=[
            batch("LAPSE", A, "2015-03-01", sq(0, 0), approver="国务院", compensation="未实施"),
            batch("WITHDRAW", A, "2015-03-01", sq(200, 0)),
            batch("BUILT", A, "2015-03-01", sq(400, 0)),
            batch("REDUCE", A, "2015-03-01", sq(600, 0, 200)),
            batch("STATE_PART", A, "2015-03-01", sq(1000, 0, 200), approver="国务院"),
            batch("YOUNG", A, "2017-06-01", sq(1400, 0), compensation="未实施"),
        ],
        supplies=[supply("P1", "REDUCE", "2016-01-01", sq(600, 0, 200, 100)),
                  supply("P2", "STATE_PART", "2016-01-01", sq(1000, 0, 200, 100))],
    )


def test_two_year_rule_with_land_cover(tmp_path):
    ws = _approvals_ws()
    ws.landcover = _landcover(tmp_path / "lc.tif", [(400, 0, 100)])
    cands = assess(ws, RULES, T).candidates.set_index("batch_id")
    assert cands.at["LAPSE", "kind"] == "lapse"
    assert cands.at["LAPSE", "area_ha"] == pytest.approx(1.0)
    assert cands.at["WITHDRAW", "kind"] == "withdraw"
    assert cands.at["WITHDRAW", "basis"] == "raster"
    assert cands.at["WITHDRAW", "built_share"] == pytest.approx(0.0)
    assert not cands.at["WITHDRAW", "needs_field_check"]
    # Built up on site with nothing supplied: no withdrawal, used before supply (未供先用).
    assert cands.at["BUILT", "kind"] == "used_before_supply"
    # REDUCE: 4 ha, 2 ha supplied → reduced by the unsupplied 2 ha, which return to the county.
    assert cands.at["REDUCE", "kind"] == "reduce"
    assert cands.at["REDUCE", "area_ha"] == pytest.approx(2.0)
    assert cands.at["REDUCE", "indicator_return_ha"] == pytest.approx(2.0)
    assert cands.loc["REDUCE"].geometry.area == pytest.approx(20_000.0)
    assert "STATE_PART" not in cands.index  # only province approvals are reduced
    assert "YOUNG" not in cands.index  # approved 1.6 years before T


def test_two_year_rule_without_land_cover_asks_for_a_field_check():
    cands = assess(_approvals_ws(), RULES, T, raster=False).candidates.set_index("batch_id")
    assert cands.at["WITHDRAW", "basis"] == "field_check"
    assert cands.at["WITHDRAW", "needs_field_check"]
    assert cands.at["BUILT", "kind"] == "withdraw"  # nothing says it is built up
    assert "核查" in cands.at["BUILT", "reason"]


def _idle_ws():
    common = {"area_ha": 1.0, "land_price_wan": 500.0, "county_code": A}
    return build(
        counties=counties(A),
        batches=[batch("B1", A, "2015-01-01", sq(0, 0, 1000))],
        supplies=[
            supply("NOSTART", "B1", "2016-06-01", sq(0, 0), agreed_start="2017-06-01", **common),
            supply("RECENT", "B1", "2017-12-01", sq(100, 0), agreed_start="2018-06-01", **common),
            supply("LOWDEV", "B1", "2016-01-01", sq(200, 0), agreed_start="2017-01-01",
                   actual_start="2017-02-01", developed_ha=0.2, **common),
            supply("LOWINV", "B1", "2016-01-01", sq(300, 0), agreed_start="2017-01-01",
                   actual_start="2017-02-01", developed_ha=0.5, total_investment_wan=100.0,
                   invested_wan=20.0, **common),
            supply("FINE", "B1", "2016-01-01", sq(400, 0), agreed_start="2017-01-01",
                   actual_start="2017-02-01", developed_ha=0.9, **common),
            supply("LISTED1", "B1", "2016-01-01", sq(500, 0), agreed_start="2017-06-01", **common),
            supply("LISTED2", "B1", "2014-01-01", sq(600, 0), agreed_start="2015-12-31", **common),
        ],
        idle=[
            {"idle_id": "I1", "parcel_id": "LISTED1", "county_code": A, "area_ha": 1.0, "cause": "企业原因",
             "identified_date": "2018-07-01", "geometry": None},
            {"idle_id": "I2", "parcel_id": "LISTED2", "county_code": A, "area_ha": 1.0, "cause": "企业原因",
             "identified_date": "2017-07-01", "geometry": None},
            {"idle_id": "I3", "parcel_id": None, "county_code": A, "area_ha": 2.0, "cause": "政府原因",
             "identified_date": "2017-07-01", "geometry": None},
        ],
    )


def test_suspected_idle_parcels_follow_order_53():
    a = assess(_idle_ws(), RULES, T, raster=False)
    status = a.supplies.set_index("parcel_id")["status"]
    assert status["NOSTART"] == "疑似闲置"
    assert status["RECENT"] == "逾期开工"
    assert status["LOWDEV"] == "疑似闲置"
    assert status["LOWINV"] == "疑似闲置"
    assert status["FINE"] == "正常使用"
    assert status["LISTED1"] == "闲置土地"
    sus = a.candidates[a.candidates["kind"] == "suspected_idle"].set_index("parcel_id")
    assert set(sus.index) == {"NOSTART", "LOWDEV", "LOWINV"}  # listed parcels are already idle land
    assert sus.at["NOSTART", "idle_years"] == pytest.approx(1.58, abs=0.01)
    assert "开发面积占比 20.0% 不足 33.3%" in sus.at["LOWDEV", "reason"]  # the rule set's one third
    assert "已投资额占比 20.0% 不足 25.0%" in sus.at["LOWINV", "reason"]
    assert sus.at["NOSTART", "measure"] == "调查认定闲置原因"  # cause not yet determined


def test_idle_fee_and_recovery_by_cause_and_years():
    ledger = assess(_idle_ws(), RULES, T, raster=False).idle.set_index("idle_id")
    # I1: enterprise, agreed start 2017-06-01 (from its parcel) → 1.58 years: fee 20 % × 500 万元.
    assert ledger.at["I1", "measure"] == "征缴土地闲置费"
    assert ledger.at["I1", "idle_fee_wan"] == pytest.approx(100.0)
    # I2: enterprise, 3 years → recovered without compensation, no fee.
    assert ledger.at["I2", "measure"] == "无偿收回"
    assert pd.isna(ledger.at["I2", "idle_fee_wan"])
    # I3: government cause → the measures of article 12.
    assert "协议有偿收回" in ledger.at["I3", "measure"]


def test_typical_cases_and_a_reproducible_sample():
    rules = dataclasses.replace(RULES, sampling=dataclasses.replace(RULES.sampling, per_county=2,
                                                                       typical_cases=2))
    a = assess(_idle_ws(), rules, T, raster=False)
    # Largest × longest: I2 (1 ha × 3.0 years) and I3 (2 ha × 2.5 years).
    assert set(a.idle.loc[a.idle["typical"], "idle_id"]) == {"I2", "I3"}
    picked = sorted(a.idle.loc[a.idle["sample"], "idle_id"]) + sorted(
        a.candidates.loc[a.candidates["sample"], "parcel_id"])
    assert len(picked) == 2
    again = assess(_idle_ws(), rules, T, raster=False)
    assert picked == sorted(again.idle.loc[again.idle["sample"], "idle_id"]) + sorted(
        again.candidates.loc[again.candidates["sample"], "parcel_id"])


def test_site_unchanged_attribute_decides_without_land_cover():
    ws = build(
        counties=counties(A),
        batches=[batch("SAME", A, "2015-03-01", sq(0, 0), site_unchanged="是"),
                 batch("CHANGED", A, "2015-03-01", sq(200, 0), site_unchanged="否")],
        supplies=[],
    )
    cands = assess(ws, RULES, T, raster=False).candidates.set_index("batch_id")
    assert cands.at["SAME", "kind"] == "withdraw"
    assert cands.at["SAME", "basis"] == "attribute"
    assert not cands.at["SAME", "needs_field_check"]
    assert "CHANGED" not in cands.index


def test_disposal_spellings_and_uncounted_methods():
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2015-03-01", sq(0, 0))],
        supplies=[],
        idle=[{"idle_id": "I1", "county_code": A, "area_ha": 1.0, "disposal": "有偿收回",
               "disposal_date": "2018-06-01", "geometry": None},
              {"idle_id": "I2", "county_code": A, "area_ha": 3.0, "disposal": "口头协商",
               "disposal_date": "2018-06-01", "geometry": None}],
    )
    a = assess(ws, RULES, T, raster=False)
    ledger = a.idle.set_index("idle_id")
    assert ledger.at["I1", "disposal"] == "协议有偿收回"
    assert ledger.at["I1", "disposed"]
    assert not ledger.at["I2", "disposed"]
    assert a.counties.set_index("county_code").at[A, "T4_rate"] == pytest.approx(0.25)
    named = a.problems[(a.problems["layer"] == "idle") & (a.problems["field"] == "disposal")]
    assert list(named["feature_id"]) == ["I2"]


def test_one_year_after_the_agreed_start_counts_on_the_same_calendar_day():
    common = {"area_ha": 1.0, "county_code": A}
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2015-01-01", sq(0, 0, 1000))],
        supplies=[supply("ONE_YEAR", "B1", "2016-06-01", sq(0, 0), agreed_start="2017-12-31", **common),
                  supply("A_DAY_SHORT", "B1", "2016-06-01", sq(100, 0), agreed_start="2018-01-01", **common)],
    )
    status = assess(ws, RULES, T, raster=False).supplies.set_index("parcel_id")["status"]
    assert status["ONE_YEAR"] == "疑似闲置"
    assert status["A_DAY_SHORT"] == "逾期开工"


def test_unsupplied_part_of_a_batch_with_overlapping_and_spilling_parcels():
    from landuse.analysis.approvals import unsupplied_parts
    from landuse.analysis.supply import link_supplies

    # MULTI: 200 m square, 4 ha. Supplied inside it by T: x 0-75 (P1, P3 overlapping it),
    # x 100-150 (P2), x 180-200 (P4, which spills 80 m outside) = 2.9 ha; P5 (x 60-80) comes
    # after T. Left: x 75-100 and x 150-180 = 0.5 + 0.6 = 1.1 ha. EMPTY keeps its 1 ha.
    ws = build(
        counties=counties(A),
        batches=[batch("MULTI", A, "2015-03-01", sq(0, 0, 200)), batch("EMPTY", A, "2015-03-01", sq(400, 0))],
        supplies=[supply("P1", "MULTI", "2016-01-01", sq(0, 0, 50, 200)),
                  supply("P2", "MULTI", "2016-02-01", sq(100, 0, 50, 200)),
                  supply("P3", "MULTI", "2016-03-01", sq(25, 0, 50, 200)),
                  supply("P4", "MULTI", "2016-04-01", sq(180, 0, 100, 200)),
                  supply("P5", "MULTI", "2019-04-01", sq(85, 0, 10, 200))],
    )
    links = link_supplies(ws.batches, ws.supplies)
    parts = unsupplied_parts(ws.batches, links, T)
    assert parts["MULTI"].area == pytest.approx(11_000.0)
    assert parts["MULTI"].bounds == pytest.approx((X0 + 75, Y0, X0 + 180, Y0 + 200))
    assert parts["EMPTY"].area == pytest.approx(10_000.0)
    # The same batch a year later has lost P5's 0.2 ha too.
    assert unsupplied_parts(ws.batches, links, "2019-12-31")["MULTI"].area == pytest.approx(9_000.0)


def test_candidates_without_geometry_have_the_same_figures():
    with_shapes = assess(_approvals_ws(), RULES, T, raster=False)
    without = assess(_approvals_ws(), RULES, T, raster=False, geometry=False)
    cols = ["kind", "batch_id", "area_ha", "indicator_return_ha", "basis"]
    assert without.candidates[cols].equals(with_shapes.candidates[cols])
    assert without.candidates.geometry.isna().all()
    assert with_shapes.candidates.set_index("batch_id").loc["REDUCE"].geometry.area == pytest.approx(20_000.0)
    # The unsupplied parts are still there for a map that asks.
    assert without.unsupplied_parts()["REDUCE"].area == pytest.approx(20_000.0)
