"""The measures behind the tasks at their thresholds: supply areas, Order 53 (idle land) and
the two-year rule (驻政办〔2018〕163号 二（一）1), each a hair on either side.

Order 53 (闲置土地处置办法) art. 2: idle = not started one year after the agreed start, or
started with *under* one third of the area developed or *under* 25 % of the investment made;
art. 14: enterprise cause, idle one year → fee of 20 % of the land price, two years →
recovered without compensation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
from _notice import ZMD, idle_row, strip, workspace
from _ws import X0, Y0, A, batch, sq, supply
from rasterio.transform import from_origin

from landuse.campaigns.zengcun.assessment import assess
from landuse.io.files import open_landcover

T = "2018-12-31"

# Order 53 art. 12 and 14 disposal methods, plus 动工开发 and 其他 (DESIGN.md, "Definitions").
ORDER_53_METHODS = ["延长动工开发期限", "调整土地用途或规划条件", "安排临时使用", "协议有偿收回",
                    "置换土地", "征缴土地闲置费", "无偿收回", "动工开发", "其他"]


# --- supply: small areas and a base that is rounding only ---------------------------------------

def test_one_square_metre_supplied_counts():
    # 1 ha batch, 1 m × 1 m supplied: 0.0001 ha, a rate of 0.0001.
    ws = workspace([A], batches=[batch("A1", A, "2016-06-01", sq(0, 0))],
                   supplies=[supply("P1", "A1", "2018-06-01", sq(0, 0, 1))])
    t2 = {r.task.id: r.frame for r in assess(ws, ZMD, T, raster=False).tasks}["T2"]
    assert t2.at[A, "done_ha"] == pytest.approx(1e-4, rel=1e-9)
    assert t2.at[A, "rate"] == pytest.approx(1e-4, rel=1e-9)


def test_a_base_of_rounding_is_no_task():
    # 1 ha approved, 0.9999999 ha revoked: 0.1 m² left, below the 1e-6 ha rounding: no task.
    ws = workspace([A], batches=[batch("A1", A, "2016-06-01", sq(0, 0))],
                   revocations=[{"batch_id": "A1", "kind": "核减", "area_ha": 0.9999999, "date": "2018-03-01"}])
    row = assess(ws, ZMD, T, raster=False).counties.set_index("county_code").loc[A]
    assert pd.isna(row["T2_rate"])
    assert row["T2_met"] == True  # noqa: E712
    assert row["T2_gap_ha"] == 0.0


def test_supply_without_geometry_dated_on_the_deadline_counts():
    # 1 ha batch; 0.75 ha supplied on 31 Dec, recorded without a parcel outline: exactly 75 %.
    ws = workspace([A], batches=[batch("A1", A, "2016-06-01", sq(0, 0))],
                   supplies=[supply("P1", "A1", T, None, area_ha=0.75, county_code=A)])
    row = assess(ws, ZMD, T, raster=False).counties.set_index("county_code").loc[A]
    assert row["T2_rate"] == 0.75
    assert row["T2_met"] == True  # noqa: E712
    before = assess(ws, ZMD, "2018-12-30", raster=False).counties.set_index("county_code").loc[A]
    assert before["T2_rate"] == 0.0


def test_revocation_dated_on_the_day_counts():
    # 1 ha batch, 0.5 ha revoked on the deadline, 0.25 ha supplied: 0.25 / 0.5 = 50 %.
    ws = workspace([A], batches=[batch("A1", A, "2016-06-01", sq(0, 0))],
                   supplies=[supply("P1", "A1", "2018-06-01", sq(0, 0, 100, 25))],
                   revocations=[{"batch_id": "A1", "kind": "撤回", "area_ha": 0.5, "date": T}])
    assert assess(ws, ZMD, T, raster=False).counties.set_index("county_code").at[A, "T2_rate"] == 0.5
    before = assess(ws, ZMD, "2018-12-30", raster=False).counties.set_index("county_code")
    assert before.at[A, "T2_rate"] == 0.25


# --- idle: every counted method, the date, the causes ------------------------------------------

@pytest.mark.parametrize("method", ORDER_53_METHODS)
def test_every_order_53_method_counts_as_disposal(method):
    ws = workspace([A], idle=[idle_row("I1", A, 1.0, method, T), idle_row("I2", A, 3.0)])
    row = assess(ws, ZMD, T, raster=False).counties.set_index("county_code").loc[A]
    assert row["T4_rate"] == 0.25


def _order53_ws():
    common = {"county_code": A, "land_price_wan": 500.0}
    started = {"agreed_start": "2017-01-01", "actual_start": "2017-02-01", **common}
    return workspace(
        [A],
        batches=[batch("B1", A, "2015-01-01", sq(0, 0, 2000))],
        supplies=[
            # 3 ha parcels: exactly a third developed is not "under a third".
            supply("DEV_THIRD", "B1", "2016-01-01", strip(0, 0, 300), area_ha=3.0, developed_ha=1.0, **started),
            supply("DEV_UNDER", "B1", "2016-01-01", strip(300, 0, 300), area_ha=3.0, developed_ha=0.99, **started),
            # exactly 25 % of the investment made is not "under 25 %".
            supply("INV_QUARTER", "B1", "2016-01-01", strip(600, 0, 100), area_ha=1.0, developed_ha=0.9,
                   total_investment_wan=100.0, invested_wan=25.0, **started),
            supply("INV_UNDER", "B1", "2016-01-01", strip(700, 0, 100), area_ha=1.0, developed_ha=0.9,
                   total_investment_wan=100.0, invested_wan=24.99, **started),
            # started on the day of the assessment: started, not idle.
            supply("STARTED_TODAY", "B1", "2016-01-01", strip(800, 0, 100), area_ha=1.0, developed_ha=0.9,
                   agreed_start="2017-06-01", actual_start=T, county_code=A),
        ],
        idle=[
            {**idle_row("E_1Y", A, 1.0), "agreed_start": "2017-12-31", "land_price_wan": 500.0},
            {**idle_row("E_1Y_SHORT", A, 1.0), "agreed_start": "2018-01-01", "land_price_wan": 500.0},
            {**idle_row("E_2Y", A, 1.0), "agreed_start": "2016-12-31", "land_price_wan": 500.0},
            {**idle_row("E_2Y_SHORT", A, 1.0), "agreed_start": "2017-01-01", "land_price_wan": 500.0},
            # no agreed start: taken as one year before identification (2018-06-01 → 2017-06-01).
            {**idle_row("E_IDENTIFIED", A, 1.0), "identified_date": "2018-06-01", "land_price_wan": 500.0},
            {**idle_row("G_JOINT", A, 1.0, cause="政府企业共同原因"), "agreed_start": "2016-01-01"},
            {**idle_row("G_GOV", A, 1.0, cause="政府原因"), "agreed_start": "2016-01-01"},
        ],
    )


@pytest.fixture(scope="module")
def order53():
    return assess(_order53_ws(), ZMD, T, raster=False)


def test_order_53_article_2_at_one_third_and_a_quarter(order53):
    status = order53.supplies.set_index("parcel_id")["status"]
    assert status["DEV_THIRD"] == "正常使用"
    assert status["DEV_UNDER"] == "疑似闲置"
    assert status["INV_QUARTER"] == "正常使用"
    assert status["INV_UNDER"] == "疑似闲置"
    assert status["STARTED_TODAY"] == "正常使用"


def test_order_53_article_14_fee_and_recovery_by_the_day(order53):
    ledger = order53.idle.set_index("idle_id")
    assert ledger.at["E_1Y", "measure"] == "征缴土地闲置费"
    assert ledger.at["E_1Y", "idle_fee_wan"] == pytest.approx(100.0)  # 20 % of 500 万元
    assert ledger.at["E_1Y_SHORT", "measure"] == "督促动工开发"
    assert pd.isna(ledger.at["E_1Y_SHORT", "idle_fee_wan"])
    assert ledger.at["E_2Y", "measure"] == "无偿收回"
    assert pd.isna(ledger.at["E_2Y", "idle_fee_wan"])
    assert ledger.at["E_2Y_SHORT", "measure"] == "征缴土地闲置费"
    assert ledger.at["E_2Y_SHORT", "idle_fee_wan"] == pytest.approx(100.0)
    assert ledger.at["E_IDENTIFIED", "measure"] == "征缴土地闲置费"
    assert ledger.at["E_IDENTIFIED", "idle_years"] == pytest.approx(1.58, abs=0.01)
    for iid in ("G_JOINT", "G_GOV"):  # non-enterprise causes: the measures of article 12
        assert "协议有偿收回" in ledger.at[iid, "measure"], iid
        assert pd.isna(ledger.at[iid, "idle_fee_wan"])


# --- the two-year rule ---------------------------------------------------------------------------

def test_two_years_to_the_day_is_not_yet_more_than_two_years():
    # The rule applies to approvals more than lapse_years (2) before the date.
    ws = workspace([A], batches=[
        batch("TWO_YEARS", A, "2016-12-31", sq(0, 0), compensation="未实施"),
        batch("A_DAY_MORE", A, "2016-12-30", sq(200, 0), compensation="未实施"),
        batch("STATE", A, "2016-12-30", sq(400, 0), approver="国务院", compensation="部分实施"),
        batch("CITY", A, "2015-01-01", sq(600, 0), approver="市政府", compensation="未实施"),
        batch("UNKNOWN", A, "2015-01-01", sq(800, 0), compensation=None),
    ])
    cands = assess(ws, ZMD, T, raster=False).candidates.set_index("batch_id")
    assert "TWO_YEARS" not in cands.index
    assert cands.at["A_DAY_MORE", "kind"] == "lapse"
    assert cands.at["A_DAY_MORE", "area_ha"] == pytest.approx(1.0)
    assert cands.at["STATE", "kind"] == "withdraw"  # partly implemented compensation
    assert "CITY" not in cands.index  # only State Council and province approvals
    assert cands.at["UNKNOWN", "kind"] == "lapse"  # compensation unknown: lapse, to verify
    assert bool(cands.at["UNKNOWN", "needs_field_check"])


def test_a_little_supplied_is_a_reduction_not_a_withdrawal():
    # Province batch of 1 ha, 0.3 ha supplied: reduced by 0.7 ha.
    ws = workspace([A], batches=[batch("P", A, "2015-01-01", sq(0, 0))],
                   supplies=[supply("S", "P", "2016-01-01", strip(0, 0, 30))])
    cands = assess(ws, ZMD, T, raster=False).candidates.set_index("batch_id")
    assert cands.at["P", "kind"] == "reduce"
    assert cands.at["P", "area_ha"] == pytest.approx(0.7)


def test_unsupplied_only_on_paper_is_no_candidate():
    # 1.5 ha approved on paper, the 1 ha outline wholly supplied: 0.5 ha unsupplied in the
    # ledger, nothing on the ground to return.
    ws = workspace([A], batches=[batch("P", A, "2015-01-01", sq(0, 0), approved_ha=1.5)],
                   supplies=[supply("S", "P", "2016-01-01", sq(0, 0))])
    a = assess(ws, ZMD, T, raster=False)
    assert a.batches.set_index("batch_id").at["P", "unsupplied_ha"] == pytest.approx(0.5)
    assert a.candidates.empty


def _built_raster(path, built_columns):
    """A 10 m raster over x 0..400, y 0..100: cropland, built-up in the first ``built_columns``
    columns of the square at x 0..100 and of the square at x 200..300."""
    arr = np.ones((10, 40), dtype="uint8")
    arr[:, 0:built_columns[0]] = 8
    arr[:, 20:20 + built_columns[1]] = 8
    with rasterio.open(path, "w", driver="GTiff", width=40, height=10, count=1, dtype="uint8",
                       crs="EPSG:4547", transform=from_origin(X0, Y0 + 100, 10, 10), nodata=0) as dst:
        dst.write(arr, 1)
    return open_landcover(path)


def test_built_share_of_exactly_twenty_percent_is_unchanged(tmp_path):
    # Two 1 ha withdrawal candidates: 20 % built (2 of 10 columns) and 30 % built.
    ws = workspace([A], batches=[batch("AT_20", A, "2015-01-01", sq(0, 0)),
                                 batch("AT_30", A, "2015-01-01", sq(200, 0))])
    ws.landcover = _built_raster(tmp_path / "lc.tif", (2, 3))
    cands = assess(ws, ZMD, T).candidates.set_index("batch_id")
    assert cands.at["AT_20", "kind"] == "withdraw"
    assert cands.at["AT_20", "built_share"] == pytest.approx(0.2)
    assert cands.at["AT_20", "basis"] == "raster"
    assert "AT_30" not in cands.index  # built up beyond 20 %: the land class has changed
