"""Exporting cases for the core systems: CSV per procedure in UTF-8 or CP932 that parses back, cells a
spreadsheet cannot run, JSON with My Numbers masked, other departments' cases not found, one audit row."""

import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.cases import exports
from madoguchi.cases.models import Case
from madoguchi.privacy.models import AuditEvent
from madoguchi.procedures.services import procedures_load_from_files

KAIGO = "kaigo_nintei_shinki"
KAIGO_OTHER = "kaigo_hihokenshasho_saikofu"
JIDOTEATE = "jidoteate_nintei_seikyu"  # 子育て支援課, with a repeating page of children
MY_NUMBER = "123456789018"
MASKED = "●●●● ●●●● 9018"
URL = "/staff/cases/export/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def procedures(city):
    procedures_load_from_files()


def make_case(citizen, slug: str = KAIGO, **answers) -> Case:
    """A case made the real way: a complete draft, signed where the procedure needs it, submitted."""
    from tests.support.cases import file_case

    return file_case(citizen, slug, **answers)


def _export(client, cases, **options):
    return client.post(URL, {"case": [str(c.pk) for c in cases], **options})


def _rows(response, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode(encoding), newline="")))


def test_the_url_is_where_the_queue_posts():
    assert reverse("cases_export:export") == URL


def test_csv_in_utf8_with_a_bom_parses_back(procedures, as_user, kaigo_alice, citizen_erin):
    cases = [make_case(citizen_erin), make_case(citizen_erin)]
    response = _export(as_user(kaigo_alice), cases, format="csv", encoding="utf-8")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().strftime("%Y%m%d")
    assert response["Content-Disposition"] == f'attachment; filename="cases-{KAIGO}-{today}.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.content.split(b"\n", 1)[0].endswith(b"\r")  # CRLF for Excel
    rows = _rows(response, "utf-8-sig")
    header, body = rows[0], rows[1:]
    assert header[:6] == ["受付番号", "手続", "受付日", "状況", "期限", "受付方法"]
    assert len(body) == 2 and all(len(row) == len(header) for row in body)
    assert {row[0] for row in body} == {c.receipt_number for c in cases}
    first = dict(zip(header, body[0], strict=True))
    assert first["手続"] == "要介護・要支援認定の申請"
    assert first["状況"] == "受付" and first["受付方法"] == "オンライン"
    assert first["受付日"] == cases[0].received_on.isoformat()
    assert first["被保険者番号"] == "0000123456"
    assert first["生年月日"].startswith("令和6年4月1日")  # the display value, as staff see it
    number_column = next(h for h in header if "個人番号" in h)
    assert first[number_column] == MASKED
    assert MY_NUMBER.encode() not in response.content


def test_csv_in_cp932_parses_back_and_replaces_what_it_cannot_hold(
    procedures, as_user, kaigo_alice, citizen_erin
):
    case = make_case(citizen_erin, clinic_name="𠮷田医院〜本院")
    response = _export(as_user(kaigo_alice), [case], format="csv", encoding="cp932")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=shift_jis"
    assert not response.content.startswith(b"\xef\xbb\xbf")
    header, row = _rows(response, "cp932")
    values = dict(zip(header, row, strict=True))
    assert values["受付番号"] == case.receipt_number
    assert (
        values["病院・診療所の名前"] == "?田医院～本院"
    )  # 𠮷 is not in CP932; the JIS wave dash becomes CP932's
    assert values[next(h for h in header if "個人番号" in h)] == MASKED


def test_cells_a_spreadsheet_would_run_get_an_apostrophe(procedures, as_user, kaigo_alice, citizen_erin):
    case = make_case(
        citizen_erin,
        clinic_name='=HYPERLINK("http://evil.example","x")',
        survey_attendee="@SUM(A1:A9)",
        survey_preferred_times="-2+3",
    )
    response = _export(as_user(kaigo_alice), [case], format="csv", encoding="utf-8")
    header, row = _rows(response, "utf-8-sig")
    values = dict(zip(header, row, strict=True))
    assert values["病院・診療所の名前"] == '\'=HYPERLINK("http://evil.example","x")'
    assert values["調査に立ち会う人"] == "'@SUM(A1:A9)"
    assert values["調査の希望の日時や、来てほしくない日"] == "'-2+3"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in header + row)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+81 90", "'+81 90"),
        ("-5", "'-5"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("石巻", "石巻"),
        ("1-2", "1-2"),
    ],
)
def test_defuse(value, written):
    assert exports.defuse(value) == written


def test_repeating_pages_are_numbered_columns_and_repeated_labels_named_by_page(
    procedures, kaigo_alice, citizen_erin
):
    case = make_case(citizen_erin, JIDOTEATE)
    case = Case.objects.select_related("submission__version", "procedure").get(pk=case.pk)
    header, row = exports.cases_rows([case])
    assert "子ども1 子どものお名前" in header
    assert "子ども10 子どものお名前" in header  # up to repeat.max: the same columns for every export
    assert "子ども11 子どものお名前" not in header
    assert len(header) == len(set(header)), "every column has its own heading"
    assert any(h.startswith("フリガナ（") for h in header)
    values = dict(zip(header, row, strict=True))
    assert values["子ども1 子どものお名前"] == "石巻　花子"
    assert values["子ども2 子どものお名前"] == ""
    assert values[next(h for h in header if h.startswith("子ども1 ") and "個人番号" in h)] == MASKED
    assert MY_NUMBER not in "".join(row)


def test_json_masks_every_my_number_also_in_repeating_pages(procedures, as_user, kaigo_alice, citizen_erin):
    case = make_case(citizen_erin)
    response = _export(as_user(kaigo_alice), [case], format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith(f'attachment; filename="cases-{KAIGO}-')
    assert MY_NUMBER.encode() not in response.content
    [item] = json.loads(response.content)
    assert item["id"] == str(case.pk) and item["receipt_number"] == case.receipt_number
    assert item["procedure"] == KAIGO and item["procedure_version"] == 1
    assert item["status"] == "received" and item["channel"] == "online"
    assert item["received_on"] == case.received_on.isoformat() and item["due_on"] == case.due_on.isoformat()
    assert item["answers"]["insured_my_number"] == MASKED
    assert item["answers"]["insured_number"] == "0000123456"  # raw stored values otherwise
    assert item["answers"]["insured_name"] == {"family": "石巻", "given": "花子"}

    child_case = make_case(citizen_erin, JIDOTEATE)
    [data] = exports.cases_json([child_case])
    assert data["answers"]["children"][0]["child_my_number"] == MASKED
    assert data["answers"]["claimant_my_number"] == MASKED
    assert MY_NUMBER not in json.dumps(data)


def test_json_may_mix_procedures_but_csv_may_not(procedures, as_user, kaigo_alice, citizen_erin):
    cases = [make_case(citizen_erin), make_case(citizen_erin, KAIGO_OTHER)]
    client = as_user(kaigo_alice)
    response = _export(client, cases, format="csv", encoding="utf-8")
    assert response.status_code == 400
    assert "CSVは1つの手続の案件だけを出力できます" in response.content.decode()
    response = _export(client, cases, format="json")
    assert response.status_code == 200
    assert "cases-mixed-" in response["Content-Disposition"]
    assert {item["procedure"] for item in json.loads(response.content)} == {KAIGO, KAIGO_OTHER}
    with pytest.raises(exports.ExportError):
        exports.cases_csv(list(Case.objects.select_related("submission__version", "procedure")), "utf-8")


def test_another_departments_case_is_not_found(
    procedures, as_user, kaigo_alice, kosodate_charlie, citizen_erin
):
    kaigo_case = make_case(citizen_erin)
    kosodate_case = make_case(citizen_erin, JIDOTEATE)
    assert _export(as_user(kosodate_charlie), [kaigo_case], format="csv").status_code == 404
    assert _export(as_user(kosodate_charlie), [kaigo_case], format="json").status_code == 404
    # One case of another department in the selection: nothing is exported.
    response = _export(as_user(kaigo_alice), [kaigo_case, kosodate_case], format="json")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_citizens_and_anonymous_visitors_export_nothing(procedures, client, as_user, citizen_erin):
    case = make_case(citizen_erin)
    response = _export(client, [case], format="csv")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert _export(as_user(citizen_erin), [case], format="csv").status_code == 404


def test_an_export_writes_one_audit_row(procedures, as_user, kaigo_alice, citizen_erin):
    cases = [make_case(citizen_erin), make_case(citizen_erin)]
    before = AuditEvent.objects.count()
    _export(as_user(kaigo_alice), cases, format="csv", encoding="cp932")
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert event.action == AuditEvent.Action.EXPORT
    assert event.object_type == "cases.case"
    assert event.fields == ["submission"]
    assert event.department_code == "kaigo-hoken"
    assert event.actor_id == kaigo_alice.pk
    assert event.detail.startswith("2 case(s)")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": "csv"}, "出力する案件を選んでください"),
        ({"format": "xml", "case": ["00000000-0000-4000-8000-000000000000"]}, "CSV か JSON"),
        (
            {"format": "csv", "encoding": "latin-1", "case": ["00000000-0000-4000-8000-000000000000"]},
            "文字コード",
        ),
        ({"format": "csv", "case": ["not-a-uuid"]}, "案件の指定が正しくありません"),
    ],
)
def test_bad_input_is_a_400_page_with_a_clear_message(procedures, as_user, kaigo_alice, data, message):
    response = as_user(kaigo_alice).post(URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_only_post(procedures, as_user, kaigo_alice):
    assert as_user(kaigo_alice).get(URL).status_code == 405
