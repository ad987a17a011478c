"""Change polygons (卫片图斑): F, I, violation ratio, red line, rectification, deduction.

Every figure is worked out by hand from squares in EPSG:4547 (a 100 m square
is 1 ha) and farmland areas given in the attributes or measured from survey
squares.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from landuse._errors import WorkspaceError
from landuse.analysis.changes import change_measures, unit_kinds
from landuse.campaigns import weipian
from landuse.io.files import RawLayer
from landuse.model.workspace import Workspace, normalise_layers
from landuse.rules.model import load_ruleset
from tests._ws import A, B, C, counties, sq

T = dt.date(2020, 6, 30)


def build(changes: list[dict[str, Any]], *codes: str) -> Workspace:
    """A workspace of counties side by side (10 km squares) and the change polygons."""
    raws = []
    for name, rows in (("counties", counties(*(codes or (A, B, C)))), ("changes", changes)):
        frame = pd.DataFrame(rows)
        if "geometry" in frame.columns:
            frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=4547)
        raws.append(RawLayer(name, frame, f"{name}.gpkg", np.arange(1, len(frame) + 1)))
    return normalise_layers(raws, source="test", required=("counties", "changes"))


def change(cid: str, county: str | None, geom: Any, legality: str = "合法", **kw: Any) -> dict[str, Any]:
    return {"change_id": cid, "round": 2019, "county_code": county, "legality": legality, "geometry": geom,
            **kw}


def measure(ws: Workspace, as_of: dt.date = T, deduct: float = 1.0, **kw: Any):
    return change_measures(ws, round=2019, as_of=as_of, red_line=0.15, deduct_per_ha=deduct, **kw)


def crossed(units: pd.DataFrame) -> pd.Series:
    """The red-line verdict, as the campaign has the judge decide it from the measures (red line 15 %)."""
    rules = load_ruleset("zhumadian-2019-weipian")
    assert rules.red_line == 0.15
    return weipian.exceeded(weipian.judge(units, rules, T))


# --- the violation ratio and the red line ---------------------------------------------------
def test_a_county_exactly_at_the_red_line_has_crossed_it() -> None:
    # A: legal 0.51 ha + illegal 0.03 + 0.06 ha of farmland: I / F = 0.09 / 0.60 = 15 % exactly
    # (in floating point 0.09 / 0.6000000000000001 is a hair below 0.15: the comparison must not care).
    # B: legal 9 ha, illegal 1 ha of farmland: 10 %.
    ws = build([
        change("a1", A, sq(0, 0), farmland_ha=0.51),
        change("a2", A, sq(200, 0), "违法", farmland_ha=0.03),
        change("a3", A, sq(400, 0), "违法", farmland_ha=0.06),
        change("b1", B, sq(10_000, 0, 300), farmland_ha=9.0),
        change("b2", B, sq(10_400, 0), "违法", farmland_ha=1.0),
    ])
    units = measure(ws).units
    assert units.at[A, "F_ha"] == pytest.approx(0.60)
    assert units.at[A, "I_ha"] == pytest.approx(0.09)
    assert units.at[A, "violation_ratio"] == pytest.approx(0.15)
    assert crossed(units).tolist() == [True, False, pd.NA]
    assert units.at[B, "violation_ratio"] == pytest.approx(0.10)
    assert "red_line_exceeded" not in units.columns  # a measure table: the verdict is the judge's


def test_no_farmland_taken_is_no_task() -> None:
    # C has no change at all; B has only a change that took no farmland: F = 0 for both.
    ws = build([change("a1", A, sq(0, 0), "违法", farmland_ha=1.0),
                change("b1", B, sq(10_000, 0), "违法", farmland_ha=0.0)])
    m = measure(ws)
    for code in (B, C):
        row = m.units.loc[code]
        assert row["F_ha"] == 0.0
        assert pd.isna(row["violation_ratio"])
        assert pd.isna(crossed(m.units)[code])
    # C has nothing illegal: no rate, nothing unrectified, no deduction.
    assert pd.isna(m.units.at[C, "rectification_rate"])
    assert m.units.at[C, "unrectified_ha"] == 0.0
    assert m.units.at[C, "plan_deduction_ha"] == 0.0
    # B's illegal square (1 ha, unrectified) is still to rectify and cut from the plan.
    assert m.units.at[B, "rectification_rate"] == 0.0
    assert m.units.at[B, "plan_deduction_ha"] == pytest.approx(1.0)
    assert m.units.at[A, "violation_ratio"] == pytest.approx(1.0)


def test_changes_not_new_construction_and_other_verdicts_stay_out_of_f() -> None:
    # F counts the new-construction changes judged 合法 or 违法: 1 + 2 ha; not the 否 (4 ha),
    # not the 其他 (8 ha). I = 2 ha: v = 2 / 3.
    ws = build([
        change("a1", A, sq(0, 0), farmland_ha=1.0, new_construction="是"),
        change("a2", A, sq(200, 0), "违法", farmland_ha=2.0),
        change("a3", A, sq(400, 0), "违法", farmland_ha=4.0, new_construction="否"),
        change("a4", A, sq(600, 0), "伪变化", farmland_ha=8.0),
    ])
    units = measure(ws).units
    assert units.at[A, "F_ha"] == pytest.approx(3.0)
    assert units.at[A, "I_ha"] == pytest.approx(2.0)
    assert units.at[A, "violation_ratio"] == pytest.approx(2 / 3)
    # Both illegal squares (1 ha each) are to rectify, whether new construction or not.
    assert units.at[A, "illegal_ha"] == pytest.approx(2.0)


# --- rectification and deduction ------------------------------------------------------------
@pytest.mark.parametrize(("done_on", "rate", "unrectified"), [
    ("2020-06-29", 1.0, 0.0),
    ("2020-06-30", 1.0, 0.0),   # on T: done
    ("2020-07-01", 0.0, 2.0),   # the day after T: not done at T
])
def test_a_change_rectified_the_day_after_t_is_unrectified_at_t(done_on: str, rate: float,
                                                                 unrectified: float) -> None:
    ws = build([change("a1", A, sq(0, 0, 200, 100), "违法", farmland_ha=1.0, rectified="已整改",
                       rectified_date=done_on)])
    units = measure(ws, deduct=1.5).units
    assert units.at[A, "illegal_ha"] == pytest.approx(2.0)
    assert units.at[A, "rectification_rate"] == pytest.approx(rate)
    assert units.at[A, "unrectified_ha"] == pytest.approx(unrectified)
    assert units.at[A, "plan_deduction_ha"] == pytest.approx(1.5 * unrectified)


def test_rectification_rate_is_by_area_and_the_deduction_follows_the_rule() -> None:
    # Illegal: 1 ha rectified in time, 3 ha in progress (dated, but not finished), 4 ha with no date.
    # Rate = 1 / 8; unrectified 7 ha; deduction 0.5 ha of plan per ha: 3.5 ha.
    ws = build([
        change("a1", A, sq(0, 0), "违法", farmland_ha=0.5, rectified="已整改", rectified_date="2020/1/5"),
        change("a2", A, sq(200, 0, 300, 100), "违法", farmland_ha=0.5, rectified="整改中",
               rectified_date="2020-02-01"),
        change("a3", A, sq(600, 0, 200, 200), "违法", farmland_ha=0.5, rectified="已整改"),
        change("a4", A, sq(1_000, 0, 500), farmland_ha=20.0),
    ])
    m = measure(ws, deduct=0.5)
    assert m.units.at[A, "rectification_rate"] == pytest.approx(1 / 8)
    assert m.units.at[A, "unrectified_ha"] == pytest.approx(7.0)
    assert m.units.at[A, "plan_deduction_ha"] == pytest.approx(3.5)
    # The 已整改 without a date is named, not silently counted either way.
    assert [(p.feature_id, p.field, p.severity) for p in m.problems] == [("a3", "rectified_date", "warning")]
    assert m.totals["plan_deduction_ha"] == pytest.approx(3.5)
    assert m.totals["violation_ratio"] == pytest.approx(1.5 / 21.5)


# --- legality spellings ---------------------------------------------------------------------
@pytest.mark.parametrize(("written", "read"), [
    ("违法", "违法"), ("违法用地", "违法"), ("非法", "违法"), ("不合法", "违法"), ("不合法用地", "违法"),
    ("合法", "合法"), ("合法用地", "合法"), ("符合", "合法"), ("其他", "其他"), ("伪变化", "其他"),
])
def test_legality_spellings_are_normalised(written: str, read: str) -> None:
    ws = build([change("a1", A, sq(0, 0), written, farmland_ha=1.0)])
    assert ws.layer("changes")["legality"].tolist() == [read]


@pytest.mark.parametrize(("written", "read"), [
    ("已整改", "已整改"), ("整改到位", "已整改"), ("已拆除复耕", "已整改"), ("已完善手续", "已整改"),
    ("正在整改", "整改中"), ("尚未整改", "未整改"), ("未整改完成", "未整改"),
])
def test_rectification_spellings_are_normalised(written: str, read: str) -> None:
    ws = build([change("a1", A, sq(0, 0), "违法", farmland_ha=1.0, rectified=written)])
    assert ws.layer("changes")["rectified"].tolist() == [read]


@pytest.mark.parametrize("written", ["合法性存疑", "疑似合法", "疑似违法", "待定"])
def test_a_legality_in_doubt_is_unknown_and_an_error(written: str) -> None:
    # "合法性存疑" was read as 合法 (it contains it): 平舆县's ratio fell under the red line, exit 0.
    ws = build([change("a1", A, sq(0, 0), written, farmland_ha=1.0), change("a2", A, sq(200, 0), "违法", farmland_ha=1.0)])
    (bad,) = [p for p in ws.problems if p.severity == "error"]
    assert (bad.feature_id, bad.field) == ("a1", "legality")
    assert written in bad.message


def test_a_negated_legality_is_never_read_as_the_value_it_contains() -> None:
    # "不符合规划" holds 符合 (合法) but says the opposite: unknown, so an error, not 合法.
    ws = build([change("a1", A, sq(0, 0), "不符合规划", farmland_ha=1.0)])
    assert ws.layer("changes").empty
    errors = [(p.feature_id, p.field) for p in ws.problems if p.severity == "error"]
    assert errors == [("a1", "legality")]


def test_an_unknown_legality_is_an_error_naming_the_row() -> None:
    ws = build([change("a1", A, sq(0, 0), "违法", farmland_ha=1.0),
                change("a2", A, sq(200, 0), "待查", farmland_ha=1.0)])
    errors = [p for p in ws.problems if p.severity == "error"]
    assert [(p.layer, p.feature_id, p.field, p.row, p.source) for p in errors] == [
        ("changes", "a2", "legality", 2, "changes.gpkg")]
    assert "待查" in errors[0].message
    assert "违法" in errors[0].message
    # The row is out of the measures: F = I = 1 ha.
    assert measure(ws).units.at[A, "violation_ratio"] == pytest.approx(1.0)


# --- rounds, units ---------------------------------------------------------------------------
def test_only_the_round_counts_and_a_change_without_a_round_is_taken_with_a_warning() -> None:
    ws = build([
        change("a1", A, sq(0, 0), "违法", farmland_ha=1.0),
        {**change("a2", A, sq(200, 0), farmland_ha=3.0), "round": None},
        {**change("a3", A, sq(400, 0), "违法", farmland_ha=50.0), "round": 2018},
    ])
    m = measure(ws)
    assert m.units.at[A, "F_ha"] == pytest.approx(4.0)
    assert m.units.at[A, "violation_ratio"] == pytest.approx(0.25)
    assert [(p.field, p.severity) for p in m.problems] == [("round", "warning")]


def test_a_round_written_with_its_year_word_is_that_round_and_an_unreadable_one_is_an_error() -> None:
    # "2018年度" was no number, emptied with a warning, then taken as the rule set's round: a
    # 2018 change counted in 2019 (F 11, I 6 instead of F 6, I 1).
    ws = build([
        {**change("a1", A, sq(0, 0), "违法", farmland_ha=5.0), "round": "2018年度"},
        {**change("a2", A, sq(200, 0), farmland_ha=5.0), "round": "2019年度"},
        {**change("a3", A, sq(400, 0), "违法", farmland_ha=1.0), "round": "2019年"},
        {**change("a4", A, sq(600, 0), "违法", farmland_ha=7.0), "round": "二〇一九"},
    ])
    (bad,) = [p for p in ws.problems if p.severity == "error"]
    assert (bad.feature_id, bad.field) == ("a4", "round")
    m = measure(ws)
    assert m.units.at[A, "F_ha"] == pytest.approx(6.0)
    assert m.units.at[A, "I_ha"] == pytest.approx(1.0)


@pytest.mark.parametrize("year", [2109, 219, 1900])
def test_a_round_no_round_can_have_is_an_error_not_another_round(year: int) -> None:
    # 2109 for 2019 was dropped silently as another round's (平舆县 fell under the red line).
    ws = build([{**change("a1", A, sq(0, 0), "违法", farmland_ha=1.0), "round": year},
                change("a2", A, sq(200, 0), farmland_ha=3.0)])
    m = measure(ws)
    (bad,) = [p for p in m.problems if p.severity == "error"]
    assert (bad.feature_id, bad.field) == ("a1", "round")
    assert bad.message.startswith(f"监测年度 {year} 不可能是卫片执法的年度")


def test_a_change_exported_twice_under_a_new_id_is_an_error_and_one_drawn_alike_is_not() -> None:
    twice = {**change("a9", A, sq(0, 0), "违法", farmland_ha=1.0)}
    ws = build([change("a1", A, sq(0, 0), "违法", farmland_ha=1.0), change("a2", A, sq(200, 0), farmland_ha=3.0),
                twice, change("a3", A, sq(0, 0), farmland_ha=2.0)])
    m = measure(ws)
    (bad,) = [p for p in m.problems if p.severity == "error"]
    assert (bad.feature_id, bad.field) == ("a9", "change_id")
    assert bad.message.startswith("与监测图斑 a1 图形和各项属性完全相同")
    # a3 is drawn as a1 but differs (合法, 2 ha): kept. F = 1 + 3 + 2, I = 1.
    assert m.units.at[A, "F_ha"] == pytest.approx(6.0)
    assert m.units.at[A, "I_ha"] == pytest.approx(1.0)


def test_a_change_without_a_county_code_counts_where_it_lies() -> None:
    ws = build([change("x1", None, sq(10_500, 500), "违法", farmland_ha=2.0),
                change("x2", None, sq(50_000, 0), "违法", farmland_ha=2.0)])
    m = measure(ws)
    assert m.units.at[B, "I_ha"] == pytest.approx(2.0)
    assert m.units["I_ha"].sum() == pytest.approx(2.0)
    assert [(p.feature_id, p.field, p.severity) for p in m.problems] == [("x2", "county_code", "error")]


def test_a_change_in_a_functional_zone_counts_for_the_zone() -> None:
    # The zone (1 km square, carved from A) is a row of the counties layer with 单位类型 and 所属县区代码.
    zone = {"county_code": "411771", "county_name": "开发区", "单位类型": "功能区", "所属县区代码": A,
            "geometry": sq(0, 0, 1_000)}
    units_layer = gpd.GeoDataFrame([*counties(A, B), zone], geometry="geometry", crs=4547)
    rows = [change("a1", A, sq(100, 100), "违法", farmland_ha=1.0),      # in the zone, names A
            change("a2", None, sq(300, 300), farmland_ha=1.0),          # in the zone, names none
            change("a3", A, sq(5_000, 5_000), farmland_ha=3.0)]         # in A outside the zone
    changes = gpd.GeoDataFrame(rows, geometry="geometry", crs=4547)
    ws = normalise_layers([RawLayer("counties", units_layer, "县区.shp", np.arange(1, 4)),
                           RawLayer("changes", changes, "changes.gpkg", np.arange(1, 4))],
                          source="test", required=("counties", "changes"))
    assert ws.counties.set_index("county_code").at["411771", "parent_code"] == A
    assert ws.counties["parent_code"].isna().sum() == 2
    assert unit_kinds(ws.counties).tolist() == ["县区", "县区", "功能区"]
    units = measure(ws).units
    assert units.at["411771", "F_ha"] == pytest.approx(2.0)
    assert units.at["411771", "violation_ratio"] == pytest.approx(0.5)
    assert units.at[A, "F_ha"] == pytest.approx(3.0)
    assert units.at[A, "violation_ratio"] == pytest.approx(0.0)
    assert units.at["411771", "unit_kind"] == "功能区"
    assert units.at[A, "unit_kind"] == "县区"


# --- farmland measured ----------------------------------------------------------------------
def test_farmland_is_measured_from_the_survey_when_absent() -> None:
    # a1 (1 ha) half on 水田 0101, half on 果园 0201: 0.5 ha; a2 (1 ha, illegal) a quarter on 旱地 0103.
    ws = build([change("a1", A, sq(0, 0)), change("a2", A, sq(1_000, 0), "违法")])
    ws.layers["survey"] = gpd.GeoDataFrame(
        {"DLBM": ["0101", "0201", "0103", "0103"]},
        geometry=[sq(-100, 0, 150, 100), sq(50, 0, 50, 100), sq(950, -50, 100, 100), sq(5_000, 0)],
        crs=ws.crs)
    m = measure(ws)
    assert m.changes.set_index("change_id")["farmland_ha"].to_dict() == pytest.approx({"a1": 0.5, "a2": 0.25})
    assert set(m.changes["farmland_source"]) == {"survey"}
    assert m.units.at[A, "violation_ratio"] == pytest.approx(0.25 / 0.75)


def test_the_attribute_farmland_wins_over_the_survey() -> None:
    ws = build([change("a1", A, sq(0, 0), farmland_ha=0.2), change("a2", A, sq(1_000, 0), "违法")])
    ws.layers["survey"] = gpd.GeoDataFrame({"DLBM": ["0102"]}, geometry=[sq(-500, -500, 3_000)], crs=ws.crs)
    m = measure(ws)
    assert m.changes.set_index("change_id")["farmland_source"].to_dict() == {"a1": "attribute", "a2": "survey"}
    assert m.units.at[A, "F_ha"] == pytest.approx(1.2)


def test_no_farmland_and_nothing_to_measure_it_is_an_error_naming_the_layer() -> None:
    ws = build([change("a1", A, sq(0, 0), farmland_ha=1.0), change("a2", A, sq(1_000, 0), "违法")])
    with pytest.raises(WorkspaceError, match=r"changes.*a2") as err:
        measure(ws)
    assert "survey" in err.value.en
    assert "farmland_ha" in err.value.en


def test_area_in_mu_and_pinyin_codes_are_read() -> None:
    rows = [{"JCBH": "a1", "JCND": 2019, "XZQDM": A, "JCMJ(亩)": 15.0, "GDMJ(亩)": 7.5, "HFX": "违法用地",
             "SFXZJSYD": "是", "ZGQK": "已整改", "ZGWCSJ": "2020年6月1日", "geometry": sq(0, 0)}]
    ws = build(rows)
    frame = ws.layer("changes")
    assert frame.loc[0, ["area_ha", "farmland_ha"]].tolist() == pytest.approx([1.0, 0.5])
    units = measure(ws).units
    assert units.at[A, "rectification_rate"] == pytest.approx(1.0)
    assert units.at[A, "violation_ratio"] == pytest.approx(1.0)


def test_farmland_is_measured_from_the_raster_without_a_survey(tmp_path) -> None:
    # A 400 m × 400 m raster of 10 m pixels, grass (5) but for cropland (1) over x 0..60 m of the
    # first row of 100 m: the 1 ha change a1 at (0, 0) is 60 % cropland: 0.6 ha; a2 (illegal, 1 ha,
    # at (200, 0)) is all grass: 0 ha. F = 0.6, I = 0.
    import rasterio
    from rasterio.transform import from_origin

    from landuse.io.files import open_landcover
    from tests._ws import X0, Y0

    arr = np.full((40, 40), 5, dtype="uint8")
    arr[30:40, 0:6] = 1  # rows 30..39 are y 0..100 m, columns 0..5 are x 0..60 m
    path = tmp_path / "landcover.tif"
    profile = {"driver": "GTiff", "width": 40, "height": 40, "count": 1, "dtype": "uint8", "crs": "EPSG:4547",
               "transform": from_origin(X0, Y0 + 400, 10, 10), "nodata": 0}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
    ws = build([change("a1", A, sq(0, 0)), change("a2", A, sq(200, 0), "违法")])
    ws.landcover = open_landcover(path)
    m = measure(ws)
    assert m.changes.set_index("change_id")["farmland_ha"].to_dict() == pytest.approx({"a1": 0.6, "a2": 0.0})
    assert set(m.changes["farmland_source"]) == {"landcover"}
    assert m.units.at[A, "F_ha"] == pytest.approx(0.6)
    assert m.units.at[A, "violation_ratio"] == pytest.approx(0.0)


def test_a_workspace_without_the_layer_is_an_error_not_no_task() -> None:
    raws = [RawLayer("counties", gpd.GeoDataFrame(counties(A), geometry="geometry", crs=4547), "c.gpkg",
                     np.arange(1, 2))]
    ws = normalise_layers(raws, source="ws", required=("counties",))
    with pytest.raises(WorkspaceError, match="changes"):
        measure(ws)
