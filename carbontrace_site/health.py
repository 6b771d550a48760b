"""GET /api/v1/health/: is the application, its database and its broker up?"""

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .api_docs import errors


def _database_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_up() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=2
        )
        return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False


class HealthApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema_serializer(component_name="Health")
    class OutputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["ok"])
        app = serializers.CharField(help_text="up")
        database = serializers.CharField(help_text="up")
        broker = serializers.CharField(help_text="up")

    @extend_schema(
        operation_id="health_retrieve",
        auth=[],
        responses={
            200: OutputSerializer,
            **{
                503: OpenApiResponse(
                    errors(503)[503].response,
                    description="`details` gives app, database and broker as up or down; "
                    "`message` names what is down.",
                )
            },
        },
    )
    def get(self, request):
        checks = {
            "app": "up",
            "database": "up" if _database_up() else "down",
            "broker": "up" if _broker_up() else "down",
        }
        down = [name for name, state in checks.items() if state == "down"]
        if down:
            return Response(
                {
                    "error": {
                        "code": "service_unavailable",
                        "message": f"Down: {', '.join(down)}.",
                        "details": checks,
                    }
                },
                status=503,
            )
        return Response({"status": "ok", **checks})
