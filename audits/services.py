"""Audit jobs: create one from an upload, run it through the engine, store the results.

The path of an upload, in order:
    audit_create  -> AuditJob QUEUED + stored file, task enqueued on commit
    audit_run     -> lock, clean -> audit -> summarize -> chart, results + artifacts,
                     SUCCEEDED or FAILED with a message a person can act on
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from audits.engine import (
    AuditOutcome,
    CleaningResult,
    FactorSet,
    InputFileError,
    audit_frame,
    clean_file,
    render_emissions_chart,
    summary_dict,
    write_cleaned_csv,
    write_rejected_csv,
    write_summary_csv,
)
from factories.models import Organization, Sector
from factories.selectors import (
    factors_as_dict,
    factory_cap_overrides,
    factory_registered_sectors,
)

from .models import AuditJob, FactoryResult
from .persistence import factories_insert, factory_ids_by_code, factory_results_insert
from .validators import upload_validate

logger = logging.getLogger(__name__)

GENERIC_FAILURE = (
    "The audit stopped because of an unexpected error on our side. The file was kept; "
    "try again, and if it fails again contact your administrator with the audit id."
)
STALLED = (
    "The audit stopped without finishing: the worker was interrupted or the audit ran past "
    "the time limit. Upload the file again; if it keeps failing, split it into smaller files "
    "or contact your administrator."
)
QUEUE_UNAVAILABLE = (
    "The audit could not be queued because the task queue is unavailable. "
    "Upload the file again in a moment."
)


class AuditInputError(Exception):
    """The file was read, but nothing in it can be audited."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- creating a job ---------------------------------------------------------


def factors_snapshot_build(*, organization: Organization) -> dict:
    """The configured factors as the engine sees them, plus the organization's factory caps."""
    data = factors_as_dict()
    if not data["sectors"] or not data["energy_sources"]:
        raise ValidationError(
            "No sectors or energy sources are configured. An administrator must load them "
            "(python manage.py load_factors) before audits can run."
        )
    try:
        snapshot = FactorSet.from_dict(data).to_dict()
    except (KeyError, ValueError) as exc:
        raise ValidationError(f"The configured emission factors are invalid: {exc}") from exc
    snapshot["factory_caps"] = factory_cap_overrides(organization=organization)
    return snapshot


def _sha256(uploaded) -> str:
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks() if hasattr(uploaded, "chunks") else iter(uploaded):
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def audit_create(
    *,
    organization: Organization,
    uploaded_file: File,
    reporting_year: int,
    created_by=None,
    enqueue: bool = True,
) -> AuditJob:
    """Validate an upload, store it and create a QUEUED job; enqueue it once committed."""
    extension = upload_validate(uploaded_file)
    snapshot = factors_snapshot_build(organization=organization)
    original_name = Path(uploaded_file.name or f"upload{extension}").name[:255]

    with transaction.atomic():
        job = AuditJob(
            id=uuid.uuid4(),
            organization=organization,
            created_by=created_by,
            reporting_year=reporting_year,
            source_name=original_name,
            source_sha256=_sha256(uploaded_file),
            factors_snapshot=snapshot,
        )
        job.source_file.save(f"source{extension}", uploaded_file, save=False)
        job.full_clean()
        job.save()
        if enqueue:
            job_id = job.pk
            transaction.on_commit(lambda: audit_enqueue(job_id=job_id))
    return job


def audit_enqueue(*, job_id: uuid.UUID) -> None:
    from .tasks import audit_run_task

    try:
        audit_run_task.apply_async(args=[str(job_id)], retry=True)
    except Exception:
        logger.exception("Could not queue audit job %s", job_id)
        _job_fail(job_id=job_id, message=QUEUE_UNAVAILABLE)


# --- running a job ----------------------------------------------------------


def _job_progress(*, job_id: uuid.UUID, progress: int, stage: str) -> None:
    # A plain UPDATE outside any transaction: committed at once so pages see it.
    AuditJob.objects.filter(pk=job_id, status=AuditJob.Status.RUNNING).update(
        progress=progress, stage=stage, updated_at=timezone.now()
    )


def _job_fail(*, job_id: uuid.UUID, message: str, **fields) -> None:
    AuditJob.objects.filter(
        pk=job_id, status__in=[AuditJob.Status.QUEUED, AuditJob.Status.RUNNING]
    ).update(
        status=AuditJob.Status.FAILED,
        stage="Failed",
        error_message=message,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
        **fields,
    )


def _job_start(*, job_id: uuid.UUID) -> AuditJob | None:
    """Lock the job and mark it RUNNING; None when there is nothing (more) to do."""
    with transaction.atomic():
        job = (
            AuditJob.objects.select_for_update()
            .select_related("organization")
            .filter(pk=job_id)
            .first()
        )
        if job is None:
            logger.warning("Audit job %s does not exist; nothing to run", job_id)
            return None
        if job.is_finished:
            logger.info("Audit job %s is already %s; delivery ignored", job_id, job.status)
            return None
        if job.status == AuditJob.Status.RUNNING:
            logger.warning("Audit job %s was left RUNNING; running it again from scratch", job_id)
        job.status = AuditJob.Status.RUNNING
        job.progress = 1
        job.stage = "Starting"
        job.error_message = ""
        job.started_at = timezone.now()
        job.save(
            update_fields=[
                "status",
                "progress",
                "stage",
                "error_message",
                "started_at",
                "updated_at",
            ]
        )
    return job


@dataclass(frozen=True)
class _Artifacts:
    summary_csv: str
    chart_png: str
    rejected_csv: str
    cleaned_csv: str


def _artifact_names(job: AuditJob) -> _Artifacts:
    base = f"audits/{job.pk}"
    return _Artifacts(
        summary_csv=f"{base}/audit_summary_{job.reporting_year}.csv",
        chart_png=f"{base}/emissions_chart.png",
        rejected_csv=f"{base}/rejected_rows.csv",
        cleaned_csv=f"{base}/cleaned.csv",
    )


def _factories_register(*, organization: Organization, outcome: AuditOutcome) -> dict[str, int]:
    """Register the file's unknown factory codes; return every audited factory's id by code."""
    known = factory_ids_by_code(organization=organization)
    missing = [item for item in outcome.factories if item.factory_id not in known]
    if missing:
        sectors = dict(
            Sector.objects.filter(name__in={m.sector for m in missing}).values_list("name", "id")
        )
        absent = sorted({m.sector for m in missing} - set(sectors))
        if absent:
            raise AuditInputError(
                f"Sector(s) {', '.join(absent)} were removed from the configuration while "
                "the audit ran; ask an administrator to restore them, then upload again."
            )
        factories_insert(organization=organization, outcomes=missing, sector_ids=sectors)
        known = factory_ids_by_code(organization=organization)
    return known


def _job_save_results(
    *,
    job_id: uuid.UUID,
    outcome: AuditOutcome,
    cleaning: CleaningResult,
    summary: dict,
    artifacts: _Artifacts,
) -> bool:
    """Results and SUCCEEDED in one transaction: all of them or none. False if already done."""
    with transaction.atomic():
        job = AuditJob.objects.select_for_update().select_related("organization").get(pk=job_id)
        if job.is_finished:
            logger.info("Audit job %s finished elsewhere; these results are discarded", job_id)
            return False
        factories = _factories_register(organization=job.organization, outcome=outcome)
        FactoryResult.objects.filter(job_id=job_id).delete()
        factory_results_insert(job_id=job_id, outcomes=outcome.factories, factory_ids=factories)
        job.summary = summary
        job.cleaning_report = cleaning.report_dicts()
        job.summary_csv.name = artifacts.summary_csv
        job.chart_png.name = artifacts.chart_png
        job.rejected_csv.name = artifacts.rejected_csv
        job.cleaned_csv.name = artifacts.cleaned_csv
        job.status = AuditJob.Status.SUCCEEDED
        job.progress = 100
        job.stage = "Done"
        job.finished_at = timezone.now()
        job.save()
    return True


def _audit_execute(job: AuditJob) -> None:
    snapshot = dict(job.factors_snapshot)
    factory_caps = snapshot.pop("factory_caps", {}) or {}
    factors = FactorSet.from_dict(snapshot)
    artifacts = _artifact_names(job)
    out_dir = Path(default_storage.path(f"audits/{job.pk}"))
    out_dir.mkdir(parents=True, exist_ok=True)

    _job_progress(job_id=job.pk, progress=10, stage="Cleaning the data")
    cleaning = clean_file(
        job.source_file.path,
        factors,
        filename=job.source_name,
        registered_sectors=factory_registered_sectors(organization=job.organization),
    )
    write_rejected_csv(cleaning, default_storage.path(artifacts.rejected_csv))
    write_cleaned_csv(cleaning, default_storage.path(artifacts.cleaned_csv))
    if cleaning.cleaned.empty:
        rejected = len(cleaning.rejected)
        raise AuditInputError(
            f"None of the {rejected} data rows could be audited; every row was rejected. "
            "Download rejected_rows.csv to see the line number and reason of each, fix the "
            "file and upload it again."
        )

    _job_progress(job_id=job.pk, progress=35, stage="Auditing factories")
    outcome = audit_frame(
        cleaning.cleaned, factors, year=job.reporting_year, factory_caps=factory_caps
    )

    _job_progress(job_id=job.pk, progress=60, stage="Summarizing")
    summary = summary_dict(outcome, cleaning)
    write_summary_csv(outcome, default_storage.path(artifacts.summary_csv))

    _job_progress(job_id=job.pk, progress=75, stage="Drawing the chart")
    render_emissions_chart(outcome, default_storage.path(artifacts.chart_png))

    _job_progress(job_id=job.pk, progress=90, stage="Saving results")
    _job_save_results(
        job_id=job.pk, outcome=outcome, cleaning=cleaning, summary=summary, artifacts=artifacts
    )


def audit_run(*, job_id: uuid.UUID | str) -> AuditJob | None:
    """Run a job to SUCCEEDED or FAILED. A finished job is left as it is (redelivery)."""
    job = _job_start(job_id=job_id)
    if job is None:
        return AuditJob.objects.filter(pk=job_id).first()
    try:
        _audit_execute(job)
    except InputFileError as exc:
        _job_fail(job_id=job.pk, message=exc.message)
    except AuditInputError as exc:
        rejected_name = _artifact_names(job).rejected_csv
        extra = {"rejected_csv": rejected_name} if default_storage.exists(rejected_name) else {}
        _job_fail(job_id=job.pk, message=exc.message, **extra)
    except SoftTimeLimitExceeded:
        logger.error("Audit job %s exceeded its time limit", job.pk)
        _job_fail(
            job_id=job.pk,
            message="The audit took longer than the time limit and was stopped. "
            "Split the file into smaller uploads, or ask an administrator to raise the limit.",
        )
    except Exception:
        logger.exception("Audit job %s failed unexpectedly", job.pk)
        _job_fail(job_id=job.pk, message=GENERIC_FAILURE)
    return AuditJob.objects.get(pk=job.pk)


def audit_fail_if_stalled(*, job: AuditJob) -> AuditJob:
    """Fail a RUNNING job that started longer ago than the hard time limit allows.

    A worker killed at the hard limit acknowledges the task without running our code, so
    nothing else would ever end the job; no run can legitimately last longer than that.
    """
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    if (
        job.status == AuditJob.Status.RUNNING
        and job.started_at is not None
        and job.started_at < timezone.now() - limit
    ):
        logger.error("Audit job %s stalled in RUNNING since %s", job.pk, job.started_at)
        AuditJob.objects.filter(pk=job.pk, started_at=job.started_at).filter(
            status=AuditJob.Status.RUNNING
        ).update(
            status=AuditJob.Status.FAILED,
            stage="Failed",
            error_message=STALLED,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        job.refresh_from_db()
    return job


# --- deleting a job ---------------------------------------------------------


class AuditBusyError(Exception):
    """The job is being run by a worker and cannot be deleted now."""


def _job_files_delete(*, names: list[str], folder: str) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete audit file %s", name)
    # Not empty (a foreign file) or not a local storage: leave the folder.
    with contextlib.suppress(OSError, NotImplementedError):
        Path(default_storage.path(folder)).rmdir()


def audit_delete(*, job: AuditJob) -> None:
    """Delete a job, its results and its files (the files once the deletion is committed).

    A RUNNING job is refused: its worker would write files after they were removed.
    """
    with transaction.atomic():
        locked = AuditJob.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None:
            return
        if locked.status == AuditJob.Status.RUNNING:
            raise AuditBusyError(
                "This audit is running; wait until it finishes, then delete it."
            )
        names = [field.name for field in locked.artifacts.values()]
        folder = f"audits/{locked.pk}"
        locked.delete()
        transaction.on_commit(lambda: _job_files_delete(names=names, folder=folder))
