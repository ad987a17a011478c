"""Small array helpers shared by the analysis modules."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

#: Below this many geometries one thread is quicker than handing work round.
PARALLEL_MIN = 20_000

_pools: dict[int, ThreadPoolExecutor] = {}


def member(values: pd.Series | pd.Index, universe: Iterable[object]) -> np.ndarray:
    """Boolean mask: which ``values`` are in ``universe`` (missing values are not).

    The same as ``values.isin(universe)``, but through Arrow: pandas 3's
    ``isin`` on Arrow-backed text converts every value to a Python object,
    which costs seconds on a province's ids.
    """
    if isinstance(universe, pd.Series | pd.Index):
        value_set = arrow_text(universe)
    else:
        value_set = pa.array([str(u) for u in universe if u is not None and u is not pd.NA],
                             type=pa.large_string())
    hits = pc.is_in(arrow_text(values), value_set=value_set, skip_nulls=True)
    return np.asarray(hits.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def positions(keys: pd.Series | pd.Index | np.ndarray, labels: pd.Series | pd.Index) -> np.ndarray:
    """Position of each key among ``labels`` (unique), -1 where absent or missing.

    ``pd.Index(labels).get_indexer(keys)`` through Arrow's hash join: several
    times faster on millions of Arrow-backed ids.
    """
    found = pc.index_in(arrow_text(keys), value_set=arrow_text(labels), skip_nulls=True)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def arrow_text(values: pd.Series | pd.Index | np.ndarray) -> pa.Array:
    """Values as one Arrow ``large_string`` array, without a copy when already Arrow text."""
    if not isinstance(values, pd.Series | pd.Index):
        values = pd.Series(np.asarray(values, dtype=object))
    dtype = values.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        values = values.astype("string")
    array = pa.array(values.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads() -> int:
    """How many threads the geometry work may use: ``LANDUSE_THREADS``, else :func:`cpus`."""
    env = os.environ.get("LANDUSE_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return cpus()


def _pool(n: int) -> ThreadPoolExecutor:
    if n not in _pools:
        _pools[n] = ThreadPoolExecutor(n, thread_name_prefix="landuse")
    return _pools[n]


def parallel(func: Callable[..., np.ndarray], *arrays: np.ndarray, **kwargs: Any) -> np.ndarray:
    """Call a vectorised shapely function on slices of ``arrays`` in threads.

    shapely 2 releases the GIL inside GEOS, so ``covers``, ``intersection``,
    ``difference`` and the like run on every core this way; the result is
    the same as ``func(*arrays, **kwargs)``. Small inputs run in one call.
    """
    size = len(arrays[0])
    n = threads()
    if n < 2 or size < PARALLEL_MIN:
        return func(*arrays, **kwargs)
    # More slices than threads, so one slice of costly shapes does not hold the rest up.
    cuts = np.linspace(0, size, 4 * n + 1).astype(int)
    futures = [_pool(n).submit(func, *(a[lo:hi] for a in arrays), **kwargs) for lo, hi in pairwise(cuts)]
    return np.concatenate([f.result() for f in futures])


def parallel_map(func: Callable[[Any], Any], items: Sequence[Any], *, cost: int | None = None) -> list[Any]:
    """``[func(x) for x in items]``, over threads when there is enough work (``cost`` items of it)."""
    n = threads()
    if n < 2 or (cost if cost is not None else len(items)) < PARALLEL_MIN // 4 or len(items) < 2:
        return [func(x) for x in items]
    cuts = np.linspace(0, len(items), 4 * n + 1).astype(int)

    def run(lo: int, hi: int) -> list[Any]:
        return [func(x) for x in items[lo:hi]]

    futures = [_pool(n).submit(run, lo, hi) for lo, hi in pairwise(cuts)]
    return [y for f in futures for y in f.result()]


def reindexed(obj: pd.Series | pd.DataFrame, keys: pd.Series | pd.Index | np.ndarray
              ) -> pd.Series | pd.DataFrame:
    """``obj.reindex(keys)`` for text labels, through :func:`positions` (missing keys give NA).

    ``obj``'s index must be unique text. The result's index is ``keys``.
    """
    pos = positions(keys, obj.index)
    index = keys if isinstance(keys, pd.Index) else pd.Index(keys)
    if isinstance(obj, pd.DataFrame):
        if (pos >= 0).all():
            return obj.iloc[pos].set_axis(index, axis=0)
        return pd.DataFrame({c: pd.api.extensions.take(obj[c].array, pos, allow_fill=True) for c in obj.columns},
                            index=index)
    values = pd.api.extensions.take(obj.array, pos, allow_fill=True)
    return pd.Series(values, index=index, name=obj.name)


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the areal part of each geometry: a collection gives its polygons, a bare point
    or line (an overlay's sliver) gives None; polygons pass unchanged."""
    types = shapely.get_type_id(geoms)
    odd = ~np.isin(types, (-1, 3, 6))  # -1: missing
    if not odd.any():
        return geoms
    out = np.array(geoms, dtype=object, copy=True)
    for k in np.flatnonzero(odd):  # a handful: overlays rarely leave collections
        parts = shapely.get_parts(out[k])
        keep = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[k] = shapely.union_all(keep) if len(keep) else None
    return out


def covered(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """``shapely.covers(outer, inner)``, asking GEOS only where ``inner``'s box lies in ``outer``'s.

    A shape whose box pokes out of the outline's box cannot be covered by it;
    the box test is plain arithmetic, the GEOS test is not.
    """
    a, b = shapely.bounds(outer), shapely.bounds(inner)
    maybe = (b[:, 0] >= a[:, 0]) & (b[:, 1] >= a[:, 1]) & (b[:, 2] <= a[:, 2]) & (b[:, 3] <= a[:, 3])
    out = np.zeros(len(inner), dtype=bool)
    out[maybe] = parallel(shapely.covers, outer[maybe], inner[maybe])
    return out


def take_away(outlines: np.ndarray, owner: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Each outline less the parts it owns (part ``k`` belongs to ``outlines[owner[k]]``).

    The parts are taken away one rank at a time: every outline loses its first
    part in one vectorised call, then its second, and so on. An outline owns a
    handful, so this is a few calls, quicker than a union per outline, and the
    area left is the same.
    """
    values = np.array(outlines, dtype=object, copy=True)
    if len(parts) == 0:
        return values
    order = np.argsort(owner, kind="stable")
    owner, parts = np.asarray(owner)[order], np.asarray(parts, dtype=object)[order]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    rank = np.arange(len(owner)) - np.repeat(starts, np.diff(np.r_[starts, len(owner)]))
    for r in range(int(rank.max()) + 1):
        now = rank == r
        values[owner[now]] = parallel(shapely.difference, values[owner[now]], parts[now])
    return values


_libc: Any = None


def copies(geoms: np.ndarray, attrs: pd.DataFrame, where: np.ndarray | None = None) -> np.ndarray:
    """For each row, the position of the earlier row it repeats, -1 where it repeats none.

    A row repeats another when both are drawn, their outlines are equal and every
    column of ``attrs`` (on the same rows, in order) holds the same value: a feature
    exported twice under two ids. Box, area and attributes are compared at once;
    only the few rows that share them are compared whole (``shapely.equals``).
    ``where`` limits the rows that may repeat or be repeated.
    """
    geoms = np.asarray(geoms, dtype=object)
    first = np.full(len(geoms), -1)
    if len(geoms) < 2:
        return first
    drawn = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if where is not None:
        drawn &= where
    box = shapely.bounds(geoms)
    key = pd.concat([pd.DataFrame({"x0": box[:, 0], "y0": box[:, 1], "x1": box[:, 2], "y1": box[:, 3],
                                   "area": shapely.area(geoms)}), attrs.reset_index(drop=True)], axis=1)
    key.columns = range(key.shape[1])
    same = drawn & key.duplicated(keep=False).to_numpy()  # missing values are alike here
    if not same.any():
        return first
    rows = np.flatnonzero(same)
    group = key[same].groupby(list(key.columns), sort=False, dropna=False).ngroup().to_numpy()
    for g in np.unique(group):  # the repeated rows only: a handful
        members = rows[group == g]
        for k in members[1:]:
            if shapely.equals(geoms[k], geoms[members[0]]):
                first[k] = members[0]
    return first


def trim_heap() -> None:
    """Hand the C heap's free memory back to the system (glibc's ``malloc_trim``).

    GEOS shapes are made and dropped by the million on several threads, each with
    its own malloc arena; what is freed stays counted in the process's resident
    memory until trimmed. Called between the large steps of a national run; a
    no-op where the C library is not glibc.
    """
    global _libc
    if _libc is None:
        import ctypes
        import ctypes.util

        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = lib if hasattr(lib, "malloc_trim") else False
        except OSError:
            _libc = False
    if _libc:
        _libc.malloc_trim(0)
