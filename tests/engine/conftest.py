"""Fixtures for the engine tests: plain data, no database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from audits.engine import DEFAULT_FACTORS, FactorSet

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CSV = REPO_ROOT / "data" / "monthly_production.csv"

GOOD_ROW = {
    "factory_id": "FAC_A",
    "sector": "Steel",
    "month": "1",
    "monthly_production_tons": "100",
    "energy_used_mwh": "50",
    "energy_source_type": "grid",
    "raw_material_weight_tons": "120",
}


@pytest.fixture
def factors() -> FactorSet:
    return DEFAULT_FACTORS


@pytest.fixture
def make_frame() -> Callable[..., pd.DataFrame]:
    """``make_frame({"month": "13"}, {...})``: one good row per dict, overridden by its keys."""

    def build(*overrides: dict[str, str]) -> pd.DataFrame:
        rows = [{**GOOD_ROW, **override} for override in overrides]
        return pd.DataFrame(rows, dtype=str)

    return build
