"""Make submissions (and so cases) the way the runner does, without walking pages."""

from __future__ import annotations

from madoguchi.forms.samples import sample_answers
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.services import procedures_load_from_files
from madoguchi.submissions import services


def ensure_procedures() -> None:
    if not Procedure.objects.exists():
        procedures_load_from_files()


def file_case(user, slug: str = "kaigo_nintei_shinki", channel: str = "online", **answers):
    """A submission by ``user`` with sample answers (overridden by ``answers``); returns its case.
    Online filings of 'jpki' procedures are signed with a test card, as the citizen would."""
    ensure_procedures()
    procedure = Procedure.objects.get(slug=slug)
    draft = services.draft_start(procedure=procedure, user=user)
    data = {**sample_answers(procedure.current_version.definition, given=answers), **answers}
    services.draft_save(draft=draft, values=data)
    if services.needs_signature(procedure.current_version.definition, channel):
        from madoguchi.identity.dev_helpers import sign_draft_with_test_card

        sign_draft_with_test_card(draft)
    submission = services.submission_create(
        draft_id=draft.pk, idempotency_key=draft.submission_token, user=user, channel=channel
    )
    return submission.cases.get()
