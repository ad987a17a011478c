"""The verdict gate and the outputs: no confident verdict from damaged data, outputs written as a set.

Damaged copies of the sample are built here in ``tmp_path`` by a tiny editor of
its ``批次.gpkg``; the clean sample's verdicts are computed at test time, so a
figure of the sample may change on purpose without touching these tests.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

import landuse.io.files
from landuse import load_workspace
from landuse._errors import DataIncompleteError, OutputWriteError, RuleSetError
from landuse.campaigns.zengcun.assessment import TABLE_FILES, assess, deciding_layers
from landuse.cli import cli
from landuse.io.files import output_set, write_csv
from landuse.model.workspace import sample_workspace
from landuse.rules.model import load_ruleset

sys.path.insert(0, str(Path(__file__).parent))
import damaged as damaged_copies

RULES = load_ruleset("zhumadian-2018")
AS_OF = "2018-12-31"
LATE_BATCH_COUNTY = "411721"  # 西平县 (a batch of 驿城区 may lie in the functional zone carved from it)


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def damaged(tmp_path: Path, county: str, field: str, value: object, *, nth: int = 3) -> tuple[Path, str]:
    """A copy of the sample whose ``nth`` batch of ``county`` has ``field`` set to ``value``.

    Returns the workspace folder and the batch's id.
    """
    ws = tmp_path / "ws"
    shutil.copytree(sample_workspace(), ws)
    path = ws / "批次.gpkg"
    layer = pyogrio.list_layers(path)[0][0]
    frame = pyogrio.read_dataframe(path, layer=layer)
    row = frame.index[frame["行政区代码"] == county][nth]
    frame.loc[row, field] = value
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")
    return ws, str(frame.loc[row, "批次编号"])


def counties_csv(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "counties.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("clean")
    result = CliRunner().invoke(cli, ["assess", "--as-of", AS_OF, "--no-raster", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return counties_csv(out).set_index("county_code")


# --- the gate ----------------------------------------------------------------------------------
def test_the_rule_sets_deciding_layers_come_from_its_tasks():
    assert set(deciding_layers(RULES)) == {"workspace", "counties", "quotas", "batches", "supplies",
                                           "revocations", "idle"}


def test_a_batch_dated_2099_is_refused_in_one_message_and_nothing_is_written(run, tmp_path):
    ws, _ = damaged(tmp_path, LATE_BATCH_COUNTY, "批准日期", "2099-05-01")
    out = tmp_path / "out"
    result = run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        "错误：数据不完整，不能给出考核结论：批次 1 行被排除（批准日期 2099-05-01 晚于 2019-12-31"
        "（考核日期及规则集截止日期之后一年），疑为录入错误；该行不参与计算，请核对后更正）。"
        "受影响：西平县（411721）。请用 landuse check 查看并修正后重算；如需照样出具结果"
        "（受影响县区标为“待定”），加 --accept-errors")
    assert not out.exists()
    english = run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--lang", "en")
    assert english.exit_code == 1
    assert "error: data incomplete, no verdict given: approval batches: 1 rows excluded" in english.stderr
    assert "Affected: 411721 西平县" in english.stderr


def test_a_row_coded_to_a_county_leaves_its_functional_zone_undetermined_too(run, tmp_path, clean):
    # 411702-2011-002 is coded 驿城区 (411702) but lies in 驻马店示范区 (411790), the zone carved
    # from it, where it counts. Its unreadable date kept it out: the zone lost a batch, so the
    # zone's verdict is as unsure as the county's (it was given with confidence before).
    ws = damaged_copies.batches_zone_date_unreadable(tmp_path)
    out = tmp_path / "out"
    refused = run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out))
    assert refused.exit_code == 1
    assert "受影响：驿城区（411702）、驻马店示范区（411790）。" in refused.stderr
    assert not out.exists()
    result = run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out), "--accept-errors")
    assert result.exit_code == 0, result.output
    got = counties_csv(out).set_index("county_code")
    assert sorted(got.index[got["data_complete"] == "false"]) == ["411702", "411790"]
    assert set(got.loc[["411702", "411790"], "outcome"]) == {"undetermined"}
    assert (got.loc[["411702", "411790"], "plan_next_ha"] == "").all()
    others = got.drop(index=["411702", "411790"])
    assert (others["outcome"] == clean.drop(index=["411702", "411790"])["outcome"]).all()


def test_a_parcel_next_to_the_batch_it_names_is_named_not_silently_dropped(tmp_path):
    # A parcel whose box overlaps its batch's but which reaches no part of it added nothing to
    # the batch, and nothing said so. It stays a warning: the gap may be a drawing slip, and
    # the parcel was read; the analyst sees the batch lose it.
    ws = damaged_copies.supplies_next_to_their_batch(tmp_path)
    a = assess(load_workspace(ws), RULES, AS_OF, raster=False)
    p = a.problems
    (hit,) = p[p["message"].str.contains("不相交")].to_dict("records")
    # The square's lower right corner (x0 + 100, y1 - 100) to the batch's top edge, through its
    # corners (503063.58, 3687010.07) and (503265.41, 3687072.88): 3.39 m.
    (ax, ay), (bx, by) = (503063.58, 3687010.07), (503265.41, 3687072.88)
    px, py = 503063.58 + 100, 3687144.75 - 100
    gap = abs((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    assert f"{gap:.1f}" == "3.4"
    assert (hit["feature_id"], hit["severity"], hit["row"], hit["county_code"]) == (
        "4117212013B00000003", "warning", 108, "411721")
    assert hit["message"] == ("供地图形与所填批次 411721-2012-003 的图形不相交（相距 3.4 米）：该宗供地不计入"
                              "该批次的供地面积，请核对批次编号或图形")
    batch = a.batches.set_index("batch_id").loc["411721-2012-003"]
    assert batch["supplied_ha"] == pytest.approx(18.2081 - 6.4364, abs=1e-3)  # the parcel's 6.4364 ha lost
    clean = assess(load_workspace(), RULES, AS_OF, raster=False)
    assert not clean.problems["message"].str.contains("不相交").any()


def test_the_late_batch_is_an_error_naming_row_and_field(tmp_path):
    ws, batch = damaged(tmp_path, LATE_BATCH_COUNTY, "批准日期", "2099-05-01")
    a = assess(load_workspace(ws), RULES, AS_OF, raster=False)
    late = [p for p in a.excluded if p.feature_id == batch]
    assert len(late) == 1
    assert (late[0].layer, late[0].field, late[0].severity, late[0].county_code) == (
        "batches", "approval_date", "error", LATE_BATCH_COUNTY)
    assert late[0].row is not None
    assert late[0].row > 0
    assert batch not in set(a.batches["batch_id"])
    assert list(a.undetermined) == [LATE_BATCH_COUNTY]
    with pytest.raises(DataIncompleteError, match="--accept-errors"):
        a.gate()
    a.gate(accept_errors=True)  # goes on


def test_accept_errors_marks_exactly_the_affected_county(run, tmp_path, clean):
    ws, _ = damaged(tmp_path, LATE_BATCH_COUNTY, "批准日期", "2099-05-01")
    out = tmp_path / "out"
    result = run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out), "--accept-errors")
    assert result.exit_code == 0, result.output
    assert "待定（数据不完整）" in result.stdout
    assert "数据不完整：1 个县区待定" in result.stdout
    got = counties_csv(out).set_index("county_code")
    assert list(got.index[got["data_complete"] == "false"]) == [LATE_BATCH_COUNTY]
    bad = got.loc[LATE_BATCH_COUNTY]
    assert bad["outcome"] == "undetermined"
    assert (bad["plan_next_ha"], bad["plan_multiplier"], bad["rank"], bad["ranking"]) == ("", "", "", "")
    assert bad["suspended"] == "false"
    assert (bad["scale_treatment"], bad["devzone_treatment"]) == ("", "")
    others = got.drop(index=LATE_BATCH_COUNTY)
    before = clean.drop(index=LATE_BATCH_COUNTY)
    assert (others["data_complete"] == "true").all()
    for col in ("outcome", "plan_next_ha", "suspended", "T2_rate", "T3_rate", "T4_rate", "combined_disposal_rate"):
        assert others[col].to_dict() == before[col].to_dict(), col
    # The others are ranked among themselves, in the clean order.
    order = before[before["rank"] != ""]["rank"].astype(int).sort_values().index.tolist()
    assert others["rank"].astype(int).sort_values().index.tolist() == order
    assert sorted(others["rank"].astype(int)) == list(range(1, len(order) + 1))
    assert (others["ranking"] == "commend").sum() == RULES.ranking.commend
    assert (others["ranking"] == "criticize").sum() == RULES.ranking.criticize


def test_a_batch_without_approval_date_leaves_its_county_or_every_county_undetermined(run, tmp_path):
    ws, batch = damaged(tmp_path, "411728", "批准日期", None)
    refused = run("quota", "遂平县", str(ws), "--as-of", AS_OF, "--no-raster")
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert "批次 1 行被排除" in refused.stderr
    assert "--accept-errors" in refused.stderr
    errors = [p for p in load_workspace(ws).problems if p.severity == "error"]
    assert [p.feature_id for p in errors] == [batch]
    # The loader names the county when it can place the row; without it every county is affected.
    expected = [errors[0].county_code] if errors[0].county_code else None
    out = tmp_path / "out"
    result = run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out), "--accept-errors")
    assert result.exit_code == 0, result.output
    got = counties_csv(out)
    undetermined = got.loc[got["data_complete"] == "false", "county_code"].tolist()
    assert undetermined == (expected or got["county_code"].tolist())
    assert set(got.loc[got["data_complete"] == "false", "outcome"]) == {"undetermined"}
    assert "411728" in undetermined
    quota = run("quota", "遂平县", str(ws), "--as-of", AS_OF, "--no-raster", "--accept-errors")
    assert quota.exit_code == 0
    assert "结果（数据不完整，见 landuse check）：待定" in quota.stdout


@pytest.mark.parametrize("command", ["report", "map"])
def test_report_and_map_refuse_damaged_data_and_write_nothing(run, tmp_path, command):
    ws, _ = damaged(tmp_path, LATE_BATCH_COUNTY, "批准日期", "2099-05-01")
    out = tmp_path / "out" / ("outcome.html" if command == "map" else "")
    result = run(command, str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out))
    assert result.exit_code == 1
    assert "数据不完整" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_map_and_the_png_say_data_incomplete(run, tmp_path):
    from landuse.output import figures

    ws, _ = damaged(tmp_path, LATE_BATCH_COUNTY, "批准日期", "2099-05-01")
    out = tmp_path / "map.html"
    result = run("map", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out), "--accept-errors")
    assert result.exit_code == 0, result.output
    assert "（数据不完整：1 个县区待定）" in out.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".landuse-staging-*"))
    a = assess(load_workspace(ws), RULES, AS_OF, raster=False)
    fig = figures.outcome_figure(a)
    assert any("（数据不完整：1 个县区待定）" in t.get_text() for t in fig.texts)


def test_as_of_before_the_rule_sets_period_is_refused(run, tmp_path):
    out = tmp_path / "out"
    result = run("assess", "--as-of", "1990-01-01", "--no-raster", "--out", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"错误：考核日期 1990-01-01 早于规则集“{RULES.name}”的考核范围（最早的批准日期范围始于 2009-01-01）："
        "此前没有任何考核任务，不能排名或奖惩；请给出 2009-01-01 之后的日期（例如截止日期 2018-12-31）")
    assert not out.exists()
    with pytest.raises(RuleSetError):
        assess(load_workspace(), RULES, "2008-12-31", raster=False)
    # The first day of the earliest window is inside the period.
    assert len(assess(load_workspace(), RULES, "2009-01-01", raster=False).counties) == 11


# --- outputs -----------------------------------------------------------------------------------
def test_report_into_a_folder_of_assess_tables_is_refused_before_computing(run, tmp_path, monkeypatch):
    import landuse.cli.commands

    assert run("assess", "--as-of", AS_OF, "--no-raster", "--out", str(tmp_path)).exit_code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def no_computing(*_args, **_kwargs):
        raise AssertionError("computed before refusing")

    monkeypatch.setattr(landuse.cli.commands, "assess", no_computing)
    result = run("report", "--as-of", "2018-10-31", "--no-raster", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "--overwrite" in result.stderr
    assert "counties.csv" in result.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_read_only_folder_is_refused_before_computing(run, tmp_path, monkeypatch):
    real = os.access
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != locked and real(p, mode, **kw))
    result = run("assess", "--no-raster", "--out", str(locked / "out"))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"错误：没有写入权限：{locked}（只读文件或文件夹）：请用 --out 换一个可写的文件夹，或修改权限")
    assert "内部错误" not in result.stderr
    assert list(locked.iterdir()) == []


def test_an_output_under_a_file_is_refused(run, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run("map", "--no-raster", "--out", str(blocker / "map.html"))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"错误：无法写出 {blocker / 'map.html'}：{blocker} 不是文件夹"


def test_a_full_disk_midway_leaves_the_previous_set_whole(run, tmp_path, monkeypatch):
    assert run("assess", "--as-of", "2018-10-31", "--no-raster", "--out", str(tmp_path)).exit_code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert sorted(before) == sorted(TABLE_FILES)
    written = []
    real = landuse.io.files.write_csv

    def full(frame, target, **kwargs):
        written.append(Path(target).name)
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(frame, target, **kwargs)

    monkeypatch.setattr("landuse.campaigns.zengcun.assessment.write_csv", full)
    result = run("assess", "--as-of", AS_OF, "--no-raster", "--out", str(tmp_path), "--overwrite")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"错误：磁盘空间不足，无法写出 {tmp_path}：请腾出空间或用 --out 换一个位置；原有的输出文件未改动")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no staging folder left


def test_a_failure_while_moving_the_set_in_puts_the_old_files_back(tmp_path, monkeypatch):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(f"old {name}")
    real = os.replace
    moved = []

    def flaky(src, dst):
        if Path(dst).parent == tmp_path and Path(src).parent.name.startswith(".landuse-staging-"):
            moved.append(Path(dst).name)
            if len(moved) == 3:
                raise OSError(errno.EIO, "Input/output error")
        return real(src, dst)

    def write_set() -> None:
        with output_set(tmp_path, ["a.txt", "b.txt", "c.txt"], overwrite=True) as stage:
            for name in ("a.txt", "b.txt", "c.txt"):
                (stage / name).write_text(f"new {name}")

    monkeypatch.setattr(landuse.io.files.os, "replace", flaky)
    with pytest.raises(OutputWriteError, match="Input/output error"):
        write_set()
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "a.txt": "old a.txt", "b.txt": "old b.txt", "c.txt": "old c.txt"}


def test_a_report_that_fails_midway_leaves_the_previous_report_whole(run, tmp_path, monkeypatch):
    old = tmp_path / "report"
    old.mkdir()
    names = ["index.html", "ledgers.xlsx", "outcome.png", "results.gpkg", "progress.png", *TABLE_FILES]
    for name in names:
        (old / name).write_bytes(f"previous {name}".encode())

    def broken(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("landuse.output.report.write_text", broken)  # index.html, the last report file
    result = run("report", "--as-of", AS_OF, "--no-raster", "--out", str(old), "--overwrite")
    assert result.exit_code == 1
    assert "磁盘空间不足" in result.stderr
    assert "内部错误" not in result.stderr
    assert {p.name: p.read_bytes() for p in old.iterdir()} == {n: f"previous {n}".encode() for n in names}


# --- formula-safe CSV --------------------------------------------------------------------------
FORMULAS = ['=HYPERLINK("http://x/?"&A1,"点击")', "=cmd|' /C calc'!A0", "+1+2", "-x", "@SUM(A1)",
            "\tfoo", "\rbar"]


@pytest.mark.parametrize("single", [False, True])
def test_formula_cells_are_written_as_text(tmp_path, single):
    plain = ["-5", "+1.5e3", "-0.25", "a=b", "遂平县", "", "—"]
    frame = pd.DataFrame({"name": FORMULAS + plain})
    if not single:  # two columns: the Arrow writer; one column: pandas'
        frame["n"] = range(len(frame))
    path = write_csv(frame, tmp_path / "x.csv")
    # The cells pandas writes, with a leading ' on each formula.
    expected = frame.assign(name=["'" + f for f in FORMULAS] + plain).astype(str)
    back = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_a_formula_in_a_batch_name_reaches_the_csv_as_text(run, tmp_path):
    ws, batch = damaged(tmp_path, "411728", "批次名称", "=cmd|' /C calc'!A0")
    out = tmp_path / "out"
    assert run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out)).exit_code == 0
    batches = pd.read_csv(out / "batches.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert batches.loc[batches["batch_id"] == batch, "batch_name"].tolist() == ["'=cmd|' /C calc'!A0"]
    for name in TABLE_FILES:
        text = (out / name).read_text(encoding="utf-8-sig")
        cells = [c.strip('"') for line in text.splitlines() for c in line.split(",")]
        assert not [c for c in cells if c[:1] in ("=", "@")], name


def test_a_report_with_accept_errors_carries_the_banner(run, tmp_path):
    ws, _ = damaged(tmp_path, LATE_BATCH_COUNTY, "批准日期", "2099-05-01")
    out = tmp_path / "report"
    result = run("report", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out), "--accept-errors")
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text(encoding="utf-8")
    assert ('<div class="warn" id="data-incomplete">数据不完整：错误使部分数据未参与计算，1 个县区结果“待定”，'
            "不给出奖惩和排名；详见“数据问题”</div>") in page
    assert '<span class="badge undetermined">待定（数据不完整）</span>' in page
    got = counties_csv(out)
    assert got.loc[got["data_complete"] == "false", "county_code"].tolist() == [LATE_BATCH_COUNTY]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["index.html", "ledgers.xlsx", "outcome.png", "results.gpkg", "progress.png", *TABLE_FILES])


def test_a_failed_set_into_a_new_folder_leaves_no_folder(tmp_path):
    out = tmp_path / "new" / "folder"

    def write_set() -> None:
        with output_set(out, ["a.txt", "b.txt"]) as stage:
            (stage / "a.txt").write_text("a")
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputWriteError, match="磁盘空间不足"):
        write_set()
    assert not out.exists()


def test_the_staging_folder_of_a_killed_run_is_removed_by_the_next_run(tmp_path):
    # A run killed (SIGKILL) while writing leaves its hidden staging folder; the next run on
    # this machine removes it. A folder of a run still going, or of another machine, stays.
    import signal
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import os, time
        from landuse.io.files import output_set
        with output_set({str(tmp_path)!r}, ["a.txt"]) as stage:
            (stage / "a.txt").write_text("half")
            print("ready", flush=True)
            time.sleep(60)
    """)
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1
    assert left[0].startswith(f".landuse-staging-{landuse.io.files._host()}-{proc.pid}-")
    # Another machine's staging folder, and one of a live process (this test's parent).
    (tmp_path / ".landuse-staging-otherhost-1-abc").mkdir()
    (tmp_path / f".landuse-staging-{landuse.io.files._host()}-{os.getppid()}-abc").mkdir()

    with output_set(tmp_path, ["a.txt"]) as stage:
        (stage / "a.txt").write_text("whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        ".landuse-staging-otherhost-1-abc", f".landuse-staging-{landuse.io.files._host()}-{os.getppid()}-abc",
        "a.txt"])
    assert (tmp_path / "a.txt").read_text() == "whole"


# --- rows coded to one unit and lying in another -------------------------------------------------
@pytest.mark.parametrize(("case", "affected", "marked"), [
    # 正阳县's batch coded 确山县 went with the code: 正阳县 turned from a penalty to an award
    # (a warning, "以属性为准"); an idle row coded 汝南县 whose parcel is 西平县's moved 西平县's
    # task there, silently (西平县 from an award to a penalty).
    ("batches_code_of_another_county", "受影响：正阳县（411724）、确山县（411725）。", ["411724", "411725"]),
    ("idle_code_of_another_county", "受影响：西平县（411721）、汝南县（411727）。", ["411721", "411727"]),
    # Two 西平县 parcels naming 平舆县 batches left out (one far from its batch, one with an
    # unreadable date): 平舆县, whose batches lost them, was given a confident verdict.
    ("supplies_naming_another_countys_batch", "受影响：西平县（411721）、平舆县（411723）。",
     ["411721", "411723"]),
])
def test_a_row_coded_to_one_unit_and_lying_in_another_stops_both(run, tmp_path, clean, case, affected, marked):
    ws = damaged_copies.CASES[case](tmp_path)
    out = tmp_path / "out"
    refused = run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out))
    assert refused.exit_code == 1
    assert affected in refused.stderr
    assert not out.exists()
    result = run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out), "--accept-errors")
    assert result.exit_code == 0, result.output
    got = counties_csv(out).set_index("county_code")
    assert sorted(got.index[got["data_complete"] == "false"]) == marked
    assert (got.drop(index=marked)["outcome"] == clean.drop(index=marked)["outcome"]).all()


# --- rows of a county no unit has: the gate, not a confident verdict ----------------------------
@pytest.mark.parametrize(("case", "affected", "marked"), [
    # The row lies in 正阳县 / 平舆县: that county is the one that lost it (the verdict flipped
    # from penalty to award, and from award to penalty, with exit 0 before).
    ("batches_county_typo", "受影响：正阳县（411724）。", ["411724"]),
    ("supplies_county_typo", "受影响：平舆县（411723）。", ["411723"]),
    # The idle ledger has no geometry: the row may be any county's.
    ("idle_county_typo", "受影响：全部 11 个县区。", None),
    # The counties layer itself wrong: 正阳县's rows belong to no unit, a stray unit 411742 has none.
    ("counties_code_typo", "受影响：全部 11 个县区。", None),
    ("counties_missing_one", "受影响：全部 10 个县区。", None),
    # A zone of no kind, or far from its parent: which unit a feature counts for is unsure.
    ("counties_zone_kind_blank", "受影响：全部 11 个县区。", None),
    ("counties_zone_parent_typo", "受影响：全部 11 个县区。", None),
])
def test_a_row_of_a_county_no_unit_has_stops_the_verdicts(run, tmp_path, clean, case, affected, marked):
    ws = damaged_copies.CASES[case](tmp_path)
    out = tmp_path / "out"
    refused = run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out))
    assert refused.exit_code == 1
    assert affected in refused.stderr
    assert not out.exists()
    result = run("assess", str(ws), "--as-of", AS_OF, "--no-raster", "--out", str(out), "--accept-errors")
    assert result.exit_code == 0, result.output
    got = counties_csv(out).set_index("county_code")
    undetermined = sorted(got.index[got["data_complete"] == "false"])
    assert undetermined == (marked if marked is not None else sorted(got.index))
    assert set(got.loc[undetermined, "outcome"]) == {"undetermined"}
    if marked is not None:  # the other counties keep their clean verdicts
        assert (got.drop(index=marked)["outcome"] == clean.drop(index=marked)["outcome"]).all()
