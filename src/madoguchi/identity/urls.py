from django.urls import path

from . import views

app_name = "identity"

urlpatterns = [
    path("staff/departments/<slug:code>/agents/", views.agents, name="agents"),
]
