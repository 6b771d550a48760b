import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits.models import AuditJob
from audits.services import audit_create, audit_run
from audits.tasks import audit_run_task
from tests.builders import AuditJobFactory

pytestmark = pytest.mark.django_db
ARTIFACT_KINDS = ["summary", "chart", "rejected", "cleaned", "source"]


@pytest.fixture
def finished_job(configured_factors, organization, officer, sample_csv):
    job = audit_create(
        organization=organization,
        uploaded_file=SimpleUploadedFile("monthly_production.csv", sample_csv.read_bytes()),
        reporting_year=2026,
        created_by=officer,
        enqueue=False,
    )
    return audit_run(job_id=job.pk)


@pytest.fixture
def sent_tasks(monkeypatch):
    sent = []
    monkeypatch.setattr(audit_run_task, "apply_async", lambda args, **kwargs: sent.append(args))
    return sent


def job_urls(job) -> list[str]:
    return [
        reverse("audits:detail", args=[job.pk]),
        reverse("audits:status", args=[job.pk]),
        *[reverse("audits:artifact", args=[job.pk, kind]) for kind in ARTIFACT_KINDS],
    ]


# --- authentication ------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(client, finished_job):
    for url in [reverse("audits:list"), reverse("audits:upload"), *job_urls(finished_job)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_login_and_logout(client, officer):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    response = client.post(
        reverse("login"), {"username": officer.username, "password": "a-long-test-password"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("audits:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("audits:list")).status_code == 302


def test_home_is_the_organization_overview(officer_client):
    response = officer_client.get("/")
    assert response.status_code == 200
    assert b"Overview" in response.content


def test_a_user_outside_any_organization_is_told_so(client, user_without_organization):
    client.force_login(user_without_organization)
    response = client.get(reverse("audits:list"))
    assert response.status_code == 403
    assert b"not a member of any organization" in response.content


# --- upload --------------------------------------------------------------------


def test_the_upload_form_renders(officer_client):
    response = officer_client.get(reverse("audits:upload"))
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert b"reporting_year" in response.content


def test_an_officer_uploads_and_the_job_is_queued(
    officer_client,
    officer,
    configured_factors,
    sample_csv,
    sent_tasks,
    django_capture_on_commit_callbacks,
):
    with sample_csv.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            reverse("audits:upload"), {"file": handle, "reporting_year": 2025}
        )
    job = AuditJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audits:detail", args=[job.pk])
    assert (job.status, job.reporting_year, job.created_by) == ("QUEUED", 2025, officer)
    assert job.source_name == sample_csv.name
    assert sent_tasks == [[str(job.pk)]]


def test_viewers_cannot_upload(client, viewer, configured_factors, sample_csv, sent_tasks):
    client.force_login(viewer)
    assert client.get(reverse("audits:upload")).status_code == 403
    with sample_csv.open("rb") as handle:
        response = client.post(reverse("audits:upload"), {"file": handle, "reporting_year": 2026})
    assert response.status_code == 403
    assert b"Only compliance officers" in response.content
    assert not AuditJob.objects.exists()
    assert sent_tasks == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"hello", b".csv or .xlsx"),
        ("data.csv", b"\x00\x01\x02binary", b"binary data"),
        ("book.xlsx", b"factory_id,sector\n", b"not a valid Excel workbook"),
        ("data.csv", b"", b"The submitted file is empty"),
    ],
)
def test_bad_files_are_refused_on_the_form(
    officer_client, configured_factors, sent_tasks, name, content, message
):
    response = officer_client.post(
        reverse("audits:upload"),
        {"file": SimpleUploadedFile(name, content), "reporting_year": 2026},
    )
    assert response.status_code == 200
    assert message in response.content
    assert not AuditJob.objects.exists()


def test_a_too_large_file_is_refused_on_the_form(
    officer_client, configured_factors, sample_csv, settings, sent_tasks
):
    settings.CARBONTRACE_MAX_UPLOAD_BYTES = 1024
    with sample_csv.open("rb") as handle:
        response = officer_client.post(
            reverse("audits:upload"), {"file": handle, "reporting_year": 2026}
        )
    assert response.status_code == 200
    assert b"the limit is" in response.content
    assert not AuditJob.objects.exists()


@pytest.mark.parametrize("year", ["", "1800", "twenty"])
def test_a_bad_reporting_year_is_refused_on_the_form(
    officer_client, configured_factors, sample_csv, sent_tasks, year
):
    with sample_csv.open("rb") as handle:
        response = officer_client.post(
            reverse("audits:upload"), {"file": handle, "reporting_year": year}
        )
    assert response.status_code == 200
    assert b'class="error"' in response.content
    assert not AuditJob.objects.exists()


def test_an_empty_post_shows_the_errors(officer_client, configured_factors):
    response = officer_client.post(reverse("audits:upload"), {})
    assert response.status_code == 200
    assert response.content.count(b"This field is required") == 2


def test_a_missing_file_is_refused_on_the_form(officer_client, configured_factors):
    response = officer_client.post(reverse("audits:upload"), {"reporting_year": 2026})
    assert response.status_code == 200
    assert b"This field is required" in response.content


def test_upload_without_configured_factors_is_explained(officer_client, sample_csv):
    with sample_csv.open("rb") as handle:
        response = officer_client.post(
            reverse("audits:upload"), {"file": handle, "reporting_year": 2026}
        )
    assert response.status_code == 200
    assert b"load_factors" in response.content


# --- job page and status ---------------------------------------------------------


def test_a_queued_job_page_polls_for_its_status(officer_client, organization):
    job = AuditJobFactory(organization=organization)
    response = officer_client.get(reverse("audits:detail", args=[job.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-status-url="{}"'.format(reverse("audits:status", args=[job.pk])) in content
    assert "js/job_status.js" in content
    assert '<noscript><meta http-equiv="refresh"' in content
    assert "<script>" not in content


def test_status_json(officer_client, organization):
    job = AuditJobFactory(organization=organization, progress=35, stage="Auditing factories")
    AuditJob.objects.filter(pk=job.pk).update(status="RUNNING")
    response = officer_client.get(reverse("audits:status", args=[job.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content) == {
        "id": str(job.pk),
        "status": "RUNNING",
        "progress": 35,
        "stage": "Auditing factories",
        "finished": False,
        "error_message": "",
    }


def test_a_finished_job_page_shows_the_audit(officer_client, finished_job):
    response = officer_client.get(reverse("audits:detail", args=[finished_job.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    totals = finished_job.summary["summary"]
    assert "Factories audited" in content
    assert f"{totals['total_factories']}" in content
    assert "Factories over their cap" in content
    violator = finished_job.summary["violators"][0]["factory_id"]
    assert violator in content
    assert "Cleaning report" in content
    assert "Rows rejected" in content
    assert "js/job_status.js" not in content
    assert 'http-equiv="refresh"' not in content
    for kind in ARTIFACT_KINDS:
        assert reverse("audits:artifact", args=[finished_job.pk, kind]) in content


def test_a_failed_job_page_shows_the_message(officer_client, organization):
    job = AuditJobFactory(organization=organization)
    AuditJob.objects.filter(pk=job.pk).update(
        status="FAILED", error_message="The file is missing the column energy_used_mwh."
    )
    response = officer_client.get(reverse("audits:detail", args=[job.pk]))
    assert b"The audit failed" in response.content
    assert b"The file is missing the column energy_used_mwh." in response.content


@pytest.mark.parametrize(
    ("kind", "filename"),
    [
        ("summary", "audit_summary_2026.csv"),
        ("chart", "emissions_chart.png"),
        ("rejected", "rejected_rows.csv"),
        ("cleaned", "cleaned.csv"),
        ("source", "monthly_production.csv"),
    ],
)
def test_artifacts_download_as_attachments(officer_client, finished_job, kind, filename):
    response = officer_client.get(reverse("audits:artifact", args=[finished_job.pk, kind]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert b"".join(response.streaming_content)


def test_unknown_or_missing_artifacts_answer_404(officer_client, organization, finished_job):
    assert (
        officer_client.get(
            reverse("audits:artifact", args=[finished_job.pk, "secrets"])
        ).status_code
        == 404
    )
    queued = AuditJobFactory(organization=organization)
    assert (
        officer_client.get(reverse("audits:artifact", args=[queued.pk, "summary"])).status_code
        == 404
    )


def test_the_history_lists_the_organizations_audits(client, viewer, finished_job):
    client.force_login(viewer)
    response = client.get(reverse("audits:list"))
    assert response.status_code == 200
    assert reverse("audits:detail", args=[finished_job.pk]) in response.content.decode()
    assert b"New audit</a>" not in response.content.split(b"</header>")[1]


# --- organization isolation ----------------------------------------------------


def test_another_organizations_jobs_answer_404_everywhere(client, outsider, finished_job):
    client.force_login(outsider)
    for url in job_urls(finished_job):
        assert client.get(url).status_code == 404, url
    history = client.get(reverse("audits:list"))
    assert history.status_code == 200
    assert str(finished_job.pk) not in history.content.decode()


def test_a_user_without_organization_sees_no_job(client, user_without_organization, finished_job):
    client.force_login(user_without_organization)
    for url in job_urls(finished_job):
        assert client.get(url).status_code == 404, url


def test_a_malformed_job_id_answers_404(officer_client):
    assert officer_client.get("/audits/not-a-uuid/").status_code == 404
    assert officer_client.get("/audits/00000000-0000-0000-0000-000000000000/").status_code == 404
