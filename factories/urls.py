from django.urls import path

from . import views

app_name = "factories"

urlpatterns = [
    path("", views.factory_list, name="list"),
    path("<int:factory_id>/", views.factory_detail, name="detail"),
]
