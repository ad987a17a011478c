"""Thread-parallel shapely calls give what one call gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from _ws import A, batch, build, counties, sq, supply

from landuse import _arrays
from landuse.analysis.supply import batch_ledger, link_supplies


@pytest.fixture
def threaded(monkeypatch):
    """Two threads and no size floor, so the smallest input is sliced."""
    monkeypatch.setenv("LANDUSE_THREADS", "2")
    monkeypatch.setattr(_arrays, "PARALLEL_MIN", 1)


def test_parallel_matches_one_call(threaded):
    boxes = shapely.box(np.arange(50.0), 0, np.arange(50.0) + 1.5, 1)
    probe = shapely.box(10, 0, 20, 1)
    got = _arrays.parallel(shapely.intersection, boxes, np.full(50, probe))
    assert shapely.area(got).tolist() == shapely.area(shapely.intersection(boxes, probe)).tolist()
    assert _arrays.parallel(shapely.relate_pattern, boxes, np.full(50, probe), pattern="T********").sum() == 11
    assert _arrays.parallel_map(lambda x: x * x, list(range(30))) == [x * x for x in range(30)]


def test_threads_follow_the_environment(monkeypatch):
    monkeypatch.setenv("LANDUSE_THREADS", "3")
    assert _arrays.threads() == 3
    monkeypatch.setenv("LANDUSE_THREADS", "many")
    assert _arrays.threads() >= 1


def test_supply_ledger_is_the_same_in_threads(threaded):
    # B: 200 m square (4 ha); P1 and P2 (1 ha each) overlap by 0.5 ha; P3 (100 m × 50 m,
    # 0.5 ha) spills half outside. Supplied inside: 1.5 (P1 ∪ P2) + 0.25 = 1.75 ha.
    ws = build(
        counties=counties(A),
        batches=[batch("B", A, "2015-03-01", sq(0, 0, 200))],
        supplies=[supply("P1", "B", "2016-01-01", sq(0, 0, 50, 200)),
                  supply("P2", "B", "2016-01-01", sq(25, 0, 50, 200)),
                  supply("P3", "B", "2016-01-01", sq(150, 0, 100, 50))],
    )
    links = link_supplies(ws.batches, ws.supplies)
    ledger, _ = batch_ledger(ws, links, [pd.Timestamp("2018-12-31")])
    assert links.overlapping == {"B"}
    assert ledger.at["B", "S@2018-12-31"] == pytest.approx(1.75)
    assert ledger.at["B", "U@2018-12-31"] == pytest.approx(2.25)


def test_covered_is_covers_with_a_box_test_first():
    # An L-shaped outline (200 m square less its top-right 100 m quarter).
    ell = shapely.difference(shapely.box(0, 0, 200, 200), shapely.box(100, 100, 200, 200))
    inner = [
        shapely.box(10, 10, 90, 90),      # inside: covered
        shapely.box(0, 0, 100, 100),      # shares the outline's edges: covered
        shapely.box(150, 150, 190, 190),  # box inside the outline's box, but in the notch
        shapely.box(150, 50, 250, 90),    # pokes out of the box
        None,
    ]
    outer = np.array([ell] * len(inner), dtype=object)
    got = _arrays.covered(outer, np.array(inner, dtype=object))
    assert got.tolist() == [True, True, False, False, False]
    assert got.tolist() == shapely.covers(outer, np.array(inner, dtype=object)).tolist()


def test_take_away_removes_each_outlines_own_parts():
    # Two 100 m squares. The first owns two overlapping strips (x 0-30 and 20-50) and one
    # spilling out (x 90-120): 100 × 100 less x 0-50 and x 90-100 = 40 × 100. The second owns none.
    outlines = np.array([shapely.box(0, 0, 100, 100), shapely.box(200, 0, 300, 100)], dtype=object)
    parts = np.array([shapely.box(0, 0, 30, 100), shapely.box(90, 0, 120, 100),
                      shapely.box(20, 0, 50, 100)], dtype=object)
    left = _arrays.take_away(outlines, np.array([0, 0, 0]), parts)
    assert shapely.area(left).tolist() == pytest.approx([4_000.0, 10_000.0])
    assert shapely.bounds(left[0]).tolist() == pytest.approx([50, 0, 90, 100])
    assert outlines[0].area == 10_000.0  # the input is left alone


def test_trim_heap_reaches_glibc_on_linux():
    import sys

    from landuse import _arrays

    _arrays.trim_heap()
    _arrays.trim_heap()  # the library is looked up once, then called again
    if sys.platform.startswith("linux"):
        assert _arrays._libc is not False
        assert _arrays._libc.malloc_trim(0) in (0, 1)
