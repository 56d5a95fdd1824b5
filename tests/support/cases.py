"""Make submissions (and so cases) the way the runner does, without walking pages."""

from __future__ import annotations

from madoguchi.forms.samples import sample_answers
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.services import procedures_load_from_files
from madoguchi.submissions import services


def ensure_procedures() -> None:
    if not Procedure.objects.exists():
        procedures_load_from_files()


def file_case(user, slug: str = "kaigo_nintei_shinki", **answers):
    """A submission by ``user`` with sample answers (overridden by ``answers``); returns its case."""
    ensure_procedures()
    procedure = Procedure.objects.get(slug=slug)
    draft = services.draft_start(procedure=procedure, user=user)
    data = {**sample_answers(procedure.current_version.definition), **answers}
    services.draft_save(draft=draft, values=data)
    submission = services.submission_create(
        draft_id=draft.pk, idempotency_key=draft.submission_token, user=user
    )
    return submission.cases.get()
