from celery import shared_task


@shared_task(name="audits.run_audit_job")
def audit_run_task(job_id: str) -> None:
    """Run one audit job. Safe to deliver twice: the service checks the job's status."""
    from .services import audit_run

    audit_run(job_id=job_id)


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
