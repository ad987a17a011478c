"""Tests of the farmland and 卫片执法 rule-set checks (pydantic schemas): each fault names the file and the dotted key."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from landuse._errors import RuleSetError
from landuse.campaigns.weipian import parse_rules
from landuse.rules.farmland import parse_farmland_rules
from landuse.rules.model import load_ruleset


def bundled_text(name: str) -> str:
    return (resources.files("landuse.rules") / "rulesets" / f"{name}.toml").read_text("utf-8")


def fails(tmp_path: Path, name: str, old: str, new: str) -> RuleSetError:
    text = bundled_text(name)
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_ruleset(path)
    err = info.value
    assert err.message("en").startswith(f"rule set file {path}, key "), err.message("en")
    assert err.message("zh").startswith(f"规则集文件 {path}，键 "), err.message("zh")
    return err


FARMLAND = [
    ("basic_farmland_wan_mu = 1028.59", "basic_farmland_wan_mu = 2028.59", "city.basic_farmland_wan_mu",
     "permanent basic farmland cannot exceed the retention target (got 2028.59)"),
    ("retention_wan_mu = 1264.66", "retention_wan_mu = 0", "city.retention_wan_mu", "must be greater than 0 (got 0)"),
    ("retention_wan_mu = 1264.66", "retention_wan_mu = 1264.66\nretention_mu = 1", "city.retention_mu",
     "unknown key; did you mean retention_wan_mu?"),
    ('nonfarm_groups = ["built_up",', 'nonfarm_groups = ["farmland",', "basic_farmland.nonfarm_groups",
     "unknown land-class group; one of: agricultural, built_up, other (got 'farmland')"),
    ('farmland = ["0101", "0102", "0103"]\nagricultural = ["02", "03", "0401"',
     'farmland = ["0101", "0102", "0103", "02"]\nagricultural = ["02", "03", "0401"',
     "land_classes.sandiao.agricultural", "code 02 is already listed in farmland (got '02')"),
    ("[land_classes.sandiao]", "[land_classes.sandiao]\nbogus = 1", "land_classes.sandiao.bogus",
     "unknown key; allowed keys: farmland, built_up, agricultural, other, note"),
    ("fee_rate_wan_per_ha = 16.0", "fee_rate_wan_per_ha = 1600", "false_class.fee_rate_wan_per_ha",
     "the unit is 万元 per hectare"),
    ("fee_rate_wan_per_ha = 16.0", "fee_rate_wan_per_ha = -1", "false_class.fee_rate_wan_per_ha", "must be ≥ 0"),
    ("tolerance_ha = 0.01\nfee_rate", "tolerance_ha = 101\nfee_rate", "false_class.tolerance_ha",
     "must be in [0, 100] (got 101)"),
    ('fee_rate_source = "', 'fee_rate_sauce = "', "false_class.fee_rate_sauce", "unknown key"),
    ("as_of = 2020-06-15", 'as_of = "2020-06-15"', "as_of", "must be a TOML date without time; write dates unquoted"),
    ('scheme = "sandiao"', 'scheme = "gb"', "survey.scheme", "unknown value; one of: sandiao, gtkj (got 'gb')"),
    ('quote = "确保', 'quote = ""\nold_quote = "确保', "city.old_quote", "unknown key"),
]


@pytest.mark.parametrize(("old", "new", "key", "en"), FARMLAND, ids=[c[2] for c in FARMLAND])
def test_farmland_fault_names_key_and_file(tmp_path: Path, old: str, new: str, key: str, en: str) -> None:
    err = fails(tmp_path, "zhumadian-2020-farmland", old, new)
    assert f", key {key}: {en}" in err.message("en"), err.message("en")
    assert f"，键 {key}：" in err.message("zh")


def test_farmland_needs_a_land_class_table() -> None:
    doc = tomllib.loads(bundled_text("zhumadian-2020-farmland"))
    doc["land_classes"] = {}
    with pytest.raises(RuleSetError, match=r"r\.toml, key land_classes: must hold at least one table"):
        parse_farmland_rules(doc, "r.toml")


def test_farmland_present_quote_must_not_be_empty() -> None:
    doc = tomllib.loads(bundled_text("zhumadian-2020-farmland"))
    doc["overlap"]["quote"] = " "
    with pytest.raises(RuleSetError, match=r"key overlap\.quote: must not be empty"):
        parse_farmland_rules(doc, "r.toml")
    del doc["overlap"]["quote"]
    assert parse_farmland_rules(doc, "r.toml").overlap.quote == ""  # left out: no quote


WEIPIAN = [
    ("round = 2019", "round = 2200", "round", "must be the monitoring year, e.g. 2019 (got 2200)"),
    ("round = 2019", "round = 1900", "round", "must be ≥ 1949 (got 1900)"),
    ("round = 2019", 'round = "2019"', "round", "must be an integer (got '2019')"),
    ("deadline = 2020-06-30", "deadline = 2018-06-30", "deadline", "is before the round 2019 (got 2018-06-30)"),
    ("ratio = 0.15", "ratio = 0", "red_line.ratio", "must be greater than 0"),
    ("ratio = 0.15", "ratio = 15", "red_line.ratio", "must be a fraction in [0, 1]; if you meant 15 %, write 0.15"),
    ("per_ha = 1.0", "per_ha = 11", "deduction.per_ha", "must be in [0, 10] (got 11)"),
    ("plan_year_offset = 1", "plan_year_offset = -1", "deduction.plan_year_offset", "must be ≥ 0"),
    ("\nlocal_choice = true", "\nlocal_choise = true", "deduction.local_choise", "unknown key; did you mean local_choice?"),
    ("cultivated_classes = [1]", "cultivated_classes = []", "farmland.cultivated_classes", "must not be empty"),
    ('survey_codes = ["0101", "0102", "0103"]', 'survey_codes = "0101"', "farmland.survey_codes",
     "must be an array of non-empty strings (got '0101')"),
    ("deadline_local_choice = true", 'deadline_local_choice = "yes"', "deadline_local_choice", "must be true or false"),
    ('[rectification]\nquote = "2018年度卫片执法问题仅整改38%"', "[rectification]", "rectification.quote", "missing key"),
]


@pytest.mark.parametrize(("old", "new", "key", "en"), WEIPIAN, ids=[f"{c[2]}-{c[3][:20]}" for c in WEIPIAN])
def test_weipian_fault_names_key_and_file(tmp_path: Path, old: str, new: str, key: str, en: str) -> None:
    err = fails(tmp_path, "zhumadian-2019-weipian", old, new)
    assert f", key {key}: {en}" in err.message("en"), err.message("en")
    assert f"，键 {key}：" in err.message("zh")


def test_weipian_optional_keys_take_their_defaults() -> None:
    doc = tomllib.loads(bundled_text("zhumadian-2019-weipian"))
    for section, key in (("deduction", "plan_year_offset"), ("red_line", "basis"), ("red_line", "basis_en")):
        del doc[section][key]
    del doc["deadline_local_choice"], doc["notes"]
    rules = parse_rules(doc, "w.toml")
    assert (rules.plan_year_offset, rules.red_line_basis, rules.red_line_basis_en) == (1, "", "")
    assert (rules.deadline_local_choice, rules.notes, rules.path) == (False, "", "w.toml")


def test_unknown_campaign_lists_the_known_ones(tmp_path: Path) -> None:
    err = fails(tmp_path, "zhumadian-2019-weipian", 'campaign = "weipian"', 'campaign = "weipan"')
    assert "key campaign: unknown campaign; one of: zengcun, weipian, farmland (got 'weipan')" in err.message("en")
