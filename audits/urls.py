from django.urls import path

from . import views

app_name = "audits"

urlpatterns = [
    path("", views.audit_list, name="list"),
    path("upload/", views.audit_upload, name="upload"),
    path("<uuid:job_id>/", views.audit_detail, name="detail"),
    path("<uuid:job_id>/status.json", views.audit_status, name="status"),
    path("<uuid:job_id>/files/<slug:kind>/", views.audit_artifact, name="artifact"),
]
