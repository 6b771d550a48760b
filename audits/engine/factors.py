"""Emission factors: per-sector factors, energy multipliers and energy-source aliases.

The shape of ``config/sectors.json`` is also the shape of the factor snapshot an audit
keeps, so ``FactorSet.from_dict(snapshot).to_dict() == snapshot`` for a normalised snapshot.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FACTORS_PATH = REPO_ROOT / "config" / "sectors.json"
GRID = "grid"

_SEPARATORS = re.compile(r"[\s_]+")


def normalise_energy_label(raw: str) -> str:
    """Lower-case, trim, and treat runs of spaces/underscores as one space."""
    return _SEPARATORS.sub(" ", raw.strip().lower()).strip()


def _positive_finite(value: Any, what: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{what} must be a finite, non-negative number, got {value!r}")
    return number


@dataclass(frozen=True, slots=True)
class SectorFactors:
    """Emission factors of one sector (kg CO2 per unit) and its default annual cap."""

    name: str
    production_per_ton: float
    energy_per_mwh: float
    material_processing_per_ton: float
    carbon_cap_kg: float

    def __post_init__(self) -> None:
        for attr in ("production_per_ton", "energy_per_mwh", "material_processing_per_ton"):
            object.__setattr__(self, attr, _positive_finite(getattr(self, attr), attr))
        cap = _positive_finite(self.carbon_cap_kg, "carbon_cap_kg")
        if cap <= 0:
            raise ValueError("carbon_cap_kg must be greater than zero")
        object.__setattr__(self, "carbon_cap_kg", cap)

    def emission_factor(self) -> Mapping[str, float]:
        """The three factors in the form ``make_emission_auditor`` takes."""
        return MappingProxyType(
            {
                "production_per_ton": self.production_per_ton,
                "energy_per_mwh": self.energy_per_mwh,
                "material_processing_per_ton": self.material_processing_per_ton,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "production_per_ton": self.production_per_ton,
            "energy_per_mwh": self.energy_per_mwh,
            "material_processing_per_ton": self.material_processing_per_ton,
            "carbon_cap_kg": self.carbon_cap_kg,
        }


def _empty_mapping() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class FactorSet:
    """Everything an audit needs to turn quantities into kg CO2, frozen.

    ``energy_aliases`` maps a normalised label (lower case, single spaces) to an energy
    source key; every key also maps to itself (``"natural gas"`` and ``"natural_gas"``
    both resolve to ``"natural_gas"``).
    """

    sectors: Mapping[str, SectorFactors]
    energy_multipliers: Mapping[str, float]
    energy_aliases: Mapping[str, str]
    energy_labels: Mapping[str, str] = field(default_factory=_empty_mapping)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sectors", MappingProxyType(dict(self.sectors)))
        multipliers = {
            str(k): _positive_finite(v, f"multiplier of {k}")
            for k, v in self.energy_multipliers.items()
        }
        object.__setattr__(self, "energy_multipliers", MappingProxyType(multipliers))
        aliases = {normalise_energy_label(k): v for k, v in self.energy_aliases.items()}
        for key in multipliers:
            aliases.setdefault(normalise_energy_label(key), key)
        unknown = sorted({v for v in aliases.values() if v not in multipliers})
        if unknown:
            raise ValueError(f"aliases point to unknown energy sources: {', '.join(unknown)}")
        object.__setattr__(self, "energy_aliases", MappingProxyType(aliases))
        object.__setattr__(self, "energy_labels", MappingProxyType(dict(self.energy_labels)))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FactorSet:
        """Build from the ``config/sectors.json`` shape (also a job's factor snapshot)."""
        sectors: dict[str, SectorFactors] = {}
        for row in data["sectors"]:
            sector = SectorFactors(
                name=str(row["name"]),
                production_per_ton=row["production_per_ton"],
                energy_per_mwh=row["energy_per_mwh"],
                material_processing_per_ton=row["material_processing_per_ton"],
                carbon_cap_kg=row["carbon_cap_kg"],
            )
            if sector.name.lower() in {name.lower() for name in sectors}:
                raise ValueError(f"sector {sector.name!r} is listed twice")
            sectors[sector.name] = sector
        multipliers: dict[str, float] = {}
        aliases: dict[str, str] = {}
        labels: dict[str, str] = {}
        for row in data["energy_sources"]:
            key = str(row["key"])
            multipliers[key] = row["multiplier"]
            labels[key] = str(row.get("label", key))
            for alias in row.get("aliases", ()):
                aliases[str(alias)] = key
        return cls(sectors, multipliers, aliases, labels)

    @classmethod
    def from_json_file(cls, path: str | Path) -> FactorSet:
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot that round-trips through ``from_dict``."""
        energy_sources = []
        for key, multiplier in self.energy_multipliers.items():
            aliases = [
                alias
                for alias, target in self.energy_aliases.items()
                if target == key and alias != normalise_energy_label(key)
            ]
            energy_sources.append(
                {
                    "key": key,
                    "label": self.energy_labels.get(key, key),
                    "multiplier": multiplier,
                    "aliases": aliases,
                }
            )
        return {
            "sectors": [sector.to_dict() for sector in self.sectors.values()],
            "energy_sources": energy_sources,
        }

    def sector(self, name: str) -> SectorFactors:
        """Case-insensitive lookup; ``KeyError`` for an unknown sector."""
        wanted = str(name).strip().lower()
        for sector_name, sector in self.sectors.items():
            if sector_name.lower() == wanted:
                return sector
        raise KeyError(name)

    def sector_names(self) -> tuple[str, ...]:
        """Configured sector names, sorted (used in rejection messages)."""
        return tuple(sorted(self.sectors))

    def resolve_energy_source(self, raw: str | None) -> str | None:
        """Alias/case/space-insensitive key; ``None``/blank -> ``"grid"``; unknown -> ``None``."""
        if raw is None:
            return GRID
        label = normalise_energy_label(str(raw))
        if not label:
            return GRID
        return self.energy_aliases.get(label)


DEFAULT_FACTORS: FactorSet = FactorSet.from_json_file(DEFAULT_FACTORS_PATH)
