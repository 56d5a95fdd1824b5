from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("staff/departments/", views.department_list, name="department_list"),
    path("staff/departments/<slug:code>/", views.department_detail, name="department_detail"),
]
