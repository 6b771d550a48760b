import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbontrace_site.settings.base")

app = Celery("carbontrace_site")
# Every Celery option lives in Django settings under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def preload_chart_library(**kwargs) -> None:
    # Each worker draws charts; load matplotlib once at start rather than in an audit.
    from audits.engine.charts import preload

    preload()
