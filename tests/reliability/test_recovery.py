"""Recovery without worker processes: broker outage at upload, the sweep, stalled jobs,
the database dropping the connection while results are saved, deletion halfway.

Real Redis where the test is about the broker; a dead port stands for a broker outage.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.models import AuditJob, FactoryResult
from audits.recovery import audit_requeue_stale
from audits.services import (
    DATABASE_UNAVAILABLE,
    QUEUE_UNAVAILABLE,
    STALLED,
    audit_create,
    audit_delete,
    audit_run,
)
from audits.tasks import audit_requeue_stale_task, audit_run_task
from carbontrace_site.celery import app as celery_app
from tests.api.conftest import token_client
from tests.conftest import service_missing

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")


@pytest.fixture
def broker_down(monkeypatch, settings):
    """Point Celery (and the health check) at a port where nothing listens."""
    monkeypatch.setattr(celery_app.conf, "broker_url", DEAD_BROKER)
    settings.CELERY_BROKER_URL = DEAD_BROKER
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def real_broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        service_missing(f"Redis is not reachable at {settings.CELERY_BROKER_URL}: {exc}")
    client.delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield client
    client.delete(settings.CELERY_TASK_DEFAULT_QUEUE)


def queued_ids(client) -> list[str]:
    """The job id of each message waiting in the test queue (its argsrepr header)."""
    found = []
    for message in client.lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1):
        argsrepr = json.loads(message)["headers"]["argsrepr"]
        found.append(argsrepr.strip("[]()' ,"))
    return found


def age(job: AuditJob, seconds: int) -> None:
    AuditJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - timedelta(seconds=seconds)
    )


# --- broker outage at upload ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_upload_page_with_the_broker_down_keeps_the_file_and_says_so(
    broker_down, configured_factors, officer_client, sample_csv
):
    with sample_csv.open("rb") as handle:
        response = officer_client.post(
            reverse("audits:upload"), {"file": handle, "reporting_year": 2026}
        )
    assert response.status_code == 302
    job = AuditJob.objects.get()
    assert job.status == AuditJob.Status.QUEUED
    assert job.error_message == QUEUE_UNAVAILABLE
    assert default_storage.exists(job.source_file.name)
    page = officer_client.get(response["Location"])
    assert page.status_code == 200
    assert b"Your file is saved and will be processed when the queue is back" in page.content


@pytest.mark.django_db(transaction=True)
def test_upload_api_with_the_broker_down_answers_202_with_the_notice(
    broker_down, configured_factors, officer, sample_csv
):
    with sample_csv.open("rb") as handle:
        response = token_client(officer).post(
            "/api/v1/audits/", {"file": handle, "reporting_year": 2026}, format="multipart"
        )
    assert response.status_code == 202, response.content[:500]
    body = response.json()
    assert (body["status"], body["stage"]) == ("QUEUED", "Waiting for the audit queue")
    assert "audit queue is unavailable" in body["error_message"]
    assert "file is saved" in body["error_message"]
    assert AuditJob.objects.count() == 1
    health = token_client(None).get("/api/v1/health/")
    assert health.status_code == 503


@pytest.mark.django_db(transaction=True)
def test_the_sweep_waits_while_the_broker_is_down_then_queues_once_when_it_is_back(
    configured_factors, organization, sample_csv, monkeypatch, settings, real_broker
):
    live_broker = settings.CELERY_BROKER_URL
    with monkeypatch.context() as down:
        down.setattr(celery_app.conf, "broker_url", DEAD_BROKER)
        settings.CELERY_BROKER_URL = DEAD_BROKER
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        job = audit_create(
            organization=organization, uploaded_file=upload(sample_csv), reporting_year=2026
        )
        age(job, 600)
        assert audit_requeue_stale(queued_older_than_s=60)["waiting"] == 1
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        settings.CELERY_BROKER_URL = live_broker
    job.refresh_from_db()
    assert job.status == AuditJob.Status.QUEUED

    # The broker is back: one message, however often the sweep runs (beat and cron).
    age(job, 600)
    assert audit_requeue_stale_task.apply().get()["requeued"] == 1
    age(job, 600)
    out = io.StringIO()
    call_command("requeue_jobs", "--older-than", "60", stdout=out)
    assert "requeued 0" in out.getvalue()
    assert queued_ids(real_broker) == [str(job.pk)]
    job.refresh_from_db()
    assert (job.status, job.error_message) == (AuditJob.Status.QUEUED, "")

    # A young QUEUED job is left alone: its message may simply be on its way.
    real_broker.delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    age(job, 5)
    assert audit_requeue_stale(queued_older_than_s=60)["requeued"] == 0


# --- a job stuck in RUNNING ------------------------------------------------------------


@pytest.mark.django_db
def test_the_periodic_task_requeues_a_stalled_job_once_then_fails_it(
    configured_factors, organization, sample_csv, monkeypatch, settings
):
    sent = []
    monkeypatch.setattr(audit_run_task, "apply_async", lambda args, **kw: sent.append(args))
    settings.CELERY_TASK_TIME_LIMIT = 60
    job = audit_create(
        organization=organization,
        uploaded_file=upload(sample_csv),
        reporting_year=2026,
        enqueue=False,
    )
    services._job_start(job_id=job.pk)  # a worker started it ...
    long_ago = timezone.now() - timedelta(seconds=600)
    AuditJob.objects.filter(pk=job.pk).update(started_at=long_ago)  # ... and vanished

    assert audit_requeue_stale_task.apply().get()["recovered"] == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, sent) == (AuditJob.Status.QUEUED, 1, [[str(job.pk)]])

    services._job_start(job_id=job.pk)  # the second attempt starts and vanishes too
    AuditJob.objects.filter(pk=job.pk).update(started_at=long_ago)
    assert audit_requeue_stale_task.apply().get()["recovered"] == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error_message) == (AuditJob.Status.FAILED, 2, STALLED)
    assert len(sent) == 1
    assert audit_requeue_stale_task.apply().get()["recovered"] == 0


# --- the database drops the connection while results are saved ------------------------


def _drop_connection(database=None) -> None:
    """Kill the job's connection (the one its results are written on) and say so."""
    if connection.vendor == "postgresql":
        if database is not None:  # the results writer works on the job's connection
            with database.wrap_database_errors, database.connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    raise OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def job_to_run(configured_factors, organization, sample_csv):
    return audit_create(
        organization=organization,
        uploaded_file=upload(sample_csv),
        reporting_year=2026,
        enqueue=False,
    )


@pytest.mark.django_db(transaction=True)
def test_a_dropped_database_connection_during_persistence_is_retried_to_complete_results(
    job_to_run, monkeypatch, sample_csv, organization
):
    reference = audit_run(
        job_id=audit_create(
            organization=organization,
            uploaded_file=upload(sample_csv),
            reporting_year=2026,
            enqueue=False,
        ).pk
    )
    insert = services.factory_results_insert
    calls = []

    def insert_then_drop(**kwargs):
        calls.append(1)
        insert(**kwargs)  # rows written inside the job's transaction ...
        if len(calls) == 1:
            _drop_connection(kwargs.get("database"))  # ... and it dies before the commit

    monkeypatch.setattr(services, "factory_results_insert", insert_then_drop)
    countdowns = _record_backoff(monkeypatch)
    audit_run_task.apply(args=[str(job_to_run.pk)])

    job = AuditJob.objects.get(pk=job_to_run.pk)
    assert job.status == AuditJob.Status.SUCCEEDED, job.error_message
    assert (len(calls), countdowns) == (2, [2])
    assert _results(job) == _results(reference)
    assert FactoryResult.objects.filter(job=job).count() == 50


@pytest.mark.django_db(transaction=True)
def test_a_database_that_stays_down_fails_the_job_with_no_rows(job_to_run, monkeypatch):
    insert = services.factory_results_insert

    def insert_then_drop(**kwargs):
        insert(**kwargs)
        _drop_connection(kwargs.get("database"))

    monkeypatch.setattr(services, "factory_results_insert", insert_then_drop)
    countdowns = _record_backoff(monkeypatch)
    audit_run_task.apply(args=[str(job_to_run.pk)])

    assert countdowns == [2, 4, 8]
    job = AuditJob.objects.get(pk=job_to_run.pk)
    assert (job.status, job.error_message) == (AuditJob.Status.FAILED, DATABASE_UNAVAILABLE)
    assert not FactoryResult.objects.filter(job=job).exists()


def _record_backoff(monkeypatch) -> list:
    """Celery runs an eager task's retries at once; record the countdowns they asked for."""
    countdowns: list = []
    retry = audit_run_task.retry

    def recording_retry(*args, countdown=None, **kwargs):
        countdowns.append(countdown)
        return retry(*args, countdown=countdown, **kwargs)

    monkeypatch.setattr(audit_run_task, "retry", recording_retry)
    return countdowns


def _results(job: AuditJob) -> list[tuple]:
    return sorted(
        FactoryResult.objects.filter(job=job).values_list(
            "factory_code", "total_emissions_kg", "status", "monthly_emissions_kg"
        )
    )


# --- deleting an audit ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_delete_that_fails_halfway_keeps_every_row_and_file(job_to_run, monkeypatch):
    job = audit_run(job_id=job_to_run.pk)
    names = [field.name for field in job.artifacts.values()]
    assert len(names) == 5 and all(default_storage.exists(name) for name in names)

    original = AuditJob.delete

    def delete_halfway(self, *args, **kwargs):
        FactoryResult.objects.filter(job=self).delete()
        raise OperationalError("the connection dropped halfway through the deletion")

    monkeypatch.setattr(AuditJob, "delete", delete_halfway)
    with pytest.raises(OperationalError):
        audit_delete(job=job)
    assert AuditJob.objects.filter(pk=job.pk).exists()
    assert FactoryResult.objects.filter(job=job).count() == 50
    assert all(default_storage.exists(name) for name in names)

    monkeypatch.setattr(AuditJob, "delete", original)
    audit_delete(job=job)
    assert not AuditJob.objects.filter(pk=job.pk).exists()
    assert not FactoryResult.objects.filter(job_id=job.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert not Path(default_storage.path(f"audits/{job.pk}")).exists()
