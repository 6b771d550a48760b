import json
import math

import pandas as pd
import pytest

from audits.engine import DEFAULT_FACTORS, audit_frame, clean_frame, summary_dict


def cleaned_frame(rows):
    frame = pd.DataFrame(rows, dtype=str)
    return clean_frame(frame, DEFAULT_FACTORS)


def row(factory_id, sector, month, tons, mwh="0", source="grid", material="0"):
    return {
        "factory_id": factory_id,
        "sector": sector,
        "month": str(month),
        "monthly_production_tons": str(tons),
        "energy_used_mwh": mwh,
        "energy_source_type": source,
        "raw_material_weight_tons": material,
        "factory_name": f"{factory_id} works",
        "country": "Italy",
        "latitude": "45.0",
        "longitude": "",
    }


@pytest.fixture
def outcome_and_cleaning():
    rows = [
        # Steel A: 30000 t/month * 1850 = 55,500,000 per month -> over 90,000,000 in month 2
        *(row("S_A", "Steel", m, 30000) for m in range(1, 4)),
        # Steel B: 1000 t * 1850 = 1,850,000 per month, compliant
        *(row("S_B", "Steel", m, 1000) for m in (1, 2, 4)),
        # Textile C: 10000 t * 450 = 4,500,000 per month -> over 7,500,000 in month 2
        *(row("T_C", "Textile", m, 10000) for m in range(1, 3)),
        # Electronics D: 10 t * 760 = 7,600 per month
        row("E_D", "Electronics", 1, 10),
    ]
    cleaning = cleaned_frame(rows)
    return audit_frame(cleaning.cleaned, DEFAULT_FACTORS, year=2025), cleaning


def test_one_outcome_per_factory_sorted(outcome_and_cleaning):
    outcome, _ = outcome_and_cleaning
    assert [f.factory_id for f in outcome.factories] == ["E_D", "S_A", "S_B", "T_C"]
    assert outcome.year == 2025


def test_factory_figures(outcome_and_cleaning):
    outcome, _ = outcome_and_cleaning
    steel_a = next(f for f in outcome.factories if f.factory_id == "S_A")
    assert steel_a.total_emissions_kg == pytest.approx(166_500_000.00)
    assert steel_a.status == "EXCEEDED"
    assert steel_a.first_breach_month == 2
    assert steel_a.alerts_count == 2
    assert steel_a.months_reported == 3
    assert steel_a.projected_annual_kg == pytest.approx(666_000_000.00)
    assert steel_a.max_monthly_emissions_kg == pytest.approx(55_500_000.00)
    assert steel_a.avg_monthly_emissions_kg == pytest.approx(55_500_000.00)
    assert (steel_a.factory_name, steel_a.country, steel_a.latitude, steel_a.longitude) == (
        "S_A works",
        "Italy",
        45.0,
        None,
    )
    steel_b = next(f for f in outcome.factories if f.factory_id == "S_B")
    assert steel_b.status == "COMPLIANT" and steel_b.first_breach_month is None
    assert steel_b.monthly_emissions_kg[2] is None  # March not reported
    assert steel_b.monthly_emissions_kg[3] == pytest.approx(1_850_000.00)
    assert len(steel_b.monthly_emissions_kg) == 12
    assert steel_b.cumulative_emissions_kg()[2] == pytest.approx(3_700_000.00)
    assert steel_b.cumulative_emissions_kg()[11] == pytest.approx(5_550_000.00)


def test_totals_equal_the_sum_of_factories(outcome_and_cleaning):
    outcome, _ = outcome_and_cleaning
    totals = outcome.totals()
    assert totals["total_factories"] == 4
    expected = 166_500_000 + 5_550_000 + 9_000_000 + 7_600
    assert totals["total_emissions_kg"] == pytest.approx(expected)
    assert totals["total_emissions_kg"] == pytest.approx(
        sum(f.total_emissions_kg for f in outcome.factories)
    )
    assert totals["total_emissions_tons"] == pytest.approx(expected / 1000)
    assert totals["factories_over_cap"] == 2
    assert totals["total_alerts"] == 2 + 1


def test_violators_sorted_by_total(outcome_and_cleaning):
    outcome, _ = outcome_and_cleaning
    assert [f.factory_id for f in outcome.violators()] == ["S_A", "T_C"]
    assert [f.factory_id for f in outcome.violators(limit=1)] == ["S_A"]


def test_sector_breakdown(outcome_and_cleaning):
    outcome, _ = outcome_and_cleaning
    breakdown = outcome.sector_breakdown()
    assert list(breakdown) == ["Electronics", "Steel", "Textile"]
    assert breakdown["Steel"]["factories"] == 2
    assert breakdown["Steel"]["total_emissions_kg"] == pytest.approx(172_050_000.00)
    assert breakdown["Steel"]["avg_per_factory_kg"] == pytest.approx(86_025_000.00)
    assert breakdown["Steel"]["over_cap"] == 1
    assert breakdown["Electronics"]["over_cap"] == 0
    assert sum(s["total_emissions_kg"] for s in breakdown.values()) == pytest.approx(
        outcome.totals()["total_emissions_kg"]
    )


def test_factory_caps_override_the_sector_cap():
    cleaning = cleaned_frame([row("E_D", "Electronics", 1, 10)])
    outcome = audit_frame(cleaning.cleaned, DEFAULT_FACTORS, year=2025, factory_caps={"E_D": 5000})
    assert outcome.factories[0].carbon_cap_kg == 5000
    assert outcome.factories[0].status == "EXCEEDED"


def test_summary_dict_is_json(outcome_and_cleaning):
    outcome, cleaning = outcome_and_cleaning
    data = summary_dict(outcome, cleaning, violators_limit=1)
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["rows"] == {"read": 9, "cleaned": 9, "rejected": 0}
    assert back["summary"]["factories_over_cap"] == 2
    assert [v["factory_id"] for v in back["violators"]] == ["S_A"]
    assert len(back["cleaning_report"]) == 10
    assert set(back["sector_breakdown"]) == {"Electronics", "Steel", "Textile"}


def test_empty_cleaned_frame_gives_an_empty_outcome():
    cleaning = cleaned_frame([row("X", "Plastics", 1, 1)])
    outcome = audit_frame(cleaning.cleaned, DEFAULT_FACTORS, year=2025)
    assert outcome.factories == ()
    assert outcome.totals()["total_emissions_kg"] == 0
    assert not math.isnan(outcome.totals()["total_emissions_tons"])
