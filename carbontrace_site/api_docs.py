"""OpenAPI pieces shared by the API modules: the error shape and its documented answers."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. validation_error.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    details = serializers.JSONField(
        help_text="Field -> list of messages for validation errors; other context otherwise."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


DESCRIPTIONS = {
    400: "Invalid input; `details` names each field and what to fix.",
    401: "No credentials, or a wrong token.",
    403: "Signed in, but the role (officer, staff) or organization membership does not allow it.",
    404: "Not found, or it belongs to another organization.",
    409: "Conflicts with what exists (e.g. a sector that factories still use).",
    413: "The upload is larger than the limit.",
    415: "Unsupported content type.",
    429: "Throttled; `details.retry_after_seconds` says when to retry (also Retry-After).",
    503: "A service (database or broker) is down; `details` names it.",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[code]) for code in statuses
    }


READ_ERRORS = (401, 403, 404)
WRITE_ERRORS = (400, 401, 403, 404, 415)

__all__ = ["ErrorSerializer", "OpenApiExample", "errors", "inline_serializer"]
