from django.urls import path

from . import bundle_views, views

app_name = "submissions"

urlpatterns = [
    path("apply/bundle/", bundle_views.bundle_start, name="bundle_start"),
    path("apply/bundle/<uuid:bundle_id>/shared/", bundle_views.bundle_shared, name="bundle_shared"),
    path("apply/bundle/<uuid:bundle_id>/check/", bundle_views.bundle_check, name="bundle_check"),
    path("apply/bundle/<uuid:bundle_id>/done/", bundle_views.bundle_done, name="bundle_done"),
    path("apply/<uuid:draft_id>/check/", views.check, name="check"),
    path("apply/<uuid:draft_id>/sign/", views.sign, name="sign"),
    path("apply/<uuid:draft_id>/<slug:page_id>/", views.page, name="page"),
    path("applications/", views.mine, name="mine"),
    path("applications/<uuid:submission_id>/", views.detail, name="detail"),
    path("applications/<uuid:submission_id>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("applications/<uuid:submission_id>/messages/", views.reply, name="reply"),
    path("applications/<uuid:submission_id>/correct/", views.correct, name="correct"),
]
