"""Settings for `make bench`: production-like (DEBUG off), on a benchmark database.

Everything comes from the environment as in base, with defaults that keep the benchmark
away from real data: its own PostgreSQL database, Redis database, queue and media folder.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "carbontrace-benchmark-key-not-for-production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/carbontrace_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CARBONTRACE_QUEUE", "carbontrace-bench")
# The million-row file is about 70 MB.
os.environ.setdefault("CARBONTRACE_MAX_UPLOAD_BYTES", str(512 * 1024 * 1024))

from .base import *  # noqa: F403
from .base import VAR_DIR, env

MEDIA_ROOT = str(env.path("MEDIA_ROOT", default=str(VAR_DIR / "bench" / "media")))
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Pages are rendered without collectstatic, as in the test suite.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
