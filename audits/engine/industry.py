"""``Industry``: one factory, one auditor closure, read-only views of its year."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .closures import MONTHS_PER_YEAR, STATUS_ALERT, MonthlyAudit, make_emission_auditor
from .factors import SectorFactors


class Industry:
    """A factory under audit. Months are added with ``record_month``; all else is read-only."""

    # The component totals, alerts, first breach and largest month are kept as the
    # months arrive, so reading them does not walk the history again.
    __slots__ = (
        "_alerts_count",
        "_auditor",
        "_cap_kg",
        "_energy_kg",
        "_factory_id",
        "_first_breach_month",
        "_history",
        "_material_kg",
        "_max_monthly_kg",
        "_production_kg",
        "_sector",
    )

    def __init__(
        self,
        factory_id: str,
        sector: SectorFactors,
        *,
        carbon_cap_kg: float | None = None,
        energy_multipliers: Mapping[str, float] | None = None,
    ) -> None:
        self._factory_id = str(factory_id)
        self._sector = sector.name
        self._cap_kg = float(sector.carbon_cap_kg if carbon_cap_kg is None else carbon_cap_kg)
        self._auditor = make_emission_auditor(
            sector.name, sector.emission_factor(), self._cap_kg, energy_multipliers
        )
        self._history: tuple[MonthlyAudit, ...] = ()
        self._production_kg = 0.0
        self._energy_kg = 0.0
        self._material_kg = 0.0
        self._max_monthly_kg = 0.0
        self._alerts_count = 0
        self._first_breach_month: int | None = None

    def __repr__(self) -> str:
        return (
            f"Industry({self._factory_id!r}, {self._sector!r}, "
            f"months={self.months_reported}, total_kg={self.total_emissions_kg:.2f})"
        )

    def record_month(
        self,
        production_tons: float,
        energy_mwh: float,
        energy_source: str | None = None,
        raw_material_tons: float | None = None,
        *,
        month: int | None = None,
    ) -> MonthlyAudit:
        """Audit the next month (or ``month``, which must move forward) and keep the result."""
        record = self._auditor(
            production_tons, energy_mwh, energy_source, raw_material_tons, month=month
        )
        self._keep((record,))
        return record

    def record_months(
        self, rows: Iterable[tuple[float, float, str | None, float | None, int | None]]
    ) -> tuple[MonthlyAudit, ...]:
        """Audit several months in order: ``(production_tons, energy_mwh, energy_source,
        raw_material_tons, month)`` each, one auditor call per month.

        The same as calling ``record_month`` for each, with less overhead per month (an
        audit of a million rows goes through here). If a month is refused, the months
        before it are kept and the error is raised.
        """
        auditor = self._auditor
        records: list[MonthlyAudit] = []
        append = records.append
        try:
            for production_tons, energy_mwh, source, material_tons, month in rows:
                append(auditor(production_tons, energy_mwh, source, material_tons, month=month))
        finally:
            self._keep(records)
        return tuple(records)

    def _keep(self, records: Sequence[MonthlyAudit]) -> None:
        if not records:
            return
        first = not self._history
        self._history = (*self._history, *records)
        production_kg, energy_kg, material_kg = (
            self._production_kg,
            self._energy_kg,
            self._material_kg,
        )
        largest = self._max_monthly_kg
        alerts = self._alerts_count
        first_breach = self._first_breach_month
        for record in records:
            production_kg += record.production_kg
            energy_kg += record.energy_kg
            material_kg += record.material_kg
            if first or record.monthly_emissions_kg > largest:
                largest = record.monthly_emissions_kg
                first = False
            if record.status == STATUS_ALERT:
                alerts += 1
                if first_breach is None:
                    first_breach = record.month
        self._production_kg, self._energy_kg, self._material_kg = (
            production_kg,
            energy_kg,
            material_kg,
        )
        self._max_monthly_kg = largest
        self._alerts_count = alerts
        self._first_breach_month = first_breach

    @property
    def factory_id(self) -> str:
        return self._factory_id

    @property
    def sector(self) -> str:
        return self._sector

    @property
    def carbon_cap_kg(self) -> float:
        return self._cap_kg

    @property
    def history(self) -> tuple[MonthlyAudit, ...]:
        """The audited months in order (an immutable copy)."""
        return tuple(self._history)

    @property
    def total_emissions_kg(self) -> float:
        return self._history[-1].total_emissions_kg if self._history else 0.0

    @property
    def months_reported(self) -> int:
        return len(self._history)

    @property
    def alerts_count(self) -> int:
        """Number of months that ended with the running total above the cap."""
        return self._alerts_count

    @property
    def is_over_cap(self) -> bool:
        return self.total_emissions_kg > self._cap_kg

    @property
    def first_breach_month(self) -> int | None:
        return self._first_breach_month

    @property
    def projected_annual_kg(self) -> float:
        """Year-end projection from the run rate: average reported month x 12."""
        if not self._history:
            return 0.0
        return self.total_emissions_kg / len(self._history) * MONTHS_PER_YEAR

    @property
    def production_kg(self) -> float:
        return self._production_kg

    @property
    def energy_kg(self) -> float:
        return self._energy_kg

    @property
    def material_kg(self) -> float:
        return self._material_kg

    @property
    def max_monthly_emissions_kg(self) -> float:
        return self._max_monthly_kg

    @property
    def avg_monthly_emissions_kg(self) -> float:
        if not self._history:
            return 0.0
        return self.total_emissions_kg / len(self._history)
