from django.urls import path

from . import views

app_name = "profiles"

urlpatterns = [
    path("account/profile/", views.profile, name="profile"),
]
