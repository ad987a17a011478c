"""The SQL anchors of ``scripts/bench.py`` compute what the naive script computes.

A benchmark ratio is only as honest as its yardstick: the DuckDB and SedonaDB
supply-rate queries must give the naive geopandas script's rates, on a hand-made
workspace whose answer is known and on the sample.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import bench  # noqa: E402

X0, Y0 = 500_000.0, 3_650_000.0


def _sq(x: float, y: float, w: float, h: float):
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed (pip install -e '.[test]')")
        pytest.skip(f"{module} is not installed")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two counties, three batches, overlapping and spilling parcels; rates known by hand.

    County 411702: batch P1 (200 m x 100 m drawn, 4 ha approved, 2015) has parcels S1 (x 0-60)
    and S2 (x 40-100) overlapping by 20 m: their union is 100 m x 100 m = 1 ha; S3 names
    P1 but lies half outside (x 150-250): 0.5 ha inside. S4 names no batch and lies in P1
    (x 100-150, 0.5 ha). S5 names P1 but is dated 2019, after 2018-12-31: not counted.
    Supplied 1 + 0.5 + 0.5 = 2 ha of 4 ha -> 0.5 (summing instead of
    unioning would give 2.2 / 4 = 0.55).
    Batch P2 (approved 2012, outside 2013-2017) is ignored.
    County 411721: batch P3 (100 m x 100 m, 4 ha approved, 2016年5月1日) with parcel S6
    covering it: 1 ha of 4 ha -> 0.25.
    """
    folder = tmp_path_factory.mktemp("tiny")
    crs = "EPSG:4547"
    batches = gpd.GeoDataFrame({
        "批次编号": ["P1", "P2", "P3"], "行政区代码": ["411702", "411702", "411721"],
        "批准面积": [4.0, 1.0, 4.0], "批准日期": ["2015/3/1", "2012-05-01", "2016年5月1日"],
    }, geometry=[_sq(0, 0, 200, 100), _sq(0, 500, 100, 100), _sq(20_000, 0, 100, 100)], crs=crs)
    supplies = gpd.GeoDataFrame({
        "DZJGH": ["S1", "S2", "S3", "S4", "S5", "S6"],
        "PCBH": ["P1", "P1", "P1", None, "P1", "P3"],
        "GDRQ": ["20160101", "20170101", "20180101", "20180601", "20190101", "20170101"],
    }, geometry=[_sq(0, 0, 60, 100), _sq(40, 0, 60, 100), _sq(150, 0, 100, 100),
                 _sq(100, 0, 50, 100), _sq(0, 0, 200, 100), _sq(20_000, 0, 100, 100)], crs=crs)
    batches.to_file(folder / "批次.gpkg", driver="GPKG")
    supplies.to_file(folder / "供地.gpkg", driver="GPKG")
    return folder


EXPECTED = {"411702": 0.5, "411721": 0.25}


def test_naive_script_on_the_tiny_workspace(tiny: Path) -> None:
    assert bench.work_naive(tiny)["rates"] == pytest.approx(EXPECTED, abs=1e-12)


@pytest.mark.parametrize(("kind", "module"), [("duckdb", "duckdb_extension_spatial"),
                                              ("sedonadb", "sedonadb")])
def test_sql_anchor_on_the_tiny_workspace(tiny: Path, kind: str, module: str) -> None:
    _need(module)
    rates = getattr(bench, f"work_{kind}")(tiny)["rates"]
    assert rates == pytest.approx(EXPECTED, abs=1e-9)


@pytest.mark.parametrize(("kind", "module"), [("duckdb", "duckdb_extension_spatial"),
                                              ("sedonadb", "sedonadb")])
def test_sql_anchor_equals_naive_on_the_sample(kind: str, module: str) -> None:
    _need(module)
    sample = REPO / "layers" / "zhumadian"
    naive = bench.work_naive(sample)["rates"]
    rates = getattr(bench, f"work_{kind}")(sample)["rates"]
    assert set(rates) == set(naive)
    assert rates == pytest.approx(naive, abs=1e-9)
