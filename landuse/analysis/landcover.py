"""Zonal statistics over the land-cover raster.

"Land class unchanged" and "developed area" come from the share of
built-up and cultivated pixels inside a geometry, weighted by the part of
each pixel the geometry covers (exactextract), so a small parcel on a
30 m grid is measured fairly.

A province holds some hundred thousand parcels on a raster of billions of
pixels, so the geometries are sorted by the raster tile their bounds start
in and each tile's pixels (the window covering all its geometries) are read
once; exactextract measures the geometries on the raster's own grid, taking
their pixels from that window as codes for other, built-up and cultivated
classes, so the shares are those of a pixel-by-pixel read. A large input is
shared, tile by tile, with a second Python process.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import current_process, spawn

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from exactextract import exact_extract
from exactextract.feature import Feature, FeatureSource
from exactextract.raster import RasterSource
from exactextract.writer import Writer
from pyproj import CRS

from landuse._arrays import cpus, polygonal
from landuse.io.files import LandCover, landcover_dataset
from landuse.rules.model import LandCoverRules

__all__ = ["class_shares"]

#: Side, in pixels, of the tiles the geometries are grouped by (a multiple of the usual
#: 256 or 512 pixel GeoTIFF block, so each block is decompressed about once).
TILE_PIXELS = 512
#: Fewest geometries inside the raster worth a second process (it takes a second to start).
PARALLEL_MIN = 20_000
#: Processes measuring a large input, this one included.
WORKERS = 2
#: A geometry with more pixels than this in its bounds is not read at once: exactextract
#: reads it piece by piece, as it would from the file.
_BIG_WINDOW = 4096 * 4096
#: Runs of tiles per process, so that no process waits long for the other at the end.
_RUNS_PER_WORKER = 12
#: Most geometries in a run: the file is opened for each run, which bounds GDAL's cache
#: of decompressed blocks.
_RUN_GEOMETRIES = 5_000

# Codes the classes are mapped to; bits, so a class both built-up and cultivated is 3.
_BUILT, _CULTIVATED, _NODATA = 1, 2, 4

_Classes = tuple[tuple[float, ...], tuple[float, ...]]
_Result = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Grid:
    """The raster's grid as exactextract sees it: extent, rows and columns."""

    left: float
    bottom: float
    right: float
    top: float
    height: int
    width: int

    @classmethod
    def of(cls, landcover: LandCover) -> _Grid:
        left, bottom, right, top = (float(v) for v in landcover.bounds)
        return cls(left, bottom, right, top, int(landcover.shape[0]), int(landcover.shape[1]))

    @property
    def res(self) -> tuple[float, float]:
        return (self.right - self.left) / self.width, (self.top - self.bottom) / self.height

    def windows(self, bounds: np.ndarray) -> np.ndarray:
        """Pixel windows ``(row0, col0, row1, col1)`` holding ``bounds`` with a pixel to spare.

        Clipped to the raster: an empty window means the geometry misses it.
        """
        dx, dy = self.res
        with np.errstate(invalid="ignore"):
            c0 = np.floor((bounds[:, 0] - self.left) / dx) - 1
            c1 = np.ceil((bounds[:, 2] - self.left) / dx) + 1
            r0 = np.floor((self.top - bounds[:, 3]) / dy) - 1
            r1 = np.ceil((self.top - bounds[:, 1]) / dy) + 1
        win = np.stack([np.clip(r0, 0, self.height), np.clip(c0, 0, self.width),
                        np.clip(r1, 0, self.height), np.clip(c1, 0, self.width)], axis=1)
        return np.nan_to_num(win).astype(np.int64)


@dataclass(frozen=True)
class _Run:
    """Geometries as WKB, sorted by tile, and the window of pixels each tile needs.

    ``windows[t]`` holds geometries ``starts[t]`` to ``starts[t + 1]``; a
    window of -1s (a geometry too large to read at once) is read as
    exactextract asks.
    """

    wkb: np.ndarray
    starts: np.ndarray
    windows: np.ndarray


def class_shares(
    geometries: gpd.GeoSeries,
    landcover: LandCover,
    rules: LandCoverRules,
    *,
    tile_pixels: int = TILE_PIXELS,
    parallel_min: int = PARALLEL_MIN,
    workers: int = WORKERS,
) -> pd.DataFrame:
    """Return the built-up and cultivated share of each geometry.

    Parameters
    ----------
    geometries : geopandas.GeoSeries
        Polygons in a projected CRS; missing or empty ones give NaN.
    landcover : LandCover
        The raster (class codes, CLCD by default).
    rules : LandCoverRules
        Which classes are built-up and which cultivated.
    tile_pixels : int, optional
        Side, in pixels, of the tiles the geometries are grouped by; the
        pixels each tile needs are read once.
    parallel_min : int, optional
        With at least this many geometries on the raster, the tiles are
        shared among ``workers`` processes.
    workers : int, optional
        Processes measuring a large input, this one included (at most 2 are
        used); 1 measures everything in this process.

    Returns
    -------
    pandas.DataFrame
        On ``geometries``' index: ``built_share`` and ``cultivated_share``
        (fractions of the covered, non-nodata area), ``covered`` (True where
        the raster covers the geometry).

    Notes
    -----
    The geometries are grouped by tile of ``tile_pixels`` pixels; for each
    tile one window covering its geometries is read, and exactextract takes
    each geometry's pixels from it, on the raster's own grid, as codes for
    built-up, cultivated, other and nodata. The coverage fractions, and so
    the shares, are those exactextract gives reading the file pixel by
    pixel. With ``parallel_min`` geometries or more (and more than one
    CPU), a helper process started with the same Python measures runs of
    tiles too; should it fail, this process measures them.
    """
    n = len(geometries)
    built = np.full(n, np.nan)
    cult = np.full(n, np.nan)
    covered = np.zeros(n, dtype=bool)
    values = polygonal(geometries.to_numpy())  # pixels are counted under areas only
    present = np.flatnonzero(~shapely.is_missing(values) & ~shapely.is_empty(values))
    shared = (workers > 1 and len(present) >= parallel_min and cpus() > 1
              and not current_process().daemon)
    # Started first, so that it imports while this process prepares the geometries.
    helper = _Helper() if shared else None
    try:
        if len(present):
            geoms = gpd.GeoSeries(values[present], crs=geometries.crs)
            if landcover.crs is not None and not CRS.from_user_input(landcover.crs).equals(geoms.crs):
                geoms = geoms.to_crs(landcover.crs)
            geom = np.asarray(geoms.to_numpy(), dtype=object)
            win = _Grid.of(landcover).windows(shapely.bounds(geom))
            inside = np.flatnonzero((win[:, 2] > win[:, 0]) & (win[:, 3] > win[:, 1]))
        else:
            inside = present
        if len(inside):
            order, starts, windows = _tiles(win[inside], tile_pixels)
            rows = inside[order]
            run = _Run(shapely.to_wkb(geom[rows]), starts, windows)
            classes = (tuple(rules.built_up_classes), tuple(rules.cultivated_classes))
            parts = -(-len(rows) // _RUN_GEOMETRIES)
            if helper is not None and len(rows) >= parallel_min:
                pieces = _split(run, max(parts, 2 * _RUNS_PER_WORKER))
                results = _measure_shared(pieces, landcover, classes, helper)
            else:
                results = [_measure(piece, landcover, classes) for piece in _split(run, parts)]
            total, b, c = (np.concatenate(r) for r in zip(*results, strict=True))
            at = present[rows]
            covered[at] = total > 0
            built[at] = np.where(total > 0, b, np.nan)
            cult[at] = np.where(total > 0, c, np.nan)
    finally:
        if helper is not None:
            helper.close()
    return pd.DataFrame({"built_share": built, "cultivated_share": cult, "covered": covered},
                        index=geometries.index)


def _tiles(win: np.ndarray, tile_pixels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort windows by the tile their top-left corner falls in, tile rows first.

    Returns the order, where each tile's geometries start in it (and their
    count last), and the window covering each tile's geometries. A geometry
    too large to read at once makes a tile of its own, with a window of -1s.
    """
    big = (win[:, 2] - win[:, 0]) * (win[:, 3] - win[:, 1]) > _BIG_WINDOW
    tile_row = win[:, 0] // tile_pixels
    tile_col = win[:, 1] // tile_pixels
    key = tile_row * (int(tile_col.max()) + 1) + tile_col
    key = np.where(big, int(key.max()) + 1 + np.arange(len(win)), key)
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    w = win[order]
    windows = np.stack([np.minimum.reduceat(w[:, 0], starts), np.minimum.reduceat(w[:, 1], starts),
                        np.maximum.reduceat(w[:, 2], starts), np.maximum.reduceat(w[:, 3], starts)],
                       axis=1)
    windows[big[order][starts]] = -1
    return order, np.r_[starts, len(win)], windows


def _split(run: _Run, parts: int) -> list[_Run]:
    """Cut a run between tiles into at most ``parts`` runs of about as many geometries."""
    cuts = np.searchsorted(run.starts, np.linspace(0, len(run.wkb), parts + 1)[1:-1])
    edges = np.unique(np.r_[0, cuts, len(run.starts) - 1])
    pieces = []
    for a, b in itertools.pairwise(edges):
        s = run.starts[a:b + 1]
        pieces.append(_Run(run.wkb[s[0]:s[-1]], s - s[0], run.windows[a:b]))
    return pieces


def _measure(run: _Run, landcover: LandCover, classes: _Classes) -> _Result:
    """Measure a run's geometries, in order.

    Returns the sum of the class fractions (0 where no pixel with data is
    covered), the built-up share and the cultivated share.
    """
    with landcover_dataset(landcover) as src:
        raster = _TileRaster(src, _Grid.of(landcover), *classes)
        sink = _Sink()
        exact_extract(raster, _Features(run, raster), ["unique", "frac"], output=sink)
    return sink.result(len(run.wkb))


# --- sharing the work with a second process ------------------------------------------------
# A plain subprocess rather than multiprocessing: it imports this module only, never the
# caller's main script (which may not guard its work behind ``if __name__ == "__main__"``),
# and GDAL starts afresh in it.
_HELPER_CODE = (
    "import pickle, sys; sys.path[:0] = pickle.load(sys.stdin.buffer); "
    "from landuse.analysis.landcover import _serve; _serve()"
)


def _serve() -> None:
    """Helper process: measure the runs pickled on stdin, answering each on stdout.

    An answer of None means "failed here, measure it yourself", so that a
    real error is raised, with its traceback, by the process that asked.
    """
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, not into the answers
    while True:
        try:
            run, landcover, classes = pickle.load(requests)
        except EOFError:
            return
        try:
            result: _Result | None = _measure(run, landcover, classes)
        except Exception:
            result = None
        pickle.dump(result, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


class _Helper:
    """A second Python process measuring the runs it is sent (see :func:`_serve`).

    Any failure (it did not start, it died) makes :meth:`measure` return
    None, and the caller measures that run itself.
    """

    def __init__(self):
        self._proc = subprocess.Popen([spawn.get_executable(), "-c", _HELPER_CODE],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL)
        with contextlib.suppress(OSError):
            pickle.dump(list(sys.path), self._proc.stdin)
            self._proc.stdin.flush()

    def measure(self, run: _Run, landcover: LandCover, classes: _Classes) -> _Result | None:
        try:
            pickle.dump((run, landcover, classes), self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.flush()
            return pickle.load(self._proc.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            return None

    def kill(self) -> None:
        self._proc.kill()

    def close(self) -> None:
        """Let the process end (it ends when its input closes); kill it if it does not."""
        for pipe in (self._proc.stdin, self._proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def _measure_shared(
    pieces: list[_Run], landcover: LandCover, classes: _Classes, helper: _Helper
) -> list[_Result]:
    """Measure runs of tiles here and in the helper process.

    The helper takes runs from the front while this process takes them
    from the back, so the helper's start costs little and neither waits
    long for the other at the end. What the helper could not measure is
    measured here.
    """
    results: list[_Result | None] = [None] * len(pieces)
    queue = collections.deque(range(len(pieces)))

    def feed() -> None:
        while True:
            try:
                i = queue.popleft()
            except IndexError:
                return
            results[i] = helper.measure(pieces[i], landcover, classes)
            if results[i] is None:
                return

    feeder = threading.Thread(target=feed, name="landuse-raster-helper", daemon=True)
    feeder.start()
    try:
        while True:
            try:
                i = queue.pop()
            except IndexError:
                break
            results[i] = _measure(pieces[i], landcover, classes)
        feeder.join()
    finally:
        if feeder.is_alive():  # this process failed: stop the helper
            helper.kill()
            feeder.join()
    return [r if r is not None else _measure(p, landcover, classes)
            for r, p in zip(results, pieces, strict=True)]


# --- what exactextract calls back --------------------------------------------------------------
def _lookup(dtype: np.dtype, classes: _Classes, nodata: float | None) -> np.ndarray | None:
    """The code of every value of an 8-bit raster, nodata included (None for other rasters)."""
    if dtype.itemsize != 1 or dtype.kind not in "ui":
        return None
    values = np.arange(256, dtype=np.uint8).view(dtype).astype(np.int64)  # by bit pattern
    lut = (np.isin(values, classes[0]) * _BUILT + np.isin(values, classes[1]) * _CULTIVATED)
    if nodata is not None:
        lut[values == nodata] = _NODATA
    return lut.astype(np.uint8)


class _TileRaster(RasterSource):
    """The raster's grid, its pixels coded, served from the window read for the current tile.

    Pixels are masked as rasterio masks them (as exactextract reads a
    rasterio dataset): by the nodata value, or by the mask band where there
    is one; NaN is nodata too.
    """

    def __init__(self, src: object, grid: _Grid, built: tuple[float, ...],
                 cultivated: tuple[float, ...]):
        super().__init__()
        self._src = src
        self._grid = grid
        self._classes = (built, cultivated)
        scale, offset = float(src.scales[0]), float(src.offsets[0])
        self._scaled = (scale, offset) != (1.0, 0.0)
        self._scale, self._offset = scale, offset
        flags = {f.name for f in src.mask_flag_enums[0]}
        # Mask read from GDAL unless the nodata value alone says which pixels are missing.
        self._masked = "all_valid" not in flags and (flags != {"nodata"} or self._scaled)
        self._nodata = None if self._masked or "all_valid" in flags else src.nodata
        self._lut = None if self._scaled else _lookup(np.dtype(src.dtypes[0]), self._classes,
                                                      self._nodata)
        self._tile: tuple[np.ndarray, np.ndarray | None] | None = None
        self._origin = (0, 0)

    def load(self, window: np.ndarray) -> None:
        """Read the pixels of ``(row0, col0, row1, col1)``; -1s: read as asked."""
        r0, c0, r1, c1 = (int(v) for v in window)
        self._tile = None if r0 < 0 else self._read(r0, c0, r1 - r0, c1 - c0)
        self._origin = (r0, c0)

    def _read(self, row: int, col: int, nrows: int, ncols: int) -> tuple[np.ndarray, np.ndarray | None]:
        from rasterio.windows import Window

        window = Window(col, row, ncols, nrows)
        if not self._masked:
            return self._src.read(1, window=window), None
        read = self._src.read(1, window=window, masked=True)
        arr = read.data
        if self._scaled:
            arr = arr * self._scale + self._offset
        return arr, np.ma.getmaskarray(read)

    def _code(self, arr: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        if self._lut is not None:
            code = self._lut[arr.view(np.uint8)]
        else:
            built, cultivated = self._classes
            code = (np.isin(arr, built) * _BUILT + np.isin(arr, cultivated) * _CULTIVATED
                    ).astype(np.uint8)
            if arr.dtype.kind == "f":
                code[np.isnan(arr)] = _NODATA  # exactextract skips NaN
            if self._nodata is not None:
                code[arr == self._nodata] = _NODATA
        if mask is not None:
            code[mask] = _NODATA
        return code

    def read_window(self, x0: int, y0: int, nx: int, ny: int) -> np.ndarray:
        r, c = y0 - self._origin[0], x0 - self._origin[1]
        if self._tile is None or r < 0 or c < 0:
            return self._code(*self._read(y0, x0, ny, nx))
        arr, mask = self._tile
        if r + ny > arr.shape[0] or c + nx > arr.shape[1]:
            return self._code(*self._read(y0, x0, ny, nx))
        return self._code(arr[r:r + ny, c:c + nx], None if mask is None else mask[r:r + ny, c:c + nx])

    def res(self) -> tuple[float, float]:
        return self._grid.res

    def extent(self) -> tuple[float, float, float, float]:
        g = self._grid
        return g.left, g.bottom, g.right, g.top

    def nodata_value(self) -> int:
        return _NODATA

    def srs_wkt(self) -> None:
        return None  # the geometries are in the raster's CRS already


class _WkbFeature(Feature):
    def __init__(self, wkb: bytes):
        Feature.__init__(self)
        self._wkb = wkb

    def geometry(self) -> bytes:
        return self._wkb

    def set_geometry_format(self) -> str:
        return "wkb"

    def fields(self) -> list[str]:
        return []


class _Features(FeatureSource):
    """A run's geometries in order, reading each tile's pixels before its first geometry."""

    def __init__(self, run: _Run, raster: _TileRaster):
        super().__init__()
        self._run = run
        self._raster = raster

    def count(self) -> int:
        return len(self._run.wkb)

    def srs_wkt(self) -> None:
        return None

    def __iter__(self) -> Iterator[_WkbFeature]:
        run = self._run
        for t, window in enumerate(run.windows):
            self._raster.load(window)
            for wkb in run.wkb[run.starts[t]:run.starts[t + 1]]:
                yield _WkbFeature(wkb)


class _Row(Feature):
    """Receives one feature's results from exactextract."""

    def __init__(self, columns: dict[str, list]):
        Feature.__init__(self)
        self._columns = columns

    def set(self, name: str, value: object) -> None:
        self._columns[name].append(value)

    def set_geometry(self, geometry: object) -> None:
        pass

    def set_geometry_format(self) -> str:
        return "wkb"

    def fields(self) -> list[str]:
        return []


class _Sink(Writer):
    """Collects ``unique`` and ``frac`` (codes and their share of the covered area) in order."""

    def __init__(self):
        super().__init__()
        self._columns: dict[str, list] = {"unique": [], "frac": []}
        self._row = _Row(self._columns)

    def write(self, feature: object) -> None:
        feature.copy_to(self._row)

    def features(self) -> None:
        return None

    def result(self, n: int) -> _Result:
        codes, fracs = self._columns["unique"], self._columns["frac"]
        if len(fracs) != n:
            msg = f"exactextract measured {len(fracs)} geometries of {n}"
            raise RuntimeError(msg)
        lengths = np.fromiter(map(len, fracs), dtype=np.int64, count=n)
        k = np.repeat(np.arange(n), lengths)
        code = np.concatenate([np.zeros(0, np.int64), *codes]).astype(np.int64)
        frac = np.concatenate([np.zeros(0), *fracs]).astype(np.float64)
        return (np.bincount(k, weights=frac, minlength=n),
                np.bincount(k, weights=frac * ((code & _BUILT) > 0), minlength=n),
                np.bincount(k, weights=frac * ((code & _CULTIVATED) > 0), minlength=n))
