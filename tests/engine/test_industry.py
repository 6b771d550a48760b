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


MONTHS = [
    (100.0, 50.0, "coal", 120.0, 1),
    (90.0, 40.0, "grid", None, 2),
    (400.0, 10.0, "renewable", 0.0, 4),  # month 3 not reported
    (500.0, 700.0, "Natural Gas", 30.0, 5),
]


def test_record_months_equals_one_record_month_per_month():
    one_by_one = make_steel(carbon_cap_kg=900_000)
    for production, energy, source, material, month in MONTHS:
        one_by_one.record_month(production, energy, source, material, month=month)
    batched = make_steel(carbon_cap_kg=900_000)
    records = batched.record_months(MONTHS)

    assert records == one_by_one.history == batched.history
    assert [r.month for r in records] == [1, 2, 4, 5]
    for name in (
        "total_emissions_kg",
        "production_kg",
        "energy_kg",
        "material_kg",
        "alerts_count",
        "first_breach_month",
        "max_monthly_emissions_kg",
        "months_reported",
        "projected_annual_kg",
    ):
        assert getattr(batched, name) == getattr(one_by_one, name), name
    # 250,650 + 199,300 = 449,950 by February; April's 742,870 passes the 900,000 cap.
    assert batched.first_breach_month == 4
    assert batched.alerts_count == 2


def test_record_months_keeps_the_months_before_a_refused_one():
    industry = make_steel()
    bad = [*MONTHS[:2], (1.0, 1.0, "grid", 0.0, 2)]  # month 2 again
    with pytest.raises(ValueError, match="month 2 comes after month 2"):
        industry.record_months(bad)
    assert [r.month for r in industry.history] == [1, 2]
    assert industry.total_emissions_kg == industry.history[-1].total_emissions_kg
    # The auditor moved on with the kept months: the next month is 3.
    assert industry.record_month(1.0, 1.0).month == 3
