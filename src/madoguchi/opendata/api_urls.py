"""The open-data API for harvesters: CKAN's Action API, the DCAT documents, and the write tokens' staff page."""

from django.urls import path

from . import ckan_views

app_name = "opendata_api"

urlpatterns = [
    # CKAN's Action API: /api/3/action/<name> (and /api/action/<name> as ckanapi calls it).
    path("api/<int:ver>/action/<str:logic_function>", ckan_views.action, name="action"),
    path("api/action/<str:logic_function>", ckan_views.action, name="action_unversioned"),
    path("api/<int:ver>", ckan_views.api_root, name="api_root"),
    # DCAT-AP at ckanext-dcat's paths.
    path("catalog.<str:fmt>", ckan_views.catalog, name="catalog"),
    path("dataset/<slug:name>.<str:fmt>", ckan_views.dataset_document, name="dataset_document"),
    path("staff/departments/<slug:code>/opendata-tokens/", ckan_views.api_tokens, name="api_tokens"),
]
