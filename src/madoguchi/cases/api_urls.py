from django.urls import path, re_path

from . import api

app_name = "cases_api"

urlpatterns = [
    path("cases/", api.case_list, name="case_list"),
    path("cases/<uuid:case_id>/", api.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/status/", api.case_status, name="case_status"),
    path("openapi.json", api.openapi_document, name="openapi"),
    # Last: anything else under api/v1/ ending in a slash (a malformed case id...) answers JSON 404.
    re_path(r"^(?:.*/)?$", api.not_found, name="not_found"),
]
