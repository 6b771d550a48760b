"""A large audit split by factory across workers gives exactly the single-worker results."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import AuditJob, FactoryResult
from audits.services import audit_create, audit_run
from carbontrace_site.celery import app as celery_app

pytestmark = pytest.mark.django_db

RESULT_FIELDS = (
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
    "max_monthly_emissions_kg",
    "avg_monthly_emissions_kg",
)


@pytest.fixture
def dirty_csv(tmp_path) -> Path:
    from audits.engine import generate_dirty_frame

    path = tmp_path / "dirty.csv"
    generate_dirty_frame(rows=2_400, seed=5).to_csv(path, index=False)
    return path


@pytest.fixture
def eager_chords(monkeypatch):
    # The chord runs in this process, as a worker would run it, without a broker.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def run_audit(organization, path: Path) -> AuditJob:
    job = audit_create(
        organization=organization,
        uploaded_file=SimpleUploadedFile("dirty.csv", path.read_bytes()),
        reporting_year=2026,
        enqueue=False,
    )
    return audit_run(job_id=job.pk)


def results(job: AuditJob) -> list[tuple]:
    return list(
        FactoryResult.objects.filter(job=job).order_by("factory_code").values_list(*RESULT_FIELDS)
    )


def test_partitioned_job_equals_the_single_pass(
    configured_factors, organization, dirty_csv, settings, eager_chords, media_root
):
    from factories.models import Sector

    # A tighter Textile cap, so that some factories breach it and violators are compared.
    Sector.objects.filter(name="Textile").update(carbon_cap_kg=5_000_000)
    settings.CARBONTRACE_PARTITION_ROWS = 1_000_000
    single = run_audit(organization, dirty_csv)
    assert single.status == AuditJob.Status.SUCCEEDED, single.error_message
    assert "partitions" not in single.summary["timings_s"]

    settings.CARBONTRACE_PARTITION_ROWS = 500
    settings.CARBONTRACE_MAX_PARTITIONS = 4
    parted = AuditJob.objects.get(pk=run_audit(organization, dirty_csv).pk)
    assert parted.status == AuditJob.Status.SUCCEEDED, parted.error_message
    assert parted.summary["timings_s"]["partitions"] == 4

    assert len(results(single)) == 200
    assert results(parted) == results(single)
    for key in ("summary", "sector_breakdown", "violators", "rows", "cleaning_report"):
        assert parted.summary[key] == single.summary[key], key
    assert 0 < parted.summary["summary"]["factories_over_cap"] < 200
    assert parted.cleaning_report == single.cleaning_report
    summary_csv = Path(parted.summary_csv.path).read_bytes()
    assert summary_csv == Path(single.summary_csv.path).read_bytes()
    assert not (media_root / "audits" / str(parted.pk) / "partitions").exists()


def test_a_failed_partition_fails_the_job(
    configured_factors, organization, dirty_csv, settings, eager_chords, monkeypatch
):
    from audits import services

    settings.CARBONTRACE_PARTITION_ROWS = 500
    calls = []
    real_audit_frame = services.audit_frame

    def second_partition_breaks(frame, *args, **kwargs):
        calls.append(len(frame))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_audit_frame(frame, *args, **kwargs)

    monkeypatch.setattr(services, "audit_frame", second_partition_breaks)
    job = AuditJob.objects.get(pk=run_audit(organization, dirty_csv).pk)
    assert job.status == AuditJob.Status.FAILED
    assert job.error_message == services.GENERIC_FAILURE
    assert not FactoryResult.objects.filter(job=job).exists()
