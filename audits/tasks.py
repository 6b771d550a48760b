from celery import shared_task

DATABASE_RETRIES = 3


@shared_task(name="audits.run_audit_job", bind=True, max_retries=DATABASE_RETRIES)
def audit_run_task(self, job_id: str) -> None:
    """Run one audit job. Safe to deliver twice: the service checks the job's status.

    If the database drops the connection, retry with exponential backoff (2, 4, 8 s); the
    results are written in one transaction, so a retry never finds half of them.
    """
    from .services import AuditDatabaseError, audit_fail_database_unavailable, audit_run

    try:
        audit_run(job_id=job_id)
    except AuditDatabaseError as exc:
        if self.request.retries >= self.max_retries:
            audit_fail_database_unavailable(job_id=job_id)
            return
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc


@shared_task(name="audits.requeue_stale_jobs")
def audit_requeue_stale_task() -> dict:
    """Periodic (celery beat): queue again jobs left behind by a broker outage or a dead worker."""
    from .recovery import audit_requeue_stale

    return audit_requeue_stale()


# The chord of a large job needs its parts' return values (partition numbers, never
# rows), so these two keep results while every other task ignores them.
@shared_task(name="audits.audit_partition", ignore_result=False)
def audit_partition_task(job_id: str, index: int) -> int | None:
    """Audit one partition (a set of whole factories) of a running job."""
    from .services import audit_partition_run

    return audit_partition_run(job_id=job_id, index=index)


@shared_task(name="audits.merge_partitions", ignore_result=False)
def audit_partitions_merge_task(results: list[int | None], job_id: str) -> None:
    """Merge the partitions of a job and save its results once."""
    from .services import audit_partitions_merge

    audit_partitions_merge(job_id=job_id, results=results)
