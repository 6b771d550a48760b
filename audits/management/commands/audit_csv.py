import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audits.models import AuditJob
from audits.services import audit_create, audit_run
from factories.models import Organization


class Command(BaseCommand):
    help = (
        "Audit a production file synchronously (no worker needed) and print the summary. "
        "Exit code 1 when the file cannot be audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV or .xlsx file of monthly production")
        parser.add_argument("--org", required=True, help="Name of the organization audited")
        parser.add_argument("--year", type=int, default=timezone.now().year)
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON")

    def handle(self, *args, path: str, org: str, year: int, json: bool, **options):
        organization = Organization.objects.filter(name=org).first()
        if organization is None:
            known = ", ".join(Organization.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"Organization “{org}” does not exist (known: {known}).")
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"File not found: {path}")

        try:
            with source.open("rb") as handle:
                job = audit_create(
                    organization=organization,
                    uploaded_file=File(handle, name=source.name),
                    reporting_year=year,
                    enqueue=False,
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

        job = audit_run(job_id=job.pk)
        report = self._report(job)
        if json:
            self.stdout.write(_dumps(report))
        else:
            self._print_text(report)
        if job.status != AuditJob.Status.SUCCEEDED:
            raise CommandError(job.error_message)

    def _report(self, job: AuditJob) -> dict:
        files = {kind: field.path for kind, field in job.artifacts.items() if kind != "source"}
        return {
            "job_id": str(job.pk),
            "organization": job.organization.name,
            "reporting_year": job.reporting_year,
            "status": job.status,
            "error_message": job.error_message or None,
            "source": {"name": job.source_name, "sha256": job.source_sha256},
            **(job.summary or {}),
            "files": files,
        }

    def _print_text(self, report: dict) -> None:
        write = self.stdout.write
        write(
            f"Audit {report['job_id']} of {report['organization']}, "
            f"{report['reporting_year']}: {report['status']}"
        )
        totals = report.get("summary")
        if totals:
            write(
                f"  {totals['total_factories']} factories, "
                f"{totals['total_emissions_tons']:,.1f} t CO2, "
                f"{totals['factories_over_cap']} over their cap, "
                f"{totals['total_alerts']} months in alert"
            )
            rows = report.get("rows", {})
            write(
                f"  rows read {rows.get('read')}, cleaned {rows.get('cleaned')}, "
                f"rejected {rows.get('rejected')}"
            )
            for item in report.get("violators", []):
                write(
                    f"  over cap: {item['factory_id']} ({item['sector']}) "
                    f"{item['total_emissions_kg']:,.0f} kg > {item['carbon_cap_kg']:,.0f} kg"
                )
        for kind, file_path in report["files"].items():
            write(f"  {kind}: {file_path}")


def _dumps(data: dict) -> str:
    return json.dumps(data, indent=2, default=str)
