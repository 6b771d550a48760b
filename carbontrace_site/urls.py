from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from audits.views import home
from factories.views_account import account_token

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("audits/", include("audits.urls")),
    path("factories/", include("factories.urls")),
    path("admin/", admin.site.urls),
    path("account/token/", account_token, name="account-token"),
    path("api/v1/", include("carbontrace_site.api_urls", namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
