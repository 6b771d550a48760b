from django.apps import AppConfig


class FactoriesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "factories"
    verbose_name = "Organizations and factories"
