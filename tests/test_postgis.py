"""PostGIS: workspaces read from a schema, results written back, files loaded — on a real server.

The server is the one ``LANDUSE_TEST_PG_URL`` names (CI starts it with
``.ci/start-postgis.sh``), else a throwaway cluster of ``tests/pg.py``. Without
either the database tests skip, except under ``CI``, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from conftest import COUNTY_A, COUNTY_B, base_layers, square, write_workspace
from pg import ServerUnavailable, postgis_server

from landuse import DatabaseError, OutputExistsError, SchemaError, load_workspace, postgis
from landuse.assessment import assess, tables
from landuse.crs import ALBERS_CHINA
from landuse.io import discover, read_layer
from landuse.postgis import (
    RESULT_MARK,
    is_database_url,
    load_files,
    parse_url,
    read_workspace,
    workspace_from_postgis,
    write_assessment,
)
from landuse.workspace import sample_workspace

psycopg = pytest.importorskip("psycopg")
from psycopg import sql  # noqa: E402

MALICIOUS = 'x"; DROP TABLE batches; --'


def at(url: str, schema: str) -> str:
    """``url`` with ``?schema=`` (or ``&schema=``) added, percent-encoded."""
    return f"{url}{'&' if '?' in url else '?'}schema={quote(schema, safe='')}"


# --- URLs (no server needed) ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "schema", "shown"),
    [
        ("postgresql://me@db/land", "public", "postgresql://me@db/land?schema=public"),
        (
            "postgres://me:secret@db:5433/land?schema=zhumadian",
            "zhumadian",
            "postgresql://me@db:5433/land?schema=zhumadian",
        ),
        (
            "postgresql+psycopg://me:secret@db/land?schema=results&sslmode=require",
            "results",
            "postgresql://me@db/land?schema=results&sslmode=require",
        ),
        (
            "postgresql://me@db/land?schema=x%22%3B%20DROP%20TABLE%20batches%3B%20--&password=secret",
            MALICIOUS,
            "postgresql://me@db/land?schema=x%22%3B%20DROP%20TABLE%20batches%3B%20--",
        ),
        ("postgresql://me@db/land?schema=", "public", "postgresql://me@db/land?schema=public"),
    ],
)
def test_parse_url(url: str, schema: str, shown: str) -> None:
    db = parse_url(url)
    assert db.schema == schema
    assert db.shown == shown
    assert "secret" not in db.shown
    assert "schema" not in db.url.query
    assert db.url.drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("sqlite:///land.db", "not a PostgreSQL URL"),
        ("postgresql://me@db/land?schema=a&schema=b", "more than once"),
        ("postgresql://me@db/land?schema=" + "长" * 22, "63 bytes"),
    ],
)
def test_parse_url_rejects(url: str, match: str) -> None:
    with pytest.raises(DatabaseError, match=match):
        parse_url(url)


def test_is_database_url() -> None:
    assert is_database_url("postgres://db/land")
    assert not is_database_url("layers/zhumadian")
    assert not is_database_url(Path("postgresql:"))


def test_bad_filters_are_refused_before_connecting() -> None:
    with pytest.raises(SchemaError, match="6 digits"):
        read_workspace("postgresql://me@127.0.0.1:1/land", counties=["4117"])
    with pytest.raises(SchemaError, match="not a date"):
        read_workspace("postgresql://me@127.0.0.1:1/land", approved_to="soon")


def test_unreachable_server_names_it_but_not_the_password() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://analyst:hunter2@127.0.0.1:{port}/land?schema=zhumadian"
    with pytest.raises(DatabaseError) as err:
        read_workspace(url)
    assert f"127.0.0.1:{port}/land" in err.value.en
    assert "zhumadian" in err.value.zh
    assert "hunter2" not in str(err.value)
    assert "hunter2" not in repr(err.value.__cause__)


# --- the server ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database with PostGIS: skip without one, fail under CI."""
    stack = contextlib.ExitStack()
    try:
        url = stack.enter_context(postgis_server())
    except ServerUnavailable as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL with PostGIS for the database tests: {err}")
        pytest.skip(f"no PostgreSQL with PostGIS: {err}")
    with stack:
        yield url


@pytest.fixture(scope="session")
def schemas(pg_url: str) -> Iterator[Callable[[str], str]]:
    """Return a function giving a new schema name for a prefix; all are dropped at the end,
    so a shared server (``LANDUSE_TEST_PG_URL``) is left as it was."""
    made: list[str] = []

    def new(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        made.append(name)
        return name

    yield new
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for schema in made:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def query(pg_url: str, statement: sql.Composable | str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(pg_url) as conn:
        cur = conn.execute(statement, params or None)
        return cur.fetchall() if cur.description else []


def table_names(pg_url: str, schema: str) -> set[str]:
    rows = query(
        pg_url,
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind = 'r'",
        (schema,),
    )
    return {r[0] for r in rows}


def fingerprint(pg_url: str, schema: str, table: str) -> tuple[int, str, str]:
    """Rows, an md5 of every row's text, and the comment of a table."""
    count, digest = query(
        pg_url,
        sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
        ).format(sql.Identifier(schema, table)),
    )[0]
    comment = query(
        pg_url,
        "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s",
        (schema, table),
    )[0][0]
    return count, digest, comment


@pytest.fixture(scope="module")
def sample_db(pg_url: str, schemas: Callable[[str], str]) -> tuple[str, dict[str, int]]:
    """The bundled sample workspace loaded into a schema: (URL, rows per table)."""
    url = at(pg_url, schemas("zhumadian"))
    return url, load_files(sample_workspace(), url)


@pytest.fixture(scope="module")
def sample_assessed(sample_db: tuple[str, dict[str, int]]) -> tuple:
    """The sample assessed as of 2018-12-31 from files and from the database."""
    url, _ = sample_db
    from_files = assess(load_workspace(), "zhumadian-2018", "2018-12-31")
    from_db = assess(load_workspace(url), "zhumadian-2018", "2018-12-31")
    return from_files, from_db


@pytest.fixture(scope="module")
def canary(pg_url: str) -> Iterator[str]:
    """A ``public.batches`` table: what a pasted ``DROP TABLE batches`` would drop."""
    existed = ("public", "batches") in {("public", n) for n in table_names(pg_url, "public")}
    if not existed:
        query(pg_url, "CREATE TABLE public.batches (id int); INSERT INTO public.batches VALUES (1)")
    yield "public.batches"
    if not existed:
        query(pg_url, "DROP TABLE IF EXISTS public.batches")


def small_workspace(tmp_path: Path, **changes: list[dict]) -> Path:
    """The two-county synthetic workspace of ``conftest``, as one GeoPackage."""
    layers = base_layers()
    layers.update(changes)
    return write_workspace(tmp_path, layers, fmt="gpkg")


# --- the sample: same results from the database as from files ------------------------------
@pytest.mark.postgis
def test_sample_from_postgis_gives_the_same_counties_csv(
    sample_db: tuple[str, dict[str, int]], sample_assessed: tuple
) -> None:
    url, loaded = sample_db
    from_db = sample_assessed[1].workspace
    # Every row of every layer file is loaded, into a table named as the file.
    root = sample_workspace()
    sources = discover(root)
    rows = {}
    for layer, found in sources.layers.items():
        raw = read_layer(layer, *found[0], root)
        rows[raw.source.split(":")[-1].rsplit(".", 1)[0]] = len(raw.frame)
    assert loaded == rows
    assert set(loaded) == {"供地", "县区", "失效撤回核减", "批次", "计划指标", "闲置土地"}
    schema = parse_url(url).schema
    assert sorted(from_db.sources.values()) == sorted(f"{schema}.{t}" for t in loaded)

    files, db = (tables(a) for a in sample_assessed)
    pd.testing.assert_frame_equal(db["counties"], files["counties"], check_exact=True)
    assert db["counties"].to_csv(index=False) == files["counties"].to_csv(index=False)
    pd.testing.assert_frame_equal(db["batches"], files["batches"], check_exact=True)

    # The same validation: the same problems on the same rows (fid holds the file's row).
    key = ["layer", "feature_id", "field", "severity", "row"]
    same = db["problems"][key].astype(str).sort_values(key).reset_index(drop=True)
    # ...but for the note that the spreadsheet's header is on line 3, which the table has not.
    file_problems = files["problems"][~files["problems"]["message_en"].str.contains("header found")]
    expected = file_problems[key].astype(str).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(same, expected)


@pytest.mark.postgis
def test_county_filter_is_pushed_down_and_keeps_the_county_whole(
    sample_db: tuple[str, dict[str, int]], sample_assessed: tuple
) -> None:
    url, _ = sample_db
    code = "411702"
    full = sample_assessed[1].workspace
    everything, _, _, _ = read_workspace(url)
    raws, _, _, _ = read_workspace(url, counties=[code])
    read = {raw.layer: len(raw.frame) for raw in raws}
    total = {raw.layer: len(raw.frame) for raw in everything}
    assert read["counties"] == 1
    assert total["counties"] == 11
    for layer in ("batches", "supplies", "idle", "revocations", "quotas"):
        assert 0 < read[layer] < total[layer] / 3, layer

    # Exactly the county's rows are read: those without a code found by location or batch.
    ws = workspace_from_postgis(url, counties=[code])
    for layer in ("counties", "batches", "supplies", "idle", "quotas"):
        assert len(ws.layer(layer)) == int((full.layer(layer)["county_code"] == code).sum()), layer
    assert not any("no county" in p.message_en for p in ws.problems)
    one = tables(assess(ws, "zhumadian-2018", "2018-12-31"))["counties"]
    all_ = tables(sample_assessed[1])["counties"]
    # Rank and little / much stock compare counties with each other: not comparable here.
    relative = ["rank", "ranking", "little_stock", "scale_treatment", "devzone_treatment"]
    pd.testing.assert_frame_equal(
        one.drop(columns=relative),
        all_[all_["county_code"] == code].drop(columns=relative).reset_index(drop=True),
        check_exact=True,
    )


# --- pushdown on hand-made data ------------------------------------------------------------
@pytest.mark.postgis
def test_rows_without_a_county_code_follow_their_location_or_batch(
    tmp_path: Path, pg_url: str, schemas: Callable[[str], str]
) -> None:
    layers = base_layers()
    layers["supplies"] += [
        # no code, inside county A
        {
            "parcel_id": "P-LOCATED",
            "batch_id": None,
            "county_code": None,
            "supply_date": "2018-01-01",
            "area_ha": 1.0,
            "geometry": square(2_000, 2_000),
        },
        # no code, no geometry, naming batch B1 (in A)
        {
            "parcel_id": "P-VIA-BATCH",
            "batch_id": "B1",
            "county_code": None,
            "supply_date": "2018-01-01",
            "area_ha": 0.5,
            "geometry": None,
        },
        # no code, inside county B
        {
            "parcel_id": "P-IN-B",
            "batch_id": None,
            "county_code": None,
            "supply_date": "2018-01-01",
            "area_ha": 1.0,
            "geometry": square(12_000, 2_000),
        },
    ]
    url = at(pg_url, schemas("located"))
    load_files(write_workspace(tmp_path, layers), url)

    def parcels(codes: list[str]) -> set[str]:
        raws, _, _, _ = read_workspace(url, counties=codes)
        supplies = next(r for r in raws if r.layer == "supplies").frame
        return set(supplies["parcel_id"])

    assert parcels([COUNTY_A]) == {
        "4117022017B00001",
        "4117022018B00002",
        "P-LOCATED",
        "P-VIA-BATCH",
    }
    assert parcels([COUNTY_B]) == {"P-IN-B"}
    ws = workspace_from_postgis(url, counties=[COUNTY_A])
    assert set(ws.supplies["county_code"]) == {COUNTY_A}
    assert not [p for p in ws.problems if p.severity == "error"]


@pytest.fixture(scope="module")
def small_db(
    tmp_path_factory: pytest.TempPathFactory, pg_url: str, schemas: Callable[[str], str]
) -> tuple[str, str]:
    """The synthetic workspace loaded into a schema: (schema, URL)."""
    schema = schemas("small")
    url = at(pg_url, schema)
    load_files(small_workspace(tmp_path_factory.mktemp("small")), url)
    return schema, url


@pytest.mark.postgis
@pytest.mark.parametrize(
    ("sql_type", "pushed"),
    [
        ("text", False),
        ("date", True),
        ("timestamp", True),
        ("timestamptz", True),
    ],
)
def test_approval_dates_are_pushed_down_when_typed(
    small_db: tuple[str, str], pg_url: str, sql_type: str, pushed: bool
) -> None:
    schema, url = small_db
    query(
        pg_url,
        sql.SQL("ALTER TABLE {} ALTER COLUMN approval_date TYPE {} USING approval_date::{}").format(
            sql.Identifier(schema, "batches"), sql.SQL(sql_type), sql.SQL(sql_type)
        ),
    )
    everything, _, _, _ = read_workspace(url)
    raws, _, _, _ = read_workspace(url, approved_from="2016-01-01", approved_to="2016-05-01")
    by_layer = {raw.layer: raw for raw in raws}
    batches = by_layer["batches"].frame
    if pushed:
        assert list(batches["batch_id"]) == ["B1"]  # B2, approved 2015, is not read
        assert by_layer["revocations"].frame.empty  # nor its lapse
    else:
        assert sorted(batches["batch_id"]) == ["B1", "B2"]
    # A row keeps its number whatever is filtered.
    full = next(r for r in everything if r.layer == "batches")
    numbers = dict(zip(full.frame["batch_id"], full.rows, strict=True))
    assert all(
        numbers[b] == r for b, r in zip(batches["batch_id"], by_layer["batches"].rows, strict=True)
    )
    raws, _, _, _ = read_workspace(url, approved_to="2016-05-01")  # bounds included
    assert sorted(next(r for r in raws if r.layer == "batches").frame["batch_id"]) == ["B1", "B2"]


@pytest.mark.postgis
def test_hand_made_tables_generic_geometry_numeric_and_no_primary_key(
    pg_url: str, schemas: Callable[[str], str]
) -> None:
    """Tables as a bureau's DBA makes them: a geometry column without SRID, numeric columns, no key."""
    schema = schemas("handmade")
    s = sql.Identifier(schema)
    a, b = square(0, 0, 10_000).wkt, square(10_000, 0, 10_000).wkt
    with psycopg.connect(pg_url) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(s))
        conn.execute(
            sql.SQL(
                'CREATE TABLE {}."县区" ("XZQDM" integer, "XZQMC" varchar(20), geom geometry)'
            ).format(s)
        )
        conn.execute(
            sql.SQL(
                'INSERT INTO {}."县区" VALUES (%s, %s, ST_GeomFromText(%s, 4547)), '
                "(%s, %s, ST_GeomFromText(%s, 4547))"
            ).format(s),
            (int(COUNTY_A), "驿城区", a, int(COUNTY_B), "西平县", b),
        )
        conn.execute(
            sql.SQL(
                'CREATE TABLE {}."Batches" (gid serial PRIMARY KEY, "PCBH" text, "PZRQ" date, '
                '"PZMJ" numeric(12, 4), geom geometry(MultiPolygon, 4547))'
            ).format(s)
        )
        conn.execute(
            sql.SQL(
                'INSERT INTO {}."Batches" ("PCBH", "PZRQ", "PZMJ", geom) VALUES '
                "('B1', '2016-05-01', 4.0000, ST_Multi(ST_GeomFromText(%s, 4547)))"
            ).format(s),
            (square(1_000, 1_000, 200).wkt,),
        )
        conn.execute(
            sql.SQL(
                'CREATE TABLE {}."计划指标" ("行政区代码" text, "年度" text, "因素法计划指标" numeric)'
            ).format(s)
        )
        conn.execute(
            sql.SQL(
                'INSERT INTO {}."计划指标" VALUES (%s, %s, 100.5), (%s, %s, 80), (%s, %s, 7)'
            ).format(s),
            (COUNTY_A, "2019", COUNTY_B, "2019", COUNTY_A, "明年"),
        )
        conn.execute(sql.SQL("CREATE TABLE {}.{} (id int)").format(s, sql.Identifier(MALICIOUS)))
        conn.execute(
            sql.SQL('CREATE TABLE {}."供地" ("电子监管号" text, "供地日期" date)').format(s)
        )
    ws = load_workspace(at(pg_url, schema))
    assert ws.crs.to_epsg() == 4547
    assert list(ws.counties["county_code"]) == [COUNTY_A, COUNTY_B]  # integer codes read as codes
    assert ws.batches["approved_ha"].tolist() == [4.0]
    assert ws.quotas["plan_base_ha"].tolist() == [100.5, 80.0]
    # The row without a primary key is named by its position: the third.
    bad = [p for p in ws.problems if p.layer == "quotas"]
    assert [(p.row, p.source) for p in bad] == [(3, f"{schema}.计划指标")]
    ignored = [p for p in ws.problems if p.layer == "workspace"]
    assert [p.source for p in ignored] == [f"{schema}.{MALICIOUS}"]


# --- identifiers are quoted, never pasted --------------------------------------------------
@pytest.mark.postgis
def test_malicious_schema_name_is_only_a_name(
    pg_url: str, small_assessments: tuple, canary: str
) -> None:
    with pytest.raises(DatabaseError, match="does not exist") as err:
        read_workspace(at(pg_url, MALICIOUS))
    assert MALICIOUS in err.value.en
    assert query(pg_url, f"SELECT count(*) FROM {canary}") == [(1,)]

    # Written to, it is created as a schema of that very name, and holds the results.
    try:
        written = write_assessment(small_assessments[0], at(pg_url, MALICIOUS))
        assert written[0] == f"{MALICIOUS}.counties"
        assert table_names(pg_url, MALICIOUS) == set(postgis.RESULT_TABLES)
        assert query(pg_url, f"SELECT count(*) FROM {canary}") == [(1,)]
    finally:
        query(pg_url, sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(MALICIOUS)))


@pytest.mark.postgis
def test_names_with_quotes_and_percent_signs_round_trip(
    tmp_path: Path, pg_url: str, schemas: Callable[[str], str], canary: str
) -> None:
    schema = schemas('50%_o\'neil "q"')
    url = at(pg_url, schema)
    loaded = load_files(small_workspace(tmp_path), url)
    ws = workspace_from_postgis(url, counties=[COUNTY_A], approved_to="2018-12-31")
    assert len(ws.counties) == 1
    assert sorted(ws.sources.values()) == sorted(f"{schema}.{t}" for t in loaded)
    out = schemas("out 'x' %s")
    write_assessment(assess(ws, "zhumadian-2018", "2018-12-31"), at(pg_url, out))
    assert table_names(pg_url, out) == set(postgis.RESULT_TABLES)
    assert query(pg_url, f"SELECT count(*) FROM {canary}") == [(1,)]


# --- writing results: one transaction ------------------------------------------------------
@pytest.fixture(scope="module")
def small_assessments(small_db: tuple[str, str]) -> tuple:
    """Two different assessments of the synthetic workspace (as of two dates)."""
    ws = load_workspace(small_db[1])
    return assess(ws, "zhumadian-2018", "2018-12-31"), assess(ws, "zhumadian-2018", "2018-09-30")


@pytest.mark.postgis
def test_results_are_written_typed_with_geometries(
    small_assessments: tuple, pg_url: str, schemas: Callable[[str], str]
) -> None:
    first, _ = small_assessments
    schema = schemas("results")
    assert write_assessment(first, at(pg_url, schema)) == [
        f"{schema}.{t}" for t in postgis.RESULT_TABLES
    ]
    geometry = query(
        pg_url,
        "SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = %s",
        (schema,),
    )
    assert dict(geometry) == {
        "counties": 4547,
        "batches": 4547,
        "supplies": 4547,
        "idle": 4547,
        "candidates": 4547,
    }
    with psycopg.connect(pg_url) as conn:
        cur = conn.execute(
            sql.SQL(
                'SELECT county_code, outcome, "T2_met", "T2_rate", '
                "ST_Area(geometry) / 10000 FROM {} ORDER BY county_code"
            ).format(sql.Identifier(schema, "counties"))
        )
        rows = cur.fetchall()
    expected = first.counties
    assert [r[0] for r in rows] == list(expected["county_code"])
    assert [r[1] for r in rows] == list(expected["outcome"])
    assert [r[2] for r in rows] == [None if pd.isna(v) else bool(v) for v in expected["T2_met"]]
    assert [r[3] for r in rows] == [None if pd.isna(v) else v for v in expected["T2_rate"]]
    assert [round(r[4]) for r in rows] == [10_000, 10_000]
    problems = query(
        pg_url, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "problems"))
    )
    assert problems == [(len(tables(first)["problems"]),)]
    assert fingerprint(pg_url, schema, "counties")[2].startswith(RESULT_MARK)


class Interrupted(RuntimeError):
    """The injected failure."""


@pytest.mark.postgis
@pytest.mark.parametrize("how", ["exception", "killed connection"])
def test_a_failure_half_way_leaves_the_previous_results_intact(
    small_assessments: tuple,
    pg_url: str,
    schemas: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    first, second = small_assessments
    schema = schemas("results")
    url = at(pg_url, schema)
    write_assessment(first, url)
    before = {t: fingerprint(pg_url, schema, t) for t in postgis.RESULT_TABLES}

    real = postgis._write_frame
    calls: list[str] = []

    def failing(conn, db, table, frame):  # the writer of the third table fails
        calls.append(table)
        if len(calls) == 3:
            if how == "exception":
                raise Interrupted("injected")
            pid = postgis._raw(conn).info.backend_pid
            query(pg_url, "SELECT pg_terminate_backend(%s)", (pid,))
        return real(conn, db, table, frame)

    monkeypatch.setattr(postgis, "_write_frame", failing)
    with pytest.raises(Interrupted if how == "exception" else DatabaseError):
        write_assessment(second, url)
    assert len(calls) == 3
    assert {t: fingerprint(pg_url, schema, t) for t in postgis.RESULT_TABLES} == before
    assert table_names(pg_url, schema) == set(postgis.RESULT_TABLES)  # no half-written table left

    monkeypatch.setattr(postgis, "_write_frame", real)
    write_assessment(second, url)
    after = {t: fingerprint(pg_url, schema, t) for t in postgis.RESULT_TABLES}
    assert after["counties"][1] != before["counties"][1]


@pytest.mark.postgis
def test_results_never_replace_tables_landuse_did_not_write(
    small_assessments: tuple, pg_url: str, schemas: Callable[[str], str]
) -> None:
    first, _ = small_assessments
    schema = schemas("inputs")
    query(
        pg_url,
        sql.SQL(
            "CREATE SCHEMA {0}; CREATE TABLE {1} (county_code text); "
            "INSERT INTO {1} VALUES ('411702')"
        ).format(sql.Identifier(schema), sql.Identifier(schema, "counties")),
    )
    with pytest.raises(DatabaseError, match="did not write"):
        write_assessment(first, at(pg_url, schema))
    assert table_names(pg_url, schema) == {"counties"}
    assert query(
        pg_url, sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, "counties"))
    ) == [("411702",)]


@pytest.mark.postgis
def test_existing_tables_need_overwrite(
    small_assessments: tuple, tmp_path: Path, pg_url: str, schemas: Callable[[str], str]
) -> None:
    first, second = small_assessments
    url = at(pg_url, schemas("results"))
    write_assessment(first, url)
    with pytest.raises(OutputExistsError, match="overwrite"):
        write_assessment(second, url, overwrite=False)
    source = small_workspace(tmp_path / "again")
    target = at(pg_url, schemas("loaded"))
    assert load_files(source, target)["batches"] == 2
    with pytest.raises(OutputExistsError, match="overwrite"):
        load_files(source, target)
    assert load_files(source, target, overwrite=True)["batches"] == 2


@pytest.mark.postgis
def test_password_is_never_shown(sample_db: tuple[str, dict[str, int]]) -> None:
    url, _ = sample_db
    db = parse_url(url)
    if not db.url.password:  # a trust-auth test server takes any password
        url = url.replace(f"{db.url.username}@", f"{db.url.username}:not-to-be-shown@", 1)
    password = parse_url(url).url.password
    ws = load_workspace(url)
    shown = [ws.source, *ws.sources.values(), *(p.message + p.message_en for p in ws.problems)]
    assert not any(password in text for text in shown)
    with pytest.raises(DatabaseError) as err:
        read_workspace(url.replace(f"schema={db.schema}", "schema=nowhere"))
    assert password not in str(err.value)


@pytest.mark.postgis
def test_a_crs_without_epsg_code_keeps_its_definition(
    tmp_path: Path, pg_url: str, schemas: Callable[[str], str]
) -> None:
    albers = ALBERS_CHINA
    assert albers.to_epsg() is None
    root = write_workspace(tmp_path, base_layers(), crs=albers)
    url = at(pg_url, schemas("albers"))
    load_files(root, url)
    srid = query(
        pg_url,
        "SELECT srid FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = 'counties'",
        (parse_url(url).schema,),
    )[0][0]
    may_register = query(pg_url, "SELECT has_table_privilege('spatial_ref_sys', 'INSERT')")[0][0]
    if may_register:
        assert srid >= 910_000
        raws, _, _, _ = read_workspace(url)
        assert next(r for r in raws if r.layer == "counties").frame.crs.equals(albers)
    else:  # written without SRID, and said so
        assert srid == 0
