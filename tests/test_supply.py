"""Supply analysis: S_b, R_b, U_b and the rates, against hand-computed answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _ws import A, B, batch, build, counties, sq, supply

from landuse.analysis.supply import (
    batch_ledger,
    county_stock_disposal,
    county_supply_rates,
    link_supplies,
)

T = "2018-12-31"


def ledger_at(ws, *dates):
    links = link_supplies(ws.batches, ws.supplies)
    led, problems = batch_ledger(ws, links, dates or (T,))
    return led, problems


def test_overlapping_supplies_count_once():
    # B1 is 200 m × 200 m = 4 ha; P1 and P2 are 1 ha each and overlap by 50 m × 100 m = 0.5 ha.
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0, 200))],
        supplies=[supply("P1", "B1", "2018-03-01", sq(0, 0)), supply("P2", "B1", "2018-04-01", sq(50, 0))],
    )
    led, _ = ledger_at(ws)
    assert led.at["B1", f"S@{T}"] == pytest.approx(1.5)
    assert led.at["B1", f"U@{T}"] == pytest.approx(2.5)


def test_supply_partly_outside_its_batch_counts_inside_only():
    # P1 (1 ha) sticks 30 m out of B1's right edge: 70 m × 100 m = 0.7 ha inside.
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0, 200))],
        supplies=[supply("P1", "B1", "2018-03-01", sq(130, 0))],
    )
    led, _ = ledger_at(ws)
    assert led.at["B1", f"S@{T}"] == pytest.approx(0.7)


def test_supply_without_batch_id_is_linked_by_location_to_each_batch_it_overlaps():
    # P1 (100 m square, x 50..150) straddles B1 (x 0..100) and B2 (x 100..200): half in each.
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0)), batch("B2", A, "2014-01-01", sq(100, 0))],
        supplies=[supply("P1", None, "2018-03-01", sq(50, 0))],
    )
    led, _ = ledger_at(ws)
    assert led.at["B1", f"S@{T}"] == pytest.approx(0.5)
    assert led.at["B2", f"S@{T}"] == pytest.approx(0.5)


def test_supply_naming_a_batch_is_not_counted_in_a_neighbour_it_touches():
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0)), batch("B2", A, "2014-01-01", sq(100, 0))],
        supplies=[supply("P1", "B1", "2018-03-01", sq(50, 0))],
    )
    led, _ = ledger_at(ws)
    assert led.at["B1", f"S@{T}"] == pytest.approx(0.5)
    assert led.at["B2", f"S@{T}"] == 0.0


def test_supply_without_geometry_adds_its_area_to_its_batch():
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0, 200))],
        supplies=[supply("P1", "B1", "2018-03-01", sq(0, 0)),
                  supply("P2", "B1", "2018-03-01", None, area_ha=0.6, county_code=A)],
    )
    led, _ = ledger_at(ws)
    assert led.at["B1", f"S@{T}"] == pytest.approx(1.6)


def test_revocations_reduce_the_base_and_cap_the_supply():
    # B1 4 ha; 1 ha revoked in 2018; supplies 3.5 ha → capped at 4 − 1 = 3 ha.
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0, 200))],
        supplies=[supply("P1", "B1", "2018-03-01", sq(0, 0, 200, 175))],
        revocations=[{"batch_id": "B1", "kind": "核减", "area_ha": 1.0, "date": "2018-06-01"},
                     {"batch_id": "B1", "kind": "核减", "area_ha": 9.0, "date": "2019-06-01"}],
    )
    led, problems = ledger_at(ws, "2018-05-31", T)
    assert led.at["B1", "R@2018-05-31"] == 0.0
    assert led.at["B1", f"R@{T}"] == pytest.approx(1.0)
    assert led.at["B1", f"S@{T}"] == pytest.approx(3.0)
    assert led.at["B1", f"U@{T}"] == pytest.approx(0.0)
    assert bool(led.at["B1", f"capped@{T}"])
    assert [(p.layer, p.feature_id, p.field) for p in problems] == [("batches", "B1", "approved_ha")]
    rates = county_supply_rates(ws.batches, led, (pd.Timestamp("2013-01-01"), pd.Timestamp("2017-12-31")), T)
    assert rates.at[A, "rate"] == pytest.approx(1.0)
    assert rates.at[A, "base_ha"] == pytest.approx(3.0)


def test_revocations_are_capped_at_the_approved_area():
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0))],
        revocations=[{"batch_id": "B1", "kind": "失效", "area_ha": 3.0, "date": "2018-06-01"}],
        supplies=[],
    )
    led, _ = ledger_at(ws)
    assert led.at["B1", f"R@{T}"] == pytest.approx(1.0)
    assert led.at["B1", f"U@{T}"] == pytest.approx(0.0)


def test_window_and_as_of_boundaries_are_inclusive():
    # Four 1 ha batches on and just outside the 2013–2017 window, each fully supplied on T or T+1.
    ws = build(
        counties=counties(A),
        batches=[batch("in_first", A, "2013-01-01", sq(0, 0)),
                 batch("in_last", A, "2017-12-31", sq(200, 0)),
                 batch("before", A, "2012-12-31", sq(400, 0)),
                 batch("after", A, "2018-01-01", sq(600, 0))],
        supplies=[supply("P1", "in_first", T, sq(0, 0)),
                  supply("P2", "in_last", "2019-01-01", sq(200, 0)),
                  supply("P3", "before", T, sq(400, 0))],
    )
    led, _ = ledger_at(ws)
    window = (pd.Timestamp("2013-01-01"), pd.Timestamp("2017-12-31"))
    rates = county_supply_rates(ws.batches, led, window, T)
    assert rates.at[A, "base_ha"] == pytest.approx(2.0)  # in_first + in_last
    assert rates.at[A, "done_ha"] == pytest.approx(1.0)  # P1 dated on T counts, P2 the day after does not
    assert rates.at[A, "rate"] == pytest.approx(0.5)


def test_stock_disposal_is_the_fall_since_the_baseline():
    # B1 (2014, 4 ha): 1 ha supplied before T0, 1 ha after; 0.5 ha revoked after T0.
    # U(T0) = 3, U(T) = 4 − 2 − 0.5 = 1.5 → disposed 1.5 / 3 = 50 %.
    ws = build(
        counties=counties(A, B),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0, 200)),
                 batch("B9", B, "2016-01-01", sq(10_000, 0))],
        supplies=[supply("P1", "B1", "2017-06-01", sq(0, 0)), supply("P2", "B1", "2018-06-01", sq(100, 0))],
        revocations=[{"batch_id": "B1", "kind": "撤回", "area_ha": 0.5, "date": "2018-07-01"}],
    )
    led, _ = ledger_at(ws, "2018-01-01", T)
    window = (pd.Timestamp("2009-01-01"), pd.Timestamp("2015-12-31"))
    out = county_stock_disposal(ws.batches, led, window, "2018-01-01", T)
    assert out.at[A, "base_ha"] == pytest.approx(3.0)
    assert out.at[A, "done_ha"] == pytest.approx(1.5)
    assert out.at[A, "rate"] == pytest.approx(0.5)
    assert B not in out.index  # B's only batch is outside the window: no task


def test_supply_rate_of_a_county_without_batches_in_window_is_no_task():
    ws = build(counties=counties(A), batches=[batch("B1", A, "2011-01-01", sq(0, 0))], supplies=[])
    led, _ = ledger_at(ws)
    window = (pd.Timestamp("2013-01-01"), pd.Timestamp("2017-12-31"))
    assert county_supply_rates(ws.batches, led, window, T).empty


def test_supply_naming_a_missing_batch_counts_nowhere():
    # P1 lies inside B1 but names "B9", which does not exist: it names a batch, so it is not
    # linked by location either; the warning asks for the id to be corrected.
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0, 200))],
        supplies=[supply("P1", "B9", "2018-03-01", sq(0, 0))],
    )
    led, _ = ledger_at(ws)
    assert led.at["B1", f"S@{T}"] == 0.0
    named = [(p.layer, p.feature_id, p.field, p.severity) for p in ws.problems]
    assert ("supplies", "P1", "batch_id", "warning") in named


@pytest.mark.parametrize("sample", [2, 1000])
def test_overlap_found_by_the_quick_test_and_by_the_exact_one_alike(monkeypatch, sample):
    # Per batch of 100 m squares: O's two overlap by 70 m × 80 m, T's only touch along an edge,
    # C shares one corner, N has a ring of four touching squares and one square that
    # overlaps another by 1 m; with a small sample the quick test runs on every pair.
    import geopandas as gpd

    from landuse.analysis import supply as mod

    monkeypatch.setattr(mod, "SAMPLE_PAIRS", sample)
    rows = [("O", sq(0, 0)), ("O", sq(30, 20)), ("T", sq(0, 0)), ("T", sq(100, 0)),
            ("C", sq(0, 0)), ("C", sq(100, 100)),
            *[("N", sq(x, y)) for x in (0, 100) for y in (0, 100)], ("N", sq(199, 0))]
    pieces = gpd.GeoDataFrame({"batch_id": [r[0] for r in rows]}, geometry=[r[1] for r in rows],
                              crs="EPSG:4547")
    assert mod._overlapping(pieces) == {"O", "N"}
    # The quick test alone proves O (the centre of each square lies inside the other), never
    # T or C, whose points on the surface lie outside the other square.
    geoms = pieces.geometry.to_numpy()
    sure = mod._surely_overlapping(geoms, [0, 2, 4], [1, 3, 5]) if sample == 2 else None
    if sure is not None:
        assert sure.tolist() == [True, False, False]


def test_union_of_batches_with_different_numbers_of_parcels():
    # B1 (4 ha) has two 1 ha parcels overlapping by 0.5 ha: 1.5 ha. B2 (4 ha, x 300..500) has
    # three: P3 and P4 side by side (2 ha) and P5 over both halves (x 350..450, y 0..100):
    # still 2 ha. B3 has one parcel, 1 ha. The unions are grouped by number of parcels.
    ws = build(
        counties=counties(A),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0, 200)), batch("B2", A, "2014-01-01", sq(300, 0, 200)),
                 batch("B3", A, "2014-01-01", sq(600, 0, 200))],
        supplies=[supply("P1", "B1", "2018-03-01", sq(0, 0)), supply("P2", "B1", "2018-04-01", sq(50, 0)),
                  supply("P3", "B2", "2018-03-01", sq(300, 0)), supply("P4", "B2", "2018-03-01", sq(400, 0)),
                  supply("P5", "B2", "2018-03-01", sq(350, 0)), supply("P6", "B3", "2018-03-01", sq(600, 0))],
    )
    led, _ = ledger_at(ws)
    assert led.at["B1", f"S@{T}"] == pytest.approx(1.5)
    assert led.at["B2", f"S@{T}"] == pytest.approx(2.0)
    assert led.at["B3", f"S@{T}"] == pytest.approx(1.0)
    # Before P2 is supplied, B1 has P1 alone.
    led, _ = ledger_at(ws, "2018-03-31")
    assert led.at["B1", "S@2018-03-31"] == pytest.approx(1.0)


def test_cuts_kept_by_the_overflow_check_are_taken_only_for_the_same_pair():
    import shapely

    from landuse.model import _validate

    # A 100 m parcel sticking 30 m out of a 200 m outline: 0.7 ha inside.
    parcel, outline, other = sq(130, 0), sq(0, 0, 200), sq(0, 0, 150)
    parcels = np.array([parcel, sq(0, 0)], dtype=object)
    inside, parts = _validate.inside_parts(parcels, np.array([outline, outline], dtype=object), keep=True)
    assert inside.tolist() == [False, True]
    assert shapely.area(parts) / 10_000 == pytest.approx([0.7, 1.0])
    # The same parcel and outline objects: the kept part itself, no new cut.
    again_inside, again = _validate.inside_parts(np.array([parcel], dtype=object),
                                                 np.array([outline], dtype=object))
    assert again[0] is parts[0]
    assert not again_inside[0]
    # The same parcel in another outline (x 0..150): cut anew, 0.2 ha inside.
    _, fresh = _validate.inside_parts(np.array([parcel], dtype=object), np.array([other], dtype=object))
    assert fresh[0] is not parts[0]
    assert shapely.area(fresh[0]) / 10_000 == pytest.approx(0.2)
    # An equal but distinct parcel object is cut anew, to the same area.
    copy = shapely.from_wkb(shapely.to_wkb(parcel))
    _, fresh = _validate.inside_parts(np.array([copy], dtype=object), np.array([outline], dtype=object))
    assert fresh[0] is not parts[0]
    assert shapely.area(fresh[0]) / 10_000 == pytest.approx(0.7)


def _spill_workspace():
    # B1 is 200 m × 200 m; P1 (1 ha) sticks 30 m out of its right edge: 0.7 ha inside;
    # P2 lies inside (1 ha); P3 names no batch and lies inside B1 (linked by location).
    return build(
        counties=counties(A),
        batches=[batch("B1", A, "2014-01-01", sq(0, 0, 200))],
        supplies=[supply("P1", "B1", "2018-03-01", sq(130, 0)), supply("P2", "B1", "2018-04-01", sq(0, 100)),
                  supply("P3", None, "2018-05-01", sq(0, 0, 50))],
    )


def test_the_supply_links_take_the_cuts_made_ahead_while_the_checks_ran():
    import shapely

    from landuse.model import _validate

    ws = _spill_workspace()
    ahead = _validate._kept
    assert isinstance(ahead, _validate._CutAhead)
    # Only the drawn parcels naming a batch are cut ahead: P1 and P2, not P3.
    assert len(ahead.parcels) == 2
    cuts = ahead.result()
    links = link_supplies(ws.batches, ws.supplies)
    pieces = links.pieces.set_index("parcel_id")
    assert pieces["piece_ha"].to_dict() == pytest.approx({"P1": 0.7, "P2": 1.0, "P3": 0.25})
    assert pieces["inside"].to_dict() == {"P1": False, "P2": True, "P3": True}
    # P1's piece is the very cut made ahead, not a second one.
    assert pieces.geometry["P1"] is cuts.parts[0]
    assert shapely.area(cuts.parts[0]) / 10_000 == pytest.approx(0.7)
    # Handed over: the next links cut anew, to the same areas.
    assert _validate._kept is None
    again = link_supplies(ws.batches, ws.supplies).pieces.set_index("parcel_id")
    assert again.geometry["P1"] is not cuts.parts[0]
    assert again["piece_ha"].to_dict() == pytest.approx({"P1": 0.7, "P2": 1.0, "P3": 0.25})


def test_the_overflow_check_does_not_wait_for_cuts_still_being_made(monkeypatch):
    import threading

    import shapely

    from landuse.model import _validate

    gate = threading.Event()
    real = _validate._cut

    def slow(parcels, outlines):
        if threading.current_thread().name == "landuse-cut-ahead":
            assert gate.wait(30)
        return real(parcels, outlines)

    monkeypatch.setattr(_validate, "_cut", slow)
    parcel, outline = sq(130, 0), sq(0, 0, 200)
    parcels, outlines = np.array([parcel], dtype=object), np.array([outline], dtype=object)
    ahead = _validate._CutAhead(parcels, outlines)
    monkeypatch.setattr(_validate, "_kept", ahead)
    # The background chunk is held: the check finds nothing done and cuts the pair itself.
    rows, found = ahead.find(parcels, outlines)
    assert rows.tolist() == [0]
    assert not found.any()
    inside, parts = _validate.inside_parts(parcels, outlines, keep=True)
    assert not inside[0]
    assert shapely.area(parts[0]) / 10_000 == pytest.approx(0.7)
    assert _validate._kept is ahead  # still being made, for the links
    # ... and offered to it: the background will not cut the pair again.
    rows, found = ahead.find(parcels, outlines)
    assert found.tolist() == [True]
    assert ahead.parts[0] is parts[0]
    # The same parcel in another outline (x 0..150) is not that pair: cut anew, 0.2 ha.
    other = np.array([sq(0, 0, 150)], dtype=object)
    rows, found = ahead.find(parcels, other)
    assert rows.tolist() == [-1]
    assert not found.any()
    _, elsewhere = _validate.inside_parts(parcels, other, keep=True)
    assert shapely.area(elsewhere[0]) / 10_000 == pytest.approx(0.2)
    assert ahead.parts[0] is parts[0]
    gate.set()
    assert ahead.result() is ahead
    rows, found = ahead.find(parcels, outlines)
    assert found.tolist() == [True]
    assert rows.tolist() == [0]
    # The links take the finished cut.
    inside, parts = _validate.inside_parts(parcels, outlines)
    assert parts[0] is ahead.parts[0]
    assert shapely.area(parts[0]) / 10_000 == pytest.approx(0.7)


def test_a_fault_in_the_cuts_made_ahead_reaches_the_links(monkeypatch):
    import shapely

    from landuse.model import _validate

    def broken(parcels, outlines):
        raise shapely.errors.GEOSException("TopologyException: side location conflict")

    monkeypatch.setattr(_validate, "_cut", broken)
    parcels = np.array([sq(130, 0)], dtype=object)
    outlines = np.array([sq(0, 0, 200)], dtype=object)
    monkeypatch.setattr(_validate, "_kept", _validate._CutAhead(parcels, outlines))
    with pytest.raises(shapely.errors.GEOSException, match="side location conflict"):
        _validate.inside_parts(parcels, outlines)


def test_a_check_alone_cuts_nothing_ahead(monkeypatch):
    from landuse import load_workspace
    from landuse.model import _validate

    monkeypatch.setattr(_validate, "_kept", None)
    load_workspace(landcover=False, cut_ahead=False)
    assert _validate._kept is None or not isinstance(_validate._kept, _validate._CutAhead)
    load_workspace(landcover=False)
    assert isinstance(_validate._kept, _validate._CutAhead)


_LOAD_AND_END = """
import sys, threading, time
from landuse.model import _validate

def say(line):  # one write a line: print() writes the text and the newline apart, and the
    sys.stdout.write(line + "\\n")  # two threads' lines interleaved
    sys.stdout.flush()

_validate._AHEAD_CHUNK = 1
real, run, halt = _validate._cut, _validate._CutAhead._run, _validate._CutAhead.stop
asked = threading.Event()

def stop(self):
    halt(self)
    asked.set()

def slow(parcels, outlines):
    ahead = threading.current_thread().name == "landuse-cut-ahead"
    late = ahead and asked.is_set()  # begun after the stop at exit was asked
    out = real(parcels, outlines)
    if ahead:
        time.sleep(0.05)
        say("late chunk" if late else "chunk")
    return out

def watched(self):
    run(self)
    say(f"ahead ended {int(self._done.sum())} {len(self.parcels)}")

_validate._cut, _validate._CutAhead._run, _validate._CutAhead.stop = slow, watched, stop
from landuse import load_workspace
load_workspace(landcover=False)
say("main done")
"""


def test_a_script_that_loads_a_workspace_and_ends_exits_cleanly():
    # The cuts made ahead ran in a daemon thread: a script that loaded and ended tore GEOS
    # down under the chunk in hand and crashed (exit status 139, about one run in two on a
    # province). The interpreter now waits for that chunk, and no further one starts.
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", _LOAD_AND_END], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "main done" in lines
    after = lines[lines.index("main done") + 1:]
    assert after[-1].startswith("ahead ended")
    # The chunk in hand finishes, none begins once the interpreter is shutting down.
    # (Counting the chunks printed after "main done" instead failed once on a loaded CI
    # machine: the main thread can stall between its last line and the shutdown.)
    assert "late chunk" not in after
    _, done, total = after[-1].split()[1:]
    assert 0 < int(done) < int(total)  # stopped early: the sample has more drawn parcels


def test_the_cuts_ahead_stop_as_the_interpreter_begins_to_shut_down():
    import threading

    from landuse import load_workspace
    from landuse.model import _validate

    # Registered where the interpreter calls it before it joins any thread (not atexit,
    # which runs after the joins).
    hooks = [getattr(hook, "func", hook) for hook in threading._threading_atexits]
    assert _validate._stop_at_exit in hooks
    ws = load_workspace(landcover=False)
    cuts = _validate._kept
    assert isinstance(cuts, _validate._CutAhead)
    _validate._stop_at_exit()
    assert cuts._stopped
    cuts.thread.join(30)
    assert not cuts.thread.is_alive()
    links = link_supplies(ws.batches, ws.supplies)  # the rest is cut by whoever asks
    assert cuts._done.all()
    assert len(links.pieces) > 0


def test_a_newer_load_stops_the_cuts_of_the_one_before(monkeypatch):
    import threading

    from landuse import load_workspace
    from landuse.model import _validate

    real = _validate._cut
    gate = threading.Event()
    chunks = []

    def held(parcels, outlines):
        if threading.current_thread().name == "landuse-cut-ahead":
            assert gate.wait(30)
            chunks.append(len(parcels))
        return real(parcels, outlines)

    monkeypatch.setattr(_validate, "_cut", held)
    monkeypatch.setattr(_validate, "_AHEAD_CHUNK", 1)
    load_workspace(landcover=False)
    first = _validate._kept
    assert isinstance(first, _validate._CutAhead)
    monkeypatch.setattr(_validate, "_cut", real)
    ws = load_workspace(landcover=False)
    assert _validate._kept is not first
    gate.set()
    first.thread.join(30)
    assert not first.thread.is_alive()
    assert len(chunks) == 1  # the chunk it held, no more
    assert not first._done.all()
    # The newer load's cuts are its own, and its links take every one of them.
    second = _validate._kept
    assert isinstance(second, _validate._CutAhead)
    assert second is not first
    link_supplies(ws.batches, ws.supplies)
    assert second._done.all()
    assert _validate._kept is None
