"""The assessment as GIS layers, with QGIS styles: ``results.gpkg``.

:func:`results_layers` gives the counties (with their outcome), the batches
(supplied and unsupplied hectares), the supplied parcels (with their patrol
status), the idle-land ledger and the field-check candidates as layers in the
workspace's CRS, each with a ``category`` column and its label, and a Chinese
column beside each English code (``outcome_zh`` …); :func:`qgis_styles` gives
a QGIS categorized renderer (QML) and the same classes as OGC SLD for each;
:func:`write_results_gpkg` writes both into one GeoPackage 1.2 (opened without
warnings by GDAL 3.6 / QGIS 3.22 as well as current releases), dates as DATE,
the styles in the standard QGIS ``layer_styles`` table and every column's
Chinese title and description in ``gpkg_data_columns`` (QGIS shows them as
aliases), with the codes' Chinese names as ``enum`` constraints.

A batch is 未供地 or 部分供地 only from the ledgers' sliver tolerance
(:func:`landuse.output.ledgers.sliver_ha`) on, so the map legend agrees with 附件2.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from landuse.analysis.approvals import KIND_LABELS
from landuse.analysis.idle import PATROL_STATUS
from landuse.io.files import write_gpkg
from landuse.model.units import MU_PER_HA
from landuse.output import figures
from landuse.output.ledgers import sliver_ha

if TYPE_CHECKING:
    from landuse.campaigns.zengcun.assessment import Assessment

__all__ = [
    "BATCH_COLORS",
    "CANDIDATE_COLORS",
    "IDLE_COLORS",
    "SUPPLY_COLORS",
    "database_tables",
    "qgis_styles",
    "results_layers",
    "write_results_gpkg",
]

#: Fill colours of the batch, idle and candidate classes (outcome colours: figures.OUTCOME_COLORS).
BATCH_COLORS = {"unsupplied": "#e31a1c", "partly": "#fd8d3c", "supplied": "#bdbdbd"}
IDLE_COLORS = {"undisposed": "#7b3294", "overdue": "#40004b", "disposed": "#a6dba0"}
CANDIDATE_COLORS = {
    "lapse": "#4d4d4d",
    "withdraw": "#2166ac",
    "reduce": "#67a9cf",
    "suspected_idle": "#f1a340",
}
#: Patrol status colours of the supplied parcels (as on the web map).
SUPPLY_COLORS = {
    "正常使用": "#4393c3", "逾期开工": "#fdb863", "逾期竣工": "#f6e08a", "疑似闲置": "#e08214",
    "疑似低效": "#b2abd2", "闲置土地": "#8c2d04", "低效土地": "#5e3c99",
}


# pandas' names of what an object column holds, by the kind a GeoPackage column gets
_INFERRED = {
    "date": "date",
    "datetime": "date",
    "datetime64": "date",
    "boolean": "bool",
    "integer": "number",
    "floating": "number",
    "mixed-integer-float": "number",
}


def _object_kind(present: np.ndarray) -> str:
    """What an object column's present values all are: "date", "bool", "number" or "text"."""
    if not len(present):
        return "text"
    kind = _INFERRED.get(pd.api.types.infer_dtype(present, skipna=False))
    if kind is not None:
        return kind
    # a mix pandas does not name (dates with timestamps, numpy scalars with numbers): look at each
    for name, types in (("date", dt.date | pd.Timestamp), ("bool", bool | np.bool_),
                        ("number", int | float | np.number)):
        if all(isinstance(v, types) for v in present):
            return name
    return "text"


def _as_dates(s: pd.Series) -> pd.Series:
    """Date-only timestamps as Arrow dates (a GeoPackage DATE); others unchanged."""
    stamps = pd.to_datetime(s)
    if stamps.dt.tz is not None:
        return stamps
    present = stamps.dropna()
    if len(present) and not (present == present.dt.normalize()).all():
        return stamps
    return pd.Series(stamps.dt.date, index=s.index, dtype=pd.ArrowDtype(pa.date32()))


def _gpkg_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GDAL can write: dates as DATE, mixed objects as text, empty geometry as NULL."""
    out = frame.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[col] = _as_dates(s)
        elif s.dtype == object:
            kind = _object_kind(s.dropna().to_numpy(dtype=object))
            if kind == "date":
                out[col] = _as_dates(s)
            elif kind == "bool":
                out[col] = s.astype("boolean")
            elif kind == "number":
                out[col] = pd.to_numeric(s)
            else:
                out[col] = s.astype("string")
    geoms = out.geometry.to_numpy()
    empty = shapely.is_empty(geoms)
    if empty.any():
        geoms = geoms.copy()
        geoms[empty] = None
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    return out


def _batch_class(b: pd.DataFrame, sliver: float) -> pd.Series:
    """supplied (less than ``sliver`` ha unsupplied), unsupplied (less than that supplied), partly."""
    unsupplied = b["unsupplied_ha"] >= sliver
    nothing = b["supplied_ha"] < sliver
    return pd.Series(
        np.where(~unsupplied, "supplied", np.where(nothing, "unsupplied", "partly")),
        index=b.index,
        dtype="object",
    )


def _idle_class(idle: pd.DataFrame, as_of: dt.date) -> pd.Series:
    disposed = idle["disposed"].astype(bool)
    overdue = ~disposed & (idle["deadline"] < pd.Timestamp(as_of)).fillna(False).astype(bool)
    return pd.Series(
        np.where(disposed, "disposed", np.where(overdue, "overdue", "undisposed")),
        index=idle.index,
        dtype="object",
    )


_CLASS_LABELS = {
    "batches": {
        "unsupplied": ("未供地", "unsupplied"),
        "partly": ("部分供地", "partly supplied"),
        "supplied": ("已全部供地或核销", "supplied or revoked"),
    },
    "idle": {
        "undisposed": ("未处置", "undisposed"),
        "overdue": ("未处置（已过整改期限）", "undisposed, overdue"),
        "disposed": ("已处置", "disposed"),
    },
    "candidates": {k: v for k, v in KIND_LABELS.items()},
    "supplies": {k: (k, v) for k, v in PATROL_STATUS.items()},
}


def _class_labels(layer: str, assessment: Assessment, lang: str) -> dict[str, str]:
    en = lang == "en"
    if layer == "counties":
        return figures.outcome_labels(assessment.rules, lang=lang)
    return {k: v[en] for k, v in _CLASS_LABELS[layer].items()}


def _layer_colors(layer: str) -> dict[str, str]:
    return {
        "counties": figures.OUTCOME_COLORS,
        "batches": BATCH_COLORS,
        "idle": IDLE_COLORS,
        "candidates": CANDIDATE_COLORS,
        "supplies": SUPPLY_COLORS,
    }[layer]


#: Chinese names of the English codes, written beside them (``<code column>_zh``).
CODE_NAMES = {
    "outcome": {"award": "奖励", "penalty": "计划核减", "undetermined": "待定"},
    "ranking": {"commend": "通报表扬", "criticize": "通报批评"},
    "status": {"disposed": "已处置", "undisposed": "未处置"},
    "kind": {k: v[0] for k, v in KIND_LABELS.items()},
    "basis": {"attribute": "属性记载", "raster": "土地覆盖栅格", "survey": "国土调查地类图斑",
              "field_check": "待实地核查"},
    "developed_basis": {"attribute": "属性记载", "raster": "土地覆盖栅格",
                        "field_check": "待实地核查"},
}
_CODED = {  # the coded columns of each layer
    "counties": ("outcome", "ranking"),
    "batches": (),
    "supplies": ("developed_basis",),
    "idle": ("status",),
    "candidates": ("kind", "basis"),
}

# Column titles (Chinese, with units) and descriptions, shown by QGIS as aliases.
_TITLES: dict[str, tuple[str, str]] = {
    "county_code": ("县区代码", "县级行政区划代码"),
    "county_name": ("县区", "县区名称"),
    "tasks_met": ("完成任务数", "完成的考核任务数"),
    "outcome": ("考核结果代码", "award 奖励 / penalty 计划核减"),
    "outcome_zh": ("考核结果", "奖励或计划核减（中文）"),
    "plan_base_ha": ("因素法计划(公顷)", "按因素法测算的下一年度新增建设用地计划"),
    "plan_next_ha": ("下一年度计划(公顷)", "乘以计划系数后的下一年度新增建设用地计划"),
    "plan_multiplier": ("计划系数", "考核结果对应的计划奖励或核减系数"),
    "suspended": ("暂停受理新增建设用地", "是否暂停受理新增建设用地申请"),
    "combined_disposal_rate": ("综合处置率", "批而未供与闲置土地综合处置率"),
    "rank": ("排名", "综合处置率排名"),
    "ranking": ("通报代码", "commend 通报表扬 / criticize 通报批评"),
    "ranking_zh": ("通报", "通报表扬或通报批评（中文）"),
    "outcome_final": ("结果已定", "考核期已结束，结果为最终结果"),
    "milestone_missed": ("节点任务未完成", "有节点任务未按期完成"),
    "stock_ha": ("存量土地(公顷)", "批而未供与闲置土地合计"),
    "little_stock": ("存量较少", "存量土地少于规则规定的下限"),
    "scale_treatment": ("城镇工矿规模指标", "城镇工矿建设规模指标的倾斜或扣减"),
    "devzone_treatment": ("开发区", "开发区扩区升级的支持或暂停"),
    "data_complete": ("数据完整", "参与考核的数据没有被错误排除的行；否则结论待定"),
    "resumed_on": ("恢复受理日期", "经申请确认恢复受理新增建设用地的日期"),
    "may_resume": ("可申请恢复受理", "已完成原未完成的全部任务，可申请恢复受理"),
    "ranking_measure": ("排名依据", "规则集选定的排名指标"),
    "ranking_rate": ("排名指标值", "用于排名的处置率或供地率"),
    "unit_kind": ("单位类型", "县区或功能区（管委会）"),
    "parent_code": ("所属县区代码", "功能区所在县区的行政区划代码"),
    "farmland_ha": ("耕地面积(公顷)", "批准时申报的耕地面积"),
    "balance_ha": ("占补平衡指标(公顷)", "批次使用的占补平衡指标面积"),
    "balance_source": ("占补平衡指标来源", "本县或异地购买"),
    "balance_buyer": ("指标购买单位", "异地购买占补平衡指标时的购买单位"),
    "approval_kind": ("审批类型", "农用地转用、土地征收或两者"),
    "indicator_scale_ha": ("退回规划规模(公顷)", "失效、撤回、核减后退回县区的规划建设用地规模"),
    "indicator_plan_ha": ("退回计划指标(公顷)", "失效、撤回、核减后退回计划管理的年度计划指标"),
    "indicator_balance_ha": ("退回占补平衡指标(公顷)", "失效、撤回、核减后退回储备库的占补平衡指标"),
    "indicator_balance_to": ("占补平衡指标退回至", "所在县区储备库或购买单位储备库"),
    "category": ("图例分类代码", "图层样式所用分类（英文代码）"),
    "category_label": ("图例分类", "图层样式所用分类的名称"),
    "category_zh": ("图例分类（中文）", "图层样式所用分类的中文名称"),
    "batch_id": ("批次编号", "建设用地批次编号"),
    "batch_name": ("批次名称", "建设用地批次名称"),
    "approval_no": ("批准文号", "农用地转用和土地征收批准文号"),
    "approval_date": ("批准日期", "批次批准日期"),
    "approver": ("批准机关", "批准机关"),
    "approved_ha": ("批准面积(公顷)", "批准建设用地面积"),
    "site_unchanged": ("现场未变化", "现场地类与批准前一致"),
    "compensation": ("征收补偿实施情况", "征收补偿安置方案实施情况"),
    "source_row": ("来源行号", "在来源文件中的行号"),
    "geom_ha": ("图形面积(公顷)", "按图形计算的面积"),
    "supplied_ha": ("已供面积(公顷)", "批次范围内已供地面积"),
    "revoked_ha": ("失效撤回核减面积(公顷)", "失效、撤回和核减的面积"),
    "unsupplied_ha": ("未供面积(公顷)", "批而未供面积"),
    "unsupplied_mu": ("未供面积(亩)", "批而未供面积（亩）"),
    "supply_rate": ("供地率", "已供面积 ÷（批准面积 − 失效撤回核减面积）"),
    "capped": ("已封顶", "已供面积超过批准面积，按批准面积计"),
    "approval_year": ("批准年度", "批次批准年度"),
    "supplies": ("供地宗数", "批次内的供地宗数"),
    "parcel_id": ("电子监管号", "供地电子监管号"),
    "supply_date": ("供地日期", "供地（合同签订）日期"),
    "supply_method": ("供地方式", "划拨、协议出让、招拍挂等"),
    "area_ha": ("面积(公顷)", "宗地面积"),
    "land_use": ("土地用途", "土地用途"),
    "agreed_start": ("约定开工日期", "合同约定的开工日期"),
    "agreed_completion": ("约定竣工日期", "合同约定的竣工日期"),
    "actual_start": ("实际开工日期", "实际开工日期"),
    "actual_completion": ("实际竣工日期", "实际竣工日期"),
    "land_price_wan": ("土地价款(万元)", "土地出让价款或划拨价款"),
    "total_investment_wan": ("总投资(万元)", "项目总投资"),
    "invested_wan": ("已投资(万元)", "已完成投资"),
    "developed_ha": ("已开发面积(公顷)", "已动工开发面积"),
    "project_name": ("项目名称", "项目名称"),
    "holder": ("土地使用权人", "土地使用权人"),
    "started": ("已开工", "是否已动工开发"),
    "developed_share": ("已开发比例", "已开发面积占宗地面积的比例"),
    "developed_basis": ("开发比例依据代码", "attribute 属性记载 / raster 土地覆盖栅格"),
    "developed_basis_zh": ("开发比例依据", "已开发比例的判定依据（中文）"),
    "invested_share": ("已投资比例", "已投资额占总投资的比例"),
    "years_since_start": ("约定开工后年限(年)", "自约定开工日期起的年数"),
    "suspected_idle": ("疑似闲置", "按闲置土地处置办法判定为疑似闲置"),
    "idle_reason": ("疑似闲置原因", "疑似闲置的判定原因"),
    "idle_reason_en": ("疑似闲置原因（英文）", "疑似闲置的判定原因（英文）"),
    "status": ("巡查状态", "批后监管巡查状态"),
    "status_en": ("巡查状态（英文）", "批后监管巡查状态（英文）"),
    "status_zh": ("处置状态", "截至考核日的处置状态（中文）"),
    "idle_id": ("闲置编号", "闲置土地认定编号"),
    "identified_date": ("认定日期", "闲置土地认定日期"),
    "cause": ("闲置原因", "政府原因、企业原因或共同原因"),
    "disposal": ("处置方式", "闲置土地处置方式"),
    "disposal_date": ("处置日期", "闲置土地处置日期"),
    "responsible_unit": ("责任单位", "整改责任单位"),
    "deadline": ("整改期限", "整改完成期限"),
    "disposed": ("已处置", "截至考核日是否已处置"),
    "idle_years": ("闲置年限(年)", "截至考核日的闲置年数"),
    "measure": ("整改措施", "建议的整改措施"),
    "measure_en": ("整改措施（英文）", "建议的整改措施（英文）"),
    "idle_fee_wan": ("土地闲置费(万元)", "土地价款 × 闲置费率"),
    "typical": ("典型案例", "列为典型案例"),
    "sample": ("实地核查抽样", "列入实地核查抽样"),
    "kind": ("类型代码", "lapse 失效 / withdraw 撤回 / reduce 核减 / suspected_idle 疑似闲置"),
    "kind_label": ("类型", "失效、撤回、核减或疑似闲置"),
    "kind_zh": ("类型（中文）", "失效、撤回、核减或疑似闲置"),
    "years": ("批准后年限(年)", "自批准日期起的年数"),
    "reason": ("原因", "列入核查清单的原因"),
    "reason_en": ("原因（英文）", "列入核查清单的原因（英文）"),
    "basis": ("判定依据代码", "attribute 属性记载 / raster 土地覆盖栅格 / survey 国土调查地类图斑 / "
                                  "field_check 待实地核查"),
    "basis_zh": ("判定依据", "判定依据（中文）"),
    "built_share": ("建设用地占比", "土地覆盖栅格中建设用地所占比例"),
    "needs_field_check": ("需实地核查", "需实地核查确认"),
    "indicator_return_ha": ("返还指标(公顷)", "失效、撤回、核减后返还的计划指标"),
}


# Where a column means something else in one layer than in the others.
_LAYER_TITLES = {
    "idle": {
        "status": ("处置状态代码", "disposed 已处置 / undisposed 未处置"),
        "land_price_wan": ("土地价款(万元)", "闲置宗地的土地价款"),
    },
}


def _task_titles(assessment: Assessment) -> dict[str, tuple[str, str]]:
    out = {}
    for task in assessment.rules.tasks:
        t, label = task.id, task.label
        out |= {
            f"{t}_rate": (f"{t}完成率", f"{label}：完成率"),
            f"{t}_target": (f"{t}目标", f"{label}：目标"),
            f"{t}_met": (f"{t}是否完成", f"{label}：是否完成"),
            f"{t}_gap_ha": (f"{t}差距(公顷)", f"{label}：距目标的差距"),
            f"in_{t}": (f"计入{t}", f"批次计入{label}"),
            f"unsupplied_baseline_ha_{t}": (f"{t}基数未供面积(公顷)", f"{label}：基数日的未供面积"),
        }
    return out


def column_titles(assessment: Assessment) -> dict[str, tuple[str, str]]:
    """Each results column's Chinese title (with units) and description."""
    return _TITLES | _task_titles(assessment)


def _with_names(frame: pd.DataFrame, coded: tuple[str, ...]) -> pd.DataFrame:
    """Put ``<code>_zh`` (the codes' Chinese names) right after each coded column."""
    for col in coded:
        if col not in frame:
            continue
        zh = frame[col].astype("object").map(CODE_NAMES[col])
        at = frame.columns.get_loc(col) + 1
        frame = frame.copy()
        frame.insert(at, f"{col}_zh", zh.astype("string"))
    return frame


def results_layers(assessment: Assessment, *, lang: str = "zh") -> dict[str, gpd.GeoDataFrame]:
    """Return the assessment as GIS layers, each with a ``category`` and its ``category_label``.

    ``counties`` (outcome class: award, award_milestone, penalty),
    ``batches`` (supplied, partly, unsupplied: from the sliver tolerance on),
    ``supplies`` (the patrol status: 正常使用, 逾期开工, 逾期竣工, 疑似闲置, 闲置土地 …),
    ``idle`` (disposed, undisposed, overdue) and ``candidates`` (lapse,
    withdraw, reduce, suspected_idle), in the workspace's CRS. Beside each
    English code, its Chinese name (``outcome_zh``, ``kind_zh`` …).
    """
    sliver = sliver_ha(assessment.rules)
    supplies = assessment.supplies
    layers = {
        "counties": assessment.counties.assign(
            category=figures.outcome_classes(assessment.counties)
        ),
        "batches": assessment.batches.assign(category=_batch_class(assessment.batches, sliver)),
        "supplies": supplies.assign(
            category=supplies["status"].astype("object"),
            status_en=supplies["status"].astype("object").map(PATROL_STATUS),
        ),
        "idle": assessment.idle.assign(category=_idle_class(assessment.idle, assessment.as_of)),
        "candidates": assessment.candidates.assign(
            category=assessment.candidates["kind"].astype("object")
        ),
    }
    out = {}
    for name, frame in layers.items():
        labels = _class_labels(name, assessment, lang)
        frame = frame.assign(category_label=frame["category"].map(labels))
        if lang != "zh":
            zh = _class_labels(name, assessment, "zh")
            frame = frame.assign(category_zh=frame["category"].map(zh))
        if name == "batches":
            frame = frame.assign(unsupplied_mu=frame["unsupplied_ha"] * MU_PER_HA)
        frame = _with_names(frame, _CODED[name])
        out[name] = _gpkg_frame(
            gpd.GeoDataFrame(frame, geometry=frame.geometry.name, crs=assessment.workspace.crs)
        )
    return out


def _rgba(color: str, alpha: int = 255) -> str:
    color = color.lstrip("#")
    r, g, b = (int(color[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _qml_symbol(index: int, color: str, *, outline: str, width: float, alpha: float) -> str:
    props = {
        "color": _rgba(color),
        "outline_color": _rgba(outline),
        "outline_style": "solid",
        "outline_width": f"{width:g}",
        "outline_width_unit": "MM",
        "style": "solid",
        "joinstyle": "bevel",
        "border_width_map_unit_scale": "3x:0,0,0,0,0,0",
        "offset": "0,0",
        "offset_unit": "MM",
    }
    options = "".join(f'<Option type="QString" name="{k}" value="{v}"/>' for k, v in props.items())
    legacy = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in props.items())
    return (
        f'<symbol type="fill" name="{index}" alpha="{alpha:g}" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
        f'<Option type="Map">{options}</Option>{legacy}</layer></symbol>'
    )


def _qml(
    attr: str,
    categories: list[tuple[str, str, str]],
    *,
    label_field: str | None = None,
    outline: str = "#ffffff",
    width: float = 0.26,
    alpha: float = 0.85,
    aliases: dict[str, str] | None = None,
) -> str:
    """A QGIS 3 style: a categorized fill renderer on ``attr``, optional labels, field aliases.

    The aliases are what QGIS 3.22 (GDAL 3.6, which does not read the GeoPackage's column
    titles) shows in the attribute table; later releases read ``gpkg_data_columns`` as well.
    """
    cats = "".join(
        f'<category value="{html.escape(v)}" label="{html.escape(lab)}" symbol="{i}" render="true"/>'
        for i, (v, lab, _) in enumerate(categories)
    )
    symbols = "".join(
        _qml_symbol(i, col, outline=outline, width=width, alpha=alpha)
        for i, (_, _, col) in enumerate(categories)
    )
    labeling = ""
    if label_field:
        labeling = (
            '<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName="{html.escape(label_field)}" isExpression="0" fontSize="10" '
            'fontSizeUnit="Point" fontWeight="75" textColor="17,17,17,255" fontFamily="Noto Sans CJK SC" '
            'textOpacity="1" namedStyle="Bold">'
            '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" bufferColor="255,255,255,255" '
            'bufferOpacity="1"/></text-style>'
            '<placement placement="0" offsetType="0" centroidInside="1" centroidWhole="0"/>'
            '<rendering obstacle="1" scaleVisibility="0" drawLabels="1"/>'
            "</settings></labeling>"
        )
    alias_xml = ""
    if aliases:
        alias_xml = "<aliases>" + "".join(
            f'<alias field="{html.escape(f)}" index="{i}" name="{html.escape(name)}"/>'
            for i, (f, name) in enumerate(aliases.items())
        ) + "</aliases>"
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        f'<qgis version="3.22.0" styleCategories="Symbology|Labeling|Fields" labelsEnabled="{int(bool(label_field))}">'
        f'<renderer-v2 type="categorizedSymbol" attr="{html.escape(attr)}" symbollevels="0" '
        'enableorderby="0" forceraster="0" referencescale="-1">'
        f"<categories>{cats}</categories><symbols>{symbols}</symbols>"
        "<rotation/><sizescale/></renderer-v2>"
        f"{labeling}{alias_xml}<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode><layerGeometryType>2</layerGeometryType>"
        "</qgis>"
    )


def _sld(
    layer: str, attr: str, categories: list[tuple[str, str, str]], *, alpha: float = 0.85
) -> str:
    """The same categories as an OGC SLD 1.1 style."""
    rules = "".join(
        f"<se:Rule><se:Name>{html.escape(lab)}</se:Name><se:Description><se:Title>{html.escape(lab)}</se:Title>"
        f'</se:Description><ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsEqualTo>'
        f"<ogc:PropertyName>{html.escape(attr)}</ogc:PropertyName><ogc:Literal>{html.escape(v)}</ogc:Literal>"
        f"</ogc:PropertyIsEqualTo></ogc:Filter><se:PolygonSymbolizer><se:Fill>"
        f'<se:SvgParameter name="fill">{col}</se:SvgParameter>'
        f'<se:SvgParameter name="fill-opacity">{alpha:g}</se:SvgParameter></se:Fill>'
        f'<se:Stroke><se:SvgParameter name="stroke">#ffffff</se:SvgParameter>'
        f'<se:SvgParameter name="stroke-width">1</se:SvgParameter></se:Stroke>'
        f"</se:PolygonSymbolizer></se:Rule>"
        for v, lab, col in categories
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc" '
        'xmlns:se="http://www.opengis.net/se" version="1.1.0">'
        f"<NamedLayer><se:Name>{html.escape(layer)}</se:Name><UserStyle><se:Name>{html.escape(layer)}</se:Name>"
        f"<se:FeatureTypeStyle>{rules}</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"
    )


def qgis_styles(
    assessment: Assessment, *, lang: str = "zh",
    aliases: dict[str, dict[str, str]] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Return (QML, SLD) styles per layer of :func:`results_layers`: categorized on ``category``.

    ``aliases`` (layer → column → title) go into the QML as the fields' aliases.
    """
    aliases = aliases or {}
    qml, sld = {}, {}
    for layer in ("counties", "batches", "supplies", "idle", "candidates"):
        labels = _class_labels(layer, assessment, lang)
        colors = _layer_colors(layer)
        cats = [(k, labels[k], colors[k]) for k in colors if k in labels]
        outline = "#ffffff" if layer == "counties" else "#333333"
        qml[layer] = _qml(
            "category",
            cats,
            label_field="county_name" if layer == "counties" else None,
            outline=outline,
            width=0.5 if layer == "counties" else 0.2,
            alpha=0.85 if layer == "counties" else 0.9,
            aliases=aliases.get(layer),
        )
        sld[layer] = _sld(layer, "category", cats)
    return qml, sld


def database_tables(
    assessment: Assessment, *, lang: str = "zh"
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The tables :func:`landuse.io.postgis.write_results` writes, and their QGIS styles (QML).

    The layers of :func:`results_layers` (with ``category``), the supplies
    and the problems, each with its geometry in the workspace's CRS.
    """
    layers = results_layers(assessment, lang=lang)
    supplies = assessment.supplies
    if isinstance(supplies, gpd.GeoDataFrame) and supplies.crs is None:
        supplies = supplies.set_crs(assessment.workspace.crs)
    problems = assessment.problems[
        ["layer", "feature_id", "field", "severity", "message", "message_en", "row", "source"]
    ]
    tables = {
        "counties": layers["counties"],
        "batches": layers["batches"],
        "supplies": supplies,
        "idle": layers["idle"],
        "candidates": layers["candidates"],
        "problems": problems,
    }
    return tables, qgis_styles(assessment, lang=lang)[0]


def write_results_gpkg(
    assessment: Assessment, target: str | os.PathLike, *, lang: str = "zh", overwrite: bool = False
) -> Path:
    """Write :func:`results_layers` with :func:`qgis_styles` into one GeoPackage, atomically.

    GeoPackage 1.2, dates as DATE, each column's Chinese title and description in
    ``gpkg_data_columns`` (and as aliases in the QGIS styles), the codes' Chinese names
    as ``enum`` constraints.
    """
    layers = results_layers(assessment, lang=lang)
    titles = column_titles(assessment)
    columns = {}
    for name, frame in layers.items():
        own = titles | _LAYER_TITLES.get(name, {})
        columns[name] = {c: own[c] for c in frame.columns if c in own}
    qml, sld = qgis_styles(assessment, lang=lang, aliases={
        name: {c: t[0] for c, t in cols.items()} for name, cols in columns.items()})
    codes = {name: {c: CODE_NAMES[c] for c in _CODED[name] if c in frame}
             for name, frame in layers.items()}
    for name in layers:
        codes[name]["category"] = _class_labels(name, assessment, "zh")
    return write_gpkg(layers, target, qml, sld=sld, overwrite=overwrite, columns=columns,
                      codes=codes)
