"""The deterministic sample generator behind ``data/monthly_production.csv``.

Each factory gets a target share of its annual cap (most between 45% and 93%, a
handful per sector between 105% and 205%, so some breach mid-year), a sector-typical
energy and material intensity, an energy source (written with the spellings real
uploads use: "Natural Gas", "solar", "electricity" ...), and a seasonal profile; its
monthly production is then solved so that the year lands on the target share.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .factors import DEFAULT_FACTORS, FactorSet

DEFAULT_FACTORIES_PER_SECTOR: Mapping[str, int] = {"Steel": 20, "Textile": 15, "Electronics": 15}
SAMPLE_COLUMNS = (
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

_LOCATIONS: Mapping[str, tuple[tuple[str, str, float, float], ...]] = {
    "Steel": (
        ("Pittsburgh", "United States", 40.40, -79.86),
        ("Gary", "United States", 41.61, -87.33),
        ("Hamilton", "Canada", 43.27, -79.79),
        ("Monterrey", "Mexico", 25.72, -100.23),
        ("Volta Redonda", "Brazil", -22.51, -44.10),
        ("Ipatinga", "Brazil", -19.47, -42.54),
        ("Duisburg", "Germany", 51.49, 6.74),
        ("Linz", "Austria", 48.29, 14.33),
        ("IJmuiden", "Netherlands", 52.48, 4.60),
        ("Dunkirk", "France", 51.03, 2.30),
        ("Taranto", "Italy", 40.51, 17.20),
        ("Port Talbot", "United Kingdom", 51.58, -3.78),
        ("Ostrava", "Czechia", 49.82, 18.26),
        ("Jamshedpur", "India", 22.79, 86.20),
        ("Bhilai", "India", 21.20, 81.39),
        ("Tangshan", "China", 39.63, 118.18),
        ("Anshan", "China", 41.11, 122.99),
        ("Pohang", "South Korea", 36.01, 129.37),
        ("Kitakyushu", "Japan", 33.89, 130.80),
        ("Whyalla", "Australia", -33.03, 137.58),
    ),
    "Textile": (
        ("Tiruppur", "India", 11.11, 77.34),
        ("Ludhiana", "India", 30.90, 75.85),
        ("Surat", "India", 21.17, 72.83),
        ("Gazipur", "Bangladesh", 24.00, 90.42),
        ("Narayanganj", "Bangladesh", 23.62, 90.50),
        ("Faisalabad", "Pakistan", 31.42, 73.08),
        ("Karachi", "Pakistan", 24.86, 67.01),
        ("Bursa", "Turkey", 40.19, 29.06),
        ("Denizli", "Turkey", 37.78, 29.09),
        ("Prato", "Italy", 43.88, 11.10),
        ("Guimarães", "Portugal", 41.44, -8.29),
        ("Shaoxing", "China", 30.00, 120.58),
        ("Ho Chi Minh City", "Vietnam", 10.82, 106.63),
        ("Phnom Penh", "Cambodia", 11.56, 104.92),
        ("Łódź", "Poland", 51.76, 19.46),
    ),
    "Electronics": (
        ("Shenzhen", "China", 22.54, 114.06),
        ("Suzhou", "China", 31.30, 120.59),
        ("Chengdu", "China", 30.57, 104.07),
        ("Hsinchu", "Taiwan", 24.80, 120.97),
        ("Taichung", "Taiwan", 24.15, 120.67),
        ("Suwon", "South Korea", 37.26, 127.03),
        ("Penang", "Malaysia", 5.35, 100.30),
        ("Bac Ninh", "Vietnam", 21.19, 106.08),
        ("Kumamoto", "Japan", 32.80, 130.71),
        ("Dresden", "Germany", 51.05, 13.74),
        ("Eindhoven", "Netherlands", 51.44, 5.47),
        ("Guadalajara", "Mexico", 20.67, -103.35),
        ("Austin", "United States", 30.27, -97.74),
        ("Bengaluru", "India", 12.97, 77.59),
        ("Cebu", "Philippines", 10.32, 123.89),
    ),
}
_ID_PREFIX = {"Steel": "FAC_STEEL", "Textile": "FAC_TEXTILE", "Electronics": "FAC_ELEC"}
_NAME_SUFFIXES = {
    "Steel": ("Steelworks", "Steel Mill", "Iron & Steel", "Rolling Mills"),
    "Textile": ("Knit Mills", "Textiles", "Spinning Co.", "Dyeing & Finishing"),
    "Electronics": ("Circuit Assembly", "Electronics", "Semiconductor Fab", "PCB Works"),
}
# Raw spellings as they arrive in uploads; cleaning maps each to a configured source.
_ENERGY_SPELLINGS = {
    "Steel": ("coal", "Coal", "natural_gas", "Natural Gas", "gas", "grid", "electricity", "hydro"),
    "Textile": ("grid", "Grid", "coal", "natural gas", "solar", "renewable", "electricity"),
    "Electronics": ("grid", "electricity", "solar", "Renewable", "wind", "nuclear", "natural_gas"),
}
# (MWh per ton, raw material tons per ton) ranges
_INTENSITY = {
    "Steel": ((0.45, 0.65), (1.35, 1.50)),
    "Textile": ((2.5, 3.5), (1.05, 1.20)),
    "Electronics": ((6.0, 9.0), (1.10, 1.30)),
}
_SEASON = {
    "Steel": (0.90, 0.92, 0.98, 1.03, 1.07, 1.08, 1.02, 0.96, 1.04, 1.05, 1.00, 0.95),
    "Textile": (0.88, 0.90, 1.00, 1.05, 1.02, 0.96, 0.98, 1.08, 1.12, 1.08, 1.00, 0.93),
    "Electronics": (0.85, 0.82, 0.95, 0.97, 1.00, 1.02, 1.05, 1.10, 1.12, 1.10, 1.06, 0.96),
}
# Share of the annual cap reached by the factories that exceed it.
_OVER_CAP_SHARES = {
    "Steel": (1.07, 1.22, 1.45, 1.90),
    "Textile": (1.10, 1.35, 1.75),
    "Electronics": (1.05, 1.30, 2.05),
}
_SUMMER_SOLAR_MONTHS = (5, 6, 7, 8)


def _canonical_multiplier(factors: FactorSet, spelling: str) -> float:
    key = factors.resolve_energy_source(spelling)
    if key is None:
        raise ValueError(f"sample energy source {spelling!r} is not configured")
    return float(factors.energy_multipliers.get(key, 1.0))


def generate_production_frame(
    *,
    factories_per_sector: Mapping[str, int] = DEFAULT_FACTORIES_PER_SECTOR,
    months: int = 12,
    seed: int = 2026,
    factors: FactorSet = DEFAULT_FACTORS,
) -> pd.DataFrame:
    """A realistic year of monthly production data; the same arguments give the same frame.

    Columns are ``SAMPLE_COLUMNS``; quantities are rounded to 0.1 and coordinates to 4
    decimals, so the written CSV is byte-for-byte reproducible.
    """
    if not 1 <= months <= 12:
        raise ValueError("months must be between 1 and 12")
    rng = np.random.default_rng(seed)
    month_numbers = np.arange(1, months + 1)
    records: list[dict[str, object]] = []
    for sector_name, count in factories_per_sector.items():
        if sector_name not in _LOCATIONS:
            raise ValueError(f"the sample has no template for sector {sector_name!r}")
        sector = factors.sector(sector_name)
        locations = _LOCATIONS[sector_name]
        template = _OVER_CAP_SHARES[sector_name]
        default_count = DEFAULT_FACTORIES_PER_SECTOR[sector_name]
        over_count = min(count, max(1, round(count * len(template) / default_count)))
        shares = rng.uniform(0.45, 0.93, size=count)
        over_positions = rng.choice(count, size=over_count, replace=False)
        over_shares = np.resize(np.asarray(template), over_count)
        for position, over_share in zip(over_positions, over_shares, strict=True):
            shares[position] = over_share
        season = np.asarray(_SEASON[sector_name])[month_numbers - 1]
        for index in range(count):
            share = float(shares[index])
            city, country, lat, lon = locations[index % len(locations)]
            round_number = index // len(locations)
            suffixes = _NAME_SUFFIXES[sector_name]
            suffix = suffixes[int(rng.integers(len(suffixes)))]
            name = f"{city} {suffix}" + (f" {round_number + 1}" if round_number else "")
            spelling = _ENERGY_SPELLINGS[sector_name][
                int(rng.integers(len(_ENERGY_SPELLINGS[sector_name])))
            ]
            summer_solar = rng.random() < 0.2
            spellings = [
                "solar" if summer_solar and m in _SUMMER_SOLAR_MONTHS else spelling
                for m in month_numbers
            ]
            multipliers = np.array([_canonical_multiplier(factors, s) for s in spellings])
            energy_per_ton = rng.uniform(*_INTENSITY[sector_name][0])
            material_per_ton = rng.uniform(*_INTENSITY[sector_name][1])
            profile = season * rng.normal(1.0, 0.035, size=months)
            kg_per_ton = (
                sector.production_per_ton
                + energy_per_ton * sector.energy_per_mwh * multipliers
                + material_per_ton * sector.material_processing_per_ton
            )
            target_kg = share * sector.carbon_cap_kg * months / 12
            base_tons = target_kg / float(np.sum(profile * kg_per_ton))
            tons = base_tons * profile
            energy = tons * energy_per_ton * rng.normal(1.0, 0.02, size=months)
            material = tons * material_per_ton * rng.normal(1.0, 0.01, size=months)
            latitude = round(lat + float(rng.uniform(-0.04, 0.04)), 4)
            longitude = round(lon + float(rng.uniform(-0.04, 0.04)), 4)
            factory_id = f"{_ID_PREFIX[sector_name]}_{index + 1:02d}"
            for m_index, month in enumerate(month_numbers):
                records.append(
                    {
                        "factory_id": factory_id,
                        "factory_name": name,
                        "sector": sector.name,
                        "country": country,
                        "latitude": latitude,
                        "longitude": longitude,
                        "month": int(month),
                        "monthly_production_tons": round(float(tons[m_index]), 1),
                        "energy_used_mwh": round(float(energy[m_index]), 1),
                        "energy_source_type": spellings[m_index],
                        "raw_material_weight_tons": round(float(material[m_index]), 1),
                    }
                )
    return pd.DataFrame.from_records(records, columns=list(SAMPLE_COLUMNS))


def write_sample_csv(path: str | os.PathLike[str], **kwargs: object) -> Path:
    """Write ``generate_production_frame(**kwargs)`` as UTF-8 CSV; returns the path."""
    frame = generate_production_frame(**kwargs)  # type: ignore[arg-type]
    text = frame.copy()
    for name in ("monthly_production_tons", "energy_used_mwh", "raw_material_weight_tons"):
        text[name] = frame[name].map("{:.1f}".format)
    for name in ("latitude", "longitude"):
        text[name] = frame[name].map("{:.4f}".format)
    target = Path(path)
    text.to_csv(target, index=False, lineterminator="\n", encoding="utf-8")
    return target


_DIRTY_VALUES = {
    "month": ("13", "0", "Jan", "1.5", ""),
    "sector": ("Plastics", "", " steel "),
    "monthly_production_tons": ("-5", "abc", "", "NaN", "1e308"),
    "energy_used_mwh": ("-1", "inf", "x"),
    "energy_source_type": ("diesel", "", "Natural Gas", "SOLAR"),
    "raw_material_weight_tons": ("", "-2", "lots"),
    "latitude": ("north", "95"),
}


def generate_dirty_frame(
    *, rows: int = 1_000_000, dirty_fraction: float = 0.02, seed: int = 2026
) -> pd.DataFrame:
    """A large all-string frame (12 months per factory) with a share of messy cells.

    Built with whole-array operations so that a million rows take about a second; used
    to measure the cleaning pipeline and the audit at scale.
    """
    rng = np.random.default_rng(seed)
    sectors = np.array(["Steel", "Textile", "Electronics"])
    factory_count = max(1, -(-rows // 12))
    factory_numbers = np.repeat(np.arange(factory_count), 12)[:rows]
    sector_codes = rng.integers(0, 3, size=factory_count)[factory_numbers]
    sector = sectors[sector_codes]
    base = np.array([1500.0, 250.0, 150.0])[sector_codes]
    tons = base * rng.uniform(0.5, 1.5, size=rows)
    intensity = np.array([0.55, 3.0, 7.5])[sector_codes]
    spellings = np.array(["coal", "natural_gas", "Natural Gas", "grid", "solar", "nuclear"])
    numbers = pd.Series(factory_numbers).astype(str)
    columns: dict[str, np.ndarray] = {
        "factory_id": ("FAC_" + numbers).to_numpy(dtype=object),
        "factory_name": ("Plant " + numbers).to_numpy(dtype=object),
        "sector": sector,
        "country": np.full(rows, "Italy"),
        "latitude": np.round(rng.uniform(-60, 70, size=rows), 4).astype(str),
        "longitude": np.round(rng.uniform(-170, 170, size=rows), 4).astype(str),
        "month": (np.arange(rows) % 12 + 1).astype(str),
        "monthly_production_tons": np.round(tons, 1).astype(str),
        "energy_used_mwh": np.round(tons * intensity, 1).astype(str),
        "energy_source_type": spellings[rng.integers(0, len(spellings), size=rows)],
        "raw_material_weight_tons": np.round(tons * 1.2, 1).astype(str),
    }
    frame = pd.DataFrame({name: values.astype(object) for name, values in columns.items()})
    for name, choices in _DIRTY_VALUES.items():
        mask = rng.random(rows) < dirty_fraction / len(_DIRTY_VALUES)
        picks = np.array(choices, dtype=object)[rng.integers(0, len(choices), size=mask.sum())]
        values = frame[name].to_numpy(dtype=object)
        values[mask] = picks
        frame[name] = values
    duplicated = rng.random(rows) < dirty_fraction / 4
    frame = pd.concat([frame, frame.loc[duplicated]], ignore_index=True)
    return frame.astype(str)
