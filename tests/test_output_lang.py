"""Every output refuses a third language the same way, in both languages."""

from __future__ import annotations

import pytest

from landuse._errors import SchemaError
from landuse.output import _lang, figures, report


@pytest.mark.parametrize("pick", [figures._t, report._words, lambda lang: _lang.words({"zh": 1, "en": 2}, lang)])
def test_a_third_language_is_refused_alike(pick) -> None:
    with pytest.raises(SchemaError) as err:
        pick("fr")
    assert "“fr”" in str(err.value)
    assert "'fr'" in str(err.value)
    assert "zh 或 en" in str(err.value)
    assert "use zh or en" in str(err.value)


def test_words_picks_the_language() -> None:
    assert _lang.words({"zh": "县", "en": "county"}, "en") == "county"
    assert figures._t("zh") is figures._TEXT["zh"]
    assert report._words("en") is report._TEXT["en"]


def test_pair_word_picks_and_formats() -> None:
    table = {"as_of": ("截至 {date}", "as of {date}"), "legend": ("图例", "Legend")}
    assert _lang.pair_word(table, "as_of", "zh", date="2018-12-31") == "截至 2018-12-31"
    assert _lang.pair_word(table, "as_of", "en", date="2018-12-31") == "as of 2018-12-31"
    assert _lang.pair_word(table, "legend", "en") == "Legend"
