from celery import shared_task


@shared_task(name="audits.run_audit_job")
def audit_run_task(job_id: str) -> None:
    """Run one audit job. Safe to deliver twice: the service checks the job's status."""
    from .services import audit_run

    audit_run(job_id=job_id)
