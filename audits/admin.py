from django.contrib import admin

from .models import AuditJob, FactoryResult


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FactoryResultInline(admin.TabularInline):
    model = FactoryResult
    fields = [
        "factory_code",
        "sector",
        "total_emissions_kg",
        "carbon_cap_kg",
        "status",
        "first_breach_month",
    ]
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    show_change_link = False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditJob)
class AuditJobAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "organization",
        "reporting_year",
        "status",
        "progress",
        "source_name",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "organization", "reporting_year"]
    search_fields = ["id", "source_name", "source_sha256"]
    list_select_related = ["organization", "created_by"]
    inlines = [FactoryResultInline]
    # Files are never served by URL (MEDIA_URL is off); show their stored names instead.
    exclude = ["source_file", "summary_csv", "chart_png", "rejected_csv", "cleaned_csv"]
    readonly_fields = ["stored_files"]

    @admin.display(description="Stored files")
    def stored_files(self, job: AuditJob) -> str:
        return ", ".join(field.name for field in job.artifacts.values()) or "-"


@admin.register(FactoryResult)
class FactoryResultAdmin(ReadOnlyAdmin):
    list_display = ["factory_code", "sector", "job", "total_emissions_kg", "status"]
    list_filter = ["status", "sector"]
    search_fields = ["factory_code"]
