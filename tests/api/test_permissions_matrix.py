"""Who may do what, over every endpoint and method.

anonymous -> 401; officer of another organization -> 404 on this organization's objects;
viewer -> reads only; officer -> reads and writes of the organization; staff -> factor writes.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from factories.models import EnergySource, Factory, Sector
from tests.api.conftest import token_client
from tests.builders import FactoryFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "viewer", "officer", "outsider", "staff")
OK = "ok"

# (method, path template, body, expected by role). `ok` = any 2xx.
MATRIX = [
    ("get", "/api/v1/audits/", None, (401, OK, OK, OK, OK)),
    ("post", "/api/v1/audits/", "upload", (401, 403, 202, 202, 403)),
    ("get", "/api/v1/audits/{job}/", None, (401, OK, OK, 404, OK)),
    ("delete", "/api/v1/audits/{job}/", None, (401, 403, 204, 404, 403)),
    ("get", "/api/v1/audits/{job}/factories/", None, (401, OK, OK, 404, OK)),
    ("get", "/api/v1/audits/{job}/rejected-rows/", None, (401, OK, OK, 404, OK)),
    ("get", "/api/v1/audits/{job}/files/summary.csv", None, (401, OK, OK, 404, OK)),
    ("get", "/api/v1/audits/{job}/files/emissions_chart.png", None, (401, OK, OK, 404, OK)),
    ("get", "/api/v1/audits/{job}/files/rejected_rows.csv", None, (401, OK, OK, 404, OK)),
    ("get", "/api/v1/audits/{job}/files/cleaned.csv", None, (401, OK, OK, 404, OK)),
    ("get", "/api/v1/factories/", None, (401, OK, OK, OK, OK)),
    ("get", "/api/v1/factories/{factory}/", None, (401, OK, OK, 404, OK)),
    ("patch", "/api/v1/factories/{factory}/", {"name": "New"}, (401, 403, OK, 404, 403)),
    ("get", "/api/v1/sectors/", None, (401, OK, OK, OK, OK)),
    ("get", "/api/v1/sectors/{sector}/", None, (401, OK, OK, OK, OK)),
    ("post", "/api/v1/sectors/", "sector", (401, 403, 403, 403, 201)),
    ("patch", "/api/v1/sectors/{sector}/", {"carbon_cap_kg": 1e8}, (401, 403, 403, 403, OK)),
    ("delete", "/api/v1/sectors/{spare_sector}/", None, (401, 403, 403, 403, 204)),
    ("get", "/api/v1/energy-sources/", None, (401, OK, OK, OK, OK)),
    ("get", "/api/v1/energy-sources/{source}/", None, (401, OK, OK, OK, OK)),
    ("post", "/api/v1/energy-sources/", "source", (401, 403, 403, 403, 201)),
    ("patch", "/api/v1/energy-sources/{source}/", {"multiplier": 1.1}, (401, 403, 403, 403, OK)),
    ("delete", "/api/v1/energy-sources/{spare_source}/", None, (401, 403, 403, 403, 204)),
    ("delete", "/api/v1/auth/token/", None, (401, 204, 204, 204, 204)),
    ("get", "/api/v1/health/", None, (OK, OK, OK, OK, OK)),
]

CASES = [
    pytest.param(method, path, body, role, expected[i], id=f"{method}-{path}-{role}")
    for method, path, body, expected in MATRIX
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def objects(finished_job, organization):
    return {
        "job": finished_job.pk,
        "factory": Factory.objects.filter(organization=organization).first().pk,
        "sector": Sector.objects.get(name="Steel").pk,
        "spare_sector": Sector.objects.create(
            name="Spare",
            production_per_ton=1,
            energy_per_mwh=1,
            material_processing_per_ton=1,
            carbon_cap_kg=1,
        ).pk,
        "source": EnergySource.objects.get(key="coal").pk,
        "spare_source": EnergySource.objects.create(key="spare", label="Spare", multiplier=1).pk,
    }


def body_for(kind, sample_csv):
    if kind == "upload":
        return {"file": sample_csv.open("rb"), "reporting_year": 2026}, "multipart"
    if kind == "sector":
        return {
            "name": "Cement",
            "production_per_ton": 1,
            "energy_per_mwh": 1,
            "material_processing_per_ton": 1,
            "carbon_cap_kg": 1,
        }, "json"
    if kind == "source":
        return {"key": "biomass", "label": "Biomass", "multiplier": 0.5}, "json"
    return kind, "json"


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CASES)
def test_permission_matrix(
    request, method, path, body, role, expected, objects, sample_csv, monkeypatch
):
    monkeypatch.setattr("carbontrace_site.health._broker_up", lambda: True)
    user = None if role == "anonymous" else request.getfixturevalue(role)
    if role == "outsider":
        FactoryFactory(organization=user.memberships.get().organization)
    client = APIClient() if user is None else token_client(user)
    url = path.format(**objects)
    kwargs = {}
    if body is not None:
        data, fmt = body_for(body, sample_csv)
        kwargs = {"data": data, "format": fmt}
    response = getattr(client, method)(url, **kwargs)
    if expected == OK:
        assert 200 <= response.status_code < 300, response.content[:500]
    else:
        assert response.status_code == expected, response.content[:500]
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "details"}
