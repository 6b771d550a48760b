"""Carbon-Trace audit engine: pure Python, no Django.

An upload goes: ``read_table`` -> ``clean_frame`` (ten named steps) -> ``audit_frame``
(one closure-based auditor per factory, months in order) -> ``summary_dict``,
``write_summary_csv`` and ``render_emissions_chart``.
"""

from .charts import cumulative_series, render_emissions_chart
from .cleaning import STEPS, CleaningResult, StepReport, clean_file, clean_frame
from .closures import MonthlyAudit, make_emission_auditor
from .export import (
    safe_cell,
    summary_csv_name,
    write_cleaned_csv,
    write_rejected_csv,
    write_summary_csv,
)
from .factors import DEFAULT_FACTORS, FactorSet, SectorFactors
from .industry import Industry
from .partition import outcome_from_frames, outcome_to_frame, partition_count, partition_frame
from .reading import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, InputFileError, read_table
from .sample import generate_dirty_frame, generate_production_frame, write_sample_csv
from .summary import (
    COMPLIANT,
    EXCEEDED,
    FACTORY_DETAIL_COLUMNS,
    AuditOutcome,
    FactoryOutcome,
    audit_frame,
    factory_details,
    summary_dict,
)

__all__ = [
    "COMPLIANT",
    "DEFAULT_FACTORS",
    "EXCEEDED",
    "FACTORY_DETAIL_COLUMNS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "STEPS",
    "AuditOutcome",
    "CleaningResult",
    "FactorSet",
    "FactoryOutcome",
    "Industry",
    "InputFileError",
    "MonthlyAudit",
    "SectorFactors",
    "StepReport",
    "audit_frame",
    "clean_file",
    "clean_frame",
    "cumulative_series",
    "factory_details",
    "generate_dirty_frame",
    "generate_production_frame",
    "make_emission_auditor",
    "outcome_from_frames",
    "outcome_to_frame",
    "partition_count",
    "partition_frame",
    "read_table",
    "render_emissions_chart",
    "safe_cell",
    "summary_csv_name",
    "summary_dict",
    "write_cleaned_csv",
    "write_rejected_csv",
    "write_sample_csv",
    "write_summary_csv",
]
