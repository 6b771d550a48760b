"""factory_boy factories for the models (named builders to stay clear of the `factories` app)."""

import factory as fb
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from audits.models import AuditJob, FactoryResult
from factories.models import EnergySource, Factory, Membership, Organization, Sector

TEST_PASSWORD = "a-long-test-password"


class UserFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = fb.Sequence(lambda n: f"user{n}")
    email = fb.LazyAttribute(lambda user: f"{user.username}@example.com")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", TEST_PASSWORD)
        user = model_class(*args, **kwargs)
        user.set_password(password)
        user.save()
        return user


class OrganizationFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = fb.Sequence(lambda n: f"Organization {n}")


class MembershipFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = fb.SubFactory(UserFactory)
    organization = fb.SubFactory(OrganizationFactory)
    role = Membership.Role.OFFICER


class SectorFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("name",)

    name = fb.Sequence(lambda n: f"Sector {n}")
    production_per_ton = 1000.0
    energy_per_mwh = 500.0
    material_processing_per_ton = 50.0
    carbon_cap_kg = 10_000_000.0


class EnergySourceFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = EnergySource
        django_get_or_create = ("key",)

    key = fb.Sequence(lambda n: f"source_{n}")
    label = fb.LazyAttribute(lambda source: source.key.replace("_", " ").title())
    multiplier = 1.0
    aliases = fb.LazyFunction(list)


class FactoryFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Factory

    organization = fb.SubFactory(OrganizationFactory)
    code = fb.Sequence(lambda n: f"FAC_TEST_{n:02d}")
    name = fb.LazyAttribute(lambda f: f"Plant {f.code}")
    sector = fb.SubFactory(SectorFactory)
    country = "Germany"
    latitude = 51.0
    longitude = 7.0


class AuditJobFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = AuditJob

    organization = fb.SubFactory(OrganizationFactory)
    created_by = None
    reporting_year = 2026
    source_name = "monthly_production.csv"
    source_sha256 = "0" * 64
    source_file = fb.LazyFunction(lambda: ContentFile(b"factory_id,sector\n", name="source.csv"))


class FactoryResultFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = FactoryResult

    job = fb.SubFactory(AuditJobFactory)
    factory = fb.SubFactory(FactoryFactory, organization=fb.SelfAttribute("..job.organization"))
    factory_code = fb.LazyAttribute(lambda r: r.factory.code)
    sector = fb.LazyAttribute(lambda r: r.factory.sector.name)
    monthly_emissions_kg = fb.LazyFunction(lambda: [1000.0] * 12)
    production_kg = 6000.0
    energy_kg = 4000.0
    material_kg = 2000.0
    total_emissions_kg = 12000.0
    carbon_cap_kg = 10_000_000.0
    status = FactoryResult.Status.COMPLIANT
    first_breach_month = None
    alerts_count = 0
    months_reported = 12
    projected_annual_kg = 12000.0
