"""The reference decoder of the map's layer encoding, for the tests (what leaflet-landuse.js reads).

See ``landuse/output/_assets/leaflet-landuse/README.md`` for the format.
"""

from __future__ import annotations


def decode(data: dict) -> list[list[list[list[tuple[float, float]]]]]:
    """Each feature's polygons, each polygon's rings, each ring's (lon, lat), as the plug-in reads them."""
    unit = 10.0 ** -data["k"]
    steps, rings_of, points_of = iter(data["x"]), iter(data["q"]), iter(data["r"])
    features = []
    for i in range(data["n"]):
        polygons = []
        for _ in range(data["f"][i]):
            rings = []
            for _ in range(next(rings_of)):
                x, y = data["o"]
                ring = []
                for _ in range(next(points_of)):
                    x += next(steps)
                    y += next(steps)
                    ring.append((x * unit, y * unit))
                rings.append(ring)
            polygons.append(rings)
        features.append(polygons)
    return features
