"""Disaster mode: the switch (staff page and API, one active at most, audited), the home page and the
catalogue, the 罹災証明 form's pre-set answers and the applicant's damage estimate, the triage table
for 資産税課 (counts, scope, queue links, backfill) and the urgent open-data datasets."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.models import StaffRole
from madoguchi.disaster import services
from madoguchi.disaster.models import Disaster, TriageEntry
from madoguchi.disaster.selectors import active_disaster, triage_summary
from madoguchi.privacy.models import AuditEvent
from madoguchi.procedures.services import procedures_load_from_files
from madoguchi.submissions.models import Draft
from tests.conftest import department, login_verified, make_staff
from tests.support.cases import file_case
from tests.support.formfill import start

pytestmark = pytest.mark.django_db
RISAI = "risai_shomei"
YESTERDAY = timezone.localdate() - timedelta(days=1)


@pytest.fixture
def procedures(city):
    procedures_load_from_files()


@pytest.fixture
def shisanzei_handler(city):
    return make_staff("tanto@shisanzei.test", "資産 担当", ("shisanzei", StaffRole.Role.HANDLER))


def _declare(by, **overrides):
    values = {
        "name": "テスト地震",
        "kind": "earthquake",
        "occurred_on": YESTERDAY,
        "area": ["渡波"],
        **overrides,
    }
    return services.declare_disaster(by=by, **values)


def _switch_audits():
    return list(AuditEvent.objects.filter(object_type="disaster.disaster").order_by("seq"))


# --- the switch -----------------------------------------------------------------------------------


def test_declare_and_end_are_audited_and_one_disaster_at_most_is_active(sysadmin):
    assert active_disaster() is None
    disaster = _declare(sysadmin)
    assert active_disaster() == disaster and disaster.declared_by == sysadmin
    with pytest.raises(services.DisasterConflict):
        _declare(sysadmin, name="二つ目")
    assert Disaster.objects.count() == 1
    ended = services.end_disaster(by=sysadmin)
    assert ended.pk == disaster.pk and ended.ended_at is not None and active_disaster() is None
    with pytest.raises(services.DisasterConflict):
        services.end_disaster(by=sysadmin)
    audits = _switch_audits()
    assert [(a.action, a.result) for a in audits] == [
        (AuditEvent.Action.CREATE, AuditEvent.Result.SUCCESS), (AuditEvent.Action.CHANGE, AuditEvent.Result.SUCCESS)
    ]  # fmt: skip
    assert all(a.object_id == str(disaster.pk) for a in audits)


def test_the_database_refuses_a_second_active_disaster(city):
    Disaster.objects.create(name="a", kind="fire", occurred_on=YESTERDAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Disaster.objects.create(name="b", kind="fire", occurred_on=YESTERDAY)
    with pytest.raises(IntegrityError), transaction.atomic():  # ended means not active, and the reverse
        Disaster.objects.create(name="c", kind="fire", occurred_on=YESTERDAY, is_active=False)


def test_bad_input_is_refused_field_by_field(sysadmin):
    with pytest.raises(ValidationError) as caught:
        services.declare_disaster(by=sysadmin, name="", kind="volcano", occurred_on=date.today() + timedelta(days=3),
                                  area=["存在しない町"])  # fmt: skip
    assert set(caught.value.message_dict) == {"name", "kind", "occurred_on", "area"}
    assert "存在しない町" in caught.value.message_dict["area"][0]
    assert not Disaster.objects.exists()


def test_only_city_wide_roles_and_somu_dept_admin_may_switch(sysadmin, dx_dana, kaigo_admin, kaigo_alice):
    somu_admin = make_staff("kacho@somu.test", "総務 課長", ("somu", StaffRole.Role.DEPT_ADMIN))
    assert all(services.can_switch(u) for u in (sysadmin, dx_dana, somu_admin))
    assert not any(services.can_switch(u) for u in (kaigo_admin, kaigo_alice))
    with pytest.raises(services.PermissionDenied):
        _declare(kaigo_admin)


def test_staff_page_declares_with_japanese_field_errors_and_ends(client, dx_dana, kaigo_admin, citizen_erin):
    url = reverse("disaster:switch")
    login_verified(client, kaigo_admin)
    assert client.get(url).status_code == 404  # a 課管理者 of another department
    login_verified(client, dx_dana)
    response = client.post(url, {"action": "declare", "name": "", "kind": "", "occurred_on": "2026-13-40"})
    body = response.content.decode()
    assert response.status_code == 200 and not Disaster.objects.exists()
    assert "災害の名前を入力してください。" in body and "災害の種類を選んでください。" in body
    assert "発生日を 2026-04-01 のように入力してください。" in body
    response = client.post(url, {"action": "declare", "name": "台風", "kind": "storm_flood",
                                 "occurred_on": YESTERDAY.isoformat(), "area": "渡波、湊町一丁目"})  # fmt: skip
    assert response.status_code == 302
    assert active_disaster().area == ["渡波", "湊町一丁目"]
    assert "台風" in client.get(url).content.decode()
    assert client.post(url, {"action": "end"}).status_code == 302
    assert active_disaster() is None
    page = client.get(url).content.decode()
    assert "これまでの災害" in page and "台風" in page


# --- the API --------------------------------------------------------------------------------------


def test_api_switches_with_a_disaster_token_only(city, sysadmin, kaigo_admin):
    from madoguchi.cases.tokens import api_token_create

    _case_token, case_plaintext = api_token_create(by=kaigo_admin, department=department("kaigo-hoken"),
                                                   name="基幹", scope="write")  # fmt: skip
    token, plaintext = services.disaster_token_create(by=sysadmin, name="防災システム")
    api = Client()
    url = reverse("disaster:api_state")
    body = json.dumps(
        {"name": "API地震", "kind": "earthquake", "date": YESTERDAY.isoformat(), "area": ["渡波"]}
    )
    assert api.post(url, body, content_type="application/json").status_code == 401
    refused = api.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {case_plaintext}"
    )
    assert refused.status_code == 401 and not Disaster.objects.exists()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    bad = api.post(url, json.dumps({"name": "", "kind": "x", "date": "yesterday"}), content_type="application/json",
                   **auth)  # fmt: skip
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"name", "kind", "date"}
    made = api.post(url, body, content_type="application/json", **auth)
    assert made.status_code == 201 and made.json()["disaster"]["name"] == "API地震"
    assert api.post(url, body, content_type="application/json", **auth).status_code == 409
    state = Client().get(url).json()  # public, no personal data
    assert state["active"] is True and state["disaster"]["kind"] == "earthquake"
    assert "declared_by" not in json.dumps(state)
    assert api.delete(url).status_code == 401
    assert api.delete(url, **auth).status_code == 200 and active_disaster() is None
    assert api.post(reverse("disaster:api_end"), **auth).status_code == 409
    audits = _switch_audits()
    assert [a.result for a in audits] == [AuditEvent.Result.SUCCESS, AuditEvent.Result.SUCCESS]
    assert all(token.prefix in a.detail and a.actor_id is None for a in audits)
    services.disaster_token_revoke(by=sysadmin, token_id=token.pk)
    assert api.post(url, body, content_type="application/json", **auth).status_code == 401
    assert Client().get(url).json() == {"active": False, "disaster": None}


# --- home page and catalogue ------------------------------------------------------------------------


def test_home_page_puts_the_certificate_and_the_guide_first_only_during_a_disaster(
    client, procedures, sysadmin
):
    certificate = reverse("procedures:detail", kwargs={"slug": RISAI})
    guide = reverse("lifeevents:guide", kwargs={"slug": "disaster"})
    quiet = client.get("/").content.decode()
    assert certificate not in quiet and "災害が起きています" not in quiet
    _declare(sysadmin, name="石巻沖地震")
    html = client.get("/").content.decode()
    main = html[html.index("<main") :]
    banner = main.index("災害が起きています：石巻沖地震")
    assert banner < main.index("<h1")
    links = [main.index(f'href="{u}"') for u in (certificate, guide)]
    first_other = main.index('href="' + reverse("procedures:catalogue") + '"')
    assert banner < links[0] < links[1] < first_other
    assert _catalogue_slugs(client)[0] == RISAI


def _catalogue_slugs(client) -> list[str]:
    import re

    html = client.get(reverse("procedures:catalogue")).content.decode()
    return re.findall(r'href="/procedures/([a-z0-9_]+)/"', html[html.index("<main") :])


def test_catalogue_puts_risai_first_only_during_a_disaster(city, sysadmin):
    # (資産税課 sorts early, so the real catalogue already starts with 罹災証明: the order is checked here.)
    from types import SimpleNamespace

    from madoguchi.disaster.selectors import first_in_catalogue

    listed = [SimpleNamespace(slug=s) for s in ("a", "b", RISAI, "c")]
    assert [p.slug for p in first_in_catalogue(listed)] == ["a", "b", RISAI, "c"]
    _declare(sysadmin)
    assert [p.slug for p in first_in_catalogue(listed)] == [RISAI, "a", "b", "c"]


# --- the form ---------------------------------------------------------------------------------------


def test_new_drafts_get_the_disaster_date_and_cause_and_old_drafts_are_untouched(
    procedures, as_user, citizen_erin, sysadmin
):
    citizen = as_user(citizen_erin)
    start(citizen, RISAI)
    old = Draft.objects.get()
    assert "cause" not in old.data and "disaster_date" not in old.data
    _declare(sysadmin, kind="tsunami", occurred_on=date(2026, 3, 11))
    page_url = start(citizen, RISAI)
    new = Draft.objects.exclude(pk=old.pk).get()
    assert new.data["cause"] == "tsunami" and new.data["disaster_date"] == "2026-03-11"
    old.refresh_from_db()
    assert "cause" not in old.data
    # The disaster page shows them selected, and the citizen can change them.
    disaster_page = page_url.rstrip("/").rsplit("/", 1)[0] + "/disaster/"
    html = citizen.get(disaster_page).content.decode()
    assert 'value="tsunami" checked' in html and 'value="earthquake" checked' not in html
    from madoguchi.submissions.services import draft_save

    draft_save(draft=new, values={"cause": "fire"})
    new.refresh_from_db()
    assert new.data["cause"] == "fire"


def test_damage_estimate_is_required_and_checked(procedures, citizen_erin):
    from madoguchi.procedures.models import Procedure
    from madoguchi.submissions.services import SubmissionInvalid, draft_save, draft_start, submission_create

    version = Procedure.objects.get(slug=RISAI).current_version
    fields = {f["id"]: f for p in version.definition["form"]["pages"] for f in p["fields"]}
    assert [c["value"] for c in fields["damage_estimate"]["choices"]] == list(services.ESTIMATES)
    assert (
        fields["damage_estimate"].get("required", True)
        and "市の調査" in fields["damage_estimate"]["help"]["ja"]
    )
    from madoguchi.forms.samples import sample_answers

    answers = sample_answers(version.definition)
    assert answers["damage_estimate"] == "zenkai"
    for wrong in ({"damage_estimate": "totally"}, {}):
        draft = draft_start(procedure=version.procedure, user=citizen_erin)
        data = {k: v for k, v in answers.items() if k != "damage_estimate"} | wrong
        draft_save(draft=draft, values=data, replace=("damage_estimate",))
        with pytest.raises(SubmissionInvalid):
            submission_create(draft_id=draft.pk, idempotency_key=draft.submission_token, user=citizen_erin)
    draft.refresh_from_db()
    draft_save(draft=draft, values={"damage_estimate": "unknown"})
    assert submission_create(draft_id=draft.pk, idempotency_key=draft.submission_token, user=citizen_erin)


# --- triage ----------------------------------------------------------------------------------------


def _risai(user, town_address=None, estimate="hankai", damaged=None):
    answers = {"damage_estimate": estimate}
    if town_address is not None:
        answers["applicant_address"] = town_address
    if damaged is not None:
        answers |= {"same_address": False, "damaged_address": damaged}
    return file_case(user, RISAI, **answers)


def test_triage_counts_by_town_and_estimate_scoped_and_linked_to_the_queue(
    client, procedures, citizen_erin, shisanzei_handler, kaigo_alice, sysadmin
):
    shisanzei = department("shisanzei")
    a = _risai(citizen_erin, "宮城県石巻市渡波字栄田1番地", "zenkai")
    _risai(citizen_erin, "宮城県石巻市渡波2-3", "zenkai")
    _risai(citizen_erin, "宮城県石巻市穀町14番1号", "hankai", damaged="石巻市湊町一丁目3番5号")
    _risai(citizen_erin, "東京都千代田区霞が関1-1", "unknown")
    file_case(citizen_erin, "kaigo_nintei_shinki")  # not a 罹災証明: no triage row
    assert TriageEntry.objects.count() == 4
    summary = triage_summary(department=shisanzei)
    counts = {town: row for town, row, _total in summary.rows}
    assert counts == {"渡波": {"zenkai": 2}, "湊町一丁目": {"hankai": 1}, "": {"unknown": 1}}
    assert summary.total == 4 and summary.column_totals == {"zenkai": 2, "hankai": 1, "unknown": 1}
    assert triage_summary(department=department("kaigo-hoken")).total == 0
    # a closed case leaves the table
    from madoguchi.cases.models import Case
    from madoguchi.cases.services import case_transition

    b = _risai(citizen_erin, "石巻市渡波1", "zenkai")
    assert triage_summary(department=shisanzei).total == 5
    case_transition(by=shisanzei_handler, case=b, to_status="withdrawn")
    assert triage_summary(department=shisanzei).total == 4 and TriageEntry.objects.get(case=b).open is False

    login_verified(client, kaigo_alice)
    assert client.get(reverse("disaster:triage")).status_code == 404
    login_verified(client, sysadmin)  # city-wide, but works no cases
    assert client.get(reverse("disaster:triage")).status_code == 404
    login_verified(client, shisanzei_handler)
    html = client.get(reverse("disaster:triage")).content.decode()
    assert "渡波" in html and "不明" in html and "湊町一丁目" in html
    link = (
        reverse("cases:queue")
        + "?department=shisanzei&amp;procedure=risai_shomei&amp;status=open&amp;town=%E6%B8%A1%E6%B3%A2&amp;estimate=zenkai"
    )
    assert link in html
    queue = client.get(link.replace("&amp;", "&")).content.decode()
    assert a.receipt_number in queue
    others = (
        Case.objects.exclude(pk=a.pk).filter(procedure__slug=RISAI).values_list("receipt_number", flat=True)
    )
    shown = [r for r in others if r in queue]  # (b is withdrawn: not in the open queue)
    assert len(shown) == 1  # the other 渡波 zenkai case only
    unknown = client.get(reverse("cases:queue") + "?department=shisanzei&town=-").content.decode()
    assert sum(r in unknown for r in others) == 1


def test_triage_for_a_disaster_counts_the_cases_opened_since_it_was_declared(
    procedures, citizen_erin, sysadmin
):
    _risai(citizen_erin, "石巻市渡波1", "zenkai")
    disaster = _declare(sysadmin)
    TriageEntry.objects.update(opened_at=disaster.started_at - timedelta(days=1))
    _risai(citizen_erin, "石巻市渡波1", "hankai")
    summary = triage_summary(department=department("shisanzei"), disaster=disaster)
    assert summary.total == 1 and summary.rows[0][1] == {"hankai": 1}
    assert triage_summary(department=department("shisanzei")).total == 2


def test_backfill_makes_the_missing_rows_once(procedures, citizen_erin):
    _risai(citizen_erin, "石巻市渡波1", "zenkai")
    _risai(citizen_erin, "石巻市穀町1", "ichibu")
    TriageEntry.objects.all().delete()
    call_command("backfill_triage")
    assert sorted(TriageEntry.objects.values_list("town", "estimate")) == [
        ("渡波", "zenkai"),
        ("穀町", "ichibu"),
    ]
    call_command("backfill_triage")
    assert TriageEntry.objects.count() == 2
    assert AuditEvent.objects.filter(purpose="罹災証明の集計（町字・被害の見込み）").count() == 1


def test_town_names_are_matched_from_addresses(city):
    from madoguchi.disaster.towns import town_of

    assert town_of("宮城県石巻市日和が丘２丁目3-1") == "日和が丘二丁目"
    assert town_of("石巻市日和が丘2-3-1") == "日和が丘二丁目"
    assert town_of("石巻市字南谷地1") == "南谷地"
    assert town_of("雄勝町雄勝1") == "雄勝町雄勝"
    assert town_of("仙台市青葉区1") == "" and town_of("") == ""


# --- open data ------------------------------------------------------------------------------------


def test_disaster_datasets_are_urgent_and_first_while_active(client, city, sysadmin):
    from madoguchi.opendata.models import Dataset, Tag

    def dataset(name, tags=(), urgent=False):
        d = Dataset.objects.create(name=name, title=name, department=department("somu"), urgent=urgent,
                                   state=Dataset.State.PUBLISHED, metadata_modified=timezone.now())  # fmt: skip
        d.tags.set([Tag.objects.get_or_create(name=t)[0] for t in tags])
        return d

    evacuation = dataset("evacuation", ["防災", "避難所"])
    dataset("aed", ["AED"])
    by_hand = dataset("hazard-map", ["防災"], urgent=True)
    Dataset.objects.filter(name="aed").update(metadata_modified=timezone.now() + timedelta(hours=1))
    page = client.get(reverse("opendata:search")).content.decode()
    assert page.index("/opendata/dataset/aed/") < page.index("/opendata/dataset/evacuation/")
    _declare(sysadmin)
    evacuation.refresh_from_db()
    assert evacuation.urgent
    page = client.get(reverse("opendata:search")).content.decode()
    assert page.index("/opendata/dataset/evacuation/") < page.index("/opendata/dataset/aed/")
    assert "緊急" in page
    ckan = client.get("/api/3/action/package_search").json()["result"]["results"]
    assert [d["name"] for d in ckan][-1] == "aed"
    services.end_disaster(by=sysadmin)
    evacuation.refresh_from_db()
    by_hand.refresh_from_db()
    assert not evacuation.urgent and by_hand.urgent  # a mark set by hand stays


# --- demo -----------------------------------------------------------------------------------------


def test_demo_disaster_is_in_the_history_and_not_active(city):
    call_command("load_demo_disaster")
    call_command("load_demo_disaster")
    assert Disaster.objects.count() == 1 and active_disaster() is None
