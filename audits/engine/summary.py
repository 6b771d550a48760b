"""Auditing a cleaned frame: one ``Industry`` (one closure) per factory, months in order."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .factors import FactorSet
from .industry import MONTHS_PER_YEAR, Industry

if TYPE_CHECKING:
    from .cleaning import CleaningResult

COMPLIANT = "COMPLIANT"
EXCEEDED = "EXCEEDED"


@dataclass(frozen=True)
class FactoryOutcome:
    """One factory's audited year."""

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
        data = asdict(self)
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

    def violators(self, limit: int | None = None) -> list[FactoryOutcome]:
        """Factories over their cap, largest total first (ties by factory_id)."""
        over = sorted(
            (f for f in self.factories if f.is_over_cap),
            key=lambda f: (-f.total_emissions_kg, f.factory_id),
        )
        return over if limit is None else over[:limit]


def _factory_outcome(**fields: Any) -> FactoryOutcome:
    # A frozen dataclass sets its 19 fields one object.__setattr__ call at a time; the
    # audit builds one per factory, so fill the instance dictionary in one go instead.
    outcome = object.__new__(FactoryOutcome)
    outcome.__dict__.update(fields)
    return outcome


def _optional_float(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def audit_frame(
    cleaned: pd.DataFrame,
    factors: FactorSet,
    *,
    year: int,
    factory_caps: Mapping[str, float] | None = None,
) -> AuditOutcome:
    """Audit a cleaned frame (``CleaningResult.cleaned``): one closure per factory.

    ``factory_caps`` maps factory_id to a cap that overrides its sector's.
    """
    caps = dict(factory_caps or {})
    ordered = cleaned.sort_values(["factory_id", "month"], kind="stable")
    ids = ordered["factory_id"].to_numpy(dtype=object)
    sectors = ordered["sector"].to_numpy(dtype=object)
    names = ordered["factory_name"].to_numpy(dtype=object)
    countries = ordered["country"].to_numpy(dtype=object)
    latitudes = ordered["latitude"].to_numpy(dtype="float64")
    longitudes = ordered["longitude"].to_numpy(dtype="float64")
    months = ordered["month"].to_numpy(dtype="int64").tolist()
    production = ordered["monthly_production_tons"].to_numpy(dtype="float64").tolist()
    energy = ordered["energy_used_mwh"].to_numpy(dtype="float64").tolist()
    sources = ordered["energy_source_type"].to_numpy(dtype=object).tolist()
    material = ordered["raw_material_weight_tons"].to_numpy(dtype="float64").tolist()
    multipliers = factors.energy_multipliers
    sector_factors = {name: factors.sector(name) for name in set(sectors.tolist())}

    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]).tolist() if len(ids) else []
    bounds = [*starts, len(ids)]
    rows = zip(production, energy, sources, material, months, strict=True)
    outcomes: list[FactoryOutcome] = []
    for start, end in itertools.pairwise(bounds):
        factory_id = str(ids[start])
        industry = Industry(
            factory_id,
            sector_factors[sectors[start]],
            carbon_cap_kg=caps.get(factory_id),
            energy_multipliers=multipliers,
        )
        record_month = industry.record_month
        monthly: list[float | None] = [None] * MONTHS_PER_YEAR
        # The frame is sorted, so each factory's months are the next end - start rows.
        for production_tons, energy_mwh, source, material_tons, month in itertools.islice(
            rows, end - start
        ):
            record = record_month(production_tons, energy_mwh, source, material_tons, month=month)
            monthly[month - 1] = record.monthly_emissions_kg
        outcomes.append(
            _factory_outcome(
                factory_id=factory_id,
                sector=industry.sector,
                factory_name=str(names[start]),
                country=str(countries[start]),
                latitude=_optional_float(latitudes[start]),
                longitude=_optional_float(longitudes[start]),
                monthly_emissions_kg=tuple(monthly),
                production_kg=industry.production_kg,
                energy_kg=industry.energy_kg,
                material_kg=industry.material_kg,
                total_emissions_kg=industry.total_emissions_kg,
                carbon_cap_kg=industry.carbon_cap_kg,
                status=EXCEEDED if industry.is_over_cap else COMPLIANT,
                first_breach_month=industry.first_breach_month,
                alerts_count=industry.alerts_count,
                months_reported=industry.months_reported,
                projected_annual_kg=industry.projected_annual_kg,
                max_monthly_emissions_kg=industry.max_monthly_emissions_kg,
                avg_monthly_emissions_kg=industry.avg_monthly_emissions_kg,
            )
        )
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
