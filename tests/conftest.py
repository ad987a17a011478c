"""Shared fixtures: small synthetic workspaces with answers you can compute by hand.

Every polygon is a square in EPSG:4547 (CGCS2000 3-degree zone 38, central
meridian 114°E) offset from ``(X0, Y0)``, a point near 114°E 33°N inside the
zone, so a 100 m × 100 m square is exactly 1 ha = 15 亩.

:func:`base_layers` is a healthy two-county workspace; a test copies it,
breaks one thing and writes it with the ``make_workspace`` fixture in any
of the formats a bureau uses (one GeoPackage, a folder of GeoPackages,
shapefiles, GeoJSON, FlatGeobuf, or a zip of a folder).
"""

from __future__ import annotations

import copy
import shutil
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

X0, Y0 = 500_000.0, 3_650_000.0
EPSG = 4547
COUNTY_A, COUNTY_B = "411702", "411721"


def square(x: float, y: float, size: float = 100.0) -> BaseGeometry:
    """Return a ``size`` m square whose lower-left corner is ``(X0 + x, Y0 + y)``."""
    return box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size)


def base_layers() -> dict[str, list[dict[str, Any]]]:
    """Return a healthy workspace as plain rows; ``geometry`` holds a shapely polygon.

    * counties: A (411702, x 0..10 km) and B (411721, x 10..20 km), 10 000 ha each;
    * batches: B1 in A, 200 m square = 4 ha, 省政府 2016; B2 in B, 1 ha, 国务院 2015;
    * supplies: S1 and S2 inside B1, 1 ha each, 2017 and 2018;
    * idle: I1 on S1, 1 ha, enterprise cause, undisposed;
    * revocations: half of B2 lapsed in 2018; quotas: one row per county for 2019.
    """
    return {
        "counties": [
            {"county_code": COUNTY_A, "county_name": "驿城区", "geometry": square(0, 0, 10_000)},
            {
                "county_code": COUNTY_B,
                "county_name": "西平县",
                "geometry": square(10_000, 0, 10_000),
            },
        ],
        "batches": [
            {
                "batch_id": "B1",
                "county_code": COUNTY_A,
                "approval_no": "豫政土〔2016〕12号",
                "approval_date": "2016-05-01",
                "approver": "省政府",
                "approved_ha": 4.0,
                "compensation": "已实施",
                "geometry": square(1_000, 1_000, 200),
            },
            {
                "batch_id": "B2",
                "county_code": COUNTY_B,
                "approval_no": "国土资函〔2015〕3号",
                "approval_date": "2015-03-01",
                "approver": "国务院",
                "approved_ha": 1.0,
                "compensation": "未实施",
                "geometry": square(11_000, 1_000, 100),
            },
        ],
        "supplies": [
            {
                "parcel_id": "4117022017B00001",
                "batch_id": "B1",
                "county_code": COUNTY_A,
                "supply_date": "2017-03-01",
                "supply_method": "出让",
                "area_ha": 1.0,
                "land_use": "工业用地",
                "geometry": square(1_000, 1_000),
            },
            {
                "parcel_id": "4117022018B00002",
                "batch_id": "B1",
                "county_code": COUNTY_A,
                "supply_date": "2018-06-01",
                "supply_method": "划拨",
                "area_ha": 1.0,
                "land_use": "公共管理与公共服务用地",
                "geometry": square(1_100, 1_000),
            },
        ],
        "idle": [
            {
                "idle_id": "I1",
                "parcel_id": "4117022017B00001",
                "county_code": COUNTY_A,
                "area_ha": 1.0,
                "identified_date": "2018-01-15",
                "cause": "企业原因",
                "disposal": None,
                "disposal_date": None,
                "geometry": square(1_000, 1_000),
            },
        ],
        "revocations": [
            {"batch_id": "B2", "kind": "失效", "area_ha": 0.5, "date": "2018-03-01"},
        ],
        "quotas": [
            {"county_code": COUNTY_A, "year": 2019, "plan_base_ha": 100.0},
            {"county_code": COUNTY_B, "year": 2019, "plan_base_ha": 80.0},
        ],
    }


def to_frame(rows: list[dict[str, Any]], layer: str, crs: Any = EPSG) -> pd.DataFrame:
    """Turn rows into a GeoDataFrame (polygon layers) or a DataFrame (tables)."""
    frame = pd.DataFrame(rows)
    if "geometry" in frame.columns:
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)
    return frame


_VECTOR_SUFFIX = {"shp": ".shp", "geojson": ".geojson", "fgb": ".fgb", "gpkgs": ".gpkg"}


def _write(frame: pd.DataFrame, path: Path, **kwargs: Any) -> None:
    with warnings.catch_warnings():
        # GDAL says when it cuts a shapefile field name to 10 bytes; pyogrio warns when
        # a layer is written without a CRS, which some tests do on purpose.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        pyogrio.write_dataframe(frame, path, **kwargs)


def write_workspace(
    root: Path,
    layers: Mapping[str, list[dict[str, Any]] | pd.DataFrame | None],
    *,
    fmt: str = "gpkg",
    names: Mapping[str, str] | None = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    crs: Any = EPSG,
    encoding: str | None = None,
) -> Path:
    """Write ``layers`` as a workspace under ``root`` and return its path.

    Parameters
    ----------
    layers : mapping
        Layer name → rows (or a frame); None leaves the layer out.
    fmt : {"gpkg", "gpkgs", "shp", "geojson", "fgb", "zip"}
        One GeoPackage with a layer per table; a folder of one file per layer
        (tables as CSV); or a zip of a shapefile folder.
    names : mapping, optional
        Layer name → file stem or GeoPackage layer name to write it as (``批次``).
    columns : mapping, optional
        Layer name → {canonical column: column name to write} (aliases).
    crs : optional
        CRS of the polygons written; None writes none.
    encoding : str, optional
        Shapefile encoding (``"GBK"``), passed to GDAL.
    """
    names = dict(names or {})
    columns = dict(columns or {})
    root.mkdir(parents=True, exist_ok=True)
    frames: dict[str, pd.DataFrame] = {}
    for layer, rows in layers.items():
        if rows is None:
            continue
        frame = rows.copy() if isinstance(rows, pd.DataFrame) else to_frame(rows, layer, crs)
        if isinstance(frame, gpd.GeoDataFrame) and crs is None:
            frame = frame.set_crs(None, allow_override=True)
        frames[layer] = frame.rename(columns=dict(columns.get(layer, {})))
    if fmt == "gpkg":
        target = root / "workspace.gpkg"
        for layer, frame in frames.items():
            _write(frame, target, layer=names.get(layer, layer), append=target.exists())
        return target
    folder = root / "workspace"
    folder.mkdir(exist_ok=True)
    suffix = _VECTOR_SUFFIX.get(fmt, ".shp")
    for layer, frame in frames.items():
        stem = names.get(layer, layer)
        if isinstance(frame, gpd.GeoDataFrame):
            kwargs = {"encoding": encoding} if encoding and suffix == ".shp" else {}
            _write(frame, folder / f"{stem}{suffix}", **kwargs)
        else:
            frame.to_csv(folder / f"{stem}.csv", index=False, encoding="utf-8")
    if fmt == "zip":
        target = root / "workspace.zip"
        with zipfile.ZipFile(target, "w") as archive:
            for path in sorted(folder.rglob("*")):
                archive.write(path, path.relative_to(root).as_posix())
        shutil.rmtree(folder)
        return target
    return folder


@pytest.fixture
def layers() -> dict[str, list[dict[str, Any]]]:
    """A fresh, healthy set of rows to break (see :func:`base_layers`)."""
    return copy.deepcopy(base_layers())


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Path]:
    """Return ``make(layers=None, **options)`` writing a workspace to a fresh folder.

    Without ``layers`` the healthy :func:`base_layers` are written; keyword
    options are those of :func:`write_workspace`. ``omit=("idle",)`` leaves
    layers out.
    """
    counter = iter(range(1_000_000))

    def make(
        layers: Mapping[str, Any] | None = None, *, omit: tuple[str, ...] = (), **options: Any
    ) -> Path:
        chosen = dict(base_layers() if layers is None else layers)
        for name in omit:
            chosen.pop(name, None)
        return write_workspace(tmp_path / f"ws{next(counter)}", chosen, **options)

    return make


def problems_of(workspace: Any, **match: Any) -> list[Any]:
    """Return the workspace's problems whose attributes equal ``match``."""
    return [p for p in workspace.problems if all(getattr(p, k) == v for k, v in match.items())]


@pytest.fixture
def find_problems() -> Callable[..., list[Any]]:
    """The :func:`problems_of` helper, as a fixture."""
    return problems_of
