"""Audit jobs and their per-factory results.

A job keeps everything needed to reproduce it: the uploaded file and its SHA-256,
and the exact factors it used. That leaves room for a restatement (a new job with
new factors over the same source file, linked to the original), a sign-off by a
second officer, and a per-number trace, without changing what is stored here.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from factories.models import Factory, Organization

from .fields import PlainJSONField


def job_file_path(job: "AuditJob", filename: str) -> str:
    return f"audits/{job.pk}/{filename}"


class AuditJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "QUEUED", "Queued"
        RUNNING = "RUNNING", "Running"
        SUCCEEDED = "SUCCEEDED", "Succeeded"
        FAILED = "FAILED", "Failed"

    FINISHED_STATUSES = (Status.SUCCEEDED, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="audit_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_jobs",
    )
    reporting_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    stage = models.CharField(max_length=64, blank=True, default="Waiting for a worker")

    source_file = models.FileField(upload_to=job_file_path, max_length=255)
    source_name = models.CharField(max_length=255)
    source_sha256 = models.CharField(max_length=64)

    factors_snapshot = models.JSONField(
        default=dict, help_text="The factors (and factory cap overrides) this audit used."
    )
    cleaning_report = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    summary_csv = models.FileField(upload_to=job_file_path, max_length=255, blank=True)
    chart_png = models.FileField(upload_to=job_file_path, max_length=255, blank=True)
    rejected_csv = models.FileField(upload_to=job_file_path, max_length=255, blank=True)
    cleaned_csv = models.FileField(upload_to=job_file_path, max_length=255, blank=True)

    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0,
        help_text="How many times a worker started this job (a stalled run is retried once).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="auditjob_org_created"),
            models.Index(fields=["status"], name="auditjob_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=100),
                name="auditjob_progress_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"Audit {self.reporting_year} of {self.source_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def artifacts(self) -> dict[str, models.fields.files.FieldFile]:
        """Stored artifact files by name, only those that exist."""
        files = {
            "summary": self.summary_csv,
            "chart": self.chart_png,
            "rejected": self.rejected_csv,
            "cleaned": self.cleaned_csv,
            "source": self.source_file,
        }
        return {kind: field for kind, field in files.items() if field}


class FactoryResult(models.Model):
    """One factory's audited year within one job."""

    class Status(models.TextChoices):
        COMPLIANT = "COMPLIANT", "Compliant"
        EXCEEDED = "EXCEEDED", "Exceeded"

    job = models.ForeignKey(AuditJob, on_delete=models.CASCADE, related_name="results")
    factory = models.ForeignKey(Factory, on_delete=models.PROTECT, related_name="results")
    # Copied from the factory at audit time so tables sort and filter without joins
    # and a later rename does not rewrite history.
    factory_code = models.CharField(max_length=64)
    sector = models.CharField(max_length=100)

    monthly_emissions_kg = PlainJSONField(
        default=list, help_text="12 entries, January first; null for a month not reported."
    )
    production_kg = models.FloatField()
    energy_kg = models.FloatField()
    material_kg = models.FloatField()
    total_emissions_kg = models.FloatField(help_text="Year-to-date total.")
    carbon_cap_kg = models.FloatField()
    status = models.CharField(max_length=16, choices=Status.choices)
    first_breach_month = models.PositiveSmallIntegerField(null=True, blank=True)
    alerts_count = models.PositiveSmallIntegerField(default=0)
    months_reported = models.PositiveSmallIntegerField()
    projected_annual_kg = models.FloatField()
    max_monthly_emissions_kg = models.FloatField(default=0)
    avg_monthly_emissions_kg = models.FloatField(default=0)

    class Meta:
        ordering = ["factory_code"]
        constraints = [
            models.UniqueConstraint(fields=["job", "factory"], name="factoryresult_one_per_job"),
        ]
        indexes = [
            models.Index(fields=["job", "-total_emissions_kg"], name="result_job_total"),
            models.Index(fields=["job", "status"], name="result_job_status"),
            # The dashboard's per-sector top factories and the factories table filtered by
            # sector and sorted by total read the first rows of this index, not the
            # tens of thousands of a large audit's sector.
            models.Index(
                fields=["job", "sector", "-total_emissions_kg", "factory_code"],
                name="result_job_sector_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.factory_code}: {self.total_emissions_kg:,.0f} kg ({self.status})"
