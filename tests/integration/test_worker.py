"""The audit path through a real Celery worker process and a real Redis."""

import re
import time
from pathlib import Path

import pytest
from django.urls import reverse

from audits.models import AuditJob, FactoryResult
from audits.tasks import audit_run_task
from tests import conftest

# The worker fixtures live in tests/conftest.py; these names keep older imports working.
shared_media = conftest.shared_media
worker = conftest.worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 120


@pytest.fixture
def media_root(settings, shared_media) -> Path:
    # The worker process and this test process must see the same files.
    settings.MEDIA_ROOT = str(shared_media)
    return shared_media


def wait_until_finished(job_id, worker_log: Path) -> AuditJob:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job = AuditJob.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.2)
    pytest.fail(f"Job {job_id} did not finish; worker log:\n{worker_log.read_text()}")


def upload_through_the_page(client, path: Path) -> AuditJob:
    with path.open("rb") as handle:
        response = client.post(reverse("audits:upload"), {"file": handle, "reporting_year": 2026})
    assert response.status_code == 302, response.content[:2000]
    job_id = re.search(r"/audits/([0-9a-f-]{36})/", response["Location"]).group(1)
    return AuditJob.objects.get(pk=job_id)


def test_the_sample_is_audited_by_the_worker(
    worker, configured_factors, officer_client, sample_csv, capsys
):
    started = time.monotonic()
    job = upload_through_the_page(officer_client, sample_csv)
    job = wait_until_finished(job.pk, worker)
    elapsed = time.monotonic() - started

    assert job.status == AuditJob.Status.SUCCEEDED, job.error_message
    assert job.progress == 100
    assert FactoryResult.objects.filter(job=job).count() == 50
    assert job.summary["summary"]["total_factories"] == 50
    assert Path(job.chart_png.path).is_file()

    status = officer_client.get(reverse("audits:status", args=[job.pk])).json()
    assert (status["status"], status["finished"]) == ("SUCCEEDED", True)
    page = officer_client.get(reverse("audits:detail", args=[job.pk]))
    assert b"Factories audited" in page.content
    download = officer_client.get(reverse("audits:artifact", args=[job.pk, "summary"]))
    assert download.status_code == 200
    with capsys.disabled():
        print(f"\nsample audit through the worker: upload -> SUCCEEDED in {elapsed:.2f} s")

    # Redelivered twice through the broker: the worker runs the task, nothing doubles.
    finished_at = job.finished_at
    done_before = worker.read_text().count(" succeeded in ")
    audit_run_task.apply_async(args=[str(job.pk)])
    audit_run_task.apply_async(args=[str(job.pk)])
    deadline = time.monotonic() + WAIT_SECONDS
    while worker.read_text().count(" succeeded in ") < done_before + 2:
        assert time.monotonic() < deadline, worker.read_text()
        time.sleep(0.2)
    job.refresh_from_db()
    assert FactoryResult.objects.filter(job=job).count() == 50
    assert job.finished_at == finished_at


def test_a_file_with_missing_columns_fails_with_the_message(
    worker, configured_factors, officer_client, missing_columns_csv
):
    job = upload_through_the_page(officer_client, missing_columns_csv)
    job = wait_until_finished(job.pk, worker)
    assert job.status == AuditJob.Status.FAILED
    assert "energy_used_mwh" in job.error_message
    assert not FactoryResult.objects.filter(job=job).exists()
    status = officer_client.get(reverse("audits:status", args=[job.pk])).json()
    assert status["status"] == "FAILED"
    assert "energy_used_mwh" in status["error_message"]
    page = officer_client.get(reverse("audits:detail", args=[job.pk]))
    assert b"The audit failed" in page.content
