"""The assessment commands of ``landuse``: assess, quota, candidates, report, map, progress, load.

One module (over 800 lines) because the commands share the assessment runner, the gate, the output-set checks and the county table.

Each is a thin adapter over the library (see :mod:`landuse.cli` for the
shared options and error handling). Data goes to stdout, progress to stderr.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from landuse.campaigns.zengcun.assessment import (
    TABLE_FILES,
    Assessment,
    assess,
    resample,
    save_assessment,
)
from landuse.cli.app import (
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
from landuse.io.files import check_outputs, output_set
from landuse.model.units import format_area, format_rate
from landuse.rules.model import list_rulesets, load_ruleset

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
rules_options = click.option(
    "--rules", "rules_name", default=("zhumadian-2018",), multiple=True, show_default=True,
    metavar="NAME|FILE.toml",
    help=f"规则集：内置名称（{', '.join(list_rulesets())}）或 TOML 文件；可为任一考核（卫片执法、耕地保护……）；"
         "增存挂钩与卫片执法规则集可各给一个 / a bundled rule set or a TOML file, of any campaign; give a "
         "增存挂钩 and a 卫片执法 one to add the latter to the former's report.",
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
def _check_basemap(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from landuse.output.maps import BASEMAPS, tile_template

    if value is None or value in BASEMAPS or tile_template(value) is not None:
        return value
    raise click.BadParameter(
        f"应为 {'、'.join(BASEMAPS)}，或本单位瓦片服务的地址模板（含 {{z}}/{{x}}/{{y}}，或 WMTS 的 "
        f"{{TileMatrix}}/{{TileRow}}/{{TileCol}}）：{value} / use {', '.join(BASEMAPS)}, or the "
        f"template of your own tile service (with {{z}}/{{x}}/{{y}}, or WMTS "
        f"{{TileMatrix}}/{{TileRow}}/{{TileCol}}): {value}"
    )


def _read_overlays(_ctx: click.Context, _param: click.Parameter,
                   value: tuple[str, ...]) -> list[tuple[str, Any]]:
    """Read each --overlay file now, before the assessment: a bad file stops the run at once."""
    from landuse._errors import LanduseError
    from landuse.io.files import read_vector

    out = []
    for path in value:
        try:
            frame, _notes = read_vector(path)
        except LanduseError as err:
            raise click.BadParameter(f"{err.zh} / {err.en}") from None
        out.append((Path(path).stem, frame))
    return out


accept_errors_option = click.option(
    "--accept-errors", is_flag=True,
    help="数据有错误（行被排除）时仍出具结果，受影响县区标为“待定” / give results despite rows excluded by "
         "errors: the affected counties are marked undetermined.",
)
basemap_options = [
    click.option("--basemap", default=None, callback=_check_basemap,
                 metavar="osm|tianditu|gaode|URL",
                 help="底图：osm、tianditu、gaode，或本单位瓦片服务地址模板 http://…/{z}/{x}/{y}.png"
                      "（默认无底图，可离线打开）/ base map: osm, tianditu, gaode, or your own tile "
                      "service's template http://…/{z}/{x}/{y}.png (default none: works offline)."),
    click.option("--tianditu-key", envvar="TIANDITU_KEY", default=None, metavar="TK",
                 help="天地图密钥（或环境变量 TIANDITU_KEY）/ 天地图 key (or TIANDITU_KEY)."),
    click.option("--overlay", "overlays", multiple=True, metavar="FILE",
                 type=click.Path(exists=True, dir_okay=False), callback=_read_overlays,
                 help="叠加本单位的参考图层（道路、乡镇、河流），离线绘于地块之下，可多次使用 / "
                      "draw your own reference layers (roads, towns, rivers) offline under the "
                      "parcels; may be repeated."),
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
                   scheduler: str | None = None, geometry: bool = True, area: str = "plane",
                   accept_errors: bool | None = None,
                   before: Callable[[Any, Any], None] | None = None) -> Assessment:
    """Load the workspace and assess it, showing progress on stderr.

    With ``accept_errors`` given, the verdict gate runs: False refuses
    (:class:`~landuse.DataIncompleteError`) when errors kept rows out of a
    deciding task; True goes on and says on stderr which counties are
    undetermined. ``before(workspace, rules)`` runs after loading and before
    computing (output checks).
    """
    rules = _zengcun_only(load_ruleset(rules_name))
    ws = load(settings, workspace, crs, landcover=raster)
    if before is not None:
        before(ws, rules)
    if engine == "dask":
        LOG.info(settings.t(f"计算引擎：Dask（{scheduler or '本机临时集群'}）",
                            f"engine: dask ({scheduler or 'a local cluster'})"))
    else:
        LOG.info(settings.t("计算引擎：本机", "engine: local"))
    with steps(settings, 5) as progress:
        a = assess(ws, rules, as_of, progress=progress, raster=raster, engine=engine,
                   scheduler=scheduler, geometry=geometry, area=area)
    if accept_errors is not None:
        a.gate(accept_errors)
        unknown = a.undetermined
        if len(unknown):
            LOG.warning(settings.t(
                f"注意：数据有错误，{len(unknown)} 个县区结果待定（data_complete=false）",
                f"note: data errors leave {len(unknown)} counties undetermined (data_complete=false)"))
    return a


def _zengcun_only(rules: Any) -> Any:
    """The 增存挂钩 commands refuse another campaign's rule set with one line, not a traceback."""
    campaign = getattr(rules, "campaign", "zengcun")
    if campaign != "zengcun":
        raise click.UsageError(
            f"规则集 {rules.id} 属于 {campaign} 考核，只能用于 landuse assess、quota、report、map / rule set "
            f"{rules.id} is of the {campaign} campaign: `landuse assess`, `quota`, `report` and `map` run it")
    return rules


def run_campaign(settings: Settings, workspace: str | None, crs: str | None, rules_names: Sequence[str],
                 as_of: dt.date | None, out: str | None, overwrite: bool, *, raster: bool = True,
                 accept_errors: bool = False) -> bool:
    """Run rule sets of a campaign other than 增存挂钩: print the county table, write the CSVs.

    Returns False, doing nothing, for one 增存挂钩 rule set. One campaign rule
    set (see :data:`landuse.campaigns.CAMPAIGNS`) prints its table and writes
    ``counties.csv``, one CSV per ledger and ``problems.csv``; a 增存挂钩 rule
    set with a 卫片执法 one runs both and writes the 增存挂钩 tables with the
    deduction applied after the multiplier (``plan_final_ha``).

    The data gate (:func:`landuse.campaigns._base.apply_gate`): when errors kept
    rows of a layer the campaign reads out, the units concerned are
    undetermined (``data_complete`` false) and, unless ``accept_errors``, a
    :class:`~landuse.DataIncompleteError` says how many rows of which layer
    were excluded, before anything is printed or written.
    """
    import importlib
    from pathlib import Path

    from landuse.campaigns import CAMPAIGNS
    from landuse.campaigns._base import apply_gate, gate_error, run_on
    from landuse.campaigns.zengcun.assessment import _plain
    from landuse.io.files import write_csv
    from landuse.model.schema import problems_frame

    every = [load_ruleset(name) for name in rules_names]
    zengcun = [r for r in every if getattr(r, "campaign", "zengcun") == "zengcun"]
    others = [r for r in every if getattr(r, "campaign", "zengcun") != "zengcun"]
    if not others and len(zengcun) == 1:
        return False
    if len(zengcun) > 1 or len(others) > 1 or (zengcun and others[0].campaign != "weipian"):
        raise click.UsageError("--rules 只能给一个增存挂钩规则集，加一个卫片执法规则集 / --rules takes one 增存挂钩 "
                               "rule set, and at most one 卫片执法 rule set to compose with it")
    rules = others[0]
    campaign = importlib.import_module(CAMPAIGNS[rules.campaign]).CAMPAIGN
    t = settings.t
    ledgers = list(campaign.ledger_names)
    if zengcun:
        names = ["counties", "batches", "idle", "candidates", "supplies", "problems", *ledgers]
    else:
        names = ["counties", *ledgers, "problems"]
    # Refuse existing outputs before the computation, not after it.
    if out is not None and not overwrite:
        existing = [str(Path(out) / f"{n}.csv") for n in names if (Path(out) / f"{n}.csv").exists()]
        if existing:
            from landuse._errors import OutputExistsError

            raise OutputExistsError(f"输出文件已存在：{'、'.join(existing)}；如需覆盖请加 --overwrite",
                                    f"outputs exist: {', '.join(existing)}; pass --overwrite to replace them")
    _configure_logging(settings)
    assessment = None
    if zengcun:
        assessment = run_assessment(settings, workspace, crs, rules_names[every.index(zengcun[0])], as_of,
                                    raster=raster, accept_errors=accept_errors)
    ws, result, problems = run_on(campaign, rules, as_of, workspace=workspace, crs=crs, landcover=raster,
                                  loaded=assessment.workspace if assessment is not None else None)
    result = apply_gate(campaign, result, problems, ws.counties)
    refusal = None if accept_errors else gate_error(result, ws.counties)
    if refusal is not None:
        raise refusal
    if not result.summary["data_complete"]:
        LOG.warning(t(f"注意：数据有错误，{len(result.summary['undetermined'])} 个考核单位结果待定（data_complete=false）",
                      f"note: data errors leave {len(result.summary['undetermined'])} units undetermined "
                      "(data_complete=false)"))
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        LOG.warning(t(f"数据有 {errors} 个错误，相关图斑未参与计算（见 problems.csv 或 landuse check）",
                      f"{errors} data error(s): the rows concerned are left out (see problems.csv or landuse check)"))
    console = stdout_console()
    if assessment is not None:
        console.print(county_table(assessment, settings))
    table = _campaign_table(result, rules, settings)
    if not console.is_terminal:  # piped: one line a county, however wide
        console.width = 10_000
        console.width = max(160, console.measure(table).maximum)
    if settings.verbosity >= 0:
        console.print(table)
    if assessment is not None:
        from landuse.campaigns.weipian import compose_plans

        if assessment.as_of.year + assessment.rules.award.plan_year_offset != rules.plan_year:
            LOG.warning(t(
                f"注意：增存挂钩核定的是 {assessment.as_of.year + assessment.rules.award.plan_year_offset} 年计划，"
                f"卫片执法核减的是 {rules.plan_year} 年计划；仍按同一年度合并",
                f"note: 增存挂钩 sets the {assessment.as_of.year + assessment.rules.award.plan_year_offset} plan, "
                f"卫片执法 cuts the {rules.plan_year} plan; composed as one year all the same"))
        composed = compose_plans(assessment.counties, result)
        assessment.counties = composed
        assessment.problems = pd.concat([assessment.problems, problems_frame(result.problems)], ignore_index=True)
        console.print(_plan_table(composed, settings))
    if out is None:
        return True
    if assessment is not None:
        written = save_assessment(assessment, out, overwrite=True)
    else:
        written = [write_csv(_plain(result.counties.reset_index()), Path(out) / "counties.csv")]
    for ledger in result.ledgers:
        titles = {c: (zh if settings.lang == "zh" else en) for c, (zh, en) in ledger.columns.items()}
        written.append(write_csv(_plain(ledger.frame).rename(columns=titles), Path(out) / f"{ledger.name}.csv"))
    if assessment is None:
        written.append(write_csv(problems_frame(problems), Path(out) / "problems.csv"))
    LOG.warning(t(f"已写出：{'、'.join(map(str, written))}", f"written: {', '.join(map(str, written))}"))
    return True


def _campaign_table(result: Any, rules: Any, settings: Settings) -> Table:
    """A campaign's county table with the city total under it."""
    from landuse.cli.quota import cell_text

    t = settings.t
    pending = "" if result.summary.get("data_complete", True) else t("\n数据有错误，结论待定", "\ndata errors: undetermined")
    red = getattr(rules, "red_line", None)
    line = (t(f"，红线 {red:.0%}", f", red line {red:.0%}") if red is not None else "")
    table = Table(title=t(f"{rules.name}（截至 {result.as_of}{line}）",
                          f"{rules.name_en} (as of {result.as_of}{line})") + pending)
    frame = result.counties[result.summary.get("shown", list(result.counties.columns))]
    table.add_column(t("代码", "code"))
    for col in frame.columns:
        zh, en = result.columns.get(col, (col, col))
        table.add_column(t(zh, en), justify="left" if frame[col].dtype == "string" else "right")

    complete = result.counties.get("data_complete")
    pending_units = set() if complete is None else set(result.counties.index[~complete.astype(bool)])
    import importlib

    from landuse.campaigns import CAMPAIGNS

    plugin = importlib.import_module(CAMPAIGNS[result.campaign]).CAMPAIGN
    verdicts = {*plugin.verdicts, *([plugin.status] if plugin.status else [])} if pending_units else set()

    def cell(col: str, value: object, code: object = None) -> str:
        if code in pending_units and col in verdicts:
            return t("待定", "undetermined")
        if plugin.status and col == plugin.status and isinstance(value, str):
            # The status column's keys (met, below_target...) in the analyst's words.
            return t(*plugin.status_labels.get(value, (value, value)))
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return t("无任务", "no task") if col in ("violation_ratio", "red_line_exceeded") else "—"
        if col == "red_line_exceeded":
            return f"[red]{t('超过', 'crossed')}[/]" if bool(value) else f"[green]{t('未超过', 'below')}[/]"
        return cell_text(col, value, t)

    for code, row in frame.iterrows():
        table.add_row(str(code), *(cell(c, row[c], code) for c in frame.columns))
    s = result.summary
    if "city_violation_ratio" in s and red is not None:
        table.add_section()
        table.add_row("", t("全市", "city"), *(
            cell(c, s.get(f"city_{c}")) if f"city_{c}" in s else "" for c in frame.columns[1:]))
        LOG.warning(t(f"全市违法比例 {format_rate(s['city_violation_ratio'])}（红线 {rules.red_line:.0%}）",
                      f"city violation ratio {format_rate(s['city_violation_ratio'])} "
                      f"(red line {rules.red_line:.0%})"))
    return table


def _split_rules(rules_names: Sequence[str]) -> tuple[list[tuple[str, Any]], Any | None]:
    """The 增存挂钩 rule sets given (name, rules) and the one of another campaign (or None)."""
    every = [(name, load_ruleset(name)) for name in rules_names]
    zengcun = [(n, r) for n, r in every if getattr(r, "campaign", "zengcun") == "zengcun"]
    others = [r for _n, r in every if getattr(r, "campaign", "zengcun") != "zengcun"]
    if len(zengcun) > 1 or len(others) > 1 or (zengcun and others and others[0].campaign != "weipian"):
        raise click.UsageError("--rules 只能给一个增存挂钩规则集，加一个卫片执法规则集 / --rules takes one 增存挂钩 "
                               "rule set, and at most one 卫片执法 rule set to compose with it")
    return zengcun, (others[0] if others else None)


def _campaign_of(rules: Any) -> Any:
    """The :class:`~landuse.campaigns.Campaign` plug-in a rule set belongs to."""
    import importlib

    from landuse.campaigns import CAMPAIGNS

    return importlib.import_module(CAMPAIGNS[rules.campaign]).CAMPAIGN


def measure_campaign(settings: Settings, workspace: str | None, crs: str | None, rules: Any,
                     as_of: dt.date | None, *, raster: bool = True, accept_errors: bool = False,
                     assessment: Assessment | None = None) -> tuple[Any, Any, list[Any]]:
    """Load the workspace (or take the assessment's) and run a campaign's rule set on it.

    Returns the campaign, its :class:`~landuse.campaigns.CampaignResult` and
    the problems (the workspace's and the campaign's). Without
    ``accept_errors``, a result whose data are incomplete (errors kept rows
    out) is refused, as the 增存挂钩 report refuses one.
    """
    from landuse._errors import DataIncompleteError
    from landuse.campaigns._base import run_on

    campaign = _campaign_of(rules)
    _configure_logging(settings)
    _ws, result, problems = run_on(campaign, rules, as_of, workspace=workspace, crs=crs, landcover=raster,
                                   loaded=assessment.workspace if assessment is not None else None)
    errors = sum(p.severity == "error" for p in problems)
    if not result.summary.get("data_complete", True):
        if not accept_errors:
            raise DataIncompleteError(
                f"数据有 {errors} 个错误，部分数据未参与{campaign.title}计算，结论待定（详见 landuse check）；"
                "修正数据后重算，或加 --accept-errors 仍出具结果（标为“待定”）",
                f"{errors} data error(s) kept rows out of the {campaign.title_en} measures: the verdicts are "
                "undetermined (see landuse check); mend the data, or pass --accept-errors to go on (marked "
                "undetermined)")
        LOG.warning(settings.t(f"注意：数据有 {errors} 个错误，结论待定（data_complete=false）",
                               f"note: {errors} data error(s): the verdicts are undetermined (data_complete=false)"))
    return campaign, result, problems


def _campaign_report(settings: Settings, workspace: str | None, crs: str | None,
                     zengcun: list[tuple[str, Any]], rules: Any, as_of: dt.date | None, out: str,
                     overwrite: bool, accept_errors: bool, raster: bool, map_options: dict[str, Any]) -> None:
    """``landuse report`` of a campaign's rule set, alone or added to a 增存挂钩 report."""
    from landuse.io.files import write_bytes, write_csv, write_text
    from landuse.output import campaign_report as cr

    campaign = _campaign_of(rules)
    if not zengcun:
        names = cr.report_files(campaign)
        check_outputs([Path(out) / n for n in names], overwrite=overwrite)
        campaign, result, problems = measure_campaign(settings, workspace, crs, rules, as_of, raster=raster,
                                                      accept_errors=accept_errors)
        names += [f"{x.name}.csv" for x in result.ledgers if f"{x.name}.csv" not in names]
        with output_set(out, names, overwrite=overwrite) as stage:
            cr.write_campaign_report(result, campaign, rules, stage, lang=settings.lang, problems=problems,
                                     workspace=str(workspace or settings.t("内置样例数据", "the bundled sample")),
                                     overwrite=True, **map_options)
        if settings.verbosity >= 0:
            stdout_console().print(_campaign_table(result, rules, settings))
    else:
        # The 增存挂钩 report with the campaign's section, table and map appended; its ledgers
        # in a workbook and CSV files of their own beside the 增存挂钩 ones.
        from landuse.campaigns.weipian import compose_plans
        from landuse.model.schema import problems_frame
        from landuse.output.figures import cjk_font
        from landuse.output.report import REPORT_FILES, REPORT_STEPS, write_report

        book = f"ledgers_{campaign.name}.xlsx"
        names = [*REPORT_FILES.values(), *TABLE_FILES, book, *(f"{n}.csv" for n in campaign.ledger_names)]
        check_outputs([Path(out) / n for n in names], overwrite=overwrite)
        cjk_font()
        a = run_assessment(settings, workspace, crs, zengcun[0][0], as_of, raster=raster,
                           accept_errors=accept_errors)
        campaign, result, problems = measure_campaign(settings, workspace, crs, rules, as_of, raster=raster,
                                                      accept_errors=accept_errors, assessment=a)
        a.counties = compose_plans(a.counties, result)
        a.problems = pd.concat([a.problems, problems_frame(result.problems)], ignore_index=True)
        tables = cr.campaign_tables(result, lang=settings.lang)
        title = (rules.name, rules.name_en)
        fmap = cr.campaign_map(result, title=title, lang=settings.lang, **map_options) if result.layers else None
        with output_set(out, names, overwrite=overwrite) as stage, \
                steps(settings, len(REPORT_STEPS)) as progress:
            write_report(a, stage, lang=settings.lang, overwrite=True, progress=progress, **map_options)
            save_assessment(a, stage, overwrite=True)
            page = (stage / "index.html").read_text(encoding="utf-8")
            from landuse.output.maps import map_html

            page = cr.append_campaign(page, result, campaign, rules, lang=settings.lang,
                                      map_html=None if fmap is None else map_html(fmap),
                                      plans=a.counties, workbook=book)
            write_text(page, stage / "index.html")
            write_bytes(cr.campaign_workbook_bytes(result, rules_id=rules.id, lang=settings.lang, title=title),
                        stage / book)
            for ledger in result.ledgers:
                write_csv(tables[ledger.name], stage / f"{ledger.name}.csv")
        print_counties(a, settings)
        if settings.verbosity >= 0:
            stdout_console().print(_campaign_table(result, rules, settings))
            stdout_console().print(_plan_table(a.counties, settings))
    for name in names:
        click.echo(str(Path(out) / name))
    LOG.warning(settings.t(f"会议材料已写入 {out}/（打开 index.html）", f"report written to {out}/ (open index.html)"))


def _plan_table(counties: pd.DataFrame, settings: Settings) -> Table:
    """Next year's plan: the 增存挂钩 multiplier, then the 增违挂钩 deduction."""
    t = settings.t
    table = Table(title=t("下一年度计划：增存挂钩奖惩后再扣减增违挂钩", "next year's plan: 增存 multiplier, then 增违 cut"))
    for zh, en in (("代码", "code"), ("县区", "county"), ("因素法（公顷）", "factor method (ha)"),
                   ("增存挂钩后（公顷）", "after 增存 (ha)"), ("增违核减（公顷）", "增违 cut (ha)"),
                   ("最终计划（公顷）", "final plan (ha)")):
        table.add_column(t(zh, en), justify="left" if en in ("code", "county") else "right")

    def ha(value: object) -> str:
        return "" if pd.isna(value) else f"{float(value):,.2f}"  # type: ignore[arg-type]

    for _, row in counties.iterrows():
        table.add_row(str(row["county_code"]), str(row["county_name"]), ha(row["plan_base_ha"]),
                      ha(row["plan_next_ha"]), ha(row["plan_deduction_ha"]), ha(row["plan_final_ha"]))
    return table


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
    title = t(f"{a.rules.name}（截至 {a.as_of}）", f"{a.rules.name_en} (as of {a.as_of})")
    if len(a.undetermined):
        title += t(f"\n数据不完整：{len(a.undetermined)} 个县区待定", f"\ndata incomplete: "
                   f"{len(a.undetermined)} counties undetermined")
    ranked = a.counties["rank"].notna().any() if "rank" in a.counties else False
    # A rule set whose ranking rate nobody has (mnr-2018: no disposal task) ranks no county.
    order = (t(f"排名依据：{by}", f"ranked by: {by}") if ranked
             else t(f"无排名：各县区均无{by}", f"no ranking: no county has a {by}"))
    table = Table(title=title, caption=t(f"{order}；{basis}", f"{order}; {basis}"))
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
        if row["outcome"] == "undetermined":
            outcome += t("（数据不完整）", " (data incomplete)")
        elif not row["outcome_final"]:
            outcome += t("（暂定）", " (provisional)")
        colour = {"award": "green", "penalty": "red"}.get(str(row["outcome"]), "yellow")
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


def outcome_text(settings: Settings, outcome: str) -> str:
    """奖励 / 核减 / 待定 (award, penalty, undetermined) in the chosen language."""
    words = {"award": ("奖励", "award"), "penalty": ("核减", "penalty")}
    return settings.t(*words.get(outcome, ("待定", "undetermined")))


#: Above this many rows the county table is printed as plain aligned text: a province's
#: 150 counties take rich about a second to lay out, plain text a few milliseconds.
PLAIN_TABLE_ROWS = 30


def _plain(table: Table) -> str:
    """A rich table as plain aligned text (markup removed, CJK counted two cells wide)."""
    from rich.cells import cell_len
    from rich.text import Text

    def text(cell: object) -> str:
        return Text.from_markup(cell).plain if isinstance(cell, str) else str(cell)

    columns = [[text(c.header).replace("\n", " ") for c in table.columns]]
    body = list(zip(*[[text(cell) for cell in c._cells] for c in table.columns], strict=True))
    rows = columns + [list(r) for r in body]
    widths = [max(cell_len(r[i]) for r in rows) for i in range(len(table.columns))]

    def line(row: list[str]) -> str:
        out = []
        for cell, width, col in zip(row, widths, table.columns, strict=True):
            pad = " " * (width - cell_len(cell))
            out.append(pad + cell if col.justify == "right" else cell + pad)
        return "  ".join(out).rstrip()

    title = text(table.title) if table.title else ""
    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([*([title] if title else []), line(rows[0]), rule, *(line(r) for r in rows[1:])])


def print_counties(a: Assessment, settings: Settings, *, county: str | None = None,
                   sort: str = "code") -> None:
    """Print the county table on stdout: nothing under ``-q``, plain text when it is long.

    ``county`` (a code or a name) shows that unit's row alone, ranked among all;
    ``sort`` orders the rows: ``code``, ``rank`` (best first) or a task id (its rate,
    highest first).
    """
    if settings.verbosity < 0:
        return
    shown = a
    if county is not None or sort != "code":
        counties = a.counties
        if county is not None:
            code = a.county(county)["county_code"]
            counties = counties[counties["county_code"] == code]
        elif sort == "rank":
            counties = counties.sort_values(["rank", "county_code"], na_position="last", kind="stable")
        else:
            column = f"{sort}_rate"
            if column not in counties:
                ids = ", ".join(r.task.id for r in a.tasks)
                raise click.BadParameter(
                    f"没有任务 {sort}（可选 code、rank、{ids}）/ no task {sort} (use code, rank, {ids})",
                    param_hint="--sort")
            counties = counties.sort_values([column, "county_code"], ascending=[False, True],
                                            na_position="last", kind="stable")
        shown = dataclasses.replace(a, counties=counties)
    table = county_table(shown, settings)
    if len(shown.counties) > PLAIN_TABLE_ROWS:
        click.echo(_plain(table))
    else:
        stdout_console().print(table)


def _run_of(ws: Any, rules: Any, as_of: dt.date | None) -> Any:
    """The ``runs`` row of an assessment: rules, date, and the workspace (absolute, no password)."""
    from pathlib import Path

    from landuse.io.postgis import Run, is_database_url

    day = as_of if as_of is not None else max(t.deadline for t in rules.tasks)
    source = ws.source if is_database_url(ws.source) else str(Path(ws.source).resolve())
    return Run(rules.id, day, source)


def _is_url(text: str | None) -> bool:
    return bool(text) and str(text).startswith(("postgresql://", "postgres://"))


# --- commands ------------------------------------------------------------------------------
@command("assess")
@workspace_argument
@click.option(
    "--rules", "rules_name", default=("zhumadian-2018",), multiple=True, show_default=True,
    metavar="NAME|FILE.toml",
    help=f"规则集：内置名称（{', '.join(list_rulesets())}）或 TOML 文件；增存挂钩与卫片执法规则集可各给一个，合并计划核减 / "
         "a bundled rule set or a TOML file; give a 增存挂钩 and a 卫片执法 one to compose the plan.",
)
@as_of_option
@click.option("--out", "out", metavar="DIR|postgresql://…",
              help="写出 counties.csv 等表格的文件夹，或 PostGIS 地址 / folder for the CSV tables, or a "
                   "PostGIS URL with ?schema=.")
@overwrite_option
@accept_errors_option
@crs_option
@no_raster_option
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="本机计算或 Dask 集群 / compute here or on a Dask cluster.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Dask 调度器地址（默认本地集群）/ Dask scheduler address (default: a local cluster).")
@click.option("--county", metavar="CODE|NAME",
              help="只显示一个县区（仍按全部县区排名）/ show one county only (ranked among all).")
@click.option("--sort", default="code", show_default=True, metavar="code|rank|TASK",
              help="表格排序：代码、排名，或某任务（如 T2）的完成率 / order rows by code, rank, or a "
                   "task's rate (e.g. T2).")
@click.option("--area", "area", type=click.Choice(["plane", "ellipsoidal"]), default="plane", show_default=True,
              help="供地面积按高斯-克吕格平面（plane）或 CGCS2000 椭球面（ellipsoidal，同国土调查）量算 / "
                   "supplied areas on the Gauss-Krüger plane or on the ellipsoid, as the land survey measures.")
@pass_settings
def assess_command(settings: Settings, workspace: str | None, rules_name: tuple[str, ...], as_of: dt.date | None,
                   out: str | None, overwrite: bool, accept_errors: bool, crs: str | None, no_raster: bool,
                   engine: str, scheduler: str | None, county: str | None, sort: str,
                   area: str = "plane") -> None:
    """按规则集考核各县区：供地率、处置率、奖惩、排名。

    Assess every county against a rule set as of a date: each task's rate,
    target, met and gap, the award or penalty, next year's plan, suspension
    and ranking. Prints the county table; with --out writes counties.csv,
    batches.csv, idle.csv, candidates.csv, supplies.csv and problems.csv
    (UTF-8 with BOM, opens in Excel), or the same tables into PostGIS as
    a new run of the schema's history (runs, latest_counties... views),
    checked before anything is computed.

    \b
    $ landuse assess
    $ landuse assess 驻马店数据/ --rules zhumadian-2018 --as-of 2018-12-31 --out 考核结果/
    $ landuse assess postgresql://gis@db/land?schema=zhumadian --out postgresql://gis@db/land?schema=results
    $ landuse assess 河南/ --engine dask --scheduler tcp://10.0.0.5:8786 --out 结果/
    $ landuse assess 河南/ --county 遂平县
    $ landuse assess 河南/ --sort rank
    $ landuse assess --rules zhumadian-2019-weipian --as-of 2020-06-30 --out 卫片考核/
    $ landuse assess --rules zhumadian-2018 --rules zhumadian-2019-weipian --out 合并/
    """
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler 需与 --engine dask 同用 / --scheduler needs --engine dask")
    if run_campaign(settings, workspace, crs, rules_name, as_of, out, overwrite, raster=not no_raster,
                    accept_errors=accept_errors):
        return
    database = out is not None and _is_url(out)
    if out is not None and not database:
        check_outputs([Path(out) / name for name in TABLE_FILES], overwrite=overwrite)

    def check_database(ws: Any, rules: Any) -> None:
        # Reachable, not the input schema, nothing in the way: found out before computing.
        from landuse.io.postgis import check_results_target

        check_results_target(out, _run_of(ws, rules, as_of), crs=ws.crs, overwrite=overwrite,
                             inputs=workspace)

    # CSV tables carry no geometry; only a PostGIS output stores the candidates' shapes.
    a = run_assessment(settings, workspace, crs, rules_name[0], as_of, raster=not no_raster, engine=engine,
                       scheduler=scheduler, geometry=database, accept_errors=accept_errors,
                       before=check_database if database else None, area=area)
    print_counties(a, settings, county=county, sort=sort)
    if out is None:
        return
    if database:
        from landuse.io.postgis import write_results
        from landuse.output.results import database_tables

        frames, styles = database_tables(a, lang=settings.lang)
        written = write_results(frames, out, _run_of(a.workspace, a.rules, a.as_of), styles=styles,
                                overwrite=overwrite, inputs=workspace)
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
@accept_errors_option
@crs_option
@no_raster_option
@pass_settings
def quota_command(settings: Settings, county: str, workspace: str | None, rules_name: str,
                  as_of: dt.date | None, project_kind: str | None, accept_errors: bool, crs: str | None,
                  no_raster: bool) -> None:
    """一个县区的任务、差距（公顷、亩）、距截止日天数和可能的奖惩。

    One county's tasks: rate against target, the hectares and 亩 still to
    supply or dispose of, days to each deadline, what it gets if it stays as
    it is, and whether a project of a given kind may still apply for new
    construction land. COUNTY is a code or a name.

    \b
    A rule set of another campaign shows what that campaign decides for the
    county: each task as the judge decided it, its effect (e.g. the plan cut
    of 增违挂钩) and the measures behind it.

    \b
    $ landuse quota 遂平县 --as-of 2018-10-31
    $ landuse quota 411726 驻马店数据/ --project-kind 重大民生项目
    $ landuse quota 遂平县 --rules zhumadian-2019-weipian
    """
    rules = load_ruleset(rules_name)
    if getattr(rules, "campaign", "zengcun") != "zengcun":
        if project_kind is not None:
            raise click.UsageError(f"--project-kind 只用于增存挂钩规则集，{rules.id} 不是 / --project-kind is for "
                                   f"增存挂钩 rule sets only, not {rules.id}")
        from landuse.cli.quota import campaign_quota

        campaign_quota(settings, county, workspace, crs, rules, as_of, accept_errors=accept_errors,
                       raster=not no_raster)
        return
    a = run_assessment(settings, workspace, crs, rules_name, as_of, raster=not no_raster, geometry=False,
                       accept_errors=accept_errors)
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
    if q.outcome == "undetermined":
        basis = t("（数据不完整，见 landuse check）", " (data incomplete: see landuse check)")
    else:
        basis = "" if q.outcome_final else t("（如保持现状）", " (if it stays as it is)")
    plan = "" if pd.isna(q.plan_next_ha) else t(
        f"，下一年度计划 {format_area(q.plan_next_ha)}（因素法 {format_area(q.plan_base_ha)}）",
        f"; next year's plan {format_area(q.plan_next_ha, lang='en')} (factor method "
        f"{format_area(q.plan_base_ha, lang='en')})")
    out.print(t(f"结果{basis}：{outcome}{plan}", f"outcome{basis}: {outcome}{plan}"))
    exempt = "、".join(q.exempt_project_kinds)
    if q.suspended:
        out.print(t(f"新增建设用地申请暂停受理（{exempt}除外），整改完成并经确认后恢复",
                    f"new construction land applications suspended (except {exempt}) until rectified"))
    elif q.suspension_pending:
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
        if q.project_allowed and q.suspension_pending and q.exempt_category is None:
            verdict += t("（如到截止日仍未完成，将暂停受理）", " (to be suspended if still short at the deadline)")
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
    if out:
        check_outputs([out], overwrite=overwrite)
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
        from landuse.campaigns.zengcun.assessment import tables
        from landuse.io.files import write_csv

        frame = tables(a)["candidates"]
        if kinds:
            frame = frame[frame["kind"].isin(kinds)]
        write_csv(frame, out, overwrite=overwrite)
        LOG.warning(t(f"已写出：{out}", f"written: {out}"))


@command("report")
@workspace_argument
@rules_options
@as_of_option
@click.option("--out", type=click.Path(file_okay=False), default="maps", show_default=True,
              help="输出文件夹 / output folder.")
@overwrite_option
@accept_errors_option
@basemap_option
@crs_option
@no_raster_option
@pass_settings
def report_command(settings: Settings, workspace: str | None, rules_name: tuple[str, ...], as_of: dt.date | None,
                   out: str, overwrite: bool, accept_errors: bool, basemap: str | None, tianditu_key: str | None,
                   overlays: list[tuple[str, Any]], crs: str | None, no_raster: bool) -> None:
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
    $ landuse report --basemap "http://10.1.1.8/tiles/{z}/{x}/{y}.png" --overlay 道路.shp

    Another campaign's rule set writes that campaign's report: index.html
    (its section, county table, map and ledgers), ledgers.xlsx (one sheet
    per ledger), counties.csv, one CSV per ledger and problems.csv. Given
    with a 增存挂钩 rule set, a 卫片执法 one adds its section and map to the
    增存挂钩 report, and its ledgers as ledgers_weipian.xlsx and CSV files.

    \b
    $ landuse report --rules zhumadian-2019-weipian --out 卫片执法/
    $ landuse report --rules zhumadian-2020-farmland --out 耕地保护/
    $ landuse report --rules zhumadian-2018 --rules zhumadian-2019-weipian --out 合并/
    """
    from landuse.output.figures import cjk_font
    from landuse.output.report import REPORT_FILES, REPORT_STEPS, write_report

    zengcun, other = _split_rules(rules_name)
    if other is not None:
        _campaign_report(settings, workspace, crs, zengcun, other, as_of, out, overwrite, accept_errors,
                         not no_raster, {"basemap": basemap, "tianditu_key": tianditu_key, "overlays": overlays})
        return

    # Every refusal comes before the computation: existing or unwritable files, no Chinese font.
    names = [*REPORT_FILES.values(), *TABLE_FILES]
    check_outputs([Path(out) / name for name in names], overwrite=overwrite)
    cjk_font()
    a = run_assessment(settings, workspace, crs, zengcun[0][0], as_of, raster=not no_raster,
                       accept_errors=accept_errors)
    # The report and its tables are one set: written into a staging folder, moved in together.
    with output_set(out, names, overwrite=overwrite) as stage, \
            steps(settings, len(REPORT_STEPS)) as progress:
        write_report(a, stage, lang=settings.lang, basemap=basemap, tianditu_key=tianditu_key,
                     overlays=overlays, overwrite=True, progress=progress)
        save_assessment(a, stage, overwrite=True)
    print_counties(a, settings)
    for name in names:
        click.echo(str(Path(out) / name))
    LOG.warning(settings.t(f"会议材料已写入 {out}/（打开 index.html）",
                           f"report written to {out}/ (open index.html)"))


@command("map")
@workspace_argument
@rules_options
@as_of_option
@click.option("--out", type=click.Path(dir_okay=False), default="maps/outcome.html", show_default=True,
              help="输出的 HTML 文件 / the HTML file to write.")
@click.option("--max-html-mb", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="地图文件大小上限，超出时简化大图层 / size budget; large layers are thinned to fit.")
@overwrite_option
@accept_errors_option
@basemap_option
@crs_option
@no_raster_option
@pass_settings
def map_command(settings: Settings, workspace: str | None, rules_name: tuple[str, ...], as_of: dt.date | None,
                out: str,
                max_html_mb: float, overwrite: bool, accept_errors: bool, basemap: str | None,
                tianditu_key: str | None, overlays: list[tuple[str, Any]], crs: str | None,
                no_raster: bool) -> None:
    """交互式考核结果地图（默认离线可用）。

    The interactive outcome map alone: counties coloured by award or
    penalty with their rates in popups, and layers of unsupplied batches,
    supplied and idle parcels and candidates. Opens offline unless a
    --basemap is asked for.

    \b
    $ landuse map
    $ landuse map --basemap tianditu --tianditu-key 你的密钥 --out 考核地图.html
    $ landuse map --overlay 乡镇.shp --overlay 道路.gpkg

    Another campaign's rule set maps that campaign's layers (卫片图斑 by
    legality and rectification, the units against the red line; farmland
    retention, overlaps …).

    \b
    $ landuse map --rules zhumadian-2019-weipian --out 卫片图斑.html
    """
    from landuse.output.maps import render_map, save_map

    zengcun, other = _split_rules(rules_name)
    if other is not None and zengcun:
        raise click.UsageError("landuse map 一次只画一个规则集的地图；合并的地图见 landuse report / landuse map draws "
                               "one rule set's map; `landuse report` puts both in one report")
    target = Path(out)
    check_outputs([target], overwrite=overwrite)
    if other is not None:
        from landuse.output.campaign_report import campaign_map

        _campaign, result, _problems = measure_campaign(settings, workspace, crs, other, as_of,
                                                        raster=not no_raster, accept_errors=accept_errors)
        m = campaign_map(result, title=(other.name, other.name_en), lang=settings.lang, basemap=basemap,
                         tianditu_key=tianditu_key, max_html_mb=max_html_mb, overlays=overlays)
        with output_set(target.parent, [target.name], overwrite=overwrite) as stage:
            save_map(m, stage / target.name, overwrite=True)
        stats = m.landuse_stats
        stats = dataclasses.replace(stats, path=target)
    else:
        a = run_assessment(settings, workspace, crs, zengcun[0][0], as_of, raster=not no_raster,
                           accept_errors=accept_errors)
        with output_set(target.parent, [target.name], overwrite=overwrite) as stage:
            stats = render_map(a, stage / target.name, overwrite=True, lang=settings.lang, basemap=basemap,
                               tianditu_key=tianditu_key, max_html_mb=max_html_mb, overlays=overlays)
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
    from landuse.campaigns.zengcun.progress import progress_table, quarterly_progress

    if out:
        check_outputs([out], overwrite=overwrite)
    rules = _zengcun_only(load_ruleset(rules_name))
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
        from landuse.output.figures import progress_figure, write_png

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
    from landuse.io.postgis import load_files

    _configure_logging(settings)
    counts = load_files(workspace, url, overwrite=overwrite,
                        notify=lambda zh, en: LOG.warning(settings.t(zh, en)))
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
    if getattr(r, "campaign", "zengcun") != "zengcun":
        # Another campaign's rule set: its checked keys, as the TOML names them.
        import dataclasses

        table = Table(title=f"{r.name if settings.lang == 'zh' else r.name_en}\n{r.source if settings.lang == 'zh' else r.source_en}")
        table.add_column(t("键", "key"))
        table.add_column(t("值", "value"), overflow="fold")
        for f in dataclasses.fields(r):
            if f.name not in ("name", "name_en", "source", "source_en", "path"):
                table.add_row(f.name, str(getattr(r, f.name)))
        console.print(table)
        return
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
