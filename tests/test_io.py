"""Reading files and writing outputs (landuse.io.files)."""

from __future__ import annotations

import datetime as dt
import errno
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from conftest import EPSG, square

from landuse import LayerReadError, OutputExistsError, OutputWriteError
from landuse.io.files import (
    _shapefile_encoding,
    atomic_path,
    discover,
    opened,
    read_layer,
    read_table,
    read_vector,
    write_csv,
)

CHINESE = {
    "批次编号": ["B1", "B2"],
    "批准机关": ["河南省人民政府", "国务院"],
    "批准日期": ["2016-05-01", "2015-03-01"],
}


def _write_shp(path: Path, columns: dict, *, encoding: str | None = None) -> Path:
    frame = gpd.GeoDataFrame(columns, geometry=[square(0, 0), square(200, 0)], crs=EPSG)
    kwargs = {"encoding": encoding} if encoding else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL reports cut field names
        pyogrio.write_dataframe(frame, path, **kwargs)
    return path


# --- shapefile encodings -------------------------------------------------------------------
def test_gbk_shapefile_with_cpg(tmp_path):
    shp = _write_shp(tmp_path / "批次.shp", CHINESE, encoding="GBK")
    assert shp.with_suffix(".cpg").read_text().strip().upper() in {"GBK", "CP936", "936"}
    frame, notes = read_vector(shp)
    assert list(frame.columns) == [*CHINESE, "geometry"]
    assert frame["批准机关"].tolist() == ["河南省人民政府", "国务院"]
    assert notes == []


def test_gbk_shapefile_without_cpg_is_guessed(tmp_path):
    shp = _write_shp(tmp_path / "批次.shp", CHINESE, encoding="GBK")
    shp.with_suffix(".cpg").unlink()
    assert _shapefile_encoding(shp) == ("GB18030", "guess")
    frame, notes = read_vector(shp)
    assert list(frame.columns) == [*CHINESE, "geometry"]
    assert frame["批准机关"].tolist() == ["河南省人民政府", "国务院"]
    (note,) = notes
    assert "GB18030" in note


@pytest.mark.parametrize("cpg", [True, False])
def test_utf8_shapefile(tmp_path, cpg):
    columns = {
        "PCBH": ["B1", "B2"],
        "PZJG": ["河南省人民政府", "国务院"],
        "PCMC": ["驿城区2016年第一批次", "西平"],
    }
    shp = _write_shp(tmp_path / "batches.shp", columns)
    if not cpg:
        shp.with_suffix(".cpg").unlink()
    frame, notes = read_vector(shp)
    assert frame["PZJG"].tolist() == ["河南省人民政府", "国务院"]
    assert frame["PCMC"].tolist() == ["驿城区2016年第一批次", "西平"]
    assert len(notes) == (0 if cpg else 1)


def test_utf8_shapefile_with_chinese_names_cut_mid_character(tmp_path):
    # GDAL keeps 10 bytes of a field name: 批准日期 in UTF-8 (12 bytes) loses half a character.
    shp = _write_shp(tmp_path / "batches.shp", CHINESE)
    frame, notes = read_vector(shp)
    assert list(frame.columns) == [*CHINESE, "geometry"]
    assert frame["批准机关"].tolist() == ["河南省人民政府", "国务院"]
    assert any("批准日期" in n for n in notes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GBK", "GB18030"),
        ("936", "GB18030"),
        ("CP936", "GB18030"),
        ("gb2312\n", "GB18030"),
        ("UTF-8", "UTF-8"),
        ("utf8", "UTF-8"),
        ("65001", "UTF-8"),
        ("LATIN1", "LATIN1"),
    ],
)
def test_cpg_spellings(tmp_path, text, expected):
    shp = _write_shp(tmp_path / "layer.shp", {"a": ["x", "y"]})
    shp.with_suffix(".cpg").write_text(text)
    assert _shapefile_encoding(shp) == (expected, "cpg")


def test_ascii_dbf_needs_no_encoding(tmp_path):
    shp = _write_shp(tmp_path / "layer.shp", {"a": ["x", "y"]})
    shp.with_suffix(".cpg").unlink()
    assert _shapefile_encoding(shp) == (None, "guess")


# --- damaged and empty files ---------------------------------------------------------------
def test_truncated_shp_is_reported(tmp_path):
    shp = _write_shp(tmp_path / "batches.shp", {"PCBH": ["B1", "B2"]})
    size = shp.stat().st_size
    with open(shp, "r+b") as f:
        f.truncate(size - 60)
    frame, notes = read_vector(shp)
    assert len(frame) == 2
    assert frame.geometry.isna().tolist() == [False, True]
    (note,) = notes
    assert "cut short" in note
    assert "截断" in note


def test_shp_cut_inside_its_header_is_a_read_error(tmp_path):
    shp = _write_shp(tmp_path / "batches.shp", {"PCBH": ["B1", "B2"]})
    with open(shp, "r+b") as f:
        f.truncate(50)
    with pytest.raises(LayerReadError, match=r"batches\.shp") as info:
        read_vector(shp)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "name", ["batches.shp", "批次.gpkg", "batches.geojson", "供地.csv", "供地.xlsx"]
)
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.touch()
    reader = read_table if path.suffix in {".csv", ".xlsx"} else read_vector
    with pytest.raises(LayerReadError, match=r"0 字节") as info:
        reader(path)
    assert info.value.message("en").endswith("the file is empty (0 bytes)")
    assert name in info.value.message("en")


@pytest.mark.parametrize("name", ["batches.geojson", "批次.xlsx", "supplies.csv"])
def test_garbage_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x00\x01\x02 this is not a layer \xff\xfe" * 10)
    reader = read_table if path.suffix in {".csv", ".xlsx"} else read_vector
    with pytest.raises(LayerReadError, match=name) as info:
        reader(path)
    assert "\n" not in info.value.message("en")


def test_dbf_without_shp_is_read_as_attributes(tmp_path):
    shp = _write_shp(
        tmp_path / "供地.shp", {"DZJGH": ["P1", "P2"], "GDRQ": ["2017-01-01", "2018-01-01"]}
    )
    for suffix in (".shp", ".shx"):
        shp.with_suffix(suffix).unlink()
    dbf = shp.with_suffix(".dbf")
    sources = discover(tmp_path)
    assert sources.layers == {"supplies": [(dbf, None)]}
    raw = read_layer("supplies", dbf, None, tmp_path)
    assert raw.frame["DZJGH"].tolist() == ["P1", "P2"]
    (problem,) = raw.problems
    assert (problem.layer, problem.severity) == ("supplies", "warning")
    assert ".shp" in problem.message


# --- tables --------------------------------------------------------------------------------
def test_xlsx_with_header_on_row_3(tmp_path):
    path = tmp_path / "闲置土地.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "闲置土地"
    sheet.append(["驻马店市闲置土地整改工作台账"])
    sheet.append(["填报单位：驻马店市自然资源和规划局", None, "2018年12月31日"])
    sheet.append(["闲置编号", "电子监管号", "闲置面积(亩)", "认定日期", "处置日期"])
    sheet.append(["X1", "4117022017B00001", 15, dt.datetime(2018, 1, 15), None])
    sheet.append([None, None, None, None, None])
    sheet.append(["X2", "4117022017B00002", 7.5, "2018/3/1", 43373])
    book.save(path)
    frame, rows, notes = read_table(path, "idle")
    assert list(frame.columns) == ["闲置编号", "电子监管号", "闲置面积(亩)", "认定日期", "处置日期"]
    assert frame["闲置编号"].tolist() == ["X1", "X2"]
    assert rows.tolist() == [4, 6]  # the lines Excel shows
    assert frame.at[0, "认定日期"] == dt.datetime(2018, 1, 15)
    (note,) = notes
    assert "第 3 行" in note
    assert "line 3" in note


def test_xlsx_picks_the_sheet_named_for_a_layer(tmp_path):
    path = tmp_path / "ledger.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"说明": ["封面"]}).to_excel(writer, sheet_name="封面", index=False)
        pd.DataFrame({"批次编号": ["B1"], "类型": ["核减"]}).to_excel(
            writer, sheet_name="失效撤回核减", index=False
        )
    frame, rows, _ = read_table(path, "revocations")
    assert frame.columns.tolist() == ["批次编号", "类型"]
    assert rows.tolist() == [2]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "失效撤回核减.csv"
    text = "批次编号,类型,面积(亩),日期\nB1,核减,15,2018/3/1\nB2,撤回,30,2018年4月1日\n"
    path.write_bytes(text.encode(encoding))
    frame, rows, notes = read_table(path, "revocations")
    assert frame.columns.tolist() == ["批次编号", "类型", "面积(亩)", "日期"]
    assert frame["类型"].tolist() == ["核减", "撤回"]
    assert frame["日期"].tolist() == ["2018/3/1", "2018年4月1日"]
    assert rows.tolist() == [2, 3]
    assert notes == []


def test_csv_keeps_codes_as_text(tmp_path):
    path = tmp_path / "quotas.csv"
    path.write_text("county_code,year,plan_base_ha\n411702,2019,10.5\n", encoding="utf-8")
    frame, _, _ = read_table(path, "quotas")
    assert frame.at[0, "county_code"] == "411702"


# --- zips ----------------------------------------------------------------------------------
def test_zip_with_path_traversal_is_refused(tmp_path):
    archive = tmp_path / "workspace.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("批次.csv", "批次编号\nB1\n")
        z.writestr("../evil.txt", "gotcha")
    with pytest.raises(LayerReadError, match=r"evil\.txt") as info, opened(archive):
        pass
    assert "refused" in info.value.message("en")
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path.parent / "evil.txt").exists()


@pytest.mark.parametrize("name", ["/etc/evil.txt", "C:/evil.txt", "a/../../evil.txt"])
def test_zip_with_absolute_entries_is_refused(tmp_path, name):
    archive = tmp_path / "workspace.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(name, "gotcha")
    with pytest.raises(LayerReadError, match=r"refused|拒绝"), opened(archive):
        pass


def test_not_a_zip(tmp_path):
    archive = tmp_path / "workspace.zip"
    archive.write_bytes(b"PK but not really")
    with pytest.raises(LayerReadError, match="zip"), opened(archive):
        pass


def test_zip_of_one_folder_opens_that_folder(tmp_path):
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("驻马店/批次.csv", "批次编号\nB1\n")
        z.writestr("__MACOSX/._批次.csv", "junk")
    with opened(archive) as root:
        assert root.name == "驻马店"
        assert (root / "批次.csv").exists()
    assert not root.exists()  # extracted to a temporary folder, removed afterwards


def test_zip_with_gbk_names(tmp_path):
    # Chinese Windows stores GBK names without the UTF-8 flag; zipfile would write UTF-8,
    # so write a same-length ASCII name and patch in the GBK bytes.
    gbk = "批次.csv".encode("gbk")
    placeholder = b"X" * (len(gbk) - 4) + b".csv"
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(placeholder.decode("ascii"), "批次编号\nB1\n")
    archive.write_bytes(archive.read_bytes().replace(placeholder, gbk))
    with opened(archive) as root:
        assert [p.name for p in root.iterdir()] == ["批次.csv"]


# --- discovery -----------------------------------------------------------------------------
def test_discover_finds_layers_by_english_and_chinese_names(tmp_path):
    for name in (
        "县区.geojson",
        "batches.fgb",
        "供地.csv",
        "闲置土地.xlsx",
        "notes.md",
        "roads.shp",
        "landcover.tif",
        "hillshade.tif",
        "批次.prj",
    ):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "subdir").mkdir()
    sources = discover(tmp_path)
    assert {k: [p.name for p, _ in v] for k, v in sources.layers.items()} == {
        "counties": ["县区.geojson"],
        "batches": ["batches.fgb"],
        "supplies": ["供地.csv"],
        "idle": ["闲置土地.xlsx"],
    }
    assert sources.landcover == tmp_path / "landcover.tif"
    assert sorted(p.name for p in sources.ignored) == ["hillshade.tif", "roads.shp"]


def test_discover_geopackage_layers(tmp_path):
    gpkg = tmp_path / "data.gpkg"
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[square(0, 0)], crs=EPSG)
    for name in ("县区", "批次", "roads"):
        pyogrio.write_dataframe(frame, gpkg, layer=name, append=gpkg.exists())
    pyogrio.write_dataframe(pd.DataFrame({"a": [1]}), gpkg, layer="计划指标", append=True)
    sources = discover(gpkg)
    assert sources.layers == {
        "counties": [(gpkg, "县区")],
        "batches": [(gpkg, "批次")],
        "quotas": [(gpkg, "计划指标")],
    }


def test_discover_missing_path(tmp_path):
    with pytest.raises(LayerReadError, match="no such file"):
        discover(tmp_path / "nowhere")


# --- writing -------------------------------------------------------------------------------
def test_atomic_path_moves_into_place(tmp_path):
    target = tmp_path / "out" / "report.csv"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent
        assert tmp != target
        tmp.write_text("done")
        assert not target.exists()
    assert target.read_text() == "done"
    assert list(target.parent.iterdir()) == [target]


def test_atomic_path_failure_leaves_the_old_file(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("old")

    def fail() -> None:
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail()
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_path_refuses_to_overwrite(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("old")
    with (
        pytest.raises(OutputExistsError, match="--overwrite"),
        atomic_path(target, overwrite=False),
    ):
        pass
    assert target.read_text() == "old"


def test_write_csv_has_a_bom_for_excel(tmp_path):
    frame = pd.DataFrame({"县区": ["驿城区"], "面积": [np.float64(1.5)]})
    path = write_csv(frame, tmp_path / "t.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "县区,面积\n驿城区,1.5\n"
    with pytest.raises(OutputExistsError):
        write_csv(frame, path, overwrite=False)


def _pandas_csv(frame: pd.DataFrame) -> bytes:
    return ("\ufeff" + frame.to_csv(index=False, lineterminator="\n")).encode("utf-8")


def _read_back(data: bytes | Path, **kwargs: object) -> pd.DataFrame:
    import io

    data = data.read_bytes() if isinstance(data, Path) else data
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", **kwargs)


def _same_cells(ours: Path, frame: pd.DataFrame) -> None:
    """The file reads back, as text and as numbers, as what pandas writes of ``frame``."""
    theirs = _pandas_csv(frame)
    pd.testing.assert_frame_equal(_read_back(ours, dtype=str, keep_default_na=False),
                                  _read_back(theirs, dtype=str, keep_default_na=False))
    pd.testing.assert_frame_equal(_read_back(ours), _read_back(theirs))


FLOATS = [0.1, 1.0, -0.0, 0.0, 1e-05, 1e-4, 3.448499873570654e-05, 1234567890.5, 9999999999.0,
          1e10, 12345678901234.5, 1.2345678901234568e17, np.inf, -np.inf, np.nan, 2.0 / 3]
#: What pandas (numpy's shortest repr) writes of FLOATS: a float read back is the float written.
FLOAT_TEXT = ["0.1", "1.0", "-0.0", "0.0", "1e-05", "0.0001", "3.448499873570654e-05", "1234567890.5",
              "9999999999.0", "10000000000.0", "12345678901234.5", "1.2345678901234568e+17", "inf", "-inf",
              "", "0.6666666666666666"]


def test_write_csv_writes_the_cells_pandas_writes(tmp_path):
    n = len(FLOATS)
    frame = pd.DataFrame({
        "批次编号": pd.array(["a", 'q"u', "x,y", "a\nb", "中文", "", None, "r\rs"] * 2, dtype="string"),
        "area": FLOATS,
        "count": np.arange(n),
        "nullable": pd.array([1, None] * (n // 2), dtype="Int64"),
        "flag": [True, False] * (n // 2),
        "maybe": pd.array([True, None] * (n // 2), dtype="boolean"),
        "day": pd.to_datetime(["2018-12-31", None] * (n // 2)),
        "text": ["是", np.nan] * (n // 2),
    })
    path = write_csv(frame, tmp_path / "t.csv")
    text = _read_back(path, dtype=str, keep_default_na=False)
    assert text["area"].tolist() == FLOAT_TEXT
    assert text["批次编号"].tolist()[:8] == ["a", 'q"u', "x,y", "a\nb", "中文", "", "", "r\rs"]
    assert text["nullable"].tolist()[:2] == ["1", ""]
    assert text["flag"].tolist()[:2] == ["True", "False"]
    assert text["maybe"].tolist()[:2] == ["True", ""]
    assert text["day"].tolist()[:2] == ["2018-12-31", ""]
    floats = _read_back(path)["area"].to_numpy()
    assert floats.tobytes() == np.array(FLOATS).tobytes()  # bit for bit, -0.0 and NaN included
    # Python 3.11's csv (pandas) leaves a carriage return unquoted: compare the rest with it.
    frame["批次编号"] = frame["批次编号"].replace("r\rs", "rs")
    _same_cells(write_csv(frame, tmp_path / "t.csv"), frame)
    empty = write_csv(frame.iloc[:0], tmp_path / "e.csv")
    assert empty.read_bytes() == _pandas_csv(frame.iloc[:0])  # the header alone


def test_write_csv_quotes_text_only_when_a_cell_needs_it(tmp_path):
    plain = pd.DataFrame({"县区": ["驿城区", "遂平县"], "面积": [1.5, 2.0], "宗数": [3, 4]})
    path = write_csv(plain, tmp_path / "plain.csv")
    assert path.read_bytes() == "\ufeff县区,面积,宗数\n驿城区,1.5,3\n遂平县,2.0,4\n".encode()
    comma = plain.assign(县区=["驿城区,西区", "遂平县"])
    path = write_csv(comma, tmp_path / "comma.csv")
    # pyarrow's "needed" quoting: every text cell (floats are written as text), never a number
    assert path.read_bytes() == '\ufeff"县区","面积","宗数"\n"驿城区,西区","1.5",3\n"遂平县","2.0",4\n'.encode()
    _same_cells(path, comma)


def test_a_single_column_keeps_its_empty_cells(tmp_path):
    frame = pd.DataFrame({"备注": ["a", None, "", "b"]})
    path = write_csv(frame, tmp_path / "t.csv")
    assert path.read_bytes() == '\ufeff"备注"\n"a"\n""\n""\n"b"\n'.encode()
    assert _read_back(path, dtype=str, keep_default_na=False)["备注"].tolist() == ["a", "", "", "b"]
    numbers = pd.DataFrame({"ha": [1.5, np.nan, 2.0]})
    back = _read_back(write_csv(numbers, tmp_path / "n.csv"))
    pd.testing.assert_frame_equal(back, numbers)


def test_write_csv_leaves_what_arrow_cannot_print_to_pandas(tmp_path):
    times = pd.DataFrame({"a": [1, 2], "t": pd.to_datetime(["2018-01-01 10:30", "2018-01-02 00:00"])})
    mixed = pd.DataFrame({"a": [1, 2], "m": ["x\ry", 1.5]})
    single = pd.DataFrame({"a": [1, 2], "f": np.array([0.1, 2.0], dtype="float32")})
    path = write_csv(single, tmp_path / "single.csv")
    assert _read_back(path, dtype=str)["f"].tolist() == ["0.1", "2.0"]  # not 0.10000000149011612
    path = write_csv(times, tmp_path / "times.csv")
    assert _read_back(path, dtype=str)["t"].tolist() == ["2018-01-01 10:30:00", "2018-01-02 00:00:00"]
    path = write_csv(mixed, tmp_path / "mixed.csv")
    # pandas quotes the text, so that a carriage return stays inside its cell
    assert path.read_bytes() == '\ufeff"a","m"\n1,"x\ry"\n2,1.5\n'.encode()
    assert _read_back(path, dtype=str)["m"].tolist() == ["x\ry", "1.5"]


def test_csv_is_written_a_slice_of_rows_at_a_time(tmp_path, monkeypatch):
    import landuse.io.files

    monkeypatch.setattr(landuse.io.files, "CSV_ROWS", 3)
    frame = pd.DataFrame({"id": [f"B{i}" for i in range(10)], "ha": np.arange(10) / 4})
    assert write_csv(frame, tmp_path / "a.csv").read_bytes() == _pandas_csv(frame)
    # A comma in the third slice: that slice's text is quoted, the cells are the same.
    frame.loc[7, "id"] = "B7,a"
    path = write_csv(frame, tmp_path / "b.csv")
    assert path.read_bytes().decode("utf-8-sig").splitlines()[6:9] == ['B5,1.25', '"B6","1.5"', '"B7,a","1.75"']
    _same_cells(path, frame)
    # A value only pandas prints (a number among text) in the third slice: pandas writes it all.
    frame["note"] = ["x"] * 7 + [1.5, "y", "z"]
    path = write_csv(frame, tmp_path / "c.csv")
    assert path.read_bytes().decode("utf-8-sig").splitlines()[:2] == ['"id","ha","note"', '"B0",0.0,"x"']
    _same_cells(path, frame)


def test_a_full_disk_while_writing_a_csv_leaves_the_previous_file(tmp_path, monkeypatch):
    import landuse.io.files

    target = tmp_path / "t.csv"
    target.write_text("old")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(landuse.io.files, "_arrow_csv_text", full)
    with pytest.raises(OutputWriteError, match="磁盘空间不足"):
        write_csv(pd.DataFrame({"a": ["x"], "b": [1]}), target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temporary file left
