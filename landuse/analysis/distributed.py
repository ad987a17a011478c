"""Link supply parcels to batches on a Dask cluster, partitioned by county.

:func:`link_supplies` returns exactly what :func:`landuse.analysis.supply.link_supplies`
returns on one machine -- the same pieces, areas and overlapping batches --
computed county by county on the workers of a ``dask.distributed`` cluster:

* each county's batches form one partition, with the supply parcels that
  name one of them (with or without geometry);
* a parcel that names no batch goes to every county holding a batch whose
  bounding box meets the parcel's, so a parcel across a county border is
  linked in both partitions, each linking it to its own batches only;
* :func:`landuse.analysis.supply.link_supplies` runs on each partition (whole counties
  are packed into a few balanced tasks), and the results are put back in the
  single-machine order: each batch's pieces in the order of the supply
  layer, so sums and unions are taken in the same order and agree to the
  last bit.

The client process reads and normalises the workspace and sends the
partitions to the workers; the workers need ``landuse`` installed (the same
version) and nothing else -- no shared file system.

A lost worker costs time, not the run: each partition travels inside its
task (nothing is scattered to a worker that could take it along when it
dies), so the scheduler runs the task again on another worker, and a task
that fails is retried (:data:`RETRIES`). What cannot be mended -- no
scheduler, a scheduler without workers, a task that kills every worker it
runs on, a cluster that goes away -- is one :class:`~landuse.LanduseError`
line naming the scheduler.

Deploying on a cluster::

    dask scheduler                           # on one machine: tcp://10.0.0.1:8786
    dask worker tcp://10.0.0.1:8786          # on each worker machine
    landuse assess WORKSPACE --engine dask --scheduler tcp://10.0.0.1:8786
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse._errors import LanduseError
from landuse.analysis import supply
from landuse.analysis.supply import SupplyLinks
from landuse.model.workspace import Workspace

__all__ = ["county_partitions", "link_supplies"]

#: The columns :func:`landuse.analysis.supply.link_supplies` reads: only these travel to the workers.
BATCH_COLUMNS = ["batch_id"]
SUPPLY_COLUMNS = ["parcel_id", "batch_id", "supply_date", "area_ha"]

#: Tasks per worker thread when whole counties are packed into tasks: enough to
#: balance the load, few enough that scheduling costs nothing.
TASKS_PER_THREAD = 4
#: Times a failed task is run again before the run fails.
RETRIES = 2
#: Seconds to wait for a scheduler's first worker.
WAIT_FOR_WORKERS = 30.0

_log = logging.getLogger(__name__)


def county_partitions(
    batches: gpd.GeoDataFrame, supplies: gpd.GeoDataFrame, *, parts: int | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split batches and supplies into partitions of whole counties.

    Parameters
    ----------
    batches, supplies : geopandas.GeoDataFrame
        Normalised workspace layers (``batch_id``, ``county_code``).
    parts : int, optional
        Pack the counties into at most this many partitions, balanced by
        their number of batches and supplies; default one per county.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        Per partition, the positions of its batches and of its supplies, both
        ascending (the layers' own order). A supply naming a batch is in that
        batch's partition; a supply naming none is in every partition with a
        batch whose bounding box meets its own; a supply naming no batch and
        without geometry is in none (it links to nothing).
    """
    if batches.empty:
        return []
    codes, counties = pd.factorize(batches["county_code"].astype("string").fillna(""), sort=True)
    n_counties = len(counties)
    at = pd.Index(batches["batch_id"]).get_indexer(supplies["batch_id"])
    named = np.flatnonzero(at >= 0)
    geoms = supplies.geometry.to_numpy()
    drawn = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    loose = np.flatnonzero((at < 0) & drawn)
    # Bounding boxes only: the exact test runs in the partition, which keeps it exact.
    li, bi = batches.sindex.query(geoms[loose]) if len(loose) else (np.empty(0, int),) * 2
    s_rows = np.concatenate([named, loose[li]])
    s_county = np.concatenate([codes[at[named]], codes[bi]])
    pairs = np.unique(np.stack([s_county, s_rows], axis=1), axis=0) if len(s_rows) else np.empty(
        (0, 2), dtype=np.int64)

    if parts is None or parts >= n_counties:
        group = np.arange(n_counties)
        n_groups = n_counties
    else:
        # Greedy packing, heaviest county first into the lightest partition: deterministic.
        weight = np.bincount(codes, minlength=n_counties) + np.bincount(pairs[:, 0], minlength=n_counties)
        group = np.empty(n_counties, dtype=np.int64)
        heap = [(0, g) for g in range(max(parts, 1))]
        for c in np.argsort(-weight, kind="stable"):
            load, g = heapq.heappop(heap)
            group[c] = g
            heapq.heappush(heap, (load + int(weight[c]), g))
        n_groups = max(parts, 1)
    b_group = group[codes]
    s_group = group[pairs[:, 0]] if len(pairs) else np.empty(0, dtype=np.int64)
    out = []
    for g in range(n_groups):
        b_rows = np.flatnonzero(b_group == g)
        if not len(b_rows):
            continue
        rows = np.unique(pairs[s_group == g, 1])  # unique and ascending
        out.append((b_rows, rows))
    return out


def _cluster_error(scheduler: object, zh: str, en: str) -> LanduseError:
    return LanduseError(f"Dask 集群 {scheduler}：{zh}", f"Dask cluster {scheduler}: {en}")


@contextlib.contextmanager
def _client(scheduler: Any, wait: float = WAIT_FOR_WORKERS) -> Iterator[Any]:
    """Yield a ``distributed.Client`` with a worker: a local cluster, an address, or the client given."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise LanduseError(
            "使用 Dask 引擎需要安装 dask 扩展：pip install 'landuse[dask]'",
            "the dask engine needs the dask extra: pip install 'landuse[dask]'",
        ) from err
    if isinstance(scheduler, Client):
        _wait_for_workers(scheduler, scheduler.scheduler.address, wait)
        yield scheduler
        return
    if scheduler is None:
        # No dashboard: a second run, or anything on port 8787, must not be in the way.
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            _log.info("engine dask: local cluster %s, 2 worker processes", cluster.scheduler_address)
            yield client
        return
    try:
        client = Client(str(scheduler))
    except (TimeoutError, OSError) as err:
        raise LanduseError(
            f"无法连接 Dask 调度器 {scheduler}（{err}）：请先在该机器上运行 dask scheduler，"
            "并在各计算节点运行 dask worker 地址",
            f"cannot reach the Dask scheduler {scheduler} ({err}): start it with `dask scheduler` "
            "and attach workers with `dask worker ADDRESS`",
        ) from err
    with client:
        _wait_for_workers(client, scheduler, wait)
        yield client


def _wait_for_workers(client: Any, scheduler: object, wait: float) -> None:
    try:
        client.wait_for_workers(1, timeout=wait)
    except TimeoutError as err:
        raise _cluster_error(
            scheduler,
            f"{wait:g} 秒内没有计算节点连上调度器：请在各计算节点运行 dask worker {scheduler}",
            f"no worker joined within {wait:g} s; start workers with `dask worker {scheduler}`",
        ) from err
    info = client.scheduler_info()
    workers = info.get("workers", {})
    _log.info(
        "engine dask: scheduler %s, %d workers, %d threads",
        scheduler,
        len(workers),
        sum(w.get("nthreads", 1) for w in workers.values()),
    )


def link_supplies(
    workspace: Workspace,
    *,
    until: dt.date | str | None = None,
    scheduler: Any = None,
    parts: int | None = None,
    wait: float = WAIT_FOR_WORKERS,
) -> SupplyLinks:
    """Link supply parcels to batches on a Dask cluster, county by county.

    The result equals :func:`landuse.analysis.supply.link_supplies` on the whole
    workspace: the same rows (each batch's pieces in the same order), the
    same geometries and areas, the same overlapping batches.

    Parameters
    ----------
    workspace : Workspace
        The normalised layers.
    until : date, optional
        Ignore supplies dated after this day.
    scheduler : str or distributed.Client, optional
        A scheduler address such as ``tcp://10.0.0.1:8786``, or a client;
        default a local cluster of two worker processes, closed afterwards.
    parts : int, optional
        Number of tasks to pack the counties into; default four per worker
        thread (never more than the counties).
    wait : float, default 30
        Seconds to wait for the scheduler's first worker.

    Returns
    -------
    SupplyLinks

    Raises
    ------
    LanduseError
        When dask is not installed, the scheduler cannot be reached or has
        no worker, a task kills the workers it runs on, or the cluster goes
        away mid-run.

    Examples
    --------
    >>> from landuse import load_workspace
    >>> from landuse.analysis import supply
    >>> ws = load_workspace()
    >>> links = link_supplies(ws, until="2018-12-31")  # doctest: +SKIP
    >>> local = supply.link_supplies(ws.batches, ws.supplies, until="2018-12-31")
    >>> links.pieces["piece_ha"].sum() == local.pieces["piece_ha"].sum()  # doctest: +SKIP
    True
    """
    batches, supplies = workspace.batches, workspace.supplies
    if until is not None:
        supplies = supplies[supplies["supply_date"] <= pd.Timestamp(until).normalize()]
    if batches.empty or supplies.empty:
        return supply.link_supplies(batches, supplies, until=until)
    with _client(scheduler, wait) as client:
        threads = max(sum(client.nthreads().values()), 1)
        n_parts = parts if parts is not None else TASKS_PER_THREAD * threads
        partitions = county_partitions(batches, supplies, parts=n_parts)
        token = uuid.uuid4().hex[:12]
        lean_b = batches[[*BATCH_COLUMNS, batches.geometry.name]]
        lean_s = supplies[[*SUPPLY_COLUMNS, supplies.geometry.name]]
        # Each partition travels in its own task, not scattered: when a worker dies the
        # scheduler still holds the task and runs it elsewhere.
        futures = [
            client.submit(supply.link_supplies, lean_b.iloc[b], lean_s.iloc[s], until=until,
                          key=f"landuse-link-{token}-{i}", retries=RETRIES, pure=False)
            for i, (b, s) in enumerate(partitions)
        ]
        _log.info("engine dask: %d tasks of whole counties", len(futures))
        shown = scheduler if isinstance(scheduler, str) else client.scheduler.address
        results: list[SupplyLinks] = _gather(client, futures, shown)
    return _combine(results, batches, supplies)


def _gather(client: Any, futures: list[Any], scheduler: object) -> list[SupplyLinks]:
    """Gather the tasks' results; cluster failures become one line."""
    from distributed import KilledWorker

    try:
        return client.gather(futures)
    except KilledWorker as err:
        raise _cluster_error(
            scheduler,
            "一个任务使运行它的计算节点相继退出（内存不足？），已放弃：请增加节点内存或减少每个节点的线程数",
            "a task made every worker it ran on exit (out of memory?); give up. Give the "
            "workers more memory, or fewer threads each",
        ) from err
    except (TimeoutError, asyncio.CancelledError, OSError) as err:
        raise _cluster_error(
            scheduler,
            f"计算中与集群断开（{type(err).__name__}）：请检查调度器和计算节点是否仍在运行后重试",
            f"lost the cluster mid-run ({type(err).__name__}: {str(err)[:120]}); check the "
            "scheduler and workers are still running and try again",
        ) from err
    except Exception as err:
        if type(err).__name__ in ("FutureCancelledError", "CancelledError", "CommClosedError"):
            raise _cluster_error(
                scheduler,
                f"计算中与集群断开（{type(err).__name__}）：请检查调度器和计算节点是否仍在运行后重试",
                f"lost the cluster mid-run ({type(err).__name__}); check the scheduler and "
                "workers are still running and try again",
            ) from err
        raise


def _combine(results: list[SupplyLinks], batches: gpd.GeoDataFrame,
             supplies: gpd.GeoDataFrame) -> SupplyLinks:
    """Concatenate the partitions' links in the single-machine order."""
    supply_pos = pd.Series(np.arange(len(supplies)), index=supplies["parcel_id"].to_numpy())
    supply_pos = supply_pos[~supply_pos.index.duplicated(keep="first")]
    batch_pos = pd.Series(np.arange(len(batches)), index=batches["batch_id"].to_numpy())
    frames = [r.pieces for r in results if not r.pieces.empty]
    if frames:
        pieces = pd.concat(frames, ignore_index=True)
        pieces = pieces.drop_duplicates(subset=["batch_id", "parcel_id", "linked_by"])
        # Named links first, then links by location, each in the supply layer's order: the
        # order supply.link_supplies gives each batch's pieces.
        order = np.lexsort((
            batch_pos.reindex(pieces["batch_id"].to_numpy()).to_numpy(),
            supply_pos.reindex(pieces["parcel_id"].to_numpy()).to_numpy(),
            (pieces["linked_by"] != "batch_id").to_numpy(),
        ))
        pieces = gpd.GeoDataFrame(pieces.iloc[order].reset_index(drop=True),
                                  geometry=pieces.geometry.name, crs=batches.crs)
    else:
        pieces = results[0].pieces if results else supply.link_supplies(
            batches.iloc[:0], supplies.iloc[:0]).pieces
    tabs = [r.tabular for r in results if not r.tabular.empty]
    if tabs:
        tabular = pd.concat(tabs, ignore_index=True)
        order = np.argsort(supply_pos.reindex(tabular["parcel_id"].to_numpy()).to_numpy(),
                           kind="stable")
        tabular = tabular.iloc[order].reset_index(drop=True)
    else:
        tabular = results[0].tabular if results else pd.DataFrame()
    overlapping: set[str] = set().union(*(r.overlapping for r in results))
    return SupplyLinks(pieces, tabular, overlapping)
