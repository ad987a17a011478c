"""Properties that hold for any workspace: areas add up, rates stay in [0, 1], nothing is lost."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _ws import A, B, build, counties, sq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landuse.campaigns.zengcun.assessment import assess
from landuse.rules.model import load_ruleset

RULES = load_ruleset("zhumadian-2018")
DATES = [f"{y}-{m:02d}-{d:02d}" for y in range(2009, 2020) for m in (1, 6, 12) for d in (1, 28)]

cells = st.tuples(st.integers(0, 7), st.integers(0, 7))
dates = st.sampled_from(DATES)


@st.composite
def workspaces(draw):
    # Batches sit in distinct 300 m grid cells of county A (x < 10 km) or B; sizes 50..300 m.
    n = draw(st.integers(1, 6))
    spots = draw(st.lists(cells, min_size=n, max_size=n, unique=True))
    batches = []
    for i, (cx, cy) in enumerate(spots):
        w = draw(st.sampled_from([50, 100, 150, 300]))
        county, dx = (A, 0) if i % 2 == 0 else (B, 10_000)
        batches.append({"batch_id": f"B{i}", "county_code": county, "approval_date": draw(dates),
                        "approver": draw(st.sampled_from(["省政府", "国务院"])),
                        "compensation": draw(st.sampled_from(["未实施", "部分实施", "已实施", None])),
                        "geometry": sq(dx + cx * 400, cy * 400, w)})
    supplies = []
    for j in range(draw(st.integers(0, 10))):
        target = draw(st.integers(0, n - 1))
        g = batches[target]["geometry"]
        x0, y0 = g.bounds[0] - 500_000.0, g.bounds[1] - 3_650_000.0
        ox, oy = draw(st.integers(-60, 200)), draw(st.integers(-60, 200))
        mode = draw(st.sampled_from(["named", "loose", "tabular", "unknown"]))
        row = {"parcel_id": f"P{j}", "supply_date": draw(dates), "area_ha": None,
               "batch_id": {"named": f"B{target}", "loose": None, "tabular": f"B{target}",
                            "unknown": "NOPE"}[mode],
               "geometry": sq(x0 + ox, y0 + oy, draw(st.sampled_from([30, 80, 120])))}
        if mode == "tabular":
            row["geometry"] = None
            row["area_ha"] = draw(st.sampled_from([0.3, 1.0, 5.0]))
            row["county_code"] = batches[target]["county_code"]
        supplies.append(row)
    revocations = [{"batch_id": f"B{draw(st.integers(0, n - 1))}", "kind": draw(st.sampled_from(["失效", "撤回", "核减"])),
                    "area_ha": draw(st.sampled_from([0.1, 0.5, 2.0, 20.0])), "date": draw(dates)}
                   for _ in range(draw(st.integers(0, 3)))]
    idle = [{"idle_id": f"I{k}", "county_code": draw(st.sampled_from([A, B])),
             "area_ha": draw(st.sampled_from([0.5, 1.0, 3.0])), "cause": "企业原因",
             "disposal": draw(st.sampled_from([None, "动工开发", "无偿收回", "口头协商"])),
             "disposal_date": draw(st.sampled_from([None, *DATES])), "geometry": None}
            for k in range(draw(st.integers(0, 4)))]
    layers = {"counties": counties(A, B), "batches": batches, "supplies": supplies,
              "revocations": revocations, "idle": idle}
    return layers, build(**layers)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workspaces(), dates)
def test_areas_add_up_and_rates_stay_in_bounds(case, as_of):
    _, ws = case
    a = assess(ws, RULES, as_of, raster=False)
    b = a.batches
    total = b["supplied_ha"] + b["revoked_ha"] + b["unsupplied_ha"]
    np.testing.assert_allclose(total, b["approved_ha"], rtol=1e-9, atol=1e-9)
    assert (b[["supplied_ha", "revoked_ha", "unsupplied_ha"]] >= 0).all().all()
    for col in [c for c in a.counties.columns if c.endswith("_rate")]:
        rates = a.counties[col].dropna()
        assert ((rates >= 0) & (rates <= 1)).all(), col
    gaps = a.counties[[c for c in a.counties.columns if c.endswith("_gap_ha")]]
    assert (gaps >= 0).all().all()
    met_no_task = a.counties["T4_rate"].isna()
    assert (a.counties.loc[met_no_task, "T4_met"] == True).all()  # noqa: E712


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workspaces())
def test_every_input_row_is_kept_or_named_by_an_error(case):
    layers, ws = case
    errors = ws.problems_frame
    errors = errors[errors["severity"] == "error"]
    for name, rows in layers.items():
        kept = len(ws.layer(name))
        named = errors.loc[errors["layer"] == name, "row"].dropna().nunique()
        whole_layer = errors[(errors["layer"] == name) & errors["row"].isna()]
        assert kept + named == len(rows) or (not whole_layer.empty and kept == 0), name


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workspaces())
def test_supplied_area_never_falls_as_time_passes(case):
    _, ws = case
    early = assess(ws, RULES, "2016-06-30", raster=False).batches.set_index("batch_id")
    late = assess(ws, RULES, "2019-06-30", raster=False).batches.set_index("batch_id")
    growth = (late["supplied_ha"] + late["revoked_ha"]) - (early["supplied_ha"] + early["revoked_ha"])
    assert (growth >= -1e-9).all()
    assert (pd.Series(late["unsupplied_ha"]) <= early["unsupplied_ha"] + 1e-9).all()
