"""Reads of audit jobs, always scoped to the user's organization."""

import uuid

from django.core.paginator import Page
from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet
from django.db.models.functions import NullIf
from django.http import Http404

from factories.selectors import membership_get_for_user

from .engine import AuditOutcome, FactoryOutcome, cumulative_series
from .models import AuditJob, FactoryResult
from .tables import Column, TableSpec, TableState


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


# --- pages: tables, dashboard charts, history, overview -----------------------------

RESULT_TABLE = TableSpec(
    columns=(
        Column("factory", "Factory", ("factory_code",)),
        Column("sector", "Sector", ("sector", "factory_code")),
        Column("total", "Year to date (t CO₂)", ("total_emissions_kg",), numeric=True),
        Column("cap", "Cap (t CO₂)", ("carbon_cap_kg",), numeric=True),
        Column("share", "Of cap", ("cap_share",), numeric=True),
        Column("status", "Status", ("status", "-total_emissions_kg")),
        Column("breach", "First breach", ("first_breach_month",), numeric=True),
        Column("alerts", "Months in alert", ("alerts_count",), numeric=True),
    ),
    default_sort="-total",
    filters={"sector": None, "status": [s.value for s in FactoryResult.Status]},
)


def audit_result_table(*, job: AuditJob, state: TableState, violators_only: bool = False) -> Page:
    """One page of a job's factory results, filtered and sorted on the database.

    Two queries whatever the size of the audit (a COUNT and the page); filters by job then
    sector or status, and the default order, use the FactoryResult indexes.
    """
    results = FactoryResult.objects.filter(job=job)
    if violators_only:
        results = results.filter(status=FactoryResult.Status.EXCEEDED)
    if "sector" in state.filters:
        results = results.filter(sector=state.filters["sector"])
    if "status" in state.filters:
        results = results.filter(status=state.filters["status"])
    if state.query:
        results = results.filter(
            Q(factory_code__icontains=state.query) | Q(factory__name__icontains=state.query)
        )
    results = results.annotate(
        cap_share=ExpressionWrapper(
            F("total_emissions_kg") / NullIf(F("carbon_cap_kg"), 0.0), output_field=FloatField()
        )
    ).values(
        "factory_id",
        "factory_code",
        "factory__name",
        "sector",
        "total_emissions_kg",
        "carbon_cap_kg",
        "cap_share",
        "status",
        "first_breach_month",
        "alerts_count",
        "months_reported",
    )
    return state.paginate(results.order_by(*state.order_by()))


def audit_sector_names(*, job: AuditJob) -> list[str]:
    """The sectors of a finished job, from its summary (no scan of the results)."""
    return sorted((job.summary or {}).get("sector_breakdown") or {})


TOP_FACTORIES_CHARTED = 10
CUMULATIVE_TOP_PER_SECTOR = 4


def _outcome_from_results(*, year: int, results) -> AuditOutcome:
    return AuditOutcome(
        year=year,
        factories=tuple(
            FactoryOutcome(
                factory_id=r.factory_code,
                sector=r.sector,
                factory_name=r.factory.name,
                country=r.factory.country,
                latitude=r.factory.latitude,
                longitude=r.factory.longitude,
                monthly_emissions_kg=tuple(r.monthly_emissions_kg),
                production_kg=r.production_kg,
                energy_kg=r.energy_kg,
                material_kg=r.material_kg,
                total_emissions_kg=r.total_emissions_kg,
                carbon_cap_kg=r.carbon_cap_kg,
                status=r.status,
                first_breach_month=r.first_breach_month,
                alerts_count=r.alerts_count,
                months_reported=r.months_reported,
                projected_annual_kg=r.projected_annual_kg,
                max_monthly_emissions_kg=r.max_monthly_emissions_kg,
                avg_monthly_emissions_kg=r.avg_monthly_emissions_kg,
            )
            for r in sorted(results, key=lambda r: r.factory_code)
        ),
    )


def audit_chart_data(*, job: AuditJob) -> dict:
    """The data of the dashboard's Chart.js charts, as plain JSON-ready lists.

    Sectors come from the job's summary; the top factories and the cumulative lines read
    a bounded number of rows (one query for the top ten, one per sector), so the cost does
    not grow with the number of factories audited.
    """
    summary = job.summary or {}
    breakdown = summary.get("sector_breakdown") or {}
    sectors = sorted(breakdown)
    top = list(
        FactoryResult.objects.filter(job=job)
        .order_by("-total_emissions_kg", "factory_code")
        .values("factory_code", "sector", "total_emissions_kg", "carbon_cap_kg", "status")[
            :TOP_FACTORIES_CHARTED
        ]
    )
    charted = []
    for sector in sectors:
        charted.extend(
            FactoryResult.objects.filter(job=job, sector=sector)
            .select_related("factory")
            .order_by("-total_emissions_kg", "factory_code")[:CUMULATIVE_TOP_PER_SECTOR]
        )
    cumulative = cumulative_series(
        _outcome_from_results(year=job.reporting_year, results=charted),
        top_per_sector=CUMULATIVE_TOP_PER_SECTOR,
    )
    return {
        "sectors": {
            "labels": sectors,
            "tonnes": [breakdown[s].get("total_emissions_kg", 0) / 1000 for s in sectors],
            "factories": [breakdown[s].get("factories", 0) for s in sectors],
            "over_cap": [breakdown[s].get("over_cap", 0) for s in sectors],
        },
        "top": {
            "labels": [row["factory_code"] for row in top],
            "tonnes": [row["total_emissions_kg"] / 1000 for row in top],
            "cap_tonnes": [row["carbon_cap_kg"] / 1000 for row in top],
            "exceeded": [row["status"] == FactoryResult.Status.EXCEEDED for row in top],
        },
        "cumulative": cumulative,
    }


AUDIT_HISTORY_TABLE = TableSpec(
    columns=(
        Column("uploaded", "Uploaded", ("created_at",)),
        Column("file", "File", ("source_name",)),
        Column("year", "Year", ("reporting_year", "-created_at"), numeric=True),
        Column("status", "Status", ("status", "-created_at")),
        Column("factories", "Factories", ()),
        Column("over", "Over cap", ()),
        Column("total", "Total (t CO₂)", ()),
        Column("by", "Uploaded by", ("created_by__username", "-created_at")),
    ),
    default_sort="-uploaded",
    filters={"year": None, "status": [s.value for s in AuditJob.Status]},
    search=False,
)


def audit_history_page(*, user, state: TableState) -> Page:
    jobs = audit_list_for_user(user=user).defer(
        "factors_snapshot", "cleaning_report", "error_message", "source_sha256"
    )
    if "year" in state.filters and state.filters["year"].isdigit():
        jobs = jobs.filter(reporting_year=int(state.filters["year"]))
    if "status" in state.filters:
        jobs = jobs.filter(status=state.filters["status"])
    return state.paginate(jobs.order_by(*state.order_by()))


def audit_years_for_user(*, user) -> list[int]:
    return list(
        audit_list_for_user(user=user)
        .order_by("-reporting_year")
        .values_list("reporting_year", flat=True)
        .distinct()
    )


RECENT_AUDITS_SHOWN = 5


def organization_overview(*, user) -> dict:
    """The home page: the latest finished audit's totals (from its JSON summary, no scan of
    results), the most recent audits and whether anything is still running."""
    jobs = audit_list_for_user(user=user).defer(
        "factors_snapshot", "cleaning_report", "error_message"
    )
    latest = jobs.filter(status=AuditJob.Status.SUCCEEDED).first()
    return {
        "latest": latest,
        "latest_totals": ((latest.summary or {}).get("summary") or {}) if latest else {},
        "recent": list(jobs[:RECENT_AUDITS_SHOWN]),
    }
