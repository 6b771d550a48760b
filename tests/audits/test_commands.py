import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audits.engine import write_sample_csv
from audits.models import AuditJob, FactoryResult
from tests.conftest import REPO_ROOT, database_url_for_subprocess


def test_audit_csv_prints_the_json_summary(configured_factors, organization, sample_csv):
    out = io.StringIO()
    call_command(
        "audit_csv",
        str(sample_csv),
        "--org",
        organization.name,
        "--year",
        "2025",
        "--json",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    job = AuditJob.objects.get(pk=report["job_id"])
    assert report["status"] == job.status == "SUCCEEDED"
    assert report["reporting_year"] == 2025
    assert report["summary"]["total_factories"] == 50
    assert report["summary"] == job.summary["summary"]
    assert set(report["sector_breakdown"]) == {"Steel", "Textile", "Electronics"}
    assert report["violators"] == job.summary["violators"]
    assert len(report["cleaning_report"]) == 10
    assert report["rows"]["read"] == 600
    assert set(report["files"]) == {"summary", "chart", "rejected", "cleaned"}
    assert Path(report["files"]["summary"]).name == "audit_summary_2025.csv"
    assert all(Path(path).is_file() for path in report["files"].values())
    assert job.created_by is None
    assert FactoryResult.objects.filter(job=job).count() == 50


def test_audit_csv_prints_a_readable_summary(configured_factors, organization, sample_csv):
    out = io.StringIO()
    call_command("audit_csv", str(sample_csv), "--org", organization.name, stdout=out)
    text = out.getvalue()
    assert ": SUCCEEDED" in text
    assert "50 factories" in text
    assert "over cap: " in text


def test_audit_csv_refuses_an_unknown_organization(configured_factors, organization, sample_csv):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("audit_csv", str(sample_csv), "--org", "Nobody Ltd")


def test_audit_csv_refuses_a_missing_file(configured_factors, organization, tmp_path):
    with pytest.raises(CommandError, match="File not found"):
        call_command("audit_csv", str(tmp_path / "nope.csv"), "--org", organization.name)


def test_audit_csv_refuses_a_wrong_file_type(configured_factors, organization, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    with pytest.raises(CommandError, match=r"\.csv or \.xlsx"):
        call_command("audit_csv", str(notes), "--org", organization.name)


@pytest.mark.django_db(transaction=True)
def test_audit_csv_exits_1_with_the_message_and_no_traceback(
    configured_factors, organization, missing_columns_csv, media_root
):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carbontrace_site.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "MEDIA_ROOT": str(media_root),
    }
    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "audit_csv",
            str(missing_columns_csv),
            "--org",
            organization.name,
            "--json",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1
    assert "energy_used_mwh" in completed.stderr
    assert "Traceback" not in completed.stderr
    report = json.loads(completed.stdout)
    assert report["status"] == "FAILED"
    assert AuditJob.objects.get(pk=report["job_id"]).status == "FAILED"


def test_generate_sample_writes_the_engine_sample(tmp_path):
    target = tmp_path / "out" / "sample.csv"
    out = io.StringIO()
    call_command("generate_sample", str(target), stdout=out)
    expected = tmp_path / "expected.csv"
    write_sample_csv(expected)
    assert target.read_bytes() == expected.read_bytes()
    assert str(target) in out.getvalue()
    assert target.read_text(encoding="utf-8").count("\n") == 601
