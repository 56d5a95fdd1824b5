"""Reads for notices, their templates and the reminders' settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from madoguchi.core.i18n import current_language

from .kinds import all_kinds, is_known, kind_label, reminder_kinds, variables_for
from .models import MessageTemplate, Notice, ReminderOptOut, ReminderSetting


def notices_for(*, user, limit: int | None = None) -> QuerySet[Notice]:
    """The user's notices, newest first (for My page and /account/notices/)."""
    qs = Notice.objects.filter(user=user).order_by("-created_at", "-pk")
    return qs[:limit] if limit else qs


def notices_unread_count(*, user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def notice_get_owned(*, user, notice_id) -> Notice:
    """One of the user's own notices; 404 for anybody else's."""
    notice = Notice.objects.filter(pk=notice_id, user=user).first()
    if notice is None:
        raise Http404
    return notice


# --- templates ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRow:
    kind: str
    label: str
    is_reminder: bool
    edited: dict  # language -> MessageTemplate or None


def message_templates_overview() -> list[TemplateRow]:
    edited = {(t.kind, t.language): t for t in MessageTemplate.objects.all()}
    reminders = set(reminder_kinds())
    return [
        TemplateRow(
            kind=kind,
            label=kind_label(kind),
            is_reminder=kind in reminders,
            edited={lang: edited.get((kind, lang)) for lang in ("ja", "en")},
        )
        for kind in all_kinds()
    ]


def message_template_for_edit(*, kind: str, language: str) -> dict:
    """What the edit page shows: the current text, whether it was edited, and the variables; 404 if unknown."""
    from .kinds import VARIABLE_HELP
    from .rendering import template_source

    if not is_known(kind) or language not in ("ja", "en"):
        raise Http404
    subject, body, edited = template_source(kind, language)
    row = MessageTemplate.objects.filter(kind=kind, language=language).select_related("updated_by").first()
    return {
        "kind": kind, "language": language, "label": kind_label(kind), "subject": subject, "body": body,
        "edited": edited, "row": row,
        "variables": [(name, VARIABLE_HELP.get(name, "")) for name in variables_for(kind)],
    }  # fmt: skip


# --- reminders ----------------------------------------------------------------------------------------------


def reminder_city_switches() -> dict[str, bool]:
    return dict(ReminderSetting.objects.values_list("kind", "enabled"))


@dataclass(frozen=True)
class ReminderRow:
    kind: str
    name: str
    description: str
    in_data: bool  # enabled in data/reminders.yaml
    by_city: bool  # the city's switch
    receiving: bool = True  # for one citizen: not switched off

    @property
    def active(self) -> bool:
        return self.in_data and self.by_city


def _rows(opted_out: set[str] | None = None) -> list[ReminderRow]:
    from .reminders import reminder_config

    language = current_language()
    switches = reminder_city_switches()
    return [
        ReminderRow(
            kind=kind,
            name=rule.name.get(language) or rule.name["ja"],
            description=rule.description.get(language) or rule.description.get("ja", ""),
            in_data=rule.enabled,
            by_city=switches.get(kind, True),
            receiving=kind not in (opted_out or set()),
        )
        for kind, rule in reminder_config().items()
    ]


def reminder_settings_overview() -> list[ReminderRow]:
    return _rows()


def reminder_choices_for(*, user) -> list[ReminderRow]:
    """The reminders the city sends, and whether this citizen receives each."""
    opted_out = set(ReminderOptOut.objects.filter(user=user).values_list("kind", flat=True))
    return [row for row in _rows(opted_out) if row.active]


# --- delivery, for the ICT office ------------------------------------------------------------------------------


def delivery_summary(*, days: int = 30) -> dict:
    """How the e-mails of the last ``days`` days fared (counts only)."""
    since = timezone.now() - timedelta(days=days)
    counts = dict(
        Notice.objects.filter(created_at__gte=since)
        .values_list("email_status")
        .annotate(n=Count("pk"))
        .values_list("email_status", "n")
    )
    oldest = (
        Notice.objects.filter(email_status=Notice.EmailStatus.PENDING)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    failed_all = Notice.objects.filter(email_status=Notice.EmailStatus.FAILED).count()
    return {"days": days, "counts": {s: counts.get(s, 0) for s in Notice.EmailStatus.values},
            "oldest_pending": oldest, "failed": failed_all}  # fmt: skip
