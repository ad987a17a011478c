"""PostGIS: a workspace in a database schema, and the assessment written back.

A bureau that keeps its layers in PostgreSQL names a schema instead of a folder::

    postgresql://user[:password]@host[:port]/db?schema=zhumadian

(``postgres://`` too). ``schema`` (default ``public``) is taken out of the
query; the rest of the URL, other libpq options such as ``sslmode``
included, goes to SQLAlchemy with psycopg 3. Passwords are never shown: the
URL in messages, sources and logs is :attr:`DatabaseURL.shown`, without it.

Reading (:func:`read_workspace`)
    Tables and views of the schema are found by the same English and Chinese
    names as files (:func:`landuse.model.schema.layer_for_name`: ``批次``,
    ``batches``...). Only the columns the layer's fields are recognised in
    (:func:`landuse.model.schema.rename_columns`) and the geometry are read; the
    geometry column is the first ``geometry`` (or ``geography``) column of
    the table, its CRS that of its SRID. The rows go through the same
    normalisation as files (:func:`landuse.model.workspace.normalise_layers`), so
    aliases, validation and problems are the same; the source of each row is
    ``<schema>.<table>``.

Row numbers
    In problems a row is named by the table's single integer primary key when
    it has one (``gid`` of shp2pgsql, ``ogc_fid`` of ogr2ogr, ``fid`` of
    :func:`load_files`: the feature number or spreadsheet line in the file it
    was loaded from); otherwise by its position (from 1) in primary-key order,
    or, without a primary key, in physical order (``ctid``: the order rows were
    inserted, until the table is updated); a view's rows in the order the view
    gives them. Positions are counted before any filter, so a row keeps its
    number whatever is pushed down.

Pushed down into SQL
    With ``counties``, only rows of those counties are read from counties,
    batches, supplies, idle and quotas. The code is matched as the normaliser
    reads it (6 digits, or a 9/12-digit township or village code, maybe with
    a trailing ``.0``), whatever the column's SQL type. A row without a usable
    code is read when the normaliser would put it in a chosen county: its
    representative point (``ST_PointOnSurface``) lies in one; or, without a
    geometry, the batch it names (a supply) or the parcel it names (an idle
    row) is read; rows that name nothing are read, to be reported. Ranks and
    the little / much stock comparison are then among the chosen counties
    only. With ``approved_from`` / ``approved_to``, only batches approved in
    that range (bounds included) are read, when the approval date column has
    a SQL ``date``, ``timestamp`` or ``timestamptz`` type (the day in the
    session's time zone); a text column is read whole (its spellings vary,
    see :func:`landuse.model.schema.parse_dates`). Batches without an approval date
    are kept, to be reported. When batches are filtered, revocations are read
    for the batches read (and those naming none) only. Values are bound
    parameters; every identifier (schema, table, column) is quoted by
    SQLAlchemy or :mod:`psycopg.sql`, never pasted into SQL.

Bureau table names
    ``names={"batches": "t_jsyd_pcxx"}`` (``--layer batches=t_jsyd_pcxx``)
    reads a layer from a table of any name; the other layers are still
    found by their names.

Results: a history (:func:`write_results`)
    A results schema holds ``runs`` (one row per run: ``run_id``, rules,
    as-of date, workspace, who, when, landuse version) and one table per
    result (``counties``, ``batches``, ``supplies``, ``idle``,
    ``candidates``, ``problems``) keyed by ``(run_id, fid)``: lower-case
    snake_case columns with Chinese comments, ``geometry(MultiPolygon,
    SRID)``. Views ``latest_<table>`` show the newest run of each as-of date;
    ``layer_styles`` holds the QGIS styles as the GeoPackage does. Each run
    INSERTs into the tables in one transaction (``lock_timeout``: a session
    holding a lock too long fails the write with its pid, user and
    application named), so grants, views and comments stay and a failure
    leaves the history as it was. The input schema, and a schema holding
    tables landuse did not write, are refused. A CRS without an EPSG code is
    registered in ``spatial_ref_sys`` (a ``landuse`` entry) or, when the role
    may not, the write is refused (never SRID 0).
    :func:`check_results_target` runs those checks before any computing.

Loading files (:func:`load_files`)
    All tables of one call are written in one transaction: each into a new
    table under a temporary name (``COPY``), then the old table is dropped
    and the new one renamed into place, and only then is the transaction
    committed. A table is replaced only when landuse loaded it (its comment
    says so); a bureau's own table of the same name is never replaced.

The land-cover raster is not read from the database: a ``landcover`` table
is skipped with a warning (give the raster as a file instead).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import re
import secrets
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from landuse._errors import DatabaseError, OutputExistsError, SchemaError
from landuse.io.files import LANDCOVER_NAMES, LandCover, RawLayer, discover, opened, read_layer
from landuse.model.schema import LAYERS, Problem, _key, layer_for_name, rename_columns

try:
    import psycopg
    import sqlalchemy as sa
    from psycopg import sql
except ImportError:  # the postgis extra is not installed; _require says so
    psycopg = sa = sql = None  # type: ignore[assignment]

__all__ = [
    "RESULT_TABLES",
    "DatabaseURL",
    "Run",
    "check_results_target",
    "column_name",
    "is_database_url",
    "load_files",
    "parse_url",
    "read_workspace",
    "write_results",
]

_log = logging.getLogger(__name__)

#: The result tables, in the order they are written.
RESULT_TABLES = ("counties", "batches", "supplies", "idle", "candidates", "problems")

#: The comment that marks a table (or view) as written by :func:`write_results`.
RESULT_MARK = "landuse assessment result"
#: The comment that marks a table as written by :func:`load_files`.
LOAD_MARK = "landuse layer loaded from"

_SCHEMES = ("postgresql://", "postgres://", "postgresql+")
_ROW = "__landuse_row__"
_INTEGER_TYPES = {"int2", "int4", "int8"}
#: A county code as the normaliser reads it (landuse.model.schema._code6): 6 digits, maybe a
#: 9- or 12-digit township / village code, maybe a trailing ".0" of a number read as text.
_CODE_PATTERN = r"^\s*(\d{6})(?:\d{3}|\d{6})?(?:\.0+)?\s*$"
_MAX_IDENTIFIER_BYTES = 63
_USER_SRID_FROM = 910_000  # user SRIDs: PostGIS reserves 999000 and up


# --- URLs ----------------------------------------------------------------------------------
def is_database_url(text: object) -> bool:
    """Return True when ``text`` is a ``postgresql://`` (or ``postgres://``) URL.

    Examples
    --------
    >>> is_database_url("postgresql://me@db/land?schema=zhumadian"), is_database_url("layers/zhumadian")
    (True, False)
    """
    return isinstance(text, str) and text.startswith(_SCHEMES)


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed ``postgresql://…?schema=`` URL.

    Attributes
    ----------
    url : sqlalchemy.engine.URL
        What SQLAlchemy connects with (driver ``postgresql+psycopg``, no
        ``schema`` in the query). Holds the password: never print it.
    schema : str
        The schema the layers are in, or results go to.
    """

    url: Any
    schema: str

    @property
    def server(self) -> str:
        """``host:port/database``, for messages."""
        host = self.url.host or self.url.query.get("host") or "localhost"
        port = f":{self.url.port}" if self.url.port else ""
        return f"{host}{port}/{self.url.database or ''}"

    @property
    def shown(self) -> str:
        """The URL without its password, for messages, logs and sources."""
        user = quote(self.url.username, safe="") + "@" if self.url.username else ""
        host = self.url.host or ""
        port = f":{self.url.port}" if self.url.port else ""
        query = {
            k: v for k, v in self.url.query.items() if k.lower() not in {"password", "passfile"}
        }
        params = "&".join(f"{k}={quote(str(v), safe='/')}" for k, v in query.items())
        schema = f"schema={quote(self.schema, safe='')}"
        return f"postgresql://{user}{host}{port}/{self.url.database or ''}?{schema}" + (
            f"&{params}" if params else ""
        )

    def where(self, table: str | None = None) -> tuple[str, str]:
        """Say in Chinese and English where: server, schema and maybe table."""
        if table is None:
            return (
                f"数据库 {self.server} 的模式 “{self.schema}”",
                f"schema '{self.schema}' of database {self.server}",
            )
        return (
            f"数据库 {self.server} 的表 “{self.schema}.{table}”",
            f"table '{self.schema}.{table}' of database {self.server}",
        )


def parse_url(url: str) -> DatabaseURL:
    """Parse a ``postgresql://user[:password]@host[:port]/db?schema=NAME`` URL.

    Parameters
    ----------
    url : str
        ``postgresql://``, ``postgres://`` or ``postgresql+<driver>://``.
        ``schema`` defaults to ``public``; other query parameters are libpq
        options (``sslmode=require``...).

    Returns
    -------
    DatabaseURL

    Raises
    ------
    DatabaseError
        When the URL cannot be parsed, or names the schema twice.

    Examples
    --------
    >>> db = parse_url("postgres://me:secret@db.example:5433/land?schema=zhumadian")
    >>> db.schema, db.shown
    ('zhumadian', 'postgresql://me@db.example:5433/land?schema=zhumadian')
    """
    _require()
    if not is_database_url(url):
        scheme = url.split(":", 1)[0] if isinstance(url, str) else type(url).__name__
        raise DatabaseError(
            f"不是 PostgreSQL 地址（{scheme}:…），应为 postgresql://用户@主机/数据库?schema=模式",
            f"not a PostgreSQL URL ({scheme}:...); use postgresql://user@host/db?schema=NAME",
        )
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as err:
        raise DatabaseError(
            "无法解析数据库地址，应为 postgresql://用户[:密码]@主机[:端口]/数据库?schema=模式",
            "cannot parse the database URL; use "
            "postgresql://user[:password]@host[:port]/db?schema=NAME",
        ) from err
    schema = parsed.query.get("schema", "public")
    if not isinstance(schema, str):
        raise DatabaseError(
            "数据库地址中 schema 参数出现了多次", "the database URL names schema more than once"
        )
    schema = schema or "public"
    if len(schema.encode("utf-8")) > _MAX_IDENTIFIER_BYTES:
        raise DatabaseError(
            f"模式名 “{schema}” 超过 PostgreSQL 的 63 字节上限",
            f"schema name '{schema}' is longer than PostgreSQL's 63 bytes",
        )
    parsed = parsed.difference_update_query(["schema"]).set(drivername="postgresql+psycopg")
    return DatabaseURL(parsed, schema)


# --- connections and errors ----------------------------------------------------------------
def _require() -> None:
    if sa is None or psycopg is None:
        raise DatabaseError(
            "读写 PostGIS 需要安装可选依赖：pip install 'landuse[postgis]'",
            "PostGIS support needs the optional dependencies: pip install 'landuse[postgis]'",
        )


def _reason(err: BaseException, db: DatabaseURL) -> str:
    """The driver's own first line, without the SQL, parameters or any password."""
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    password = db.url.password
    if password:
        text = text.replace(str(password), "***")
    return text[:300]


@contextlib.contextmanager
def _translated(
    db: DatabaseURL, zh: str, en: str, table: str | None = None, hint: tuple[str, str] | None = None
) -> Iterator[None]:
    """Turn SQLAlchemy and psycopg errors into a :class:`DatabaseError` naming where."""
    try:
        yield
    except (sa.exc.SQLAlchemyError, psycopg.Error, pd.errors.DatabaseError) as err:
        where_zh, where_en = db.where(table)
        reason = _reason(err, db)
        hint_zh, hint_en = (f"。{hint[0]}", f". {hint[1]}") if hint else ("", "")
        raise DatabaseError(
            f"{where_zh}：{zh}失败：{reason}{hint_zh}",
            f"{where_en}: {en} failed: {reason}{hint_en}",
        ) from err


@contextlib.contextmanager
def _connect(db: DatabaseURL) -> Iterator[Any]:
    """Yield a SQLAlchemy connection (no pool: one call, one connection)."""
    _require()
    args: dict[str, object] = {}
    if "connect_timeout" not in db.url.query:
        args["connect_timeout"] = 10
    if "application_name" not in db.url.query:
        args["application_name"] = "landuse"
    engine = sa.create_engine(db.url, poolclass=sa.pool.NullPool, connect_args=args)
    try:
        with _translated(
            db,
            "连接",
            "connecting",
            hint=(
                "请检查主机、端口、数据库名、用户名和密码，以及服务器是否在运行",
                "Check the host, port, database, user and password, and that the server is running",
            ),
        ):
            conn = engine.connect()
        with conn:
            yield conn
    finally:
        engine.dispose()


def _raw(conn: Any) -> Any:
    """The psycopg connection under a SQLAlchemy one: same session, same transaction."""
    return conn.connection.driver_connection


def _schema_exists(conn: Any, schema: str) -> bool:
    found = conn.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema})
    return found.first() is not None


def _require_postgis(conn: Any, db: DatabaseURL) -> None:
    if (
        conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first()
        is None
    ):
        zh, en = db.where()
        raise DatabaseError(
            f"{zh}：数据库未安装 PostGIS 扩展，请由管理员执行 CREATE EXTENSION postgis",
            f"{en}: the database lacks the PostGIS extension; ask an administrator to "
            "run CREATE EXTENSION postgis",
        )


# --- the catalogue -------------------------------------------------------------------------
@dataclass
class _Table:
    """What the catalogue says about one table or view."""

    name: str
    kind: str  # pg_class.relkind: r table, p partitioned, v view, m materialised view, f foreign
    columns: dict[str, str] = field(default_factory=dict)  # name -> pg_type.typname, in order
    key: list[str] = field(default_factory=list)  # primary key columns
    geometry: str | None = None
    geography: bool = False
    srid: int = 0
    comment: str | None = None


def _catalogue(conn: Any, schema: str) -> dict[str, _Table]:
    """Tables and views of ``schema`` with their columns, primary key and geometry column.

    Tables of extensions (``spatial_ref_sys``...) and partitions are left out.
    """
    rows = conn.execute(
        sa.text("""
        SELECT c.relname, c.relkind, a.attname, t.typname, obj_description(c.oid, 'pg_class')
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_type t ON t.oid = a.atttypid
        WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY c.relname, a.attnum
    """),
        {"s": schema},
    ).all()
    tables: dict[str, _Table] = {}
    for name, kind, column, typname, comment in rows:
        table = tables.setdefault(name, _Table(name, kind, comment=comment))
        table.columns[column] = typname
    keys = conn.execute(
        sa.text("""
        SELECT c.relname, a.attname
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE n.nspname = :s AND i.indisprimary
        ORDER BY c.relname, array_position(i.indkey::int2[], a.attnum)
    """),
        {"s": schema},
    ).all()
    for name, column in keys:
        if name in tables:
            tables[name].key.append(column)
    for table in tables.values():
        spatial = [c for c, t in table.columns.items() if t in ("geometry", "geography")]
        if spatial:
            table.geometry = spatial[0]
            table.geography = table.columns[spatial[0]] == "geography"
    if any(t.geometry for t in tables.values()):
        srids = conn.execute(
            sa.text("""
            SELECT f_table_name, f_geometry_column, srid FROM geometry_columns WHERE f_table_schema = :s
            UNION ALL
            SELECT f_table_name, f_geography_column, srid FROM geography_columns WHERE f_table_schema = :s
        """),
            {"s": schema},
        ).all()
        for name, column, srid in srids:
            if name in tables and tables[name].geometry == column:
                tables[name].srid = int(srid or 0)
    return tables


def _crs_of(conn: Any, srid: int) -> CRS | None:
    """The CRS of a PostGIS SRID, from ``spatial_ref_sys``."""
    if not srid:
        return None
    found = conn.execute(
        sa.text("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = :s"),
        {"s": srid},
    ).first()
    try:
        if found is not None:
            auth, code, wkt = found
            if (auth or "").upper() == "EPSG" and code:
                return CRS.from_epsg(int(code))
            if wkt:
                return CRS.from_wkt(wkt)
        return CRS.from_epsg(srid)
    except Exception:  # pyproj raises CRSError for codes and WKT it does not know
        return None


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
        flt = _Filters(db.schema, codes, low, high, chosen)
        for layer in LAYERS:
            if layer in chosen:
                with _translated(db, "读取", "reading", chosen[layer].name):
                    raws.append(_read_table(conn, db, chosen[layer], layer, flt))
    return raws, None, problems, db.shown


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


# --- results: a history of runs --------------------------------------------------------------
#: Chinese comments of the result columns (the rest: the field labels of landuse.model.schema).
COLUMN_COMMENTS = {
    "run_id": "运行编号（runs.run_id）",
    "fid": "本次运行内的行号",
    "geometry": "图形",
    "county_code": "行政区代码",
    "county_name": "行政区名称",
    "tasks_met": "完成任务数",
    "outcome": "考核结果（award 奖励 / penalty 核减）",
    "plan_base_ha": "因素法计划指标（公顷）",
    "plan_next_ha": "下一年度计划（公顷）",
    "plan_multiplier": "计划系数",
    "suspended": "暂停受理新增建设用地",
    "combined_disposal_rate": "综合处置率",
    "rank": "排名",
    "ranking": "通报（commend 表扬 / criticize 批评）",
    "outcome_final": "结果已定",
    "milestone_missed": "节点任务未完成",
    "stock_ha": "存量土地（公顷）",
    "little_stock": "存量较少",
    "scale_treatment": "城镇工矿规模指标处理",
    "devzone_treatment": "开发区处理",
    "category": "图例分类",
    "category_label": "图例分类名称",
    "supplied_ha": "已供面积（公顷）",
    "revoked_ha": "核减面积（公顷）",
    "unsupplied_ha": "未供面积（公顷）",
    "unsupplied_mu": "未供面积（亩）",
    "supply_rate": "供地率",
    "capped": "已供面积按批准面积封顶",
    "approval_year": "批准年度",
    "supplies": "供地宗数",
    "source_row": "输入图层中的行号",
    "geom_ha": "图形面积（公顷）",
    "started": "已开工",
    "developed_share": "已开发比例",
    "developed_basis": "开发比例依据",
    "invested_share": "已投资比例",
    "years_since_start": "约定开工后年数",
    "suspected_idle": "疑似闲置",
    "idle_reason": "疑似闲置原因",
    "idle_reason_en": "疑似闲置原因（英文）",
    "status": "状态",
    "disposed": "已处置",
    "idle_years": "闲置年限（年）",
    "measure": "整改措施",
    "measure_en": "整改措施（英文）",
    "idle_fee_wan": "土地闲置费（万元）",
    "typical": "典型案例",
    "sample": "实地核查抽样",
    "kind": "类型",
    "kind_label": "类型名称",
    "years": "年数",
    "reason": "原因",
    "reason_en": "原因（英文）",
    "basis": "依据",
    "built_share": "建成比例",
    "needs_field_check": "需实地核查",
    "indicator_return_ha": "退回指标（公顷）",
    "layer": "图层",
    "feature_id": "要素编号",
    "field": "字段",
    "severity": "严重程度（error 错误 / warning 警告）",
    "message": "说明",
    "message_en": "说明（英文）",
    "row": "行号",
    "source": "来源",
}
_TASK_COMMENTS = {
    "rate": "{task} 完成率",
    "target": "{task} 目标",
    "met": "{task} 是否完成",
    "gap_ha": "{task} 差距（公顷）",
}
_TABLE_COMMENTS = {
    "runs": "landuse 考核运行记录：每次写入一行",
    "counties": "县区考核结果",
    "batches": "批次供地情况",
    "supplies": "供地宗地及巡查状态",
    "idle": "闲置土地台账",
    "candidates": "核查清单（失效、撤回、核减、疑似闲置）",
    "problems": "输入与分析问题",
}
#: The table of QGIS styles, as QGIS makes it in PostgreSQL.
STYLES_TABLE = "layer_styles"
RUNS_TABLE = "runs"
_STYLE_NAME = "landuse"


@dataclass(frozen=True)
class Run:
    """What one written assessment is: a row of the ``runs`` table.

    Attributes
    ----------
    rules : str
        The rule set's id.
    as_of : datetime.date
        The assessment date.
    workspace : str
        Where the layers came from (a folder, or a URL without password).
    version : str
        The landuse version; default the installed one.
    """

    rules: str
    as_of: dt.date
    workspace: str
    version: str = ""


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("landuse")
    except metadata.PackageNotFoundError:
        return "unknown"


def column_name(name: object) -> str:
    """The result column name for a frame column: lower-case snake_case.

    Examples
    --------
    >>> column_name("T1_rate"), column_name("unsupplied baseline-ha T3")
    ('t1_rate', 'unsupplied_baseline_ha_t3')
    """
    text = re.sub(r"[^0-9a-z_\u4e00-\u9fff]+", "_", str(name).strip().lower()).strip("_")
    if not text or text[0].isdigit():
        text = f"c_{text}"
    return text


def _column_comment(column: str) -> str:
    if column in COLUMN_COMMENTS:
        return COLUMN_COMMENTS[column]
    task = re.fullmatch(r"(t\w*?)_(rate|target|met|gap_ha)", column)
    if task:
        return _TASK_COMMENTS[task.group(2)].format(task=task.group(1).upper())
    window = re.fullmatch(r"in_(\w+)", column)
    if window:
        return f"在 {window.group(1).upper()} 考核批准日期范围内"
    baseline = re.fullmatch(r"unsupplied_baseline_ha_(\w+)", column)
    if baseline:
        return f"{baseline.group(1).upper()} 基期未供面积（公顷）"
    for spec in LAYERS.values():
        for f in spec.fields:
            if f.name == column:
                return f.label
    return column


def _multipolygons(values: np.ndarray) -> np.ndarray:
    """Every geometry as a MultiPolygon (its polygons); missing stays missing."""
    values = np.asarray(values, dtype=object)
    parts, index = shapely.get_parts(values, return_index=True)
    for _ in range(2):  # collections of multipolygons: two levels at most in practice
        nested = np.isin(shapely.get_type_id(parts), (6, 7))
        if not nested.any():
            break
        inner, at = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        index = np.concatenate([index[~nested], index[nested][at]])
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    out = np.full(len(values), None, dtype=object)
    present = ~shapely.is_missing(values)
    out[present] = shapely.from_wkt("MULTIPOLYGON EMPTY")
    if keep.any():
        order = np.argsort(index[keep], kind="stable")
        shapely.multipolygons(parts[keep][order], indices=index[keep][order], out=out)
    return out


@dataclass
class _Prepared:
    """One result table made ready: SQL columns, values and what the table is in the database."""

    name: str
    columns: list[str]
    types: list[str]
    data: list[list[object]]
    rows: int
    geometry: str | None = None
    srid: int = 0


def _prepare(conn: Any, db: DatabaseURL, name: str, frame: pd.DataFrame) -> _Prepared:
    geometry_name = _geometry_of(frame) if isinstance(frame, gpd.GeoDataFrame) else None
    columns: list[str] = []
    types: list[str] = []
    data: list[list[object]] = []
    geometry = None
    srid = 0
    for original in frame.columns:
        column = _identifier(column_name(original), "列")
        if column in columns or column in ("run_id", "fid"):
            raise DatabaseError(
                f"结果表 {name} 的列 “{original}” 与其他列重名（{column}）",
                f"result table {name}: column '{original}' clashes with another ({column})",
            )
        series = frame[original]
        if original == geometry_name or isinstance(series, gpd.GeoSeries):
            if geometry is not None:
                continue  # one geometry column per result table
            srid = _srid(conn, frame.crs, db)
            values = _multipolygons(np.asarray(series.values, dtype=object))
            values = shapely.set_srid(values, srid)
            data.append(shapely.to_wkb(values, hex=True, include_srid=True).tolist())
            types.append(f"geometry(MultiPolygon, {srid})")
            geometry = column
        else:
            kind, values = _column(series)
            data.append(values)
            types.append(kind)
        columns.append(column)
    return _Prepared(name, columns, types, data, len(frame), geometry, srid)


def _relations(conn: Any, schema: str) -> dict[str, tuple[str, str | None]]:
    """Every relation of ``schema``: name -> (relkind, comment)."""
    found = conn.execute(
        sa.text("""
        SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    """),
        {"s": schema},
    ).all()
    return {name: (kind, comment) for name, kind, comment in found}


def _columns_of(conn: Any, schema: str, table: str) -> dict[str, str]:
    found = conn.execute(
        sa.text("""
        SELECT a.attname, format_type(a.atttypid, a.atttypmod)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :s AND c.relname = :t AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    """),
        {"s": schema, "t": table},
    ).all()
    return dict(found)


def _ours(comment: str | None) -> bool:
    return bool(comment) and str(comment).startswith(RESULT_MARK)


def _same_place(db: DatabaseURL, inputs: str | None) -> bool:
    if not inputs or not is_database_url(inputs):
        return False
    other = parse_url(inputs)
    return (other.server, other.schema) == (db.server, db.schema)


def _check_target(
    conn: Any,
    db: DatabaseURL,
    tables: Sequence[str],
    run: Run,
    *,
    overwrite: bool,
    inputs: str | None,
) -> None:
    """Refuse the input schema, tables landuse did not write, and a run written before."""
    schema = db.schema
    where_zh, where_en = db.where()
    if _same_place(db, inputs):
        raise DatabaseError(
            f"{where_zh}是本次读取图层的模式；结果不能写入输入模式（下次运行会把结果表当作图层读取）。"
            "请写入另一个模式，如 ?schema=results",
            f"{where_en} is the schema the layers are read from; results cannot go into the input "
            "schema (the next run would read them as layers). Write them to another schema, "
            "such as ?schema=results",
        )
    if not _schema_exists(conn, schema):
        return
    relations = _relations(conn, schema)
    mine = {RUNS_TABLE, STYLES_TABLE, *tables, *(f"latest_{t}" for t in tables)}
    inputs_here = sorted(
        name
        for name, (_, comment) in relations.items()
        if not _ours(comment)
        and name not in (STYLES_TABLE,)
        and (layer_for_name(name) is not None or str(comment or "").startswith(LOAD_MARK))
    )
    if inputs_here:
        names = "、".join(f"{schema}.{n}" for n in inputs_here)
        raise DatabaseError(
            f"{where_zh}中有输入图层（{names}），不是 landuse 写入的结果；结果不能写入输入模式，"
            "以免覆盖图层或在下次运行时被当作图层读取。请写入另一个模式，如 ?schema=results",
            f"{where_en} holds input layers ({', '.join(f'{schema}.{n}' for n in inputs_here)}) "
            "that landuse did not write; results cannot go into an input schema (they would "
            "replace layers, or be read as layers next time). Write them to another schema, "
            "such as ?schema=results",
        )
    foreign = sorted(
        n
        for n in mine & set(relations)
        if n != STYLES_TABLE and not _ours(relations[n][1])
    )
    if foreign:
        names = "、".join(f"{schema}.{n}" for n in foreign)
        raise DatabaseError(
            f"{where_zh}中的 {names} 不是 landuse 写入的评估结果，为防止丢失数据拒绝写入；"
            "请将结果写入另一个模式（?schema=results）",
            f"{where_en} holds {', '.join(f'{schema}.{n}' for n in foreign)}, which landuse did "
            "not write; refusing to write into it. Write results to another schema "
            "(?schema=results)",
        )
    if RUNS_TABLE in relations and not overwrite:
        before = _raw(conn).execute(
            sql.SQL(
                "SELECT run_id, written_at FROM {} WHERE rules = {} AND as_of = {} "
                "AND workspace = {} ORDER BY run_id DESC LIMIT 1"
            ).format(
                sql.Identifier(schema, RUNS_TABLE),
                *map(sql.Literal, (run.rules, run.as_of, run.workspace)),
            )
        ).fetchone()
        if before is not None:
            raise OutputExistsError(
                f"{where_zh}已有同一工作区、规则集 {run.rules}、考核日期 {run.as_of:%Y-%m-%d} 的结果"
                f"（运行 {before[0]}，{before[1]:%Y-%m-%d %H:%M}）；如需再写一次请加 --overwrite"
                "（历史结果保留，latest_ 视图显示最新一次）",
                f"{where_en} already has results of this workspace, rules {run.rules} as of "
                f"{run.as_of:%Y-%m-%d} (run {before[0]}, {before[1]:%Y-%m-%d %H:%M}); pass "
                "--overwrite to write another run (the earlier one stays in the history; the "
                "latest_ views show the newest)",
            )


def _blockers(db: DatabaseURL) -> list[str]:
    """Sessions holding locks on the schema's tables (or landuse's writer lock), for a message."""
    try:
        with _connect(db) as conn:
            rows = conn.execute(
                sa.text("""
                SELECT a.pid, a.usename, a.application_name,
                       coalesce(host(a.client_addr), 'local'), a.state,
                       to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS'), l.mode
                FROM pg_locks l
                JOIN pg_stat_activity a ON a.pid = l.pid
                LEFT JOIN pg_class c ON c.oid = l.relation
                LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE l.granted AND a.pid <> pg_backend_pid()
                  AND (n.nspname = :s OR l.locktype = 'advisory')
                ORDER BY (l.mode = 'AccessShareLock'), a.pid
            """),
                {"s": db.schema},
            ).all()
    except (DatabaseError, sa.exc.SQLAlchemyError, psycopg.Error):
        return []  # the message then says less, but says it
    seen: dict[int, str] = {}
    for pid, user, app, client, state, since, mode in rows:
        if pid not in seen:
            seen[pid] = (
                f"pid {pid} ({user}@{client}, {app or '-'}, {state}, {mode}"
                + (f", since {since}" if since else "")
                + ")"
            )
    return list(seen.values())


def _lock_error(err: BaseException) -> bool:
    orig = getattr(err, "orig", None) or err
    return getattr(getattr(orig, "diag", None), "sqlstate", None) == "55P03" or (
        psycopg is not None and isinstance(orig, psycopg.errors.LockNotAvailable)
    )


def check_results_target(
    url: str,
    run: Run,
    *,
    tables: Sequence[str] = RESULT_TABLES,
    crs: Any = None,
    overwrite: bool = False,
    inputs: str | None = None,
) -> None:
    """Check, before anything is computed, that results can be written to ``url``.

    Connects, checks PostGIS, that the schema is not the input schema and
    holds no table in the way, that no run of the same workspace, rules and
    date is there (unless ``overwrite``), and that ``crs`` has an SRID or
    may be registered. Writes nothing.

    Raises
    ------
    DatabaseError, OutputExistsError
        As :func:`write_results` would, only sooner.
    """
    db = parse_url(url)
    _identifier(db.schema, "模式")
    with (
        _connect(db) as conn,
        _translated(db, "检查输出位置", "checking the output"),
        conn.begin() as transaction,
    ):
        _require_postgis(conn, db)
        _check_target(conn, db, tables, run, overwrite=overwrite, inputs=inputs)
        if crs is not None:
            _srid(conn, crs, db)
        transaction.rollback()  # a CRS the check registered is registered by the write


def write_results(
    tables: dict[str, pd.DataFrame],
    url: str,
    run: Run,
    *,
    styles: dict[str, str] | None = None,
    overwrite: bool = False,
    inputs: str | None = None,
    lock_timeout: float = 30.0,
) -> list[str]:
    """Add one run's result tables to the history in a PostGIS schema, all or nothing.

    The schema holds a ``runs`` table (one row per run: ``run_id``, rules,
    as-of date, workspace, who, when, landuse version) and one table per
    result (``counties``, ``batches``...), keyed by ``(run_id, fid)``, with
    lower-case snake_case columns, Chinese column comments and a
    ``geometry(MultiPolygon, SRID)`` column. Views ``latest_<table>`` show
    the newest run of each as-of date. Tables are created on the first
    write; later runs INSERT into them (columns a rule set adds are added),
    so grants, the user's views and comments stay. Everything happens in one
    transaction; a failure or a killed process leaves the history as it was.

    Parameters
    ----------
    tables : dict of str to (Geo)DataFrame
        Table name → rows. A GeoDataFrame's geometry becomes the ``geometry``
        column in its CRS's SRID.
    url : str
        ``postgresql://…?schema=NAME``; the schema is created if missing.
    run : Run
        What this run is.
    styles : dict of str to str, optional
        Table name → QGIS style (QML), stored in ``layer_styles`` for the
        table and its ``latest_`` view.
    overwrite : bool, default False
        Write even when a run of the same workspace, rules and date is there
        (it stays in the history).
    inputs : str, optional
        The workspace's URL: results are never written into it.
    lock_timeout : float, default 30
        Seconds to wait for a lock another session holds; then the write
        fails naming that session.

    Returns
    -------
    list of str
        ``<schema>.<table>`` written, ``runs`` first.

    Raises
    ------
    DatabaseError
        Server unreachable, a statement failed, a lock not granted in time,
        the input schema, a table landuse did not write in the way, a CRS
        without EPSG code that may not be registered.
    OutputExistsError
        A run of the same workspace, rules and date exists and ``overwrite`` is False.
    """
    db = parse_url(url)
    _identifier(db.schema, "模式")
    for name in tables:
        _identifier(f"latest_{name}", "表")
    run = run if run.version else Run(run.rules, run.as_of, run.workspace, _version())
    schema = db.schema
    try:
        with _connect(db) as conn, _translated(db, "写入评估结果", "writing the results"):
            with conn.begin():  # commits only when every table is in place
                _require_postgis(conn, db)
                conn.execute(
                    sa.text("SELECT set_config('lock_timeout', :t, true)"),
                    {"t": f"{max(int(lock_timeout * 1000), 1)}ms"},
                )
                # One writer per schema at a time.
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(hashtext('landuse:' || :s))"),
                    {"s": schema},
                )
                _check_target(conn, db, list(tables), run, overwrite=overwrite, inputs=inputs)
                prepared = {n: _prepare(conn, db, n, f) for n, f in tables.items()}
                run_id = _add_run(conn, db, run)
                for item in prepared.values():
                    with _translated(db, "写入", "writing", item.name):
                        _append(conn, db, item, run_id, tables[item.name])
                if styles:
                    _write_styles(conn, db, {n: q for n, q in styles.items() if n in prepared},
                                  prepared)
            _log.info("wrote run %s to %s: %s", run_id, db.shown, ", ".join(tables))
    except DatabaseError as err:
        if _lock_error(err.__cause__ or err):
            who = _blockers(db)
            held = "; ".join(who) or "?"
            zh, en = db.where()
            raise DatabaseError(
                f"{zh}：等待锁超过 {lock_timeout:g} 秒，未写入任何内容。占用的会话：{held}。"
                "请待其结束（或由管理员执行 SELECT pg_terminate_backend(pid)）后重试",
                f"{en}: waited over {lock_timeout:g} s for a lock; nothing was written. Held by: "
                f"{held}. Retry when it ends (or an administrator runs "
                "SELECT pg_terminate_backend(pid))",
            ) from err
        raise
    return [f"{schema}.{RUNS_TABLE}", *(f"{schema}.{n}" for n in tables)]


def _add_run(conn: Any, db: DatabaseURL, run: Run) -> int:
    raw = _raw(conn)
    schema = sql.Identifier(db.schema)
    runs = sql.Identifier(db.schema, RUNS_TABLE)
    with _translated(db, "登记运行", "registering the run", RUNS_TABLE):
        if not _schema_exists(conn, db.schema):
            raw.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
        if RUNS_TABLE not in _relations(conn, db.schema):
            raw.execute(
                sql.SQL("""
                CREATE TABLE {} (
                    run_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                    rules text NOT NULL,
                    as_of date NOT NULL,
                    workspace text,
                    written_by text NOT NULL DEFAULT current_user,
                    written_at timestamptz NOT NULL DEFAULT now(),
                    landuse_version text
                )""").format(runs)
            )
            raw.execute(
                sql.SQL("COMMENT ON TABLE {} IS {}").format(
                    runs, sql.Literal(f"{RESULT_MARK}: {RUNS_TABLE}; {_TABLE_COMMENTS['runs']}")
                )
            )
            for column, comment in (
                ("run_id", "运行编号"),
                ("rules", "规则集"),
                ("as_of", "考核日期"),
                ("workspace", "工作区（输入图层所在位置，不含密码）"),
                ("written_by", "写入的数据库用户"),
                ("written_at", "写入时间"),
                ("landuse_version", "landuse 版本"),
            ):
                raw.execute(
                    sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                        runs, sql.Identifier(column), sql.Literal(comment)
                    )
                )
        # Values as literals: a "%" in a quoted schema name would read as a placeholder.
        found = raw.execute(
            sql.SQL(
                "INSERT INTO {} (rules, as_of, workspace, landuse_version) "
                "VALUES ({}, {}, {}, {}) RETURNING run_id"
            ).format(runs, *map(sql.Literal, (run.rules, run.as_of, run.workspace, run.version)))
        ).fetchone()
    return int(found[0])


def _append(conn: Any, db: DatabaseURL, item: _Prepared, run_id: int, frame: pd.DataFrame) -> None:
    """Create the table (first run) or add missing columns, then COPY the run's rows."""
    raw = _raw(conn)
    target = sql.Identifier(db.schema, item.name)
    existing = _columns_of(conn, db.schema, item.name)
    view_stale = False
    if not existing:
        definitions = [
            sql.SQL("run_id bigint NOT NULL REFERENCES {} ON DELETE CASCADE").format(
                sql.Identifier(db.schema, RUNS_TABLE)
            ),
            sql.SQL("fid integer NOT NULL"),
        ]
        definitions += [
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
            for c, t in zip(item.columns, item.types, strict=True)
        ]
        definitions.append(sql.SQL("PRIMARY KEY (run_id, fid)"))
        raw.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(definitions)))
        if item.geometry:
            raw.execute(
                sql.SQL("CREATE INDEX ON {} USING gist ({})").format(
                    target, sql.Identifier(item.geometry)
                )
            )
        label = _TABLE_COMMENTS.get(item.name, item.name)
        raw.execute(
            sql.SQL("COMMENT ON TABLE {} IS {}").format(
                target, sql.Literal(f"{RESULT_MARK}: {item.name}; {label}")
            )
        )
        for column in ("run_id", "fid", *item.columns):
            raw.execute(
                sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                    target, sql.Identifier(column), sql.Literal(_column_comment(column))
                )
            )
        view_stale = True
    else:
        if "run_id" not in existing:
            zh, en = db.where(item.name)
            raise DatabaseError(
                f"{zh}是旧版 landuse 写入的结果（没有运行历史），不能在其上追加；"
                "请写入一个新模式，或由管理员先改名或删除该表",
                f"{en} was written by an earlier landuse (no run history) and cannot be added "
                "to; write to a new schema, or have it renamed or dropped first",
            )
        if item.geometry and item.geometry in existing:
            declared = existing[item.geometry]
            match = re.search(r",\s*(\d+)\)", declared)
            if match and int(match.group(1)) != item.srid:
                zh, en = db.where(item.name)
                raise DatabaseError(
                    f"{zh}中已有结果的坐标系为 SRID {match.group(1)}，本次为 SRID {item.srid}；"
                    "同一历史中的结果须在同一坐标系，请换一个模式或转换坐标系（--crs）",
                    f"{en} holds results in SRID {match.group(1)}, this run is in SRID "
                    f"{item.srid}; one history keeps one CRS: write to another schema or "
                    "reproject (--crs)",
                )
        for column, kind in zip(item.columns, item.types, strict=True):
            if column not in existing:
                raw.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                        target, sql.Identifier(column), sql.SQL(kind)
                    )
                )
                raw.execute(
                    sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                        target, sql.Identifier(column), sql.Literal(_column_comment(column))
                    )
                )
                view_stale = True
    view = f"latest_{item.name}"
    if view_stale or view not in _relations(conn, db.schema):
        raw.execute(
            sql.SQL("""
            CREATE OR REPLACE VIEW {view} AS
            SELECT r.as_of, r.rules, t.*
            FROM {table} t JOIN {runs} r ON r.run_id = t.run_id
            WHERE t.run_id IN (
                SELECT DISTINCT ON (as_of) run_id FROM {runs} ORDER BY as_of, run_id DESC)
            """).format(
                view=sql.Identifier(db.schema, view),
                table=target,
                runs=sql.Identifier(db.schema, RUNS_TABLE),
            )
        )
        raw.execute(
            sql.SQL("COMMENT ON VIEW {} IS {}").format(
                sql.Identifier(db.schema, view),
                sql.Literal(
                    f"{RESULT_MARK}: {view}; {_TABLE_COMMENTS.get(item.name, item.name)}"
                    "（每个考核日期最新一次运行）"
                ),
            )
        )
    names = ["run_id", "fid", *item.columns]
    # A column typed otherwise by an earlier run (a number column all empty then, say):
    # COPY into a staging table of this run's types, then INSERT with casts to the table's.
    differ = [
        c for c, t in zip(item.columns, item.types, strict=True)
        if c in existing and _type_key(existing[c]) != _type_key(t)
    ]
    into = target
    if differ:
        into = sql.Identifier(f"landuse_stage_{secrets.token_hex(4)}")
        columns = [sql.SQL("run_id bigint"), sql.SQL("fid integer")] + [
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
            for c, t in zip(item.columns, item.types, strict=True)
        ]
        raw.execute(sql.SQL("CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP").format(
            into, sql.SQL(", ").join(columns)))
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        into, sql.SQL(", ").join(map(sql.Identifier, names))
    )
    with raw.cursor().copy(copy) as out:
        for number, row in enumerate(zip(*item.data, strict=True), start=1):
            out.write_row((run_id, number, *row))
        if not item.columns:
            for number in range(1, item.rows + 1):
                out.write_row((run_id, number))
    if differ:
        casts = [
            sql.SQL("{}::{}").format(sql.Identifier(c), sql.SQL(existing[c])) if c in differ
            else sql.Identifier(c)
            for c in names
        ]
        raw.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
            target, sql.SQL(", ").join(map(sql.Identifier, names)), sql.SQL(", ").join(casts),
            into))
        raw.execute(sql.SQL("DROP TABLE {}").format(into))


def _type_key(kind: str) -> str:
    """A SQL type spelled one way: ``timestamp with time zone`` = ``timestamptz``..."""
    key = kind.lower().replace(" ", "")
    return {
        "timestampwithouttimezone": "timestamp",
        "timestampwithtimezone": "timestamptz",
    }.get(key, key)


def _write_styles(
    conn: Any, db: DatabaseURL, styles: dict[str, str], prepared: dict[str, _Prepared]
) -> None:
    """Store each table's QML in ``layer_styles`` as QGIS does, for the table and its view."""
    raw = _raw(conn)
    target = sql.Identifier(db.schema, STYLES_TABLE)
    with _translated(db, "写入图层样式", "writing the layer styles", STYLES_TABLE):
        if STYLES_TABLE not in _relations(conn, db.schema):
            raw.execute(
                sql.SQL("""
                CREATE TABLE {} (
                    id serial PRIMARY KEY,
                    f_table_catalog varchar(256), f_table_schema varchar(256),
                    f_table_name varchar(256), f_geometry_column varchar(256),
                    stylename text, styleqml xml, stylesld xml, useasdefault boolean,
                    description text, owner varchar(63) DEFAULT current_user, ui xml,
                    update_time timestamp DEFAULT now(), type varchar
                )""").format(target)
            )
            raw.execute(
                sql.SQL("COMMENT ON TABLE {} IS {}").format(
                    target, sql.Literal("QGIS 图层样式（landuse 写入其结果表的样式）")
                )
            )
        names = [n for n in styles if prepared[n].geometry]
        _put_styles(raw, target, db.schema, names, styles, prepared)
        # QGIS loads a layer's default style from public.layer_styles: there too, when
        # the DBA made it (or QGIS did) and lets this role write it.
        shared = conn.execute(
            sa.text(
                "SELECT has_table_privilege(c.oid, 'INSERT') AND has_table_privilege(c.oid, 'DELETE') "
                "FROM pg_class c WHERE c.oid = to_regclass('public.layer_styles')"
            )
        ).scalar()
        if shared and db.schema != "public":
            _put_styles(raw, sql.Identifier("public", STYLES_TABLE), db.schema, names, styles,
                        prepared)


def _put_styles(
    raw: Any,
    target: Any,
    schema: str,
    names: list[str],
    styles: dict[str, str],
    prepared: dict[str, _Prepared],
) -> None:
    """Replace landuse's style rows for ``names`` (tables and their views) in one styles table."""
    layers = [*names, *(f"latest_{n}" for n in names)]
    raw.execute(
        sql.SQL(
            "DELETE FROM {} WHERE f_table_schema = {} AND f_table_name = ANY ({}) "
            "AND stylename = {}"
        ).format(target, *map(sql.Literal, (schema, layers, _STYLE_NAME)))
    )
    for name in names:
        for layer in (name, f"latest_{name}"):
            values = (schema, layer, prepared[name].geometry, _STYLE_NAME, styles[name],
                      f"landuse: {name}")
            raw.execute(
                sql.SQL(
                    "INSERT INTO {} (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, stylename, styleqml, useasdefault, description) "
                    "VALUES (current_database(), {}, {}, {}, {}, {}, true, {})"
                ).format(target, *map(sql.Literal, values))
            )


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
    workspace_path: str | os.PathLike, url: str, *, overwrite: bool = False
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
                _log.warning(
                    "layer %s has several sources; %s%s is not loaded",
                    layer,
                    other.name,
                    f":{other_sub}" if other_sub else "",
                )
            raw = read_layer(layer, path, sublayer, root)
            for problem in raw.problems:
                _log.warning("%s", problem.message_en or problem.message)
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
            _log.warning("%s is not a known layer; not loaded", ignored.name)
        if sources.landcover is not None:
            _log.warning(
                "%s (land cover) is a raster; not loaded, keep it as a file", sources.landcover.name
            )
    # One transaction: it commits only when every table is in place.
    with _connect(db) as conn, _translated(db, "导入图层", "loading the layers"), conn.begin():
        _require_postgis(conn, db)
        written = _replace_tables(
            conn, db, frames, comments, overwrite=overwrite, replaceable=_loaded
        )
    _log.info("loaded %s into %s: %s", workspace_path, db.shown, written)
    return written
