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


def _answered_my_number(people):
    from tests.support.cases import file_case

    case = file_case(people["citizen_erin"], "kaigo_nintei_shinki", insured_my_number="123456789018")
    return {"label": "submissions.submission", "pk": case.submission_id, "key": "insured_my_number"}


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


def _case_attachment(people):
    """A kaigo-hoken case whose submission carries a photo (as the runner stores it)."""
    from tests.support.cases import file_case

    photo = _file(people)["file_id"]
    case = file_case(people["citizen_erin"], slug="kaigo_jutaku_kaishu",
                     before_photos=[{"id": str(photo), "name": "scan.png"}])  # fmt: skip
    return {"case_id": case.pk, "file_id": photo}


def _case_submission(people):
    from tests.support.cases import file_case

    return {"submission_id": file_case(people["citizen_erin"]).submission_id}


def _kiosk(people):
    import hashlib

    from madoguchi.counter.models import Kiosk

    kiosk = Kiosk.objects.create(department=department("kaigo-hoken"), place="避難所", procedures=[],
                                 key_hash=hashlib.sha256(b"x").hexdigest(), enrolled_by=people["kaigo_alice"])  # fmt: skip
    return {"kiosk_id": kiosk.pk}


def _notice(people):
    from madoguchi.notifications.services import notify

    notice = notify(user=people["citizen_erin"], kind="message", link="/",
                    context={"procedure_name": "テスト", "receipt_number": "1", "department_name": "介護保険課"})  # fmt: skip
    return {"notice_id": notice.pk}


def _counter_session(people):
    from tests.support.counter import counter_session

    return {"session_id": counter_session(people["kaigo_alice"]).pk}


def _counter_draft(people):
    from tests.support.counter import counter_draft, counter_session

    return {"draft_id": counter_draft(people["kaigo_alice"], counter_session(people["kaigo_alice"])).pk}


def _counter_draft_page(people):
    return {**_counter_draft(people), "page_id": "filer"}


def _counter_filing(people):
    from tests.support.counter import file_at_counter

    return {"submission_id": file_at_counter(people["kaigo_alice"]).submission_id}


def _booking(people):
    from tests.support.counter import book

    return {"booking_id": book(people["citizen_erin"]).pk}


def _booking_hours(people):
    from tests.support.counter import open_hours

    return {"code": "kaigo-hoken", "schedule_id": open_hours("kaigo-hoken").pk}


def _opendata_dataset(people):
    from tests.support.opendata import kaigo_dataset

    return {"name": kaigo_dataset(people["kaigo_alice"]).name}


def _opendata_version(people):
    from tests.support.opendata import kaigo_dataset, ready

    dataset = kaigo_dataset(people["kaigo_alice"])
    return {"name": dataset.name, "version_id": ready(people["kaigo_alice"], dataset).pk}


def _paper_batch(people):
    from madoguchi.paper.services import batch_create
    from tests.test_uploads import Upload

    batch = batch_create(user=people["kaigo_alice"], department=department("kaigo-hoken"),
                         uploads=[Upload(png(), "scan.png")])  # fmt: skip
    return batch


def _paper_batch_id(people):
    return {"batch_id": _paper_batch(people).pk}


def _paper_scan(people):
    from madoguchi.paper.services import jobs_run

    batch = _paper_batch(people)
    jobs_run(batch_id=batch.pk)  # a plain image: read into the unidentified pile
    return {"scan_id": batch.pages.get().pk}


def _paper_application(people):
    from madoguchi.paper.models import PaperApplication
    from madoguchi.procedures.models import Procedure

    _procedures()
    batch = _paper_batch(people)
    version = Procedure.objects.get(slug="kaigo_nintei_shinki").current_version
    application = PaperApplication.objects.create(batch=batch, position=1, version=version,
                                                  retain_until=batch.retain_until)  # fmt: skip
    return {"application_id": application.pk}


ENDPOINTS = [
    Endpoint("organisations:department_detail", _department, "kaigo_alice"),
    Endpoint("accounts:member_add", _department, "kaigo_admin"),
    Endpoint("accounts:member_detail", _member, "kaigo_admin"),
    Endpoint("privacy:file_download", _file, "citizen_erin"),
    Endpoint("privacy:my_number_reveal", _resident, "kaigo_alice"),
    Endpoint("privacy:my_number_reveal_key", _answered_my_number, "kaigo_alice"),
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
    Endpoint("dashboards:survey", _submission, "citizen_erin"),
    Endpoint("cases:detail", _case, "kaigo_alice"),
    Endpoint("identity:agents", _department, "kaigo_admin"),
    Endpoint("cases:action", _case, "kaigo_alice"),
    Endpoint("cases:attachment", _case_attachment, "kaigo_alice"),
    Endpoint("cases_export:api_tokens", _department, "kaigo_admin"),
    Endpoint("opendata_api:api_tokens", _department, "kaigo_admin"),
    Endpoint("counter:session", _counter_session, "kaigo_alice"),
    Endpoint("counter:visitor", _counter_session, "kaigo_alice"),
    Endpoint("counter:identity", _counter_session, "kaigo_alice"),
    Endpoint("counter:consent", _counter_session, "kaigo_alice"),
    Endpoint("counter:apply", _counter_session, "kaigo_alice"),
    Endpoint("counter:end", _counter_session, "kaigo_alice"),
    Endpoint("counter:page", _counter_draft_page, "kaigo_alice"),
    Endpoint("counter:check", _counter_draft, "kaigo_alice"),
    Endpoint("counter:confirm", _counter_draft, "kaigo_alice"),
    Endpoint("counter:sheet", _counter_draft, "kaigo_alice"),
    Endpoint("counter:discard", _counter_draft, "kaigo_alice"),
    Endpoint("counter:filed", _counter_filing, "kaigo_alice"),
    Endpoint("counter:receipt_pdf", _counter_filing, "kaigo_alice"),
    Endpoint("counter:booking_detail", _booking, "citizen_erin"),
    Endpoint("counter:booking_cancel", _booking, "citizen_erin"),
    Endpoint("counter:booking_move", _booking, "citizen_erin"),
    Endpoint("counter:booking_check_in", _booking, "kaigo_alice"),
    Endpoint("counter:schedules", _department, "kaigo_admin"),
    Endpoint("counter:kiosk_revoke", _kiosk, "kaigo_alice"),
    Endpoint("counter:schedule_delete", _booking_hours, "kaigo_admin"),
    Endpoint("paper:draft_form_pdf", _draft, "citizen_erin"),
    Endpoint("paper:counter_form_pdf", _counter_draft, "kaigo_alice"),
    Endpoint("paper:batch", _paper_batch_id, "kaigo_alice"),
    Endpoint("paper:batch_process", _paper_batch_id, "kaigo_alice"),
    Endpoint("paper:application", _paper_application, "kaigo_alice"),
    Endpoint("paper:page", _paper_scan, "kaigo_alice"),
    Endpoint("paper:page_image", _paper_scan, "kaigo_alice"),
    Endpoint("notifications:notice_detail", _notice, "citizen_erin"),
    Endpoint("opendata:staff_detail", _opendata_dataset, "kaigo_alice"),
    Endpoint("opendata:staff_edit", _opendata_dataset, "kaigo_alice"),
    Endpoint("opendata:staff_upload", _opendata_dataset, "kaigo_alice"),
    Endpoint("opendata:staff_link", _opendata_dataset, "kaigo_alice"),
    Endpoint("opendata:staff_action", _opendata_dataset, "kaigo_alice"),
    Endpoint("opendata:staff_version", _opendata_version, "kaigo_alice"),
    Endpoint("opendata:staff_version_original", _opendata_version, "kaigo_alice"),
    Endpoint("opendata:staff_version_file", _opendata_version, "kaigo_alice"),
]

# URLs with parameters that name no object of anyone's.
NOT_OBJECTS = {
    "accounts:verify_email": "a signed one-time token, checked by the view",
    "accounts:password_reset_confirm": "a signed one-time token, checked by Django's view",
    "procedures:detail": "a public catalogue page",
    "documents:verify": "public by design: the code printed on a document is what opens its verification page",
    "procedures:start": "starts a new draft of a public procedure for whoever asks",
    "procedures:power_of_attorney": "a blank 委任状 of a public procedure: no personal data",
    "paper:form_pdf": "the blank paper form of a public procedure: no personal data",
    "lifeevents:guide": "a public life-event guide: the answers are POSTed and never stored",
    "counter:kiosk_page": "a draft of a kiosk applicant's visit: reached only with the kiosk's cookie and the visit's "
    "session, never by a person's log-in (tests/test_kiosk.py)",
    "counter:kiosk_check": "the same kiosk applicant's draft (tests/test_kiosk.py)",
    "counter:kiosk_filed": "a filing of a kiosk applicant's open visit only (tests/test_kiosk.py)",
    "counter:kiosk_receipt_pdf": "the same kiosk filing's copy (tests/test_kiosk.py)",
    "counter:booking_choose": "the free slots of a public procedure's counter (no one's data); booking needs a log-in",
    "notifications:template_edit": "a city-wide message template (kind, language) for システム管理者 only: "
    "every other role's 404 is tested in tests/test_notifications.py",
    "cases_api:case_detail": "token-authenticated: scoping tested in tests/test_case_api.py",
    "cases_api:case_status": "token-authenticated: scoping tested in tests/test_case_api.py",
    "opendata_api:action": "the public CKAN Action API: a name of an action, not an object; what a write token may touch is "
    "tested in tests/test_ckan_api.py",
    "opendata_api:action_unversioned": "the same CKAN Action API at ckanapi's path",
    "opendata_api:api_root": "the CKAN API version number",
    "opendata_api:catalog": "the public DCAT catalogue in a format (published datasets only)",
    "opendata_api:dataset_document": "the public DCAT document of a published dataset (others answer 404)",
    "opendata:dataset": "a public dataset page (published datasets only; others answer 404)",
    "opendata:download": "a public file of a published dataset, counted (others answer 404)",
    "opendata:schema": "the public Table Schema of a published CSV (others answer 404)",
    "dx:initiative": "a city-wide DX policy initiative (the policy is public): every staff member reads it",
    "dx:initiative_edit": "a city-wide DX policy initiative, edited by DX推進担当 only (tests/test_dx_views.py)",
    "dx:pdca_add": "a city-wide DX policy initiative, edited by DX推進担当 only (tests/test_dx_views.py)",
    "dx:kpi": "a city-wide KPI of the DX policy: every staff member reads it",
    "dx:kpi_entry": "a city-wide KPI, entered by DX推進担当 only (tests/test_dx_views.py)",
    "dx:kpi_edit": "a city-wide KPI, edited by DX推進担当 only (tests/test_dx_views.py)",
    "dx:register_edit": "a row of the city-wide procedure register: its department's staff and DX推進担当 (city-wide) edit "
    "it, so dx_dana is no intruder here; other departments' 404 is tested in tests/test_dx_views.py",
    "dx:area_edit": "a city-wide standardisation area, edited by DX推進担当 only (tests/test_dx_views.py)",
}

# Who must see nothing of 介護保険課's or erin's.
INTRUDERS = ("kosodate_charlie", "kosodate_admin", "dx_dana", "citizen_frank")
