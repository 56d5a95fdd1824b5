from django.urls import path

from . import staff_views, views

app_name = "notifications"

urlpatterns = [
    path("account/notices/", views.notice_list, name="notices"),
    path("account/notices/settings/", views.notice_settings, name="settings"),
    path("account/notices/<uuid:notice_id>/", views.notice_detail, name="notice_detail"),
    path("staff/notifications/", staff_views.overview, name="staff_overview"),
    path(
        "staff/notifications/templates/<slug:kind>/<slug:language>/",
        staff_views.template_edit,
        name="template_edit",
    ),
]
