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

from landuse.io.postgis._db import (
    LOAD_MARK,
    RESULT_MARK,
    RESULT_TABLES,
    DatabaseURL,
    is_database_url,
    parse_url,
)
from landuse.io.postgis.read import layer_names, read_workspace
from landuse.io.postgis.results import (
    Run,
    check_results_target,
    column_name,
    write_results,
)
from landuse.io.postgis.write import load_files

__all__ = [
    "LOAD_MARK",
    "RESULT_MARK",
    "RESULT_TABLES",
    "DatabaseURL",
    "Run",
    "check_results_target",
    "column_name",
    "is_database_url",
    "layer_names",
    "load_files",
    "parse_url",
    "read_workspace",
    "write_results",
]
