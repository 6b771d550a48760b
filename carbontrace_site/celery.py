import os
import sys

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbontrace_site.settings.base")
# pyarrow's allocator (mimalloc) otherwise keeps freed pages for a while: a worker that
# has just cleaned a million rows would hold on to a few hundred MB it no longer uses.
# Read when pyarrow loads, which in a worker is after this module.
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")

app = Celery("carbontrace_site")
# Every Celery option lives in Django settings under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def preload_chart_library(**kwargs) -> None:
    # Each worker draws charts; load matplotlib once at start rather than in an audit.
    from audits.engine.charts import preload

    preload()


def solo_worker_argv(*, queue: str, hostname: str) -> list[str]:
    """The command line of one worker that takes one task at a time from ``queue``.

    The test suite and ``make bench`` start their own workers on private queues with it.
    """
    return [
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
        queue,
        "--hostname",
        hostname,
    ]
