"""Reads for drafts and submissions: only their owner (the citizen, or the browser session
that started an anonymous one) ever gets them; anyone else gets 404."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from .models import Draft, Submission


def _owns(request, obj, session_ids: list[str] | None = None) -> bool:
    user = request.user
    if obj.user_id is not None:
        return user.is_authenticated and obj.user_id == user.pk
    if isinstance(obj, Draft):
        return bool(obj.session_key) and obj.session_key == request.session.session_key
    return str(obj.pk) in (session_ids or [])


def draft_get_owned(*, request, draft_id, allow_submitted: bool = False) -> Draft | None:
    from django.utils import timezone

    draft = Draft.objects.select_related("version__procedure__department").filter(pk=draft_id).first()
    if draft is None and allow_submitted:
        return None
    if draft is None or draft.expires_at < timezone.now() or not _owns(request, draft):
        raise Http404
    return draft


def submission_get_owned(*, request, submission_id) -> Submission:
    from .views import SESSION_SUBMISSIONS

    submission = (
        Submission.objects.select_related("version", "procedure", "department")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or not _owns(request, submission, request.session.get(SESSION_SUBMISSIONS, [])):
        raise Http404
    return submission


def submission_by_key(*, key: str) -> Submission | None:
    try:
        return Submission.objects.filter(idempotency_key=uuid.UUID(str(key))).first()
    except ValueError:
        return None


def submissions_of(*, user) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(user=user).select_related("procedure", "version").order_by("-submitted_at")
    )


def drafts_of(*, user) -> QuerySet[Draft]:
    from django.utils import timezone

    return (
        Draft.objects.filter(user=user, expires_at__gte=timezone.now())
        .select_related("version__procedure")
        .order_by("-updated_at")
    )
