"""Redis unreachable at upload, then back: a real worker processes the saved job, once."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from audits.models import AuditJob, FactoryResult
from audits.services import QUEUE_UNAVAILABLE
from carbontrace_site.celery import app as celery_app
from tests import conftest

shared_media = conftest.shared_media
worker = conftest.worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def media_root(settings, shared_media) -> Path:
    settings.MEDIA_ROOT = str(shared_media)
    return shared_media


def _publisher_reset() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_a_job_saved_during_an_outage_is_processed_when_the_queue_is_back(
    worker, configured_factors, officer_client, sample_csv, settings
):
    live = celery_app.conf.broker_url
    celery_app.conf.broker_url = DEAD_BROKER
    _publisher_reset()
    try:
        with sample_csv.open("rb") as handle:
            response = officer_client.post(
                reverse("audits:upload"), {"file": handle, "reporting_year": 2026}
            )
    finally:
        celery_app.conf.broker_url = live
        _publisher_reset()
    assert response.status_code == 302
    job = AuditJob.objects.get()
    assert (job.status, job.error_message) == (AuditJob.Status.QUEUED, QUEUE_UNAVAILABLE)
    time.sleep(2)
    assert AuditJob.objects.get().status == AuditJob.Status.QUEUED  # nothing was sent

    # The queue is back: cron (or beat) runs the sweep, twice for good measure.
    for _ in range(2):
        call_command("requeue_jobs", "--older-than", "0", stdout=io.StringIO())
    deadline = time.monotonic() + 120
    while not job.is_finished:
        assert time.monotonic() < deadline, worker.read_text()
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.status == AuditJob.Status.SUCCEEDED, job.error_message
    assert (job.attempts, job.error_message) == (1, "")
    assert FactoryResult.objects.filter(job=job).count() == 50
