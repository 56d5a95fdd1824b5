"""Pages, headers and errors as a browser sees them."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_citizen_home_shows_the_city_and_its_contact(client, city):
    body = client.get("/").content.decode()
    assert '<html lang="ja">' in body
    assert "石巻市のオンライン窓口" in body
    assert "0225-95-1111" in body and "穀町14番1号" in body


def test_home_in_english(client, city):
    client.cookies["madoguchi_language"] = "en"
    body = client.get("/").content.decode()
    assert '<html lang="en">' in body
    assert "Ishinomaki City" in body and "Online services" in body


def test_language_switch_works_without_javascript(client, city):
    response = client.post(reverse("core:set_language"), {"language": "en", "next": "/account/login/"})
    assert response["Location"] == "/account/login/"
    assert response.cookies["madoguchi_language"].value == "en"
    assert '<html lang="en">' in client.get("/account/login/").content.decode()


def test_security_headers(client, city):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_of_a_logged_in_user_are_not_cached(as_user, citizen_erin):
    response = as_user(citizen_erin).get(reverse("accounts:home"))
    assert response["Cache-Control"] == "no-store"


def test_csrf_is_enforced_on_state_changes(city, citizen_erin):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("accounts:login"), {"username": citizen_erin.email, "password": "x"})
    assert response.status_code == 403


def test_health_check(client):
    response = client.get("/healthz")
    assert response.json() == {"status": "ok"}


def test_a_missing_page_is_a_plain_404_without_details(client, city, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/?email=a@b.example")
    assert response.status_code == 404
    body = response.content.decode()
    assert "ページが見つかりません" in body
    assert "a@b.example" not in body


def test_a_server_error_shows_a_plain_page(city, settings):
    from madoguchi.core import views

    response = views.error_500(None)
    assert response.status_code == 500
    assert "ただいま表示できません" in response.content.decode()


def test_static_design_tokens_are_served(client):
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/design-tokens/tokens.css"), "run npm ci (make setup) first"
    assert finders.find("madoguchi/css/app.css")
