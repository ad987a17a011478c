"""The outcome map: offline page, escaping, layers, base maps, size budget (no browser)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import geopandas as gpd
import pytest
from xstatic.pkg import leaflet

from landuse import CRSError, OutputExistsError, SchemaError, load_workspace
from landuse.campaigns.zengcun.assessment import Assessment, assess
from landuse.output.maps import MapStats, map_html, map_outcomes, render_map, save_map
from tests._encoding import decode

XSS = "<img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
OVERLAYS = ("unsupplied", "supplies", "idle_undisposed", "idle_disposed", "suspected", "lapse", "withdraw",
            "reduce")


@pytest.fixture(scope="module")
def sample() -> Assessment:
    return assess(load_workspace(), "zhumadian-2018", "2018-12-31", raster=False)


@pytest.fixture(scope="module")
def sample_page(sample: Assessment) -> str:
    return map_html(map_outcomes(sample))


def layer_payload(m, key: str) -> tuple[dict, list[str]]:
    """A layer's JSON as the page carries it (data, texts), read back from the map's element."""
    for child in m._children.values():
        if getattr(child, "_name", "") == "LanduseLayer" and child.key == key:
            data, texts = (json.loads(p) for p in child.payload)
            return data, texts
    raise KeyError(key)


def layer_data(m, key: str) -> dict:
    """The features a map draws for one layer, as GeoJSON, decoded as the page's script does.

    Properties: ``c`` the class, ``t`` the tooltip, ``p`` the popup table's values (one
    per field, "" for none) or ``h`` the popup itself.
    """
    d, s = layer_payload(m, key)
    features = []
    for i, shapes in enumerate(decode(d)):
        polygons = [[[*map(list, ring), list(ring[0])] for ring in rings] for rings in shapes]
        props = {"c": d["c"][i], "t": " · ".join(t for t in (s[col[i]] for col in d["t"]) if t)}
        if "h" in d:
            props["h"] = s[d["h"][i]]
        else:
            props["p"] = [s[col[i]] for col in d["p"]]
        geometry = ({"type": "Polygon", "coordinates": polygons[0]} if len(polygons) == 1
                    else {"type": "MultiPolygon", "coordinates": polygons})
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features, "spec": d["spec"]}


def overlay_names(m) -> list[str]:
    map_html(m)  # the layer control collects its layers when rendered
    control = next(c for c in m._children.values() if type(c).__name__ == "LayerControl")
    return list(control.overlays)


def with_overlays(a: Assessment, **frames: gpd.GeoDataFrame) -> Assessment:
    return dataclasses.replace(a, **frames)


# --- offline ---------------------------------------------------------------------------------
def test_offline_page_has_no_network_address(sample_page: str) -> None:
    # Leaflet's own source names its site and the SVG namespace; nothing else may hold a URL.
    leaflet_js = (Path(leaflet.BASE_DIR) / "leaflet.js").read_text(encoding="utf-8")
    leaflet_js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", leaflet_js)
    assert leaflet_js in sample_page, "Leaflet is not inlined"
    rest = sample_page.replace(leaflet_js, "")
    assert re.findall(r"(?:https?:)?//[\w.-]+\.\w+/", rest) == []
    assert not re.search(r"<script[^>]*\bsrc=", sample_page)
    assert not re.search(r"<link\b", sample_page)
    assert "tileLayer" not in rest
    for url in re.findall(r"url\(([^)]*)\)", sample_page):
        assert url.strip("'\"").startswith(("data:", "#")), url


def test_offline_page_lists_leaflet_images_inline(sample_page: str) -> None:
    assert "images/layers.png" not in sample_page
    assert "url(data:image/png;base64," in sample_page


# --- content ---------------------------------------------------------------------------------
def test_every_county_is_drawn_with_its_popup(sample: Assessment) -> None:
    m = map_outcomes(sample)
    features = layer_data(m, "counties")["features"]
    assert len(features) == len(sample.counties) == 11
    popup = features[0]["properties"]["h"]
    for task in sample.rules.tasks:
        assert f"<b>{task.id}</b>" in popup
    assert "公顷" in popup
    assert "亩" in popup
    assert re.search(r"\d+\.\d%", popup)
    assert "下一年度计划" in popup
    assert "暂停受理" in popup
    assert "处置率排名" in popup


def test_counties_coloured_by_outcome(sample: Assessment) -> None:
    m = map_outcomes(sample)
    classes = [f["properties"]["c"] for f in layer_data(m, "counties")["features"]]
    c = sample.counties
    expected = [0 if o == "award" and not ms else 1 if o == "award" else 2
                for o, ms in zip(c["outcome"], c["milestone_missed"], strict=True)]
    assert classes == expected
    assert 1 in classes  # the sample has an award with its milestone missed: a lighter shade
    styles = layer_data(m, "counties")["spec"]["styles"]
    assert len({styles[i]["fillColor"] for i in (0, 1, 2)}) == 3


def test_no_task_and_pending_words(sample: Assessment) -> None:
    counties = sample.counties.copy()
    first = counties.index[0]
    counties.loc[first, "T4_rate"] = float("nan")
    counties.loc[first, "T4_met"] = True
    counties["T3_met"] = counties["T3_met"].astype("boolean")
    counties.loc[first, "T3_met"] = None
    m = map_outcomes(with_overlays(sample, counties=counties))
    popup = layer_data(m, "counties")["features"][0]["properties"]["h"]
    assert '<td class="lu-none">无任务</td>' in popup
    assert '<td class="lu-pending">待定</td>' in popup


def test_gap_shown_in_hectares_and_mu_for_a_missed_task(sample: Assessment) -> None:
    c = sample.counties
    task = next(t.id for t in sample.rules.tasks if (c[f"{t.id}_met"] == False).any())  # noqa: E712
    row = c[(c[f"{task}_met"] == False).fillna(False)].iloc[0]  # noqa: E712
    features = layer_data(map_outcomes(sample), "counties")["features"]
    popup = next(f["properties"]["h"] for f in features if row["county_name"] in f["properties"]["h"])
    assert "未达标" in popup
    gap = f"{row[f'{task}_gap_ha']:,.2f} 公顷（{row[f'{task}_gap_ha'] * 15:,.1f} 亩）"
    assert gap in popup


@pytest.mark.parametrize(("lang", "names"), [
    ("zh", ["县区考核结果", "批而未供土地（按批准年份）", "闲置土地·未处置", "疑似闲置（未列入台账）",
            "闲置土地·已处置", "已供宗地（按巡查状态）", "拟失效批次", "拟撤回批次", "拟核减部分", "未供先用批次"]),
    ("en", ["County outcomes", "Unsupplied approved land (by approval year)", "Idle land, undisposed",
            "Suspected idle (not on the list)", "Idle land, disposed", "Supplied parcels (by patrol status)",
            "Lapse candidates", "Withdrawal candidates", "Reduction candidates", "Used before supply"]),
])
def test_layer_names(sample: Assessment, lang: str, names: list[str]) -> None:
    m = map_outcomes(sample, lang=lang)
    listed = overlay_names(m)
    assert [re.sub(r" \(\d+\)$", "", n) for n in listed] == names
    counts = [int(re.search(r"\((\d+)\)$", n).group(1)) for n in listed]
    assert counts == list(m.landuse_stats.features.values())


def test_english_page_has_english_words(sample: Assessment) -> None:
    page = map_html(map_outcomes(sample, lang="en"))
    for words in ("Legend", "Award: every annual task met", "as of 2018-12-31", "Rank by disposal rate",
                  sample.rules.name_en):
        assert words in page
    for words in ("图例", "截至", "年度任务全部达标"):
        assert words not in page


def test_title_names_rule_set_and_date(sample: Assessment) -> None:
    page = map_html(map_outcomes(sample))
    assert f"<title>{sample.rules.name}" in page
    assert "截至 2018-12-31" in page


def test_provisional_outcome_before_the_deadline() -> None:
    a = assess(load_workspace(), "zhumadian-2018", "2018-10-31", raster=False)
    m = map_outcomes(a)
    page = map_html(m)
    assert "暂定" in page
    popups = [f["properties"]["h"] for f in layer_data(m, "counties")["features"]]
    assert any("待定" in p for p in popups)


def test_every_idle_row_is_drawn_or_counted(sample: Assessment) -> None:
    stats = map_outcomes(sample).landuse_stats
    disposed = sample.idle["disposed"].astype(bool)
    for key, rows in (("idle_undisposed", (~disposed).sum()), ("idle_disposed", disposed.sum())):
        s = stats.layers[key]
        assert s.features + s.no_geometry == rows


def test_map_leaves_the_assessment_alone(sample: Assessment) -> None:
    before = {k: getattr(sample, k).copy() for k in ("counties", "batches", "supplies", "idle", "candidates")}
    map_outcomes(sample, basemap="gaode")
    for k, frame in before.items():
        assert getattr(sample, k).geometry.equals(frame.geometry), k


# --- escaping --------------------------------------------------------------------------------
def test_data_text_is_escaped(sample: Assessment) -> None:
    counties = sample.counties.copy()
    counties.loc[counties.index[0], "county_name"] = XSS
    batches = sample.batches.copy()
    batches["batch_name"] = XSS
    supplies = sample.supplies.copy()
    supplies.loc[supplies.index[0], "parcel_id"] = XSS
    rules = dataclasses.replace(sample.rules, name=XSS)
    a = with_overlays(sample, counties=counties, batches=batches, supplies=supplies, rules=rules)
    m = map_outcomes(a)
    page = map_html(m)
    assert XSS not in page
    assert "<img" not in page
    popup = layer_data(m, "counties")["features"][0]["properties"]
    assert XSS_ESCAPED in popup["h"]
    assert XSS_ESCAPED in popup["t"]
    assert f"<title>{XSS_ESCAPED}" in page
    unsupplied = layer_data(m, "unsupplied")["features"][0]["properties"]
    assert XSS_ESCAPED in unsupplied["p"]


def test_script_end_tag_in_data_cannot_close_the_script(sample: Assessment) -> None:
    counties = sample.counties.copy()
    counties.loc[counties.index[0], "county_name"] = "</script><script>alert(1)</script>"
    page = map_html(map_outcomes(with_overlays(sample, counties=counties)))
    assert "alert(1)</script>" not in page


# --- inputs ----------------------------------------------------------------------------------
def test_counties_frame_alone(sample: Assessment) -> None:
    m = map_outcomes(sample.counties)
    assert list(m.landuse_stats.layers) == ["counties"]
    assert m.landuse_stats.features["counties"] == 11
    assert "T2" in layer_data(m, "counties")["features"][0]["properties"]["h"]


def test_assessment_with_empty_overlays(sample: Assessment) -> None:
    empty = {k: getattr(sample, k).iloc[0:0] for k in ("batches", "supplies", "idle", "candidates")}
    m = map_outcomes(with_overlays(sample, **empty))
    assert list(m.landuse_stats.layers) == ["counties"]
    assert overlay_names(m) == ["县区考核结果 (11)"]


def test_counties_in_lon_lat_are_mapped(sample: Assessment) -> None:
    m = map_outcomes(sample.counties.to_crs(4490))
    assert m.landuse_stats.features["counties"] == 11


def test_counties_without_crs_refused(sample: Assessment) -> None:
    with pytest.raises(CRSError, match="no CRS"):
        map_outcomes(sample.counties.set_crs(None, allow_override=True))


@pytest.mark.parametrize(("option", "match"), [
    ({"lang": "fr"}, "unknown language"),
    ({"basemap": "google"}, "unknown base map"),
    ({"max_html_mb": 0}, "positive"),
    ({"max_html_mb": float("nan")}, "positive"),
])
def test_bad_options(sample: Assessment, option: dict, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        map_outcomes(sample, **option)


# --- base maps -------------------------------------------------------------------------------
def test_tianditu_needs_a_key(sample: Assessment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(SchemaError, match="TIANDITU_KEY") as err:
        map_outcomes(sample, basemap="tianditu")
    assert "密钥" in err.value.zh


@pytest.mark.parametrize("via", ["argument", "environment"])
def test_tianditu_key_in_tile_urls(sample: Assessment, monkeypatch: pytest.MonkeyPatch, via: str) -> None:
    kw = {"tianditu_key": "k3y"} if via == "argument" else {}
    if via == "environment":
        monkeypatch.setenv("TIANDITU_KEY", "k3y")
    page = map_html(map_outcomes(sample, basemap="tianditu", **kw))
    assert page.count("tk=k3y") == 2
    assert "tianditu.gov.cn/vec_w/wmts" in page
    assert "tianditu.gov.cn/cva_w/wmts" in page


def test_osm_tiles(sample: Assessment) -> None:
    page = map_html(map_outcomes(sample, basemap="osm"))
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page


def test_gaode_shifts_overlays_to_gcj02(sample: Assessment) -> None:
    plain = map_outcomes(sample)
    gaode = map_outcomes(sample, basemap="gaode")
    assert "autonavi.com" in map_html(gaode)
    for key in ("counties", "unsupplied"):
        a = layer_data(plain, key)["features"][0]["geometry"]["coordinates"][0][0]
        b = layer_data(gaode, key)["features"][0]["geometry"]["coordinates"][0][0]
        dx = (b[0] - a[0]) * 111_320 * math.cos(math.radians(a[1]))
        dy = (b[1] - a[1]) * 110_570
        assert 100 < math.hypot(dx, dy) < 1_000, (key, dx, dy)


# --- size ------------------------------------------------------------------------------------
def test_sample_map_fits_its_budget_untouched(sample: Assessment, tmp_path: Path) -> None:
    stats = render_map(sample, tmp_path / "map.html")
    assert isinstance(stats, MapStats)
    assert stats.bytes == (tmp_path / "map.html").stat().st_size
    assert stats.path == tmp_path / "map.html"
    assert stats.thinned == ()
    assert stats.bytes < 2_000_000
    assert sum(stats.features.values()) > 10


def test_size_estimate_is_close(sample: Assessment, tmp_path: Path) -> None:
    m = map_outcomes(sample)
    estimate = m.landuse_stats.bytes
    save_map(m, tmp_path / "map.html")
    assert abs(estimate - m.landuse_stats.bytes) < 0.1 * m.landuse_stats.bytes


def test_tiny_budget_thins_the_largest_layers(sample: Assessment) -> None:
    full = map_outcomes(sample).landuse_stats
    budget = (full.bytes - full.layers["supplies"].bytes // 2) / 1e6
    m = map_outcomes(sample, max_html_mb=budget)
    stats = m.landuse_stats
    assert "supplies" in stats.thinned
    assert stats.bytes <= budget * 1e6
    assert stats.layers["counties"].features == 11
    for key in ("idle_undisposed", "suspected", "lapse"):  # small layers are left alone
        assert not stats.layers[key].thinned
    page = map_html(m)
    assert "为控制文件大小，“已供宗地（按巡查状态）”" in page


def test_counties_are_never_dropped(sample: Assessment) -> None:
    stats = map_outcomes(sample, max_html_mb=0.05).landuse_stats
    assert stats.layers["counties"].features == 11
    assert set(stats.thinned) >= {"supplies", "unsupplied"}


def test_save_map_refuses_to_overwrite(sample: Assessment, tmp_path: Path) -> None:
    target = tmp_path / "map.html"
    target.write_text("old", encoding="utf-8")
    m = map_outcomes(sample.counties)
    with pytest.raises(OutputExistsError):
        save_map(m, target)
    assert target.read_text(encoding="utf-8") == "old"
    save_map(m, target, overwrite=True)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert list(tmp_path.iterdir()) == [target]


# --- the page's data -------------------------------------------------------------------------
def test_template_syntax_in_data_stays_text(sample: Assessment) -> None:
    # Folium renders what its elements render as Jinja templates again: data must not go there.
    counties = sample.counties.copy()
    name = "{{ 7*7 }}{% if true %}yes{% endif %}{{ cycler.__init__.__globals__.os.getcwd() }}"
    counties.loc[counties.index[0], "county_name"] = name
    m = map_outcomes(with_overlays(sample, counties=counties))
    page = map_html(m)
    assert name in page
    assert str(Path.cwd()) not in page
    feature = layer_data(m, "counties")["features"][0]
    assert feature["properties"]["t"].startswith(name)
    assert name in feature["properties"]["h"]


def test_layer_data_waits_in_json_elements(sample: Assessment) -> None:
    m = map_outcomes(sample)
    page = map_html(m)
    layers = len(m.landuse_stats.layers)
    # data and texts of each layer, and the title, legend and view
    assert page.count('<script type="application/json" id=') == 2 * layers + 1
    for key in m.landuse_stats.layers:
        data, texts = layer_payload(m, key)
        assert data["n"] == m.landuse_stats.features[key]
        assert all(isinstance(t, str) for t in texts)
        assert data["x"]
        assert all(isinstance(v, int) for v in data["x"])


def test_size_is_measured_exactly(sample: Assessment) -> None:
    m = map_outcomes(sample, max_html_mb=0.3)
    assert m.landuse_stats.bytes == len(map_html(m).encode("utf-8")) <= 300_000
    assert m.landuse_stats.thinned


def test_outlines_keep_their_rings(sample: Assessment) -> None:
    import shapely

    m = map_outcomes(sample)
    features = layer_data(m, "counties")["features"]
    drawn = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    plane = sample.counties.to_crs(4326).geometry.to_numpy()
    # 20 m simplification and 10⁻⁵° coordinates: the same county, near enough
    overlap = shapely.area(shapely.intersection(drawn, plane)) / shapely.area(plane)
    assert (overlap > 0.99).all()
    assert shapely.is_valid(drawn).all()


def test_own_tile_service_and_reference_overlays(sample: Assessment, tmp_path: Path) -> None:
    import shapely
    from click.testing import CliRunner

    from landuse.cli import cli

    # A road 0.1° long across 驿城区, in lon/lat, written as a shapefile as a bureau keeps it.
    road = gpd.GeoDataFrame({"名称": ["<b>一号路</b>"]},
                            geometry=[shapely.LineString([(114.0, 32.95), (114.1, 32.95)])], crs=4326)
    road.to_file(tmp_path / "道路.shp", encoding="gbk")
    template = "http://10.1.1.8/wmts?LAYER=vec&TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}"
    page = map_html(map_outcomes(sample, basemap=template, overlays=[("道路", road)]))
    # Folium writes the template as a JSON string (& as \u0026).
    assert '"http://10.1.1.8/wmts?LAYER=vec\\u0026TILEMATRIX={z}\\u0026TILEROW={y}\\u0026TILECOL={x}"' in page
    assert "#7a7a7a" in page  # the overlay's grey
    assert "[114.0, 32.95]" in page
    assert "一号路" not in page  # attributes never reach the page
    # The command line reads the overlay before the assessment and refuses what it cannot read.
    out = tmp_path / "m.html"
    result = CliRunner().invoke(cli, ["map", "--no-raster", "--out", str(out), "--overlay",
                                      str(tmp_path / "道路.shp"), "--basemap", template])
    assert result.exit_code == 0, result.output
    assert "#7a7a7a" in out.read_text(encoding="utf-8")
    (tmp_path / "坏.geojson").write_text("{not json", encoding="utf-8")
    bad = CliRunner().invoke(cli, ["--lang", "en", "map", "--overlay", str(tmp_path / "坏.geojson")])
    assert bad.exit_code == 2
    assert "--overlay" in bad.output
    wrong = CliRunner().invoke(cli, ["--lang", "en", "map", "--basemap", "ftp://x/{z}"])
    assert wrong.exit_code == 2
    assert "template of your own tile service" in wrong.output
