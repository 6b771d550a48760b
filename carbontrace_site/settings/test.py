"""Settings for the test suite: the same as base, with test-only defaults."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "carbontrace-test-suite-key")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
# Tests use their own Redis database, and each test run its own queue (inherited by
# the worker processes it starts), so that nothing else picks up a test's jobs.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("CARBONTRACE_QUEUE", f"carbontrace-test-{os.getpid()}")

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# One test database per test run, so that runs side by side on one machine (a developer's
# and CI's, say) never create or drop each other's database.
_RUN = os.getpid()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that a Celery worker process can open the same
    # test database in integration tests.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_carbontrace_{_RUN}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_RUN}"}

# Serve static files from the source folders: tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Django's live test server wraps the app in a media handler built from MEDIA_URL, which
# Carbon-Trace leaves unset (files go through views that check the organization only);
# a prefix that nothing links to keeps that handler inert.
MEDIA_URL = "/media-not-served-by-carbon-trace/"
