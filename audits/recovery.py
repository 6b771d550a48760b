"""Jobs left behind by a fault: queued while the broker was down, or run by a worker that died.

`audit_requeue_stale` runs every minute from celery beat (audits.requeue_stale_jobs) and
from `manage.py requeue_jobs` (cron). It is idempotent: a job is only queued again when
no task for it waits in the broker, and the service locks the job row and checks its
status before running, so an extra delivery never doubles results.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import AuditJob
from .services import audit_enqueue, audit_fail_if_stalled

logger = logging.getLogger(__name__)

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _job_ids_in_broker() -> set[str] | None:
    """Ids of jobs with a task waiting in (or delivered from) the Redis queue; None if unknown.

    Celery's message headers carry the task's arguments as text (argsrepr), so the job id
    appears verbatim in the message; the unacked hash holds messages being worked on.
    """
    import redis

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=5
        )
        messages = client.lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)
        messages += client.hvals("unacked")
    except (redis.RedisError, OSError, ValueError):
        return None
    return {match.decode() for message in messages for match in _UUID.findall(message)}


def audit_requeue_stale(*, queued_older_than_s: int | None = None) -> dict:
    """Queue again QUEUED jobs older than the threshold with no task; recover stalled RUNNING.

    Returns counts: {"requeued": n, "waiting": n, "recovered": n}.
    """
    if queued_older_than_s is None:
        queued_older_than_s = settings.CARBONTRACE_REQUEUE_AFTER_SECONDS
    counts = {"requeued": 0, "waiting": 0, "recovered": 0}

    for job in AuditJob.objects.filter(status=AuditJob.Status.RUNNING):
        if audit_fail_if_stalled(job=job).status != AuditJob.Status.RUNNING:
            counts["recovered"] += 1

    cutoff = timezone.now() - timedelta(seconds=queued_older_than_s)
    stale = list(
        AuditJob.objects.filter(status=AuditJob.Status.QUEUED, updated_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    if not stale:
        return counts
    in_broker = _job_ids_in_broker()
    if in_broker is None:
        counts["waiting"] = len(stale)
        logger.warning("The audit queue is unreachable; %d job(s) wait for it", len(stale))
        return counts
    for job_id in stale:
        if str(job_id) in in_broker:
            continue
        # Bump updated_at first, so the next sweep waits the threshold again.
        AuditJob.objects.filter(pk=job_id, status=AuditJob.Status.QUEUED).update(
            updated_at=timezone.now()
        )
        if audit_enqueue(job_id=job_id):
            AuditJob.objects.filter(pk=job_id, status=AuditJob.Status.QUEUED).update(
                stage="Waiting for a worker", error_message=""
            )
            counts["requeued"] += 1
        else:
            counts["waiting"] += 1
    if counts["requeued"]:
        logger.info("Queued %d audit job(s) again", counts["requeued"])
    return counts
