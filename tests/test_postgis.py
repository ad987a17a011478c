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

from landuse import DatabaseError, OutputExistsError, SchemaError, load_workspace
from landuse.campaigns.zengcun.assessment import assess, tables
from landuse.io import postgis
from landuse.io.files import discover, read_layer
from landuse.io.postgis import (
    RESULT_MARK,
    Run,
    is_database_url,
    load_files,
    parse_url,
    read_workspace,
    write_results,
)
from landuse.model.crs import ALBERS_CHINA
from landuse.model.workspace import sample_workspace, workspace_from_postgis
from landuse.output.results import database_tables

psycopg = pytest.importorskip("psycopg")
from psycopg import sql  # noqa: E402

MALICIOUS = 'x"; DROP TABLE batches; --'


#: What a results schema holds besides the result tables.
HISTORY = {"runs", "layer_styles"}


def write_assessment(a, url: str, **options) -> list[str]:
    """Write an assessment as the CLI does: its database tables, styles and run."""
    frames, styles = database_tables(a)
    run = Run(a.rules.id, a.as_of, a.workspace.source)
    return write_results(frames, url, run, styles=styles, **options)


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
    # The 增存挂钩 layers, and the campaign layers the sample holds (one survey year of two:
    # a layer of several sources loads its first, with a notice).
    assert set(loaded) == {"供地", "县区", "失效撤回核减", "批次", "计划指标", "闲置土地", "卫片图斑",
                           "DLTB_2019", "永久基本农田", "补充耕地项目", "增减挂钩项目", "耕地保护目标"}
    schema = parse_url(url).schema
    assert sorted(from_db.sources.values()) == sorted(f"{schema}.{t}" for t in loaded)

    files, db = (tables(a) for a in sample_assessed)
    pd.testing.assert_frame_equal(db["counties"], files["counties"], check_exact=True)
    assert db["counties"].to_csv(index=False) == files["counties"].to_csv(index=False)
    pd.testing.assert_frame_equal(db["batches"], files["batches"], check_exact=True)

    # The same validation: the same problems on the same rows (fid holds the file's row).
    key = ["layer", "feature_id", "field", "severity", "row"]
    # ...but for the raster a database has not (said once: give it with --landcover).
    raster = db["problems"]["layer"] == "landcover"
    assert db["problems"].loc[raster, "message_en"].str.contains("--landcover").tolist() == [True]
    same = db["problems"][~raster][key].astype(str).sort_values(key).reset_index(drop=True)
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
    # 驿城区 and the functional zone carved from it (a feature inside the zone is the zone's).
    units = {code, "411790"}
    assert read["counties"] == 2
    assert total["counties"] == 11
    for layer in ("batches", "supplies", "idle", "revocations", "quotas"):
        assert 0 < read[layer] < total[layer] / 3, layer

    # Exactly the units' rows are read: those without a code found by location or batch.
    ws = workspace_from_postgis(url, counties=[code])
    for layer in ("counties", "batches", "supplies", "idle", "quotas"):
        assert len(ws.layer(layer)) == int(full.layer(layer)["county_code"].isin(units).sum()), layer
        assert set(ws.layer(layer)["county_code"]) <= units, layer
    assert not any("no county" in p.message_en for p in ws.problems)
    one = tables(assess(ws, "zhumadian-2018", "2018-12-31"))["counties"]
    all_ = tables(sample_assessed[1])["counties"]
    # Rank, little / much stock and the ranking rate compare units with each other: not here.
    relative = ["rank", "ranking", "little_stock", "scale_treatment", "devzone_treatment"]
    pd.testing.assert_frame_equal(
        one.drop(columns=relative),
        all_[all_["county_code"].isin(units)].drop(columns=relative).reset_index(drop=True),
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
        assert written[:2] == [f"{MALICIOUS}.runs", f"{MALICIOUS}.counties"]
        assert table_names(pg_url, MALICIOUS) == set(postgis.RESULT_TABLES) | HISTORY
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
    assert table_names(pg_url, out) == set(postgis.RESULT_TABLES) | HISTORY
    assert query(pg_url, f"SELECT count(*) FROM {canary}") == [(1,)]


# --- writing results: one transaction ------------------------------------------------------
@pytest.fixture(scope="module")
def small_assessments(small_db: tuple[str, str]) -> tuple:
    """Two different assessments of the synthetic workspace (as of two dates)."""
    ws = load_workspace(small_db[1])
    return assess(ws, "zhumadian-2018", "2018-12-31"), assess(ws, "zhumadian-2018", "2018-09-30")


@pytest.mark.postgis
def test_results_are_written_typed_keyed_commented_multipolygon(
    small_assessments: tuple, pg_url: str, schemas: Callable[[str], str]
) -> None:
    first, _ = small_assessments
    schema = schemas("results")
    assert write_assessment(first, at(pg_url, schema)) == [
        f"{schema}.{t}" for t in ("runs", *postgis.RESULT_TABLES)
    ]
    geometry = query(
        pg_url,
        "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = %s",
        (schema,),
    )
    tables_ = {"counties", "batches", "supplies", "idle", "candidates"}
    expected_geometry = {(t, "MULTIPOLYGON", 4547) for t in tables_}
    expected_geometry |= {(f"latest_{t}", "MULTIPOLYGON", 4547) for t in tables_}
    assert set(geometry) == expected_geometry
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT run_id, fid, county_code, outcome, t2_met, t2_rate, "
                "ST_Area(geometry) / 10000, ST_NumGeometries(geometry) FROM {} ORDER BY fid"
            ).format(sql.Identifier(schema, "counties"))
        ).fetchall()
    expected = first.counties
    assert [r[:2] for r in rows] == [(1, 1), (1, 2)]
    assert [r[2] for r in rows] == list(expected["county_code"])
    assert [r[3] for r in rows] == list(expected["outcome"])
    assert [r[4] for r in rows] == [None if pd.isna(v) else bool(v) for v in expected["T2_met"]]
    assert [r[5] for r in rows] == [None if pd.isna(v) else v for v in expected["T2_rate"]]
    assert [round(r[6]) for r in rows] == [10_000, 10_000]  # 10 km x 10 km = 10,000 ha
    assert [r[7] for r in rows] == [1, 1]  # polygons written as one-part multipolygons
    problems = query(
        pg_url, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "problems"))
    )
    assert problems == [(len(tables(first)["problems"]),)]
    assert fingerprint(pg_url, schema, "counties")[2].startswith(RESULT_MARK)
    # Every result table has the primary key (run_id, fid); columns are lower-case snake_case.
    keys = query(
        pg_url,
        "SELECT c.relname, array_agg(a.attname ORDER BY a.attnum)::text FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey) "
        "WHERE n.nspname = %s AND i.indisprimary GROUP BY c.relname",
        (schema,),
    )
    assert dict(keys) == {
        **{t: "{run_id,fid}" for t in postgis.RESULT_TABLES},
        "runs": "{run_id}",
        "layer_styles": "{id}",
    }
    columns = query(
        pg_url,
        "SELECT attname, col_description(attrelid, attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum",
        (f'"{schema}".counties',),
    )
    names = [c for c, _ in columns]
    assert all(c == c.lower() for c in names)
    comments = dict(columns)
    assert comments["t2_rate"] == "T2 完成率"
    assert comments["county_code"] == "行政区代码"
    assert comments["plan_next_ha"] == "下一年度计划（公顷）"
    run = query(
        pg_url,
        sql.SQL("SELECT run_id, rules, as_of::text, workspace, written_by = current_user, "
                "landuse_version FROM {}").format(sql.Identifier(schema, "runs")),
    )
    assert run == [(1, "zhumadian-2018", "2018-12-31", first.workspace.source, True,
                    postgis.results._version())]


@pytest.mark.postgis
def test_layer_styles_are_written_as_in_the_geopackage(
    small_assessments: tuple, pg_url: str, schemas: Callable[[str], str]
) -> None:
    first, _ = small_assessments
    schema = schemas("styled")
    write_assessment(first, at(pg_url, schema))
    write_assessment(first, at(pg_url, schema), overwrite=True)  # replaced, not doubled
    rows = query(
        pg_url,
        sql.SQL(
            "SELECT f_table_name, f_geometry_column, stylename, useasdefault, styleqml::text "
            "FROM {} ORDER BY f_table_name"
        ).format(sql.Identifier(schema, "layer_styles")),
    )
    named = {r[0] for r in rows}
    # The supplied parcels are a styled layer too, as in results.gpkg.
    assert named == {
        t for n in ("counties", "batches", "supplies", "idle", "candidates") for t in (n, f"latest_{n}")
    }
    assert len(rows) == 10
    from landuse.output.results import qgis_styles

    qml = qgis_styles(first)[0]
    for name, column, style, default, text in rows:
        assert (column, style, default) == ("geometry", "landuse", True)
        assert text == qml[name.removeprefix("latest_")]
    # Where QGIS looks by default, public.layer_styles, when there is one we may write.
    made = not query(pg_url, "SELECT to_regclass('public.layer_styles') IS NOT NULL")[0][0]
    if made:
        query(pg_url, "CREATE TABLE public.layer_styles (id serial PRIMARY KEY, "
              "f_table_catalog varchar, f_table_schema varchar, f_table_name varchar, "
              "f_geometry_column varchar, stylename text, styleqml xml, stylesld xml, "
              "useasdefault boolean, description text, owner varchar, ui xml, "
              "update_time timestamp DEFAULT now())")
    try:
        write_assessment(first, at(pg_url, schema), overwrite=True)
        write_assessment(first, at(pg_url, schema), overwrite=True)
        shared = query(pg_url, "SELECT f_table_name, styleqml::text FROM public.layer_styles "
                       "WHERE f_table_schema = %s", (schema,))
        assert sorted(shared) == sorted((r[0], r[4]) for r in rows)
    finally:
        if made:
            query(pg_url, "DROP TABLE public.layer_styles")
    # The classes the styles categorise on are in the tables.
    categories = query(
        pg_url,
        sql.SQL("SELECT DISTINCT category FROM {}").format(sql.Identifier(schema, "batches")),
    )
    assert {c for (c,) in categories} <= {"supplied", "partly", "unsupplied"}


def _rates(pg_url: str, schema: str, relation: str) -> dict[tuple, float | None]:
    rows = query(
        pg_url,
        sql.SQL("SELECT r.as_of::text, t.run_id, t.county_code, t.t1_rate FROM {} t "
                "JOIN {} r USING (run_id)").format(
            sql.Identifier(schema, relation), sql.Identifier(schema, "runs")),
    )
    return {(d, run, code): rate for d, run, code, rate in rows}


@pytest.mark.postgis
def test_a_second_quarter_keeps_the_first_and_latest_views_show_the_newest(
    small_assessments: tuple, pg_url: str, schemas: Callable[[str], str]
) -> None:
    year_end, q3 = small_assessments
    schema = schemas("history")
    url = at(pg_url, schema)
    write_assessment(year_end, url)
    write_assessment(q3, url)
    runs = query(pg_url, sql.SQL("SELECT run_id, as_of::text FROM {} ORDER BY 1").format(
        sql.Identifier(schema, "runs")))
    assert runs == [(1, "2018-12-31"), (2, "2018-09-30")]
    stored = _rates(pg_url, schema, "counties")
    for run, a in ((1, year_end), (2, q3)):
        day = f"{a.as_of:%Y-%m-%d}"
        for code, rate in zip(a.counties["county_code"], a.counties["T1_rate"], strict=True):
            assert stored[(day, run, code)] == (None if pd.isna(rate) else rate)
    assert len(stored) == 4
    # The same run again needs --overwrite; then it is added, and the view shows it.
    with pytest.raises(OutputExistsError, match="overwrite"):
        write_assessment(year_end, url)
    write_assessment(year_end, url, overwrite=True)
    latest = _rates(pg_url, schema, "latest_counties")
    assert {(d, run) for d, run, _ in latest} == {("2018-12-31", 3), ("2018-09-30", 2)}
    assert len(_rates(pg_url, schema, "counties")) == 6


@pytest.mark.postgis
def test_a_view_a_grant_and_a_comment_survive_two_writes(
    small_assessments: tuple, pg_url: str, schemas: Callable[[str], str]
) -> None:
    year_end, q3 = small_assessments
    schema = schemas("shared")
    url = at(pg_url, schema)
    write_assessment(year_end, url)
    s, counties = sql.Identifier(schema), sql.Identifier(schema, "counties")
    query(
        pg_url,
        sql.SQL(
            "CREATE VIEW {}.award AS SELECT run_id, county_code FROM {} WHERE outcome = 'award';"
            "GRANT USAGE ON SCHEMA {} TO PUBLIC; GRANT SELECT ON {} TO PUBLIC;"
            "COMMENT ON COLUMN {}.outcome IS '考核结果（由规划科核对）'"
        ).format(s, counties, s, counties, counties),
    )
    write_assessment(q3, url)
    write_assessment(year_end, url, overwrite=True)
    awards = query(pg_url, sql.SQL("SELECT run_id, count(*) FROM {}.award GROUP BY 1 ORDER BY 1")
                   .format(s))
    expected = [
        (run, int((a.counties["outcome"] == "award").sum()))
        for run, a in ((1, year_end), (2, q3), (3, year_end))
    ]
    assert awards == [e for e in expected if e[1]]
    assert query(pg_url, "SELECT has_table_privilege('public', %s, 'SELECT')",
                 (f'"{schema}".counties',)) == [(True,)]
    assert query(
        pg_url,
        "SELECT col_description(attrelid, attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attname = 'outcome'",
        (f'"{schema}".counties',),
    ) == [("考核结果（由规划科核对）",)]


@pytest.mark.postgis
def test_a_session_holding_a_lock_gets_a_timeout_naming_it(
    small_assessments: tuple, pg_url: str, schemas: Callable[[str], str]
) -> None:
    year_end, q3 = small_assessments
    schema = schemas("locked")
    url = at(pg_url, schema)
    write_assessment(year_end, url)
    counties = sql.Identifier(schema, "counties")
    # A reader in an open transaction does not hold the writer up: rows are inserted.
    with psycopg.connect(pg_url, application_name="qgis-reader") as reader:
        reader.execute(sql.SQL("SELECT count(*) FROM {}").format(counties)).fetchall()
        write_assessment(q3, url, lock_timeout=2)
    # A session holding a lock that conflicts with writing (as CREATE INDEX or a DBA's LOCK does).
    with psycopg.connect(pg_url, application_name="dba-maintenance") as holder:
        holder.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(counties))
        pid = holder.info.backend_pid
        with pytest.raises(DatabaseError) as err:
            write_assessment(year_end, url, overwrite=True, lock_timeout=1)
    message = err.value.en
    assert "waited over 1 s for a lock" in message
    assert f"pid {pid}" in message
    assert "dba-maintenance" in message
    assert "ShareLock" in message
    assert f"pid {pid}" in err.value.zh
    runs = query(pg_url, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "runs")))
    assert runs == [(2,)]  # nothing of the third write


class Interrupted(RuntimeError):
    """The injected failure."""


@pytest.mark.postgis
@pytest.mark.parametrize("how", ["exception", "killed connection"])
def test_a_failure_half_way_leaves_the_history_intact(
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
    every = ("runs", *postgis.RESULT_TABLES)
    before = {t: fingerprint(pg_url, schema, t) for t in every}

    real = postgis.results._append
    calls: list[str] = []

    def failing(conn, db, item, run_id, frame):  # the writer of the third table fails
        calls.append(item.name)
        if len(calls) == 3:
            if how == "exception":
                raise Interrupted("injected")
            pid = postgis._db._raw(conn).info.backend_pid
            query(pg_url, "SELECT pg_terminate_backend(%s)", (pid,))
        return real(conn, db, item, run_id, frame)

    monkeypatch.setattr(postgis.results, "_append", failing)
    with pytest.raises(Interrupted if how == "exception" else DatabaseError):
        write_assessment(second, url)
    assert len(calls) == 3
    assert {t: fingerprint(pg_url, schema, t) for t in every} == before
    assert table_names(pg_url, schema) == set(postgis.RESULT_TABLES) | HISTORY

    monkeypatch.setattr(postgis.results, "_append", real)
    write_assessment(second, url)
    after = {t: fingerprint(pg_url, schema, t) for t in every}
    assert after["counties"][0] == 2 * before["counties"][0]


@pytest.mark.postgis
def test_results_never_go_into_an_input_schema(
    small_assessments: tuple, small_db: tuple[str, str], pg_url: str,
    schemas: Callable[[str], str]
) -> None:
    first, _ = small_assessments
    schema, url = small_db
    before = {t: fingerprint(pg_url, schema, t) for t in table_names(pg_url, schema)}
    # Named as the workspace read, or found holding layers: refused either way.
    with pytest.raises(DatabaseError, match="the schema the layers are read from"):
        write_assessment(first, url, inputs=url)
    with pytest.raises(DatabaseError, match="holds input layers"):
        write_assessment(first, url)
    assert {t: fingerprint(pg_url, schema, t) for t in table_names(pg_url, schema)} == before
    # A bureau's own table of a result's name is never replaced either.
    other = schemas("inputs")
    query(
        pg_url,
        sql.SQL(
            "CREATE SCHEMA {0}; CREATE TABLE {1} (county_code text); "
            "INSERT INTO {1} VALUES ('411702')"
        ).format(sql.Identifier(other), sql.Identifier(other, "counties")),
    )
    with pytest.raises(DatabaseError, match="did not write"):
        write_assessment(first, at(pg_url, other))
    assert table_names(pg_url, other) == {"counties"}
    assert query(
        pg_url, sql.SQL("SELECT * FROM {}").format(sql.Identifier(other, "counties"))
    ) == [("411702",)]


@pytest.mark.postgis
def test_results_are_not_read_as_layers(
    small_assessments: tuple, pg_url: str, schemas: Callable[[str], str]
) -> None:
    schema = schemas("results")
    write_assessment(small_assessments[0], at(pg_url, schema))
    raws, _, problems, _ = read_workspace(at(pg_url, schema))
    assert raws == []
    assert {p.source for p in problems} == {f"{schema}.layer_styles"}


@pytest.mark.postgis
def test_load_overwrite_replaces_only_tables_landuse_loaded(
    tmp_path: Path, pg_url: str, schemas: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = small_workspace(tmp_path)
    target = at(pg_url, schemas("loaded"))
    assert load_files(source, target)["batches"] == 2
    with pytest.raises(OutputExistsError, match="overwrite"):
        load_files(source, target)
    assert load_files(source, target, overwrite=True)["batches"] == 2
    # A bureau-made table of a layer's name is never replaced, with --overwrite or not.
    schema = schemas("bureau")
    b = sql.Identifier(schema, "batches")
    query(pg_url, sql.SQL("CREATE SCHEMA {}; CREATE TABLE {} (pcbh text); "
                          "INSERT INTO {} VALUES ('own'); COMMENT ON TABLE {} IS '批次（规划科维护）'")
          .format(sql.Identifier(schema), b, b, b))
    before = fingerprint(pg_url, schema, "batches")
    read: list[str] = []
    real = postgis.write.read_layer

    def counting(*args, **kwargs):
        read.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(postgis.write, "read_layer", counting)
    with pytest.raises(DatabaseError, match="did not load"):
        load_files(source, at(pg_url, schema), overwrite=True)
    assert read == []  # refused before a file was read
    assert fingerprint(pg_url, schema, "batches") == before
    assert table_names(pg_url, schema) == {"batches"}


@pytest.mark.postgis
def test_bureau_table_names_are_mapped_to_layers(
    pg_url: str, schemas: Callable[[str], str], tmp_path: Path
) -> None:
    schema = schemas("bureau_names")
    renamed = at(pg_url, schema)
    load_files(small_workspace(tmp_path), renamed)
    query(pg_url, sql.SQL("ALTER TABLE {} RENAME TO t_jsyd_pcxx").format(
        sql.Identifier(schema, "batches")))
    unmapped = load_workspace(renamed)
    assert unmapped.batches.empty
    assert any("t_jsyd_pcxx" in p.message_en for p in unmapped.problems)
    mapped = load_workspace(renamed, layers=["批次=t_jsyd_pcxx"])
    assert sorted(mapped.batches["batch_id"]) == ["B1", "B2"]
    assert mapped.sources["batches"] == f"{schema}.t_jsyd_pcxx"
    with pytest.raises(DatabaseError, match="no table t_pcxx"):
        load_workspace(renamed, layers={"batches": "t_pcxx"})
    with pytest.raises(SchemaError, match="LAYER=TABLE"):
        load_workspace(renamed, layers=["parcels=t_jsyd_pcxx"])


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


def _may_register(pg_url: str) -> bool:
    return query(pg_url, "SELECT has_table_privilege('spatial_ref_sys', 'INSERT')")[0][0]


@pytest.mark.postgis
def test_a_crs_without_epsg_code_is_registered_or_refused(
    tmp_path: Path, pg_url: str, schemas: Callable[[str], str]
) -> None:
    albers = ALBERS_CHINA
    assert albers.to_epsg() is None
    root = write_workspace(tmp_path, base_layers(), crs=albers)
    schema = schemas("albers")
    url = at(pg_url, schema)
    if _may_register(pg_url):
        load_files(root, url)
        srid = query(
            pg_url,
            "SELECT srid FROM geometry_columns WHERE f_table_schema = %s "
            "AND f_table_name = 'counties'",
            (schema,),
        )[0][0]
        assert srid >= 910_000
        raws, _, _, _ = read_workspace(url)
        assert next(r for r in raws if r.layer == "counties").frame.crs.equals(albers)
        results = schemas("albers_results")
        write_assessment(assess(load_workspace(url), "zhumadian-2018", "2018-12-31"),
                         at(pg_url, results))
        assert query(pg_url, "SELECT DISTINCT srid FROM geometry_columns WHERE f_table_schema = %s",
                     (results,)) == [(srid,)]
    else:  # the role .ci/start-postgis.sh makes: refused, nothing written, never SRID 0
        with pytest.raises(DatabaseError, match="GRANT INSERT ON spatial_ref_sys"):
            load_files(root, url)
        assert table_names(pg_url, schema) == set()


@pytest.mark.postgis
def test_a_role_that_may_not_register_a_crs_is_refused_before_computing(
    tmp_path: Path, pg_url: str, schemas: Callable[[str], str]
) -> None:
    """A role without INSERT on spatial_ref_sys: the results target is refused, clearly."""
    if _may_register(pg_url):
        role = f"landuse_limited_{uuid.uuid4().hex[:6]}"
        try:
            query(pg_url, sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'limited'; GRANT CREATE ON "
                                  "DATABASE {} TO {}").format(
                sql.Identifier(role), sql.Identifier(parse_url(pg_url).url.database),
                sql.Identifier(role)))
        except psycopg.errors.InsufficientPrivilege:
            pytest.skip("this role may register CRSs and may not create a role without that right")
        db = parse_url(pg_url).url
        limited = db.set(username=role, password="limited").set(drivername="postgresql")
        limited_url = limited.render_as_string(hide_password=False)
    else:
        role, limited_url = None, pg_url
    try:
        schema = schemas("albers_refused")
        run = Run("zhumadian-2018", pd.Timestamp("2018-12-31").date(), "somewhere")
        with pytest.raises(DatabaseError) as err:
            postgis.check_results_target(at(limited_url, schema), run, crs=ALBERS_CHINA)
        assert "has no EPSG code" in err.value.en
        assert "GRANT INSERT ON spatial_ref_sys" in err.value.en
        assert "spatial_ref_sys" in err.value.zh
        # An EPSG CRS is fine for the same role.
        postgis.check_results_target(at(limited_url, schema), run, crs="EPSG:4547")
    finally:
        if role is not None:
            query(pg_url, sql.SQL("REVOKE ALL ON DATABASE {} FROM {}; DROP ROLE {}").format(
                sql.Identifier(parse_url(pg_url).url.database), sql.Identifier(role),
                sql.Identifier(role)))


# --- the command line ----------------------------------------------------------------------
def _cli(*args: str):
    from click.testing import CliRunner

    from landuse.cli import cli

    return CliRunner().invoke(cli, ["--lang", "en", *args], catch_exceptions=False)


@pytest.mark.postgis
def test_the_output_is_checked_before_computing(
    sample_db: tuple[str, dict[str, int]], pg_url: str, schemas: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import landuse.cli.commands as commands

    url, _ = sample_db
    computed: list[str] = []
    real = commands.assess

    def counting(*args, **kwargs):
        computed.append("assess")
        return real(*args, **kwargs)

    monkeypatch.setattr(commands, "assess", counting)
    # The input schema: refused before any computing.
    result = _cli("assess", url, "--as-of", "2018-12-31", "--out", url, "--no-raster")
    assert result.exit_code == 1
    assert "the schema the layers are read from" in result.output
    assert "Traceback" not in result.output
    assert computed == []
    # A run already written: "pass --overwrite" before computing, not after.
    out = at(pg_url, schemas("cli_results"))
    first = _cli("assess", url, "--as-of", "2018-12-31", "--out", out, "--no-raster")
    assert first.exit_code == 0, first.output
    assert computed == ["assess"]
    again = _cli("assess", url, "--as-of", "2018-12-31", "--out", out, "--no-raster")
    assert again.exit_code == 1
    assert "--overwrite" in again.output
    assert computed == ["assess"]
    # An unreachable server: said before computing too.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    nowhere = f"postgresql://analyst@127.0.0.1:{port}/land?schema=results"
    gone = _cli("assess", url, "--as-of", "2018-12-31", "--out", nowhere, "--no-raster")
    assert gone.exit_code == 1
    assert f"127.0.0.1:{port}/land" in gone.output
    assert computed == ["assess"]


@pytest.mark.postgis
def test_a_landcover_raster_beside_a_database_workspace(
    sample_db: tuple[str, dict[str, int]], sample_assessed: tuple
) -> None:
    url, _ = sample_db
    raster = sample_workspace() / "landcover.tif"
    from_files, without = sample_assessed
    assert from_files.workspace.landcover is not None
    assert without.workspace.landcover is None
    assert any("--landcover" in p.message_en for p in without.workspace.problems)
    ws = load_workspace(url, landcover_file=raster)
    assert ws.landcover is not None
    assert not any(p.layer == "landcover" for p in ws.problems)
    assert not any(p.layer == "landcover" for p in load_workspace(url, landcover=False).problems)
    with_raster = assess(ws, "zhumadian-2018", "2018-12-31")
    # With --landcover the database run judges as the file run where the raster decides: the
    # developed share of started parcels, hence the suspected idle parcels. (Batches are judged
    # by the land survey first, and the database holds one survey year of the sample's two:
    # load_files loads a layer's first source.)
    def suspected(a: object) -> pd.DataFrame:
        c = tables(a)["candidates"]
        return c[c["kind"] == "suspected_idle"].reset_index(drop=True)

    pd.testing.assert_frame_equal(suspected(with_raster), suspected(from_files), check_exact=True)
    info = _cli("info", url, "--landcover", str(raster))
    assert info.exit_code == 0, info.output
    assert "landcover.tif" in info.output


@pytest.mark.postgis
def test_layer_options_on_the_command_line(
    tmp_path: Path, pg_url: str, schemas: Callable[[str], str]
) -> None:
    schema = schemas("cli_names")
    url = at(pg_url, schema)
    load_files(small_workspace(tmp_path), url)
    query(pg_url, sql.SQL("ALTER TABLE {} RENAME TO t_jsyd_pcxx; ALTER TABLE {} RENAME TO t_gdxx")
          .format(sql.Identifier(schema, "batches"), sql.Identifier(schema, "supplies")))
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[layers]\n"批次" = "t_jsyd_pcxx"\nsupplies = "t_gdxx"\n', encoding="utf-8")
    args = ["info", url]
    plain = _cli(*args)
    assert plain.exit_code == 0, plain.output
    assert "t_jsyd_pcxx" not in plain.output
    for extra in (["--layers", str(mapping)],
                  ["--layer", "batches=t_jsyd_pcxx", "--layer", "供地=t_gdxx"]):
        mapped = _cli(*args, *extra)
        assert mapped.exit_code == 0, mapped.output
        assert f"{schema}.t_jsyd_pcxx" in mapped.output
        assert f"{schema}.t_gdxx" in mapped.output
    bad = _cli(*args, "--layer", "parcels")
    assert bad.exit_code != 0
    assert "LAYER=TABLE" in bad.output


@pytest.mark.postgis
def test_results_of_an_earlier_landuse_are_not_appended_to(
    small_assessments: tuple, pg_url: str, schemas: Callable[[str], str]
) -> None:
    schema = schemas("old_results")
    counties = sql.Identifier(schema, "counties")
    query(pg_url, sql.SQL("CREATE SCHEMA {}; CREATE TABLE {} (county_code text); "
                          "COMMENT ON TABLE {} IS {}").format(
        sql.Identifier(schema), counties, counties,
        sql.Literal(f"{RESULT_MARK}: counties; rules zhumadian-2018")))
    with pytest.raises(DatabaseError, match="earlier landuse"):
        write_assessment(small_assessments[0], at(pg_url, schema))
    assert table_names(pg_url, schema) == {"counties"}  # nothing else was left behind


@pytest.mark.postgis
def test_a_column_typed_otherwise_by_an_earlier_run_is_cast(
    pg_url: str, schemas: Callable[[str], str]
) -> None:
    import geopandas as gpd

    url = at(pg_url, schemas("drift"))

    def frame(rank: list, note: list, extra: bool) -> gpd.GeoDataFrame:
        data = {"county_code": [COUNTY_A, COUNTY_B], "rank": rank, "note": note}
        if extra:
            data["T5_rate"] = [0.5, None]
        return gpd.GeoDataFrame(data, geometry=[square(0, 0), None], crs="EPSG:4547")

    day = pd.Timestamp("2018-12-31").date()
    write_results({"counties": frame(pd.array([1, 2], dtype="Int64"), ["a", None], False)},
                  url, Run("r", day, "w1"))
    # rank now floats (one missing), note all missing (object), and a new task's column.
    write_results({"counties": frame([None, 3.0], [None, None], True)}, url, Run("r", day, "w2"))
    schema = parse_url(url).schema
    rows = query(pg_url, sql.SQL("SELECT run_id, fid, rank, note, t5_rate, "
                                 "GeometryType(geometry) FROM {} ORDER BY 1, 2").format(
        sql.Identifier(schema, "counties")))
    assert rows == [
        (1, 1, 1, "a", None, "MULTIPOLYGON"),
        (1, 2, 2, None, None, None),
        (2, 1, None, None, 0.5, "MULTIPOLYGON"),
        (2, 2, 3, None, None, None),
    ]
    comment = query(pg_url, "SELECT col_description(attrelid, attnum) FROM pg_attribute "
                    "WHERE attrelid = %s::regclass AND attname = 't5_rate'",
                    (f'"{schema}".counties',))
    assert comment == [("T5 完成率",)]
    latest = query(pg_url, sql.SQL("SELECT run_id, t5_rate FROM {} ORDER BY fid").format(
        sql.Identifier(schema, "latest_counties")))
    assert latest == [(2, 0.5), (2, None)]


def test_load_speaks_the_chosen_language(pg_url: str, schemas: Callable[[str], str]) -> None:
    from click.testing import CliRunner

    from landuse.cli import cli

    zh = CliRunner().invoke(cli, ["load", str(sample_workspace()), at(pg_url, schemas("load_zh"))],
                            env={"LANDUSE_LANG": None})
    assert zh.exit_code == 0, zh.output
    assert "landcover.tif（土地覆盖）是栅格，未导入数据库" in zh.stderr
    assert "is a raster" not in zh.stderr
    en = CliRunner().invoke(cli, ["--lang", "en", "load", str(sample_workspace()),
                                  at(pg_url, schemas("load_en"))])
    assert en.exit_code == 0, en.output
    assert "landcover.tif (land cover) is a raster; not loaded" in en.stderr
    assert "栅格" not in en.stderr
