"""Reads of audit jobs, always scoped to the user's organization."""

import uuid

from django.db.models import QuerySet
from django.http import Http404

from factories.selectors import membership_get_for_user

from .models import AuditJob, FactoryResult


def audit_list_for_user(*, user) -> QuerySet[AuditJob]:
    membership = membership_get_for_user(user=user)
    if membership is None:
        return AuditJob.objects.none()
    return (
        AuditJob.objects.filter(organization=membership.organization)
        .select_related("created_by")
        .defer("factors_snapshot", "cleaning_report")
        .order_by("-created_at")
    )


def audit_get_for_user(*, user, job_id: uuid.UUID | str) -> AuditJob:
    """The job if it belongs to the user's organization; Http404 otherwise."""
    membership = membership_get_for_user(user=user)
    if membership is None:
        raise Http404("No audit here.")
    try:
        return AuditJob.objects.select_related("created_by", "organization").get(
            pk=job_id, organization=membership.organization
        )
    except (AuditJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No audit here.") from exc


def audit_results(*, job: AuditJob) -> QuerySet[FactoryResult]:
    return FactoryResult.objects.filter(job=job).order_by("-total_emissions_kg")


def audit_status_dict(*, job: AuditJob) -> dict:
    return {
        "id": str(job.pk),
        "status": job.status,
        "progress": job.progress,
        "stage": job.stage,
        "finished": job.is_finished,
        "error_message": job.error_message,
    }
