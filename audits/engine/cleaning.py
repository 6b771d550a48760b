"""The cleaning pipeline: ten named steps, each one rule, run in order by one loop.

Each step judges the rows still in play and says which of them it rejects (with the
1-based line number in the file, factory_id, column, value and a reason a person can
act on), how many values it changed, and a sentence for the report. Every data row
ends up in exactly one place: the cleaned frame or the rejections, and a row is
rejected once, by the first step that finds a problem with it. Nothing is clamped or
guessed, with two documented exceptions that never drop a row: a blank energy source
is taken as grid and a blank raw material weight as 0 (both counted), and an unusable
latitude/longitude is blanked (counted), because a location is optional and must not
cost a month of production data.

All steps work on whole columns (pandas/numpy), never row by row. A rejected row
leaves play, but it stays in the frame until the last step, which takes the rows in
play out in factory/month order in one pass: taking rows out of a dozen million-row
columns after every step would cost more than the steps themselves. Text that
repeats from row to row (factory code, name, sector, country, month, energy source)
is held as a categorical, so that each rule looks at each distinct spelling once.
Step 1 builds the pipeline's own working frame; steps 2 to 9 replace its columns in
place, so that a column of raw text is let go as soon as its cleaned values exist. On
a large upload, steps 2 and 5 work on two columns at a time.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
# Text held as categoricals from step 2 on: a factory's code, name, sector and country
# repeat on each of its rows, and months and energy sources have a few spellings.
_REPEATED_TEXT = (
    "factory_id",
    "factory_name",
    "sector",
    "country",
    "month",
    "energy_source_type",
)


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
    """``frame`` and ``in_play`` (one flag per row of ``frame``) for the next step.

    ``frame`` is the working frame the step was given, with columns replaced in place
    (steps 2 to 9), or a new one (step 1 builds it, step 10 takes the rows in play).
    """

    frame: pd.DataFrame
    in_play: np.ndarray
    rejected: list[pd.DataFrame] = field(default_factory=list)
    changed: int = 0
    detail: str = ""


StepFunction = Callable[[pd.DataFrame, np.ndarray, _Context], _StepOutcome]


def _rejections(
    frame: pd.DataFrame,
    mask: np.ndarray,
    column: str,
    value: pd.Series | str,
    reason: str | Callable[[pd.DataFrame], pd.Series],
) -> pd.DataFrame:
    """Rows of ``frame`` under ``mask`` as rejection records.

    ``reason`` is a fixed sentence or a function of the rejected rows only (their line
    number, factory_id and ``column``, categoricals given as text), so that sentences
    are built for the few rejected rows, not for every row in the file.
    """
    rows = np.flatnonzero(mask)
    selected = frame[list(dict.fromkeys([LINE_NUMBER, "factory_id", column]))].iloc[rows]
    for name, series in selected.items():
        if isinstance(series.dtype, pd.CategoricalDtype):
            selected[name] = series.astype(str)
    count = len(selected)

    def pick(item: pd.Series | str | Callable[[pd.DataFrame], pd.Series]) -> pd.Series:
        if callable(item):
            return item(selected).astype(str) if count else pd.Series([], dtype=str)
        if isinstance(item, pd.Series):
            return item.iloc[rows].astype(str)
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


def _categorical(codes: np.ndarray, categories: pd.Index, index: pd.Index) -> pd.Series:
    """A categorical column; code -1 (a row out of play) is a missing value."""
    categorical = pd.Categorical.from_codes(codes, categories=categories, validate=False)
    return pd.Series(categorical, index=index, copy=False)


def _spellings(column: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """A categorical column's codes and its distinct values as a text Series."""
    categories = column.cat.categories
    return column.cat.codes.to_numpy(), pd.Series(np.asarray(categories, dtype=object), dtype=str)


def _count(*masks: np.ndarray) -> int:
    """How many rows are under every mask."""
    return int(np.count_nonzero(np.logical_and.reduce(masks)))


def _decoded(column: pd.Series) -> pd.Series:
    """A categorical text column as plain text."""
    codes = column.cat.codes.to_numpy()
    return pd.Series(column.cat.categories.take(codes), index=column.index, dtype=str)


def _find_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # a C library other than glibc
        return None


_MALLOC_TRIM = _find_malloc_trim()


def _return_freed_heap() -> None:
    """Hand the free pages of the C heap back to the operating system (glibc only).

    numpy's arrays come from malloc, and glibc keeps the pages of freed blocks of up to
    a moving threshold (about 8 MB here: one column of a million rows) on its heap. A
    step over a million rows frees a hundred MB of such temporaries; kept, they would
    be carried into the next step, and the cleaned frame would be built on top of them.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


_Result = TypeVar("_Result")
# Below this many rows a column is done in less time than it takes to start a thread.
_ROWS_WORTH_A_THREAD = 100_000
# Each column in flight holds its own temporaries (tens of MB for a million rows), so
# two at a time, whatever the number of cores: that keeps a second core busy without
# multiplying the memory a worker needs.
_COLUMNS_AT_ONCE = 2


def _for_each_column(
    function: Callable[[pd.Series], _Result], columns: Sequence[pd.Series]
) -> list[_Result]:
    """``function`` over several columns, two at a time where there are cores for it.

    pyarrow and numpy let go of the interpreter lock while they work through a
    column, so the columns of a large upload really do run side by side.
    """
    workers = min(len(columns), os.cpu_count() or 1, _COLUMNS_AT_ONCE)
    if workers <= 1 or len(columns[0]) < _ROWS_WORTH_A_THREAD:
        return [function(column) for column in columns]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, columns))


# --- the ten steps ---------------------------------------------------------------------


def step_check_header(frame: pd.DataFrame, in_play: np.ndarray, ctx: _Context) -> _StepOutcome:
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
    return _StepOutcome(clean, np.ones(len(clean), dtype=bool), detail=detail)


def _arrow_text(text: pd.Series) -> pa.ChunkedArray:
    """A text column as pyarrow chunks (the blocks ``read_table`` parsed, not a copy)."""
    array = pa.array(text, type=pa.large_string(), from_pandas=True)
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _in_one_block(text: pd.Series) -> pd.Series:
    """The text column with its pyarrow blocks joined into one."""
    array = _arrow_text(text)
    if array.num_chunks <= 1:
        return text
    return pd.Series(pa.chunked_array([array.combine_chunks()]), dtype=text.dtype, index=text.index)


def _factorize(text: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``pd.factorize`` for a text column without missing values, done by pyarrow."""
    encoded = pc.dictionary_encode(_arrow_text(text)).combine_chunks()
    return encoded.indices.to_numpy(), pd.Series(encoded.dictionary, dtype=str)


def _strip_per_distinct(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The trimmed column as a categorical, and which rows trimming changed."""
    codes, spellings = _factorize(text)
    stripped = spellings.str.strip()
    changed_spellings = (stripped != spellings).to_numpy(dtype=bool)
    if not changed_spellings.any():
        return _categorical(codes, pd.Index(spellings), text.index), np.zeros(len(text), bool)
    stripped_codes, categories = pd.factorize(stripped)  # " A" and "A" become one
    return _categorical(stripped_codes[codes], categories, text.index), changed_spellings[codes]


def _may_need_trimming(text: pd.Series) -> bool:
    """Whether any cell of a text column could start or end with whitespace.

    Whitespace is an ASCII space or control byte, or (any other Unicode space) bytes
    from 0x80 up; a column of plain numbers holds neither anywhere, and a scan of its
    bytes is much quicker than trimming every cell to find out.
    """
    for chunk in _arrow_text(text).chunks:
        data = chunk.buffers()[2]
        if data is not None and data.size:
            cells = np.frombuffer(data, dtype=np.uint8)
            if cells.min() <= ord(" ") or cells.max() >= 0x80:
                return True
    return False


def step_strip_whitespace(frame: pd.DataFrame, in_play: np.ndarray, ctx: _Context) -> _StepOutcome:
    """Trim every text cell; a row without a factory_id cannot be audited."""
    changed = 0
    repeated = _for_each_column(_strip_per_distinct, [frame[name] for name in _REPEATED_TEXT])
    stripped_per_distinct = dict(zip(_REPEATED_TEXT, repeated, strict=True))
    for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
        if name in _REPEATED_TEXT:
            frame[name], moved = stripped_per_distinct.pop(name)
            changed += _count(moved, in_play)
            continue
        # Step 5 picks rejected rows out of these columns, and pyarrow joins a column's
        # blocks to do that: join them once, here.
        text = frame[name] = _in_one_block(frame[name])
        if _may_need_trimming(text):
            stripped = text.str.strip()
            column_changed = _count((stripped != text).to_numpy(dtype=bool), in_play)
            if column_changed:  # keep the original column (no second copy) when nothing moved
                changed += column_changed
                frame[name] = stripped
    factory_id = frame["factory_id"]
    blank_id = (
        np.asarray(factory_id.cat.categories == "")[factory_id.cat.codes.to_numpy()] & in_play
    )
    rejected = _rejections(
        frame, blank_id, "factory_id", "", "factory_id is blank; every row needs the factory's code"
    )
    return _StepOutcome(
        frame,
        in_play & ~blank_id,
        [rejected],
        changed,
        f"{changed} cell(s) trimmed; {int(blank_id.sum())} row(s) without factory_id",
    )


def step_match_sector(frame: pd.DataFrame, in_play: np.ndarray, ctx: _Context) -> _StepOutcome:
    """Sector must be a configured sector (case-insensitive); it becomes its canonical name."""
    names = ctx.factors.sector_names()
    configured = ", ".join(names)
    lookup = {name.lower(): name for name in names}
    codes, spelled = _spellings(frame["sector"])
    canonical_spellings = spelled.str.lower().map(lookup).astype(object)
    unknown_spellings = canonical_spellings.isna().to_numpy()
    renamed_spellings = (~unknown_spellings) & (canonical_spellings != spelled).to_numpy()
    unknown = unknown_spellings[codes] & in_play

    def reason(rows: pd.DataFrame) -> pd.Series:
        given = rows["sector"]
        return ("unknown sector '" + given + f"' (configured: {configured})").where(
            given != "", f"sector is blank (configured: {configured})"
        )

    rejected = _rejections(frame, unknown, "sector", frame["sector"], reason)
    changed = _count(renamed_spellings[codes], in_play)
    sectors = pd.Index(names, dtype=str)
    canonical_codes = sectors.get_indexer(canonical_spellings)  # -1: unknown
    frame["sector"] = _categorical(canonical_codes[codes], sectors, frame.index)
    return _StepOutcome(
        frame,
        in_play & ~unknown,
        [rejected],
        changed,
        f"{changed} sector name(s) normalised to the configured spelling",
    )


def step_map_energy_source(frame: pd.DataFrame, in_play: np.ndarray, ctx: _Context) -> _StepOutcome:
    """Energy source through the aliases (case/space-insensitive); blank -> grid, counted."""
    codes, spelled = _spellings(frame["energy_source_type"])
    labels = spelled.str.lower().str.replace(r"[\s_]+", " ", regex=True).str.strip()
    resolved_spellings = labels.map(dict(ctx.factors.energy_aliases)).astype(object)
    resolved_spellings = resolved_spellings.where(labels != "", GRID)
    blank_spellings = (labels == "").to_numpy()
    unknown_spellings = resolved_spellings.isna().to_numpy()
    mapped_spellings = (
        ~unknown_spellings & ~blank_spellings & (resolved_spellings != spelled).to_numpy()
    )
    unknown = unknown_spellings[codes] & in_play
    known = ", ".join(sorted(ctx.factors.energy_multipliers))
    rejected = _rejections(
        frame,
        unknown,
        "energy_source_type",
        frame["energy_source_type"],
        lambda rows: (
            "unknown energy source '"
            + rows["energy_source_type"]
            + f"' (configured: {known}, or one of their aliases)"
        ),
    )
    defaulted = _count(blank_spellings[codes], in_play)
    mapped = _count(mapped_spellings[codes], in_play)
    resolved_codes, sources = pd.factorize(resolved_spellings)  # -1: unknown
    frame["energy_source_type"] = _categorical(
        resolved_codes[codes], pd.Index(sources, dtype=str), frame.index
    )
    return _StepOutcome(
        frame,
        in_play & ~unknown,
        [rejected],
        defaulted + mapped,
        f"{defaulted} blank energy source(s) defaulted to {GRID}; "
        f"{mapped} alias or spelling(s) mapped to a configured source",
    )


def _per_distinct(text: pd.Series, function: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
    """Apply ``function`` to each distinct value once and spread the results by code.

    Columns such as sector, month and energy source hold a handful of distinct values
    in a million rows, so this keeps the work proportional to the distinct values.
    """
    codes, uniques = _factorize(text)
    return np.asarray(function(uniques))[codes]


def _repeats_a_lot(text: pd.Series, sample_size: int = 65536) -> bool:
    """Whether the column's first rows hold at most a quarter as many distinct values.

    A factory's coordinates repeat on each of its rows, and quantities rounded to a
    tenth repeat across rows; parsing each distinct value once then pays for finding
    them.
    """
    sample = text.iloc[:sample_size]
    return len(sample) >= 1024 and sample.nunique() * 4 <= len(sample)


_PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NAN_SPELLINGS = ("nan", "+nan", "-nan")


def _parse_numbers(text: pd.Series) -> np.ndarray:
    """Text to float64, NaN where it is not a number; ``-0`` becomes ``0.0``.

    Plain decimal numbers (nearly every cell) are cast in one vectorised pass; only the
    rest (``inf``, ``nan``, typos) go through the slower general parser.
    """
    try:
        column = _arrow_text(text)
        matches = pc.fill_null(pc.match_substring_regex(column, f"^{_PLAIN_NUMBER}$"), False)
        numbers = pc.cast(pc.if_else(matches, column, "nan"), pa.float64())
        parsed = numbers.to_numpy()
        others = np.flatnonzero(~matches.to_numpy() & (text != "").to_numpy(dtype=bool))
        if len(others):
            general = pd.to_numeric(text.iloc[others], errors="coerce").astype("float64")
            parsed = parsed.copy()
            parsed[others] = general.to_numpy()
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        parsed = np.asarray(pd.to_numeric(text, errors="coerce"), dtype="float64")
    return parsed + 0.0


def _numbers(text: pd.Series) -> np.ndarray:
    """``_parse_numbers``, once per distinct value where values repeat a lot."""
    return _per_distinct(text, _parse_numbers) if _repeats_a_lot(text) else _parse_numbers(text)


def _spells_nan(text: pd.Series, parsed: np.ndarray) -> np.ndarray:
    """Rows whose text is "nan" (any case, signed or not): a number, though not a usable one."""
    spelled = np.zeros(len(text), dtype=bool)
    candidates = np.flatnonzero(np.isnan(parsed))
    if len(candidates):
        lower = text.iloc[candidates].str.lower()
        spelled[candidates] = lower.isin(list(_NAN_SPELLINGS)).to_numpy(dtype=bool)
    return spelled


def step_coerce_numbers(frame: pd.DataFrame, in_play: np.ndarray, ctx: _Context) -> _StepOutcome:
    """Quantities become numbers (blank raw material -> 0, counted); bad coordinates are blanked."""
    failed = np.zeros(len(frame), dtype=bool)
    rejected: list[pd.DataFrame] = []
    defaulted_material = 0
    names = (*QUANTITY_COLUMNS, "latitude", "longitude")
    numbers = dict(zip(names, _for_each_column(_numbers, [frame[n] for n in names]), strict=True))
    for name in QUANTITY_COLUMNS:
        text = frame[name]
        parsed = numbers.pop(name)
        blank = (text == "").to_numpy(dtype=bool)
        if name == "raw_material_weight_tons":
            defaulted_material = _count(blank, in_play, ~failed)
            parsed = np.where(blank, 0.0, parsed)
            bad = ~blank & np.isnan(parsed) & ~_spells_nan(text, parsed)

            def reason(rows: pd.DataFrame, name: str = name) -> pd.Series:
                return f"{name} '" + rows[name] + "' is not a number"
        else:
            bad = np.isnan(parsed) & ~_spells_nan(text, parsed)

            def reason(rows: pd.DataFrame, name: str = name) -> pd.Series:
                return (f"{name} '" + rows[name] + "' is not a number").where(
                    rows[name] != "", f"{name} is blank"
                )

        new = bad & in_play & ~failed
        rejected.append(_rejections(frame, new, name, text, reason))
        failed |= new
        frame[name] = pd.Series(parsed, index=frame.index, copy=False)
    blanked = 0
    for name, limit in (("latitude", 90.0), ("longitude", 180.0)):
        text = frame[name]
        parsed = numbers.pop(name)
        with np.errstate(invalid="ignore"):
            invalid = (text != "").to_numpy(dtype=bool) & ~(np.abs(parsed) <= limit)
        blanked += _count(invalid, in_play, ~failed)
        frame[name] = pd.Series(np.where(invalid, np.nan, parsed), index=frame.index, copy=False)
    changed = defaulted_material + blanked
    return _StepOutcome(
        frame,
        in_play & ~failed,
        rejected,
        changed,
        f"{defaulted_material} blank raw_material_weight_tons set to 0; {blanked} unparseable "
        "or out-of-range latitude/longitude value(s) blanked (the rows are kept)",
    )


def step_check_month(frame: pd.DataFrame, in_play: np.ndarray, ctx: _Context) -> _StepOutcome:
    """Month must be a whole number from 1 to 12 ("1", "01" and "1.0" are fine)."""
    codes, spelled = _spellings(frame["month"])
    number = _parse_numbers(spelled)
    finite = np.isfinite(number)
    whole_spellings = finite & (number == np.floor(np.where(finite, number, 0.0)))
    with np.errstate(invalid="ignore"):
        good_spellings = whole_spellings & (number >= 1) & (number <= 12)
    rewritten_spellings = ~spelled.str.fullmatch(r"[1-9]|1[0-2]").to_numpy(dtype=bool)
    bad = ~good_spellings[codes] & in_play
    whole = pd.Series(whole_spellings[codes], index=frame.index)

    def reason(rows: pd.DataFrame) -> pd.Series:
        given = rows["month"]
        return (
            ("month " + given + " is outside 1..12")
            .where(
                whole.loc[rows.index], "month '" + given + "' is not a whole number from 1 to 12"
            )
            .where(given != "", "month is blank")
        )

    rejected = _rejections(frame, bad, "month", frame["month"], reason)
    in_play = in_play & ~bad
    changed = _count((good_spellings & rewritten_spellings)[codes], in_play)
    month_spellings = np.where(good_spellings, number, 0).astype("int8")  # int64 when done
    frame["month"] = pd.Series(month_spellings[codes], index=frame.index, copy=False)
    return _StepOutcome(
        frame, in_play, [rejected], changed, f"{changed} month value(s) written as integers"
    )


def _by_category(column: pd.Series, values: Mapping[str, float]) -> np.ndarray:
    """``values[category]`` for every row of a categorical column, NaN where missing."""
    table = [values.get(name, np.nan) for name in column.cat.categories]
    return np.asarray([*table, np.nan], dtype="float64")[column.cat.codes.to_numpy()]


def step_check_quantities(frame: pd.DataFrame, in_play: np.ndarray, ctx: _Context) -> _StepOutcome:
    """No negative, NaN or infinite quantity, nor one whose emissions cannot be represented."""
    failed = np.zeros(len(frame), dtype=bool)
    rejected: list[pd.DataFrame] = []
    for name in QUANTITY_COLUMNS:
        values = frame[name].to_numpy()
        bad = np.isnan(values) | np.isinf(values) | (values < 0)

        def reason(rows: pd.DataFrame, name: str = name) -> pd.Series:
            given = rows[name]
            return (
                pd.Series(f"{name} is negative", index=rows.index, dtype=str)
                .where(~np.isinf(given), f"{name} is infinite")
                .where(given.notna(), f"{name} is not a number (NaN)")
            )

        new = bad & in_play & ~failed
        rejected.append(_rejections(frame, new, name, frame[name], reason))
        failed |= new
    sectors = ctx.factors.sectors
    with np.errstate(over="ignore", invalid="ignore"):
        production_kg = frame["monthly_production_tons"].to_numpy() * _by_category(
            frame["sector"], {k: s.production_per_ton for k, s in sectors.items()}
        )
        energy_kg = (
            frame["energy_used_mwh"].to_numpy()
            * _by_category(frame["sector"], {k: s.energy_per_mwh for k, s in sectors.items()})
            * np.nan_to_num(
                _by_category(frame["energy_source_type"], ctx.factors.energy_multipliers),
                nan=1.0,
            )
        )
        material_kg = frame["raw_material_weight_tons"].to_numpy() * _by_category(
            frame["sector"], {k: s.material_processing_per_ton for k, s in sectors.items()}
        )
        monthly_kg = production_kg + energy_kg + material_kg
        too_large = ~(monthly_kg <= MAX_MONTHLY_EMISSIONS_KG) & in_play & ~failed
    rows = np.flatnonzero(too_large)
    components = np.nan_to_num(
        np.vstack([production_kg[rows], energy_kg[rows], material_kg[rows]]), nan=np.inf
    )
    culprit = np.full(len(frame), -1)
    culprit[rows] = np.argmax(components, axis=0)
    for number, name in enumerate(QUANTITY_COLUMNS):
        rejected.append(
            _rejections(
                frame,
                culprit == number,
                name,
                frame[name],
                f"value too large: {name} gives more than {MAX_MONTHLY_EMISSIONS_KG:.0e} kg CO2 "
                "in one month",
            )
        )
    return _StepOutcome(
        frame,
        in_play & ~failed & ~too_large,
        rejected,
        0,
        "negative, NaN, infinite and too-large quantities rejected",
    )


def step_drop_duplicates(frame: pd.DataFrame, in_play: np.ndarray, ctx: _Context) -> _StepOutcome:
    """Duplicate (factory_id, month): the last row in the file wins; earlier ones are listed."""
    rows = np.flatnonzero(in_play)
    # One integer per (factory, month): months are 1..12 once step 6 has run.
    key = pd.Series(
        frame["factory_id"].cat.codes.to_numpy()[rows].astype("int64") * 16
        + frame["month"].to_numpy()[rows]
    )
    superseded = key.duplicated(keep="last").to_numpy()
    earlier = np.zeros(len(frame), dtype=bool)
    earlier[rows[superseded]] = True

    def reason(selected: pd.DataFrame) -> pd.Series:
        superseded_keys = key[superseded]
        # The winners: the one row left of each key that has earlier rows.
        winners = np.flatnonzero(key.isin(superseded_keys.unique()).to_numpy() & ~superseded)
        winner = rows[winners[pd.Index(key.iloc[winners]).get_indexer(superseded_keys)]]
        winner_line = pd.Series(frame[LINE_NUMBER].to_numpy()[winner], index=selected.index)
        return (
            "duplicate row for factory "
            + selected["factory_id"]
            + " month "
            + selected["month"].astype(str)
            + ": superseded by line "
            + winner_line.astype(str)
            + " (the last row wins)"
        )

    rejected = _rejections(frame, earlier, "month", frame["month"], reason)
    return _StepOutcome(
        frame,
        in_play & ~earlier,
        [rejected],
        0,
        f"{int(superseded.sum())} earlier duplicate row(s) superseded",
    )


def step_one_sector_per_factory(
    frame: pd.DataFrame, in_play: np.ndarray, ctx: _Context
) -> _StepOutcome:
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
    rows = np.flatnonzero(in_play)
    factory_column = frame["factory_id"]
    factory = factory_column.cat.codes.to_numpy()[rows]
    sectors = frame["sector"].cat.categories
    sector = frame["sector"].cat.codes.to_numpy()[rows]
    # Each factory's first row in play: positions in ``rows``, looked up by factory code.
    first_rows = np.flatnonzero(~pd.Series(factory).duplicated().to_numpy())
    first_row_of = np.zeros(len(factory_column.cat.categories), dtype="int64")
    first_row_of[factory[first_rows]] = first_rows
    first_row = first_row_of[factory]
    reference = sector[first_row]
    # The sector name each factory is registered with, by factory code (NaN: none).
    registered_names = np.full(len(factory_column.cat.categories), np.nan, dtype=object)
    if registered:
        _, factory_ids = _spellings(factory_column)
        registered_names = factory_ids.map(registered).to_numpy(dtype=object)
    is_registered = pd.notna(registered_names)[factory]
    if registered:
        registered_codes = sectors.get_indexer(registered_names)  # not configured: -1
        reference = np.where(is_registered, registered_codes[factory], reference)
    disagrees = sector != reference  # a registered sector that is not configured: -1
    mismatch = np.zeros(len(frame), dtype=bool)
    mismatch[rows[disagrees]] = True

    def reason(selected: pd.DataFrame) -> pd.Series:
        at = np.flatnonzero(disagrees)  # the rejected rows, as positions in ``rows``
        first_sector_names = np.asarray(sectors, dtype=object)[sector[first_row[at]]]
        registered_name = registered_names[factory[at]]
        ref = pd.Series(
            np.where(is_registered[at], registered_name, first_sector_names),
            index=selected.index,
        ).astype(str)
        first_line = pd.Series(
            frame[LINE_NUMBER].to_numpy()[rows[first_row[at]]], index=selected.index
        )
        return (
            "factory "
            + selected["factory_id"]
            + " is registered as "
            + ref
            + ", row says "
            + selected["sector"]
        ).where(
            pd.Series(is_registered[at], index=selected.index),
            "factory "
            + selected["factory_id"]
            + " is "
            + ref
            + " on its first row (line "
            + first_line.astype(str)
            + "), this row says "
            + selected["sector"],
        )

    rejected = _rejections(frame, mismatch, "sector", frame["sector"], reason)
    return _StepOutcome(
        frame,
        in_play & ~mismatch,
        [rejected],
        0,
        f"{int(disagrees.sum())} row(s) disagreeing with their factory's sector",
    )


def step_sort(frame: pd.DataFrame, in_play: np.ndarray, ctx: _Context) -> _StepOutcome:
    """Sort by factory_id, then month; the rows out of play leave the frame here."""
    rows = np.flatnonzero(in_play)
    factory_ids = frame["factory_id"].cat.categories
    rank = np.empty(len(factory_ids), dtype="int64")
    rank[factory_ids.argsort()] = np.arange(len(factory_ids))
    key = (
        rank[frame["factory_id"].cat.codes.to_numpy()[rows]] * 16 + frame["month"].to_numpy()[rows]
    )
    ordered_rows = rows[np.argsort(key, kind="stable")]
    line = frame[LINE_NUMBER].to_numpy()
    moved = int(np.count_nonzero(line[ordered_rows] != line[rows]))
    ordered = frame.take(ordered_rows).reset_index(drop=True)
    return _StepOutcome(
        ordered,
        np.ones(len(ordered), dtype=bool),
        [],
        moved,
        f"{moved} row(s) moved into factory/month order",
    )


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
        column = out[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = _decoded(column)
        out[name] = column.astype(str)
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
    in_play = np.ones(len(frame), dtype=bool)
    # Let the raw columns go as soon as the steps have replaced them (a million-row
    # upload's text is a few hundred MB); a caller that hands the frame over without
    # keeping a reference gets that memory back during cleaning.
    del raw
    rejected_parts: list[pd.DataFrame] = []
    report: list[StepReport] = []
    for number, (name, step) in enumerate(STEPS, start=1):
        outcome = step(frame, in_play, ctx)
        rejected_parts.extend(part for part in outcome.rejected if len(part))
        report.append(
            StepReport(
                number=number,
                name=name,
                rows_in=int(in_play.sum()),
                rows_out=int(outcome.in_play.sum()),
                rejected=sum(len(part) for part in outcome.rejected),
                changed=outcome.changed,
                detail=outcome.detail,
            )
        )
        frame, in_play = outcome.frame, outcome.in_play
        del outcome
        _return_freed_heap()
    if rejected_parts:
        rejected = pd.concat(rejected_parts, ignore_index=True)
        rejected = rejected.sort_values(LINE_NUMBER, kind="stable").reset_index(drop=True)
        rejected = rejected.astype({LINE_NUMBER: "int64"})
    else:
        rejected = _empty_rejections()
    if not in_play.all():  # only when the last step leaves rows out of play in the frame
        frame = frame.loc[in_play]
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
