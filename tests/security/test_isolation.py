"""Organization isolation: every URL pattern (admin excepted), walked as a member of another
organization and as anonymous, never shows this organization's data.

The walk reads the URL patterns themselves, so a new view is walked without editing this
file; a pattern whose arguments it cannot fill fails the test instead of being skipped.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from audits.models import AuditJob
from factories.models import EnergySource, Factory, Sector
from tests.api.conftest import token_client
from tests.builders import FactoryFactory, MembershipFactory

pytestmark = pytest.mark.django_db

# Reachable by anyone: sign-in and password pages, the health check, the API schema and docs.
PUBLIC = re.compile(
    r"^/(accounts/(login|password_reset|reset)|api/v1/health/|api/schema/|api/docs/"
    r"|api/v1/auth/token/$)"
)
# Not organization data: every signed-in member reads the configured factors.
SHARED = re.compile(r"^/api/v1/(sectors|energy-sources)/")

ARTIFACT_KINDS = ("summary", "chart", "rejected", "cleaned", "source")
API_FILES = ("summary.csv", "emissions_chart.png", "rejected_rows.csv", "cleaned.csv")


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if (entry.namespace or "") == "admin" or route.startswith("admin/"):
                continue
            yield from walk(entry.url_patterns, route, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield route, entry


def fill(route: str, values: dict[str, list[str]]) -> list[str]:
    """Every URL of a pattern, with each argument taken from `values`."""
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
    route = re.sub(r"\(\?P<format>[^)]*\)\??", "", route)  # DRF's optional format suffix
    names = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)", route)
    urls = [route]
    for plain, regex in names:
        name = plain or regex
        if name not in values:
            raise AssertionError(f"No value to fill <{name}> in {route!r}: add one to VALUES")
        urls = [
            re.sub(rf"<(?:\w+:)?{name}>|\(\?P<{name}>[^)]*\)", value, url, count=1)
            for url in urls
            for value in values[name]
        ]
    return ["/" + url for url in urls]


@pytest.fixture
def victim(finished_job, organization):
    """This organization's data, which no one else may see."""
    factory = Factory.objects.filter(organization=organization).first()
    factory.name = "Secret Works of Northwind"
    factory.save()
    return {
        "job": finished_job,
        "factory": factory,
        "markers": [
            str(finished_job.pk),
            factory.code,
            factory.name,
            organization.name,
            "FAC_A",
        ],
    }


def urls_to_walk(victim) -> list[str]:
    values = {
        "job_id": [str(victim["job"].pk)],
        "factory_id": [str(victim["factory"].pk)],
        "kind": list(ARTIFACT_KINDS),
        "filename": list(API_FILES),
        "pk": [str(Sector.objects.first().pk), str(EnergySource.objects.first().pk)],
        "uidb64": ["MQ"],  # Django's password-reset link
        "token": ["set-password"],
    }
    urls = []
    for route, _ in walk(get_resolver().url_patterns):
        urls += fill(route, values)
    return sorted(set(urls))


def assert_no_data(response, markers, url, who):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    for marker in markers:
        assert marker.encode() not in body, f"{who} saw {marker!r} at {url}"


def test_every_url_hides_another_organizations_data(victim, outsider, capsys):
    urls = urls_to_walk(victim)
    assert len(urls) >= 25, urls
    FactoryFactory(organization=outsider.memberships.get().organization, code="FAC_OUT")
    anonymous = APIClient()
    outsider_page = APIClient()
    outsider_page.force_login(outsider)
    outsider_api = token_client(outsider)
    job_or_factory = (str(victim["job"].pk), f"/factories/{victim['factory'].pk}/")

    for url in urls:
        is_object = any(part in url for part in job_or_factory)
        is_api = url.startswith("/api/")

        response = anonymous.get(url)
        assert response.status_code < 500, url
        if not (PUBLIC.match(url) or (url == "/accounts/logout/")):
            expected = (401,) if is_api else (302,)
            assert response.status_code in expected, (url, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), url
        assert_no_data(response, victim["markers"], url, "anonymous")

        for client in (outsider_page, outsider_api) if is_api else (outsider_page,):
            response = client.get(url)
            assert response.status_code < 500, url
            if is_object:
                assert response.status_code == 404, (url, response.status_code)
            assert_no_data(response, victim["markers"], url, "another organization")
        if is_object and is_api:
            for method in ("delete", "patch", "put", "post"):
                response = getattr(outsider_api, method)(url, {}, format="json")
                assert response.status_code in (404, 405), (method, url, response.status_code)

    assert AuditJob.objects.filter(pk=victim["job"].pk).exists()
    with capsys.disabled():
        print(f"\nisolation: {len(urls)} URLs walked as anonymous and as another organization")


def test_a_member_of_no_organization_sees_nothing(victim, user_without_organization):
    client = APIClient()
    client.force_login(user_without_organization)
    for url in urls_to_walk(victim):
        response = client.get(url)
        assert response.status_code < 500, url
        assert_no_data(response, victim["markers"], url, "a user without organization")


def test_job_ids_are_uuids_not_guessable_counters():
    from django.db.models import UUIDField

    assert isinstance(AuditJob._meta.pk, UUIDField)


def test_files_are_outside_the_static_root_and_never_served_as_static(
    settings, finished_job, client, officer
):
    from pathlib import Path

    media = Path(settings.MEDIA_ROOT).resolve()
    for static in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        static = static.resolve()
        assert static not in media.parents and media != static
        assert media not in static.parents
    client.force_login(officer)
    name = finished_job.summary_csv.name
    for url in (f"/static/{name}", f"/media/{name}", f"/{name}"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/audits/{finished_job.pk}/files/summary/").status_code == 200


def test_a_staff_member_of_another_organization_sees_no_audits_either(victim, other_organization):
    staff = MembershipFactory(organization=other_organization, role="viewer").user
    staff.is_staff = True
    staff.save()
    client = token_client(staff)
    assert client.get(f"/api/v1/audits/{victim['job'].pk}/").status_code == 404
    assert client.get(f"/api/v1/factories/{victim['factory'].pk}/").status_code == 404
