"""The audit path through a real Celery worker process and a real Redis."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from audits.models import AuditJob, FactoryResult
from audits.tasks import audit_run_task
from tests.conftest import REPO_ROOT, database_url_for_subprocess

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 120


@pytest.fixture(scope="module")
def shared_media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("worker-media")


@pytest.fixture
def media_root(settings, shared_media) -> Path:
    # The worker process and this test process must see the same files.
    settings.MEDIA_ROOT = str(shared_media)
    return shared_media


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, shared_media, tmp_path_factory):
    """One Celery worker process on the test database, for the whole module."""
    import redis

    from tests.conftest import service_missing

    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1).ping()
    except (redis.RedisError, OSError) as exc:
        service_missing(f"Redis is not reachable at {settings.CELERY_BROKER_URL}: {exc}")

    with django_db_blocker.unblock():
        database_url = database_url_for_subprocess()
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carbontrace_site.settings.test",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(shared_media),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "CARBONTRACE_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "carbontrace_site",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "--hostname",
                f"test-{os.getpid()}@%h",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while " ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"The Celery worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)

    yield log_path

    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
