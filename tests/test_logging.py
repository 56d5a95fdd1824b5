"""Logs carry no personal data: the filter masks it, whatever a message contains."""

import json
import logging

import pytest
from django.urls import reverse

from madoguchi.core.logging import JsonFormatter, PersonalDataFilter, mask_personal_data
from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("user taro.yamada@example.jp logged in", "taro.yamada@example.jp"),
        ("my number 123456789018 given", "123456789018"),
        ("my number 1234 5678 9018 given", "1234 5678 9018"),
        ("call 0225-95-1111 now", "0225-95-1111"),
        ("call 09012345678 now", "09012345678"),
        ("口座番号: 1234567", "1234567"),
    ],
)
def test_masking(text, leak):
    masked = mask_personal_data(text)
    assert leak not in masked
    assert masked != text


def test_ordinary_numbers_survive():
    assert mask_personal_data("user_id=42 created=17 took 1234ms") == "user_id=42 created=17 took 1234ms"


def test_filter_masks_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "hello %s", ("a@b.example",), None)
    try:
        raise ValueError("bad value a@b.example")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    PersonalDataFilter().filter(record)
    assert "a@b.example" not in record.getMessage()
    assert "a@b.example" not in record.exc_text


def test_json_lines_in_utc():
    record = logging.LogRecord("madoguchi.test", logging.INFO, __file__, 1, "done user_id=%s", (7,), None)
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["message"] == "done user_id=7"
    assert data["level"] == "INFO" and data["logger"] == "madoguchi.test"
    assert data["time"].endswith("+0000")


@pytest.mark.django_db
def test_a_whole_log_in_writes_no_address_to_the_log(client, kaigo_alice, caplog):
    caplog.set_level(logging.DEBUG)
    client.post(reverse("accounts:staff_login"), {"username": kaigo_alice.email, "password": "wrong-one-1"})
    client.post(reverse("accounts:staff_login"), {"username": kaigo_alice.email, "password": PASSWORD})
    client.post(reverse("accounts:password_reset"), {"email": kaigo_alice.email})
    handler_filter = PersonalDataFilter()
    for record in caplog.records:
        handler_filter.filter(record)
        assert kaigo_alice.email not in record.getMessage()
    assert any("user_id=" in r.getMessage() for r in caplog.records)


def test_the_guard_catches_a_my_number_that_escaped_the_filter():
    from tests.support import logguard

    before = len(logguard.leaks)
    logguard.PersonalDataGuardHandler().emit(
        logging.LogRecord("x", logging.INFO, __file__, 1, "number 1234 5678 9018", None, None)
    )
    assert len(logguard.leaks) == before + 1
    del logguard.leaks[before:]  # this leak was ours, on purpose
    # An ordinary 12-digit number (no valid check digit) is not a My Number.
    logguard.PersonalDataGuardHandler().emit(
        logging.LogRecord("x", logging.INFO, __file__, 1, "id 123456789012", None, None)
    )
    assert len(logguard.leaks) == before


def test_a_my_number_in_a_log_call_is_masked_before_any_handler(caplog):
    logger = logging.getLogger("madoguchi.test")
    record = logging.LogRecord(
        "madoguchi.test", logging.INFO, __file__, 1, "applicant %s", ("123456789018",), None
    )
    PersonalDataFilter().filter(record)
    assert "123456789018" not in record.getMessage()
    logger.info("done")  # the configured handlers run the filter too
