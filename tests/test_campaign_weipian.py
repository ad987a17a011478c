"""The 卫片执法 / 增违挂钩 campaign: its rule set, its result, its CLI run on the sample.

The sample figures are those ``scripts/make_change_layers.py --check`` computes
from the file with plain pandas (and ``layers/README.md`` records).
"""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from landuse._errors import RuleSetError
from landuse.campaigns import CAMPAIGNS
from landuse.campaigns.weipian import CAMPAIGN, WeipianRules, report_section, run
from landuse.cli import cli
from landuse.model.workspace import load_workspace, sample_workspace
from landuse.rules.model import load_ruleset

RULES = "zhumadian-2019-weipian"
BUNDLED = Path(__file__).resolve().parents[1] / "landuse" / "rules" / "rulesets" / f"{RULES}.toml"
COLUMNS = ["F_ha", "I_ha", "violation_ratio", "red_line_exceeded", "rectification_rate", "unrectified_ha",
           "plan_deduction_ha"]
#: Per county of the sample, as of 2020-06-30: F (ha), violation ratio, rectification rate, deduction (ha).
SAMPLE = {
    "411702": (22.4147, 0.3388, 0.3633, 7.7262),
    "411721": (18.1420, 0.0939, 0.7734, 0.7367),
    "411722": (12.7440, 0.2876, 0.1756, 5.8055),
    "411723": (17.0393, 0.1539, 0.0941, 4.0484),
    "411724": (20.9520, 0.2429, 0.6086, 2.6316),
    "411725": (27.0447, 0.1220, 0.2564, 3.1657),
    "411726": (16.1833, 0.2255, 0.3473, 5.0839),
    "411727": (14.3813, 0.3425, 0.2460, 5.9344),
    "411728": (15.9620, 0.0645, 0.8363, 0.2200),
    "411729": (18.2513, 0.2182, 0.2107, 5.2285),
}

#: The sample's functional zone and the county it is carved from (layers/README.md).
ZONE, PARENT = "411790", "411702"


def merged(table: pd.DataFrame) -> pd.DataFrame:
    """The table with the functional zone folded back into its parent county.

    SAMPLE holds the figures hand-checked per county before the zone was carved
    out of 驿城区: the zone and the rest of 驿城区 must add up to them.
    """
    table = table.copy()
    for col in ("F_ha", "I_ha", "illegal_ha", "rectified_ha", "unrectified_ha", "plan_deduction_ha"):
        if col in table:
            table.at[PARENT, col] = table.at[PARENT, col] + table.at[ZONE, col]
    table.at[PARENT, "violation_ratio"] = table.at[PARENT, "I_ha"] / table.at[PARENT, "F_ha"]
    if "illegal_ha" in table:
        table.at[PARENT, "rectification_rate"] = table.at[PARENT, "rectified_ha"] / table.at[PARENT, "illegal_ha"]
    return table.drop(index=ZONE)


@pytest.fixture(scope="module")
def sample_result():
    ws = load_workspace(required=("counties", "changes"), landcover=False)
    return run(ws, load_ruleset(RULES))


@pytest.fixture
def cli_run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def damaged_sample(folder: Path, row: int, **values: object) -> Path:
    """Copy the sample's counties and change layer into ``folder``, changing one change polygon."""
    src = sample_workspace()
    for path in src.glob("县区.*"):
        shutil.copy(path, folder / path.name)
    changes = gpd.read_file(src / "卫片图斑.gpkg", layer="卫片图斑")
    for name, value in values.items():
        changes[name] = changes[name].astype(object)
        changes.loc[row - 1, name] = value
    changes.to_file(folder / "卫片图斑.gpkg", layer="卫片图斑", driver="GPKG")
    return folder


# --- the rule set ---------------------------------------------------------------------------
def test_the_rule_set_is_dispatched_to_the_campaign() -> None:
    assert CAMPAIGNS["weipian"] == "landuse.campaigns.weipian"
    rules = load_ruleset(RULES)
    assert isinstance(rules, WeipianRules)
    assert (rules.round, rules.red_line, rules.deduct_per_ha, rules.deadline) == (
        2019, 0.15, 1.0, dt.date(2020, 6, 30))
    assert rules.deduct_local_choice
    assert rules.deadline_local_choice
    assert "20.6%" in rules.red_line_quote
    assert "38%" in rules.rectification_quote
    assert "增违挂钩" in rules.deduction_quote
    assert rules.plan_year == 2020
    assert CAMPAIGN.required == ("changes",)


@pytest.mark.parametrize(("old", "new", "match"), [
    ("ratio = 0.15", "ratio = 15", r"red_line\.ratio.*0\.15"),
    ("per_ha = 1.0", "per_ha = -1.0", r"deduction\.per_ha"),
    ('campaign = "weipian"', 'campaign = "weipan"', r"键 campaign.*weipian"),
    ("round = 2019", 'round = "2019"', r"键 round"),
    ("deadline = 2020-06-30", "deadline = 2018-06-30", r"deadline"),
    ("\nlocal_choice = true", "\nlocal_choise = true", r"deduction\.local_choise.*local_choice"),
])
def test_a_bad_rule_set_names_the_dotted_key(tmp_path: Path, old: str, new: str, match: str) -> None:
    text = BUNDLED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleSetError, match=match) as err:
        load_ruleset(path)
    assert "bad.toml" in err.value.en


# --- the result on the sample ---------------------------------------------------------------
def test_the_sample_figures_are_the_hand_checked_ones(sample_result) -> None:
    table = sample_result.counties
    assert list(table.columns[:9]) == ["county_name", "unit_kind", *COLUMNS]
    assert table.at[ZONE, "unit_kind"] == "功能区"
    table = merged(table)
    for code, (f, ratio, rate, cut) in SAMPLE.items():
        assert table.at[code, "F_ha"] == pytest.approx(f, abs=5e-5)
        assert table.at[code, "violation_ratio"] == pytest.approx(ratio, abs=5e-5)
        assert bool(table.at[code, "red_line_exceeded"]) is (ratio >= 0.15)
        assert table.at[code, "rectification_rate"] == pytest.approx(rate, abs=5e-5)
        assert table.at[code, "plan_deduction_ha"] == pytest.approx(cut, abs=5e-5)
    s = sample_result.summary
    assert s["city_violation_ratio"] == pytest.approx(0.2051, abs=5e-5)
    assert s["city_red_line_exceeded"] is True
    # The zone: all its 0.57 ha of farmland taken was taken illegally (100 %), then 汝南县.
    assert s["ranking"][:2] == [ZONE, "411727"]
    ranked = sample_result.counties.sort_values("violation_rank")
    assert ranked["violation_ratio"].is_monotonic_decreasing
    assert ranked["violation_rank"].tolist() == list(range(1, len(ranked) + 1))


def test_the_ledger_lists_every_illegal_change_of_the_round(sample_result) -> None:
    ledger = sample_result.ledgers[0]
    assert [zh for zh, _ in ledger.columns.values()][:2] == ["编号", "县区"]
    for title in ("面积（公顷）", "占用耕地（公顷）", "违法类型", "整改情况", "整改日期"):
        assert title in [zh for zh, _ in ledger.columns.values()]
    assert len(ledger.frame) == int(sample_result.counties["illegal_changes"].sum()) == 71
    assert ledger.frame["area_ha"].sum() == pytest.approx(61.5061, abs=1e-3)
    # Rectified after the date: listed as 已整改 with its date, but 未整改 at the date.
    late = ledger.frame[ledger.frame["rectified_date"] > "2020-06-30"]
    assert len(late) > 0
    assert set(late["status_at_T"]) == {"未整改"}


def test_map_layers_by_legality_rectification_and_red_line(sample_result) -> None:
    layers = {layer.name: layer for layer in sample_result.layers}
    assert set(layers) == {"weipian_legality", "weipian_rectification", "weipian_red_line"}
    assert len(layers["weipian_legality"].frame) == 300
    assert set(layers["weipian_legality"].frame["legality"]) <= set(layers["weipian_legality"].styles)
    assert len(layers["weipian_rectification"].frame) == 71
    red = layers["weipian_red_line"].frame.set_index("county_code")["red_line"]
    assert red["411727"] == "exceeded"
    assert red["411728"] == "below"
    assert layers["weipian_red_line"].frame.crs.to_epsg() == 4547


def test_the_report_section_ranks_and_escapes(sample_result) -> None:
    html = report_section(sample_result, "zh")
    assert "20.5%" in html
    assert "超过 15% 红线" in html
    assert html.index("汝南县") < html.index("驿城区") < html.index("遂平县")
    counties = sample_result.counties.copy()
    counties.loc["411727", "county_name"] = "<script>alert(1)</script>"
    evil = type(sample_result)(**{**sample_result.__dict__, "counties": counties})
    out = report_section(evil, "en")
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert "below the 15% red line" not in out


# --- the command line -----------------------------------------------------------------------
def test_assess_prints_the_red_line_table_and_writes_the_csvs(cli_run, tmp_path: Path) -> None:
    result = cli_run("assess", "--rules", RULES, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "红线 15%" in result.stdout
    assert "汝南县" in result.stdout
    assert "超过" in result.stdout
    counties = pd.read_csv(tmp_path / "counties.csv", encoding="utf-8-sig", dtype={"county_code": str})
    assert list(counties.columns[:11]) == ["county_code", "county_name", "unit_kind", *COLUMNS, "data_complete"]
    assert set(counties["data_complete"]) == {True}
    assert counties.set_index("county_code").loc["411723", "red_line_exceeded"]
    ledger = pd.read_csv(tmp_path / "weipian_illegal.csv", encoding="utf-8-sig")
    assert list(ledger.columns[:2]) == ["编号", "县区"]
    assert len(ledger) == 71
    again = cli_run("assess", "--rules", RULES, "--out", str(tmp_path))
    assert again.exit_code == 1
    assert "--overwrite" in again.stderr


def test_assess_as_of_an_earlier_date_counts_less_rectified(cli_run, tmp_path: Path) -> None:
    result = cli_run("assess", "--rules", RULES, "--as-of", "2019-12-31", "--out", str(tmp_path), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "red line 15%" in result.stdout
    counties = pd.read_csv(tmp_path / "counties.csv", encoding="utf-8-sig", dtype={"county_code": str})
    later = {code: v[2] for code, v in SAMPLE.items() if code != PARENT}
    earlier = counties.set_index("county_code")["rectification_rate"]
    assert all(earlier[c] <= later[c] + 1e-9 for c in later)
    assert earlier.sum() < sum(later.values())
    # The violation ratio does not depend on the date.
    assert counties.set_index("county_code").loc["411727", "violation_ratio"] == pytest.approx(0.3425, abs=5e-5)


def test_a_change_coded_to_a_county_it_does_not_touch_leaves_both_undetermined(cli_run, tmp_path: Path) -> None:
    # 41170220190029 (驿城区) coded 西平县: the code won, 西平县 crossed the red line with exit 0.
    (tmp_path / "ws").mkdir()
    ws = damaged_sample(tmp_path / "ws", 29, 行政区代码="411721")
    out = tmp_path / "out"
    result = cli_run("assess", str(ws), "--rules", RULES, "--out", str(out), "--accept-errors")
    assert result.exit_code == 0, result.output
    problems = pd.read_csv(out / "problems.csv", encoding="utf-8-sig")
    (bad,) = problems[problems["severity"] == "error"].to_dict("records")
    assert (bad["layer"], bad["field"], bad["row"]) == ("changes", "county_code", 29)
    assert bad["message"].startswith("行政区代码为 411721，图斑却整个位于 411702 内")
    counties = pd.read_csv(out / "counties.csv", encoding="utf-8-sig", dtype={"county_code": str})
    assert sorted(counties.loc[~counties["data_complete"], "county_code"]) == ["411702", "411721", "411790"]


def test_an_unknown_legality_in_the_sample_is_named_with_its_row(cli_run, tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    ws = damaged_sample(tmp_path / "ws", 5, 合法性="待核实")
    out = tmp_path / "out"
    # The gate: one message naming the layer and the count, nothing written.
    refused = cli_run("assess", str(ws), "--rules", RULES, "--out", str(out))
    assert refused.exit_code == 1
    assert "卫片图斑 1 行被排除" in refused.stderr
    assert "待核实" in refused.stderr
    assert "--accept-errors" in refused.stderr
    assert "Traceback" not in refused.output
    assert not (out / "counties.csv").exists()
    result = cli_run("assess", str(ws), "--rules", RULES, "--out", str(out), "--accept-errors")
    assert result.exit_code == 0, result.output
    assert "1 个错误" in result.stderr
    problems = pd.read_csv(out / "problems.csv", encoding="utf-8-sig")
    bad = problems[problems["severity"] == "error"]
    assert bad[["layer", "field", "row"]].values.tolist() == [["changes", "legality", 5]]
    assert "待核实" in bad["message"].iloc[0]
    assert "结论待定" in result.stdout
    counties = pd.read_csv(out / "counties.csv", encoding="utf-8-sig", dtype={"county_code": str})
    # The row is 驿城区's (411702): its verdict is undetermined (待定), with the zone carved from it
    # (411790), where the row may lie; the other units keep theirs (every unit's were blanked).
    undetermined = counties.loc[~counties["data_complete"], "county_code"].tolist()
    assert sorted(undetermined) == ["411702", "411790"]
    assert counties.loc[~counties["data_complete"], "red_line_exceeded"].isna().all()
    assert counties.loc[counties["data_complete"], "red_line_exceeded"].notna().all()
    assert "待定" in result.stdout


def test_a_workspace_without_changes_is_one_line_error(cli_run, tmp_path: Path) -> None:
    for path in sample_workspace().glob("县区.*"):
        shutil.copy(path, tmp_path / path.name)
    result = cli_run("assess", str(tmp_path), "--rules", RULES)
    assert result.exit_code == 1
    assert "changes" in result.stderr
    assert "Traceback" not in result.output


# --- 增存挂钩 then 增违挂钩 ------------------------------------------------------------------
def test_the_deduction_applies_after_the_multiplier(cli_run, tmp_path: Path) -> None:
    result = cli_run("assess", "--rules", "zhumadian-2018", "--rules", RULES, "--out", str(tmp_path),
                     "--no-raster")
    assert result.exit_code == 0, result.output
    assert "最终计划" in result.stdout
    counties = pd.read_csv(tmp_path / "counties.csv", encoding="utf-8-sig", dtype={"county_code": str})
    table = counties.set_index("county_code")
    assert merged(table)["plan_deduction_ha"].to_dict() == pytest.approx(
        {code: v[3] for code, v in SAMPLE.items()}, abs=5e-5)
    final = table["plan_next_ha"] - table["plan_deduction_ha"]
    assert table["plan_final_ha"].to_numpy() == pytest.approx(final.to_numpy(), abs=5e-5)
    # 汝南县 missed a 增存 task (× 0.80) and crossed the red line: 108.53 × 0.8 − 5.9344.
    assert table.at["411727", "plan_final_ha"] == pytest.approx(table.at["411727", "plan_base_ha"] * 0.8 - 5.9344,
                                                                abs=5e-4)
    assert (tmp_path / "weipian_illegal.csv").exists()
    assert (tmp_path / "batches.csv").exists()


def test_two_rule_sets_of_one_campaign_are_a_usage_error(cli_run) -> None:
    result = cli_run("assess", "--rules", "zhumadian-2018", "--rules", "mnr-2018")
    assert result.exit_code == 2
    assert "--rules" in result.stderr


# report and map run every campaign's rule set: see test_campaign_outputs.py
@pytest.mark.parametrize("command", [["candidates"], ["progress", "遂平县"]])
def test_the_zengcun_commands_refuse_a_weipian_rule_set_in_one_line(cli_run, command: list[str]) -> None:
    result = cli_run(*command, "--rules", RULES)
    assert result.exit_code == 2
    assert "landuse assess" in result.stderr
    assert "Traceback" not in result.output


def test_a_shapefile_workspace_with_english_names(cli_run, tmp_path: Path) -> None:
    # Two counties; changes as a shapefile whose DBF cuts the names to 10 characters.
    # A: legal 3 ha of farmland, illegal 1 ha (a 100 m square) rectified 2020-03-01: v = 25 %, rate 100 %.
    # B: legal 2 ha, illegal 2 ha (200 m × 100 m) rectified 2020-07-01, after the date: v = 50 %,
    #    rate 0, 2 ha unrectified and cut.
    from tests._ws import A, B, counties, sq

    with warnings.catch_warnings():  # the DBF cuts the names: that is the point
        warnings.simplefilter("ignore")
        gpd.GeoDataFrame(counties(A, B), geometry="geometry", crs=4547).to_file(tmp_path / "counties.shp",
                                                                                encoding="UTF-8")
    rows = [
        ("a1", A, sq(1_000, 1_000), "合法", 3.0, None, None),
        ("a2", A, sq(3_000, 1_000), "违法", 1.0, "已整改", "2020-03-01"),
        ("b1", B, sq(11_000, 1_000), "合法", 2.0, None, None),
        ("b2", B, sq(13_000, 1_000, 200, 100), "违法", 2.0, "已整改", "2020-07-01"),
    ]
    changes = gpd.GeoDataFrame(
        [{"change_id": c, "round": 2019, "county_code": k, "legality": lg, "farmland_ha": f,
          "new_construction": "是", "rectified": r, "rectified_date": d, "geometry": g}
         for c, k, g, lg, f, r, d in rows], geometry="geometry", crs=4547)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        changes.to_file(tmp_path / "changes.shp", encoding="UTF-8")
    out = tmp_path / "out"
    result = cli_run("assess", str(tmp_path), "--rules", RULES, "--as-of", "2020-06-30", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "counties.csv", encoding="utf-8-sig", dtype={"county_code": str}).set_index(
        "county_code")
    assert table.loc[A, COLUMNS].tolist() == pytest.approx([4.0, 1.0, 0.25, True, 1.0, 0.0, 0.0])
    assert table.loc[B, COLUMNS].tolist() == pytest.approx([4.0, 2.0, 0.5, True, 0.0, 2.0, 2.0])


# --- farmland measured from the land survey ---------------------------------------------------
def test_farmland_from_the_survey_takes_one_year_and_the_surveys_own_areas():
    from tests._ws import A, B, counties, sq
    from tests._ws import build as build_ws
    from tests.test_campaign_farmland import dltb

    def ch(cid, geom, legality="违法", **kw):
        return {"change_id": cid, "round": 2019, "county_code": A, "legality": legality, "geometry": geom, **kw}

    rules = load_ruleset("zhumadian-2019-weipian")
    # The same 1 ha of 0101 in the 2017 and the 2019 survey: the farmland before the round is
    # the 2017 one, once (it counted 2 ha, and the red line was crossed: 2/11 = 18 %).
    ws = build_ws(counties=counties(A, B), changes=[ch("a1", sq(0, 0)), ch("a2", sq(300, 0), "合法", farmland_ha=9.0)],
                  survey=[dltb(A, sq(0, 0), year=2017), dltb(A, sq(0, 0), "0702", year=2019)])
    row = run(ws, rules).counties.loc[A]
    assert (row["F_ha"], row["I_ha"]) == (pytest.approx(10.0), pytest.approx(1.0))
    assert row["violation_ratio"] == pytest.approx(0.1)
    assert not row["red_line_exceeded"]
    # A 1 ha polygon delivered as TBMJ 10 000 − KCMJ 400 m² = 0.96 ha: the change takes 0.96 ha
    # (as the 耕地保护 campaign counts it), not its plane area.
    ws = build_ws(counties=counties(A, B), changes=[ch("a1", sq(0, 0))],
                  survey=[dltb(A, sq(0, 0), "0103", TBDLMJ=None, TBMJ=10_000.0, KCMJ=400.0, year=2018)])
    assert run(ws, rules).counties.loc[A, "I_ha"] == pytest.approx(0.96)
