"""AuditOutcome keeps its factories as columns and gives them back exactly."""

import math

import numpy as np
import pytest

from audits.engine import AuditOutcome, FactoryOutcome
from tests.outcomes import awkward_outcome

FACTORIES = (
    awkward_outcome("A", total_emissions_kg=5.0, first_breach_month=12, alerts_count=1),
    awkward_outcome("B", sector="Textile", status="COMPLIANT", latitude=None, longitude=-180.0),
    awkward_outcome("C", total_emissions_kg=5.0, first_breach_month=1, alerts_count=12),
    awkward_outcome(
        "D", total_emissions_kg=7.0, sector="Textile", monthly_emissions_kg=(None,) * 12
    ),
)


def test_factories_come_back_exactly_as_given():
    outcome = AuditOutcome(year=2026, factories=FACTORIES)
    assert len(outcome) == len(outcome.factories) == 4
    assert tuple(outcome.factories) == FACTORIES
    assert outcome.factories == FACTORIES
    assert outcome.factories[1] == FACTORIES[1]
    assert outcome.factories[-1] == FACTORIES[-1]
    assert outcome.factories[1:3] == FACTORIES[1:3]
    assert outcome.factories[::2] == FACTORIES[::2]
    with pytest.raises(IndexError):
        outcome.factories[4]
    first = outcome.factories[0]
    assert type(first.production_kg) is float and type(first.alerts_count) is int
    assert first.longitude is None and first.monthly_emissions_kg[1] is None
    assert outcome == AuditOutcome(year=2026, factories=list(FACTORIES))
    assert outcome != AuditOutcome(year=2025, factories=FACTORIES)
    assert outcome != AuditOutcome(year=2026, factories=FACTORIES[:3])


def test_an_empty_outcome():
    outcome = AuditOutcome(year=2026, factories=())
    assert outcome.factories == () and len(outcome) == 0
    assert outcome.totals()["total_factories"] == 0
    assert outcome.column("monthly_emissions_kg").shape == (0, 12)
    assert outcome.violators() == []


def test_figures_over_all_factories():
    outcome = AuditOutcome(year=2026, factories=FACTORIES)
    totals = outcome.totals()
    assert totals["total_emissions_kg"] == math.fsum(f.total_emissions_kg for f in FACTORIES)
    assert totals["total_alerts"] == 13
    assert totals["factories_over_cap"] == 3
    breakdown = outcome.sector_breakdown()
    assert list(breakdown) == ["Steel", "Textile"]
    assert breakdown["Textile"] == {
        "factories": 2,
        "total_emissions_kg": FACTORIES[1].total_emissions_kg + 7.0,
        "avg_per_factory_kg": (FACTORIES[1].total_emissions_kg + 7.0) / 2,
        "over_cap": 1,
    }
    # Largest total first; equal totals by factory_id.
    assert [f.factory_id for f in outcome.violators()] == ["D", "A", "C"]
    assert [f.factory_id for f in outcome.violators(limit=2)] == ["D", "A"]
    details = outcome.factory_details()
    assert details["factory_id"].tolist() == ["A", "B", "C", "D"]
    assert np.isnan(details["latitude"].iloc[1]) and details["longitude"].iloc[1] == -180.0


def test_columns_are_checked():
    with pytest.raises(ValueError, match="alerts_count must be a whole number"):
        AuditOutcome(year=2026, factories=(awkward_outcome("A", alerts_count=1.5),))
    good = AuditOutcome(year=2026, factories=FACTORIES)
    columns = {name: good.column(name) for name in FactoryOutcome._fields}
    assert AuditOutcome.from_columns(2026, columns) == good
    with pytest.raises(ValueError, match="missing: status"):
        AuditOutcome.from_columns(2026, {k: v for k, v in columns.items() if k != "status"})
    with pytest.raises(ValueError, match="different lengths"):
        AuditOutcome.from_columns(2026, {**columns, "factory_id": ["A"]})
