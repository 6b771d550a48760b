"""Reads of organizations, memberships, factors and factories that other layers share."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from .models import EnergySource, Factory, Membership, Organization, Sector


def membership_get_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("organization").filter(user=user).first()


def factors_as_dict() -> dict:
    """The configured factors in the shape of config/sectors.json (FactorSet.from_dict input)."""
    return {
        "sectors": [
            {
                "name": sector.name,
                "production_per_ton": sector.production_per_ton,
                "energy_per_mwh": sector.energy_per_mwh,
                "material_processing_per_ton": sector.material_processing_per_ton,
                "carbon_cap_kg": sector.carbon_cap_kg,
            }
            for sector in Sector.objects.order_by("name")
        ],
        "energy_sources": [
            {
                "key": source.key,
                "label": source.label,
                "multiplier": source.multiplier,
                "aliases": list(source.aliases),
            }
            for source in EnergySource.objects.order_by("key")
        ],
    }


def factory_registered_sectors(*, organization: Organization) -> dict[str, str]:
    """Factory code -> sector name for the organization's registered factories."""
    return dict(
        Factory.objects.filter(organization=organization).values_list("code", "sector__name")
    )


def factory_cap_overrides(*, organization: Organization) -> dict[str, float]:
    return dict(
        Factory.objects.filter(organization=organization, carbon_cap_kg__isnull=False).values_list(
            "code", "carbon_cap_kg"
        )
    )


def factory_list_for_user(*, user) -> QuerySet[Factory]:
    membership = membership_get_for_user(user=user)
    if membership is None:
        return Factory.objects.none()
    return (
        Factory.objects.filter(organization=membership.organization)
        .select_related("sector")
        .order_by("code")
    )


def factory_get_for_user(*, user, factory_id) -> Factory:
    """The factory if it belongs to the user's organization; Http404 otherwise."""
    try:
        return factory_list_for_user(user=user).get(pk=int(factory_id))
    except (Factory.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No factory here.") from exc
