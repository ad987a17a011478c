"""The land survey serves 增存挂钩: "现场地类与批准前一致" and 未供先用 read its classes before the raster.

Squares in EPSG:4547 (100 m = 1 ha). The rule set's built-up survey classes are
``landcover.survey_built_up_codes`` (0601 工业 built up, 0603 盐田 not).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from _ws import X0, Y0, A, batch, build, counties, sq, supply
from rasterio.transform import from_origin
from shapely.geometry import box

from landuse.analysis.survey import survey_built_share, survey_year_for
from landuse.campaigns.zengcun.assessment import assess
from landuse.io.files import open_landcover
from landuse.model.workspace import load_workspace
from landuse.rules.model import load_ruleset

RULES = load_ruleset("zhumadian-2018")
T = "2018-12-31"
SAMPLE = Path(__file__).resolve().parent.parent / "layers" / "zhumadian"


def dltb(geom, dlbm: str, year: int) -> dict:
    return {"DLBM": dlbm, "TBDLMJ": geom.area, "ZLDWDM": f"{A}1010010000000", "year": year, "geometry": geom}


def _ws(**extra):
    # WITHDRAW (1 ha, compensated, nothing supplied): the 2017 survey shows 0101 on all of it.
    # BUILT (1 ha): 0702 on 60 × 100 m, 0101 on the rest: 60 % built up > 50 % → 未供先用.
    # REDUCE (4 ha, the lower 2 ha supplied): the unsupplied upper 2 ha are 0603 盐田 on 180 × 100 m
    #   and 0601 工业 on 20 × 100 m: 10 % built up ≤ 20 % → land class unchanged → reduced by 2 ha
    #   (were 0603 built up, as its 06 prefix would say, the share would be 100 %).
    # A 2019 survey (after T) calls WITHDRAW built up: it is not read as of 2018.
    survey = [dltb(sq(200, 0), "0101", 2017),
              dltb(sq(400, 0, 60, 100), "0702", 2017), dltb(sq(460, 0, 40, 100), "0101", 2017),
              dltb(sq(600, 100, 180, 100), "0603", 2017), dltb(sq(780, 100, 20, 100), "0601", 2017),
              dltb(sq(200, 0), "0702", 2019)]
    return build(
        counties=counties(A),
        batches=[batch("WITHDRAW", A, "2015-03-01", sq(200, 0)),
                 batch("BUILT", A, "2015-03-01", sq(400, 0)),
                 batch("REDUCE", A, "2015-03-01", sq(600, 0, 200))],
        supplies=[supply("P1", "REDUCE", "2016-01-01", sq(600, 0, 200, 100))],
        survey=survey, **extra)


def _landcover(path: Path, built_squares):
    """A 10 m raster over x 0..2000, y 0..400: cropland (1), built-up (8) on the given squares."""
    arr = np.ones((40, 200), dtype="uint8")
    for x, y, size in built_squares:
        r0 = 40 - int((y + size) / 10)
        arr[r0:r0 + int(size / 10), int(x / 10):int((x + size) / 10)] = 8
    with rasterio.open(path, "w", driver="GTiff", width=200, height=40, count=1, dtype="uint8",
                       crs="EPSG:4547", transform=from_origin(X0, Y0 + 400, 10, 10), nodata=0) as dst:
        dst.write(arr, 1)
    return open_landcover(path)


def test_the_survey_share_by_hand():
    parts = pd.Series([box(0, 0, 200, 100), box(500, 0, 600, 100), box(900, 0, 1000, 100)], index=["a", "b", "c"])
    import geopandas as gpd

    survey = gpd.GeoDataFrame(
        {"dlbm": ["0702", "0101", "0603", "0601", "0702"], "year": [2017, 2017, 2017, 2017, 2019]},
        geometry=[box(0, 0, 50, 100), box(50, 0, 200, 100), box(500, 0, 550, 100), box(550, 0, 600, 100),
                  box(0, 0, 200, 100)])
    codes = RULES.landcover.survey_built_up_codes
    got = survey_built_share(gpd.GeoSeries(parts), survey, codes, 2017)
    assert got["a"] == 0.25           # 0.5 ha of 0702 in 2 ha
    assert got["b"] == 0.5            # 0601 built up, 0603 盐田 not
    assert np.isnan(got["c"])         # no survey polygon there: the survey does not say
    assert survey_built_share(gpd.GeoSeries(parts), survey, codes, 2019)["a"] == 1.0
    assert survey_year_for(survey, 2018) == 2017
    assert survey_year_for(survey, 2016) is None
    assert "0603" not in codes
    assert "06" not in codes


def test_the_survey_says_the_land_class_before_the_raster(tmp_path):
    ws = _ws()
    # The raster calls WITHDRAW wholly built up and BUILT wholly cropland: the survey is read first.
    ws.landcover = _landcover(tmp_path / "lc.tif", [(200, 0, 100)])
    c = assess(ws, RULES, T).candidates.set_index("batch_id")
    assert c.at["WITHDRAW", "kind"] == "withdraw"
    assert c.at["WITHDRAW", "basis"] == "survey"
    assert c.at["WITHDRAW", "built_share"] == 0.0
    assert not c.at["WITHDRAW", "needs_field_check"]
    assert "国土调查" in c.at["WITHDRAW", "reason"]
    assert "2017" in c.at["WITHDRAW", "reason"]
    assert "land survey" in c.at["WITHDRAW", "reason_en"]
    assert c.at["BUILT", "kind"] == "used_before_supply"
    assert c.at["BUILT", "basis"] == "survey"
    assert c.at["BUILT", "built_share"] == pytest.approx(0.6)
    assert c.at["BUILT", "indicator_return_ha"] == 0.0
    assert c.at["REDUCE", "kind"] == "reduce"
    assert c.at["REDUCE", "built_share"] == pytest.approx(0.1)
    assert c.at["REDUCE", "area_ha"] == pytest.approx(2.0)
    assert c.at["REDUCE", "basis"] == "survey"


def test_without_the_survey_the_raster_decides(tmp_path):
    ws = _ws()
    ws.layers.pop("survey")
    ws.landcover = _landcover(tmp_path / "lc.tif", [(200, 0, 100)])
    c = assess(ws, RULES, T).candidates.set_index("batch_id")
    assert c.at["WITHDRAW", "kind"] == "used_before_supply"
    assert c.at["WITHDRAW", "basis"] == "raster"
    assert c.at["BUILT", "kind"] == "withdraw"
    assert c.at["BUILT", "basis"] == "raster"
    assert "国土调查" not in c.at["BUILT", "reason"]


def test_a_survey_older_than_the_approval_does_not_say_what_stands_there():
    # As of 2020-12-31 a batch approved in 2018 is eligible; the 2017 survey is from before it,
    # so nothing says what stands there: a field check, whatever the survey shows.
    ws = _ws()
    ws.batches = pd.concat([ws.batches, build(counties=counties(A), batches=[
        batch("LATE", A, "2018-03-01", sq(400, 0))]).batches], ignore_index=True)
    c = assess(ws, RULES, "2020-12-31", raster=False).candidates.set_index("batch_id")
    assert c.at["LATE", "kind"] == "withdraw"
    assert c.at["LATE", "basis"] == "field_check"
    assert c.at["LATE", "needs_field_check"]
    # Approved 2015: the 2019 survey (the latest ≤ 2020) says, 0702 on all of it.
    assert c.at["WITHDRAW", "kind"] == "used_before_supply"
    assert c.at["WITHDRAW", "basis"] == "survey"
    assert c.at["WITHDRAW", "built_share"] == 1.0


def test_rule_sets_without_survey_codes_read_no_survey(tmp_path):
    text = Path(RULES.path).read_text(encoding="utf-8")
    start = text.index("survey_built_up_codes")
    end = text.index("]", start) + 1
    path = tmp_path / "r.toml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    rules = load_ruleset(path)
    assert rules.landcover.survey_built_up_codes == ()
    c = assess(_ws(), rules, T, raster=False).candidates.set_index("batch_id")
    assert set(c["basis"]) <= {"field_check", "attribute"}


def test_the_sample_without_its_survey_keeps_its_candidates(tmp_path):
    ws_dir = tmp_path / "ws"
    shutil.copytree(SAMPLE, ws_dir, ignore=shutil.ignore_patterns("地类图斑.gpkg"))
    without = assess(load_workspace(str(ws_dir)), RULES, T).candidates
    kinds = without.groupby("kind")["area_ha"].agg(["size", "sum"]).round(4)
    assert kinds.loc[["lapse", "withdraw", "reduce", "used_before_supply"], "size"].tolist() == [9, 24, 41, 3]
    assert kinds.loc[["lapse", "withdraw", "reduce", "used_before_supply"], "sum"].tolist() == [
        63.0175, 144.2611, 269.0709, 11.5362]
    assert "survey" not in set(without["basis"].dropna())
    # With the survey (the sample as shipped), the 2017 地类图斑 say what stands on the unsupplied parts.
    with_survey = assess(load_workspace(str(SAMPLE)), RULES, T).candidates
    kinds = with_survey.groupby("kind")["area_ha"].agg(["size", "sum"]).round(4)
    assert kinds.loc[["lapse", "withdraw", "reduce", "used_before_supply"], "size"].tolist() == [11, 23, 37, 2]
    assert kinds.loc[["lapse", "withdraw", "reduce", "used_before_supply"], "sum"].tolist() == [
        71.0882, 133.4759, 211.0018, 14.2507]
    approvals = with_survey[with_survey["kind"].isin(["withdraw", "reduce", "used_before_supply"])]
    assert set(approvals["basis"]) == {"survey"}


def test_no_survey_and_no_survey_codes_give_the_same_candidates(tmp_path):
    ws_dir = tmp_path / "ws"
    shutil.copytree(SAMPLE, ws_dir, ignore=shutil.ignore_patterns("地类图斑.gpkg"))
    text = Path(RULES.path).read_text(encoding="utf-8")
    start = text.index("survey_built_up_codes")
    path = tmp_path / "r.toml"
    path.write_text(text[:start] + text[text.index("]", start) + 1:], encoding="utf-8")
    a = assess(load_workspace(str(ws_dir)), RULES, T, raster=False).candidates
    b = assess(load_workspace(str(SAMPLE)), load_ruleset(path), T, raster=False).candidates
    cols = ["kind", "batch_id", "parcel_id", "area_ha", "basis", "built_share", "reason", "needs_field_check"]
    pd.testing.assert_frame_equal(pd.DataFrame(a[cols]).reset_index(drop=True),
                                  pd.DataFrame(b[cols]).reset_index(drop=True))
