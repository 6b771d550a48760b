"""Auditing a cleaned frame: one ``Industry`` (one closure) per factory, months in order."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from .factors import FactorSet
from .industry import MONTHS_PER_YEAR, Industry

if TYPE_CHECKING:
    from .cleaning import CleaningResult

COMPLIANT = "COMPLIANT"
EXCEEDED = "EXCEEDED"


class FactoryOutcome(NamedTuple):
    """One factory's audited year.

    Immutable. A named tuple: a million-row audit makes tens of thousands of them, and
    a tuple is built in one step and holds its fields without a per-instance dict.
    """

    factory_id: str
    sector: str
    factory_name: str
    country: str
    latitude: float | None
    longitude: float | None
    monthly_emissions_kg: tuple[float | None, ...]
    production_kg: float
    energy_kg: float
    material_kg: float
    total_emissions_kg: float
    carbon_cap_kg: float
    status: str
    first_breach_month: int | None
    alerts_count: int
    months_reported: int
    projected_annual_kg: float
    max_monthly_emissions_kg: float
    avg_monthly_emissions_kg: float

    @property
    def is_over_cap(self) -> bool:
        return self.status == EXCEEDED

    def cumulative_emissions_kg(self) -> tuple[float | None, ...]:
        """Running total at the end of each month; None before the first reported month."""
        running: float | None = None
        out: list[float | None] = []
        for value in self.monthly_emissions_kg:
            if value is not None:
                running = (running or 0.0) + value
            out.append(running)
        return tuple(out)

    def as_dict(self) -> dict[str, Any]:
        data = self._asdict()
        data["monthly_emissions_kg"] = list(self.monthly_emissions_kg)
        return data


@dataclass(frozen=True)
class AuditOutcome:
    """All factories of one audit, sorted by factory_id."""

    year: int
    factories: tuple[FactoryOutcome, ...]

    def totals(self) -> dict[str, Any]:
        """Keys: total_factories, total_emissions_kg, total_emissions_tons, total_alerts,
        factories_over_cap."""
        total_kg = math.fsum(f.total_emissions_kg for f in self.factories)
        return {
            "total_factories": len(self.factories),
            "total_emissions_kg": total_kg,
            "total_emissions_tons": total_kg / 1000.0,
            "total_alerts": sum(f.alerts_count for f in self.factories),
            "factories_over_cap": sum(1 for f in self.factories if f.is_over_cap),
        }

    def sector_breakdown(self) -> dict[str, dict[str, Any]]:
        """``{sector: {factories, total_emissions_kg, avg_per_factory_kg, over_cap}}``, by name."""
        breakdown: dict[str, dict[str, Any]] = {}
        for sector in sorted({f.sector for f in self.factories}):
            members = [f for f in self.factories if f.sector == sector]
            total_kg = math.fsum(f.total_emissions_kg for f in members)
            breakdown[sector] = {
                "factories": len(members),
                "total_emissions_kg": total_kg,
                "avg_per_factory_kg": total_kg / len(members),
                "over_cap": sum(1 for f in members if f.is_over_cap),
            }
        return breakdown

    def factory_details(self) -> pd.DataFrame:
        """One row per factory: the ``FACTORY_DETAIL_COLUMNS`` (what registering needs)."""
        columns = {
            name: [getattr(f, name) for f in self.factories] for name in FACTORY_DETAIL_COLUMNS
        }
        for name in ("latitude", "longitude"):
            columns[name] = np.array(columns[name], dtype="float64")  # None -> NaN
        return pd.DataFrame(columns, columns=list(FACTORY_DETAIL_COLUMNS))

    def violators(self, limit: int | None = None) -> list[FactoryOutcome]:
        """Factories over their cap, largest total first (ties by factory_id)."""
        over = sorted(
            (f for f in self.factories if f.is_over_cap),
            key=lambda f: (-f.total_emissions_kg, f.factory_id),
        )
        return over if limit is None else over[:limit]


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


FACTORY_DETAIL_COLUMNS = (
    "factory_id",
    "factory_name",
    "sector",
    "country",
    "latitude",
    "longitude",
)


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


def audit_frame(
    cleaned: pd.DataFrame,
    factors: FactorSet,
    *,
    year: int,
    factory_caps: Mapping[str, float] | None = None,
    on_block: Callable[[list[FactoryOutcome]], object] | None = None,
) -> AuditOutcome:
    """Audit a cleaned frame (``CleaningResult.cleaned``): one closure per factory.

    ``factory_caps`` maps factory_id to a cap that overrides its sector's. ``on_block``
    is called with each block of audited factories (in factory order) as soon as it is
    done, so that a caller can store results while the next ones are audited.
    """
    caps = dict(factory_caps or {})
    # Integer codes find each factory's rows; only each factory's first row is turned
    # into Python objects for its details, and the monthly figures are converted one
    # block of factories at a time.
    ordered, starts, bounds = _factory_order(cleaned)
    firsts = ordered.iloc[starts]
    ids = firsts["factory_id"].astype(str).tolist()
    sectors = firsts["sector"].astype(str).tolist()
    names = firsts["factory_name"].astype(str).tolist()
    countries = firsts["country"].astype(str).tolist()
    latitudes = firsts["latitude"].to_numpy(dtype="float64").tolist()
    longitudes = firsts["longitude"].to_numpy(dtype="float64").tolist()
    months = ordered["month"].to_numpy(dtype="int64")
    production = ordered["monthly_production_tons"].to_numpy(dtype="float64")
    energy = ordered["energy_used_mwh"].to_numpy(dtype="float64")
    material = ordered["raw_material_weight_tons"].to_numpy(dtype="float64")
    source_codes, source_names = pd.factorize(ordered["energy_source_type"], sort=False)
    source_names = np.asarray([str(name) for name in source_names], dtype=object)
    multipliers = factors.energy_multipliers
    sector_factors = {name: factors.sector(name) for name in set(sectors)}

    outcomes: list[FactoryOutcome] = []
    for first, end in _blocks(bounds, AUDIT_BLOCK_ROWS):
        block_start = len(outcomes)
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
        if on_block is not None:
            on_block(outcomes[block_start:])
    return AuditOutcome(year=int(year), factories=tuple(outcomes))


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
