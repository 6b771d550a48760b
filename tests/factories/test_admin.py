import pytest
from django.urls import reverse

from factories.models import Sector

pytestmark = pytest.mark.django_db


def test_staff_edit_sectors_with_history(admin_client, configured_factors):
    steel = Sector.objects.get(name="Steel")
    url = reverse("admin:factories_sector_change", args=[steel.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "name": "Steel",
            "production_per_ton": "1900",
            "energy_per_mwh": "820",
            "material_processing_per_ton": "120",
            "carbon_cap_kg": "85000000",
        },
    )
    assert response.status_code == 302
    steel.refresh_from_db()
    assert steel.production_per_ton == 1900
    history = admin_client.get(reverse("admin:factories_sector_history", args=[steel.pk]))
    assert history.status_code == 200
    assert steel.history.count() == 2
    assert steel.history.first().history_user.username == "admin"


def test_the_admin_refuses_a_zero_cap(admin_client, configured_factors):
    steel = Sector.objects.get(name="Steel")
    response = admin_client.post(
        reverse("admin:factories_sector_change", args=[steel.pk]),
        {
            "name": "Steel",
            "production_per_ton": "1850",
            "energy_per_mwh": "820",
            "material_processing_per_ton": "120",
            "carbon_cap_kg": "0",
        },
    )
    assert response.status_code == 200
    assert b"must be greater than 0" in response.content
    steel.refresh_from_db()
    assert steel.carbon_cap_kg == 90_000_000


@pytest.mark.parametrize(
    "name",
    [
        "factories_energysource",
        "factories_factory",
        "factories_organization",
        "factories_membership",
    ],
)
def test_admin_lists_render(admin_client, configured_factors, name):
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
