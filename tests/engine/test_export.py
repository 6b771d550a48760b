import csv

import pandas as pd
import pytest

from audits.engine import (
    DEFAULT_FACTORS,
    audit_frame,
    clean_frame,
    safe_cell,
    write_cleaned_csv,
    write_rejected_csv,
    write_summary_csv,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("-12.5", "-12.5"),
        ("+7", "+7"),
        ("-1e3", "-1e3"),
        (-12.5, -12.5),
        (-3, -3),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
    assert type(safe_cell(value)) is type(expected)


def make_outcome_and_cleaning():
    frame = pd.DataFrame(
        [
            {
                "factory_id": "=EVIL()",
                "sector": "Steel",
                "month": "1",
                "monthly_production_tons": "100",
                "energy_used_mwh": "50",
                "energy_source_type": "coal",
                "raw_material_weight_tons": "120",
                "factory_name": "@Works",
                "country": "-Nowhere",
            },
            {
                "factory_id": "FAC_B",
                "sector": "Textile",
                "month": "1",
                "monthly_production_tons": "12.345",
                "energy_used_mwh": "0.1",
                "energy_source_type": "grid",
                "raw_material_weight_tons": "",
                "factory_name": "Plain",
                "country": "Italy",
            },
            {
                "factory_id": "+FAC_C",
                "sector": "Steel",
                "month": "2",
                "monthly_production_tons": "-5",
                "energy_used_mwh": "1",
                "energy_source_type": "grid",
                "raw_material_weight_tons": "1",
                "factory_name": "",
                "country": "",
            },
        ],
        dtype=str,
    )
    cleaning = clean_frame(frame, DEFAULT_FACTORS)
    return audit_frame(cleaning.cleaned, DEFAULT_FACTORS, year=2024), cleaning


def test_summary_csv_columns_and_values_parse_back(tmp_path):
    outcome, _ = make_outcome_and_cleaning()
    path = write_summary_csv(outcome, tmp_path)
    assert path.name == "audit_summary_2024.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for required in (
        "factory_id",
        "sector",
        "months_reported",
        "year_to_date_emissions_kg",
        "carbon_cap_kg",
        "carbon_cap_status",
        "first_breach_month",
        "alerts_count",
        "max_monthly_emissions_kg",
        "avg_monthly_emissions_kg",
    ):
        assert required in rows[0]
    by_id = {r["factory_id"]: r for r in rows}
    evil = by_id["'=EVIL()"]
    assert evil["factory_name"] == "'@Works"
    assert evil["country"] == "'-Nowhere"
    factory = next(f for f in outcome.factories if f.factory_id == "=EVIL()")
    assert float(evil["year_to_date_emissions_kg"]) == factory.total_emissions_kg
    assert float(evil["year_to_date_emissions_kg"]) == pytest.approx(250_650.00)
    assert float(evil["carbon_cap_kg"]) == 90_000_000
    assert evil["carbon_cap_status"] == "COMPLIANT"
    assert evil["first_breach_month"] == ""
    assert int(evil["months_reported"]) == 1
    textile = by_id["FAC_B"]
    source = next(f for f in outcome.factories if f.factory_id == "FAC_B")
    for column, attr in (
        ("production_kg", "production_kg"),
        ("energy_kg", "energy_kg"),
        ("avg_monthly_emissions_kg", "avg_monthly_emissions_kg"),
    ):
        assert float(textile[column]) == getattr(source, attr)


def test_rejected_csv_neutralises_formulas_and_keeps_negative_numbers(tmp_path):
    _, cleaning = make_outcome_and_cleaning()
    path = write_rejected_csv(cleaning, tmp_path)
    assert path.name == "rejected_rows.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    assert rows[0]["factory_id"] == "'+FAC_C"
    assert rows[0]["value"] == "-5.0"
    assert float(rows[0]["value"]) == -5.0
    assert int(rows[0]["line_number"]) == 4


def test_cleaned_csv_round_trips(tmp_path):
    _, cleaning = make_outcome_and_cleaning()
    path = write_cleaned_csv(cleaning, tmp_path / "cleaned.csv")
    back = pd.read_csv(path, keep_default_na=False)
    assert back["factory_id"].tolist() == ["'=EVIL()", "FAC_B"]
    assert back["monthly_production_tons"].tolist() == [100.0, 12.345]
    assert back["month"].tolist() == [1, 1]


def test_summary_csv_rounds_float_noise_to_the_gram(tmp_path):
    # 1.1 t x 450 kg/t is 495.00000000000006 in binary floating point.
    frame = pd.DataFrame(
        [
            {
                "factory_id": "FAC_NOISE",
                "sector": "Textile",
                "month": "1",
                "monthly_production_tons": "1.1",
                "energy_used_mwh": "0",
                "energy_source_type": "grid",
                "raw_material_weight_tons": "0",
            }
        ]
    )
    cleaning = clean_frame(frame, DEFAULT_FACTORS)
    outcome = audit_frame(cleaning.cleaned, DEFAULT_FACTORS, year=2026)
    assert outcome.factories[0].total_emissions_kg != 495.0  # the noise is really there
    path = write_summary_csv(outcome, tmp_path)
    with open(path, newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["year_to_date_emissions_kg"] == "495.0"
    assert row["production_kg"] == "495.0"
