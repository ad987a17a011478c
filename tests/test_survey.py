"""The land survey and the farmland measures, on squares whose areas are known by hand.

Squares in EPSG:4547: a 100 m square is 1 ha = 15 亩; survey areas are the
delivered TBDLMJ (m²), or TBMJ − KCMJ.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from landuse._errors import LayerReadError
from landuse.analysis.survey import (
    basic_farmland_check,
    delivered_ha,
    false_class,
    prepare_survey,
    project_overlaps,
    retention,
    survey_by_county,
)
from landuse.campaigns import farmland
from landuse.model.schema import layer_for_name, split_year
from landuse.model.workspace import load_workspace
from landuse.rules.model import load_ruleset
from tests._ws import A, B, build, counties, sq

RULES = load_ruleset("zhumadian-2020-farmland")


def dltb(code: str, geom, *, dlbm: str = "0101", m2: float | None = None, **kw) -> dict:
    """One survey polygon; TBDLMJ defaults to the square's own area."""
    row = {"DLBM": dlbm, "ZLDWDM": f"{code}1010010000000", "geometry": geom}
    row["TBDLMJ"] = geom.area if m2 is None else m2
    return {**row, **kw}


def test_delivered_area_prefers_tbdlmj_then_tbmj_less_kcmj():
    frame = pd.DataFrame({"tbdlmj_m2": [10_000.0, None, None], "tbmj_m2": [99.0, 10_000.0, 10_000.0],
                          "kcmj_m2": [1.0, 400.0, None], "geom_ha": [5.0, 5.0, 5.0]})
    assert delivered_ha(frame).tolist() == [1.0, 0.96, 1.0]


def test_land_class_groups_follow_the_longest_prefix():
    codes = pd.Series(["0101", "0102", "0103", "0201K", "0601", "0603", "08H1", "1006", "1109", "1003", "X"])
    assert RULES.classes.group_of(codes).tolist() == [
        "farmland", "farmland", "farmland", "agricultural", "built_up", "other", "built_up", "agricultural",
        "built_up", "built_up", "unknown"]


def test_survey_names_with_a_year():
    assert split_year("survey_2017") == ("survey", 2017)
    assert layer_for_name("survey_2017") == "survey"
    assert layer_for_name("2019年地类图斑") == "survey"
    assert layer_for_name("DLTB") == "survey"
    assert layer_for_name("批次2017") is None  # only the survey comes once a year


def test_county_from_zldwdm_then_location():
    ws = build(counties=counties(A, B),
               survey=[dltb(A, sq(0, 0)), {"DLBM": "0101", "TBDLMJ": 20_000.0, "geometry": sq(10_000, 0)}])
    survey, problems = prepare_survey(ws.layers["survey"], RULES.classes, ws.counties)
    assert survey["county_code"].tolist() == [A, B]
    assert survey["area_ha"].tolist() == [1.0, 2.0]
    assert problems == []


def test_retention_a_county_exactly_at_its_target_has_met_it():
    farm = pd.Series([1.96, 4.0, 1.0], index=["a", "b", "c"])
    targets = pd.DataFrame({"county_code": ["a", "b", "c", "a"], "year": [2020, 2020, 2020, 2030],
                            "retention_ha": [29.4 / 15, 6.0, 20 / 15, 99.0],
                            "redline_ha": [20 / 15, 5.0, 10 / 15, 99.0],
                            "basic_farmland_ha": [1.0, 2.0, 1.0, 99.0]})
    r = retention(farm, targets, 2020)
    assert r["farmland_mu"].tolist() == [29.4, 60.0, 15.0]
    assert "retention_status" not in r.columns  # measures: the verdicts are the judge's
    farmland.judge(r, load_ruleset("zhumadian-2020-farmland"), dt.date(2020, 12, 31))
    assert r["retention_status"].tolist() == ["met", "below_redline", "below_target"]
    assert r["retention_met"].tolist() == [True, False, False]
    assert r["below_redline"].tolist() == [False, True, False]
    assert r["retention_gap_mu"].tolist() == [0.0, 30.0, 5.0]
    assert r["retention_gap_ha"].tolist() == [0.0, 2.0, pytest.approx(1 / 3)]
    assert r["basic_farmland_task_mu"].tolist() == [15.0, 30.0, 15.0]


def test_retention_without_a_target_is_no_target():
    r = retention(pd.Series([1.0], index=["a"]), None, 2020)
    farmland.judge(r, load_ruleset("zhumadian-2020-farmland"), dt.date(2020, 12, 31))
    assert r["retention_status"].tolist() == ["no_target"]
    assert r["retention_met"].isna().all()


def _ws_overlaps(dy: float):
    return build(
        counties=counties(A, B),
        supplement_projects=[{"project_id": "S1", "county_code": A, "geometry": sq(1000, 1000)},
                             {"project_id": "S2", "geometry": sq(2000, 1000)},          # county by location
                             {"project_id": "S3", "county_code": B, "geometry": sq(11_000, 1000)}],
        linkage_projects=[{"project_id": "L1", "geometry": sq(1090, 1000)},                   # 10 m × 100 m
                          {"project_id": "L2", "geometry": sq(2090, 1000 + dy)},              # 10 m × (100 − dy)
                          {"project_id": "L3", "geometry": sq(11_050, 1000)}],                # 50 m × 100 m
    )


def test_a_pair_overlapping_by_exactly_the_tolerance_is_not_listed():
    ws = _ws_overlaps(90.0)  # S2 × L2: 10 m × 10 m = 0.01 ha = the tolerance
    pairs = project_overlaps(ws.layers["supplement_projects"], ws.layers["linkage_projects"],
                             RULES.overlap.tolerance_ha, ws.counties)
    assert pairs[["supplement_id", "linkage_id", "county_code", "overlap_ha"]].values.tolist() == [
        ["S1", "L1", A, 0.1], ["S3", "L3", B, 0.5]]


def test_a_pair_just_over_the_tolerance_is_listed():
    ws = _ws_overlaps(89.0)  # 10 m × 11 m = 0.011 ha
    pairs = project_overlaps(ws.layers["supplement_projects"], ws.layers["linkage_projects"],
                             RULES.overlap.tolerance_ha, ws.counties)
    assert pairs.set_index("supplement_id")["overlap_ha"].to_dict() == {"S1": 0.1, "S2": 0.011, "S3": 0.5}
    assert pairs.set_index("supplement_id").at["S2", "county_code"] == A


def test_basic_farmland_half_on_a_built_up_polygon():
    ws = build(counties=counties(A),
               survey=[dltb(A, sq(100, 0), dlbm="0103", m2=None, TBMJ=10_000.0, KCMJ=400.0),
                       dltb(A, sq(200, 0), dlbm="0702", m2=12_000.0),       # delivered 1.2 ha, not re-measured
                       dltb(A, sq(300, 0), dlbm="0301")],
               basic_farmland=[{"bf_id": "J1", "geometry": sq(150, 0)},     # half 0103, half 0702
                               {"bf_id": "J2", "geometry": sq(250, 0)},     # half 0702, half 0301 (forest)
                               {"bf_id": "J3", "area_ha": 2.0, "geometry": sq(100, 0, 50)}])
    survey, _ = prepare_survey(ws.layers["survey"], RULES.classes, ws.counties)
    survey.loc[survey["dlbm"] == "0103", "tbdlmj_m2"] = np.nan  # TBMJ − KCMJ path
    out = basic_farmland_check(ws.layers["basic_farmland"], survey, RULES.nonfarm_groups, ws.counties)
    assert out["county_code"].tolist() == [A, A, A]
    assert out["area_ha"].tolist() == [1.0, 1.0, 2.0]
    assert out["built_up_ha"].tolist() == [0.6, 0.6, 0.0]
    assert out["nonfarm_ha"].tolist() == [0.6, 1.1, 0.0]


def test_false_class_shortfall_and_fee():
    ws = build(
        counties=counties(A),
        survey=[dltb(A, sq(3000, 0), year=2017), dltb(A, sq(4000, 0, 200), year=2017),
                dltb(A, sq(5000, 0), year=2017), dltb(A, sq(3000, 0), dlbm="0702", year=2019)],
        batches=[{"batch_id": "P1", "county_code": A, "approval_date": "2018-05-01", "farmland_ha": 1.0,
                  "geometry": sq(3000, 0)},                                   # declared = survey: not false
                 {"batch_id": "P2", "county_code": A, "approval_date": "2018-05-01", "farmland_ha": 0.5,
                  "geometry": sq(4000, 0, 200, 100)},                         # survey 2 ha: short 1.5 ha
                 {"batch_id": "P3", "county_code": A, "approval_date": "2017-05-01", "farmland_ha": 0.0,
                  "geometry": sq(4000, 100, 200, 100)},                       # no survey before 2017
                 {"batch_id": "P4", "county_code": A, "approval_date": "2018-05-01", "farmland_ha": 0.99,
                  "geometry": sq(5000, 0)},                                   # short by the tolerance
                 {"batch_id": "P5", "county_code": A, "approval_date": "2018-05-01", "geometry": sq(5000, 0)}],
    )
    assert ws.batches["farmland_ha"].tolist()[:4] == [1.0, 0.5, 0.0, 0.99]
    survey, _ = prepare_survey(ws.layers["survey"], RULES.classes, ws.counties)
    out, problems = false_class(ws.batches, survey, tolerance_ha=0.01, fee_rate_wan_per_ha=16.0)
    out = out.set_index("batch_id")
    assert list(out.index) == ["P1", "P2", "P3", "P4"]  # P5 declares nothing
    assert out["survey_year"].astype("Float64").fillna(0).tolist() == [2017, 2017, 0, 2017]
    assert out["survey_farmland_ha"].tolist()[:2] == [1.0, 2.0]
    assert out["shortfall_ha"].tolist()[:2] == [0.0, 1.5]
    assert out["false_class"].tolist() == [False, True, False, False]
    assert out["fee_wan"].tolist() == [0.0, 24.0, 0.0, 0.0]
    assert [p.feature_id for p in problems] == ["P3"]


@pytest.mark.parametrize("name", ["farmland_ha", "耕地面积", "GDMJ", "耕地面积(亩)"])
def test_declared_farmland_aliases(name):
    ws = build(counties=counties(A), batches=[{"batch_id": "P1", "county_code": A, "approval_date": "2018-05-01",
                                               name: 15.0, "geometry": sq(0, 0)}])
    assert ws.batches["farmland_ha"].tolist() == [1.0 if "亩" in name else 15.0]


def test_a_survey_without_years_serves_every_batch():
    ws = build(counties=counties(A), survey=[dltb(A, sq(0, 0))],
               batches=[{"batch_id": "P1", "county_code": A, "approval_date": "2010-01-01", "farmland_ha": 0.25,
                         "geometry": sq(0, 0, 50)}])
    survey, _ = prepare_survey(ws.layers["survey"], RULES.classes, ws.counties)
    out, problems = false_class(ws.batches, survey, tolerance_ha=0.01, fee_rate_wan_per_ha=16.0)
    assert out["shortfall_ha"].tolist() == [0.0]
    assert problems == []


def _write_dltb(path, rows, layer="DLTB"):
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4547)
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")


def test_survey_by_county_reads_columns_only(tmp_path):
    path = tmp_path / "dltb.gpkg"
    _write_dltb(path, [dltb(A, sq(0, 0)), dltb(A, sq(100, 0), dlbm="0103", m2=None, TBMJ=10_000.0, KCMJ=400.0),
                       dltb(A, sq(200, 0), dlbm="0702"), dltb(B, sq(10_000, 0, 200), dlbm="0102")])
    frame = gpd.read_file(path)
    frame.loc[1, "TBDLMJ"] = None
    pyogrio.write_dataframe(frame, path, layer="DLTB", driver="GPKG")
    table = survey_by_county(path, RULES.classes)
    assert table.loc[A, "farmland"] == pytest.approx(1.96)
    assert table.loc[A, "built_up"] == 1.0
    assert table.loc[B, "farmland_mu"] == 60.0


def test_survey_by_county_needs_dlbm(tmp_path):
    path = tmp_path / "dltb.gpkg"
    _write_dltb(path, [{"TBDLMJ": 1.0, "geometry": sq(0, 0)}])
    with pytest.raises(LayerReadError, match="DLBM"):
        survey_by_county(path, RULES.classes)


def test_a_survey_per_year_in_separate_files(tmp_path):
    gpd.GeoDataFrame(counties(A), geometry="geometry", crs=4547).to_file(tmp_path / "counties.gpkg")
    _write_dltb(tmp_path / "survey_2017.gpkg", [dltb(A, sq(0, 0))], layer="survey_2017")
    _write_dltb(tmp_path / "survey_2019.gpkg", [dltb(A, sq(0, 0)), dltb(A, sq(100, 0))], layer="survey_2019")
    ws = load_workspace(tmp_path, required=("survey",))
    assert not ws.has_errors, ws.problems
    assert sorted(ws.layers["survey"]["year"].tolist()) == [2017, 2019, 2019]


def test_survey_by_county_keeps_polygons_without_a_county(tmp_path):
    path = tmp_path / "dltb.gpkg"
    _write_dltb(path, [dltb(A, sq(0, 0)), {"DLBM": "0101", "TBDLMJ": 5_000.0, "ZLDWDM": None, "geometry": sq(0, 0)}])
    table = survey_by_county(path, RULES.classes)
    assert table["farmland"].to_dict() == {"": 0.5, A: 1.0}


def test_a_survey_with_years_on_some_rows_only_is_named():
    ws = build(counties=counties(A), survey=[dltb(A, sq(0, 0), year=2019), dltb(A, sq(100, 0))])
    _, problems = prepare_survey(ws.layers["survey"], RULES.classes, ws.counties)
    assert [(p.field, p.severity) for p in problems] == [("year", "warning")]
    assert problems[0].message.startswith("1 个地类图斑没有调查年度")
