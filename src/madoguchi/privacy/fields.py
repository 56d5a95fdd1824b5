"""Model fields that keep their values encrypted in the database.

``EncryptedTextField`` stores text encrypted with AES-GCM (see ``crypto``). With
``index_field="..."`` it also fills a companion ``BlindIndexField`` with a keyed hash
of the normalised value on every save, for equality look-ups (duplicate checks)
without decrypting: ``Model.objects.filter(my_number_index=blind_index_for(Model, "my_number", value))``.

Encrypted columns cannot be filtered on, ordered by, or compared in SQL: a lookup
other than ``isnull`` raises ``FieldError``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import FieldError
from django.db import models

from .crypto import DecryptionError, keyring
from .mynumber import normalise_my_number, validate_my_number


class EncryptedTextField(models.TextField):
    description = "Text encrypted with AES-256-GCM"

    def __init__(self, *args, index_field: str | None = None, **kwargs):
        self.index_field = index_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.index_field:
            kwargs["index_field"] = self.index_field
        return name, path, args, kwargs

    # -- the context binds a ciphertext to its column --
    @property
    def crypto_context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def normalise(self, value: str) -> str:
        return value

    def to_plain(self, value: Any) -> str:
        return "" if value is None else str(value)

    def from_plain(self, plain: str) -> Any:
        return plain

    def get_prep_value(self, value):
        if value is None:
            return None
        plain = self.to_plain(value)
        if plain == "" and self.null:
            return None
        return keyring().encrypt(plain, context=self.crypto_context)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        try:
            return self.from_plain(keyring().decrypt(value, context=self.crypto_context))
        except DecryptionError as exc:
            raise DecryptionError(f"{self.crypto_context}: {exc}") from exc

    def to_python(self, value):
        return value

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if self.index_field:
            setattr(
                model_instance,
                self.index_field,
                None if value in (None, "") else blind_index(self, self.to_plain(value)),
            )
        return value

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.crypto_context} is encrypted: filter on its blind index ({self.index_field or 'none'}) instead"
            )
        return super().get_lookup(lookup_name)


class EncryptedJSONField(EncryptedTextField):
    """Any JSON-serialisable value (health and care details, household data), encrypted whole."""

    def to_plain(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def from_plain(self, plain: str) -> Any:
        return json.loads(plain)


class MyNumberField(EncryptedTextField):
    """個人番号: validated (12 digits, check digit), normalised, encrypted, with a blind index."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [validate_my_number])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs

    def normalise(self, value: str) -> str:
        return normalise_my_number(value)

    def to_plain(self, value: Any) -> str:
        return "" if value is None else normalise_my_number(str(value))


class BlindIndexField(models.CharField):
    """The keyed hash of an encrypted field's value; filled by that field on save."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 80)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


def blind_index(field: EncryptedTextField, value: str) -> str:
    return keyring().blind_index(field.normalise(value), context=field.crypto_context)


def blind_index_for(model: type[models.Model], field_name: str, value: str) -> str:
    """The index value to filter on: ``filter(**{index_field: blind_index_for(M, "my_number", v)})``."""
    return blind_index(model._meta.get_field(field_name), value)


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
