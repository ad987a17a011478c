"""Reading and writing: the only module that touches files.

One module (over 800 lines) because it is the only module that touches files: every reader, the zip guard and the atomic writers sit together.

Vector layers are read through pyogrio with Arrow (Shapefile in GBK or
UTF-8, GeoPackage, GeoJSON, FlatGeobuf, FileGDB); ledgers through pandas
(CSV in UTF-8, UTF-8 with BOM or GBK; XLSX with the header on any of the
first rows). A damaged vector file is salvaged record by record through
fiona, which reads what it can where pyogrio stops at the first bad byte.
Every output is written to a temporary file beside its target and moved
into place, so a failure never leaves a half-written file.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import os
import re
import shutil
import tempfile
import warnings
import weakref
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from landuse._arrays import parallel_map
from landuse._errors import LanduseError, LayerReadError, OutputExistsError, OutputWriteError
from landuse.model.schema import LAYERS, Problem, _key, layer_for_name, rename_columns

__all__ = [
    "LandCover",
    "RawLayer",
    "atomic_path",
    "check_outputs",
    "discover",
    "extract",
    "file_digest",
    "open_landcover",
    "output_set",
    "read_table",
    "read_vector",
    "write_bytes",
    "write_csv",
    "write_gpkg",
]

VECTOR_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json", ".fgb", ".gdb", ".kml", ".gml"}
TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".dbf"}
RASTER_SUFFIXES = {".tif", ".tiff", ".img", ".vrt"}
LANDCOVER_NAMES = ("landcover", "land_cover", "clcd", "土地覆盖", "地表覆盖", "土地覆被", "地类")
_SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd", ".xml")


@dataclass
class RawLayer:
    """One layer as read, before normalisation.

    Attributes
    ----------
    layer : str
        Canonical layer name it stands for.
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The rows as read, source column names kept.
    source : str
        Human-readable origin: ``批次.gpkg:批次``, ``供地.shp``...
    rows : numpy.ndarray
        Row number of each row in the source (spreadsheet line, or feature
        number from 1), for messages.
    problems : list of Problem
        What went wrong while reading (salvaged records, guessed encoding).
    promised : int or None
        How many rows the file itself says it holds (a .dbf header's record
        count, a GeoPackage's feature count); None when it says nothing.
    """

    layer: str
    frame: pd.DataFrame
    source: str
    rows: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    promised: int | None = None


@dataclass(frozen=True)
class LandCover:
    """A land-cover raster: where it is and what it covers.

    The pixels are read by :func:`open_landcover`; nothing else opens it.
    """

    path: str
    crs: str | None
    bounds: tuple[float, float, float, float]
    resolution: tuple[float, float]
    nodata: float | None
    shape: tuple[int, int]


# --- reading -------------------------------------------------------------------------------
def _reason(err: BaseException) -> str:
    """The first line of a library's error, without GDAL's generic advice."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text.split("; It might help")[0][:200]


def _fail(path: Path | str, zh: str, en: str) -> LayerReadError:
    return LayerReadError(f"无法读取 {path}：{zh}", f"cannot read {path}: {en}")


def _utf8(data: bytes) -> bool:
    """True when ``data`` is UTF-8, allowing one character cut short at its end."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.reason == "unexpected end of data" and err.start >= len(data) - 3
    return True


def _dbf_sample(dbf: Path) -> tuple[int, bytes] | None:
    """A .dbf's header length and its first bytes (header and 2 MB of records); None if no header."""
    with open(dbf, "rb") as f:
        head = f.read(32)
        if len(head) < 32:
            return None
        header_len = int.from_bytes(head[8:10], "little")
        f.seek(0)
        return header_len, f.read(header_len + 2_000_000)


def _guess_dbf_encoding(dbf: Path) -> str | None:
    """Guess a .dbf's text encoding when no .cpg names it: UTF-8, else GBK."""
    found = _dbf_sample(dbf)
    if found is None:
        return None
    header_len, sample = found
    if all(b < 0x80 for b in sample):
        return None
    # Field names hold 10 bytes: a UTF-8 writer may cut a Chinese name mid-character,
    # so each name is tested on its own, a cut at its end allowed.
    descriptors = sample[32:header_len]
    names = [descriptors[i:i + 11].split(b"\0")[0] for i in range(0, len(descriptors) - 1, 32)]
    if all(_utf8(n) for n in names) and _utf8(sample[header_len:]):
        return "UTF-8"
    return "GB18030"


def _decodes(dbf: Path, encoding: str) -> bool:
    """Whether the records of a .dbf (their first 2 MB) are valid ``encoding`` throughout."""
    found = _dbf_sample(dbf)
    if found is None:
        return False
    header_len, sample = found
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample[header_len:], final=False)
    except UnicodeDecodeError:
        return False
    return True


@functools.cache
def _cut_names() -> dict[bytes, str]:
    """Map the first 10 UTF-8 bytes of each long non-ASCII alias to the alias.

    A .dbf field name holds 10 bytes: written in UTF-8, ``批准日期`` (12 bytes)
    comes back as ``批准日`` plus one stray byte. Those 10 bytes still say which
    alias it was, when no other alias starts with the same 10 bytes.
    """
    found: dict[bytes, set[str]] = {}
    for spec in LAYERS.values():
        for fs in spec.fields:
            for alias in (fs.name, *fs.aliases):
                raw = alias.encode("utf-8")
                if not alias.isascii() and len(raw) > _DBF_NAME_BYTES:
                    found.setdefault(raw[:_DBF_NAME_BYTES], set()).add(alias)
    return {cut: next(iter(aliases)) for cut, aliases in found.items() if len(aliases) == 1}


_DBF_NAME_BYTES = 10


def _redecode(frame: pd.DataFrame, encoding: str) -> tuple[pd.DataFrame, list[str]]:
    """Decode a frame read as Latin-1 (every byte kept) in its real ``encoding``.

    Returns the frame and the field names that were cut mid-character.
    """
    names: dict[str, str] = {}
    cut: list[str] = []
    for col in frame.columns:
        if col == "geometry":
            continue
        raw = str(col).encode("latin-1")
        try:
            names[col] = raw.decode(encoding)
        except UnicodeDecodeError:
            known = _cut_names().get(raw)
            names[col] = known or raw.decode(encoding, errors="ignore")
            cut.append(f"{raw.decode(encoding, errors='ignore')}…→{known or '?'}")
    frame = frame.rename(columns=names)
    for col in frame.columns:
        if col != "geometry" and (pd.api.types.is_string_dtype(frame[col].dtype)):
            text = frame[col].astype("string")
            frame[col] = text.str.encode("latin-1").str.decode(encoding, errors="replace")
    return frame, cut


def _encoding_name(text: str) -> str | None:
    """A code page as a .cpg or ``--encoding`` spells it, as Python and GDAL name it."""
    text = text.strip().upper()
    if text in {"GBK", "GB2312", "CP936", "936", "GB18030", "ANSI 936", "GB_2312-80"}:
        return "GB18030"
    if text.replace("-", "").replace("_", "") in {"UTF8", "65001", "UTF8SIG"}:
        return "UTF-8"
    return text or None


def _shown_encoding(name: str | None) -> str:
    """An encoding as analysts call it (GB18030 reads every GBK file: say GBK)."""
    return "GBK" if name == "GB18030" else str(name)


def _sidecar(path: Path, suffix: str) -> Path:
    found = path.with_suffix(suffix)
    if not found.exists():
        found = next((p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() == suffix), found)
    return found


def _shapefile_encoding(path: Path) -> tuple[str | None, str | None]:
    """Return (encoding, how it was decided) for a shapefile or lone .dbf.

    How: ``"cpg"`` (the .cpg names it), ``"guess"`` (no .cpg; judged from the
    bytes) or ``"cpg-wrong:<named>"`` (the .cpg names ``<named>`` but the
    bytes are not in it: UTF-8 text is almost never valid GBK-as-UTF-8 by
    chance, and GBK text is almost never valid UTF-8).
    """
    cpg = _sidecar(path, ".cpg")
    dbf = _sidecar(path, ".dbf")
    if cpg.exists():
        named = _encoding_name(cpg.read_text(encoding="ascii", errors="ignore"))
        if dbf.exists():
            content = _guess_dbf_encoding(dbf)
            # A .cpg naming a Western code page (ISO-8859-1, 1252, as ArcMap writes) over
            # text that is GBK or UTF-8 to the last byte: the .cpg is wrong. Read as named, 功能区
            # came out as ¹¦ÄÜÇø (a zone judged a county), or the read failed.
            if content is not None and content != named and (
                    named in {"UTF-8", "GB18030"} or _decodes(dbf, content)):
                return content, f"cpg-wrong:{named}"
        return named, "cpg"
    return (_guess_dbf_encoding(dbf) if dbf.exists() else None), "guess"


def _dbf_counts(dbf: Path) -> tuple[int, int] | None:
    """(records the .dbf header declares, whole records its bytes hold); None if no header."""
    size = dbf.stat().st_size
    with open(dbf, "rb") as f:
        head = f.read(12)
    if len(head) < 12:
        return None
    declared = int.from_bytes(head[4:8], "little")
    header_len = int.from_bytes(head[8:10], "little")
    record_len = int.from_bytes(head[10:12], "little")
    if record_len == 0 or header_len < 32:
        return None
    return declared, max(size - header_len, 0) // record_len


def _dbf_promise(path: Path, rows_read: int) -> tuple[int | None, list[str]]:
    """What a shapefile's .dbf (and .shx) promise, and a note per broken promise."""
    dbf = _sidecar(path, ".dbf")
    if not dbf.exists():
        return None, []
    counts = _dbf_counts(dbf)
    if counts is None:
        return None, [f"文件已损坏：{dbf.name} 的文件头无法识别（字段与记录数都读不出），请重新导出该图层"
                      f"|damaged file: the header of {dbf.name} is unreadable (no fields, no record count); "
                      "export the layer again"]
    declared, held = counts
    notes = []
    name = dbf.name
    if held < declared:
        notes.append(f"文件已损坏：{name} 头部记录数为 {declared}，文件只容纳 {held} 条完整记录（文件被截断），"
                     f"实际读出 {rows_read} 行；请重新拷贝或导出该图层"
                     f"|damaged file: the header of {name} declares {declared} records but the file holds only "
                     f"{held} whole records (cut short); {rows_read} rows read. Copy or export the layer again")
    elif held > declared:
        notes.append(f"文件已损坏：{name} 头部记录数为 {declared}，但文件中有 {held} 条记录（头部被改写），"
                     f"实际读出 {rows_read} 行；请重新导出该图层"
                     f"|damaged file: the header of {name} declares {declared} records but the file holds "
                     f"{held} (the header was overwritten); {rows_read} rows read. Export the layer again")
    elif rows_read != declared:
        notes.append(f"文件已损坏：{name} 头部记录数为 {declared}，实际读出 {rows_read} 行"
                     f"|damaged file: the header of {name} declares {declared} records; {rows_read} rows read")
    shx = _sidecar(path, ".shx")
    if path.suffix.lower() == ".shp" and shx.exists() and shx.stat().st_size >= 100:
        indexed = (shx.stat().st_size - 100) // 8
        if indexed != declared:
            notes.append(f"文件已损坏：{shx.name} 索引了 {indexed} 个图形，{name} 头部记录数为 {declared}，两者应相同"
                         f"|damaged file: {shx.name} indexes {indexed} shapes but {name} declares {declared} "
                         "records; they must be equal")
    return declared, notes


def read_vector(
    path: str | os.PathLike, layer: str | None = None, *, encoding: str | None = None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read one vector layer through pyogrio with Arrow.

    Parameters
    ----------
    path : path-like
        A Shapefile, GeoPackage, GeoJSON, FlatGeobuf or FileGDB.
    layer : str, optional
        The layer inside a multi-layer source.
    encoding : str, optional
        The text encoding of a Shapefile's .dbf, over its .cpg and over what
        its bytes suggest (``--encoding``).

    Returns
    -------
    frame : geopandas.GeoDataFrame
        The features with their source column names; CRS as stored.
    notes : list of str
        Remarks for the analyst (an encoding that was guessed, records
        salvaged from a damaged file), ``"zh|en"`` each.

    Raises
    ------
    LayerReadError
        When the file is empty or unreadable even record by record.
    """
    path = Path(path)
    notes: list[str] = []
    if path.is_file() and path.stat().st_size == 0:
        raise _fail(path, "文件为空（0 字节）", "the file is empty (0 bytes)")
    forced = encoding
    encoding = None
    if path.suffix.lower() == ".shp":
        cut = _shp_cut_short(path)
        if cut:
            notes.append(cut)
    if path.suffix.lower() in {".shp", ".dbf"}:
        if forced:
            encoding = _encoding_name(forced)
            dbf = _sidecar(path, ".dbf")
            content = _guess_dbf_encoding(dbf) if dbf.exists() else None
            if encoding == "UTF-8" and content == "GB18030":
                raise _fail(path, f"--encoding {forced} 与 {dbf.name} 的内容不符：其文本不是 UTF-8（像是 GBK）；"
                            "请改用 --encoding GBK",
                            f"--encoding {forced} does not fit {dbf.name}: its text is not UTF-8 (it looks like GBK); "
                            "pass --encoding GBK")
            if content is not None and encoding in {"UTF-8", "GB18030"} and content != encoding:
                notes.append(f"按 --encoding {forced} 读取，但 {dbf.name} 的内容像是 {_shown_encoding(content)}，"
                             f"文字可能是乱码|read with --encoding {forced}, but the text of {dbf.name} looks like "
                             f"{_shown_encoding(content)}: names may be garbled")
        else:
            encoding, how = _shapefile_encoding(path)
            if how == "guess" and encoding:
                notes.append(f"没有 .cpg 文件，按内容判断编码为 {encoding}|no .cpg file; encoding guessed as {encoding}")
            if how and how.startswith("cpg-wrong:"):
                named = _shown_encoding(how.partition(":")[2])
                cpg = _sidecar(path, ".cpg").name
                real = _shown_encoding(encoding)
                notes.append(f"{cpg} 写明编码为 {named}，但 .dbf 的内容是 {real}：已按 {real} 读取"
                             f"（如不对，请用 --encoding 指定编码；并请更正 {cpg}）"
                             f"|{cpg} says {named} but the .dbf's text is {real}: read as {real} "
                             f"(if wrong, pass --encoding; and correct {cpg})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=True, encoding=encoding)
            except UnicodeDecodeError:
                if path.suffix.lower() not in {".shp", ".dbf"}:
                    raise
                # A UTF-8 .dbf whose field names were cut mid-character: read every byte
                # as Latin-1, then decode names and values in the real encoding.
                frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=True, encoding="ISO-8859-1")
                frame, cut = _redecode(frame, encoding or "utf-8")
                if cut:
                    notes.append(f"字段名在 .dbf 中被截断（每个字段名只存 10 字节），按前 10 字节识别："
                                 f"{'、'.join(cut)}|field names cut short in the .dbf (10 bytes each), "
                                 f"recognised by their first 10 bytes: {', '.join(cut)}")
    except Exception as err:  # pyogrio raises several GDAL error types
        if path.suffix.lower() in {".shp", ".dbf"} and "utf8" in str(err).lower().replace("-", ""):
            # Text that is not in the encoding it was read in (Arrow refuses invalid UTF-8).
            raise _fail(path, f"文本不是 {encoding or 'UTF-8'} 编码（{_reason(err)}）：请用 --encoding GBK 或 "
                        "--encoding UTF-8 指定 .dbf 的编码，并更正 .cpg 文件",
                        f"the text is not {encoding or 'UTF-8'} ({_reason(err)}): pass --encoding GBK or "
                        "--encoding UTF-8 for the .dbf, and correct the .cpg file") from err
        frame, salvaged = _salvage(path, layer, encoding, err)
        notes.append(salvaged)
    if not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame)
    return frame, notes


def _shp_cut_short(path: Path) -> str | None:
    """Say so when a .shp is shorter than its header declares (a cut copy or download).

    GDAL reads such a file without complaint and gives the lost records no
    geometry; the header's file length (in 16-bit words) tells.
    """
    with open(path, "rb") as f:
        head = f.read(28)
    actual = path.stat().st_size
    declared = None if len(head) < 28 else int.from_bytes(head[24:28], "big") * 2
    if declared is not None and declared <= actual:
        return None
    shown = "?" if declared is None else f"{declared:,}"
    return (f"文件已损坏：.shp 应有 {shown} 字节，实际只有 {actual:,} 字节（文件被截断），其后的记录没有几何图形"
            f"|damaged file: the .shp should hold {shown} bytes but has {actual:,} (cut short); "
            "the records past the cut have no geometry")


def _salvage(
    path: Path, layer: str | None, encoding: str | None, err: Exception
) -> tuple[gpd.GeoDataFrame, str]:
    """Read what records fiona can from a file pyogrio could not read whole."""
    import fiona  # only here: fiona reads records one by one where pyogrio stops

    reason = _reason(err)
    records: list[dict] = []
    geoms = []
    total = None
    try:
        kwargs = {"encoding": encoding} if encoding else {}
        with fiona.open(path, layer=layer, **kwargs) as src:
            crs = src.crs.to_wkt() if src.crs else None
            total = len(src)
            it = iter(src)
            while True:
                try:
                    rec = next(it)
                except StopIteration:
                    break
                except Exception:
                    break
                records.append(dict(rec.properties or {}))
                geoms.append(rec.geometry)
    except Exception as err2:
        raise _fail(path, f"文件已损坏或格式不支持（{reason}）", f"damaged or unsupported file ({reason})") from err2
    if not records:
        raise _fail(path, f"文件已损坏，没有可读记录（{reason}）", f"damaged file, no readable record ({reason})")
    from shapely.geometry import shape

    geometry = [shape(g) if g is not None else None for g in geoms]
    frame = gpd.GeoDataFrame(pd.DataFrame.from_records(records), geometry=geometry, crs=crs)
    shown = f"{total}" if total is not None else "?"
    note = (
        f"文件已损坏，仅读出 {len(records)} / {shown} 条记录（{reason}）"
        f"|damaged file: only {len(records)} of {shown} records could be read ({reason})"
    )
    return frame, note


_HEADER_SCAN_ROWS = 50


def _find_header(preview: pd.DataFrame, layer: str | None) -> int:
    """Return the 0-based row of the header: the first row naming known fields."""
    best_row, best_hits = 0, -1
    for i in range(min(len(preview), _HEADER_SCAN_ROWS)):
        cells = [c for c in preview.iloc[i].tolist() if isinstance(c, str) and c.strip()]
        if layer is not None:
            mapping, _ = rename_columns(cells, layer)
            hits = len(mapping)
        else:
            hits = sum(layer_for_name(c) is None for c in cells) if len(cells) >= 2 else 0
        if hits > best_hits and (hits >= 2 or (layer is None and hits)):
            best_row, best_hits = i, hits
            if layer is not None and hits >= 2:
                break
    return best_row


def _csv_text(path: Path, encoding: str | None) -> tuple[str, str]:
    """Decode a CSV file: (text, encoding used).

    UTF-16 and UTF-8 are told by their byte-order marks; a UTF-8 mark before
    GBK text (an editor's doing) is dropped. Without ``encoding`` the text is
    tried as UTF-8, then GBK (GB18030).

    Raises
    ------
    LayerReadError
        Naming the line of the first byte that fits neither, and the mend.
    """
    data = path.read_bytes()
    if encoding:
        name = _encoding_name(encoding) or encoding
        if data.startswith(b"\xef\xbb\xbf") and name != "UTF-8":
            data = data[3:]  # an editor's UTF-8 mark before text in another encoding
        try:
            return data.decode("utf-8-sig" if name == "UTF-8" else name), name
        except (UnicodeDecodeError, LookupError) as err:
            line = data[: getattr(err, "start", 0)].count(b"\n") + 1
            raise _fail(path, f"第 {line} 行的文本不是 {encoding} 编码（--encoding {encoding}）",
                        f"line {line} is not {encoding} text (--encoding {encoding})") from err
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as err:
            raise _fail(path, "UTF-16 文本有损坏", "damaged UTF-16 text") from err
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as utf8_err:
        try:
            return data.decode("gb18030"), "GB18030"
        except UnicodeDecodeError as err:
            at = max(err.start, utf8_err.start)
            line = data[:at].count(b"\n") + 1
            raise _fail(
                path,
                f"第 {line} 行有既不是 UTF-8 也不是 GBK 的字节（0x{data[err.start]:02X}）：请在 Excel 或文本编辑器中"
                "另存为 UTF-8 CSV，或用 --encoding 指定其编码",
                f"line {line} holds a byte that is neither UTF-8 nor GBK (0x{data[err.start]:02X}): save the file "
                "again as UTF-8 CSV, or pass its encoding with --encoding",
            ) from err


def read_table(
    path: str | os.PathLike, layer: str | None = None, *, encoding: str | None = None
) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Read a CSV or Excel ledger, finding its header row.

    CSV files may be UTF-8 (with or without BOM), GBK (even after a UTF-8
    BOM) or UTF-16 with its BOM; ``encoding`` forces one. In Excel
    workbooks the first sheet whose name is a layer name is read, else the
    first sheet; title rows above the header are skipped.

    Returns
    -------
    frame : pandas.DataFrame
        The rows, every cell as text or its native Excel type.
    rows : numpy.ndarray
        Spreadsheet line of each row (1-based, as Excel shows it).
    notes : list of str
        Remarks (``"zh|en"``), e.g. a header found below title rows.

    Raises
    ------
    LayerReadError
        When the file is empty, not a table, or in an unknown encoding.
    """
    path = Path(path)
    notes: list[str] = []
    if path.stat().st_size == 0:
        raise _fail(path, "文件为空（0 字节）", "the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
            if not sheets:
                raise _fail(path, "工作簿没有工作表", "the workbook has no sheet")
            name = next((s for s in sheets if layer_for_name(str(s))), next(iter(sheets)))
            raw = sheets[name]
        elif suffix == ".dbf":
            raw, notes = read_vector(path, encoding=encoding)
            raw = pd.DataFrame(raw.drop(columns=[c for c in ("geometry",) if c in raw.columns]))
            return raw, np.arange(1, len(raw) + 1), notes
        else:
            import io as _io

            text, _ = _csv_text(path, encoding)
            raw = pd.read_csv(_io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                              skip_blank_lines=False)
            raw = raw.replace("", np.nan)
    except LayerReadError:
        raise
    except Exception as err:
        reason = _reason(err)
        raise _fail(path, f"不是可读的表格（{reason}）", f"not a readable table ({reason})") from err
    raw = raw.dropna(how="all", axis=1)
    if raw.empty:
        raise _fail(path, "表格没有内容", "the table has no content")
    header = _find_header(raw, layer)
    if header:
        notes.append(f"表头位于第 {header + 1} 行，其上 {header} 行已跳过|header found on line {header + 1}; "
                     f"{header} line(s) above it skipped")
    columns = [str(c).strip() if pd.notna(c) else f"column{j + 1}" for j, c in enumerate(raw.iloc[header])]
    frame = raw.iloc[header + 1 :].copy()
    frame.columns = columns
    lines = frame.index.to_numpy() + 1  # read with header=None: index 0 is line 1
    keep = ~frame.isna().all(axis=1).to_numpy()
    frame = frame[keep].reset_index(drop=True)
    if frame.empty:
        raise _fail(path, f"表头（第 {header + 1} 行）之下没有数据行；如确实没有数据，请删除该文件",
                    f"no data row below the header (line {header + 1}); if there is truly none, remove the file")
    return frame, lines[keep], notes


# --- finding layers ------------------------------------------------------------------------
#: Most bytes a zip workspace may expand to (keyword default of :func:`extract`).
ZIP_MAX_BYTES = 8 << 30
#: Most a zip may expand over its own size, once it expands to more than :data:`ZIP_RATIO_FROM`.
ZIP_MAX_RATIO = 100
ZIP_RATIO_FROM = 64 << 20


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    # Chinese Windows zips store GBK names without the UTF-8 flag.
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gb18030")
    return name


def _safe_extract(
    zip_path: Path, into: Path, *, max_bytes: int = ZIP_MAX_BYTES, max_ratio: float = ZIP_MAX_RATIO,
) -> None:
    """Extract a zip, refusing entries outside ``into``, duplicate names and bombs.

    Raises
    ------
    LayerReadError
        When an entry would land outside ``into``, two entries have one name,
        or the zip would expand beyond ``max_bytes`` or ``max_ratio`` times
        its size (above :data:`ZIP_RATIO_FROM`).
    """
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as err:
        raise _fail(zip_path, "不是有效的 zip 文件", "not a valid zip file") from err
    with archive:
        root = into.resolve()
        infos = archive.infolist()
        seen: dict[str, int] = {}
        for info in infos:
            name = info.filename
            target = (into / name).resolve()
            if name.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:", name) or not target.is_relative_to(root):
                raise _fail(zip_path, f"压缩包内的条目 “{name}” 指向压缩包之外，已拒绝解压",
                            f"entry '{name}' points outside the archive; refused")
            if not info.is_dir():
                key = _member_name(info).replace("\\", "/").casefold()
                seen[key] = seen.get(key, 0) + 1
        twice = [k for k, n in seen.items() if n > 1]
        if twice:
            shown = "、".join(twice)
            raise _fail(zip_path, f"压缩包内有同名的多个条目：{shown}（各 {seen[twice[0]]} 个），无法确定使用哪一个；"
                        "请重新打包，每个文件只保留一份",
                        f"the archive holds several entries named {', '.join(twice)}; which one is meant cannot "
                        "be told: pack it again with one copy of each file")
        total = sum(i.file_size for i in infos)
        packed = max(zip_path.stat().st_size, 1)
        if total > max_bytes or (total > ZIP_RATIO_FROM and total > max_ratio * packed):
            raise _fail(zip_path, f"解压后将有 {total / 2**20:,.0f} MiB（压缩包 {packed / 2**20:,.1f} MiB，"
                        f"上限 {max_bytes / 2**20:,.0f} MiB、{max_ratio:g} 倍），已拒绝解压；请解压后以文件夹作为工作区",
                        f"would expand to {total / 2**20:,.0f} MiB (the zip is {packed / 2**20:,.1f} MiB; limits "
                        f"{max_bytes / 2**20:,.0f} MiB and {max_ratio:g} times); refused: unpack it and give "
                        "the folder")
        written = 0
        for info in infos:
            target = into / _member_name(info)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
                written += dst.tell()
            if written > max_bytes:  # sizes in the directory may lie
                raise _fail(zip_path, f"解压超过上限 {max_bytes / 2**20:,.0f} MiB，已停止",
                            f"expanded beyond the limit of {max_bytes / 2**20:,.0f} MiB; stopped")


class TempFolder:
    """A temporary folder removed by :meth:`cleanup`, or when the object is collected.

    Unlike :class:`tempfile.TemporaryDirectory` it says nothing when removed
    implicitly: a workspace holding it is simply dropped.
    """

    def __init__(self, prefix: str = "landuse-") -> None:
        self.name = tempfile.mkdtemp(prefix=prefix)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.name, True)

    def cleanup(self) -> None:
        """Remove the folder now."""
        self._finalizer()


def extract(path: str | os.PathLike, **limits: float) -> tuple[Path, TempFolder | None]:
    """Return a local folder or file for ``path``, extracting a zip into a temporary folder.

    The second value owns the temporary folder (None when nothing was
    extracted): the folder lives as long as it does, so keep it as long as
    the files are needed (a :class:`~landuse.model.workspace.Workspace` keeps it).
    ``limits`` are passed to the extraction (``max_bytes``, ``max_ratio``).
    """
    path = Path(path)
    if not (path.is_file() and path.suffix.lower() == ".zip"):
        return path, None
    keeper = TempFolder()
    tmp = Path(keeper.name)
    try:
        _safe_extract(path, tmp, **limits)  # type: ignore[arg-type]
    except BaseException:
        keeper.cleanup()
        raise
    entries = [p for p in tmp.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    # A zip of one folder is that folder.
    if len(entries) == 1 and entries[0].is_dir() and entries[0].suffix.lower() != ".gdb":
        return entries[0], keeper
    return tmp, keeper


@contextlib.contextmanager
def opened(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a local folder or file for ``path``, extracting a zip first (removed on exit)."""
    root, keeper = extract(path)
    try:
        yield root
    finally:
        if keeper is not None:
            keeper.cleanup()


@dataclass
class Sources:
    """What :func:`discover` found: where each layer is, and what it ignored."""

    layers: dict[str, list[tuple[Path, str | None]]]
    landcover: Path | None
    ignored: list[Path]
    #: Containers (GeoPackage, FileGDB) in a folder that could not be opened.
    unreadable: list[tuple[Path, LayerReadError]] = field(default_factory=list)


def discover(root: Path) -> Sources:
    """Find the workspace's layers in a folder or a single GeoPackage.

    A layer is found by its file stem or layer name, English or Chinese
    (see :data:`landuse.model.schema.LAYERS`); several sources for one layer are
    all returned, the caller decides.
    """
    found: dict[str, list[tuple[Path, str | None]]] = {}
    ignored: list[Path] = []
    unreadable: list[tuple[Path, LayerReadError]] = []
    landcover: Path | None = None
    rasters: list[Path] = []

    def add(name: str | None, path: Path, sublayer: str | None) -> bool:
        if name is None:
            return False
        found.setdefault(name, []).append((path, sublayer))
        return True

    def container(path: Path) -> None:
        if path.is_file() and path.stat().st_size == 0:
            raise _fail(path, "文件为空（0 字节）", "the file is empty (0 bytes)")
        try:
            names = [str(n) for n, _ in pyogrio.list_layers(path)]
        except Exception as err:
            raise _fail(path, f"无法列出图层（{_reason(err)}）", f"cannot list layers ({_reason(err)})") from err
        hits = [n for n in names if add(layer_for_name(n), path, n)]
        if not hits:
            if len(names) == 1 and add(layer_for_name(path.stem), path, names[0]):
                return
            ignored.append(path)

    if root.is_file() or root.suffix.lower() == ".gdb":
        if root.suffix.lower() in RASTER_SUFFIXES:
            raise _fail(root, "工作区应为文件夹、GeoPackage 或 zip，而不是栅格",
                        "a workspace is a folder, a GeoPackage or a zip, not a raster")
        container(root)
        return Sources(found, None, ignored)
    if not root.exists():
        raise _fail(root, "路径不存在", "no such file or folder")
    files = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    stems_with_shp = {p.with_suffix("").name for p in files if p.suffix.lower() == ".shp"}
    for path in files:
        suffix = path.suffix.lower()
        if suffix in {".gpkg", ".gdb"}:
            # One bad GeoPackage in a folder is a problem of its layer, not of the workspace.
            try:
                container(path)
            except LayerReadError as err:
                unreadable.append((path, err))
        elif suffix in VECTOR_SUFFIXES or suffix in TABLE_SUFFIXES:
            if suffix == ".dbf" and path.with_suffix("").name in stems_with_shp:
                continue
            if suffix in {".json"} and path.stem.endswith((".qmd",)):
                continue
            if not add(layer_for_name(path.stem), path, None):
                ignored.append(path)
        elif suffix in RASTER_SUFFIXES:
            rasters.append(path)
        elif suffix in _SHAPEFILE_SIDECARS or path.is_dir() or suffix in {".md", ".txt", ".qml", ".aux"} or suffix == ".xml" or path.name.lower().endswith(".aux.xml"):
            continue
        else:
            ignored.append(path)
    named = [p for p in rasters if _key(p.stem) in {_key(n) for n in LANDCOVER_NAMES}]
    if named:
        landcover = named[0]
    elif len(rasters) == 1:
        landcover = rasters[0]
    ignored.extend(p for p in rasters if p != landcover)
    return Sources(found, landcover, ignored, unreadable)


def read_layer(layer: str, path: Path, sublayer: str | None, root: Path, *, encoding: str | None = None) -> RawLayer:
    """Read one discovered layer source into a :class:`RawLayer`.

    ``encoding`` forces the text encoding of CSV files and .dbf tables.
    """
    shown = str(path.relative_to(root)) if path.is_relative_to(root) and path != root else path.name
    if sublayer is not None and path.suffix.lower() in {".gpkg", ".gdb"}:
        shown = f"{shown}:{sublayer}"
    suffix = path.suffix.lower()
    promised = None
    if suffix in TABLE_SUFFIXES:
        frame, rows, notes = read_table(path, layer, encoding=encoding)
    else:
        frame, notes = read_vector(path, sublayer, encoding=encoding)
        rows = np.arange(1, len(frame) + 1)
        if len(frame) == 0:
            raise _fail(path, "图层没有要素（0 行）；如确实没有数据，请删除该文件",
                        "the layer has no feature (0 rows); if there is truly none, remove the file")
    if suffix in {".shp", ".dbf"}:
        promised, broken = _dbf_promise(path, len(frame))
        notes.extend(broken)
    elif suffix in {".gpkg", ".fgb"}:  # they keep a feature count; counting others reads them twice
        with contextlib.suppress(Exception):
            promised = int(pyogrio.read_info(path, layer=sublayer)["features"])
        if promised is not None and promised >= 0 and promised != len(frame):
            notes.append(f"文件已损坏：{shown} 记录的要素数为 {promised}，实际读出 {len(frame)} 行"
                         f"|damaged file: {shown} records {promised} features; {len(frame)} rows read")
        elif promised is not None and promised < 0:
            promised = None
    problems = []
    for note in notes:
        zh, _, en = note.partition("|")
        severity = "error" if "损坏" in zh else "warning"
        problems.append(Problem(layer, None, None, severity, f"{shown}：{zh}", f"{shown}: {en}", None, shown))
    if suffix == ".dbf" and LAYERS[layer].geometry == "either":
        problems.append(Problem(layer, None, None, "warning", f"{shown}：找不到 .shp，仅读取属性表",
                                f"{shown}: no .shp beside it; attributes only", None, shown))
    return RawLayer(layer, frame, shown, np.asarray(rows), problems, promised)


def open_landcover(path: str | os.PathLike) -> LandCover:
    """Describe a land-cover raster without reading its pixels.

    Raises
    ------
    LayerReadError
        When the file is not a raster GDAL can read.
    """
    import rasterio

    try:
        with rasterio.open(path) as src:
            return LandCover(
                path=str(path),
                crs=src.crs.to_wkt() if src.crs else None,
                bounds=tuple(src.bounds),
                resolution=tuple(src.res),
                nodata=src.nodata,
                shape=(src.height, src.width),
            )
    except rasterio.errors.RasterioIOError as err:
        raise _fail(path, f"不是可读的栅格（{err}）", f"not a readable raster ({err})") from err


# --- writing -------------------------------------------------------------------------------
def write_error(err: OSError, target: str | os.PathLike) -> OutputWriteError:
    """The analyst's message for an OS error met writing ``target``: full, read-only, other."""
    if err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return OutputWriteError(
            f"磁盘空间不足，无法写出 {target}：请腾出空间或用 --out 换一个位置；原有的输出文件未改动",
            f"no space left to write {target}: free some space or choose another place with --out; "
            "the previous outputs are untouched")
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputWriteError(
            f"没有写入权限：{target}（只读文件或文件夹）：请用 --out 换一个可写的文件夹，或修改权限",
            f"cannot write {target}: it or its folder is read-only; choose a writable folder with --out "
            "or change the permissions")
    reason = err.strerror or str(err) or type(err).__name__
    return OutputWriteError(f"无法写出 {target}（{reason}）：请检查该位置或用 --out 换一个位置",
                            f"cannot write {target} ({reason}): check the place or choose another with --out")


def _exists_error(existing: list[Path]) -> OutputExistsError:
    if len(existing) == 1:
        return OutputExistsError(f"输出文件 {existing[0]} 已存在：如需覆盖请加 --overwrite",
                                 f"output {existing[0]} exists: pass --overwrite to replace it")
    names = [str(p) for p in existing]
    return OutputExistsError(f"输出文件已存在：{'、'.join(names)}；如需覆盖请加 --overwrite",
                             f"outputs exist: {', '.join(names)}; pass --overwrite to replace them")


def check_outputs(targets: Iterable[str | os.PathLike], *, overwrite: bool) -> None:
    """Refuse, before any computation, outputs that could not be written.

    Raises
    ------
    OutputExistsError
        When a target exists and ``overwrite`` is False.
    OutputWriteError
        When a target is a folder, read-only, or its folder cannot be made
        or written in.
    """
    paths = [Path(t) for t in targets]
    existing = [p for p in paths if p.exists() or p.is_symlink()]
    if existing and not overwrite:
        raise _exists_error(existing)
    for path in paths:
        if path.is_dir():
            raise OutputWriteError(f"输出 {path} 是一个文件夹，不能写成文件：请换一个文件名",
                                   f"output {path} is a folder, not a file: choose another name")
        if path.exists() and not os.access(path, os.W_OK):
            raise write_error(OSError(errno.EACCES, "read-only"), path)
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise OutputWriteError(f"无法写出 {path}：{folder} 不是文件夹",
                                   f"cannot write {path}: {folder} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise write_error(OSError(errno.EACCES, "read-only"), folder)


@contextlib.contextmanager
def output_set(folder: str | os.PathLike, names: Iterable[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Write a set of outputs as a set: yield a staging folder, move its files into ``folder``.

    The block writes the files called ``names`` into the staging folder (a
    hidden ``.landuse-staging-<host>-<pid>-*`` folder inside ``folder``, so the
    final moves are renames on one disk). Only when the block has finished are
    they moved into place, each replacing its previous version; a failure
    while moving puts the previous versions back. A failed or killed run
    thus leaves the previous set whole, never a mixture of two runs; the
    staging folder a killed run left behind is removed by the next run on the
    same machine (its process is gone), never one of a run still going.

    Raises
    ------
    OutputExistsError
        When a file exists and ``overwrite`` is False (checked first).
    OutputWriteError
        When the folder cannot be made or written (read-only, full disk).
    """
    out = Path(folder)
    names = list(names)
    targets = [out / n for n in names]
    check_outputs(targets, overwrite=overwrite)
    made = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        _sweep_stages(out)
        stage = Path(tempfile.mkdtemp(prefix=f"{_STAGE_PREFIX}{_host()}-{os.getpid()}-", dir=out))
    except OSError as err:
        raise write_error(err, out) from err
    done = False
    try:
        try:
            yield stage
        except OSError as err:
            if isinstance(err, LanduseError):
                raise
            raise write_error(err, out) from err
        _commit(stage, out, names)
        done = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if made and not done:  # a folder this run made and filled with nothing
            with contextlib.suppress(OSError):
                out.rmdir()


_STAGE_PREFIX = ".landuse-staging-"


def _host() -> str:
    """This machine's name as a file name may hold it (no '-', which separates the parts)."""
    import socket

    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname()) or "host"


def _sweep_stages(out: Path) -> None:
    """Remove staging folders that runs killed on this machine left in ``out``.

    Only ``.landuse-staging-<this host>-<pid>-*`` folders whose process is gone:
    a folder of another machine (a shared drive) or of a run still going stays.
    """
    mine = f"{_STAGE_PREFIX}{_host()}-"
    with contextlib.suppress(OSError):
        for entry in out.iterdir():
            if not entry.name.startswith(mine) or not entry.is_dir():
                continue
            pid = entry.name[len(mine):].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would stop the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by another user
        return True
    return True


def _commit(stage: Path, out: Path, names: list[str]) -> None:
    """Move the staged files into ``out``; on failure put the previous ones back."""
    previous = stage / ".previous"
    moved: list[tuple[str, bool]] = []
    try:
        previous.mkdir()
        for name in names:
            staged = stage / name
            if not staged.exists():
                continue
            target = out / name
            had = target.exists()
            if had:
                os.replace(target, previous / name)
            moved.append((name, had))
            os.replace(staged, target)
    except OSError as err:
        for name, had in reversed(moved):
            with contextlib.suppress(OSError):
                if had:
                    os.replace(previous / name, out / name)
                else:
                    (out / name).unlink(missing_ok=True)
        raise write_error(err, out / (moved[-1][0] if moved else "")) from err


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place on success.

    A failure inside the block removes the temporary file and leaves any
    existing ``target`` untouched.

    Raises
    ------
    OutputExistsError
        When ``target`` exists and ``overwrite`` is False.
    OutputWriteError
        When the file cannot be written (read-only folder, full disk...).
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise _exists_error([target])
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
        os.close(fd)
    except OSError as err:
        raise write_error(err, target) from err
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); outputs are handed round, so use the umask.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    except OSError as err:
        if isinstance(err, LanduseError):
            raise
        raise write_error(err, target) from err
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_csv(frame: pd.DataFrame, target: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Write ``frame`` as CSV in UTF-8 with BOM (Excel opens it in Chinese), atomically.

    pyarrow's CSV writer writes the cells pandas' ``to_csv(index=False)``
    would: floats in their shortest exact form (``0.1``, ``1.0``, ``1e-05``),
    ``True``/``False``, days as ISO dates, NaN and None as empty cells, each
    text cell a spreadsheet would run prefixed by ``'`` (:func:`formula_safe`);
    ``\\n`` line ends. A slice of :data:`CSV_ROWS` rows at a time (bounded
    memory on a national ledger); text is quoted only in a slice where a cell
    holds a comma, a quote or a line end. A frame with values only pandas
    prints right (times of day, categories, mixed objects) is written by
    pandas, its text quoted.

    Raises
    ------
    OutputExistsError
        When ``target`` exists and ``overwrite`` is False.
    OutputWriteError
        When the file cannot be written (read-only folder, full disk...).
    """
    import csv

    with atomic_path(target, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as out:
            out.write("\ufeff".encode())  # the BOM: Excel reads UTF-8
            for piece in _arrow_csv(frame):
                if piece is None:
                    break
                out.write(piece)
            else:
                return Path(target)
        # Text quoted: Python 3.11's csv leaves a carriage return in a cell unquoted.
        formula_safe(frame).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n",
                                   quoting=csv.QUOTE_NONNUMERIC)
    return Path(target)


#: A text cell starting so would run as a formula in Excel (OWASP "CSV injection").
FORMULA_START = r"^[=+\-@\t\r]"
#: The characters of :data:`FORMULA_START`, for Arrow's plain prefix test.
FORMULA_CHARS = "=+-@\t\r"
#: ... unless it is a plain number ("-5", "+1.5e3").
PLAIN_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each text cell that a spreadsheet would run prefixed by ``'``.

    Cells starting with ``=``, ``+``, ``-`` (not a number), ``@``, tab or CR
    become text (OWASP); other cells and other columns are left alone.
    """
    out = None
    for k in range(frame.shape[1]):
        col = frame.iloc[:, k]
        if not (isinstance(col.dtype, pd.StringDtype) or pd.api.types.is_object_dtype(col.dtype)):
            continue
        text = col.where(col.map(lambda v: isinstance(v, str)), None).astype("string")
        risky = (text.str.contains(FORMULA_START, regex=True) & ~text.str.fullmatch(PLAIN_NUMBER)).fillna(False)
        if risky.any():
            out = frame.copy() if out is None else out
            out.iloc[:, k] = col.where(~risky, "'" + text)
    return frame if out is None else out


#: Rows turned into text at a time: bounds the memory of a national ledger.
CSV_ROWS = 200_000


def _arrow_csv(frame: pd.DataFrame) -> Iterator[object]:
    """The CSV after the BOM as Arrow buffers: header and first slice, then the other slices.

    None (then nothing more) when pandas must write the frame.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not frame.shape[1]:
        yield None
        return
    # One column: an empty cell would make an empty line, read back as no row at all.
    single = frame.shape[1] == 1
    names = [str(c) for c in frame.columns]
    for lo in range(0, max(len(frame), 1), CSV_ROWS):
        part = frame.iloc[lo:lo + CSV_ROWS]
        # Arrow's compute functions release the GIL: columns are turned to text side by side.
        columns = parallel_map(lambda k, part=part: _arrow_column(part.iloc[:, k]), list(range(part.shape[1])),
                               cost=part.size)
        if any(c is None for c in columns):
            yield None
            return
        if single:  # every cell quoted, the empty ones as ""
            columns = [pc.fill_null(columns[0].cast(pa.string()), "")]
        yield _arrow_csv_text(pa.Table.from_arrays(columns, names=names), header=lo == 0, quote=single)


def _arrow_csv_text(table: object, *, header: bool, quote: bool = False) -> object:
    """``table`` as CSV text by pyarrow: unquoted, or text quoted if a cell needs it or ``quote``."""
    import pyarrow as pa
    import pyarrow.csv

    for style in ("needed",) if quote else ("none", "needed"):
        sink = pa.BufferOutputStream()
        options = pyarrow.csv.WriteOptions(include_header=header, quoting_style=style, quoting_header=style)
        try:
            pyarrow.csv.write_csv(table, sink, options)
        except pa.ArrowInvalid:  # "none" refuses a comma, quote or line end in a cell
            continue
        return sink.getvalue()
    raise AssertionError("unreachable: quoting 'needed' writes any text")


def _arrow_column(values: pd.Series) -> object:
    """One column as an Arrow array whose CSV text is what pandas writes; None if unsure."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        flags = pa.array(values.to_numpy(dtype="object", na_value=None), type=pa.bool_())
        return pc.if_else(flags, "True", "False")  # Arrow would write true/false
    if pd.api.types.is_integer_dtype(dtype):
        return pa.array(values.to_numpy(dtype="object", na_value=None) if values.hasnans else values.to_numpy())
    if pd.api.types.is_float_dtype(dtype):
        if getattr(dtype, "numpy_dtype", dtype) != np.float64:
            return None  # float32 and such: pandas prints their own shortest repr
        # pandas prints floats with numpy's shortest repr (1.0, 0.1, 1e-05). Arrow's cast
        # prints the same digits between 1e-4 and 1e10 (checked on every decade), but whole
        # numbers without their ".0"; outside that range numpy prints the few values.
        floats = values.to_numpy(dtype="float64", na_value=np.nan)
        text = pc.cast(pa.array(floats, from_pandas=True), pa.string())
        with np.errstate(invalid="ignore"):
            size = np.abs(floats)
            same = ((size >= 1e-4) & (size < 1e10)) | (floats == 0)
            whole = same & (floats == np.trunc(floats))
            other = ~same & ~np.isnan(floats)
        if whole.any():
            text = pc.replace_with_mask(text, pa.array(whole),
                                        pc.binary_join_element_wise(text.filter(whole), ".0", ""))
        if other.any():
            text = pc.replace_with_mask(text, pa.array(other), pa.array(floats[other].astype(str)))
        return text
    if pd.api.types.is_datetime64_any_dtype(dtype) and getattr(dtype, "tz", None) is None:
        stamps = values.to_numpy()
        ok = ~np.isnat(stamps)
        if (stamps[ok] != stamps[ok].astype("datetime64[D]")).any():
            return None  # times of day: pandas' own format
        return pa.array(stamps.astype("datetime64[D]"))  # Arrow writes an ISO day, NaT empty
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        try:
            if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
                text = pa.array(values.array)  # already Arrow: no Python strings made
            else:
                text = pa.array(values.to_numpy(dtype="object", na_value=None), type=pa.string(),
                                from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        text = text.cast(pa.string())
        # Plain prefix tests, not regular expressions: the same answers in a tenth of the time.
        risky = _any_of(pc.starts_with, text, FORMULA_CHARS)
        if pc.any(risky).as_py():  # text a spreadsheet would run: written as text (OWASP)
            risky = pc.and_(risky, pc.invert(pc.match_substring_regex(text, PLAIN_NUMBER)))
            text = pc.if_else(risky, pc.binary_join_element_wise("'", text, ""), text)
        return text
    return None


def _any_of(test: Callable[..., object], text: object, chars: str) -> object:
    """Arrow mask: ``test(text, c)`` for any character ``c`` of ``chars``."""
    import pyarrow.compute as pc

    masks = [test(text, c) for c in chars]
    out = masks[0]
    for mask in masks[1:]:
        out = pc.or_(out, mask)
    return out


def write_text(text: str, target: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Write UTF-8 text to ``target`` atomically."""
    with atomic_path(target, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


@contextlib.contextmanager
def landcover_dataset(landcover: LandCover) -> Iterator[object]:
    """Open the land-cover raster for reading pixels (a rasterio dataset).

    Raises
    ------
    LayerReadError
        When the file has gone or is unreadable.
    """
    import rasterio

    try:
        src = rasterio.open(landcover.path)
    except rasterio.errors.RasterioIOError as err:
        raise _fail(landcover.path, f"不是可读的栅格（{err}）", f"not a readable raster ({err})") from err
    with src:
        yield src


def write_bytes(data: bytes, target: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Write ``data`` (a PNG, an XLSX workbook...) to ``target`` atomically."""
    with atomic_path(target, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(target)


_LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""


_DATA_COLUMNS_DDL = (
    """CREATE TABLE IF NOT EXISTS gpkg_data_columns (
    table_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    name TEXT,
    title TEXT,
    description TEXT,
    mime_type TEXT,
    constraint_name TEXT,
    CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
    CONSTRAINT gdc_tn UNIQUE (table_name, name)
)""",
    """CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
    constraint_name TEXT NOT NULL,
    constraint_type TEXT NOT NULL,
    value TEXT,
    min NUMERIC,
    min_is_inclusive BOOLEAN,
    max NUMERIC,
    max_is_inclusive BOOLEAN,
    description TEXT,
    CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value)
)""",
    """CREATE TABLE IF NOT EXISTS gpkg_extensions (
    table_name TEXT,
    column_name TEXT,
    extension_name TEXT NOT NULL,
    definition TEXT NOT NULL,
    scope TEXT NOT NULL,
    CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
)""",
)
#: The GeoPackage version written: 1.2 opens without a version warning in GDAL 3.6 / QGIS 3.22.
GPKG_VERSION = "1.2"


def _describe_columns(con: object, columns: dict[str, dict[str, tuple[str, str]]],
                      codes: dict[str, dict[str, dict[str, str]]]) -> None:
    """Fill the schema extension: each column's title and description, the codes' names."""
    schema = "http://www.geopackage.org/spec/#extension_schema"
    for stmt in _DATA_COLUMNS_DDL:
        con.execute(stmt)  # type: ignore[attr-defined]
    con.executemany(  # type: ignore[attr-defined]
        "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')",
        [("gpkg_data_columns", schema), ("gpkg_data_column_constraints", schema)],
    )
    constraints: dict[tuple[tuple[str, str], ...], str] = {}
    rows = []
    for table, titles in columns.items():
        taken: set[str] = set()
        for column, (title, description) in titles.items():
            name = title if title not in taken else f"{title}（{column}）"
            taken.add(name)
            values = codes.get(table, {}).get(column)
            constraint = None
            if values:
                key = tuple(sorted(values.items()))
                constraint = constraints.setdefault(key, f"{table}_{column}")
            rows.append((table, column, name, title, description, None, constraint))
    con.executemany(  # type: ignore[attr-defined]
        "INSERT OR REPLACE INTO gpkg_data_columns VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    con.executemany(  # type: ignore[attr-defined]
        "INSERT OR REPLACE INTO gpkg_data_column_constraints "
        "(constraint_name, constraint_type, value, description) VALUES (?, 'enum', ?, ?)",
        [(name, value, label) for key, name in constraints.items() for value, label in key],
    )


def write_gpkg(
    layers: dict[str, gpd.GeoDataFrame],
    target: str | os.PathLike,
    styles: dict[str, str] | None = None,
    *,
    sld: dict[str, str] | None = None,
    overwrite: bool = True,
    columns: dict[str, dict[str, tuple[str, str]]] | None = None,
    codes: dict[str, dict[str, dict[str, str]]] | None = None,
) -> Path:
    """Write layers into one GeoPackage 1.2 with QGIS styles and column titles, atomically.

    Each layer is written through pyogrio (Arrow; Arrow dates become DATE
    columns); each style is stored in the standard QGIS ``layer_styles`` table
    as the layer's default, so QGIS opens the layer with those colours and that
    legend. Column titles and descriptions go into ``gpkg_data_columns`` (the
    schema extension: GDAL reads the title as the field's alternative name,
    which QGIS shows as its alias) and coded values into
    ``gpkg_data_column_constraints`` as ``enum`` constraints (a coded-value domain).

    Parameters
    ----------
    layers : dict of str to geopandas.GeoDataFrame
        Layer name → features (a missing geometry is written as NULL).
    target : path
        The ``.gpkg`` file.
    styles : dict of str to str, optional
        Layer name → QGIS style (QML text).
    sld : dict of str to str, optional
        Layer name → the same style as OGC SLD, for other GIS.
    overwrite : bool, default True
        Replace an existing ``target``.
    columns : dict, optional
        Layer name → column → (title, description).
    codes : dict, optional
        Layer name → column → code → its name (the column's allowed values).

    Returns
    -------
    pathlib.Path
    """
    import sqlite3

    styles = styles or {}
    sld = sld or {}
    with atomic_path(target, overwrite=overwrite) as tmp:
        tmp.unlink()  # GDAL creates the GeoPackage itself; an empty file is not one
        for name, frame in layers.items():
            # promote_to_multi: a layer of mixed Polygon / MultiPolygon is one MultiPolygon layer.
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", use_arrow=True,
                                    promote_to_multi=True,
                                    dataset_options={"VERSION": GPKG_VERSION})
        if styles or columns:
            con = sqlite3.connect(tmp)
            try:
                with con:
                    if columns:
                        _describe_columns(con, columns, codes or {})
                    if styles:
                        _write_styles(con, styles, sld)
            finally:
                con.close()
    return Path(target)


def file_digest(path: str | os.PathLike, *, chars: int = 12) -> str | None:
    """The first ``chars`` hex digits of a file's SHA-256, or None when it cannot be read.

    A shapefile's digest covers its ``.shp``, ``.shx``, ``.dbf``, ``.prj`` and ``.cpg``
    together, so that a changed attribute table changes it too. The report prints it
    beside each layer's file name, so a reader can tell which delivery was assessed.
    """
    import hashlib

    p = Path(path)
    parts = [p.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj", ".cpg")] \
        if p.suffix.lower() == ".shp" else [p]
    digest = hashlib.sha256()
    try:
        found = False
        for part in parts:
            if part.is_file():
                found = True
                with part.open("rb") as fh:
                    for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                        digest.update(block)
        return digest.hexdigest()[:chars] if found else None
    except OSError:
        return None


def _write_styles(con: object, styles: dict[str, str], sld: dict[str, str]) -> None:
    """Store QGIS styles in the ``layer_styles`` table, each its layer's default."""
    geometry_columns = dict(con.execute(  # type: ignore[attr-defined]
        "SELECT table_name, column_name FROM gpkg_geometry_columns"))
    con.execute(_LAYER_STYLES_DDL)  # type: ignore[attr-defined]
    # Register the table as GDAL and QGIS do, so GeoPackage validators accept it.
    con.execute(  # type: ignore[attr-defined]
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
        "description, last_change) VALUES ('layer_styles', 'attributes', "
        "'layer_styles', 'QGIS layer styles', "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))")
    con.executemany(  # type: ignore[attr-defined]
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
        "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
        "description, owner, ui) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', NULL)",
        [(name, geometry_columns.get(name, "geom"), name, qml, sld.get(name, ""),
          f"landuse: {name}") for name, qml in styles.items()],
    )
