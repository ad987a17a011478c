"""The compact encoding of map layers that the ``leaflet-landuse`` plug-in decodes in the browser.

A layer travels as two JSON texts, each put in a ``<script type="application/json">``
element of the page: its *data* (a spec with the styles and popup labels, each
feature's class, its texts as ids into a string table, and its outlines as
integer steps) and its *texts* (the table of its distinct strings, most used
first, so the commonest ids are shortest). The browser side is
``_assets/leaflet-landuse/leaflet-landuse.js`` (``L.landUseLayer``); the
format, with the measured sizes against plain GeoJSON, is in
``_assets/leaflet-landuse/README.md``.

Outlines are simplified on their measuring plane, reprojected to lon/lat
(EPSG:4326, shifted to GCJ-02 if asked), quantised to integers in units of
10⁻ᵏ degrees, and written as steps: a ring's first point from the layer's
origin (its smallest x and y), every further point from the one before; a
ring's closing point is left out. Every count is known per ring, polygon
and feature, so the bytes each feature costs in the page are known before
it is written (the map's size budget drops features by them).

Texts must be HTML-escaped before they are encoded (the plug-in puts them
into the page as HTML, unless told to escape them itself);
:func:`encode_layer` escapes them for you. :func:`script_safe` keeps the JSON
from closing its ``<script>`` element.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import shapely

from landuse._arrays import parallel
from landuse.model.crs import gcj02_from_wgs84

__all__ = [
    "PLUGIN_DIR",
    "Shapes",
    "Texts",
    "encode_layer",
    "escape_html",
    "int_widths",
    "json_ints",
    "layer_json",
    "outlines",
    "plugin_script",
    "script_safe",
    "string_table",
    "to_json",
]

#: The plug-in's folder (its script and README), inside the installed package.
PLUGIN_DIR = resources.files("landuse.output") / "_assets" / "leaflet-landuse"


@functools.cache
def plugin_script(*, documented: bool = False) -> str:
    """Return the plug-in's JavaScript (``leaflet-landuse.js``), to inline after Leaflet's.

    Without its leading documentation comment (the JSDoc of its options) unless
    ``documented``: every page carries the script, the README carries the doc.
    """
    text = (PLUGIN_DIR / "leaflet-landuse.js").read_text(encoding="utf-8")
    return text if documented else re.sub(r"\A/\*\*.*?\*/\s*", "", text, count=1, flags=re.DOTALL)


@dataclass
class Shapes:
    """A layer's outlines as the page carries them: integers in 10^-digits degrees.

    Each ring's first point counts from ``origin``, every further point from the one before
    it; a ring's closing point (its first again) is left out.
    """

    origin: tuple[int, int]
    polygons: np.ndarray  # per feature: its polygons
    rings: np.ndarray  # per polygon: its rings
    points: np.ndarray  # per ring: its points
    steps: np.ndarray  # x, y of every point, flat
    bytes: np.ndarray  # per feature: bytes of its numbers in the page


@dataclass
class Texts:
    """The texts of a layer's kept features: a table of distinct strings and ids into it."""

    strings: np.ndarray  # distinct texts, most used first
    ids: list[np.ndarray]  # per column (tooltip parts, popup fields, popups): each feature's id
    bytes: np.ndarray  # per kept feature: bytes of its ids in the page, with their commas
    column_bytes: list[int]  # per column: bytes of its ids, with their commas
    string_bytes: np.ndarray  # per string: its bytes in the page (at most), with its comma


def to_json(value: object) -> str:
    """Compact JSON, non-ASCII kept as it is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_ints(values: np.ndarray) -> str:
    """A JSON array of integers."""
    return "[" + ",".join(map(str, values.tolist())) + "]"


def script_safe(text: str) -> str:
    """Make JSON text safe inside an HTML <script> element (it stays valid JSON)."""
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


def escape_html(values: pd.Series) -> np.ndarray:
    """``html.escape(str(v), quote=True)`` of each (present) value, at once."""
    text = values if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object else (
        values.astype(object).map(str))
    text = text.astype("str")
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")):
        text = text.str.replace(char, entity, regex=False)
    return text.to_numpy(dtype=object)


def int_widths(numbers: np.ndarray) -> np.ndarray:
    """Characters of each integer written out in decimal."""
    size = np.abs(numbers)
    out = 1 + (numbers < 0).astype(np.int64)
    power = 10
    while len(size) and power <= size.max():
        out += size >= power
        power *= 10
    return out


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Polygons and multipolygons as they are; of anything else, its polygonal parts (or empty)."""
    types = shapely.get_type_id(geoms)
    odd = ~np.isin(types, (3, 6))
    if odd.any():
        geoms = geoms.copy()
        for i in np.flatnonzero(odd):  # rare: a collection left by an overlay, or a missing shape
            parts = shapely.get_parts(shapely.get_parts(geoms[i]))
            polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
            geoms[i] = shapely.multipolygons(shapely.get_parts(polys)) if len(polys) else (
                shapely.Polygon())
    return geoms


@functools.cache
def _lonlat(crs: Any) -> Any:
    """The transformer from a plane to lon/lat (x, y order), as GeoSeries.to_crs(4326) uses."""
    from pyproj import Transformer

    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def outlines(geoms: np.ndarray, crs: Any, tolerance: float, digits: int, gcj02: bool) -> Shapes:
    """Encode polygons on a plane, simplified (``tolerance`` metres), as the page carries them.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        Polygons or multipolygons in ``crs`` (of anything else its polygonal
        parts are kept; a missing or empty shape becomes a feature of no polygon).
    crs : pyproj.CRS or anything pyproj takes
        Their CRS (a projected plane: ``tolerance`` is in its units).
    tolerance : float
        Simplification tolerance (topology kept); 0 keeps every vertex.
    digits : int
        Coordinates are rounded to integers in units of 10^-digits degrees.
    gcj02 : bool
        Shift the lon/lat to GCJ-02 (for 高德 tiles).

    Returns
    -------
    Shapes
        Counts per feature, polygon and ring, the steps, and each feature's bytes.
    """
    simple = _polygonal(parallel(shapely.simplify, geoms, tolerance=tolerance, preserve_topology=True))
    n = len(simple)
    kind, coords, offsets = shapely.to_ragged_array(simple, include_z=False)
    if kind == shapely.GeometryType.POLYGON:
        ring_offsets, polygon_offsets = offsets
        geometry_offsets = np.arange(n + 1)
    else:
        ring_offsets, polygon_offsets, geometry_offsets = offsets
    # Reproject the coordinates alone (as GeoSeries.to_crs would the geometries)
    lon, lat = _lonlat(crs).transform(coords[:, 0], coords[:, 1])
    if gcj02:
        lon, lat = gcj02_from_wgs84(np.asarray(lon), np.asarray(lat))
    coords = np.column_stack([lon, lat])
    grid = np.rint(coords * 10.0 ** digits).astype(np.int64)
    # Leave out each ring's closing point: Leaflet closes rings itself.
    closing = np.zeros(len(grid), dtype=bool)
    closing[ring_offsets[1:] - 1] = True
    grid = grid[~closing]
    points = np.diff(ring_offsets) - 1
    rings = np.diff(polygon_offsets)
    polygons = np.diff(geometry_offsets)
    if (rings == 0).any():
        # an empty (or missing) shape is a feature of no polygon, not of a polygon of no ring
        owner = np.repeat(np.arange(n), polygons)
        polygons = np.bincount(owner[rings > 0], minlength=n).astype(np.int64)
        rings = rings[rings > 0]
    origin = grid.min(axis=0) if len(grid) else np.zeros(2, dtype=np.int64)
    steps = np.diff(grid, axis=0, prepend=grid[:1])
    starts = np.cumsum(points) - points
    steps[starts[points > 0]] = grid[starts[points > 0]] - origin
    flat = steps.ravel()
    # bytes: every number and its comma, by ring, polygon and feature
    ring_bytes = np.bincount(np.repeat(np.arange(len(points)), 2 * points), weights=int_widths(flat) + 1,
                             minlength=len(points)) + int_widths(points) + 1
    polygon_bytes = np.bincount(np.repeat(np.arange(len(rings)), rings), weights=ring_bytes,
                                minlength=len(rings)) + int_widths(rings) + 1
    feature_bytes = np.bincount(np.repeat(np.arange(n), polygons), weights=polygon_bytes,
                                minlength=n) + int_widths(polygons) + 1
    return Shapes((int(origin[0]), int(origin[1])), polygons, rings, points, flat,
                  feature_bytes.astype(np.int64))


def _json_bytes(strings: np.ndarray) -> np.ndarray:
    """Bytes of each string as a JSON string in the page, and its comma (an upper bound)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(strings, type=pa.string())
    escaped = pc.add(pc.count_substring(text, '"'), pc.count_substring(text, "\\"))
    escaped = pc.add(escaped, pc.count_substring(text, "</"))
    escaped = pc.add(escaped, pc.multiply(pc.count_substring(text, "<!--"), 5))
    escaped = pc.add(escaped, pc.multiply(pc.count_substring_regex(text, r"[\x00-\x1f]"), 5))
    return (pc.binary_length(text).to_numpy(zero_copy_only=False) + 3
            + escaped.to_numpy(zero_copy_only=False)).astype(np.int64)


def string_table(columns: Sequence[np.ndarray], keep: np.ndarray) -> Texts:
    """The string table of the kept features' texts (most used first: short ids) and their ids.

    ``columns`` are the tooltip's parts, the popup's fields and the popups, in that order,
    each with one (escaped) text per feature; ``keep`` marks the features the page carries.
    """
    kept = [c[keep] for c in columns]
    n = int(keep.sum())
    if not kept:
        return Texts(np.zeros(0, dtype=object), [], np.zeros(n, dtype=np.int64), [], np.zeros(0, np.int64))
    codes, strings = pd.factorize(np.concatenate(kept))
    order = np.argsort(-np.bincount(codes, minlength=len(strings)), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[codes]
    ids = [codes[i * n:(i + 1) * n] for i in range(len(kept))]
    per_column = [int_widths(i) + 1 for i in ids]
    sizes = sum(per_column, np.zeros(n, dtype=np.int64))
    strings = np.asarray(strings, dtype=object)[order]
    return Texts(strings, ids, sizes, [int(c.sum()) for c in per_column], _json_bytes(strings))


def layer_json(spec: dict[str, Any], shapes: Shapes, texts: Texts, classes: np.ndarray, keep: np.ndarray,
               *, n_tips: int, popups: bool, digits: int,
               ints: Callable[[np.ndarray], str] = json_ints) -> str:
    """The layer's data JSON: its spec, the kept features' classes, text ids and outlines.

    ``shapes`` and ``classes`` hold every feature, ``texts`` the kept ones; ``n_tips`` of
    the text columns are the tooltip's parts, then the popup's fields, then (``popups``)
    the whole popups. ``ints`` writes an array of integers: as JSON, or as a stand-in of
    its length (to measure the page before writing it).
    """
    polygon_kept = np.repeat(keep, shapes.polygons)
    ring_kept = np.repeat(polygon_kept, shapes.rings)
    number_kept = np.repeat(ring_kept, 2 * shapes.points)
    ids = [ints(i) for i in texts.ids]
    n_fields = len(ids) - n_tips - int(popups)
    return "".join([
        f'{{"spec":{to_json(spec)},"n":{int(keep.sum())},"c":{ints(classes[keep])}',
        f',"t":[{",".join(ids[:n_tips])}]',
        f',"p":[{",".join(ids[n_tips:n_tips + n_fields])}]',
        f',"h":{ids[-1]}' if popups else "",
        f',"k":{digits},"o":{to_json(list(shapes.origin))}',
        f',"f":{ints(shapes.polygons[keep])},"q":{ints(shapes.rings[polygon_kept])}',
        f',"r":{ints(shapes.points[ring_kept])},"x":{ints(shapes.steps[number_kept])}}}',
    ])


def encode_layer(geoms: Sequence[Any] | np.ndarray, crs: Any, *, styles: Sequence[dict[str, Any]],
                 classes: Sequence[int] | np.ndarray | None = None,
                 tips: Sequence[Sequence[Any]] = (),
                 fields: Sequence[tuple[str, Sequence[Any]]] = (),
                 popups: Sequence[Any] | None = None,
                 key: str = "layer", z: int = 410, digits: int = 5, tolerance_m: float = 0.0,
                 gcj02: bool = False) -> tuple[str, str]:
    """Encode one layer for ``L.landUseLayer``: its data JSON and its texts JSON, script-safe.

    Every text is HTML-escaped here (a missing one, None or NaN, becomes "" and is
    left out of the tooltip or the popup table); the maps build their layers from
    the same parts with texts they have escaped and formatted themselves.

    Parameters
    ----------
    geoms : sequence of shapely geometries
        Polygons or multipolygons in ``crs`` (a missing or empty one is a feature
        with no polygon: counted, not drawn).
    crs : pyproj.CRS, int or str
        Their CRS.
    styles : sequence of dict
        Leaflet path options, one a class.
    classes : sequence of int, optional
        Each feature's class (index into ``styles``); default all 0.
    tips : sequence of sequences
        The tooltip's parts, each one text a feature (joined by " · ").
    fields : sequence of (label, texts)
        The popup table's rows: a label and one text a feature.
    popups : sequence, optional
        Each feature's popup as it is (escaped too), instead of a table.
    key, z : str, int
        The layer's name in the page (its SVG pane is ``lu-<key>``) and its pane's z-index.
    digits : int, default 5
        Coordinates in units of 10^-digits degrees (5: about a metre).
    tolerance_m : float, default 0
        Simplification in the units of ``crs``.
    gcj02 : bool, default False
        Shift to GCJ-02 (for 高德 tiles).

    Returns
    -------
    (str, str)
        The data JSON and the texts JSON, each safe inside a ``<script>`` element.

    Examples
    --------
    >>> import shapely
    >>> data, texts = encode_layer([shapely.box(500_000, 3_650_000, 500_100, 3_650_100)], 4547,
    ...                            styles=[{"color": "#333"}], tips=[["<b>"]])
    >>> texts
    '["&lt;b&gt;"]'
    >>> json.loads(data)["r"]  # one ring of four points (its closing point left out)
    [4]
    """
    geoms = np.asarray(list(geoms), dtype=object)
    n = len(geoms)
    cls = np.zeros(n, dtype=np.int64) if classes is None else np.asarray(classes, dtype=np.int64)

    def escaped(values: Sequence[Any]) -> np.ndarray:
        series = pd.Series(list(values), dtype=object)
        out = escape_html(series)
        out[series.isna().to_numpy()] = ""
        return out

    tip_columns = [escaped(t) for t in tips]
    field_columns = [escaped(v) for _, v in fields]
    popup_column = [] if popups is None else [escaped(popups)]
    labels = escaped([label for label, _ in fields]).tolist() if fields else []
    keep = np.ones(n, dtype=bool)
    shapes = outlines(geoms, crs, tolerance_m, digits, gcj02)
    texts = string_table([*tip_columns, *field_columns, *popup_column], keep)
    spec = {"key": key, "z": int(z), "styles": list(styles), "fields": labels, "boost": False}
    data = layer_json(spec, shapes, texts, cls, keep, n_tips=len(tip_columns), popups=popups is not None,
                      digits=digits)
    return script_safe(data), script_safe(to_json(texts.strings.tolist()))
