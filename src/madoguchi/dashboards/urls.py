from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("dashboard/", views.public_dashboard, name="public"),
    path("dashboard/csv/", views.public_csv, name="public_csv"),
    path("staff/dashboard/", views.staff_dashboard, name="staff"),
    path("staff/dashboard/csv/", views.staff_csv, name="staff_csv"),
    path("applications/<uuid:submission_id>/survey/", views.survey, name="survey"),
]
