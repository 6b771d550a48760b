import math
from types import MappingProxyType

import pytest

from audits.engine import MonthlyAudit, make_emission_auditor

STEEL = {"production_per_ton": 1850, "energy_per_mwh": 820, "material_processing_per_ton": 120}
MULTIPLIERS = {"coal": 1.25, "natural_gas": 0.85, "grid": 1.0, "renewable": 0.35, "nuclear": 0.15}


def steel_auditor(cap_kg: float = 90_000_000):
    return make_emission_auditor("Steel", STEEL, cap_kg, MULTIPLIERS)


def test_twelve_monthly_calls_accumulate():
    auditor = steel_auditor()
    # each month: 100 t * 1850 = 185000.00 + 50 MWh * 820 * 1.0 = 41000.00 + 120 t * 120 = 14400.00
    results = [auditor(100, 50, "grid", 120) for _ in range(12)]
    assert [r.month for r in results] == list(range(1, 13))
    assert all(r.monthly_emissions_kg == pytest.approx(240_400.00, abs=0.005) for r in results)
    assert results[5].total_emissions_kg == pytest.approx(1_442_400.00, abs=0.005)
    assert results[-1].total_emissions_kg == pytest.approx(2_884_800.00, abs=0.005)
    assert all(r.status == "OK" and r.alert_message is None for r in results)


def test_a_thirteenth_month_is_refused():
    auditor = steel_auditor()
    for _ in range(12):
        auditor(1, 1)
    with pytest.raises(ValueError, match="12 months"):
        auditor(1, 1)


def test_mutating_the_callers_factor_dict_changes_nothing():
    factors = dict(STEEL)
    multipliers = dict(MULTIPLIERS)
    auditor = make_emission_auditor("Steel", factors, 90_000_000, multipliers)
    factors["production_per_ton"] = 0
    factors["energy_per_mwh"] = 1_000_000
    multipliers["grid"] = 99.0
    multipliers.clear()
    result = auditor(100, 50, "grid", 120)
    assert result.production_kg == pytest.approx(185_000.00, abs=0.005)
    assert result.energy_kg == pytest.approx(41_000.00, abs=0.005)
    assert result.multiplier == 1.0


def test_alert_once_the_cap_is_exceeded_and_message_names_total_and_cap():
    auditor = steel_auditor(cap_kg=500_000)
    first, second, third = (auditor(100, 50, "grid", 120) for _ in range(3))
    assert (first.status, second.status) == ("OK", "OK")  # 240400.00, 480800.00
    assert third.status == "ALERT"  # 721200.00 > 500000.00
    assert third.total_emissions_kg == pytest.approx(721_200.00, abs=0.005)
    assert "721,200.00" in third.alert_message
    assert "500,000.00" in third.alert_message
    assert third.carbon_cap_kg == 500_000


def test_exactly_at_the_cap_is_not_an_alert():
    auditor = steel_auditor(cap_kg=240_400)
    assert auditor(100, 50, "grid", 120).status == "OK"
    assert auditor(0, 0, "grid", 0.001).status == "ALERT"


def test_two_factories_keep_separate_state():
    one, two = steel_auditor(), steel_auditor()
    one(100, 50, "grid", 120)
    one(100, 50, "grid", 120)
    result = two(10, 0, "grid", 0)  # 10 t * 1850 = 18500.00
    assert result.month == 1
    assert result.total_emissions_kg == pytest.approx(18_500.00, abs=0.005)
    assert one(0, 0).total_emissions_kg == pytest.approx(480_800.00, abs=0.005)


def test_raw_material_adds_its_component():
    without = steel_auditor()(100, 50, "grid")
    with_material = steel_auditor()(100, 50, "grid", 120)
    assert without.material_kg == 0.0
    assert with_material.material_kg == pytest.approx(14_400.00, abs=0.005)  # 120 t * 120
    assert with_material.monthly_emissions_kg - without.monthly_emissions_kg == pytest.approx(
        14_400.00, abs=0.005
    )


def test_coal_and_renewable_change_only_the_energy_component():
    coal = steel_auditor()(100, 50, "coal", 120)
    renewable = steel_auditor()(100, 50, "renewable", 120)
    assert coal.energy_kg == pytest.approx(51_250.00, abs=0.005)  # 50 * 820 * 1.25
    assert renewable.energy_kg == pytest.approx(14_350.00, abs=0.005)  # 50 * 820 * 0.35
    assert coal.production_kg == renewable.production_kg == pytest.approx(185_000.00, abs=0.005)
    assert coal.material_kg == renewable.material_kg == pytest.approx(14_400.00, abs=0.005)
    assert (coal.multiplier, renewable.multiplier) == (1.25, 0.35)


def test_missing_energy_source_counts_as_grid():
    result = steel_auditor()(0, 10)
    assert result.energy_source == "grid"
    assert result.energy_kg == pytest.approx(8_200.00, abs=0.005)


def test_energy_source_spelling_is_case_and_space_insensitive():
    assert steel_auditor()(0, 10, " Natural Gas ").energy_kg == pytest.approx(6_970.00, abs=0.005)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 0), "negative"),
        ((math.nan, 0), "NaN"),
        ((0, math.inf), "infinite"),
        ((0, 0, "diesel"), "unknown energy source"),
        ((0, 0, "grid", -2), "negative"),
        (("ten", 0), "number"),
    ],
)
def test_bad_input_raises_and_leaves_state_unchanged(args, message):
    auditor = steel_auditor()
    with pytest.raises(ValueError, match=message):
        auditor(*args)
    assert auditor(10, 0).month == 1


def test_negative_zero_is_zero():
    assert steel_auditor()(-0.0, 0).production_kg == 0.0


def test_an_overflowing_total_is_refused():
    auditor = steel_auditor()
    with pytest.raises(ValueError, match="too large"):
        auditor(1e308, 0)


def test_explicit_month_must_move_forward():
    auditor = steel_auditor()
    assert auditor(1, 0, month=3).month == 3
    with pytest.raises(ValueError):
        auditor(1, 0, month=3)
    with pytest.raises(ValueError):
        auditor(1, 0, month=13)
    assert auditor(1, 0).month == 4


def test_result_is_frozen():
    result = steel_auditor()(1, 1)
    assert isinstance(result, MonthlyAudit)
    with pytest.raises(AttributeError):
        result.total_emissions_kg = 0  # type: ignore[misc]


# --- privacy -----------------------------------------------------------------------------

IMMUTABLE_SCALARS = (int, float, str, bool, type(None))


def assert_deeply_immutable(value, path="cell"):
    if isinstance(value, IMMUTABLE_SCALARS):
        return
    if isinstance(value, tuple):
        for index, item in enumerate(value):
            assert_deeply_immutable(item, f"{path}[{index}]")
        return
    raise AssertionError(f"{path} holds a {type(value).__name__}, which is not immutable")


def test_no_public_attribute_reveals_or_resets_state():
    auditor = steel_auditor()
    auditor(100, 50)
    assert [name for name in dir(auditor) if not name.startswith("_")] == []
    assert auditor.__dict__ == {}
    assert auditor.__defaults__ == (None, None)
    assert auditor.__kwdefaults__ == {"month": None}


def test_closure_cells_hold_no_mutable_container():
    auditor = steel_auditor()
    for _ in range(3):
        auditor(100, 50, "coal", 120)
    cells = auditor.__closure__
    assert cells
    for cell in cells:
        contents = cell.cell_contents
        assert not isinstance(contents, list | dict | set | bytearray | MappingProxyType)
        assert_deeply_immutable(contents)


def test_reaching_into_the_closure_cannot_change_a_factor_in_place():
    auditor = steel_auditor()
    for cell in auditor.__closure__:
        contents = cell.cell_contents
        if isinstance(contents, tuple) and contents:
            with pytest.raises(TypeError):
                contents[0] = ("coal", 99.0)  # type: ignore[index]
    assert auditor(0, 10, "coal").energy_kg == pytest.approx(10_250.00, abs=0.005)
