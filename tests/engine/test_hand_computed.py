"""One factory of each sector, worked out by hand with the default factors."""

import pytest

from audits.engine import DEFAULT_FACTORS, Industry


def test_steel_factory_by_hand():
    steel = Industry(
        "FAC_STEEL_X",
        DEFAULT_FACTORS.sector("Steel"),
        energy_multipliers=DEFAULT_FACTORS.energy_multipliers,
    )
    # month 1: 100 t * 1850 = 185000.00; 50 MWh * 820 * 1.25 (coal) = 51250.00;
    #          120 t * 120 = 14400.00 -> 250650.00
    first = steel.record_month(100, 50, "coal", 120)
    assert round(first.production_kg, 2) == 185000.00
    assert round(first.energy_kg, 2) == 51250.00
    assert round(first.material_kg, 2) == 14400.00
    assert round(first.monthly_emissions_kg, 2) == 250650.00
    # month 2: 2.5 t * 1850 = 4625.00; 3.3 MWh * 820 * 0.85 (natural gas) = 2300.10;
    #          no material -> 6925.10 ; total 250650.00 + 6925.10 = 257575.10
    second = steel.record_month(2.5, 3.3, "natural_gas")
    assert round(second.energy_kg, 2) == 2300.10
    assert round(second.monthly_emissions_kg, 2) == 6925.10
    assert round(steel.total_emissions_kg, 2) == 257575.10


def test_textile_factory_by_hand():
    textile = Industry(
        "FAC_TEXTILE_X",
        DEFAULT_FACTORS.sector("Textile"),
        energy_multipliers=DEFAULT_FACTORS.energy_multipliers,
    )
    # 80 t * 450 = 36000.00; 200 MWh * 520 * 0.85 = 88400.00; 90 t * 65 = 5850.00 -> 130250.00
    month = textile.record_month(80, 200, "natural_gas", 90)
    assert round(month.production_kg, 2) == 36000.00
    assert round(month.energy_kg, 2) == 88400.00
    assert round(month.material_kg, 2) == 5850.00
    assert round(month.monthly_emissions_kg, 2) == 130250.00
    # 0.01 t * 450 = 4.50; 0.01 MWh * 520 * 1.0 = 5.20; 0.01 t * 65 = 0.65 -> 10.35
    assert round(textile.record_month(0.01, 0.01, "grid", 0.01).monthly_emissions_kg, 2) == 10.35
    assert round(textile.total_emissions_kg, 2) == 130260.35


def test_electronics_factory_by_hand():
    electronics = Industry(
        "FAC_ELEC_X",
        DEFAULT_FACTORS.sector("Electronics"),
        energy_multipliers=DEFAULT_FACTORS.energy_multipliers,
    )
    # 12.5 t * 760 = 9500.00; 95 MWh * 680 * 0.35 (renewable) = 22610.00; 14 t * 95 = 1330.00
    month = electronics.record_month(12.5, 95, "renewable", 14)
    assert round(month.production_kg, 2) == 9500.00
    assert round(month.energy_kg, 2) == 22610.00
    assert round(month.material_kg, 2) == 1330.00
    assert round(month.monthly_emissions_kg, 2) == 33440.00
    # 0 t; 100 MWh * 680 * 0.15 (nuclear) = 10200.00 -> total 43640.00
    electronics.record_month(0, 100, "nuclear", 0)
    assert round(electronics.total_emissions_kg, 2) == 43640.00
    assert round(electronics.projected_annual_kg, 2) == 261840.00  # 43640.00 / 2 * 12


def test_electronics_factory_crosses_its_cap_by_hand():
    electronics = Industry(
        "FAC_ELEC_Y",
        DEFAULT_FACTORS.sector("Electronics"),
        energy_multipliers=DEFAULT_FACTORS.energy_multipliers,
    )
    # each month: 500 t * 760 = 380000.00; 2000 MWh * 680 = 1360000.00; 600 t * 95 = 57000.00
    #             -> 1797000.00; cap 13000000.00 is passed in month 8 (14376000.00)
    for _ in range(7):
        electronics.record_month(500, 2000, "grid", 600)
    assert round(electronics.total_emissions_kg, 2) == 12579000.00
    assert not electronics.is_over_cap
    eighth = electronics.record_month(500, 2000, "grid", 600)
    assert round(eighth.total_emissions_kg, 2) == 14376000.00
    assert eighth.status == "ALERT"
    assert electronics.first_breach_month == 8
    assert electronics.total_emissions_kg == pytest.approx(14376000.00)
