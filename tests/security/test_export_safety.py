"""Exported CSVs open safely in a spreadsheet and still parse back to the same numbers.

End to end: hostile cells go in through an upload, come out of every CSV download with
formulas neutralised (a leading apostrophe), while every number reads back unchanged.
"""

from __future__ import annotations

import csv
import io
import math

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import AuditJob, FactoryResult
from audits.services import audit_create, audit_run
from tests.fixtures.bad_inputs.make_corpus import HERE, csv_text, good_rows, row

pytestmark = pytest.mark.django_db
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_safe(rows: list[list[str]]) -> None:
    for line in rows:
        for cell in line:
            if cell.startswith(TRIGGERS):
                assert plain_number(cell), f"formula cell exported as is: {cell!r}"


def download(client, job, kind) -> list[list[str]]:
    response = client.get(f"/audits/{job.pk}/files/{kind}/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def run(organization, data: bytes) -> AuditJob:
    job = audit_create(
        organization=organization,
        uploaded_file=SimpleUploadedFile("hostile.csv", data),
        reporting_year=2026,
        enqueue=False,
    )
    return audit_run(job_id=job.pk)


def test_summary_and_cleaned_csv_neutralise_formulas_and_keep_the_numbers(
    configured_factors, organization, officer_client
):
    job = run(organization, (HERE / "formula_cells.csv").read_bytes())
    assert job.status == AuditJob.Status.SUCCEEDED, job.error_message

    summary = download(officer_client, job, "summary")
    header, body = summary[0], summary[1:]
    assert_safe(summary)
    results = {r.factory_code: r for r in FactoryResult.objects.filter(job=job)}
    assert len(body) == len(results) == 3
    for line in body:
        record = dict(zip(header, line, strict=True))
        code = record["factory_id"]
        assert code.startswith("'")  # every code in this file is a formula
        result = results[code[1:]]
        assert math.isclose(
            float(record["year_to_date_emissions_kg"]), result.total_emissions_kg, abs_tol=1e-3
        )
        assert float(record["carbon_cap_kg"]) == result.carbon_cap_kg
    names = {dict(zip(header, line, strict=True))["factory_name"] for line in body}
    assert "'-2+3" in names

    cleaned = download(officer_client, job, "cleaned")
    assert_safe(cleaned)
    assert len(cleaned) == 1 + 36


def test_rejected_rows_csv_neutralises_the_rejected_values(
    configured_factors, organization, officer_client
):
    data = csv_text(
        *good_rows()[:10],
        row(month="=1+1"),
        row(month=12, tons="@SUM(A1:A3)", mwh="-5"),
    )
    job = run(organization, data)
    assert job.status == AuditJob.Status.SUCCEEDED, job.error_message
    rejected = download(officer_client, job, "rejected")
    assert_safe(rejected)
    values = [line[rejected[0].index("value")] for line in rejected[1:]]
    assert "'=1+1" in values
    assert "'@SUM(A1:A3)" in values or "-5" in values
