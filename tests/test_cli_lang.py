"""The command line in one language at a time: help, click's own words, `landuse fields`."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from landuse.cli import cli
from landuse.cli._lang import pick

CJK = re.compile(r"[\u3400-\u9fff]")
COMMANDS = sorted(cli.commands)


def _help(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], env={"LANDUSE_LANG": None})
    assert result.exit_code == 0, result.output
    return result.output


def _prose(text: str) -> list[str]:
    """Lines of a help text that are not examples ($ …) and carry words."""
    return [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("$")]


def _english_words(line: str) -> int:
    """Plain English words in a line, leaving out options, metavars, file names and defaults."""
    text = re.sub(r"\[[^\]]*\]|--?\S+|\S*[./|:_…]\S*|[A-Z]{2,}\S*", " ", line)
    return len(re.findall(r"\b[a-z]{2,}\b", text))


def _mostly_chinese(line: str) -> bool:
    return 3 * len(CJK.findall(line)) >= len(re.findall(r"[A-Za-z]", line))


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_help_is_in_one_language(name: str) -> None:
    zh = _help(name)
    en = _help("--lang", "en", name)
    assert zh != en
    assert zh.startswith("用法：")
    assert en.startswith("Usage:")
    assert "显示本帮助并退出。" in zh
    assert "Show this message and exit." not in zh
    assert "Show this message and exit." in en
    assert "显示本帮助并退出" not in en
    # No English sentence in Chinese help, no Chinese sentence in English help (examples aside;
    # "Usage" lines name the command and its metavars).
    assert not [ln for ln in _prose(en) if _mostly_chinese(ln) and CJK.search(ln)]
    assert not [ln for ln in _prose(zh) if _english_words(ln) >= 4]


def test_the_environment_chooses_english_too() -> None:
    result = CliRunner().invoke(cli, ["assess", "--help"], env={"LANDUSE_LANG": "en"})
    assert result.output.startswith("Usage:")
    assert "Assess every county" in result.output


def test_command_list_follows_the_language() -> None:
    zh, en = _help(), _help("--lang", "en")
    assert "命令:" in zh
    assert "按规则集考核各县区" in zh
    assert "Commands:" in en
    assert "Assess every county" in en
    assert "按规则集" not in en


def test_usage_errors_in_the_chosen_language() -> None:
    runner = CliRunner()
    zh = runner.invoke(cli, ["assess", "--as-of", "xx"], env={"LANDUSE_LANG": None})
    en = runner.invoke(cli, ["--lang", "en", "assess", "--as-of", "xx"])
    assert zh.exit_code == en.exit_code == 2
    assert "错误：'--as-of' 的值无效：无法识别的日期 “xx”（应为 2018-12-31）" in zh.output
    assert "not a date" not in zh.output
    assert "Error: Invalid value for '--as-of': not a date: 'xx' (use 2018-12-31)" in en.output
    assert "无法识别" not in en.output


def test_pick_keeps_one_half_and_the_examples() -> None:
    text = "一个县区的任务。\n\nOne county's tasks, in 公顷 and 亩.\n\n\b\n$ landuse quota 遂平县"
    assert pick(text, "zh") == "一个县区的任务。\n\n\b\n$ landuse quota 遂平县"
    assert pick(text, "en") == "One county's tasks, in 公顷 and 亩.\n\n\b\n$ landuse quota 遂平县"
    assert pick("显示进度（-vv 更详细）/ show progress.", "en") == "show progress."
    assert pick("显示进度（-vv 更详细）/ show progress.", "zh") == "显示进度（-vv 更详细）"


def test_fields_lists_aliases_and_pinyin_codes() -> None:
    result = CliRunner().invoke(cli, ["fields", "批次"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "approval_date" in result.output
    assert "批准日期" in result.output
    assert "PZRQ" in result.output
    assert "XZQDM" in result.output
    assert "supply_date" not in result.output  # only the layer asked for


def test_fields_of_an_unknown_layer_names_the_choices() -> None:
    result = CliRunner().invoke(cli, ["--lang", "en", "fields", "nope"])
    assert result.exit_code == 2
    assert "no layer 'nope'; choose one of: counties" in result.output
