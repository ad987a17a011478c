"""PostGIS connections: URLs without passwords, errors in the analyst's words, the catalogue."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pandas as pd
from pyproj import CRS

from landuse._errors import DatabaseError

try:
    import psycopg
    import sqlalchemy as sa
    from psycopg import sql
except ImportError:  # the postgis extra is not installed; _require says so
    psycopg = sa = sql = None  # type: ignore[assignment]


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


