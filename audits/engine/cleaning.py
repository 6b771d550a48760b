"""The cleaning pipeline: ten named steps, each one rule, run in order by one loop.

Each step takes the rows still in play and returns the rows it keeps, the rows it
rejects (with the 1-based line number in the file, factory_id, column, value and a
reason a person can act on), how many values it changed, and a sentence for the
report. Every data row ends up in exactly one place: the cleaned frame or the
rejections. Nothing is clamped or guessed, with two documented exceptions that never
drop a row: a blank energy source is taken as grid and a blank raw material weight as
0 (both counted), and an unusable latitude/longitude is blanked (counted), because a
location is optional and must not cost a month of production data.

All steps work on whole columns (pandas/numpy), never row by row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .factors import GRID, FactorSet
from .reading import (
    LINE_NUMBER,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    InputFileError,
    check_columns,
    normalise_header,
    read_table,
)

QUANTITY_COLUMNS = ("monthly_production_tons", "energy_used_mwh", "raw_material_weight_tons")
TEXT_COLUMNS = ("factory_id", "factory_name", "sector", "country", "energy_source_type")
CLEANED_COLUMNS = (
    LINE_NUMBER,
    "factory_id",
    "factory_name",
    "sector",
    "country",
    "latitude",
    "longitude",
    "month",
    "monthly_production_tons",
    "energy_used_mwh",
    "energy_source_type",
    "raw_material_weight_tons",
)
REJECTED_COLUMNS = (LINE_NUMBER, "factory_id", "column", "value", "reason")
# A month above this is rejected as "value too large": sums of up to 1e8 such months
# still stay finite, so no total, sector or grand total can overflow to infinity.
MAX_MONTHLY_EMISSIONS_KG = 1e300


@dataclass(frozen=True)
class StepReport:
    """What one cleaning step did."""

    number: int
    name: str
    rows_in: int
    rows_out: int
    rejected: int
    changed: int
    detail: str


@dataclass
class CleaningResult:
    """Cleaned rows, rejected rows (with reasons) and the ten-step report."""

    cleaned: pd.DataFrame
    rejected: pd.DataFrame
    report: list[StepReport] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.cleaned) + len(self.rejected)

    def report_dicts(self) -> list[dict[str, Any]]:
        return [asdict(step) for step in self.report]


@dataclass
class _Context:
    factors: FactorSet
    registered_sectors: Mapping[str, str]


@dataclass
class _StepOutcome:
    frame: pd.DataFrame
    rejected: list[pd.DataFrame] = field(default_factory=list)
    changed: int = 0
    detail: str = ""


StepFunction = Callable[[pd.DataFrame, _Context], _StepOutcome]


def _rejections(
    frame: pd.DataFrame,
    mask: pd.Series,
    column: str,
    value: pd.Series | str,
    reason: str | Callable[[pd.DataFrame], pd.Series],
) -> pd.DataFrame:
    """Rows of ``frame`` under ``mask`` as rejection records.

    ``reason`` is a fixed sentence or a function of the rejected rows only, so that
    sentences are built for the few rejected rows, not for every row in the file.
    """
    selected = frame.loc[mask]
    count = len(selected)

    def pick(item: pd.Series | str | Callable[[pd.DataFrame], pd.Series]) -> pd.Series:
        if callable(item):
            return item(selected).astype(str) if count else pd.Series([], dtype=str)
        if isinstance(item, pd.Series):
            return item.loc[mask].astype(str)
        return pd.Series([item] * count, index=selected.index, dtype=str)

    return pd.DataFrame(
        {
            LINE_NUMBER: selected[LINE_NUMBER].astype("int64"),
            "factory_id": selected["factory_id"].astype(str),
            "column": pd.Series([column] * count, index=selected.index, dtype=str),
            "value": pick(value),
            "reason": pick(reason),
        }
    )


def _as_text(series: pd.Series) -> pd.Series:
    if series.dtype == "str":
        return series.fillna("") if series.hasnans else series
    return series.astype(object).where(series.notna(), "").astype(str)


# --- the ten steps ---------------------------------------------------------------------


def step_check_header(frame: pd.DataFrame, ctx: _Context) -> _StepOutcome:
    """Required columns present (names match case- and space-insensitively), data rows exist."""
    renamed = [normalise_header(c) if c != LINE_NUMBER else c for c in frame.columns]
    check_columns([c for c in renamed if c != LINE_NUMBER])
    frame = frame.set_axis(renamed, axis=1)
    if frame.empty:
        raise InputFileError(
            "The file has a header but no data rows; add one row per factory and month."
        )
    absent = [c for c in OPTIONAL_COLUMNS if c not in frame.columns]
    columns: dict[str, pd.Series] = {}
    if LINE_NUMBER in frame.columns:
        columns[LINE_NUMBER] = pd.to_numeric(frame[LINE_NUMBER]).astype("int64")
    else:
        columns[LINE_NUMBER] = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)
    for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
        if name in frame.columns:
            columns[name] = _as_text(frame[name])
        else:
            columns[name] = pd.Series("", index=frame.index, dtype=str)
    clean = pd.DataFrame(columns).reset_index(drop=True)
    blank_lines = int(frame.attrs.get("blank_lines_skipped", 0))
    detail = f"{len(clean)} data rows with all required columns"
    if absent:
        detail += f"; optional columns not in the file: {', '.join(absent)}"
    if blank_lines:
        detail += f"; {blank_lines} completely blank line(s) are not data rows and were skipped"
    return _StepOutcome(clean, detail=detail)


def step_strip_whitespace(frame: pd.DataFrame, ctx: _Context) -> _StepOutcome:
    """Trim every text cell; a row without a factory_id cannot be audited."""
    changed = 0
    frame = frame.copy(deep=False)  # copy-on-write (pandas 3): columns are copied only if changed
    for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
        stripped = frame[name].str.strip()
        column_changed = int((stripped != frame[name]).sum())
        if column_changed:  # keep the original column (no second copy) when nothing moved
            changed += column_changed
            frame[name] = stripped
    blank_id = frame["factory_id"] == ""
    rejected = _rejections(
        frame, blank_id, "factory_id", "", "factory_id is blank; every row needs the factory's code"
    )
    return _StepOutcome(
        frame.loc[~blank_id],
        [rejected],
        changed,
        f"{changed} cell(s) trimmed; {int(blank_id.sum())} row(s) without factory_id",
    )


def step_match_sector(frame: pd.DataFrame, ctx: _Context) -> _StepOutcome:
    """Sector must be a configured sector (case-insensitive); it becomes its canonical name."""
    names = ctx.factors.sector_names()
    configured = ", ".join(names)
    lookup = {name.lower(): name for name in names}
    raw = frame["sector"]
    # A handful of distinct spellings in a million rows: decide each spelling once.
    codes, spellings = pd.factorize(raw)
    spelled = pd.Series(np.asarray(spellings, dtype=object), dtype=str)
    canonical_spellings = spelled.str.lower().map(lookup).astype(object)
    unknown_spellings = canonical_spellings.isna().to_numpy()
    renamed_spellings = (~unknown_spellings) & (canonical_spellings != spelled).to_numpy()
    unknown = pd.Series(unknown_spellings[codes], index=frame.index)

    def reason(rows: pd.DataFrame) -> pd.Series:
        given = rows["sector"]
        return ("unknown sector '" + given + f"' (configured: {configured})").where(
            given != "", f"sector is blank (configured: {configured})"
        )

    rejected = _rejections(frame, unknown, "sector", raw, reason)
    kept = frame.loc[~unknown]
    changed = int(renamed_spellings[codes].sum())
    if changed:
        kept_codes = codes[~unknown.to_numpy()]
        names_by_code = canonical_spellings.where(~unknown_spellings, "").astype(str)
        kept["sector"] = pd.Series(
            names_by_code.to_numpy(dtype=object)[kept_codes], index=kept.index, dtype=str
        )
    return _StepOutcome(
        kept, [rejected], changed, f"{changed} sector name(s) normalised to the configured spelling"
    )


def step_map_energy_source(frame: pd.DataFrame, ctx: _Context) -> _StepOutcome:
    """Energy source through the aliases (case/space-insensitive); blank -> grid, counted."""
    raw = frame["energy_source_type"]
    # An upload has few distinct spellings: normalise each once, then spread by code.
    codes, spellings = pd.factorize(raw)
    labels = (
        pd.Series(np.asarray(spellings, dtype=object), dtype=str)
        .str.lower()
        .str.replace(r"[\s_]+", " ", regex=True)
        .str.strip()
    )
    resolved_spellings = labels.map(dict(ctx.factors.energy_aliases)).astype(object)
    resolved_spellings = resolved_spellings.where(labels != "", GRID)
    blank = pd.Series((labels == "").to_numpy()[codes], index=frame.index)
    resolved = pd.Series(resolved_spellings.to_numpy()[codes], index=frame.index)
    unknown = resolved.isna()
    known = ", ".join(sorted(ctx.factors.energy_multipliers))
    rejected = _rejections(
        frame,
        unknown,
        "energy_source_type",
        raw,
        lambda rows: (
            "unknown energy source '"
            + rows["energy_source_type"]
            + f"' (configured: {known}, or one of their aliases)"
        ),
    )
    kept = frame.loc[~unknown]
    kept_resolved = resolved.loc[~unknown].astype(str)
    defaulted = int(blank.loc[~unknown].sum())
    mapped = int(((kept_resolved != kept["energy_source_type"]) & ~blank.loc[~unknown]).sum())
    kept["energy_source_type"] = kept_resolved
    return _StepOutcome(
        kept,
        [rejected],
        defaulted + mapped,
        f"{defaulted} blank energy source(s) defaulted to {GRID}; "
        f"{mapped} alias or spelling(s) mapped to a configured source",
    )


def _per_distinct(series: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply ``function`` to each distinct value once and spread the results by code.

    Columns such as sector, month and energy source hold a handful of distinct values
    in a million rows, so this keeps the work proportional to the distinct values.
    """
    codes, uniques = pd.factorize(series)
    values = function(pd.Series(np.asarray(uniques, dtype=object), dtype=str)).to_numpy()
    if len(values) == 0:
        return pd.Series(np.empty(len(series), dtype=values.dtype), index=series.index)
    return pd.Series(values[codes], index=series.index)


def _lookup(series: pd.Series, mapping: Mapping[str, float]) -> np.ndarray:
    """``mapping[value]`` for every value, NaN where missing, as a float array."""
    table = dict(mapping)
    return _per_distinct(series, lambda u: u.map(table).astype("float64")).to_numpy(dtype="float64")


_PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def _parse_numbers(text: pd.Series) -> pd.Series:
    """Text to float64, NaN where it is not a number; ``-0`` becomes ``0.0``.

    Plain decimal numbers (nearly every cell) are cast in one vectorised pass; only the
    rest (``inf``, ``nan``, typos) go through the slower general parser.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        column = pa.array(text, type=pa.large_string(), from_pandas=True)
        matches = pc.fill_null(pc.match_substring_regex(column, f"^{_PLAIN_NUMBER}$"), False)
        numbers = pc.cast(pc.if_else(matches, column, "nan"), pa.float64())
        plain = pd.Series(matches.to_numpy(zero_copy_only=False), index=text.index)
        parsed = pd.Series(numbers.to_numpy(zero_copy_only=False), index=text.index)
        others = ~plain & (text != "")
        if others.any():
            parsed[others] = pd.to_numeric(text[others], errors="coerce").astype("float64")
    except (TypeError, ValueError, OverflowError, ImportError, ArithmeticError):
        parsed = pd.Series(
            np.asarray(pd.to_numeric(text, errors="coerce"), dtype="float64"), index=text.index
        )
    return parsed.astype("float64") + 0.0


def step_coerce_numbers(frame: pd.DataFrame, ctx: _Context) -> _StepOutcome:
    """Quantities become numbers (blank raw material -> 0, counted); bad coordinates are blanked."""
    frame = frame.copy(deep=False)
    failed = pd.Series(False, index=frame.index)
    rejected: list[pd.DataFrame] = []
    defaulted_material = 0
    for name in QUANTITY_COLUMNS:
        text = frame[name]
        parsed = _parse_numbers(text)
        blank = text == ""
        if name == "raw_material_weight_tons":
            defaulted_material = int((blank & ~failed).sum())
            parsed = parsed.where(~blank, 0.0)
            bad = ~blank & parsed.isna() & ~text.str.lower().isin(["nan", "+nan", "-nan"])

            def reason(rows: pd.DataFrame, name: str = name) -> pd.Series:
                return f"{name} '" + rows[name] + "' is not a number"
        else:
            bad = parsed.isna() & ~text.str.lower().isin(["nan", "+nan", "-nan"])

            def reason(rows: pd.DataFrame, name: str = name) -> pd.Series:
                return (f"{name} '" + rows[name] + "' is not a number").where(
                    rows[name] != "", f"{name} is blank"
                )

        new = bad & ~failed
        rejected.append(_rejections(frame, new, name, text, reason))
        failed |= bad
        frame[name] = parsed
    blanked = 0
    for name, limit in (("latitude", 90.0), ("longitude", 180.0)):
        text = frame[name]
        parsed = _parse_numbers(text)
        invalid = (text != "") & ~(parsed.abs() <= limit)
        blanked += int((invalid & ~failed).sum())
        frame[name] = parsed.where(~invalid, np.nan)
    changed = defaulted_material + blanked
    return _StepOutcome(
        frame.loc[~failed],
        rejected,
        changed,
        f"{defaulted_material} blank raw_material_weight_tons set to 0; {blanked} unparseable "
        "or out-of-range latitude/longitude value(s) blanked (the rows are kept)",
    )


def step_check_month(frame: pd.DataFrame, ctx: _Context) -> _StepOutcome:
    """Month must be a whole number from 1 to 12 ("1", "01" and "1.0" are fine)."""
    text = frame["month"]
    number = _per_distinct(text, _parse_numbers).astype("float64")
    finite = np.isfinite(number)
    whole = finite & (number == np.floor(number.where(finite, 0.0)))
    in_range = (number >= 1) & (number <= 12)
    bad = ~(whole & in_range)

    def reason(rows: pd.DataFrame) -> pd.Series:
        given = rows["month"]
        return (
            ("month " + given + " is outside 1..12")
            .where(
                whole.loc[rows.index], "month '" + given + "' is not a whole number from 1 to 12"
            )
            .where(given != "", "month is blank")
        )

    rejected = _rejections(frame, bad, "month", text, reason)
    kept = frame.loc[~bad]
    month = number.loc[~bad].astype("int64")
    changed = int(_per_distinct(kept["month"], lambda u: ~u.str.fullmatch(r"[1-9]|1[0-2]")).sum())
    kept["month"] = month
    return _StepOutcome(kept, [rejected], changed, f"{changed} month value(s) written as integers")


def step_check_quantities(frame: pd.DataFrame, ctx: _Context) -> _StepOutcome:
    """No negative, NaN or infinite quantity, nor one whose emissions cannot be represented."""
    failed = pd.Series(False, index=frame.index)
    rejected: list[pd.DataFrame] = []
    for name in QUANTITY_COLUMNS:
        values = frame[name]
        nan = values.isna()
        infinite = pd.Series(np.isinf(values.to_numpy()), index=frame.index)
        negative = values < 0
        bad = nan | infinite | negative

        def reason(rows: pd.DataFrame, name: str = name) -> pd.Series:
            given = rows[name]
            return (
                pd.Series(f"{name} is negative", index=rows.index, dtype=str)
                .where(~np.isinf(given), f"{name} is infinite")
                .where(given.notna(), f"{name} is not a number (NaN)")
            )

        rejected.append(_rejections(frame, bad & ~failed, name, values, reason))
        failed |= bad
    sectors = ctx.factors.sectors
    multipliers = dict(ctx.factors.energy_multipliers)
    with np.errstate(over="ignore", invalid="ignore"):
        production_kg = frame["monthly_production_tons"].to_numpy() * _lookup(
            frame["sector"], {k: s.production_per_ton for k, s in sectors.items()}
        )
        energy_kg = (
            frame["energy_used_mwh"].to_numpy()
            * _lookup(frame["sector"], {k: s.energy_per_mwh for k, s in sectors.items()})
            * np.nan_to_num(_lookup(frame["energy_source_type"], multipliers), nan=1.0)
        )
        material_kg = frame["raw_material_weight_tons"].to_numpy() * _lookup(
            frame["sector"], {k: s.material_processing_per_ton for k, s in sectors.items()}
        )
        monthly_kg = production_kg + energy_kg + material_kg
    too_large = pd.Series(~(monthly_kg <= MAX_MONTHLY_EMISSIONS_KG), index=frame.index) & ~failed
    components = np.nan_to_num(np.vstack([production_kg, energy_kg, material_kg]), nan=np.inf)
    culprit = np.array(QUANTITY_COLUMNS)[np.argmax(components, axis=0)]
    for name in QUANTITY_COLUMNS:
        mask = too_large & (culprit == name)
        rejected.append(
            _rejections(
                frame,
                mask,
                name,
                frame[name],
                f"value too large: {name} gives more than {MAX_MONTHLY_EMISSIONS_KG:.0e} kg CO2 "
                "in one month",
            )
        )
    failed |= too_large
    return _StepOutcome(
        frame.loc[~failed], rejected, 0, "negative, NaN, infinite and too-large quantities rejected"
    )


def step_drop_duplicates(frame: pd.DataFrame, ctx: _Context) -> _StepOutcome:
    """Duplicate (factory_id, month): the last row in the file wins; earlier ones are listed."""
    key = ["factory_id", "month"]
    earlier = frame.duplicated(key, keep="last")
    winner = frame.groupby(key, sort=False)[LINE_NUMBER].transform("last")

    def reason(rows: pd.DataFrame) -> pd.Series:
        return (
            "duplicate row for factory "
            + rows["factory_id"]
            + " month "
            + rows["month"].astype(str)
            + ": superseded by line "
            + winner.loc[rows.index].astype(str)
            + " (the last row wins)"
        )

    rejected = _rejections(frame, earlier, "month", frame["month"], reason)
    return _StepOutcome(
        frame.loc[~earlier],
        [rejected],
        0,
        f"{int(earlier.sum())} earlier duplicate row(s) superseded",
    )


def step_one_sector_per_factory(frame: pd.DataFrame, ctx: _Context) -> _StepOutcome:
    """A factory has one sector.

    The reference is the sector the factory is already registered with, if any;
    otherwise the sector on the factory's first row in the file. Rows that disagree
    with the reference are rejected.
    """
    registered: dict[str, str] = {}
    for factory_id, sector_name in ctx.registered_sectors.items():
        try:
            registered[str(factory_id).strip()] = ctx.factors.sector(sector_name).name
        except KeyError:
            registered[str(factory_id).strip()] = str(sector_name)
    # Integer codes instead of a groupby over strings: a million rows in a few
    # vectorised passes. unique(return_index) gives each factory's first row.
    factory_codes, factory_ids = pd.factorize(frame["factory_id"])
    sector_codes, sector_names = pd.factorize(frame["sector"])
    _, first_rows = np.unique(factory_codes, return_index=True)
    first_row = first_rows[factory_codes]
    first_sector = pd.Series(
        np.asarray(sector_names, dtype=object)[sector_codes[first_row]], index=frame.index
    )
    first_line = pd.Series(frame[LINE_NUMBER].to_numpy()[first_row], index=frame.index)
    registered_by_factory = (
        pd.Series(np.asarray(factory_ids, dtype=object)).map(registered).to_numpy(dtype=object)
    )
    registered_sector = pd.Series(registered_by_factory[factory_codes], index=frame.index)
    is_registered = registered_sector.notna()
    if registered:
        reference = registered_sector.where(is_registered, first_sector).astype(str)
        mismatch = frame["sector"] != reference
    else:
        reference = first_sector
        mismatch = pd.Series(sector_codes != sector_codes[first_row], index=frame.index)

    def reason(rows: pd.DataFrame) -> pd.Series:
        ref = reference.loc[rows.index].astype(str)
        return (
            "factory "
            + rows["factory_id"]
            + " is registered as "
            + ref
            + ", row says "
            + rows["sector"]
        ).where(
            is_registered.loc[rows.index],
            "factory "
            + rows["factory_id"]
            + " is "
            + ref
            + " on its first row (line "
            + first_line.loc[rows.index].astype(str)
            + "), this row says "
            + rows["sector"],
        )

    rejected = _rejections(frame, mismatch, "sector", frame["sector"], reason)
    return _StepOutcome(
        frame.loc[~mismatch],
        [rejected],
        0,
        f"{int(mismatch.sum())} row(s) disagreeing with their factory's sector",
    )


def step_sort(frame: pd.DataFrame, ctx: _Context) -> _StepOutcome:
    """Sort by factory_id, then month."""
    ordered = frame.sort_values(["factory_id", "month"], kind="stable")
    moved = int((ordered[LINE_NUMBER].to_numpy() != frame[LINE_NUMBER].to_numpy()).sum())
    ordered = ordered.reset_index(drop=True)
    return _StepOutcome(ordered, [], moved, f"{moved} row(s) moved into factory/month order")


STEPS: tuple[tuple[str, StepFunction], ...] = (
    ("decode and check header", step_check_header),
    ("strip whitespace", step_strip_whitespace),
    ("match sector", step_match_sector),
    ("map energy source", step_map_energy_source),
    ("coerce numbers", step_coerce_numbers),
    ("check month", step_check_month),
    ("check quantities", step_check_quantities),
    ("drop duplicate factory-months", step_drop_duplicates),
    ("one sector per factory", step_one_sector_per_factory),
    ("sort by factory and month", step_sort),
)


def _empty_rejections() -> pd.DataFrame:
    return pd.DataFrame(
        {
            LINE_NUMBER: pd.Series([], dtype="int64"),
            **{name: pd.Series([], dtype=str) for name in REJECTED_COLUMNS[1:]},
        }
    )


def _final_cleaned(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.loc[:, list(CLEANED_COLUMNS)]
    out[LINE_NUMBER] = out[LINE_NUMBER].astype("int64")
    out["month"] = out["month"].astype("int64")
    for name in (*QUANTITY_COLUMNS, "latitude", "longitude"):
        out[name] = out[name].astype("float64")
    for name in TEXT_COLUMNS:
        out[name] = out[name].astype(str)
    return out.reset_index(drop=True)


def clean_frame(
    raw: pd.DataFrame,
    factors: FactorSet,
    *,
    registered_sectors: Mapping[str, str] | None = None,
) -> CleaningResult:
    """Run the ten cleaning steps over ``raw`` (cells as strings, as ``read_table`` gives).

    ``registered_sectors`` maps factory codes already registered for the organisation
    to their sector name (step 9). Raises ``InputFileError`` when the header lacks
    required columns or there are no data rows.
    """
    ctx = _Context(factors, dict(registered_sectors or {}))
    frame = raw
    # Let the raw columns go as soon as the steps have replaced them (a million-row
    # upload's text is a few hundred MB); a caller that hands the frame over without
    # keeping a reference gets that memory back during cleaning.
    del raw
    rejected_parts: list[pd.DataFrame] = []
    report: list[StepReport] = []
    for number, (name, step) in enumerate(STEPS, start=1):
        rows_in = len(frame)
        outcome = step(frame, ctx)
        step_rejected = sum(len(part) for part in outcome.rejected)
        rejected_parts.extend(part for part in outcome.rejected if len(part))
        frame = outcome.frame
        report.append(
            StepReport(
                number=number,
                name=name,
                rows_in=rows_in,
                rows_out=len(frame),
                rejected=step_rejected,
                changed=outcome.changed,
                detail=outcome.detail,
            )
        )
    if rejected_parts:
        rejected = pd.concat(rejected_parts, ignore_index=True)
        rejected = rejected.sort_values(LINE_NUMBER, kind="stable").reset_index(drop=True)
        rejected = rejected.astype({LINE_NUMBER: "int64"})
    else:
        rejected = _empty_rejections()
    return CleaningResult(cleaned=_final_cleaned(frame), rejected=rejected, report=report)


def clean_file(
    path: str | os.PathLike[str],
    factors: FactorSet,
    *,
    filename: str | None = None,
    registered_sectors: Mapping[str, str] | None = None,
) -> CleaningResult:
    """``read_table`` then ``clean_frame``."""
    return clean_frame(
        read_table(path, filename=filename), factors, registered_sectors=registered_sectors
    )
