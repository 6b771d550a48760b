"""API fixtures: token clients per role, a finished audit, throttle state cleared."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audits.models import AuditJob
from tests.builders import (
    AuditJobFactory,
    FactoryResultFactory,
    MembershipFactory,
)


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def staff(organization):
    user = MembershipFactory(organization=organization, role="viewer").user
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def officer_api(officer) -> APIClient:
    return token_client(officer)


@pytest.fixture
def viewer_api(viewer) -> APIClient:
    return token_client(viewer)


@pytest.fixture
def outsider_api(outsider) -> APIClient:
    return token_client(outsider)


REJECTED_CSV = (
    "line_number,factory_id,column,value,reason\n"
    "5,FAC_X,month,13,month must be 1..12\n"
    "9,FAC_Y,sector,Glass,unknown sector\n"
    "12,FAC_Z,energy_used_mwh,-1,negative quantity\n"
)


@pytest.fixture
def finished_job(organization, configured_factors):
    """A SUCCEEDED job with three results and every artifact stored."""
    job = AuditJobFactory(
        organization=organization,
        status=AuditJob.Status.SUCCEEDED,
        progress=100,
        stage="Done",
        summary={
            "year": 2026,
            "summary": {
                "total_factories": 3,
                "total_emissions_kg": 36000.0,
                "total_emissions_tons": 36.0,
                "total_alerts": 2,
                "factories_over_cap": 1,
            },
            "sector_breakdown": {
                "Steel": {
                    "factories": 3,
                    "total_emissions_kg": 36000.0,
                    "avg_per_factory_kg": 12000.0,
                    "over_cap": 1,
                }
            },
            "violators": [{"factory_id": "FAC_A", "total_emissions_kg": 20000.0}],
            "cleaning_report": [],
            "rows": {"read": 39, "cleaned": 36, "rejected": 3},
        },
        factors_snapshot={"sectors": [], "energy_sources": [], "factory_caps": {}},
    )
    base = f"audits/{job.pk}"
    for field, name, content in (
        ("summary_csv", "audit_summary_2026.csv", b"factory_id,sector\nFAC_A,Steel\n"),
        ("chart_png", "emissions_chart.png", b"\x89PNG\r\n\x1a\nfake"),
        ("rejected_csv", "rejected_rows.csv", REJECTED_CSV.encode()),
        ("cleaned_csv", "cleaned.csv", b"factory_id,month\nFAC_A,1\n"),
    ):
        getattr(job, field).save(f"{name}", ContentFile(content), save=False)
        assert getattr(job, field).name.startswith(base)
    job.save()
    for code, total, status, sector in (
        ("FAC_A", 20000.0, "EXCEEDED", "Steel"),
        ("FAC_B", 10000.0, "COMPLIANT", "Steel"),
        ("FAC_C", 6000.0, "COMPLIANT", "Textile"),
    ):
        FactoryResultFactory(
            job=job,
            factory__code=code,
            factory__name=f"Plant {code}",
            factory_code=code,
            sector=sector,
            total_emissions_kg=total,
            status=status,
        )
    return job
