"""Writes of organizations, memberships, factors and factories."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token

from .models import EnergySource, Factory, Membership, Organization, Sector


@dataclass(frozen=True)
class FactorsLoadResult:
    sectors_created: int
    sectors_updated: int
    energy_sources_created: int
    energy_sources_updated: int


@transaction.atomic
def factors_load(*, path: str | Path, update_existing: bool = False) -> FactorsLoadResult:
    """Load sectors and energy sources from a sectors.json file.

    Missing rows are created. Existing rows are left alone unless update_existing,
    so that factors edited in the admin survive a restart of the application.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    counts = {"sc": 0, "su": 0, "ec": 0, "eu": 0}

    for item in data["sectors"]:
        fields = {
            "production_per_ton": float(item["production_per_ton"]),
            "energy_per_mwh": float(item["energy_per_mwh"]),
            "material_processing_per_ton": float(item["material_processing_per_ton"]),
            "carbon_cap_kg": float(item["carbon_cap_kg"]),
        }
        sector = Sector.objects.filter(name__iexact=item["name"]).first()
        if sector is None:
            sector = Sector(name=item["name"], **fields)
            counts["sc"] += 1
        elif update_existing:
            for name, value in fields.items():
                setattr(sector, name, value)
            counts["su"] += 1
        else:
            continue
        sector.full_clean()
        sector.save()

    for item in data["energy_sources"]:
        fields = {
            "label": item.get("label") or item["key"],
            "multiplier": float(item["multiplier"]),
            "aliases": list(item.get("aliases", [])),
        }
        source = EnergySource.objects.filter(key=item["key"]).first()
        if source is None:
            source = EnergySource(key=item["key"], **fields)
            counts["ec"] += 1
        elif update_existing:
            for name, value in fields.items():
                setattr(source, name, value)
            counts["eu"] += 1
        else:
            continue
        source.full_clean()
        source.save()

    return FactorsLoadResult(counts["sc"], counts["su"], counts["ec"], counts["eu"])


def organization_get_or_create(*, name: str) -> Organization:
    organization, _ = Organization.objects.get_or_create(name=name)
    return organization


def membership_set(*, user, organization: Organization, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, defaults={"organization": organization, "role": role}
    )
    return membership


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


DEMO_ORGANIZATION = "Demo Steel & Textiles"
DEMO_ACCOUNTS = (
    DemoAccount("officer", "carbontrace-officer", "officer"),
    DemoAccount("viewer", "carbontrace-viewer", "viewer"),
    DemoAccount("admin", "carbontrace-admin", "superuser"),
)


@transaction.atomic
def demo_seed() -> tuple[Organization, tuple[DemoAccount, ...]]:
    """Create (or reset) the demo organization and its accounts. Safe to run repeatedly."""
    user_model = get_user_model()
    organization = organization_get_or_create(name=DEMO_ORGANIZATION)
    for account in DEMO_ACCOUNTS:
        user, _ = user_model.objects.get_or_create(username=account.username)
        user.set_password(account.password)
        user.email = f"{account.username}@demo.carbontrace.local"
        is_superuser = account.role == "superuser"
        user.is_staff = is_superuser
        user.is_superuser = is_superuser
        user.save()
        role = Membership.Role.OFFICER if account.role != "viewer" else Membership.Role.VIEWER
        membership_set(user=user, organization=organization, role=role)
    return organization, DEMO_ACCOUNTS


# --- factories, factors and API tokens ----------------------------------------------

FACTORY_EDITABLE_FIELDS = ("name", "country", "latitude", "longitude", "carbon_cap_kg")
SECTOR_FIELDS = (
    "name",
    "production_per_ton",
    "energy_per_mwh",
    "material_processing_per_ton",
    "carbon_cap_kg",
)
ENERGY_SOURCE_FIELDS = ("key", "label", "multiplier", "aliases")


def _assign_and_save(instance, data: dict, allowed: tuple[str, ...]):
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def factory_update(*, factory: Factory, data: dict) -> Factory:
    """Change a factory's name, location or own cap (None falls back to the sector's cap).

    The code, sector and organization are not editable: results refer to them.
    """
    return _assign_and_save(factory, data, FACTORY_EDITABLE_FIELDS)


@transaction.atomic
def sector_create(*, data: dict) -> Sector:
    return _assign_and_save(Sector(), data, SECTOR_FIELDS)


@transaction.atomic
def sector_update(*, sector: Sector, data: dict) -> Sector:
    return _assign_and_save(sector, data, SECTOR_FIELDS)


def sector_delete(*, sector: Sector) -> None:
    """Delete a sector no factory uses; ProtectedError otherwise."""
    sector.delete()


@transaction.atomic
def energy_source_create(*, data: dict) -> EnergySource:
    return _assign_and_save(EnergySource(), data, ENERGY_SOURCE_FIELDS)


@transaction.atomic
def energy_source_update(*, source: EnergySource, data: dict) -> EnergySource:
    return _assign_and_save(source, data, ENERGY_SOURCE_FIELDS)


def energy_source_delete(*, source: EnergySource) -> None:
    source.delete()


@transaction.atomic
def token_rotate(*, user) -> Token:
    """Give the user a new API token; the previous one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def token_revoke(*, user) -> bool:
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
