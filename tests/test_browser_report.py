"""The meeting report page in real headless Chromium, from file:// with the network cut off.

Makes a full-page screenshot (copied to ``/tmp/landuse-report.png``) to look
at: Chinese must be legible, not boxes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _ws import A, B, batch, build, sq
from browser import chromium, open_page

from landuse import load_workspace
from landuse.campaigns.zengcun.assessment import Assessment, assess
from landuse.output.report import write_report

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
SCREENSHOT = Path("/tmp/landuse-report.png")


@pytest.fixture(scope="module")
def sample() -> Assessment:
    return assess(load_workspace(), "zhumadian-2018", "2018-12-31", raster=False)


@pytest.fixture(scope="module")
def report(sample: Assessment, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    return write_report(sample, out, dpi=100)["html"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_report_renders_offline(browser: Any, report: Path, tmp_path: Path) -> None:
    with open_page(browser, report, wait_for="table.counties") as (page, log):
        assert page.locator("table.counties").first.locator("tbody tr").count() == 11
        assert page.locator("svg.chart").count() == 4
        assert "驻马店市" in page.locator("h1").inner_text()
        images = page.locator("img.figure:visible")
        assert images.count() >= 1
        assert all(
            images.nth(i).evaluate("i => i.complete && i.naturalWidth > 0")
            for i in range(images.count())
        )
        # The embedded map: Leaflet draws the 11 units inside the frame.
        frame = page.frame_locator("#lu-map")
        page.locator("#lu-map").scroll_into_view_if_needed()
        frame.locator("path.lu-county").first.wait_for(state="attached", timeout=15_000)
        assert frame.locator("path.lu-county").count() == 11
        assert frame.locator(".leaflet-control-layers").count() == 1
        # Chromium paints a frame only once it has been on screen: capture with the map in view,
        # the sticky navigation bar put back in the flow so it is not drawn over the middle.
        page.add_style_tag(content="nav { position: static !important; }")
        page.wait_for_timeout(500)
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
    assert log.clean, log.describe()
    assert shot.stat().st_size > 50_000
    shutil.copyfile(shot, SCREENSHOT)


def test_report_prints(browser: Any, report: Path) -> None:
    with open_page(browser, report, wait_for="table.counties") as (page, log):
        page.emulate_media(media="print")
        assert not page.locator("#lu-map").is_visible()
        assert not page.locator("nav").is_visible()
        assert page.locator(".print-only img").first.is_visible()
        pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf[:5] == b"%PDF-"
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 5
    assert log.clean, log.describe()


def test_hostile_text_stays_text(browser: Any, tmp_path: Path) -> None:
    ws = build(
        counties=[
            {"county_code": A, "county_name": XSS, "geometry": sq(0, 0, 10_000)},
            {"county_code": B, "county_name": "西平县", "geometry": sq(10_000, 0, 10_000)},
        ],
        batches=[batch("<b>B1</b>", A, "2014-01-01", sq(0, 0, 200), batch_name=XSS)],
        supplies=[],
        idle=[
            {
                "idle_id": XSS,
                "county_code": A,
                "area_ha": 1.0,
                "cause": "企业原因",
                "identified_date": "2017-06-01",
                "geometry": sq(0, 100, 100),
            }
        ],
        quotas=[{"county_code": c, "year": 2019, "plan_base_ha": 50.0} for c in (A, B)],
    )
    a = assess(ws, "zhumadian-2018", "2018-12-31", raster=False)
    path = write_report(a, tmp_path, dpi=40)["html"]
    with open_page(browser, path, wait_for="table.counties") as (page, log):
        page.locator("#lu-map").scroll_into_view_if_needed()
        page.frame_locator("#lu-map").locator("path.lu-county").first.wait_for(state="attached")
        page.wait_for_timeout(300)
        assert page.locator("img[src=x]").count() == 0
        assert page.frame_locator("#lu-map").locator("img[src=x]").count() == 0
        assert XSS in page.locator("table.counties").first.inner_text()
    assert not log.dialogs, log.dialogs
    assert log.clean, log.describe()
