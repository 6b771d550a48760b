import hashlib
import logging
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from kombu.exceptions import OperationalError

from audits import services
from audits.engine import FactorSet, audit_frame, clean_file, summary_dict
from audits.models import AuditJob, FactoryResult
from audits.services import (
    GENERIC_FAILURE,
    QUEUE_UNAVAILABLE,
    STALLED,
    audit_create,
    audit_fail_if_stalled,
    audit_run,
)
from audits.tasks import audit_run_task
from factories.models import Factory, Sector
from factories.selectors import factors_as_dict
from tests.builders import FactoryFactory, FactoryResultFactory

pytestmark = pytest.mark.django_db


def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


@pytest.fixture
def queued_job(configured_factors, organization, officer, sample_csv):
    return audit_create(
        organization=organization,
        uploaded_file=upload(sample_csv),
        reporting_year=2026,
        created_by=officer,
        enqueue=False,
    )


def test_audit_create_stores_the_file_and_the_factor_snapshot(queued_job, sample_csv):
    job = AuditJob.objects.get(pk=queued_job.pk)
    assert job.status == AuditJob.Status.QUEUED
    assert job.progress == 0
    assert job.source_file.name == f"audits/{job.pk}/source.csv"
    assert Path(job.source_file.path).read_bytes() == sample_csv.read_bytes()
    assert job.source_sha256 == hashlib.sha256(sample_csv.read_bytes()).hexdigest()
    assert job.source_name == "monthly_production.csv"
    snapshot = dict(job.factors_snapshot)
    assert snapshot.pop("factory_caps") == {}
    assert snapshot == FactorSet.from_dict(factors_as_dict()).to_dict()


def test_audit_create_enqueues_the_job_once_committed(
    configured_factors, organization, sample_csv, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(audit_run_task, "apply_async", lambda args, **kwargs: sent.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = audit_create(
            organization=organization, uploaded_file=upload(sample_csv), reporting_year=2026
        )
    assert sent == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert sent == [[str(job.pk)]]


def test_a_job_that_cannot_be_queued_waits_with_its_file_and_a_clear_message(
    configured_factors, organization, sample_csv, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6380. Connection refused.")

    monkeypatch.setattr(audit_run_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        job = audit_create(
            organization=organization, uploaded_file=upload(sample_csv), reporting_year=2026
        )
    job.refresh_from_db()
    assert job.status == AuditJob.Status.QUEUED
    assert job.error_message == QUEUE_UNAVAILABLE
    assert job.stage == "Waiting for the audit queue"
    assert job.source_file.storage.exists(job.source_file.name)


def test_audit_create_needs_configured_factors(organization, sample_csv):
    with pytest.raises(ValidationError, match="load_factors"):
        audit_create(
            organization=organization, uploaded_file=upload(sample_csv), reporting_year=2026
        )
    assert not AuditJob.objects.exists()


def test_audit_create_snapshots_factory_cap_overrides(configured_factors, organization, sample_csv):
    FactoryFactory(
        organization=organization,
        code="FAC_STEEL_01",
        sector=Sector.objects.get(name="Steel"),
        carbon_cap_kg=1_000.0,
    )
    job = audit_create(
        organization=organization,
        uploaded_file=upload(sample_csv),
        reporting_year=2026,
        enqueue=False,
    )
    assert job.factors_snapshot["factory_caps"] == {"FAC_STEEL_01": 1_000.0}


def test_audit_run_on_the_sample_stores_the_engine_figures(queued_job, sample_csv):
    job = audit_run(job_id=queued_job.pk)

    assert job.status == AuditJob.Status.SUCCEEDED, job.error_message
    assert (job.progress, job.stage) == (100, "Done")
    assert job.started_at and job.finished_at

    factors = FactorSet.from_dict(factors_as_dict())
    cleaning = clean_file(sample_csv, factors, filename=sample_csv.name)
    outcome = audit_frame(cleaning.cleaned, factors, year=2026)
    expected = {item.factory_id: item for item in outcome.factories}

    rows = {row.factory_code: row for row in FactoryResult.objects.filter(job=job)}
    assert len(rows) == len(expected) == 50
    for code, item in expected.items():
        row = rows[code]
        assert row.factory.code == code
        assert row.sector == item.sector
        assert row.monthly_emissions_kg == pytest.approx(list(item.monthly_emissions_kg))
        assert row.production_kg == pytest.approx(item.production_kg)
        assert row.energy_kg == pytest.approx(item.energy_kg)
        assert row.material_kg == pytest.approx(item.material_kg)
        assert row.total_emissions_kg == pytest.approx(item.total_emissions_kg)
        assert row.carbon_cap_kg == item.carbon_cap_kg
        assert row.status == item.status
        assert row.first_breach_month == item.first_breach_month
        assert row.alerts_count == item.alerts_count
        assert row.months_reported == item.months_reported
        assert row.projected_annual_kg == pytest.approx(item.projected_annual_kg)

    timings = job.summary.pop("timings_s")
    assert job.summary == summary_dict(outcome, cleaning)
    assert job.cleaning_report == cleaning.report_dicts()
    assert len(job.cleaning_report) == 10
    stages = {"read", "clean", "audit", "summary_csv", "chart", "persist"}
    assert stages <= set(timings) and all(seconds >= 0 for seconds in timings.values())


def test_audit_run_writes_the_artifacts(queued_job):
    job = audit_run(job_id=queued_job.pk)
    folder = Path(job.source_file.path).parent
    assert folder.name == str(job.pk)
    for field, name in [
        (job.summary_csv, "audit_summary_2026.csv"),
        (job.chart_png, "emissions_chart.png"),
        (job.rejected_csv, "rejected_rows.csv"),
        (job.cleaned_csv, "cleaned.csv"),
    ]:
        path = Path(field.path)
        assert path == folder / name
        assert path.stat().st_size > 0
    assert Path(job.chart_png.path).read_bytes().startswith(b"\x89PNG")
    header = Path(job.summary_csv.path).read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("factory_id,")
    assert "carbon_cap_status" in header


def test_audit_run_registers_unknown_factories_with_their_details(queued_job, organization):
    FactoryFactory(
        organization=organization,
        code="FAC_STEEL_01",
        name="Registered name",
        sector=Sector.objects.get(name="Steel"),
    )
    audit_run(job_id=queued_job.pk)
    factories = Factory.objects.filter(organization=organization)
    assert factories.count() == 50
    assert factories.get(code="FAC_STEEL_01").name == "Registered name"
    textile = factories.get(code="FAC_TEXTILE_01")
    assert textile.sector.name == "Textile"
    assert textile.name
    assert textile.country
    assert -90 <= textile.latitude <= 90
    assert -180 <= textile.longitude <= 180


def test_factory_cap_override_is_applied(configured_factors, organization, sample_csv):
    FactoryFactory(
        organization=organization,
        code="FAC_TEXTILE_01",
        sector=Sector.objects.get(name="Textile"),
        carbon_cap_kg=1_000.0,
    )
    job = audit_create(
        organization=organization,
        uploaded_file=upload(sample_csv),
        reporting_year=2026,
        enqueue=False,
    )
    audit_run(job_id=job.pk)
    result = FactoryResult.objects.get(job=job, factory_code="FAC_TEXTILE_01")
    assert result.carbon_cap_kg == 1_000.0
    assert result.status == FactoryResult.Status.EXCEEDED
    assert result.first_breach_month == 1


def test_the_audit_uses_the_factors_of_upload_time(queued_job):
    Sector.objects.filter(name="Steel").update(production_per_ton=1.0)
    job = audit_run(job_id=queued_job.pk)
    steel = job.factors_snapshot["sectors"]
    assert {s["name"]: s["production_per_ton"] for s in steel}["Steel"] == 1850
    result = FactoryResult.objects.get(job=job, factory_code="FAC_STEEL_01")
    assert result.production_kg > 1000 * 1.0 * 12


def test_redelivery_never_doubles_results(queued_job):
    first = audit_run(job_id=queued_job.pk)
    count = FactoryResult.objects.filter(job=first).count()
    finished_at = first.finished_at

    second = audit_run(job_id=queued_job.pk)
    assert second.status == AuditJob.Status.SUCCEEDED
    assert second.finished_at == finished_at
    assert FactoryResult.objects.filter(job=second).count() == count == 50


def test_a_job_left_running_is_rerun_from_scratch(queued_job):
    stale = FactoryResultFactory(job=queued_job, factory_code="FAC_STALE")
    AuditJob.objects.filter(pk=queued_job.pk).update(status=AuditJob.Status.RUNNING, progress=35)

    job = audit_run(job_id=queued_job.pk)
    assert job.status == AuditJob.Status.SUCCEEDED
    assert not FactoryResult.objects.filter(pk=stale.pk).exists()
    assert FactoryResult.objects.filter(job=job).count() == 50


def test_a_failed_job_is_not_run_again(queued_job):
    AuditJob.objects.filter(pk=queued_job.pk).update(
        status=AuditJob.Status.FAILED, error_message="earlier failure"
    )
    job = audit_run(job_id=queued_job.pk)
    assert (job.status, job.error_message) == (AuditJob.Status.FAILED, "earlier failure")
    assert not FactoryResult.objects.filter(job=job).exists()


def test_an_unknown_job_id_is_ignored(db):
    assert audit_run(job_id="00000000-0000-0000-0000-000000000000") is None


def test_missing_columns_fail_the_job_with_the_engine_message(
    configured_factors, organization, missing_columns_csv
):
    job = audit_create(
        organization=organization,
        uploaded_file=upload(missing_columns_csv),
        reporting_year=2026,
        enqueue=False,
    )
    job = audit_run(job_id=job.pk)
    assert job.status == AuditJob.Status.FAILED
    for column in ("energy_used_mwh", "energy_source_type", "raw_material_weight_tons"):
        assert column in job.error_message
    assert job.finished_at is not None
    assert not FactoryResult.objects.filter(job=job).exists()


def test_a_file_with_no_usable_row_fails_and_keeps_the_rejected_rows(
    configured_factors, organization, tmp_path
):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "factory_id,sector,month,monthly_production_tons,energy_used_mwh,"
        "energy_source_type,raw_material_weight_tons\n"
        "FAC_X,Cement,1,10,10,coal,1\n"
        "FAC_Y,Steel,13,10,10,coal,1\n",
        encoding="utf-8",
    )
    job = audit_create(
        organization=organization, uploaded_file=upload(bad), reporting_year=2026, enqueue=False
    )
    job = audit_run(job_id=job.pk)
    assert job.status == AuditJob.Status.FAILED
    assert "None of the 2 data rows" in job.error_message
    assert "rejected_rows.csv" in job.error_message
    rejected = Path(job.rejected_csv.path).read_text(encoding="utf-8")
    assert "FAC_X" in rejected
    assert "FAC_Y" in rejected


def test_an_unexpected_error_fails_the_job_with_a_generic_message(queued_job, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("chart backend exploded")

    monkeypatch.setattr(services, "render_emissions_chart", broken)
    with caplog.at_level(logging.ERROR, logger="audits.services"):
        job = audit_run(job_id=queued_job.pk)
    assert job.status == AuditJob.Status.FAILED
    assert job.error_message == GENERIC_FAILURE
    assert "chart backend exploded" in caplog.text
    assert not FactoryResult.objects.filter(job=job).exists()


def test_an_audit_failing_after_results_were_streamed_keeps_nothing(
    queued_job, organization, monkeypatch
):
    """Blocks of results already sent to the database go when the audit fails later."""
    streamed = []

    def fails_after_the_first_block(cleaned, *args, on_block=None, **kwargs):
        def first_then_fail(part):
            if on_block is not None:
                on_block(part)
            streamed.append(len(part))
            raise RuntimeError("the auditor broke after a block")

        return audit_frame(cleaned, *args, on_block=first_then_fail, **kwargs)

    monkeypatch.setattr(services, "audit_frame", fails_after_the_first_block)
    job = audit_run(job_id=queued_job.pk)

    assert streamed == [50]
    assert (job.status, job.error_message) == (AuditJob.Status.FAILED, GENERIC_FAILURE)
    assert not FactoryResult.objects.filter(job=job).exists()
    assert not Factory.objects.filter(organization=organization).exists()  # registered, undone


def test_progress_is_reported_per_stage(queued_job, monkeypatch):
    seen = []
    original = services._job_progress

    def spy(*, job_id, progress, stage):
        original(job_id=job_id, progress=progress, stage=stage)
        job = AuditJob.objects.get(pk=job_id)
        seen.append((job.status, job.progress, job.stage))

    monkeypatch.setattr(services, "_job_progress", spy)
    audit_run(job_id=queued_job.pk)
    # Auditing, summarizing, charting and saving run in the results' transaction: their
    # stage is announced once, before it begins.
    assert [(progress, stage) for _, progress, stage in seen] == [
        (10, "Cleaning the data"),
        (40, "Auditing factories and saving the results"),
    ]
    assert all(status == AuditJob.Status.RUNNING for status, _, _ in seen)


def test_the_task_runs_the_service(queued_job):
    audit_run_task.run(str(queued_job.pk))
    queued_job.refresh_from_db()
    assert queued_job.status == AuditJob.Status.SUCCEEDED


def test_a_job_running_past_the_hard_time_limit_is_queued_again_then_failed(
    queued_job, settings, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    settings.CELERY_TASK_TIME_LIMIT = 600
    recent = timezone.now() - timedelta(seconds=300)
    AuditJob.objects.filter(pk=queued_job.pk).update(status="RUNNING", started_at=recent)
    job = audit_fail_if_stalled(job=AuditJob.objects.get(pk=queued_job.pk))
    assert job.status == AuditJob.Status.RUNNING

    queued = []
    monkeypatch.setattr(audit_run_task, "apply_async", lambda *a, **k: queued.append(a))
    stalled = timezone.now() - timedelta(seconds=700)
    AuditJob.objects.filter(pk=queued_job.pk).update(started_at=stalled, attempts=1)
    job = audit_fail_if_stalled(job=AuditJob.objects.get(pk=queued_job.pk))
    assert (job.status, len(queued)) == (AuditJob.Status.QUEUED, 1)

    AuditJob.objects.filter(pk=queued_job.pk).update(
        status="RUNNING", started_at=stalled, attempts=2
    )
    job = audit_fail_if_stalled(job=AuditJob.objects.get(pk=queued_job.pk))
    assert (job.status, job.error_message) == (AuditJob.Status.FAILED, STALLED)
    assert job.finished_at is not None
    assert len(queued) == 1
