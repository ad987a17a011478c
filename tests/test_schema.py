"""Canonical names, aliases, value coercion and problems (landuse.model.schema)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from landuse.model.schema import (
    LAYERS,
    Problem,
    canonical_columns,
    coerce_layer,
    layer_for_name,
    parse_dates,
    problems_frame,
    rename_columns,
)

# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "layer"),
    [
        ("counties", "counties"),
        ("县区", "counties"),
        ("XZQ", "counties"),
        ("batches", "batches"),
        ("批次", "batches"),
        ("Batches", "batches"),
        ("supplies", "supplies"),
        ("供地", "supplies"),
        ("idle", "idle"),
        ("闲置土地", "idle"),
        ("Idle_Land", "idle"),
        ("idle-land", "idle"),
        ("revocations", "revocations"),
        ("失效撤回核减", "revocations"),
        ("quotas", "quotas"),
        ("计划指标", "quotas"),
        ("roads", None),
        ("", None),
    ],
)
def test_layer_for_name(name, layer):
    assert layer_for_name(name) == layer


# Every alias family of DESIGN.md: English canonical, Chinese and national pinyin codes.
ALIASES = [
    # counties
    ("counties", "county_code", "county_code"),
    ("counties", "行政区代码", "county_code"),
    ("counties", "XZQDM", "county_code"),
    ("counties", "xzqdm", "county_code"),
    ("counties", "county_name", "county_name"),
    ("counties", "行政区名称", "county_name"),
    ("counties", "XZQMC", "county_name"),
    # batches
    ("batches", "batch_id", "batch_id"),
    ("batches", "批次编号", "batch_id"),
    ("batches", "PCBH", "batch_id"),
    ("batches", "batch_name", "batch_name"),
    ("batches", "批次名称", "batch_name"),
    ("batches", "PCMC", "batch_name"),
    ("batches", "approval_no", "approval_no"),
    ("batches", "批准文号", "approval_no"),
    ("batches", "PZWH", "approval_no"),
    ("batches", "approval_date", "approval_date"),
    ("batches", "批准日期", "approval_date"),
    ("batches", "PZRQ", "approval_date"),
    ("batches", "approver", "approver"),
    ("batches", "批准机关", "approver"),
    ("batches", "approved_ha", "approved_ha"),
    ("batches", "批准面积", "approved_ha"),
    ("batches", "compensation", "compensation"),
    ("batches", "征收补偿实施情况", "compensation"),
    ("batches", "XZQDM", "county_code"),
    # supplies
    ("supplies", "parcel_id", "parcel_id"),
    ("supplies", "电子监管号", "parcel_id"),
    ("supplies", "DZJGH", "parcel_id"),
    ("supplies", "宗地编号", "parcel_id"),
    ("supplies", "ZDBH", "parcel_id"),
    ("supplies", "PCBH", "batch_id"),
    ("supplies", "supply_date", "supply_date"),
    ("supplies", "供地日期", "supply_date"),
    ("supplies", "supply_method", "supply_method"),
    ("supplies", "供地方式", "supply_method"),
    ("supplies", "GYFS", "supply_method"),
    ("supplies", "GDFS", "supply_method"),
    ("supplies", "area_ha", "area_ha"),
    ("supplies", "供地面积", "area_ha"),
    ("supplies", "GDMJ", "area_ha"),
    ("supplies", "land_use", "land_use"),
    ("supplies", "土地用途", "land_use"),
    ("supplies", "TDYT", "land_use"),
    ("supplies", "agreed_start", "agreed_start"),
    ("supplies", "约定动工日期", "agreed_start"),
    ("supplies", "YDKGSJ", "agreed_start"),
    ("supplies", "agreed_completion", "agreed_completion"),
    ("supplies", "约定竣工日期", "agreed_completion"),
    ("supplies", "YDJGSJ", "agreed_completion"),
    ("supplies", "actual_start", "actual_start"),
    ("supplies", "实际动工日期", "actual_start"),
    ("supplies", "SJKGSJ", "actual_start"),
    ("supplies", "成交价款", "land_price_wan"),
    ("supplies", "developed_ha", "developed_ha"),
    # idle
    ("idle", "idle_id", "idle_id"),
    ("idle", "闲置编号", "idle_id"),
    ("idle", "电子监管号", "parcel_id"),
    ("idle", "闲置面积", "area_ha"),
    ("idle", "认定日期", "identified_date"),
    ("idle", "闲置原因", "cause"),
    ("idle", "处置方式", "disposal"),
    ("idle", "处置日期", "disposal_date"),
    # revocations and quotas
    ("revocations", "批次编号", "batch_id"),
    ("revocations", "类型", "kind"),
    ("revocations", "面积", "area_ha"),
    ("revocations", "日期", "date"),
    ("quotas", "行政区代码", "county_code"),
    ("quotas", "年度", "year"),
    ("quotas", "因素法计划指标", "plan_base_ha"),
    ("quotas", "城镇工矿规模指标", "scale_quota_ha"),
]


@pytest.mark.parametrize(("layer", "column", "canonical"), ALIASES)
def test_rename_columns_alias(layer, column, canonical):
    mapping, factors = rename_columns([column], layer)
    assert mapping == {column: canonical}
    assert factors.get(canonical, 1.0) == 1.0


def test_every_field_is_found_by_its_own_name():
    for layer, spec in LAYERS.items():
        mapping, _ = rename_columns([f.name for f in spec.fields], layer)
        assert list(mapping.values()) == canonical_columns(layer)


def test_rename_columns_folds_width_case_and_separators():
    mapping, _ = rename_columns(["Ｘｚｑｄｍ", " County-Name "], "counties")
    assert mapping == {"Ｘｚｑｄｍ": "county_code", " County-Name ": "county_name"}


def test_rename_columns_first_alias_wins_and_others_are_left():
    # DZJGH (the national key) is listed before ZDBH; ZDBH stays a plain column.
    mapping, _ = rename_columns(["ZDBH", "DZJGH", "备注"], "supplies")
    assert mapping == {"DZJGH": "parcel_id"}


def test_rename_columns_cut_shapefile_names():
    names = ["county_cod", "approval_d", "approved_h", "compensati", "approval_n", "batch_id"]
    mapping, _ = rename_columns(names, "batches")
    assert mapping == {
        "county_cod": "county_code",
        "approval_d": "approval_date",
        "approved_h": "approved_ha",
        "compensati": "compensation",
        "approval_n": "approval_no",
        "batch_id": "batch_id",
    }


@pytest.mark.parametrize(
    ("column", "factor"),
    [
        ("闲置面积(亩)", 1 / 15),
        ("闲置面积（亩）", 1 / 15),
        ("闲置面积 (亩)", 1 / 15),
        ("area_mu", 1 / 15),
        ("XZMJ_mu", 1 / 15),
        ("面积(公顷)", 1.0),
        ("area_ha", None),
        ("面积(平方米)", 1 / 10_000),
        ("面积(m2)", 1 / 10_000),
    ],
)
def test_rename_columns_area_unit_suffix(column, factor):
    mapping, factors = rename_columns([column], "idle")
    assert mapping == {column: "area_ha"}
    assert factors.get("area_ha", 1.0) == pytest.approx(factor or 1.0)


def test_mu_column_is_converted_to_hectares():
    frame = pd.DataFrame(
        {"批次编号": ["B1"], "类型": ["核减"], "面积(亩)": [15.0], "日期": ["2018-03-01"]}
    )
    mapping, factors = rename_columns(frame.columns, "revocations")
    out, problems, errors = coerce_layer(
        frame.rename(columns=mapping), "revocations", factors=factors
    )
    assert out.at[0, "area_ha"] == pytest.approx(1.0)
    assert problems == []
    assert not errors.any()


# --- dates ---------------------------------------------------------------------------------
SEPT_30 = pd.Timestamp("2018-09-30")


@pytest.mark.parametrize(
    "value",
    [
        "2018-09-30",
        "2018-9-30",
        "2018/9/30",
        "2018/09/30",
        "2018.09.30",
        "2018.9.30",
        "20180930",
        "2018年9月30日",
        "2018年09月30日",
        "2018-09-30 14:25:00",
        "2018-09-30T14:25:00",
        " 2018-09-30 ",
        "43373",
        43373,
        43373.0,
        43373.6,
        20180930,
        dt.date(2018, 9, 30),
        dt.datetime(2018, 9, 30, 14, 25),
        pd.Timestamp("2018-09-30 08:00"),
        np.datetime64("2018-09-30"),
    ],
)
def test_parse_dates_every_spelling(value):
    dates, bad = parse_dates(pd.Series([value], dtype=object))
    assert dates.iloc[0] == SEPT_30
    assert not bad.iloc[0]


@pytest.mark.parametrize("dtype", [None, "object", "string", "str"])
def test_parse_dates_column_dtypes(dtype):
    values = ["2018-09-30", "2018/9/30", None, "not a date"]
    dates, bad = parse_dates(pd.Series(values, dtype=dtype))
    assert dates.dtype == "datetime64[ns]"
    assert dates.iloc[:2].tolist() == [SEPT_30, SEPT_30]
    assert pd.isna(dates.iloc[2])
    assert pd.isna(dates.iloc[3])
    assert bad.tolist() == [False, False, False, True]


def test_parse_dates_numeric_columns():
    dates, bad = parse_dates(pd.Series([43373, 20180930, np.nan]))
    assert dates.iloc[:2].tolist() == [SEPT_30, SEPT_30]
    assert bad.tolist() == [False, False, False]


def test_parse_dates_datetime_columns_drop_time_and_zone():
    naive = pd.Series(pd.to_datetime(["2018-09-30 23:59", None]))
    aware = naive.dt.tz_localize("Asia/Shanghai")
    for values in (naive, aware):
        dates, bad = parse_dates(values)
        assert dates.dtype == "datetime64[ns]"
        assert dates.iloc[0] == SEPT_30
        assert pd.isna(dates.iloc[1])
        assert not bad.any()


@pytest.mark.parametrize(
    "value", ["2018-02-30", "2018-13-01", "30/09/2018", "soon", "2018", 2018, "12", -5, "0"]
)
def test_parse_dates_unreadable(value):
    dates, bad = parse_dates(pd.Series([value], dtype=object))
    assert pd.isna(dates.iloc[0])
    assert bad.iloc[0]


def test_parse_dates_keeps_index():
    values = pd.Series(["2018-09-30", "20180930"], index=[10, 20])
    dates, bad = parse_dates(values)
    assert dates.index.tolist() == [10, 20]
    assert bad.index.tolist() == [10, 20]


def test_parse_dates_empty():
    dates, bad = parse_dates(pd.Series([], dtype=object))
    assert len(dates) == 0
    assert len(bad) == 0


# --- values --------------------------------------------------------------------------------
def _coerce(layer, **columns):
    frame = pd.DataFrame(columns)
    return coerce_layer(frame, layer, source="t.csv")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([411702, 411721], ["411702", "411721"]),
        ([411702.0, np.nan], ["411702", None]),
        (["411702", " 411721 "], ["411702", "411721"]),
        (["411702.0", "411702100"], ["411702", "411702"]),
        ([411702100001, 411721001002], ["411702", "411721"]),
        (["411702100001", ""], ["411702", None]),
    ],
)
def test_county_code_is_six_digit_text(values, expected):
    out, problems, errors = _coerce(
        "quotas", county_code=values, year=[2019] * 2, plan_base_ha=[1.0] * 2
    )
    assert [None if pd.isna(v) else v for v in out["county_code"]] == expected
    assert str(out["county_code"].dtype) == "string"
    # An empty code in quotas (a required field) is an error; others pass.
    assert errors.tolist() == [v is None for v in expected]
    assert all(p.field == "county_code" for p in problems)


def test_bad_county_code_is_a_warning_and_treated_as_empty():
    out, problems, _ = _coerce(
        "batches", batch_id=["B1"], county_code=["驿城区"], approval_date=["2016-05-01"]
    )
    assert pd.isna(out.at[0, "county_code"])
    (problem,) = problems
    assert (problem.layer, problem.feature_id, problem.field, problem.severity) == (
        "batches",
        "#1",
        "county_code",
        "warning",
    )


@pytest.mark.parametrize(
    ("field", "raw", "canonical"),
    [
        ("approver", "国务院", "国务院"),
        ("approver", "中华人民共和国国务院", "国务院"),
        ("approver", "省政府", "省政府"),
        ("approver", "河南省人民政府", "省政府"),
        ("approver", "Province", "省政府"),
        ("compensation", "未实施", "未实施"),
        ("compensation", "部分实施", "部分实施"),
        ("compensation", "已实施", "已实施"),
        ("compensation", "implemented", "已实施"),
    ],
)
def test_batch_enums(field, raw, canonical):
    out, problems, _ = _coerce(
        "batches", batch_id=["B1"], approval_date=["2016-05-01"], **{field: [raw]}
    )
    assert out.at[0, field] == canonical
    assert problems == []


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("失效", "lapse"), ("撤回", "withdraw"), ("核减", "reduce"), ("Withdraw", "withdraw")],
)
def test_revocation_kinds(raw, canonical):
    out, problems, _ = _coerce(
        "revocations", batch_id=["B1"], kind=[raw], area_ha=[1.0], date=["2018-01-01"]
    )
    assert out.at[0, "kind"] == canonical
    assert problems == []


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("企业原因", "企业原因"), ("政府原因", "政府原因"), ("共同原因", "政府企业共同原因")],
)
def test_idle_causes(raw, canonical):
    out, problems, _ = _coerce("idle", idle_id=["I1"], cause=[raw])
    assert out.at[0, "cause"] == canonical
    assert problems == []


@pytest.mark.parametrize(
    ("layer", "field", "columns", "severity"),
    [
        (
            "batches",
            "approver",
            {"batch_id": ["B1"], "approval_date": ["2016-05-01"], "approver": ["市政府"]},
            "warning",
        ),
        (
            "batches",
            "compensation",
            {"batch_id": ["B1"], "approval_date": ["2016-05-01"], "compensation": ["不清楚"]},
            "warning",
        ),
        (
            "revocations",
            "kind",
            {"batch_id": ["B1"], "kind": ["注销"], "area_ha": [1.0], "date": ["2018-01-01"]},
            "error",
        ),
        ("idle", "cause", {"idle_id": ["I1"], "cause": ["天气原因"]}, "warning"),
    ],
)
def test_unknown_enum_values(layer, field, columns, severity):
    out, problems, errors = _coerce(layer, **columns)
    assert pd.isna(out.at[0, field])
    (problem,) = [p for p in problems if p.field == field]
    assert problem.layer == layer
    assert problem.severity == severity
    assert problem.row == 1
    assert problem.source == "t.csv"
    assert "|" in problem.message_en or " is not one of " in problem.message_en
    assert errors.iloc[0] == (severity == "error")


def test_unparseable_required_date_is_an_error():
    ids = pd.Series(["B1", "B2"])
    frame = pd.DataFrame({"batch_id": ids, "approval_date": ["2016-05-01", "去年"]})
    _out, problems, errors = coerce_layer(frame, "batches", ids=ids, rows=pd.Series([5, 6]))
    (problem,) = problems
    assert (problem.layer, problem.feature_id, problem.field, problem.severity, problem.row) == (
        "batches",
        "B2",
        "approval_date",
        "error",
        6,
    )
    assert "去年" in problem.message
    assert errors.tolist() == [False, True]


def test_unparseable_optional_date_is_a_warning():
    _out, problems, errors = _coerce(
        "supplies", parcel_id=["P1"], supply_date=["2018-01-01"], agreed_start=["尽快"]
    )
    (problem,) = problems
    assert (problem.field, problem.severity) == ("agreed_start", "warning")
    assert not errors.any()


@pytest.mark.parametrize("area", [0, -1.5, "0", "-3"])
def test_nonpositive_area_is_an_error(area):
    _out, problems, errors = _coerce(
        "revocations", batch_id=["B1"], kind=["核减"], area_ha=[area], date=["2018-01-01"]
    )
    (problem,) = problems
    assert (problem.field, problem.severity) == ("area_ha", "error")
    assert errors.tolist() == [True]


def test_numbers_accept_thousands_separators_and_report_text():
    out, problems, errors = _coerce(
        "supplies",
        parcel_id=["P1", "P2"],
        supply_date=["2018-01-01"] * 2,
        land_price_wan=["1,234.5", "面议"],
    )
    assert out.at[0, "land_price_wan"] == pytest.approx(1234.5)
    assert pd.isna(out.at[1, "land_price_wan"])
    (problem,) = problems
    assert (problem.feature_id, problem.field, problem.severity) == (
        "#2",
        "land_price_wan",
        "warning",
    )
    assert not errors.any()


def test_ids_read_as_numbers_become_text():
    out, _, _ = _coerce("idle", idle_id=[1.0, 2.0, np.nan])
    assert out["idle_id"].tolist()[:2] == ["1", "2"]
    assert pd.isna(out.at[2, "idle_id"])


def test_year_is_an_integer():
    out, problems, _ = _coerce("quotas", county_code=["411702"], year=["2019"], plan_base_ha=[10.0])
    assert out.at[0, "year"] == 2019
    assert str(out["year"].dtype) == "Int64"
    assert problems == []


def test_missing_required_value_is_an_error_per_row():
    _out, problems, errors = _coerce(
        "revocations",
        batch_id=["B1", "B2"],
        kind=["核减", "撤回"],
        area_ha=[1.0, None],
        date=["2018-01-01", "2018-02-01"],
    )
    (problem,) = problems
    assert (problem.feature_id, problem.field, problem.severity) == ("#2", "area_ha", "error")
    assert errors.tolist() == [False, True]


def test_coerce_adds_missing_columns_in_canonical_order():
    out, problems, errors = _coerce(
        "counties", county_code=["411702"], county_name=["驿城区"], extra=["kept"]
    )
    assert list(out.columns) == [*canonical_columns("counties"), "extra"]
    assert problems == []
    assert not errors.any()


# --- problems ------------------------------------------------------------------------------
def test_problem_text_and_frame():
    p = Problem(
        "batches", "B1", "approval_date", "error", "日期无法识别", "bad date", 3, "批次.shp"
    )
    assert p.text() == "日期无法识别"
    assert p.text("en") == "bad date"
    assert Problem("batches", None, None, "warning", "只有中文").text("en") == "只有中文"
    frame = problems_frame([p])
    assert frame.columns.tolist() == [
        "layer",
        "feature_id",
        "field",
        "severity",
        "message",
        "message_en",
        "row",
        "source",
        "county_code",
    ]
    assert frame.at[0, "row"] == 3
    assert problems_frame([]).empty


def test_parse_dates_of_a_long_column_parses_each_value_once_and_keeps_blanks():
    values = pd.Series(["2018-09-30", "bad", None, 43373] * 1_000)
    dates, bad = parse_dates(values)
    assert dates.iloc[:4].dt.strftime("%Y-%m-%d").fillna("").tolist() == ["2018-09-30", "", "", "2018-09-30"]
    assert bad.iloc[:4].tolist() == [False, True, False, False]
    empty, none_bad = parse_dates(pd.Series([None] * 2_000, dtype=object))
    assert empty.isna().all()
    assert not none_bad.any()
