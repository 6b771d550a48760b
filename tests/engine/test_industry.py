import pytest

from audits.engine import DEFAULT_FACTORS, Industry


def make_steel(**kwargs):
    return Industry(
        "FAC_STEEL_01",
        DEFAULT_FACTORS.sector("Steel"),
        energy_multipliers=DEFAULT_FACTORS.energy_multipliers,
        **kwargs,
    )


def test_a_new_industry_is_empty():
    industry = make_steel()
    assert industry.factory_id == "FAC_STEEL_01"
    assert industry.sector == "Steel"
    assert industry.carbon_cap_kg == 90_000_000
    assert industry.total_emissions_kg == 0.0
    assert industry.history == ()
    assert industry.months_reported == 0
    assert industry.alerts_count == 0
    assert industry.first_breach_month is None
    assert industry.projected_annual_kg == 0.0
    assert not industry.is_over_cap


def test_properties_follow_the_recorded_months():
    industry = make_steel(carbon_cap_kg=600_000)
    for _ in range(4):  # 240400.00 per month: 240400, 480800, 721200, 961600
        industry.record_month(100, 50, "grid", 120)
    assert industry.months_reported == 4
    assert industry.total_emissions_kg == pytest.approx(961_600.00)
    assert industry.alerts_count == 2
    assert industry.first_breach_month == 3
    assert industry.is_over_cap
    assert industry.projected_annual_kg == pytest.approx(2_884_800.00)  # 961600 / 4 * 12
    assert industry.production_kg == pytest.approx(740_000.00)  # 4 * 185000
    assert industry.energy_kg == pytest.approx(164_000.00)  # 4 * 41000
    assert industry.material_kg == pytest.approx(57_600.00)  # 4 * 14400
    assert industry.max_monthly_emissions_kg == pytest.approx(240_400.00)
    assert industry.avg_monthly_emissions_kg == pytest.approx(240_400.00)


def test_own_cap_overrides_the_sector_cap():
    assert make_steel(carbon_cap_kg=1_000).carbon_cap_kg == 1_000


def test_history_is_an_immutable_copy():
    industry = make_steel()
    industry.record_month(1, 1)
    history = industry.history
    assert isinstance(history, tuple)
    assert history[0].month == 1
    industry.record_month(1, 1)
    assert len(history) == 1
    assert len(industry.history) == 2


@pytest.mark.parametrize(
    "name",
    [
        "factory_id",
        "sector",
        "total_emissions_kg",
        "history",
        "alerts_count",
        "is_over_cap",
        "first_breach_month",
        "months_reported",
        "projected_annual_kg",
    ],
)
def test_properties_are_read_only(name):
    industry = make_steel()
    with pytest.raises(AttributeError):
        setattr(industry, name, 0)


def test_no_new_attributes_can_be_added():
    with pytest.raises(AttributeError):
        make_steel().total = 0  # type: ignore[attr-defined]


def test_calendar_months_with_gaps():
    industry = make_steel(carbon_cap_kg=300_000)
    industry.record_month(100, 50, "grid", 120, month=2)
    industry.record_month(100, 50, "grid", 120, month=5)
    assert [m.month for m in industry.history] == [2, 5]
    assert industry.first_breach_month == 5
