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


RESULT_LIST_COLUMNS = (
    "id",
    "factory_id",
    "factory_code",
    "sector",
    "monthly_emissions_kg",
    "production_kg",
    "energy_kg",
    "material_kg",
    "total_emissions_kg",
    "carbon_cap_kg",
    "status",
    "first_breach_month",
    "alerts_count",
    "months_reported",
    "projected_annual_kg",
    "factory__name",
    "factory__country",
)


def audit_result_list(*, job: AuditJob) -> QuerySet[FactoryResult]:
    """A job's factory results with only the columns the API shows (one query per page).

    Filtering by job then sector/status or ordering by total uses the FactoryResult indexes.
    """
    return (
        FactoryResult.objects.filter(job=job)
        .select_related("factory")
        .only(*RESULT_LIST_COLUMNS)
        .order_by("-total_emissions_kg", "factory_code")
    )


REJECTED_COLUMNS = ("line_number", "factory_id", "column", "value", "reason")


def audit_rejected_rows_count(*, job: AuditJob) -> int:
    rows = (job.summary or {}).get("rows") or {}
    if isinstance(rows.get("rejected"), int):
        return rows["rejected"]
    return sum(1 for _ in audit_rejected_rows(job=job))


def audit_rejected_rows(*, job: AuditJob, offset: int = 0, limit: int | None = None):
    """Rows of the job's rejected_rows.csv, streamed from the file (no row kept in memory).

    The artifact is the record of what was rejected; a page reads only up to its last row.
    """
    import csv
    import io
    import itertools

    field = job.rejected_csv
    if not field or not field.storage.exists(field.name):
        return []
    with field.storage.open(field.name, "rb") as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        stop = None if limit is None else offset + limit
        rows = []
        for row in itertools.islice(reader, offset, stop):
            line = row.get("line_number") or ""
            rows.append(
                {
                    "line_number": int(line) if line.isdigit() else None,
                    "factory_id": row.get("factory_id") or "",
                    "column": row.get("column") or "",
                    "value": row.get("value") or "",
                    "reason": row.get("reason") or "",
                }
            )
        return rows
