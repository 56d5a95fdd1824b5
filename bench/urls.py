from django.urls import include, path

from bench.benchapp.views import insert

urlpatterns = [
    path("bench/insert", insert),
    path("", include("madoguchi.urls")),
]
