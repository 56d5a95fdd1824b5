"""Reminders driven by data (``data/reminders.yaml``): the rules that find whom to remind, and when.

Each rule type takes the kind's settings and a day, and returns candidates: who, about what (a key
that names the decision, draft, correction... with no personal data), for which period, with the
template's values and the link. ``services.reminders_run`` sends each (kind, user, key, period) once.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .kinds import EVENT_LABELS, REMINDER_VARIABLES


class ReminderConfigError(Exception):
    pass


@dataclass(frozen=True)
class ReminderRule:
    kind: str
    type: str
    enabled: bool
    name: dict
    description: dict
    params: dict = field(default_factory=dict)


@dataclass
class Candidate:
    user: object
    key: str
    period: str
    context: dict
    link: str
    submission: object = None
    case: object = None


def config_path() -> Path:
    return Path(settings.BASE_DIR) / "data" / "reminders.yaml"


def parse_config(data: dict) -> dict[str, ReminderRule]:
    from .rendering import has_default

    rules = {}
    for kind, entry in (data or {}).items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", kind) or kind in EVENT_LABELS:
            raise ReminderConfigError(f"{kind!r}: not a usable name for a reminder kind")
        entry = dict(entry)
        rule_type = entry.pop("type", None)
        if rule_type not in RULES:
            raise ReminderConfigError(f"{kind}: unknown type {rule_type!r} (one of {sorted(RULES)})")
        name = entry.pop("name", None)
        if not isinstance(name, dict) or not name.get("ja"):
            raise ReminderConfigError(f"{kind}: name needs at least ja")
        if not has_default(kind, "ja"):
            raise ReminderConfigError(f"{kind}: no default template notifications/defaults/{kind}.ja.txt")
        rule = ReminderRule(kind=kind, type=rule_type, enabled=bool(entry.pop("enabled", True)), name=name,
                            description=entry.pop("description", None) or {"ja": ""}, params=entry)  # fmt: skip
        CHECKS[rule_type](rule)
        rules[kind] = rule
    return rules


@lru_cache(maxsize=1)
def reminder_config() -> dict[str, ReminderRule]:
    return parse_config(yaml.safe_load(config_path().read_text(encoding="utf-8")))


# --- dates -----------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def certification_end(start: date, months: int) -> date:
    """A period of ``months`` from ``start``: from the 1st it ends after whole months; from later in
    a month, the rest of that month is added (as 要介護認定 periods are counted)."""
    if start.day == 1:
        return end_of_month(add_months(start, months - 1))
    return end_of_month(add_months(start, months))


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _iso(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _names(obj) -> dict:
    return {"ja": obj.name, "en": getattr(obj, "name_en", "") or obj.name}


def _department(department) -> dict:
    return {"department_name": _names(department), "department_phone": department.phone}


def _month_day(text) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(text))
    if not match:
        raise ReminderConfigError(f"{text!r}: write a day of the year as MM-DD")
    month, day = int(match[1]), int(match[2])
    date(2024, month, day)  # raises for 02-30
    return month, day


# --- the rules --------------------------------------------------------------------------------------


def _check_certification_expiry(rule: ReminderRule) -> None:
    p = rule.params
    if not p.get("procedure") or not isinstance(p.get("days_before"), int):
        raise ReminderConfigError(f"{rule.kind}: procedure and days_before are required")
    for cert in p.get("certifications") or []:
        if "procedure" not in cert or not ("months" in cert or "ends_on" in cert):
            raise ReminderConfigError(
                f"{rule.kind}: each certification needs procedure and months or ends_on"
            )
    if not p.get("certifications"):
        raise ReminderConfigError(f"{rule.kind}: certifications are required")


def certification_expiry(rule: ReminderRule, today: date) -> list[Candidate]:
    """Approved certifications ending within ``days_before`` days, not yet followed by a new application."""
    from madoguchi.cases.models import Decision
    from madoguchi.cases.workflows import workflow
    from madoguchi.procedures.models import Procedure
    from madoguchi.submissions.models import Submission

    p = rule.params
    certs = {c["procedure"]: c for c in p["certifications"]}
    renew = Procedure.objects.filter(slug=p["procedure"]).select_related("department").first()
    if renew is None:
        return []
    person_field = p.get("person_field")
    decisions = (
        Decision.objects.filter(state=Decision.State.APPROVED, case__procedure__slug__in=certs,
                                case__submission__user__isnull=False,
                                approved_at__gte=start_of(today - timedelta(days=5 * 366)))
        .select_related("case__submission__user", "case__procedure")
        .order_by("approved_at")
    )  # fmt: skip
    found = []
    for decision in decisions:
        case = decision.case
        try:
            outcome = workflow(case.workflow).status(decision.outcome).decision
        except KeyError:
            continue
        if outcome != "approved":
            continue
        submission = case.submission
        data = submission.data
        cert = certs[case.procedure.slug]
        if "ends_on" in cert:
            expires = _iso(data.get(cert["ends_on"]))
        else:
            previous_end = _iso(data.get(cert["starts_after"])) if cert.get("starts_after") else None
            start = (
                previous_end + timedelta(days=1)
                if previous_end
                else timezone.localdate(submission.submitted_at)
            )
            expires = certification_end(start, int(cert["months"]))
        if expires is None or not (expires - timedelta(days=p["days_before"]) <= today <= expires):
            continue
        person = data.get(person_field) if person_field else None
        later = Submission.objects.filter(
            user=submission.user,
            procedure__slug__in=[*certs, renew.slug],
            submitted_at__gt=submission.submitted_at,
        )
        if any(not person or s.data.get(person_field) in (person, None, "") for s in later):
            continue  # a new application for the same person was made already
        found.append(Candidate(
            user=submission.user, key=f"decision:{decision.pk}", period=expires.isoformat(),
            context={"procedure_name": _names(renew), "receipt_number": submission.receipt_number,
                     "expires_on": expires, "days_left": (expires - today).days, **_department(renew.department)},
            link=reverse("procedures:detail", kwargs={"slug": renew.slug}), submission=submission, case=case,
        ))  # fmt: skip
    return found


def _check_yearly_season(rule: ReminderRule) -> None:
    p = rule.params
    if not p.get("procedure") or not p.get("holders"):
        raise ReminderConfigError(f"{rule.kind}: procedure and holders are required")
    starts, ends = _month_day(p.get("starts")), _month_day(p.get("ends"))
    if ends < starts:
        raise ReminderConfigError(f"{rule.kind}: the season must end after it starts, within the year")
    for holder in p["holders"]:
        if "procedure" not in holder or not ("statuses" in holder or "decided" in holder):
            raise ReminderConfigError(f"{rule.kind}: each holder needs procedure and statuses or decided")


def yearly_season(rule: ReminderRule, today: date) -> list[Candidate]:
    """In the season, everyone who holds one of the qualifying cases and has not filed this year."""
    from madoguchi.cases.models import Case, Decision
    from madoguchi.procedures.models import Procedure
    from madoguchi.submissions.models import Submission

    p = rule.params
    season_start = date(today.year, *_month_day(p["starts"]))
    season_end = date(today.year, *_month_day(p["ends"]))
    if not season_start <= today <= season_end:
        return []
    procedure = Procedure.objects.filter(slug=p["procedure"]).select_related("department").first()
    if procedure is None:
        return []
    users = {}
    for holder in p["holders"]:
        cases = Case.objects.filter(procedure__slug=holder["procedure"], received_on__lt=season_start,
                                    submission__user__isnull=False)  # fmt: skip
        if "statuses" in holder:
            cases = cases.filter(status__in=holder["statuses"])
        if "decided" in holder:
            cases = cases.filter(
                decisions__state=Decision.State.APPROVED, decisions__outcome=holder["decided"]
            )
        for case in cases.select_related("submission__user"):
            users.setdefault(case.submission.user_id, case.submission.user)
    filed = set(
        Submission.objects.filter(
            procedure=procedure, submitted_at__gte=start_of(season_start), user_id__in=users
        ).values_list("user_id", flat=True)
    )
    context = {"procedure_name": _names(procedure), "year": today.year, "season_starts_on": season_start,
               "season_ends_on": season_end, **_department(procedure.department)}  # fmt: skip
    link = reverse("procedures:detail", kwargs={"slug": procedure.slug})
    return [
        Candidate(
            user=user, key=f"procedure:{procedure.slug}", period=str(today.year), context=context, link=link
        )
        for user_id, user in sorted(users.items())
        if user_id not in filed
    ]


def _check_draft_idle(rule: ReminderRule) -> None:
    if not isinstance(rule.params.get("idle_days"), int) or rule.params["idle_days"] < 1:
        raise ReminderConfigError(f"{rule.kind}: idle_days (a number of days) is required")


def draft_idle(rule: ReminderRule, today: date) -> list[Candidate]:
    """Logged-in citizens' drafts untouched for ``idle_days`` days that are still kept."""
    from madoguchi.submissions.models import Draft

    idle_since = today - timedelta(days=rule.params["idle_days"])
    drafts = Draft.objects.filter(
        user__isnull=False, updated_at__lt=start_of(idle_since + timedelta(days=1)),
        expires_at__gte=start_of(today + timedelta(days=1)), accepted_at__isnull=True,
    ).select_related("user", "version")  # fmt: skip
    found = []
    for draft in drafts:
        updated = timezone.localdate(draft.updated_at)
        found.append(Candidate(
            user=draft.user, key=f"draft:{draft.pk}", period=updated.isoformat(),
            context={"procedure_name": draft.version.definition["name"], "updated_on": updated,
                     "expires_on": timezone.localdate(draft.expires_at)},
            link=reverse("submissions:check", kwargs={"draft_id": draft.pk}),
        ))  # fmt: skip
    return found


def _check_correction_open(rule: ReminderRule) -> None:
    days = rule.params.get("after_days")
    if not days or not all(isinstance(d, int) and d > 0 for d in days):
        raise ReminderConfigError(f"{rule.kind}: after_days (a list of numbers of days) is required")


def correction_open(rule: ReminderRule, today: date) -> list[Candidate]:
    """Open correction requests at each of ``after_days`` days (only the latest passed, once each)."""
    from madoguchi.cases.models import CorrectionRequest

    after_days = sorted(rule.params["after_days"])
    corrections = CorrectionRequest.objects.filter(
        resolved_at__isnull=True, case__status="correction", case__submission__user__isnull=False,
        requested_at__lt=start_of(today - timedelta(days=after_days[0] - 1)),
    ).select_related("case__submission__user", "case__procedure", "case__department")  # fmt: skip
    found = []
    for correction in corrections:
        requested = timezone.localdate(correction.requested_at)
        waiting = (today - requested).days
        passed = [d for d in after_days if waiting >= d]
        if not passed:
            continue
        case = correction.case
        found.append(Candidate(
            user=case.submission.user, key=f"correction:{correction.pk}", period=str(passed[-1]),
            context={"procedure_name": _names(case.procedure), "receipt_number": case.receipt_number,
                     "requested_on": requested, "days_waiting": waiting, "reason": correction.reason,
                     **_department(case.department)},
            link=reverse("submissions:correct", kwargs={"submission_id": case.submission_id}),
            submission=case.submission, case=case,
        ))  # fmt: skip
    return found


RULES: dict[str, Callable[[ReminderRule, date], list[Candidate]]] = {
    "certification_expiry": certification_expiry,
    "yearly_season": yearly_season,
    "draft_idle": draft_idle,
    "correction_open": correction_open,
}
CHECKS: dict[str, Callable[[ReminderRule], None]] = {
    "certification_expiry": _check_certification_expiry,
    "yearly_season": _check_yearly_season,
    "draft_idle": _check_draft_idle,
    "correction_open": _check_correction_open,
}
if not set(RULES) == set(REMINDER_VARIABLES) == set(CHECKS):
    raise ReminderConfigError("every rule type needs its variables (kinds.py) and its check")
