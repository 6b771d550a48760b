"""Partitioned audits equal the single pass, factory for factory."""

import pandas as pd
import pytest

from audits.engine import (
    DEFAULT_FACTORS,
    audit_frame,
    clean_frame,
    generate_dirty_frame,
    outcome_from_frames,
    outcome_to_frame,
    partition_count,
    partition_frame,
)


@pytest.fixture(scope="module")
def cleaned():
    return clean_frame(generate_dirty_frame(rows=6_000, seed=11), DEFAULT_FACTORS).cleaned


def test_partition_count():
    assert partition_count(1_000, rows_per_partition=250_000, max_partitions=8) == 1
    assert partition_count(1_000_000, rows_per_partition=250_000, max_partitions=8) == 4
    assert partition_count(1_000_001, rows_per_partition=250_000, max_partitions=8) == 5
    assert partition_count(10_000_000, rows_per_partition=250_000, max_partitions=8) == 8


@pytest.mark.parametrize("parts", [2, 3, 7])
def test_no_factory_crosses_a_partition(cleaned, parts):
    frames = partition_frame(cleaned, parts)
    assert len(frames) == parts
    assert sum(len(frame) for frame in frames) == len(cleaned)
    seen: set[str] = set()
    for frame in frames:
        ids = set(frame["factory_id"])
        assert not ids & seen
        seen |= ids
    sizes = [len(frame) for frame in frames]
    assert max(sizes) - min(sizes) <= 2 * 12


@pytest.mark.parametrize("parts", [2, 5])
def test_partitioned_audit_equals_the_single_pass(cleaned, parts, tmp_path):
    single = audit_frame(cleaned, DEFAULT_FACTORS, year=2026, factory_caps={"FAC_3": 1_000.0})
    tables = []
    for index, part in enumerate(partition_frame(cleaned, parts)):
        outcome = audit_frame(part, DEFAULT_FACTORS, year=2026, factory_caps={"FAC_3": 1_000.0})
        path = tmp_path / f"part-{index}.parquet"
        outcome_to_frame(outcome).to_parquet(path)  # as the workers hand them over
        tables.append(pd.read_parquet(path))
    merged = outcome_from_frames(tables, year=2026)

    assert merged == single
    assert merged.totals() == single.totals()
    assert merged.sector_breakdown() == single.sector_breakdown()
    assert merged.violators() == single.violators()
    assert any(f.first_breach_month for f in merged.factories)
    assert any(None in f.monthly_emissions_kg for f in merged.factories)
