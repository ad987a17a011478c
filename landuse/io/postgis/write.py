"""Writing tables into PostGIS: files loaded as layers (:func:`load_files`), frames copied in."""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from landuse._errors import DatabaseError, OutputExistsError
from landuse.io.files import discover, opened, read_layer
from landuse.io.postgis._db import (
    _MAX_IDENTIFIER_BYTES,
    _USER_SRID_FROM,
    LOAD_MARK,
    DatabaseURL,
    _connect,
    _log,
    _raw,
    _require_postgis,
    _schema_exists,
    _translated,
    parse_url,
    sa,
    sql,
)
from landuse.model.schema import layer_for_name


# --- writing -------------------------------------------------------------------------------
def _identifier(name: str, what: str) -> str:
    name = str(name)
    if not name or len(name.encode("utf-8")) > _MAX_IDENTIFIER_BYTES or "\x00" in name:
        raise DatabaseError(
            f"{what}名 “{name}” 不能用作 PostgreSQL 标识符（应为 1–63 字节）",
            f"{what} name '{name}' cannot be a PostgreSQL identifier (1 to 63 bytes)",
        )
    return name


def _missing(values: pd.Series) -> np.ndarray:
    return np.asarray(pd.isna(values), dtype=bool)


def _objects(values: Any, missing: np.ndarray) -> list[object]:
    out = np.asarray(values, dtype=object).copy()
    out[missing] = None
    return out.tolist()


def _datetimes(s: pd.Series, missing: np.ndarray) -> tuple[str, list[object]]:
    arrow = getattr(s.dtype, "pyarrow_dtype", None)
    if arrow is not None and str(arrow).startswith("date"):  # days as Arrow date32 / date64
        return "date", _objects(s.astype(object), missing)
    if getattr(s.dt, "tz", None) is not None:
        return "timestamp with time zone", _objects(s.dt.to_pydatetime(), missing)
    present = s[~missing]
    if bool((present == present.dt.normalize()).all()):
        return "date", _objects(s.dt.date, missing)
    return "timestamp", _objects(s.dt.to_pydatetime(), missing)


def _column(series: pd.Series) -> tuple[str, list[object]]:
    """The SQL type of a column and its values as Python objects (None where missing)."""
    s = series
    missing = _missing(s)
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean", _objects(s.astype(object), missing)
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint", [
            None if m else int(v) for v, m in zip(s.astype(object), missing, strict=True)
        ]
    if pd.api.types.is_float_dtype(dtype):
        return "double precision", _objects(s.astype("float64").astype(object), missing)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _datetimes(s, missing)
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "interval", _objects(s.dt.to_pytimedelta(), missing)
    if not pd.api.types.is_object_dtype(dtype):  # string, str, category
        return "text", [None if m else str(v) for v, m in zip(s, missing, strict=True)]
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind == "boolean":
        return "boolean", _objects(s, missing)
    if kind == "integer" and s[~missing].map(lambda v: -(2**63) <= int(v) < 2**63).all():
        return "bigint", [None if m else int(v) for v, m in zip(s, missing, strict=True)]
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "double precision", [
            None if m else float(v) for v, m in zip(s, missing, strict=True)
        ]
    if kind in ("datetime", "datetime64", "date"):
        with contextlib.suppress(ValueError, TypeError):
            stamps = pd.to_datetime(s, errors="raise")
            return _datetimes(stamps, missing)
    if kind == "bytes":
        return "bytea", _objects(s, missing)
    # Text, or a mix (a spreadsheet column of numbers and words): each value as text,
    # as the normaliser reads it from the file.
    return "text", [None if m else str(v) for v, m in zip(s, missing, strict=True)]


def _srid(conn: Any, crs: CRS | None, db: DatabaseURL) -> int:
    """The SRID for ``crs``: its EPSG code, or a ``landuse`` entry in ``spatial_ref_sys``."""
    if crs is None:
        return 0
    crs = CRS.from_user_input(crs)
    known: dict[str, int] = conn.info.setdefault("landuse_srids", {})
    wkt = crs.to_wkt()
    if wkt not in known:
        known[wkt] = _find_srid(conn, crs, wkt, db)
    return known[wkt]


def _find_srid(conn: Any, crs: CRS, wkt: str, db: DatabaseURL) -> int:
    """Look ``crs`` up in ``spatial_ref_sys``; add it when it has no EPSG code and we may."""
    code = _epsg_code(wkt)
    if code is not None:
        known = conn.execute(
            sa.text("SELECT 1 FROM spatial_ref_sys WHERE srid = :s"), {"s": code}
        ).first()
        if known is not None:
            return int(code)

    def registered() -> int | None:
        found = conn.execute(
            sa.text("SELECT srid FROM spatial_ref_sys WHERE srtext = :w ORDER BY srid LIMIT 1"),
            {"w": wkt},
        ).first()
        return None if found is None else int(found[0])

    if (srid := registered()) is not None:
        return srid
    if not conn.execute(
        sa.text("SELECT has_table_privilege('spatial_ref_sys', 'INSERT')")
    ).scalar_one():
        raise DatabaseError(
            f"{db.where()[0]}：坐标系 {_crs_name(crs)} 没有 EPSG 代码，而当前用户无权将其登记到 "
            "spatial_ref_sys，若写入将没有坐标系（SRID 0），已拒绝写入。请由管理员执行 "
            "GRANT INSERT ON spatial_ref_sys TO 该用户（或以管理员身份先运行一次），"
            "或先将数据转换到有 EPSG 代码的坐标系（--crs）",
            f"{db.where()[1]}: the CRS {_crs_name(crs)} has no EPSG code and this role may not "
            "register it in spatial_ref_sys; written, it would have no CRS (SRID 0), so nothing "
            "is written. Ask an administrator to GRANT INSERT ON spatial_ref_sys to this role "
            "(or to run landuse once), or reproject the data to an EPSG CRS",
        )
    with _translated(
        db,
        f"登记坐标系（{_crs_name(crs)}）到 spatial_ref_sys",
        f"registering the CRS ({_crs_name(crs)}) in spatial_ref_sys",
    ):
        # Writers to other schemas may register at the same time: one at a time, and look again.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('landuse:spatial_ref_sys'))"))
        if (srid := registered()) is not None:
            return srid
        srid = conn.execute(
            sa.text(
                "SELECT greatest(coalesce(max(srid), 0) + 1, :low) FROM spatial_ref_sys "
                "WHERE srid >= :low AND srid < 999000"
            ),
            {"low": _USER_SRID_FROM},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) "
                "VALUES (:s, 'landuse', :s, :w, :p)"
            ),
            {"s": srid, "w": wkt, "p": _proj4(crs)},
        )
    return int(srid)


@functools.lru_cache(maxsize=64)
def _epsg_code(wkt: str) -> int | None:
    """The EPSG code of a CRS; cached, as pyproj searches its whole database for a CRS without one."""
    return CRS.from_wkt(wkt).to_epsg()


def _crs_name(crs: CRS) -> str:
    return crs.name if crs.name and crs.name != "unknown" else _proj4(crs)


def _proj4(crs: CRS) -> str:
    """The PROJ string of ``crs``, for ``spatial_ref_sys.proj4text`` (the WKT is what counts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "you will likely lose information"
        return crs.to_proj4() or ""


def _geometry_type(values: np.ndarray) -> str:
    present = values[~shapely.is_missing(values)]
    if len(present) == 0:
        return "Geometry"
    kinds = set(shapely.get_type_id(present).tolist())
    names = {
        0: "Point",
        1: "LineString",
        3: "Polygon",
        4: "MultiPoint",
        5: "MultiLineString",
        6: "MultiPolygon",
        7: "GeometryCollection",
    }
    name = names.get(kinds.pop(), "Geometry") if len(kinds) == 1 else "Geometry"
    has_z = shapely.has_z(present)
    return name + ("Z" if has_z.all() else "")


def _write_frame(conn: Any, db: DatabaseURL, table: str, frame: pd.DataFrame) -> int:
    """Create ``table`` in the schema and COPY ``frame`` into it; return the rows written.

    A GeoDataFrame's active geometry becomes a PostGIS ``geometry`` column in
    its CRS's SRID (typed when all geometries are of one type).
    """
    geometry_name = None
    if isinstance(frame, gpd.GeoDataFrame):
        with contextlib.suppress(AttributeError):
            geometry_name = frame.geometry.name
    definitions = []
    columns: list[list[object]] = []
    names: list[str] = []
    seen: set[str] = set()
    for name in frame.columns:
        column = _identifier(str(name), "列")
        if column in seen:
            raise DatabaseError(
                f"表 {table} 有重名的列 “{column}”",
                f"table {table} has two columns named '{column}'",
            )
        seen.add(column)
        if name == geometry_name:
            values = np.asarray(frame.geometry.values, dtype=object)
            srid = _srid(conn, frame.crs, db)
            kind = f"geometry({_geometry_type(values)}, {srid})"
            values = shapely.set_srid(values, srid) if srid else values
            data = shapely.to_wkb(values, hex=True, include_srid=bool(srid)).tolist()
        else:
            series = frame[name]
            if isinstance(series, gpd.GeoSeries):  # another geometry column
                data = shapely.to_wkb(np.asarray(series.values, dtype=object), hex=True).tolist()
                kind = "geometry"
            else:
                kind, data = _column(series)
        definitions.append(sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(kind)))
        columns.append(data)
        names.append(column)
    target = sql.Identifier(db.schema, table)
    cursor = _raw(conn).cursor()
    cursor.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(definitions)))
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        target, sql.SQL(", ").join(map(sql.Identifier, names))
    )
    with cursor.copy(copy) as out:
        for row in zip(*columns, strict=True):
            out.write_row(row)
    return len(frame)


def _existing(conn: Any, schema: str, names: Sequence[str]) -> dict[str, str | None]:
    """Tables among ``names`` that exist in ``schema``, with their comments."""
    found = conn.execute(
        sa.text("""
        SELECT c.relname, obj_description(c.oid, 'pg_class')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :s AND c.relname = ANY (:names)
    """),
        {"s": schema, "names": list(names)},
    ).all()
    return {name: comment for name, comment in found}


def _replace_tables(
    conn: Any,
    db: DatabaseURL,
    frames: dict[str, tuple[pd.DataFrame, str | None]],
    comments: dict[str, str],
    *,
    overwrite: bool,
    replaceable: Callable[[str | None], bool],
) -> dict[str, int]:
    """Write ``frames`` under new names, then swap them for the old tables; no commit here.

    Parameters
    ----------
    frames : dict
        Table name → (frame, primary-key column or None).
    comments : dict
        Table name → comment to set.
    overwrite : bool
        Replace existing tables; else an existing one is an error.
    replaceable : callable
        Given an existing table's comment, whether it may be replaced.
    """
    schema = db.schema
    with _translated(db, "准备写入", "preparing to write"):
        # One writer per schema at a time; a second waits here rather than failing later.
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext('landuse:' || :s))"), {"s": schema}
        )
        if not _schema_exists(conn, schema):
            _raw(conn).execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        existing = _existing(conn, schema, list(frames))
    _check_replace(db, existing, overwrite, replaceable)
    suffix = secrets.token_hex(4)
    staged: dict[str, str] = {}
    written: dict[str, int] = {}
    for number, (name, (frame, _)) in enumerate(frames.items()):
        temporary = f"landuse_new_{suffix}_{number}"
        with _translated(db, "写入", "writing", name):
            written[name] = _write_frame(conn, db, temporary, frame)
        staged[name] = temporary
    raw = _raw(conn)
    for name, temporary in staged.items():
        with _translated(db, "替换", "replacing", name):
            if name in existing:
                raw.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, name)))
            raw.execute(
                sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                    sql.Identifier(schema, temporary), sql.Identifier(name)
                )
            )
            # Keys and indexes are built after the rename, so they are named after the table.
            frame, key = frames[name]
            if key is not None:
                raw.execute(
                    sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
                        sql.Identifier(schema, name), sql.Identifier(key)
                    )
                )
            if isinstance(frame, gpd.GeoDataFrame) and _geometry_of(frame) is not None:
                raw.execute(
                    sql.SQL("CREATE INDEX ON {} USING gist ({})").format(
                        sql.Identifier(schema, name), sql.Identifier(str(_geometry_of(frame)))
                    )
                )
            raw.execute(
                sql.SQL("COMMENT ON TABLE {} IS {}").format(
                    sql.Identifier(schema, name), sql.Literal(comments[name])
                )
            )
    return written


def _check_replace(
    db: DatabaseURL,
    existing: dict[str, str | None],
    overwrite: bool,
    replaceable: Callable[[str | None], bool],
) -> None:
    """Refuse existing tables without ``overwrite``, and always those not ``replaceable``."""
    schema = db.schema
    if existing and not overwrite:
        names = "、".join(f"{schema}.{n}" for n in existing)
        raise OutputExistsError(
            f"{db.where()[0]}中已有表：{names}；如需覆盖请加 --overwrite",
            f"{db.where()[1]} already has: {', '.join(f'{schema}.{n}' for n in existing)}; "
            "pass --overwrite to replace them",
        )
    foreign = [n for n, comment in existing.items() if not replaceable(comment)]
    if foreign:
        names = "、".join(f"{schema}.{n}" for n in foreign)
        raise DatabaseError(
            f"{db.where()[0]}中的表 {names} 不是 landuse 导入的（没有 landuse 的表注释），"
            "为防止丢失数据拒绝覆盖；请导入另一个模式，或由管理员先改名或删除该表",
            f"{db.where()[1]} holds {', '.join(f'{schema}.{n}' for n in foreign)}, which landuse "
            "did not load (no landuse table comment); refusing to replace it. Load into another "
            "schema, or have it renamed or dropped first",
        )


def _geometry_of(frame: gpd.GeoDataFrame) -> str | None:
    try:
        return frame.geometry.name
    except AttributeError:
        return None


def _loaded(comment: str | None) -> bool:
    """Whether a table's comment says :func:`load_files` made it (only those are replaced)."""
    return bool(comment) and str(comment).startswith(LOAD_MARK)


def _table_name(layer: str, path: os.PathLike | str, sublayer: str | None) -> str:
    """The table a layer file is loaded into: the name it was recognised by."""
    stem = os.path.splitext(os.path.basename(str(path)))[0]
    if sublayer is not None and layer_for_name(sublayer) == layer:
        return sublayer
    return stem if layer_for_name(stem) == layer else sublayer or stem


def load_files(
    workspace_path: str | os.PathLike, url: str, *, overwrite: bool = False,
    notify: Callable[[str, str], None] | None = None,
) -> dict[str, int]:
    """Import a file workspace into a PostGIS schema, once, so the bureau works from the database.

    Each layer :func:`landuse.io.files.discover` finds is read by
    :mod:`landuse.io.files` as it is for an assessment and written, all in one
    transaction, to a table named as the file or GeoPackage layer it came from
    (``批次``, ``供地``, ``县区``...), which :func:`read_workspace` finds by the
    same name. The table keeps the source's field names, values and
    geometries in their CRS (its SRID), so the same aliases and validation
    apply when it is read back; a first column ``fid`` (``landuse_fid`` if the
    source has a ``fid``), the primary key, holds each row's feature number or
    spreadsheet line, which problems then name. Typed columns keep their
    type; a spreadsheet column of mixed values becomes text. The land-cover
    raster is not loaded (keep it as a file).

    Parameters
    ----------
    workspace_path : path-like
        A folder, GeoPackage or zip, as for :func:`landuse.load_workspace`.
    url : str
        ``postgresql://…?schema=NAME``; the schema is created if missing.
    overwrite : bool, default False
        Replace tables of the same names; else they are an error and
        nothing is written.
    notify : callable, optional
        Called with ``(中文, English)`` for each notice (a layer with several
        sources, a file that is no layer, a raster left out, a reading remark);
        by default the English one is logged as a warning.

    Returns
    -------
    dict
        Table name → rows written.

    Raises
    ------
    LayerReadError
        When a file cannot be read (nothing is written).
    DatabaseError
        When the database cannot be reached or written.
    OutputExistsError
        When a table exists and ``overwrite`` is False.

    Examples
    --------
    >>> from landuse.model.workspace import sample_workspace
    >>> load_files(sample_workspace(), "postgresql://analyst@db/land?schema=zhumadian")  # doctest: +SKIP
    {'供地': 662, '县区': 10, '失效撤回核减': 10, '批次': 396, '计划指标': 20, '闲置土地': 72}
    """
    def say(zh: str, en: str) -> None:
        if notify is not None:
            notify(zh, en)
        else:
            _log.warning("%s", en)

    db = parse_url(url)
    _identifier(db.schema, "模式")
    frames: dict[str, tuple[pd.DataFrame, str | None]] = {}
    comments: dict[str, str] = {}
    with opened(workspace_path) as root:
        sources = discover(root)
        # Reachable, and nothing in the way, before any file is read.
        names = [
            _identifier(_table_name(layer, *found[0]), "表")
            for layer, found in sources.layers.items()
        ]
        with _connect(db) as conn, _translated(db, "检查目标模式", "checking the target"):
            _require_postgis(conn, db)
            existing = _existing(conn, db.schema, names)
        _check_replace(db, existing, overwrite, _loaded)
        for layer, found in sources.layers.items():
            path, sublayer = found[0]
            for other, other_sub in found[1:]:
                name = other.name + (f":{other_sub}" if other_sub else "")
                say(f"图层 {layer} 有多个来源；{name} 未导入", f"layer {layer} has several sources; {name} is not loaded")
            raw = read_layer(layer, path, sublayer, root)
            for problem in raw.problems:
                say(problem.message, problem.message_en or problem.message)
            table = _identifier(_table_name(layer, path, sublayer), "表")
            frame = raw.frame
            taken = {str(c).lower() for c in frame.columns}
            key = "fid" if "fid" not in taken else "landuse_fid"
            frame = frame.copy()
            frame.insert(0, key, np.asarray(raw.rows, dtype="int64"))
            if isinstance(raw.frame, gpd.GeoDataFrame) and _geometry_of(raw.frame) is None:
                frame = pd.DataFrame(frame)  # a table read as a GeoDataFrame without geometry
            frames[table] = (frame, key)
            comments[table] = f"{LOAD_MARK} {raw.source} (layer {layer})"
        for ignored in sources.ignored:
            say(f"{ignored.name} 不是已知图层，未导入", f"{ignored.name} is not a known layer; not loaded")
        if sources.landcover is not None:
            name = sources.landcover.name
            say(f"{name}（土地覆盖）是栅格，未导入数据库：请保留为文件（--landcover）",
                f"{name} (land cover) is a raster; not loaded, keep it as a file (--landcover)")
    # One transaction: it commits only when every table is in place.
    with _connect(db) as conn, _translated(db, "导入图层", "loading the layers"), conn.begin():
        _require_postgis(conn, db)
        written = _replace_tables(
            conn, db, frames, comments, overwrite=overwrite, replaceable=_loaded
        )
    _log.info("loaded %s into %s: %s", workspace_path, db.shown, written)
    return written
