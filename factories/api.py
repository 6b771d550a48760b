"""The factories API: the organization's factories, sectors, energy sources and API tokens."""

from __future__ import annotations

import django_filters
from django.contrib.auth import authenticate
from django.db.models import ProtectedError
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import filters, serializers, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from carbontrace_site.api_docs import READ_ERRORS, errors
from carbontrace_site.exceptions import Conflict
from carbontrace_site.pagination import PageNumberPagination
from carbontrace_site.permissions import IsMember, IsOfficerForWrites, IsStaffForWrites

from .models import EnergySource, Factory, Sector
from .selectors import factory_get_for_user, factory_list_for_user
from .services import (
    energy_source_create,
    energy_source_delete,
    energy_source_update,
    factory_update,
    sector_create,
    sector_delete,
    sector_update,
    token_revoke,
    token_rotate,
)

# --- factories -------------------------------------------------------------------


class FactoryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    sector = serializers.CharField(source="sector.name")
    country = serializers.CharField(allow_blank=True)
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    carbon_cap_kg = serializers.FloatField(
        allow_null=True, help_text="The factory's own cap; null uses its sector's."
    )
    effective_cap_kg = serializers.FloatField()
    created_at = serializers.DateTimeField()


class FactoryFilter(django_filters.FilterSet):
    sector = django_filters.CharFilter(field_name="sector__name", lookup_expr="iexact")
    country = django_filters.CharFilter(lookup_expr="iexact")


FACTORY_ORDERING = ("code", "name", "country", "created_at")


class FactoryListApi(APIView):
    permission_classes = (IsMember,)
    pagination_class = PageNumberPagination
    filter_backends = (
        django_filters.rest_framework.DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    )
    filterset_class = FactoryFilter
    search_fields = ("code", "name")
    ordering_fields = FACTORY_ORDERING
    ordering = ("code",)
    queryset = Factory.objects.none()  # for the schema's filter parameters only

    @extend_schema(
        operation_id="factories_list",
        parameters=[
            OpenApiParameter("sector", str),
            OpenApiParameter("country", str),
            OpenApiParameter("search", str, description="Part of the code or name."),
            OpenApiParameter(
                "ordering",
                str,
                enum=[f"{sign}{name}" for name in FACTORY_ORDERING for sign in ("", "-")],
            ),
        ],
        responses={200: FactoryOutput(many=True), **errors(400, *READ_ERRORS)},
    )
    def get(self, request):
        queryset = factory_list_for_user(user=request.user)
        for backend in self.filter_backends:
            queryset = backend().filter_queryset(request, queryset, self)
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(FactoryOutput(page, many=True).data)


class FactoryDetailApi(APIView):
    permission_classes = (IsMember, IsOfficerForWrites)

    @extend_schema_serializer(component_name="FactoryUpdate")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, allow_blank=True, required=False)
        country = serializers.CharField(max_length=100, allow_blank=True, required=False)
        latitude = serializers.FloatField(
            min_value=-90, max_value=90, allow_null=True, required=False
        )
        longitude = serializers.FloatField(
            min_value=-180, max_value=180, allow_null=True, required=False
        )
        carbon_cap_kg = serializers.FloatField(
            min_value=0,
            allow_null=True,
            required=False,
            help_text="Must be above 0; null falls back to the sector's cap.",
        )

        def validate_carbon_cap_kg(self, value):
            if value is not None and value <= 0:
                raise serializers.ValidationError("The carbon cap must be greater than 0.")
            return value

    @extend_schema(
        operation_id="factories_retrieve",
        responses={200: FactoryOutput, **errors(*READ_ERRORS)},
    )
    def get(self, request, factory_id):
        factory = factory_get_for_user(user=request.user, factory_id=factory_id)
        return Response(FactoryOutput(factory).data)

    @extend_schema(
        operation_id="factories_partial_update",
        request=InputSerializer,
        responses={200: FactoryOutput, **errors(400, *READ_ERRORS, 415)},
    )
    def patch(self, request, factory_id):
        factory = factory_get_for_user(user=request.user, factory_id=factory_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        factory = factory_update(factory=factory, data=dict(serializer.validated_data))
        return Response(FactoryOutput(factory).data)


# --- sectors and energy sources (read: signed in; write: staff) ----------------------


class _FactorViewSet(viewsets.ViewSet):
    permission_classes = (IsStaffForWrites,)
    pagination_class = None
    model = None
    output = None

    def _get(self, pk):
        from django.http import Http404

        try:
            return self.model.objects.get(pk=int(pk))
        except (self.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
            raise Http404("Not found.") from exc

    def list(self, request):
        return Response(self.output(self.model.objects.all(), many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.output(self._get(pk)).data)

    def _delete(self, instance, delete):
        try:
            delete(instance)
        except ProtectedError as exc:
            raise Conflict(
                f"{instance} is still used by factories; reassign them before deleting it."
            ) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class SectorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    production_per_ton = serializers.FloatField(help_text="kg CO2 per ton produced.")
    energy_per_mwh = serializers.FloatField(help_text="kg CO2 per MWh.")
    material_processing_per_ton = serializers.FloatField(help_text="kg CO2 per ton of material.")
    carbon_cap_kg = serializers.FloatField(help_text="Annual cap, kg CO2.")


class SectorInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    production_per_ton = serializers.FloatField(min_value=0)
    energy_per_mwh = serializers.FloatField(min_value=0)
    material_processing_per_ton = serializers.FloatField(min_value=0)
    carbon_cap_kg = serializers.FloatField(min_value=0)

    def validate_name(self, value):
        others = Sector.objects.filter(name__iexact=value.strip())
        instance_pk = self.context.get("pk")
        if instance_pk is not None:
            others = others.exclude(pk=instance_pk)
        if others.exists():
            raise serializers.ValidationError("A sector with this name already exists.")
        return value.strip()

    def validate_carbon_cap_kg(self, value):
        if value <= 0:
            raise serializers.ValidationError("The carbon cap must be greater than 0.")
        return value


SECTOR_ERRORS = errors(400, 401, 403, 404, 409, 415)


@extend_schema(tags=["sectors"])
class SectorViewSet(_FactorViewSet):
    model = Sector
    queryset = Sector.objects.none()  # types the {id} path parameter in the schema
    output = SectorOutput

    def _input(self, request, partial, pk=None):
        serializer = SectorInput(data=request.data, partial=partial, context={"pk": pk})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(responses={200: SectorOutput(many=True), **errors(401)})
    def list(self, request):
        return super().list(request)

    @extend_schema(responses={200: SectorOutput, **errors(401, 404)})
    def retrieve(self, request, pk=None):
        return super().retrieve(request, pk)

    @extend_schema(request=SectorInput, responses={201: SectorOutput, **SECTOR_ERRORS})
    def create(self, request):
        sector = sector_create(data=self._input(request, partial=False))
        return Response(SectorOutput(sector).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SectorInput, responses={200: SectorOutput, **SECTOR_ERRORS})
    def partial_update(self, request, pk=None):
        sector = self._get(pk)
        sector = sector_update(sector=sector, data=self._input(request, True, pk=sector.pk))
        return Response(SectorOutput(sector).data)

    @extend_schema(responses={204: None, **errors(401, 403, 404, 409)})
    def destroy(self, request, pk=None):
        return self._delete(self._get(pk), lambda s: sector_delete(sector=s))


class EnergySourceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.SlugField()
    label = serializers.CharField()
    multiplier = serializers.FloatField(help_text="Applied to the energy component only.")
    aliases = serializers.ListField(child=serializers.CharField())


class EnergySourceInput(serializers.Serializer):
    key = serializers.SlugField(max_length=50)
    label = serializers.CharField(max_length=100)
    multiplier = serializers.FloatField(min_value=0)
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )

    def validate_key(self, value):
        others = EnergySource.objects.filter(key=value)
        if self.context.get("pk") is not None:
            others = others.exclude(pk=self.context["pk"])
        if others.exists():
            raise serializers.ValidationError("An energy source with this key already exists.")
        return value


@extend_schema(tags=["energy-sources"])
class EnergySourceViewSet(_FactorViewSet):
    model = EnergySource
    queryset = EnergySource.objects.none()  # types the {id} path parameter in the schema
    output = EnergySourceOutput

    def _input(self, request, partial, pk=None):
        serializer = EnergySourceInput(data=request.data, partial=partial, context={"pk": pk})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(responses={200: EnergySourceOutput(many=True), **errors(401)})
    def list(self, request):
        return super().list(request)

    @extend_schema(responses={200: EnergySourceOutput, **errors(401, 404)})
    def retrieve(self, request, pk=None):
        return super().retrieve(request, pk)

    @extend_schema(request=EnergySourceInput, responses={201: EnergySourceOutput, **SECTOR_ERRORS})
    def create(self, request):
        source = energy_source_create(data=self._input(request, partial=False))
        return Response(EnergySourceOutput(source).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EnergySourceInput, responses={200: EnergySourceOutput, **SECTOR_ERRORS})
    def partial_update(self, request, pk=None):
        source = self._get(pk)
        data = self._input(request, True, pk=source.pk)
        return Response(EnergySourceOutput(energy_source_update(source=source, data=data)).data)

    @extend_schema(responses={204: None, **errors(401, 403, 404, 409)})
    def destroy(self, request, pk=None):
        return self._delete(self._get(pk), lambda s: energy_source_delete(source=s))


# --- API tokens ----------------------------------------------------------------------


class TokenOutput(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


class TokenApi(APIView):
    """Exchange a username and password for a new token (the previous one stops working),
    or revoke the token used for this request."""

    throttle_scope = "token"

    @extend_schema_serializer(component_name="TokenRequest")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, style={"input_type": "password"})

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def initialize_request(self, request, *args, **kwargs):
        self._method = request.method
        return super().initialize_request(request, *args, **kwargs)

    def get_authenticators(self):
        # POST carries credentials in the body: a stale token header must not block it.
        if getattr(self, "_method", None) == "POST":
            return []
        return super().get_authenticators()

    @extend_schema(
        operation_id="auth_token_create",
        auth=[],
        request=InputSerializer,
        responses={200: TokenOutput, **errors(400, 415, 429)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to sign in with this username and password."]}
            )
        return Response({"token": token_rotate(user=user).key})

    @extend_schema(
        operation_id="auth_token_destroy",
        responses={204: OpenApiResponse(description="Revoked."), **errors(401)},
    )
    def delete(self, request):
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
