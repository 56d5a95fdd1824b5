"""代理人: a proxy files with a 委任状, the case says on whose behalf; definitions must say who may file."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from madoguchi.accounts.models import StaffRole
from madoguchi.procedures.definitions import DefinitionError, parse_definition
from madoguchi.procedures.files import definitions_dir
from madoguchi.procedures.models import Procedure
from madoguchi.submissions.models import Submission
from tests.conftest import make_staff
from tests.support.cases import ensure_procedures
from tests.support.formfill import start, submit, valid_post, walk_to_check

SLUG = "jidoteate_genkyo_todoke"  # 児童手当 現況届: e-mail identity, self or proxy
RISAI = (definitions_dir() / "risai_shomei.yaml").read_text(encoding="utf-8")
DEPARTMENTS = {"shisanzei", "kaigo-hoken"}


def _refused(text: str) -> str:
    with pytest.raises(DefinitionError) as exc:
        parse_definition(text, source="data/procedures/risai_shomei.yaml", known_departments=DEPARTMENTS)
    return "\n".join(exc.value.errors)


def test_who_may_file_must_match_the_question_that_asks_it():
    assert "name the question that asks who is filing in filer.field" in _refused(
        RISAI.replace("filer: {field: relationship, proxy_name: applicant_name}\n", "", 1)
    )
    assert "'applicant_phone' is not a choice field" in _refused(
        RISAI.replace("filer: {field: relationship,", "filer: {field: applicant_phone,", 1)
    )
    assert "filers include 'proxy': give 'relationship' a choice 'proxy'" in _refused(
        RISAI.replace("{value: proxy, label:", "{value: other, label:", 1)
    )
    assert "offers 'proxy': add it to filers" in _refused(
        RISAI.replace("filers: [self, proxy]", "filers: [self]", 1)
    )


def test_a_written_out_letter_of_authorisation_must_be_required_when_a_proxy_files():
    text = RISAI.replace(
        "attachments:\n",
        "attachments:\n  - {id: power_of_attorney, label: {ja: 委任状, en: Letter}, required: false,"
        " show_if: {field: relationship, equals: proxy}}\n",
        1,
    )
    assert ":32: attachments[0]: the 委任状 must be required: true" in _refused(text)


def test_every_procedure_a_proxy_may_file_asks_for_the_letter_only_of_proxies():
    from madoguchi.procedures.files import parse_files

    parsed, _errors = parse_files()
    for definition in parsed:
        data = definition.data
        letters = [f for p in data["form"]["pages"] for f in p["fields"] if f["id"] == "power_of_attorney"]
        if "proxy" in data["filers"]:
            assert len(letters) == 1 and letters[0]["required"], data["id"]
            assert letters[0]["show_if"] == {"field": data["filer"]["field"], "equals": "proxy"}
        else:
            assert not letters, data["id"]


@pytest.fixture
def kosodate_handler(city):
    return make_staff("tanto@kosodate.test", "子育 担当", ("kosodate-shien", StaffRole.Role.HANDLER))


def _as_proxy(page, post):
    if page["id"] == "filer":
        post["f-filed_by"] = "proxy"
    if page["id"] == "proxy":
        post["f-proxy_name-family"], post["f-proxy_name-given"] = "代理", "次郎"
    return post


@pytest.mark.django_db
def test_a_proxy_files_with_a_letter_and_the_case_says_on_whose_behalf(
    client, citizen_erin, as_user, kosodate_handler
):
    ensure_procedures()
    client.force_login(citizen_erin)
    definition = Procedure.objects.get(slug=SLUG).current_version.definition

    check_url = walk_to_check(client, definition, start(client, SLUG), on_page=_as_proxy)
    # Taking the letter away again: the documents page stops the proxy, says why, and offers the form.
    refused = client.post(check_url.replace("/check/", "/attachments/"), {"action": "continue"})
    body = refused.content.decode()
    assert refused.status_code == 200 and "ファイルを選んでください" in body and "委任状の様式（PDF）" in body
    letter_again = {
        "action": "continue",
        **valid_post({"type": "file", "required": True}, "f-power_of_attorney"),
    }
    assert client.post(check_url.replace("/check/", "/attachments/"), letter_again).status_code == 302
    response, _token = submit(client, check_url)
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.filed_as == "proxy" and len(submission.data["power_of_attorney"]) == 1
    case = submission.cases.get()
    assert "代理" not in case.applicant_name  # the case bears the name of the person it is about

    staff = as_user(kosodate_handler)
    body = staff.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "代理人 代理 次郎 さんが" in body and "に代わって申請" in body
    letter = submission.data["power_of_attorney"][0]["id"]
    letter_url = reverse("cases:attachment", kwargs={"case_id": case.pk, "file_id": letter})
    assert letter_url in body
    assert staff.get(letter_url).status_code == 200  # the letter opens from the case
    queue = reverse("cases:queue") + "?department=kosodate-shien&status="
    assert case.receipt_number in staff.get(queue + "&filed_as=proxy").content.decode()
    assert case.receipt_number not in staff.get(queue + "&filed_as=self").content.decode()


@pytest.mark.django_db
def test_the_blank_letter_of_authorisation_is_a_real_pdf_that_needs_no_seal(client, city):
    ensure_procedures()
    response = client.get(reverse("procedures:power_of_attorney", kwargs={"slug": SLUG}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "委任状" in text and "児童手当" in text and "押印はいりません" in text and "石巻市" in text
    # Procedures nobody else may file have no such letter.
    assert (
        client.get(
            reverse("procedures:power_of_attorney", kwargs={"slug": "tenshutsu_tennyu_yoyaku"})
        ).status_code
        == 404
    )
    assert client.get(reverse("procedures:power_of_attorney", kwargs={"slug": "no-such"})).status_code == 404
