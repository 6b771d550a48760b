import csv
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from audits.engine import (
    DEFAULT_FACTORS,
    AuditOutcome,
    FactoryOutcome,
    audit_frame,
    clean_frame,
    export,
    safe_cell,
    write_cleaned_csv,
    write_rejected_csv,
    write_summary_csv,
)
from audits.engine.export import EXPORT_DECIMALS


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
    for column in ("year_to_date_emissions_kg", "production_kg"):
        assert float(row[column]) == 495.0
        assert len(row[column].partition(".")[2]) <= EXPORT_DECIMALS


# Cells a spreadsheet could run as a formula, cells that only look like one, and cells
# the CSV writer must quote.
TEXT_CASES = (
    "plain",
    "=1+1",
    '=HYPERLINK("http://x")',
    "-2+3",
    "-12.5",
    "+7",
    "-1e3",
    ".5",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "-",
    "-\u0663",  # an Arabic-Indic digit is a digit to safe_cell
    "-12\n",
    'say "hi", then',
    "",
    "Zürich",
)
SUMMARY_HEADER = [
    "factory_id",
    "factory_name",
    "sector",
    "country",
    "months_reported",
    "year_to_date_emissions_kg",
    "carbon_cap_kg",
    "carbon_cap_status",
    "first_breach_month",
    "alerts_count",
    "max_monthly_emissions_kg",
    "avg_monthly_emissions_kg",
    "projected_annual_kg",
    "production_kg",
    "energy_kg",
    "material_kg",
]
SUMMARY_TEXT = {
    "factory_id": "factory_id",
    "factory_name": "factory_name",
    "sector": "sector",
    "country": "country",
    "carbon_cap_status": "status",
}
SUMMARY_WHOLE_NUMBERS = ("months_reported", "first_breach_month", "alerts_count")
SUMMARY_FIGURES = {
    "year_to_date_emissions_kg": "total_emissions_kg",
    "carbon_cap_kg": "carbon_cap_kg",
    "max_monthly_emissions_kg": "max_monthly_emissions_kg",
    "avg_monthly_emissions_kg": "avg_monthly_emissions_kg",
    "projected_annual_kg": "projected_annual_kg",
    "production_kg": "production_kg",
    "energy_kg": "energy_kg",
    "material_kg": "material_kg",
}


def factory_outcome(**fields) -> FactoryOutcome:
    values = {
        "factory_id": "FAC_1",
        "sector": "Steel",
        "factory_name": "Works",
        "country": "Italy",
        "latitude": None,
        "longitude": None,
        "monthly_emissions_kg": (6.0,) + (None,) * 11,
        "production_kg": 1.0,
        "energy_kg": 2.0,
        "material_kg": 3.0,
        "total_emissions_kg": 6.0,
        "carbon_cap_kg": 90_000_000.0,
        "status": "COMPLIANT",
        "first_breach_month": None,
        "alerts_count": 0,
        "months_reported": 1,
        "projected_annual_kg": 72.0,
        "max_monthly_emissions_kg": 6.0,
        "avg_monthly_emissions_kg": 6.0,
    }
    values.update(fields)
    return FactoryOutcome(**values)


def read_rows(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_summary_csv_reads_back_as_the_outcome_rounded_with_formulas_neutralised(tmp_path):
    factories = [
        factory_outcome(
            factory_id=f"FAC_{index:02d}",
            factory_name=text,
            country=TEXT_CASES[-1 - index],
        )
        for index, text in enumerate(TEXT_CASES)
    ]
    factories += [
        factory_outcome(
            factory_id="=EVIL()",
            sector="Textile",
            status="EXCEEDED",
            first_breach_month=3,
            alerts_count=10,
            months_reported=12,
            # 2.6745 and 13713171.7995 are just above a half gram in binary: round()
            # goes up where scaling by 1000 and rounding the product would go down.
            total_emissions_kg=2.6745,
            production_kg=13_713_171.7995,
            energy_kg=0.1 + 0.2,
            material_kg=-0.0025,
            carbon_cap_kg=7_500_000,
            projected_annual_kg=12_345_678_901.25,
            max_monthly_emissions_kg=None,
            avg_monthly_emissions_kg=math.nan,
        ),
        factory_outcome(factory_id="FAC_INF", max_monthly_emissions_kg=math.inf),
        factory_outcome(factory_id="FAC_NONE", country=None, months_reported=3.0),
    ]
    assert_summary_reads_back_as(factories, tmp_path)
    header, *rows = read_rows(tmp_path / "audit_summary_2024.csv")
    evil = dict(zip(header, rows[-3], strict=True))
    assert evil["factory_id"] == "'=EVIL()"
    assert evil["first_breach_month"] == "3"
    assert float(evil["year_to_date_emissions_kg"]) == 2.675
    assert float(evil["production_kg"]) == 13_713_171.799
    assert float(evil["projected_annual_kg"]) == 12_345_678_901.25
    assert dict(zip(header, rows[0], strict=True))["first_breach_month"] == ""
    assert dict(zip(header, rows[-1], strict=True))["months_reported"] == "3"


def test_summary_csv_writes_a_number_among_the_text_as_text(tmp_path):
    factories = [factory_outcome(factory_name=12), factory_outcome(factory_id="=B", country=7.5)]
    assert_summary_reads_back_as(factories, tmp_path)


def assert_summary_reads_back_as(factories, tmp_path) -> None:
    outcome = AuditOutcome(year=2024, factories=tuple(factories))
    header, *rows = read_rows(write_summary_csv(outcome, tmp_path))
    assert header == SUMMARY_HEADER
    assert len(rows) == len(factories)
    for row, factory in zip(rows, factories, strict=True):
        cells = dict(zip(header, row, strict=True))
        for column, attribute in SUMMARY_TEXT.items():
            expected = safe_cell(getattr(factory, attribute))
            assert cells[column] == ("" if expected is None else str(expected)), column
        for column in SUMMARY_WHOLE_NUMBERS:
            value = getattr(factory, column)
            assert cells[column] == ("" if value is None else str(int(value))), column
        for column, attribute in SUMMARY_FIGURES.items():
            value = getattr(factory, attribute)
            if value is None or not math.isfinite(value):
                assert cells[column] == "", column
            else:
                assert float(cells[column]) == round(value, EXPORT_DECIMALS), column


def test_summary_csv_of_an_empty_audit_is_its_header(tmp_path):
    path = write_summary_csv(AuditOutcome(year=2025, factories=()), tmp_path)
    assert read_rows(path) == [SUMMARY_HEADER]


def text_frame() -> pd.DataFrame:
    count = len(TEXT_CASES)
    return pd.DataFrame(
        {
            "line_number": np.arange(2, count + 2),
            "factory_id": pd.array(TEXT_CASES, dtype="str"),
            "value": pd.Series([*TEXT_CASES[1:], None], dtype=object),
            "latitude": [math.nan if index % 4 == 0 else index / 3 for index in range(count)],
            "month": np.arange(count) % 12 + 1,
        }
    )


def test_cleaned_csv_cells_are_safe_cell_of_the_values(tmp_path):
    frame = text_frame()
    header, *rows = read_rows(write_cleaned_csv(SimpleNamespace(cleaned=frame), tmp_path))
    assert header == list(frame.columns)
    assert len(rows) == len(frame)
    for row, source in zip(rows, frame.itertuples(index=False), strict=True):
        cells = dict(zip(header, row, strict=True))
        assert cells["factory_id"] == safe_cell(source.factory_id)
        assert cells["value"] == ("" if source.value is None else safe_cell(source.value))
        assert int(cells["line_number"]) == source.line_number
        assert cells["month"] == str(source.month)
        if math.isnan(source.latitude):
            assert cells["latitude"] == ""
        else:
            assert float(cells["latitude"]) == source.latitude


@pytest.mark.parametrize("slice_rows", [1, 2, 5, 1000])
def test_cleaned_csv_written_in_slices_is_the_same_file(tmp_path, monkeypatch, slice_rows):
    cleaning = SimpleNamespace(cleaned=text_frame())
    whole = write_cleaned_csv(cleaning, tmp_path / "whole.csv").read_bytes()
    monkeypatch.setattr(export, "WRITE_SLICE_ROWS", slice_rows)
    assert write_cleaned_csv(cleaning, tmp_path / "sliced.csv").read_bytes() == whole


def test_cleaned_csv_of_a_frame_put_together_from_pieces(tmp_path, monkeypatch):
    # Concatenated frames keep their text in several pyarrow chunks.
    frame = text_frame()
    pieces = pd.concat([frame.iloc[:5], frame.iloc[5:9], frame.iloc[9:]], ignore_index=True)
    whole = write_cleaned_csv(SimpleNamespace(cleaned=frame), tmp_path / "whole.csv")
    monkeypatch.setattr(export, "WRITE_SLICE_ROWS", 7)
    joined = write_cleaned_csv(SimpleNamespace(cleaned=pieces), tmp_path / "joined.csv")
    assert joined.read_bytes() == whole.read_bytes()


def test_rejected_csv_of_no_rejected_rows_is_its_header(tmp_path):
    columns = ["line_number", "factory_id", "column", "value", "reason"]
    cleaning = SimpleNamespace(rejected=pd.DataFrame(columns=columns))
    path = write_rejected_csv(cleaning, tmp_path)
    assert path.read_text(encoding="utf-8") == ",".join(columns) + "\n"
