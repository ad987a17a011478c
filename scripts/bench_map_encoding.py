#!/usr/bin/env python
"""Measure the map's layer encoding (the leaflet-landuse plug-in) against plain GeoJSON.

Writes three pages of the same outcome map, with the same layers, features
(simplified and thinned as the map does), tooltips, popups and styles:

* ``encoded.html``: the map as ``landuse map`` writes it (``L.landUseLayer``);
* ``geojson.html``: every layer a ``folium.GeoJson`` (coordinates as pyproj gives them);
* ``geojson-1e-5.html``: the same with coordinates rounded to 10⁻⁵° (as the encoding does).

Prints each page's size in bytes and, with ``--browser``, the time headless
Chromium takes to open it with its shown layers drawn (median of ``--repeat``).

Usage::

    python scripts/bench_map_encoding.py layers/zhumadian --out /tmp/map-bench --browser
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]


def _texts(layer: Any) -> tuple[list[str], list[str]]:
    """Each kept feature's tooltip and popup HTML, made as the plug-in makes them."""
    s = layer.texts.strings
    ids = layer.texts.ids
    n_tips = len(layer.tips)
    tips = [" · ".join(t for t in parts if t) for parts in zip(*(s[i] for i in ids[:n_tips]), strict=True)]
    if layer.popups is not None:
        return tips, s[ids[-1]].tolist()
    rows = [s[i] for i in ids[n_tips:n_tips + len(layer.values)]]
    popups = []
    for k, tip in enumerate(tips):
        cells = "".join(f"<tr><th>{f}</th><td>{r[k]}</td></tr>" for f, r in zip(layer.fields, rows, strict=True)
                        if r[k])
        popups.append(f'<div class="lu-pop"><h4>{tip}</h4><table>{cells}</table></div>')
    return tips, popups


def geojson_map(assessment: Any, *, rounded: bool) -> Any:
    """The outcome map with every layer a folium.GeoJson instead of an L.landUseLayer."""
    import folium

    from landuse.output import maps

    src = maps._source(assessment)
    layers = [x for x in maps._layers(src, "zh") if len(x.frame)]
    js, css = maps._assets()
    title_html, title_text = maps._title(src, "zh")
    overhead = len(js) + len(css) + maps._PAGE_BYTES
    maps._fit(layers, overhead, 10 * maps._BYTES_PER_MB, False)  # the same thinning as the map
    legend = maps._legend(layers, src, "zh")
    m = maps._assemble([], src, [], "zh", legend, title_html, title_text, False)
    # the layer control after the layers it lists (its script names them)
    for key in [k for k, c in m._children.items() if isinstance(c, folium.LayerControl)]:
        del m._children[key]
    for layer in layers:
        kept = layer.keep
        geoms = shapely.simplify(layer.frame.geometry.to_numpy()[kept], layer.tolerance, preserve_topology=True)
        shown = maps._to_display(geoms, layer.frame.crs, False)
        if rounded:
            shown = shapely.transform(shown, lambda xy, k=layer.digits: np.round(xy, k))
        tips, popups = _texts(layer)
        frame = gpd.GeoDataFrame({"c": layer.classes[kept], "tip": tips, "popup": popups},
                                 geometry=shown, crs=4326)
        styles = layer.styles
        folium.GeoJson(
            frame, name=f"{layer.name} ({int(kept.sum())})", show=layer.show,
            style_function=lambda f, styles=styles: styles[f["properties"]["c"]],
            tooltip=folium.GeoJsonTooltip(["tip"], labels=False),
            popup=folium.GeoJsonPopup(["popup"], labels=False),
        ).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return m


def open_seconds(path: Path, ready: str, repeat: int) -> float:
    """Median seconds from navigation to ``ready`` (a JS expression) in headless Chromium."""
    sys.path.insert(0, str(REPO / "tests"))
    from browser import chromium, open_page

    times = []
    with chromium() as browser:
        for _ in range(repeat):
            with open_page(browser, path, timeout_ms=600_000) as (page, log):
                start = time.perf_counter()
                page.wait_for_function(ready, timeout=600_000)
                times.append(log.load_seconds + time.perf_counter() - start)
            assert log.clean, log.describe()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", nargs="?", default=str(REPO / "layers" / "zhumadian"))
    parser.add_argument("--out", type=Path, default=Path("map-bench"))
    parser.add_argument("--browser", action="store_true", help="also time opening the pages in Chromium")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from landuse import load_workspace
    from landuse.campaigns.zengcun.assessment import assess
    from landuse.output.maps import map_html, map_outcomes

    a = assess(load_workspace(args.workspace), "zhumadian-2018", raster=False)
    args.out.mkdir(parents=True, exist_ok=True)
    pages = {"encoded.html": map_outcomes(a), "geojson.html": geojson_map(a, rounded=False),
             "geojson-1e-5.html": geojson_map(a, rounded=True)}
    # drawn: the encoded page builds its layers once the view is set; folium's as the script runs
    # (a large encoded map draws on canvas: no SVG path to count there)
    ready = {"encoded.html": "() => window.landuse && landuse.ready"
                             " && landuse.layers.counties.geo.getLayers().length > 0",
             "geojson.html": "() => document.querySelectorAll('path.lu-county').length > 0",
             "geojson-1e-5.html": "() => document.querySelectorAll('path.lu-county').length > 0"}
    base = None
    for name, m in pages.items():
        html = map_html(m)
        path = args.out / name
        path.write_text(html, encoding="utf-8")
        size = len(html.encode("utf-8"))
        base = base or size
        line = f"{name:20} {size:>12,} bytes  ×{size / base:.2f}"
        if args.browser:
            line += f"  opens drawn in {open_seconds(path, ready[name], args.repeat):.2f} s"
        print(line)


if __name__ == "__main__":
    main()
