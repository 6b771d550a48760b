"""audit_delete: the job, its results and its files go; a running job stays."""

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from audits.models import AuditJob, FactoryResult
from audits.services import AuditBusyError, audit_delete
from tests.builders import AuditJobFactory, FactoryResultFactory

pytestmark = pytest.mark.django_db


def test_audit_delete_removes_job_results_and_files(django_capture_on_commit_callbacks):
    result = FactoryResultFactory()
    job = result.job
    name = job.source_file.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        audit_delete(job=job)
    assert not AuditJob.objects.filter(pk=job.pk).exists()
    assert not FactoryResult.objects.filter(pk=result.pk).exists()
    assert not default_storage.exists(name)


def test_audit_delete_refuses_a_running_job():
    job = AuditJobFactory(status=AuditJob.Status.RUNNING, started_at=timezone.now())
    with pytest.raises(AuditBusyError):
        audit_delete(job=job)
    assert AuditJob.objects.filter(pk=job.pk).exists()
