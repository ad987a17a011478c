"""``landuse info``: layers, CRS, date ranges and areas per county."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import landuse.model.workspace
from landuse.cli import cli
from landuse.model.workspace import county_areas, load_workspace


@pytest.fixture
def run(monkeypatch):
    monkeypatch.delenv("LANDUSE_LANG", raising=False)

    def invoke(*args, env=None):
        return CliRunner().invoke(cli, [str(a) for a in args], env=env)

    return invoke


def test_info(run, make_workspace):
    result = run("info", make_workspace(names={"batches": "批次"}))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in (
        "workspace.gpkg:批次",
        "县区",
        "供地",
        "失效撤回核减",
        "表格",
        "EPSG:4547 CGCS2000 / 3-degree Gauss-Kruger CM 114E",
        "面积计算平面：EPSG:4547",
        "批准日期：2015-03-01 至 2016-05-01（2 条）",
        "供地日期：2017-03-01 至 2018-06-01（2 条）",
        "各县区面积（公顷 / 亩）",
        "驿城区",
        "西平县",
        "合计",
    ):
        assert text in out, text
    county_a = next(line for line in out.splitlines() if "411702" in line)
    # B1 4 ha = 60 亩; two 1 ha parcels; one 1 ha idle parcel.
    assert "4.00 / 60.0" in county_a
    assert "2.00 / 30.0" in county_a
    assert "1.00 / 15.0" in county_a
    total = next(line for line in out.splitlines() if "合计" in line)
    assert "5.00 / 75.0" in total
    assert result.stderr == ""


def test_info_in_english(run, make_workspace):
    result = run("--lang", "en", "info", make_workspace())
    assert result.exit_code == 0
    for text in (
        "layers",
        "source",
        "rows",
        "areas measured on: EPSG:4547",
        "approval dates: 2015-03-01 to 2016-05-01 (2 rows)",
        "areas per county (ha / mu)",
        "total",
        "table",
    ):
        assert text in result.stdout, text


def test_info_shows_layers_left_out_and_missing_crs(run, make_workspace):
    result = run("info", make_workspace(fmt="shp", crs=None, omit=("idle",)))
    assert result.exit_code == 0
    assert "无（需 --crs）" in result.stdout
    assert "（无）" in result.stdout  # no idle layer
    assert "运行 landuse check 查看" in result.stderr


def test_info_counts_rows_left_out(run, make_workspace, layers):
    layers["supplies"][0]["area_ha"] = -1
    result = run("info", make_workspace(layers))
    supplies = next(
        line for line in result.stdout.splitlines() if "供地 " in line and "gpkg" in line
    )
    cells = [c.strip() for c in supplies.split("│")[3:7]]
    assert cells == ["2", "2", "1", "1"]  # in file, read, used, excluded


def test_info_of_a_missing_path_is_a_usage_error(run, tmp_path):
    result = run("info", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "WORKSPACE" in result.stderr


def test_info_without_workspace_uses_the_sample(run, make_workspace, monkeypatch):
    path = make_workspace()
    monkeypatch.setattr(landuse.model.workspace, "sample_workspace", lambda: path)
    result = run("info")
    assert result.exit_code == 0
    assert str(path) in result.stdout


def test_info_on_the_bundled_sample(run):
    result = run("info")
    assert result.exit_code == 0, result.output
    assert "layers/zhumadian" in result.stdout
    assert "EPSG:4547" in result.stdout
    for name in (
        "驿城区",
        "西平县",
        "上蔡县",
        "平舆县",
        "正阳县",
        "确山县",
        "泌阳县",
        "汝南县",
        "遂平县",
        "新蔡县",
    ):
        assert name in result.stdout


def test_county_areas(make_workspace, layers):
    layers["supplies"][1]["county_code"] = "411799"  # a code no county has: an error, left out
    ws = load_workspace(make_workspace(layers))
    (unknown,) = [p for p in ws.problems if p.layer == "supplies" and p.severity == "error"]
    # The problem is of the county the parcel lies in (411702): that county lost the row.
    assert (unknown.severity, unknown.row, unknown.county_code) == ("error", 2, "411702")
    assert "行政区代码 411799 不在县区图层中" in unknown.message
    table = county_areas(ws)
    assert table["county_code"].tolist() == ["411702", "411721"]
    assert table["batches"].tolist() == [1, 1]
    assert table["approved_ha"].tolist() == pytest.approx([4.0, 1.0])
    assert table["supplies"].tolist() == [1, 0]
    assert table["supplied_ha"].tolist() == pytest.approx([1.0, 0.0])
    assert table["idle_ha"].tolist() == pytest.approx([1.0, 0.0])
    assert table["county_name"].isna().tolist() == [False, False]


def test_info_on_national_data_measures_on_albers(run, make_workspace, layers):
    from shapely.geometry import box

    layers["counties"][0]["geometry"] = box(80.0, 35.0, 81.0, 36.0)
    layers["counties"][1]["geometry"] = box(125.0, 45.0, 126.0, 46.0)
    for name in ("batches", "supplies", "idle"):
        for row in layers[name]:
            row["geometry"] = box(125.1, 45.1, 125.11, 45.11)
    result = run("info", make_workspace(layers, crs=4490))
    assert result.exit_code == 0
    assert "面积计算平面：Albers Equal Area" in result.stdout


@pytest.mark.parametrize("module", ["landuse", "landuse.cli"])
def test_python_dash_m_has_every_command(module):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True,
                         check=True).stdout
    for command in ("assess", "quota", "candidates", "report", "map", "check", "info"):
        assert f" {command} " in out or f" {command}\n" in out, command
