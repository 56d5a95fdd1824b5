from django.urls import path

from . import views

app_name = "paper"

urlpatterns = [
    path("procedures/<slug:slug>/form.pdf", views.form_pdf, name="form_pdf"),
    path("apply/<uuid:draft_id>/form.pdf", views.draft_form_pdf, name="draft_form_pdf"),
    path("staff/counter/drafts/<uuid:draft_id>/form.pdf", views.counter_form_pdf, name="counter_form_pdf"),
    path("staff/paper/", views.home, name="home"),
    path("staff/paper/unidentified/", views.unidentified, name="unidentified"),
    path("staff/paper/batches/<uuid:batch_id>/", views.batch, name="batch"),
    path("staff/paper/batches/<uuid:batch_id>/process/", views.batch_process, name="batch_process"),
    path("staff/paper/applications/<uuid:application_id>/", views.application, name="application"),
    path("staff/paper/pages/<int:scan_id>/", views.page, name="page"),
    path("staff/paper/pages/<int:scan_id>/image.png", views.page_image, name="page_image"),
]
