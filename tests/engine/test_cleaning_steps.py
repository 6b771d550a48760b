"""One test per cleaning step and per rejection reason."""

import math

import pandas as pd
import pytest

from audits.engine import STEPS, InputFileError, clean_frame


def clean(factors, frame, **kwargs):
    result = clean_frame(frame, factors, **kwargs)
    assert len(result.cleaned) + len(result.rejected) == len(frame)
    return result


def only_rejection(result):
    assert len(result.rejected) == 1, result.rejected.to_dict("records")
    return result.rejected.iloc[0].to_dict()


def test_report_has_ten_named_steps_in_order(factors, make_frame):
    result = clean(factors, make_frame({}, {"month": "2"}))
    assert [s.number for s in result.report] == list(range(1, 11))
    assert [s.name for s in result.report] == [name for name, _ in STEPS]
    for before, after in zip(result.report, result.report[1:], strict=False):
        assert after.rows_in == before.rows_out
    for step in result.report:
        assert step.rows_in - step.rows_out == step.rejected
    assert result.report_dicts()[0]["name"] == "decode and check header"


def test_cleaned_columns_and_types(factors, make_frame):
    result = clean(factors, make_frame({}))
    cleaned = result.cleaned
    assert list(cleaned.columns) == [
        "line_number",
        "factory_id",
        "factory_name",
        "sector",
        "country",
        "latitude",
        "longitude",
        "month",
        "monthly_production_tons",
        "energy_used_mwh",
        "energy_source_type",
        "raw_material_weight_tons",
    ]
    assert cleaned["month"].dtype == "int64"
    assert cleaned["line_number"].dtype == "int64"
    for name in (
        "monthly_production_tons",
        "energy_used_mwh",
        "raw_material_weight_tons",
        "latitude",
        "longitude",
    ):
        assert cleaned[name].dtype == "float64"
    row = cleaned.iloc[0]
    assert (row.factory_name, row.country) == ("", "")
    assert math.isnan(row.latitude)
    assert list(result.rejected.columns) == [
        "line_number",
        "factory_id",
        "column",
        "value",
        "reason",
    ]


# step 1 -------------------------------------------------------------------------------


def test_step1_headers_match_case_and_space_insensitively(factors, make_frame):
    frame = make_frame({}).rename(
        columns={"factory_id": " Factory ID ", "monthly_production_tons": "Monthly Production Tons"}
    )
    assert len(clean(factors, frame).cleaned) == 1


def test_step1_missing_columns_name_them(factors, make_frame):
    frame = make_frame({}).drop(columns=["month", "energy_used_mwh"])
    with pytest.raises(InputFileError, match="month, energy_used_mwh"):
        clean_frame(frame, factors)


def test_step1_no_data_rows(factors, make_frame):
    with pytest.raises(InputFileError, match="no data rows"):
        clean_frame(make_frame({}).iloc[0:0], factors)


def test_step1_duplicated_columns(factors, make_frame):
    frame = make_frame({}).rename(columns={"country": "x"})
    frame.insert(0, "SECTOR ", "Steel")
    with pytest.raises(InputFileError, match="repeats the column"):
        clean_frame(frame, factors)


def test_step1_line_numbers_default_to_file_lines(factors, make_frame):
    result = clean(factors, make_frame({}, {"month": "2"}))
    assert result.cleaned["line_number"].tolist() == [2, 3]


# step 2 -------------------------------------------------------------------------------


def test_step2_whitespace_is_stripped_and_counted(factors, make_frame):
    result = clean(factors, make_frame({"factory_id": "  FAC_A ", "sector": " Steel\t"}))
    assert result.cleaned.iloc[0].factory_id == "FAC_A"
    assert result.report[1].changed == 2


def test_step2_blank_factory_id_is_rejected(factors, make_frame):
    rejection = only_rejection(clean(factors, make_frame({"factory_id": "   "})))
    assert rejection["column"] == "factory_id"
    assert rejection["line_number"] == 2
    assert "factory_id is blank" in rejection["reason"]


# step 3 -------------------------------------------------------------------------------


def test_step3_sector_case_is_normalised(factors, make_frame):
    result = clean(factors, make_frame({"sector": "sTEEL"}))
    assert result.cleaned.iloc[0].sector == "Steel"
    assert result.report[2].changed == 1


def test_step3_unknown_sector(factors, make_frame):
    rejection = only_rejection(clean(factors, make_frame({"sector": "Plastics"})))
    assert rejection["reason"] == (
        "unknown sector 'Plastics' (configured: Electronics, Steel, Textile)"
    )
    assert (rejection["column"], rejection["value"]) == ("sector", "Plastics")


def test_step3_blank_sector(factors, make_frame):
    rejection = only_rejection(clean(factors, make_frame({"sector": ""})))
    assert rejection["reason"].startswith("sector is blank")


# step 4 -------------------------------------------------------------------------------


def test_step4_aliases_and_case(factors, make_frame):
    raw = ["Natural Gas", "solar", "ELECTRICITY", "nat_gas", "Coal", "wind"]
    frame = make_frame(*({"month": str(i + 1), "energy_source_type": s} for i, s in enumerate(raw)))
    result = clean(factors, frame)
    assert result.cleaned["energy_source_type"].tolist() == [
        "natural_gas",
        "renewable",
        "grid",
        "natural_gas",
        "coal",
        "renewable",
    ]


def test_step4_blank_defaults_to_grid_and_is_counted(factors, make_frame):
    result = clean(factors, make_frame({"energy_source_type": ""}, {"month": "2"}))
    assert result.cleaned["energy_source_type"].tolist() == ["grid", "grid"]
    assert "1 blank energy source(s) defaulted to grid" in result.report[3].detail
    assert result.report[3].changed == 1


def test_step4_unknown_energy_source(factors, make_frame):
    rejection = only_rejection(clean(factors, make_frame({"energy_source_type": "diesel"})))
    assert rejection["column"] == "energy_source_type"
    assert rejection["reason"].startswith("unknown energy source 'diesel'")


# step 5 -------------------------------------------------------------------------------


def test_step5_unparseable_number(factors, make_frame):
    rejection = only_rejection(clean(factors, make_frame({"monthly_production_tons": "12t"})))
    assert rejection["reason"] == "monthly_production_tons '12t' is not a number"


def test_step5_blank_quantity(factors, make_frame):
    rejection = only_rejection(clean(factors, make_frame({"energy_used_mwh": ""})))
    assert rejection["reason"] == "energy_used_mwh is blank"


def test_step5_blank_raw_material_is_zero_and_counted(factors, make_frame):
    result = clean(factors, make_frame({"raw_material_weight_tons": ""}))
    assert result.cleaned.iloc[0].raw_material_weight_tons == 0.0
    assert result.report[4].changed == 1
    assert "1 blank raw_material_weight_tons set to 0" in result.report[4].detail


def test_step5_unparseable_raw_material(factors, make_frame):
    rejection = only_rejection(clean(factors, make_frame({"raw_material_weight_tons": "lots"})))
    assert rejection["column"] == "raw_material_weight_tons"


def test_step5_negative_zero_is_kept_as_zero(factors, make_frame):
    result = clean(factors, make_frame({"monthly_production_tons": "-0"}))
    value = result.cleaned.iloc[0].monthly_production_tons
    assert value == 0.0 and math.copysign(1, value) == 1


def test_step5_bad_coordinates_are_blanked_not_rejected(factors, make_frame):
    frame = make_frame(
        {"latitude": "north", "longitude": "10"},
        {"month": "2", "latitude": "95", "longitude": "-181"},
        {"month": "3", "latitude": "-33.9", "longitude": "151.2"},
    )
    result = clean(factors, frame)
    assert len(result.cleaned) == 3 and result.rejected.empty
    lat = result.cleaned["latitude"].tolist()
    assert math.isnan(lat[0]) and math.isnan(lat[1]) and lat[2] == -33.9
    assert result.cleaned["longitude"].tolist()[0] == 10.0
    assert math.isnan(result.cleaned["longitude"].tolist()[1])
    assert result.report[4].changed == 3
    assert "3 unparseable or out-of-range latitude/longitude" in result.report[4].detail


# step 6 -------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["1", " 01 ", "1.0", "12"])
def test_step6_accepted_months(factors, make_frame, month):
    result = clean(factors, make_frame({"month": month}))
    assert result.cleaned.iloc[0].month == int(float(month))


@pytest.mark.parametrize(
    ("month", "reason"),
    [
        ("13", "month 13 is outside 1..12"),
        ("0", "month 0 is outside 1..12"),
        ("-1", "month -1 is outside 1..12"),
        ("1.5", "month '1.5' is not a whole number from 1 to 12"),
        ("Jan", "month 'Jan' is not a whole number from 1 to 12"),
        ("inf", "month 'inf' is not a whole number from 1 to 12"),
        ("", "month is blank"),
    ],
)
def test_step6_rejected_months(factors, make_frame, month, reason):
    rejection = only_rejection(clean(factors, make_frame({"month": month})))
    assert rejection["reason"] == reason
    assert rejection["column"] == "month"


# step 7 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("energy_used_mwh", "-5", "energy_used_mwh is negative"),
        ("monthly_production_tons", "NaN", "monthly_production_tons is not a number (NaN)"),
        ("raw_material_weight_tons", "inf", "raw_material_weight_tons is infinite"),
        ("monthly_production_tons", "-1e400", "monthly_production_tons is infinite"),
    ],
)
def test_step7_bad_quantities(factors, make_frame, column, value, reason):
    rejection = only_rejection(clean(factors, make_frame({column: value})))
    assert (rejection["column"], rejection["reason"]) == (column, reason)


def test_step7_value_too_large(factors, make_frame):
    result = clean(
        factors,
        make_frame(
            {"monthly_production_tons": "1e308"}, {"month": "2", "energy_used_mwh": "1e299"}
        ),
    )
    assert result.cleaned.empty
    reasons = result.rejected["reason"].tolist()
    assert all(r.startswith("value too large") for r in reasons)
    assert result.rejected["column"].tolist() == ["monthly_production_tons", "energy_used_mwh"]


# step 8 -------------------------------------------------------------------------------


def test_step8_last_duplicate_wins(factors, make_frame):
    frame = make_frame(
        {"monthly_production_tons": "1"},
        {"month": "2"},
        {"monthly_production_tons": "3"},
    )
    result = clean(factors, frame)
    assert result.cleaned["line_number"].tolist() == [4, 3]
    rejection = only_rejection(result)
    assert rejection["line_number"] == 2
    assert "superseded by line 4" in rejection["reason"]


# step 9 -------------------------------------------------------------------------------


def test_step9_first_row_sector_wins(factors, make_frame):
    frame = make_frame({}, {"month": "2", "sector": "Textile"}, {"month": "3"})
    rejection = only_rejection(clean(factors, frame))
    assert rejection["line_number"] == 3
    assert rejection["reason"] == (
        "factory FAC_A is Steel on its first row (line 2), this row says Textile"
    )


def test_step9_registered_sector_wins(factors, make_frame):
    frame = make_frame({}, {"month": "2", "sector": "Textile"})
    result = clean(factors, frame, registered_sectors={"FAC_A": "textile"})
    rejection = only_rejection(result)
    assert rejection["line_number"] == 2
    assert rejection["reason"] == "factory FAC_A is registered as Textile, row says Steel"
    assert result.cleaned.iloc[0].sector == "Textile"


def test_step9_other_factories_are_untouched(factors, make_frame):
    frame = make_frame({}, {"factory_id": "FAC_B", "sector": "Textile"})
    assert len(clean(factors, frame, registered_sectors={"FAC_C": "Steel"}).cleaned) == 2


# step 10 ------------------------------------------------------------------------------


def test_step10_sorted_by_factory_then_month(factors, make_frame):
    frame = make_frame(
        {"factory_id": "FAC_B", "month": "2"},
        {"factory_id": "FAC_A", "month": "3"},
        {"factory_id": "FAC_B", "month": "1"},
        {"factory_id": "FAC_A", "month": "1"},
    )
    result = clean(factors, frame)
    assert list(zip(result.cleaned.factory_id, result.cleaned.month, strict=True)) == [
        ("FAC_A", 1),
        ("FAC_A", 3),
        ("FAC_B", 1),
        ("FAC_B", 2),
    ]
    assert result.cleaned["line_number"].tolist() == [5, 3, 4, 2]
    assert result.report[9].changed == 2  # lines 2 and 5 swap places


def test_rejections_are_sorted_by_line(factors, make_frame):
    frame = make_frame({"month": "x"}, {"sector": "y"}, {"energy_used_mwh": "-1"})
    assert clean(factors, frame).rejected["line_number"].tolist() == [2, 3, 4]


def test_non_string_input_frame_is_accepted(factors):
    frame = pd.DataFrame(
        {
            "factory_id": ["FAC_A"],
            "sector": ["Steel"],
            "month": [1],
            "monthly_production_tons": [100.0],
            "energy_used_mwh": [50],
            "energy_source_type": [None],
            "raw_material_weight_tons": [float("nan")],
        }
    )
    result = clean(factors, frame)
    assert result.cleaned.iloc[0].energy_source_type == "grid"
    assert result.cleaned.iloc[0].raw_material_weight_tons == 0.0
