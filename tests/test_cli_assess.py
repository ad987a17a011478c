"""The assessment commands on the bundled sample: assess, quota, candidates, report, map, progress, rules."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from landuse.cli import cli


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_assess_writes_the_tables_with_bom(run, tmp_path):
    result = run("assess", "--as-of", "2018-12-31", "--out", str(tmp_path), "--no-raster")
    assert result.exit_code == 0, result.output
    assert "遂平县" in result.stdout
    assert "奖励" in result.stdout
    raw = (tmp_path / "counties.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    counties = pd.read_csv(tmp_path / "counties.csv", encoding="utf-8-sig", dtype={"county_code": str})
    head = ["county_code", "county_name"]
    for tid in ("T1", "T2", "T3", "T4"):
        head += [f"{tid}_rate", f"{tid}_target", f"{tid}_met", f"{tid}_gap_ha"]
    head += ["tasks_met", "outcome", "plan_base_ha", "plan_next_ha", "suspended",
             "combined_disposal_rate", "rank", "ranking"]
    assert list(counties.columns[: len(head)]) == head
    assert len(counties) == 11
    assert set(counties["outcome"]) == {"award", "penalty"}
    assert set(counties["T2_met"].astype(str)) <= {"True", "False", "true", "false"}
    for name in ("batches", "idle", "candidates", "problems"):
        assert (tmp_path / f"{name}.csv").exists()
    problems = pd.read_csv(tmp_path / "problems.csv", encoding="utf-8-sig")
    assert list(problems.columns[:5]) == ["layer", "feature_id", "field", "severity", "message"]


def test_assess_refuses_to_overwrite(run, tmp_path):
    assert run("assess", "--out", str(tmp_path), "--no-raster").exit_code == 0
    again = run("assess", "--out", str(tmp_path), "--no-raster")
    assert again.exit_code == 1
    assert "--overwrite" in again.stderr
    assert "Traceback" not in again.output


def test_bad_date_is_a_usage_error(run):
    result = run("assess", "--as-of", "last tuesday")
    assert result.exit_code == 2
    assert "--as-of" in result.stderr


def test_unknown_rules_and_county_are_one_line_errors(run):
    result = run("assess", "--rules", "nowhere-2099")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    result = run("quota", "火星县")
    assert result.exit_code == 1
    assert "火星县" in result.stderr
    assert "Traceback" not in result.output


def test_quota_shows_gaps_days_and_project_kind(run):
    result = run("quota", "泌阳县", "--project-kind", "重大民生项目", "--no-raster")
    assert result.exit_code == 0, result.output
    assert "未达标" in result.stdout
    assert "亩" in result.stdout
    assert "暂停受理" in result.stdout
    assert "重大民生项目：可以申请" in result.stdout
    ordinary = run("quota", "411726", "--project-kind", "商业开发", "--no-raster", "--lang", "en")
    assert "商业开发: suspended" in ordinary.stdout
    # Before the deadline nothing is missed yet: it may apply, and is told what is coming.
    early = run("quota", "411726", "--project-kind", "商业开发", "--no-raster", "--as-of", "2018-10-31")
    assert early.exit_code == 0, early.output
    assert "如到截止日仍未完成，新增建设用地申请将暂停受理" in early.stdout
    assert "商业开发：可以申请（如到截止日仍未完成，将暂停受理）" in early.stdout


def test_candidates_sample_is_reproducible(run, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for target in (a, b):
        result = run("candidates", "--sample", "2", "--seed", "7", "--out", str(target), "--no-raster")
        assert result.exit_code == 0, result.output
    assert a.read_bytes() == b.read_bytes()
    frame = pd.read_csv(a, encoding="utf-8-sig")
    assert set(frame["kind"]) <= {"lapse", "withdraw", "reduce", "used_before_supply", "suspected_idle"}


def test_report_writes_every_file(run, tmp_path):
    out = tmp_path / "report"
    result = run("report", "--out", str(out), "--no-raster", "-q")
    assert result.exit_code == 0, result.output
    for name in ("index.html", "ledgers.xlsx", "outcome.png", "progress.png", "results.gpkg",
                 "counties.csv"):
        assert (out / name).stat().st_size > 0, name


def test_map_and_progress_and_rules(run, tmp_path):
    html = tmp_path / "m.html"
    assert run("map", "--out", str(html), "--no-raster").exit_code == 0
    assert html.stat().st_size > 10_000
    progress = run("progress", "遂平县", "--out", str(tmp_path / "p.png"))
    assert progress.exit_code == 0, progress.output
    assert "2018-09-30" in progress.stdout
    assert (tmp_path / "p.png").exists()
    rules = run("rules", "zhumadian-2018", "--lang", "en")
    assert "T1" in rules.stdout
    assert "milestone" in rules.stdout


@pytest.mark.parametrize("command", ["assess", "report", "map", "quota"])
def test_the_verdict_commands_offer_accept_errors(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "--accept-errors" in result.stdout


def test_the_clean_sample_is_complete(run, tmp_path):
    result = run("assess", "--as-of", "2018-12-31", "--out", str(tmp_path), "--no-raster")
    assert result.exit_code == 0, result.output
    assert "待定" not in result.stdout
    counties = pd.read_csv(tmp_path / "counties.csv", encoding="utf-8-sig", dtype=str)
    assert set(counties["data_complete"]) == {"true"}
    assert list(counties.columns).index("data_complete") == list(counties.columns).index("outcome_final") + 1


def test_the_table_says_so_when_the_rule_set_ranks_nobody(run):
    # mnr-2018 has no disposal task: nobody has a combined disposal rate, so nobody is ranked.
    national = run("assess", "--rules", "mnr-2018", "--no-raster")
    assert national.exit_code == 0, national.output
    assert "无排名：各县区均无综合处置率" in national.stdout
    assert "排名依据" not in national.stdout
    city = run("assess", "--no-raster")
    assert "排名依据：综合处置率" in city.stdout
