"""The report's figures drawn in a helper process (for a province): the same files, and a
report that does not depend on the helper."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from landuse import load_workspace
from landuse.campaigns.zengcun.assessment import assess
from landuse.output import report as report_module
from landuse.output.report import write_report


@pytest.fixture(scope="module")
def sample():
    return assess(load_workspace(), "zhumadian-2018", "2018-12-31", raster=False)


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.fixture
def helper_always(monkeypatch):
    monkeypatch.setattr(report_module, "_HELPER_FROM", 0)


@pytest.fixture
def started(monkeypatch):
    """The helpers the report starts, in order (None where it could not start one)."""
    helpers = []
    real = report_module._FigureHelper.start

    def start():
        helper = real()
        helpers.append(helper)
        return helper

    monkeypatch.setattr(report_module._FigureHelper, "start", staticmethod(start))
    return helpers


def test_helper_draws_the_same_figures(sample, tmp_path, helper_always, started, monkeypatch):
    apart = write_report(sample, tmp_path / "apart", dpi=60)
    assert started
    assert started[0] is not None
    assert started[0].process.returncode == 0
    monkeypatch.setattr(report_module, "_HELPER_FROM", 10**9)
    here = write_report(sample, tmp_path / "here", dpi=60)
    assert apart["progress_png"].read_bytes() == here["progress_png"].read_bytes()
    a, b = pixels(apart["outcome_png"].read_bytes()), pixels(here["outcome_png"].read_bytes())
    assert a.shape == b.shape
    # the footer's time may have turned a minute: the rest is the same
    assert (a[: int(a.shape[0] * 0.93)] == b[: int(b.shape[0] * 0.93)]).all()
    page_a = apart["html"].read_text(encoding="utf-8")
    page_b = here["html"].read_text(encoding="utf-8")
    assert len(page_a) == pytest.approx(len(page_b), rel=0.01)


def test_a_helper_that_fails_leaves_the_figures_to_the_report(sample, tmp_path, helper_always,
                                                             monkeypatch):
    class Broken(report_module._FigureHelper):
        @classmethod
        def start(cls):
            errors = report_module.tempfile.TemporaryFile()
            process = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
            return cls(process, errors)

    monkeypatch.setattr(report_module, "_FigureHelper", Broken)
    paths = write_report(sample, tmp_path, dpi=60)
    assert paths["outcome_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["progress_png"].stat().st_size > 1000


def test_no_python_to_start_a_helper(sample, tmp_path, helper_always, monkeypatch):
    monkeypatch.setattr(report_module.sys, "executable", str(tmp_path / "no-python"))
    paths = write_report(sample, tmp_path / "out", dpi=60)
    assert paths["outcome_png"].stat().st_size > 1000


def test_a_failure_stops_the_helper_and_leaves_no_file(sample, tmp_path, helper_always, started,
                                                      monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report_module.ledgers, "ledgers_workbook", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_report(sample, tmp_path, dpi=60)
    assert list(tmp_path.iterdir()) == []
    assert started[0].process.returncode is not None  # stopped, not left running
