"""Log-in, registration and e-mail endpoints answer 429 with Retry-After above their rate, and say so in the log
and the audit trail; what the visitor typed goes nowhere."""

import logging

import pytest
from django.core.cache import caches
from django.urls import reverse

from madoguchi.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tight_limits(settings, frozen_ratelimit_clock):
    settings.MADOGUCHI_RATE_LIMITS = {
        **settings.MADOGUCHI_RATE_LIMITS,
        "login": "3/m",
        "email": "2/h",
        "signup": "2/h",
    }
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.mark.parametrize(
    ("url_name", "data", "limit"),
    [
        ("accounts:login", {"username": "a@example.test", "password": "x"}, 3),
        ("accounts:staff_login", {"username": "a@example.test", "password": "x"}, 3),
        ("accounts:password_reset", {"email": "a@example.test"}, 2),
        ("accounts:verify_resend", {"email": "a@example.test"}, 2),
        ("accounts:signup", {"email": "a@example.test", "password1": "x", "password2": "x"}, 2),
    ],
)
def test_limit_then_429(client, city, url_name, data, limit, caplog):
    url = reverse(url_name)
    for _ in range(limit):
        assert client.post(url, data).status_code in (200, 302)
    caplog.set_level(logging.WARNING)
    refused = client.post(url, data)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    body = refused.content.decode()
    assert "しばらくしてからお試しください" in body and "a@example.test" not in body
    assert any("rate limit reached" in r.getMessage() for r in caplog.records)
    event = AuditEvent.objects.get(action="rate_limited")
    assert event.result == "denied" and event.client_ip == "127.0.0.1"
    # Reading the page is not limited.
    assert client.get(url).status_code == 200


def test_limits_are_per_client_address(client, city):
    url = reverse("accounts:login")
    data = {"username": "a@example.test", "password": "x"}
    for _ in range(3):
        client.post(url, data, REMOTE_ADDR="192.0.2.1")
    assert client.post(url, data, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.post(url, data, REMOTE_ADDR="192.0.2.2").status_code == 200
