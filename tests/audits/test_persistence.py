"""Bulk writing of results: COPY on PostgreSQL, bulk_create elsewhere, the same rows."""

import uuid

import pytest

from audits.engine import AuditOutcome
from audits.models import AuditJob, FactoryResult
from audits.persistence import factories_insert, factory_ids_by_code, factory_results_insert
from factories.models import Sector
from tests.builders import OrganizationFactory
from tests.outcomes import awkward_outcome

pytestmark = pytest.mark.django_db


def test_results_and_factories_round_trip_exactly(configured_factors):
    organization = OrganizationFactory()
    job = AuditJob.objects.create(
        id=uuid.uuid4(), organization=organization, reporting_year=2026, source_name="x.csv"
    )
    outcomes = [
        awkward_outcome("FAC_\\A\t1"),
        awkward_outcome("FAC_B", first_breach_month=3, status="COMPLIANT", alerts_count=10),
    ]
    steel = Sector.objects.get(name="Steel")
    details = AuditOutcome(year=2026, factories=tuple(outcomes)).factory_details()
    factories_insert(organization=organization, factories=details, sector_ids={"Steel": steel.pk})
    factories_insert(
        organization=organization, factories=details.iloc[:1], sector_ids={"Steel": steel.pk}
    )
    ids = factory_ids_by_code(organization=organization)
    assert set(ids) == {"FAC_\\A\t1", "FAC_B"}

    parts = [AuditOutcome(year=2026, factories=outcomes[:1]), AuditOutcome(2026, outcomes[1:])]
    assert factory_results_insert(job_id=job.pk, outcomes=parts, factory_ids=ids) == 2
    rows = {row.factory_code: row for row in FactoryResult.objects.filter(job=job)}
    for item in outcomes:
        row = rows[item.factory_id]
        assert row.factory_id == ids[item.factory_id]
        assert row.monthly_emissions_kg == list(item.monthly_emissions_kg)
        for name in (
            "production_kg",
            "energy_kg",
            "total_emissions_kg",
            "projected_annual_kg",
            "max_monthly_emissions_kg",
            "first_breach_month",
            "status",
            "alerts_count",
        ):
            assert getattr(row, name) == getattr(item, name), name
    factory = FactoryResult.objects.get(job=job, factory_code="FAC_B").factory
    assert factory.name == outcomes[1].factory_name
    assert (factory.latitude, factory.longitude) == (45.5, None)


def test_statistics_are_refreshed_after_a_large_job(django_assert_max_num_queries):
    from audits.persistence import statistics_refresh_after_bulk_insert

    with django_assert_max_num_queries(0):
        statistics_refresh_after_bulk_insert(rows=10)
    statistics_refresh_after_bulk_insert(rows=1_000_000)  # ANALYZE inside a test transaction


def test_monthly_figures_are_written_as_json_floats_exactly():
    import json

    import numpy as np

    from audits.persistence import monthly_json

    rows = np.array(
        [
            [1.5, np.nan, 0.1 + 0.2, 18500.0, 0.0, 1e20, 5e-324, 123456789012345.0, *[np.nan] * 4],
            [np.nan] * 12,
        ]
    )
    texts = monthly_json(rows).to_pylist()
    first = json.loads(texts[0])
    assert first[:8] == [
        1.5,
        None,
        0.30000000000000004,
        18500.0,
        0.0,
        1e20,
        5e-324,
        123456789012345.0,
    ]
    assert all(isinstance(value, float) for value in first if value is not None)
    assert json.loads(texts[1]) == [None] * 12
    with pytest.raises(ValueError, match="not finite"):
        monthly_json(np.array([[np.inf] * 12]))
