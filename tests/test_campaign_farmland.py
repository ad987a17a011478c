"""The 耕地保护 campaign end to end: a hand-computed workspace, the rule set, the CLI on the sample.

Squares in EPSG:4547 (100 m = 1 ha = 15 亩). County A: survey farmland 1 ha (0101)
+ 0.96 ha (0103, TBMJ 10 000 − KCMJ 400) = 29.4 亩, exactly its target; B: 4 ha =
60 亩 against 90 亩 with a red line of 75 亩; C: 1 ha = 15 亩 against 20 亩, red line 10.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from landuse._errors import RuleSetError
from landuse.campaigns import CAMPAIGNS
from landuse.campaigns.farmland import CAMPAIGN, report_section, run
from landuse.cli import cli
from landuse.rules.farmland import FarmlandRules
from landuse.rules.model import load_ruleset
from tests._ws import A, B, C, build, counties, sq

RULES = load_ruleset("zhumadian-2020-farmland")
COLUMNS = ["farmland_mu", "retention_target_mu", "retention_met", "below_redline", "basic_farmland_mu",
           "basic_farmland_task_mu", "nonfarm_in_basic_ha", "overlap_pairs", "overlap_ha", "false_class_batches",
           "false_class_shortfall_ha", "false_class_fee_wan"]


def dltb(code: str, geom, dlbm: str = "0101", **kw) -> dict:
    return {"DLBM": dlbm, "TBDLMJ": geom.area, "ZLDWDM": f"{code}1010010000000", "geometry": geom, **kw}


@pytest.fixture(scope="module")
def result():
    ws = build(
        counties=counties(A, B, C),
        survey=[dltb(A, sq(0, 0), year=2019),
                dltb(A, sq(100, 0), "0103", TBDLMJ=None, TBMJ=10_000.0, KCMJ=400.0, year=2019),
                dltb(A, sq(200, 0), "0702", year=2019),
                dltb(B, sq(10_000, 0, 200), "0102", year=2019),
                dltb(C, sq(20_000, 0), year=2019),
                dltb(A, sq(4000, 0, 200), year=2017)],
        farmland_targets=[
            {"county_code": A, "year": 2020, "retention_mu": 29.4, "redline_mu": 20, "basic_farmland_mu": 15},
            {"county_code": B, "year": 2020, "retention_mu": 90, "redline_mu": 75, "basic_farmland_mu": 30},
            {"county_code": C, "year": 2020, "retention_mu": 20, "redline_mu": 10, "basic_farmland_mu": 10}],
        basic_farmland=[{"bf_id": "J1", "geometry": sq(150, 0)}],          # half on the 0702 polygon
        supplement_projects=[{"project_id": "S1", "geometry": sq(1000, 1000)},
                             {"project_id": "S2", "geometry": sq(2000, 1000)},
                             {"project_id": "S3", "geometry": sq(11_000, 1000)}],
        linkage_projects=[{"project_id": "L1", "geometry": sq(1090, 1000)},        # 0.1 ha
                          {"project_id": "L2", "geometry": sq(2090, 1090)},        # 0.01 ha: the tolerance
                          {"project_id": "L3", "geometry": sq(11_050, 1000)}],     # 0.5 ha
        batches=[{"batch_id": "P1", "county_code": A, "approval_date": "2018-05-01", "approver": "省政府",
                  "farmland_ha": 0.5, "geometry": sq(4000, 0, 200, 100)},         # survey 2 ha: short 1.5
                 {"batch_id": "P2", "county_code": A, "approval_date": "2018-05-01", "approver": "省政府",
                  "farmland_ha": 2.0, "geometry": sq(4000, 100, 200, 100)}],      # = survey: not false
    )
    return run(ws, RULES, dt.date(2020, 6, 15))


def test_county_columns_by_hand(result):
    table = result.counties
    assert list(table.columns[1:]) [:2] == ["farmland_mu", "retention_target_mu"]
    assert set(COLUMNS) <= set(table.columns)
    expected = pd.DataFrame({
        "farmland_mu": [29.4, 60.0, 15.0],
        "retention_target_mu": [29.4, 90.0, 20.0],
        "retention_met": [True, False, False],
        "below_redline": [False, True, False],
        "basic_farmland_mu": [15.0, 0.0, 0.0],
        "basic_farmland_task_mu": [15.0, 30.0, 10.0],
        "nonfarm_in_basic_ha": [0.5, 0.0, 0.0],
        "overlap_pairs": [1, 1, 0],
        "overlap_ha": [0.1, 0.5, 0.0],
        "false_class_batches": [1, 0, 0],
        "false_class_shortfall_ha": [1.5, 0.0, 0.0],
        "false_class_fee_wan": [24.0, 0.0, 0.0],
    }, index=pd.Index([A, B, C], name="county_code"))
    got = table[COLUMNS].astype(object)
    assert got.to_dict("list") == expected.astype(object).to_dict("list")
    assert table["retention_status"].tolist() == ["met", "below_redline", "below_target"]
    assert table["retention_gap_mu"].tolist() == [0.0, 30.0, 5.0]


def test_ledgers_and_summary(result):
    ledgers = {ledger.title: ledger for ledger in result.ledgers}
    assert list(ledgers) == ["耕地保有量完成情况表", "重叠项目清单", "地类不实批次清单", "永久基本农田非农化图斑"]
    assert ledgers["重叠项目清单"].frame[["supplement_id", "linkage_id"]].values.tolist() == [["S1", "L1"],
                                                                                          ["S3", "L3"]]
    assert ledgers["地类不实批次清单"].frame["batch_id"].tolist() == ["P1"]
    assert ledgers["永久基本农田非农化图斑"].frame[["bf_id", "built_up_ha"]].values.tolist() == [["J1", 0.5]]
    s = result.summary
    assert s["farmland_wan_mu"] == pytest.approx(104.4 / 10_000)
    assert s["retention_met"] is False  # 0.01 万亩 against 1264.66 万亩
    assert (s["overlap_pairs"], s["overlap_ha"], s["false_class_fee_wan"]) == (2, 0.6, 24.0)
    assert [layer.name for layer in result.layers] == ["farmland_retention", "project_overlaps", "false_class",
                                                       "basic_farmland_nonfarm"]


def test_report_section_escapes_data_text(result):
    table = result.counties.copy()
    table["county_name"] = table["county_name"].astype(object)
    table.iloc[0, table.columns.get_loc("county_name")] = "<script>x</script>"
    html = report_section(type(result)(**{**result.__dict__, "counties": table}), "zh")
    assert "<script>x" not in html
    assert "&lt;script&gt;x" in html
    assert "1264.66" in html.replace(",", "")


def test_registry_and_rule_set():
    assert CAMPAIGNS["farmland"] == "landuse.campaigns.farmland"
    assert isinstance(RULES, FarmlandRules)
    assert CAMPAIGN.required == ("survey",)
    assert (RULES.city.retention_wan_mu, RULES.city.basic_farmland_wan_mu) == (1264.66, 1028.59)
    assert RULES.false_class.fee_rate_wan_per_ha == 16.0
    assert "328.13" in RULES.false_class.quote


def _write(tmp_path: Path, old: str, new: str) -> Path:
    text = (Path(RULES.path).read_text(encoding="utf-8")).replace(old, new, 1)
    assert old in Path(RULES.path).read_text(encoding="utf-8")
    path = tmp_path / "r.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "key"), [
    ("tolerance_ha = 0.01\ndeadline = 2020-04-15\nquote = \"目前", "tolerance_ha = -1\ndeadline = 2020-04-15\nquote = \"目前",
     "overlap.tolerance_ha"),
    ("fee_rate_wan_per_ha = 16.0", "fee_rate_wan_per_ha = 160000", "false_class.fee_rate_wan_per_ha"),
    ("retention_wan_mu = 1264.66", "retention_wan_mu = 1264.66\nretention_mu = 1", "city.retention_mu"),
    ("scheme = \"sandiao\"", "scheme = \"gb\"", "survey.scheme"),
    ("campaign = \"farmland\"", "campaign = \"farmlands\"", "campaign"),
])
def test_bad_rule_files_name_the_dotted_key(tmp_path, old, new, key):
    with pytest.raises(RuleSetError) as err:
        load_ruleset(_write(tmp_path, old, new))
    assert f"键 {key}" in err.value.zh
    assert f"key {key}" in err.value.en


def test_cli_assess_on_the_sample(tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["assess", "--rules", "zhumadian-2020-farmland", "--out", str(out)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "驻马店市2020年耕地保护考核" in res.stdout
    # The terminal says the status in words (平舆 and 汝南 below the red line), the CSV keeps the keys.
    assert res.stdout.count("低于保护红线") == 1 + 2  # the column header and the two counties
    assert "below_redline" not in res.stdout
    assert "below_target" not in res.stdout
    table = pd.read_csv(out / "counties.csv", dtype={"county_code": str}, encoding="utf-8-sig").set_index(
        "county_code")
    assert set(COLUMNS) <= set(table.columns)
    met = table["retention_met"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    below = table["below_redline"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    assert sorted(table.index[met]) == ["411724", "411726", "411728"]      # 正阳 泌阳 遂平
    assert sorted(table.index[below]) == ["411723", "411727"]              # 平舆 汝南
    # The zone carved from 驿城区 holds one 2019 旱地 cell (TBDLMJ 384 ha = 5 760 亩) and has no task.
    assert table.loc["411790", ["unit_kind", "farmland_mu", "retention_status"]].tolist() == [
        "功能区", 5760.0, "no_target"]
    assert pd.isna(table.loc["411790", "retention_met"])
    assert table.loc["411702", "farmland_mu"] == pytest.approx(1_095_549.41, abs=0.005)
    assert table.loc[["411724", "411727"], "overlap_ha"].tolist() == [4.0, 3.0]
    assert table["overlap_pairs"].sum() == 2
    assert table.loc[["411723", "411727", "411728"], "false_class_shortfall_ha"].tolist() == [4.0, 1.2, 2.5]
    assert table["false_class_fee_wan"].sum() == pytest.approx(123.2)
    assert table.loc[["411722", "411723", "411727"], "nonfarm_in_basic_ha"].tolist() == [50.0, 50.0, 50.0]
    for name in ("retention.csv", "overlaps.csv", "false_class.csv", "basic_farmland_nonfarm.csv", "problems.csv"):
        assert (out / name).exists()
    again = CliRunner().invoke(cli, ["assess", "--rules", "zhumadian-2020-farmland", "--out", str(out)])
    assert again.exit_code == 1
    assert "--overwrite" in again.output


def _folder(tmp_path: Path, survey: bool) -> Path:
    import geopandas as gpd

    ws = tmp_path / "ws"
    ws.mkdir()
    gpd.GeoDataFrame(counties(A), geometry="geometry", crs=4547).to_file(ws / "counties.gpkg")
    if survey:
        rows = [dltb(A, sq(0, 0)), dltb(A, sq(100, 0), "0702")]
        gpd.GeoDataFrame(rows, geometry="geometry", crs=4547).to_file(ws / "DLTB.gpkg", layer="DLTB")
        pd.DataFrame({"county_code": [A], "retention_mu": [15], "redline_mu": [10]}).to_csv(
            ws / "farmland_targets.csv", index=False)
    return ws


def test_cli_a_workspace_of_counties_and_survey_only(tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["assess", str(_folder(tmp_path, True)), "--rules", "zhumadian-2020-farmland",
                                   "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    row = pd.read_csv(out / "counties.csv", dtype={"county_code": str}).iloc[0]
    assert (row["farmland_mu"], row["retention_target_mu"], bool(row["retention_met"])) == (15.0, 15.0, True)
    assert (row["overlap_pairs"], row["basic_farmland_mu"], row["false_class_batches"]) == (0, 0.0, 0)
    problems = pd.read_csv(out / "problems.csv")
    assert set(problems["layer"]) == {"basic_farmland", "supplement_projects", "linkage_projects"}


def test_cli_without_a_survey_fails_naming_the_layer(tmp_path):
    res = CliRunner().invoke(cli, ["assess", str(_folder(tmp_path, False)), "--rules", "zhumadian-2020-farmland"])
    assert res.exit_code == 1
    assert "地类图斑（survey）" in res.output
    assert "Traceback" not in res.output


# --- functional zones as assessed units ------------------------------------------------------
Z1, Z2 = "411790", "411791"


def test_a_functional_zone_is_an_assessed_unit():
    # Zone Z1 (1 km square x 2–3 km of county A, carved from A) and zone Z2 (x 5–6 km, no target).
    # In Z1: survey 0101 2 ha naming A by ZLDWDM + 0103 1 ha naming none (placed by its outline);
    # basic farmland 1 ha; a project pair overlapping 100 × 20 m = 0.2 ha; a batch declaring 0.5 ha of
    # farmland on 2 ha of 2017 farmland (1.5 ha short, 24 万元). In Z2: survey 0102 1 ha. A keeps the rest:
    # survey 0101 4 ha, basic farmland 2 ha, a pair overlapping 0.1 ha.
    zones = [{"county_code": Z1, "county_name": "示范区", "单位类型": "功能区", "所属县区代码": A,
              "geometry": sq(2_000, 2_000, 1_000)},
             {"county_code": Z2, "county_name": "开发区", "单位类型": "管委会", "所属县区代码": A,
              "geometry": sq(5_000, 2_000, 1_000)}]
    no_code = {"DLBM": "0103", "TBDLMJ": 10_000.0, "geometry": sq(2_500, 2_500), "year": 2019}
    ws = build(
        counties=[*counties(A), *zones],
        survey=[dltb(A, sq(0, 0, 200), year=2019),
                dltb(A, sq(2_100, 2_100, 200, 100), year=2019), no_code,
                dltb(A, sq(5_100, 2_100), "0102", year=2019),
                dltb(A, sq(2_100, 2_600, 200), year=2017)],
        farmland_targets=[
            {"county_code": A, "year": 2020, "retention_mu": 60, "redline_mu": 50, "basic_farmland_mu": 30},
            {"county_code": Z1, "year": 2020, "retention_mu": 50, "redline_mu": 40, "basic_farmland_mu": 15}],
        basic_farmland=[{"bf_id": "J1", "geometry": sq(0, 0, 200, 100)},
                        {"bf_id": "J2", "geometry": sq(2_100, 2_100)}],
        supplement_projects=[{"project_id": "S1", "geometry": sq(1_000, 1_000)},
                             {"project_id": "S2", "geometry": sq(2_700, 2_100)}],
        linkage_projects=[{"project_id": "L1", "geometry": sq(1_090, 1_000)},        # 0.1 ha, in A
                          {"project_id": "L2", "geometry": sq(2_700, 2_180)}],       # 0.2 ha, in Z1
        batches=[{"batch_id": "P1", "county_code": A, "approval_date": "2018-05-01", "approver": "省政府",
                  "farmland_ha": 0.5, "geometry": sq(2_100, 2_600, 200, 100)}],
    )
    r = run(ws, RULES, dt.date(2020, 6, 15))
    t = r.counties
    assert t.index.tolist() == [A, Z1, Z2]
    assert t["unit_kind"].tolist() == ["县区", "功能区", "功能区"]
    assert list(t.columns[:2]) == ["county_name", "unit_kind"]
    assert "unit_kind" in r.columns
    assert t["farmland_mu"].tolist() == [60.0, 45.0, 15.0]
    assert t["retention_target_mu"].tolist()[:2] == [60.0, 50.0]
    assert pd.isna(t.at[Z2, "retention_target_mu"])
    assert t["retention_status"].tolist() == ["met", "below_target", "no_target"]
    assert t["retention_met"].tolist()[:2] == [True, False]
    assert pd.isna(t.at[Z2, "retention_met"])
    assert pd.isna(t.at[Z2, "below_redline"])
    assert t["retention_gap_mu"].tolist()[:2] == [0.0, 5.0]
    assert t["basic_farmland_mu"].tolist() == [30.0, 15.0, 0.0]
    assert t["basic_farmland_task_mu"].tolist()[:2] == [30.0, 15.0]
    assert t["overlap_pairs"].tolist() == [1, 1, 0]
    assert t["overlap_ha"].tolist() == [0.1, 0.2, 0.0]
    assert t["false_class_batches"].tolist() == [0, 1, 0]
    assert t["false_class_shortfall_ha"].tolist() == [0.0, 1.5, 0.0]
    assert t["false_class_fee_wan"].tolist() == [0.0, 24.0, 0.0]
    assert r.summary["farmland_wan_mu"] == pytest.approx(120 / 10_000)
    ledger = {ledger.name: ledger for ledger in r.ledgers}["retention"]
    assert ledger.frame[["county_code", "unit_kind"]].values.tolist() == [[A, "县区"], [Z1, "功能区"], [Z2, "功能区"]]
    assert list(ledger.columns) == list(ledger.frame.columns)
    assert "无任务" in report_section(r, "zh")


# --- the data gate ------------------------------------------------------------------------------
def test_the_gate_leaves_the_units_of_excluded_rows_undetermined(result):
    from landuse.campaigns._base import apply_gate, gate_error
    from landuse.model.schema import Problem

    units = pd.DataFrame({"county_code": [A, B, C]})
    problems = [Problem("batches", "P9", "approval_date", "error", "批准日期无法识别", "bad date", 9, None, B),
                Problem("idle", "X1", "area_ha", "error", "闲置土地不是本考核的图层", "not read", 3, None, C),
                Problem("survey", "#4", "dlbm", "warning", "只是警告", "a warning", 4, None, None)]
    gated = apply_gate(CAMPAIGN, result, problems, units)
    t = gated.counties
    assert t["data_complete"].tolist() == [True, False, True]
    assert t["retention_status"].tolist() == ["met", "undetermined", "below_target"]
    assert t["retention_met"].tolist()[0] is True
    assert pd.isna(t.at[B, "retention_met"])
    assert pd.isna(t.at[B, "below_redline"])
    assert t.at[B, "farmland_mu"] == 60.0             # the figures stay: only the verdict waits
    assert gated.summary["undetermined"] == [B]
    assert gated.columns["data_complete"] == ("数据完整", "data complete")
    err = gate_error(gated, units)
    assert "批次 1 行被排除" in err.zh
    assert "县B" not in err.zh
    assert f"县{B[-2:]}（{B}）" in err.zh
    assert gate_error(apply_gate(CAMPAIGN, result, problems[1:], units), units) is None


def test_the_gate_takes_a_zone_with_its_parent():
    from landuse.campaigns._base import CampaignResult as R
    from landuse.campaigns._base import apply_gate
    from landuse.model.schema import Problem

    units = pd.DataFrame({"county_code": [A, B, Z1], "parent_code": [None, None, A]})
    table = pd.DataFrame({"county_name": ["a", "b", "z"], "retention_met": pd.array([True, True, False]),
                          "below_redline": pd.array([False, False, True]),
                          "retention_status": ["met", "met", "below_redline"]},
                         index=pd.Index([A, B, Z1], name="county_code"))
    problem = Problem("survey", "#5", "dlbm", "error", "缺少地类编码", "no DLBM", 5, None, A)
    gated = apply_gate(CAMPAIGN, R("farmland", dt.date(2020, 6, 15), table, {}), [problem], units)
    assert gated.counties["data_complete"].tolist() == [False, True, False]
    assert gated.counties["retention_status"].tolist() == ["undetermined", "met", "undetermined"]


def test_cli_refuses_verdicts_from_a_survey_row_without_a_class(tmp_path):
    from tests.damaged import survey_no_class

    ws = survey_no_class(tmp_path)
    out = tmp_path / "out"
    args = ["assess", str(ws), "--rules", "zhumadian-2020-farmland", "--no-raster", "--out", str(out)]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 1
    assert "地类图斑 1 行被排除" in refused.output
    assert "地类编码" in refused.output
    assert "--accept-errors" in refused.output
    assert "Traceback" not in refused.output
    assert not (out / "counties.csv").exists()
    res = CliRunner().invoke(cli, [*args, "--accept-errors"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "counties.csv", dtype={"county_code": str}, encoding="utf-8-sig").set_index(
        "county_code")
    # The row's county is not known to the problem: every unit waits, figures stay.
    assert not table["data_complete"].any()
    assert table["retention_met"].isna().all()
    assert table["below_redline"].isna().all()
    assert set(table["retention_status"]) == {"undetermined"}
    assert table.loc["411724", "overlap_ha"] == 4.0
    assert "待定" in res.output
    problems = pd.read_csv(out / "problems.csv", encoding="utf-8-sig")
    bad = problems[problems["severity"] == "error"]
    assert bad[["layer", "field", "row"]].values.tolist() == [["survey", "dlbm", 2001]]


def test_the_report_section_says_undetermined_after_an_accepted_gate(result):
    from landuse.campaigns._base import apply_gate
    from landuse.model.schema import Problem

    problem = Problem("survey", "#4", "dlbm", "error", "缺少地类编码", "no DLBM", 4, None, None)
    gated = apply_gate(CAMPAIGN, result, [problem], pd.DataFrame({"county_code": [A, B, C]}))
    html = report_section(gated, "zh")
    assert "待定（数据有错误）" in html
    assert html.count("<td>待定</td>") == 3
    assert "undetermined (data errors)" in report_section(gated, "en")


def test_the_judge_decides_retention_and_the_red_line(result):
    # A: 29.4 亩 exactly at its target of 29.4 (met) and above its red line of 20; B: 60 against 90, below
    # its red line of 75; C: 15 against 20, above its red line of 10.
    retention, redline = result.tasks
    assert retention.frame["outcome"].tolist() == ["met", "not_met", "not_met"]
    assert redline.frame["outcome"].tolist() == ["met", "not_met", "met"]
    assert redline.frame["target"].tolist() == [20.0, 75.0, 10.0]


def test_quota_of_a_county_by_hand(result):
    from landuse.campaigns._base import unit_quota

    q = unit_quota(CAMPAIGN, result, B)
    assert q.tasks[["task", "comparator", "value", "threshold", "outcome"]].values.tolist() == [
        ["retention", ">=", 60.0, 90.0, "not_met"], ["redline", ">=", 60.0, 75.0, "not_met"]]
    assert q.effects["retention_status"][2] == "below_redline"
    assert q.effects["retention_gap_mu"][2] == 30.0
    assert q.effects["overlap_ha"][2] == 0.5
    assert q.measures["farmland_mu"][2] == 60.0


# --- damaged surveys and targets ------------------------------------------------------------
T2020 = dt.date(2020, 6, 15)
TARGET_A = {"county_code": A, "year": 2020, "retention_mu": 14, "redline_mu": 10, "basic_farmland_mu": 0}


def test_a_class_code_that_lost_its_leading_zero_is_still_farmland():
    # Through Excel 0101 became 101: every polygon was "not farmland" and A fell under its red line.
    ws = build(counties=counties(A, B), survey=[dltb(A, sq(0, 0), "101", year=2019)], farmland_targets=[TARGET_A])
    row = run(ws, RULES, T2020).counties.loc[A]
    assert row["farmland_mu"] == pytest.approx(15.0)
    assert row["retention_status"] == "met"


def test_a_survey_year_no_survey_can_have_is_an_error_and_left_out():
    # DLTB_2091 for DLTB_2019 was passed over silently: retention judged on the 2017 survey.
    ws = build(counties=counties(A, B), survey=[dltb(A, sq(0, 0), year=2017), dltb(A, sq(0, 0), "0702", year=2091)],
               farmland_targets=[TARGET_A])
    r = run(ws, RULES, T2020)
    (bad,) = [p for p in r.problems if p.severity == "error"]
    assert (bad.layer, bad.field) == ("survey", "year")
    assert bad.message.startswith("地类图斑的调查年度 2091 不可能（应不晚于 2021 年）")


def test_two_targets_for_one_county_and_year_are_an_error():
    ws = build(counties=counties(A, B), survey=[dltb(A, sq(0, 0), year=2019)],
               farmland_targets=[TARGET_A, {**TARGET_A, "retention_mu": 940581}])
    (bad,) = [p for p in ws.problems if p.severity == "error" and p.layer == "farmland_targets"]
    assert bad.field == "county_code"
    assert bad.message.startswith(f"编号重复：{A}、2020 已在第")


def test_the_survey_before_approval_is_the_latest_year_whatever_it_shows():
    # 2017: farmland; 2019: built-up over the same ground, no farmland anywhere. A batch approved
    # in 2020 is judged on 2019 (no farmland, nothing false), not on 2017 (1 ha short).
    ws = build(counties=counties(A, B),
               survey=[dltb(A, sq(0, 0, 400, 100), year=2017), dltb(A, sq(0, 0, 400, 100), "0702", year=2019)],
               batches=[{"batch_id": "P3", "county_code": A, "approval_date": "2020-01-10", "approver": "省政府",
                         "farmland_ha": 0.0, "geometry": sq(200, 0)}])
    ledger = next(x.frame for x in run(ws, RULES, T2020).ledgers if x.name == "false_class")
    assert ledger.empty or "P3" not in set(ledger["batch_id"])


@pytest.mark.parametrize("area", [{"TBDLMJ": 1.0}, {"TBDLMJ": -10_000.0}, {"TBDLMJ": None, "TBMJ": 10_000.0, "KCMJ": 100_000.0}])
def test_a_delivered_area_that_cannot_be_the_polygons_is_an_error_of_its_county(area):
    # TBDLMJ typed in 公顷 (1.0 for 10 000 m²), negative, or KCMJ over TBMJ moved 遂平县 from met
    # to below its red line, silently. The polygon is left out; its county's verdict waits.
    ws = build(counties=counties(A, B), survey=[dltb(A, sq(0, 0), year=2019, **area), dltb(B, sq(10_000, 0), year=2019)],
               farmland_targets=[TARGET_A])
    r = run(ws, RULES, T2020)
    (bad,) = [p for p in r.problems if p.severity == "error"]
    assert (bad.layer, bad.field, bad.county_code) == ("survey", "tbdlmj_m2", A)
    assert bad.message.startswith("1 个地类图斑的面积（TBDLMJ 或 TBMJ−KCMJ）不可能是其图形的面积")
    assert r.counties.loc[B, "farmland_mu"] == pytest.approx(15.0)


def test_a_survey_without_area_fields_is_measured_on_the_plane_and_says_so():
    ws = build(counties=counties(A, B), survey=[{"DLBM": "0101", "ZLDWDM": f"{A}1010010000000", "year": 2019,
                                                 "geometry": sq(0, 0)}], farmland_targets=[TARGET_A])
    r = run(ws, RULES, T2020)
    assert r.counties.loc[A, "farmland_mu"] == pytest.approx(15.0)
    (note,) = [p for p in r.problems if p.layer == "survey"]
    assert (note.severity, note.field) == ("warning", "tbdlmj_m2")


def test_a_retention_target_beyond_the_units_whole_area_is_an_error():
    # A's 10 km square is 10 000 ha = 150 000 亩; a target of 2 000 000 亩 (亩 read as 公顷, × 15)
    # cannot be kept: A's verdict waits, B's stands.
    ws = build(counties=counties(A, B), survey=[dltb(A, sq(0, 0), year=2019), dltb(B, sq(10_000, 0), year=2019)],
               farmland_targets=[{**TARGET_A, "retention_mu": 2_000_000},
                                 {**TARGET_A, "county_code": B, "retention_mu": 14}])
    r = run(ws, RULES, T2020)
    (bad,) = [p for p in r.problems if p.severity == "error"]
    assert (bad.layer, bad.field, bad.county_code) == ("farmland_targets", "retention_ha", A)
    assert bad.message.startswith(f"{A} 的耕地保有量目标 2,000,000.00 亩超过其全部土地面积 150,000.00 亩")


def test_a_survey_polygon_exported_twice_is_a_duplicate_key_error():
    ws = build(counties=counties(A, B), survey=[dltb(A, sq(0, 0), year=2019, BSM="4117020001"),
                                                dltb(A, sq(0, 0), year=2019, BSM="4117020001"),
                                                dltb(A, sq(200, 0), year=2017, BSM="4117020001")],
               farmland_targets=[TARGET_A])
    (bad,) = [p for p in ws.problems if p.layer == "survey" and p.severity == "error"]
    assert bad.field == "bsm"
    assert bad.message.startswith("编号重复：4117020001、2019 已在第")
    assert run(ws, RULES, T2020).counties.loc[A, "farmland_mu"] == pytest.approx(15.0)
