"""Shared fixtures: users in organizations, configured factors, sample files, services."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection

from tests.builders import MembershipFactory, OrganizationFactory, UserFactory

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CSV = REPO_ROOT / "data" / "monthly_production.csv"
REQUIRE_SERVICES = os.environ.get("CARBONTRACE_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    """Skip a test whose service is missing, or fail it when CI requires the services."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CARBONTRACE_REQUIRE_SERVICES=1 requires it)")
    pytest.skip(reason)


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that opens the test database this session created."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = quote(db.get("USER") or "")
        password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        auth = f"{user}{password}@" if user else ""
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"
    raise RuntimeError(f"No subprocess URL for {db['ENGINE']}")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def configured_factors(db) -> None:
    """The default sectors and energy sources of config/sectors.json, in the database."""
    call_command("load_factors", stdout=io.StringIO())


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Northwind Steel")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Southwind Textiles")


@pytest.fixture
def officer(organization):
    return MembershipFactory(organization=organization, role="officer").user


@pytest.fixture
def viewer(organization):
    return MembershipFactory(organization=organization, role="viewer").user


@pytest.fixture
def outsider(other_organization):
    return MembershipFactory(organization=other_organization, role="officer").user


@pytest.fixture
def user_without_organization(db):
    return UserFactory()


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def sample_csv(tmp_path) -> Path:
    """The sample production file (50 factories x 12 months), copied so tests may not alter it."""
    target = tmp_path / "monthly_production.csv"
    if SAMPLE_CSV.exists():
        shutil.copyfile(SAMPLE_CSV, target)
    else:
        from audits.engine import write_sample_csv

        write_sample_csv(target)
    return target


@pytest.fixture
def missing_columns_csv(tmp_path) -> Path:
    target = tmp_path / "missing_columns.csv"
    target.write_text(
        "factory_id,sector,month,monthly_production_tons\nFAC_STEEL_01,Steel,1,100\n",
        encoding="utf-8",
    )
    return target


# --- a real Celery worker process (integration and end-to-end tests) --------------


@pytest.fixture(scope="module")
def shared_media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("worker-media")


def start_worker(*, name: str, log_path: Path, env: dict[str, str], queue: str):
    """Start a real Celery worker process on ``queue`` and wait until it is ready."""
    import subprocess
    import time

    from carbontrace_site.celery import solo_worker_argv

    with log_path.open("w") as log:
        process = subprocess.Popen(
            solo_worker_argv(queue=queue, hostname=f"{name}-{os.getpid()}@%h"),
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
            pytest.fail(f"The Celery worker {name} did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    return process


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, shared_media, tmp_path_factory):
    """One Celery worker process on the test database, for the whole module."""
    import subprocess

    import redis
    from django.conf import settings

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
    process = start_worker(
        name="test", log_path=log_path, env=env, queue=settings.CELERY_TASK_DEFAULT_QUEUE
    )

    yield log_path

    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
