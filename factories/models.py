"""Who and what is audited: organizations, their members, sectors and factories."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

non_negative = MinValueValidator(0.0)


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in an organization. One organization per user for now."""

    class Role(models.TextChoices):
        OFFICER = "officer", "Compliance officer"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], name="membership_one_organization_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.organization} ({self.get_role_display()})"

    @property
    def is_officer(self) -> bool:
        return self.role == self.Role.OFFICER


class Sector(models.Model):
    """Emission factors of one industrial sector (kg CO2 per unit) and its annual cap."""

    name = models.CharField(max_length=100, unique=True)
    production_per_ton = models.FloatField(validators=[non_negative])
    energy_per_mwh = models.FloatField(validators=[non_negative])
    material_processing_per_ton = models.FloatField(validators=[non_negative])
    carbon_cap_kg = models.FloatField(help_text="Annual carbon cap in kg CO2; must be above 0.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(production_per_ton__gte=0)
                & models.Q(energy_per_mwh__gte=0)
                & models.Q(material_processing_per_ton__gte=0),
                name="sector_factors_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(carbon_cap_kg__gt=0), name="sector_cap_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.carbon_cap_kg is not None and self.carbon_cap_kg <= 0:
            raise ValidationError({"carbon_cap_kg": "The carbon cap must be greater than 0."})


class EnergySource(models.Model):
    """An energy source and the multiplier applied to the energy component only."""

    key = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    multiplier = models.FloatField(validators=[non_negative])
    aliases = models.JSONField(
        default=list, blank=True, help_text="Other spellings found in uploads, e.g. gas, solar."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(multiplier__gte=0), name="energy_multiplier_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if not isinstance(self.aliases, list) or not all(
            isinstance(alias, str) and alias.strip() for alias in self.aliases
        ):
            raise ValidationError({"aliases": "Aliases must be a list of non-empty strings."})
        self.aliases = sorted({alias.strip().lower() for alias in self.aliases})


class Factory(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="factories"
    )
    code = models.CharField(
        max_length=64, help_text="Identifier used in uploads, e.g. FAC_STEEL_01."
    )
    name = models.CharField(max_length=200, blank=True)
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="factories")
    country = models.CharField(max_length=100, blank=True)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)]
    )
    carbon_cap_kg = models.FloatField(
        null=True,
        blank=True,
        help_text="The factory's own annual cap in kg CO2; overrides its sector's cap.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "factories"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="factory_code_unique_per_organization"
            ),
            models.CheckConstraint(
                condition=models.Q(carbon_cap_kg__isnull=True) | models.Q(carbon_cap_kg__gt=0),
                name="factory_cap_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})" if self.name else self.code

    def clean(self) -> None:
        if self.carbon_cap_kg is not None and self.carbon_cap_kg <= 0:
            raise ValidationError({"carbon_cap_kg": "The carbon cap must be greater than 0."})

    @property
    def effective_cap_kg(self) -> float:
        return self.carbon_cap_kg if self.carbon_cap_kg is not None else self.sector.carbon_cap_kg
