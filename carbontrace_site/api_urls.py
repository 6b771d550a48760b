"""/api/v1/: the REST API (the OpenAPI schema and docs are at /api/schema/ and /api/docs/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from audits import api as audits_api
from factories import api as factories_api

from .health import HealthApi

app_name = "api"

router = SimpleRouter()
router.register("sectors", factories_api.SectorViewSet, basename="sector")
router.register("energy-sources", factories_api.EnergySourceViewSet, basename="energy-source")

urlpatterns = [
    path("health/", HealthApi.as_view(), name="health"),
    path("auth/token/", factories_api.TokenApi.as_view(), name="token"),
    path("audits/", audits_api.AuditListApi.as_view(), name="audit-list"),
    path("audits/<uuid:job_id>/", audits_api.AuditDetailApi.as_view(), name="audit-detail"),
    path(
        "audits/<uuid:job_id>/factories/",
        audits_api.AuditFactoriesApi.as_view(),
        name="audit-factories",
    ),
    path(
        "audits/<uuid:job_id>/rejected-rows/",
        audits_api.AuditRejectedRowsApi.as_view(),
        name="audit-rejected-rows",
    ),
    path(
        "audits/<uuid:job_id>/files/<str:filename>",
        audits_api.AuditFileApi.as_view(),
        name="audit-file",
    ),
    path("factories/", factories_api.FactoryListApi.as_view(), name="factory-list"),
    path(
        "factories/<int:factory_id>/",
        factories_api.FactoryDetailApi.as_view(),
        name="factory-detail",
    ),
    *router.urls,
]
