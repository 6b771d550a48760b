"""Shared fixtures: users in organizations, configured factors, sample files, services."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection

from tests.builders import MembershipFactory, OrganizationFactory, UserFactory

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CSV = REPO_ROOT / "data" / "monthly_production.csv"
REQUIRE_SERVICES = os.environ.get("CARBONTRACE_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    """Skip a test whose service is missing, or fail it when CI requires the services."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CARBONTRACE_REQUIRE_SERVICES=1 requires it)")
    pytest.skip(reason)


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that opens the test database this session created."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = quote(db.get("USER") or "")
        password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        auth = f"{user}{password}@" if user else ""
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"
    raise RuntimeError(f"No subprocess URL for {db['ENGINE']}")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def configured_factors(db) -> None:
    """The default sectors and energy sources of config/sectors.json, in the database."""
    call_command("load_factors", stdout=io.StringIO())


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Northwind Steel")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Southwind Textiles")


@pytest.fixture
def officer(organization):
    return MembershipFactory(organization=organization, role="officer").user


@pytest.fixture
def viewer(organization):
    return MembershipFactory(organization=organization, role="viewer").user


@pytest.fixture
def outsider(other_organization):
    return MembershipFactory(organization=other_organization, role="officer").user


@pytest.fixture
def user_without_organization(db):
    return UserFactory()


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def sample_csv(tmp_path) -> Path:
    """The sample production file (50 factories x 12 months), copied so tests may not alter it."""
    target = tmp_path / "monthly_production.csv"
    if SAMPLE_CSV.exists():
        shutil.copyfile(SAMPLE_CSV, target)
    else:
        from audits.engine import write_sample_csv

        write_sample_csv(target)
    return target


@pytest.fixture
def missing_columns_csv(tmp_path) -> Path:
    target = tmp_path / "missing_columns.csv"
    target.write_text(
        "factory_id,sector,month,monthly_production_tons\nFAC_STEEL_01,Steel,1,100\n",
        encoding="utf-8",
    )
    return target
