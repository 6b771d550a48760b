from pathlib import Path

import pytest

from audits.engine import (
    DEFAULT_FACTORS,
    audit_frame,
    clean_file,
    generate_production_frame,
    write_sample_csv,
)

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "data" / "monthly_production.csv"


def test_generator_is_deterministic(tmp_path):
    first = write_sample_csv(tmp_path / "a.csv")
    second = write_sample_csv(tmp_path / "b.csv")
    assert first.read_bytes() == second.read_bytes()
    other = write_sample_csv(tmp_path / "c.csv", seed=7)
    assert other.read_bytes() != first.read_bytes()


def test_committed_sample_is_the_generators_output(tmp_path):
    assert write_sample_csv(tmp_path / "sample.csv").read_bytes() == SAMPLE_CSV.read_bytes()


def test_fifty_factories_by_twelve_months():
    frame = generate_production_frame()
    assert len(frame) == 600
    assert frame["factory_id"].nunique() == 50
    assert frame.groupby("sector")["factory_id"].nunique().to_dict() == {
        "Steel": 20,
        "Textile": 15,
        "Electronics": 15,
    }
    assert (
        frame.groupby("factory_id")["month"].apply(sorted).map(list) == [list(range(1, 13))] * 50
    ).all()
    assert {"FAC_STEEL_01", "FAC_TEXTILE_15", "FAC_ELEC_01"} <= set(frame["factory_id"])
    assert frame["latitude"].between(-90, 90).all()
    assert frame["longitude"].between(-180, 180).all()
    assert (frame["factory_name"] != "").all() and (frame["country"] != "").all()


def test_sample_uses_aliases_and_mixed_sources():
    sources = set(generate_production_frame()["energy_source_type"])
    assert {"Natural Gas", "solar"} <= sources
    assert len({DEFAULT_FACTORS.resolve_energy_source(s) for s in sources}) == 5


def test_sample_cleans_to_600_rows_with_no_rejections():
    cleaning = clean_file(SAMPLE_CSV, DEFAULT_FACTORS)
    assert len(cleaning.cleaned) == 600
    assert cleaning.rejected.empty
    assert cleaning.report[3].changed > 0  # aliases such as "Natural Gas" were mapped


def test_sample_makes_an_interesting_audit():
    cleaning = clean_file(SAMPLE_CSV, DEFAULT_FACTORS)
    outcome = audit_frame(cleaning.cleaned, DEFAULT_FACTORS, year=2025)
    breakdown = outcome.sector_breakdown()
    for sector, data in breakdown.items():
        assert 1 <= data["over_cap"] <= 5, sector
        assert data["over_cap"] < data["factories"] / 2, sector
    breaches = [f.first_breach_month for f in outcome.violators()]
    assert min(breaches) <= 7  # some factories pass their cap mid-year
    assert all(f.months_reported == 12 for f in outcome.factories)


def test_smaller_samples():
    frame = generate_production_frame(factories_per_sector={"Textile": 3}, months=6, seed=1)
    assert len(frame) == 18
    with pytest.raises(ValueError):
        generate_production_frame(factories_per_sector={"Plastics": 1})


def test_dirty_frame_is_deterministic_and_cleans_into_a_partition():
    from audits.engine import clean_frame, generate_dirty_frame

    frame = generate_dirty_frame(rows=6000, seed=3)
    assert frame.equals(generate_dirty_frame(rows=6000, seed=3))
    assert len(frame) >= 6000
    result = clean_frame(frame, DEFAULT_FACTORS)
    assert len(result.cleaned) + len(result.rejected) == len(frame)
    assert 0 < len(result.rejected) < len(frame) * 0.1
    assert set(result.rejected["line_number"]).isdisjoint(result.cleaned["line_number"])
