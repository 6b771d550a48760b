"""Reads of organizations, memberships, factors and factories that other layers share."""

from collections.abc import Collection
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from audits.tables import Column, TableSpec, TableState

from .models import EnergySource, Factory, Membership, Organization, Sector


def membership_get_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("organization").filter(user=user).first()


def membership_require(*, user: AbstractBaseUser | AnonymousUser) -> Membership:
    """The user's membership; PermissionDenied (403) for a user outside every organization."""
    membership = membership_get_for_user(user=user)
    if membership is None:
        raise PermissionDenied("Your account is not a member of any organization yet.")
    return membership


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


# Above this many codes a lookup reads all of the organization's factories at once;
# below it, only those codes (a small upload to a large organization stays quick).
CODE_LOOKUP_LIMIT = 20_000
_CODE_LOOKUP_CHUNK = 5_000  # bound parameters per query


def factory_field_by_code(
    *, organization: Organization, field: str, codes: Collection[str] | None = None
) -> dict[str, Any]:
    """``{code: field}`` for the organization's factories.

    With ``codes``, only those factories are needed: up to ``CODE_LOOKUP_LIMIT`` codes
    they are looked up (in chunks of bound parameters), above it all are read at once.
    """
    factories = Factory.objects.filter(organization=organization)
    wanted = None if codes is None else sorted(set(codes))
    if wanted is None or len(wanted) > CODE_LOOKUP_LIMIT:
        return dict(factories.values_list("code", field))
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), _CODE_LOOKUP_CHUNK):
        chunk = wanted[start : start + _CODE_LOOKUP_CHUNK]
        found.update(factories.filter(code__in=chunk).values_list("code", field))
    return found


def factory_registered_sectors(
    *, organization: Organization, codes: Collection[str] | None = None
) -> dict[str, str]:
    """Factory code -> sector name for the organization's registered factories.

    With ``codes``, only those factories are needed (others may be left out).
    """
    return factory_field_by_code(organization=organization, field="sector__name", codes=codes)


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


# --- pages: factories with their latest audited status ------------------------------


def _latest_result(field: str):
    """The value of `field` on the factory's result in its most recent successful audit."""
    from audits.models import AuditJob, FactoryResult

    return Subquery(
        FactoryResult.objects.filter(factory=OuterRef("pk"), job__status=AuditJob.Status.SUCCEEDED)
        .order_by("-job__reporting_year", "-job__created_at")
        .values(field)[:1]
    )


def factory_with_latest_status(*, user) -> QuerySet[Factory]:
    """The user's factories annotated with their latest audited status, total, cap and year,
    in one query (correlated subqueries, not one query per factory)."""
    return factory_list_for_user(user=user).annotate(
        latest_status=_latest_result("status"),
        latest_total_kg=_latest_result("total_emissions_kg"),
        latest_cap_kg=_latest_result("carbon_cap_kg"),
        latest_year=_latest_result("job__reporting_year"),
        latest_job_id=_latest_result("job_id"),
    )


FACTORY_TABLE = TableSpec(
    columns=(
        Column("code", "Factory", ("code",)),
        Column("name", "Name", ("name", "code")),
        Column("sector", "Sector", ("sector__name", "code")),
        Column("country", "Country", ("country", "code")),
        Column("year", "Latest audit", ("latest_year", "code"), numeric=True),
        Column("total", "Latest total (t CO₂)", ("latest_total_kg",), numeric=True),
        Column("status", "Latest status", ("latest_status", "code")),
    ),
    default_sort="code",
    filters={"sector": None, "status": ["COMPLIANT", "EXCEEDED", "none"]},
)


def factory_table_page(*, user, state: TableState) -> Page:
    factories = factory_with_latest_status(user=user)
    if "sector" in state.filters:
        factories = factories.filter(sector__name=state.filters["sector"])
    if state.filters.get("status") == "none":
        factories = factories.filter(latest_status__isnull=True)
    elif "status" in state.filters:
        factories = factories.filter(latest_status=state.filters["status"])
    if state.query:
        factories = factories.filter(
            Q(code__icontains=state.query) | Q(name__icontains=state.query)
        )
    order = [
        F(name[1:]).desc(nulls_last=True) if name.startswith("-") else F(name).asc(nulls_last=True)
        for name in state.order_by()
    ]
    return state.paginate(
        factories.only("code", "name", "country", "sector__name").order_by(*order)
    )


def factory_globe_markers(*, user) -> list[dict]:
    """Every located factory with its latest status, for the globe and the list beside it."""
    rows = (
        factory_with_latest_status(user=user)
        .filter(latitude__isnull=False, longitude__isnull=False)
        .values("id", "code", "name", "country", "latitude", "longitude", "latest_status")
    )
    return [
        {
            "id": row["id"],
            "code": row["code"],
            "name": row["name"],
            "country": row["country"],
            "lat": row["latitude"],
            "lon": row["longitude"],
            "status": (row["latest_status"] or "none").lower(),
        }
        for row in rows
    ]


def sector_names() -> list[str]:
    return list(Sector.objects.order_by("name").values_list("name", flat=True))


def factory_audit_history(*, factory: Factory) -> list:
    """The factory's results in every successful audit, newest reporting year first."""
    from audits.models import AuditJob, FactoryResult

    return list(
        FactoryResult.objects.filter(factory=factory, job__status=AuditJob.Status.SUCCEEDED)
        .select_related("job", "job__created_by")
        .defer("job__factors_snapshot", "job__cleaning_report", "job__summary")
        .order_by("-job__reporting_year", "-job__created_at")
    )
