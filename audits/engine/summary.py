"""Auditing a cleaned frame: one ``Industry`` (one closure) per factory, months in order."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .closures import MONTHS_PER_YEAR
from .factors import FactorSet
from .industry import Industry
from .outcome import (
    COMPLIANT,
    EXCEEDED,
    FACTORY_DETAIL_COLUMNS,
    AuditOutcome,
    FactoryOutcome,
    OutcomeBuilder,
)

__all__ = [
    "COMPLIANT",
    "EXCEEDED",
    "FACTORY_DETAIL_COLUMNS",
    "AuditOutcome",
    "FactoryOutcome",
    "audit_frame",
    "factory_details",
    "summary_dict",
]

if TYPE_CHECKING:
    from .cleaning import CleaningResult


def _sorted_by_factory_and_month(frame: pd.DataFrame) -> bool:
    """True when rows already come in factory_id, month order (as cleaning leaves them)."""
    if len(frame) < 2:
        return True
    months = frame["month"].to_numpy()
    try:
        # Compared by pyarrow (UTF-8 byte order is code point order, as str compares):
        # no million Python strings for a million-row frame.
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = pa.array(frame["factory_id"])
        later, earlier = ids.slice(1), ids.slice(0, len(ids) - 1)
        ahead = pc.greater(later, earlier).to_numpy(zero_copy_only=False)
        same = pc.equal(later, earlier).to_numpy(zero_copy_only=False)
    except (ImportError, TypeError, ValueError, ArithmeticError, NotImplementedError):
        values = frame["factory_id"].to_numpy()
        ahead, same = values[1:] > values[:-1], values[1:] == values[:-1]
    return bool((ahead | (same & (months[1:] > months[:-1]))).all())


def _optional_float(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


# Rows are turned into Python objects this many at a time (whole factories only), so
# that a million-row audit never holds a million-element list per column.
AUDIT_BLOCK_ROWS = 16_384


def _blocks(bounds: list[int], block_rows: int) -> Iterator[tuple[int, int]]:
    """``(first factory, end factory)`` index ranges of about ``block_rows`` rows each."""
    factories = len(bounds) - 1
    first = 0
    while first < factories:
        end = first + 1
        limit = bounds[first] + block_rows
        while end < factories and bounds[end + 1] <= limit:
            end += 1
        yield first, end
        first = end


def _factory_order(cleaned: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, list[int]]:
    """Rows in factory/month order, each factory's first row, and the row bounds."""
    ordered = cleaned
    if not _sorted_by_factory_and_month(cleaned):
        ordered = cleaned.sort_values(["factory_id", "month"], kind="stable")
    codes, _ = pd.factorize(ordered["factory_id"], sort=False)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    return ordered, starts, [*starts.tolist(), len(codes)]


def factory_details(cleaned: pd.DataFrame) -> pd.DataFrame:
    """One row per factory of a cleaned frame, in factory order: its code, name, sector,
    country and coordinates, as the factory's first row gives them (what the audit uses)."""
    ordered, starts, _ = _factory_order(cleaned)
    details = ordered.iloc[starts].loc[:, list(FACTORY_DETAIL_COLUMNS)]
    return details.reset_index(drop=True)


def _shared_text(series: pd.Series) -> list[str]:
    """The values as Python strings, one object per distinct value: a handful of sectors
    and countries, not one copy per factory."""
    codes, uniques = pd.factorize(series.astype(str))
    distinct = [str(value) for value in uniques]
    return [distinct[code] for code in codes.tolist()]


def audit_frame(
    cleaned: pd.DataFrame,
    factors: FactorSet,
    *,
    year: int,
    factory_caps: Mapping[str, float] | None = None,
    on_block: Callable[[AuditOutcome], object] | None = None,
) -> AuditOutcome:
    """Audit a cleaned frame (``CleaningResult.cleaned``): one closure per factory.

    ``factory_caps`` maps factory_id to a cap that overrides its sector's. ``on_block``
    is called with each block of audited factories (an ``AuditOutcome`` of its own, in
    factory order) as soon as it is done, so that a caller can store results while the
    next ones are audited.
    """
    caps = dict(factory_caps or {})
    # Integer codes find each factory's rows; only each factory's first row is turned
    # into Python objects for its details, and the monthly figures are converted one
    # block of factories at a time.
    ordered, starts, bounds = _factory_order(cleaned)
    firsts = ordered.iloc[starts]
    ids = firsts["factory_id"].astype(str).tolist()
    sectors = _shared_text(firsts["sector"])
    names = firsts["factory_name"].astype(str).tolist()
    countries = _shared_text(firsts["country"])
    latitudes = firsts["latitude"].to_numpy(dtype="float64").tolist()
    longitudes = firsts["longitude"].to_numpy(dtype="float64").tolist()
    months = ordered["month"].to_numpy(dtype="int64")
    production = ordered["monthly_production_tons"].to_numpy(dtype="float64")
    energy = ordered["energy_used_mwh"].to_numpy(dtype="float64")
    material = ordered["raw_material_weight_tons"].to_numpy(dtype="float64")
    source_codes, source_names = pd.factorize(ordered["energy_source_type"], sort=False)
    source_names = np.asarray([str(name) for name in source_names], dtype=object)
    source_codes = source_codes.astype(np.int32)
    # From here on only the arrays above are used: a caller that hands the frame over
    # without keeping it gets the memory of its other columns back during the audit.
    del cleaned, ordered, firsts
    multipliers = factors.energy_multipliers
    sector_factors = {name: factors.sector(name) for name in set(sectors)}

    builder = OutcomeBuilder()
    for first, end in _blocks(bounds, AUDIT_BLOCK_ROWS):
        outcomes: list[FactoryOutcome] = []
        low, high = bounds[first], bounds[end]
        rows = list(
            zip(
                production[low:high].tolist(),
                energy[low:high].tolist(),
                source_names[source_codes[low:high]].tolist(),
                material[low:high].tolist(),
                months[low:high].tolist(),
                strict=True,
            )
        )
        for index in range(first, end):
            factory_id = ids[index]
            industry = Industry(
                factory_id,
                sector_factors[sectors[index]],
                carbon_cap_kg=caps.get(factory_id),
                energy_multipliers=multipliers,
            )
            records = industry.record_months(rows[bounds[index] - low : bounds[index + 1] - low])
            monthly: list[float | None] = [None] * MONTHS_PER_YEAR
            for record in records:
                monthly[record.month - 1] = record.monthly_emissions_kg
            outcomes.append(
                FactoryOutcome(
                    factory_id,
                    industry.sector,
                    names[index],
                    countries[index],
                    _optional_float(latitudes[index]),
                    _optional_float(longitudes[index]),
                    tuple(monthly),
                    industry.production_kg,
                    industry.energy_kg,
                    industry.material_kg,
                    industry.total_emissions_kg,
                    industry.carbon_cap_kg,
                    EXCEEDED if industry.is_over_cap else COMPLIANT,
                    industry.first_breach_month,
                    industry.alerts_count,
                    industry.months_reported,
                    industry.projected_annual_kg,
                    industry.max_monthly_emissions_kg,
                    industry.avg_monthly_emissions_kg,
                )
            )
        part = builder.add(outcomes)  # kept as columns; the objects go with the block
        if on_block is not None:
            on_block(AuditOutcome.from_columns(year, part))
    return AuditOutcome.from_builder(year, builder)


def summary_dict(
    outcome: AuditOutcome, cleaning: CleaningResult, *, violators_limit: int = 10
) -> dict[str, Any]:
    """The JSON summary of one audit (plain types only)."""
    return {
        "year": outcome.year,
        "summary": outcome.totals(),
        "sector_breakdown": outcome.sector_breakdown(),
        "violators": [f.as_dict() for f in outcome.violators(violators_limit)],
        "cleaning_report": cleaning.report_dicts(),
        "rows": {
            "read": cleaning.rows_read,
            "cleaned": len(cleaning.cleaned),
            "rejected": len(cleaning.rejected),
        },
    }
