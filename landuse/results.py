"""The assessment as GIS layers, with QGIS styles: ``results.gpkg``.

:func:`results_layers` gives the counties (with their outcome), the batches
(supplied and unsupplied hectares), the idle-land ledger and the field-check
candidates as layers in the workspace's CRS, each with a ``category`` column
and its label; :func:`qgis_styles` gives a QGIS categorized renderer (QML)
and the same classes as OGC SLD for each; :func:`write_results_gpkg` writes
both into one GeoPackage, the styles in the standard QGIS ``layer_styles``
table, so the layers open in QGIS with the colours and legend of the report
and the map.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse import figures
from landuse.approvals import KIND_LABELS
from landuse.io import write_gpkg
from landuse.units import MU_PER_HA

if TYPE_CHECKING:
    from landuse.assessment import Assessment

__all__ = [
    "BATCH_COLORS",
    "CANDIDATE_COLORS",
    "IDLE_COLORS",
    "database_tables",
    "qgis_styles",
    "results_layers",
    "write_results_gpkg",
]

#: Fill colours of the batch, idle and candidate classes (outcome colours: figures.OUTCOME_COLORS).
BATCH_COLORS = {"unsupplied": "#e31a1c", "partly": "#fd8d3c", "supplied": "#bdbdbd"}
IDLE_COLORS = {"undisposed": "#7b3294", "overdue": "#40004b", "disposed": "#a6dba0"}
CANDIDATE_COLORS = {
    "lapse": "#4d4d4d",
    "withdraw": "#2166ac",
    "reduce": "#67a9cf",
    "suspected_idle": "#f1a340",
}
_EPS_HA = 1e-6


# pandas' names of what an object column holds, by the kind a GeoPackage column gets
_INFERRED = {
    "date": "date",
    "datetime": "date",
    "datetime64": "date",
    "boolean": "bool",
    "integer": "number",
    "floating": "number",
    "mixed-integer-float": "number",
}


def _object_kind(present: np.ndarray) -> str:
    """What an object column's present values all are: "date", "bool", "number" or "text"."""
    if not len(present):
        return "text"
    kind = _INFERRED.get(pd.api.types.infer_dtype(present, skipna=False))
    if kind is not None:
        return kind
    # a mix pandas does not name (dates with timestamps, numpy scalars with numbers): look at each
    for name, types in (("date", dt.date | pd.Timestamp), ("bool", bool | np.bool_),
                        ("number", int | float | np.number)):
        if all(isinstance(v, types) for v in present):
            return name
    return "text"


def _gpkg_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GDAL can write: dates as datetimes, mixed objects as text, empty geometry as NULL."""
    out = frame.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if s.dtype == object:
            kind = _object_kind(s.dropna().to_numpy(dtype=object))
            if kind == "date":
                out[col] = pd.to_datetime(s)
            elif kind == "bool":
                out[col] = s.astype("boolean")
            elif kind == "number":
                out[col] = pd.to_numeric(s)
            else:
                out[col] = s.astype("string")
    geoms = out.geometry.to_numpy()
    empty = shapely.is_empty(geoms)
    if empty.any():
        geoms = geoms.copy()
        geoms[empty] = None
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    return out


def _batch_class(b: pd.DataFrame) -> pd.Series:
    unsupplied = b["unsupplied_ha"] > _EPS_HA
    nothing = b["supplied_ha"] <= _EPS_HA
    return pd.Series(
        np.where(~unsupplied, "supplied", np.where(nothing, "unsupplied", "partly")),
        index=b.index,
        dtype="object",
    )


def _idle_class(idle: pd.DataFrame, as_of: dt.date) -> pd.Series:
    disposed = idle["disposed"].astype(bool)
    overdue = ~disposed & (idle["deadline"] < pd.Timestamp(as_of)).fillna(False).astype(bool)
    return pd.Series(
        np.where(disposed, "disposed", np.where(overdue, "overdue", "undisposed")),
        index=idle.index,
        dtype="object",
    )


_CLASS_LABELS = {
    "batches": {
        "unsupplied": ("未供地", "unsupplied"),
        "partly": ("部分供地", "partly supplied"),
        "supplied": ("已全部供地或核销", "supplied or revoked"),
    },
    "idle": {
        "undisposed": ("未处置", "undisposed"),
        "overdue": ("未处置（已过整改期限）", "undisposed, overdue"),
        "disposed": ("已处置", "disposed"),
    },
    "candidates": {k: v for k, v in KIND_LABELS.items()},
}


def _class_labels(layer: str, assessment: Assessment, lang: str) -> dict[str, str]:
    en = lang == "en"
    if layer == "counties":
        return figures.outcome_labels(assessment.rules, lang=lang)
    return {k: v[en] for k, v in _CLASS_LABELS[layer].items()}


def _layer_colors(layer: str) -> dict[str, str]:
    return {
        "counties": figures.OUTCOME_COLORS,
        "batches": BATCH_COLORS,
        "idle": IDLE_COLORS,
        "candidates": CANDIDATE_COLORS,
    }[layer]


def results_layers(assessment: Assessment, *, lang: str = "zh") -> dict[str, gpd.GeoDataFrame]:
    """Return the assessment as GIS layers, each with a ``category`` and its ``category_label``.

    ``counties`` (outcome class: award, award_milestone, penalty),
    ``batches`` (supplied, partly, unsupplied), ``idle`` (disposed,
    undisposed, overdue) and ``candidates`` (lapse, withdraw, reduce,
    suspected_idle), in the workspace's CRS.
    """
    layers = {
        "counties": assessment.counties.assign(
            category=figures.outcome_classes(assessment.counties)
        ),
        "batches": assessment.batches.assign(category=_batch_class(assessment.batches)),
        "idle": assessment.idle.assign(category=_idle_class(assessment.idle, assessment.as_of)),
        "candidates": assessment.candidates.assign(
            category=assessment.candidates["kind"].astype("object")
        ),
    }
    out = {}
    for name, frame in layers.items():
        labels = _class_labels(name, assessment, lang)
        frame = frame.assign(category_label=frame["category"].map(labels))
        if name == "batches":
            frame = frame.assign(unsupplied_mu=frame["unsupplied_ha"] * MU_PER_HA)
        out[name] = _gpkg_frame(
            gpd.GeoDataFrame(frame, geometry=frame.geometry.name, crs=assessment.workspace.crs)
        )
    return out


def _rgba(color: str, alpha: int = 255) -> str:
    color = color.lstrip("#")
    r, g, b = (int(color[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _qml_symbol(index: int, color: str, *, outline: str, width: float, alpha: float) -> str:
    props = {
        "color": _rgba(color),
        "outline_color": _rgba(outline),
        "outline_style": "solid",
        "outline_width": f"{width:g}",
        "outline_width_unit": "MM",
        "style": "solid",
        "joinstyle": "bevel",
        "border_width_map_unit_scale": "3x:0,0,0,0,0,0",
        "offset": "0,0",
        "offset_unit": "MM",
    }
    options = "".join(f'<Option type="QString" name="{k}" value="{v}"/>' for k, v in props.items())
    legacy = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in props.items())
    return (
        f'<symbol type="fill" name="{index}" alpha="{alpha:g}" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
        f'<Option type="Map">{options}</Option>{legacy}</layer></symbol>'
    )


def _qml(
    attr: str,
    categories: list[tuple[str, str, str]],
    *,
    label_field: str | None = None,
    outline: str = "#ffffff",
    width: float = 0.26,
    alpha: float = 0.85,
) -> str:
    """A QGIS 3 style: a categorized fill renderer on ``attr``, optional simple labels."""
    cats = "".join(
        f'<category value="{html.escape(v)}" label="{html.escape(lab)}" symbol="{i}" render="true"/>'
        for i, (v, lab, _) in enumerate(categories)
    )
    symbols = "".join(
        _qml_symbol(i, col, outline=outline, width=width, alpha=alpha)
        for i, (_, _, col) in enumerate(categories)
    )
    labeling = ""
    if label_field:
        labeling = (
            '<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName="{html.escape(label_field)}" isExpression="0" fontSize="10" '
            'fontSizeUnit="Point" fontWeight="75" textColor="17,17,17,255" fontFamily="Noto Sans CJK SC" '
            'textOpacity="1" namedStyle="Bold">'
            '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" bufferColor="255,255,255,255" '
            'bufferOpacity="1"/></text-style>'
            '<placement placement="0" offsetType="0" centroidInside="1" centroidWhole="0"/>'
            '<rendering obstacle="1" scaleVisibility="0" drawLabels="1"/>'
            "</settings></labeling>"
        )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        f'<qgis version="3.28.0" styleCategories="Symbology|Labeling" labelsEnabled="{int(bool(label_field))}">'
        f'<renderer-v2 type="categorizedSymbol" attr="{html.escape(attr)}" symbollevels="0" '
        'enableorderby="0" forceraster="0" referencescale="-1">'
        f"<categories>{cats}</categories><symbols>{symbols}</symbols>"
        "<rotation/><sizescale/></renderer-v2>"
        f"{labeling}<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode><layerGeometryType>2</layerGeometryType>"
        "</qgis>"
    )


def _sld(
    layer: str, attr: str, categories: list[tuple[str, str, str]], *, alpha: float = 0.85
) -> str:
    """The same categories as an OGC SLD 1.1 style."""
    rules = "".join(
        f"<se:Rule><se:Name>{html.escape(lab)}</se:Name><se:Description><se:Title>{html.escape(lab)}</se:Title>"
        f'</se:Description><ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsEqualTo>'
        f"<ogc:PropertyName>{html.escape(attr)}</ogc:PropertyName><ogc:Literal>{html.escape(v)}</ogc:Literal>"
        f"</ogc:PropertyIsEqualTo></ogc:Filter><se:PolygonSymbolizer><se:Fill>"
        f'<se:SvgParameter name="fill">{col}</se:SvgParameter>'
        f'<se:SvgParameter name="fill-opacity">{alpha:g}</se:SvgParameter></se:Fill>'
        f'<se:Stroke><se:SvgParameter name="stroke">#ffffff</se:SvgParameter>'
        f'<se:SvgParameter name="stroke-width">1</se:SvgParameter></se:Stroke>'
        f"</se:PolygonSymbolizer></se:Rule>"
        for v, lab, col in categories
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc" '
        'xmlns:se="http://www.opengis.net/se" version="1.1.0">'
        f"<NamedLayer><se:Name>{html.escape(layer)}</se:Name><UserStyle><se:Name>{html.escape(layer)}</se:Name>"
        f"<se:FeatureTypeStyle>{rules}</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"
    )


def qgis_styles(
    assessment: Assessment, *, lang: str = "zh"
) -> tuple[dict[str, str], dict[str, str]]:
    """Return (QML, SLD) styles per layer of :func:`results_layers`: categorized on ``category``."""
    qml, sld = {}, {}
    for layer in ("counties", "batches", "idle", "candidates"):
        labels = _class_labels(layer, assessment, lang)
        colors = _layer_colors(layer)
        cats = [(k, labels[k], colors[k]) for k in colors]
        outline = "#ffffff" if layer == "counties" else "#333333"
        qml[layer] = _qml(
            "category",
            cats,
            label_field="county_name" if layer == "counties" else None,
            outline=outline,
            width=0.5 if layer == "counties" else 0.2,
            alpha=0.85 if layer == "counties" else 0.9,
        )
        sld[layer] = _sld(layer, "category", cats)
    return qml, sld


def database_tables(
    assessment: Assessment, *, lang: str = "zh"
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The tables :func:`landuse.postgis.write_results` writes, and their QGIS styles (QML).

    The layers of :func:`results_layers` (with ``category``), the supplies
    and the problems, each with its geometry in the workspace's CRS.
    """
    layers = results_layers(assessment, lang=lang)
    supplies = assessment.supplies
    if isinstance(supplies, gpd.GeoDataFrame) and supplies.crs is None:
        supplies = supplies.set_crs(assessment.workspace.crs)
    problems = assessment.problems[
        ["layer", "feature_id", "field", "severity", "message", "message_en", "row", "source"]
    ]
    tables = {
        "counties": layers["counties"],
        "batches": layers["batches"],
        "supplies": supplies,
        "idle": layers["idle"],
        "candidates": layers["candidates"],
        "problems": problems,
    }
    return tables, qgis_styles(assessment, lang=lang)[0]


def write_results_gpkg(
    assessment: Assessment, target: str | os.PathLike, *, lang: str = "zh", overwrite: bool = False
) -> Path:
    """Write :func:`results_layers` with :func:`qgis_styles` into one GeoPackage, atomically."""
    qml, sld = qgis_styles(assessment, lang=lang)
    return write_gpkg(
        results_layers(assessment, lang=lang), target, qml, sld=sld, overwrite=overwrite
    )
