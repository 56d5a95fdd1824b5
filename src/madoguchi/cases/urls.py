from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("staff/cases/", views.queue, name="queue"),
    path("staff/cases/bulk/", views.bulk, name="bulk"),
    path("staff/cases/filters/", views.save_filter, name="save_filter"),
    path("staff/cases/<uuid:case_id>/", views.detail, name="detail"),
    path("staff/cases/<uuid:case_id>/action/", views.action, name="action"),
    path("staff/cases/<uuid:case_id>/files/<uuid:file_id>/", views.attachment, name="attachment"),
]
