"""The workspace: the layers of one area, loaded and normalised.

:func:`load_workspace` reads a folder, a GeoPackage or a zip of either (and,
with the ``postgis`` extra, a PostGIS schema), finds the layers by name,
renames their fields to canonical names, coerces types, repairs geometries,
measures areas on the Gauss-Krüger plane of the data, fills missing county
codes by location and checks everything against everything else. Whatever
cannot be used is kept out of the layers and named in
:attr:`Workspace.problems`; nothing is dropped silently.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from landuse import _validate
from landuse._arrays import parallel
from landuse._errors import CRSError, LayerReadError, WorkspaceError
from landuse.crs import measuring_crs
from landuse.io import LandCover, RawLayer, discover, open_landcover, opened, read_layer
from landuse.schema import (
    LAYERS,
    Problem,
    _feature_id,
    canonical_columns,
    coerce_layer,
    layer_for_name,
    problems_frame,
    rename_columns,
)
from landuse.units import M2_PER_HA

__all__ = ["Workspace", "county_areas", "empty_layer", "load_workspace", "normalise_layers"]

#: Relative difference between an attribute area and its geometry's area that is reported.
AREA_TOLERANCE = 0.05

ProgressFn = Callable[[str], None]


def empty_layer(layer: str, crs: CRS | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
    """Return an empty normalised frame of ``layer`` with its canonical columns."""
    spec = LAYERS[layer]
    columns = canonical_columns(layer)
    frame = pd.DataFrame({c: pd.Series(dtype=_dtype(layer, c)) for c in columns})
    frame["source_row"] = pd.Series(dtype="int64")
    if spec.geometry == "table":
        return frame
    frame["geom_ha"] = pd.Series(dtype="float64")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _dtype(layer: str, column: str) -> str:
    kind = LAYERS[layer].field(column).kind
    return {"date": "datetime64[ns]", "area": "float64", "number": "float64", "year": "Int64",
            "bool": "boolean"}.get(
        kind, "string"
    )


@dataclass(eq=False)
class Workspace:
    """The normalised layers of one area.

    Every polygon layer is in :attr:`crs`, the plane areas are measured on;
    areas are in hectares, dates are ``datetime64`` days, county codes are
    6-digit text. Each frame has its canonical columns (see
    :data:`landuse.schema.LAYERS`), ``source_row`` (the row in the source)
    and, for polygon layers, ``geom_ha`` (geometry area, NaN without one).

    Attributes
    ----------
    counties, batches, supplies, idle : geopandas.GeoDataFrame
        Polygon layers; supplies and idle parcels may lack geometry.
    revocations, quotas, resumptions : pandas.DataFrame
        Tables.
    landcover : LandCover or None
        The land-cover raster, if the workspace has one.
    crs : pyproj.CRS
        The measuring plane.
    problems : list of Problem
        Everything wrong with the input. Rows with an error are not in the
        layers; rows with a warning are.
    source : str
        Where the workspace was read from.
    sources : dict
        Canonical layer → the file or table it was read from.
    source_crs : dict
        Canonical layer → the CRS its geometry was stored in (None when the
        source had none), for the layers read with geometry.
    """

    counties: gpd.GeoDataFrame
    batches: gpd.GeoDataFrame
    supplies: gpd.GeoDataFrame
    idle: gpd.GeoDataFrame
    revocations: pd.DataFrame
    quotas: pd.DataFrame
    crs: CRS
    landcover: LandCover | None = None
    problems: list[Problem] = field(default_factory=list)
    source: str = ""
    sources: dict[str, str] = field(default_factory=dict)
    source_crs: dict[str, CRS | None] = field(default_factory=dict)
    resumptions: pd.DataFrame = field(default_factory=lambda: empty_layer("resumptions"))

    def layer(self, name: str) -> pd.DataFrame:
        """Return the layer called ``name`` (canonical name)."""
        if name not in LAYERS:
            raise KeyError(name)
        return getattr(self, name)

    @property
    def problems_frame(self) -> pd.DataFrame:
        """The problems as a DataFrame (layer, feature_id, field, severity, message...)."""
        return problems_frame(self.problems)

    @property
    def has_errors(self) -> bool:
        """True when any problem is an error."""
        return any(p.severity == "error" for p in self.problems)

    def require(self) -> None:
        """Raise if a required layer is missing or empty, so nothing can be assessed.

        Raises
        ------
        WorkspaceError
            Naming each required layer that is missing.
        """
        # A required layer must be there; only the counties must also have rows
        # (no batches or no supplies is a county with nothing to do, not an error).
        missing = [
            n for n, spec in LAYERS.items()
            if spec.required and (n not in self.sources or (n == "counties" and self.counties.empty))
        ]
        if missing:
            zh = "、".join(f"{LAYERS[n].label}（{n}）" for n in missing)
            raise WorkspaceError(
                f"工作区 {self.source} 缺少必需图层或图层为空：{zh}；运行 landuse check 查看原因",
                f"workspace {self.source} lacks required layer(s) or they are empty: "
                f"{', '.join(missing)}; run `landuse check` to see why",
            )

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={len(self.layer(n))}" for n in LAYERS)
        epsg = self.crs.to_epsg()
        crs = f"EPSG:{epsg}" if epsg else self.crs.name
        return f"<Workspace {self.source!r} {counts} crs={crs} problems={len(self.problems)}>"


def load_workspace(
    path: str | os.PathLike | None = None,
    *,
    crs: str | int | CRS | None = None,
    progress: ProgressFn | None = None,
    landcover: bool = True,
) -> Workspace:
    """Load and normalise a workspace.

    Parameters
    ----------
    path : path-like or str, optional
        A folder of layer files, one GeoPackage, a zip of either, or a
        ``postgresql://`` URL with ``?schema=``. Default: the bundled sample
        workspace of Zhumadian.
    crs : CRS, optional
        The CRS of layers that have none (a shapefile without ``.prj``).
        Without it such a layer is an error.
    progress : callable, optional
        Called with the name of each step, for a progress display.
    landcover : bool, default True
        Open the land-cover raster when there is one; False leaves it out
        (``landuse assess --no-raster``), which also spares loading rasterio.

    Returns
    -------
    Workspace

    Raises
    ------
    LayerReadError
        When ``path`` does not exist or is not a workspace at all.

    Examples
    --------
    >>> ws = load_workspace()
    >>> len(ws.counties), ws.crs.to_epsg()  # 10 counties and a functional zone
    (11, 4547)
    """
    if path is None:
        path = sample_workspace()
    text = str(path)
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        from landuse import postgis

        raws, raster, problems, shown = postgis.read_workspace(text)
        return normalise_layers(raws, landcover=raster if landcover else None, problems=problems, source=shown,
                                assume_crs=crs, progress=progress)
    path = Path(path)
    with opened(path) as root:
        sources = discover(root)
        raws: list[RawLayer] = []
        problems: list[Problem] = []
        for layer, found in sources.layers.items():
            if len(found) > 1:
                names = "、".join(str(p.name) + (f":{s}" if s else "") for p, s in found)
                problems.append(Problem(
                    layer, None, None, "warning",
                    f"图层 {layer} 有多个来源（{names}），只读取第一个",
                    f"layer {layer} has several sources ({names}); only the first is read",
                ))
            file, sub = found[0]
            if progress:
                progress(f"read {layer}")
            try:
                raws.append(read_layer(layer, file, sub, root))
            except LayerReadError as err:
                problems.append(Problem(layer, None, None, "error", err.zh, err.en, None, file.name))
        for file, err in sources.unreadable:
            problems.append(Problem(layer_for_name(file.stem) or "workspace", None, None, "error",
                                    err.zh, err.en, None, file.name))
        for ignored in sources.ignored:
            problems.append(Problem(
                "workspace", None, None, "warning",
                f"文件 {ignored.name} 不是可识别的图层（文件名应为 批次、供地、闲置土地、县区… 或 batches、supplies…），已忽略",
                f"{ignored.name} is not a known layer (name files batches, supplies, idle, counties...); ignored",
                None, ignored.name,
            ))
        raster = None
        if sources.landcover is not None and landcover:
            try:
                raster = open_landcover(sources.landcover)
            except LayerReadError as err:
                problems.append(Problem("landcover", None, None, "error", err.zh, err.en, None,
                                        sources.landcover.name))
    return normalise_layers(raws, landcover=raster, problems=problems, source=str(path),
                            assume_crs=crs, progress=progress)


def sample_workspace() -> Path:
    """Return the path of the bundled sample workspace (``layers/zhumadian``)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "layers" / "zhumadian", here / "_sample" / "zhumadian"):
        if candidate.exists():
            return candidate
    raise LayerReadError(
        "找不到内置示例工作区 layers/zhumadian：请在项目目录中以可编辑方式安装（pip install -e .）或指定工作区路径",
        "the bundled sample workspace layers/zhumadian was not found: install the project "
        "editable (pip install -e .) or give a workspace path",
    )


# --- normalisation -------------------------------------------------------------------------
def normalise_layers(
    raws: list[RawLayer],
    *,
    landcover: LandCover | None = None,
    problems: list[Problem] | None = None,
    source: str = "",
    assume_crs: str | int | CRS | None = None,
    progress: ProgressFn | None = None,
) -> Workspace:
    """Normalise raw layers (as read by :mod:`landuse.io`) into a :class:`Workspace`.

    This is where every reader meets: files, GeoPackages and PostGIS all
    come through here, so they share one set of aliases, checks and problems.
    """
    problems = list(problems or [])
    by_layer = {raw.layer: raw for raw in raws}
    for raw in raws:
        problems.extend(raw.problems)
    for name, spec in LAYERS.items():
        if spec.required and name not in by_layer and not any(
            p.layer == name and p.severity == "error" for p in problems
        ):
            names = "、".join(n for n in spec.names if not n.isascii()) + " / " + ", ".join(
                n for n in spec.names if n.isascii() and n.islower()
            )
            problems.append(Problem(
                name, None, None, "error",
                f"缺少必需图层 {spec.label}（{name}）：文件或图层应命名为 {names}",
                f"required layer {name} ({spec.label_en}) is missing: name the file or layer {names}",
            ))
    work_crs = _choose_crs(by_layer, assume_crs)
    layers: dict[str, pd.DataFrame] = {}
    for name in LAYERS:
        if progress:
            progress(f"normalise {name}")
        raw = by_layer.get(name)
        if raw is None:
            layers[name] = empty_layer(name, work_crs)
            continue
        frame, layer_problems = _normalise_layer(raw, work_crs, assume_crs)
        layers[name] = frame
        problems.extend(layer_problems)
    if progress:
        progress("validate")
    layers, cross = _validate.cross_check(layers)
    problems.extend(cross)
    return Workspace(
        counties=layers["counties"], batches=layers["batches"], supplies=layers["supplies"],
        idle=layers["idle"], revocations=layers["revocations"], quotas=layers["quotas"],
        resumptions=layers["resumptions"], crs=work_crs, landcover=landcover, problems=problems, source=source,
        sources={raw.layer: raw.source for raw in raws},
        source_crs={raw.layer: raw.frame.crs for raw in raws if _geometry_name(raw.frame)},
    )


def _geometry_name(frame: pd.DataFrame) -> str | None:
    """Return the active geometry column of ``frame``, or None (a table, or no active column)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return None
    try:
        name = frame.geometry.name
    except AttributeError:  # a GeoDataFrame read from a table has no active geometry
        return None
    return name if name in frame.columns else None


def _has_geometry(frame: pd.DataFrame) -> bool:
    return _geometry_name(frame) is not None and bool(frame.geometry.notna().any())


def _choose_crs(by_layer: dict[str, RawLayer], assume: str | int | CRS | None) -> CRS:
    """Pick the measuring plane from the counties (else the first layer with geometry)."""
    order = ["counties", "batches", "supplies", "idle"]
    for name in order:
        raw = by_layer.get(name)
        if raw is None or not _has_geometry(raw.frame):
            continue
        layer_crs = raw.frame.crs or (CRS.from_user_input(assume) if assume is not None else None)
        if layer_crs is None:
            continue
        geoms = raw.frame.geometry
        bounds = tuple(shapely.total_bounds(geoms.values[geoms.notna().to_numpy()]))
        return measuring_crs(layer_crs, bounds)
    return CRS.from_epsg(4547) if assume is None else measuring_crs(assume, (114, 33, 114, 33))


def _normalise_layer(raw: RawLayer, work_crs: CRS, assume_crs: object) -> tuple[pd.DataFrame, list[Problem]]:
    spec = LAYERS[raw.layer]
    problems: list[Problem] = []
    frame = raw.frame
    rows = pd.Series(raw.rows, index=frame.index)
    mapping, factors = rename_columns(frame.columns, raw.layer)
    missing = [
        f for f in spec.fields
        if f.required and f.name not in mapping.values()
        and not (f.kind == "area" and spec.geometry != "table" and _has_geometry(frame))
    ]
    if missing:
        for f in missing:
            problems.append(Problem(
                raw.layer, None, f.name, "error",
                f"{raw.source}：缺少必填字段 {f.label}（{f.name}），可用字段名：{'、'.join(f.aliases[:6])}；"
                f"该图层 {len(frame)} 行均未参与计算",
                f"{raw.source}: required field {f.name} is missing (accepted names: "
                f"{', '.join(f.aliases[:6])}); none of the layer's {len(frame)} rows is used",
                None, raw.source,
            ))
        return empty_layer(raw.layer, work_crs), problems
    geometry = None
    if spec.geometry != "table" and _has_geometry(frame):
        geometry = frame.geometry
    geometry_name = _geometry_name(frame)
    attrs = pd.DataFrame(frame.drop(columns=[geometry_name]) if geometry_name else frame)
    attrs = attrs[[c for c in attrs.columns if c in mapping]].rename(columns=mapping)
    ids = attrs[spec.id_field].astype("string").str.strip() if spec.id_field else None
    attrs, coerce_problems, errors = coerce_layer(
        attrs, raw.layer, source=raw.source, factors=factors, ids=ids, rows=rows
    )
    problems.extend(coerce_problems)
    attrs = attrs[canonical_columns(raw.layer)]
    attrs["source_row"] = rows.astype("int64")
    if spec.id_field:
        no_id = attrs[spec.id_field].isna()
        for i in no_id[no_id].index:
            problems.append(Problem(
                raw.layer, f"#{rows[i]}", spec.id_field, "error",
                f"{raw.source} 第 {rows[i]} 行缺少编号 {spec.field(spec.id_field).label}（{spec.id_field}），该行未参与计算",
                f"{raw.source} row {rows[i]} has no {spec.id_field}; the row is left out",
                int(rows[i]), raw.source,
            ))
        errors |= no_id
    if spec.geometry == "table":
        return attrs[~errors].reset_index(drop=True), problems
    geoms, geom_problems, geom_errors = _normalise_geometry(geometry, raw, attrs, rows, work_crs, assume_crs)
    problems.extend(geom_problems)
    errors |= geom_errors
    out = gpd.GeoDataFrame(attrs, geometry=geoms, crs=work_crs)
    out["geom_ha"] = out.geometry.area / M2_PER_HA
    out.loc[out.geometry.isna(), "geom_ha"] = np.nan
    out, area_problems, area_errors = _reconcile_areas(out, raw, rows)
    problems.extend(area_problems)
    errors |= area_errors
    out = out[~errors.reindex(out.index, fill_value=False)]
    cols = [*canonical_columns(raw.layer), "source_row", "geom_ha", "geometry"]
    return out[cols].reset_index(drop=True), problems


def _row_problem(raw: RawLayer, attrs: pd.DataFrame, rows: pd.Series, i: object, fld: str | None,
                 severity: str, zh: str, en: str) -> Problem:
    spec = LAYERS[raw.layer]
    fid = _feature_id(attrs.at[i, spec.id_field], rows[i]) if spec.id_field else f"#{rows[i]}"
    return Problem(raw.layer, fid, fld, severity, zh, en, int(rows[i]), raw.source)  # type: ignore[arg-type]


def _normalise_geometry(
    geometry: gpd.GeoSeries | None, raw: RawLayer, attrs: pd.DataFrame, rows: pd.Series,
    work_crs: CRS, assume_crs: object,
) -> tuple[gpd.GeoSeries, list[Problem], pd.Series]:
    """Reproject to the measuring plane, repair, keep polygons; report each change."""
    spec = LAYERS[raw.layer]
    problems: list[Problem] = []
    errors = pd.Series(False, index=attrs.index)
    if geometry is None:
        if spec.geometry == "polygons":
            problems.append(Problem(raw.layer, None, "geometry", "error",
                                    f"{raw.source}：{spec.label}图层必须是面图层，但没有几何图形",
                                    f"{raw.source}: the {raw.layer} layer must have polygons but has none",
                                    None, raw.source))
            errors[:] = True
        return gpd.GeoSeries([None] * len(attrs), index=attrs.index, crs=work_crs), problems, errors
    geometry = gpd.GeoSeries(geometry.values, index=attrs.index, crs=geometry.crs)
    if geometry.crs is None:
        if assume_crs is None:
            raise_or = CRSError(
                f"{raw.source}：图层没有坐标系（缺少 .prj 或未定义），无法计算面积。"
                "请在 GIS 中为其定义坐标系，或运行时指定 --crs EPSG:4490（CGCS2000 经纬度）/ EPSG:4547（CGCS2000 三度带 38 带）",
                f"{raw.source}: the layer has no CRS (no .prj), so areas cannot be measured. "
                "Define it in your GIS, or pass --crs EPSG:4490 (CGCS2000 lon/lat) or EPSG:4547 "
                "(CGCS2000 3-degree zone 38)",
            )
            problems.append(Problem(raw.layer, None, "geometry", "error", raise_or.zh, raise_or.en,
                                    None, raw.source))
            errors[:] = True
            return gpd.GeoSeries([None] * len(attrs), index=attrs.index, crs=work_crs), problems, errors
        geometry = geometry.set_crs(assume_crs)
    if not CRS.from_user_input(geometry.crs).equals(work_crs):
        geometry = geometry.to_crs(work_crs)
    values = geometry.values
    present = ~shapely.is_missing(values)
    empty = present & shapely.is_empty(values)
    invalid = present & ~empty & ~parallel(shapely.is_valid, values)
    if invalid.any():
        reasons = shapely.is_valid_reason(values[invalid])
        fixed = shapely.make_valid(values[invalid])
        before = shapely.area(values[invalid])
        values = values.copy()
        values[invalid] = fixed
        after = shapely.area(values[invalid])
        for i, reason, a0, a1 in zip(attrs.index[invalid], reasons, before, after, strict=True):
            problems.append(_row_problem(
                raw, attrs, rows, i, "geometry", "warning",
                f"几何图形无效（{reason}），已自动修复（面积 {a0 / M2_PER_HA:.4f} → {a1 / M2_PER_HA:.4f} 公顷）",
                f"invalid geometry ({reason}) repaired (area {a0 / M2_PER_HA:.4f} -> {a1 / M2_PER_HA:.4f} ha)",
            ))
    # Keep the polygonal part: make_valid may leave lines and points beside the polygons.
    type_ids = shapely.get_type_id(values)
    collections = present & ~empty & (type_ids == 7)
    if collections.any():
        parts = values[collections]
        polys = [shapely.union_all(shapely.get_parts(g)[np.isin(shapely.get_type_id(shapely.get_parts(g)), (3, 6))])
                 for g in parts]
        values[collections] = polys
        type_ids = shapely.get_type_id(values)
    not_polygon = present & ~empty & ~np.isin(type_ids, (3, 6))
    for i in attrs.index[not_polygon]:
        geom_type = shapely.get_type_id(values[attrs.index.get_loc(i)])
        severity = "error" if spec.geometry == "polygons" else "warning"
        problems.append(_row_problem(
            raw, attrs, rows, i, "geometry", severity,
            f"几何类型不是面（类型编号 {geom_type}），{'该行未参与计算' if severity == 'error' else '按无几何处理，使用属性面积'}",
            f"geometry is not a polygon (type {geom_type}); "
            f"{'the row is left out' if severity == 'error' else 'treated as no geometry, attribute area used'}",
        ))
    if spec.geometry == "polygons":
        errors |= pd.Series(not_polygon, index=attrs.index)
    values = np.where(not_polygon | empty, None, values)
    if spec.geometry == "polygons":
        lacking = ~present | empty
        for i in attrs.index[lacking]:
            problems.append(_row_problem(raw, attrs, rows, i, "geometry", "error",
                                         "缺少几何图形，该行未参与计算", "no geometry; the row is left out"))
        errors |= pd.Series(lacking, index=attrs.index)
    return gpd.GeoSeries(values, index=attrs.index, crs=work_crs), problems, errors


def _reconcile_areas(out: gpd.GeoDataFrame, raw: RawLayer, rows: pd.Series) -> tuple[
    gpd.GeoDataFrame, list[Problem], pd.Series
]:
    """Fill missing attribute areas from the geometry; report disagreements."""
    problems: list[Problem] = []
    errors = pd.Series(False, index=out.index)
    area_field = {"batches": "approved_ha", "supplies": "area_ha", "idle": "area_ha"}.get(raw.layer)
    if area_field is None:
        return out, problems, errors
    attr = out[area_field]
    geom = out["geom_ha"]
    neither = attr.isna() & geom.isna()
    for i in out.index[neither]:
        problems.append(_row_problem(raw, out, rows, i, area_field, "error",
                                     "既没有几何图形也没有面积，该行未参与计算",
                                     "neither geometry nor area; the row is left out"))
    errors |= neither
    both = attr.notna() & geom.notna() & (geom > 0)
    diff = (attr - geom).abs() / geom
    differ = both & (diff > AREA_TOLERANCE)
    for i in out.index[differ]:
        problems.append(_row_problem(
            raw, out, rows, i, area_field, "warning",
            f"属性面积 {attr[i]:.4f} 公顷与图形面积 {geom[i]:.4f} 公顷相差 {diff[i]:.1%}（超过 {AREA_TOLERANCE:.0%}）",
            f"attribute area {attr[i]:.4f} ha differs from geometry area {geom[i]:.4f} ha by {diff[i]:.1%} "
            f"(more than {AREA_TOLERANCE:.0%})",
        ))
    out[area_field] = attr.fillna(geom)
    return out, problems, errors


def county_areas(workspace: Workspace) -> pd.DataFrame:
    """Count and sum the batches, supply parcels and idle parcels of each county.

    Every area is the layer's attribute area in hectares (the geometry's
    where the attribute is missing), with nothing netted: a summary of the
    input, not the assessment.

    Returns
    -------
    pandas.DataFrame
        One row per county code, the counties layer's first (in code order),
        then any code found only in the other layers: ``county_code``,
        ``county_name``, ``batches``, ``approved_ha``, ``supplies``,
        ``supplied_ha``, ``idle``, ``idle_ha``.

    Examples
    --------
    >>> table = county_areas(load_workspace())
    >>> len(table), bool(table["approved_ha"].gt(0).all())  # 10 counties and a functional zone
    (11, True)
    """
    parts = []
    for layer, count, area, area_field in (("batches", "batches", "approved_ha", "approved_ha"),
                                           ("supplies", "supplies", "supplied_ha", "area_ha"),
                                           ("idle", "idle", "idle_ha", "area_ha")):
        frame = workspace.layer(layer)
        grouped = frame.groupby("county_code", dropna=False)[area_field]
        parts.append(pd.DataFrame({count: grouped.size(), area: grouped.sum(min_count=1)}))
    table = pd.concat(parts, axis=1)
    names = workspace.counties.set_index("county_code")["county_name"]
    codes = list(names.index) + sorted(c for c in table.index if c not in set(names.index) and pd.notna(c))
    table = table.reindex(codes)
    table.index.name = "county_code"
    counts = ["batches", "supplies", "idle"]
    table[counts] = table[counts].fillna(0).astype("int64")
    table[["approved_ha", "supplied_ha", "idle_ha"]] = table[["approved_ha", "supplied_ha", "idle_ha"]].fillna(0.0)
    table.insert(0, "county_name", names.reindex(table.index).astype("string"))
    return table.reset_index()[["county_code", "county_name", "batches", "approved_ha", "supplies",
                                "supplied_ha", "idle", "idle_ha"]]


def problem_counts(problems: list[Problem]) -> dict[str, int]:
    """Count problems by severity."""
    frame = problems_frame(problems)
    return {s: int((frame["severity"] == s).sum()) for s in ("error", "warning")}
