"""Through the API with a token and a real Celery worker: upload, poll, download every file."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import token_client
from tests.integration.test_worker import (  # noqa: F401 - fixtures shared with the page test
    media_root,
    shared_media,
    worker,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 120


def test_upload_poll_and_download_with_a_token(worker, configured_factors, officer, sample_csv):  # noqa: F811
    client: APIClient = token_client(officer)
    with sample_csv.open("rb") as handle:
        response = client.post("/api/v1/audits/", {"file": handle, "reporting_year": 2026})
    assert response.status_code == 202, response.content
    location = response["Location"]

    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        job = client.get(location).json()
        if job["finished"]:
            break
        assert 0 <= job["progress"] <= 100
        assert time.monotonic() < deadline, worker.read_text()
        time.sleep(0.2)

    assert job["status"] == "SUCCEEDED", job["error_message"]
    assert job["summary"]["total_factories"] == 50
    assert len(job["violators"]) <= 10
    assert set(job["sector_breakdown"]) == {"Steel", "Textile", "Electronics"}
    assert len(job["cleaning_report"]) == 10
    expected = {
        "summary.csv": ("text/csv", b"factory_id"),
        "emissions_chart.png": ("image/png", b"\x89PNG"),
        "rejected_rows.csv": ("text/csv", b"line_number"),
        "cleaned.csv": ("text/csv", b"line_number"),
    }
    assert set(job["files"]) == set(expected)
    for name, url in job["files"].items():
        download = client.get(url)
        assert download.status_code == 200, name
        content_type, start = expected[name]
        assert download["Content-Type"] == content_type
        assert b"".join(download.streaming_content).startswith(start), name

    factories = client.get(f"{location}factories/", {"ordering": "-total_emissions_kg"}).json()
    assert factories["count"] == 50
    totals = [row["total_emissions_kg"] for row in factories["results"]]
    assert totals == sorted(totals, reverse=True)
    assert client.get(f"{location}rejected-rows/").json()["count"] == 0
