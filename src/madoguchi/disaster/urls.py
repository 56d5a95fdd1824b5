from django.urls import path

from . import api, views

app_name = "disaster"

urlpatterns = [
    path("staff/disaster/", views.switch, name="switch"),
    path("staff/disaster/triage/", views.triage, name="triage"),
    path("api/disaster/", api.state, name="api_state"),
    path("api/disaster/end", api.end, name="api_end"),
]
