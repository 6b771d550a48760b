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
