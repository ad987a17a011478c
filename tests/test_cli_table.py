"""The county table on the terminal: quiet, one county, sorted, plain text when long."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from landuse.cli import cli, commands


def _run(*args: str) -> CliRunner:
    result = CliRunner().invoke(cli, ["assess", "--no-raster", "--as-of", "2018-12-31", *args],
                                env={"LANDUSE_LANG": None, "COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result


def test_quiet_prints_no_table() -> None:
    assert _run("-q").stdout == ""


def test_one_county_is_shown_ranked_among_all() -> None:
    everyone = _run().stdout
    one = _run("--county", "遂平县").stdout
    assert "遂平县" in one
    assert "泌阳县" not in one
    # Its rank is the one it has among all units, not 1 of 1.
    row = next(ln for ln in everyone.splitlines() if "遂平县" in ln)
    assert row.split("│")[-2].strip() in one


def test_sort_by_rank_and_by_a_task() -> None:
    ranked = [ln for ln in _run("--sort", "rank").stdout.splitlines() if "│ 4117" in ln]
    ranks = [int(ln.split("│")[-2].split()[0]) for ln in ranked]
    assert ranks == sorted(ranks)
    by_t2 = [ln for ln in _run("--sort", "T2").stdout.splitlines() if "│ 4117" in ln]
    rates = [float(ln.split("│")[4].strip().split("%")[0]) for ln in by_t2]
    assert rates == sorted(rates, reverse=True)


def test_unknown_sort_key_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["--lang", "en", "assess", "--no-raster", "--sort", "T9"])
    assert result.exit_code == 2
    assert "no task T9 (use code, rank, T1, T2, T3, T4)" in result.output


def test_a_long_table_is_plain_aligned_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "PLAIN_TABLE_ROWS", 3)
    out = _run().stdout
    assert "│" not in out
    assert "┃" not in out
    lines = out.splitlines()
    assert lines[0].startswith("驻马店市2018年建设用地")
    assert set(lines[2]) == {"-"}
    rows = [ln for ln in lines[3:] if ln.strip()]
    assert len(rows) == len({ln.split()[0] for ln in rows})  # one line per unit
    assert "✓" in out
    assert "[green]" not in out  # markup removed
    # Columns line up: every row's rate for T2 ends in the same terminal column.
    from rich.cells import cell_len

    ends = {cell_len(ln[: ln.index("%", ln.index("%") + 1) + 1]) for ln in rows if ln.count("%") >= 2}
    assert len(ends) == 1
