"""Tests of landuse.rules.model: bundled rule sets, round trips and every validation failure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from importlib import resources
from pathlib import Path

import pytest

from landuse._errors import RuleSetError
from landuse.rules.model import (
    MEASURES,
    RuleSet,
    Task,
    list_rulesets,
    load_ruleset,
)

D = dt.date


def bundled_text(name: str) -> str:
    return (resources.files("landuse.rules") / "rulesets" / f"{name}.toml").read_text("utf-8")


@pytest.fixture
def zmd_text() -> str:
    return bundled_text("zhumadian-2018")


def write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


# --- the bundled rule sets ----------------------------------------------------


def test_list_rulesets() -> None:
    assert list_rulesets() == ["mnr-2018", "zhumadian-2018", "zhumadian-2019-weipian", "zhumadian-2020-farmland"]


@pytest.mark.parametrize("name", ["mnr-2018", "zhumadian-2018"])
def test_bundled_id_is_its_name(name: str) -> None:
    rules = load_ruleset(name)
    assert isinstance(rules, RuleSet)
    assert rules.id == name
    assert rules.path is not None
    assert rules.path.endswith(f"{name}.toml")


def test_zhumadian_tasks() -> None:
    rules = load_ruleset("zhumadian-2018")
    assert rules.baseline == D(2018, 1, 1)
    assert [t.id for t in rules.tasks] == ["T1", "T2", "T3", "T4"]
    t1, t2, t3, t4 = rules.tasks
    assert t1 == Task(
        id="T1",
        measure="supply_rate",
        deadline=D(2018, 9, 30),
        target=0.70,
        window=(D(2013, 1, 1), D(2017, 12, 31)),
        baseline=None,
        milestone=True,
        label=t1.label,
        label_en=t1.label_en,
    )
    assert "2013—2017" in t1.label
    assert (t2.measure, t2.deadline, t2.target) == ("supply_rate", D(2018, 12, 31), 0.75)
    assert t2.window == (D(2013, 1, 1), D(2017, 12, 31))
    assert t2.baseline is None
    assert not t2.milestone
    assert (t3.measure, t3.deadline, t3.target) == ("stock_disposal_rate", D(2018, 12, 31), 0.20)
    assert t3.window == (D(2009, 1, 1), D(2015, 12, 31))
    assert t3.baseline == D(2018, 1, 1)
    assert (t4.measure, t4.deadline, t4.target) == ("idle_disposal_rate", D(2018, 12, 31), 0.50)
    assert t4.window is None
    assert t4.baseline is None
    assert all(t.label and t.label_en for t in rules.tasks)


def test_zhumadian_t1_is_a_milestone_not_deciding() -> None:
    rules = load_ruleset("zhumadian-2018")
    assert rules.task("T1").milestone
    assert "T1" not in rules.award.deciding
    assert [t.id for t in rules.milestones] == ["T1"]
    assert [t.id for t in rules.deciding_tasks] == ["T2", "T3", "T4"]


def test_zhumadian_sections() -> None:
    rules = load_ruleset("zhumadian-2018")
    assert rules.award.deciding == ("T2", "T3", "T4")
    assert rules.award.met_multiplier == pytest.approx(1.10)
    assert rules.award.missed_multiplier == pytest.approx(0.80)
    assert rules.award.plan_year_offset == 1
    assert rules.suspension.on_missed is True
    assert rules.suspension.exempt_project_kinds == (
        "省以上重点项目",
        "重大民生项目",
        "扶贫攻坚项目",
    )
    tr = rules.treatment
    assert 0 <= tr.little_stock_quantile <= 1
    assert (tr.scale_favoured, tr.scale_cut) == ("倾斜", "扣减")
    assert (tr.devzone_supported, tr.devzone_suspended) == ("支持", "暂停支持")
    assert all([tr.scale_favoured_en, tr.scale_cut_en, tr.devzone_supported_en])
    assert tr.devzone_suspended_en
    assert (rules.ranking.commend, rules.ranking.criticize) == (3, 3)
    assert rules.approvals.lapse_years == 2
    assert rules.approvals.approvers == ("国务院", "省政府")
    assert rules.approvals.reduce_approvers == ("省政府",)
    assert rules.sampling.typical_cases == 2
    assert rules.sampling.per_county > 0
    assert rules.landcover.built_up_classes == (8,)
    assert rules.landcover.cultivated_classes == (1,)
    assert 0 < rules.landcover.unchanged_max_built_share < 1
    # developed_min_share is tied to Order 53's 1/3 through idle.developed_share_min
    assert rules.landcover.developed_min_share == rules.idle.developed_share_min


@pytest.mark.parametrize("name", ["mnr-2018", "zhumadian-2018"])
def test_order_53_figures(name: str) -> None:
    idle = load_ruleset(name).idle
    assert idle.disposal_methods == (
        "延长动工开发期限",
        "调整土地用途或规划条件",
        "安排临时使用",
        "协议有偿收回",
        "置换土地",
        "征缴土地闲置费",
        "无偿收回",
        "动工开发",
        "其他",
    )
    assert idle.not_started_years == 1
    assert idle.developed_share_min == 1 / 3  # exactly, not approximately
    assert idle.investment_share_min == 0.25
    assert idle.fee_rate == 0.20
    assert idle.fee_after_years == 1
    assert idle.recover_after_years == 2
    assert idle.enterprise_causes == ("企业原因",)
    assert idle.government_causes == ("政府原因", "政府企业共同原因")


def test_mnr() -> None:
    rules = load_ruleset("mnr-2018")
    assert [t.id for t in rules.tasks] == ["N1"]
    n1 = rules.task("N1")
    assert n1.measure == "supply_rate"
    assert n1.window == (D(2013, 1, 1), D(2017, 12, 31))
    assert n1.deadline == D(2018, 12, 31)
    assert n1.target == 0.60
    assert not n1.milestone
    assert rules.milestones == ()
    assert rules.deciding_tasks == (n1,)
    assert rules.award.met_multiplier == 1.0
    assert rules.award.missed_multiplier == 0.0
    assert rules.award.plan_year_offset == 1
    assert rules.suspension.on_missed is True
    assert rules.suspension.exempt_project_kinds == ("国家重点项目", "民生保障项目")
    zmd = load_ruleset("zhumadian-2018")
    for section in ("treatment", "ranking", "idle", "approvals", "landcover", "sampling"):
        assert getattr(rules, section) == getattr(zmd, section), section


def test_task_unknown() -> None:
    rules = load_ruleset("zhumadian-2018")
    with pytest.raises(RuleSetError, match=r"no task 'T9'.*T1, T2, T3, T4"):
        rules.task("T9")


def test_bundled_load_is_cached() -> None:
    assert load_ruleset("zhumadian-2018") is load_ruleset("zhumadian-2018")


def test_doc_example() -> None:
    rules = load_ruleset("zhumadian-2018")
    assert rules.task("T2").target == 0.75


# --- frozen ---------------------------------------------------------------------


def test_frozen() -> None:
    rules = load_ruleset("zhumadian-2018")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.baseline = D(2019, 1, 1)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.task("T2").target = 0.5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.award.met_multiplier = 2.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.idle.fee_rate = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.award.deciding[0] = "T1"  # type: ignore[index]
    assert isinstance(rules.tasks, tuple)
    assert load_ruleset("zhumadian-2018").task("T2").target == 0.75


def test_hashable() -> None:
    rules = load_ruleset("zhumadian-2018")
    assert hash(rules) == hash(load_ruleset("zhumadian-2018"))


# --- user files and round trips ---------------------------------------------------


@pytest.mark.parametrize("name", ["mnr-2018", "zhumadian-2018"])
def test_copy_of_bundled_file_loads_from_path(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, bundled_text(name), f"{name}.toml")
    by_path = load_ruleset(path)
    by_str = load_ruleset(str(path))
    assert by_path == load_ruleset(name)  # path is not compared
    assert by_path == by_str
    assert by_path.path == str(path)


@pytest.mark.parametrize("name", ["mnr-2018", "zhumadian-2018"])
def test_to_toml_round_trip(tmp_path: Path, name: str) -> None:
    rules = load_ruleset(name)
    again = load_ruleset(write(tmp_path, rules.to_toml()))
    assert again == rules
    assert again.to_toml() == rules.to_toml()


USER_TOML = """
id = "demo-city-2019"
name = "示范市2019年增存挂钩"
name_en = "Demo city 2019"
source = "示范市文件"
source_en = "Demo city notice"
baseline = 2019-01-01

[[tasks]]
id = "S"
measure = "supply_rate"
window = [2014-01-01, 2018-12-31]
deadline = 2019-12-31
target = 0.8
label = "供地率"
label_en = "supply rate"

[[tasks]]
id = "D"
measure = "stock_disposal_rate"
window = [2010-01-01, 2016-12-31]
deadline = 2019-12-31
baseline = 2018-07-01
target = 0.25
label = "处置率"
label_en = "disposal rate"

[[tasks]]
id = "I-half"
measure = "idle_disposal_rate"
deadline = 2019-06-30
target = 0.3
milestone = true
label = "闲置土地处置率（半年）"
label_en = "idle-land disposal rate (half year)"

[award]
deciding = ["S", "D"]
met_multiplier = 1
missed_multiplier = 0.9
plan_year_offset = 0

[suspension]
on_missed = false
exempt_project_kinds = []

[treatment]
little_stock_quantile = 0.25
scale_favoured = "倾斜"
scale_cut = "扣减"
devzone_supported = "支持"
devzone_suspended = "暂停支持"
scale_favoured_en = "favoured"
scale_cut_en = "cut"
devzone_supported_en = "supported"
devzone_suspended_en = "suspended"

[ranking]
commend = 0
criticize = 2

[idle]
disposal_methods = ["无偿收回", "动工开发"]
not_started_years = 1.5
developed_share_min = 0.3
investment_share_min = 0.2
fee_rate = 0.2
fee_after_years = 1
recover_after_years = 2
enterprise_causes = ["企业原因"]
government_causes = ["政府原因"]

[approvals]
lapse_years = 2
approvers = ["国务院", "省政府", "市政府"]
reduce_approvers = []

[landcover]
built_up_classes = [8, 9]
cultivated_classes = [1, 2]
unchanged_max_built_share = 0.1
developed_min_share = 0.5

[sampling]
per_county = 0
seed = 7
typical_cases = 4
"""


def test_user_ruleset(tmp_path: Path) -> None:
    rules = load_ruleset(write(tmp_path, USER_TOML))
    assert rules.id == "demo-city-2019"
    assert rules.notes == ""  # optional
    assert rules.baseline == D(2019, 1, 1)
    s, d, i = rules.tasks
    assert s.baseline is None
    assert d.baseline == D(2018, 7, 1)  # the task's own baseline wins
    assert not s.milestone  # milestone defaults to false
    assert i.milestone
    assert i.window is None
    assert rules.deciding_tasks == (s, d)
    assert rules.milestones == (i,)
    assert rules.award.met_multiplier == 1.0
    assert isinstance(rules.award.met_multiplier, float)  # TOML integer → float
    assert rules.award.plan_year_offset == 0
    assert rules.suspension == type(rules.suspension)(on_missed=False, exempt_project_kinds=())
    assert rules.approvals.reduce_approvers == ()
    assert rules.landcover.developed_min_share == 0.5  # set apart from idle's 0.3
    assert rules.landcover.built_up_classes == (8, 9)
    assert rules.idle.not_started_years == 1.5
    assert rules.sampling.typical_cases == 4
    assert load_ruleset(write(tmp_path, rules.to_toml(), "again.toml")) == rules


def test_special_characters_round_trip(tmp_path: Path) -> None:
    text = edit(USER_TOML, 'name_en = "Demo city 2019"', r'name_en = "Demo \"city\"\t\\ 2019\n"')
    rules = load_ruleset(write(tmp_path, text))
    assert rules.name_en == 'Demo "city"\t\\ 2019\n'
    assert load_ruleset(write(tmp_path, rules.to_toml(), "again.toml")) == rules


# --- failures: names, paths, syntax -------------------------------------------------


def test_unknown_name_lists_bundled() -> None:
    with pytest.raises(
        RuleSetError, match=r"no bundled rule set 'nanyang-2018'.*mnr-2018, zhumadian-2018"
    ):
        load_ruleset("nanyang-2018")


def test_unknown_path_lists_bundled(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(RuleSetError, match=r"nope\.toml not found.*mnr-2018, zhumadian-2018"):
        load_ruleset(missing)
    with pytest.raises(RuleSetError, match=r"not found"):
        load_ruleset(str(missing))


def test_bad_toml_syntax_gives_the_line(tmp_path: Path, zmd_text: str) -> None:
    text = edit(zmd_text, "target = 0.75", "target = ")
    path = write(tmp_path, text)
    line = 1 + text[: text.index("target = \n")].count("\n")
    with pytest.raises(RuleSetError, match=rf"rules\.toml is not valid TOML: .*line {line}"):
        load_ruleset(path)


def test_not_utf8(tmp_path: Path, zmd_text: str) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(zmd_text.encode("gb18030"))
    with pytest.raises(RuleSetError, match="not UTF-8"):
        load_ruleset(path)


def test_error_is_bilingual_and_names_file(tmp_path: Path, zmd_text: str) -> None:
    path = write(tmp_path, edit(zmd_text, "target = 0.75", "targt = 0.75"))
    with pytest.raises(RuleSetError) as info:
        load_ruleset(path)
    err = info.value
    assert isinstance(err, ValueError)
    assert str(path) in err.message("zh")
    assert str(path) in err.message("en")
    assert "未知的键" in err.message("zh")
    assert "tasks.T2.targt" in err.message("zh")
    assert err.message("en").startswith(f"rule set file {path}, key tasks.T2.targt: unknown key")


# --- failures: each validation rule ---------------------------------------------------

T2_WINDOW = "window = [2013-01-01, 2017-12-31]\ndeadline = 2018-12-31"
T4_HEAD = 'id = "T4"\nmeasure = "idle_disposal_rate"'

CASES = [
    # unknown keys (typos)
    ("target = 0.75", "targt = 0.75", r"key tasks\.T2\.targt: unknown key; did you mean target\?"),
    ("baseline = 2018-01-01", "baselin = 2018-01-01", r"key baselin: unknown key"),
    ("commend = 3", "comend = 3", r"key ranking\.comend: unknown key; did you mean commend"),
    # missing keys
    ("met_multiplier = 1.10\n", "", r"key award\.met_multiplier: missing key"),
    ('label_en = "Idle-land disposal rate"\n', "", r"key tasks\.T4\.label_en: missing key"),
    ("[ranking]\ncommend = 3\ncriticize = 3\n", "", r"key ranking: missing key"),
    (T2_WINDOW, "deadline = 2018-12-31", r"key tasks\.T2\.window: missing key"),
    # wrong types
    (
        "target = 0.75",
        'target = "0.75"',
        r"key tasks\.T2\.target: must be a number \(got '0\.75'\)",
    ),
    ("commend = 3", "commend = true", r"key ranking\.commend: must be an integer"),
    ("commend = 3", "commend = 3.0", r"key ranking\.commend: must be an integer"),
    ("on_missed = true", 'on_missed = "yes"', r"key suspension\.on_missed: must be true or false"),
    ("milestone = true", "milestone = 1", r"key tasks\.T1\.milestone: must be true or false"),
    ("deadline = 2018-09-30", 'deadline = "2018-09-30"', r"tasks\.T1\.deadline: .*unquoted"),
    (
        "deadline = 2018-09-30",
        "deadline = 2018-09-30T00:00:00",
        r"tasks\.T1\.deadline: .*without time",
    ),
    ('deciding = ["T2", "T3", "T4"]', 'deciding = "T2"', r"award\.deciding: must be an array"),
    ("built_up_classes = [8]", 'built_up_classes = ["8"]', r"landcover\.built_up_classes: must be"),
    ('label = "闲置土地处置率"', 'label = ""', r"key tasks\.T4\.label: must not be empty"),
    ('id = "T4"', 'id = "T 4"', r"key tasks\[4\]\.id: may hold only"),
    # ranges
    (
        "target = 0.75",
        "target = 1.5",
        r"key tasks\.T2\.target: must be a fraction in \[0, 1\]; "
        r"if you meant 1\.5 %, write 0\.015 \(got 1\.5\)",
    ),
    (
        "target = 0.75",
        "target = -0.1",
        r"key tasks\.T2\.target: must be a fraction in \[0, 1\] \(got -0\.1\)",
    ),
    ("target = 0.75", "target = 75", r"key tasks\.T2\.target: .*if you meant 75 %, write 0\.75"),
    ("target = 0.75", "target = nan", r"key tasks\.T2\.target: must be finite"),
    (
        "missed_multiplier = 0.80",
        "missed_multiplier = -0.2",
        r"key award\.missed_multiplier: must be ≥ 0 \(got -0\.2\)",
    ),
    ("met_multiplier = 1.10", "met_multiplier = 110", r"key award\.met_multiplier: .*percentages"),
    ("plan_year_offset = 1", "plan_year_offset = -1", r"key award\.plan_year_offset: must be ≥ 0"),
    (
        "little_stock_quantile = 0.5",
        "little_stock_quantile = 1.5",
        r"treatment\.little_stock_quantile",
    ),
    ("fee_rate = 0.20", "fee_rate = 1.2", r"key idle\.fee_rate: must be a fraction in \[0, 1\]"),
    ("lapse_years = 2", "lapse_years = 0", r"key approvals\.lapse_years: must be greater than 0"),
    ("criticize = 3", "criticize = -3", r"key ranking\.criticize: must be ≥ 0"),
    ("per_county = 5", "per_county = -1", r"key sampling\.per_county: must be ≥ 0"),
    (
        "unchanged_max_built_share = 0.2",
        "unchanged_max_built_share = 2",
        r"landcover\.unchanged_max",
    ),
    # windows and dates
    (
        T2_WINDOW,
        "window = [2017-12-31, 2013-01-01]\ndeadline = 2018-12-31",
        r"key tasks\.T2\.window: the start is after the end \(got \[2017-12-31, 2013-01-01\]\)",
    ),
    (
        T2_WINDOW,
        "window = [2013-01-01]\ndeadline = 2018-12-31",
        r"tasks\.T2\.window: must be an array of two",
    ),
    (
        T2_WINDOW,
        "window = [2013-01-01, 2019-12-31]\ndeadline = 2018-12-31",
        r"tasks\.T2\.window: .*after the deadline",
    ),
    (
        T4_HEAD,
        T4_HEAD + "\nwindow = [2013-01-01, 2017-12-31]",
        r"key tasks\.T4\.window: an idle_disposal_rate task",
    ),
    (
        T4_HEAD,
        T4_HEAD + "\nbaseline = 2018-01-01",
        r"key tasks\.T4\.baseline: only a stock_disposal_rate",
    ),
    (
        "baseline = 2018-01-01",
        "baseline = 2015-06-30",
        r"key tasks\.T3\.window: .*must end by the baseline 2015-06-30",
    ),
    (
        "baseline = 2018-01-01",
        "baseline = 2019-06-30",
        r"key tasks\.T3\.baseline: the baseline is after the deadline",
    ),
    # stock task without baseline anywhere
    (
        "baseline = 2018-01-01\n",
        "",
        r"key tasks\.T3\.baseline: a stock_disposal_rate task needs a baseline",
    ),
    # unknown measure
    (
        'measure = "stock_disposal_rate"',
        'measure = "stock_rate"',
        r"key tasks\.T3\.measure: unknown value; one of: supply_rate",
    ),
    # task ids and deciding
    (
        'id = "T2"',
        'id = "T1"',
        r"key tasks\[2\]\.id: duplicate task id \(already used by task number 1\) \(got 'T1'\)",
    ),
    (
        'deciding = ["T2", "T3", "T4"]',
        'deciding = ["T2", "T3", "T4", "T5"]',
        r"key award\.deciding: unknown task 'T5'",
    ),
    (
        'deciding = ["T2", "T3", "T4"]',
        'deciding = ["T1", "T2", "T3", "T4"]',
        r"key award\.deciding: task T1 is a milestone",
    ),
    (
        'deciding = ["T2", "T3", "T4"]',
        'deciding = ["T2", "T3"]',
        r"key award\.deciding: task T4 is neither a milestone nor deciding",
    ),
    ('deciding = ["T2", "T3", "T4"]', "deciding = []", r"key award\.deciding: must not be empty"),
    (
        'deciding = ["T2", "T3", "T4"]',
        'deciding = ["T2", "T2", "T3", "T4"]',
        r"key award\.deciding: repeated: T2",
    ),
    # cross-field consistency of the sections
    (
        'reduce_approvers = ["省政府"]',
        'reduce_approvers = ["市政府"]',
        r"key approvals\.reduce_approvers: 市政府 not among",
    ),
    (
        'enterprise_causes = ["企业原因"]',
        'enterprise_causes = ["企业原因", "政府原因"]',
        r"key idle\.government_causes: 政府原因 listed as both",
    ),
    (
        "recover_after_years = 2",
        "recover_after_years = 0.5",
        r"key idle\.recover_after_years: must not be shorter",
    ),
    (
        "cultivated_classes = [1]",
        "cultivated_classes = [1, 8]",
        r"key landcover\.cultivated_classes: classes \[8\]",
    ),
    (
        "unchanged_max_built_share = 0.2",
        "unchanged_max_built_share = 0.2\ndeveloped_min_share = 3",
        r"landcover\.developed_min_share",
    ),
    (
        "disposal_methods = [",
        'disposal_methods = [\n    "其他",',
        r"key idle\.disposal_methods: repeated: 其他",
    ),
    (
        '"重大民生项目" = ["民生项目"',
        '"重大民生项目" = ["国家重点项目"',
        r"key suspension\.exempt_synonyms\.重大民生项目: name '国家重点项目' already belongs to "
        r"category '省以上重点项目'",
    ),
    (
        '"重大民生项目" = ["民生项目"',
        '"商业项目" = ["x"]\n"重大民生项目" = ["民生项目"',
        r"key suspension\.exempt_synonyms\.商业项目: unknown key",
    ),
]


@pytest.mark.parametrize(("old", "new", "match"), CASES, ids=[c[2][:60] for c in CASES])
def test_validation_failure(tmp_path: Path, zmd_text: str, old: str, new: str, match: str) -> None:
    path = write(tmp_path, edit(zmd_text, old, new))
    with pytest.raises(RuleSetError, match=match) as info:
        load_ruleset(path)
    # every message names the file, in both languages
    assert str(path) in info.value.message("zh")
    assert str(path) in info.value.message("en")


def test_section_must_be_a_table(tmp_path: Path, zmd_text: str) -> None:
    text = edit(zmd_text, "[ranking]\ncommend = 3\ncriticize = 3\n", "")
    text = edit(text, 'measure = "combined"\n', "")
    text = edit(text, "baseline = 2018-01-01", "baseline = 2018-01-01\nranking = 3")
    with pytest.raises(RuleSetError, match=r"key ranking: must be a table \[\.\.\.\] \(got 3\)"):
        load_ruleset(write(tmp_path, text))


def test_tasks_must_be_array_of_tables(tmp_path: Path) -> None:
    text = re.sub(r"\n\[\[tasks\]\][\s\S]*?(?=\n\[award\])", "\n", USER_TOML)
    text = edit(text, "baseline = 2019-01-01", "baseline = 2019-01-01\ntasks = []")
    text = edit(text, 'deciding = ["S", "D"]', 'deciding = ["S"]')
    with pytest.raises(RuleSetError, match=r"key tasks: needs at least one task"):
        load_ruleset(write(tmp_path, text))
    text = edit(text, "tasks = []", "tasks = [1, 2]")
    with pytest.raises(RuleSetError, match=r"key tasks: must be an array of tables"):
        load_ruleset(write(tmp_path, text))


def test_measures_constant() -> None:
    assert MEASURES == ("supply_rate", "stock_disposal_rate", "idle_disposal_rate")


# --- the schema's messages (pydantic errors, translated): dotted key and file in both languages ---

SCHEMA_CASES = [
    # a wrong type
    ("target = 0.75", 'target = "high"', "tasks.T2.target", "must be a number", "应为数值"),
    ("seed = 2018", "seed = 2018.5", "sampling.seed", "must be an integer", "应为整数"),
    ("[[tasks]]\nid = \"T1\"", "[[tasks]]\nid = 1", "tasks[1].id", "must be a string", "应为字符串"),
    ('enterprise_causes = ["企业原因"]', 'enterprise_causes = ["企业原因", 3]', "idle.enterprise_causes",
     "must be an array of non-empty strings (got ['企业原因', 3])", "应为非空字符串的数组（收到 ['企业原因', 3]）"),
    ("window = [2009-01-01, 2015-12-31]", 'window = ["2009-01-01", 2015-12-31]', "tasks.T3.window",
     "must be a TOML date without time; write dates unquoted", "应为 TOML 日期（不含时间）；日期不加引号"),
    ('measure = "combined"', 'measure = "weighted"\nweights = 3', "ranking.weights",
     "must be a table [...] (got 3)", "应为表 [...]（收到 3）"),
    # a share above 1
    ("fee_rate = 0.20", "fee_rate = 20", "idle.fee_rate",
     "must be a fraction in [0, 1]; if you meant 20 %, write 0.2 (got 20)", "应为 [0, 1] 之间的比例；若指 20%，应写作 0.2"),
    ("used_before_supply_min_built_share = 0.5", "used_before_supply_min_built_share = 1.01",
     "landcover.used_before_supply_min_built_share", "must be a fraction in [0, 1]", "应为 [0, 1] 之间的比例"),
    # an unknown key
    ("seed = 2018", "seed = 2018\nsede = 1", "sampling.sede",
     "unknown key; did you mean seed?; allowed keys: per_county, seed, typical_cases", "未知的键，是否应为 seed？"),
    ('measure = "combined"', 'measure = "weighted"\nweights = { idle = 0.5 }', "ranking.weights.idle",
     "unknown key; allowed keys: idle_disposal, stock_disposal, supply_rate", "未知的键"),
    # a missing required key
    ("lapse_years = 2\n", "", "approvals.lapse_years", "missing key", "缺少此键"),
    ('label = "闲置土地处置率"\n', "", "tasks.T4.label", "missing key", "缺少此键"),
    # values out of range or unknown
    ("not_started_years = 1", "not_started_years = inf", "idle.not_started_years", "must be finite", "应为有限数值"),
    ("sliver_ha = 0.01", "sliver_ha = -1", "supply.sliver_ha", "must be ≥ 0 (got -1)", "应 ≥ 0（收到 -1）"),
    ("typical_cases = 2", "typical_cases = 2\ntypical_min_area_ha = -1", "sampling.typical_min_area_ha",
     "must be ≥ 0", "应 ≥ 0"),
    ('measure = "geometry"', 'measure = "geo"', "supply.measure",
     "unknown value; one of: geometry, attribute (got 'geo')", "未知的取值；可用：geometry, attribute"),
    ('baseline_day = "disposal"', 'baseline_day = "both"', "baseline_day",
     "unknown value; one of: disposal, stock", "未知的取值；可用：disposal, stock"),
    ('default_kind = "农用地转用和土地征收"', 'default_kind = "征收"', "approvals.default_kind",
     "unknown value; one of: 农用地转用和土地征收, 农用地转用, 土地征收", "未知的取值"),
    ("built_up_classes = [8]", "built_up_classes = [8, 8]", "landcover.built_up_classes",
     "has repeated values (got [8, 8])", "有重复的取值"),
    ("built_up_classes = [8]", "built_up_classes = [-8]", "landcover.built_up_classes",
     "must be an array of non-negative integers", "应为非负整数的数组"),
    ('survey_built_up_codes = ["05",', 'survey_built_up_codes = ["5",', "landcover.survey_built_up_codes",
     "land-class code prefixes must be 2 to 4 digits: 5", "地类编码前缀应为 2–4 位数字：5"),
    # checks of one key against another
    ("used_before_supply_min_built_share = 0.5", "used_before_supply_min_built_share = 0.1",
     "landcover.used_before_supply_min_built_share", "must not be below unchanged_max_built_share = 0.2",
     "不应低于 unchanged_max_built_share = 0.2"),
    ('measure = "combined"', 'measure = "weighted"', "ranking.weights",
     'measure = "weighted" needs at least one positive weight', 'measure = "weighted" 需要至少一个正权重'),
    ('measure = "combined"', 'measure = "combined"\nweights = { idle_disposal = 0.5 }', "ranking.weights",
     'weights are for measure = "weighted" only (got {idle_disposal = 0.5})', '只有 measure = "weighted" 才用权重'),
]


@pytest.mark.parametrize(("old", "new", "key", "en", "zh"), SCHEMA_CASES, ids=[f"{c[2]}-{c[3][:30]}" for c in SCHEMA_CASES])
def test_schema_message_names_key_and_file(tmp_path: Path, zmd_text: str, old: str, new: str, key: str, en: str,
                                           zh: str) -> None:
    path = write(tmp_path, edit(zmd_text, old, new), "bad-rules.toml")
    with pytest.raises(RuleSetError) as info:
        load_ruleset(path)
    err = info.value
    assert err.message("en").startswith(f"rule set file {path}, key {key}: {en}"), err.message("en")
    assert err.message("zh").startswith(f"规则集文件 {path}，键 {key}：{zh}"), err.message("zh")
    assert err.__cause__ is None  # pydantic's own English report is not chained to the analyst's


def test_of_several_faults_the_shallowest_is_told(tmp_path: Path, zmd_text: str) -> None:
    # Dropping [ranking]'s header leaves its measure inside [treatment]: an unknown key there,
    # but the missing section is the fault to tell first (as a table's unknown keys come before its missing ones).
    text = edit(zmd_text, "[ranking]\ncommend = 3\ncriticize = 3\n", "")
    with pytest.raises(RuleSetError, match=r"key ranking: missing key$"):
        load_ruleset(write(tmp_path, text))
    text = edit(zmd_text, "commend = 3", "comend = 3")
    with pytest.raises(RuleSetError, match=r"key ranking\.comend: unknown key"):  # not "ranking.commend: missing"
        load_ruleset(write(tmp_path, text))


def test_importing_the_package_does_not_import_pydantic() -> None:
    import subprocess
    import sys

    code = ("import sys, landuse; from landuse.rules.model import load_ruleset; a = 'pydantic' in sys.modules; "
            "load_ruleset('mnr-2018'); print(a, 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
