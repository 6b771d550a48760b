import json
from pathlib import Path

import pytest

from audits.engine import DEFAULT_FACTORS, FactorSet

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_default_factors_match_the_design():
    steel = DEFAULT_FACTORS.sector("steel")
    assert (
        steel.production_per_ton,
        steel.energy_per_mwh,
        steel.material_processing_per_ton,
        steel.carbon_cap_kg,
    ) == (1850, 820, 120, 90_000_000)
    assert DEFAULT_FACTORS.sector("Textile").carbon_cap_kg == 7_500_000
    assert DEFAULT_FACTORS.sector("ELECTRONICS").carbon_cap_kg == 13_000_000
    assert dict(DEFAULT_FACTORS.energy_multipliers) == {
        "coal": 1.25,
        "natural_gas": 0.85,
        "grid": 1.0,
        "renewable": 0.35,
        "nuclear": 0.15,
    }


def test_unknown_sector_is_a_key_error():
    with pytest.raises(KeyError):
        DEFAULT_FACTORS.sector("Plastics")


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("gas", "natural_gas"),
        ("Natural Gas", "natural_gas"),
        ("NAT_GAS", "natural_gas"),
        ("electricity", "grid"),
        ("Electrical  Grid", "grid"),
        ("solar", "renewable"),
        ("Wind", "renewable"),
        ("hydro", "renewable"),
        ("coal", "coal"),
        (" Nuclear ", "nuclear"),
        (None, "grid"),
        ("", "grid"),
        ("diesel", None),
    ],
)
def test_resolve_energy_source(raw, key):
    assert DEFAULT_FACTORS.resolve_energy_source(raw) == key


def test_snapshot_round_trips():
    snapshot = DEFAULT_FACTORS.to_dict()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert FactorSet.from_dict(snapshot) == DEFAULT_FACTORS
    assert FactorSet.from_dict(snapshot).to_dict() == snapshot


def test_config_file_is_the_documented_shape():
    data = json.loads((REPO_ROOT / "config" / "sectors.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in data["sectors"]] == ["Steel", "Textile", "Electronics"]
    assert FactorSet.from_dict(data).to_dict() == DEFAULT_FACTORS.to_dict()


def test_factor_set_is_frozen():
    with pytest.raises(TypeError):
        DEFAULT_FACTORS.energy_multipliers["coal"] = 0  # type: ignore[index]
    with pytest.raises(TypeError):
        DEFAULT_FACTORS.sectors["Steel"] = None  # type: ignore[index]


def test_negative_factor_is_refused():
    data = DEFAULT_FACTORS.to_dict()
    data["sectors"][0]["energy_per_mwh"] = -1
    with pytest.raises(ValueError):
        FactorSet.from_dict(data)
