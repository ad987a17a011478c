"""Small array helpers shared by the analysis modules."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def member(values: pd.Series | pd.Index, universe: Iterable[object]) -> np.ndarray:
    """Boolean mask: which ``values`` are in ``universe`` (missing values are not).

    The same as ``values.isin(universe)``, but through Arrow: pandas 3's
    ``isin`` on Arrow-backed text converts every value to a Python object,
    which costs seconds on a province's ids.
    """
    if isinstance(universe, pd.Series | pd.Index):
        universe = universe.dropna().astype("string").unique()
    else:
        universe = [str(u) for u in universe if u is not None and u is not pd.NA]
    array = pa.array(pd.Series(values).astype("string"), type=pa.large_string())
    hits = pc.is_in(array, value_set=pa.array(list(universe), type=pa.large_string()), skip_nulls=True)
    return np.asarray(hits.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
