"""A bounded schemathesis run against the live schema: no 500, no response off the schema.

Runs the schemathesis CLI against a live server on the test database, authenticated with
the token of an officer whose organization has a finished audit. The figures (operations,
cases, failures) are printed with the summary line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db(transaction=True)

MAX_EXAMPLES = 12
TIME_LIMIT_SECONDS = 240


@pytest.fixture
def api_live_server(request, settings):
    # Django's live server wraps the app in a media handler built from MEDIA_URL, which
    # Carbon-Trace leaves unset (files go through views only); give it a dead prefix.
    settings.MEDIA_URL = "/media-not-served-by-carbon-trace/"
    return request.getfixturevalue("live_server")


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    api_live_server, officer, finished_job, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr("carbontrace_site.health._broker_up", lambda: True)
    client = token_client(officer)
    token = client._credentials["HTTP_AUTHORIZATION"]
    report = tmp_path / "schemathesis.ndjson"
    # Real identifiers, so the per-audit operations reach their logic, not only 404.
    factory = finished_job.results.select_related("factory").first().factory
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\njob_id = "{finished_job.pk}"\nfactory_id = {factory.pk}\n')
    started = time.monotonic()
    completed = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(config),
            "run",
            f"{api_live_server.url}/api/schema/",
            "--url",
            api_live_server.url,
            "-H",
            f"Authorization: {token}",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "2026",
            "--no-shrink",
            "--workers",
            "1",
            "--request-timeout",
            "20",
            # Revoking the token would sign the run out halfway.
            "--exclude-operation-id",
            "auth_token_destroy",
            "--suppress-health-check",
            "all",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_SECONDS,
        check=False,
    )
    elapsed = time.monotonic() - started
    output = completed.stdout + completed.stderr
    with capsys.disabled():
        print(f"\nschemathesis ({elapsed:.0f} s):\n" + output[output.find("SUMMARY") :])
    assert completed.returncode == 0, output[-6000:]
    assert report.exists() and report.read_text().strip(), output[-2000:]
    json.loads(report.read_text().splitlines()[0])
