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


def test_hit_creates_counts_and_takes_over_an_expired_counter(counters):
    assert counters.hit("h", 60) == 1
    assert counters.hit("h", 60) == 2
    assert counters.hit("other", 60) == 1
    RateCounter.objects.filter(key__endswith="h").update(
        expires=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert counters.get("h") is None
    assert counters.hit("h", 60) == 1  # a new window, not the expired count plus one
    assert counters.get("h") == 1


def test_a_limited_request_costs_one_statement(counters, city, frozen_ratelimit_clock):
    """One upsert per request, no COUNT(*) of the table; the limit holds from the count after it."""
    from django.test import RequestFactory

    from madoguchi.core.ratelimit import usage

    request = RequestFactory().post("/x", REMOTE_ADDR="192.0.2.9")
    assert usage(request, group="g", rate="2/m").count == 1
    with CaptureQueriesContext(connection) as queries:
        second = usage(request, group="g", rate="2/m")
    assert second.count == 2 and not second.should_limit and 0 < second.time_left <= 60
    assert len(queries) == 1 and "COUNT(" not in queries.captured_queries[0]["sql"].upper()
    assert usage(request, group="g", rate="2/m").should_limit
    assert usage(RequestFactory().get("/x", REMOTE_ADDR="192.0.2.9"), group="g", rate="2/m") is None
    assert usage(request, group="other", rate="2/m").count == 1  # each group counts on its own
    stored = RateCounter.objects.order_by("key").first()
    assert "192.0.2.9" not in stored.key  # the address is hashed into the key


def test_rates_are_read_as_count_per_period():
    from django.core.exceptions import ImproperlyConfigured

    from madoguchi.core.ratelimit import parse_rate

    assert parse_rate("30/10m") == (30, 600)
    assert parse_rate("10/h") == (10, 3600)
    assert parse_rate("5/s") == (5, 1)
    assert parse_rate("100/2d") == (100, 172800)
    with pytest.raises(ImproperlyConfigured):
        parse_rate("ten per hour")


def test_the_receipt_task_run_twice_makes_one_notice(citizen_erin):
    case = file_case(citizen_erin)
    assert Notice.objects.filter(submission=case.submission, kind="receipt").count() == 1
    send_submission_receipt.call(submission_id=str(case.submission_id))
    assert Notice.objects.filter(submission=case.submission, kind="receipt").count() == 1


def test_on_postgresql_the_counters_skip_the_write_ahead_log_and_the_like_index():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no unlogged tables")
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [RateCounter._meta.db_table])
        assert cursor.fetchone() == ("u",)  # unlogged: emptied after a crash, as a cache would be
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [RateCounter._meta.db_table])
        indexes = [row[0] for row in cursor.fetchall()]
    assert indexes and not any("varchar_pattern_ops" in d for d in indexes)
    assert caches["ratelimit"].hit("k", 60) == 1 and caches["ratelimit"].hit("k", 60) == 2
