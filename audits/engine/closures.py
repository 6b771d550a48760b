"""The per-factory emission auditor: a closure that owns one factory's running total.

Everything the auditor needs lives in its enclosing scope as immutable values: the
factors and cap are plain floats, the multipliers a tuple of ``(key, float)`` pairs,
the running total a float and the monthly log a tuple of frozen ``MonthlyAudit``
records. State advances only by calling the auditor (``nonlocal`` rebinding); no cell
of ``auditor.__closure__`` holds a list, dict, set or any other object that could be
changed in place, and the function has no public attribute that reveals or resets it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from .factors import DEFAULT_FACTORS, GRID, normalise_energy_label

MONTHS_PER_YEAR = 12
STATUS_OK = "OK"
STATUS_ALERT = "ALERT"
_LARGEST_FLOAT = sys.float_info.max
FACTOR_KEYS = ("production_per_ton", "energy_per_mwh", "material_processing_per_ton")


class MonthlyAudit(NamedTuple):
    """One month of one factory, as returned by the auditor.

    Immutable. A named tuple rather than a frozen dataclass: a frozen dataclass sets
    each field through ``object.__setattr__``, which costs a third of a million-row
    audit; a tuple is built in one step.
    """

    month: int
    production_kg: float
    energy_kg: float
    material_kg: float
    multiplier: float
    energy_source: str
    monthly_emissions_kg: float
    total_emissions_kg: float
    carbon_cap_kg: float
    status: str
    alert_message: str | None

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


class Auditor(Protocol):
    def __call__(
        self,
        production_tons: float,
        energy_mwh: float,
        energy_source: str | None = None,
        raw_material_tons: float | None = None,
        *,
        month: int | None = None,
    ) -> MonthlyAudit: ...


def _quantity(value: Any, name: str) -> float:
    if type(value) is float and 0.0 <= value <= _LARGEST_FLOAT:  # the common case, fast
        return value + 0.0  # -0.0 becomes 0.0
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(number):
        raise ValueError(f"{name} is not a number (NaN)")
    if math.isinf(number):
        raise ValueError(f"{name} is infinite")
    if number < 0:
        raise ValueError(f"{name} is negative ({number})")
    return number + 0.0  # -0.0 becomes 0.0


def _frozen_multipliers(
    energy_multipliers: Mapping[str, float] | None,
) -> tuple[tuple[str, float], ...]:
    source = energy_multipliers
    if source is None:
        source = DEFAULT_FACTORS.energy_multipliers
    items = tuple(source.items())
    try:
        return _freeze_pairs(items)
    except TypeError:  # unhashable values: let _quantity explain what is wrong
        return _freeze_pairs.__wrapped__(items)


@lru_cache(maxsize=64)
def _freeze_pairs(items: tuple[tuple[Any, Any], ...]) -> tuple[tuple[str, float], ...]:
    # One audit builds thousands of auditors from the same multipliers: freeze them once.
    pairs = {_source_key(str(k)): _quantity(v, f"multiplier of {k}") for k, v in items}
    pairs.setdefault(GRID, 1.0)
    return tuple(sorted(pairs.items()))


def _source_key(raw: str) -> str:
    """``" Natural  Gas "`` -> ``"natural_gas"``."""
    return normalise_energy_label(raw).replace(" ", "_")


def alert_message(sector: str, total_kg: float, cap_kg: float) -> str:
    """The sentence shown when a factory's running total passes its cap."""
    return (
        f"ALERT: {sector} factory total {total_kg:,.2f} kg CO2 exceeds its carbon cap "
        f"of {cap_kg:,.2f} kg CO2 by {total_kg - cap_kg:,.2f} kg"
    )


@lru_cache(maxsize=256)
def _checked_factors(
    production_per_ton: Any, energy_per_mwh: Any, material_per_ton: Any, carbon_cap_kg: Any
) -> tuple[float, float, float, float]:
    # An audit builds tens of thousands of auditors from a handful of sectors: each
    # distinct set of factors is checked once.
    cap_kg = _quantity(carbon_cap_kg, "carbon_cap_kg")
    if cap_kg <= 0:
        raise ValueError("carbon_cap_kg must be greater than zero")
    return (
        _quantity(production_per_ton, "production_per_ton"),
        _quantity(energy_per_mwh, "energy_per_mwh"),
        _quantity(material_per_ton, "material_processing_per_ton"),
        cap_kg,
    )


@lru_cache(maxsize=64)
def _auditor_name(sector_name: str) -> str:
    return f"{sector_name.lower() or 'sector'}_emission_auditor"


_new_record = tuple.__new__  # MonthlyAudit(...) without the named tuple's Python-level __new__


def make_emission_auditor(
    sector: str,
    emission_factor: Mapping[str, float],
    carbon_cap_kg: float,
    energy_multipliers: Mapping[str, float] | None = None,
) -> Callable[..., MonthlyAudit]:
    """Return ``auditor(production_tons, energy_mwh, energy_source=None, raw_material_tons=None)``.

    Each call audits the next month (or the given ``month=``, which must move forward)
    and returns a ``MonthlyAudit``. ``emission_factor`` needs ``production_per_ton``,
    ``energy_per_mwh`` and ``material_processing_per_ton``; ``energy_multipliers``
    defaults to the configured ones, and a missing source counts as grid (1.0).
    The inputs are copied: changing the caller's mappings later changes nothing.

    Raises ``ValueError`` for a negative, NaN or infinite quantity, an unknown energy
    source, an emission too large to represent, or a 13th month.
    """
    sector_name = str(sector)
    missing = [key for key in FACTOR_KEYS if key not in emission_factor]
    if missing:
        raise ValueError(f"emission_factor is missing {', '.join(missing)}")
    factors = (
        emission_factor["production_per_ton"],
        emission_factor["energy_per_mwh"],
        emission_factor["material_processing_per_ton"],
        carbon_cap_kg,
    )
    try:
        checked = _checked_factors(*factors)
    except TypeError:  # an unhashable value: let _quantity explain what is wrong
        checked = _checked_factors.__wrapped__(*factors)
    production_per_ton, energy_per_mwh, material_per_ton, cap_kg = checked
    multipliers = _frozen_multipliers(energy_multipliers)

    total_kg = 0.0
    last_month = 0
    months_done = 0
    log: tuple[MonthlyAudit, ...] = ()

    def auditor(
        production_tons: float,
        energy_mwh: float,
        energy_source: str | None = None,
        raw_material_tons: float | None = None,
        *,
        month: int | None = None,
    ) -> MonthlyAudit:
        nonlocal total_kg, last_month, months_done, log
        if month is None:
            this_month = last_month + 1
        elif type(month) is int and month > last_month:  # the common case, fast
            this_month = month
        else:
            if isinstance(month, bool) or int(month) != month:
                raise ValueError(f"month must be a whole number, got {month!r}")
            this_month = int(month)
            if this_month <= last_month:
                raise ValueError(
                    f"month {this_month} comes after month {last_month} already audited"
                )
        if not 1 <= this_month <= MONTHS_PER_YEAR or months_done >= MONTHS_PER_YEAR:
            raise ValueError(
                f"a year has {MONTHS_PER_YEAR} months; month {this_month} is outside it"
            )

        # Plain non-negative finite floats (every cleaned row) skip _quantity's checks.
        if type(production_tons) is float and 0.0 <= production_tons <= _LARGEST_FLOAT:
            production = production_tons + 0.0
        else:
            production = _quantity(production_tons, "production_tons")
        if type(energy_mwh) is float and 0.0 <= energy_mwh <= _LARGEST_FLOAT:
            energy = energy_mwh + 0.0
        else:
            energy = _quantity(energy_mwh, "energy_mwh")
        if raw_material_tons is None:
            material = 0.0
        elif type(raw_material_tons) is float and 0.0 <= raw_material_tons <= _LARGEST_FLOAT:
            material = raw_material_tons + 0.0
        else:
            material = _quantity(raw_material_tons, "raw_material_tons")
        source = GRID if energy_source is None else energy_source
        multiplier = None
        for key, value in multipliers:  # canonical keys match at once
            if key == source:
                multiplier = value
                break
        if multiplier is None:
            source = _source_key(str(source)) or GRID
            for key, value in multipliers:
                if key == source:
                    multiplier = value
                    break
        if multiplier is None:
            known = ", ".join(key for key, _ in multipliers)
            raise ValueError(f"unknown energy source {energy_source!r} (known: {known})")

        production_kg = production * production_per_ton
        energy_kg = energy * energy_per_mwh * multiplier
        material_kg = material * material_per_ton
        monthly_kg = production_kg + energy_kg + material_kg
        new_total = total_kg + monthly_kg
        if not new_total <= _LARGEST_FLOAT:  # NaN or infinite
            raise ValueError("value too large: the emissions cannot be represented")

        if new_total > cap_kg:
            status, message = STATUS_ALERT, alert_message(sector_name, new_total, cap_kg)
        else:
            status, message = STATUS_OK, None
        record = _new_record(
            MonthlyAudit,
            (
                this_month,
                production_kg,
                energy_kg,
                material_kg,
                multiplier,
                source,
                monthly_kg,
                new_total,
                cap_kg,
                status,
                message,
            ),
        )
        total_kg = new_total
        last_month = this_month
        months_done += 1
        log = (*log, record)
        return record

    auditor.__name__ = auditor.__qualname__ = _auditor_name(sector_name)
    return auditor
