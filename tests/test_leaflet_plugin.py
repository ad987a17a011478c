"""The leaflet-landuse plug-in: the Python encoder on hand-made shapes, and the plug-in in Chromium.

The shapes are squares in EPSG:4547 (central meridian 114°E, false easting
500 000 m, scale 1 on the meridian): the square from (500 000, 3 650 000)
has its west edge on 114°E exactly, at 32.9752°N. 100 m there is
100 / (N cos φ · π/180) = 100 / 93 486 = 0.0010698° of longitude and
100 / (M · π/180) = 100 / 110 905 = 0.0009017° of latitude (N, M the
CGCS2000 radii of curvature at 33°), so at 10⁻⁵° the square is 107 × 90 units.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from browser import chromium, open_page
from conftest import EPSG, square
from pyproj import Transformer

from landuse.output import _layer_encoding as enc
from tests._encoding import decode

STYLES = [{"color": "#333333", "weight": 1.0, "fillColor": "#57b45a", "fillOpacity": 0.5, "className": "lu-a"},
          {"color": "#aa0000", "weight": 2.0, "fillColor": "#f07a5a", "fillOpacity": 0.5, "className": "lu-b"}]
SCRIPT = "<script>alert(1)</script>"


def encoded(geoms: list[Any], **kw: Any) -> tuple[dict, list[str], str, str]:
    data, texts = enc.encode_layer(geoms, EPSG, styles=STYLES, **kw)
    return json.loads(data), json.loads(texts), data, texts


# --- the encoder -----------------------------------------------------------------------------
def test_square_corners_in_lon_lat() -> None:
    data, _, _, _ = encoded([square(0, 0)])
    assert (data["n"], data["f"], data["q"], data["r"]) == (1, [1], [1], [4])  # closing point left out
    assert data["k"] == 5
    ring = decode(data)[0][0][0]
    lons, lats = zip(*ring, strict=True)
    # the west edge on the central meridian; 107 × 90 units of 10⁻⁵° (see the module docstring)
    assert min(lons) == pytest.approx(114.0, abs=1e-9)
    assert round((max(lons) - min(lons)) * 1e5) == 107
    assert round((max(lats) - min(lats)) * 1e5) == 90
    assert min(lats) == pytest.approx(32.97522, abs=1e-9)
    # and every corner where pyproj puts it, to half a unit
    corners = shapely.get_coordinates(square(0, 0))[:-1]
    lon, lat = Transformer.from_crs(EPSG, 4326, always_xy=True).transform(corners[:, 0], corners[:, 1])
    assert np.abs(np.array(ring) - np.column_stack([lon, lat])).max() <= 0.5e-5 + 1e-12
    # the origin is the smallest x and y; the first point counts from it
    assert data["o"] == [11_400_000, 3_297_522]


def test_polygon_with_a_hole() -> None:
    outer = square(0, 0, 300)
    hole = square(100, 100, 100)
    data, _, _, _ = encoded([outer.difference(hole)])
    assert (data["f"], data["q"], data["r"]) == ([1], [2], [4, 4])
    rings = decode(data)[0][0]
    box = [shapely.Polygon(r) for r in rings]
    # the hole is inside the outer ring: a ninth of it (100² of 300²), within the rounding
    assert shapely.contains(box[0], box[1])
    assert box[1].area / box[0].area == pytest.approx(1 / 9, rel=0.03)


def test_multipolygon_and_classes() -> None:
    two = shapely.MultiPolygon([square(0, 0), square(1_000, 0)])
    data, _, _, _ = encoded([two, square(0, 500)], classes=[1, 0])
    assert (data["n"], data["c"], data["f"], data["q"], data["r"]) == (2, [1, 0], [2, 1], [1, 1, 1], [4, 4, 4])
    first, second = decode(data)[0]
    # 1 000 m east at 33°N: 1 070 units of 10⁻⁵°, give or take a unit of rounding
    assert abs(round((min(p[0] for p in second[0]) - min(p[0] for p in first[0])) * 1e5) - 1_070) <= 1


def test_empty_and_missing_shapes_are_features_of_no_polygon() -> None:
    data, texts, _, _ = encoded([shapely.Polygon(), None, square(0, 0)], tips=[["empty", "none", "square"]])
    assert data["n"] == 3
    assert data["f"] == [0, 0, 1]
    assert data["r"] == [4]
    assert [texts[i] for i in data["t"][0]] == ["empty", "none", "square"]


def test_popup_text_is_escaped_and_cannot_close_the_script() -> None:
    data, texts, data_text, texts_text = encoded(
        [square(0, 0), square(200, 0)], tips=[["A & B", None]], fields=[("<i>label</i>", [SCRIPT, "ok"])])
    assert texts[data["p"][0][0]] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert texts[data["t"][0][0]] == "A &amp; B"
    assert texts[data["t"][0][1]] == ""  # a missing text: left out of the tooltip
    assert data["spec"]["fields"] == ["&lt;i&gt;label&lt;/i&gt;"]
    assert "<script" not in texts_text
    assert "</" not in data_text + texts_text


def test_script_safe_json_stays_the_same_json() -> None:
    raw = ["</script><script>alert(1)</script>", "<!-- x -->", "<\\/"]
    safe = enc.script_safe(enc.to_json(raw))
    assert "</" not in safe
    assert "<!--" not in safe
    assert json.loads(safe) == raw


def test_byte_counts_match_the_written_arrays() -> None:
    # The size budget drops features by these counts: they must be the page's bytes.
    geoms = [square(0, 0), shapely.MultiPolygon([square(0, 0, 50), square(5_000, -3_000, 70)]),
             square(0, 0, 300).difference(square(100, 100, 100))]
    shapes = enc.outlines(np.array(geoms, dtype=object), EPSG, 0.0, 5, False)
    arrays = (shapes.polygons, shapes.rings, shapes.points, shapes.steps)
    assert int(shapes.bytes.sum()) == sum(len(enc.json_ints(a)) - 1 for a in arrays)


def test_string_table_most_used_first() -> None:
    texts = enc.string_table([np.array(["b", "a", "a"], dtype=object), np.array(["a", "c", "b"], dtype=object)],
                             np.array([True, True, True]))
    assert texts.strings.tolist() == ["a", "b", "c"]
    assert [i.tolist() for i in texts.ids] == [[1, 0, 0], [0, 2, 1]]


def test_plugin_ships_with_its_readme() -> None:
    assert (enc.PLUGIN_DIR / "README.md").is_file()
    documented = enc.plugin_script(documented=True)
    assert "@class L.LandUseLayer" in documented
    assert "@class" not in enc.plugin_script()  # the page carries the code, not its JSDoc
    assert "L.landUseLayer = function" in enc.plugin_script()


# --- in Chromium -----------------------------------------------------------------------------
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>{css}</style>
<script>{leaflet}</script><script>{plugin}</script></head>
<body style="margin:0"><div id="map" style="width:800px;height:600px"></div>
<script type="application/json" id="a_data">{a_data}</script>
<script type="application/json" id="a_text">{a_text}</script>
<script>
var map = L.map("map").setView([32.977, 114.004], 15);
var a = L.landUseLayer("a_data", {{texts: "a_text"}}).addTo(map);
var b = L.landUseLayer({b_data}, {{texts: {b_text}, escape: true}}).addTo(map);
var dots = L.landUseLayer("a_data", {{texts: "a_text", dots: true, detailZoom: 17,
                                      renderer: L.canvas({{pane: "lu-canvas"}})}});
map.createPane("lu-canvas");
</script></body></html>"""

FLAT = """(layer) => layer.geo.getLayers().map(p => ({
  lu: p.lu, className: p.options.className,
  rings: (function flat(x) { return x.length && x[0].lat === undefined ? x.flatMap(flat) : [x]; })(p.getLatLngs())
           .map(r => r.map(ll => [ll.lng, ll.lat]))}))"""


# A click on the layer's first polygon (the popup is bound to its group, as on the map)
OPEN = """(name) => { const p = window[name].geo.getLayers()[0];
  p.fire("click", {latlng: p.getCenter()}, true); }"""


@pytest.fixture(scope="module")
def plugin_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    from xstatic.pkg import leaflet

    base = Path(leaflet.BASE_DIR)
    geoms = [square(0, 0), square(0, 0, 300).difference(square(100, 100, 100)), shapely.Polygon(),
             shapely.MultiPolygon([square(400, 0), square(600, 0)])]
    a_data, a_text = enc.encode_layer(
        geoms, EPSG, styles=STYLES, classes=[0, 1, 0, 1], key="a", z=420,
        tips=[["square", "hole", "empty", "two"], ["1 ha", None, None, "2 ha"]],
        fields=[("名称", [SCRIPT, "有洞", None, "两块"]), ("面积", ["1 ha", "8 ha", None, "2 ha"])])
    # b: raw texts, escaped by the plug-in itself; its popup is its own HTML
    b = json.loads(enc.encode_layer([square(0, 500)], EPSG, styles=STYLES, key="b", popups=["x"])[0])
    b_text = ["<b>raw</b>"]
    page = PAGE.format(css=(base / "leaflet.css").read_text(encoding="utf-8"),
                       leaflet=(base / "leaflet.js").read_text(encoding="utf-8"),
                       plugin=enc.plugin_script(documented=True), a_data=a_data, a_text=a_text,
                       b_data=enc.script_safe(enc.to_json(b)), b_text=enc.script_safe(enc.to_json(b_text)))
    path = tmp_path_factory.mktemp("plugin") / "plugin.html"
    path.write_text(page, encoding="utf-8")
    return path, json.loads(a_data), b


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.mark.browser
def test_browser_decodes_the_coordinates(browser: Any, plugin_page: tuple[Path, dict, dict]) -> None:
    path, a, _ = plugin_page
    with open_page(browser, path, wait_for="path.lu-a") as (page, log):
        drawn = page.evaluate(FLAT, page.evaluate_handle("a"))
        assert page.evaluate("a.data.n") == 4
    assert log.clean, log.describe()
    # the empty feature is counted, not drawn
    assert [p["lu"] for p in drawn] == [0, 1, 3]
    assert [p["className"] for p in drawn] == ["lu-a", "lu-b", "lu-b"]
    expected = decode(a)
    for p in drawn:
        rings = [r for polygon in expected[p["lu"]] for r in polygon]
        assert len(p["rings"]) == len(rings)
        for got, want in zip(p["rings"], rings, strict=True):
            assert np.abs(np.array(got) - np.array(want)).max() < 1e-9
    # the square's west edge on 114°E, 107 × 90 units of 10⁻⁵°
    square_ring = np.array(drawn[0]["rings"][0])
    assert square_ring[:, 0].min() == pytest.approx(114.0, abs=1e-9)
    assert np.ptp(square_ring, axis=0).round(5).tolist() == [0.00107, 0.0009]


@pytest.mark.browser
def test_browser_popups_and_tooltips_show_escaped_text(browser: Any,
                                                       plugin_page: tuple[Path, dict, dict]) -> None:
    path, _, _ = plugin_page
    with open_page(browser, path, wait_for="path.lu-a") as (page, log):
        assert page.evaluate("a.tooltipText(0)") == "square · 1 ha"
        assert page.evaluate("a.tooltipText(1)") == "hole"  # a missing part is left out
        page.evaluate(OPEN, "a")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=5_000)
        text = popup.inner_text()
        assert SCRIPT in text  # shown as text ...
        assert page.locator(".leaflet-popup-content script").count() == 0  # ... never run
        assert "名称" in text
        assert "面积" in text
        assert "square · 1 ha" in text
        page.evaluate(OPEN, "b")
        page.wait_for_function("document.querySelector('.leaflet-popup-content').innerText.includes('raw')")
        assert popup.inner_text() == "<b>raw</b>"  # escape: true shows raw text as text
        assert page.locator(".leaflet-popup-content b").count() == 0
    assert log.clean, log.describe()


@pytest.mark.browser
def test_browser_dots_until_zoomed_in(browser: Any, plugin_page: tuple[Path, dict, dict]) -> None:
    path, _, _ = plugin_page
    with open_page(browser, path, wait_for="path.lu-a") as (page, log):
        page.evaluate("dots.addTo(map)")
        assert page.locator("canvas.lu-dots").count() == 1
        assert page.evaluate("dots.geo.getLayers().length") == 0
        page.evaluate("map.setZoom(17, {animate: false})")
        page.wait_for_function("dots.geo.getLayers().length === 3")
        assert page.locator("canvas.lu-dots").count() == 0
    assert log.clean, log.describe()
