"""The outcome map in real headless Chromium, opened from file:// with the network cut off."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, open_page

from landuse import load_workspace
from landuse.assessment import Assessment, assess
from landuse.maps import render_map

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
SCREENSHOT = Path("/tmp/landuse-map.png")

# A pixel inside the county's own SVG path (labels let clicks through; overlays may not).
FIND_POINT = """(i) => {
  const layer = landuse.layers.counties.geo.getLayers()[i];
  const path = layer.getElement();
  const box = path.getBoundingClientRect();
  const steps = 24;
  for (let a = 0; a <= steps; a++) {
    for (let b = 0; b <= steps; b++) {
      // from the middle outwards, so the point is well inside
      const fx = 0.5 + (a % 2 ? 1 : -1) * Math.ceil(a / 2) / steps;
      const fy = 0.5 + (b % 2 ? 1 : -1) * Math.ceil(b / 2) / steps;
      const x = box.left + fx * box.width, y = box.top + fy * box.height;
      if (document.elementFromPoint(x, y) === path) { return [x, y]; }
    }
  }
  return null;
}"""


@pytest.fixture(scope="module")
def sample() -> Assessment:
    return assess(load_workspace(), "zhumadian-2018", "2018-12-31", raster=False)


@pytest.fixture(scope="module")
def map_file(sample: Assessment, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("map") / "outcome.html"
    render_map(sample, path)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def click_county(page: Any, index: int) -> str:
    """Click county ``index`` on the map and return its popup's text."""
    point = page.evaluate(FIND_POINT, index)
    assert point, f"no visible pixel of county {index}"
    page.mouse.click(*point)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5_000)
    return popup.inner_text()


def test_map_renders_the_counties_offline(browser: Any, map_file: Path, tmp_path: Path,
                                          record_property: Any) -> None:
    with open_page(browser, map_file, wait_for="path.lu-county") as (page, log):
        assert page.locator("path.lu-county").count() == 10
        assert page.locator(".lu-label").count() == 10
        assert page.locator("path.lu-unsupplied").count() > 0
        assert "驻马店市" in page.locator(".lu-title").inner_text()
        assert page.locator(".lu-legend").is_visible()
        assert page.locator(".leaflet-control-scale").is_visible()
        assert page.locator(".lu-fs a").count() == 1
        page.wait_for_timeout(200)
        page.screenshot(path=tmp_path / "map.png")
        shutil.copyfile(tmp_path / "map.png", SCREENSHOT)
    record_property("load_seconds", round(log.load_seconds, 3))
    print(f"map opened in {log.load_seconds:.2f} s")
    assert log.clean, log.describe()
    assert log.load_seconds < 15


def test_click_on_a_county_opens_its_popup(browser: Any, map_file: Path, sample: Assessment) -> None:
    with open_page(browser, map_file, wait_for="path.lu-county") as (page, log):
        text = click_county(page, 0)
        assert sample.counties["county_name"].iloc[0] in text
        assert "T2" in text
        assert re.search(r"\d+\.\d%", text)
        assert "下一年度计划" in text
    assert log.clean, log.describe()


def test_layer_control_toggles_a_layer(browser: Any, map_file: Path) -> None:
    with open_page(browser, map_file, wait_for="path.lu-county") as (page, log):
        paths = page.locator("path.lu-unsupplied")
        shown = paths.count()
        assert shown > 0
        toggle = page.locator(".leaflet-control-layers-overlays label", has_text="批而未供土地")
        toggle.click()
        assert paths.count() == 0
        toggle.click()
        assert paths.count() == shown
        hidden = page.locator("path.lu-supplies")
        assert hidden.count() == 0  # off when the page opens
        page.locator(".leaflet-control-layers-overlays label", has_text="已供宗地").click()
        assert hidden.count() > 0
        assert page.locator("path").count() > shown
    assert log.clean, log.describe()


def test_full_screen_button_uses_the_fullscreen_api(browser: Any, map_file: Path) -> None:
    with open_page(browser, map_file, wait_for="path.lu-county") as (page, log):
        page.locator(".lu-fs a").click()
        page.wait_for_function("document.fullscreenElement !== null", timeout=5_000)
        page.locator(".lu-fs a").click()
        page.wait_for_function("document.fullscreenElement === null", timeout=5_000)
    assert log.clean, log.describe()


def test_english_map(browser: Any, sample: Assessment, tmp_path: Path) -> None:
    path = tmp_path / "outcome-en.html"
    render_map(sample, path, lang="en")
    with open_page(browser, path, wait_for="path.lu-county") as (page, log):
        text = click_county(page, 1)
        assert "Task" in text
        assert "Next year's plan" in text
        assert "County outcomes" in page.locator(".leaflet-control-layers").inner_text()
    assert log.clean, log.describe()


def test_script_in_a_name_shows_as_text(browser: Any, sample: Assessment, tmp_path: Path) -> None:
    counties = sample.counties.copy()
    counties.loc[counties.index[0], "county_name"] = XSS
    path = tmp_path / "xss.html"
    render_map(counties, path)
    with open_page(browser, path, wait_for="path.lu-county") as (page, log):
        text = click_county(page, 0)
        assert XSS in text
        page.locator(".lu-label div", has_text=XSS).wait_for()
        page.locator("path.lu-county").first.hover()
        page.wait_for_timeout(200)
        assert page.locator('img[src="x"]').count() == 0
    assert log.dialogs == []
    assert log.clean, log.describe()
