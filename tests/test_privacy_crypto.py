"""Encrypted fields, blind indexes, My Number validation, key rotation, and raw database dumps."""

import base64
import os
import shutil
import subprocess

import pytest
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import connection

from madoguchi.privacy.crypto import DecryptionError, KeyRing, reset_keyring
from madoguchi.privacy.fields import blind_index_for
from madoguchi.privacy.mynumber import (
    is_valid_my_number,
    mask_my_number,
    my_number_check_digit,
    validate_my_number,
)
from tests.conftest import department
from tests.privacy_testapp.models import Resident

# Valid My Numbers (check digits computed by the 総務省令 rule), used as fixtures.
FIXTURE_NUMBERS = ["123456789018", "111111111118", "987654321093"]


@pytest.fixture
def reload_keys():
    reset_keyring()
    yield
    reset_keyring()


def test_check_digit_reference_value():
    assert my_number_check_digit("12345678901") == 8  # the example in shared/reference/procedures.md
    for number in FIXTURE_NUMBERS:
        assert is_valid_my_number(number)


@pytest.mark.parametrize("raw", ["1234 5678 9018", "1234-5678-9018", "１２３４５６７８９０１８"])
def test_my_number_is_normalised(raw):
    assert is_valid_my_number(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("123456789017", "最後の1桁が合いません"),
        ("12345678901", "数字12桁"),
        ("12345678901a", "数字12桁"),
        ("", "数字12桁"),
    ],
)
def test_invalid_my_numbers_get_a_clear_message(raw, message):
    with pytest.raises(ValidationError) as exc:
        validate_my_number(raw)
    assert message in exc.value.messages[0]


def test_mask_shows_only_the_last_four():
    assert mask_my_number("123456789018") == "●●●● ●●●● 9018"
    assert "1234" not in mask_my_number("123456789018")


def _resident(code="kaigo-hoken", number="123456789018", **extra):
    return Resident.objects.create(
        department=department(code), name="石巻 太郎", my_number=number,
        affair="介護保険法による保険給付の支給、地域支援事業の実施又は保険料の徴収に関する事務", **extra,
    )  # fmt: skip


def _raw(column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM privacy_testapp_resident WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_values_are_encrypted_at_rest_and_read_back(city):
    resident = _resident(health={"要介護度": "要介護2", "既往歴": ["脳梗塞"]})
    raw = _raw("my_number", resident.pk)
    assert raw.startswith("enc1$test1$") and "123456789018" not in raw
    assert "太郎" not in _raw("name", resident.pk) and "脳梗塞" not in _raw("health", resident.pk)
    again = Resident.objects.get(pk=resident.pk)
    assert again.my_number == "123456789018"
    assert again.health == {"要介護度": "要介護2", "既往歴": ["脳梗塞"]}
    # Authenticated encryption: the same value encrypts differently every time.
    resident.save()
    assert _raw("my_number", resident.pk) != raw


@pytest.mark.django_db
def test_a_value_moved_to_another_column_or_altered_does_not_decrypt(city):
    resident = _resident()
    raw_number = _raw("my_number", resident.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE privacy_testapp_resident SET name = %s WHERE id = %s", [raw_number, resident.pk]
        )
    with pytest.raises(DecryptionError):
        Resident.objects.get(pk=resident.pk)
    tampered = raw_number[:-6] + ("A" if raw_number[-6] != "A" else "B") + raw_number[-5:]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE privacy_testapp_resident SET name = %s, my_number = %s WHERE id = %s",
                       [raw_number, tampered, resident.pk])  # fmt: skip
    with pytest.raises(DecryptionError):
        Resident.objects.only("id", "my_number").get(pk=resident.pk)


@pytest.mark.django_db
def test_blind_index_finds_duplicates_without_decrypting(city):
    first = _resident(number="1234-5678-9018")
    _resident(number="111111111118")
    index = blind_index_for(Resident, "my_number", "１２３４ ５６７８ ９０１８")
    assert list(Resident.objects.filter(my_number_index=index)) == [first]
    assert "123456789018" not in index
    with pytest.raises(FieldError, match="encrypted"):
        Resident.objects.filter(my_number="123456789018").exists()


@pytest.mark.django_db
def test_model_validation_uses_the_check_digit(city):
    resident = Resident(department=department("kaigo-hoken"), name="x", my_number="123456789017", affair="x")
    with pytest.raises(ValidationError) as exc:
        resident.full_clean()
    assert "my_number" in exc.value.message_dict


def _key(seed: str) -> str:
    return base64.b64encode((seed * 32)[:32].encode()).decode()


@pytest.mark.django_db
def test_rows_written_before_a_rotation_decrypt_after_it(city, settings, reload_keys):
    settings.MADOGUCHI_FIELD_KEYS = f"old:{_key('a')}"
    settings.MADOGUCHI_INDEX_KEYS = f"iold:{_key('b')}"
    reset_keyring()
    resident = _resident()
    assert _raw("my_number", resident.pk).startswith("enc1$old$")
    old_index = _raw("my_number_index", resident.pk)

    # The new key goes first; the old one stays until the rotation has run.
    settings.MADOGUCHI_FIELD_KEYS = f"new:{_key('c')},old:{_key('a')}"
    settings.MADOGUCHI_INDEX_KEYS = f"inew:{_key('d')},iold:{_key('b')}"
    reset_keyring()
    assert Resident.objects.get(pk=resident.pk).my_number == "123456789018"

    call_command("rotate_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert _raw("my_number", resident.pk).startswith("enc1$new$")
    assert _raw("name", resident.pk).startswith("enc1$new$")
    assert _raw("my_number_index", resident.pk).startswith("inew$") != old_index.startswith("inew$")

    # With the old key gone, everything still reads and the duplicate check still works.
    settings.MADOGUCHI_FIELD_KEYS = f"new:{_key('c')}"
    settings.MADOGUCHI_INDEX_KEYS = f"inew:{_key('d')}"
    reset_keyring()
    assert Resident.objects.get(pk=resident.pk).my_number == "123456789018"
    assert Resident.objects.filter(
        my_number_index=blind_index_for(Resident, "my_number", "123456789018")
    ).exists()


def test_keyring_refuses_unknown_keys():
    ring = KeyRing({"a": b"k" * 32}, "a", {"i": b"j" * 32}, "i")
    other = KeyRing({"b": b"l" * 32}, "b", {"i": b"j" * 32}, "i")
    with pytest.raises(DecryptionError, match="no key"):
        other.decrypt(ring.encrypt("x", context="c"), context="c")


@pytest.mark.django_db(transaction=True)
def test_a_raw_dump_of_the_database_holds_no_plaintext_my_number(city):
    for number in FIXTURE_NUMBERS:
        _resident(number=number)
    if connection.vendor == "sqlite":
        dump = "\n".join(connection.connection.iterdump())
    else:
        pg_dump = shutil.which("pg_dump")
        assert pg_dump, "pg_dump is needed for this test on PostgreSQL"
        settings_dict = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": settings_dict.get("PASSWORD") or ""}
        dump = subprocess.run(
            [pg_dump, "-h", settings_dict["HOST"] or "127.0.0.1", "-p", str(settings_dict["PORT"] or 5432),
             "-U", settings_dict["USER"] or "postgres", settings_dict["NAME"]],
            capture_output=True, text=True, env=env, check=True, timeout=120,
        ).stdout  # fmt: skip
    assert "privacy_testapp_resident" in dump
    for number in FIXTURE_NUMBERS:
        assert number not in dump
        assert f"{number[:4]} {number[4:8]} {number[8:]}" not in dump
    assert "石巻 太郎" not in dump
