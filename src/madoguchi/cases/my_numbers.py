"""The My Numbers in a submission's answers, for the reveal flow (madoguchi.privacy.holders).

A procedure whose form asks a My Number names its 個人番号利用事務 in
``personal_data.my_number_affair``; the submission belongs to the department that
received it. A number is addressed by a key that names its place in the answers,
never the number: ``<field id>`` on an ordinary page, ``<page id>.<n>.<field id>`` for
the n-th item (from 0) of a repeating page (the children, say).
"""

from __future__ import annotations

from django.urls import reverse

from madoguchi.privacy.holders import REVEAL_ROLES, MyNumberHolder, may_reveal, register_holder

LABEL = "submissions.submission"


def _my_number_fields(page: dict) -> set[str]:
    return {f["id"] for f in page["fields"] if f["type"] == "my_number"}


def number_at(submission, key: str) -> str | None:
    """The My Number answered under ``key``, or None (no such place, no answer, not a My Number field)."""
    definition = submission.version.definition
    data = submission.data or {}
    parts = key.split(".")
    value = None
    if len(parts) == 1:
        if any(not p.get("repeat") and key in _my_number_fields(p) for p in definition["form"]["pages"]):
            value = data.get(key)
    elif len(parts) == 3 and parts[1].isdigit():
        page_id, index, field_id = parts[0], int(parts[1]), parts[2]
        page = next((p for p in definition["form"]["pages"] if p["id"] == page_id and p.get("repeat")), None)
        items = data.get(page_id)
        if page and field_id in _my_number_fields(page) and isinstance(items, list) and index < len(items):
            item = items[index]
            value = item.get(field_id) if isinstance(item, dict) else None
    return value if isinstance(value, str) and value else None


def affair_of(submission) -> str:
    return (submission.version.definition.get("personal_data") or {}).get("my_number_affair", "")


def visible_to(user):
    from madoguchi.submissions.models import Submission

    departments = {d for d, role in user.role_set if role in REVEAL_ROLES}
    return Submission.objects.select_related("version", "department").filter(department_id__in=departments)


def back_url_of(submission) -> str | None:
    case = submission.cases.order_by("created_at").first()
    return reverse("cases:detail", kwargs={"case_id": case.pk}) if case else None


def register() -> None:
    from madoguchi.submissions.models import Submission

    register_holder(MyNumberHolder(
        model=Submission, field="data", department_of=lambda s: s.department, affair_of=affair_of,
        visible_to=visible_to, value_of=number_at, back_url_of=back_url_of,
    ))  # fmt: skip


def reveal_url(user, submission, key: str) -> str | None:
    """Where this user may reveal the number under ``key`` (None: they may not, so no control)."""
    from madoguchi.privacy.holders import holder_for

    holder = holder_for(LABEL)
    if holder is None or number_at(submission, key) is None or not may_reveal(user, holder, submission):
        return None
    return reverse("privacy:my_number_reveal_key", kwargs={"label": LABEL, "pk": submission.pk, "key": key})
