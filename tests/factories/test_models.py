import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from factories.models import Membership, Sector
from tests.builders import (
    EnergySourceFactory,
    FactoryFactory,
    MembershipFactory,
    OrganizationFactory,
    SectorFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "field", ["production_per_ton", "energy_per_mwh", "material_processing_per_ton"]
)
def test_sector_factors_must_not_be_negative(field):
    sector = SectorFactory.build(name="Cement", **{field: -1.0})
    with pytest.raises(ValidationError) as excinfo:
        sector.full_clean()
    assert field in excinfo.value.message_dict


@pytest.mark.parametrize("cap", [0.0, -5.0])
def test_sector_cap_must_be_positive(cap):
    sector = SectorFactory.build(name="Cement", carbon_cap_kg=cap)
    with pytest.raises(ValidationError) as excinfo:
        sector.full_clean()
    assert "carbon_cap_kg" in excinfo.value.message_dict


def test_sector_zero_factor_is_allowed():
    sector = SectorFactory.build(name="Cement", material_processing_per_ton=0.0)
    sector.full_clean()
    sector.save()
    assert Sector.objects.get(name="Cement").material_processing_per_ton == 0.0


def test_database_rejects_a_non_positive_cap_even_without_validation():
    with pytest.raises(IntegrityError), transaction.atomic():
        Sector.objects.create(
            name="Cement",
            production_per_ton=1,
            energy_per_mwh=1,
            material_processing_per_ton=1,
            carbon_cap_kg=0,
        )


def test_sector_changes_are_kept_in_history():
    sector = SectorFactory(name="Cement", carbon_cap_kg=1_000_000.0)
    sector.carbon_cap_kg = 2_000_000.0
    sector.save()
    caps = list(sector.history.order_by("history_date").values_list("carbon_cap_kg", flat=True))
    assert caps == [1_000_000.0, 2_000_000.0]


def test_energy_source_aliases_are_normalised_and_history_kept():
    source = EnergySourceFactory.build(key="biogas", multiplier=0.5, aliases=[" Bio Gas ", "BIO"])
    source.full_clean()
    source.save()
    assert source.aliases == ["bio", "bio gas"]
    source.multiplier = 0.6
    source.save()
    assert source.history.count() == 2


def test_energy_source_aliases_must_be_strings():
    source = EnergySourceFactory.build(key="biogas", aliases=["ok", 3])
    with pytest.raises(ValidationError):
        source.full_clean()


def test_energy_multiplier_must_not_be_negative():
    source = EnergySourceFactory.build(key="biogas", multiplier=-0.1)
    with pytest.raises(ValidationError) as excinfo:
        source.full_clean()
    assert "multiplier" in excinfo.value.message_dict


def test_factory_code_is_unique_per_organization_only():
    factory = FactoryFactory(code="FAC_STEEL_01")
    FactoryFactory(code="FAC_STEEL_01", organization=OrganizationFactory(name="Other"))
    with pytest.raises(IntegrityError), transaction.atomic():
        FactoryFactory(code="FAC_STEEL_01", organization=factory.organization)


@pytest.mark.parametrize(("field", "value"), [("latitude", 91.0), ("longitude", -181.0)])
def test_factory_coordinates_are_validated(field, value):
    factory = FactoryFactory.build(
        organization=OrganizationFactory(), sector=SectorFactory(), **{field: value}
    )
    with pytest.raises(ValidationError) as excinfo:
        factory.full_clean()
    assert field in excinfo.value.message_dict


def test_factory_own_cap_overrides_the_sector_cap():
    sector = SectorFactory(carbon_cap_kg=5_000_000.0)
    assert FactoryFactory(sector=sector).effective_cap_kg == 5_000_000.0
    assert FactoryFactory(sector=sector, carbon_cap_kg=1_000.0).effective_cap_kg == 1_000.0


def test_factory_own_cap_must_be_positive():
    factory = FactoryFactory.build(
        organization=OrganizationFactory(), sector=SectorFactory(), carbon_cap_kg=0.0
    )
    with pytest.raises(ValidationError) as excinfo:
        factory.full_clean()
    assert "carbon_cap_kg" in excinfo.value.message_dict


def test_a_user_belongs_to_one_organization():
    user = UserFactory()
    MembershipFactory(user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=user, organization=OrganizationFactory(name="Second"))


def test_membership_roles():
    assert MembershipFactory(role=Membership.Role.OFFICER).is_officer
    assert not MembershipFactory(role=Membership.Role.VIEWER).is_officer
