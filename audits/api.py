"""The audits API: upload, follow, read, download and delete audit jobs.

One APIView per resource; each validates with its InputSerializer, calls one service or
selector, and renders with its OutputSerializer. Jobs of another organization answer 404.
"""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import filters, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from carbontrace_site.api_docs import READ_ERRORS, errors
from carbontrace_site.exceptions import Conflict, PayloadTooLarge
from carbontrace_site.pagination import PageNumberPagination
from carbontrace_site.permissions import IsMember, IsOfficerForWrites

from .models import AuditJob, FactoryResult
from .selectors import (
    audit_get_for_user,
    audit_list_for_user,
    audit_rejected_rows,
    audit_rejected_rows_count,
    audit_result_list,
)
from .services import AuditBusyError, audit_create, audit_delete, audit_fail_if_stalled
from .validators import upload_header_validate, upload_validate

# Public file name -> AuditJob field and content type.
ARTIFACTS = {
    "summary.csv": ("summary_csv", "text/csv"),
    "emissions_chart.png": ("chart_png", "image/png"),
    "rejected_rows.csv": ("rejected_csv", "text/csv"),
    "cleaned.csv": ("cleaned_csv", "text/csv"),
}


def _paginate(view: APIView, request, queryset, serializer_class):
    paginator = api_settings.DEFAULT_PAGINATION_CLASS()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


def _job(request, job_id) -> AuditJob:
    return audit_fail_if_stalled(job=audit_get_for_user(user=request.user, job_id=job_id))


def _absolute(request, name: str, *args) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


# --- serializers shared by the list and detail ----------------------------------------


class AuditJobListOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=AuditJob.Status.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    stage = serializers.CharField()
    finished = serializers.BooleanField(source="is_finished")
    reporting_year = serializers.IntegerField()
    source_name = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    error_message = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, job: AuditJob) -> str:
        return _absolute(self.context["request"], "api:audit-detail", job.pk)


class SummaryTotalsOutput(serializers.Serializer):
    total_factories = serializers.IntegerField()
    total_emissions_kg = serializers.FloatField()
    total_emissions_tons = serializers.FloatField()
    total_alerts = serializers.IntegerField()
    factories_over_cap = serializers.IntegerField()


class SectorBreakdownOutput(serializers.Serializer):
    factories = serializers.IntegerField()
    total_emissions_kg = serializers.FloatField()
    avg_per_factory_kg = serializers.FloatField()
    over_cap = serializers.IntegerField(required=False)


class AuditJobDetailOutput(AuditJobListOutput):
    source_sha256 = serializers.CharField()
    summary = serializers.SerializerMethodField()
    sector_breakdown = serializers.SerializerMethodField()
    violators = serializers.SerializerMethodField()
    cleaning_report = serializers.JSONField()
    rows = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    factors = serializers.JSONField(source="factors_snapshot")

    def _part(self, job: AuditJob, key: str):
        return (job.summary or {}).get(key)

    def get_summary(self, job: AuditJob) -> SummaryTotalsOutput(allow_null=True):  # type: ignore[valid-type]
        return self._part(job, "summary")

    def get_sector_breakdown(  # type: ignore[valid-type]
        self, job: AuditJob
    ) -> serializers.DictField(child=SectorBreakdownOutput(), allow_null=True):
        return self._part(job, "sector_breakdown")

    def get_violators(  # type: ignore[valid-type]
        self, job: AuditJob
    ) -> serializers.ListField(child=serializers.DictField()):
        return self._part(job, "violators") or []

    def get_rows(  # type: ignore[valid-type]
        self, job: AuditJob
    ) -> serializers.DictField(child=serializers.IntegerField(), allow_null=True):
        return self._part(job, "rows")

    def get_files(  # type: ignore[valid-type]
        self, job: AuditJob
    ) -> serializers.DictField(child=serializers.URLField()):
        request = self.context["request"]
        return {
            name: _absolute(request, "api:audit-file", job.pk, name)
            for name, (field, _) in ARTIFACTS.items()
            if getattr(job, field)
        }


# --- /audits/ -----------------------------------------------------------------------


class AuditFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="reporting_year")
    status = django_filters.ChoiceFilter(choices=AuditJob.Status.choices)

    class Meta:
        model = AuditJob
        fields = ["year", "status"]


class AuditListApi(APIView):
    """List the organization's audits, or upload a file to start one."""

    permission_classes = (IsMember, IsOfficerForWrites)
    pagination_class = PageNumberPagination
    parser_classes = (MultiPartParser, FormParser)
    throttle_scope = "uploads"
    queryset = AuditJob.objects.none()  # for the schema's filter parameters only
    filter_backends = (django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter)
    filterset_class = AuditFilter
    ordering_fields = ("created_at", "reporting_year", "status")
    ordering = ("-created_at",)

    @extend_schema_serializer(component_name="AuditUpload")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(
            help_text="Monthly production data: .csv (UTF-8) or .xlsx, one row per factory "
            "and month, with the required columns."
        )
        reporting_year = serializers.IntegerField(min_value=1990, max_value=2100)

        def validate_file(self, uploaded):
            max_bytes = settings.CARBONTRACE_MAX_UPLOAD_BYTES
            if uploaded.size is not None and uploaded.size > max_bytes:
                raise PayloadTooLarge(
                    f"The file is {uploaded.size / 1_048_576:.1f} MB; the limit is "
                    f"{max_bytes / 1_048_576:.0f} MB. Split it into smaller files."
                )
            try:
                extension = upload_validate(uploaded)
                upload_header_validate(uploaded, extension=extension)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages, code=exc.code) from exc
            return uploaded

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="audits_list",
        parameters=[
            OpenApiParameter("year", int, description="Reporting year."),
            OpenApiParameter("status", str, enum=AuditJob.Status.values),
            OpenApiParameter(
                "ordering",
                str,
                enum=[
                    "created_at",
                    "-created_at",
                    "reporting_year",
                    "-reporting_year",
                    "status",
                    "-status",
                ],
            ),
        ],
        responses={200: AuditJobListOutput(many=True), **errors(400, *READ_ERRORS)},
    )
    def get(self, request):
        queryset = audit_list_for_user(user=request.user)
        for backend in self.filter_backends:
            queryset = backend().filter_queryset(request, queryset, self)
        return _paginate(self, request, queryset, AuditJobListOutput)

    @extend_schema(
        operation_id="audits_create",
        request={"multipart/form-data": InputSerializer},
        responses={
            202: OpenApiResponse(
                AuditJobDetailOutput,
                description="The job, QUEUED; `Location` is its URL. If the task queue is "
                "down the file is kept, the job stays QUEUED with stage 'Waiting for the "
                "audit queue' and an error_message saying so, and it is processed when the "
                "queue is back.",
            ),
            **errors(400, 401, 403, 413, 415, 429),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = audit_create(
            organization=request.membership.organization,
            uploaded_file=serializer.validated_data["file"],
            reporting_year=serializer.validated_data["reporting_year"],
            created_by=request.user,
        )
        job.refresh_from_db()
        data = AuditJobDetailOutput(job, context={"request": request}).data
        return Response(
            data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("api:audit-detail", args=[job.pk])},
        )


class AuditDetailApi(APIView):
    """One audit: status, progress and, once finished, its summary and files."""

    permission_classes = (IsMember, IsOfficerForWrites)

    @extend_schema(
        operation_id="audits_retrieve",
        responses={200: AuditJobDetailOutput, **errors(*READ_ERRORS)},
    )
    def get(self, request, job_id):
        job = _job(request, job_id)
        response = Response(AuditJobDetailOutput(job, context={"request": request}).data)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        operation_id="audits_destroy",
        responses={
            204: OpenApiResponse(description="Deleted with its results and files."),
            **errors(*READ_ERRORS, 409),
        },
    )
    def delete(self, request, job_id):
        job = _job(request, job_id)
        try:
            audit_delete(job=job)
        except AuditBusyError as exc:
            raise Conflict(str(exc)) from exc
        except ProtectedError as exc:  # pragma: no cover - nothing protects a job today
            raise Conflict("This audit is referenced elsewhere and cannot be deleted.") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- /audits/{id}/factories/ ----------------------------------------------------------


class FactoryResultFilter(django_filters.FilterSet):
    sector = django_filters.CharFilter(field_name="sector", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=FactoryResult.Status.choices)

    class Meta:
        model = FactoryResult
        fields = ["sector", "status"]


RESULT_ORDERING = (
    "total_emissions_kg",
    "factory_code",
    "sector",
    "status",
    "first_breach_month",
    "alerts_count",
    "carbon_cap_kg",
    "projected_annual_kg",
)


class AuditFactoriesApi(APIView):
    """Per-factory results of one audit, with the 12 monthly figures."""

    permission_classes = (IsMember,)
    pagination_class = PageNumberPagination
    filter_backends = (
        django_filters.rest_framework.DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    )
    filterset_class = FactoryResultFilter
    queryset = FactoryResult.objects.none()  # for the schema's filter parameters only
    search_fields = ("factory_code", "factory__name")
    ordering_fields = RESULT_ORDERING
    ordering = ("-total_emissions_kg",)

    @extend_schema_serializer(component_name="FactoryResult")
    class OutputSerializer(serializers.Serializer):
        factory_id = serializers.IntegerField(help_text="Id of the factory (/factories/{id}/).")
        factory_code = serializers.CharField()
        factory_name = serializers.CharField(source="factory.name")
        country = serializers.CharField(source="factory.country")
        sector = serializers.CharField()
        status = serializers.ChoiceField(choices=FactoryResult.Status.choices)
        monthly_emissions_kg = serializers.ListField(
            child=serializers.FloatField(allow_null=True), min_length=12, max_length=12
        )
        production_kg = serializers.FloatField()
        energy_kg = serializers.FloatField()
        material_kg = serializers.FloatField()
        total_emissions_kg = serializers.FloatField()
        carbon_cap_kg = serializers.FloatField()
        first_breach_month = serializers.IntegerField(allow_null=True)
        alerts_count = serializers.IntegerField()
        months_reported = serializers.IntegerField()
        projected_annual_kg = serializers.FloatField()

    @extend_schema(
        operation_id="audits_factories_list",
        parameters=[
            OpenApiParameter("sector", str, description="Sector name (case-insensitive)."),
            OpenApiParameter("status", str, enum=FactoryResult.Status.values),
            OpenApiParameter("search", str, description="Part of the factory code or name."),
            OpenApiParameter(
                "ordering",
                str,
                enum=[f"{sign}{name}" for name in RESULT_ORDERING for sign in ("", "-")],
            ),
        ],
        responses={200: OutputSerializer(many=True), **errors(400, *READ_ERRORS)},
    )
    def get(self, request, job_id):
        job = _job(request, job_id)
        queryset = audit_result_list(job=job)
        for backend in self.filter_backends:
            queryset = backend().filter_queryset(request, queryset, self)
        return _paginate(self, request, queryset, self.OutputSerializer)


# --- /audits/{id}/rejected-rows/ ------------------------------------------------------


class _Rows:
    """A sliceable view of the rejected_rows.csv file, for the page-number paginator."""

    def __init__(self, job: AuditJob) -> None:
        self.job = job

    def count(self) -> int:
        return audit_rejected_rows_count(job=self.job)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice):
        return audit_rejected_rows(
            job=self.job, offset=item.start or 0, limit=(item.stop or 0) - (item.start or 0)
        )


class AuditRejectedRowsApi(APIView):
    """Rows the cleaning dropped, with their line in the file and the reason, in file order."""

    permission_classes = (IsMember,)
    pagination_class = PageNumberPagination

    @extend_schema_serializer(component_name="RejectedRow")
    class OutputSerializer(serializers.Serializer):
        line_number = serializers.IntegerField(allow_null=True)
        factory_id = serializers.CharField(allow_blank=True)
        column = serializers.CharField(allow_blank=True)
        value = serializers.CharField(allow_blank=True)
        reason = serializers.CharField()

    @extend_schema(
        operation_id="audits_rejected_rows_list",
        responses={200: OutputSerializer(many=True), **errors(*READ_ERRORS)},
    )
    def get(self, request, job_id):
        job = _job(request, job_id)
        return _paginate(self, request, _Rows(job), self.OutputSerializer)


# --- /audits/{id}/files/{name} --------------------------------------------------------


class AuditFileApi(APIView):
    """Download one artifact of a finished audit, streamed."""

    permission_classes = (IsMember,)

    @extend_schema(
        operation_id="audits_files_retrieve",
        parameters=[
            OpenApiParameter("filename", str, OpenApiParameter.PATH, enum=list(ARTIFACTS)),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="A CSV file."),
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The chart."),
            **errors(*READ_ERRORS),
        },
    )
    def get(self, request, job_id, filename):
        job = _job(request, job_id)
        if filename not in ARTIFACTS:
            raise Http404(f"No file {filename!r}; available: {', '.join(ARTIFACTS)}.")
        field_name, content_type = ARTIFACTS[filename]
        field = getattr(job, field_name)
        if not field or not field.storage.exists(field.name):
            raise Http404("This file is not available (yet) for this audit.")
        return FileResponse(
            field.open("rb"),
            as_attachment=True,
            filename=field.name.rsplit("/", 1)[-1],
            content_type=content_type,
        )
