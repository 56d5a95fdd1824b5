from django.urls import path

from . import export_views, token_views

app_name = "cases_export"

urlpatterns = [
    path("staff/cases/export/", export_views.export, name="export"),
    path("staff/departments/<slug:code>/api-tokens/", token_views.api_tokens, name="api_tokens"),
]
