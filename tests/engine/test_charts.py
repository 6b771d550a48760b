from pathlib import Path

from PIL import Image

from audits.engine import (
    DEFAULT_FACTORS,
    audit_frame,
    clean_file,
    cumulative_series,
    render_emissions_chart,
)

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "data" / "monthly_production.csv"


def sample_outcome():
    cleaning = clean_file(SAMPLE_CSV, DEFAULT_FACTORS)
    return audit_frame(cleaning.cleaned, DEFAULT_FACTORS, year=2025)


def test_chart_png_is_written_and_opens(tmp_path):
    path = tmp_path / "emissions_chart.png"
    render_emissions_chart(sample_outcome(), path)
    assert path.stat().st_size > 20_000
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width > 1000 and height > 400
    import matplotlib.image

    assert matplotlib.image.imread(path).ndim == 3


def test_cumulative_series_top_four_per_sector():
    outcome = sample_outcome()
    series = cumulative_series(outcome)
    assert series["year"] == 2025
    assert series["month_labels"][0] == "Jan" and len(series["months"]) == 12
    assert set(series["sectors"]) == {"Steel", "Textile", "Electronics"}
    steel = series["sectors"]["Steel"]
    assert steel["carbon_cap_kg"] == 90_000_000
    assert len(steel["factories"]) == 4
    totals = [f["total_emissions_kg"] for f in steel["factories"]]
    assert totals == sorted(totals, reverse=True)
    best = max(
        (f for f in outcome.factories if f.sector == "Steel"), key=lambda f: f.total_emissions_kg
    )
    assert steel["factories"][0]["factory_id"] == best.factory_id
    cumulative = steel["factories"][0]["cumulative_kg"]
    assert cumulative == sorted(cumulative)
    assert cumulative[-1] == best.total_emissions_kg


def test_chart_of_an_empty_audit(tmp_path):
    from audits.engine import AuditOutcome

    path = tmp_path / "empty.png"
    render_emissions_chart(AuditOutcome(year=2025, factories=()), path)
    assert path.stat().st_size > 1000


def outcome_of(totals_by_sector: dict[str, list[tuple[str, float]]]):
    from audits.engine import AuditOutcome, FactoryOutcome

    factories = [
        FactoryOutcome(
            factory_id=factory_id,
            sector=sector,
            factory_name="",
            country="",
            latitude=None,
            longitude=None,
            monthly_emissions_kg=(total,) + (None,) * 11,
            production_kg=total,
            energy_kg=0.0,
            material_kg=0.0,
            total_emissions_kg=total,
            carbon_cap_kg=1000.0,
            status="COMPLIANT",
            first_breach_month=None,
            alerts_count=0,
            months_reported=1,
            projected_annual_kg=total * 12,
            max_monthly_emissions_kg=total,
            avg_monthly_emissions_kg=total,
        )
        for sector, members in totals_by_sector.items()
        for factory_id, total in members
    ]
    return AuditOutcome(year=2025, factories=tuple(factories))


def charted_ids(outcome, top_per_sector: int) -> dict[str, list[str]]:
    series = cumulative_series(outcome, top_per_sector)
    return {
        sector: [f["factory_id"] for f in data["factories"]]
        for sector, data in series["sectors"].items()
    }


def test_top_factories_tied_on_total_go_by_factory_id():
    outcome = outcome_of(
        {
            "Steel": [("S5", 10.0), ("S1", 10.0), ("S3", 10.0), ("S2", 5.0), ("S4", 10.0)],
            "Textile": [("T2", 3.0), ("T1", 7.0)],
        }
    )
    assert charted_ids(outcome, 4) == {"Steel": ["S1", "S3", "S4", "S5"], "Textile": ["T1", "T2"]}
    assert charted_ids(outcome, 1) == {"Steel": ["S1"], "Textile": ["T1"]}
    assert charted_ids(outcome, 5)["Steel"] == ["S1", "S3", "S4", "S5", "S2"]


def test_top_factories_are_the_first_of_each_sector_sorted_by_total():
    import random

    rng = random.Random(7)
    sectors = {"Textile": [], "Steel": [], "Electronics": []}
    for index in range(600):
        sector = rng.choice(list(sectors))
        sectors[sector].append(
            (
                f"FAC_{rng.randrange(10**6):06d}_{index}",
                rng.choice([1.5, 2.0, 9.0]) * rng.randrange(1, 40),
            )
        )
    outcome = outcome_of(sectors)
    for top in (1, 4, 25, 1000):
        expected = {
            sector: [
                factory_id for factory_id, _ in sorted(members, key=lambda m: (-m[1], m[0]))[:top]
            ]
            for sector, members in sorted(sectors.items())
        }
        charted = charted_ids(outcome, top)
        assert list(charted) == sorted(sectors)
        assert charted == expected
