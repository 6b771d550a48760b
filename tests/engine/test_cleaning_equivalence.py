"""The steps filter once, at the end: a row leaves play at its first problem, and only then.

Steps 2 to 9 leave rejected rows in the frame and judge only the rows still in play,
so each test here builds rows with several problems, or rows that only clash with a
row rejected earlier, and checks that each row is rejected once, by the first step
that finds a problem, with the report's counts to match.
"""

import itertools

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.engine import DEFAULT_FACTORS, REQUIRED_COLUMNS, clean_frame, cleaning
from tests.engine.conftest import GOOD_ROW

# Each cell value with the step (2..7) that rejects it, or None when it passes.
VERDICTS = {
    "factory_id": {"FAC": None, " FAC ": None, "  ": 2},
    "sector": {"Steel": None, " textile": None, "Plastics": 3, "": 3},
    "energy_source_type": {"grid": None, "Natural Gas": None, "": None, "diesel": 4},
    "monthly_production_tons": {"100": None, " 7.5 ": None, "abc": 5, "": 5, "-5": 7},
    "energy_used_mwh": {"50": None, "x": 5, "-1": 7, "nan": 7, "inf": 7},
    "raw_material_weight_tons": {"120": None, "": None, "zero": 5, "-3": 7},
    "month": {"1": None, " 02 ": None, "12.0": None, "13": 6, "Jan": 6, "": 6},
}
STEP_COLUMNS = {
    2: "factory_id",
    3: "sector",
    4: "energy_source_type",
    5: "monthly_production_tons",
    6: "month",
    7: "monthly_production_tons",
}


def first_problem(picks: dict[str, str]) -> tuple[int, str] | None:
    """(step, column) of the rejection a row should get, by the order of the rules."""
    steps = [VERDICTS[name][value] for name, value in picks.items() if VERDICTS[name][value]]
    if not steps:
        return None
    step = min(steps)
    if step in (5, 7):  # the first quantity column at fault, in the order of the file's rules
        for name in cleaning.QUANTITY_COLUMNS:
            if VERDICTS[name][picks[name]] == step:
                return step, name
    return step, STEP_COLUMNS[step]


@st.composite
def rows_with_known_problems(draw):
    count = draw(st.integers(min_value=1, max_value=30))
    picks = [
        {name: draw(st.sampled_from(sorted(values))) for name, values in VERDICTS.items()}
        for _ in range(count)
    ]
    # One factory per row, so that only the row-local steps (2-7) can reject it.
    rows = [
        {**row, "factory_id": row["factory_id"].replace("FAC", f"FAC_{n}")}
        for n, row in enumerate(picks)
    ]
    return picks, rows


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=rows_with_known_problems())
def test_each_row_is_rejected_once_by_its_first_problem(drawn):
    picks, rows = drawn
    frame = pd.DataFrame(rows, columns=list(REQUIRED_COLUMNS), dtype=str)
    result = clean_frame(frame, DEFAULT_FACTORS)

    expected = {line: first_problem(row) for line, row in enumerate(picks, start=2)}
    rejected = {r.line_number: r for r in result.rejected.itertuples()}
    assert len(rejected) == len(result.rejected), "a row was rejected twice"
    assert set(rejected) == {line for line, problem in expected.items() if problem}
    assert set(result.cleaned["line_number"]) == {
        line for line, problem in expected.items() if not problem
    }
    for line, rejection in rejected.items():
        assert rejection.column == expected[line][1], (line, rejection.reason)

    report = result.report
    assert report[0].rows_in == len(rows) == len(result.cleaned) + len(result.rejected)
    for before, after in itertools.pairwise(report):
        assert after.rows_in == before.rows_out
    for step in report:
        assert step.rows_in - step.rows_out == step.rejected
        assert step.rejected == sum(
            1 for problem in expected.values() if problem and problem[0] == step.number
        )
    assert report[-1].rows_out == len(result.cleaned)


def test_a_row_with_every_problem_is_rejected_by_step_2_alone(factors, make_frame):
    frame = make_frame(
        {
            "factory_id": "  ",
            "sector": "Plastics",
            "energy_source_type": "diesel",
            "monthly_production_tons": "abc",
            "month": "13",
            "energy_used_mwh": "-1",
        },
        {"month": "2"},
    )
    result = clean_frame(frame, factors)
    assert result.rejected[["line_number", "column"]].to_numpy().tolist() == [[2, "factory_id"]]
    assert [step.rejected for step in result.report] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert [step.rows_out for step in result.report] == [2, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert result.cleaned["line_number"].tolist() == [3]


def test_a_rejected_row_does_not_supersede_an_earlier_duplicate(factors, make_frame):
    frame = make_frame({}, {"monthly_production_tons": "abc"}, {"month": "2"})
    result = clean_frame(frame, factors)
    assert result.cleaned["line_number"].tolist() == [2, 4]
    assert result.rejected[["line_number", "column"]].to_numpy().tolist() == [
        [3, "monthly_production_tons"]
    ]
    assert result.report[7].rejected == 0


def test_the_duplicate_winner_is_the_last_row_still_in_play(factors, make_frame):
    frame = make_frame(
        {"monthly_production_tons": "1"},
        {"monthly_production_tons": "2"},
        {"month": "Jan"},
        {"monthly_production_tons": "3", "energy_source_type": "diesel"},
    )
    result = clean_frame(frame, factors)
    assert result.cleaned["line_number"].tolist() == [3]
    reasons = dict(zip(result.rejected["line_number"], result.rejected["reason"], strict=True))
    assert "superseded by line 3" in reasons[2]
    assert reasons[4].startswith("month 'Jan'")
    assert reasons[5].startswith("unknown energy source")


def test_the_first_row_in_play_sets_the_factory_sector(factors, make_frame):
    frame = make_frame(
        {"sector": "Electronics", "month": "Jan"},
        {"sector": "Textile", "month": "2"},
        {"month": "3"},
    )
    result = clean_frame(frame, factors)
    assert result.cleaned["line_number"].tolist() == [3]
    rejection = result.rejected.set_index("line_number").loc[4]
    assert rejection["reason"] == (
        "factory FAC_A is Textile on its first row (line 3), this row says Steel"
    )
    assert [step.rejected for step in result.report] == [0, 0, 0, 0, 0, 1, 0, 0, 1, 0]


def test_the_callers_frame_is_left_as_it_was(factors, make_frame):
    frame = make_frame({"factory_id": " FAC_A ", "month": " 1 "}, {"sector": "x", "month": "2"})
    before = frame.copy(deep=True)
    clean_frame(frame, factors)
    pd.testing.assert_frame_equal(frame, before)


ALL_WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]


@settings(max_examples=60, deadline=None)
@given(
    padding=st.lists(
        st.tuples(st.sampled_from(["", *ALL_WHITESPACE]), st.sampled_from(["", *ALL_WHITESPACE])),
        min_size=1,
        max_size=12,
    )
)
def test_whitespace_of_every_kind_is_trimmed_from_numbers(padding):
    rows = [
        {**GOOD_ROW, "month": str(month), "latitude": f"{before}{month}.5{after}"}
        for month, (before, after) in enumerate(padding, start=1)
    ]
    result = clean_frame(pd.DataFrame(rows, dtype=str), DEFAULT_FACTORS)
    assert result.cleaned["latitude"].tolist() == [m + 0.5 for m in range(1, len(rows) + 1)]
    assert result.report[1].changed == sum(1 for before, after in padding if before or after)


@pytest.mark.parametrize("repeated", [True, False])
def test_numbers_parse_alike_once_per_distinct_value_or_cell_by_cell(
    factors, make_frame, monkeypatch, repeated
):
    values = ["1", "-0", "2.50", "nan", "inf", "1e400", "abc", "", " 3 ", "1,000", "+4", ".5"]
    rows = [
        {
            "factory_id": f"FAC_{i // 12}",
            "month": str(i % 12 + 1),
            "monthly_production_tons": values[i % len(values)],
            "energy_used_mwh": values[(i * 5) % len(values)],
            "raw_material_weight_tons": values[(i * 7) % len(values)],
            "latitude": values[(i * 11) % len(values)],
        }
        for i in range(2400)
    ]
    frame = make_frame(*rows)
    expected = clean_frame(frame, factors)
    monkeypatch.setattr(cleaning, "_repeats_a_lot", lambda text: repeated)
    result = clean_frame(frame, factors)
    pd.testing.assert_frame_equal(result.cleaned, expected.cleaned)
    pd.testing.assert_frame_equal(result.rejected, expected.rejected)
    assert result.report_dicts() == expected.report_dicts()


def test_columns_in_several_blocks_clean_as_in_one(factors, make_frame):
    rows = [
        {
            "factory_id": f" FAC_{i % 7} ",
            "month": str(i // 7 + 1),
            "sector": ["Steel", "steel", "Plastics"][i % 3] if i % 7 else "Steel",
            "monthly_production_tons": ["100", " 5", "x", "-1"][i % 4],
            "latitude": ["45.1", "north", " 12 "][i % 3],
        }
        for i in range(60)
    ]
    frame = make_frame(*rows)
    in_blocks = pd.DataFrame(
        {
            name: pd.Series(
                pa.chunked_array([pa.array(column.tolist()[:25]), pa.array(column.tolist()[25:])]),
                dtype=column.dtype,
            )
            for name, column in frame.items()
        }
    )
    expected = clean_frame(frame, factors)
    result = clean_frame(in_blocks, factors)
    pd.testing.assert_frame_equal(result.cleaned, expected.cleaned)
    pd.testing.assert_frame_equal(result.rejected, expected.rejected)
    assert result.report_dicts() == expected.report_dicts()


def test_columns_cleaned_side_by_side_give_the_same_result(factors, make_frame, monkeypatch):
    rows = [
        {
            "factory_id": f" FAC_{i % 9}",
            "month": ["1", " 2", "3.0", "x"][i % 4] if i < 40 else str(i % 12 + 1),
            "sector": ["Steel", "steel ", "Plastics"][i % 3] if i % 9 else "Steel",
            "energy_source_type": ["grid", "Natural Gas", "", "diesel"][i % 4],
            "monthly_production_tons": ["100", " 5", "x", "-1", "nan"][i % 5],
            "raw_material_weight_tons": ["", "2", "lots"][i % 3],
            "latitude": ["45.1", "north", " 12 ", "95"][i % 4],
        }
        for i in range(120)
    ]
    frame = make_frame(*rows)
    monkeypatch.setattr(cleaning, "_ROWS_WORTH_A_THREAD", 10**9)
    one_by_one = clean_frame(frame, factors)
    monkeypatch.setattr(cleaning, "_ROWS_WORTH_A_THREAD", 0)
    side_by_side = clean_frame(frame, factors)
    pd.testing.assert_frame_equal(side_by_side.cleaned, one_by_one.cleaned)
    pd.testing.assert_frame_equal(side_by_side.rejected, one_by_one.rejected)
    assert side_by_side.report_dicts() == one_by_one.report_dicts()
