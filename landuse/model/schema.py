"""Canonical layers and fields, their aliases, type coercion and problems.

One module (over 800 lines) because it is the one table of layers, fields and aliases (``landuse fields`` prints it) with the coercions that read them.

A bureau's data names the same thing many ways: ``county_code``, 行政区代码,
``XZQDM``; dates arrive as ``2018/9/30``, ``20180930`` or Excel serial
numbers; areas in hectares or, with a ``(亩)`` suffix, in 亩. This module
holds the one table of canonical names and turns any of those spellings into
typed canonical columns, reporting each value it cannot use as a
:class:`Problem` rather than dropping it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from landuse.model.units import M2_PER_HA, MU_PER_HA

__all__ = [
    "CORE_LAYERS",
    "LAYERS",
    "FieldSpec",
    "LayerSpec",
    "Problem",
    "canonical_columns",
    "class_codes",
    "coerce_layer",
    "layer_for_name",
    "parse_dates",
    "problems_frame",
    "rename_columns",
    "split_year",
    "unit_kinds",
]

Severity = Literal["error", "warning"]
Kind = Literal["text", "code6", "date", "area", "number", "year", "enum", "bool"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, named down to the feature and field.

    Attributes
    ----------
    layer : str
        Canonical layer name (``batches``...) or ``workspace``.
    feature_id : str or None
        The feature's id (``batch_id``...), or ``#<row>`` when it has none.
    field : str or None
        Canonical field name the problem is about.
    severity : {"error", "warning"}
        An error keeps the row out of the computation; a warning keeps it in.
    message : str
        What is wrong and what to do, in Chinese.
    message_en : str
        The same in English.
    row : int or None
        The row in the source (spreadsheet line or feature number, from 1).
    source : str or None
        The file or table the row came from.
    county_code : str or None
        The county the row belongs to, when known: an error leaves that
        county's verdict undetermined (every county's when None).
    also_county : str or None
        A second county an error leaves undetermined, when the row's county is
        unsure between two: the county of the batch a supply names (when not the
        supply's own), the county a feature coded to another lies in, the county
        of an idle row's parcel.
    """

    layer: str
    feature_id: str | None
    field: str | None
    severity: Severity
    message: str
    message_en: str = ""
    row: int | None = None
    source: str | None = None
    county_code: str | None = None
    also_county: str | None = None

    def text(self, lang: str = "zh") -> str:
        """Return the message in ``lang``."""
        return self.message_en if lang == "en" and self.message_en else self.message


PROBLEM_COLUMNS = ["layer", "feature_id", "field", "severity", "message", "message_en", "row", "source",
                   "county_code"]


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Return problems as a DataFrame with :data:`PROBLEM_COLUMNS`."""
    rows = [asdict(p) for p in problems]
    frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


@dataclass(frozen=True)
class FieldSpec:
    """A canonical field: its name, kind, aliases and (for enums) values."""

    name: str
    kind: Kind
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerSpec:
    """A canonical layer: names it is found by, its id field and its fields."""

    name: str
    label: str
    label_en: str
    names: tuple[str, ...]
    geometry: Literal["polygons", "table", "either"]
    required: bool
    id_field: str | None
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec:
        """Return the field spec called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


_CODE = ("county_code", "行政区代码", "行政区划代码", "县区代码", "区县代码", "XZQDM", "XZQHDM", "adcode")
_PARCEL = ("parcel_id", "电子监管号", "电子监管编号", "DZJGH", "宗地编号", "宗地代码", "ZDBH", "ZDDM")
_BATCH = ("batch_id", "批次编号", "批次号", "批次代码", "所属批次编号", "PCBH", "PCDM")
_BATCH_NAME = ("batch_name", "批次名称", "所属批次", "PCMC")
_PRICE = ("land_price_wan", "成交价款", "成交价格", "出让价款", "土地价款", "CJJG", "CRJK", "land_price")
_START = ("agreed_start", "约定动工日期", "约定开工日期", "约定动工时间", "约定开工时间", "YDKGSJ", "YDKGRQ")
_PROJECT = ("project_name", "项目名称", "XMMC")
_HOLDER = ("holder", "土地使用权人", "受让人", "受让单位", "用地单位", "SRR", "TDSYQR", "YDDW")

APPROVERS: dict[str, tuple[str, ...]] = {
    "国务院": ("国务院", "state council", "statecouncil", "GWY"),
    "省政府": ("省政府", "省人民政府", "province", "provincial government", "SZF"),
}
COMPENSATION: dict[str, tuple[str, ...]] = {
    "未实施": ("未实施", "未", "否", "none", "not implemented", "no"),
    "部分实施": ("部分实施", "部分", "partial", "partly", "partly implemented"),
    "已实施": ("已实施", "全部实施", "已", "是", "implemented", "yes", "full"),
}
#: Kinds of assessed unit (DESIGN "Assessed units"); empty reads as 县区.
UNIT_KINDS: dict[str, tuple[str, ...]] = {
    "县区": ("县区", "县", "区", "市辖区", "县级市", "county", "district"),
    "功能区": ("功能区", "管委会", "示范区", "开发区", "经济开发区", "产业集聚区", "functional zone", "zone"),
}
#: Where a batch's 耕地占补平衡 indicator came from: the county's own reserve or bought elsewhere.
BALANCE_SOURCES: dict[str, tuple[str, ...]] = {
    "本县": ("本县", "本县区", "自有", "县区储备库", "本地", "own", "local"),
    "异地购买": ("异地购买", "异地", "购买", "外购", "跨县购买", "bought", "purchased"),
}
#: What a batch approved (审批类型). Empty: the rule set's ``approvals.default_kind``.
#: The combined kind comes first so that fuller names holding both words match it.
APPROVAL_KINDS: dict[str, tuple[str, ...]] = {
    "农用地转用和土地征收": ("农用地转用和土地征收", "农用地转用及土地征收", "农用地转用与土地征收",
                      "转用和征收", "转用征收", "农转征", "农转用和征收", "both"),
    "农用地转用": ("农用地转用", "农转用", "转用", "conversion", "farmland conversion"),
    "土地征收": ("土地征收", "征收", "征地", "expropriation"),
}
REVOCATION_KINDS: dict[str, tuple[str, ...]] = {
    "lapse": ("失效", "自动失效", "lapse", "lapsed"),
    "withdraw": ("撤回", "withdraw", "withdrawn", "withdrawal"),
    "reduce": ("核减", "reduce", "reduced", "reduction"),
}
IDLE_CAUSES: dict[str, tuple[str, ...]] = {
    "企业原因": ("企业原因", "企业", "企业自身原因", "enterprise"),
    "政府原因": ("政府原因", "政府", "非企业原因", "government"),
    "政府企业共同原因": ("政府企业共同原因", "共同原因", "政府和企业共同原因", "both", "joint"),
}


#: Spellings of Order 53's disposal methods; other text is kept as written.
DISPOSAL_METHODS: dict[str, tuple[str, ...]] = {
    "延长动工开发期限": ("延长动工开发期限", "延长开发期限", "延期动工", "延长动工期限"),
    "调整土地用途或规划条件": ("调整土地用途或规划条件", "调整土地用途", "调整规划条件", "改变用途"),
    "安排临时使用": ("安排临时使用", "临时使用"),
    "协议有偿收回": ("协议有偿收回", "有偿协议收回", "有偿收回", "协议收回"),
    "置换土地": ("置换土地", "等价置换", "等价等用途置换", "置换"),
    "征缴土地闲置费": ("征缴土地闲置费", "征收土地闲置费", "收缴土地闲置费", "征缴闲置费", "土地闲置费"),
    "无偿收回": ("无偿收回", "无偿收回国有建设用地使用权"),
    "动工开发": ("动工开发", "已动工", "已动工开发", "督促动工开发"),
    "其他": ("其他", "其它"),
}
#: 合法性 of a change polygon (卫片执法 judgement); "其他" covers 伪变化, 非新增建设 and the like.
LEGALITY: dict[str, tuple[str, ...]] = {
    "违法": ("违法", "违法用地", "非法", "非法用地", "非法占地", "非法占用", "不合法", "不合法用地", "违法占地", "违规", "违法违规",
           "illegal", "unlawful"),
    "合法": ("合法", "合法用地", "符合", "已批", "合规", "legal", "lawful"),
    "其他": ("其他", "其它", "伪变化", "实地未变化", "非新增建设", "other"),
}
#: 整改情况 of an illegal change.
RECTIFICATION: dict[str, tuple[str, ...]] = {
    # Rectified in any of the speech's ways: 完善用地手续, or 拆除违章建筑 and 耕地复垦.
    "已整改": ("已整改", "整改到位", "已整改到位", "整改完成", "已完成整改", "已完成", "完成", "已拆除", "已拆除复耕",
            "已拆除复垦", "已复耕", "已复垦", "已完善手续", "已完善用地手续", "已补办手续", "已没收", "done",
            "rectified"),
    "整改中": ("整改中", "正在整改", "整改未到位", "部分整改", "in progress", "rectifying"),
    "未整改": ("未整改", "尚未整改", "没有整改", "未完成整改", "未完成", "not rectified", "none"),
}
#: Yes / no values (现场地类与批准前一致: 是 / 否).
YES_NO: dict[str, tuple[str, ...]] = {
    "true": ("是", "一致", "未变化", "未改变", "yes", "y", "true", "t", "1", "√"),
    "false": ("否", "不一致", "已变化", "已改变", "no", "n", "false", "f", "0", "×"),
}


def _fields(*specs: FieldSpec) -> tuple[FieldSpec, ...]:
    return specs


LAYERS: dict[str, LayerSpec] = {
    "counties": LayerSpec(
        "counties", "县区", "counties", ("counties", "county", "县区", "行政区", "行政区划", "XZQ"),
        "polygons", True, "county_code",
        _fields(
            FieldSpec("county_code", "code6", "行政区代码", (*_CODE, "代码", "code"), required=True),
            FieldSpec("county_name", "text", "行政区名称",
                      ("county_name", "行政区名称", "行政区划名称", "县区名称", "区县名称", "名称",
                       "XZQMC", "XZQHMC", "name", "county"), required=True),
            FieldSpec("unit_kind", "enum", "单位类型",
                      ("unit_kind", "单位类型", "考核单位类型", "区划类型", "DWLX"), values=UNIT_KINDS),
            FieldSpec("parent_code", "code6", "所属县区代码",
                      ("parent_code", "所属县区代码", "所属行政区代码", "上级代码", "SSXZQDM")),
        ),
    ),
    "batches": LayerSpec(
        "batches", "批次", "approval batches",
        ("batches", "batch", "批次", "批次范围", "报批", "批地", "PC"),
        "polygons", True, "batch_id",
        _fields(
            FieldSpec("batch_id", "text", "批次编号", _BATCH, required=True),
            FieldSpec("batch_name", "text", "批次名称", _BATCH_NAME),
            FieldSpec("county_code", "code6", "行政区代码", _CODE),
            FieldSpec("approval_no", "text", "批准文号", ("approval_no", "批准文号", "批复文号", "文号", "PZWH")),
            FieldSpec("approval_date", "date", "批准日期",
                      ("approval_date", "批准日期", "批复日期", "批准时间", "批复时间", "PZRQ", "PZSJ"),
                      required=True),
            FieldSpec("approver", "enum", "批准机关",
                      ("approver", "批准机关", "批准单位", "审批机关", "PZJG", "SPJG"), values=APPROVERS),
            FieldSpec("approved_ha", "area", "批准面积",
                      ("approved_ha", "approved", "批准面积", "批复面积", "总面积", "面积", "PZMJ", "ZMJ",
                       "MJ", "area", "area_ha")),
            FieldSpec("farmland_ha", "area", "耕地面积",
                      ("farmland_ha", "farmland", "耕地面积", "占用耕地面积", "批准耕地面积", "GDMJ")),
            FieldSpec("site_unchanged", "bool", "现场地类与批准前一致",
                      ("site_unchanged", "现场地类与批准前一致", "现场地类是否一致", "地类是否一致",
                       "现状地类未变化", "DLYZ")),
            FieldSpec("compensation", "enum", "征收补偿实施情况",
                      ("compensation", "征收补偿实施情况", "补偿实施情况", "征收补偿安置方案实施情况",
                       "征收补偿", "ZSBC", "BCSS"), values=COMPENSATION),
            FieldSpec("balance_ha", "area", "占补平衡指标",
                      ("balance_ha", "balance", "占补平衡指标", "耕地占补平衡指标", "占补平衡指标面积", "占用耕地面积",
                       "ZBPHMJ")),
            FieldSpec("balance_source", "enum", "占补平衡指标来源",
                      ("balance_source", "占补平衡指标来源", "指标来源", "补充耕地指标来源", "ZBLY"),
                      values=BALANCE_SOURCES),
            FieldSpec("balance_buyer", "text", "指标购买单位",
                      ("balance_buyer", "指标购买单位", "购买单位", "GMDW")),
            FieldSpec("approval_kind", "enum", "审批类型",
                      ("approval_kind", "审批类型", "批准类型", "报批类型", "用地审批类型", "SPLX", "PZLX"),
                      values=APPROVAL_KINDS),
        ),
    ),
    "supplies": LayerSpec(
        "supplies", "供地", "land supplies",
        ("supplies", "supply", "供地", "供应", "土地供应", "供地宗地", "GD"),
        "either", True, "parcel_id",
        _fields(
            FieldSpec("parcel_id", "text", "电子监管号", _PARCEL, required=True),
            FieldSpec("batch_id", "text", "批次编号", (*_BATCH, "批次")),
            FieldSpec("batch_name", "text", "批次名称", _BATCH_NAME),
            FieldSpec("county_code", "code6", "行政区代码", _CODE),
            FieldSpec("supply_date", "date", "供地日期",
                      ("supply_date", "供地日期", "供地时间", "供应日期", "合同签订日期", "签订日期",
                       "GDRQ", "GDSJ", "QDRQ", "HTQDRQ"), required=True),
            FieldSpec("supply_method", "text", "供地方式",
                      ("supply_method", "供地方式", "供应方式", "GDFS", "GYFS")),
            FieldSpec("area_ha", "area", "供地面积",
                      ("area_ha", "area", "供地面积", "供应面积", "宗地面积", "出让面积", "面积", "GDMJ",
                       "GYMJ", "ZDMJ", "MJ")),
            FieldSpec("land_use", "text", "土地用途", ("land_use", "土地用途", "用途", "TDYT", "YT")),
            FieldSpec("agreed_start", "date", "约定动工日期", _START),
            FieldSpec("agreed_completion", "date", "约定竣工日期",
                      ("agreed_completion", "约定竣工日期", "约定竣工时间", "YDJGSJ", "YDJGRQ")),
            FieldSpec("actual_start", "date", "实际动工日期",
                      ("actual_start", "实际动工日期", "实际开工日期", "实际动工时间", "实际开工时间",
                       "SJKGSJ", "SJKGRQ")),
            FieldSpec("actual_completion", "date", "实际竣工日期",
                      ("actual_completion", "实际竣工日期", "实际竣工时间", "SJJGSJ", "SJJGRQ")),
            FieldSpec("land_price_wan", "number", "成交价款", _PRICE),
            FieldSpec("total_investment_wan", "number", "总投资",
                      ("total_investment_wan", "total_investment", "总投资", "计划总投资", "ZTZ")),
            FieldSpec("invested_wan", "number", "已投资",
                      ("invested_wan", "invested", "已投资", "已完成投资", "累计投资", "完成投资", "YTZ",
                       "WCTZ")),
            FieldSpec("developed_ha", "area", "已开发面积",
                      ("developed_ha", "developed", "已开发面积", "开发面积", "已建面积", "KFMJ", "YKFMJ")),
            FieldSpec("project_name", "text", "项目名称", _PROJECT),
            FieldSpec("holder", "text", "土地使用权人", _HOLDER),
        ),
    ),
    "idle": LayerSpec(
        "idle", "闲置土地", "idle land",
        ("idle", "idle_land", "闲置土地", "闲置", "闲置土地台账", "闲置土地整改工作台账", "XZTD"),
        "either", False, "idle_id",
        _fields(
            FieldSpec("idle_id", "text", "闲置编号",
                      ("idle_id", "闲置编号", "闲置土地编号", "XZBH", "编号"), required=True),
            FieldSpec("parcel_id", "text", "电子监管号", _PARCEL),
            FieldSpec("county_code", "code6", "行政区代码", _CODE),
            FieldSpec("area_ha", "area", "闲置面积",
                      ("area_ha", "area", "闲置面积", "面积", "XZMJ", "MJ")),
            FieldSpec("identified_date", "date", "认定日期",
                      ("identified_date", "认定日期", "认定时间", "RDRQ", "RDSJ")),
            FieldSpec("cause", "enum", "闲置原因", ("cause", "闲置原因", "原因", "XZYY"), values=IDLE_CAUSES),
            FieldSpec("disposal", "text", "处置方式",
                      ("disposal", "处置方式", "处置措施", "CZFS"), values=DISPOSAL_METHODS),
            FieldSpec("disposal_date", "date", "处置日期",
                      ("disposal_date", "处置日期", "处置时间", "处置完成日期", "CZRQ", "CZSJ")),
            FieldSpec("land_price_wan", "number", "成交价款", _PRICE),
            FieldSpec("agreed_start", "date", "约定动工日期", _START),
            FieldSpec("project_name", "text", "项目名称", _PROJECT),
            FieldSpec("holder", "text", "土地使用权人", _HOLDER),
            FieldSpec("responsible_unit", "text", "责任单位", ("responsible_unit", "责任单位", "ZRDW")),
            FieldSpec("deadline", "date", "整改期限",
                      ("deadline", "整改期限", "处置期限", "完成时限", "ZGQX")),
        ),
    ),
    "revocations": LayerSpec(
        "revocations", "失效撤回核减", "lapses, withdrawals and reductions",
        ("revocations", "revocation", "失效撤回核减", "失效撤回", "撤回核减", "批文失效撤回核减"),
        "table", False, None,
        _fields(
            FieldSpec("batch_id", "text", "批次编号", _BATCH, required=True),
            FieldSpec("kind", "enum", "类型", ("kind", "type", "类型", "类别", "处置类型", "LX"),
                      required=True, values=REVOCATION_KINDS),
            FieldSpec("area_ha", "area", "面积",
                      ("area_ha", "area", "面积", "核减面积", "撤回面积", "失效面积", "MJ"), required=True),
            FieldSpec("date", "date", "日期", ("date", "日期", "时间", "批准日期", "RQ"), required=True),
        ),
    ),
    "resumptions": LayerSpec(
        "resumptions", "恢复受理", "resumptions of suspended applications",
        ("resumptions", "resumption", "恢复受理", "恢复受理确认", "整改确认"),
        "table", False, None,
        _fields(
            FieldSpec("county_code", "code6", "行政区代码", _CODE, required=True),
            FieldSpec("date", "date", "确认日期",
                      ("date", "确认日期", "恢复日期", "恢复受理日期", "日期", "QRRQ"), required=True),
        ),
    ),
    "quotas": LayerSpec(
        "quotas", "计划指标", "plan quotas",
        ("quotas", "quota", "计划指标", "计划", "新增建设用地计划", "指标"),
        "table", False, None,
        _fields(
            FieldSpec("county_code", "code6", "行政区代码", _CODE, required=True),
            FieldSpec("year", "year", "年度", ("year", "年度", "年份", "ND", "NF"), required=True),
            FieldSpec("plan_base_ha", "area", "因素法计划指标",
                      ("plan_base_ha", "plan_base", "plan", "因素法计划指标", "因素法测算的新增建设用地计划",
                       "新增建设用地计划", "计划指标", "因素法测算结果"), required=True),
            FieldSpec("scale_quota_ha", "area", "城镇工矿规模指标",
                      ("scale_quota_ha", "scale_quota", "城镇工矿规模指标", "规模指标")),
        ),
    ),
    # 土地卫片执法 change polygons (监测图斑), as the Ministry delivers them and the county
    # judges them; pinyin codes after the Ministry's and provinces' delivery tables.
    "changes": LayerSpec(
        "changes", "卫片图斑", "change polygons",
        ("changes", "change", "卫片图斑", "监测图斑", "卫片执法图斑", "卫片执法", "卫片", "变化图斑", "JCTB", "WPTB"),
        "either", False, "change_id",
        _fields(
            FieldSpec("change_id", "text", "监测图斑编号",
                      ("change_id", "监测图斑编号", "图斑编号", "监测编号", "JCBH", "JCTBBH", "TBBH", "编号"),
                      required=True),
            FieldSpec("round", "year", "监测年度",
                      ("round", "监测年度", "卫片年度", "年度", "JCND", "ND", "YEAR")),
            FieldSpec("county_code", "code6", "行政区代码", _CODE),
            FieldSpec("area_ha", "area", "图斑面积",
                      ("area_ha", "area", "图斑面积", "监测面积", "JCMJ", "TBMJ", "面积", "MJ")),
            FieldSpec("farmland_ha", "area", "占用耕地面积",
                      ("farmland_ha", "farmland", "占用耕地面积", "耕地面积", "占用耕地", "GDMJ", "ZYGDMJ")),
            FieldSpec("legality", "enum", "合法性",
                      ("legality", "合法性", "合法性判定", "判定结果", "判定类型", "用地合法性", "HFX", "HFXPD",
                       "PDJG"), required=True, values=LEGALITY),
            FieldSpec("violation_type", "text", "违法类型",
                      ("violation_type", "违法类型", "违法用地类型", "WFLX")),
            FieldSpec("new_construction", "bool", "是否新增建设用地",
                      ("new_construction", "是否新增建设用地", "新增建设用地", "是否新增建设", "SFXZJSYD")),
            FieldSpec("rectified", "enum", "整改情况",
                      ("rectified", "整改情况", "整改状态", "整改结果", "ZGQK", "ZGZT"), values=RECTIFICATION),
            FieldSpec("rectified_date", "date", "整改日期",
                      ("rectified_date", "整改日期", "整改完成时间", "整改完成日期", "整改时间", "ZGWCSJ", "ZGRQ",
                       "ZGSJ")),
        ),
    ),
    # --- optional campaign layers (耕地保护): loaded into Workspace.layers when present ---
    "survey": LayerSpec(
        "survey", "地类图斑", "land survey parcels",
        ("survey", "land_survey", "地类图斑", "DLTB", "三调", "三调地类图斑", "国土调查", "土地调查",
         "变更调查", "年度变更调查", "国土变更调查"),
        "either", False, None,
        _fields(
            FieldSpec("dlbm", "text", "地类编码",
                      ("dlbm", "DLBM", "地类编码", "地类代码", "land_class", "class_code"), required=True),
            FieldSpec("dlmc", "text", "地类名称", ("dlmc", "DLMC", "地类名称", "class_name")),
            # Survey areas are square metres, as the national database delivers them.
            FieldSpec("tbdlmj_m2", "number", "图斑地类面积（平方米）", ("tbdlmj_m2", "TBDLMJ", "图斑地类面积")),
            FieldSpec("tbmj_m2", "number", "图斑面积（平方米）", ("tbmj_m2", "TBMJ", "图斑面积")),
            FieldSpec("kcmj_m2", "number", "扣除地类面积（平方米）", ("kcmj_m2", "KCMJ", "扣除地类面积")),
            FieldSpec("area_ha", "area", "面积", ("area_ha", "area", "面积")),
            FieldSpec("county_code", "code6", "行政区代码", _CODE),
            FieldSpec("zldwdm", "text", "坐落单位代码", ("zldwdm", "ZLDWDM", "坐落单位代码")),
            FieldSpec("qsdwdm", "text", "权属单位代码", ("qsdwdm", "QSDWDM", "权属单位代码")),
            FieldSpec("year", "year", "调查年度", ("year", "年度", "调查年度", "年份", "ND", "NF", "DCND")),
            FieldSpec("bsm", "text", "标识码", ("bsm", "BSM", "标识码")),
            FieldSpec("tbbh", "text", "图斑编号", ("tbbh", "TBBH", "图斑编号")),
        ),
    ),
    "basic_farmland": LayerSpec(
        "basic_farmland", "永久基本农田", "permanent basic farmland",
        ("basic_farmland", "permanent_basic_farmland", "永久基本农田", "基本农田", "永久基本农田保护图斑",
         "基本农田保护图斑", "永久基本农田图斑", "JBNTBHTB", "YJJBNTTB"),
        "polygons", False, None,
        _fields(
            FieldSpec("bf_id", "text", "图斑编号", ("bf_id", "图斑编号", "编号", "BSM", "TBBH", "标识码")),
            FieldSpec("county_code", "code6", "行政区代码", _CODE),
            FieldSpec("zldwdm", "text", "坐落单位代码", ("zldwdm", "ZLDWDM", "坐落单位代码")),
            FieldSpec("area_ha", "area", "面积",
                      ("area_ha", "area", "面积", "永久基本农田面积", "基本农田面积", "图斑面积")),
        ),
    ),
    "supplement_projects": LayerSpec(
        "supplement_projects", "补充耕地项目", "supplementary-farmland projects",
        ("supplement_projects", "supplement_project", "补充耕地项目", "补充耕地", "占补平衡项目",
         "补充耕地项目范围", "BCGDXM"),
        "polygons", False, "project_id",
        _fields(
            FieldSpec("project_id", "text", "项目编号",
                      ("project_id", "项目编号", "项目代码", "备案编号", "XMBH", "XMDM", "BABH"), required=True),
            FieldSpec("project_name", "text", "项目名称", _PROJECT),
            FieldSpec("county_code", "code6", "行政区代码", _CODE),
            FieldSpec("new_farmland_ha", "area", "新增耕地面积",
                      ("new_farmland_ha", "new_farmland", "新增耕地面积", "新增耕地", "XZGDMJ")),
        ),
    ),
    "linkage_projects": LayerSpec(
        "linkage_projects", "增减挂钩项目", "increase-decrease linkage projects",
        ("linkage_projects", "linkage_project", "增减挂钩项目", "增减挂钩", "拆旧复垦区", "增减挂钩拆旧区",
         "增减挂钩拆旧复垦区", "拆旧区", "ZJGGXM"),
        "polygons", False, "project_id",
        _fields(
            FieldSpec("project_id", "text", "项目编号",
                      ("project_id", "项目编号", "项目代码", "批复编号", "XMBH", "XMDM"), required=True),
            FieldSpec("project_name", "text", "项目名称", _PROJECT),
            FieldSpec("county_code", "code6", "行政区代码", _CODE),
            FieldSpec("reclaimed_ha", "area", "拆旧复垦面积",
                      ("reclaimed_ha", "reclaimed", "拆旧复垦面积", "复垦面积", "拆旧面积", "FKMJ", "CJMJ")),
        ),
    ),
    "farmland_targets": LayerSpec(
        "farmland_targets", "耕地保护目标", "farmland protection targets",
        ("farmland_targets", "farmland_target", "耕地保护目标", "耕地保护责任目标", "耕地保护任务",
         "耕地保有量目标", "耕地保护目标任务"),
        "table", False, None,
        _fields(
            FieldSpec("county_code", "code6", "行政区代码", _CODE, required=True),
            FieldSpec("year", "year", "年度", ("year", "年度", "年份", "ND", "NF")),
            # Targets are kept in hectares like every area; retention_mu / 耕地保有量目标(亩) convert.
            FieldSpec("retention_ha", "area", "耕地保有量目标",
                      ("retention_ha", "retention", "耕地保有量目标", "耕地保有量任务", "保有量目标", "耕地保有量",
                       "GDBYL"), required=True),
            FieldSpec("redline_ha", "area", "耕地保护红线",
                      ("redline_ha", "redline", "red_line", "耕地保护红线", "保护红线", "耕地保护目标红线", "红线")),
            FieldSpec("basic_farmland_ha", "area", "永久基本农田保护任务",
                      ("basic_farmland_ha", "basic_farmland", "永久基本农田保护任务", "基本农田保护任务",
                       "永久基本农田保护面积", "基本农田保护面积", "JBNTBHRW")),
        ),
    ),
}

#: The layers every 增存挂钩 workspace has attributes for; the others are optional campaign
#: layers, kept in ``Workspace.layers`` when present.
CORE_LAYERS: tuple[str, ...] = ("counties", "batches", "supplies", "idle", "revocations", "quotas",
                                 "resumptions")


def canonical_columns(layer: str) -> list[str]:
    """Return the canonical field names of ``layer``, in order."""
    return [f.name for f in LAYERS[layer].fields]


# --- names ---------------------------------------------------------------------------------
_UNIT_SUFFIX = re.compile(
    r"^(?P<stem>.*?)\s*(?:[(\[]\s*(?P<u1>亩|mu|公顷|ha|hm2|hm²|平方米|m2|m²|万元)\s*[)\]]"
    r"|_(?P<u2>mu|ha|m2))$"
)
_UNIT_FACTOR = {"亩": 1 / MU_PER_HA, "mu": 1 / MU_PER_HA, "公顷": 1.0, "ha": 1.0, "hm2": 1.0,
                "hm²": 1.0, "平方米": 1 / M2_PER_HA, "m2": 1 / M2_PER_HA, "m²": 1 / M2_PER_HA}


def _key(name: object) -> str:
    """Fold a column or layer name: full-width to half-width, case, separators."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    return re.sub(r"[\s_\-]+", "", text)


def _split_unit(name: object) -> tuple[str, float | None]:
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    m = _UNIT_SUFFIX.match(text)
    if m is None:
        return _key(text), None
    unit = m.group("u1") or m.group("u2")
    return _key(m.group("stem")), _UNIT_FACTOR.get(unit)


def layer_for_name(name: str) -> str | None:
    """Return the canonical layer a file stem or layer name stands for.

    Examples
    --------
    >>> layer_for_name("批次"), layer_for_name("Idle_Land"), layer_for_name("roads")
    ('batches', 'idle', None)
    """
    key = _key(name)
    for spec in LAYERS.values():
        if key in {_key(n) for n in spec.names}:
            return spec.name
    stem, year = split_year(name)
    if year is not None and layer_for_name(stem) in PER_YEAR_LAYERS:
        return layer_for_name(stem)
    return None


#: Layers a workspace may hold once a year (``survey_2017``, ``2019年地类图斑``).
PER_YEAR_LAYERS = frozenset({"survey"})
_YEAR_IN_NAME = re.compile(r"^(?:(?P<y1>(?:19|20)\d{2})年?[\s_\-]*(?P<s1>.+)|(?P<s2>.+?)[\s_\-]*(?P<y2>(?:19|20)\d{2})年?)$")


def split_year(name: str) -> tuple[str, int | None]:
    """Split a year off a layer name: ``survey_2017`` → (``survey``, 2017).

    Examples
    --------
    >>> split_year("survey_2017"), split_year("2019年地类图斑"), split_year("DLTB")
    (('survey', 2017), ('地类图斑', 2019), ('DLTB', None))
    """
    m = _YEAR_IN_NAME.match(unicodedata.normalize("NFKC", str(name)).strip())
    if m is None:
        return str(name), None
    if m.group("y1"):
        return m.group("s1"), int(m.group("y1"))
    return m.group("s2"), int(m.group("y2"))


_DBF_NAME_LEN = 10


def rename_columns(
    columns: Iterable[object], layer: str
) -> tuple[dict[object, str], dict[str, float]]:
    """Map source columns of ``layer`` to canonical names.

    Parameters
    ----------
    columns : iterable
        The source column names.
    layer : str
        Canonical layer name.

    Returns
    -------
    mapping : dict
        Source column → canonical name, for the columns recognised. When
        several source columns match one field, the alias listed first wins
        (``DZJGH`` before ``ZDBH``); the others are left as they are. A
        name of exactly 10 characters also matches the first 10 characters
        of a longer alias, as a shapefile's ``.dbf`` cuts it
        (``approval_d`` → ``approval_date``).
    factors : dict
        Canonical area field → factor to hectares, for columns whose name
        carries a unit (``面积(亩)`` → 1/15).

    Examples
    --------
    >>> m, f = rename_columns(["XZQDM", "闲置面积(亩)", "处置日期"], "idle")
    >>> m["XZQDM"], m["闲置面积(亩)"], f
    ('county_code', 'area_ha', {'area_ha': 0.06666666666666667})
    """
    spec = LAYERS[layer]
    split = {col: _split_unit(col) for col in columns if str(col) != "geometry"}
    # A .dbf keeps 10 characters of a field name: ``approval_date`` comes back as ``approval_d``.
    cut = {col for col in split if len(unicodedata.normalize("NFKC", str(col)).strip()) == _DBF_NAME_LEN}
    mapping: dict[object, str] = {}
    factors: dict[str, float] = {}
    for fs in spec.fields:
        aliases = (fs.name, *fs.aliases)
        keys = [_key(a) for a in aliases]
        truncated = [_key(a[:_DBF_NAME_LEN]) if a.isascii() and len(a) > _DBF_NAME_LEN else None
                     for a in aliases]
        best: tuple[int, object, float | None] | None = None
        for col, (key, factor) in split.items():
            if col in mapping:
                continue
            if key in keys:
                rank = keys.index(key)
            elif col in cut and key in truncated:
                rank = len(keys) + truncated.index(key)
            else:
                continue
            if best is None or rank < best[0]:
                best = (rank, col, factor)
        if best is not None:
            mapping[best[1]] = fs.name
            if best[2] is not None and fs.kind == "area":
                factors[fs.name] = best[2]
    return mapping, factors


# --- values --------------------------------------------------------------------------------
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_DATE_PATTERNS = (
    # 2018-09-30, 2018/9/30, 2018.09.30, 2018年9月30日, with an optional time after
    re.compile(r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?(?:[ T].*)?$"),
    # 20180930
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:\.0+)?$"),
)
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")  # 10000..99999: 1927..2173; "2018" is not a day


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates in every spelling a bureau's data uses.

    ISO text, ``2018/9/30``, ``2018.09.30``, ``20180930``, ``2018年9月30日``,
    Excel serial numbers (days since 1899-12-30) and real date or datetime
    values all give the same day. Times of day are dropped.

    Parameters
    ----------
    values : pandas.Series
        Raw values of one column.

    Returns
    -------
    dates : pandas.Series
        ``datetime64[ns]`` days, NaT where missing or unparseable.
    bad : pandas.Series of bool
        True where a value was present but could not be read as a date.

    Examples
    --------
    >>> s = pd.Series(["2018-09-30", "2018/9/30", "2018.09.30", "20180930",
    ...                "2018年9月30日", 43373, None, "soon"])
    >>> dates, bad = parse_dates(s)
    >>> dates.dt.strftime("%Y-%m-%d").tolist()[:6]
    ['2018-09-30', '2018-09-30', '2018-09-30', '2018-09-30', '2018-09-30', '2018-09-30']
    >>> bad.tolist()
    [False, False, False, False, False, False, False, True]
    """
    values = pd.Series(values)
    index = values.index
    if len(values) > 1_000 and not pd.api.types.is_datetime64_any_dtype(values.dtype):
        # A column repeats few distinct dates: parse each once, then spread them back.
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) < len(values) // 2:
            once, once_bad = parse_dates(pd.Series(np.asarray(uniques, dtype=object)))
            # One NaT / False after the uniques stands for the missing values (code -1).
            spread = np.append(once.to_numpy(), np.datetime64("NaT", "ns"))
            flags = np.append(once_bad.to_numpy(dtype=bool), False)
            return (pd.Series(spread[codes], index=index, dtype="datetime64[ns]"),
                    pd.Series(flags[codes], index=index))
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        dates = pd.to_datetime(values).dt.tz_localize(None) if getattr(
            values.dt, "tz", None) else pd.to_datetime(values)
        return dates.dt.normalize().astype("datetime64[ns]"), pd.Series(False, index=index)
    out = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    present = values.notna()
    if pd.api.types.is_numeric_dtype(values.dtype):
        numeric = pd.to_numeric(values, errors="coerce")
        text = pd.Series(pd.NA, index=index, dtype="string")
        text[present] = numeric[present].map(lambda v: f"{v:.0f}" if float(v).is_integer() else str(v))
    else:
        # Real date objects (from XLSX or GPKG) first; everything else as text.
        is_stamp = pd.Series(False, index=index)
        if values.dtype == object:
            is_stamp = values.map(lambda v: isinstance(v, np.datetime64) or hasattr(v, "year"))
        if is_stamp.any():
            out[is_stamp] = pd.to_datetime(values[is_stamp].astype(object), errors="coerce").values
        text = values.where(~is_stamp).astype("string").str.strip()
        text = text.where(text != "")
        present = present & (is_stamp | text.notna())
    todo = text.notna()
    # The common spellings go through pandas' C parser first, for speed.
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        if todo.any():
            parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
            hit = parsed.notna()
            out[hit[hit].index] = parsed[hit].values
            todo[hit[hit].index] = False
    for pattern in _DATE_PATTERNS:
        if not todo.any():
            break
        parts = text[todo].str.extract(pattern)
        hit = parts["y"].notna()
        if hit.any():
            ymd = parts[hit].astype("int64").rename(columns={"y": "year", "m": "month", "d": "day"})
            out[ymd.index] = pd.to_datetime(ymd, errors="coerce").values
            todo[ymd.index] = False
    serial = text[todo].str.match(_SERIAL).fillna(False)
    if serial.any():
        idx = serial[serial].index
        days = pd.to_numeric(text[idx], errors="coerce")
        ok = days.between(1, 2_958_465)  # Excel's valid range, 1900-01-01 .. 9999-12-31
        out[idx[ok.to_numpy()]] = (_EXCEL_EPOCH + pd.to_timedelta(days[ok].astype("int64"), unit="D")).values
    bad = present & out.isna()
    return out.dt.normalize(), bad


def _code6(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return county codes as 6-digit text and a mask of unusable ones."""
    text = values.astype("string").str.strip()
    text = text.str.replace(r"\.0+$", "", regex=True)
    # A 9- or 12-digit township or village code starts with the county's 6 digits.
    text = text.where(~text.str.fullmatch(r"\d{9}|\d{12}").fillna(False), text.str[:6])
    text = text.where(text != "")
    ok = text.str.fullmatch(r"\d{6}").fillna(False)
    bad = text.notna() & ~ok
    return text.where(ok), bad


def _fold(text: pd.Series) -> pd.Series:
    """Vectorised :func:`_key`: full-width to half-width, case, separators."""
    folded = text.str.normalize("NFKC").str.strip().str.lower()
    return folded.str.replace(r"[\s_\-]+", "", regex=True)


#: Words that put a coded value in doubt: the value is then unknown, not the one it names.
_DOUBT = r"疑似|存疑|待定|待查|待核|不确定|未定"


def _enum(values: pd.Series, choices: Mapping[str, tuple[str, ...]]) -> tuple[pd.Series, pd.Series]:
    if len(values) > 1_000:
        # A column repeats a few spellings: read each once, then spread them back.
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) < len(values) // 2:
            once, once_bad = _enum(pd.Series(np.asarray(uniques, dtype=object)), choices)
            spread = pd.array([*once.to_numpy(dtype=object, na_value=None), None], dtype="string")
            flags = np.append(once_bad.to_numpy(dtype=bool), False)
            return (pd.Series(spread.take(codes), index=values.index),
                    pd.Series(flags[codes], index=values.index))
    lookup = {_key(alias): canon for canon, aliases in choices.items() for alias in (canon, *aliases)}
    text = values.astype("string").str.strip()
    text = text.where(text != "")
    # Built as "string" from the start: mapping a column with no hit gives a null-typed
    # Arrow column under pandas 3, which then refuses to take a value.
    out = _fold(text).map(lookup).astype(object).astype("string")
    # Fuller names (河南省人民政府, 中华人民共和国国务院) hold a known value inside them.
    missing = (out.isna() & text.notna()).to_numpy(dtype=bool, copy=True)
    # A value in doubt (疑似合法, 合法性存疑, 待定) is none of the values it names.
    doubt = text.str.contains(_DOUBT, regex=True).fillna(False).to_numpy(dtype=bool)
    missing &= ~doubt
    if missing.any():
        for canon in choices:
            # A negated value (不合法, 非企业原因) is not the value it contains.
            inside = text.str.contains(f"(?<![不非未没无]){re.escape(canon)}", regex=True)
            contains = missing & inside.fillna(False).to_numpy(dtype=bool)
            out[contains] = canon
            missing &= ~contains
        if "省政府" in choices:
            prov = missing & text.str.contains(r"省.*政府", regex=True).fillna(False).to_numpy(dtype=bool)
            out[prov] = "省政府"
    return out, text.notna() & out.isna()


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    # An infinite value ("inf", 1E+400) is no number: it made a rate inf/inf, read as "no task".
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = pd.to_numeric(values, errors="coerce").astype("float64")
        infinite = pd.Series(np.isinf(out.to_numpy()), index=values.index)
        return out.mask(infinite), infinite
    text = values.astype("string").str.strip().str.replace("，", ",", regex=False)
    text = text.where(text != "")
    # A comma is read only as a thousands separator (1,234.5); "38,40" may be 38.40 or 3840,
    # so it is no number (the row's error says so) rather than a guess.
    grouped = text.str.fullmatch(_GROUPED).fillna(False)
    text = text.mask(grouped, text.str.replace(",", "", regex=False))
    out = pd.to_numeric(text.where(~text.str.contains(",", regex=False).fillna(False)), errors="coerce")
    out = out.astype("float64")
    out = out.mask(np.isinf(out.to_numpy()))
    return out, text.notna() & out.isna()


#: A number with its thousands grouped by commas: 1,234 or -12,345,678.9.
_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"


def _text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(values.dtype):
        # Ids read as numbers (1.0) are text that lost its type: give back "1".
        values = values.map(lambda v: f"{v:.0f}" if pd.notna(v) and float(v).is_integer() else v)
    text = values.astype("string").str.strip()
    return text.where(text != "")


#: Relative difference between an attribute area and its geometry's area that is reported.
AREA_TOLERANCE = 0.05
#: Attribute and geometry areas this many times apart are a slip (an error), not a discrepancy.
AREA_SLIP = 10.0

#: No date in a land ledger is earlier (the People's Republic's land records begin in 1949);
#: an earlier one is a slip, most often Excel's zero date 1899-12-30/31.
EARLIEST_DATE = pd.Timestamp("1949-01-01")

#: Control characters (tab, line feed and carriage return excepted): they break XLSX
#: writers and terminals and are never meant.
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"

_CONTROL_BYTE = np.zeros(256, dtype=bool)
_CONTROL_BYTE[[*(b for b in range(32) if b not in (9, 10, 13)), 127]] = True


def _control_rows(text: pd.Series) -> pd.Series:
    """True where a text holds a control character (:data:`_CONTROL`).

    The bytes of an Arrow-backed column are scanned at once (a UTF-8
    multi-byte character never holds a byte below 0x80); only a column that
    holds such a byte is searched row by row.
    """
    import pyarrow as pa

    found = True
    if hasattr(text.array, "__arrow_array__"):
        values = pa.array(text.array)
        chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
        found = False
        for chunk in chunks:
            data = chunk.buffers()[2] if len(chunk.buffers()) > 2 else None
            raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
            if _CONTROL_BYTE[raw[raw < 32]].any() or (raw == 127).any():
                found = True
                break
    if not found:
        return pd.Series(False, index=text.index)
    return text.str.contains(_CONTROL, regex=True).fillna(False).astype(bool)


#: The areas a feature is measured by: zero or less keeps the row out.
_FEATURE_AREAS = frozenset({"approved_ha", "area_ha"})


def coerce_layer(
    frame: pd.DataFrame,
    layer: str,
    *,
    source: str | None = None,
    factors: Mapping[str, float] | None = None,
    ids: pd.Series | None = None,
    rows: pd.Series | None = None,
) -> tuple[pd.DataFrame, list[Problem], pd.Series]:
    """Coerce a renamed frame's canonical columns to their types.

    Missing optional columns are added empty; areas are converted to
    hectares by ``factors``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The layer with canonical column names (see :func:`rename_columns`).
    layer : str
        Canonical layer name.
    source : str, optional
        File or table name, for problems.
    factors : mapping, optional
        Area field → factor to hectares.
    ids, rows : pandas.Series, optional
        Feature ids and source row numbers, on ``frame``'s index, for problems.

    Returns
    -------
    frame : pandas.DataFrame
        Typed canonical columns, then any other columns as they were.
    problems : list of Problem
        One per value that could not be read.
    errors : pandas.Series of bool
        True for rows with an error (to keep out of the computation).
    """
    spec = LAYERS[layer]
    factors = dict(factors or {})
    frame = frame.copy()
    problems: list[Problem] = []
    errors = pd.Series(False, index=frame.index)
    if ids is None:
        ids = pd.Series([None] * len(frame), index=frame.index, dtype="object")
    if rows is None:
        rows = pd.Series(np.arange(1, len(frame) + 1), index=frame.index)

    raw_values = frame.copy()

    def report(mask: pd.Series, fs: FieldSpec, severity: Severity, zh: str, en: str) -> None:
        for i in mask[mask].index:
            raw = raw_values.at[i, fs.name]
            problems.append(Problem(
                layer, _feature_id(ids[i], rows[i]), fs.name, severity,
                f"{fs.label}（{fs.name}）的值 “{raw}” {zh}",
                f"{fs.name} value '{raw}' {en}", int(rows[i]), source,
            ))

    def whole(bad: pd.Series, fs: FieldSpec, zh: str, en: str) -> bool:
        """One error for the layer when no value of a required field can be read."""
        present = raw_values[fs.name].notna()
        if not fs.required or int(bad.sum()) < 2 or bool((present & ~bad).any()):
            return False
        samples = "、".join(dict.fromkeys(str(v) for v in raw_values.loc[bad, fs.name].head(50)))
        samples = samples if len(samples) <= 60 else samples[:60] + "…"
        names = "、".join(fs.aliases[:6])
        where = f"{source}：" if source else ""
        problems.append(Problem(
            layer, None, fs.name, "error",
            f"{where}必填字段 {fs.label}（{fs.name}）的 {int(bad.sum())} 个值全部{zh}（如 “{samples}”）；"
            f"该图层 {len(frame)} 行均未参与计算。请更正该字段（字段名可为 {names}）",
            f"{source + ': ' if source else ''}no value of the required field {fs.name} can be read: "
            f"all {int(bad.sum())} {en} (e.g. '{samples}'); none of the layer's {len(frame)} rows is used. "
            f"Correct the field (accepted names: {', '.join(fs.aliases[:6])})",
            None, source,
        ))
        errors[:] = True
        return True

    for fs in spec.fields:
        if fs.name not in frame.columns:
            frame[fs.name] = pd.Series(pd.NA, index=frame.index, dtype="object")
            raw_values[fs.name] = frame[fs.name]
        col = frame[fs.name]
        if fs.kind == "text":
            frame[fs.name] = _text(col)
            control = _control_rows(frame[fs.name])
            for i in control[control].index:
                shown = re.sub(_CONTROL, lambda m: f"\\x{ord(m.group()):02x}", str(frame.at[i, fs.name]))
                problems.append(Problem(
                    layer, _feature_id(ids[i], rows[i]), fs.name, "warning",
                    f"{fs.label}（{fs.name}）的值 “{shown}” 含控制字符，请在源数据中删除",
                    f"{fs.name} value '{shown}' holds control characters; remove them in the source",
                    int(rows[i]), source,
                ))
            if fs.values:
                known, _ = _enum(frame[fs.name], fs.values)
                frame[fs.name] = known.fillna(frame[fs.name])
        elif fs.kind == "bool":
            flags, bad = _enum(col, YES_NO)
            report(bad, fs, "warning", "不是 是/否，已按空值处理", "is not yes/no; treated as empty")
            frame[fs.name] = flags.map({"true": True, "false": False}).astype("boolean")
        elif fs.kind == "code6":
            frame[fs.name], bad = _code6(col)
            report(bad, fs, "warning", "不是 6 位行政区代码，已按空值处理（将按空间位置确定县区）",
                   "is not a 6-digit county code; treated as empty (the county is found by location)")
        elif fs.kind == "date":
            frame[fs.name], bad = parse_dates(col)
            sev: Severity = "error" if fs.required or fs.name == "disposal_date" else "warning"
            if not (sev == "error" and whole(bad, fs, "无法识别为日期（可用 2018-09-30、2018/9/30、20180930）",
                                             "values are not dates (use 2018-09-30, 2018/9/30 or 20180930)")):
                report(bad, fs, sev, "无法识别为日期（可用 2018-09-30、2018/9/30、20180930、2018年9月30日）",
                       "is not a date (use 2018-09-30, 2018/9/30, 20180930 or 2018年9月30日)")
                if sev == "error":
                    errors |= bad
            early = (frame[fs.name] < EARLIEST_DATE).fillna(False).astype(bool)
            if early.any():
                first = f"{EARLIEST_DATE:%Y-%m-%d}"
                if sev == "error":
                    report(early, fs, "error", f"早于 {first}，不可能是该日期（常见于 Excel 的 0 日期 1899-12-30/31），"
                           "该行未参与计算", f"is before {first}, impossible here (often Excel's zero date "
                           "1899-12-30/31); the row is left out")
                    errors |= early
                else:
                    report(early, fs, "warning", f"早于 {first}，已按空值处理",
                           f"is before {first}; treated as empty")
                    frame[fs.name] = frame[fs.name].mask(early)
        elif fs.kind in ("area", "number", "year"):
            if fs.kind == "year" and not pd.api.types.is_numeric_dtype(col.dtype):
                # 监测年度 and 调查年度 are written "2018", "2018年" or "2018年度": all the year 2018.
                col = col.astype("string").str.replace(r"\s*年度?\s*$", "", regex=True)
            values, bad = _numbers(col)
            # A 监测年度 that cannot be read is no round: taken as the rule set's (as an empty
            # one is), a 2018 change ("2018年度") counted in the 2019 round.
            strict = fs.required or fs.name == "round"
            sev = "error" if strict else "warning"
            if not whole(bad, fs, "不是数字", "values are not numbers"):
                report(bad, fs, sev, "不是数字", "is not a number")
                if strict:
                    errors |= bad
            if fs.kind == "area":
                values = values * factors.get(fs.name, 1.0)
                if fs.name in _FEATURE_AREAS:
                    nonpositive = values <= 0
                    report(nonpositive, fs, "error", "面积必须大于 0，该行未参与计算",
                           "area must be greater than 0; the row is left out")
                    errors |= nonpositive
                else:
                    # Other areas may be 0 (nothing developed yet, no scale quota).
                    negative = values < 0
                    if fs.required:
                        report(negative, fs, "error", "面积不能为负，该行未参与计算",
                               "area must not be negative; the row is left out")
                        errors |= negative
                    else:
                        report(negative, fs, "warning", "面积不能为负，已按空值处理",
                               "area must not be negative; treated as empty")
                        values = values.mask(negative)
            if fs.kind == "year":
                values = values.round().astype("Int64")
            frame[fs.name] = values
        elif fs.kind == "enum":
            frame[fs.name], bad = _enum(col, fs.values)
            allowed = " | ".join(fs.values)
            sev = "error" if fs.required else "warning"
            if not whole(bad, fs, f"不是可识别的取值（应为 {allowed}）", f"values are not one of {allowed}"):
                report(bad, fs, sev, f"不是可识别的取值（应为 {allowed}）", f"is not one of {allowed}")
                if fs.required:
                    errors |= bad
    for fs in spec.fields:
        if fs.required and fs.name != spec.id_field:
            empty = frame[fs.name].isna() & ~errors
            if fs.kind == "area" and spec.geometry != "table":
                continue  # a missing area may come from the geometry; checked there
            for i in empty[empty].index:
                problems.append(Problem(
                    layer, _feature_id(ids[i], rows[i]), fs.name, "error",
                    f"缺少必填字段 {fs.label}（{fs.name}）的值，该行未参与计算",
                    f"required field {fs.name} is empty; the row is left out",
                    int(rows[i]), source,
                ))
            errors |= empty
    canonical = [f.name for f in spec.fields]
    others = [c for c in frame.columns if c not in canonical]
    return frame[canonical + others], problems, errors


def _feature_id(value: object, row: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return f"#{row}"
    return str(value)


#: Values of ``unit_kind`` that mark a functional zone (功能区 / 管委会) in the counties layer.
ZONE_KINDS = ("功能区", "管委会", "zone")


def unit_kinds(counties: pd.DataFrame) -> pd.Series:
    """Return each assessed unit's kind: ``县区`` or ``功能区``.

    A row of the counties layer is a functional zone when its ``unit_kind``
    says so (功能区 / 管委会) or it names a ``parent_code`` other than its own code.
    """
    kind = pd.Series("县区", index=counties.index, dtype="string")
    zone = pd.Series(False, index=counties.index)
    if "unit_kind" in counties.columns:
        zone |= counties["unit_kind"].astype("string").str.strip().isin(ZONE_KINDS).fillna(False)
    if "parent_code" in counties.columns:
        parent = counties["parent_code"].astype("string")
        own = counties["county_code"].astype("string") if "county_code" in counties.columns else parent.where(False)
        zone |= (parent.notna() & (parent != own).fillna(True)).astype(bool)  # not a county naming itself
    return kind.mask(zone, "功能区")


def class_codes(values: object) -> pd.Series:
    """Land-class codes (地类编码, DLBM) as the tables write them: trimmed, upper case, and a
    三调 code that lost its leading 0 through Excel (101) given it back (0101).

    Examples
    --------
    >>> class_codes(pd.Series([" 0101", "101", "0702", "1001k"])).tolist()
    ['0101', '0101', '0702', '1001K']
    """
    text = pd.Series(values).astype("string").str.strip().str.upper()
    return text.mask(text.str.fullmatch(r"\d{3}").fillna(False), "0" + text)
