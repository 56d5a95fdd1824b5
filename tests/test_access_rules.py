"""Every view declares who may use it; the admin site is closed to all but verified system administrators."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp.admin import OTPAdminSite

from tests.support.urlwalk import walk


def _our_routes():
    return [r for r in walk() if r.namespace != "admin"]


def test_every_view_declares_an_access_rule():
    routes = _our_routes()
    missing = [f"{r.pattern} ({r.qualified_name})" for r in routes if r.rule is None]
    assert not missing, "views without an access rule (use madoguchi.core.access): " + ", ".join(missing)
    assert len(routes) >= 20, "the walk found too few routes to be walking the real URL configuration"


def test_admin_site_requires_a_second_factor():
    assert isinstance(admin.site, OTPAdminSite)
    assert any(r.namespace == "admin" for r in walk())


def test_staff_routes_are_all_staff_only():
    offenders = [
        r.pattern
        for r in _our_routes()
        if r.pattern.startswith("staff/") and r.rule.kind not in {"staff", "mfa_pending", "public"}
    ]
    assert not offenders
    public_staff = {
        r.qualified_name for r in _our_routes() if r.pattern.startswith("staff/") and r.rule.kind == "public"
    }
    # Log-in: the password form, and single sign-on's start and the provider's callback.
    assert public_staff == {"accounts:staff_login", "accounts:staff_sso_start", "accounts:staff_sso_callback"}


SAMPLE_KWARGS = {
    "code": "kaigo-hoken", "user_id": 1, "uidb64": "MQ", "token": "abc-def",
    "file_id": "00000000-0000-4000-8000-000000000000", "label": "privacy_testapp.resident", "pk": "1",
    "slug": "risai_shomei", "draft_id": "00000000-0000-4000-8000-000000000001", "page_id": "applicant",
    "submission_id": "00000000-0000-4000-8000-000000000002", "number": 1,
    "case_id": "00000000-0000-4000-8000-000000000003", "bundle_id": "00000000-0000-4000-8000-000000000004",
    "version_id": "00000000-0000-4000-8000-000000000005", "resource_id": "00000000-0000-4000-8000-000000000006",
    "name": "aed-locations",
    "ver": 3, "logic_function": "package_list", "fmt": "jsonld",
    "notice_id": "00000000-0000-4000-8000-000000000005", "kind": "receipt", "language": "ja",
    "session_id": "00000000-0000-4000-8000-000000000006", "booking_id": "00000000-0000-4000-8000-000000000007",
    "schedule_id": 1,
    "batch_id": "00000000-0000-4000-8000-000000000008", "application_id": "00000000-0000-4000-8000-000000000009",
    "scan_id": 1,
    "kiosk_id": "00000000-0000-4000-8000-00000000000a",
    "initiative": "A1", "kpi_key": "mynumber_card_rate", "entry_id": 1, "area": "kaigo-hoken",
    "key": "insured_my_number",
}  # fmt: skip


def _sample_url(route):
    import re

    kwargs = {k: SAMPLE_KWARGS[k] for k in re.findall(r"<(?:\w+:)?(\w+)>", route.pattern)}
    return reverse(route.qualified_name, kwargs=kwargs)


def test_every_route_resolves_to_itself_whatever_the_order_of_the_apps():
    """No pattern hides another: each sample URL resolves to the view it was made from (the root
    URL configuration puts the form runner first, for speed)."""
    from django.urls import resolve

    routes = _our_routes()
    wrong = [r.qualified_name for r in routes if resolve(_sample_url(r)).view_name != r.qualified_name]
    assert not wrong
    assert len(routes) >= 150


@pytest.mark.django_db
def test_anonymous_visitors_reach_no_protected_page(client, city):
    checked = 0
    for route in _our_routes():
        if route.rule.kind == "public":
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(_sample_url(route))
            assert response.status_code in (302, 404, 405), (route.pattern, method, response.status_code)
            if response.status_code == 302:
                assert "/login/" in response["Location"], route.pattern
            checked += 1
    assert checked >= 20


@pytest.mark.django_db
def test_staff_without_second_factor_reach_no_staff_page(client, kaigo_admin, sysadmin):
    for user in (kaigo_admin, sysadmin):
        client.force_login(user)  # password given, second factor not yet
        for route in _our_routes():
            if route.rule.kind != "staff":
                continue
            response = client.get(_sample_url(route))
            assert response.status_code == 302, route.pattern
            assert response["Location"].startswith(reverse("accounts:staff_mfa"))
        for path in ("/admin/", "/admin/accounts/user/", "/admin/login/"):
            response = client.get(path)
            if user.is_staff:  # a system administrator is sent to the second factor first
                assert response.status_code == 302 and response["Location"] == reverse(
                    "accounts:staff_mfa"
                ), path
            else:  # anyone else never learns the admin site is there
                assert response.status_code == 404, path


@pytest.mark.django_db
def test_citizens_get_404_on_every_staff_page_and_the_admin(as_user, citizen_erin):
    client = as_user(citizen_erin)
    for route in _our_routes():
        if route.rule.kind != "staff":
            continue
        assert client.get(_sample_url(route)).status_code == 404, route.pattern
    assert client.get("/admin/").status_code == 404
