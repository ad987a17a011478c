"""Reading a workspace from a PostGIS schema (see :mod:`landuse.io.postgis`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse._errors import DatabaseError, SchemaError
from landuse.io.files import LANDCOVER_NAMES, LandCover, RawLayer
from landuse.io.postgis._db import (
    _CODE_PATTERN,
    _INTEGER_TYPES,
    _ROW,
    DatabaseURL,
    _catalogue,
    _connect,
    _crs_of,
    _log,
    _require_postgis,
    _schema_exists,
    _Table,
    _translated,
    parse_url,
    sa,
)
from landuse.io.postgis.results import _ours
from landuse.model.schema import LAYERS, Problem, _key, layer_for_name, rename_columns


# --- reading -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Filters:
    """What to push down, and the tables chosen for each layer (the conditions refer to them)."""

    schema: str
    codes: tuple[str, ...] | None
    approved_from: dt.date | None
    approved_to: dt.date | None
    tables: dict[str, _Table] = field(default_factory=dict)

    @property
    def dates(self) -> bool:
        return self.approved_from is not None or self.approved_to is not None


def _codes(counties: Sequence[str] | str | None) -> tuple[str, ...] | None:
    if counties is None:
        return None
    if isinstance(counties, str):
        counties = [counties]
    codes = tuple(dict.fromkeys(str(c).strip() for c in counties))
    bad = [c for c in codes if not re.fullmatch(r"\d{6}", c)]
    if bad or not codes:
        shown = "、".join(bad) or "（空）"
        raise SchemaError(
            f"县区代码应为 6 位数字：{shown}",
            f"county codes must be 6 digits: {', '.join(bad) or '(none)'}",
        )
    return codes


def _with_zones(conn: Any, info: _Table, schema: str, codes: tuple[str, ...]) -> tuple[str, ...]:
    """The chosen counties and the functional zones carved from them.

    A feature inside a zone counts for the zone, not its parent (DESIGN, "Assessed
    units"), so a county read without its zones would keep features that are not its own.
    """
    parent = _field_column(info, "counties", "parent_code")
    code = _field_column(info, "counties", "county_code")
    if parent is None or code is None:
        return codes
    t = _table(info, schema)
    zones = conn.execute(sa.select(_code_of(t.c[code])).where(_code_of(t.c[parent]).in_(codes))).scalars()
    return tuple(dict.fromkeys([*codes, *(z for z in zones if z)]))


def _day(value: dt.date | str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError) as err:
        raise SchemaError(
            f"{name} 不是日期：“{value}”（应为 2018-12-31）",
            f"{name} is not a date: '{value}' (use 2018-12-31)",
        ) from err


def _field_column(table: _Table, layer: str, name: str) -> str | None:
    """The table's column that the normaliser reads as canonical field ``name``."""
    mapping, _ = rename_columns([c for c in table.columns if c != table.geometry], layer)
    return next((str(col) for col, canon in mapping.items() if canon == name), None)


def _table(info: _Table, schema: str) -> Any:
    return sa.table(info.name, *(sa.column(c) for c in info.columns), schema=schema)


def _code_of(column: Any) -> Any:
    """SQL for the county code the normaliser reads from ``column`` (NULL when unusable)."""
    return sa.func.substring(sa.cast(column, sa.Text), sa.literal(_CODE_PATTERN, sa.Text))


def _spatial(info: _Table) -> bool:
    """True when ``info`` has a geometry column of a known SRID (a spatial condition works)."""
    return bool(info.geometry and not info.geography and info.srid)


def _in_chosen_county(source: Any, info: _Table, flt: _Filters) -> Any | None:
    """SQL: the row's geometry lies in a chosen county, as the normaliser would find it."""
    counties = flt.tables.get("counties")
    if counties is None or not _spatial(info) or not _spatial(counties):
        return None
    code = _field_column(counties, "counties", "county_code")
    if code is None:
        return None
    c = _table(counties, flt.schema).alias("chosen_county")
    # The normaliser gives a row without a code the county holding its representative
    # point; PostGIS' point on surface is the same GEOS algorithm (made valid first, as
    # the normaliser repairs geometries), so rows touching a chosen county from outside
    # are not read.
    # The point goes to the counties' CRS, not the counties to the row's: far less work.
    point = sa.func.ST_PointOnSurface(sa.func.ST_MakeValid(source.c[info.geometry]))
    if info.srid != counties.srid:
        point = sa.func.ST_Transform(point, counties.srid)
    return sa.exists().where(
        _code_of(c.c[code]).in_(flt.codes), sa.func.ST_Intersects(point, c.c[counties.geometry])
    )


#: Where the normaliser finds the county of a row with neither code nor geometry:
#: layer -> (its column, the layer it names, that layer's column).
_COUNTY_VIA = {
    "supplies": ("batch_id", "batches", "batch_id"),
    "idle": ("parcel_id", "supplies", "parcel_id"),
}


def _linked_to_chosen(source: Any, info: _Table, layer: str, flt: _Filters) -> Any | None:
    """SQL: the batch (of a supply) or parcel (of an idle row) it names is read, or it names none."""
    if layer not in _COUNTY_VIA:
        return None
    mine, other_layer, theirs = _COUNTY_VIA[layer]
    other = flt.tables.get(other_layer)
    mine = _field_column(info, layer, mine)
    theirs = _field_column(other, other_layer, theirs) if other is not None else None
    if mine is None or theirs is None:
        return None
    o = _table(other, flt.schema).alias(f"via_{other_layer}")
    condition = _code_condition(o, other, other_layer, flt)
    if condition is None:
        return None
    key = _text_key(source.c[mine])
    return sa.or_(key.is_(None), key.in_(sa.select(_text_key(o.c[theirs])).where(condition)))


def _code_condition(source: Any, info: _Table, layer: str, flt: _Filters) -> Any | None:
    """SQL: the row is of a chosen county, or has no usable code and may turn out to be.

    A row without a code is given a county by the normaliser: a row with a
    geometry, the county its representative point lies in; a supply without
    one, its batch's; an idle parcel without one, its supply's. Rows it can
    give no county are kept, to be reported.
    """
    if flt.codes is None:
        return None
    column = _field_column(info, layer, "county_code")
    known = _code_of(source.c[column]).in_(flt.codes) if column is not None else None
    if layer in ("counties", "quotas"):
        return known
    located = _in_chosen_county(source, info, flt)
    linked = _linked_to_chosen(source, info, layer, flt)
    if located is None and linked is None:
        unknown = sa.true()
    elif info.geometry:
        geom = source.c[info.geometry]
        unknown = sa.or_(
            sa.and_(geom.is_not(None), located if located is not None else sa.true()),
            sa.and_(geom.is_(None), linked if linked is not None else sa.true()),
        )
    else:
        unknown = linked
    if known is None:
        return unknown
    return sa.or_(known, sa.and_(_code_of(source.c[column]).is_(None), unknown))


def _date_condition(source: Any, info: _Table, flt: _Filters) -> Any | None:
    """Keep batches approved in the range (and those without a date, to be reported)."""
    column = _field_column(info, "batches", "approval_date")
    if column is None or not flt.dates:
        return None
    kind = info.columns[column]
    value = source.c[column]
    low, high = flt.approved_from, flt.approved_to
    parts = []
    if kind == "date" or kind == "timestamptz":
        # timestamptz: the day in the session's time zone, as psycopg hands it to pandas
        day = value if kind == "date" else sa.cast(value, sa.Date)
        if low is not None:
            parts.append(day >= sa.literal(low, sa.Date))
        if high is not None:
            parts.append(day <= sa.literal(high, sa.Date))
    elif kind == "timestamp":
        if low is not None:
            parts.append(value >= sa.literal(dt.datetime.combine(low, dt.time()), sa.DateTime))
        if high is not None:
            end = dt.datetime.combine(high + dt.timedelta(days=1), dt.time())
            parts.append(value < sa.literal(end, sa.DateTime))
    else:
        _log.info(
            "%s.%s: approval dates are %s, not a SQL date; the date filter is not pushed down",
            flt.schema,
            info.name,
            kind,
        )
        return None
    return sa.or_(value.is_(None), sa.and_(*parts))


def _text_key(column: Any) -> Any:
    return sa.func.nullif(sa.func.btrim(sa.cast(column, sa.Text)), "")


def _batch_conditions(source: Any, info: _Table, flt: _Filters) -> list[Any]:
    return [
        c
        for c in (_code_condition(source, info, "batches", flt), _date_condition(source, info, flt))
        if c is not None
    ]


def _revocation_condition(source: Any, info: _Table, flt: _Filters) -> Any | None:
    """SQL: the revocation is of a batch read, or names none (to be reported)."""
    batches = flt.tables.get("batches")
    if batches is None:
        return None
    mine = _field_column(info, "revocations", "batch_id")
    theirs = _field_column(batches, "batches", "batch_id")
    if mine is None or theirs is None:
        return None
    b = _table(batches, flt.schema).alias("read_batch")
    conditions = _batch_conditions(b, batches, flt)
    if not conditions:
        return None
    read = sa.select(_text_key(b.c[theirs])).where(*conditions)
    key = _text_key(source.c[mine])
    return sa.or_(key.is_(None), key.in_(read))


def _conditions(source: Any, info: _Table, layer: str, flt: _Filters) -> list[Any]:
    """The pushed-down conditions for one layer's table."""
    if layer == "batches":
        return _batch_conditions(source, info, flt)
    if layer == "revocations":
        found = _revocation_condition(source, info, flt)
    elif layer in ("counties", "supplies", "idle", "quotas"):
        found = _code_condition(source, info, layer, flt)
    else:
        found = None
    return [] if found is None else [found]


def _row_number(t: Any, info: _Table) -> tuple[Any, bool]:
    """SQL for each row's number, and whether it is the primary key itself."""
    if len(info.key) == 1 and info.columns[info.key[0]] in _INTEGER_TYPES:
        return t.c[info.key[0]], True
    if info.key:
        order = [t.c[k] for k in info.key]
    elif info.kind in ("r", "m"):
        order = [sa.literal_column("ctid")]
    elif info.kind == "p":
        order = [sa.literal_column("tableoid"), sa.literal_column("ctid")]
    else:
        order = []
    return sa.func.row_number().over(order_by=order or None), False


def _geometry_srid(conn: Any, t: Any, info: _Table) -> tuple[int, list[int]]:
    """The SRID of a geometry column without one declared: the commonest among its rows."""
    geom = t.c[info.geometry]
    found = conn.execute(
        sa.select(sa.func.ST_SRID(geom), sa.func.count())
        .where(geom.is_not(None))
        .group_by(sa.func.ST_SRID(geom))
        .order_by(sa.func.count().desc())
    ).all()
    srids = [int(s) for s, _ in found if s]
    return (srids[0] if srids else 0), srids


def _read_table(conn: Any, db: DatabaseURL, info: _Table, layer: str, flt: _Filters) -> RawLayer:
    """Read the columns ``layer`` needs from one table, the pushed-down filters applied."""
    schema = db.schema
    shown = f"{schema}.{info.name}"
    problems: list[Problem] = []
    t = _table(info, schema)
    mapping, _ = rename_columns([c for c in info.columns if c != info.geometry], layer)
    wanted = [str(c) for c in info.columns if c in mapping]
    row, is_key = _row_number(t, info)
    spatial = info.geometry is not None and LAYERS[layer].geometry != "table"
    srid = info.srid
    inner_cols = [t.c[c] for c in wanted]
    if spatial:
        inner_cols.append(t.c[info.geometry])
        if not srid and not info.geography:
            srid, seen = _geometry_srid(conn, t, info)
            if len(seen) > 1:
                problems.append(
                    Problem(
                        layer,
                        None,
                        "geometry",
                        "warning",
                        f"{shown}：几何图形的坐标系不一致（SRID {'、'.join(map(str, seen))}），已统一转换为 SRID {srid}",
                        f"{shown}: geometries in several CRSs (SRID {', '.join(map(str, seen))}); "
                        f"all transformed to SRID {srid}",
                        None,
                        shown,
                    )
                )
    inner = sa.select(*inner_cols, row.label(_ROW)).select_from(t).subquery("numbered")
    outer_cols = [inner.c[c] for c in wanted]
    if spatial:
        geom = inner.c[info.geometry]
        if info.geography:
            geom = sa.func.geometry(geom)
        elif not info.srid and srid:
            geom = sa.case(
                (sa.func.ST_SRID(geom).in_([0, srid]), geom), else_=sa.func.ST_Transform(geom, srid)
            )
        outer_cols.append(sa.func.ST_AsBinary(geom).label("geometry"))
    query = sa.select(*outer_cols, inner.c[_ROW]).where(*_conditions(inner, info, layer, flt))
    query = query.order_by(inner.c[_ROW])
    frame = pd.read_sql(query, conn, coerce_float=True)
    crs = _crs_of(conn, (srid or 4326) if info.geography else srid) if spatial else None
    rows = frame.pop(_ROW).to_numpy(dtype="int64")
    if spatial:
        wkb = frame.pop("geometry").to_numpy(dtype=object)
        geometry = shapely.from_wkb(
            np.array([None if g is None else bytes(g) for g in wkb], dtype=object)
        )
        frame = gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries(geometry, index=frame.index, crs=crs), crs=crs
        )
        if srid and crs is None:
            problems.append(
                Problem(
                    layer,
                    None,
                    "geometry",
                    "error",
                    f"{shown}：无法识别 SRID {srid} 的坐标系",
                    f"{shown}: unknown CRS of SRID {srid}",
                    None,
                    shown,
                )
            )
    _log.info("read %s: %d rows%s", shown, len(frame), "" if is_key else " (numbered by position)")
    return RawLayer(layer, frame, shown, rows, problems)


def _choose_tables(
    tables: dict[str, _Table],
    schema: str,
    problems: list[Problem],
    names: dict[str, str] | None = None,
) -> dict[str, _Table]:
    """Pick the table of each layer by name (or ``names``); say which are ignored or several."""
    found: dict[str, list[_Table]] = {}
    names = names or {}
    mapped = set(names.values())
    for layer, table in names.items():
        found[layer] = [tables[table]]
    for name, info in tables.items():
        if name in mapped or _ours_table(info):
            continue
        layer = layer_for_name(name)
        if layer in names:
            continue
        if layer is not None:
            found.setdefault(layer, []).append(info)
        elif _key(name) in {_key(n) for n in LANDCOVER_NAMES} or "raster" in info.columns.values():
            problems.append(
                Problem(
                    "landcover",
                    None,
                    None,
                    "warning",
                    f"{schema}.{name}：不从数据库读取土地覆盖栅格，该表已跳过（如需地类判断，请另行提供 landcover.tif）",
                    f"{schema}.{name}: land-cover rasters are not read from a database; skipped "
                    "(give landcover.tif as a file for land-class checks)",
                    None,
                    f"{schema}.{name}",
                )
            )
        else:
            problems.append(
                Problem(
                    "workspace",
                    None,
                    None,
                    "warning",
                    f"表 {schema}.{name} 不是可识别的图层（表名应为 批次、供地、闲置土地、县区… 或 batches、supplies…），已忽略",
                    f"table {schema}.{name} is not a known layer (name tables batches, supplies, idle, "
                    "counties...); ignored",
                    None,
                    f"{schema}.{name}",
                )
            )
    for layer, infos in found.items():
        if len(infos) > 1:
            names = "、".join(f"{schema}.{i.name}" for i in infos)
            problems.append(
                Problem(
                    layer,
                    None,
                    None,
                    "warning",
                    f"图层 {layer} 有多个来源（{names}），只读取第一个",
                    f"layer {layer} has several sources ({names}); only the first is read",
                )
            )
    return {layer: infos[0] for layer, infos in found.items()}


def _ours_table(info: _Table) -> bool:
    """A result table or view landuse wrote: never read as a layer."""
    return _ours(info.comment)


def layer_names(pairs: Sequence[str] | dict[str, str] | None) -> dict[str, str]:
    """Check a layer → table mapping (``["batches=t_jsyd_pcxx", ...]`` or a dict).

    Layers are named in English or Chinese (``批次=t_jsyd_pcxx``).

    Raises
    ------
    SchemaError
        When an entry is not ``LAYER=TABLE`` or the layer is unknown.

    Examples
    --------
    >>> layer_names(["批次=t_jsyd_pcxx", "supplies=t_gd"])
    {'batches': 't_jsyd_pcxx', 'supplies': 't_gd'}
    """
    if not pairs:
        return {}
    items = pairs.items() if isinstance(pairs, dict) else (
        tuple(p.split("=", 1)) if "=" in p else (p, "") for p in pairs
    )
    out: dict[str, str] = {}
    for key, table in items:
        layer = str(key).strip()
        layer = layer if layer in LAYERS else layer_for_name(layer)
        table = str(table).strip()
        if layer is None or not table:
            raise SchemaError(
                f"图层对应关系 “{key}={table}” 无法识别：应为 图层=表名，图层为 "
                f"{'、'.join(LAYERS)} 之一（或其中文名）",
                f"layer mapping '{key}={table}' not understood: use LAYER=TABLE, LAYER one of "
                f"{', '.join(LAYERS)} (or its Chinese name)",
            )
        out[layer] = table
    return out


def read_workspace(
    url: str,
    *,
    counties: Sequence[str] | str | None = None,
    approved_from: dt.date | str | None = None,
    approved_to: dt.date | str | None = None,
    names: Sequence[str] | dict[str, str] | None = None,
) -> tuple[list[RawLayer], LandCover | None, list[Problem], str]:
    """Read the layers of a PostGIS schema, before normalisation.

    :func:`landuse.load_workspace` calls this for a ``postgresql://`` path
    and normalises the result like files; :func:`workspace_from_postgis`
    does both with filters.

    Parameters
    ----------
    url : str
        ``postgresql://user[:password]@host[:port]/db?schema=NAME``.
    counties : sequence of str, optional
        6-digit county codes: read only these counties' rows (see the module
        notes for what is pushed down into SQL).
    approved_from, approved_to : date or str, optional
        Read only batches approved in this range, bounds included. An
        assessment as of T needs every batch approved up to T (the stock
        counts them all): pass at most ``approved_to=T``.
    names : dict or list of "LAYER=TABLE", optional
        The table of a layer whose name is the bureau's own
        (``{"batches": "t_jsyd_pcxx"}``); see :func:`layer_names`.

    Returns
    -------
    raws : list of RawLayer
        One per layer found, named ``<schema>.<table>``.
    landcover : None
        The land-cover raster is not read from a database.
    problems : list of Problem
        Tables ignored, several tables for one layer, a raster skipped.
    shown : str
        The URL without its password.

    Raises
    ------
    DatabaseError
        When the server cannot be reached, the schema does not exist, PostGIS
        is missing or a table cannot be read. The message names the server,
        schema and table, never the password.
    SchemaError
        When a county code or date is malformed.

    Examples
    --------
    >>> raws, _, problems, shown = read_workspace(  # doctest: +SKIP
    ...     "postgresql://analyst@db/land?schema=zhumadian", counties=["411702"])
    >>> sorted(raw.source for raw in raws)  # doctest: +SKIP
    ['zhumadian.供地', 'zhumadian.县区', 'zhumadian.批次', ...]
    """
    db = parse_url(url)
    codes = _codes(counties)
    low, high = _day(approved_from, "approved_from"), _day(approved_to, "approved_to")
    mapping = layer_names(names)
    problems: list[Problem] = []
    raws: list[RawLayer] = []
    with _connect(db) as conn:
        with _translated(db, "读取表目录", "listing tables"):
            if not _schema_exists(conn, db.schema):
                others = [
                    r[0]
                    for r in conn.execute(
                        sa.text(
                            "SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' "
                            "AND nspname <> 'information_schema' ORDER BY 1"
                        )
                    )
                ]
                zh, en = db.where()
                raise DatabaseError(
                    f"{zh}不存在；现有模式：{'、'.join(others) or '无'}。请在地址中用 ?schema= 指定",
                    f"{en} does not exist; the database has: {', '.join(others) or 'none'}. "
                    "Name one with ?schema=",
                )
            _require_postgis(conn, db)
            tables = _catalogue(conn, db.schema)
        missing = sorted(t for t in mapping.values() if t not in tables)
        if missing:
            zh, en = db.where()
            raise DatabaseError(
                f"{zh}中没有表 {'、'.join(missing)}（--layer 所指）；现有表：{'、'.join(sorted(tables))}",
                f"{en} has no table {', '.join(missing)} (named by --layer); it has: "
                f"{', '.join(sorted(tables))}",
            )
        chosen = _choose_tables(tables, db.schema, problems, mapping)
        if codes and "counties" in chosen:
            with _translated(db, "读取功能区", "reading functional zones"):
                codes = _with_zones(conn, chosen["counties"], db.schema, codes)
        flt = _Filters(db.schema, codes, low, high, chosen)
        for layer in LAYERS:
            if layer in chosen:
                with _translated(db, "读取", "reading", chosen[layer].name):
                    raws.append(_read_table(conn, db, chosen[layer], layer, flt))
    return raws, None, problems, db.shown


