"""Zonal statistics over the land-cover raster.

"Land class unchanged" and "developed area" come from the share of
built-up and cultivated pixels inside a geometry, weighted by the part of
each pixel the geometry covers (exactextract), so a small parcel on a
30 m grid is measured fairly.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from landuse.io import LandCover, landcover_dataset
from landuse.rules import LandCoverRules

__all__ = ["class_shares"]


def class_shares(
    geometries: gpd.GeoSeries, landcover: LandCover, rules: LandCoverRules
) -> pd.DataFrame:
    """Return the built-up and cultivated share of each geometry.

    Parameters
    ----------
    geometries : geopandas.GeoSeries
        Polygons in a projected CRS; missing or empty ones give NaN.
    landcover : LandCover
        The raster (class codes, CLCD by default).
    rules : LandCoverRules
        Which classes are built-up and which cultivated.

    Returns
    -------
    pandas.DataFrame
        On ``geometries``' index: ``built_share`` and ``cultivated_share``
        (fractions of the covered, non-nodata area), ``covered`` (True where
        the raster covers the geometry).
    """
    from exactextract import exact_extract

    out = pd.DataFrame(
        {"built_share": np.nan, "cultivated_share": np.nan, "covered": False}, index=geometries.index
    )
    values = geometries.to_numpy()
    present = pd.Series(~shapely.is_missing(values) & ~shapely.is_empty(values), index=geometries.index)
    if not present.any():
        return out
    geoms = geometries[present]
    if landcover.crs is not None and not CRS.from_user_input(landcover.crs).equals(geoms.crs):
        geoms = geoms.to_crs(landcover.crs)
    frame = gpd.GeoDataFrame({"_k": np.arange(len(geoms))}, geometry=geoms.values, crs=geoms.crs)
    with landcover_dataset(landcover) as src, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        stats = exact_extract(src, frame, ["unique", "frac"], output="pandas", include_cols=["_k"],
                              strategy="feature-sequential")
    long = stats.explode(["unique", "frac"]).dropna(subset=["unique"])
    if long.empty:
        return out
    cls = long["unique"].astype("int64").to_numpy()
    frac = long["frac"].astype("float64").to_numpy()
    k = long["_k"].astype("int64").to_numpy()
    built = np.bincount(k, weights=frac * np.isin(cls, rules.built_up_classes), minlength=len(geoms))
    cult = np.bincount(k, weights=frac * np.isin(cls, rules.cultivated_classes), minlength=len(geoms))
    covered = np.bincount(k, weights=frac, minlength=len(geoms)) > 0
    idx = geometries.index[present.to_numpy()]
    out.loc[idx, "built_share"] = np.where(covered, built, np.nan)
    out.loc[idx, "cultivated_share"] = np.where(covered, cult, np.nan)
    out.loc[idx, "covered"] = covered
    return out
