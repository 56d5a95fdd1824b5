from django.urls import path

from . import staff_views, views

app_name = "opendata"

urlpatterns = [
    path("opendata/", views.search, name="search"),
    path("opendata/coverage/", views.coverage, name="coverage"),
    path("opendata/api/", views.developers, name="developers"),
    path("opendata/dataset/<slug:name>/", views.dataset, name="dataset"),
    path(
        "opendata/dataset/<slug:name>/resource/<uuid:resource_id>/download/", views.download, name="download"
    ),
    path("opendata/dataset/<slug:name>/resource/<uuid:resource_id>/schema.json", views.schema, name="schema"),
    path("staff/opendata/", staff_views.staff_list, name="staff_list"),
    path("staff/opendata/new/", staff_views.staff_create, name="staff_create"),
    path("staff/opendata/coverage/", staff_views.staff_coverage, name="staff_coverage"),
    path("staff/opendata/<slug:name>/", staff_views.staff_detail, name="staff_detail"),
    path("staff/opendata/<slug:name>/edit/", staff_views.staff_edit, name="staff_edit"),
    path("staff/opendata/<slug:name>/upload/", staff_views.staff_upload, name="staff_upload"),
    path("staff/opendata/<slug:name>/link/", staff_views.staff_link, name="staff_link"),
    path("staff/opendata/<slug:name>/action/", staff_views.staff_action, name="staff_action"),
    path(
        "staff/opendata/<slug:name>/versions/<uuid:version_id>/",
        staff_views.staff_version,
        name="staff_version",
    ),
    path(
        "staff/opendata/<slug:name>/versions/<uuid:version_id>/original/",
        staff_views.staff_version_file,
        {"which": "original"},
        name="staff_version_original",
    ),
    path(
        "staff/opendata/<slug:name>/versions/<uuid:version_id>/file/",
        staff_views.staff_version_file,
        {"which": "file"},
        name="staff_version_file",
    ),
]
