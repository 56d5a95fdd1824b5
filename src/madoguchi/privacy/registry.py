"""What personal data each model holds, why, and for how long.

Every model of the project (and of the libraries it installs) is classified here:
either ``personal_data_file(...)`` describes it (its 個人情報ファイル簿 entry and its
retention), or ``no_personal_data(model, reason)`` says why it holds none. A test
fails for any model left unclassified, so a new model cannot hold personal data
without a purpose, a list of items and a retention period.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models


@dataclass(frozen=True)
class Retention:
    """How long records are kept, and how they are erased when that ends.

    ``expired(now)`` returns the queryset of records past retention (None when erasure
    is not automatic; ``manual`` then says who erases them and how). ``anonymise``,
    when given, overwrites the personal items instead of deleting the record.
    ``expiry_of(obj)`` tells when one record expired (for the erasure record).
    """

    period: str
    expired: Callable[[datetime], models.QuerySet] | None = None
    anonymise: Callable[[models.Model], None] | None = None
    expiry_of: Callable[[models.Model], datetime | None] | None = None
    before_delete: Callable[[models.Model], None] | None = None
    manual: str = ""


@dataclass(frozen=True)
class PersonalDataFile:
    model: type[models.Model]
    name: str  # 個人情報ファイルの名称
    department: str  # department code responsible for it
    purpose: str  # 利用目的
    items: tuple[str, ...]  # 記録項目
    subjects: str  # 記録範囲 (whose data)
    sources: str  # 収集方法
    retention: Retention
    sensitive: bool = False  # 要配慮個人情報を含むか
    count_persons: Callable[[], int] | None = None
    in_register: bool = True  # published in the 個人情報ファイル簿
    excluded_reason: str = ""  # why not, when in_register is False
    filter_subjects: Callable[[models.QuerySet], models.QuerySet] | None = field(default=None)

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def persons(self) -> int:
        if self.count_persons is not None:
            return self.count_persons()
        qs = self.model._default_manager.all()
        if self.filter_subjects is not None:
            qs = self.filter_subjects(qs)
        return qs.count()


_files: dict[str, list[PersonalDataFile]] = {}
_exempt: dict[str, str] = {}
_providers: list[Callable[[], list[RegisterEntry]]] = []


@dataclass(frozen=True)
class RegisterEntry:
    """A 個人情報ファイル簿 entry that comes from data rather than from a model (e.g. one per procedure)."""

    name: str
    department: str
    purpose: str
    items: tuple[str, ...]
    subjects: str
    sources: str
    sensitive: bool
    retention: str
    persons: int


def register_provider(provider: Callable[[], list[RegisterEntry]]) -> None:
    """Add a source of entries computed at read time (published procedures, later datasets...)."""
    if provider not in _providers:
        _providers.append(provider)


def provided_entries() -> list[RegisterEntry]:
    return [entry for provider in _providers for entry in provider()]


PERSON_THRESHOLD = 1000  # 個人情報保護法 第75条: files of fewer persons need no 帳簿 entry


def personal_data_file(**kwargs) -> Callable[[type[models.Model]], type[models.Model]]:
    """Class decorator: declare the model a personal information file (see PersonalDataFile)."""

    def decorator(model: type[models.Model]) -> type[models.Model]:
        register_file(PersonalDataFile(model=model, **kwargs))
        return model

    return decorator


def register_file(entry: PersonalDataFile) -> None:
    entries = _files.setdefault(entry.label, [])
    if any(e.name == entry.name for e in entries):
        return
    entries.append(entry)


def no_personal_data(model: type[models.Model] | str, reason: str) -> None:
    label = model if isinstance(model, str) else model._meta.label_lower
    _exempt[label] = reason


def files() -> list[PersonalDataFile]:
    return [entry for entries in _files.values() for entry in entries]


def files_for(label: str) -> list[PersonalDataFile]:
    return list(_files.get(label, []))


def exemption(label: str) -> str | None:
    return _exempt.get(label)


def unclassified(models_: Iterable[type[models.Model]]) -> list[str]:
    return sorted(
        m._meta.label_lower
        for m in models_
        if m._meta.label_lower not in _files and m._meta.label_lower not in _exempt
    )
