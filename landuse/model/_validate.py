"""Checks across layers: ids, counties, links between batches, supplies and idle land.

Single-value checks (dates, enums, areas) live in :mod:`landuse.model.schema`;
these need more than one row or one layer. Each finding is a
:class:`~landuse.model.schema.Problem`: an error removes the row from its layer,
a warning keeps it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.compute as pc
import shapely

from landuse._arrays import (
    arrow_text,
    copies,
    covered,
    member,
    parallel,
    parallel_map,
    positions,
    reindexed,
    take_away,
    threads,
)
from landuse.model.schema import AREA_SLIP, DISPOSAL_METHODS, LAYERS, Problem, _feature_id

#: A functional zone lies within this many metres of the county it is carved from (its
#: parent's outline holds it, or borders it with gaps of digitising at most).
ZONE_REACH_M = 100.0

#: A batch whose linked supply and revocation areas exceed its approved area by more
#: than this share is reported (attribute areas may overlap, hence the margin).
OVERFLOW_TOLERANCE = 0.01


def _problem(layer: str, frame: pd.DataFrame, i: object, fld: str | None, severity: str, zh: str,
             en: str) -> Problem:
    spec = LAYERS[layer]
    row = frame.at[i, "source_row"]
    fid = _feature_id(frame.at[i, spec.id_field], row) if spec.id_field else f"#{row}"
    return Problem(layer, fid, fld, severity, zh, en, int(row))  # type: ignore[arg-type]


def _code(value: object) -> str | None:
    """A county code as a problem carries it (None when missing)."""
    return None if pd.isna(value) else str(value)


def _named_pairs(supplies: pd.DataFrame, batch_ids: pd.Index | pd.Series, batch_geoms: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each supply's geometry, the outline of the batch it names (None where none), whether
    the supply is drawn, and whether both are."""
    geoms = supplies.geometry.to_numpy()
    pos = positions(supplies["batch_id"], batch_ids)
    outlines = np.full(len(supplies), None, dtype=object)
    outlines[pos >= 0] = batch_geoms[pos[pos >= 0]]
    has_geom = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return geoms, outlines, has_geom, has_geom & ~(shapely.is_missing(outlines) | shapely.is_empty(outlines))


def _lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """Return ``keys.map(table)`` in ``table``'s dtype.

    pandas casts an empty mapping Series to float first, which fails for dates;
    ``table`` must have unique labels.
    """
    return pd.Series(reindexed(table, keys).to_numpy(), index=keys.index, dtype=table.dtype)


def _duplicates(layers: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    keys = {"counties": ["county_code"], "batches": ["batch_id"], "supplies": ["parcel_id"],
            "idle": ["idle_id"], "quotas": ["county_code", "year"],
            # Two targets for one county and year: which one is judged was a sort's choice.
            "farmland_targets": ["county_code", "year"],
            # A survey polygon exported twice (one 标识码 in one year): its farmland counted twice.
            "survey": ["bsm", "year"]}
    for layer, cols in keys.items():
        frame = layers.get(layer)
        if frame is None or frame.empty or not all(c in frame.columns for c in cols):
            continue
        codes = _key_codes(frame, cols)
        # The first row of each key stays; a later one is a duplicate (a row without a key is not).
        _, first_at = np.unique(codes, return_index=True)
        first_at = first_at[codes[first_at] >= 0]
        dup = codes >= 0
        dup[first_at] = False
        first_row = np.zeros(len(first_at), dtype=np.int64)
        first_row[codes[first_at]] = frame["source_row"].to_numpy()[first_at]
        for k in np.flatnonzero(dup):  # the duplicates only: a handful
            i = frame.index[k]
            key = "、".join(str(frame.at[i, c]) for c in cols)
            first = first_row[codes[k]]
            problems.append(_problem(
                layer, frame, i, cols[0], "error",
                f"编号重复：{key} 已在第 {first} 行出现，该行未参与计算",
                f"duplicate id {key} (first on row {first}); this row is left out",
            ))
        layers[layer] = frame[~dup].reset_index(drop=True)
    _copied_batches(layers, problems)
    _copied_idle(layers, problems)


def _copied_idle(layers: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """An idle parcel listed twice under two ids: one parcel, one area, one day of finding.

    The ledger is the task list: a copy counts its area twice in the idle disposal rate.
    The later row is left out.
    """
    idle = layers["idle"]
    cols = ["parcel_id", "area_ha", "identified_date"]
    if len(idle) < 2 or not all(c in idle for c in cols):
        return
    key = idle[cols]
    whole = key.notna().all(axis=1).to_numpy()
    copied = whole & key.duplicated(keep="first").to_numpy()
    if not copied.any():
        return
    first = key[whole].drop_duplicates(keep="first")
    first = pd.Series(first.index, index=pd.MultiIndex.from_frame(first))
    for k in np.flatnonzero(copied):
        i = idle.index[k]
        j = first[tuple(key.loc[i])]
        problems.append(_problem(
            "idle", idle, i, "idle_id", "error",
            f"与第 {idle.at[j, 'source_row']} 行的 {idle.at[j, 'idle_id']} 为同一宗地、同一面积、同一认定日期："
            "疑为重复登记，该行未参与计算（请删去重复的一行）",
            f"the same parcel, area and day of finding as {idle.at[j, 'idle_id']} (row "
            f"{idle.at[j, 'source_row']}): listed twice; this row is left out (delete the copy)",
        ))
    layers["idle"] = idle[~copied].reset_index(drop=True)


def _copied_batches(layers: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """A batch exported twice under two ids: the same outline, county, area and day of approval.

    Its area would count twice as approved and, with no supply naming the copy, twice
    as unsupplied. The later row is left out.
    """
    batches = layers["batches"]
    if len(batches) < 2:
        return
    attrs = batches[["approval_date", "approved_ha", "county_code"]]
    first = copies(batches.geometry.to_numpy(), attrs, where=batches["approval_date"].notna().to_numpy())
    copied = first >= 0
    for k in np.flatnonzero(copied):
        i, j = batches.index[k], batches.index[first[k]]
        problems.append(dataclasses.replace(_problem(
            "batches", batches, i, "batch_id", "error",
            f"与第 {batches.at[j, 'source_row']} 行的批次 {batches.at[j, 'batch_id']} 图形相同、批准日期相同："
            "疑为同一批次以新编号重复导出，该行未参与计算（请删去重复的一行，或更正图形）",
            f"the same outline and approval date as batch {batches.at[j, 'batch_id']} (row "
            f"{batches.at[j, 'source_row']}): one batch exported twice under two ids; this row is "
            "left out (delete the copy, or correct the outline)",
        ), county_code=_code(batches.at[i, "county_code"])))
    layers["batches"] = batches[~copied].reset_index(drop=True)


def _approval_years(batches: pd.DataFrame, problems: list[Problem]) -> None:
    """Warn where the year of the 批准文号 (豫政土〔2017〕170号) is not the 批准日期's.

    A document is numbered in the year it is issued: a year typed wrong in the date
    moves the batch between task windows (2017-12-02 typed 2018-12-02 left the
    2013—2017 window, and a penalty became an award).
    """
    if batches.empty or batches["approval_no"].isna().all():
        return
    found = pc.extract_regex(arrow_text(batches["approval_no"]), pattern=r"[〔\[（(【](?P<y>\d{4})[〕\]）)】]")
    year = np.asarray(pc.cast(pc.struct_field(found, "y"), "float64").to_numpy(zero_copy_only=False),
                      dtype="float64")
    dated = batches["approval_date"].dt.year.to_numpy(dtype="float64", na_value=np.nan)
    for k in np.flatnonzero(np.isfinite(year) & np.isfinite(dated) & (year != dated)):
        i = batches.index[k]
        day = batches.at[i, "approval_date"]
        problems.append(_problem(
            "batches", batches, i, "approval_date", "warning",
            f"批准日期 {day:%Y-%m-%d} 与批准文号 {batches.at[i, 'approval_no']} 的年份 {int(year[k])} 不一致："
            "请核对批准日期（它决定批次计入哪个年度区间）",
            f"approval_date {day:%Y-%m-%d} is not in the year of its approval number "
            f"{batches.at[i, 'approval_no']} ({int(year[k])}): check the date (it decides which window "
            "the batch counts in)",
        ))


def _key_codes(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """A code per row for its key ``cols``, numbered in order of first appearance; -1 where a
    part of the key is missing. One text column goes through Arrow (pandas' ``duplicated``
    on Arrow text costs a tenth of a second at province scale)."""
    if len(cols) == 1:
        encoded = arrow_text(frame[cols[0]]).dictionary_encode()
        return np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    # ngroup leaves NaN for a row with a part of its key missing.
    return frame.groupby(cols, sort=False, dropna=True).ngroup().fillna(-1).to_numpy(dtype=np.int64)


def _locate(features: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> pd.Series:
    """County code of the county containing each feature's representative point."""
    out = pd.Series(pd.NA, index=features.index, dtype="string")
    has = features.geometry.notna() & ~features.geometry.is_empty
    if counties.empty or not has.any():
        return out
    rows = np.flatnonzero(has.to_numpy())
    points = parallel(shapely.point_on_surface, features.geometry.to_numpy()[rows])
    # Boxes first, then an exact point-in-polygon test on the prepared county outlines;
    # a point in two overlapping counties takes the first of them, as a spatial join would.
    outlines = counties.geometry.to_numpy()
    shapely.prepare(outlines)
    pi, ci = shapely.STRtree(outlines).query(points)
    inside = shapely.contains_xy(outlines[ci], shapely.get_x(points[pi]), shapely.get_y(points[pi]))
    pi, ci = pi[inside], ci[inside]
    first = np.full(len(points), len(outlines))
    np.minimum.at(first, pi, ci)
    found = first < len(outlines)
    codes = counties["county_code"].astype("string").to_numpy()
    out.iloc[rows[found]] = codes[first[found]]
    return out


def _outside_coded(geoms: np.ndarray, codes: pd.Series, counties: pd.DataFrame) -> np.ndarray:
    """Whether each geometry misses the outline of the unit its code names (False for a code
    no unit has): a feature coded to a county it does not touch."""
    outline = reindexed(counties.drop_duplicates("county_code").set_index("county_code").geometry,
                        codes).to_numpy()
    return ~shapely.is_missing(outline) & ~shapely.intersects(geoms, outline)


def _zone_parents(counties: pd.DataFrame) -> pd.Series:
    """Parent county code of each functional zone (DESIGN "Assessed units"), by zone code."""
    if "unit_kind" not in counties or "parent_code" not in counties:
        return pd.Series(dtype="string")
    zones = counties[(counties["unit_kind"] == "功能区").fillna(False) & counties["parent_code"].notna()]
    return zones.drop_duplicates("county_code").set_index("county_code")["parent_code"].astype("string")


def _into_zone(code: pd.Series, zone: pd.Series, parents: pd.Series) -> pd.Series:
    """``code``, or the zone a feature lies in where ``code`` is that zone's parent (or empty)."""
    if parents.empty:
        return code
    parent = _lookup(zone.astype("string"), parents).astype("string")
    move = zone.notna() & parent.notna() & (code.isna() | (code == parent)).fillna(False)
    return code.astype("string").mask(move, zone.astype("string"))


def _counties(layers: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    counties = layers["counties"]
    known = set(counties["county_code"].dropna())
    if "unit_kind" in counties and "parent_code" in counties:
        # A functional zone is carved from a county: without it, the zone's features would be
        # counted for whichever outline comes first, and the zone judged as a county.
        zone = (counties["unit_kind"] == "功能区").fillna(False).to_numpy()
        orphan = zone & counties["parent_code"].isna().to_numpy()
        stray = zone & ~orphan & ~member(counties["parent_code"], known)
        # A unit carved from another unit of the layer, of no kind a zone has (单位类型 blank or
        # mistyped): judged as a county, it had all its features taken by its parent.
        kindless = (~zone & member(counties["parent_code"], known)
                    & (counties["parent_code"] != counties["county_code"]).fillna(True).to_numpy())
        # A zone nowhere near the county it names as its parent (a typed code): its features
        # counted for the zone, the parent's rest judged wrongly.
        apart = np.zeros(len(counties), dtype=bool)
        placed = zone & ~orphan & ~stray
        if placed.any():
            outline = counties.drop_duplicates("county_code").set_index("county_code").geometry
            parents_at = reindexed(outline, counties["parent_code"][placed]).to_numpy()
            own = counties.geometry.to_numpy()[placed]
            drawn = ~(shapely.is_missing(own) | shapely.is_missing(parents_at))
            apart[np.flatnonzero(placed)[drawn]] = ~shapely.dwithin(own[drawn], parents_at[drawn], ZONE_REACH_M)
        for k in np.flatnonzero(orphan | stray | kindless | apart):
            row = counties.iloc[k]
            parent = row["parent_code"]
            name = row["county_name"] if "county_name" in counties else None
            unit = f"{row['county_code']}" + (f"（{name}）" if pd.notna(name) else "")
            field_ = "parent_code"
            if orphan[k] or stray[k]:
                zh = "功能区没有所属县区代码" if orphan[k] else f"功能区的所属县区代码 {parent} 不在县区图层中"
                en = ("the functional zone has no parent county code" if orphan[k]
                      else f"the functional zone's parent county code {parent} is not in the counties layer")
                mend = ("请补上所属县区代码（所属县区代码/SSXZQDM）", "add the parent county code: parent_code / SSXZQDM")
            elif kindless[k]:
                kind = row["unit_kind"]
                field_ = "unit_kind"
                zh = (f"填有所属县区代码 {parent}，单位类型却" + ("为空" if pd.isna(kind) else f"为 {kind}"))
                en = (f"it has parent county code {parent} but its kind is "
                      + ("empty" if pd.isna(kind) else str(kind)))
                mend = ("请把单位类型（单位类型/DWLX）填为“功能区”，或清空所属县区代码",
                        "set its kind (unit_kind / DWLX) to 功能区, or clear the parent code")
            else:
                zh = f"功能区与其所属县区 {parent} 的图形相距甚远，所属县区代码疑有误"
                en = f"the functional zone lies far from its parent county {parent}: the parent code looks wrong"
                mend = ("请更正所属县区代码（所属县区代码/SSXZQDM）", "correct the parent county code: parent_code / SSXZQDM")
            # Of the whole layer (no feature): any unit may have features counted wrongly.
            problems.append(Problem(
                "counties", None, field_, "error",
                f"功能区 {unit}：{zh}，无法确定哪些要素计入该功能区、哪些计入县区；{mend[0]}",
                f"functional zone {unit}: {en}; which features count for the zone and which for the "
                f"county cannot be told ({mend[1]})",
                int(row["source_row"])))
    batch_county = layers["batches"].set_index("batch_id")["county_code"]
    parents = _zone_parents(counties)
    # A feature inside a functional zone counts for the zone, not its parent: zones are
    # tried first where outlines overlap.
    is_zone = member(counties["county_code"], parents.index)
    ranked = pd.concat([counties[is_zone], counties[~is_zone]]) if len(parents) else counties
    every_supply = layers["supplies"]
    for layer in ("batches", "supplies", "idle"):
        frame = layers[layer]
        if frame.empty:
            continue
        located = _locate(frame, ranked)
        given = _into_zone(frame["county_code"], located, parents)
        has_geom = frame.geometry.notna()
        outside = has_geom & located.isna() & ~counties.empty
        for i in frame.index[outside]:
            problems.append(_problem(layer, frame, i, "geometry", "warning",
                                     "图形位于所有县区之外（代表点不在任何县区内）",
                                     "the feature lies outside every county (its representative point is in none)"))
        differ = (given.notna() & located.notna() & (given != located)).to_numpy(dtype=bool)
        # A feature astride a border may have its point across it: the code is kept. One that
        # lies wholly outside the county it is coded to is a slip of the code or of the outline,
        # and moves a row between two units' verdicts: left out, both undetermined.
        elsewhere = np.zeros(len(frame), dtype=bool)
        if differ.any():  # (a code no unit has is the error below, of its own)
            elsewhere[differ] = _outside_coded(frame.geometry.to_numpy()[differ], given[differ], counties)
        for i in frame.index[differ & ~elsewhere]:
            problems.append(_problem(
                layer, frame, i, "county_code", "warning",
                f"行政区代码 {given[i]} 与图形所在县区 {located[i]} 不一致，以属性为准",
                f"county_code {given[i]} differs from the county the feature lies in ({located[i]}); "
                "the attribute is kept",
            ))
        for i in frame.index[elsewhere]:
            problems.append(dataclasses.replace(_problem(
                layer, frame, i, "county_code", "error",
                f"行政区代码为 {given[i]}，图形却整个位于县区 {located[i]} 内、与 {given[i]} 毫不相交：代码或图形有误，"
                "该行未参与计算（请更正）",
                f"county_code {given[i]}, but the feature lies wholly in {located[i]}, nowhere in {given[i]}: "
                "the code or the outline is wrong; the row is left out (correct it)",
            ), county_code=str(given[i]), also_county=str(located[i])))
        filled = given.fillna(located)
        if layer == "supplies":
            via_batch = _lookup(frame["batch_id"], batch_county).astype("string")
            filled = _into_zone(filled, via_batch, parents).fillna(via_batch)
        if layer == "idle":
            supplies = every_supply
            via_parcel = _lookup(frame["parcel_id"], supplies.set_index("parcel_id")["county_code"])
            via_parcel = via_parcel.astype("string")
            filled = _into_zone(filled, via_parcel, parents).fillna(via_parcel)
            # A ledger row coded to one unit whose parcel is another's: which unit's task it
            # is cannot be told (a typed code moved an idle parcel, and a verdict, silently).
            astray = (given.notna() & located.isna() & via_parcel.notna() & (filled != via_parcel)).fillna(False)
            for i in frame.index[astray]:
                problems.append(dataclasses.replace(_problem(
                    layer, frame, i, "county_code", "error",
                    f"行政区代码为 {filled[i]}，但其宗地 {frame.at[i, 'parcel_id']} 属于县区 {via_parcel[i]}："
                    "无法确定计入哪个县区，该行未参与计算（请更正行政区代码或电子监管号）",
                    f"county_code {filled[i]}, but its parcel {frame.at[i, 'parcel_id']} is in {via_parcel[i]}: "
                    "which unit it counts for cannot be told; the row is left out (correct the code or the "
                    "parcel id)",
                ), county_code=str(filled[i]), also_county=str(via_parcel[i])))
            elsewhere |= astray.to_numpy(dtype=bool)
        unknown = filled.notna() & ~member(filled, known) & bool(known)
        for i in frame.index[unknown]:
            problem = _problem(layer, frame, i, "county_code", "error",
                               f"行政区代码 {filled[i]} 不在县区图层中，该行未参与计算；请在县区图层中补上该县区，"
                               "或更正代码",
                               f"county_code {filled[i]} is not in the counties layer; the row is left out "
                               "(add the county to the counties layer, or correct the code)")
            # The county the row is lost to is the one it lies in (its code is a typing error);
            # placed nowhere, its code (no unit's: the gate then marks every unit).
            where = filled[i] if pd.isna(located[i]) else located[i]
            problems.append(dataclasses.replace(problem, county_code=str(where)))
        lost = filled.isna() | unknown | elsewhere
        for i in frame.index[lost & ~unknown & ~elsewhere]:
            problems.append(_problem(layer, frame, i, "county_code", "error",
                                     "无法确定所属县区（没有行政区代码，图形也不在任何县区内），该行未参与计算",
                                     "no county: no county_code and no geometry inside a county; "
                                     "the row is left out"))
        frame = frame.assign(county_code=filled.astype("string"))
        layers[layer] = frame[~lost].reset_index(drop=True)
        # A row left out for its county still tells its supplies or idle parcels which county they are in.
        if layer == "batches":
            # Ids are unique by now (_duplicates): only rows without one need leaving out.
            batch_county = frame[frame["batch_id"].notna()].set_index("batch_id")["county_code"]
        if layer == "supplies":
            every_supply = frame[frame["parcel_id"].notna()]


def _links(layers: dict[str, pd.DataFrame], problems: list[Problem], known: Sequence[Problem]) -> None:
    batches = layers["batches"].set_index("batch_id")
    supplies = layers["supplies"]
    if not supplies.empty:
        # A supply that names its batch only by name is linked by that name.
        if batches["batch_name"].notna().any():
            by_name = batches.reset_index().dropna(subset=["batch_name"]).drop_duplicates("batch_name")
            by_name = by_name.set_index("batch_name")["batch_id"]
            fill = supplies["batch_id"].isna() & supplies["batch_name"].notna()
            supplies.loc[fill, "batch_id"] = reindexed(by_name, supplies.loc[fill, "batch_name"]).to_numpy()
        named = supplies["batch_id"].notna()
        unknown = named & ~member(supplies["batch_id"], batches.index)
        for i in supplies.index[unknown]:
            problems.append(_problem(
                "supplies", supplies, i, "batch_id", "warning",
                f"批次编号 {supplies.at[i, 'batch_id']} 在批次图层中不存在，该宗供地不计入任何批次的供地面积"
                "（请更正批次编号）",
                f"batch_id {supplies.at[i, 'batch_id']} matches no batch; the parcel counts towards no "
                "batch's supplied area (correct the batch id)",
            ))
        # A parcel drawn wholly away from the batch it names adds nothing to it: its batch id
        # or its outline is wrong, and the batch's county loses a supply either way. Boxes
        # apart are surely apart; a parcel whose box touches its batch's is left to the cut.
        geoms, outlines, has_geom, drawn = _named_pairs(supplies, batches.index, batches.geometry.to_numpy())
        away = np.zeros(len(supplies), dtype=bool)
        if drawn.any():
            a, b = shapely.bounds(geoms[drawn]), shapely.bounds(outlines[drawn])
            away[drawn] = ((a[:, 0] > b[:, 2]) | (a[:, 2] < b[:, 0]) | (a[:, 1] > b[:, 3]) | (a[:, 3] < b[:, 1]))
        batch_county = batches["county_code"]
        for i in supplies.index[away]:
            own, other = _code(supplies.at[i, "county_code"]), _code(batch_county.get(supplies.at[i, "batch_id"]))
            problems.append(dataclasses.replace(_problem(
                "supplies", supplies, i, "batch_id", "error",
                f"供地图形与所填批次 {supplies.at[i, 'batch_id']} 的图形相距甚远、毫不相交：批次编号或图形有误，"
                "该宗供地未参与计算（请更正）",
                f"the parcel lies wholly away from the batch it names ({supplies.at[i, 'batch_id']}): the "
                "batch id or the outline is wrong; the parcel is left out (correct it)",
            ), county_code=own, also_county=None if other == own else other))
        # Neither drawn nor naming a batch: it can be linked to none.
        lost = ~named.to_numpy() & ~has_geom
        for i in supplies.index[lost]:
            problems.append(dataclasses.replace(_problem(
                "supplies", supplies, i, "batch_id", "error",
                "既没有批次编号也没有图形，无法确定属于哪个批次，该宗供地未参与计算（请补上批次编号或图形）",
                "neither a batch id nor an outline: the parcel can be linked to no batch and is left "
                "out (add the batch id or the outline)",
            ), county_code=_code(supplies.at[i, "county_code"])))
        approval = _lookup(supplies["batch_id"], batches["approval_date"])
        early = named & ~unknown & (supplies["supply_date"] < approval)
        for i in supplies.index[early]:
            problems.append(_problem(
                "supplies", supplies, i, "supply_date", "warning",
                f"供地日期 {supplies.at[i, 'supply_date']:%Y-%m-%d} 早于批次批准日期 {approval[i]:%Y-%m-%d}",
                f"supply_date {supplies.at[i, 'supply_date']:%Y-%m-%d} is before the batch's approval "
                f"({approval[i]:%Y-%m-%d})",
            ))
        # The id is kept as written: the parcel names a batch, just not one that exists, so
        # it is neither linked by id nor by location (DESIGN "Definitions").
        layers["supplies"] = supplies[~(away | lost)].reset_index(drop=True)
    revocations = layers["revocations"]
    if not revocations.empty:
        # A revocation is of a batch under assessment: one that names none is a typing error,
        # and the batch it is of keeps an area it should have lost.
        # (A batch left out by an error of its own is named by that error: its revocation counts
        # nowhere, which that error already says.)
        left_out = {p.feature_id for p in known if p.layer == "batches" and p.severity == "error"}
        of_left_out = member(revocations["batch_id"], left_out)
        for i in revocations.index[of_left_out]:
            problems.append(_problem("revocations", revocations, i, "batch_id", "warning",
                                     f"批次编号 {revocations.at[i, 'batch_id']} 的批次因错误未参与计算，该记录也不计入",
                                     f"the batch {revocations.at[i, 'batch_id']} is left out for an error of its "
                                     "own; the row counts for no batch either"))
        unknown = ~member(revocations["batch_id"], batches.index) & ~of_left_out
        for i in revocations.index[unknown]:
            problems.append(_problem("revocations", revocations, i, "batch_id", "error",
                                     f"批次编号 {revocations.at[i, 'batch_id']} 在批次图层中不存在，该记录未参与计算"
                                     "（请更正批次编号）",
                                     f"batch_id {revocations.at[i, 'batch_id']} matches no batch; the row is "
                                     "left out (correct the batch id)"))
        layers["revocations"] = revocations[~unknown].reset_index(drop=True)
    idle = layers["idle"]
    if not idle.empty:
        linked = idle["parcel_id"].notna()
        parcels = supplies.set_index("parcel_id") if not supplies.empty else None
        unknown = linked & (~member(idle["parcel_id"], parcels.index) if parcels is not None else True)
        for i in idle.index[unknown]:
            problems.append(_problem("idle", idle, i, "parcel_id", "warning",
                                     f"电子监管号 {idle.at[i, 'parcel_id']} 在供地图层中不存在",
                                     f"parcel_id {idle.at[i, 'parcel_id']} matches no supply parcel"))
        excess = np.zeros(len(idle), dtype=bool)
        if parcels is not None:
            # An idle ledger without geometry takes its parcel's, for maps and zonal statistics.
            borrow = idle.geometry.isna() & linked & ~unknown
            if borrow.any():
                idle.loc[borrow, "geometry"] = reindexed(parcels.geometry, idle.loc[borrow, "parcel_id"]).to_numpy()
                idle.loc[borrow, "geom_ha"] = idle.loc[borrow, "geometry"].area / 10_000
            # The idle land is (part of) its parcel: ten times the parcel, by its attribute or its
            # outline, is a slip (亩 typed as 公顷 is 15 times), not a measurement.
            attribute = reindexed(parcels["area_ha"], idle["parcel_id"]).to_numpy(dtype=float, na_value=np.nan)
            drawn = reindexed(parcels.geometry.area, idle["parcel_id"]).to_numpy(dtype=float, na_value=np.nan)
            parcel_ha = np.fmax(attribute, drawn / 10_000)
            excess = (linked & ~unknown).to_numpy() & (idle["area_ha"].to_numpy(dtype=float)
                                                       >= parcel_ha * AREA_SLIP)
        for i in idle.index[excess]:
            problems.append(_problem(
                "idle", idle, i, "area_ha", "error",
                f"闲置面积 {idle.at[i, 'area_ha']:.4f} 公顷远大于其所在宗地（{idle.at[i, 'parcel_id']}）的面积 "
                f"{parcel_ha[idle.index.get_loc(i)]:.4f} 公顷，疑为单位或数字录入错误，该行未参与计算；请核对后更正",
                f"idle area {idle.at[i, 'area_ha']:.4f} ha is far more than its parcel's "
                f"({idle.at[i, 'parcel_id']}), {parcel_ha[idle.index.get_loc(i)]:.4f} ha: a unit or a digit "
                "was probably typed wrong; the row is left out",
            ))
        # Whether a parcel was disposed of by the day of a task decides the idle disposal rate:
        # a disposal half filled (a method without its date, a date without its method: "empty
        # while undisposed") is not guessed. A method the rule set does not count is counted
        # as undisposed by definition (the assessment names it).
        method = idle["disposal"]
        dated = idle["disposal_date"].notna()
        undated = (method.notna() & ~dated).to_numpy()
        bare = (dated & method.isna()).to_numpy()
        methods = "、".join(DISPOSAL_METHODS)
        for i in idle.index[undated]:
            problems.append(_problem("idle", idle, i, "disposal_date", "error",
                                     "有处置方式但没有处置日期，无法判断何时处置，该行未参与计算；请补上处置日期",
                                     "a disposal method without a disposal_date: when it was disposed of "
                                     "cannot be told; the row is left out (add the date)"))
        for i in idle.index[bare]:
            problems.append(_problem("idle", idle, i, "disposal", "error",
                                     f"有处置日期但没有处置方式，无法判断是否计为已处置，该行未参与计算；"
                                     f"请填写处置方式（{methods}）",
                                     "a disposal_date without a disposal method: whether it counts as "
                                     "disposed cannot be told; the row is left out (fill in the method)"))
        idle = idle[~(undated | bare | excess)].reset_index(drop=True)
        layers["idle"] = idle


def _pair_rows(order: np.ndarray, ids: np.ndarray, held: np.ndarray, parcels: np.ndarray,
               outlines: np.ndarray) -> np.ndarray:
    """Row of each (parcel, outline) pair among the held parcels (-1 where not held).

    ``order`` sorts the held parcels' identities into ``ids`` (stably: a parcel object
    in two rows is found at its first); a parcel held under another outline than the
    one asked for is not that pair. Sorted identities, not a hash index: at national
    size (3 million pairs) a hash table would cost a hundred MB more at the peak.
    """
    wanted = _identities(parcels)
    if len(ids) == 0:
        return np.full(len(wanted), -1)
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    found = ids[at] == wanted
    rows = np.where(found, order[at], -1)
    other = _identities(held[rows[found]]) != _identities(outlines[found])
    rows[np.flatnonzero(found)[other]] = -1
    return rows


def _sorted_identities(parcels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids = _identities(parcels)
    order = np.argsort(ids, kind="stable")
    return order, ids[order]


@dataclasses.dataclass(frozen=True)
class _Cuts:
    """Cuts of parcels to outlines, looked up by the identity of the (parcel, outline) pair.

    The parcels and outlines are held, so no other object can take their identities
    while the cuts are kept.
    """

    parcels: np.ndarray
    outlines: np.ndarray
    inside: np.ndarray
    parts: np.ndarray
    order: np.ndarray
    ids: np.ndarray

    @classmethod
    def of(cls, parcels: np.ndarray, outlines: np.ndarray, inside: np.ndarray, parts: np.ndarray) -> _Cuts:
        return cls(parcels, outlines, inside, parts, *_sorted_identities(parcels))

    def find(self, parcels: np.ndarray, outlines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each pair is among the kept ones (-1 where not), and whether it is."""
        rows = _pair_rows(self.order, self.ids, self.outlines, parcels, outlines)
        return rows, rows >= 0


#: The cuts kept for the next :func:`inside_parts`: the last ones it was asked to keep, or
#: those :func:`cut_ahead` is making in the background.
_kept: _Cuts | _CutAhead | None = None

#: Pairs a background chunk cuts at a time: ~0.1 s of GEOS, so a finished run stops it soon.
_AHEAD_CHUNK = 4_096


def _identities(geoms: np.ndarray) -> np.ndarray:
    return np.fromiter(map(id, geoms), dtype=np.uint64, count=len(geoms))


def _cut(parcels: np.ndarray, outlines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``inside`` and ``parts`` of :func:`inside_parts`, asking GEOS for every pair."""
    inside = covered(outlines, parcels)
    parts = parcels.copy()
    cut = np.flatnonzero(~inside)
    # An intersection costs some 20 µs, so a few thousand are worth sharing among threads
    # (parallel() waits for 20 000 cheap calls).
    slices = np.array_split(cut, max(1, min(4 * threads(), len(cut) // 2_000)))
    done = parallel_map(lambda rows: shapely.intersection(parcels[rows], outlines[rows]), slices,
                        cost=len(cut))
    if len(cut):
        parts[cut] = np.concatenate(done)
    return inside, parts


class _CutAhead:
    """Parcels being cut to their outlines by a background thread, chunk by chunk.

    The checks that follow the normalising of the layers are Python work on one
    core; GEOS releases the interpreter lock, so the cuts the supply links will
    need are made on the other core meanwhile. :meth:`find` looks among the
    chunks done so far without waiting (the overflow check, mid-way); whoever
    asks for :meth:`result` cuts the chunks not yet taken itself, then waits for
    the one in hand. The thread stops after its chunk when the program's main
    thread has ended (a run that never links does not wait for cuts nobody reads),
    or when :meth:`stop` is called (a newer load's cuts replace these).

    The thread is not a daemon: at exit the interpreter waits for the chunk in
    hand (a tenth of a second) instead of tearing GEOS down under it, which
    crashed a script that loaded a workspace and ended (exit status 139).
    """

    def __init__(self, parcels: np.ndarray, outlines: np.ndarray) -> None:
        self.parcels, self.outlines = parcels, outlines
        self.inside = np.zeros(len(parcels), dtype=bool)
        self.parts = parcels.copy()
        self._lock = threading.Lock()
        self._next = 0
        self._left = len(parcels)
        self._done = np.zeros(len(parcels), dtype=bool)
        self._finished = threading.Event()
        self._indexed = threading.Event()
        self._error: BaseException | None = None
        self._stopped = False
        self.thread = threading.Thread(target=self._run, name="landuse-cut-ahead", daemon=False)
        self.thread.start()

    def _index(self) -> None:
        self._order, self._sorted = _sorted_identities(self.parcels)
        self._indexed.set()

    def _take(self) -> tuple[int, int] | None:
        with self._lock:
            if self._next >= len(self.parcels) or self._error is not None:
                return None
            lo = self._next
            self._next = min(len(self.parcels), lo + _AHEAD_CHUNK)
            return lo, self._next

    def _work(self, lo: int, hi: int) -> None:
        with self._lock:
            rows = lo + np.flatnonzero(~self._done[lo:hi])  # the overflow check may have cut some
        try:
            inside, parts = _cut(self.parcels[rows], self.outlines[rows])
        except BaseException as err:  # handed to the reader in result()
            self._error = err
            self._finished.set()
            raise
        with self._lock:
            self.inside[rows], self.parts[rows] = inside, parts
            self._done[rows] = True
            self._left -= hi - lo
            if self._left == 0:
                self._finished.set()

    def _run(self) -> None:
        try:
            self._index()
            while (threading.main_thread().is_alive() and not self._stopped
                   and (span := self._take()) is not None):
                self._work(*span)
        except BaseException as err:
            self._error = err
            self._indexed.set()
            self._finished.set()

    def stop(self) -> None:
        """Let the thread end after its chunk (:meth:`result` still cuts the rest itself)."""
        self._stopped = True

    def find(self, parcels: np.ndarray, outlines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`_Cuts.find`, among the pairs cut so far (no waiting for the rest)."""
        self._indexed.wait()
        if self._error is not None:
            raise self._error
        rows = _pair_rows(self._order, self._sorted, self.outlines, parcels, outlines)
        found = rows >= 0
        with self._lock:
            found[found] = self._done[rows[found]]
        return rows, found

    def offer(self, rows: np.ndarray, inside: np.ndarray, parts: np.ndarray) -> None:
        """Take cuts made elsewhere for these rows (-1: none), so they are not made twice."""
        mine = rows >= 0
        with self._lock:
            fresh = mine.copy()
            fresh[mine] = ~self._done[rows[mine]]
            self.inside[rows[fresh]], self.parts[rows[fresh]] = inside[fresh], parts[fresh]
            self._done[rows[fresh]] = True

    def result(self) -> _CutAhead:
        """These cuts, once every chunk is done (cutting the untaken ones here)."""
        while (span := self._take()) is not None:
            self._work(*span)
        self._finished.wait()
        if self._error is not None:
            raise self._error
        return self


def _stop_at_exit() -> None:
    if isinstance(_kept, _CutAhead):
        _kept.stop()


# Stop the cuts as the interpreter begins to shut down, before it joins the thread pools
# (the hook concurrent.futures itself uses): only the chunk in hand is finished. Without it,
# chunks went on starting while the pools were joined. (Only the current cuts: an earlier
# load's were stopped when it was replaced.)
getattr(threading, "_register_atexit", lambda f: None)(_stop_at_exit)


def cut_ahead(supplies: pd.DataFrame, batches: pd.DataFrame) -> None:
    """Start cutting each drawn supply parcel to the batch it names, in the background.

    The next :func:`inside_parts` (the overflow check, then
    :func:`landuse.analysis.supply.link_supplies`) takes these cuts for the pairs it
    finds among them: the same shapely objects, hence the same results.
    """
    global _kept
    if isinstance(_kept, _CutAhead):
        _kept.stop()  # an earlier load's cuts: this load's links will not read them
        _kept = None
    if supplies.empty or batches.empty or "batch_id" not in supplies or "batch_id" not in batches:
        return
    geoms, outlines, _, drawn = _named_pairs(supplies, batches["batch_id"], batches.geometry.to_numpy())
    if drawn.any():
        _kept = _CutAhead(np.asarray(geoms[drawn], dtype=object), np.asarray(outlines[drawn], dtype=object))


def inside_parts(parcels: np.ndarray, outlines: np.ndarray, *, keep: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Whether each outline covers its parcel, and the part of the parcel inside it.

    ``parts[k]`` is ``parcels[k]`` itself where ``outlines[k]`` covers it, else
    ``shapely.intersection(parcels[k], outlines[k])`` (not yet reduced to its
    polygonal part). The load-time overflow check and
    :func:`landuse.analysis.supply.link_supplies` cut the same parcels to the same
    outlines, and :func:`cut_ahead` may have cut them in the background: a call
    takes the pairs it finds among the kept cuts -- the same shapely objects, hence
    the same result -- instead of asking GEOS again. With ``keep`` the cuts stay
    kept for the next call (one set, the last, or added to those being cut ahead);
    without, the kept cuts are handed over and let go.

    Parameters
    ----------
    parcels, outlines : numpy.ndarray
        Geometries, pairwise (neither missing).
    keep : bool, default False
        Keep these cuts for the next call.

    Returns
    -------
    inside : numpy.ndarray of bool
    parts : numpy.ndarray of geometries
    """
    global _kept
    parcels = np.asarray(parcels, dtype=object)
    outlines = np.asarray(outlines, dtype=object)
    inside = np.zeros(len(parcels), dtype=bool)
    parts = parcels.copy()
    todo = np.ones(len(parcels), dtype=bool)
    kept = _kept
    ahead = isinstance(kept, _CutAhead)
    if ahead and not keep:
        kept = kept.result()  # the supply links: every cut is wanted now
    at = np.full(len(parcels), -1)
    if kept is not None and len(parcels):
        at, found = kept.find(parcels, outlines)
        inside[found] = kept.inside[at[found]]
        parts[found] = kept.parts[at[found]]
        todo = ~found
    rows = np.flatnonzero(todo)
    if len(rows):
        inside[rows], parts[rows] = _cut(parcels[rows], outlines[rows])
    if keep and ahead:
        kept.offer(at[rows], inside[rows], parts[rows])  # the background skips these
    elif keep:
        _kept = _Cuts.of(parcels, outlines, inside, parts)
    elif len(parcels):
        _kept = None
    return inside, parts


def _overflow(layers: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    batches = layers["batches"]
    if batches.empty:
        return
    supplied = layers["supplies"].groupby("batch_id")["area_ha"].sum()
    revoked = layers["revocations"].groupby("batch_id")["area_ha"].sum()
    total = reindexed(supplied, batches["batch_id"]).fillna(0).to_numpy() + reindexed(
        revoked, batches["batch_id"]).fillna(0).to_numpy()
    limit = batches["approved_ha"].to_numpy() * (1 + OVERFLOW_TOLERANCE)
    over = total > limit
    # Attribute areas are a cheap first pass; a flagged batch is measured on the ground:
    # the parts of its parcels inside its outline (a spill-over counts only inside).
    flagged = batches["batch_id"].to_numpy()[over]
    if len(flagged):
        supplies = layers["supplies"]
        own = supplies[member(supplies["batch_id"], flagged)]
        drawn = (own.geometry.notna() & ~own.geometry.is_empty).to_numpy()
        pos = positions(own["batch_id"], batches["batch_id"])
        parcels, outlines = own.geometry.to_numpy()[drawn], batches.geometry.to_numpy()[pos[drawn]]
        # A parcel its batch covers counts whole; only a spill-over needs cutting. The cuts
        # are kept for the supply links, which make the same ones (inside_parts).
        _, parts = inside_parts(parcels, outlines, keep=True)
        inside = shapely.area(parts) / 10_000
        measured = np.bincount(pos[drawn], weights=inside, minlength=len(batches))
        tabular = np.bincount(pos[~drawn], weights=own["area_ha"].to_numpy()[~drawn],
                              minlength=len(batches))
        rev = reindexed(revoked, batches["batch_id"]).fillna(0).to_numpy()
        total = np.where(over, measured + tabular + rev, total)
        over = total > limit
        # Still over: parcels may overlap each other. The area of their union inside the
        # outline is the outline's area less what is left when they are taken away.
        again = np.isin(pos[drawn], np.flatnonzero(over))
        if again.any():
            where = pos[drawn][again]
            b = np.unique(where)
            slot = np.searchsorted(b, where)
            outline = batches.geometry.to_numpy()[b]
            left = take_away(outline, slot, own.geometry.to_numpy()[drawn][again])
            measured_union = (shapely.area(outline) - shapely.area(left)) / 10_000
            total[b] = measured_union + tabular[b] + rev[b]
            over = total > limit
    for i in batches.index[over]:
        pos = batches.index.get_loc(i)
        problems.append(_problem(
            "batches", batches, i, "approved_ha", "warning",
            f"供地与失效撤回核减面积合计 {total[pos]:.4f} 公顷，超过批准面积 {batches.at[i, 'approved_ha']:.4f} 公顷",
            f"supplied plus revoked area {total[pos]:.4f} ha exceeds the approved "
            f"{batches.at[i, 'approved_ha']:.4f} ha",
        ))


def cross_check(layers: dict[str, pd.DataFrame], earlier: Sequence[Problem] = ()
                ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Check layers against each other; return the kept rows and the problems.

    Checks duplicate ids, fills a missing county code from the county that
    contains the feature (or, for a supply, from its batch; for an idle
    parcel, from its supply), and reports features outside every county,
    supplies naming no existing batch or dated before its approval,
    revocations of unknown batches, and batches whose supplies and
    revocations exceed the approved area. ``earlier``: the problems of each layer's
    own checks (a batch they left out is not "unknown" to its revocations).
    """
    layers = {k: v.copy() for k, v in layers.items()}
    problems: list[Problem] = []
    _duplicates(layers, problems)
    _approval_years(layers["batches"], problems)
    _counties(layers, problems)
    _links(layers, problems, [*earlier, *problems])
    _overflow(layers, problems)
    layers["counties"] = layers["counties"].sort_values("county_code").reset_index(drop=True)
    return layers, problems
