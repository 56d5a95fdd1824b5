"""Endpoints that take an object, for the access matrix (tests/test_access_matrix.py).

Every URL with a path parameter must be listed here, with how to make an object that
belongs to 介護保険課 (and, where citizens own things, to the citizen erin), and which
persona owns it. Later apps add their endpoints to ENDPOINTS; the matrix then checks
that every other department's staff and every other citizen get 404 from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.conftest import department
from tests.support.hostile import png


@dataclass(frozen=True)
class Endpoint:
    url_name: str
    build: Callable[[dict], dict]  # personas -> URL kwargs of an object of kaigo-hoken / erin
    owner: str  # a persona who may open it (shows the cell can fail)


def _department(people):
    return {"code": "kaigo-hoken"}


def _member(people):
    return {"code": "kaigo-hoken", "user_id": people["kaigo_alice"].pk}


def _file(people):
    from madoguchi.privacy.services import file_store
    from tests.test_uploads import Upload

    stored = file_store(uploaded=Upload(png(), "scan.png"), department=department("kaigo-hoken"),
                        uploaded_by=people["citizen_erin"])  # fmt: skip
    return {"file_id": stored.pk}


def _resident(people):
    from tests.privacy_testapp.models import Resident

    resident = Resident.objects.create(department=department("kaigo-hoken"), name="x", my_number="123456789018",
                                       affair=department("kaigo-hoken").my_number_affairs[0])  # fmt: skip
    return {"label": "privacy_testapp.resident", "pk": resident.pk}


def _procedures():
    from madoguchi.procedures.models import Procedure
    from madoguchi.procedures.services import procedures_load_from_files

    if not Procedure.objects.exists():
        procedures_load_from_files()


def _kaigo_procedure(people):
    _procedures()
    return {"slug": "kaigo_nintei_shinki"}


def _kaigo_version(people):
    _procedures()
    return {"slug": "kaigo_nintei_shinki", "number": 1}


def _draft(people):
    from madoguchi.procedures.models import Procedure
    from madoguchi.submissions.services import draft_start

    _procedures()
    draft = draft_start(procedure=Procedure.objects.get(slug="risai_shomei"), user=people["citizen_erin"])
    return {"draft_id": draft.pk}


def _draft_page(people):
    return {**_draft(people), "page_id": "applicant"}


def _submission(people):
    from madoguchi.submissions.models import Draft, Submission
    from madoguchi.submissions.receipts import new_receipt_number

    kwargs = _draft(people)
    draft = Draft.objects.get(pk=kwargs["draft_id"])
    submission = Submission.objects.create(
        receipt_number=new_receipt_number(), idempotency_key=draft.submission_token, version=draft.version,
        procedure=draft.version.procedure, department=draft.version.procedure.department, user=people["citizen_erin"],
        data={}, submitted_at=draft.created_at, retain_until=draft.expires_at,
    )  # fmt: skip
    return {"submission_id": submission.pk}


def _bundle(people):
    from madoguchi.procedures.models import Procedure
    from madoguchi.submissions.services import bundle_start

    _procedures()
    procedures = list(Procedure.objects.filter(slug__in=["jidoteate_nintei_seikyu", "hoiku_shikyu_nintei"]))
    return {"bundle_id": bundle_start(user=people["citizen_erin"], procedures=procedures).pk}


def _case(people):
    from tests.support.cases import file_case

    return {"case_id": file_case(people["citizen_erin"]).pk}


def _case_submission(people):
    from tests.support.cases import file_case

    return {"submission_id": file_case(people["citizen_erin"]).submission_id}


ENDPOINTS = [
    Endpoint("organisations:department_detail", _department, "kaigo_alice"),
    Endpoint("accounts:member_add", _department, "kaigo_admin"),
    Endpoint("accounts:member_detail", _member, "kaigo_admin"),
    Endpoint("privacy:file_download", _file, "citizen_erin"),
    Endpoint("privacy:my_number_reveal", _resident, "kaigo_alice"),
    Endpoint("procedures:manage_detail", _kaigo_procedure, "kaigo_admin"),
    Endpoint("procedures:version_preview", _kaigo_version, "kaigo_admin"),
    Endpoint("submissions:page", _draft_page, "citizen_erin"),
    Endpoint("submissions:check", _draft, "citizen_erin"),
    Endpoint("submissions:sign", _draft, "citizen_erin"),
    Endpoint("submissions:detail", _submission, "citizen_erin"),
    Endpoint("submissions:bundle_shared", _bundle, "citizen_erin"),
    Endpoint("submissions:bundle_check", _bundle, "citizen_erin"),
    Endpoint("submissions:bundle_done", _bundle, "citizen_erin"),
    Endpoint("submissions:receipt_pdf", _submission, "citizen_erin"),
    Endpoint("submissions:reply", _case_submission, "citizen_erin"),
    Endpoint("submissions:correct", _case_submission, "citizen_erin"),
    Endpoint("cases:detail", _case, "kaigo_alice"),
    Endpoint("identity:agents", _department, "kaigo_admin"),
    Endpoint("cases:action", _case, "kaigo_alice"),
    Endpoint("cases_export:api_tokens", _department, "kaigo_admin"),
]

# URLs with parameters that name no object of anyone's.
NOT_OBJECTS = {
    "accounts:verify_email": "a signed one-time token, checked by the view",
    "accounts:password_reset_confirm": "a signed one-time token, checked by Django's view",
    "procedures:detail": "a public catalogue page",
    "documents:verify": "public by design: the code printed on a document is what opens its verification page",
    "procedures:start": "starts a new draft of a public procedure for whoever asks",
    "procedures:power_of_attorney": "a blank 委任状 of a public procedure: no personal data",
    "lifeevents:guide": "a public life-event guide: the answers are POSTed and never stored",
    "cases_api:case_detail": "token-authenticated: scoping tested in tests/test_case_api.py",
    "cases_api:case_status": "token-authenticated: scoping tested in tests/test_case_api.py",
}

# Who must see nothing of 介護保険課's or erin's.
INTRUDERS = ("kosodate_charlie", "kosodate_admin", "dx_dana", "citizen_frank")
