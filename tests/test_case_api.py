"""The REST API for core systems: bearer tokens (hashed, scoped to a department, revocable), the case list
and detail, status changes through the workflow, JSON errors for bad input, the audit trail, the OpenAPI
document (committed, and covering every route), the token page and the command."""

import hashlib
import io
import json
import re
import uuid
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from madoguchi.cases import openapi
from madoguchi.cases.models import ApiToken, Case, CaseEvent
from madoguchi.cases.tokens import api_token_authenticate, api_token_create, api_token_revoke
from madoguchi.organisations.models import Department
from madoguchi.privacy.models import AuditEvent
from tests.conftest import department
from tests.support.urlwalk import walk
from tests.test_case_export import JIDOTEATE, KAIGO, KAIGO_OTHER, MASKED, MY_NUMBER, make_case
from tests.test_case_export import procedures as procedures  # the fixture

pytestmark = pytest.mark.django_db

LIST = "/api/v1/cases/"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def read_token(procedures, kaigo_admin):
    return api_token_create(
        by=kaigo_admin, department=department("kaigo-hoken"), name="介護RPA", scope="read"
    )


@pytest.fixture
def write_token(procedures, kaigo_admin):
    return api_token_create(
        by=kaigo_admin, department=department("kaigo-hoken"), name="介護基幹", scope="write"
    )


def bearer(token) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token[1] if isinstance(token, tuple) else token}"}


def detail_url(case) -> str:
    return reverse("cases_api:case_detail", kwargs={"case_id": case.pk})


def status_url(case) -> str:
    return reverse("cases_api:case_status", kwargs={"case_id": case.pk})


def post_status(client, case, token, body) -> object:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(status_url(case), data, content_type="application/json", **bearer(token))


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == code
    assert body["message"] and body["message_ja"]
    return body


# --- authentication -----------------------------------------------------------------------------


def test_no_token_wrong_token_or_a_session_is_401(procedures, client, as_user, kaigo_admin, citizen_erin):
    case = make_case(citizen_erin)
    for url in (LIST, detail_url(case)):
        response = client.get(url)
        assert_error(response, 401, "unauthorized")
        assert response["WWW-Authenticate"].startswith("Bearer")
        response = client.get(url, **bearer("x" * 43))
        assert_error(response, 401, "unauthorized")
        assert 'error="invalid_token"' in response["WWW-Authenticate"]
        assert_error(client.get(url, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz"), 401, "unauthorized")
    # A logged-in member of the department with a session (and its CSRF-free POST) gets nowhere.
    staff = as_user(kaigo_admin)
    assert_error(staff.get(LIST), 401, "unauthorized")
    assert_error(staff.post(status_url(case), {"status": "reviewing"}), 401, "unauthorized")


def test_a_revoked_token_is_401_at_once(read_token, client, kaigo_admin):
    token, plaintext = read_token
    assert client.get(LIST, **bearer(plaintext)).status_code == 200
    api_token_revoke(by=kaigo_admin, token=token)
    assert_error(client.get(LIST, **bearer(plaintext)), 401, "unauthorized")
    assert api_token_authenticate(f"Bearer {plaintext}") is None


def test_a_token_of_an_inactive_department_is_401(read_token, client):
    Department.objects.filter(code="kaigo-hoken").update(is_active=False)
    assert_error(client.get(LIST, **bearer(read_token)), 401, "unauthorized")


def test_tokens_are_stored_hashed_and_used_at_is_kept(read_token, client):
    token, plaintext = read_token
    assert len(plaintext) >= 43
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.prefix == plaintext[:8]
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert plaintext not in json.dumps(stored, default=str)
    assert stored["last_used_at"] is None
    client.get(LIST, **bearer(plaintext))
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    assert api_token_authenticate(f"bearer   {plaintext}  ").pk == token.pk
    assert api_token_authenticate(plaintext) is None  # the scheme is required
    assert api_token_authenticate(None) is None


def test_only_a_departments_admin_or_a_sysadmin_makes_and_revokes_tokens(
    procedures, kaigo_alice, kaigo_admin, kosodate_admin, sysadmin
):
    kaigo = department("kaigo-hoken")
    for intruder in (kaigo_alice, kosodate_admin):
        with pytest.raises(PermissionDenied):
            api_token_create(by=intruder, department=kaigo, name="x", scope="read")
    token, _plaintext = api_token_create(by=sysadmin, department=kaigo, name="x", scope="write")
    with pytest.raises(PermissionDenied):
        api_token_revoke(by=kosodate_admin, token=token)
    api_token_revoke(by=kaigo_admin, token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    events = AuditEvent.objects.filter(object_type="cases.apitoken").order_by("seq")
    assert [e.action for e in events] == [AuditEvent.Action.CREATE, AuditEvent.Action.CHANGE]


# --- reading --------------------------------------------------------------------------------------


def test_the_list_shows_only_the_tokens_department(read_token, client, citizen_erin):
    kaigo_cases = {make_case(citizen_erin).pk, make_case(citizen_erin, KAIGO_OTHER).pk}
    make_case(citizen_erin, JIDOTEATE)  # 子育て支援課
    before = AuditEvent.objects.count()
    response = client.get(LIST, **bearer(read_token))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert {uuid.UUID(item["id"]) for item in body["results"]} == kaigo_cases
    assert body["next_cursor"] is None
    item = body["results"][0]
    assert set(item) == {"id", "receipt_number", "procedure", "status", "received_on", "due_on", "channel",
                         "updated_at"}  # fmt: skip
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert event.action == AuditEvent.Action.EXPORT and event.object_type == "cases.case"
    assert event.actor_id is None and event.department_code == "kaigo-hoken"
    assert event.detail.startswith(f"api token {read_token[0].prefix}")


def test_filters(read_token, client, citizen_erin):
    first = make_case(citizen_erin)
    second = make_case(citizen_erin, KAIGO_OTHER)
    Case.objects.filter(pk=first.pk).update(received_on=timezone.localdate() - timedelta(days=10))

    def ids(**params):
        response = client.get(LIST, params, **bearer(read_token))
        assert response.status_code == 200, response.content
        return {uuid.UUID(i["id"]) for i in response.json()["results"]}

    assert ids(procedure=KAIGO) == {first.pk}
    assert ids(status="received") == {first.pk, second.pk}
    assert ids(status="reviewing") == set()
    assert ids(status="open") == {first.pk, second.pk}
    assert ids(received_from=timezone.localdate().isoformat()) == {second.pk}
    assert ids(received_to=(timezone.localdate() - timedelta(days=1)).isoformat()) == {first.pk}
    Case.objects.filter(pk=second.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(updated_since=since) == {first.pk}
    # "+09:00" sent without percent-encoding arrives as a space; it is understood all the same.
    raw = client.get(f"{LIST}?updated_since={since}", **bearer(read_token))
    assert raw.status_code == 200 and len(raw.json()["results"]) == 1
    assert ids(updated_since="2000-01-01") == {first.pk, second.pk}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"received_from": "2025-13-01"}, "invalid_parameter"),
        ({"received_to": "yesterday"}, "invalid_parameter"),
        ({"updated_since": "2025-02-30T00:00:00"}, "invalid_parameter"),
        ({"updated_since": "soon"}, "invalid_parameter"),
        ({"limit": "0"}, "invalid_parameter"),
        ({"limit": "201"}, "invalid_parameter"),
        ({"limit": "ten"}, "invalid_parameter"),
        ({"cursor": "not a cursor"}, "invalid_cursor"),
        ({"cursor": "WyJ4IiwgInkiXQ"}, "invalid_cursor"),  # ["x", "y"]
    ],
)
def test_bad_parameters_are_400(read_token, client, params, code):
    assert_error(client.get(LIST, params, **bearer(read_token)), 400, code)


def test_cursor_pagination_visits_every_case_once(read_token, client, citizen_erin):
    made = {make_case(citizen_erin).pk for _ in range(5)}
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get(LIST, params, **bearer(read_token)).json()
        assert len(body["results"]) <= 2 and body["limit"] == 2
        seen += [uuid.UUID(i["id"]) for i in body["results"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5 and set(seen) == made


def test_the_detail_masks_my_numbers_and_gives_the_history(read_token, client, citizen_erin):
    case = make_case(citizen_erin)
    response = client.get(detail_url(case), **bearer(read_token))
    assert response.status_code == 200
    assert MY_NUMBER.encode() not in response.content
    body = response.json()
    assert body["id"] == str(case.pk) and body["receipt_number"] == case.receipt_number
    assert body["procedure"] == KAIGO and body["procedure_version"] == 1
    assert body["answers"]["insured_my_number"] == MASKED
    assert body["answers"]["insured_number"] == "0000123456"
    assert body["history"] == [
        {"at": body["history"][0]["at"], "from_status": None, "to_status": "received", "comment": "受付"}
    ]
    event = AuditEvent.objects.latest("seq")
    assert event.action == AuditEvent.Action.READ and event.object_id == str(case.pk)
    assert event.fields == ["submission"] and event.actor_id is None
    assert event.detail == f"api token {read_token[0].prefix}"


def test_another_departments_case_is_404(read_token, write_token, client, citizen_erin):
    other = make_case(citizen_erin, JIDOTEATE)
    assert_error(client.get(detail_url(other), **bearer(read_token)), 404, "not_found")
    assert_error(post_status(client, other, write_token, {"status": "reviewing"}), 404, "not_found")
    assert Case.objects.get(pk=other.pk).status == "received"
    # A 子育て支援課 token does not see 介護保険課's cases either.
    kaigo = make_case(citizen_erin)
    kosodate_admin_token = ApiToken.objects.create(
        department=department("kosodate-shien"), name="x", scope="read",
        token_hash=hashlib.sha256(b"k" * 43).hexdigest(), prefix="kkkkkkkk",
    )  # fmt: skip
    assert kosodate_admin_token.pk
    assert_error(client.get(detail_url(kaigo), **bearer("k" * 43)), 404, "not_found")
    listed = client.get(LIST, **bearer("k" * 43)).json()["results"]
    assert [i["id"] for i in listed] == [str(other.pk)]


def test_malformed_ids_and_unknown_urls_are_json_404(read_token, client):
    for url in ("/api/v1/cases/not-a-uuid/", "/api/v1/cases/1234/status/", "/api/v1/nothing/", "/api/v1/"):
        assert_error(client.get(url, **bearer(read_token)), 404, "not_found")


# --- changing the status --------------------------------------------------------------------------


def test_a_read_token_cannot_change_a_status(read_token, client, citizen_erin):
    case = make_case(citizen_erin)
    assert_error(post_status(client, case, read_token, {"status": "reviewing"}), 403, "insufficient_scope")
    assert Case.objects.get(pk=case.pk).status == "received"


def test_a_write_token_moves_a_case_and_the_history_records_it(write_token, client, citizen_erin):
    case = make_case(citizen_erin)
    response = post_status(client, case, write_token, {"status": "reviewing", "comment": "基幹に登録"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "reviewing"
    assert [h["to_status"] for h in body["history"]] == ["received", "reviewing"]
    assert Case.objects.get(pk=case.pk).status == "reviewing"
    event = CaseEvent.objects.filter(case=case).last()
    assert event.kind == CaseEvent.Kind.STATUS and event.actor is None
    assert (event.from_status, event.to_status) == ("received", "reviewing")
    assert event.comment == "API（介護基幹）: 基幹に登録"
    audit = AuditEvent.objects.latest("seq")
    assert audit.action == AuditEvent.Action.CHANGE and audit.result == AuditEvent.Result.SUCCESS
    assert audit.fields == ["status"] and audit.actor_id is None and audit.actor_kind == "system"
    assert audit.detail == f"api token {write_token[0].prefix}"
    detail = client.get(detail_url(case), **bearer(write_token)).json()
    assert detail["history"][-1]["from_status"] == "received"


def test_invalid_transitions_decisions_and_corrections_are_409(write_token, client, citizen_erin):
    case = make_case(citizen_erin)
    assert_error(post_status(client, case, write_token, {"status": "completed"}), 409, "invalid_transition")
    assert AuditEvent.objects.latest("seq").result == AuditEvent.Result.FAILURE
    assert post_status(client, case, write_token, {"status": "reviewing"}).status_code == 200
    assert_error(post_status(client, case, write_token, {"status": "approved"}), 409, "decision_not_allowed")
    assert_error(post_status(client, case, write_token, {"status": "rejected"}), 409, "decision_not_allowed")
    assert_error(
        post_status(client, case, write_token, {"status": "correction"}), 409, "correction_not_allowed"
    )
    assert Case.objects.get(pk=case.pk).status == "reviewing"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        ("", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ("[" * 100000 + "]" * 100000, "invalid_json"),
        ({}, "invalid_request"),
        ({"status": 3}, "invalid_request"),
        ({"status": "reviewing", "comment": ["x"]}, "invalid_request"),
        ({"status": "reviewing", "comment": "x" * 2001}, "invalid_request"),
        ({"status": "no-such-status"}, "unknown_status"),
    ],
)
def test_bad_bodies_are_400(write_token, client, citizen_erin, body, code):
    case = make_case(citizen_erin)
    assert_error(post_status(client, case, write_token, body), 400, code)
    assert Case.objects.get(pk=case.pk).status == "received"


def test_wrong_methods_are_405(write_token, client, citizen_erin):
    case = make_case(citizen_erin)
    response = client.get(status_url(case), **bearer(write_token))
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"
    assert_error(client.post(LIST, **bearer(write_token)), 405, "method_not_allowed")
    assert_error(client.delete(detail_url(case), **bearer(write_token)), 405, "method_not_allowed")


def test_the_api_is_rate_limited(read_token, client, settings, frozen_ratelimit_clock):
    settings.MADOGUCHI_RATE_LIMITS = {**settings.MADOGUCHI_RATE_LIMITS, "lookup": "3/m"}
    for _ in range(3):
        assert client.get(LIST, **bearer(read_token)).status_code == 200
    response = client.get(LIST, **bearer(read_token))
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1


# --- the OpenAPI document --------------------------------------------------------------------------


def test_the_committed_openapi_document_is_up_to_date():
    committed = openapi.document_path().read_text(encoding="utf-8")
    assert committed == openapi.render_document(), (
        "docs/api/openapi.json is stale: run `PYTHONPATH=src .venv/bin/python -m madoguchi.cases.openapi`"
    )


def test_every_api_route_is_documented():
    document = openapi.build_document()
    routes = [r for r in walk() if r.namespace == "cases_api" and r.name != "not_found"]
    assert len(routes) >= 4
    for route in routes:
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.pattern)
        assert path in document["paths"], f"{route.qualified_name} ({path}) is not in the OpenAPI document"
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"] == {
        **document["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer",
    }  # fmt: skip
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"], (path, method)
            for ref in re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', json.dumps(operation)):
                assert ref[1] in document["components"][ref[0]], ref


def test_the_document_is_served_without_a_token(client):
    response = client.get(reverse("cases_api:openapi"))
    assert response.status_code == 200
    assert response.json() == openapi.build_document()


# --- the token page and the command ----------------------------------------------------------------


def test_the_token_page_makes_shows_once_and_revokes(procedures, as_user, kaigo_admin):
    url = reverse("cases_export:api_tokens", kwargs={"code": "kaigo-hoken"})
    assert url == "/staff/departments/kaigo-hoken/api-tokens/"
    client = as_user(kaigo_admin)
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "create", "name": "介護保険システム", "scope": "write"})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    plaintext = re.search(r'id="new-token"[^>]*value="([^"]+)"', response.content.decode()).group(1)
    assert hashlib.sha256(plaintext.encode()).hexdigest() == token.token_hash
    assert token.scope == "write" and token.created_by == kaigo_admin
    again = client.get(url).content.decode()
    assert "介護保険システム" in again and token.prefix in again and plaintext not in again
    assert client.post(url, {"action": "create", "name": "", "scope": "read"}).status_code == 200
    assert ApiToken.objects.count() == 1
    response = client.post(url, {"action": "revoke", "token_id": token.pk})
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert client.post(url, {"action": "revoke", "token_id": "999999"}).status_code == 404


def test_the_token_page_is_for_the_departments_admins_only(
    procedures, as_user, kaigo_alice, kosodate_admin, sysadmin
):
    url = reverse("cases_export:api_tokens", kwargs={"code": "kaigo-hoken"})
    assert as_user(kaigo_alice).get(url).status_code == 404
    assert as_user(kosodate_admin).get(url).status_code == 404
    assert as_user(kosodate_admin).post(url, {"name": "x", "scope": "write"}).status_code == 404
    assert not ApiToken.objects.exists()
    assert as_user(sysadmin).get(url).status_code == 200


def test_a_token_of_another_department_cannot_be_revoked_from_this_page(
    procedures, as_user, kaigo_admin, sysadmin
):
    other, _plaintext = api_token_create(by=sysadmin, department=department("kosodate-shien"), name="x",
                                         scope="read")  # fmt: skip
    url = reverse("cases_export:api_tokens", kwargs={"code": "kaigo-hoken"})
    assert as_user(kaigo_admin).post(url, {"action": "revoke", "token_id": other.pk}).status_code == 404
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None


def test_the_command_prints_the_token_once(procedures, kaigo_admin, kaigo_alice, client):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", department="kaigo-hoken", name="RPA", scope="read", by=kaigo_admin.email,
                 stdout=out, stderr=err)  # fmt: skip
    plaintext = out.getvalue().strip()
    assert api_token_authenticate(f"Bearer {plaintext}").name == "RPA"
    assert "shown once" in err.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", department="kaigo-hoken", name="RPA", scope="write",
                     by=kaigo_alice.email, stdout=out, stderr=err)  # fmt: skip
    with pytest.raises(CommandError):
        call_command("create_api_token", department="nowhere", name="RPA", scope="read", by=kaigo_admin.email,
                     stdout=out, stderr=err)  # fmt: skip
