"""Hectares, 亩 and square metres (landuse.model.units)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from landuse.model.units import (
    M2_PER_HA,
    MU_PER_HA,
    format_area,
    format_rate,
    ha_from_m2,
    ha_from_mu,
    mu_from_ha,
)


def test_constants():
    assert M2_PER_HA == 10_000
    assert MU_PER_HA == 15
    # One 市亩 is 666.67 m².
    assert pytest.approx(666.6667, abs=1e-4) == M2_PER_HA / MU_PER_HA


def test_a_100_m_square_is_one_hectare_and_15_mu():
    ha = ha_from_m2(100.0 * 100.0)
    assert ha == 1.0
    assert mu_from_ha(ha) == 15.0
    assert ha_from_mu(15.0) == 1.0


@pytest.mark.parametrize(
    "values",
    [np.array([0.0, 1.0, 2.5]), pd.Series([0.0, 1.0, 2.5], index=[3, 4, 5])],
)
def test_conversions_keep_arrays_and_series(values):
    out = mu_from_ha(values)
    assert type(out) is type(values)
    np.testing.assert_allclose(np.asarray(out), [0.0, 15.0, 37.5])
    if isinstance(values, pd.Series):
        assert out.index.tolist() == [3, 4, 5]


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_round_trips(ha):
    assert ha_from_mu(mu_from_ha(ha)) == pytest.approx(ha)
    assert ha_from_m2(ha * M2_PER_HA) == pytest.approx(ha)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"ha": 1.0}, "1.00 公顷（15.0 亩）"),
        ({"ha": 1.0, "lang": "en"}, "1.00 ha (15.0 mu)"),
        ({"ha": 1234.5, "unit": "ha"}, "1,234.50 公顷"),
        ({"ha": 1234.5, "unit": "mu", "lang": "en"}, "18,517.5 mu"),
        ({"ha": 2.0, "unit": "mu", "digits": 0}, "30 亩"),
        ({"ha": 0.0}, "0.00 公顷（0.0 亩）"),
        ({"ha": None}, ""),
        ({"ha": float("nan")}, ""),
        ({"ha": np.float64("nan")}, ""),
    ],
)
def test_format_area(kwargs, expected):
    assert format_area(**kwargs) == expected


@pytest.mark.parametrize(
    ("rate", "kwargs", "expected"),
    [
        (0.7512, {}, "75.1%"),
        (1.0, {"digits": 0}, "100%"),
        (0.0, {}, "0.0%"),
        (None, {}, ""),
        (math.nan, {"none": "无任务"}, "无任务"),
        (None, {"none": "no task"}, "no task"),
    ],
)
def test_format_rate(rate, kwargs, expected):
    assert format_rate(rate, **kwargs) == expected
