from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("privacy/files/", views.file_register, name="file_register"),
    path("privacy/files.csv", views.file_register_csv, name="file_register_csv"),
    path("files/<uuid:file_id>/", views.file_download, name="file_download"),
    path("staff/audit/", views.audit_list, name="audit_list"),
    path("staff/mynumber/<str:label>/<str:pk>/", views.my_number_reveal, name="my_number_reveal"),
    # One of several numbers in a record: ``key`` names where (a form field id), never the number.
    path(
        "staff/mynumber/<str:label>/<str:pk>/<str:key>/", views.my_number_reveal, name="my_number_reveal_key"
    ),
]
