from django.urls import path

from madoguchi.submissions import views as runner

from . import staff_views, views

app_name = "procedures"

urlpatterns = [
    path("procedures/", views.catalogue_view, name="catalogue"),
    path("procedures/<slug:slug>/", views.detail, name="detail"),
    path("procedures/<slug:slug>/start/", runner.start, name="start"),
    path("procedures/<slug:slug>/ininjo.pdf", views.power_of_attorney, name="power_of_attorney"),
    path("staff/procedures/", staff_views.manage_list, name="manage_list"),
    path("staff/procedures/<slug:slug>/", staff_views.manage_detail, name="manage_detail"),
    path(
        "staff/procedures/<slug:slug>/versions/<int:number>/",
        staff_views.version_preview,
        name="version_preview",
    ),
]
