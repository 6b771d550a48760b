from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from factories.views_account import account_token

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="audits:list", permanent=False), name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("audits/", include("audits.urls")),
    path("admin/", admin.site.urls),
    path("account/token/", account_token, name="account-token"),
    path("api/v1/", include("carbontrace_site.api_urls", namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
