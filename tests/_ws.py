"""Build small in-memory workspaces for the analysis tests.

Squares in EPSG:4547 from ``(X0, Y0)``: a 100 m square is 1 ha. Layers go
through :func:`landuse.model.workspace.normalise_layers`, the same path files take,
without touching the disk.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from landuse.io.files import RawLayer
from landuse.model.workspace import Workspace, normalise_layers

X0, Y0 = 500_000.0, 3_650_000.0
A, B, C = "411702", "411721", "411722"


def sq(x: float, y: float, w: float = 100.0, h: float | None = None):
    """A ``w`` × ``h`` metre rectangle with its lower-left corner at ``(X0 + x, Y0 + y)``."""
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


def counties(*codes: str) -> list[dict[str, Any]]:
    """Counties side by side, 10 km squares, named after their codes."""
    return [{"county_code": c, "county_name": f"县{c[-2:]}", "geometry": sq(10_000 * i, 0, 10_000)}
            for i, c in enumerate(codes)]


def build(**layers: list[dict[str, Any]]) -> Workspace:
    """Normalise rows (dicts, ``geometry`` a shapely polygon or None) into a Workspace."""
    raws = []
    for name, rows in layers.items():
        frame = pd.DataFrame(rows)
        if "geometry" in frame.columns:
            frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=4547)
        raws.append(RawLayer(name, frame, name, np.arange(1, len(frame) + 1)))
    return normalise_layers(raws, source="test")


def batch(bid: str, county: str, date: str, geom, **kw: Any) -> dict[str, Any]:
    return {"batch_id": bid, "county_code": county, "approval_date": date, "approver": "省政府",
            "compensation": "已实施", "geometry": geom, **kw}


def supply(pid: str, bid: str | None, date: str, geom, **kw: Any) -> dict[str, Any]:
    return {"parcel_id": pid, "batch_id": bid, "supply_date": date, "geometry": geom, **kw}
