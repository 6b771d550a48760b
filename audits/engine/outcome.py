"""The result of one audit: a ``FactoryOutcome`` per factory, kept column by column.

A million-row upload audits tens of thousands of factories. Kept as one Python object
each (19 fields and 12 monthly figures), they took ~80 MB; as columns (numpy arrays for
the figures, lists for the text) about a third of that. ``AuditOutcome.factories`` still
reads as a sequence of ``FactoryOutcome``, built as they are read; the summary, exports
and charts work on ``AuditOutcome.column`` directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple, overload

import numpy as np
import pandas as pd

from .closures import MONTHS_PER_YEAR

COMPLIANT = "COMPLIANT"
EXCEEDED = "EXCEEDED"


class FactoryOutcome(NamedTuple):
    """One factory's audited year.

    Immutable. A named tuple: it is built in one step and holds its fields without a
    per-instance dict.
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


FIELDS = FactoryOutcome._fields
TEXT_FIELDS = ("factory_id", "sector", "factory_name", "country", "status")
FLOAT_FIELDS = (
    "production_kg",
    "energy_kg",
    "material_kg",
    "total_emissions_kg",
    "carbon_cap_kg",
    "projected_annual_kg",
    "max_monthly_emissions_kg",
    "avg_monthly_emissions_kg",
)
OPTIONAL_FLOAT_FIELDS = ("latitude", "longitude")  # NaN in the column: None
INT_FIELDS = ("alerts_count", "months_reported")
OPTIONAL_INT_FIELDS = ("first_breach_month",)  # 0 in the column: None
MONTHLY = "monthly_emissions_kg"  # an (n, 12) float array, NaN: month not reported
# What registering a factory takes from its audit.
FACTORY_DETAIL_COLUMNS = (
    "factory_id",
    "factory_name",
    "sector",
    "country",
    "latitude",
    "longitude",
)


def _none_for_nan(values: list[float]) -> tuple[float | None, ...]:
    return tuple(None if value != value else value for value in values)


def _whole_numbers(name: str, values: Sequence[Any]) -> np.ndarray:
    array = np.array(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    wrong = [v for v in values if isinstance(v, bool) or not float(v).is_integer()]
    if wrong:
        raise ValueError(f"{name} must be a whole number, got {wrong[0]!r}")
    return array.astype(np.int64)


class OutcomeBuilder:
    """Collects blocks of ``FactoryOutcome`` into columns (the objects can then go)."""

    def __init__(self) -> None:
        self._parts: dict[str, list] = {name: [] for name in FIELDS}

    def add(self, block: Sequence[FactoryOutcome]) -> dict[str, Any]:
        """Keep a block's factories; returns the block's own columns."""
        if not block:
            return OutcomeBuilder().columns()
        values = dict(zip(FIELDS, zip(*block, strict=True), strict=True))
        columns: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            columns[name] = list(values[name])
        for name in (*FLOAT_FIELDS, *OPTIONAL_FLOAT_FIELDS):
            columns[name] = np.array(values[name], dtype=np.float64)  # None -> NaN
        for name in INT_FIELDS:
            columns[name] = _whole_numbers(name, values[name])
        for name in OPTIONAL_INT_FIELDS:
            columns[name] = _whole_numbers(name, [0 if v is None else v for v in values[name]])
        columns[MONTHLY] = np.array(values[MONTHLY], dtype=np.float64).reshape(
            len(block), MONTHS_PER_YEAR
        )
        for name, column in columns.items():
            if name in TEXT_FIELDS:
                self._parts[name].extend(column)
            else:
                self._parts[name].append(column)
        return columns

    def columns(self) -> dict[str, Any]:
        """The collected columns. The builder gives its blocks up as it joins them (one
        column's blocks and its joined copy exist at a time) and is empty afterwards."""
        out: dict[str, Any] = {}
        for name, parts in self._parts.items():
            if name in TEXT_FIELDS:
                out[name] = list(parts)
            elif name == MONTHLY:
                out[name] = (
                    np.concatenate(parts)
                    if parts
                    else np.empty((0, MONTHS_PER_YEAR), dtype=np.float64)
                )
            else:
                dtype = np.int64 if name in (*INT_FIELDS, *OPTIONAL_INT_FIELDS) else np.float64
                out[name] = np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
            parts.clear()
        return out


class FactoryOutcomes(Sequence[FactoryOutcome]):
    """The factories of an ``AuditOutcome`` as ``FactoryOutcome`` objects, made on reading."""

    __slots__ = ("_outcome",)
    _CHUNK = 4096

    def __init__(self, outcome: AuditOutcome) -> None:
        self._outcome = outcome

    def __len__(self) -> int:
        return len(self._outcome)

    @overload
    def __getitem__(self, index: int) -> FactoryOutcome: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[FactoryOutcome, ...]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return tuple(self._outcome._rows(start, stop))
            return tuple(self[i] for i in range(start, stop, step))
        position = range(len(self))[index]  # IndexError as a sequence gives it
        return next(self._outcome._rows(position, position + 1))

    def __iter__(self) -> Iterator[FactoryOutcome]:
        for start in range(0, len(self), self._CHUNK):
            yield from self._outcome._rows(start, min(start + self._CHUNK, len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FactoryOutcomes | tuple | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"<{len(self)} FactoryOutcome>"


class AuditOutcome:
    """All factories of one audit, sorted by factory_id, kept column by column.

    ``AuditOutcome(year=, factories=)`` takes ``FactoryOutcome`` objects (any iterable);
    ``AuditOutcome.from_columns`` takes columns as ``column`` gives them. Read-only.
    """

    __slots__ = ("_columns", "_length", "_year")

    def __init__(self, year: int, factories: Iterable[FactoryOutcome] = ()) -> None:
        builder = OutcomeBuilder()
        block: list[FactoryOutcome] = []
        for factory in factories:
            block.append(factory)
            if len(block) == 4096:
                builder.add(block)
                block = []
        builder.add(block)
        self._init(year, builder.columns())

    def _init(self, year: int, columns: dict[str, Any]) -> None:
        self._year = int(year)
        self._columns = columns
        self._length = len(columns["factory_id"])

    @classmethod
    def from_builder(cls, year: int, builder: OutcomeBuilder) -> AuditOutcome:
        return cls.from_columns(year, builder.columns())

    @classmethod
    def from_columns(cls, year: int, columns: dict[str, Any]) -> AuditOutcome:
        """Columns by field name: lists of str for the text fields, numpy arrays for the
        rest (NaN for a missing coordinate or month, 0 for no first breach)."""
        missing = [name for name in FIELDS if name not in columns]
        if missing:
            raise ValueError(f"columns missing: {', '.join(missing)}")
        length = len(columns["factory_id"])
        if any(len(columns[name]) != length for name in FIELDS):
            raise ValueError("columns of different lengths")
        outcome = cls.__new__(cls)
        outcome._init(year, dict(columns))
        return outcome

    def parts(self, size: int) -> Iterator[AuditOutcome]:
        """The factories in consecutive parts of at most ``size``, each an AuditOutcome."""
        for start in range(0, self._length, size):
            stop = min(start + size, self._length)
            yield AuditOutcome.from_columns(
                self._year, {name: column[start:stop] for name, column in self._columns.items()}
            )

    @property
    def year(self) -> int:
        return self._year

    @property
    def factories(self) -> FactoryOutcomes:
        return FactoryOutcomes(self)

    def __len__(self) -> int:
        return self._length

    def column(self, name: str) -> Any:
        """One field for every factory, in factory order (do not modify it)."""
        return self._columns[name]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AuditOutcome):
            return NotImplemented
        return self.year == other.year and self.factories == other.factories

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"AuditOutcome(year={self.year}, factories={self._length})"

    def _rows(self, start: int, stop: int) -> Iterator[FactoryOutcome]:
        c = self._columns
        monthly = [_none_for_nan(row) for row in c[MONTHLY][start:stop].tolist()]
        breach = [None if v == 0 else v for v in c["first_breach_month"][start:stop].tolist()]
        latitude = [None if v != v else v for v in c["latitude"][start:stop].tolist()]
        longitude = [None if v != v else v for v in c["longitude"][start:stop].tolist()]
        fields = {
            "monthly_emissions_kg": monthly,
            "first_breach_month": breach,
            "latitude": latitude,
            "longitude": longitude,
        }
        for name in TEXT_FIELDS:
            fields[name] = c[name][start:stop]
        for name in (*FLOAT_FIELDS, *INT_FIELDS):
            fields[name] = c[name][start:stop].tolist()
        return map(FactoryOutcome._make, zip(*(fields[name] for name in FIELDS), strict=True))

    # --- figures over all factories ---------------------------------------------------

    def _over_cap(self) -> np.ndarray:
        return np.array([status == EXCEEDED for status in self._columns["status"]], dtype=bool)

    def totals(self) -> dict[str, Any]:
        """Keys: total_factories, total_emissions_kg, total_emissions_tons, total_alerts,
        factories_over_cap."""
        total_kg = math.fsum(self._columns["total_emissions_kg"].tolist())
        return {
            "total_factories": self._length,
            "total_emissions_kg": total_kg,
            "total_emissions_tons": total_kg / 1000.0,
            "total_alerts": int(self._columns["alerts_count"].sum()),
            "factories_over_cap": int(self._over_cap().sum()),
        }

    def sector_breakdown(self) -> dict[str, dict[str, Any]]:
        """``{sector: {factories, total_emissions_kg, avg_per_factory_kg, over_cap}}``, by name."""
        sectors = np.array(self._columns["sector"], dtype=object)
        totals = self._columns["total_emissions_kg"]
        over = self._over_cap()
        breakdown: dict[str, dict[str, Any]] = {}
        for sector in sorted(set(self._columns["sector"])):
            members = sectors == sector
            count = int(members.sum())
            total_kg = math.fsum(totals[members].tolist())
            breakdown[sector] = {
                "factories": count,
                "total_emissions_kg": total_kg,
                "avg_per_factory_kg": total_kg / count,
                "over_cap": int(over[members].sum()),
            }
        return breakdown

    def factory_details(self) -> pd.DataFrame:
        """One row per factory: the ``FACTORY_DETAIL_COLUMNS`` (coordinates NaN where
        unknown), what registering the factories needs."""
        return pd.DataFrame({name: self._columns[name] for name in FACTORY_DETAIL_COLUMNS})

    def violators(self, limit: int | None = None) -> list[FactoryOutcome]:
        """Factories over their cap, largest total first (ties by factory_id)."""
        totals = self._columns["total_emissions_kg"]
        ids = self._columns["factory_id"]
        over = np.flatnonzero(self._over_cap()).tolist()
        ranked = sorted(over, key=lambda index: (-totals[index], ids[index]))
        if limit is not None:
            ranked = ranked[:limit]
        return [self.factories[index] for index in ranked]
