"""Factories, sectors, energy sources, tokens, health and the token page."""

from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from factories.models import Sector
from tests.api.test_audits_api import assert_error
from tests.builders import TEST_PASSWORD, FactoryFactory, SectorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant(organization):
    return FactoryFactory(organization=organization, code="FAC_STEEL_01", name="Ruhr Works")


def test_factories_are_listed_searched_and_scoped(officer_api, plant, other_organization):
    FactoryFactory(organization=other_organization, code="FAC_OTHER")
    body = officer_api.get("/api/v1/factories/").json()
    assert [f["code"] for f in body["results"]] == ["FAC_STEEL_01"]
    assert body["results"][0]["effective_cap_kg"] == plant.sector.carbon_cap_kg
    assert officer_api.get("/api/v1/factories/", {"search": "ruhr"}).json()["count"] == 1
    assert officer_api.get("/api/v1/factories/", {"search": "nothing"}).json()["count"] == 0
    sector = plant.sector.name
    assert officer_api.get("/api/v1/factories/", {"sector": sector}).json()["count"] == 1


def test_an_officer_patches_name_location_and_cap(officer_api, plant):
    response = officer_api.patch(
        f"/api/v1/factories/{plant.pk}/",
        {"name": "Ruhr Steel", "country": "DE", "latitude": 51.5, "carbon_cap_kg": 5e6},
        format="json",
    )
    assert response.status_code == 200, response.content
    plant.refresh_from_db()
    assert (plant.name, plant.country, plant.latitude, plant.carbon_cap_kg) == (
        "Ruhr Steel",
        "DE",
        51.5,
        5e6,
    )
    response = officer_api.patch(
        f"/api/v1/factories/{plant.pk}/", {"carbon_cap_kg": None}, format="json"
    )
    assert response.json()["effective_cap_kg"] == plant.sector.carbon_cap_kg


def test_factory_patch_validation(officer_api, plant):
    error = assert_error(
        officer_api.patch(
            f"/api/v1/factories/{plant.pk}/", {"latitude": 91, "carbon_cap_kg": 0}, format="json"
        ),
        400,
        "validation_error",
    )
    assert set(error["details"]) == {"latitude", "carbon_cap_kg"}


def test_code_and_sector_are_not_editable(officer_api, plant):
    officer_api.patch(f"/api/v1/factories/{plant.pk}/", {"code": "X", "sector": "Y"}, format="json")
    plant.refresh_from_db()
    assert plant.code == "FAC_STEEL_01"


def test_viewer_reads_but_cannot_patch(viewer_api, plant):
    assert viewer_api.get(f"/api/v1/factories/{plant.pk}/").status_code == 200
    assert_error(
        viewer_api.patch(f"/api/v1/factories/{plant.pk}/", {"name": "x"}, format="json"),
        403,
        "permission_denied",
    )


def test_other_organizations_factory_is_404(outsider_api, plant):
    assert_error(outsider_api.get(f"/api/v1/factories/{plant.pk}/"), 404, "not_found")
    assert_error(
        outsider_api.patch(f"/api/v1/factories/{plant.pk}/", {"name": "x"}, format="json"),
        404,
        "not_found",
    )


# --- sectors and energy sources --------------------------------------------------------


def test_everyone_signed_in_reads_sectors_and_energy_sources(viewer_api, configured_factors):
    names = [s["name"] for s in viewer_api.get("/api/v1/sectors/").json()]
    assert names == ["Electronics", "Steel", "Textile"]
    keys = {s["key"] for s in viewer_api.get("/api/v1/energy-sources/").json()}
    assert {"coal", "grid", "renewable"} <= keys


def test_staff_write_sectors(staff, configured_factors):
    from tests.api.conftest import token_client

    api = token_client(staff)
    created = api.post(
        "/api/v1/sectors/",
        {
            "name": "Cement",
            "production_per_ton": 900,
            "energy_per_mwh": 700,
            "material_processing_per_ton": 40,
            "carbon_cap_kg": 5e7,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert (
        api.patch(f"/api/v1/sectors/{pk}/", {"carbon_cap_kg": 6e7}, format="json").json()[
            "carbon_cap_kg"
        ]
        == 6e7
    )
    assert_error(
        api.post("/api/v1/sectors/", {"name": "cement"}, format="json"), 400, "validation_error"
    )
    assert api.delete(f"/api/v1/sectors/{pk}/").status_code == 204
    used = SectorFactory(name="Glass")
    FactoryFactory(sector=used)
    assert_error(api.delete(f"/api/v1/sectors/{used.pk}/"), 409, "conflict")
    source = api.post(
        "/api/v1/energy-sources/",
        {"key": "biomass", "label": "Biomass", "multiplier": 0.5},
        format="json",
    )
    assert source.status_code == 201
    assert api.patch(
        f"/api/v1/energy-sources/{source.json()['id']}/", {"aliases": ["Wood"]}, format="json"
    ).json()["aliases"] == ["wood"]


def test_members_cannot_write_sectors(officer_api, configured_factors):
    sector = Sector.objects.get(name="Steel")
    assert_error(
        officer_api.patch(f"/api/v1/sectors/{sector.pk}/", {"carbon_cap_kg": 1}, format="json"),
        403,
        "permission_denied",
    )


# --- tokens -------------------------------------------------------------------------------


def test_a_token_is_created_rotated_and_revoked(officer):
    client = APIClient()
    first = client.post(
        "/api/v1/auth/token/",
        {"username": officer.username, "password": TEST_PASSWORD},
        format="json",
    )
    assert first.status_code == 200
    key = first.json()["token"]
    second = client.post(
        "/api/v1/auth/token/",
        {"username": officer.username, "password": TEST_PASSWORD},
        format="json",
    )
    assert second.json()["token"] != key
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert_error(stale.get("/api/v1/audits/"), 401, "authentication_failed")
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {second.json()['token']}")
    assert fresh.get("/api/v1/audits/").status_code == 200
    assert fresh.delete("/api/v1/auth/token/").status_code == 204
    assert not Token.objects.filter(user=officer).exists()


def test_wrong_credentials_are_400_and_token_creation_is_throttled(officer):
    client = APIClient()
    error = assert_error(
        client.post(
            "/api/v1/auth/token/", {"username": officer.username, "password": "nope"}, format="json"
        ),
        400,
        "validation_error",
    )
    assert "username and password" in error["message"]
    with mock.patch.object(ScopedRateThrottle, "THROTTLE_RATES", {"token": "1/min"}):
        client.post("/api/v1/auth/token/", {"username": "a", "password": "b"}, format="json")
        assert_error(
            client.post("/api/v1/auth/token/", {"username": "a", "password": "b"}, format="json"),
            429,
            "throttled",
        )


def test_anonymous_is_401(client):
    assert_error(APIClient().get("/api/v1/audits/"), 401, "not_authenticated")


def test_session_authentication_works_beside_tokens(officer_client):
    assert officer_client.get("/api/v1/audits/").status_code == 200


def test_a_user_without_organization_is_403(user_without_organization):
    from tests.api.conftest import token_client

    assert_error(
        token_client(user_without_organization).get("/api/v1/audits/"), 403, "permission_denied"
    )


# --- token page -------------------------------------------------------------------------


def test_the_token_page_creates_shows_once_and_revokes(officer_client, officer):
    url = reverse("account-token")
    assert b"You have no API token" in officer_client.get(url).content
    created = officer_client.post(url, {"action": "create"})
    key = Token.objects.get(user=officer).key
    assert key.encode() in created.content
    page = officer_client.get(url)
    assert key.encode() not in page.content
    assert b"Revoke my token" in page.content
    revoked = officer_client.post(url, {"action": "revoke"})
    assert revoked.status_code == 302
    assert not Token.objects.filter(user=officer).exists()


def test_the_token_page_needs_login_and_csrf(client, officer):
    assert client.get(reverse("account-token")).status_code == 302
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(officer)
    assert strict.post(reverse("account-token"), {"action": "create"}).status_code == 403
    assert not Token.objects.filter(user=officer).exists()


# --- health -----------------------------------------------------------------------------


def test_health_is_200_when_everything_is_up():
    with mock.patch("carbontrace_site.health._broker_up", return_value=True):
        response = APIClient().get("/api/v1/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "app": "up", "database": "up", "broker": "up"}


def test_health_is_503_naming_the_broker_when_it_is_down(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    error = assert_error(APIClient().get("/api/v1/health/"), 503, "service_unavailable")
    assert "broker" in error["message"]
    assert error["details"]["broker"] == "down"
    assert error["details"]["database"] == "up"


def test_health_is_503_naming_the_database_when_it_is_down():
    with (
        mock.patch("carbontrace_site.health._broker_up", return_value=True),
        mock.patch("carbontrace_site.health._database_up", return_value=False),
    ):
        error = assert_error(APIClient().get("/api/v1/health/"), 503, "service_unavailable")
    assert error["message"] == "Down: database."
