"""Reading an uploaded table (CSV or .xlsx) into an all-string DataFrame.

Every cell comes back as a string, so nothing is guessed before cleaning: the cleaning
steps decide what a value means and reject what they cannot use.
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = (
    "factory_id",
    "sector",
    "month",
    "monthly_production_tons",
    "energy_used_mwh",
    "energy_source_type",
    "raw_material_weight_tons",
)
OPTIONAL_COLUMNS = ("factory_name", "country", "latitude", "longitude")
LINE_NUMBER = "line_number"
MAX_XLSX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_XLSX_COMPRESSION_RATIO = 200

_HEADER_SPACES = re.compile(r"\s+")
_UTF8_BOM = b"\xef\xbb\xbf"
_SCAN_BLOCK_BYTES = 4 * 1024 * 1024
_PARSE_BLOCK_BYTES = 8 * 1024 * 1024


def _return_freed_memory_at_once() -> None:
    """Make pyarrow give freed buffers back to the operating system straight away.

    Its default allocator keeps freed pages for reuse. Reading and cleaning a
    million-row upload frees a few hundred MB of parsed text and temporary columns in
    turn, and a worker that kept them all would need twice the memory the data does.
    """
    try:
        import pyarrow as pa

        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except (ImportError, NotImplementedError):  # pragma: no cover - a build without jemalloc
        return
    pa.set_memory_pool(pool)


_return_freed_memory_at_once()


class InputFileError(Exception):
    """The whole file is unusable; ``message`` says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalise_header(name: object) -> str:
    """``" Monthly Production Tons "`` -> ``"monthly_production_tons"``."""
    text = "" if name is None else str(name)
    return _HEADER_SPACES.sub("_", text.strip().lstrip("\ufeff").strip().lower())


def check_columns(columns: list[str]) -> None:
    """Raise ``InputFileError`` for duplicated or missing columns."""
    seen: set[str] = set()
    duplicated = sorted({c for c in columns if c and (c in seen or seen.add(c))})
    if duplicated:
        raise InputFileError(
            f"The header repeats the column(s) {', '.join(duplicated)}; each column must "
            "appear once."
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputFileError(
            f"The file is missing the required column(s) {', '.join(missing)}. "
            f"Required: {', '.join(REQUIRED_COLUMNS)}."
        )


def read_table(path: str | os.PathLike[str], *, filename: str | None = None) -> pd.DataFrame:
    """Read ``path`` (.csv or .xlsx, judged by ``filename`` or the path) as strings.

    Headers are normalised (trimmed, lower case, spaces -> underscores) and a
    ``line_number`` column gives each row's line in the file (header = line 1; for
    .xlsx the sheet row). Completely blank lines are not data rows and are skipped;
    their count is in ``frame.attrs["blank_lines_skipped"]``.
    Raises ``InputFileError`` when the file cannot be used at all.
    """
    name = filename or os.fspath(path)
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        frame = _read_xlsx(Path(path))
    elif suffix in (".csv", ".txt", ""):
        frame = _read_csv(Path(path))
    else:
        raise InputFileError(
            f"{Path(name).name} is not a CSV or .xlsx file; upload monthly production data "
            "as .csv (UTF-8) or .xlsx."
        )
    return _finish(frame)


def _read_csv(path: Path) -> pd.DataFrame:
    scan = _scan_csv(path)
    if scan.size == 0 or scan.only_space:
        raise InputFileError("The file is empty; it needs a header row and at least one data row.")
    head = scan.head
    if head[:2] == b"PK" or b"\x00" in head[:65536]:
        raise InputFileError(
            "The file looks binary, not a CSV text file. Save it as 'CSV UTF-8' or upload "
            "the .xlsx workbook with its .xlsx extension."
        )
    bom = len(_UTF8_BOM) if head.startswith(_UTF8_BOM) else 0
    end_of_header = head.find(b"\n", bom)
    header_line = head[bom:] if end_of_header < 0 else head[bom:end_of_header]
    try:
        first_line = header_line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc.start + bom) from None
    header = next(csv.reader([first_line]), [])
    columns = [normalise_header(h) for h in header]
    check_columns(columns)
    # pyarrow checks that every value is UTF-8; on any doubt the careful path below
    # decodes the whole file and names the offending byte.
    frame = None if scan.has_nul else _read_csv_arrow(path, bom, columns, scan.has_quote)
    if frame is None:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _not_utf8(exc.start) from None
        del data
        if "\x00" in text:
            raise InputFileError(
                "The file contains NUL bytes; it looks binary, not a CSV text file."
            )
        frame = _read_csv_pandas(text, columns)
    frame[LINE_NUMBER] = pd.RangeIndex(2, len(frame) + 2)
    return frame


@dataclass(frozen=True)
class _CsvScan:
    """What the readers must know about a CSV file before parsing it."""

    size: int
    head: bytes  # the first block, extended to hold the whole first line
    only_space: bool
    has_quote: bool
    has_nul: bool


def _scan_csv(path: Path) -> _CsvScan:
    """One pass over the file, a block at a time: the file is never whole in memory.

    The parser reads the file again by itself, so an upload's bytes and its parsed
    columns are never held at the same time.
    """
    with path.open("rb") as file:
        head = file.read(_SCAN_BLOCK_BYTES)
        while b"\n" not in head and (more := file.read(_SCAN_BLOCK_BYTES)):
            head += more
        size = len(head)
        only_space = head.isspace()
        has_quote = b'"' in head
        has_nul = b"\x00" in head
        while block := file.read(_SCAN_BLOCK_BYTES):
            size += len(block)
            only_space = only_space and block.isspace()
            has_quote = has_quote or b'"' in block
            has_nul = has_nul or b"\x00" in block
    return _CsvScan(size, head, only_space, has_quote, has_nul)


def _not_utf8(position: int) -> InputFileError:
    return InputFileError(
        f"The file is not UTF-8 text (undecodable byte at position {position}). Save it "
        "as 'CSV UTF-8' and upload it again."
    )


def _read_csv_arrow(
    path: Path, skip_bytes: int, columns: list[str], has_quote: bool
) -> pd.DataFrame | None:
    """The fast path for a well-formed file: pyarrow's multi-threaded parser, all strings.

    Records are counted exactly as the pandas C parser counts them (a quoted line break
    stays inside its value), so line numbers agree. Anything unusual (a blank line, a
    row shorter or longer than the header, a stray quote) returns None and the file is
    read again by the C parser, which owns the exact semantics and error messages.
    """
    try:
        import pyarrow as pa
        from pyarrow import csv as pa_csv
    except ImportError:  # pragma: no cover - pyarrow is a requirement
        return None
    names = [str(i) for i in range(len(columns))]
    try:
        with pa.OSFile(os.fspath(path)) as source:
            source.seek(skip_bytes)  # the byte order mark
            table = pa_csv.read_csv(
                source,
                read_options=pa_csv.ReadOptions(
                    skip_rows=1, column_names=names, block_size=_PARSE_BLOCK_BYTES
                ),
                # Without a quote character no value can hold a line break, and the
                # parser may then split the file into blocks and use every core.
                parse_options=pa_csv.ParseOptions(
                    newlines_in_values=has_quote, ignore_empty_lines=False
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types={name: pa.large_string() for name in names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    # The columns stay in the parser's blocks (about 8 MB of file each): cleaning
    # works block by block and never takes rows out of the raw text, so joining the
    # blocks would only copy the whole table once more.
    series = {
        name: pd.Series(table.column(i), dtype=pd.StringDtype("pyarrow", na_value=np.nan))
        for i, name in enumerate(columns)
    }
    return pd.DataFrame(series)


def _read_csv_pandas(text: str, columns: list[str]) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # pandas only warns when the first data row is longer than the header
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                header=None,
                skiprows=1,
                names=list(range(len(columns))),
                index_col=False,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
            )
    except pd.errors.ParserWarning:
        raise InputFileError(
            "Line 2 has more fields than the header; check for stray commas or a missing "
            "column name."
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        detail = str(exc).strip().replace("Error tokenizing data. C error: ", "")
        raise InputFileError(
            f"The CSV could not be parsed ({detail}); check for stray commas or unbalanced "
            "quotes on that line (line numbers count the header as line 1)."
        ) from None
    frame.columns = columns
    return frame


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise InputFileError(
            "The .xlsx file is corrupt or not an Excel workbook; open it in Excel and save "
            "it again, or upload a CSV."
        ) from None
    uncompressed = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos) or 1
    if (
        uncompressed > MAX_XLSX_UNCOMPRESSED_BYTES
        or uncompressed / compressed > MAX_XLSX_COMPRESSION_RATIO
    ):
        raise InputFileError(
            f"The .xlsx file unpacks to {uncompressed:,} bytes, more than the "
            f"{MAX_XLSX_UNCOMPRESSED_BYTES:,} allowed (or compressed suspiciously well); "
            "upload the data as CSV instead."
        )


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path) -> pd.DataFrame:
    _check_zip(path)
    import openpyxl  # only needed for workbooks

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputFileError(
            f"The .xlsx file could not be opened ({type(exc).__name__}); open it in Excel and "
            "save it again, or upload a CSV."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(min_row=1, values_only=True)
        try:
            header = next(rows)
        except StopIteration:
            raise InputFileError("The workbook's first sheet is empty.") from None
        columns = [normalise_header(h) for h in header]
        while columns and not columns[-1]:
            columns.pop()
        check_columns(columns)
        width = len(columns)
        records = []
        for row in rows:
            cells = [_xlsx_cell(v) for v in row[:width]]
            cells.extend([""] * (width - len(cells)))
            records.append(cells)
    finally:
        workbook.close()
    frame = pd.DataFrame(records, columns=columns, dtype=str)
    frame[LINE_NUMBER] = pd.RangeIndex(2, len(frame) + 2)
    return frame


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    data_columns = [c for c in frame.columns if c != LINE_NUMBER]
    if data_columns:
        for name in data_columns:  # fillna copies a column; only where it has gaps
            if frame[name].hasnans:
                frame[name] = frame[name].fillna("")
        blank = frame[data_columns[0]] == ""
        for name in data_columns[1:]:
            if not blank.any():  # almost always after the first column: stop looking
                break
            blank &= frame[name] == ""
    else:
        blank = pd.Series(False, index=frame.index)
    skipped = int(blank.sum())
    if skipped:
        frame = frame.loc[~blank]
    if frame.empty:
        raise InputFileError(
            "The file has a header but no data rows; add one row per factory and month."
        )
    frame = frame.reset_index(drop=True)
    frame.attrs["blank_lines_skipped"] = skipped
    return frame
