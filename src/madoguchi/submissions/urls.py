from django.urls import path

from . import views

app_name = "submissions"

urlpatterns = [
    path("apply/<uuid:draft_id>/check/", views.check, name="check"),
    path("apply/<uuid:draft_id>/sign/", views.sign, name="sign"),
    path("apply/<uuid:draft_id>/<slug:page_id>/", views.page, name="page"),
    path("applications/", views.mine, name="mine"),
    path("applications/<uuid:submission_id>/", views.detail, name="detail"),
    path("applications/<uuid:submission_id>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("applications/<uuid:submission_id>/messages/", views.reply, name="reply"),
    path("applications/<uuid:submission_id>/correct/", views.correct, name="correct"),
]
