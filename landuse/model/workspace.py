"""The workspace: the layers of one area, loaded and normalised.

One module (over 800 lines) because loading, the CRS choice and each layer's normalisation hand one another the same raw layers and problems.

:func:`load_workspace` reads a folder, a GeoPackage or a zip of either (and,
with the ``postgis`` extra, a PostGIS schema), finds the layers by name,
renames their fields to canonical names, coerces types, repairs geometries,
measures areas on the Gauss-Krüger plane of the data, fills missing county
codes by location and checks everything against everything else. Whatever
cannot be used is kept out of the layers and named in
:attr:`Workspace.problems`; nothing is dropped silently.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from landuse._arrays import parallel, trim_heap
from landuse._errors import CRSError, LayerReadError, WorkspaceError
from landuse.io.files import LandCover, RawLayer, discover, extract, open_landcover, read_layer
from landuse.model import _validate
from landuse.model.crs import measuring_crs
from landuse.model.schema import (
    AREA_SLIP,
    AREA_TOLERANCE,
    CORE_LAYERS,
    LAYERS,
    Problem,
    _feature_id,
    canonical_columns,
    coerce_layer,
    layer_for_name,
    problems_frame,
    rename_columns,
    split_year,
)
from landuse.model.units import M2_PER_HA

__all__ = [
    "Workspace",
    "county_areas",
    "empty_layer",
    "load_workspace",
    "normalise_layers",
    "workspace_from_postgis",
]

#: The layers every workspace has as attributes; other (campaign) layers live in ``Workspace.layers``.
_REQUIRED = tuple(name for name, spec in LAYERS.items() if spec.required)

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
    :data:`landuse.model.schema.LAYERS`), ``source_row`` (the row in the source)
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
    counts : dict
        Canonical layer → ``(source, rows the file promises or None, rows
        read)``, for :attr:`accounting`.
    layers : dict
        The optional campaign layers found in the workspace (``changes``…),
        normalised like the others; :meth:`layer` gives an empty frame for
        one that is absent.
    required : tuple of str
        The layers this workspace was loaded to have (by default those
        :data:`~landuse.model.schema.LAYERS` marks required).
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
    counts: dict[str, tuple[str, int | None, int]] = field(default_factory=dict)
    layers: dict[str, pd.DataFrame] = field(default_factory=dict)
    required: tuple[str, ...] = field(default_factory=lambda: _REQUIRED)
    #: Owns the folder a zip was extracted into: it lives as long as the workspace.
    tempdir: object = field(default=None, repr=False, compare=False)

    @property
    def accounting(self) -> pd.DataFrame:
        """Every row of every layer accounted for: read = used + excluded.

        Returns
        -------
        pandas.DataFrame
            One row per layer given in the workspace: ``layer``, ``source``,
            ``rows_in_file`` (what the file itself promises: a .dbf header's
            record count, a GeoPackage's feature count; NA when it says
            nothing), ``rows_read``, ``rows_used`` (rows in the layer) and
            ``rows_excluded`` (rows an error keeps out).
        """
        records = []
        for name in LAYERS:
            if name not in self.counts:
                continue
            source, promised, read = self.counts[name]
            used = len(self.layer(name))
            records.append((name, source, promised, read, used, read - used))
        frame = pd.DataFrame(records, columns=["layer", "source", "rows_in_file", "rows_read", "rows_used",
                                               "rows_excluded"])
        frame["rows_in_file"] = frame["rows_in_file"].astype("Int64")
        return frame

    def layer(self, name: str) -> pd.DataFrame:
        """Return the layer called ``name`` (canonical name); an absent campaign layer is empty."""
        if name not in LAYERS:
            raise KeyError(name)
        if name in CORE_LAYERS:
            return getattr(self, name)
        found = self.layers.get(name)
        return empty_layer(name, self.crs) if found is None else found

    @property
    def problems_frame(self) -> pd.DataFrame:
        """The problems as a DataFrame (layer, feature_id, field, severity, message...)."""
        return problems_frame(self.problems)

    @property
    def has_errors(self) -> bool:
        """True when any problem is an error."""
        return any(p.severity == "error" for p in self.problems)

    def require(self) -> None:
        """Raise if a required layer (:attr:`required`) is missing or empty, so nothing can be assessed.

        Raises
        ------
        WorkspaceError
            Naming each required layer that is missing.
        """
        # A required layer must be there; only the counties must also have rows
        # (no batches or no supplies is a county with nothing to do, not an error).
        missing = [
            n for n in self.required
            if n not in self.sources or (n == "counties" and self.counties.empty)
        ]
        if missing:
            zh = "、".join(f"{LAYERS[n].label}（{n}）" for n in missing)
            raise WorkspaceError(
                f"工作区 {self.source} 缺少必需图层或图层为空：{zh}；运行 landuse check 查看原因",
                f"workspace {self.source} lacks required layer(s) or they are empty: "
                f"{', '.join(missing)}; run `landuse check` to see why",
            )

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={len(self.layer(n))}" for n in (*CORE_LAYERS, *self.layers))
        epsg = self.crs.to_epsg()
        crs = f"EPSG:{epsg}" if epsg else self.crs.name
        return f"<Workspace {self.source!r} {counts} crs={crs} problems={len(self.problems)}>"


def load_workspace(
    path: str | os.PathLike | None = None,
    *,
    crs: str | int | CRS | None = None,
    progress: ProgressFn | None = None,
    landcover: bool = True,
    encoding: str | None = None,
    landcover_file: str | os.PathLike | None = None,
    layers: Sequence[str] | dict[str, str] | None = None,
    required: tuple[str, ...] | None = None,
    cut_ahead: bool = True,
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
    encoding : str, optional
        The text encoding of every CSV and .dbf (``GBK``, ``UTF-8``...), over
        .cpg files and what the bytes suggest (``--encoding``).
    landcover_file : path-like, optional
        The land-cover raster to use, beside any workspace (a database has
        none; a folder's own is replaced). ``--landcover``.
    layers : dict or list of "LAYER=TABLE", optional
        A database workspace's own table names (``--layer batches=t_jsyd_pcxx``).
    required : tuple of str, optional
        The layers a run needs; a missing one is an error. Default: those
        :data:`~landuse.model.schema.LAYERS` marks required (counties, batches,
        supplies); a 卫片执法 run needs only ``("counties", "changes")``, a 耕地保护
        run ``("counties", "survey")`` (``counties`` is always required).
    cut_ahead : bool, default True
        Cut the drawn supply parcels to their batches in a background thread
        while the checks run, for an assessment to take (False when only the
        checks are wanted, as ``landuse check`` does).

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
        from landuse.io import postgis

        raws, raster, problems, shown = postgis.read_workspace(text, names=layers)
        if landcover_file is not None and landcover:
            raster = _landcover_file(landcover_file, problems)
        elif landcover:
            problems.append(_NO_RASTER_IN_DATABASE)
        return normalise_layers(raws, landcover=raster if landcover else None, problems=problems, source=shown,
                                assume_crs=crs, progress=progress, required=required, release=True,
                                cut_ahead=cut_ahead)
    if layers:
        raise WorkspaceError(
            "--layer 只用于数据库工作区；文件请按图层名命名（批次、供地… 或 batches、supplies…）",
            "--layer applies to database workspaces; name files after their layers "
            "(batches, supplies...)",
        )
    path = Path(path)
    root, keeper = extract(path)
    try:
        sources = discover(root)
        raws: list[RawLayer] = []
        problems: list[Problem] = []
        failed: dict[str, str] = {}
        for layer, found in sources.layers.items():
            if layer in PER_YEAR and len(found) > 1:
                # A survey per year (survey_2017, survey_2019): all of them, each row with its year.
                if progress:
                    progress(f"read {layer}")
                raws.append(_per_year(layer, found, root, problems))
                continue
            file, sub = found[0]
            if len(found) > 1:
                names = "、".join(str(p.name) + (f":{s}" if s else "") for p, s in found)
                first = file.name + (f":{sub}" if sub else "")
                problems.append(Problem(
                    layer, None, None, "error",
                    f"图层 {LAYERS[layer].label}（{layer}）有 {len(found)} 个来源：{names}，无法确定用哪一个"
                    f"（只读取了 {first}）；请删除或改名其余的文件",
                    f"layer {layer} has {len(found)} sources: {', '.join(names.split('、'))}; which one is meant "
                    f"cannot be told (only {first} was read): remove or rename the others",
                    None, first,
                ))
            if progress:
                progress(f"read {layer}")
            try:
                raws.append(read_layer(layer, file, sub, root, encoding=encoding))
            except LayerReadError as err:
                problems.append(Problem(layer, None, None, "error", err.zh, err.en, None, file.name))
                failed[layer] = file.name
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
        if landcover_file is not None and landcover:
            raster = _landcover_file(landcover_file, problems)
        elif sources.landcover is not None and landcover:
            try:
                raster = open_landcover(sources.landcover)
            except LayerReadError as err:
                problems.append(Problem("landcover", None, None, "error", err.zh, err.en, None,
                                        sources.landcover.name))
        ws = normalise_layers(raws, landcover=raster, problems=problems, source=str(path),
                              assume_crs=crs, progress=progress, required=required, release=True,
                              cut_ahead=cut_ahead)
    except BaseException:
        if keeper is not None:
            keeper.cleanup()
        raise
    for layer, name in failed.items():
        ws.counts.setdefault(layer, (name, None, 0))
    ws.tempdir = keeper
    return ws


#: Said of a database workspace without ``--landcover``: the raster checks do not run.
_NO_RASTER_IN_DATABASE = Problem(
    "landcover", None, None, "warning",
    "数据库工作区不含土地覆盖栅格：地类、开发程度改由属性判断，核查清单可能不同；"
    "如有栅格请用 --landcover 文件.tif 指定（或 --no-raster 表明有意不用）",
    "a database workspace has no land-cover raster: land class and development are judged from "
    "attributes only, so the candidates may differ; give one with --landcover FILE.tif "
    "(or --no-raster to go without it on purpose)",
)


def _landcover_file(path: str | os.PathLike, problems: list[Problem]) -> LandCover | None:
    """Open a land-cover raster given on its own (``--landcover``); a fault is a problem."""
    try:
        return open_landcover(path)
    except LayerReadError as err:
        problems.append(Problem("landcover", None, None, "error", err.zh, err.en, None, str(path)))
        return None


def workspace_from_postgis(
    url: str,
    *,
    counties: Sequence[str] | str | None = None,
    approved_from: dt.date | str | None = None,
    approved_to: dt.date | str | None = None,
    crs: str | int | CRS | None = None,
    progress: ProgressFn | None = None,
    layers: Sequence[str] | dict[str, str] | None = None,
    landcover_file: str | os.PathLike | None = None,
) -> Workspace:
    """Load and normalise the workspace in a PostGIS schema, filters pushed into SQL.

    Parameters are those of :func:`landuse.io.postgis.read_workspace` and
    :func:`load_workspace`.

    Examples
    --------
    >>> ws = workspace_from_postgis("postgresql://analyst@db/land?schema=zhumadian",  # doctest: +SKIP
    ...                             counties=["411702", "411721"], approved_to="2018-12-31")
    """
    from landuse.io import postgis

    if progress:
        progress("read postgis")
    raws, raster, problems, shown = postgis.read_workspace(
        url, counties=counties, approved_from=approved_from, approved_to=approved_to, names=layers
    )
    if landcover_file is not None:
        raster = _landcover_file(landcover_file, problems)
    else:
        problems.append(_NO_RASTER_IN_DATABASE)
    return normalise_layers(raws, landcover=raster, problems=problems, source=shown,
                            assume_crs=crs, progress=progress, release=True)



PER_YEAR = frozenset({"survey"})


def _per_year(layer: str, found: list[tuple[Path, str | None]], root: Path, problems: list[Problem]) -> RawLayer:
    """Read every source of a per-year layer into one, adding ``year`` from each name."""
    parts: list[RawLayer] = []
    for file, sub in found:
        try:
            raw = read_layer(layer, file, sub, root)
        except LayerReadError as err:
            problems.append(Problem(layer, None, None, "error", err.zh, err.en, None, file.name))
            continue
        _, year = split_year(sub if sub and split_year(sub)[1] else file.stem)
        mapping, _ = rename_columns(raw.frame.columns, layer)
        if year is not None and "year" not in mapping.values():
            raw.frame = raw.frame.assign(year=year)
        parts.append(raw)
    if not parts:
        return RawLayer(layer, pd.DataFrame(), "", np.arange(0), [])
    crs = next((p.frame.crs for p in parts if isinstance(p.frame, gpd.GeoDataFrame) and p.frame.crs), None)
    frames = [p.frame.to_crs(crs) if crs is not None and isinstance(p.frame, gpd.GeoDataFrame) and p.frame.crs
              and p.frame.crs != crs else p.frame for p in parts]
    frame = pd.concat(frames, ignore_index=True)
    if crs is not None:
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)
    return RawLayer(layer, frame, "、".join(p.source for p in parts), np.concatenate([p.rows for p in parts]),
                    [q for p in parts for q in p.problems])


def _required(required: tuple[str, ...] | None) -> set[str]:
    if required is None:
        return {n for n, spec in LAYERS.items() if spec.required}
    return {"counties", *required}


def sample_workspace() -> Path:
    """Return the path of the bundled sample workspace (``layers/zhumadian``)."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parent / "layers" / "zhumadian", package / "_sample" / "zhumadian"):
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
    required: tuple[str, ...] | None = None,
    release: bool = False,
    cut_ahead: bool = True,
) -> Workspace:
    """Normalise raw layers (as read by :mod:`landuse.io.files`) into a :class:`Workspace`.

    This is where every reader meets: files, GeoPackages and PostGIS all
    come through here, so they share one set of aliases, checks and problems.
    With ``release`` the caller hands ``raws`` over: the list is emptied and
    each raw frame let go as soon as its layer is normalised, so that a
    national workspace does not hold every layer twice. With ``cut_ahead`` (the
    default) the drawn supply parcels are cut to the batches they name in a
    background thread while the checks run, for the supply links to take (an
    assessment needs them; ``landuse check`` does not).
    """
    problems = list(problems or [])
    by_layer = {raw.layer: raw for raw in raws}
    for raw in raws:
        problems.extend(raw.problems)
    sources = {raw.layer: raw.source for raw in raws}
    counts = {raw.layer: (raw.source, raw.promised, len(raw.frame)) for raw in raws}
    needed = _required(required)
    for name, spec in LAYERS.items():
        if name in needed and name not in by_layer and not any(
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
    source_crs = {raw.layer: raw.frame.crs for raw in raws if _geometry_name(raw.frame)}
    misplaced = _place_layers(by_layer, work_crs, assume_crs, problems)
    if release:
        raws.clear()
    layers: dict[str, pd.DataFrame] = {}
    codes: dict[str, pd.Series | pd.DataFrame] = {}
    for name in LAYERS:
        raw = by_layer.pop(name, None) if release else by_layer.get(name)
        if raw is None and name not in CORE_LAYERS:
            continue  # an absent campaign layer stays out of the workspace
        if progress:
            progress(f"normalise {name}")
        if raw is None:
            if name in CORE_LAYERS:
                layers[name] = empty_layer(name, work_crs)
            continue
        moved = misplaced.pop(name, None) if release else misplaced.get(name)
        frame, layer_problems, codes[name] = _normalise_layer(raw, work_crs, assume_crs, moved)
        raw = moved = None  # with release, the last reference to the raw frame
        layers[name] = frame
        problems.extend(layer_problems)
        if name == "supplies" and cut_ahead:
            # The checks below are Python on one core; the cuts the overflow check and the
            # supply links need are GEOS, made on the other core meanwhile.
            _validate.cut_ahead(frame, layers["batches"])
    if progress:
        progress("validate")
    trim_heap()  # the raw frames let go (release): hand their memory back before the checks
    layers, cross = _validate.cross_check(layers, problems)
    problems.extend(cross)
    problems = _place_problems(problems, layers, codes, sources)
    return Workspace(
        counties=layers["counties"], batches=layers["batches"], supplies=layers["supplies"],
        idle=layers["idle"], revocations=layers["revocations"], quotas=layers["quotas"],
        resumptions=layers["resumptions"], crs=work_crs, landcover=landcover, problems=problems, source=source,
        sources=sources,
        source_crs=source_crs,
        counts=counts,
        layers={name: frame for name, frame in layers.items() if name not in CORE_LAYERS},
        required=tuple(n for n in LAYERS if n in needed),
    )


def _place_problems(problems: list[Problem], layers: dict[str, pd.DataFrame], codes: dict[str, pd.Series],
                    sources: dict[str, str]) -> list[Problem]:
    """Give each row's problem its county (and its source, when it lacks one).

    The county is the row's as used (a code found by location included),
    else as written; a revocation's is its batch's. A row whose county is
    unknown, and a problem of a whole layer, keep None.
    """
    problems = _also_batch_county(problems, layers, codes.get("supplies"))
    if not any(p.row is not None and p.feature_id is not None and (p.county_code is None or p.source is None)
               for p in problems):
        return problems
    # Only the rows with such a problem are looked up (a handful among a province's rows).
    rows_of: dict[str, list[int]] = {}
    for p in problems:
        if p.row is not None and p.feature_id is not None and (p.county_code is None or p.source is None):
            rows_of.setdefault(p.layer, []).append(int(p.row))
    wanted = {name: np.unique(np.asarray(rows, dtype="int64")) for name, rows in rows_of.items()}
    where: dict[str, dict[int, str]] = {}
    for name, written in codes.items():
        rows = wanted.get(name)
        if rows is None:
            continue
        if isinstance(written, pd.DataFrame):
            written = written["county_code"]
        known = written.dropna()
        known = known[np.isin(known.index.astype("int64"), rows)]
        table = dict(zip(known.index.astype("int64").tolist(), known.astype(str).tolist(), strict=True))
        frame = layers[name]
        if "county_code" in frame.columns and "source_row" in frame.columns:
            used = frame[["source_row", "county_code"]].dropna()
            used = used[np.isin(used["source_row"].astype("int64").to_numpy(), rows)]
            table.update(zip(used["source_row"].astype("int64").tolist(), used["county_code"].astype(str).tolist(),
                             strict=True))
        where[name] = table
    revoked = layers["revocations"]
    if not revoked.empty and "revocations" in wanted:
        revoked = revoked[np.isin(revoked["source_row"].astype("int64").to_numpy(), wanted["revocations"])]
        batch_county = layers["batches"].dropna(subset=["county_code"]).drop_duplicates("batch_id")
        batch_county = batch_county.set_index("batch_id")["county_code"]
        found = revoked["batch_id"].map(batch_county).dropna()
        where.setdefault("revocations", {}).update(
            zip(revoked.loc[found.index, "source_row"].astype("int64").tolist(), found.astype(str).tolist(),
                strict=True))
    out = []
    for p in problems:
        if p.row is not None and p.feature_id is not None and (p.county_code is None or p.source is None):
            p = dataclasses.replace(p, county_code=p.county_code or where.get(p.layer, {}).get(int(p.row)),
                                    source=p.source or sources.get(p.layer))
        out.append(p)
    return out


def _also_batch_county(problems: list[Problem], layers: dict[str, pd.DataFrame],
                       written: pd.Series | pd.DataFrame | None) -> list[Problem]:
    """Give a supply row left out by an error the county of the batch it names, when another.

    The batch loses the supply as much as the supply's own county may (the parcel's
    true batch, if the id is wrong): both verdicts are then undetermined.
    """
    if not isinstance(written, pd.DataFrame):
        return problems
    lost = [k for k, p in enumerate(problems)
            if p.layer == "supplies" and p.severity == "error" and p.row is not None and p.also_county is None]
    if not lost:
        return problems
    # Only the rows left out are looked up (a handful among a province's rows).
    rows = np.unique(np.asarray([problems[k].row for k in lost], dtype="int64"))
    named = written["batch_id"][np.isin(written.index.astype("int64"), rows)].dropna()
    batches = layers["batches"].dropna(subset=["batch_id", "county_code"]).drop_duplicates("batch_id")
    county = named.map(batches.set_index("batch_id")["county_code"]).dropna().astype(str)
    if county.empty:
        return problems
    table = dict(zip(county.index.astype("int64").tolist(), county.tolist(), strict=True))
    out = list(problems)
    for k in lost:
        p = out[k]
        other = table.get(int(p.row))  # type: ignore[arg-type]
        if other is not None and other != (None if p.county_code is None else str(p.county_code)):
            out[k] = dataclasses.replace(p, also_county=other)
    return out


def _bounds(values: np.ndarray) -> tuple[float, float, float, float] | None:
    """Bounds of the geometries of ``values`` with finite bounds (None when there are none)."""
    boxes = shapely.bounds(values)
    boxes = boxes[np.isfinite(boxes).all(axis=1)]
    if not len(boxes):
        return None
    return (*boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0))  # type: ignore[return-value]


def _extent(bounds: tuple[float, float, float, float] | None, crs: CRS, work_crs: CRS) -> tuple | None:
    """``bounds`` in ``crs`` carried to ``work_crs``; None when they do not carry (off the CRS's area)."""
    if bounds is None:
        return None
    try:
        out = Transformer.from_crs(crs, work_crs, always_xy=True).transform_bounds(*bounds)
    except Exception:
        return None
    return tuple(out) if np.isfinite(out).all() else None


def _overlaps(a: tuple | None, b: tuple | None, margin: float = 0.1) -> bool:
    """True when extent ``a`` meets extent ``b`` grown by ``margin`` of its size each side."""
    if a is None or b is None:
        return False
    dx, dy = (b[2] - b[0]) * margin + 1.0, (b[3] - b[1]) * margin + 1.0
    return a[0] <= b[2] + dx and a[2] >= b[0] - dx and a[1] <= b[3] + dy and a[3] >= b[1] - dy


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _place_layers(by_layer: dict[str, RawLayer], work_crs: CRS, assume: object,
                  problems: list[Problem]) -> dict[str, Problem]:
    """Check that every layer lies where the others do; return one error per misplaced layer.

    A layer without CRS whose coordinates fit the others' in exactly one of
    their CRSs is read in it, with a warning naming the assumption. A layer
    whose coordinates, in its own CRS, fall nowhere near the others (a wrong
    label: zone 38 coordinates called EPSG:4526, Web Mercator metres called
    EPSG:4326) is one error about its CRS, not one per row.
    """
    raw_bounds: dict[str, tuple | None] = {}
    extents: dict[str, tuple | None] = {}
    for name, raw in by_layer.items():
        if not _has_geometry(raw.frame):
            continue
        raw_bounds[name] = _bounds(raw.frame.geometry.values)
        crs = raw.frame.crs or (CRS.from_user_input(assume) if assume is not None else None)
        extents[name] = _extent(raw_bounds[name], crs, work_crs) if crs is not None else None
    misplaced: dict[str, Problem] = {}
    placed = {n: e for n, e in extents.items() if e is not None}
    for name in list(extents):
        raw = by_layer[name]
        others = {n: e for n, e in placed.items() if n != name}
        if not others:
            continue
        # The counties decide where the area is; without them, any other layer agreeing.
        reference = [others["counties"]] if "counties" in others else list(others.values())
        if raw.frame.crs is None and assume is None:
            candidates: list[CRS] = []
            for n in others:
                crs = by_layer[n].frame.crs
                if crs is not None and not any(crs.equals(c) for c in candidates):
                    candidates.append(crs)
            fits = [c for c in candidates
                    if any(_overlaps(_extent(raw_bounds[name], c, work_crs), r, 0.0) for r in reference)]
            if len(fits) == 1:
                raw.frame = raw.frame.set_crs(fits[0])
                extents[name] = placed[name] = _extent(raw_bounds[name], fits[0], work_crs)
                shown = _crs_name(fits[0])
                problems.append(Problem(
                    name, None, "geometry", "warning",
                    f"{raw.source}：图层没有坐标系（缺少 .prj），其坐标与其他图层的 {shown} 吻合，已按 {shown} 读取；"
                    "如不对，请补上 .prj 或用 --crs 指定",
                    f"{raw.source}: the layer has no CRS (no .prj); its coordinates fit the other layers' "
                    f"{shown}, so it is read as {shown}. If that is wrong, add the .prj or pass --crs",
                    None, raw.source,
                ))
            continue
        if raw.frame.crs is None:
            continue
        if any(_overlaps(extents[name], r) for r in reference):
            continue
        if name == "counties" and len(others) < 2:
            continue
        if name == "counties" and not all(_overlaps(a, b) for a in others.values() for b in others.values()):
            continue
        label = _crs_name(CRS.from_user_input(raw.frame.crs))
        hint_zh = hint_en = ""
        candidates = [by_layer[n].frame.crs for n in others if by_layer[n].frame.crs is not None]
        candidates += [CRS.from_epsg(3857), CRS.from_epsg(4490)]
        for c in candidates:
            if not CRS.from_user_input(c).equals(raw.frame.crs) and any(
                    _overlaps(_extent(raw_bounds[name], c, work_crs), r) for r in reference):
                fit = _crs_name(CRS.from_user_input(c))
                hint_zh = f"其坐标与 {fit} 吻合，可能应定义为 {fit}（在 GIS 中“定义投影”，不是“投影转换”）。"
                hint_en = f"Its coordinates fit {fit}: it is probably {fit} (define the CRS in your GIS; do not reproject). "
                break
        problems.append(Problem(
            name, None, "geometry", "error",
            f"{raw.source}：图层标注的坐标系为 {label}，但按此坐标系其要素远离其他图层（坐标系标注有误）。{hint_zh}"
            f"请更正图层的坐标系（.prj）；该图层 {len(raw.frame)} 行均未参与计算",
            f"{raw.source}: the layer is labelled {label}, but read so its features lie far from the other "
            f"layers (the CRS label is wrong). {hint_en}Correct the layer's CRS (.prj); none of its "
            f"{len(raw.frame)} rows is used",
            None, raw.source,
        ))
        misplaced[name] = problems[-1]
    return misplaced


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


def _normalise_layer(raw: RawLayer, work_crs: CRS, assume_crs: object, misplaced: Problem | None = None
                     ) -> tuple[pd.DataFrame, list[Problem], pd.Series | pd.DataFrame]:
    """Normalise one layer: (kept rows, problems, county code as written by source row).

    For supplies, the codes come with the batch id each row names (a frame of both).
    """
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
    if missing and any(p.severity == "error" and p.feature_id is None for p in raw.problems):
        # A damaged file already named: its missing fields are that one cause, not more.
        return empty_layer(raw.layer, work_crs), problems, pd.Series(dtype="string")
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
        return empty_layer(raw.layer, work_crs), problems, pd.Series(dtype="string")
    if misplaced is not None:
        return empty_layer(raw.layer, work_crs), problems, pd.Series(dtype="string")
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
    written = (pd.Series(attrs["county_code"].to_numpy(), index=rows.to_numpy())
               if "county_code" in attrs.columns else pd.Series(dtype="string"))
    if raw.layer == "supplies":
        # The batch a supply names, as read: a supply row left out is lost to that batch's county too.
        written = pd.DataFrame({"county_code": written, "batch_id": attrs["batch_id"].to_numpy()},
                               index=rows.to_numpy())
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
        return attrs[~errors].reset_index(drop=True), problems, written
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
    return out[cols].reset_index(drop=True), problems, written


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
    broken = np.zeros(len(values), dtype=bool)
    if invalid.any():
        reasons = shapely.is_valid_reason(values[invalid])
        # A NaN or infinite vertex (written so, or not projectable) breaks GEOS operations and
        # cannot be repaired: the feature is an error, the rest goes on.
        bad_coordinate = np.char.startswith(reasons.astype(str), "Invalid Coordinate")
        if bad_coordinate.any():
            broken[np.flatnonzero(invalid)[bad_coordinate]] = True
            for i in attrs.index[broken]:
                problems.append(_row_problem(
                    raw, attrs, rows, i, "geometry", "error",
                    "几何图形含非数值坐标（NaN 或无穷大），该行未参与计算；请在 GIS 中修复该要素",
                    "the geometry has a NaN or infinite coordinate; the row is left out (repair the feature "
                    "in your GIS)"))
            errors |= pd.Series(broken, index=attrs.index)
            values = np.where(broken, None, values)
            present &= ~broken
            invalid &= ~broken
            reasons = reasons[~bad_coordinate]
    if invalid.any():
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
        lacking = (~present | empty) & ~broken
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
    area_field = {"batches": "approved_ha", "supplies": "area_ha", "idle": "area_ha",
                  "changes": "area_ha"}.get(raw.layer)
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
    # Ten times or more apart: a unit slipped (亩 typed as 公顷 is 15 times, m² 10 000 times) or
    # a digit; which of the two is right cannot be told, and the rates rest on the attribute.
    ratio = np.maximum(attr / geom, geom / attr)
    slipped = both & (attr > 0) & (ratio >= AREA_SLIP)  # 0 and below: an error of their own
    for i in out.index[slipped]:
        problems.append(_row_problem(
            raw, out, rows, i, area_field, "error",
            f"属性面积 {attr[i]:.4f} 公顷是图形面积 {geom[i]:.4f} 公顷的 {attr[i] / geom[i]:.4g} 倍，疑为单位"
            "（亩、公顷、平方米）或数字录入错误，该行未参与计算；请核对后更正",
            f"attribute area {attr[i]:.4f} ha is {attr[i] / geom[i]:.4g} times the geometry area "
            f"{geom[i]:.4f} ha: a unit (mu, ha, m²) or a digit was probably typed wrong; the row is "
            "left out (check and correct it)",
        ))
    errors |= slipped
    differ = both & (diff > AREA_TOLERANCE) & ~slipped
    for i in out.index[differ]:
        problems.append(_row_problem(
            raw, out, rows, i, area_field, "warning",
            f"属性面积 {attr[i]:.4f} 公顷与图形面积 {geom[i]:.4f} 公顷相差 {diff[i]:.1%}（超过 {AREA_TOLERANCE:.0%}）",
            f"attribute area {attr[i]:.4f} ha differs from geometry area {geom[i]:.4f} ha by {diff[i]:.1%} "
            f"(more than {AREA_TOLERANCE:.0%})",
        ))
    filled = attr.isna() & geom.notna()
    label = LAYERS[raw.layer].field(area_field).label
    for i in out.index[filled]:
        problems.append(_row_problem(
            raw, out, rows, i, area_field, "warning",
            f"{label}（{area_field}）为空，已用图形面积 {geom[i]:.4f} 公顷代替",
            f"{area_field} is empty; the geometry's area {geom[i]:.4f} ha is used instead",
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
