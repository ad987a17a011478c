#!/usr/bin/env python
"""Benchmark landuse on a synthetic workspace: stage times, peak memory, baselines.

Every measurement runs in a fresh Python process (this script calling itself
with ``--worker``), so its peak memory is that process's own high-water mark
(``ru_maxrss``) and no cache carries over. Measured:

* ``assess``: what ``landuse assess`` does -- read, normalise, all tasks,
  candidates without the raster, linkage, every CSV output -- timed stage by
  stage through the library's progress callbacks (imports not counted, as in
  ``naive`` and ``floor``); the ratios to the baselines use this figure;
* ``cli``: the command itself, ``landuse assess DATA --no-raster --out DIR``,
  timed from outside (Python's start-up and imports included);
* ``full``: the same with the land-cover raster (zonal statistics), the map
  and the report, when the workspace has a raster and those modules exist;
* ``zonal``: only the built-up / cultivated shares of every supply parcel;
* ``naive``: an analyst's plain geopandas script for the 2013-2017 supply
  rate (``read_file``, ``overlay``, ``dissolve``, ``groupby``);
* ``floor``: Arrow read + vectorised intersection + per-batch union, nothing
  else: what no implementation of the supply rate can avoid;
* ``duckdb`` (issue 19's anchor, when ``duckdb-extension-spatial`` is installed): the naive
  script's supply rate as one DuckDB spatial query (:data:`SUPPLY_RATE_SQL`, ``ST_Read`` both
  files, join on batch id, ``ST_Intersection``, ``ST_Union_Agg``, ``ST_Area``, cap, group by
  county), the extension loaded from its PyPI wheel;
* ``sedonadb`` (when ``sedonadb`` is installed): the same query in SedonaDB;
* ``ledgers``: the XLSX ledgers of the assessment (no raster), built and written
  (:func:`landuse.output.ledgers.ledgers_workbook` and ``workbook_bytes``, XlsxWriter);
* ``dask`` (with ``--engine dask``): ``assess`` through a local Dask cluster;
* ``survey`` (when the workspace has ``地类图斑.gpkg``, e.g. ``--survey 1000000``):
  the land survey's farmland summed by county through Arrow, without geometry
  (:func:`landuse.analysis.survey.survey_by_county`).

With ``--repeat N`` the measurements run in N rounds (each measurement once per round,
in turn), the fastest run of each is shown, and the ratios of every round are printed
too. Prints a table, then one JSON line with every figure.

Usage::

    python scripts/bench.py --size province             # generates the data if needed
    python scripts/bench.py --size province --data DIR --repeat 3
    python scripts/bench.py --size province --raster 10 # also zonal stats over a 10 m raster
    python scripts/bench.py --size province --messy     # irregular, overlapping parcels
    python scripts/bench.py --size province --survey 1000000 --skip naive floor assess cli full
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import inspect
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent

#: Targets of issue 5 at ``province``.
TARGET_RATIO_NAIVE = 1.0
TARGET_RATIO_FLOOR = 1.5
TARGET_PEAK_GIB = 2.0
TARGET_ZONAL_S = 10.0
TARGET_SURVEY_S = 30.0
#: Issue 19: the whole command within 2x the DuckDB query; national under 60 s and 8 GiB.
TARGET_RATIO_DUCKDB = 2.0
TARGET_NATIONAL_S = 60.0
TARGET_NATIONAL_GIB = 8.0


def _peak_mib() -> float:
    """This process's peak resident memory in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


class Stopwatch:
    """Collect (stage, wall seconds, CPU seconds) as progress callbacks name new stages."""

    def __init__(self) -> None:
        self.stages: list[dict[str, object]] = []
        self._name: str | None = None
        self._wall = self._cpu = 0.0

    def step(self, name: str) -> None:
        """Close the running stage and open ``name``."""
        self.stop()
        self._name, self._wall, self._cpu = name, time.perf_counter(), time.process_time()

    def stop(self) -> None:
        """Close the running stage."""
        if self._name is not None:
            self.stages.append({
                "stage": self._name,
                "seconds": time.perf_counter() - self._wall,
                "cpu_seconds": time.process_time() - self._cpu,
                "peak_mib": _peak_mib(),
            })
        self._name = None


def _stage_of(step: str) -> str:
    """Group the library's fine progress steps into the benchmark's stages."""
    if step.startswith("read "):
        return "read"
    if step.startswith("normalise ") or step == "validate":
        return "normalise"
    return step


def _merge(stages: list[dict[str, object]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for s in stages:
        name = _stage_of(str(s["stage"]))
        if out and out[-1]["stage"] == name:
            last = out[-1]
            last["seconds"] = float(last["seconds"]) + float(s["seconds"])
            last["cpu_seconds"] = float(last["cpu_seconds"]) + float(s["cpu_seconds"])
            last["peak_mib"] = s["peak_mib"]
        else:
            out.append({**s, "stage": name})
    return out


# --- workers (each runs in its own process) ------------------------------------------------


def work_assess(data: Path, out: Path, *, raster: bool, extras: bool, engine: str = "local"
                ) -> dict[str, object]:
    """Load, assess and write every CSV; with ``extras`` the map and the report too."""
    from landuse import load_workspace
    from landuse.campaigns.zengcun.assessment import assess, save_assessment

    watch = Stopwatch()
    t0, c0 = time.perf_counter(), time.process_time()
    ws = load_workspace(data, progress=watch.step, landcover=raster)
    # As `landuse assess --out DIR` does: CSV tables need no candidate geometry; the map
    # and report (extras) do.
    a = assess(ws, "zhumadian-2018", "2018-12-31", progress=watch.step, raster=raster,
               engine=engine, geometry=extras)
    watch.step("write csv")
    save_assessment(a, out, overwrite=True)
    watch.stop()
    result: dict[str, object] = {
        "rows": {"batches": len(ws.batches), "supplies": len(ws.supplies), "idle": len(ws.idle),
                 "counties": len(ws.counties)},
        "problems": len(ws.problems),
        "raster": ws.landcover is not None and raster,
    }
    core_seconds = time.perf_counter() - t0
    core_cpu = time.process_time() - c0
    if extras:
        for name, module, func in (("map", "landuse.output.maps", "render_map"),
                                   ("report", "landuse.output.report", "write_report")):
            if importlib.util.find_spec(module) is None:
                watch.stages.append({"stage": name, "seconds": None, "note": "n/a (no module)"})
                continue
            fn = getattr(importlib.import_module(module), func, None)
            if fn is None:
                watch.stages.append({"stage": name, "seconds": None, "note": f"n/a (no {func})"})
                continue
            watch.step(name)
            try:
                _call_output(fn, a, out / name)
                watch.stop()
                files = [f for f in (out / name).rglob("*") if f.is_file()]
                largest = max(files, key=lambda f: f.stat().st_size, default=None)
                watch.stages[-1]["note"] = (
                    f"{len(files)} file(s), {sum(f.stat().st_size for f in files) / 2**20:.1f} MiB"
                    + (f"; largest {largest.name} {largest.stat().st_size / 2**20:.1f} MiB"
                       if largest else ""))
            except Exception as err:  # a benchmark reports a failure instead of stopping
                watch.stop()
                watch.stages[-1]["note"] = f"failed: {type(err).__name__}: {str(err)[:120]}"
    result.update({
        "stages": _merge(watch.stages), "seconds": core_seconds, "cpu_seconds": core_cpu,
        "peak_mib": _peak_mib(),
        "counties_csv": str(out / "counties.csv"),
    })
    return result


def _call_output(fn: Callable[..., object], assessment: object, target: Path) -> None:
    """Call ``render_map`` / ``write_report`` whichever way it takes its output location."""
    target.mkdir(parents=True, exist_ok=True)
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY,
                                                                     p.POSITIONAL_OR_KEYWORD)]
    if len(params) >= 2:
        suffix = ".html" if "map" in fn.__name__ else ""
        kwargs = {"overwrite": True} if "overwrite" in inspect.signature(fn).parameters else {}
        fn(assessment, target / f"out{suffix}" if suffix else target, **kwargs)
    else:
        made = fn(assessment)
        if hasattr(made, "save"):
            made.save(str(target / "map.html"))


def work_zonal(data: Path) -> dict[str, object]:
    """Built-up and cultivated shares of every supply parcel over the workspace's raster."""
    from landuse import load_workspace
    from landuse.analysis.landcover import class_shares
    from landuse.rules.model import load_ruleset

    ws = load_workspace(data)
    if ws.landcover is None:
        return {"seconds": None, "note": "no landcover raster in the workspace"}
    rules = load_ruleset("zhumadian-2018")
    t0, c0 = time.perf_counter(), time.process_time()
    shares = class_shares(ws.supplies.geometry, ws.landcover, rules.landcover)
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "peak_mib": _peak_mib(), "rows": {"supplies": len(ws.supplies)},
            "raster": {"shape": list(ws.landcover.shape), "resolution": ws.landcover.resolution[0]},
            "covered": int(shares["covered"].sum())}


def work_survey(data: Path) -> dict[str, object]:
    """A province's land survey summed by county and land-class group, columns only, no geometry."""
    from landuse.analysis.survey import survey_by_county
    from landuse.rules.model import load_ruleset

    classes = load_ruleset("zhumadian-2020-farmland").classes
    path = data / "地类图斑.gpkg"
    t0, c0 = time.perf_counter(), time.process_time()
    table = survey_by_county(path, classes)
    seconds = time.perf_counter() - t0
    import pyogrio

    return {"seconds": seconds, "cpu_seconds": time.process_time() - c0, "peak_mib": _peak_mib(),
            "rows": {"survey": int(pyogrio.read_info(path)["features"]), "counties": len(table)},
            "farmland_ha": float(table["farmland"].sum()),
            "note": f"survey_by_county (target < {TARGET_SURVEY_S:g} s)"}


def work_ledgers(data: Path) -> dict[str, object]:
    """The ledgers workbook of the assessment without the raster: built, then written to bytes."""
    from landuse import load_workspace
    from landuse.campaigns.zengcun.assessment import assess
    from landuse.output.ledgers import ledgers_workbook, workbook_bytes

    a = assess(load_workspace(data, landcover=False), "zhumadian-2018", "2018-12-31",
               raster=False)
    t0, c0 = time.perf_counter(), time.process_time()
    book = ledgers_workbook(a)
    t1, c1 = time.perf_counter(), time.process_time()
    xlsx = workbook_bytes(book)
    t2, c2 = time.perf_counter(), time.process_time()
    cells = sum(len(sh.frame) * len(sh.columns) for sh in book.sheets)
    return {"seconds": t2 - t0, "cpu_seconds": c2 - c0, "peak_mib": _peak_mib(),
            "stages": [{"stage": "ledgers_workbook", "seconds": t1 - t0, "cpu_seconds": c1 - c0},
                       {"stage": "workbook_bytes", "seconds": t2 - t1, "cpu_seconds": c2 - c1,
                        "note": f"{(t2 - t1) / max(cells, 1) * 1e6:.1f} µs a data cell"}],
            "note": f"{cells:,} data cells, {len(xlsx) / 2**20:.1f} MiB XLSX"}


def _find(data: Path, stem: str) -> Path:
    for suffix in (".gpkg", ".shp"):
        if (data / f"{stem}{suffix}").exists():
            return data / f"{stem}{suffix}"
    msg = f"{data} has no {stem}.gpkg or {stem}.shp"
    raise FileNotFoundError(msg)


def work_naive(data: Path) -> dict[str, object]:
    """The supply rate the way an analyst writes it with plain geopandas."""
    import geopandas as gpd
    import pandas as pd

    t0, c0 = time.perf_counter(), time.process_time()
    batches = gpd.read_file(_find(data, "批次"))
    supplies = gpd.read_file(_find(data, "供地"))
    supplies["date"] = pd.to_datetime(supplies["GDRQ"], format="%Y%m%d", errors="coerce")
    supplies = supplies[supplies["date"] <= "2018-12-31"]
    text = (batches["批准日期"].str.replace("年", "-").str.replace("月", "-").str.replace("日", "")
            .str.replace("/", "-"))
    batches["date"] = pd.to_datetime(text, format="mixed", errors="coerce")
    pieces = gpd.overlay(supplies[["DZJGH", "PCBH", "geometry"]],
                         batches[["批次编号", "行政区代码", "geometry"]], how="intersection")
    named = pieces["PCBH"].fillna("")
    pieces = pieces[(named == pieces["批次编号"]) | (named == "")]
    per_batch = pieces.dissolve(by="批次编号")
    per_batch["supplied_ha"] = per_batch.area / 10_000
    batches = batches.merge(per_batch[["supplied_ha"]], left_on="批次编号", right_index=True,
                            how="left")
    batches["supplied_ha"] = batches["supplied_ha"].fillna(0.0)
    window = batches[(batches["date"] >= "2013-01-01") & (batches["date"] <= "2017-12-31")]
    sums = window.groupby("行政区代码")[["supplied_ha", "批准面积"]].sum()
    rate = (sums["supplied_ha"] / sums["批准面积"]).clip(upper=1.0)
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "peak_mib": _peak_mib(), "rows": {"batches": len(batches), "supplies": len(supplies)},
            "rates": {str(k): float(v) for k, v in rate.items()}}


def work_floor(data: Path) -> dict[str, object]:
    """Arrow read, vectorised intersection and per-batch union: the least work there is."""
    import numpy as np
    import pandas as pd
    import pyogrio
    import shapely

    t0, c0 = time.perf_counter(), time.process_time()
    b = pyogrio.read_dataframe(_find(data, "批次"), columns=["批次编号"], use_arrow=True)
    s = pyogrio.read_dataframe(_find(data, "供地"), columns=["PCBH"], use_arrow=True)
    bgeom = b.geometry.to_numpy()
    sgeom = s.geometry.to_numpy()
    has = ~shapely.is_missing(sgeom)
    ids = pd.Index(b["批次编号"].to_numpy())
    pos = ids.get_indexer(s["PCBH"].fillna("").to_numpy())
    named = np.flatnonzero((pos >= 0) & has)
    loose_rows = np.flatnonzero((pos < 0) & has)
    tree = shapely.STRtree(bgeom)
    li, bi = tree.query(sgeom[loose_rows], predicate="intersects")
    left = np.concatenate([named, loose_rows[li]])
    right = np.concatenate([pos[named], bi])
    pieces = shapely.intersection(sgeom[left], bgeom[right])
    order = np.argsort(right, kind="stable")
    right, pieces = right[order], pieces[order]
    starts = np.flatnonzero(np.r_[True, right[1:] != right[:-1]])
    ends = np.r_[starts[1:], len(right)]
    area = np.zeros(len(bgeom))
    single = ends - starts == 1
    area[right[starts[single]]] = shapely.area(pieces[starts[single]])
    for a, e in zip(starts[~single], ends[~single], strict=True):
        area[right[a]] = shapely.union_all(pieces[a:e]).area
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "peak_mib": _peak_mib(), "rows": {"batches": len(b), "supplies": len(s)},
            "supplied_ha": float(area.sum() / 10_000)}


# --- anchors: what a data engineer would write in SQL ---------------------------------------

#: The supply rate of the naive script as one SQL query: batches in the 2013-2017 window,
#: supply parcels dated by 2018-12-31 joined on the batch id (or, with no id, by location),
#: intersected with their batch, unioned per batch, measured, summed and capped per county.
#: ``{batches}``/``{supplies}`` are table expressions with the columns of the files; the
#: date expressions are each engine's (DuckDB has ``try_strptime``, DataFusion does not).
SUPPLY_RATE_SQL = """
WITH b AS (
  SELECT "批次编号" AS id, "行政区代码" AS county, "批准面积" AS approved, {bgeom} AS bg,
         {bdate} AS approved_on
  FROM {batches}),
s AS (SELECT coalesce("PCBH", '') AS pcbh, {sgeom} AS sg FROM {supplies}
      WHERE {sdate} <= TIMESTAMP '2018-12-31'),
pairs AS (
  SELECT b.id AS pid, ST_Intersection(s.sg, b.bg) AS g FROM s JOIN b ON s.pcbh = b.id
  UNION ALL
  SELECT b.id AS pid, ST_Intersection(s.sg, b.bg) AS g FROM s JOIN b
    ON s.pcbh = '' AND ST_Intersects(s.sg, b.bg)),
per AS (SELECT pid, ST_Area(ST_Union_Agg(g)) / 10000 AS ha FROM pairs GROUP BY pid)
SELECT county, least(sum(coalesce(per.ha, 0.0)) / sum(approved), 1.0) AS rate
FROM b LEFT JOIN per ON per.pid = b.id
WHERE approved_on BETWEEN TIMESTAMP '2013-01-01' AND TIMESTAMP '2017-12-31'
GROUP BY county
"""

_ISO = """regexp_replace(regexp_replace("批准日期", '[年月/]', '-', 'g'), '日', '', 'g')"""
_DUCKDB_BDATE = f"try_strptime({_ISO}, '%Y-%m-%d')"
_SEDONA_BDATE = (f"CASE WHEN {_ISO} ~ '^[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}$' "
                 f"THEN to_timestamp({_ISO}, '%Y-%m-%d') END")
_SEDONA_SDATE = """CASE WHEN "GDRQ" ~ '^[0-9]{8}$' THEN to_timestamp("GDRQ", '%Y%m%d') END"""


def duckdb_spatial() -> object:
    """A DuckDB connection with the spatial extension loaded from its PyPI wheel.

    ``duckdb-extension-spatial`` ships ``extensions/v<version>/spatial.duckdb_extension``;
    loading that file needs no download (DuckDB's own extension server is not
    reachable from a bureau intranet).
    """
    import duckdb
    import duckdb_extension_spatial

    folder = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    ext = next(folder.glob(f"v{duckdb.__version__}/spatial.duckdb_extension"), None) or next(
        folder.glob("*/spatial.duckdb_extension"))
    con = duckdb.connect()
    con.execute(f"LOAD '{ext}'")
    return con


def work_duckdb(data: Path) -> dict[str, object]:
    """The naive script's supply rate as one DuckDB spatial query (``ST_Read`` both files)."""
    t0, c0 = time.perf_counter(), time.process_time()
    con = duckdb_spatial()
    sql = SUPPLY_RATE_SQL.format(
        batches=f"ST_Read('{_find(data, '批次')}')", supplies=f"ST_Read('{_find(data, '供地')}')",
        bgeom="geom", sgeom="geom", bdate=_DUCKDB_BDATE, sdate="""try_strptime("GDRQ", '%Y%m%d')""")
    rates = dict(con.execute(sql).fetchall())  # type: ignore[attr-defined]
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "peak_mib": _peak_mib(), "rates": {str(k): float(v) for k, v in rates.items()}}


def work_sedonadb(data: Path) -> dict[str, object]:
    """The same query in SedonaDB (Apache Sedona's engine), the files read by pyogrio to Arrow.

    SedonaDB 0.5's own ``read_pyogrio`` fails on the Chinese column names (a
    projection push-down error), so the two files are read to Arrow first.
    """
    import pyogrio
    import sedonadb

    t0, c0 = time.perf_counter(), time.process_time()
    sd = sedonadb.connect()
    geoms = {}
    for name, stem, columns in (("b_raw", "批次", ["批次编号", "行政区代码", "批准面积", "批准日期"]),
                                ("s_raw", "供地", ["PCBH", "GDRQ"])):
        meta, table = pyogrio.read_arrow(_find(data, stem), columns=columns)
        geoms[name] = meta.get("geometry_name") or "wkb_geometry"
        sd.create_data_frame(table).to_view(name)
    sql = SUPPLY_RATE_SQL.format(batches="b_raw", supplies="s_raw", bgeom=f'"{geoms["b_raw"]}"',
                                 sgeom=f'"{geoms["s_raw"]}"', bdate=_SEDONA_BDATE,
                                 sdate=_SEDONA_SDATE)
    frame = sd.sql(sql).to_pandas()
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "peak_mib": _peak_mib(),
            "rates": {str(k): float(v) for k, v in zip(frame["county"], frame["rate"], strict=True)}}


def worker(argv: list[str]) -> int:
    """Run one measurement and print its JSON on stdout."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    kind = args.worker
    d, out = args.data, args.out
    workers: dict[str, Callable[[], dict[str, object]]] = {
        "assess": lambda: work_assess(d, out, raster=False, extras=False),
        "full": lambda: work_assess(d, out, raster=True, extras=True),
        "dask": lambda: work_assess(d, out, raster=False, extras=False, engine="dask"),
        "zonal": lambda: work_zonal(d),
        "naive": lambda: work_naive(d),
        "floor": lambda: work_floor(d),
        "duckdb": lambda: work_duckdb(d),
        "sedonadb": lambda: work_sedonadb(d),
        "survey": lambda: work_survey(d),
        "ledgers": lambda: work_ledgers(d),
    }
    if kind not in workers:
        msg = f"unknown worker {kind}"
        raise SystemExit(msg)
    result = workers[kind]()
    print(json.dumps(result, ensure_ascii=False))
    return 0


# --- the driver ----------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}


def run_worker_once(kind: str, data: Path, out: Path) -> dict[str, object]:
    """Run one worker in a fresh process; its JSON plus the process's wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--data", str(data),
         "--out", str(out / kind)],
        capture_output=True, text=True, check=False, env=_env(),
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"seconds": None, "note": "failed: " + " | ".join(tail)}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall
    return result


def run_cli_once(data: Path, out: Path) -> dict[str, object]:
    """Run ``landuse assess DATA --no-raster --out DIR -q`` as an analyst does: process wall time.

    Includes Python's start and the imports, unlike the in-process measurements.
    """
    code = "import sys; from landuse.cli import main; sys.exit(main())"
    cmd = [sys.executable, "-c", code, "assess", str(data), "--no-raster", "--out", str(out / "cli"),
           "--overwrite", "-q"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code_ = os.waitstatus_to_exitcode(status)
    if code_ != 0:
        return {"seconds": None, "note": f"failed ({code_}): {err.strip()[-200:]}"}
    return {"seconds": wall, "process_seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_mib": usage.ru_maxrss / 1024,
            "note": "landuse assess --no-raster --out -q (process wall time, with start-up)"}


def best_of(runs: list[dict[str, object]]) -> dict[str, object]:
    """The fastest run of a measurement, with every run's wall and process time and the highest peak."""
    ok = [r for r in runs if r.get("seconds") is not None]
    if not ok:
        return runs[-1]
    best = dict(min(ok, key=lambda r: float(r["seconds"])))  # type: ignore[arg-type]
    best["runs"] = [r.get("seconds") for r in runs]
    best["process_runs"] = [r.get("process_seconds") for r in runs]
    best["peak_runs"] = [r.get("peak_mib") for r in runs]
    best["peak_mib"] = max(float(r.get("peak_mib") or 0.0) for r in ok)
    if len(ok) < len(runs):
        best["note"] = f"{len(runs) - len(ok)} of {len(runs)} runs failed"
    return best


def ensure_data(size: str, data: Path | None, raster: float | None, seed: int,
                messy: bool = False, survey: int | None = None) -> Path:
    """Return the workspace folder, generating it with scripts/synth.py when missing."""
    if data is not None:
        return data
    folder = Path(tempfile.gettempdir()) / (
        f"landuse-bench-{size}" + ("-messy" if messy else "") + (f"-lc{raster:g}" if raster else "")
        + (f"-survey{survey}" if survey else ""))
    if (not (folder / "批次.gpkg").exists() or (raster and not (folder / "landcover.tif").exists())
            or (survey and not (folder / "地类图斑.gpkg").exists())):
        cmd = [sys.executable, str(HERE / "synth.py"), "--size", size, "--out", str(folder),
               "--seed", str(seed), "--overwrite"]
        if raster:
            cmd += ["--raster", f"{raster:g}"]
        if messy:
            cmd += ["--messy"]
        if survey:
            cmd += ["--survey", str(survey)]
        print(f"generating {folder} ...", file=sys.stderr)
        subprocess.run(cmd, check=True)
    return folder


def _revision() -> str:
    """The commit measured, with ``+dirty`` when landuse/ has uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "landuse"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _agreement(results: dict[str, dict[str, object]]) -> float | None:
    """Largest difference between the naive script's supply rate and landuse's T2 rate.

    The naive script ignores revocations, the cap and parcels without
    geometry, so a few points of difference are expected; more means a bug.
    """
    import pandas as pd

    naive = results.get("naive", {}).pop("rates", None)
    csv = results.get("assess", {}).get("counties_csv")
    if not naive or not csv or not Path(str(csv)).exists():
        return None
    ours = pd.read_csv(str(csv), dtype={"county_code": str}).set_index("county_code")["T2_rate"]
    theirs = pd.Series(naive)
    both = ours.reindex(theirs.index).dropna()
    return float((both - theirs[both.index]).abs().max()) if len(both) else None


def _anchor_agreement(results: dict[str, dict[str, object]]) -> dict[str, float]:
    """Largest difference between each SQL anchor's supply rate and the naive script's.

    They compute the same thing with the same GEOS, so anything above ~1e-9 is a bug
    in the anchor, and its time would not be a fair yardstick.
    """
    import pandas as pd

    naive = results.get("naive", {}).get("rates")
    out: dict[str, float] = {}
    for name in ("duckdb", "sedonadb"):
        rates = results.get(name, {}).pop("rates", None)
        if naive and rates:
            theirs, ours = pd.Series(naive), pd.Series(rates)
            out[name] = float((ours - theirs.reindex(ours.index)).abs().max())
    return out


def _fmt(v: object, spec: str = ".2f") -> str:
    return "—" if v is None else format(v, spec)


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    argv = sys.argv[1:] if argv is None else argv
    if "--worker" in argv:
        return worker(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["small", "province", "national"], default="small")
    parser.add_argument("--data", type=Path, default=None,
                        help="an existing workspace folder (default: generate one with synth.py)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (best kept)")
    parser.add_argument("--raster", type=float, default=None, metavar="RES",
                        help="generate the data with a land-cover raster of RES metres")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--messy", action="store_true",
                        help="generate a messy workspace (synth.py --messy: irregular, overlapping parcels)")
    parser.add_argument("--survey", type=int, default=None, metavar="N",
                        help="generate the data with a land survey of N polygons")
    parser.add_argument("--engine", choices=["local", "dask", "both"], default="local",
                        help="also time assess through a local Dask cluster")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["naive", "floor", "duckdb", "sedonadb", "assess", "cli", "ledgers",
                                 "full", "zonal", "survey"],
                        help="measurements to leave out")
    args = parser.parse_args(argv)
    data = ensure_data(args.size, args.data, args.raster, args.seed, args.messy, args.survey)
    has_raster = any(p.suffix.lower() in {".tif", ".tiff"} for p in data.iterdir())
    kinds = ["naive", "floor"]
    kinds += [k for k, module in (("duckdb", "duckdb_extension_spatial"), ("sedonadb", "sedonadb"))
              if importlib.util.find_spec(module) is not None]
    kinds += ["assess", "cli", "ledgers"]
    if has_raster:
        kinds += ["zonal"]
    kinds += ["full"]
    if (data / "地类图斑.gpkg").exists():
        kinds += ["survey"]
    if args.engine in ("dask", "both"):
        kinds += ["dask"]
    kinds = [k for k in kinds if k not in args.skip]
    results: dict[str, dict[str, object]] = {}
    agreement = None
    runs: dict[str, list[dict[str, object]]] = {k: [] for k in kinds}
    # The command as installed: a wheel's modules are compiled; an editable install's are not,
    # and with PYTHONDONTWRITEBYTECODE set each run would compile them anew.
    compileall.compile_dir(REPO / "landuse", quiet=1)
    with tempfile.TemporaryDirectory(prefix="landuse-bench-out-") as tmp:
        # Rounds, not blocks: every measurement once per round, so a busy spell on the
        # machine falls on all of them alike and the ratios of one round stay comparable.
        for round_ in range(args.repeat):
            for kind in kinds:
                print(f"round {round_ + 1}/{args.repeat}: {kind} ...", file=sys.stderr)
                if kind == "cli":
                    runs[kind].append(run_cli_once(data, Path(tmp)))
                else:
                    runs[kind].append(run_worker_once(kind, data, Path(tmp)))
        results = {k: best_of(v) for k, v in runs.items()}
        anchors = _anchor_agreement(results)
        agreement = _agreement(results)

    rows = results.get("assess", {}).get("rows") or results.get("full", {}).get("rows") or {}
    n_rows = int(rows.get("batches", 0)) + int(rows.get("supplies", 0))

    def rate(seconds: object) -> float | None:
        return n_rows / float(seconds) if seconds else None

    revision = _revision()
    print(f"\nlanduse benchmark at {revision}: size={args.size} data={data} "
          f"({rows.get('batches', '?')} batches, {rows.get('supplies', '?')} supplies, "
          f"{rows.get('counties', '?')} counties); {os.cpu_count()} CPUs, "
          f"{platform.python_version()}, repeat={args.repeat}\n")
    header = f"{'measurement / stage':<28}{'wall s':>9}{'CPU s':>9}{'rows/s':>11}{'peak MiB':>10}  note"
    print(header)
    print("-" * len(header))
    for kind in kinds:
        r = results[kind]
        print(f"{kind:<28}{_fmt(r.get('seconds')):>9}{_fmt(r.get('cpu_seconds')):>9}"
              f"{_fmt(rate(r.get('seconds')), ',.0f'):>11}{_fmt(r.get('peak_mib'), ',.0f'):>10}  "
              f"{r.get('note', '')}")
        for s in r.get("stages", []):
            print(f"  {s['stage']:<26}{_fmt(s.get('seconds')):>9}{_fmt(s.get('cpu_seconds')):>9}"
                  f"{'':>11}{_fmt(s.get('peak_mib'), ',.0f'):>10}  {s.get('note', '')}")

    def sec(kind: str) -> float | None:
        v = results.get(kind, {}).get("seconds")
        return float(v) if v is not None else None

    def per_round(num: str, den: str, key: str = "seconds") -> list[float]:
        a = [r.get(key) for r in runs.get(num, [])]
        b = [r.get(key) for r in runs.get(den, [])]
        return [float(x) / float(y) for x, y in zip(a, b, strict=False) if x and y]

    assess_s, naive_s, floor_s = sec("assess"), sec("naive"), sec("floor")
    duck_s = sec("duckdb")
    duck_process = results.get("duckdb", {}).get("process_seconds")
    ratio_naive = assess_s / naive_s if assess_s and naive_s else None
    ratio_floor = assess_s / floor_s if assess_s and floor_s else None
    # The analyst's view: the whole command against the whole naive script, each a process
    # with its start-up and imports.
    naive_process = results.get("naive", {}).get("process_seconds")
    cli_s = sec("cli")
    ratio_cli = cli_s / float(naive_process) if cli_s and naive_process else None
    peak_gib = (float(results["assess"]["peak_mib"]) / 1024) if "assess" in results and results[
        "assess"].get("peak_mib") else None
    summary = {
        "size": args.size, "revision": revision, "data": str(data), "rows": rows, "cpus": os.cpu_count(),
        "assess_seconds": assess_s, "naive_seconds": naive_s, "floor_seconds": floor_s,
        "ratio_to_naive": ratio_naive, "ratio_to_floor": ratio_floor,
        "naive_process_seconds": naive_process, "ratio_cli_to_naive_process": ratio_cli,
        "messy": args.messy,
        "assess_peak_gib": peak_gib, "rows_per_second": rate(assess_s),
        "cli_seconds": sec("cli"),
        "zonal_seconds": sec("zonal"), "dask_seconds": sec("dask"), "survey_seconds": sec("survey"),
        "naive_vs_T2_max_abs_diff": agreement,
        "duckdb_seconds": duck_s, "duckdb_process_seconds": duck_process,
        "sedonadb_seconds": sec("sedonadb"),
        "ratio_assess_to_duckdb": assess_s / duck_s if assess_s and duck_s else None,
        "ratio_cli_to_duckdb_process": (cli_s / float(duck_process) if cli_s and duck_process
                                        else None),
        "rounds": {
            "cli/naive (processes)": per_round("cli", "naive", "process_seconds"),
            "assess/naive": per_round("assess", "naive"),
            "assess/floor": per_round("assess", "floor"),
            "assess/duckdb": per_round("assess", "duckdb"),
            "cli/duckdb (processes)": per_round("cli", "duckdb", "process_seconds"),
        },
        "anchors_vs_naive_max_abs_diff": anchors,
        "results": results,
    }
    print()
    print(f"assess / naive = {_fmt(ratio_naive)} (target <= {TARGET_RATIO_NAIVE}); "
          f"assess / floor = {_fmt(ratio_floor)} (target <= {TARGET_RATIO_FLOOR}); "
          f"assess peak = {_fmt(peak_gib)} GiB (target < {TARGET_PEAK_GIB})"
          + (f"; zonal = {_fmt(sec('zonal'))} s (target < {TARGET_ZONAL_S})" if "zonal" in results
             else "")
          + (f"; survey = {_fmt(sec('survey'))} s (target < {TARGET_SURVEY_S})" if "survey" in results
             else ""))
    print(f"cli / naive, whole processes = {_fmt(ratio_cli)} ({_fmt(cli_s)} s / "
          f"{_fmt(naive_process)} s; target <= {TARGET_RATIO_NAIVE})")
    if duck_s:
        print(f"assess / duckdb query = {_fmt(summary['ratio_assess_to_duckdb'])}; cli / duckdb, whole "
              f"processes = {_fmt(summary['ratio_cli_to_duckdb_process'])} ({_fmt(cli_s)} s / "
              f"{_fmt(duck_process)} s; target <= {TARGET_RATIO_DUCKDB})")
    for name, values in summary["rounds"].items():  # type: ignore[union-attr]
        if values:
            print(f"  per round, {name}: " + ", ".join(f"{v:.2f}" for v in values))
    for name, diff in anchors.items():
        print(f"{name} supply rate vs the naive script's: largest difference {diff:.2e}")
    if args.size == "national":
        for kind in ("assess", "cli"):
            for i, r in enumerate(runs.get(kind, []), 1):
                print(f"national {kind} run {i}: {_fmt(r.get('seconds'))} s, peak "
                      f"{_fmt(float(r.get('peak_mib') or 0) / 1024)} GiB (targets: "
                      f"{TARGET_NATIONAL_S:g} s, {TARGET_NATIONAL_GIB:g} GiB, every run)")
    if agreement is not None:
        print(f"naive supply rate vs landuse T2 rate: largest difference {agreement:.4f} "
              "(the naive script ignores revocations, caps and parcels without geometry)")
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
