"""CSV exports, safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return could be
run as a formula, so it is prefixed with an apostrophe and shown as text. Numbers (and
text that is exactly a plain number, such as ``-12.5``) are left as numbers.
"""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .cleaning import CleaningResult
    from .summary import AuditOutcome

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DANGEROUS_TEXT = r"^[=+\-@\t\r]"
SUMMARY_COLUMNS = (
    "factory_id",
    "factory_name",
    "sector",
    "country",
    "months_reported",
    "year_to_date_emissions_kg",
    "carbon_cap_kg",
    "carbon_cap_status",
    "first_breach_month",
    "alerts_count",
    "max_monthly_emissions_kg",
    "avg_monthly_emissions_kg",
    "projected_annual_kg",
    "production_kg",
    "energy_kg",
    "material_kg",
)


def safe_cell(value: Any) -> Any:
    """Neutralise formula injection in one cell; numbers (negative ones too) pass unchanged."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def safe_series(series: pd.Series) -> pd.Series:
    """``safe_cell`` over a whole text column, vectorised."""
    if series.dtype.kind in "biuf":
        return series
    text = series.astype(str)
    dangerous = text.str.contains(_DANGEROUS_TEXT, regex=True) & ~text.str.fullmatch(
        _PLAIN_NUMBER.pattern[1:-1]
    )
    return text.where(~dangerous, "'" + text)


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


def _number(value: float | None) -> float | str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return round(value, EXPORT_DECIMALS)


def write_summary_csv(outcome: AuditOutcome, path: str | os.PathLike[str]) -> Path:
    """Write the per-factory summary; ``path`` may be a directory (then the file is
    ``audit_summary_<year>.csv`` inside it). Returns the file written."""
    target = _target(path, summary_csv_name(outcome.year))
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SUMMARY_COLUMNS)
        # Tens of thousands of rows: only the text cells can carry a formula, so only
        # they go through safe_cell; the figures are rounded and written as numbers.
        number = _number
        writer.writerows(
            (
                safe_cell(f.factory_id),
                safe_cell(f.factory_name),
                safe_cell(f.sector),
                safe_cell(f.country),
                f.months_reported,
                number(f.total_emissions_kg),
                number(f.carbon_cap_kg),
                safe_cell(f.status),
                "" if f.first_breach_month is None else f.first_breach_month,
                f.alerts_count,
                number(f.max_monthly_emissions_kg),
                number(f.avg_monthly_emissions_kg),
                number(f.projected_annual_kg),
                number(f.production_kg),
                number(f.energy_kg),
                number(f.material_kg),
            )
            for f in outcome.factories
        )
    return target


def _write_frame(frame: pd.DataFrame, path: str | os.PathLike[str], default_name: str) -> Path:
    target = _target(path, default_name)
    safe = pd.DataFrame({name: safe_series(frame[name]) for name in frame.columns})
    # pyarrow's writer formats a million rows of numbers about ten times faster than
    # DataFrame.to_csv (floats in their shortest round-trip form, "100" for 100.0).
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    table = pa.Table.from_pandas(safe, preserve_index=False)
    with open(target, "wb") as handle:
        # The header as before (unquoted names); pyarrow quotes every text value.
        handle.write((",".join(safe.columns) + "\n").encode("utf-8"))
        pa_csv.write_csv(table, handle, write_options=pa_csv.WriteOptions(include_header=False))
    return target


def write_rejected_csv(cleaning: CleaningResult, path: str | os.PathLike[str]) -> Path:
    """rejected_rows.csv: line_number, factory_id, column, value, reason."""
    return _write_frame(cleaning.rejected, path, "rejected_rows.csv")


def write_cleaned_csv(cleaning: CleaningResult, path: str | os.PathLike[str]) -> Path:
    """cleaned.csv: the cleaned rows in factory/month order."""
    return _write_frame(cleaning.cleaned, path, "cleaned.csv")
