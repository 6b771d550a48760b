"""One JSON shape for every API error: {"error": {"code", "message", "details"}}.

A client branches on ``code`` (stable, snake_case), shows ``message`` to a person, and
finds field-level problems in ``details`` ({field: [messages]}) for validation errors.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler, set_rollback


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service Carbon-Trace depends on is unavailable."
    default_code = "service_unavailable"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(str(exc) or None)
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError(str(exc) or "The request is malformed.")
    return exc


def _code(exc: exceptions.APIException) -> str:
    for klass in type(exc).__mro__:
        if klass in CODES:
            return CODES[klass]
    return getattr(exc, "default_code", "error")


def _validation_message(details) -> str:
    if isinstance(details, dict):
        non_field = details.get("non_field_errors")
        if non_field and len(details) == 1:
            return str(non_field[0])
        # One field: its first message reads best on its own.
        if len(details) == 1:
            ((field, messages),) = details.items()
            first = messages[0] if isinstance(messages, list) and messages else messages
            if isinstance(first, str):
                return first if field in ("file", "detail") else f"{field}: {first}"
        return "Some fields are invalid; see details."
    if isinstance(details, list) and details and isinstance(details[0], str):
        return details[0]
    return "The request is invalid."


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = _as_api_exception(exc)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django answer 500 and log it
    response = exception_handler(exc, context)
    if response is None:  # pragma: no cover - every APIException is handled by DRF
        return None
    code = _code(exc)
    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail
        message = _validation_message(details)
    else:
        message = str(exc.detail)
        details = {}
    if isinstance(exc, exceptions.Throttled):
        details = {"retry_after_seconds": exc.wait and int(exc.wait + 0.999)}
        message = (
            f"Too many requests; try again in {details['retry_after_seconds']} seconds."
            if exc.wait
            else "Too many requests; try again later."
        )
    response.data = {"error": {"code": code, "message": message, "details": details}}
    set_rollback()
    return response
