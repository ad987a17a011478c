"""Static figures for slides and print: the outcome map and the progress chart.

One module (over 800 lines) because both figures share the CJK font set-up, the north arrow, the scale bar and the helper process that draws them.

Drawn with matplotlib's object API (no pyplot state) in a CJK font set
explicitly from the system's fonts (Debian ``fonts-noto-cjk``), so Chinese
renders as Chinese and never as empty boxes. The outcome map is drawn in the
workspace's projected CRS: the scale bar is measured in metres on that plane
and the north arrow is turned by the meridian convergence.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from landuse._errors import LanduseError
from landuse.model.units import MU_PER_HA
from landuse.output._lang import words

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.table import Table

    from landuse.campaigns.zengcun.assessment import Assessment
    from landuse.rules.model import RuleSet

__all__ = [
    "OUTCOME_COLORS",
    "cjk_font",
    "figure_png",
    "outcome_classes",
    "outcome_figure",
    "outcome_labels",
    "progress_figure",
    "report_pngs",
    "write_png",
]

#: Fill colour of each outcome class: the interactive map's (landuse.output.maps), so the map, the
#: PNG, the report and the QGIS styles share one legend.
OUTCOME_COLORS = {
    "award": "#57b45a",
    "award_milestone": "#d4ec8e",
    "penalty": "#f07a5a",
}
#: Fill of a county whose data lost rows to errors (``undetermined``: no verdict).
UNDETERMINED_COLOR = "#bdbdbd"
_FILLS = {**OUTCOME_COLORS, "undetermined": UNDETERMINED_COLOR}

#: Font families that carry simplified Chinese, best first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
)
_CJK_FILE_HINTS = (
    "notosanscjk",
    "notoserifcjk",
    "sourcehansans",
    "sourcehanserif",
    "notosanssc",
    "wqy",
    "msyh",
    "simhei",
    "pingfang",
)
_PROBE = "县区批而未供闲置土地"

_TEXT = {
    "zh": {
        "award": "奖励：下一年度计划 ×{met:g}",
        "award_milestone": "奖励，但节点任务未完成",
        "penalty": "计划核减：下一年度计划 ×{missed:g}",
        "suspended": "，暂停受理新增建设用地",
        "pending": "（截至目前的预判）",
        "title": "{name}：考核结果",
        "undetermined": "待定：数据不完整",
        "undetermined_short": "待定",
        "incomplete": "（数据不完整：{n} 个县区待定）",
        "subtitle": "截至 {as_of}　依据 {source}",
        "north": "北",
        "km": "公里",
        "county": "县区",
        "result": "结果",
        "tasks": "完成任务",
        "plan": "下一年度计划",
        "rank": "排名",
        "award_short": "奖励",
        "penalty_short": "计划核减",
        "footer": "坐标系 {crs}　·　数据 {source}　·　landuse {version}　·　生成于 {now}",
        "progress_title": "{name}：各县区季度进展（截至 {as_of}）",
        "progress_county": "{county}：各项任务季度进展（截至 {as_of}）",
        "target": "目标 {rate}",
        "same_as": "（与 {task} 相同）",
        "deadline": "截止 {date}",
        "rate": "完成率",
        "no_data": "无数据",
        "facts": "各项任务完成情况",
        "fact_task": "{id}　{met}/{n} 个县区完成（目标 ≥{target}{flag}）",
        "milestone": "，节点任务，不影响奖惩",
        "commended": "通报表扬：{names}",
        "criticized": "通报批评：{names}",
    },
    "en": {
        "award": "Award: next year's plan ×{met:g}",
        "award_milestone": "Award, milestone missed",
        "penalty": "Penalty: next year's plan ×{missed:g}",
        "suspended": ", new applications suspended",
        "pending": " (provisional)",
        "title": "{name}: outcome",
        "undetermined": "Undetermined: data incomplete",
        "undetermined_short": "undetermined",
        "incomplete": " (data incomplete: {n} counties undetermined)",
        "subtitle": "As of {as_of} · under {source}",
        "north": "N",
        "km": "km",
        "county": "County",
        "result": "Outcome",
        "tasks": "Tasks met",
        "plan": "Next year's plan",
        "rank": "Rank",
        "award_short": "award",
        "penalty_short": "penalty",
        "footer": "CRS {crs} · data {source} · landuse {version} · made {now}",
        "progress_title": "{name}: quarterly progress by county (as of {as_of})",
        "progress_county": "{county}: quarterly progress on each task (as of {as_of})",
        "target": "target {rate}",
        "same_as": " (= {task})",
        "deadline": "deadline {date}",
        "rate": "rate",
        "no_data": "no data",
        "facts": "Tasks met",
        "fact_task": "{id}  {met}/{n} counties met it (target ≥{target}{flag})",
        "milestone": "; milestone, not decisive",
        "commended": "Commended: {names}",
        "criticized": "Criticised: {names}",
    },
}


def _t(lang: str) -> dict[str, str]:
    return words(_TEXT, lang)


# --- font ----------------------------------------------------------------------------------
def _covers(path: str, index: int = 0) -> bool:
    """True when the font file's face ``index`` has a glyph for every probe character."""
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path, face_index=index)
    except TypeError:  # an older matplotlib without face_index: the first face
        font = FT2Font(path)
    except (OSError, RuntimeError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in _PROBE)


@functools.cache
def cjk_font() -> str:
    """Return the name of a font family that renders Chinese, registered with matplotlib.

    The font is looked for among the system's font files (Debian
    ``fonts-noto-cjk``: ``/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc``),
    added explicitly with :meth:`matplotlib.font_manager.FontManager.addfont`
    and checked to hold the glyphs of county and land words.

    Returns
    -------
    str
        A family name such as ``"Noto Sans CJK SC"``.

    Raises
    ------
    LanduseError
        When no installed font can render Chinese (install ``fonts-noto-cjk``),
        rather than drawing empty boxes.
    """
    from matplotlib import font_manager as fm

    files = [
        f
        for f in fm.findSystemFonts()
        if any(h in Path(f).name.lower().replace("-", "") for h in _CJK_FILE_HINTS)
    ]
    # The PyPI package noto-cjk-sans-otc (a dependency) carries Noto Sans CJK, so a
    # fresh machine with no system CJK font still draws Chinese.
    try:
        from noto_cjk_sans_otc import FONT_PATH

        files.append(str(FONT_PATH))
    except ImportError:
        pass
    for path in sorted(files, key=lambda f: ("Regular" not in f, "Sans" not in f, f)):
        fm.fontManager.addfont(path)
    by_name: dict[str, list] = {}
    for entry in fm.fontManager.ttflist:
        by_name.setdefault(entry.name, []).append(entry)
    for family in CJK_FAMILIES:
        for entry in by_name.get(family, []):
            if _covers(entry.fname, getattr(entry, "index", 0)):
                return family
    msg_zh = (
        "找不到能显示中文的字体，无法绘制图件（否则汉字会显示为方框）。"
        "请安装 Noto CJK 字体：Debian/Ubuntu 执行 apt install fonts-noto-cjk"
    )
    msg_en = (
        "no font that renders Chinese was found, so the figure cannot be drawn (it would show "
        "boxes). Install the Noto CJK fonts: on Debian/Ubuntu, apt install fonts-noto-cjk"
    )
    raise LanduseError(msg_zh, msg_en)


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=None)
    FigureCanvasAgg(fig)
    return fig


def _rc() -> dict[str, object]:
    return {
        "font.family": [cjk_font(), "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
    }


def write_png(
    fig: Figure, target: str | os.PathLike, *, dpi: float = 300, overwrite: bool = False
) -> Path:
    """Write ``fig`` as a PNG file, atomically.

    Raises
    ------
    OutputExistsError
        When ``target`` exists and ``overwrite`` is False.
    """
    from landuse.io.files import write_bytes

    return write_bytes(figure_png(fig, dpi=dpi), target, overwrite=overwrite)


def figure_png(fig: Figure, *, dpi: float = 300) -> bytes:
    """Render ``fig`` as PNG bytes (white background, tight bounds)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": "landuse"})
    return buf.getvalue()


# --- outcome map ---------------------------------------------------------------------------
def outcome_classes(counties: pd.DataFrame) -> pd.Series:
    """Return each county's display class: ``award``, ``award_milestone``, ``penalty`` or ``undetermined``."""
    award = counties["outcome"] == "award"
    milestone = counties["milestone_missed"].astype("boolean").fillna(False).astype(bool)
    out = np.where(award & milestone, "award_milestone", np.where(award, "award", "penalty"))
    out = np.where(counties["outcome"] == "undetermined", "undetermined", out)
    return pd.Series(out, index=counties.index, name="outcome_class", dtype="object")


def outcome_labels(rules: RuleSet, *, lang: str = "zh") -> dict[str, str]:
    """Return the legend label of each outcome class, with the rule set's multipliers."""
    text = _t(lang)
    penalty = text["penalty"].format(missed=rules.award.missed_multiplier)
    if rules.suspension.on_missed:
        penalty += text["suspended"]
    return {
        "award": text["award"].format(met=rules.award.met_multiplier),
        "award_milestone": text["award_milestone"],
        "penalty": penalty,
    }


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k metres) near a fifth of ``span_m``."""
    goal = max(span_m / 5.0, 1.0)
    power = 10 ** math.floor(math.log10(goal))
    return max((m * power for m in (1, 2, 5, 10) if m * power <= goal * 1.2), default=power)


def _convergence_deg(crs: object, x: float, y: float) -> float:
    """Angle (degrees, anticlockwise) from grid north to true north at ``(x, y)``."""
    from pyproj import CRS, Transformer

    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        return 0.0
    to_geo = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    to_map = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    x2, y2 = to_map.transform(lon, lat + 0.05)
    return math.degrees(math.atan2(-(x2 - x), y2 - y))


def _north_arrow(ax: Axes, crs: object, label: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    angle = _convergence_deg(crs, (x0 + x1) / 2, (y0 + y1) / 2)
    cx, cy, size = 0.93, 0.86, 0.07
    rad = math.radians(angle)
    dx, dy = -math.sin(rad) * size, math.cos(rad) * size
    ax.annotate(
        "",
        xy=(cx + dx / 2, cy + dy / 2),
        xytext=(cx - dx / 2, cy - dy / 2),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=1.1", "lw": 2.2, "color": "#222"},
    )
    ax.text(
        cx + dx * 0.75,
        cy + dy * 0.75,
        label,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=13,
        fontweight="bold",
        color="#222",
    )


def _scale_bar(ax: Axes, unit: str) -> None:
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    left, base = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    parts = 4
    for i in range(parts):
        ax.add_patch(
            Rectangle(
                (left + i * length / parts, base),
                length / parts,
                height,
                facecolor="#222" if i % 2 == 0 else "white",
                edgecolor="#222",
                lw=0.8,
                zorder=5,
            )
        )
    km = length / 1000.0
    for frac in (0.0, 0.5, 1.0):
        value = km * frac
        text = f"{value:g}"
        ax.text(
            left + frac * length,
            base + height * 1.8,
            text,
            ha="center",
            va="bottom",
            fontsize=8,
            zorder=5,
        )
    ax.text(
        left + length + 0.012 * (x1 - x0),
        base + height / 2,
        unit,
        ha="left",
        va="center",
        fontsize=8,
        zorder=5,
    )


def _projected(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame on a metric plane: as is when projected, else its Gauss-Krüger zone."""
    if frame.crs is None:
        raise LanduseError(
            "县区图层没有坐标系，无法绘制比例尺",
            "the counties have no CRS: cannot draw a scale bar",
        )
    if frame.crs.is_projected:
        return frame
    from landuse.model.crs import gk_zone_crs

    lon = frame.to_crs(4326).union_all().centroid.x
    return frame.to_crs(gk_zone_crs(lon))


def outcome_figure(
    assessment: Assessment, *, lang: str = "zh", width: float = 13.333, height: float = 7.5
) -> Figure:
    """Draw the counties coloured by outcome, for slides and print.

    Each county is filled by its outcome class (award; award with a
    milestone missed; penalty) and labelled with its name; a table beside
    the map gives each county's tasks met, outcome, next year's plan and
    rank. The map has a legend, a title with the rule set and the as-of
    date, a north arrow and a scale bar measured on the projected plane.

    Parameters
    ----------
    assessment : Assessment
    lang : {"zh", "en"}
    width, height : float
        Figure size in inches (default 16:9 for slides).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    LanduseError
        When no installed font renders Chinese.
    """
    import matplotlib as mpl
    from matplotlib import patheffects
    from matplotlib.patches import Patch

    from landuse import __version__

    text = _t(lang)
    rules = assessment.rules
    counties = _projected(assessment.counties)
    classes = outcome_classes(counties)
    labels = outcome_labels(rules, lang=lang)
    provisional = not bool(counties["outcome_final"].all())
    name = rules.name if lang == "zh" else rules.name_en
    source = rules.source if lang == "zh" else rules.source_en
    with mpl.rc_context(_rc()):
        fig = _figure(width, height)
        ax = fig.add_axes((0.02, 0.08, 0.60, 0.78))
        side = fig.add_axes((0.64, 0.08, 0.34, 0.78))
        side.set_axis_off()
        colors = classes.map(_FILLS)
        labels = {**labels, "undetermined": text["undetermined"]}
        counties.plot(ax=ax, color=colors.to_list(), edgecolor="white", linewidth=1.2)
        counties.boundary.plot(ax=ax, color="#555", linewidth=0.4)
        halo = [patheffects.withStroke(linewidth=3, foreground="white")]
        points = counties.representative_point()
        for pt, county_name in zip(points, counties["county_name"], strict=True):
            ax.text(
                pt.x,
                pt.y,
                str(county_name),
                ha="center",
                va="center",
                fontsize=10,
                fontweight="bold",
                color="#111",
                path_effects=halo,
                zorder=6,
            )
        ax.set_aspect("equal")
        x0, y0, x1, y1 = counties.total_bounds
        pad = 0.06 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad * 1.6, y1 + pad)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        for spine in ax.spines.values():
            spine.set_edgecolor("#999")
        _north_arrow(ax, counties.crs, text["north"])
        _scale_bar(ax, text["km"])
        present = [c for c in _FILLS if (classes == c).any()]
        handles = [
            Patch(
                facecolor=_FILLS[c],
                edgecolor="#555",
                label=f"{labels[c]}（{int((classes == c).sum())}）"
                if lang == "zh"
                else f"{labels[c]} ({int((classes == c).sum())})",
            )
            for c in present
        ]
        ax.legend(
            handles=handles,
            loc="lower right",
            fontsize=9,
            frameon=True,
            framealpha=0.92,
            edgecolor="#999",
            title=None,
        )

        unknown = int((classes == "undetermined").sum())
        title = text["title"].format(name=name) + (
            text["incomplete"].format(n=unknown) if unknown else text["pending"] if provisional else "")
        fig.text(0.02, 0.955, title, fontsize=18, fontweight="bold", ha="left", va="center")
        fig.text(
            0.02,
            0.905,
            text["subtitle"].format(as_of=assessment.as_of, source=source),
            fontsize=10,
            ha="left",
            va="center",
            color="#444",
        )
        crs = counties.crs
        crs_text = f"{crs.name}" + (
            f"（EPSG:{crs.to_epsg()}）"
            if lang == "zh" and crs.to_epsg()
            else f" (EPSG:{crs.to_epsg()})"
            if crs.to_epsg()
            else ""
        )
        fig.text(
            0.02,
            0.03,
            text["footer"].format(
                crs=crs_text,
                source=Path(str(assessment.workspace.source)).name or "-",
                version=__version__,
                now=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            ),
            fontsize=7,
            color="#666",
            ha="left",
            va="center",
        )
        _outcome_table(side, counties, classes, rules, text)
    return fig


def _outcome_table(
    ax: Axes, counties: pd.DataFrame, classes: pd.Series, rules: RuleSet, text: dict[str, str]
) -> None:
    deciding = len(rules.award.deciding)
    order = counties.assign(_cls=classes).sort_values(
        ["rank", "county_code"], na_position="last", kind="stable"
    )
    rows, fills = [], []
    for _, row in order.iterrows():
        result = {"award": text["award_short"], "penalty": text["penalty_short"]}.get(
            str(row["outcome"]), text["undetermined_short"])
        plan = row["plan_next_ha"]
        ha_word, mu_word = ("公顷", "亩") if text is _TEXT["zh"] else ("ha", "mu")
        plan_text = (
            "" if pd.isna(plan) else f"{plan:,.1f} {ha_word} / {plan * MU_PER_HA:,.0f} {mu_word}"
        )
        rank = "" if pd.isna(row["rank"]) else str(int(row["rank"]))
        rows.append(
            [
                rank,
                str(row["county_name"]),
                f"{int(row['tasks_met'])}/{deciding}",
                result,
                plan_text,
            ]
        )
        fills.append(_FILLS[row["_cls"]])
    header = [text["rank"], text["county"], text["tasks"], text["result"], text["plan"]]
    table = _table(ax, rows, header)
    # A province has more counties than the figure has room for: rows below its bottom edge
    # are never seen. The table is placed by its top, so it is made again with the rows that
    # show only, which spares laying out the others' text and changes no pixel.
    shown = _rows_shown(ax, table, len(rows))
    if shown < len(rows):
        table.remove()
        table = _table(ax, rows[:shown], header)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("#bbb")
        cell.set_linewidth(0.5)
        if r == 0:
            cell.set_facecolor("#333")
            cell.get_text().set_color("white")
            cell.get_text().set_fontweight("bold")
        elif c == 3:
            cell.set_facecolor(fills[r - 1])
            cell.get_text().set_color("#111")
            cell.get_text().set_fontweight("bold")
        elif r % 2 == 0:
            cell.set_facecolor("#f4f4f4")
    _key_facts(ax, counties, rules, text, top=1.0 - 0.0455 * (len(rows) + 1) - 0.05)


def _table(ax: Axes, rows: list[list[str]], header: list[str]) -> Table:
    """The county table, its cells not yet coloured."""
    table = ax.table(
        cellText=rows,
        colLabels=header,
        loc="upper center",
        cellLoc="center",
        colWidths=[0.1, 0.2, 0.16, 0.14, 0.4],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(9.5)
    table.scale(1.0, 1.55)
    return table


def _rows_shown(ax: Axes, table: Table, n: int) -> int:
    """How many of the table's ``n`` rows (under its header) reach into the figure."""
    height = table[0, 0].get_height()
    top = 1.0 - table.AXESPAD  # the table hangs from here
    below = _figure_bottom(ax) - height  # a row starting lower is out of sight, with a margin
    return min(n, max(0, math.floor((top - below) / height)))


def _figure_bottom(ax: Axes) -> float:
    """The bottom edge of the figure in ``ax``'s axes coordinates."""
    box = ax.get_position()
    return -box.y0 / box.height


def _key_facts(
    ax: Axes, counties: pd.DataFrame, rules: RuleSet, text: dict[str, str], *, top: float
) -> None:
    """Tasks met by how many counties, and the counties commended and criticised."""
    zh = text is _TEXT["zh"]
    # (text, font size, colour, bold, space after in axes fraction)
    lines: list[tuple[str, float, str, bool, float]] = [(text["facts"], 10.5, "#111", True, 0.05)]
    n = len(counties)
    for task in rules.tasks:
        met = int((counties[f"{task.id}_met"] == True).sum())  # noqa: E712 (nullable bool)
        flag = text["milestone"] if task.id not in rules.award.deciding else ""
        lines.append(
            (
                text["fact_task"].format(
                    id=task.id, target=f"{task.target:.0%}", met=met, n=n, flag=flag
                ),
                9.5,
                "#111",
                False,
                0.032,
            )
        )
        lines.append((task.label if zh else task.label_en, 8, "#666", False, 0.045))
    lines[-1] = (*lines[-1][:4], 0.06)
    for key, word in (("commend", "commended"), ("criticize", "criticized")):
        chosen = counties[counties["ranking"] == key].sort_values("rank")
        names = ("、" if zh else ", ").join(str(x) for x in chosen["county_name"]) or "—"
        lines.append((text[word].format(names=names), 9.5, "#111", False, 0.045))
    y = top
    bottom = _figure_bottom(ax)
    for line, size, color, bold, gap in lines:
        if y < bottom:  # hung from y, below the figure's edge: never seen
            y -= gap
            continue
        ax.text(
            0.0,
            y,
            line,
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=size,
            color=color,
            fontweight="bold" if bold else "normal",
        )
        y -= gap


# --- progress chart ------------------------------------------------------------------------
def _one_county(quarters: pd.DataFrame, county: str) -> pd.DataFrame:
    from landuse.campaigns.zengcun.progress import county_rows

    return county_rows(quarters, county)


def _until_deadline(quarters: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Rows up to each task's deadline, and the first after it when the deadline is no row of its own.

    After its deadline a task's rate is frozen: repeating it would draw a flat tail.
    """
    if quarters.empty:
        return quarters
    deadline = pd.to_datetime(
        quarters["task"].map({t.id: pd.Timestamp(t.deadline) for t in rules.tasks})
    )
    before = quarters["date"] <= deadline
    after = quarters[~before]
    first_after = after.groupby("task")["date"].transform("min") == after["date"]
    has_own = quarters[quarters["date"] == deadline]["task"].unique()
    keep = before.copy()
    keep[after.index[first_after.to_numpy() & ~after["task"].isin(has_own).to_numpy()]] = True
    return quarters[keep]


#: Marker and line style of the n-th task of one county's chart, so equal lines stay apart.
MARKERS = ("o", "s", "^", "D", "v", "P")
LINESTYLES = ("-", "--", "-.", ":")


def _same_line(a: pd.Series, b: pd.Series) -> bool:
    """True when two rate series agree on every shared date (within 1e-9) and share one."""
    shared = a.index.intersection(b.index)
    if len(shared) == 0:
        return False
    x, y = a.reindex(shared).to_numpy(float), b.reindex(shared).to_numpy(float)
    return bool(np.allclose(x, y, atol=1e-9, equal_nan=True))


def progress_figure(
    quarters: pd.DataFrame,
    rules: RuleSet,
    *,
    county: str | None = None,
    lang: str = "zh",
    width: float = 13.333,
    height: float = 7.5,
) -> Figure:
    """Draw task rates at every quarter end against their targets.

    Without ``county``: one panel per task, one line per county, the target
    as a dashed line and the deadline as a dotted one. With ``county`` (a
    code or a name): one panel, one line per task, each target dashed in
    the task's colour. A task's rate is drawn up to its deadline only (it
    is frozen afterwards).

    Parameters
    ----------
    quarters : pandas.DataFrame
        From :func:`landuse.campaigns.zengcun.progress.quarterly_progress`.
    rules : RuleSet
        The tasks' labels, targets and deadlines.
    county : str, optional
        One county's code or name.
    lang : {"zh", "en"}
    width, height : float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib as mpl
    from matplotlib import dates as mdates
    from matplotlib.ticker import PercentFormatter

    text = _t(lang)
    as_of = pd.Timestamp(quarters["date"].max()).date() if len(quarters) else None
    name = rules.name if lang == "zh" else rules.name_en
    data = _until_deadline(quarters, rules)
    tasks = [t for t in rules.tasks if (quarters["task"] == t.id).any()]
    days = sorted(pd.to_datetime(quarters["date"].unique())) if len(quarters) else []

    def fmt_axis(ax: Axes) -> None:
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xticks(days)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        ax.tick_params(axis="x", labelsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", color="#ddd", lw=0.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if len(days) > 1:
            span = days[-1] - days[0]
            ax.set_xlim(days[0] - span * 0.04, days[-1] + span * 0.04)

    with mpl.rc_context(_rc()):
        fig = _figure(width, height)
        if county is not None:
            hit = _one_county(quarters, county)
            label = str(hit["county_name"].iloc[0])
            county = str(hit["county_code"].iloc[0])
            ax = fig.add_axes((0.07, 0.12, 0.62, 0.74))
            palette = mpl.colormaps["tab10"]
            sub = data[data["county_code"] == county]
            drawn: dict[str, pd.Series] = {}
            for i, task in enumerate(tasks):
                color = palette(i % 10)
                rows = sub[sub["task"] == task.id].sort_values("date")
                task_label = f"{task.id} {task.label if lang == 'zh' else task.label_en}"
                # Two tasks on one measure (T1 and T2) draw the same line: say so in the
                # legend and give each its own marker, the earlier one larger and hollow.
                series = rows.set_index("date")["rate"]
                same = [tid for tid, s in drawn.items() if _same_line(s, series)]
                if same:
                    task_label += text["same_as"].format(task=same[0])
                drawn[task.id] = series
                ax.plot(
                    rows["date"], rows["rate"], marker=MARKERS[i % len(MARKERS)], color=color,
                    lw=2, ms=max(10 - 3 * i, 4), mfc="none" if i < len(tasks) - 1 else color,
                    mew=1.6, ls=LINESTYLES[i % len(LINESTYLES)], label=task_label,
                )
                ax.axhline(task.target, color=color, ls="--", lw=1.1)
                ax.text(
                    days[-1] if days else 0,
                    task.target,
                    " " + text["target"].format(rate=f"{task.target:.0%}"),
                    color=color,
                    fontsize=8,
                    va="bottom",
                    ha="right",
                )
            fmt_axis(ax)
            ax.set_ylabel(text["rate"])
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
            title = text["progress_county"].format(county=label, as_of=as_of)
        else:
            n = len(tasks)
            ncols = 1 if n == 1 else 2
            nrows = max(1, math.ceil(n / ncols))
            codes = list(dict.fromkeys(quarters["county_code"]))
            names = dict(zip(quarters["county_code"], quarters["county_name"], strict=False))
            cmap = mpl.colormaps["tab10" if len(codes) <= 10 else "tab20"]
            colors = {c: cmap(i % cmap.N) for i, c in enumerate(codes)}
            left, right, top, bottom = 0.05, 0.83, 0.86, 0.08
            gs = fig.add_gridspec(
                nrows,
                ncols,
                left=left,
                right=right,
                top=top,
                bottom=bottom,
                hspace=0.45,
                wspace=0.2,
            )
            handles = []
            for k, task in enumerate(tasks):
                ax = fig.add_subplot(gs[k // ncols, k % ncols])
                rows = data[data["task"] == task.id].sort_values("date", kind="stable")
                by_county = dict(list(rows.groupby("county_code", sort=False)))
                for code in codes:
                    r = by_county.get(code, rows.iloc[0:0])
                    (line,) = ax.plot(
                        r["date"],
                        r["rate"],
                        marker="o",
                        ms=3.5,
                        lw=1.5,
                        color=colors[code],
                        label=str(names[code]),
                    )
                    if k == 0:
                        handles.append(line)
                ax.axhline(task.target, color="#111", ls="--", lw=1.3)
                ax.text(
                    1.01,
                    task.target,
                    text["target"].format(rate=f"{task.target:.0%}"),
                    transform=ax.get_yaxis_transform(),
                    fontsize=8,
                    va="center",
                    ha="left",
                    color="#111",
                )
                deadline = pd.Timestamp(task.deadline)
                if days and days[0] <= deadline <= days[-1]:
                    ax.axvline(deadline, color="#888", ls=":", lw=1.0)
                task_label = task.label if lang == "zh" else task.label_en
                ax.set_title(
                    f"{task.id}　{task_label}　" + text["deadline"].format(date=task.deadline),
                    fontsize=10,
                    loc="left",
                )
                fmt_axis(ax)
            fig.legend(
                handles=handles,
                loc="center left",
                bbox_to_anchor=(right + 0.05, 0.5),
                fontsize=9,
                frameon=False,
                title=text["county"],
                title_fontsize=9,
            )
            title = text["progress_title"].format(name=name, as_of=as_of)
        fig.text(0.02, 0.95, title, fontsize=15, fontweight="bold", ha="left", va="center")
    return fig


# --- the report's figures in a helper process -------------------------------------------------
#: dpi of the small copies the report's page embeds (outcome map, progress chart).
SMALL_DPI = {"outcome": 110, "progress": 130}


def report_pngs(
    assessment: Assessment, quarters: pd.DataFrame, *, lang: str = "zh", dpi: int = 300
) -> dict[str, bytes]:
    """Draw the meeting report's figures as PNG bytes.

    Parameters
    ----------
    assessment : Assessment
        Its ``counties``, ``rules``, ``as_of`` and ``workspace.source`` are used.
    quarters : pandas.DataFrame
        From :func:`landuse.campaigns.zengcun.progress.quarterly_progress`.
    lang : {"zh", "en"}
    dpi : int, default 300
        Resolution of the files; the page's copies are smaller (:data:`SMALL_DPI`).

    Returns
    -------
    dict of str to bytes
        ``outcome``, ``outcome_small``, ``progress`` and ``progress_small``.
    """
    outcome = outcome_figure(assessment, lang=lang)
    progress = progress_figure(quarters, assessment.rules, lang=lang)
    return {
        "outcome": figure_png(outcome, dpi=dpi),
        "outcome_small": figure_png(outcome, dpi=SMALL_DPI["outcome"]),
        "progress": figure_png(progress, dpi=dpi),
        "progress_small": figure_png(progress, dpi=SMALL_DPI["progress"]),
    }


def _serve() -> None:
    """Draw :func:`report_pngs` of a request pickled on stdin; write the result pickled to stdout.

    The meeting report starts this in a helper process (``python -c``) for a
    large assessment, so the figures are drawn while it makes the ledgers
    and the map. Matplotlib and the font are loaded while the request is on
    its way.
    """
    import pickle
    import sys

    import geopandas  # noqa: F401  (drawing the counties needs it)
    from matplotlib.backends import backend_agg  # noqa: F401

    cjk_font()
    request = pickle.load(sys.stdin.buffer)
    sys.stdout.buffer.write(pickle.dumps(report_pngs(**request), protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
