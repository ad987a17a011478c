"""Reading and writing: the only module that touches files.

Vector layers are read through pyogrio with Arrow (Shapefile in GBK or
UTF-8, GeoPackage, GeoJSON, FlatGeobuf, FileGDB); ledgers through pandas
(CSV in UTF-8, UTF-8 with BOM or GBK; XLSX with the header on any of the
first rows). A damaged vector file is salvaged record by record through
fiona, which reads what it can where pyogrio stops at the first bad byte.
Every output is written to a temporary file beside its target and moved
into place, so a failure never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from landuse._arrays import parallel_map
from landuse._errors import LayerReadError, OutputExistsError
from landuse.schema import LAYERS, Problem, _key, layer_for_name, rename_columns

__all__ = [
    "LandCover",
    "RawLayer",
    "atomic_path",
    "csv_bytes",
    "discover",
    "open_landcover",
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
    """

    layer: str
    frame: pd.DataFrame
    source: str
    rows: np.ndarray
    problems: list[Problem] = field(default_factory=list)


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


def _guess_dbf_encoding(dbf: Path) -> str | None:
    """Guess a .dbf's text encoding when no .cpg names it: UTF-8, else GBK."""
    with open(dbf, "rb") as f:
        head = f.read(32)
        if len(head) < 32:
            return None
        header_len = int.from_bytes(head[8:10], "little")
        f.seek(0)
        sample = f.read(header_len + 2_000_000)
    if all(b < 0x80 for b in sample):
        return None
    # Field names hold 10 bytes: a UTF-8 writer may cut a Chinese name mid-character,
    # so each name is tested on its own, a cut at its end allowed.
    descriptors = sample[32:header_len]
    names = [descriptors[i:i + 11].split(b"\0")[0] for i in range(0, len(descriptors) - 1, 32)]
    if all(_utf8(n) for n in names) and _utf8(sample[header_len:]):
        return "UTF-8"
    return "GB18030"


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


def _shapefile_encoding(path: Path) -> tuple[str | None, str | None]:
    """Return (encoding, how it was decided) for a shapefile or lone .dbf."""
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg = next((p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() == ".cpg"), cpg)
    if cpg.exists():
        text = cpg.read_text(encoding="ascii", errors="ignore").strip().upper()
        if text in {"GBK", "GB2312", "CP936", "936", "GB18030"}:
            return "GB18030", "cpg"
        if text.replace("-", "") in {"UTF8", "65001"}:
            return "UTF-8", "cpg"
        return text or None, "cpg"
    dbf = path.with_suffix(".dbf")
    if not dbf.exists():
        dbf = next((p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() == ".dbf"), dbf)
    return (_guess_dbf_encoding(dbf) if dbf.exists() else None), "guess"


def read_vector(path: str | os.PathLike, layer: str | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read one vector layer through pyogrio with Arrow.

    Parameters
    ----------
    path : path-like
        A Shapefile, GeoPackage, GeoJSON, FlatGeobuf or FileGDB.
    layer : str, optional
        The layer inside a multi-layer source.

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
    encoding = None
    if path.suffix.lower() == ".shp":
        cut = _shp_cut_short(path)
        if cut:
            notes.append(cut)
    if path.suffix.lower() in {".shp", ".dbf"}:
        encoding, how = _shapefile_encoding(path)
        if how == "guess" and encoding:
            notes.append(f"没有 .cpg 文件，按内容判断编码为 {encoding}|no .cpg file; encoding guessed as {encoding}")
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


_HEADER_SCAN_ROWS = 15


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


def read_table(path: str | os.PathLike, layer: str | None = None) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Read a CSV or Excel ledger, finding its header row.

    CSV files may be UTF-8 (with or without BOM) or GBK. In Excel
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
            encoding, _ = _shapefile_encoding(path)
            raw = pyogrio.read_dataframe(path, read_geometry=False, encoding=encoding)
            return pd.DataFrame(raw), np.arange(1, len(raw) + 1), notes
        else:
            raw = None
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    raw = pd.read_csv(path, header=None, dtype=str, encoding=enc, keep_default_na=False,
                                      skip_blank_lines=False)
                    break
                except UnicodeDecodeError:
                    continue
            if raw is None:
                raise _fail(path, "文本编码无法识别（应为 UTF-8 或 GBK）", "unknown text encoding (use UTF-8 or GBK)")
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
    return frame, lines[keep], notes


# --- finding layers ------------------------------------------------------------------------
def _safe_extract(zip_path: Path, into: Path) -> None:
    """Extract a zip, refusing any entry that would land outside ``into``."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as err:
        raise _fail(zip_path, "不是有效的 zip 文件", "not a valid zip file") from err
    with archive:
        root = into.resolve()
        for info in archive.infolist():
            name = info.filename
            target = (into / name).resolve()
            if name.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:", name) or not target.is_relative_to(root):
                raise _fail(zip_path, f"压缩包内的条目 “{name}” 指向压缩包之外，已拒绝解压",
                            f"entry '{name}' points outside the archive; refused")
        for info in archive.infolist():
            name = info.filename
            # Chinese Windows zips store GBK names without the UTF-8 flag.
            if not info.flag_bits & 0x800:
                with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                    name = name.encode("cp437").decode("gb18030")
            target = into / name
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)


@contextlib.contextmanager
def opened(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a local folder or file for ``path``, extracting a zip first."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="landuse-") as tmp:
            _safe_extract(path, Path(tmp))
            entries = [p for p in Path(tmp).iterdir() if not p.name.startswith(("__MACOSX", "."))]
            # A zip of one folder is that folder.
            if len(entries) == 1 and entries[0].is_dir() and entries[0].suffix.lower() != ".gdb":
                yield entries[0]
            else:
                yield Path(tmp)
    else:
        yield path


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
    (see :data:`landuse.schema.LAYERS`); several sources for one layer are
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


def read_layer(layer: str, path: Path, sublayer: str | None, root: Path) -> RawLayer:
    """Read one discovered layer source into a :class:`RawLayer`."""
    shown = str(path.relative_to(root)) if path.is_relative_to(root) and path != root else path.name
    if sublayer is not None and path.suffix.lower() in {".gpkg", ".gdb"}:
        shown = f"{shown}:{sublayer}"
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        frame, rows, notes = read_table(path, layer)
    else:
        frame, notes = read_vector(path, sublayer)
        rows = np.arange(1, len(frame) + 1)
    problems = []
    for note in notes:
        zh, _, en = note.partition("|")
        severity = "error" if "损坏" in zh else "warning"
        problems.append(Problem(layer, None, None, severity, f"{shown}：{zh}", f"{shown}: {en}", None, shown))
    if suffix == ".dbf" and LAYERS[layer].geometry == "either":
        problems.append(Problem(layer, None, None, "warning", f"{shown}：找不到 .shp，仅读取属性表",
                                f"{shown}: no .shp beside it; attributes only", None, shown))
    return RawLayer(layer, frame, shown, np.asarray(rows), problems)


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
@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place on success.

    A failure inside the block removes the temporary file and leaves any
    existing ``target`` untouched.

    Raises
    ------
    OutputExistsError
        When ``target`` exists and ``overwrite`` is False.
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise OutputExistsError(f"输出文件 {target} 已存在：如需覆盖请加 --overwrite",
                                f"output {target} exists: pass --overwrite to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); outputs are handed round, so use the umask.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_csv(frame: pd.DataFrame, target: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Write ``frame`` as CSV in UTF-8 with BOM (Excel opens it in Chinese), atomically.

    The text is what ``frame.to_csv(index=False)`` writes (minimal quoting,
    ``\\n`` line ends, NaN as empty), built column by column in Arrow and
    written a slice of rows at a time: several times faster than pandas'
    writer on a 100 000-row ledger, in bounded memory on millions.
    """
    with atomic_path(target, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as out:
            for piece in _csv_pieces(frame):
                if piece is None:  # a value only pandas prints right: let pandas write it all
                    out.seek(0)
                    out.truncate()
                    break
                out.write(piece)
            else:
                return Path(target)
        frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
    return Path(target)


def csv_bytes(frame: pd.DataFrame) -> bytes | None:
    """Return ``frame`` as the bytes ``to_csv(index=False, encoding="utf-8-sig")`` writes.

    None when a column holds values only pandas knows how to print (times of
    day, categories, mixed objects...).
    """
    pieces = []
    for piece in _csv_pieces(frame):
        if piece is None:
            return None
        pieces.append(bytes(piece))
    return b"".join(pieces)


#: Rows turned into text at a time: bounds the memory of a national ledger.
CSV_ROWS = 200_000


def _csv_pieces(frame: pd.DataFrame) -> Iterator[bytes | memoryview | None]:
    """The CSV's bytes, header first, then :data:`CSV_ROWS` rows at a time; None: use pandas."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if frame.shape[1] < 2 or not frame.columns.is_unique:
        yield None  # pandas quotes an empty single field; keep its rules there
        return
    yield ("\ufeff" + ",".join(_csv_quote_one(str(c)) for c in frame.columns) + "\n").encode("utf-8")
    rows = CSV_ROWS
    for lo in range(0, len(frame), rows):
        part = frame.iloc[lo:lo + rows]
        # Arrow's compute functions release the GIL: columns are turned to text side by side.
        columns = parallel_map(lambda k, part=part: _csv_column(part.iloc[:, k]), list(range(part.shape[1])),
                               cost=part.size)
        if any(c is None for c in columns):
            yield None
            return
        lines = pc.binary_join_element_wise(*columns, ",")
        lines = pc.binary_join_element_wise(lines, pa.scalar("\n"), "")
        lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
        width = np.int32 if lines.type == pa.string() else np.int64
        offsets = np.frombuffer(lines.buffers()[1], dtype=width)
        begin, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
        yield memoryview(lines.buffers()[2])[begin:end]


def _csv_quote_one(text: str) -> str:
    if any(ch in text for ch in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_column(values: pd.Series) -> object:
    """One column as an Arrow string array without nulls, quoted as pandas would; None if unsure."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        flags = pa.array(values.to_numpy(dtype="object", na_value=None), type=pa.bool_())
        return pc.fill_null(pc.if_else(flags, "True", "False"), "")
    if pd.api.types.is_integer_dtype(dtype):
        ints = pa.array(values.to_numpy(dtype="object", na_value=None) if values.hasnans else values.to_numpy())
        return pc.fill_null(pc.cast(ints, pa.string()), "")
    if pd.api.types.is_float_dtype(dtype):
        # pandas prints floats with numpy's shortest repr (1.0, 0.1, 1e-05). Arrow's cast
        # prints the same digits, without the ".0" of whole numbers, between 1e-4 and 1e10
        # (checked on every decade); outside that numpy prints the few values.
        floats = values.to_numpy(dtype="float64", na_value=np.nan)
        text = pc.cast(pa.array(floats, from_pandas=True), pa.string())
        whole = pc.invert(pc.match_substring_regex(text, "[.e]"))
        text = pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
        with np.errstate(invalid="ignore"):
            size = np.abs(floats)
            other = ~((size >= 1e-4) & (size < 1e10)) & (floats != 0) & ~np.isnan(floats)
        if other.any():
            text = pc.replace_with_mask(text, pa.array(other), pa.array(floats[other].astype(str)))
        return pc.fill_null(text, "")
    if pd.api.types.is_datetime64_any_dtype(dtype) and getattr(dtype, "tz", None) is None:
        stamps = values.to_numpy()
        ok = ~np.isnat(stamps)
        if (stamps[ok] != stamps[ok].astype("datetime64[D]")).any():
            return None  # times of day: pandas' own format
        return pc.fill_null(pa.array(stamps.astype("datetime64[D]")).cast(pa.string()), "")  # NaT: ""
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
        text = pc.fill_null(text, "")
        special = pc.match_substring_regex(text, '[,"\n]')  # as Python's csv, lineterminator \n
        if pc.any(special).as_py():
            quoted = pc.binary_join_element_wise(
                '"', pc.replace_substring(text, '"', '""'), '"', "")
            text = pc.if_else(special, quoted, text)
        return text
    return None


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
