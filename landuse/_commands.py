"""The assessment commands of ``landuse``: assess, quota, candidates, report, map, progress, load.

Each is a thin adapter over the library (see :mod:`landuse.cli` for the
shared options and error handling). Data goes to stdout, progress to stderr.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from landuse.assessment import Assessment, assess, resample, save_assessment
from landuse.cli import (
    LOG,
    Settings,
    _configure_logging,
    command,
    crs_option,
    load,
    pass_settings,
    stdout_console,
    workspace_argument,
)
from landuse.rules import list_rulesets, load_ruleset
from landuse.units import format_area, format_rate

# --- shared options ------------------------------------------------------------------------


def _check_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value.replace("/", "-")).date()
    except ValueError as err:
        raise click.BadParameter(f"无法识别的日期 “{value}”（应为 2018-12-31）/ not a date: '{value}' "
                                 "(use 2018-12-31)") from err


rules_option = click.option(
    "--rules", "rules_name", default="zhumadian-2018", show_default=True, metavar="NAME|FILE.toml",
    help=f"规则集：内置名称（{', '.join(list_rulesets())}）或 TOML 文件 / a bundled rule set or a TOML file.",
)
as_of_option = click.option(
    "--as-of", "as_of", callback=_check_date, metavar="DATE",
    help="考核日期（默认为规则集最后的截止日期）/ assessment date (default: the rule set's last deadline).",
)
no_raster_option = click.option(
    "--no-raster", is_flag=True,
    help="不使用土地覆盖栅格（地类、开发程度改由属性判断）/ do not use the land-cover raster.",
)
overwrite_option = click.option(
    "--overwrite", is_flag=True, help="覆盖已有的输出文件 / replace existing outputs.",
)
basemap_options = [
    click.option("--basemap", type=click.Choice(["osm", "tianditu", "gaode"]), default=None,
                 help="底图（默认无底图，可离线打开）/ base map tiles (default none: works offline)."),
    click.option("--tianditu-key", envvar="TIANDITU_KEY", default=None, metavar="TK",
                 help="天地图密钥（或环境变量 TIANDITU_KEY）/ 天地图 key (or TIANDITU_KEY)."),
]


def basemap_option(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(basemap_options):
        f = option(f)
    return f


_STEPS = {
    "supply": ("供地分析", "supply analysis"),
    "tasks": ("考核任务", "tasks"),
    "landcover": ("土地覆盖统计", "land-cover statistics"),
    "candidates": ("核查清单", "candidates"),
    "linkage": ("奖惩挂钩", "linkage"),
    "progress": ("季度进度", "quarterly progress"),
    "map": ("交互地图", "interactive map"),
}


@contextlib.contextmanager
def steps(settings: Settings, total: int) -> Iterator[Callable[[str], None]]:
    """Yield a progress callback: a bar on a terminal's stderr, log lines otherwise."""
    console = Console(stderr=True)
    if settings.verbosity < 0 or not console.is_terminal:
        def log_step(name: str) -> None:
            zh, en = _STEPS.get(name, (name, name))
            LOG.info(settings.t(zh, en))

        yield log_step
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(settings.t("计算中", "working"), total=total)

        def advance(name: str) -> None:
            zh, en = _STEPS.get(name, (name, name))
            bar.update(task, description=settings.t(zh, en), advance=1)

        yield advance


def run_assessment(settings: Settings, workspace: str | None, crs: str | None, rules_name: str,
                   as_of: dt.date | None, *, raster: bool = True, engine: str = "local",
                   scheduler: str | None = None, geometry: bool = True, area: str = "plane") -> Assessment:
    """Load the workspace and assess it, showing progress on stderr."""
    rules = load_ruleset(rules_name)
    ws = load(settings, workspace, crs, landcover=raster)
    with steps(settings, 5) as progress:
        return assess(ws, rules, as_of, progress=progress, raster=raster, engine=engine,
                      scheduler=scheduler, geometry=geometry, area=area)


# --- printing ------------------------------------------------------------------------------
def _met_text(settings: Settings, met: object, no_task: bool) -> str:
    if no_task:
        return settings.t("无任务", "no task")
    if met is None or met is pd.NA or (isinstance(met, float) and math.isnan(met)):
        return settings.t("待定", "pending")
    return settings.t("达标", "met") if bool(met) else settings.t("未达标", "missed")


def county_table(a: Assessment, settings: Settings) -> Table:
    """The county table: each task's rate against its target, the outcome, the plan, the rank."""
    t = settings.t
    by = a.rules.ranking.label(settings.lang)
    basis = (t("面积：CGCS2000 椭球面积", "areas: on the CGCS2000 ellipsoid")
             if a.extra.get("area") == "ellipsoidal" else t("面积：高斯-克吕格平面面积", "areas: Gauss-Krüger plane"))
    table = Table(title=t(f"{a.rules.name}（截至 {a.as_of}）", f"{a.rules.name_en} (as of {a.as_of})"),
                  caption=t(f"排名依据：{by}；{basis}", f"ranked by: {by}; {basis}"))
    table.add_column(t("代码", "code"))
    table.add_column(t("县区", "county"))
    for res in a.tasks:
        mark = t("（节点）", " (milestone)") if res.task.milestone else ""
        table.add_column(f"{res.task.id}{mark}\n≥{res.task.target:.0%}", justify="right")
    table.add_column(t("结果", "outcome"))
    table.add_column(t("下年计划（公顷）", "next plan (ha)"), justify="right")
    table.add_column(t("暂停受理", "suspended"))
    table.add_column(t("综合处置率", "combined"), justify="right")
    table.add_column(t("排名", "rank"), justify="right")
    for _, row in a.counties.iterrows():
        zone = t("（功能区）", " (zone)") if row.get("unit_kind") == "功能区" else ""
        cells = [str(row["county_code"]), str(row["county_name"]) + zone]
        for res in a.tasks:
            tid = res.task.id
            rate = row[f"{tid}_rate"]
            no_task = pd.isna(rate)
            text = t("无任务", "no task") if no_task else format_rate(rate)
            met = row[f"{tid}_met"]
            if not no_task and not pd.isna(met):
                text = f"[green]{text} ✓[/]" if bool(met) else f"[red]{text} ✗[/]"
            cells.append(text)
        outcome = a.rules.award.outcome_word(str(row["outcome"]), settings.lang)
        if row["outcome"] == "award" and row["milestone_missed"]:
            outcome += t("（节点未达标）", " (milestone missed)")
        if not row["outcome_final"]:
            outcome += t("（暂定）", " (provisional)")
        colour = "green" if row["outcome"] == "award" else "red"
        ranking = {"commend": t(" 表扬", " commended"), "criticize": t(" 批评", " criticised")}.get(
            row["ranking"] if isinstance(row["ranking"], str) else "", "")
        cells += [
            f"[{colour}]{outcome}[/]",
            "" if pd.isna(row["plan_next_ha"]) else f"{row['plan_next_ha']:,.2f}",
            (t("是（可申请恢复受理）", "yes (may apply for resumption)") if row.get("may_resume", False)
             else t("是", "yes")) if row["suspended"] else "",
            format_rate(row["combined_disposal_rate"]),
            "" if pd.isna(row["rank"]) else f"{int(row['rank'])}{ranking}",
        ]
        table.add_row(*cells)
    return table


def _is_url(text: str | None) -> bool:
    return bool(text) and str(text).startswith(("postgresql://", "postgres://"))


# --- commands ------------------------------------------------------------------------------
@command("assess")
@workspace_argument
@rules_option
@as_of_option
@click.option("--out", "out", metavar="DIR|postgresql://…",
              help="写出 counties.csv 等表格的文件夹，或 PostGIS 地址 / folder for the CSV tables, or a "
                   "PostGIS URL with ?schema=.")
@overwrite_option
@crs_option
@no_raster_option
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="本机计算或 Dask 集群 / compute here or on a Dask cluster.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Dask 调度器地址（默认本地集群）/ Dask scheduler address (default: a local cluster).")
@click.option("--area", "area", type=click.Choice(["plane", "ellipsoidal"]), default="plane", show_default=True,
              help="供地面积按高斯-克吕格平面（plane）或 CGCS2000 椭球面（ellipsoidal，同国土调查）量算 / "
                   "supplied areas on the Gauss-Krüger plane or on the ellipsoid, as the land survey measures.")
@pass_settings
def assess_command(settings: Settings, workspace: str | None, rules_name: str, as_of: dt.date | None,
                   out: str | None, overwrite: bool, crs: str | None, no_raster: bool, engine: str,
                   scheduler: str | None, area: str = "plane") -> None:
    """按规则集考核各县区：供地率、处置率、奖惩、排名。

    Assess every county against a rule set as of a date: each task's rate,
    target, met and gap, the award or penalty, next year's plan, suspension
    and ranking. Prints the county table; with --out writes counties.csv,
    batches.csv, idle.csv, candidates.csv, supplies.csv and problems.csv
    (UTF-8 with BOM, opens in Excel), or the same tables into PostGIS.

    \b
    $ landuse assess
    $ landuse assess 驻马店数据/ --rules zhumadian-2018 --as-of 2018-12-31 --out 考核结果/
    $ landuse assess postgresql://gis@db/land?schema=zhumadian --out postgresql://gis@db/land?schema=results
    $ landuse assess 河南/ --engine dask --scheduler tcp://10.0.0.5:8786 --out 结果/
    """
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler 需与 --engine dask 同用 / --scheduler needs --engine dask")
    # CSV tables carry no geometry; only a PostGIS output stores the candidates' shapes.
    a = run_assessment(settings, workspace, crs, rules_name, as_of, raster=not no_raster, engine=engine,
                       scheduler=scheduler, geometry=out is not None and _is_url(out), area=area)
    stdout_console().print(county_table(a, settings))
    if out is None:
        return
    if _is_url(out):
        from landuse.postgis import write_assessment

        written = write_assessment(a, out, overwrite=overwrite)
    else:
        written = [str(p) for p in save_assessment(a, out, overwrite=overwrite)]
    LOG.warning(settings.t(f"已写出：{'、'.join(map(str, written))}", f"written: {', '.join(map(str, written))}"))


@command("quota")
@click.argument("county")
@workspace_argument
@rules_option
@as_of_option
@click.option("--project-kind", metavar="KIND",
              help="项目类型，如 重大民生项目：能否继续申请新增建设用地 / may a project of this kind still apply?")
@crs_option
@no_raster_option
@pass_settings
def quota_command(settings: Settings, county: str, workspace: str | None, rules_name: str,
                  as_of: dt.date | None, project_kind: str | None, crs: str | None, no_raster: bool) -> None:
    """一个县区的任务、差距（公顷、亩）、距截止日天数和可能的奖惩。

    One county's tasks: rate against target, the hectares and 亩 still to
    supply or dispose of, days to each deadline, what it gets if it stays as
    it is, and whether a project of a given kind may still apply for new
    construction land. COUNTY is a code or a name.

    \b
    $ landuse quota 遂平县 --as-of 2018-10-31
    $ landuse quota 411726 驻马店数据/ --project-kind 重大民生项目
    """
    a = run_assessment(settings, workspace, crs, rules_name, as_of, raster=not no_raster, geometry=False)
    q = a.quota(county, project_kind=project_kind)
    t = settings.t
    out = stdout_console()
    table = Table(title=t(f"{q.county_name}（{q.county_code}）截至 {q.as_of}",
                          f"{q.county_name} ({q.county_code}) as of {q.as_of}"))
    for zh, en in (("任务", "task"), ("内容", "measure"), ("截止日期", "deadline"), ("剩余天数", "days left"),
                   ("完成率", "rate"), ("目标", "target"), ("状态", "status"), ("差距", "gap")):
        table.add_column(t(zh, en), justify="right" if en in ("days left", "rate", "target") else "left")
    for r in q.tasks.itertuples(index=False):
        label = r.label if settings.lang == "zh" else r.label_en
        if r.milestone and "节点" not in label and "milestone" not in label:
            label += t("（节点）", " (milestone)")
        table.add_row(r.task, label, str(r.deadline), str(r.days_left),
                      t("无任务", "no task") if r.no_task else format_rate(r.rate), f"{r.target:.0%}",
                      _met_text(settings, r.met, r.no_task),
                      format_area(r.gap_ha, lang=settings.lang) if r.gap_ha > 0 else "—")
    out.print(table)
    outcome = a.rules.award.outcome_word(q.outcome, settings.lang)
    basis = "" if q.outcome_final else t("（如保持现状）", " (if it stays as it is)")
    plan = "" if pd.isna(q.plan_next_ha) else t(
        f"，下一年度计划 {format_area(q.plan_next_ha)}（因素法 {format_area(q.plan_base_ha)}）",
        f"; next year's plan {format_area(q.plan_next_ha, lang='en')} (factor method "
        f"{format_area(q.plan_base_ha, lang='en')})")
    out.print(t(f"结果{basis}：{outcome}{plan}", f"outcome{basis}: {outcome}{plan}"))
    if q.suspended:
        exempt = "、".join(q.exempt_project_kinds)
        if q.outcome_final:
            out.print(t(f"新增建设用地申请暂停受理（{exempt}除外），整改完成并经确认后恢复",
                        f"new construction land applications suspended (except {exempt}) until rectified"))
        else:
            out.print(t(f"如到截止日仍未完成，新增建设用地申请将暂停受理（{exempt}除外）",
                        f"if still short at the deadline, new construction land applications will be "
                        f"suspended (except {exempt})"))
    if q.may_resume:
        out.print(t("未完成的任务现已完成：可申请恢复受理（整改任务完成并经申请确认后，可恢复受理新增建设用地申请）",
                    "the tasks missed are now reached: may apply for resumption of new construction land "
                    "applications (resumed once the application is confirmed)"))
    if q.resumed_on is not None:
        out.print(t(f"已于 {q.resumed_on} 确认恢复受理新增建设用地申请",
                    f"applications resumed on {q.resumed_on} (confirmed)"))
    if q.project_kind is not None:
        verdict = t("可以申请", "may apply") if q.project_allowed else t("暂停受理", "suspended")
        cat = q.exempt_category
        note_zh = f"（属{cat}，不受暂停限制）" if cat and cat != q.project_kind else ""
        note_en = f" (counts as {cat}, exempt from suspension)" if cat and cat != q.project_kind else ""
        out.print(t(f"{q.project_kind}{note_zh}：{verdict}", f"{q.project_kind}{note_en}: {verdict}"))


@command("candidates")
@workspace_argument
@rules_option
@as_of_option
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["lapse", "withdraw", "reduce", "used_before_supply", "suspected_idle"]),
              help="只列出这些类型（可重复）/ only these kinds (repeatable).")
@click.option("--sample", type=click.IntRange(min=0), default=None, metavar="N",
              help="每县区随机抽取 N 宗闲置地块实地核查 / a random sample of N idle parcels per county.")
@click.option("--seed", type=int, default=None, help="随机种子，可复现 / random seed (reproducible).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="另存为 CSV（UTF-8 BOM）/ also write a CSV.")
@overwrite_option
@crs_option
@no_raster_option
@pass_settings
def candidates_command(settings: Settings, workspace: str | None, rules_name: str, as_of: dt.date | None,
                       kinds: Sequence[str], sample: int | None, seed: int | None, out: str | None,
                       overwrite: bool, crs: str | None, no_raster: bool) -> None:
    """核查清单：失效、撤回、核减的批次和疑似闲置地块，及典型案例和随机抽查。

    The field team's lists: approvals that lapse, are withdrawn or reduced
    under the two-year rule, suspected idle parcels (Order 53) with idle
    years, cause, measure and idle fee; the typical cases (largest ×
    longest); and a reproducible random sample per county for on-site checks.

    \b
    $ landuse candidates
    $ landuse candidates --kind lapse --kind withdraw
    $ landuse candidates --sample 3 --seed 2018 --out 抽查.csv
    """
    a = run_assessment(settings, workspace, crs, rules_name, as_of, raster=not no_raster)
    if sample is not None or seed is not None:
        a = resample(a, per_county=a.rules.sampling.per_county if sample is None else sample,
                     seed=a.rules.sampling.seed if seed is None else seed)
    t = settings.t
    cands = a.candidates
    if kinds:
        cands = cands[cands["kind"].isin(kinds)]
    names = a.counties.set_index("county_code")["county_name"]
    table = Table(title=t(f"核查清单（截至 {a.as_of}）：{len(cands)} 项", f"candidates as of {a.as_of}: {len(cands)}"))
    for zh, en in (("类型", "kind"), ("县区", "county"), ("批次/宗地", "batch / parcel"), ("面积", "area"),
                   ("依据", "reason"), ("建议措施", "measure"), ("闲置费（万元）", "idle fee (万元)"),
                   ("典型", "typical"), ("抽查", "sample")):
        table.add_column(t(zh, en), overflow="fold")
    for r in cands.sort_values(["kind", "county_code", "area_ha"], ascending=[True, True, False]).itertuples():
        feature = r.parcel_id if isinstance(r.parcel_id, str) else r.batch_id
        table.add_row(
            r.kind_label if settings.lang == "zh" else r.kind,
            str(names.get(r.county_code, r.county_code)), str(feature),
            format_area(r.area_ha, lang=settings.lang),
            r.reason if settings.lang == "zh" else r.reason_en,
            ("" if pd.isna(r.measure) else r.measure) if settings.lang == "zh" else (
                "" if pd.isna(r.measure_en) else r.measure_en),
            "" if pd.isna(r.idle_fee_wan) else f"{r.idle_fee_wan:,.2f}",
            "★" if r.typical else "", "✓" if r.sample else "",
        )
    console = stdout_console()
    console.print(table)
    idle = a.idle[a.idle["typical"] | a.idle["sample"]]
    if not idle.empty:
        listed = Table(title=t("闲置土地台账中的典型案例与抽查地块", "typical cases and sample from the idle ledger"))
        for zh, en in (("闲置编号", "idle id"), ("县区", "county"), ("面积", "area"), ("闲置年限", "idle years"),
                       ("闲置原因", "cause"), ("建议措施", "measure"), ("典型", "typical"), ("抽查", "sample")):
            listed.add_column(t(zh, en), overflow="fold")
        for r in idle.itertuples():
            listed.add_row(str(r.idle_id), str(names.get(r.county_code, r.county_code)),
                           format_area(r.area_ha, lang=settings.lang), f"{r.idle_years:.1f}",
                           "" if pd.isna(r.cause) else str(r.cause),
                           "" if pd.isna(r.measure) else str(r.measure),
                           "★" if r.typical else "", "✓" if r.sample else "")
        console.print(listed)
    if out:
        from landuse.assessment import tables
        from landuse.io import write_csv

        frame = tables(a)["candidates"]
        if kinds:
            frame = frame[frame["kind"].isin(kinds)]
        write_csv(frame, out, overwrite=overwrite)
        LOG.warning(t(f"已写出：{out}", f"written: {out}"))


@command("report")
@workspace_argument
@rules_option
@as_of_option
@click.option("--out", type=click.Path(file_okay=False), default="maps", show_default=True,
              help="输出文件夹 / output folder.")
@overwrite_option
@basemap_option
@crs_option
@no_raster_option
@pass_settings
def report_command(settings: Settings, workspace: str | None, rules_name: str, as_of: dt.date | None,
                   out: str, overwrite: bool, basemap: str | None, tianditu_key: str | None, crs: str | None,
                   no_raster: bool) -> None:
    """会议材料：一页式 HTML 报告、Excel 台账、静态地图和结果 GeoPackage。

    The meeting report, the main job: index.html (one self-contained page
    that opens offline: headline figures, county table, map, charts,
    ranking, candidates, data problems, sources), ledgers.xlsx (sheets in
    the layout of the notice's attachments), outcome.png (for slides and
    print), progress.png (each quarter), results.gpkg (with QGIS styles) and
    the CSV tables, into --out (default maps/).

    \b
    $ landuse report
    $ landuse report 驻马店数据/ --as-of 2018-12-31 --out 年终考核/ --overwrite
    $ landuse report --lang en --basemap osm
    """
    from landuse.report import REPORT_STEPS, write_report

    a = run_assessment(settings, workspace, crs, rules_name, as_of, raster=not no_raster)
    with steps(settings, len(REPORT_STEPS)) as progress:
        written = write_report(a, out, lang=settings.lang, basemap=basemap, tianditu_key=tianditu_key,
                               overwrite=overwrite, progress=progress)
    csvs = save_assessment(a, out, overwrite=overwrite)
    stdout_console().print(county_table(a, settings))
    for path in [*written.values(), *csvs]:
        click.echo(str(path))
    LOG.warning(settings.t(f"会议材料已写入 {out}/（打开 index.html）",
                           f"report written to {out}/ (open index.html)"))


@command("map")
@workspace_argument
@rules_option
@as_of_option
@click.option("--out", type=click.Path(dir_okay=False), default="maps/outcome.html", show_default=True,
              help="输出的 HTML 文件 / the HTML file to write.")
@click.option("--max-html-mb", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="地图文件大小上限，超出时简化大图层 / size budget; large layers are thinned to fit.")
@overwrite_option
@basemap_option
@crs_option
@no_raster_option
@pass_settings
def map_command(settings: Settings, workspace: str | None, rules_name: str, as_of: dt.date | None, out: str,
                max_html_mb: float, overwrite: bool, basemap: str | None, tianditu_key: str | None,
                crs: str | None, no_raster: bool) -> None:
    """交互式考核结果地图（默认离线可用）。

    The interactive outcome map alone: counties coloured by award or
    penalty with their rates in popups, and layers of unsupplied batches,
    supplied and idle parcels and candidates. Opens offline unless a
    --basemap is asked for.

    \b
    $ landuse map
    $ landuse map --basemap tianditu --tianditu-key 你的密钥 --out 考核地图.html
    """
    from landuse.maps import render_map

    a = run_assessment(settings, workspace, crs, rules_name, as_of, raster=not no_raster)
    stats = render_map(a, out, overwrite=overwrite, lang=settings.lang, basemap=basemap,
                       tianditu_key=tianditu_key, max_html_mb=max_html_mb)
    click.echo(out)
    thinned = getattr(stats, "thinned", None)
    note = settings.t(f"（已简化：{'、'.join(thinned)}）", f" (thinned: {', '.join(thinned)})") if thinned else ""
    LOG.warning(settings.t(f"地图 {out}：{stats.bytes / 1e6:.2f} MB{note}",
                           f"map {out}: {stats.bytes / 1e6:.2f} MB{note}"))


@command("progress")
@click.argument("county")
@workspace_argument
@rules_option
@as_of_option
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="另存进度图（PNG）/ also write the chart as a PNG.")
@overwrite_option
@crs_option
@pass_settings
def progress_command(settings: Settings, county: str, workspace: str | None, rules_name: str,
                     as_of: dt.date | None, out: str | None, overwrite: bool, crs: str | None) -> None:
    """一个县区各季度末的任务完成率（各县区每季度初书面报告进展）。

    One county's task rates at every quarter end from the start of the
    campaign to the as-of date, against the targets, as a table (and a chart
    with --out). Counties report their progress each quarter.

    \b
    $ landuse progress 遂平县
    $ landuse progress 411726 --as-of 2018-12-31 --out 泌阳进度.png
    """
    from landuse.progress import progress_table, quarterly_progress

    rules = load_ruleset(rules_name)
    ws = load(settings, workspace, crs)
    when = as_of or max(task.deadline for task in rules.tasks)
    quarters = quarterly_progress(ws, rules, as_of=when)
    table_frame = progress_table(quarters, county=county)
    t = settings.t
    table = Table(title=t(f"{county} 季度进度（截至 {when}）", f"{county}: quarterly progress (to {when})"))
    table.add_column(t("日期", "date"))
    for task in rules.tasks:
        table.add_column(f"{task.id} ≥{task.target:.0%}", justify="right")
        table.add_column(t(f"{task.id} 差距（公顷）", f"{task.id} gap (ha)"), justify="right")
    for date, row in table_frame.iterrows():
        cells = [f"{date:%Y-%m-%d}"]
        for task in rules.tasks:
            rate, met = row[f"{task.id}_rate"], row[f"{task.id}_met"]
            text = t("无任务", "no task") if pd.isna(rate) else format_rate(rate)
            if not pd.isna(rate) and not pd.isna(met):
                text = f"[green]{text} ✓[/]" if bool(met) else f"[red]{text} ✗[/]"
            gap = row[f"{task.id}_gap_ha"]
            cells += [text, "" if pd.isna(gap) or gap <= 0 else f"{gap:,.2f}"]
        table.add_row(*cells)
    stdout_console().print(table)
    if out:
        from landuse.figures import progress_figure, write_png

        write_png(progress_figure(quarters, rules, county=county, lang=settings.lang), out, overwrite=overwrite)
        LOG.warning(t(f"已写出：{out}", f"written: {out}"))


@command("load")
@click.argument("workspace")
@click.argument("url")
@overwrite_option
@pass_settings
def load_command(settings: Settings, workspace: str, url: str, overwrite: bool) -> None:
    """把文件工作区导入 PostGIS（保留原字段名和坐标系）。

    Import a file workspace (folder, GeoPackage or zip) into a PostGIS
    schema once, keeping each layer's field names and CRS, so the same
    checks run when it is read back. URL: postgresql://user@host/db?schema=NAME.

    \b
    $ landuse load 驻马店数据/ "postgresql://gis@localhost/land?schema=zhumadian"
    """
    from landuse.postgis import load_files

    _configure_logging(settings)
    counts = load_files(workspace, url, overwrite=overwrite)
    for table, rows in counts.items():
        click.echo(f"{table}\t{rows}")


@command("rules")
@click.argument("name", required=False)
@pass_settings
def rules_command(settings: Settings, name: str | None) -> None:
    """列出内置规则集，或显示一个规则集的任务。

    List the bundled rule sets, or show one rule set's tasks, deadlines,
    targets and multipliers.

    \b
    $ landuse rules
    $ landuse rules zhumadian-2018
    """
    t = settings.t
    console = stdout_console()
    if name is None:
        for rid in list_rulesets():
            r = load_ruleset(rid)
            console.print(f"{rid}\t{r.name if settings.lang == 'zh' else r.name_en}")
        return
    r = load_ruleset(name)
    table = Table(title=f"{r.name if settings.lang == 'zh' else r.name_en}\n{r.source if settings.lang == 'zh' else r.source_en}")
    for zh, en in (("任务", "task"), ("内容", "measure"), ("批准日期范围", "approvals"), ("截止", "deadline"),
                   ("目标", "target"), ("决定奖惩", "decides")):
        table.add_column(t(zh, en))
    for task in r.tasks:
        window = "" if task.window is None else f"{task.window[0]} – {task.window[1]}"
        table.add_row(task.id, task.label if settings.lang == "zh" else task.label_en, window, str(task.deadline),
                      f"≥{task.target:.0%}", t("是", "yes") if task.id in r.award.deciding else t("节点", "milestone"))
    console.print(table)
    console.print(t(f"全部完成：下一年度计划 ×{r.award.met_multiplier:g}；未完成任一项：×{r.award.missed_multiplier:g}",
                    f"all met: next year's plan ×{r.award.met_multiplier:g}; any missed: ×{r.award.missed_multiplier:g}"))
