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
from concurrent.futures import ThreadPoolExecutor
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

if TYPE_CHECKING:
    from .cleaning import CleaningResult
    from .summary import AuditOutcome, FactoryOutcome

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


def _whole(numbers: pa.Array) -> pa.Array:
    """Counts and month numbers stay integers ("3", not "3.0"); a fraction is an error
    rather than cut off."""
    return numbers.cast(pa.int64())


def _rounded(figures: pa.Array) -> pa.Array:
    """``round(value, EXPORT_DECIMALS)`` for each value; nulls, NaN and infinities are blanks."""
    numbers = figures.to_numpy(zero_copy_only=False)  # nulls become NaN
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


# (column, FactoryOutcome attribute, how its cells are finished), in the file's order.
_SUMMARY_SOURCES: tuple[tuple[str, str, Callable[[pa.Array], pa.Array]], ...] = (
    ("factory_id", "factory_id", _safe_text),
    ("factory_name", "factory_name", _safe_text),
    ("sector", "sector", _safe_text),
    ("country", "country", _safe_text),
    ("months_reported", "months_reported", _whole),
    ("year_to_date_emissions_kg", "total_emissions_kg", _rounded),
    ("carbon_cap_kg", "carbon_cap_kg", _rounded),
    ("carbon_cap_status", "status", _safe_text),
    ("first_breach_month", "first_breach_month", _whole),
    ("alerts_count", "alerts_count", _whole),
    ("max_monthly_emissions_kg", "max_monthly_emissions_kg", _rounded),
    ("avg_monthly_emissions_kg", "avg_monthly_emissions_kg", _rounded),
    ("projected_annual_kg", "projected_annual_kg", _rounded),
    ("production_kg", "production_kg", _rounded),
    ("energy_kg", "energy_kg", _rounded),
    ("material_kg", "material_kg", _rounded),
)
SUMMARY_COLUMNS = tuple(column for column, _, _ in _SUMMARY_SOURCES)
# What the outcome's values are read as: text, or numbers (as floats, so that a fraction
# in a count is seen by _whole rather than cut off on the way in).
_SUMMARY_VALUE_TYPES = tuple(
    pa.string() if finish is _safe_text else pa.float64() for _, _, finish in _SUMMARY_SOURCES
)
_SUMMARY_ROW = attrgetter(*(attribute for _, attribute, _ in _SUMMARY_SOURCES))
_SUMMARY_ROW_TYPE = pa.struct(list(zip(SUMMARY_COLUMNS, _SUMMARY_VALUE_TYPES, strict=True)))
_WRITE_OPTIONS = pa_csv.WriteOptions(include_header=False)


def _write_header(sink: pa.NativeFile, columns: Sequence[str]) -> None:
    # Unquoted names, as before; pyarrow would quote them.
    sink.write((",".join(columns) + "\n").encode("utf-8"))


def _read_as(values: list[Any], value_type: pa.DataType) -> pa.Array:
    if pa.types.is_string(value_type):
        return pa.array([None if v is None else str(v) for v in values], type=value_type)
    return pa.array(np.array(values, dtype=np.float64), from_pandas=True)


def _summary_table(factories: Sequence[FactoryOutcome]) -> pa.Table:
    # One attrgetter call per factory and one conversion of all the rows, then the checks
    # and the rounding a column at a time: no safe_cell or round() call per cell.
    rows = list(map(_SUMMARY_ROW, factories))
    try:
        values = pa.array(rows, type=_SUMMARY_ROW_TYPE).flatten()
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # a number as a name, say
        values = [
            _read_as([row[index] for row in rows], value_type)
            for index, value_type in enumerate(_SUMMARY_VALUE_TYPES)
        ]
    return pa.table(
        [finish(column) for column, (_, _, finish) in zip(values, _SUMMARY_SOURCES, strict=True)],
        names=list(SUMMARY_COLUMNS),
    )


# pyarrow formats one slice of the summary into the file (without holding the GIL) while
# the next slice's cells are collected from the outcome objects.
SUMMARY_SLICE_FACTORIES = 8_192


def write_summary_csv(outcome: AuditOutcome, path: str | os.PathLike[str]) -> Path:
    """Write the per-factory summary; ``path`` may be a directory (then the file is
    ``audit_summary_<year>.csv`` inside it). Returns the file written."""
    target = _target(path, summary_csv_name(outcome.year))
    factories = outcome.factories
    with pa.OSFile(os.fspath(target), "wb") as sink:
        _write_header(sink, SUMMARY_COLUMNS)
        # One worker: the slices are written in the order they are submitted.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="summary-csv") as writer:
            slices_written = [
                writer.submit(
                    pa_csv.write_csv,
                    _summary_table(factories[start : start + SUMMARY_SLICE_FACTORIES]),
                    sink,
                    write_options=_WRITE_OPTIONS,
                )
                for start in range(0, len(factories), SUMMARY_SLICE_FACTORIES)
            ]
        for written in slices_written:
            written.result()  # raises what the writer raised
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
