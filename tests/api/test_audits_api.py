"""The audits API: upload, list, detail, results, rejected rows, files, delete, errors."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from audits.models import AuditJob, FactoryResult
from tests.builders import AuditJobFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/audits/"


def upload(client, path: Path, year=2026, **extra):
    with path.open("rb") as handle:
        return client.post(LIST, {"file": handle, "reporting_year": year}, **extra)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:1000]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


# --- upload -------------------------------------------------------------------------


def test_upload_answers_202_with_the_job_and_its_location(
    officer_api, configured_factors, sample_csv
):
    response = upload(officer_api, sample_csv)
    assert response.status_code == 202, response.content
    body = response.json()
    job = AuditJob.objects.get(pk=body["id"])
    assert response["Location"] == f"/api/v1/audits/{job.pk}/"
    assert body["status"] == "QUEUED"
    assert body["reporting_year"] == 2026
    assert body["source_name"] == "monthly_production.csv"
    assert len(body["source_sha256"]) == 64
    assert body["factors"]["sectors"]
    assert body["summary"] is None


def test_upload_with_missing_columns_is_400_naming_them(
    officer_api, configured_factors, missing_columns_csv
):
    error = assert_error(upload(officer_api, missing_columns_csv), 400, "validation_error")
    assert "energy_used_mwh" in error["message"]
    assert "energy_used_mwh" in error["details"]["file"][0]
    assert not AuditJob.objects.exists()


def test_upload_of_a_wrong_type_is_400(officer_api, configured_factors, tmp_path):
    path = tmp_path / "data.pdf"
    path.write_bytes(b"%PDF-1.4")
    error = assert_error(upload(officer_api, path), 400, "validation_error")
    assert ".csv or .xlsx" in error["details"]["file"][0]


def test_upload_of_a_fake_workbook_is_400(officer_api, configured_factors, tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"factory_id,sector\n")
    assert_error(upload(officer_api, path), 400, "validation_error")


def test_upload_of_a_non_utf8_header_is_400(officer_api, configured_factors, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("fábrica,sector\n".encode("latin-1"))
    error = assert_error(upload(officer_api, path), 400, "validation_error")
    assert "UTF-8" in error["message"]


def test_a_workbook_header_is_checked_too(officer_api, configured_factors, tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["factory_id", "sector", "month"])
    workbook.active.append(["FAC_1", "Steel", 1])
    path = tmp_path / "short.xlsx"
    workbook.save(path)
    error = assert_error(upload(officer_api, path), 400, "validation_error")
    assert "monthly_production_tons" in error["message"]


def test_too_large_an_upload_is_413(officer_api, configured_factors, sample_csv, settings):
    settings.CARBONTRACE_MAX_UPLOAD_BYTES = 1000
    error = assert_error(upload(officer_api, sample_csv), 413, "payload_too_large")
    assert "limit" in error["message"]


def test_missing_fields_are_listed(officer_api, configured_factors):
    error = assert_error(officer_api.post(LIST, {}, format="multipart"), 400, "validation_error")
    assert set(error["details"]) == {"file", "reporting_year"}


def test_an_out_of_range_year_is_400(officer_api, configured_factors, sample_csv):
    error = assert_error(upload(officer_api, sample_csv, year=1800), 400, "validation_error")
    assert "reporting_year" in error["details"]


def test_json_is_an_unsupported_media_type(officer_api):
    response = officer_api.post(LIST, {"reporting_year": 2026}, format="json")
    assert_error(response, 415, "unsupported_media_type")


def test_malformed_multipart_is_400(officer_api):
    response = officer_api.generic(
        "POST",
        LIST,
        b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nabc',
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code in (400, 415)
    assert "error" in response.json()


def test_a_viewer_cannot_upload(viewer_api, configured_factors, sample_csv):
    assert_error(upload(viewer_api, sample_csv), 403, "permission_denied")


def test_uploads_are_throttled_with_retry_information(officer_api, configured_factors, sample_csv):
    with mock.patch.object(ScopedRateThrottle, "THROTTLE_RATES", {"uploads": "2/min"}):
        assert upload(officer_api, sample_csv).status_code == 202
        assert upload(officer_api, sample_csv).status_code == 202
        response = upload(officer_api, sample_csv)
    error = assert_error(response, 429, "throttled")
    assert error["details"]["retry_after_seconds"] > 0
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db(transaction=True)
def test_when_the_queue_is_down_the_file_is_kept_and_the_job_says_so(
    officer_api, configured_factors, sample_csv
):
    # Outside any test transaction, as in production: on_commit runs before the answer.
    with mock.patch("audits.tasks.audit_run_task.apply_async", side_effect=OSError("down")):
        response = upload(officer_api, sample_csv)
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["stage"]) == ("QUEUED", "Waiting for the audit queue")
    assert "will be processed when the queue is back" in body["error_message"]
    assert AuditJob.objects.get(pk=body["id"]).source_file


# --- list and detail ----------------------------------------------------------------


def test_list_is_paginated_filtered_and_ordered(officer_api, organization, other_organization):
    AuditJobFactory(organization=organization, reporting_year=2024)
    AuditJobFactory(organization=organization, reporting_year=2025, status="SUCCEEDED")
    AuditJobFactory(organization=organization, reporting_year=2026)
    AuditJobFactory(organization=other_organization, reporting_year=2026)

    body = officer_api.get(LIST, {"page_size": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]
    assert [
        j["reporting_year"] for j in officer_api.get(LIST, {"year": 2026}).json()["results"]
    ] == [2026]
    assert officer_api.get(LIST, {"status": "SUCCEEDED"}).json()["count"] == 1
    years = [
        j["reporting_year"]
        for j in officer_api.get(LIST, {"ordering": "reporting_year"}).json()["results"]
    ]
    assert years == [2024, 2025, 2026]
    assert_error(officer_api.get(LIST, {"status": "BOGUS"}), 400, "validation_error")
    assert_error(officer_api.get(LIST, {"page": 99}), 404, "not_found")


def test_detail_has_the_summary_in_the_documented_shape(officer_api, finished_job):
    body = officer_api.get(f"{LIST}{finished_job.pk}/").json()
    assert body["status"] == "SUCCEEDED"
    assert body["progress"] == 100
    assert body["summary"] == {
        "total_factories": 3,
        "total_emissions_kg": 36000.0,
        "total_emissions_tons": 36.0,
        "total_alerts": 2,
        "factories_over_cap": 1,
    }
    assert body["sector_breakdown"]["Steel"]["avg_per_factory_kg"] == 12000.0
    assert body["violators"][0]["factory_id"] == "FAC_A"
    assert body["cleaning_report"] == []
    assert body["source_sha256"] == "0" * 64
    assert "sectors" in body["factors"]
    assert set(body["files"]) == {
        "summary.csv",
        "emissions_chart.png",
        "rejected_rows.csv",
        "cleaned.csv",
    }
    assert body["files"]["summary.csv"].endswith(
        f"/api/v1/audits/{finished_job.pk}/files/summary.csv"
    )


def test_another_organizations_audit_is_404(outsider_api, finished_job):
    for suffix in ("", "factories/", "rejected-rows/", "files/summary.csv"):
        assert_error(outsider_api.get(f"{LIST}{finished_job.pk}/{suffix}"), 404, "not_found")


# --- factory results ----------------------------------------------------------------


def test_factory_results_filter_search_order(officer_api, finished_job):
    url = f"{LIST}{finished_job.pk}/factories/"
    body = officer_api.get(url).json()
    assert [r["factory_code"] for r in body["results"]] == ["FAC_A", "FAC_B", "FAC_C"]
    first = body["results"][0]
    assert first["factory_name"] == "Plant FAC_A"
    assert len(first["monthly_emissions_kg"]) == 12
    assert first["status"] == "EXCEEDED"
    assert officer_api.get(url, {"sector": "textile"}).json()["count"] == 1
    assert officer_api.get(url, {"status": "EXCEEDED"}).json()["count"] == 1
    assert [
        r["factory_code"] for r in officer_api.get(url, {"search": "fac_b"}).json()["results"]
    ] == ["FAC_B"]
    assert officer_api.get(url, {"search": "Plant FAC_C"}).json()["count"] == 1
    codes = [
        r["factory_code"]
        for r in officer_api.get(url, {"ordering": "total_emissions_kg"}).json()["results"]
    ]
    assert codes == ["FAC_C", "FAC_B", "FAC_A"]
    assert officer_api.get(url, {"page_size": 1000}).status_code == 200


def test_factory_results_take_a_fixed_number_of_queries(
    officer_api, finished_job, django_assert_max_num_queries
):
    from tests.builders import FactoryResultFactory

    FactoryResultFactory.create_batch(30, job=finished_job)
    with django_assert_max_num_queries(8):
        body = officer_api.get(f"{LIST}{finished_job.pk}/factories/", {"page_size": 100}).json()
    assert body["count"] == 33


# --- rejected rows and files -----------------------------------------------------------


def test_rejected_rows_are_paginated_from_the_artifact(viewer_api, finished_job):
    url = f"{LIST}{finished_job.pk}/rejected-rows/"
    body = viewer_api.get(url, {"page_size": 2}).json()
    assert body["count"] == 3
    assert body["results"][0] == {
        "line_number": 5,
        "factory_id": "FAC_X",
        "column": "month",
        "value": "13",
        "reason": "month must be 1..12",
    }
    assert len(body["results"]) == 2
    second = viewer_api.get(body["next"]).json()
    assert [r["line_number"] for r in second["results"]] == [12]


def test_rejected_rows_of_an_unfinished_job_are_empty(viewer_api, organization):
    job = AuditJobFactory(organization=organization)
    assert viewer_api.get(f"{LIST}{job.pk}/rejected-rows/").json()["count"] == 0


@pytest.mark.parametrize(
    ("name", "content_type", "filename"),
    [
        ("summary.csv", "text/csv", "audit_summary_2026.csv"),
        ("emissions_chart.png", "image/png", "emissions_chart.png"),
        ("rejected_rows.csv", "text/csv", "rejected_rows.csv"),
        ("cleaned.csv", "text/csv", "cleaned.csv"),
    ],
)
def test_files_are_streamed_with_type_and_name(
    viewer_api, finished_job, name, content_type, filename
):
    response = viewer_api.get(f"{LIST}{finished_job.pk}/files/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert f'filename="{filename}"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content)


def test_an_unknown_or_missing_file_is_404(viewer_api, finished_job, organization):
    assert_error(viewer_api.get(f"{LIST}{finished_job.pk}/files/secrets.txt"), 404, "not_found")
    queued = AuditJobFactory(organization=organization)
    assert_error(viewer_api.get(f"{LIST}{queued.pk}/files/summary.csv"), 404, "not_found")


# --- delete ---------------------------------------------------------------------------


def test_an_officer_deletes_the_job_its_results_and_files(
    officer_api, finished_job, django_capture_on_commit_callbacks
):
    names = [field.name for field in finished_job.artifacts.values()]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_api.delete(f"{LIST}{finished_job.pk}/")
    assert response.status_code == 204
    assert not AuditJob.objects.filter(pk=finished_job.pk).exists()
    assert not FactoryResult.objects.filter(job_id=finished_job.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert_error(officer_api.get(f"{LIST}{finished_job.pk}/"), 404, "not_found")


def test_a_viewer_cannot_delete(viewer_api, finished_job):
    assert_error(viewer_api.delete(f"{LIST}{finished_job.pk}/"), 403, "permission_denied")
    assert AuditJob.objects.filter(pk=finished_job.pk).exists()


def test_a_running_job_cannot_be_deleted(officer_api, organization):
    from django.utils import timezone

    job = AuditJobFactory(organization=organization, status="RUNNING", started_at=timezone.now())
    assert_error(officer_api.delete(f"{LIST}{job.pk}/"), 409, "conflict")


def test_the_reverse_names(finished_job):
    assert (
        reverse("api:audit-detail", args=[finished_job.pk]) == f"/api/v1/audits/{finished_job.pk}/"
    )
