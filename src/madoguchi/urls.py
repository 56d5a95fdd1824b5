from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

urlpatterns = [
    path("", include("madoguchi.core.urls")),
    # Before the other apps: Django tries the patterns in order, and the form runner and the
    # online submit are what a surge sends most (no other app's path starts with apply/ or
    # applications/, so the order changes no answer; tests/test_access_rules.py resolves them all).
    path("", include("madoguchi.submissions.urls")),
    path("", include("madoguchi.accounts.urls")),
    path("", include("madoguchi.organisations.urls")),
    path("", include("madoguchi.privacy.urls")),
    path("", include("madoguchi.procedures.urls")),
    path("", include("madoguchi.cases.urls")),
    path("", include("madoguchi.documents.urls")),
    path("", include("madoguchi.identity.urls")),
    path("", include("madoguchi.profiles.urls")),
    path("", include("madoguchi.lifeevents.urls")),
    path("", include("madoguchi.notifications.urls")),
    path("", include("madoguchi.opendata.urls")),
    path("", include("madoguchi.opendata.api_urls")),
    path("", include("madoguchi.counter.urls")),
    path("", include("madoguchi.paper.urls")),
    path("", include("madoguchi.dashboards.urls")),
    path("", include("madoguchi.dx.urls")),
    path("", include("madoguchi.disaster.urls")),
    path("", include("madoguchi.cases.export_urls")),
    path("api/v1/", include("madoguchi.cases.api_urls")),
    path("admin/", admin.site.urls),
]

handler400 = "madoguchi.core.views.error_400"
handler403 = "madoguchi.core.views.error_403"
handler404 = "madoguchi.core.views.error_404"
handler500 = "madoguchi.core.views.error_500"

# The admin site is for system administrators who have passed the second
# factor (also enforced by StaffAreaMiddleware before any admin view runs).
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Madoguchi 管理サイト"
admin.site.site_title = "Madoguchi"
