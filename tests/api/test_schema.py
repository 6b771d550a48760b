"""The OpenAPI schema: valid OpenAPI 3, every endpoint and its errors documented; the docs page."""

from __future__ import annotations

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/health/": {"get"},
    "/api/v1/auth/token/": {"post", "delete"},
    "/api/v1/audits/": {"get", "post"},
    "/api/v1/audits/{job_id}/": {"get", "delete"},
    "/api/v1/audits/{job_id}/factories/": {"get"},
    "/api/v1/audits/{job_id}/rejected-rows/": {"get"},
    "/api/v1/audits/{job_id}/files/{filename}": {"get"},
    "/api/v1/factories/": {"get"},
    "/api/v1/factories/{factory_id}/": {"get", "patch"},
    "/api/v1/sectors/": {"get", "post"},
    "/api/v1/sectors/{id}/": {"get", "patch", "delete"},
    "/api/v1/energy-sources/": {"get", "post"},
    "/api/v1/energy-sources/{id}/": {"get", "patch", "delete"},
}


@pytest.fixture
def schema():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content[:2000]
    return response.json()


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_every_endpoint_and_method_is_documented(schema):
    documented = {
        path: {m for m in item if m in {"get", "post", "patch", "put", "delete"}}
        for path, item in schema["paths"].items()
    }
    assert documented == ENDPOINTS


def test_every_operation_documents_its_errors_in_the_error_shape(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "patch", "delete"}:
                continue
            errors = [code for code in operation["responses"] if code.startswith(("4", "5"))]
            assert errors, f"{method} {path} documents no error"
            for code in errors:
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"]["$ref"].endswith("/Error"), (method, path, code)
            public = path in ("/api/v1/health/",) or (path, method) == (
                "/api/v1/auth/token/",
                "post",
            )
            if not public:
                assert "401" in operation["responses"], f"{method} {path}"


def test_the_upload_documents_202_413_and_multipart(schema):
    operation = schema["paths"]["/api/v1/audits/"]["post"]
    assert {"202", "400", "413", "429"} <= set(operation["responses"])
    assert "multipart/form-data" in operation["requestBody"]["content"]


def test_token_authentication_is_declared(schema):
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_docs_page_uses_local_swagger_ui():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html
