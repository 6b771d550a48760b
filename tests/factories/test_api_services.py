"""factory_update, sector and energy-source writes, token_rotate / token_revoke."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from factories.services import (
    energy_source_create,
    factory_update,
    sector_update,
    token_revoke,
    token_rotate,
)
from tests.builders import FactoryFactory, SectorFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_factory_update_changes_only_editable_fields():
    factory = FactoryFactory()
    factory_update(factory=factory, data={"name": "New", "carbon_cap_kg": 5.0})
    factory.refresh_from_db()
    assert (factory.name, factory.carbon_cap_kg) == ("New", 5.0)
    with pytest.raises(ValueError, match="code"):
        factory_update(factory=factory, data={"code": "X"})
    with pytest.raises(ValidationError):
        factory_update(factory=factory, data={"carbon_cap_kg": 0})


def test_sector_update_validates():
    sector = SectorFactory()
    with pytest.raises(ValidationError):
        sector_update(sector=sector, data={"carbon_cap_kg": -1})


def test_energy_source_create_normalises_aliases():
    source = energy_source_create(
        data={
            "key": "biomass",
            "label": "Biomass",
            "multiplier": 0.5,
            "aliases": [" Wood ", "wood"],
        }
    )
    assert source.aliases == ["wood"]


def test_token_rotate_replaces_and_revoke_deletes():
    user = UserFactory()
    first = token_rotate(user=user).key
    second = token_rotate(user=user).key
    assert first != second
    assert list(Token.objects.filter(user=user).values_list("key", flat=True)) == [second]
    assert token_revoke(user=user) is True
    assert token_revoke(user=user) is False
