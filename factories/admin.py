from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import EnergySource, Factory, Membership, Organization, Sector


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Sector)
class SectorAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "production_per_ton",
        "energy_per_mwh",
        "material_processing_per_ton",
        "carbon_cap_kg",
    ]
    search_fields = ["name"]


@admin.register(EnergySource)
class EnergySourceAdmin(SimpleHistoryAdmin):
    list_display = ["key", "label", "multiplier", "aliases"]
    search_fields = ["key", "label"]


@admin.register(Factory)
class FactoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organization", "sector", "country", "carbon_cap_kg"]
    list_filter = ["organization", "sector", "country"]
    search_fields = ["code", "name"]
    list_select_related = ["organization", "sector"]
