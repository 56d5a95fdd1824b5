"""The staff pages of the DX policy (/staff/dx/): who may do what, forms, import and export over HTTP."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from madoguchi.dx.models import Initiative, KpiEntry, PdcaNote, RegisterEntry, StandardArea
from madoguchi.dx.register_io import COLUMNS
from madoguchi.dx.services import policy_load_from_file
from madoguchi.privacy.models import AuditEvent
from madoguchi.procedures.services import procedures_load_from_files


@pytest.fixture
def policy(city):
    procedures_load_from_files()
    policy_load_from_file()


def _xlsx(rows):
    book = Workbook()
    book.active.append(COLUMNS)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "register.xlsx"
    return out


def _row(number, dept="kaigo-hoken", volume=10):
    return [number, f"手続{number}", dept, "", "法", volume, "要", "要", "不要", "見直し中", "", "未対応", ""]


def test_every_page_renders_for_the_dx_officer(policy, as_user, dx_dana):
    client = as_user(dx_dana)
    urls = [reverse("dx:home"), reverse("dx:register"), reverse("dx:register_import"), reverse("dx:register_new"),
            reverse("dx:standardisation"), reverse("dx:area_edit", kwargs={"area": "kaigo-hoken"})]  # fmt: skip
    urls += [reverse("dx:initiative", kwargs={"initiative": i.code}) for i in Initiative.objects.all()]
    urls += [reverse(name, kwargs={"initiative": "A4"}) for name in ("dx:initiative_edit", "dx:pdca_add")]
    urls += [
        reverse(name, kwargs={"kpi_key": "mynumber_card_rate"})
        for name in ("dx:kpi", "dx:kpi_entry", "dx:kpi_edit")
    ]
    urls += [reverse("dx:kpi", kwargs={"kpi_key": "online_share"})]
    for url in urls:
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("dx:standardisation")).content.decode()
    assert "期限超過" in page and "期限を過ぎても移行が終わっていない業務が" in page
    assert client.get(reverse("dx:initiative", kwargs={"initiative": "Z9"})).status_code == 404
    assert (
        client.get(reverse("dx:kpi_entry", kwargs={"kpi_key": "online_share"})).status_code == 404
    )  # automatic


def test_department_staff_read_but_do_not_edit_the_policy(policy, as_user, kaigo_alice):
    client = as_user(kaigo_alice)
    assert client.get(reverse("dx:home")).status_code == 200
    assert client.get(reverse("dx:initiative", kwargs={"initiative": "A1"})).status_code == 200
    for url in [reverse("dx:initiative_edit", kwargs={"initiative": "A1"}), reverse("dx:pdca_add", kwargs={"initiative": "A1"}),
                reverse("dx:kpi_entry", kwargs={"kpi_key": "telework_use"}), reverse("dx:kpi_edit", kwargs={"kpi_key": "telework_use"}),
                reverse("dx:area_edit", kwargs={"area": "kaigo-hoken"})]:  # fmt: skip
        assert client.get(url).status_code == 404, url
        assert (
            client.post(
                url, {"value": "1", "period": "2026-10-01", "action": "status", "status": "migrated"}
            ).status_code
            == 404
        )
    assert KpiEntry.objects.count() == 0
    assert StandardArea.objects.get(code="kaigo-hoken").status == "migrating"


def test_manual_kpi_entries_are_append_only(policy, as_user, dx_dana):
    client = as_user(dx_dana)
    url = reverse("dx:kpi_entry", kwargs={"kpi_key": "mynumber_card_rate"})
    response = client.post(url, {"period": "2026-13-01", "value": "abc", "miyagi_average": "x"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="field__error"') == 3 and KpiEntry.objects.count() == 0
    assert client.post(url, {"period": "2026-10-01", "value": "78.5", "miyagi_average": "80.1", "national_average": "81.2",
                             "note": "10月末"}).status_code == 302  # fmt: skip
    assert client.post(url, {"period": "2026-10-01", "value": "78.9", "note": "訂正"}).status_code == 302
    first, fix = KpiEntry.objects.order_by("pk")
    assert fix.supersedes == first and first.value == 78.5 and first.entered_by == dx_dana
    page = client.get(reverse("dx:kpi", kwargs={"kpi_key": "mynumber_card_rate"})).content.decode()
    assert "訂正済み" in page and "78.9%" in page and "80.1" in page
    assert AuditEvent.objects.filter(object_type="dx.kpientry").count() == 2
    # telework has no comparison values
    telework = client.get(reverse("dx:kpi_entry", kwargs={"kpi_key": "telework_use"})).content.decode()
    assert "宮城県平均" not in telework


def test_pdca_notes_actions_and_targets_are_audited(policy, as_user, dx_dana):
    client = as_user(dx_dana)
    url = reverse("dx:pdca_add", kwargs={"initiative": "A2"})
    assert "field__error" in client.post(url, {"phase": "later", "period": "", "text": ""}).content.decode()
    assert PdcaNote.objects.count() == 0
    client.post(
        url, {"phase": "check", "period": "令和8年度上期", "text": "28手続のオンライン化を確認した。"}
    )
    note = PdcaNote.objects.get()
    assert note.author == dx_dana and note.initiative.code == "A2"
    page = client.get(reverse("dx:initiative", kwargs={"initiative": "A2"})).content.decode()
    assert "令和8年度上期" in page and "Check（評価）" in page
    a4 = Initiative.objects.get(code="A4")
    first, second = a4.actions.all()
    response = client.post(reverse("dx:initiative_edit", kwargs={"initiative": "A4"}),
                           {f"action-{first.pk}": "新しい文", f"action-{second.pk}": "", "new-department": "", "new-text": "全課で周知する"})  # fmt: skip
    assert response.status_code == 302
    assert [(a.department, a.text) for a in a4.actions.all()] == [
        (first.department, "新しい文"),
        (None, "全課で周知する"),
    ]
    kpi_url = reverse("dx:kpi_edit", kwargs={"kpi_key": "telework_use"})
    assert "field__error" in client.post(kpi_url, {"name": "", "target": "many"}).content.decode()
    client.post(kpi_url, {"name": "テレワークの利用者数", "definition": "d", "unit": "人", "baseline": "0",
                          "baseline_date": "2021-12-01", "target": "350", "target_date": "2027-03-31"})  # fmt: skip
    assert Initiative.objects.get(code="B3").kpis.get().target == 350
    assert set(AuditEvent.objects.filter(object_type__startswith="dx.").values_list("object_type", flat=True)) == {
        "dx.pdcanote", "dx.initiative", "dx.kpi"}  # fmt: skip


def test_register_rows_are_edited_by_their_department_and_the_dx_officer(
    policy, as_user, kaigo_alice, kosodate_charlie, dx_dana
):
    kaigo_row = RegisterEntry.objects.get(number="madoguchi:kaigo_nintei_shinki")
    url = reverse("dx:register_edit", kwargs={"entry_id": kaigo_row.pk})
    assert as_user(kosodate_charlie).get(url).status_code == 404
    assert as_user(kosodate_charlie).post(url, {"review": "abolish"}).status_code == 404
    client = as_user(kaigo_alice)
    page = client.get(reverse("dx:register")).content.decode()
    assert url in page  # their row has an edit link
    other = RegisterEntry.objects.get(number="madoguchi:risai_shomei")
    assert reverse("dx:register_edit", kwargs={"entry_id": other.pk}) not in page
    assert client.get(reverse("dx:register_edit", kwargs={"entry_id": other.pk})).status_code == 404
    bad = client.post(
        url,
        {
            "legal_basis": "介護保険法第27条",
            "yearly_volume": "-3",
            "review": "maybe",
            "planned_date": "2027-02-30",
        },
    )
    assert bad.status_code == 200 and bad.content.decode().count('class="field__error"') == 3
    assert RegisterEntry.objects.get(pk=kaigo_row.pk).legal_basis == ""
    response = client.post(url, {"legal_basis": "介護保険法第27条", "yearly_volume": "4200", "paper_required": "on",
                                 "review": "continue", "review_reason": "r", "planned_date": ""})  # fmt: skip
    assert response.status_code == 302
    row = RegisterEntry.objects.get(pk=kaigo_row.pk)
    assert (
        row.yearly_volume == 4200
        and row.paper_required
        and row.online_status == "madoguchi"
        and row.updated_by == kaigo_alice
    )
    assert AuditEvent.objects.filter(object_type="dx.registerentry", object_id=row.number).exists()
    # a new row: only their department can be chosen
    new = client.post(reverse("dx:register_new"), {"number": "K-1", "name": "介護の紙の手続", "department": row.department.pk,
                                                   "review": "reviewing", "online_status": "not_yet"})  # fmt: skip
    assert new.status_code == 302
    shimin = RegisterEntry.objects.get(number="madoguchi:risai_shomei").department
    refused = client.post(reverse("dx:register_new"), {"number": "K-2", "name": "x", "department": shimin.pk,
                                                       "review": "reviewing", "online_status": "not_yet"})  # fmt: skip
    assert refused.status_code == 200 and not RegisterEntry.objects.filter(number="K-2").exists()
    dup = client.post(reverse("dx:register_new"), {"number": "K-1", "name": "x", "department": row.department.pk,
                                                   "review": "reviewing", "online_status": "madoguchi"})  # fmt: skip
    assert dup.content.decode().count('class="field__error"') == 2
    assert as_user(dx_dana).get(reverse("dx:register_edit", kwargs={"entry_id": other.pk})).status_code == 200


def test_import_preview_then_confirm_over_http(policy, as_user, dx_dana):
    client = as_user(dx_dana)
    url = reverse("dx:register_import")
    rows = [_row(f"X-{i}") for i in range(1, 21)]
    rows[4][6] = "たぶん"
    response = client.post(url, {"file": _xlsx(rows)})
    page = response.content.decode()
    assert "1件の誤りがあります" in page and "<td>6</td><td>押印</td>" in page
    assert not RegisterEntry.objects.filter(number__startswith="X-").exists()
    rows[4][6] = "要"
    page = client.post(url, {"file": _xlsx(rows)}).content.decode()
    assert (
        "追加 20件、変更 0件" in page and not RegisterEntry.objects.filter(number__startswith="X-").exists()
    )
    token = client.session["dx_register_import"]["token"]
    assert client.post(url, {"confirm": "1", "token": "wrong"}).status_code == 302
    assert not RegisterEntry.objects.filter(number__startswith="X-").exists()
    assert client.post(url, {"confirm": "1", "token": token}).status_code == 302
    assert RegisterEntry.objects.filter(number__startswith="X-").count() == 20
    # exported, then imported again: no change
    exported = client.get(reverse("dx:register_export_xlsx"))
    assert exported["Content-Disposition"].startswith('attachment; filename="register-')
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert [c.value for c in sheet[1]] == COLUMNS and sheet.max_row == 1 + 48
    upload = io.BytesIO(exported.content)
    upload.name = "register.xlsx"
    assert "変更はありません。" in client.post(url, {"file": upload}).content.decode()
    csv_response = client.get(reverse("dx:register_export_csv"))
    text = csv_response.content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == COLUMNS
    upload = io.BytesIO(csv_response.content)
    upload.name = "register.csv"
    assert "変更はありません。" in client.post(url, {"file": upload}).content.decode()
    garbage = io.BytesIO(b"PK\x03\x04broken")
    garbage.name = "x.xlsx"
    assert "Excelファイルとして読めません。" in client.post(url, {"file": garbage}).content.decode()


def test_standardisation_edit(policy, as_user, dx_dana):
    client = as_user(dx_dana)
    url = reverse("dx:area_edit", kwargs={"area": "kaigo-hoken"})
    assert "field__error" in client.post(url, {"action": "status", "status": "done"}).content.decode()
    client.post(url, {"action": "status", "status": "migrated", "note": "完了"})
    area = StandardArea.objects.get(code="kaigo-hoken")
    assert area.status == "migrated" and not area.is_overdue()
    assert (
        "field__error" in client.post(url, {"action": "milestone", "date": "", "text": ""}).content.decode()
    )
    client.post(url, {"action": "milestone", "date": "2026-12-24", "text": "旧システムの停止"})
    milestone = area.milestones.get(text="旧システムの停止")
    client.post(url, {"action": "done", "milestone": milestone.pk})
    milestone.refresh_from_db()
    assert milestone.done
    other = StandardArea.objects.get(code="shugaku").milestones.create(date="2026-01-01", text="x")
    assert client.post(url, {"action": "done", "milestone": other.pk}).status_code == 404
    assert client.post(url, {"action": "done", "milestone": "abc"}).status_code == 404
    assert client.post(url, {"action": "done", "milestone": "9" * 30}).status_code == 404
    assert client.get(reverse("dx:register_edit", kwargs={"entry_id": 10**30})).status_code == 404
    assert AuditEvent.objects.filter(object_type__in=["dx.standardarea", "dx.standardmilestone"]).count() == 3


def test_pages_render_in_english_too(policy, as_user, dx_dana, settings):
    client = as_user(dx_dana)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (reverse("dx:home"), reverse("dx:register"), reverse("dx:standardisation"),
                reverse("dx:initiative", kwargs={"initiative": "B2"}), reverse("dx:kpi", kwargs={"kpi_key": "mynumber_card_rate"})):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Language"] == "en", url
