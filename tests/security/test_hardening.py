"""Production settings, headers, cookies, CSRF, sign-in throttling and who may do what."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from factories.models import Factory, Sector
from tests.api.conftest import token_client
from tests.builders import TEST_PASSWORD, MembershipFactory
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.django_db


# --- production settings -----------------------------------------------------------


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CARBONTRACE_"))
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "carbontrace_site.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "carbon.example.com",
            "DATABASE_URL": "sqlite:///:memory:",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_the_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_refuse_a_weak_secret_key_and_debug():
    weak = run_manage("check", DJANGO_SECRET_KEY="short")
    assert weak.returncode != 0 and "DJANGO_SECRET_KEY" in weak.stderr
    debug = run_manage("check", DJANGO_DEBUG="1")
    assert debug.returncode != 0 and "DJANGO_DEBUG" in debug.stderr


def test_production_settings_values():
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.X_FRAME_OPTIONS)"
    )
    result = run_manage("shell", "-c", code)
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.split() == ["True"] * 6 + ["DENY"], result.stdout + result.stderr


# --- headers and cookies -----------------------------------------------------------


def test_every_page_carries_a_content_security_policy_without_eval_or_inline_script(
    officer_client, finished_job
):
    for url in (
        "/",
        "/audits/",
        "/audits/upload/",
        f"/audits/{finished_job.pk}/",
        "/factories/",
        "/api/docs/",
        "/accounts/login/",
    ):
        response = officer_client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        directives = dict(
            (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
        )
        assert directives["script-src"] == ["'self'"], (url, policy)
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert "unsafe-eval" not in policy
        body = response.content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", body)
        assert inline == [], (url, inline)
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_session_and_csrf_cookies_are_httponly_and_samesite(officer):
    client = Client()
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/", {"username": officer.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert client.cookies["csrftoken"]["samesite"] == "Lax"


# --- CSRF ----------------------------------------------------------------------------


def test_every_post_form_in_the_templates_carries_a_csrf_token():
    forms = 0
    for template in (REPO_ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", text, re.S | re.I):
            forms += 1
            assert "{% csrf_token %}" in form, template
    assert forms >= 3


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/audits/upload/", {"reporting_year": 2026}),
        ("/account/token/", {"action": "create"}),
        ("/accounts/logout/", {}),
    ],
)
def test_forms_refuse_a_post_without_the_csrf_token(officer, url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.post(url, data).status_code == 403


def test_the_login_form_refuses_a_post_without_the_csrf_token(officer):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {"username": officer.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 403


def test_a_session_signed_api_write_needs_the_csrf_token(officer, finished_job):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.delete(f"/api/v1/audits/{finished_job.pk}/").status_code == 403


# --- sign-in throttling --------------------------------------------------------------


def test_the_login_page_locks_out_after_five_wrong_passwords(officer):
    client = Client()
    for attempt in range(1, 6):
        response = client.post(
            "/accounts/login/", {"username": officer.username, "password": "wrong"}
        )
        assert response.status_code == (200 if attempt < 5 else 429)
    response = client.post(
        "/accounts/login/", {"username": officer.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session
    # The lock is per username and address: another account from this address still signs in.
    other = MembershipFactory(organization=officer.memberships.get().organization).user
    response = Client().post(
        "/accounts/login/", {"username": other.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


def test_the_token_endpoint_locks_out_after_five_wrong_passwords(officer, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"uploads": "1000/min", "token": "1000/min"},
    }
    client = APIClient()
    for attempt in range(1, 6):
        response = client.post(
            "/api/v1/auth/token/",
            {"username": officer.username, "password": "wrong"},
            format="json",
        )
        assert response.status_code == (400 if attempt < 5 else 429)
    response = client.post(
        "/api/v1/auth/token/",
        {"username": officer.username, "password": TEST_PASSWORD},
        format="json",
    )
    assert response.status_code in (403, 429)
    assert "token" not in response.content.decode()


# --- roles --------------------------------------------------------------------------


def test_viewers_cannot_upload_delete_or_edit(viewer, finished_job, sample_csv, organization):
    page = Client()
    page.force_login(viewer)
    with sample_csv.open("rb") as handle:
        assert (
            page.post("/audits/upload/", {"file": handle, "reporting_year": 2026}).status_code
            == 403
        )
    assert page.get("/audits/upload/").status_code == 403
    api = token_client(viewer)
    with sample_csv.open("rb") as handle:
        assert (
            api.post(
                "/api/v1/audits/", {"file": handle, "reporting_year": 2026}, format="multipart"
            ).status_code
            == 403
        )
    assert api.delete(f"/api/v1/audits/{finished_job.pk}/").status_code == 403
    factory = Factory.objects.filter(organization=organization).first()
    assert (
        api.patch(
            f"/api/v1/factories/{factory.pk}/", {"name": "Renamed"}, format="json"
        ).status_code
        == 403
    )
    factory.refresh_from_db()
    assert factory.name != "Renamed"


def test_officers_cannot_edit_sector_factors_and_only_staff_reach_the_admin(
    officer, staff, configured_factors
):
    steel = Sector.objects.get(name="Steel")
    api = token_client(officer)
    assert (
        api.patch(f"/api/v1/sectors/{steel.pk}/", {"carbon_cap_kg": 1}, format="json").status_code
        == 403
    )
    client = Client()
    client.force_login(officer)
    for url in ("/admin/", f"/admin/factories/sector/{steel.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    assert (
        client.post(f"/admin/factories/sector/{steel.pk}/change/", {"carbon_cap_kg": 1}).status_code
        == 302
    )
    steel.refresh_from_db()
    assert steel.carbon_cap_kg != 1
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    assert reverse("admin:index") == "/admin/"


def test_the_source_path_is_not_under_the_repository_static_folders(settings):
    media = Path(settings.MEDIA_ROOT).resolve()
    assert not str(media).startswith(str((REPO_ROOT / "static").resolve()))
