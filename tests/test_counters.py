"""The rate limits' counter cache (core/counters.py): one row per key and window in the database, counted
atomically, expired on time, and the receipt notice made once however often its task runs."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from madoguchi.core.models import RateCounter
from madoguchi.notifications.models import Notice
from madoguchi.submissions.tasks import send_submission_receipt
from tests.support.cases import file_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def counters():
    cache = caches["ratelimit"]
    cache.clear()
    yield cache
    cache.clear()


def test_add_then_incr_counts_and_add_refuses_a_live_key(counters):
    assert counters.add("k", 1, 60) is True
    assert counters.add("k", 1, 60) is False
    assert counters.incr("k") == 2
    assert counters.incr("k", 3) == 5
    assert counters.get("k") == 5 and counters.has_key("k")
    assert counters.get("missing", "default") == "default"
    with pytest.raises(ValueError):
        counters.incr("missing")


def test_an_expired_counter_is_absent_and_taken_over_by_add(counters):
    counters.add("k", 7, 60)
    RateCounter.objects.update(expires=timezone.now() - timezone.timedelta(seconds=1))
    assert counters.get("k") is None
    with pytest.raises(ValueError):
        counters.incr("k")
    assert counters.add("k", 1, 60) is True
    assert counters.get("k") == 1


def test_set_touch_delete_clear(counters):
    counters.set("a", 3, 60)
    counters.set("a", 4, 60)
    assert counters.get("a") == 4
    assert counters.touch("a", 120) is True and counters.touch("nothing", 120) is False
    assert counters.delete("a") is True and counters.get("a") is None
    counters.set("b", 1, 60)
    counters.clear()
    assert RateCounter.objects.count() == 0


def test_a_limited_request_costs_two_statements(counters, client, city):
    """django-ratelimit's add-then-incr: one INSERT and one UPDATE, no COUNT(*) of the table."""
    from django.test import RequestFactory
    from django_ratelimit.core import get_usage

    request = RequestFactory().post("/x", REMOTE_ADDR="192.0.2.9")
    get_usage(request, group="g", key="ip", rate="5/m", method="POST", increment=True)
    with CaptureQueriesContext(connection) as queries:
        usage = get_usage(request, group="g", key="ip", rate="5/m", method="POST", increment=True)
    assert usage["count"] == 2 and not usage["should_limit"]
    assert len(queries) == 2 and not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    stored = RateCounter.objects.get()
    assert "192.0.2.9" not in stored.key  # the address is hashed into the key


def test_the_receipt_task_run_twice_makes_one_notice(citizen_erin):
    case = file_case(citizen_erin)
    assert Notice.objects.filter(submission=case.submission, kind="receipt").count() == 1
    send_submission_receipt.call(submission_id=str(case.submission_id))
    assert Notice.objects.filter(submission=case.submission, kind="receipt").count() == 1
