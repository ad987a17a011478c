"""``landuse quota`` for every shipped rule set, on the bundled sample.

增存挂钩 rule sets show the county's tasks and its plan; another campaign's
show its tasks as the generic judge decided them, the campaign's effects and
the measures behind them. The 遂平县 figures are those of ``landuse assess``
on the sample (tests/test_campaign_weipian.py SAMPLE: F = 15.9620 ha, ratio
6.45 %, 0.22 ha cut), worked through by hand below.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from landuse.cli import cli


def quota(*args: str):
    return CliRunner().invoke(cli, ["--lang", "en", "quota", *args], catch_exceptions=False)


@pytest.mark.parametrize(("rules", "lines"), [
    ("zhumadian-2018", ["T1", "T2", "T3", "T4", "outcome: award; next year's plan 95.25 ha"]),
    ("mnr-2018", ["N1", "outcome: met; next year's plan 86.59 ha"]),
    # I = 6.45 % of 15.962 ha = 1.03 ha below 0.15 × 15.962 = 2.3943 ha: met; 0.22 ha unrectified, cut 1:1.
    ("zhumadian-2019-weipian", ["red_line", "1.03 ha", "< 2.39 ha", "met", "red line crossed: no",
                                "plan cut of the 2020 plan (ha): 0.22", "violation ratio", "6.4%"]),
    ("zhumadian-2020-farmland", ["retention", "redline", ">= 904,581.00 mu", "retention: met",
                                 "new-land fee owed (万元): 40.00", "farmland balance owed (ha): 2.50"]),
])
def test_quota_of_each_shipped_rule_set(rules: str, lines: list[str]) -> None:
    result = quota("遂平县", "--rules", rules)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for line in lines:
        assert line in result.output


def test_quota_of_a_campaign_names_an_unknown_county() -> None:
    result = quota("火星县", "--rules", "zhumadian-2019-weipian")
    assert result.exit_code != 0
    assert "no county '火星县'" in result.output
    assert "411728 遂平县" in result.output
    assert "Traceback" not in result.output


def test_quota_of_a_campaign_by_code_and_zone() -> None:
    # The functional zone is an assessed unit of its own (DESIGN "Assessed units").
    result = quota("411790", "--rules", "zhumadian-2019-weipian")
    assert result.exit_code == 0, result.output
    assert "(411790)" in result.output
