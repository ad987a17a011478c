"""results.gpkg as QGIS 3.22 / GDAL 3.6 and current releases open it.

The GeoPackage is read back with sqlite3 and pyogrio: version, layer list and
types, DATE columns, Chinese column titles (``gpkg_data_columns`` and the QML
aliases), Chinese names beside the codes, the supplied parcels' layer and the
batch classes from the ledgers' sliver tolerance. The last test opens the file
with the system's ``ogrinfo`` (GDAL 3.6 on Debian 12) and wants no warning; it
skips without ``ogrinfo``, except under ``CI``, where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess

import pandas as pd
import pyogrio
import pytest

from landuse import load_workspace
from landuse.campaigns.zengcun.assessment import assess
from landuse.output.results import _batch_class, write_results_gpkg

LAYERS = ["counties", "batches", "supplies", "idle", "candidates"]


@pytest.fixture(scope="module")
def sample():
    return assess(load_workspace(), "zhumadian-2018", "2018-12-31", raster=False)


@pytest.fixture(scope="module")
def gpkg(sample, tmp_path_factory):
    return write_results_gpkg(sample, tmp_path_factory.mktemp("gpkg") / "results.gpkg")


def test_geopackage_1_2(gpkg):
    with sqlite3.connect(gpkg) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200


def test_layers_and_types(gpkg, sample):
    layers = dict(pyogrio.list_layers(gpkg))
    assert [name for name in layers if name != "layer_styles"] == LAYERS
    assert {layers[name] for name in LAYERS} == {"MultiPolygon"}
    for name in LAYERS:
        assert pyogrio.read_info(gpkg, layer=name)["features"] == len(getattr(sample, name))


def test_dates_are_dates(gpkg):
    with sqlite3.connect(gpkg) as con:
        types = {
            (table, row[1]): row[2]
            for table in LAYERS
            for row in con.execute(f'PRAGMA table_info("{table}")')
        }
    for key in [("batches", "approval_date"), ("supplies", "supply_date"),
                ("supplies", "agreed_start"), ("idle", "identified_date"), ("idle", "deadline"),
                ("idle", "disposal_date"), ("candidates", "approval_date")]:
        assert types[key] == "DATE", key
    assert "DATETIME" not in set(types.values())
    batches = pyogrio.read_dataframe(gpkg, layer="batches", read_geometry=False)
    assert str(batches.loc[0, "approval_date"])[:10] == "2009-04-28"


def test_chinese_titles_and_descriptions(gpkg, sample):
    with sqlite3.connect(gpkg) as con:
        rows = con.execute(
            "SELECT table_name, column_name, name, title, description, constraint_name "
            "FROM gpkg_data_columns").fetchall()
        extensions = con.execute(
            "SELECT table_name, extension_name FROM gpkg_extensions "
            "WHERE extension_name = 'gpkg_schema'").fetchall()
        enum = con.execute(
            "SELECT constraint_name, value, description FROM gpkg_data_column_constraints "
            "WHERE constraint_type = 'enum'").fetchall()
    assert sorted(extensions) == [("gpkg_data_column_constraints", "gpkg_schema"),
                                  ("gpkg_data_columns", "gpkg_schema")]
    titles = {(t, c): (name, title, desc, con) for t, c, name, title, desc, con in rows}
    assert titles[("counties", "county_name")][:2] == ("县区", "县区")
    assert titles[("batches", "unsupplied_ha")][1] == "未供面积(公顷)"
    assert titles[("batches", "supply_rate")][2] == "已供面积 ÷（批准面积 − 失效撤回核减面积）"
    assert titles[("counties", "T2_rate")][1] == "T2完成率"
    assert titles[("supplies", "status")][1] == "巡查状态"
    assert titles[("idle", "status")][1] == "处置状态代码"  # a layer's own meaning
    # every column of every layer but the geometry has a Chinese title
    for name in LAYERS:
        fields = pyogrio.read_info(gpkg, layer=name)["fields"]
        missing = [f for f in fields if (name, f) not in titles]
        assert not missing, (name, missing)
    # codes: their Chinese names as an enum constraint on the column
    constraint = titles[("counties", "outcome")][3]
    assert {(v, d) for c, v, d in enum if c == constraint} >= {("award", "奖励"),
                                                               ("penalty", "计划核减")}
    kinds = {v: d for c, v, d in enum if c == titles[("candidates", "kind")][3]}
    assert kinds == {"lapse": "失效", "withdraw": "撤回", "reduce": "批次核减",
                     "used_before_supply": "未供先用", "suspected_idle": "疑似闲置"}


def test_chinese_names_beside_the_codes(gpkg, sample):
    counties = pyogrio.read_dataframe(gpkg, layer="counties", read_geometry=False)
    columns = list(counties.columns)
    assert columns.index("outcome_zh") == columns.index("outcome") + 1
    pairs = set(zip(counties["outcome"], counties["outcome_zh"], strict=True))
    assert pairs == {("award", "奖励"), ("penalty", "计划核减")}
    ranking = counties.dropna(subset=["ranking"])
    assert set(zip(ranking["ranking"], ranking["ranking_zh"], strict=True)) <= {
        ("commend", "通报表扬"), ("criticize", "通报批评")}
    idle = pyogrio.read_dataframe(gpkg, layer="idle", read_geometry=False)
    assert set(zip(idle["status"], idle["status_zh"], strict=True)) == {
        ("disposed", "已处置"), ("undisposed", "未处置")}
    cand = pyogrio.read_dataframe(gpkg, layer="candidates", read_geometry=False)
    assert set(cand["basis_zh"]) <= {"属性记载", "土地覆盖栅格", "国土调查地类图斑", "待实地核查"}


def test_supplied_parcels_with_patrol_status_and_style(gpkg, sample):
    supplies = pyogrio.read_dataframe(gpkg, layer="supplies", read_geometry=False)
    assert len(supplies) == len(sample.supplies) == 648
    assert (supplies["category"] == supplies["status"]).all()
    assert supplies["status"].value_counts().to_dict() == {
        "正常使用": 305, "逾期竣工": 238, "疑似闲置": 73, "闲置土地": 28, "逾期开工": 4}
    assert set(supplies["status_en"]) == {"in normal use", "completion overdue",
                                          "suspected idle", "idle land", "start overdue"}
    with sqlite3.connect(gpkg) as con:
        styles = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    assert sorted(styles) == sorted(LAYERS)
    qml = styles["supplies"]
    assert 'attr="category"' in qml
    assert '<category value="疑似闲置" label="疑似闲置"' in qml
    # the aliases QGIS 3.22 shows (GDAL 3.6 does not read gpkg_data_columns' titles)
    assert '<alias field="status" index=' in qml
    assert 'name="巡查状态"' in qml
    assert 'name="县区"' in styles["counties"]


def test_batch_classes_use_the_sliver_tolerance(gpkg, sample):
    # by hand: 0.005 ha unsupplied is a sliver (supplied); 0.005 ha supplied is nothing
    b = pd.DataFrame({"unsupplied_ha": [0.005, 0.02, 1.0, 1.0, 0.0],
                      "supplied_ha": [1.0, 0.5, 0.005, 0.0, 2.0]})
    assert _batch_class(b, 0.01).tolist() == ["supplied", "partly", "unsupplied", "unsupplied",
                                              "supplied"]
    batches = pyogrio.read_dataframe(gpkg, layer="batches", read_geometry=False)
    partly = batches["category"] == "partly"
    assert (batches.loc[partly, "unsupplied_ha"] >= 0.01).all()
    assert (batches.loc[batches["category"] == "supplied", "unsupplied_ha"] < 0.01).all()
    # the legend agrees with 附件2: its unsupplied batches are the partly and unsupplied ones
    unsupplied = sample.batches["unsupplied_ha"] >= 0.01
    assert (batches["category"] != "supplied").sum() == unsupplied.sum()
    assert partly.sum() == (unsupplied & (sample.batches["supplied_ha"] >= 0.01)).sum()


def _ogrinfo() -> str:
    exe = shutil.which("ogrinfo")
    if exe:
        return exe
    if os.environ.get("CI"):
        pytest.fail("ogrinfo (gdal-bin) is needed to open results.gpkg (CI is set: "
                    ".ci/run installs it)")
    pytest.skip("ogrinfo (gdal-bin) is not installed")


def test_ogrinfo_opens_it_without_a_warning(gpkg):
    exe = _ogrinfo()
    run = subprocess.run([exe, "-al", "-so", str(gpkg)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "CPL_DEBUG": "OFF"})
    assert run.returncode == 0, run.stderr
    out = run.stdout + run.stderr
    assert not re.search(r"warning|error", out, re.IGNORECASE), out[:2000]
    for name in LAYERS:
        assert f"Layer name: {name}" in run.stdout
    assert "approval_date: Date" in run.stdout
    assert re.search(r"outcome: String \(0\.0\), domain name=\w+", run.stdout)
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    assert version.startswith("GDAL ")
