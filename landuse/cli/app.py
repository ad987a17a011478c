"""The ``landuse`` command: thin adapters over the library.

Everything shared lives here once: the options every command takes
(``--lang``, ``-v``, ``-q``), logging to stderr, loading a workspace with
progress, and the error handling of :class:`LanduseGroup`. A command is a
function decorated with :func:`command`; it reads through the library and
prints data to stdout, progress and messages to stderr.

Exit codes: 0 success; 1 a runtime failure, printed as one line (no
traceback unless ``-v``), or errors found by ``landuse check``; 2 a usage
error (click's own, naming the option).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError
from rich.console import Console
from rich.table import Table

from landuse import __version__
from landuse._errors import LanduseError
from landuse.cli import _lang
from landuse.model.schema import LAYERS, Problem, problems_frame
from landuse.model.units import mu_from_ha
from landuse.model.workspace import Workspace, county_areas, load_workspace

__all__ = ["LanduseGroup", "Settings", "cli", "command"]

LANGS = ("zh", "en")
_lang.install()
LOG = logging.getLogger("landuse")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    """What the shared options chose: the language and how much to say on stderr."""

    lang: str = "zh"
    verbosity: int = 0  # -1 quiet, 0 normal, 1 -v, 2 -vv
    encoding: str | None = None  # --encoding: text encoding of CSV files and .dbf tables
    layers: dict[str, str] = dataclass_field(default_factory=dict)  # --layer / --layers: layer -> table
    landcover_file: str | None = None  # --landcover

    def t(self, zh: str, en: str) -> str:
        """Return ``zh`` or ``en`` by the chosen language."""
        return en if self.lang == "en" else zh


pass_settings = click.make_pass_decorator(Settings, ensure=True)


# --- shared options ------------------------------------------------------------------------
def _store_lang(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(Settings).lang = value
        _lang.set_lang(value)


def _store_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        ctx.ensure_object(Settings).verbosity = value


def _store_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Settings).verbosity = -1


def shared_options(*, group: bool) -> Callable[[F], F]:
    """Add ``--lang``, ``-v`` and ``-q`` to the group or to one command.

    On the group they carry the defaults (and ``LANDUSE_LANG``); on a command
    they override the group's only when given, so ``landuse --lang en check``
    and ``landuse check --lang en`` both work.
    """
    options = [
        click.option(
            "--lang",
            type=click.Choice(LANGS),
            default="zh" if group else None,
            envvar="LANDUSE_LANG" if group else None,
            show_envvar=group,
            show_default=group,
            expose_value=False,
            is_eager=True,
            callback=_store_lang,
            help="输出语言 / output language: zh 中文, en English.",
        ),
        click.option(
            "-v",
            "--verbose",
            count=True,
            expose_value=False,
            callback=_store_verbose,
            help="显示进度，出错时显示调用栈（-vv 更详细）/ show progress, and tracebacks on failure.",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_store_quiet,
            help="只显示错误 / show errors only.",
        ),
    ]

    def decorate(f: F) -> F:
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def _check_crs(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        CRS.from_user_input(text)
    except ProjCRSError as err:
        raise click.BadParameter(
            f"无法识别的坐标系 “{value}”，例如 EPSG:4490、EPSG:4547 / unknown CRS '{value}', "
            "e.g. EPSG:4490 or EPSG:4547"
        ) from err
    return text


def _check_workspace(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None or "://" in value or Path(value).exists():
        return value
    raise click.BadParameter(f"路径不存在 / no such file or folder: {value}")


def _store_encoding(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    import codecs

    try:
        codecs.lookup(value.strip())
    except LookupError as err:
        raise click.BadParameter(
            f"无法识别的编码 “{value}”，例如 GBK、UTF-8 / unknown encoding '{value}', e.g. GBK or UTF-8"
        ) from err
    ctx.ensure_object(Settings).encoding = value.strip()


_crs_only = click.option(
    "--crs",
    metavar="EPSG",
    callback=_check_crs,
    help="没有坐标系的图层按此坐标系读取 / CRS of layers that have none, e.g. EPSG:4490.",
)
_encoding_option = click.option(
    "--encoding",
    metavar="CODEC",
    expose_value=False,
    callback=_store_encoding,
    help="CSV 与 .dbf 的文本编码（覆盖 .cpg 和自动判断），如 GBK、UTF-8 / text encoding of CSV files "
    "and .dbf tables, over .cpg files and guessing, e.g. GBK.",
)


def crs_option(f: F) -> F:
    """The workspace reading options: ``--crs`` (passed as ``crs``) and ``--encoding`` (kept in Settings)."""
    return _crs_only(_encoding_option(f))


def _store_layer(ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> None:
    if value:
        # Only a database workspace needs the PostGIS module (SQLAlchemy, psycopg: a second to import).
        from landuse.io.postgis import layer_names

        ctx.ensure_object(Settings).layers.update(layer_names(list(value)))


def _store_layers_file(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    import tomllib

    from landuse.io.postgis import layer_names

    try:
        with open(value, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise click.BadParameter(f"无法读取图层对应表 / cannot read the layer mapping {value}: {err}") from err
    mapping = data.get("layers", data)
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise click.BadParameter(
            f"{value}：应为 批次 = \"表名\" 形式的键值（可放在 [layers] 下）/ "
            f"{value}: use lines like batches = \"t_jsyd_pcxx\" (optionally under [layers])")
    settings = ctx.ensure_object(Settings)
    settings.layers = {**layer_names(mapping), **settings.layers}  # --layer wins


def _store_landcover(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(Settings).landcover_file = value


_workspace_options = [
    click.argument("workspace", required=False, callback=_check_workspace),
    click.option("--layer", "layer_pairs", multiple=True, metavar="LAYER=TABLE", expose_value=False,
                 callback=_store_layer,
                 help="数据库中图层对应的表名，如 batches=t_jsyd_pcxx（可重复）/ the table of a layer in a "
                      "database, e.g. batches=t_jsyd_pcxx (repeatable)."),
    click.option("--layers", "layers_file", metavar="FILE.toml", expose_value=False,
                 type=click.Path(exists=True, dir_okay=False), callback=_store_layers_file,
                 help="图层与表名对应表（TOML：batches = \"t_jsyd_pcxx\"）/ a TOML mapping of layers to tables."),
    click.option("--landcover", "landcover_path", metavar="FILE.tif", expose_value=False,
                 type=click.Path(exists=True, dir_okay=False), callback=_store_landcover,
                 help="土地覆盖栅格（可与数据库工作区同用）/ the land-cover raster, beside any workspace."),
]


def workspace_argument(f: F) -> F:
    """The WORKSPACE argument with --layer, --layers and --landcover."""
    for decorator in reversed(_workspace_options):
        f = decorator(f)
    return f


# --- the group and its error handling ------------------------------------------------------
class LanduseGroup(_lang.LanguageGroup):
    """A click group that turns failures into one line on stderr and exit code 1.

    A :class:`~landuse.LanduseError` prints its message in the chosen
    language; any other exception prints ``内部错误 / internal error: …``.
    With ``-v`` the traceback is printed first. Click's own exceptions (usage
    errors, exit, abort) pass through untouched.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Each run starts from LANDUSE_LANG: a --lang of an earlier run (tests) does not linger.
        _lang.set_lang(None)
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.ClickException as err:
            # A usage error's message is written bilingual: show the chosen language's half.
            err.message = _lang.pick(err.message) or err.message
            raise
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except LanduseError as err:
            settings = ctx.ensure_object(Settings)
            _fail(settings, settings.t("错误：", "error: ") + err.message(settings.lang), err)
        except BrokenPipeError:
            # `landuse check | head`: the reader left; nothing more to say.
            _silence_stdout()
            raise click.exceptions.Exit(1) from None
        except Exception as err:  # anything else is our bug: say so in one line
            _fail(
                ctx.ensure_object(Settings),
                f"内部错误 / internal error: {type(err).__name__}: {err}",
                err,
            )


def _fail(settings: Settings, line: str, err: BaseException) -> None:
    if settings.verbosity > 0:
        click.echo("".join(traceback.format_exception(err)).rstrip(), err=True)
    click.echo(" ".join(line.split()), err=True)
    raise click.exceptions.Exit(1) from None


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@click.group(cls=LanduseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@shared_options(group=True)
@click.version_option(version=__version__, prog_name="landuse", message="%(prog)s %(version)s")
def cli() -> None:
    """landuse：建设用地“增存挂钩”考核（供地率、处置率、奖惩）。

    Construction-land 增存挂钩 assessment for land bureaus: supply and
    disposal rates per county, awards and penalties.

    不给工作区时使用内置的驻马店示例 / without a WORKSPACE the bundled
    Zhumadian sample is used.

    \b
    $ landuse info
    $ landuse check 驻马店数据/ --lang en
    $ landuse --help
    """


def command(*args: Any, **kwargs: Any) -> Callable[[F], click.Command]:
    """Register a subcommand of :data:`cli` with the shared options.

    Use it like ``click.command``; the function is the command's callback and
    its docstring is its ``--help``.
    """

    def decorate(f: F) -> click.Command:
        return cli.command(*args, **kwargs)(shared_options(group=False)(f))

    return decorate


# --- helpers for commands ------------------------------------------------------------------
class _StderrHandler(logging.Handler):
    """Writes each record as a line to the current stderr (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:
            self.handleError(record)


def _configure_logging(settings: Settings) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        settings.verbosity, logging.DEBUG
    )
    if not any(isinstance(h, _StderrHandler) for h in LOG.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOG.addHandler(handler)
    LOG.setLevel(level)
    LOG.propagate = False


_STEP_WORDS = {
    "read": ("读取", "reading"),
    "normalise": ("规范化", "normalising"),
    "validate": ("校验", "validating"),
}


def load(settings: Settings, workspace: str | None, crs: str | None, *, landcover: bool = True,
         cut_ahead: bool = True) -> Workspace:
    """Load ``workspace`` (the bundled sample when None), logging progress to stderr.

    ``cut_ahead=False`` for commands that only check or describe the layers (no supply links).
    """
    _configure_logging(settings)

    def progress(step: str) -> None:
        verb, _, what = step.partition(" ")
        zh, en = _STEP_WORDS.get(verb, (verb, verb))
        LOG.info(settings.t(f"{zh} {what}".strip(), f"{en} {what}".strip()))

    shown = workspace
    if workspace and workspace.startswith(("postgresql://", "postgres://", "postgresql+")):
        from landuse.io.postgis import parse_url

        shown = parse_url(workspace).shown  # never the password
    LOG.info(settings.t(f"工作区：{shown or '内置示例'}", f"workspace: {shown or 'bundled sample'}"))
    if settings.landcover_file:
        LOG.info(settings.t(f"土地覆盖栅格：{settings.landcover_file}", f"land cover: {settings.landcover_file}"))
    return load_workspace(workspace, crs=crs, progress=progress, landcover=landcover,
                          landcover_file=settings.landcover_file, layers=settings.layers or None,
                          encoding=settings.encoding, cut_ahead=cut_ahead)


def stdout_console() -> Console:
    """A rich console on stdout; wide and plain when stdout is not a terminal."""
    stream = sys.stdout
    if stream.isatty():
        return Console(file=stream)
    return Console(file=stream, width=160, no_color=True, highlight=False, soft_wrap=False)


def layer_label(layer: str, settings: Settings) -> str:
    """The layer's name in the chosen language (``批次`` / ``batches``)."""
    spec = LAYERS.get(layer)
    if spec is None:
        return settings.t({"workspace": "工作区", "landcover": "土地覆盖"}.get(layer, layer), layer)
    return settings.t(spec.label, layer)


def problem_summary(problems: list[Problem], settings: Settings) -> str:
    """One line: how many errors and warnings."""
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if not problems:
        return settings.t("没有发现问题", "no problems found")
    return settings.t(
        f"共 {len(problems)} 个问题：{errors} 个错误，{warnings} 个警告",
        f"{_count(len(problems), 'problem')}: {_count(errors, 'error')}, {_count(warnings, 'warning')}",
    )


def _count(n: int, noun: str) -> str:
    """``1 problem``, ``2 problems``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --- commands ------------------------------------------------------------------------------
@command("check")
@workspace_argument
@crs_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
    help="输出格式 / output format.",
)
@pass_settings
def check(settings: Settings, workspace: str | None, crs: str | None, fmt: str) -> None:
    """检查工作区数据，列出问题；有错误时退出码为 1。

    Check a workspace and list its problems (layer, feature, field, row,
    severity, message); exit code 1 when any is an error. An error keeps its
    row out of every computation, a warning keeps it in.

    WORKSPACE：文件夹、GeoPackage 或 zip / a folder, a GeoPackage or a zip.

    \b
    $ landuse check
    $ landuse check 驻马店数据/
    $ landuse check 批次.gpkg --crs EPSG:4490 --lang en
    $ landuse check 数据.zip --format csv > 问题清单.csv
    """
    ws = load(settings, workspace, crs, cut_ahead=False)
    problems = sorted(ws.problems, key=lambda p: p.severity != "error")  # errors first, stable
    if fmt == "csv":
        frame = problems_frame(problems)
        frame["message"] = [p.text(settings.lang) for p in problems]
        frame = frame.drop(columns="message_en")
        click.echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)
    elif problems:
        table = Table(title=settings.t(f"数据问题：{ws.source}", f"data problems: {ws.source}"))
        for zh, en in (
            ("图层", "layer"),
            ("要素", "feature"),
            ("字段", "field"),
            ("行", "row"),
            ("级别", "severity"),
            ("说明", "message"),
        ):
            table.add_column(settings.t(zh, en), overflow="fold")
        for p in problems:
            severity = (
                settings.t("错误", "error")
                if p.severity == "error"
                else settings.t("警告", "warning")
            )
            table.add_row(
                layer_label(p.layer, settings),
                p.feature_id or "",
                p.field or "",
                "" if p.row is None else str(p.row),
                f"[red]{severity}[/]" if p.severity == "error" else severity,
                p.text(settings.lang),
            )
        stdout_console().print(table)
    if fmt != "csv":
        print_accounting(ws, settings, stdout_console())
    LOG.warning(problem_summary(ws.problems, settings))
    if ws.has_errors:
        raise click.exceptions.Exit(1)


@command("info")
@workspace_argument
@crs_option
@pass_settings
def info(settings: Settings, workspace: str | None, crs: str | None) -> None:
    """概览工作区：图层、坐标系、日期范围、各县区面积（公顷、亩）。

    Summarise a workspace: its layers (source file, rows, CRS), the plane
    areas are measured on, the range of approval and supply dates, and the
    areas of batches, supply parcels and idle land per county in 公顷 and 亩.

    \b
    $ landuse info
    $ landuse info 驻马店数据/ --lang en
    $ landuse info 批次.shp所在文件夹/ --crs EPSG:4547
    """
    ws = load(settings, workspace, crs, cut_ahead=False)
    out = stdout_console()
    t = settings.t
    out.print(t(f"工作区：{ws.source}", f"workspace: {ws.source}"))

    layers = Table(title=t("图层（读入 = 使用 + 排除）", "layers (read = used + excluded)"))
    for zh, en in (
        ("图层", "layer"),
        ("来源", "source"),
        ("文件所载", "in file"),
        ("读入", "read"),
        ("使用", "used"),
        ("排除", "excluded"),
        ("坐标系", "CRS"),
    ):
        layers.add_column(t(zh, en), justify="left" if en in ("layer", "source", "CRS") else "right")
    accounting = ws.accounting.set_index("layer")
    for name in LAYERS:
        if name not in accounting.index:
            layers.add_row(layer_label(name, settings), t("（无）", "(none)"), "", "", "", "", "")
            continue
        row = accounting.loc[name]
        if name in ws.source_crs:
            crs_text = _crs_text(ws.source_crs[name], settings)
        elif name in ws.sources:
            crs_text = t("表格", "table")
        else:
            crs_text = ""
        layers.add_row(layer_label(name, settings), row["source"], *_accounting_cells(row), crs_text)
    if ws.landcover is not None:
        rows, cols = ws.landcover.shape
        layers.add_row(
            layer_label("landcover", settings),
            f"{Path(ws.landcover.path).name}（{rows} × {cols}）",
            "",
            "",
            "",
            "",
            _crs_text(ws.landcover.crs, settings),
        )
    out.print(layers)
    out.print(
        t(
            f"面积计算平面：{_crs_text(ws.crs, settings)}",
            f"areas measured on: {_crs_text(ws.crs, settings)}",
        )
    )

    for layer, field, zh, en in (
        ("batches", "approval_date", "批准日期", "approval dates"),
        ("supplies", "supply_date", "供地日期", "supply dates"),
        ("idle", "identified_date", "闲置认定日期", "idle identified"),
    ):
        dates = ws.layer(layer)[field].dropna()
        if dates.empty:
            out.print(t(f"{zh}：无", f"{en}: none"))
        else:
            first, last = f"{dates.min():%Y-%m-%d}", f"{dates.max():%Y-%m-%d}"
            out.print(
                t(
                    f"{zh}：{first} 至 {last}（{len(dates):,} 条）",
                    f"{en}: {first} to {last} ({len(dates):,} rows)",
                )
            )

    areas = county_areas(ws)
    table = Table(title=t("各县区面积（公顷 / 亩）", "areas per county (ha / mu)"))
    for zh, en, right in (
        ("代码", "code", False),
        ("县区", "county", False),
        ("批次", "batches", True),
        ("批准面积", "approved", True),
        ("供地宗数", "supplies", True),
        ("供地面积", "supplied", True),
        ("闲置宗数", "idle", True),
        ("闲置面积", "idle area", True),
    ):
        table.add_column(t(zh, en), justify="right" if right else "left")
    total = areas.sum(numeric_only=True)
    for row in [*areas.itertuples(index=False), None]:
        if row is None:
            table.add_section()
            code, name, values = "", t("合计", "total"), total
        else:
            code, name, values = row.county_code, row.county_name, row._asdict()
        table.add_row(
            code,
            name if isinstance(name, str) else "—",
            f"{int(values['batches']):,}",
            _ha_mu(values["approved_ha"]),
            f"{int(values['supplies']):,}",
            _ha_mu(values["supplied_ha"]),
            f"{int(values['idle']):,}",
            _ha_mu(values["idle_ha"]),
        )
    out.print(table)
    if ws.problems:
        LOG.warning(
            problem_summary(ws.problems, settings)
            + t("；运行 landuse check 查看", "; run `landuse check` to see them")
        )


def _ha_mu(ha: float) -> str:
    return f"{ha:,.2f} / {mu_from_ha(ha):,.1f}"


def _accounting_cells(row: pd.Series) -> list[str]:
    """in file, read, used, excluded of one row of :attr:`Workspace.accounting`, as text."""
    promised = row["rows_in_file"]
    return ["—" if pd.isna(promised) else f"{int(promised):,}", f"{int(row['rows_read']):,}",
            f"{int(row['rows_used']):,}", f"{int(row['rows_excluded']):,}"]


def print_accounting(ws: Workspace, settings: Settings, out: Console) -> None:
    """Print read = used + excluded per layer (``check``)."""
    t = settings.t
    table = Table(title=t("各图层行数（读入 = 使用 + 排除）", "rows per layer (read = used + excluded)"))
    for zh, en in (("图层", "layer"), ("来源", "source"), ("文件所载", "in file"), ("读入", "read"),
                   ("使用", "used"), ("排除", "excluded")):
        table.add_column(t(zh, en), justify="left" if en in ("layer", "source") else "right")
    for _, row in ws.accounting.iterrows():
        table.add_row(layer_label(row["layer"], settings), row["source"], *_accounting_cells(row))
    out.print(table)


def _crs_text(crs: CRS | str | None, settings: Settings) -> str:
    if crs is None:
        return settings.t("无（需 --crs）", "none (needs --crs)")
    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    if epsg:
        return f"EPSG:{epsg} {crs.name}"
    if crs.name != "unknown":
        return crs.name
    method = crs.coordinate_operation.method_name if crs.coordinate_operation else ""
    return method or crs.to_wkt()[:60]
