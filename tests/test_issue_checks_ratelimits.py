"""Issue 3 check: the submission and look-up endpoints (not only log-in) answer 429 above their rate, with
Retry-After, a log line and an audit row. tests/test_rate_limits.py covers the log-in family."""

import logging

import pytest
from django.core.cache import caches
from django.urls import reverse

from madoguchi.privacy.models import AuditEvent
from madoguchi.procedures.services import procedures_load_from_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tight_limits(settings, frozen_ratelimit_clock):
    settings.MADOGUCHI_RATE_LIMITS = {**settings.MADOGUCHI_RATE_LIMITS, "submission": "3/m", "lookup": "3/m"}
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def _refused_after(limit, send, caplog, group):
    for _ in range(limit):
        assert send().status_code != 429
    caplog.set_level(logging.WARNING)
    refused = send()
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "しばらくしてからお試しください" in refused.content.decode()
    assert any(f"rate limit reached group={group}" in r.getMessage() for r in caplog.records)
    event = AuditEvent.objects.get(action="rate_limited", object_type=f"endpoint.{group}")
    assert event.result == "denied"


def test_starting_an_application_is_rate_limited(as_user, citizen_erin, caplog):
    procedures_load_from_files()
    client = as_user(citizen_erin)
    url = reverse("procedures:start", kwargs={"slug": "risai_shomei"})
    _refused_after(3, lambda: client.post(url), caplog, "draft_start")


def test_looking_up_a_document_code_is_rate_limited(client, city, caplog):
    url = reverse("documents:verify", kwargs={"code": "ABCD-EFGH-JKLM"})
    _refused_after(3, lambda: client.get(url), caplog, "document_verify")
    # Another address is counted on its own.
    assert client.get(url, REMOTE_ADDR="192.0.2.9").status_code != 429
