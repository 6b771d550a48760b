"""Hostile and broken files through the page, the API and `audit_csv`, worker-free.

Each file of tests/fixtures/bad_inputs (see make_corpus.py for the expected outcomes) gets
a clear message or row-level rejections on every path: no 500, no job left QUEUED or
RUNNING, and names shown on the pages are escaped.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from audits import services
from audits.models import AuditJob
from tests.api.conftest import token_client
from tests.fixtures.bad_inputs import make_corpus as corpus

HERE = corpus.HERE

pytestmark = pytest.mark.django_db
PATHS = ("page", "api", "command")


@pytest.fixture(scope="session")
def large_files(tmp_path_factory) -> dict[str, Path]:
    return corpus.build_large(tmp_path_factory.mktemp("bad-inputs-large"))


@pytest.fixture
def run_at_once(monkeypatch):
    """The worker, in this process: the job runs as soon as the upload commits."""

    def enqueue(*, job_id):
        services.audit_run(job_id=job_id)
        return True

    monkeypatch.setattr(services, "audit_enqueue", enqueue)


def path_of(case, large_files) -> Path:
    return large_files.get(case.name) or HERE / case.name


def test_the_corpus_is_complete_and_committed():
    assert len(corpus.CASES) >= 30
    assert len({case.name for case in corpus.CASES}) == len(corpus.CASES)
    for name, data in corpus.SMALL.items():
        assert (HERE / name).read_bytes() == data, f"run make_corpus.py to refresh {name}"


def _text(response) -> str:
    return response.content.decode("utf-8", "replace")


def _no_job_stuck():
    stuck = AuditJob.objects.filter(status__in=[AuditJob.Status.QUEUED, AuditJob.Status.RUNNING])
    assert not stuck.exists(), list(stuck.values_list("source_name", "status", "stage"))


@pytest.mark.parametrize("via", PATHS)
@pytest.mark.parametrize("case", corpus.CASES, ids=lambda case: case.name)
def test_bad_input(
    case,
    via,
    large_files,
    run_at_once,
    configured_factors,
    organization,
    officer,
    settings,
    client,
    django_capture_on_commit_callbacks,
):
    if case.name == "over_the_limit.csv":
        settings.CARBONTRACE_MAX_UPLOAD_BYTES = corpus.OVER_LIMIT_BYTES
    path = path_of(case, large_files)
    message = case.message

    if via == "command":
        if case.kind == "rejected":
            call_command(
                "audit_csv", str(path), "--org", organization.name, "--year", "2026", stdout=_Sink()
            )
            job = AuditJob.objects.get()
            assert job.status == AuditJob.Status.SUCCEEDED, job.error_message
            assert job.summary["rows"]["rejected"] == case.rejected
        else:
            with (
                pytest.raises(CommandError, match=re.escape(message)),
                django_capture_on_commit_callbacks(execute=True),
            ):
                call_command(
                    "audit_csv",
                    str(path),
                    "--org",
                    organization.name,
                    "--year",
                    "2026",
                    stdout=_Sink(),
                )
        _no_job_stuck()
        return

    if via == "page":
        client.force_login(officer)
        with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
            response = client.post(
                reverse("audits:upload"), {"file": handle, "reporting_year": 2026}
            )
        assert response.status_code in (200, 302), response.status_code
        if case.kind == "refused":
            assert response.status_code == 200
            assert html.escape(message) in _text(response) or message in _text(response)
            assert not AuditJob.objects.exists()
            return
        assert response.status_code == 302, _text(response)[:2000]
        job = AuditJob.objects.get()
        page = client.get(response["Location"])
        assert page.status_code == 200
    else:
        api = token_client(officer)
        kind = case.api_kind or case.kind
        message = case.api_message or message
        with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
            response = api.post(
                "/api/v1/audits/", {"file": handle, "reporting_year": 2026}, format="multipart"
            )
        assert response.status_code < 500
        if kind in ("refused", "header"):
            assert response.status_code == case.api_status, response.content[:500]
            error = response.json()["error"]
            assert message in f"{error['message']} {error['details']}", error
            assert not AuditJob.objects.exists()
            return
        assert response.status_code == 202, response.content[:500]
        job = AuditJob.objects.get()
        detail = api.get(f"/api/v1/audits/{job.pk}/")
        assert detail.status_code == 200
        page = detail

    job.refresh_from_db()
    _no_job_stuck()
    if case.kind == "rejected":
        assert job.status == AuditJob.Status.SUCCEEDED, job.error_message
        assert job.summary["rows"]["rejected"] == case.rejected
    else:
        assert job.status == AuditJob.Status.FAILED
        assert message in job.error_message, job.error_message
        if via == "page":
            assert html.escape(job.error_message) in _text(page)


class _Sink:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


def test_html_in_factory_names_is_escaped_on_every_page_that_shows_it(
    run_at_once, configured_factors, officer_client, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        (HERE / "html_names.csv").open("rb") as handle,
    ):
        response = officer_client.post(
            reverse("audits:upload"), {"file": handle, "reporting_year": 2026}
        )
    job = AuditJob.objects.get()
    assert job.status == AuditJob.Status.SUCCEEDED, job.error_message
    from factories.models import Factory

    urls = [
        "/",
        response["Location"],
        f"{response['Location']}?tab=violators",
        f"{response['Location']}?tab=cleaning",
        "/audits/",
        "/factories/",
        *[f"/factories/{pk}/" for pk in Factory.objects.values_list("pk", flat=True)],
    ]
    for url in urls:
        body = _text(officer_client.get(url))
        for raw in ("<script>alert('xss')</script>", "<img src=x onerror=alert(1)>", "<b>bold"):
            assert raw not in body, (url, raw)
    detail = _text(officer_client.get(response["Location"]))
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail
