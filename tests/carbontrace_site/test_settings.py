import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import REPO_ROOT


def settings_value(expression: str, **env: str) -> subprocess.CompletedProcess:
    """Evaluate an expression on freshly imported base settings, with this environment."""
    prefixes = ("DJANGO_", "DATABASE_", "REDIS_", "MEDIA_", "CARBONTRACE_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"from carbontrace_site.settings import base; print(repr(({expression})))",
        ],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_suite_runs_on_the_database_of_database_url():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"
    assert connection.vendor == expected


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 10_000


def test_celery_keeps_results_out_of_the_broker():
    assert settings.CELERY_TASK_SERIALIZER == "json"
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_TASK_IGNORE_RESULT is True
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT


def test_a_secret_key_is_required_when_debug_is_off():
    completed = settings_value("base.DEBUG", DJANGO_DEBUG="0")
    assert completed.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in completed.stderr


def test_settings_come_from_the_environment(tmp_path):
    completed = settings_value(
        "base.DATABASES['default']['NAME'], base.REDIS_URL, base.ALLOWED_HOSTS, base.MEDIA_ROOT",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://carbon@db.internal:5432/carbontrace",
        REDIS_URL="redis://cache.internal:6379/2",
        DJANGO_ALLOWED_HOSTS="audit.example.com",
        MEDIA_ROOT=str(tmp_path),
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == repr(
        ("carbontrace", "redis://cache.internal:6379/2", ["audit.example.com"], str(tmp_path))
    )


def test_local_defaults_are_sqlite_under_var_and_the_embedded_redis():
    completed = settings_value(
        "base.DATABASES['default']['NAME'], base.REDIS_URL", DJANGO_DEBUG="1"
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == repr(
        (str(REPO_ROOT / "var" / "carbontrace.sqlite3"), "redis://127.0.0.1:6380/0")
    )
