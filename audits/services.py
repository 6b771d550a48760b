"""Audit jobs: create one from an upload, run it through the engine, store the results.

The path of an upload, in order:
    audit_create  -> AuditJob QUEUED + stored file, task enqueued on commit
    audit_run     -> lock, clean -> audit -> summarize -> chart, results + artifacts,
                     SUCCEEDED or FAILED with a message a person can act on
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import logging
import queue
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pandas as pd
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    transaction,
)
from django.utils import timezone

from audits.engine import (
    AuditOutcome,
    CleaningResult,
    FactorSet,
    InputFileError,
    StepReport,
    audit_frame,
    clean_frame,
    factory_details,
    outcome_from_frames,
    outcome_to_frame,
    partition_count,
    partition_frame,
    read_table,
    render_emissions_chart,
    summary_dict,
    write_cleaned_csv,
    write_rejected_csv,
    write_summary_csv,
)
from factories.models import Factory, Organization, Sector
from factories.selectors import (
    factors_as_dict,
    factory_cap_overrides,
    factory_registered_sectors,
)

from .models import AuditJob, FactoryResult
from .persistence import (
    factories_insert,
    factory_ids_by_code,
    factory_results_insert,
    results_transaction_tune,
    statistics_refresh_after_bulk_insert,
    uses_copy,
)
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
TIME_LIMIT = (
    "The audit took longer than the time limit and was stopped. "
    "Split the file into smaller uploads, or ask an administrator to raise the limit."
)
QUEUE_UNAVAILABLE = (
    "The audit queue is unavailable. Your file is saved and will be processed when the "
    "queue is back; there is no need to upload it again."
)
QUEUE_WAITING_STAGE = "Waiting for the audit queue"
DATABASE_UNAVAILABLE = (
    "The audit could not save its results because the database was unreachable, even after "
    "several retries; nothing from this attempt was kept. Upload the file again later."
)
CSV_UNREADABLE = (
    "The file could not be read as CSV: a line is far too long or a quote is left open. "
    "Check the file in a text editor and upload it again"
)
MAX_ATTEMPTS = 2  # a run that stalls (its worker vanished) is retried once, then FAILED


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


def audit_enqueue(*, job_id: uuid.UUID) -> bool:
    """Queue the job's task; False (job left QUEUED, marked waiting) if the broker is down."""
    from .tasks import audit_run_task

    try:
        audit_run_task.apply_async(args=[str(job_id)], retry=True)
    except Exception:
        # The job stays QUEUED with its file: the periodic sweep (audits.requeue_stale_jobs,
        # or `manage.py requeue_jobs`) queues it again once the broker answers.
        logger.exception("Could not queue audit job %s; it waits for the sweep", job_id)
        AuditJob.objects.filter(pk=job_id, status=AuditJob.Status.QUEUED).update(
            stage=QUEUE_WAITING_STAGE, error_message=QUEUE_UNAVAILABLE, updated_at=timezone.now()
        )
        return False
    return True


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
        if job.status == AuditJob.Status.QUEUED:
            job.attempts += 1  # a redelivery of a RUNNING job is the same attempt
        job.status = AuditJob.Status.RUNNING
        job.progress = 1
        job.stage = "Starting"
        job.error_message = ""
        job.started_at = timezone.now()
        job.save(
            update_fields=[
                "attempts",
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


def _factories_register(*, organization: Organization, details: pd.DataFrame) -> dict[str, int]:
    """Register the file's unknown factory codes; return every audited factory's id by code.

    ``details`` has one row per audited factory (``factory_details``).
    """
    codes = details["factory_id"].tolist()
    known = factory_ids_by_code(organization=organization, codes=codes)
    # A set lookup per code: Series.isin on pyarrow text took 0.6 s for 83,000 codes.
    missing = details.loc[[code not in known for code in codes]]
    if not missing.empty:
        wanted = set(missing["sector"].astype(str))
        sectors = dict(Sector.objects.filter(name__in=wanted).values_list("name", "id"))
        absent = sorted(wanted - set(sectors))
        if absent:
            raise AuditInputError(
                f"Sector(s) {', '.join(absent)} were removed from the configuration while "
                "the audit ran; ask an administrator to restore them, then upload again."
            )
        known.update(
            factories_insert(organization=organization, factories=missing, sector_ids=sectors)
        )
        if any(code not in known for code in missing["factory_id"].tolist()):  # meanwhile
            known = factory_ids_by_code(organization=organization, codes=codes)
    return known


@contextlib.contextmanager
def _timed(timings: dict[str, float], stage: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round(time.perf_counter() - started, 3)


def _job_factors(job: AuditJob) -> tuple[FactorSet, dict]:
    snapshot = dict(job.factors_snapshot)
    factory_caps = snapshot.pop("factory_caps", {}) or {}
    return FactorSet.from_dict(snapshot), factory_caps


def _factory_codes(frame: pd.DataFrame) -> set[str] | None:
    """The distinct factory codes of an uploaded frame, as cleaning will trim them."""
    if "factory_id" not in frame.columns:
        return None  # cleaning refuses the file
    return {str(code).strip() for code in pd.unique(frame["factory_id"].fillna(""))}


def _factory_codes_check(cleaned: pd.DataFrame) -> None:
    """Factory codes must fit Factory.code: refuse the file (clearly) rather than fail saving."""
    limit = Factory._meta.get_field("code").max_length
    lengths = cleaned["factory_id"].astype(str).str.len()
    if (lengths > limit).any():
        first = cleaned.loc[lengths > limit].iloc[0]
        raise AuditInputError(
            f"Factory codes are limited to {limit} characters; line {first['line_number']} has "
            f"one of {len(str(first['factory_id']))}. Shorten the codes and upload it again."
        )


def _audit_execute(job: AuditJob) -> None:
    factors, factory_caps = _job_factors(job)
    artifacts = _artifact_names(job)
    out_dir = Path(default_storage.path(f"audits/{job.pk}"))
    out_dir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    _job_progress(job_id=job.pk, progress=10, stage="Cleaning the data")
    with _timed(timings, "read"):
        # Handed to clean_frame without keeping a reference, so that cleaning can free
        # the raw text columns as it replaces them.
        uploaded = [read_table(job.source_file.path, filename=job.source_name)]
    with _timed(timings, "registered_sectors"):
        registered = factory_registered_sectors(
            organization=job.organization, codes=_factory_codes(uploaded[0])
        )
    with _timed(timings, "clean"):
        cleaning = clean_frame(uploaded.pop(), factors, registered_sectors=registered)
    with _timed(timings, "rejected_csv"):
        write_rejected_csv(cleaning, default_storage.path(artifacts.rejected_csv))
    if cleaning.cleaned.empty:
        rejected = len(cleaning.rejected)
        raise AuditInputError(
            f"None of the {rejected} data rows could be audited; every row was rejected. "
            "Download rejected_rows.csv to see the line number and reason of each, fix the "
            "file and upload it again."
        )
    with _timed(timings, "checks"):
        _factory_codes_check(cleaning.cleaned)

    parts = partition_count(
        len(cleaning.cleaned),
        rows_per_partition=settings.CARBONTRACE_PARTITION_ROWS,
        max_partitions=settings.CARBONTRACE_MAX_PARTITIONS,
    )
    if parts > 1:
        _timed_call(
            timings,
            "cleaned_csv",
            write_cleaned_csv,
            cleaning,
            default_storage.path(artifacts.cleaned_csv),
        )
        _audit_partitions_dispatch(job=job, cleaning=cleaning, parts=parts, timings=timings)
        return

    # cleaned.csv (a million rows) is written by pyarrow, which releases the GIL: on
    # a second core it is written while the factories are audited.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cleaned-csv") as background:
        rows = {
            "read": cleaning.rows_read,
            "cleaned": len(cleaning.cleaned),
            "rejected": len(cleaning.rejected),
        }
        with _timed(timings, "details"):
            details = factory_details(cleaning.cleaned)
        # The cleaned rows are handed to the writer and to the audit, and to nothing
        # else: once cleaned.csv is written, the columns the audit did not take (a
        # hundred MB or so for a million rows) are freed while the audit goes on.
        handed_over = [cleaning.cleaned]
        cleaning.cleaned = cleaning.cleaned.iloc[0:0]
        cleaned_csv = background.submit(
            _timed_call,
            timings,
            "cleaned_csv",
            write_cleaned_csv,
            CleaningResult(cleaned=handed_over[0], rejected=cleaning.rejected),
            default_storage.path(artifacts.cleaned_csv),
        )

        def audit(on_block: OnBlock | None) -> AuditOutcome:
            with _timed(timings, "audit"):
                return audit_frame(
                    handed_over.pop(),
                    factors,
                    year=job.reporting_year,
                    factory_caps=factory_caps,
                    on_block=on_block,
                )

        _audit_store(
            job=job,
            details=details,
            audit=audit,
            cleaning=cleaning,
            timings=timings,
            rows=rows,
            before_commit=cleaned_csv.result,
        )


def _timed_call(timings: dict[str, float], stage: str, function, *args):
    with _timed(timings, stage):
        return function(*args)


OnBlock = Callable[[AuditOutcome], object]


def _audit_store(
    *,
    job: AuditJob,
    details: pd.DataFrame,
    audit: Callable[[OnBlock | None], AuditOutcome],
    cleaning: CleaningResult,
    timings: dict,
    rows: dict | None = None,
    before_commit: Callable[[], object] | None = None,
) -> bool:
    """Audit, summarize, draw and save: results and SUCCEEDED in one transaction.

    The same for a single pass and merged partitions. ``audit(on_block)`` returns the
    outcome, handing each block of audited factories to ``on_block`` as it goes; on
    PostgreSQL a second thread streams those blocks into the results table (COPY, in
    this transaction) while the factories are audited, summarized and charted, so the
    database works on its own core. All of it is kept, or none (False: the job had
    already finished elsewhere). ``rows`` replaces the row counts when the cleaned
    frames are not at hand; ``before_commit`` waits for work that must be done first.
    """
    artifacts = _artifact_names(job)
    _job_progress(job_id=job.pk, progress=40, stage="Auditing factories and saving the results")
    with transaction.atomic():
        locked = AuditJob.objects.select_for_update().select_related("organization").get(pk=job.pk)
        if locked.is_finished:
            logger.info("Audit job %s finished elsewhere; these results are discarded", job.pk)
            return False
        results_transaction_tune()
        with _timed(timings, "register"):
            factory_ids = _factories_register(organization=locked.organization, details=details)
            FactoryResult.objects.filter(job_id=job.pk).delete()
        # The connection belongs to this thread and this transaction; while the writer
        # uses it, this thread does no database work until the writer is done.
        database = connections[DEFAULT_DB_ALIAS]
        blocks: queue.SimpleQueue[AuditOutcome | None] = queue.SimpleQueue()

        def audited() -> Iterator[AuditOutcome]:
            while (block := blocks.get()) is not None:
                yield block

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="results-copy") as writer:
            written = None
            if uses_copy():
                written = writer.submit(
                    factory_results_insert,
                    job_id=job.pk,
                    outcomes=audited(),
                    factory_ids=factory_ids,
                    database=database,
                )
            try:
                outcome = audit(blocks.put if written is not None else None)
            finally:
                blocks.put(None)  # the writer's stream ends here, whatever happened
            with _timed(timings, "summary"):
                summary = summary_dict(outcome, cleaning)
                if rows is not None:
                    summary["rows"] = rows
            with _timed(timings, "summary_csv"):
                write_summary_csv(outcome, default_storage.path(artifacts.summary_csv))
            with _timed(timings, "chart"):
                render_emissions_chart(outcome, default_storage.path(artifacts.chart_png))
            # "persist": what saving the results added after the chart was drawn.
            with _timed(timings, "persist"):
                if written is not None:
                    written.result()
                else:
                    factory_results_insert(
                        job_id=job.pk, outcomes=[outcome], factory_ids=factory_ids
                    )
        if before_commit is not None:
            with _timed(timings, "wait_before_commit"):
                before_commit()
        # Seconds per stage, for `manage.py bench` and for an administrator wondering
        # where an audit spent its time.
        summary["timings_s"] = timings
        locked.summary = summary
        locked.cleaning_report = cleaning.report_dicts()
        locked.summary_csv.name = artifacts.summary_csv
        locked.chart_png.name = artifacts.chart_png
        locked.rejected_csv.name = artifacts.rejected_csv
        locked.cleaned_csv.name = artifacts.cleaned_csv
        locked.status = AuditJob.Status.SUCCEEDED
        locked.progress = 100
        locked.stage = "Done"
        locked.error_message = ""
        locked.finished_at = timezone.now()
        locked.save()
    statistics_refresh_after_bulk_insert(rows=len(outcome.factories))
    return True


# --- a large job: partitions audited in parallel -------------------------------


def _partition_folder(job_id: uuid.UUID | str) -> str:
    return f"audits/{job_id}/partitions"


def _audit_partitions_dispatch(
    *, job: AuditJob, cleaning: CleaningResult, parts: int, timings: dict
) -> None:
    """Write the cleaned rows as parquet partitions (by factory) and start a chord.

    Only the job id and partition numbers travel over the broker; the rows go through
    the shared media storage. The chord's callback merges and saves once.
    """
    from celery import chord

    from .tasks import audit_partition_task, audit_partitions_merge_task

    folder = Path(default_storage.path(_partition_folder(job.pk)))
    folder.mkdir(parents=True, exist_ok=True)
    with _timed(timings, "partition"):
        frames = partition_frame(cleaning.cleaned, parts)
        for index, frame in enumerate(frames):
            frame.to_parquet(folder / f"rows-{index:03d}.parquet", index=False)
    plan = {
        "partitions": len(frames),
        "dispatched_at": time.time(),
        "timings_s": timings,
        "cleaning_report": cleaning.report_dicts(),
        "rows": {
            "read": cleaning.rows_read,
            "cleaned": len(cleaning.cleaned),
            "rejected": len(cleaning.rejected),
        },
    }
    (folder / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    _job_progress(
        job_id=job.pk, progress=35, stage=f"Auditing factories in {len(frames)} partitions"
    )
    job_id = str(job.pk)
    chord(audit_partition_task.si(job_id, index) for index in range(len(frames)))(
        audit_partitions_merge_task.s(job_id)
    )


def audit_partition_run(*, job_id: uuid.UUID | str, index: int) -> int | None:
    """Audit one partition of a RUNNING job; its outcome goes next to its rows.

    Returns the partition number, or None when the job is no longer running or the
    partition failed (the job is then FAILED and the merge does nothing).
    """
    job = AuditJob.objects.filter(pk=job_id, status=AuditJob.Status.RUNNING).first()
    if job is None:
        return None
    folder = Path(default_storage.path(_partition_folder(job.pk)))
    try:
        factors, factory_caps = _job_factors(job)
        rows = pd.read_parquet(folder / f"rows-{index:03d}.parquet")
        outcome = audit_frame(rows, factors, year=job.reporting_year, factory_caps=factory_caps)
        outcome_to_frame(outcome).to_parquet(folder / f"outcome-{index:03d}.parquet", index=False)
    except SoftTimeLimitExceeded:
        _job_fail(job_id=job.pk, message=TIME_LIMIT)
        return None
    except Exception:
        logger.exception("Partition %s of audit job %s failed", index, job.pk)
        _job_fail(job_id=job.pk, message=GENERIC_FAILURE)
        return None
    return index


def audit_partitions_merge(*, job_id: uuid.UUID | str, results: list[int | None]) -> None:
    """Merge the audited partitions of a job and save it once, as a single pass would."""
    job = (
        AuditJob.objects.select_related("organization")
        .filter(pk=job_id, status=AuditJob.Status.RUNNING)
        .first()
    )
    if job is None or any(result is None for result in results):
        return
    folder = Path(default_storage.path(_partition_folder(job.pk)))
    try:
        plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
        timings = dict(plan["timings_s"])
        timings["audit"] = round(time.time() - plan["dispatched_at"], 3)
        timings["partitions"] = plan["partitions"]
        outcome = outcome_from_frames(
            (
                pd.read_parquet(folder / f"outcome-{index:03d}.parquet")
                for index in range(plan["partitions"])
            ),
            year=job.reporting_year,
        )
        # The frames stayed with the first worker; the summary needs only the report.
        cleaning = CleaningResult(
            cleaned=pd.DataFrame(),
            rejected=pd.DataFrame(),
            report=[StepReport(**step) for step in plan["cleaning_report"]],
        )

        def merged(on_block: OnBlock | None) -> AuditOutcome:
            if on_block is not None:
                for part in outcome.parts(8192):
                    on_block(part)
            return outcome

        _audit_store(
            job=job,
            details=outcome.factory_details(),
            audit=merged,
            cleaning=cleaning,
            timings=timings,
            rows=plan["rows"],
        )
    except AuditInputError as exc:
        _job_fail(job_id=job.pk, message=exc.message)
    except SoftTimeLimitExceeded:
        _job_fail(job_id=job.pk, message=TIME_LIMIT)
    except Exception:
        logger.exception("Merging the partitions of audit job %s failed", job.pk)
        _job_fail(job_id=job.pk, message=GENERIC_FAILURE)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
        _job_fail(job_id=job.pk, message=TIME_LIMIT)
    except csv.Error as exc:
        _job_fail(job_id=job.pk, message=f"{CSV_UNREADABLE} ({exc})")
    except (OperationalError, InterfaceError) as exc:
        # The results transaction rolled back, so nothing partial is stored; the task
        # retries with backoff and runs the job again from scratch (it is still RUNNING).
        logger.warning("Audit job %s lost its database connection: %s", job.pk, exc)
        close_old_connections()
        raise AuditDatabaseError(str(exc)) from exc
    except Exception:
        logger.exception("Audit job %s failed unexpectedly", job.pk)
        _job_fail(job_id=job.pk, message=GENERIC_FAILURE)
    return AuditJob.objects.get(pk=job.pk)


class AuditDatabaseError(Exception):
    """The database dropped the connection while a job ran; the task should retry."""


def audit_fail_database_unavailable(*, job_id: uuid.UUID | str) -> None:
    """The task's last retry also lost the database: FAILED, with no results kept."""
    close_old_connections()
    with transaction.atomic():
        FactoryResult.objects.filter(job_id=job_id).delete()
        _job_fail(job_id=job_id, message=DATABASE_UNAVAILABLE)


def audit_fail_if_stalled(*, job: AuditJob) -> AuditJob:
    """Recover a RUNNING job that started longer ago than the hard time limit allows.

    Its worker vanished (killed, or stopped at the hard limit without running our code), so
    nothing else would ever end the job. The first time it goes back to QUEUED and is queued
    again; a job that stalls again (MAX_ATTEMPTS starts) is FAILED with a message.
    """
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    if not (
        job.status == AuditJob.Status.RUNNING
        and job.started_at is not None
        and job.started_at < timezone.now() - limit
    ):
        return job
    stalled = AuditJob.objects.filter(
        pk=job.pk, started_at=job.started_at, status=AuditJob.Status.RUNNING
    )
    if job.attempts < MAX_ATTEMPTS:
        logger.error("Audit job %s stalled since %s; queued again", job.pk, job.started_at)
        if stalled.update(
            status=AuditJob.Status.QUEUED,
            progress=0,
            stage="Queued again after its worker stopped",
            updated_at=timezone.now(),
        ):
            audit_enqueue(job_id=job.pk)
    else:
        logger.error("Audit job %s stalled again since %s; failed", job.pk, job.started_at)
        stalled.update(
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
            raise AuditBusyError("This audit is running; wait until it finishes, then delete it.")
        names = [field.name for field in locked.artifacts.values()]
        folder = f"audits/{locked.pk}"
        locked.delete()
        transaction.on_commit(lambda: _job_files_delete(names=names, folder=folder))
