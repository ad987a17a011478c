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
from landuse.campaigns.zengcun.assessment import Assessment, assess
from landuse.output.maps import render_map

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
        assert page.locator("path.lu-county").count() == 11
        assert page.locator(".lu-label").count() == 11
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


def test_map_in_a_frame_of_no_size_fits_once_it_has_one(browser: Any, map_file: Path,
                                                         tmp_path: Path) -> None:
    # A page laying itself out (the report) may start the map in a frame of no size.
    host = tmp_path / "host.html"
    host.write_text(f'<!DOCTYPE html><iframe id="f" src="{map_file.as_uri()}" '
                    'style="width:0;height:0;border:0"></iframe>', encoding="utf-8")
    with open_page(browser, host) as (page, log):
        frame = page.frame_locator("#f")
        frame.locator(".lu-title").wait_for(state="attached")
        page.wait_for_timeout(300)
        page.evaluate("document.getElementById('f').style.cssText = 'width:900px;height:600px;border:0'")
        frame.locator("path.lu-county").first.wait_for(state="attached", timeout=10_000)
        assert frame.locator("path.lu-county").count() == 11
        inner = page.frames[1]
        inner.wait_for_function("() => landuse.ready", timeout=5_000)
        assert inner.evaluate("() => { const b = L.latLngBounds(landuse.bounds);"
                              " return landuse.map.getBounds().contains(b.pad(-0.05))"
                              " && isFinite(landuse.map.getZoom()); }")
    assert log.clean, log.describe()


def test_large_map_draws_every_layer_on_one_canvas(browser: Any, sample: Assessment, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Over a few thousand features a layer is drawn on canvas; a canvas takes every pointer
    # event over it, so the layers share one, counties too, and still answer clicks. Parcels
    # are dots until the map is zoomed in.
    import landuse.output.maps

    monkeypatch.setattr(landuse.output.maps, "_CANVAS_OVER", 20)
    path = tmp_path / "canvas.html"
    render_map(sample, path)
    with open_page(browser, path, wait_for=".lu-label") as (page, log):
        page.wait_for_function("() => landuse.ready && landuse.layers.counties.geo.getLayers().length")
        assert page.locator("path.lu-county").count() == 0
        assert page.locator(".leaflet-pane canvas:not(.lu-dots)").count() == 1
        # a county, clicked where no parcel is: its popup
        point = page.evaluate("""() => {
          const map = landuse.map, county = landuse.layers.counties.geo.getLayers()[0];
          const parcels = Object.values(landuse.layers).filter(l => l !== landuse.layers.counties && map.hasLayer(l))
            .flatMap(l => l.geo.getLayers());
          const box = map.getContainer().getBoundingClientRect(), b = county.getBounds();
          for (let i = 1; i < 40; i++) for (let j = 1; j < 40; j++) {
            const ll = L.latLng(b.getSouth() + (b.getNorth() - b.getSouth()) * i / 40,
                                b.getWest() + (b.getEast() - b.getWest()) * j / 40);
            const p = map.latLngToContainerPoint(ll);
            if (p.x < 300 || p.x > 900 || p.y < 120 || p.y > 800) continue;  // clear of the panels
            if (county._containsPoint(map.latLngToLayerPoint(ll))
                && !parcels.some(x => x.getBounds().pad(0.5).contains(ll))) return [p.x + box.left, p.y + box.top];
          }
          return null;
        }""")
        assert point, "no clear point in the county"
        page.mouse.click(*point)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=5_000)
        assert sample.counties["county_name"].iloc[0] in popup.inner_text()
        page.keyboard.press("Escape")
        # At the scale of the whole map parcels are dots; zoomed in, polygons.
        assert page.locator("canvas.lu-dots").count() > 0
        assert page.evaluate("() => landuse.layers.unsupplied.geo.getLayers().length") == 0
        page.evaluate("() => { landuse.map.setZoom(12, {animate: false}); }")
        page.wait_for_function("() => landuse.layers.unsupplied.geo.getLayers().length > 0")
        assert page.locator("canvas.lu-dots").count() == 0
        # a parcel of the layer shown last over the others: its tooltip
        target = page.evaluate("""() => {
          const map = landuse.map, p = landuse.layers.unsupplied.geo.getLayers()[0];
          map.setView(p.getCenter(), 17, {animate: false});
          const c = map.latLngToContainerPoint(p.getCenter()), box = map.getContainer().getBoundingClientRect();
          return [c.x + box.left, c.y + box.top];
        }""")
        page.wait_for_timeout(200)
        page.mouse.move(target[0] - 3, target[1] - 3)
        page.mouse.move(*target)
        # (the county's tooltip fades out meanwhile)
        page.locator(".leaflet-tooltip", has_text="公顷").wait_for(state="visible", timeout=5_000)
        # a layer shown later is drawn in its place on the canvas, not over the rest
        page.locator(".leaflet-control-layers-overlays label", has_text="已供宗地").click()
        assert page.evaluate("() => landuse.map.hasLayer(landuse.layers.supplies)"
                             " && landuse.layers.supplies.geo.getLayers().length > 0")
    assert log.clean, log.describe()
