"""Property tests: every data row lands in exactly one place, and nothing raises."""

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.engine import DEFAULT_FACTORS, REQUIRED_COLUMNS, clean_frame

MESSY = {
    "factory_id": ["FAC_A", "FAC_B", " FAC_A ", "", "  ", "=cmd()", "FAC_Ü"],
    "sector": ["Steel", "steel", "Textile", "ELECTRONICS", "Plastics", "", " Textile "],
    "month": ["1", "2", " 03 ", "12", "1.0", "13", "0", "1.5", "Jan", "", "-1", "nan", "1e3"],
    "monthly_production_tons": [
        "100",
        "0",
        "-0",
        "-5",
        "",
        "abc",
        "NaN",
        "inf",
        "1e308",
        "1,000",
        " 7.5 ",
        "1e-300",
    ],
    "energy_used_mwh": ["50", "0.0", "-1", "", "x", "-inf", "1e299", "3"],
    "energy_source_type": [
        "grid",
        "Natural Gas",
        "solar",
        "",
        "COAL",
        "diesel",
        "nat_gas",
        " wind ",
    ],
    "raw_material_weight_tons": ["120", "", "-3", "nan", "zero", "0", "2.5"],
    "latitude": ["", "45.1", "north", "95", "-90", "nan"],
    "longitude": ["", "7.6", "200", "-180", "east"],
}


@st.composite
def messy_frames(draw):
    n = draw(st.integers(min_value=1, max_value=40))
    data = {
        name: draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))
        for name, values in MESSY.items()
    }
    return pd.DataFrame(data, dtype=str)


def assert_partition(frame, result, registered=None):
    cleaned_lines = set(result.cleaned["line_number"].tolist())
    rejected_lines = result.rejected["line_number"].tolist()
    assert len(rejected_lines) == len(set(rejected_lines)), "a row was rejected twice"
    assert not cleaned_lines & set(rejected_lines), "a row is both cleaned and rejected"
    assert cleaned_lines | set(rejected_lines) == set(range(2, len(frame) + 2))
    assert len(result.cleaned) + len(result.rejected) == len(frame)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=messy_frames(), register=st.booleans())
def test_every_row_is_cleaned_or_rejected_never_both(frame, register):
    registered = {"FAC_A": "Textile"} if register else None
    result = clean_frame(frame, DEFAULT_FACTORS, registered_sectors=registered)
    assert_partition(frame, result)
    cleaned = result.cleaned
    assert cleaned["month"].between(1, 12).all()
    for name in ("monthly_production_tons", "energy_used_mwh", "raw_material_weight_tons"):
        assert (cleaned[name] >= 0).all()
    assert not cleaned.duplicated(["factory_id", "month"]).any()
    assert cleaned.drop_duplicates(["factory_id", "sector"])["factory_id"].is_unique
    assert list(zip(cleaned.factory_id, cleaned.month, strict=True)) == sorted(
        zip(cleaned.factory_id, cleaned.month, strict=True)
    )
    assert (result.rejected["reason"].str.len() > 0).all()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.fixed_dictionaries({name: st.text(max_size=12) for name in REQUIRED_COLUMNS}),
        min_size=1,
        max_size=20,
    )
)
def test_cleaner_never_raises_on_arbitrary_strings(rows):
    frame = pd.DataFrame(rows, columns=list(REQUIRED_COLUMNS), dtype=str)
    result = clean_frame(frame, DEFAULT_FACTORS)
    assert_partition(frame, result)


@settings(max_examples=40, deadline=None)
@given(frame=messy_frames())
def test_cleaned_rows_can_always_be_audited(frame):
    from audits.engine import audit_frame

    result = clean_frame(frame, DEFAULT_FACTORS)
    outcome = audit_frame(result.cleaned, DEFAULT_FACTORS, year=2025)
    assert sum(f.months_reported for f in outcome.factories) == len(result.cleaned)
    for factory in outcome.factories:
        assert factory.total_emissions_kg < float("inf")
