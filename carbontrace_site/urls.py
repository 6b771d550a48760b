from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="audits:list", permanent=False), name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("audits/", include("audits.urls")),
    path("admin/", admin.site.urls),
]
