"""Splitting a cleaned frame by factory and merging the audited parts.

A factory's months never cross a partition, so every closure sees its whole year and
the merged outcome equals the single-pass one, figure for figure. Parts travel
between workers as files (``outcome_to_frame`` gives a flat, parquet-friendly table),
never as Python objects.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .closures import MONTHS_PER_YEAR
from .outcome import INT_FIELDS, TEXT_FIELDS, AuditOutcome, FactoryOutcome

MONTH_COLUMNS = tuple(f"month_{number:02d}_kg" for number in range(1, MONTHS_PER_YEAR + 1))
_SCALAR_FIELDS = tuple(
    name
    for name in FactoryOutcome._fields
    if name not in ("monthly_emissions_kg", "first_breach_month")
)


def partition_count(rows: int, *, rows_per_partition: int, max_partitions: int) -> int:
    """How many parts ``rows`` cleaned rows make: 1 up to the threshold, then ceil(rows / it)."""
    if rows_per_partition <= 0 or rows <= rows_per_partition:
        return 1
    return max(1, min(max_partitions, math.ceil(rows / rows_per_partition)))


def partition_frame(cleaned: pd.DataFrame, parts: int) -> list[pd.DataFrame]:
    """Split a cleaned frame into at most ``parts`` frames of about equal rows, by factory.

    The frame is sorted by factory_id (as ``clean_frame`` leaves it); cuts fall only on
    the first row of a factory, so no factory is split.
    """
    ordered = cleaned.sort_values(["factory_id", "month"], kind="stable").reset_index(drop=True)
    rows = len(ordered)
    if parts <= 1 or rows == 0:
        return [ordered]
    ids = ordered["factory_id"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    targets = np.arange(1, parts) * rows / parts
    # The factory start nearest to each ideal cut, without repeating a cut.
    positions = np.searchsorted(starts, targets)
    cuts: list[int] = []
    for target, position in zip(targets, positions, strict=True):
        candidates = [starts[i] for i in (position - 1, position) if 0 <= i < len(starts)]
        cut = int(min(candidates, key=lambda start: abs(start - target)))
        if 0 < cut < rows and (not cuts or cut > cuts[-1]):
            cuts.append(cut)
    bounds = [0, *cuts, rows]
    return [
        ordered.iloc[start:end].reset_index(drop=True) for start, end in itertools.pairwise(bounds)
    ]


def outcome_to_frame(outcome: AuditOutcome) -> pd.DataFrame:
    """One row per factory, the 12 months as columns (NaN for a month not reported)."""
    data: dict[str, object] = {name: outcome.column(name) for name in _SCALAR_FIELDS}
    breach = outcome.column("first_breach_month")
    data["first_breach_month"] = pd.arrays.IntegerArray(breach.astype(np.int64), breach == 0)
    monthly = outcome.column("monthly_emissions_kg")
    for index, name in enumerate(MONTH_COLUMNS):
        data[name] = monthly[:, index]
    frame = pd.DataFrame(data)
    frame.attrs["year"] = outcome.year
    return frame


def outcome_from_frames(frames: Iterable[pd.DataFrame], *, year: int) -> AuditOutcome:
    """Merge audited parts (``outcome_to_frame`` tables) into one outcome, by factory_id."""
    merged = pd.concat(list(frames), ignore_index=True)
    merged = merged.sort_values("factory_id", kind="stable").reset_index(drop=True)
    if merged["factory_id"].duplicated().any():
        raise ValueError("a factory appears in more than one partition")
    columns: dict[str, object] = {}
    for name in _SCALAR_FIELDS:
        if name in TEXT_FIELDS:
            columns[name] = [str(value) for value in merged[name].tolist()]
        elif name in INT_FIELDS:
            columns[name] = merged[name].to_numpy(dtype=np.int64)
        else:
            columns[name] = merged[name].to_numpy(dtype=np.float64)
    columns["first_breach_month"] = (
        merged["first_breach_month"].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
    )
    columns["monthly_emissions_kg"] = merged.loc[:, list(MONTH_COLUMNS)].to_numpy(dtype=np.float64)
    return AuditOutcome.from_columns(year, columns)
