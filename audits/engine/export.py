"""CSV exports, safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return could be
run as a formula, so it is prefixed with an apostrophe and shown as text. Numbers (and
text that is exactly a plain number, such as ``-12.5``) are left as numbers.

The files are written by pyarrow's CSV writer, which formats a million rows about ten
times faster than the csv module or ``DataFrame.to_csv``: text values are quoted, and
floats take their shortest round-trip form (``495`` for 495.0, ``1e+10`` from ten
billion up); every cell parses back to the same value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

if TYPE_CHECKING:
    from .cleaning import CleaningResult
    from .summary import AuditOutcome

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TRIGGER_BYTES = pa.array([trigger.encode() for trigger in FORMULA_TRIGGERS], type=pa.binary())
# _PLAIN_NUMBER for pyarrow's RE2: Python's \d is any Unicode decimal digit and its $
# also matches before a final newline; RE2's are ASCII-only and the very end.
_PLAIN_NUMBER_RE2 = r"^[+-]?(\p{Nd}+(\.\p{Nd}*)?|\.\p{Nd}+)([eE][+-]?\p{Nd}+)?\n?$"


def safe_cell(value: Any) -> Any:
    """Neutralise formula injection in one cell; numbers (negative ones too) pass unchanged."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _safe_text(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``safe_cell`` over a whole text column. Only the cells that need the apostrophe are
    copied: a column without any is returned as it is."""
    if isinstance(text, pa.ChunkedArray):
        return pa.chunked_array([_safe_text(chunk) for chunk in text.chunks], type=text.type)
    # The triggers are ASCII: looking up each cell's first byte is twice as fast as a regex.
    as_bytes = text.view(pa.large_binary() if pa.types.is_large_string(text.type) else pa.binary())
    starts = pc.is_in(pc.binary_slice(as_bytes, 0, 1), value_set=_TRIGGER_BYTES)
    if not pc.any(starts).as_py():
        return text
    plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_NUMBER_RE2), False)
    dangerous = pc.and_(starts, pc.invert(plain))
    if not pc.any(dangerous).as_py():
        return text
    prefixed = pc.utf8_replace_slice(pc.filter(text, dangerous), start=0, stop=0, replacement="'")
    return pc.replace_with_mask(text, dangerous, prefixed)


def summary_csv_name(year: int) -> str:
    return f"audit_summary_{year}.csv"


def _target(path: str | os.PathLike[str], default_name: str) -> Path:
    target = Path(path)
    if target.is_dir():
        target = target / default_name
    return target


# Emission figures are exported to the gram: the float noise below that
# (13713171.799999999) helps nobody reading the file.
EXPORT_DECIMALS = 3
_SCALE = 10.0**EXPORT_DECIMALS


def _text_cells(values: Sequence[Any]) -> pa.Array:
    try:
        text = pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # a number or other object among the text
        text = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    return _safe_text(text)


def _counts(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.int64())  # "3", not "3.0"


def _breach_months(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.int64(), mask=values == 0)  # 0: never breached, a blank


def _rounded(values: np.ndarray) -> pa.Array:
    """``round(value, EXPORT_DECIMALS)`` for each value; NaN and infinities are blanks."""
    numbers = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = numbers * _SCALE
        rounded = np.rint(scaled) / _SCALE
        # round() rounds the exact decimal value, rint the float product: they can only
        # part where the product lies within float error of half a gram (or overflows),
        # and those few figures are rounded by round() itself.
        distance_to_half = np.abs(scaled - np.floor(scaled) - 0.5)
        unsure = ~(distance_to_half > 2 * np.spacing(np.abs(scaled))) & np.isfinite(numbers)
    for index in np.flatnonzero(unsure).tolist():
        rounded[index] = round(float(numbers[index]), EXPORT_DECIMALS)
    rounded[~np.isfinite(rounded)] = np.nan
    return pa.array(rounded, from_pandas=True)  # NaN is written as a blank


# (column, AuditOutcome column, how its cells are made), in the file's order.
_SUMMARY_SOURCES: tuple[tuple[str, str, Callable[[Any], pa.Array]], ...] = (
    ("factory_id", "factory_id", _text_cells),
    ("factory_name", "factory_name", _text_cells),
    ("sector", "sector", _text_cells),
    ("country", "country", _text_cells),
    ("months_reported", "months_reported", _counts),
    ("year_to_date_emissions_kg", "total_emissions_kg", _rounded),
    ("carbon_cap_kg", "carbon_cap_kg", _rounded),
    ("carbon_cap_status", "status", _text_cells),
    ("first_breach_month", "first_breach_month", _breach_months),
    ("alerts_count", "alerts_count", _counts),
    ("max_monthly_emissions_kg", "max_monthly_emissions_kg", _rounded),
    ("avg_monthly_emissions_kg", "avg_monthly_emissions_kg", _rounded),
    ("projected_annual_kg", "projected_annual_kg", _rounded),
    ("production_kg", "production_kg", _rounded),
    ("energy_kg", "energy_kg", _rounded),
    ("material_kg", "material_kg", _rounded),
)
SUMMARY_COLUMNS = tuple(column for column, _, _ in _SUMMARY_SOURCES)
_WRITE_OPTIONS = pa_csv.WriteOptions(include_header=False)


def _write_header(sink: pa.NativeFile, columns: Sequence[str]) -> None:
    # Unquoted names, as before; pyarrow would quote them.
    sink.write((",".join(columns) + "\n").encode("utf-8"))


def write_summary_csv(outcome: AuditOutcome, path: str | os.PathLike[str]) -> Path:
    """Write the per-factory summary; ``path`` may be a directory (then the file is
    ``audit_summary_<year>.csv`` inside it). Returns the file written."""
    target = _target(path, summary_csv_name(outcome.year))
    # Straight from the outcome's columns, each checked or rounded as a whole: no
    # FactoryOutcome object, and no safe_cell or round() call per cell.
    table = pa.table(
        [cells(outcome.column(field)) for _, field, cells in _SUMMARY_SOURCES],
        names=list(SUMMARY_COLUMNS),
    )
    with pa.OSFile(os.fspath(target), "wb") as sink:
        _write_header(sink, SUMMARY_COLUMNS)
        pa_csv.write_csv(table, sink, write_options=_WRITE_OPTIONS)
    return target


# cleaned.csv is written a slice of rows at a time, so that only one slice's converted
# text exists at once: it is written beside the audit, whose memory matters more.
WRITE_SLICE_ROWS = 100_000


def _frame_table(frame: pd.DataFrame) -> pa.Table:
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind in "biuf":
            columns[name] = pa.array(column, from_pandas=True)  # NaN is written as a blank
        else:
            columns[name] = _safe_text(pa.array(column.astype(str), from_pandas=True))
    return pa.table(columns)


def _write_frame(frame: pd.DataFrame, path: str | os.PathLike[str], default_name: str) -> Path:
    target = _target(path, default_name)
    with pa.OSFile(os.fspath(target), "wb") as sink:
        _write_header(sink, [str(name) for name in frame.columns])
        tables = (
            _frame_table(frame.iloc[start : start + WRITE_SLICE_ROWS])
            for start in range(0, len(frame), WRITE_SLICE_ROWS)
        )
        first = next(tables, None)
        if first is not None:
            with pa_csv.CSVWriter(sink, first.schema, write_options=_WRITE_OPTIONS) as writer:
                writer.write_table(first)
                for table in tables:
                    writer.write_table(table.cast(first.schema))
    return target


def write_rejected_csv(cleaning: CleaningResult, path: str | os.PathLike[str]) -> Path:
    """rejected_rows.csv: line_number, factory_id, column, value, reason."""
    return _write_frame(cleaning.rejected, path, "rejected_rows.csv")


def write_cleaned_csv(cleaning: CleaningResult, path: str | os.PathLike[str]) -> Path:
    """cleaned.csv: the cleaned rows in factory/month order."""
    return _write_frame(cleaning.cleaned, path, "cleaned.csv")
