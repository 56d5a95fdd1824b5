from django.urls import path

from . import booking_views, kiosk_views, views

app_name = "counter"

urlpatterns = [
    # The counter (書かない窓口), for staff.
    path("staff/counter/", views.home, name="home"),
    path("staff/counter/start/", views.start, name="start"),
    path("staff/counter/sessions/<uuid:session_id>/", views.session_view, name="session"),
    path("staff/counter/sessions/<uuid:session_id>/visitor/", views.visitor, name="visitor"),
    path("staff/counter/sessions/<uuid:session_id>/identity/", views.identity, name="identity"),
    path("staff/counter/sessions/<uuid:session_id>/consent/", views.consent, name="consent"),
    path("staff/counter/sessions/<uuid:session_id>/apply/", views.apply, name="apply"),
    path("staff/counter/sessions/<uuid:session_id>/end/", views.end, name="end"),
    path("staff/counter/drafts/<uuid:draft_id>/check/", views.check, name="check"),
    path("staff/counter/drafts/<uuid:draft_id>/confirm/", views.confirm, name="confirm"),
    path("staff/counter/drafts/<uuid:draft_id>/sheet.pdf", views.sheet, name="sheet"),
    path("staff/counter/drafts/<uuid:draft_id>/discard/", views.discard, name="discard"),
    path("staff/counter/drafts/<uuid:draft_id>/<slug:page_id>/", views.page, name="page"),
    path("staff/counter/filed/<uuid:submission_id>/", views.filed, name="filed"),
    path("staff/counter/filed/<uuid:submission_id>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    # Shelter kiosks: staff enrol and revoke them; the kiosk's own pages carry its cookie.
    path("staff/counter/kiosks/", kiosk_views.kiosks, name="kiosks"),
    path("staff/counter/kiosks/<uuid:kiosk_id>/revoke/", kiosk_views.kiosk_revoke, name="kiosk_revoke"),
    path("kiosk/", kiosk_views.kiosk_home, name="kiosk_home"),
    path("kiosk/start/", kiosk_views.kiosk_start, name="kiosk_start"),
    path("kiosk/end/", kiosk_views.kiosk_end, name="kiosk_end"),
    path("kiosk/still-there/", kiosk_views.kiosk_still_there, name="kiosk_still_there"),
    path("kiosk/timeout/", kiosk_views.kiosk_timeout, name="kiosk_timeout"),
    path("kiosk/drafts/<uuid:draft_id>/check/", kiosk_views.kiosk_check, name="kiosk_check"),
    path("kiosk/drafts/<uuid:draft_id>/<slug:page_id>/", kiosk_views.kiosk_page, name="kiosk_page"),
    path("kiosk/filed/<uuid:submission_id>/", kiosk_views.kiosk_filed, name="kiosk_filed"),
    path(
        "kiosk/filed/<uuid:submission_id>/receipt.pdf",
        kiosk_views.kiosk_receipt_pdf,
        name="kiosk_receipt_pdf",
    ),
    # Bookings (来庁予約): staff.
    path("staff/bookings/", booking_views.day, name="booking_day"),
    path("staff/bookings/<uuid:booking_id>/check-in/", booking_views.check_in, name="booking_check_in"),
    path("staff/bookings/hours/<slug:code>/", booking_views.schedules, name="schedules"),
    path(
        "staff/bookings/hours/<slug:code>/<int:schedule_id>/delete/",
        booking_views.schedule_delete,
        name="schedule_delete",
    ),
    # Bookings: citizens.
    path("bookings/", booking_views.mine, name="booking_mine"),
    path("bookings/new/", booking_views.new, name="booking_new"),
    path("bookings/new/<slug:slug>/", booking_views.choose, name="booking_choose"),
    path("bookings/<uuid:booking_id>/", booking_views.detail, name="booking_detail"),
    path("bookings/<uuid:booking_id>/cancel/", booking_views.cancel, name="booking_cancel"),
    path("bookings/<uuid:booking_id>/move/", booking_views.move, name="booking_move"),
]
