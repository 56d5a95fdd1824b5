from django.urls import path

from . import staff_views, views

app_name = "accounts"

urlpatterns = [
    # citizens
    path("account/", views.account_home, name="home"),
    path("account/login/", views.login_view, name="login"),
    path("account/login/verify/", views.login_verify, name="login_verify"),
    path("account/logout/", views.logout_view, name="logout"),
    path("account/signup/", views.signup, name="signup"),
    path("account/signup/done/", views.signup_done, name="signup_done"),
    path("account/verify/resend/", views.verify_resend, name="verify_resend"),
    path("account/verify/<uidb64>/<token>/", views.verify_email, name="verify_email"),
    path("account/password/reset/", views.password_reset, name="password_reset"),
    path("account/password/reset/done/", views.password_reset_done, name="password_reset_done"),
    path(
        "account/password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("account/password/reset/complete/", views.password_reset_complete, name="password_reset_complete"),
    path("account/security/totp/", views.totp_setup, name="totp_setup"),
    path("account/security/totp/disable/", views.totp_disable, name="totp_disable"),
    # staff
    path("staff/login/", views.staff_login, name="staff_login"),
    path("staff/login/sso/", views.staff_sso_start, name="staff_sso_start"),
    path("staff/login/sso/callback/", views.staff_sso_callback, name="staff_sso_callback"),
    path("staff/mfa/", views.staff_mfa, name="staff_mfa"),
    path("staff/departments/<slug:code>/members/new/", staff_views.member_add, name="member_add"),
    path(
        "staff/departments/<slug:code>/members/<int:user_id>/",
        staff_views.member_detail,
        name="member_detail",
    ),
]
