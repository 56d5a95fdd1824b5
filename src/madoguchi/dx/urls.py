from django.urls import path

from . import views

app_name = "dx"

urlpatterns = [
    path("staff/dx/", views.home, name="home"),
    path("staff/dx/initiatives/<str:initiative>/", views.initiative, name="initiative"),
    path("staff/dx/initiatives/<str:initiative>/edit/", views.initiative_edit, name="initiative_edit"),
    path("staff/dx/initiatives/<str:initiative>/pdca/", views.pdca_add, name="pdca_add"),
    path("staff/dx/kpis/<slug:kpi_key>/", views.kpi, name="kpi"),
    path("staff/dx/kpis/<slug:kpi_key>/entry/", views.kpi_entry, name="kpi_entry"),
    path("staff/dx/kpis/<slug:kpi_key>/edit/", views.kpi_edit, name="kpi_edit"),
    path("staff/dx/register/", views.register, name="register"),
    path("staff/dx/register/export.xlsx", views.register_export_xlsx, name="register_export_xlsx"),
    path("staff/dx/register/export.csv", views.register_export_csv, name="register_export_csv"),
    path("staff/dx/register/import/", views.register_import, name="register_import"),
    path("staff/dx/register/new/", views.register_new, name="register_new"),
    path("staff/dx/register/<int:entry_id>/", views.register_edit, name="register_edit"),
    path("staff/dx/standardisation/", views.standardisation, name="standardisation"),
    path("staff/dx/standardisation/<slug:area>/", views.area_edit, name="area_edit"),
]
