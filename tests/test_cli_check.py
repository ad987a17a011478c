"""``landuse check``, and the behaviour every command shares (exit codes, errors, --lang)."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner

import landuse.model.workspace
from landuse.cli import cli, main


@pytest.fixture
def run(monkeypatch):
    """Run ``landuse ARGS`` and return click's result (stdout and stderr apart)."""
    monkeypatch.delenv("LANDUSE_LANG", raising=False)

    def invoke(*args, env=None):
        return CliRunner().invoke(cli, [str(a) for a in args], env=env)

    return invoke


@pytest.fixture
def broken(make_workspace, layers):
    """A workspace with one error (a batch with an unreadable date) and one warning."""
    layers["batches"][1]["approval_date"] = "去年"
    layers["batches"][0]["approver"] = "市政府"
    return make_workspace(layers)


def test_healthy_workspace_exits_0(run, make_workspace):
    result = run("check", make_workspace())
    assert result.exit_code == 0, result.output
    # No problem table; only the rows per layer (read = used + excluded).
    assert "数据问题" not in result.stdout
    batches = next(line for line in result.stdout.splitlines() if "workspace.gpkg:batches" in line)
    assert [c.strip() for c in batches.split("│")[3:7]] == ["2", "2", "2", "0"]
    assert result.stderr.strip() == "没有发现问题"


def test_errors_exit_1_with_a_table_on_stdout(run, broken):
    result = run("check", broken)
    assert result.exit_code == 1
    out = result.stdout
    for text in (
        "图层",
        "要素",
        "字段",
        "级别",
        "说明",
        "B2",
        "approval_date",
        "错误",
        "去年",
        "B1",
        "approver",
        "警告",
        "批次",
    ):
        assert text in out
    assert out.index("去年") < out.index("市政府")  # errors first
    assert result.stderr.strip() == "共 3 个问题：1 个错误，2 个警告"
    assert "Traceback" not in result.output


def test_warnings_only_exit_0(run, make_workspace, layers):
    layers["idle"][0]["cause"] = "天灾"
    result = run("check", make_workspace(layers))
    assert result.exit_code == 0
    assert "天灾" in result.stdout
    assert "0 个错误，1 个警告" in result.stderr


@pytest.mark.parametrize("where", ["group", "command", "env"])
def test_english(run, broken, where):
    args = {
        "group": ("--lang", "en", "check", broken),
        "command": ("check", broken, "--lang", "en"),
        "env": ("check", broken),
    }[where]
    result = run(*args, env={"LANDUSE_LANG": "en"} if where == "env" else None)
    assert result.exit_code == 1
    for text in (
        "layer",
        "feature",
        "severity",
        "message",
        "error",
        "warning",
        "approval_date",
        "is not a date",
    ):
        assert text in result.stdout
    assert "图层" not in result.stdout
    assert result.stderr.strip() == "3 problems: 1 error, 2 warnings"


def test_command_option_overrides_the_environment(run, broken):
    result = run("check", broken, "--lang", "zh", env={"LANDUSE_LANG": "en"})
    assert "图层" in result.stdout


def test_csv_format(run, broken):
    result = run("check", broken, "--format", "csv", "--lang", "en")
    assert result.exit_code == 1
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert frame.columns.tolist() == [
        "layer",
        "feature_id",
        "field",
        "severity",
        "message",
        "row",
        "source",
            "county_code",
    ]
    assert frame["severity"].tolist()[0] == "error"
    assert frame.at[0, "feature_id"] == "B2"
    assert frame.at[0, "message"].startswith("approval_date value '去年' is not a date")


def test_layer_without_crs(run, make_workspace):
    path = make_workspace(fmt="shp", crs=None)
    result = run("check", path)
    assert result.exit_code == 1
    assert "--crs" in result.stdout
    assert "batches.shp" in result.stdout
    fixed = run("check", path, "--crs", "EPSG:4547")
    assert fixed.exit_code == 0, fixed.output
    assert run("check", path, "--crs", "4547").exit_code == 0


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("check", "no/such/folder"), "WORKSPACE"),
        (("check", "--crs", "EPSG:99999999"), "--crs"),
        (("check", "--crs", "not a crs"), "--crs"),
        (("--lang", "fr", "check"), "--lang"),
        (("check", "--format", "xml"), "--format"),
        (("check", "--no-such-option"), "--no-such-option"),
        (("no-such-command",), "no-such-command"),
    ],
)
def test_usage_errors_exit_2_naming_the_option(run, args, named):
    result = run(*args)
    assert result.exit_code == 2
    assert named in result.stderr
    assert "Traceback" not in result.output


def test_bad_input_is_one_line_without_traceback(run, tmp_path):
    archive = tmp_path / "ws.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../evil.txt", "x")
    result = run("check", archive)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("错误：无法读取")
    assert "../evil.txt" in lines[0]
    english = run("--lang", "en", "check", archive)
    assert english.stderr.strip().splitlines()[-1].startswith("error: cannot read")
    assert english.stderr.strip().endswith("refused")


def test_verbose_shows_the_traceback(run, tmp_path):
    archive = tmp_path / "ws.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../evil.txt", "x")
    result = run("-v", "check", archive)
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("错误：")


@pytest.mark.parametrize("name", ["empty.zip", "batches.gpkg"])
def test_empty_files_are_one_line(run, tmp_path, name):
    path = tmp_path / name
    path.touch()
    result = run("check", path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) <= 2


def test_unexpected_exception_is_an_internal_error(run, make_workspace, monkeypatch):
    def boom(*_args, **_kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("landuse.cli.app.load_workspace", boom)
    result = run("check", make_workspace())
    assert result.exit_code == 1
    assert result.stderr.strip() == "内部错误 / internal error: ZeroDivisionError: division by zero"
    verbose = run("check", make_workspace(), "-v")
    assert "Traceback" in verbose.stderr
    assert verbose.stderr.strip().splitlines()[-1].startswith("内部错误 / internal error")


def test_no_workspace_uses_the_bundled_sample(run, make_workspace, monkeypatch):
    path = make_workspace()
    monkeypatch.setattr(landuse.model.workspace, "sample_workspace", lambda: path)
    result = run("check")
    assert result.exit_code == 0
    assert result.stderr.strip() == "没有发现问题"


def test_bundled_sample_has_no_errors(run):
    result = run("check", "--format", "csv")
    assert result.exit_code == 0, result.stdout[:2000]
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert not (frame["severity"] == "error").any()


def test_verbosity(run, make_workspace):
    path = make_workspace()
    loud = run("check", path, "-v")
    assert "读取 batches" in loud.stderr
    assert "校验" in loud.stderr
    quiet = run("-q", "check", path)
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    assert run("--lang", "en", "-v", "check", path).stderr.count("reading") >= 6


@pytest.mark.parametrize("args", [("--help",), ("check", "--help"), ("-h",)])
def test_help(run, args):
    result = run(*args)
    assert result.exit_code == 0
    assert "$ landuse" in result.stdout
    assert "--lang" in result.stdout
    if "check" in args:
        assert "$ landuse check 驻马店数据/" in result.stdout
        assert "检查工作区" in result.stdout
        assert "Check a workspace" not in result.stdout
        english = run("--lang", "en", *args).stdout
        assert "Check a workspace" in english
        assert "检查工作区" not in english


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("landuse ")


def test_main_entry_point(make_workspace, capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", str(make_workspace())])
    assert info.value.code == 0
    assert "没有发现问题" in capsys.readouterr().err
