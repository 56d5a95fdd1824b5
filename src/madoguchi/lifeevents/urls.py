from django.urls import path

from . import views

app_name = "lifeevents"

urlpatterns = [
    path("life/", views.guide_list, name="list"),
    path("life/<slug:slug>/", views.guide_detail, name="guide"),
]
