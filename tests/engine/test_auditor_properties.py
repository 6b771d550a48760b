"""Property tests on arbitrary input: the cleaner keeps every row accounted for whatever the
frame holds, and an auditor's total is the sum of its months and never goes down."""

import math

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.engine import DEFAULT_FACTORS, REQUIRED_COLUMNS, clean_frame
from audits.engine.closures import make_emission_auditor

FACTORS = {
    "production_per_ton": 1850.0,
    "energy_per_mwh": 820.0,
    "material_processing_per_ton": 120.0,
}
MULTIPLIERS = {"coal": 1.25, "natural_gas": 0.85, "grid": 1.0, "renewable": 0.35, "nuclear": 0.15}

cells = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["NaN", "inf", "-inf", "1e308", "-0", "1.5", "Jan", "=SUM(A1)", "12", "Steel"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


@st.composite
def arbitrary_frames(draw):
    extra = draw(st.lists(st.text(min_size=1, max_size=8), max_size=4, unique=True))
    columns = list(REQUIRED_COLUMNS) + [c for c in extra if c not in REQUIRED_COLUMNS]
    n = draw(st.integers(min_value=1, max_value=30))  # no rows: InputFileError
    data = {column: draw(st.lists(cells, min_size=n, max_size=n)) for column in columns}
    frame = pd.DataFrame(data, columns=columns, dtype=object).astype(str)
    return frame


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=arbitrary_frames(), registered=st.booleans())
def test_the_cleaner_never_raises_and_keeps_kept_plus_rejected_equal_to_the_input(
    frame, registered
):
    sectors = {"FAC_A": "Textile", "Steel": "Steel"} if registered else None
    result = clean_frame(frame, DEFAULT_FACTORS, registered_sectors=sectors)
    assert len(result.cleaned) + len(result.rejected) == len(frame)
    lines = set(result.cleaned["line_number"]) | set(result.rejected["line_number"])
    assert lines == set(range(2, len(frame) + 2))
    assert len(result.report) == 10


quantities = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
months = st.lists(
    st.tuples(
        quantities,
        quantities,
        st.sampled_from([None, *MULTIPLIERS]),
        st.one_of(st.none(), quantities),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(months=months, cap=st.floats(min_value=1, max_value=1e15))
def test_the_total_is_the_sum_of_the_months_and_never_decreases(months, cap):
    auditor = make_emission_auditor("Steel", FACTORS, cap, MULTIPLIERS)
    previous_total = 0.0
    monthly = []
    for number, (tons, mwh, source, material) in enumerate(months, start=1):
        audit = auditor(tons, mwh, source, material)
        assert audit.month == number
        monthly.append(audit.monthly_emissions_kg)
        assert audit.monthly_emissions_kg >= 0
        assert audit.total_emissions_kg >= previous_total
        assert math.isclose(audit.total_emissions_kg, math.fsum(monthly), rel_tol=1e-9)
        assert (audit.status == "ALERT") == (audit.total_emissions_kg > cap)
        previous_total = audit.total_emissions_kg
