"""Results as a history of runs in a PostGIS schema (see :mod:`landuse.io.postgis`).

One module (just over 800 lines) because the target check, the run table, the
appends and the QGIS styles share one transaction and one view of the schema.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse._errors import DatabaseError, OutputExistsError
from landuse.io.postgis._db import (
    LOAD_MARK,
    RESULT_MARK,
    RESULT_TABLES,
    DatabaseURL,
    _connect,
    _log,
    _raw,
    _require_postgis,
    _schema_exists,
    _translated,
    is_database_url,
    parse_url,
    psycopg,
    sa,
    sql,
)
from landuse.io.postgis.write import _column, _geometry_of, _identifier, _srid
from landuse.model.schema import LAYERS, layer_for_name

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


