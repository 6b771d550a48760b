import io
import json

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from audits.engine import FactorSet
from factories.models import EnergySource, Membership, Organization, Sector
from factories.selectors import (
    factors_as_dict,
    factory_cap_overrides,
    factory_registered_sectors,
    membership_get_for_user,
)
from factories.services import DEMO_ORGANIZATION, demo_seed, factors_load
from tests.builders import FactoryFactory, SectorFactory
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.django_db
SECTORS_JSON = REPO_ROOT / "config" / "sectors.json"


def test_factors_load_creates_the_design_factors():
    result = factors_load(path=SECTORS_JSON)
    assert (result.sectors_created, result.energy_sources_created) == (3, 5)
    steel = Sector.objects.get(name="Steel")
    assert (
        steel.production_per_ton,
        steel.energy_per_mwh,
        steel.material_processing_per_ton,
        steel.carbon_cap_kg,
    ) == (1850, 820, 120, 90_000_000)
    assert Sector.objects.get(name="Textile").carbon_cap_kg == 7_500_000
    assert Sector.objects.get(name="Electronics").energy_per_mwh == 680
    multipliers = dict(EnergySource.objects.values_list("key", "multiplier"))
    assert multipliers == {
        "coal": 1.25,
        "natural_gas": 0.85,
        "grid": 1.0,
        "renewable": 0.35,
        "nuclear": 0.15,
    }
    assert set(EnergySource.objects.get(key="renewable").aliases) == {"solar", "wind", "hydro"}


def test_factors_load_is_idempotent_and_keeps_admin_edits():
    factors_load(path=SECTORS_JSON)
    steel = Sector.objects.get(name="Steel")
    steel.carbon_cap_kg = 80_000_000
    steel.save()

    again = factors_load(path=SECTORS_JSON)
    assert (again.sectors_created, again.sectors_updated) == (0, 0)
    assert Sector.objects.count() == 3
    assert EnergySource.objects.count() == 5
    assert Sector.objects.get(name="Steel").carbon_cap_kg == 80_000_000

    factors_load(path=SECTORS_JSON, update_existing=True)
    assert Sector.objects.get(name="Steel").carbon_cap_kg == 90_000_000


def test_load_factors_command_reports_counts():
    out = io.StringIO()
    call_command("load_factors", stdout=out)
    assert "Sectors: 3 created" in out.getvalue()


def test_factors_from_the_database_round_trip_through_the_engine(configured_factors):
    data = factors_as_dict()
    factor_set = FactorSet.from_dict(data)
    assert factor_set.sector("steel").carbon_cap_kg == 90_000_000
    assert factor_set.resolve_energy_source("Natural Gas") == "natural_gas"
    assert factor_set.resolve_energy_source("solar") == "renewable"
    assert FactorSet.from_dict(factor_set.to_dict()) == factor_set
    json.dumps(factor_set.to_dict())


def test_registered_sectors_and_cap_overrides_are_per_organization(organization):
    steel = SectorFactory(name="Steel")
    FactoryFactory(organization=organization, code="FAC_A", sector=steel, carbon_cap_kg=1e6)
    FactoryFactory(organization=organization, code="FAC_B", sector=steel)
    FactoryFactory(code="FAC_C", sector=steel, carbon_cap_kg=5.0)
    assert factory_registered_sectors(organization=organization) == {
        "FAC_A": "Steel",
        "FAC_B": "Steel",
    }
    assert factory_cap_overrides(organization=organization) == {"FAC_A": 1e6}


def test_registered_sectors_of_given_codes_are_looked_up_in_chunks(organization, monkeypatch):
    from factories import selectors

    steel, textile = SectorFactory(name="Steel"), SectorFactory(name="Textile")
    for number in range(7):
        FactoryFactory(
            organization=organization,
            code=f"FAC_{number}",
            sector=steel if number % 2 else textile,
        )
    FactoryFactory(code="FAC_1", sector=textile)  # another organization's
    monkeypatch.setattr(selectors, "_CODE_LOOKUP_CHUNK", 2)
    codes = {"FAC_1", "FAC_2", "FAC_3", "FAC_4", "FAC_5", "NEW"}
    assert factory_registered_sectors(organization=organization, codes=codes) == {
        "FAC_1": "Steel",
        "FAC_2": "Textile",
        "FAC_3": "Steel",
        "FAC_4": "Textile",
        "FAC_5": "Steel",
    }
    # Past the limit, the whole organization is read in one query.
    monkeypatch.setattr(selectors, "CODE_LOOKUP_LIMIT", 3)
    assert len(factory_registered_sectors(organization=organization, codes=codes)) == 7


def test_demo_seed_is_idempotent_and_credentials_work():
    demo_seed()
    organization, accounts = demo_seed()
    assert Organization.objects.filter(name=DEMO_ORGANIZATION).count() == 1
    assert organization.name == DEMO_ORGANIZATION
    roles = {}
    for account in accounts:
        user = authenticate(
            RequestFactory().post("/"), username=account.username, password=account.password
        )
        assert user is not None, account.username
        roles[account.username] = membership_get_for_user(user=user).role
    assert roles["officer"] == Membership.Role.OFFICER
    assert roles["viewer"] == Membership.Role.VIEWER
    admin = authenticate(RequestFactory().post("/"), username="admin", password="carbontrace-admin")
    assert admin.is_superuser


def test_seed_demo_command_prints_credentials():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "carbontrace-officer" in out.getvalue()
    assert "carbontrace-viewer" in out.getvalue()
