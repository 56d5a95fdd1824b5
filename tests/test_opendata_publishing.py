"""Department publishing (4-eyes approval, the light path, department scoping), freshness and reminders,
and the public pages (search with facets, dataset page, counted downloads, coverage, the API page, the demo)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.models import StaffRole
from madoguchi.opendata import services
from madoguchi.opendata.freshness import add_months, next_due_after, reminder_due
from madoguchi.opendata.models import Dataset, DatasetActivity, DatasetChange, FreshnessReminder, Resource
from madoguchi.privacy.models import AuditEvent
from tests.conftest import make_staff
from tests.support.opendata import SIMPLE_CSV, kaigo_dataset, publish, ready, upload

pytestmark = pytest.mark.django_db

AED_CSV = (
    "全国地方公共団体コード,ID,名称,名称_カナ,所在地_連結表記,緯度,経度,設置位置\r\n"
    "042021,1,石巻市役所,イシノマキシヤクショ,宮城県石巻市穀町14-1,38.4343,141.3029,1階\r\n"
).encode()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def kaigo_approver2(city):
    return make_staff("kakaricho@kaigo.test", "介護 係長", ("kaigo-hoken", StaffRole.Role.APPROVER))


def recipients(messages):
    return sorted(address for m in messages for address in str(m["To"]).split(", "))


# --- 4-eyes approval -------------------------------------------------------------------------------


def test_handler_prepares_and_an_approver_of_the_same_department_publishes(
    kaigo_alice, kaigo_admin, kaigo_approver2, mailbox, django_capture_on_commit_callbacks
):
    dataset = kaigo_dataset(kaigo_alice)
    assert dataset.state == Dataset.State.DRAFT
    ready(kaigo_alice, dataset)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_submit(by=kaigo_alice, dataset=dataset, note="初回")
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.PENDING
    assert recipients(mailbox.wait_for(1)) == ["kacho@kaigo.test", "kakaricho@kaigo.test"]
    assert "承認をお願いします" in mailbox.messages[0]["Subject"]

    with pytest.raises(PermissionDenied):  # a 担当者 cannot approve
        services.change_approve(by=kaigo_alice, dataset=dataset)
    services.change_approve(by=kaigo_admin, dataset=dataset, comment="確認しました")
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.PUBLISHED and dataset.published_at and dataset.last_updated
    assert dataset.next_due == next_due_after(timezone.localdate(), "annual")
    activity = DatasetActivity.objects.get(dataset=dataset)
    assert activity.kind == "new" and activity.actor == kaigo_admin
    assert (
        activity.snapshot["name"] == "kaigo-test" and len(activity.snapshot["resources"]) == 3
    )  # CSV, JSON, GeoJSON
    assert AuditEvent.objects.filter(object_type="opendata.dataset", object_id=str(dataset.pk)).exists()


def test_an_approver_cannot_approve_their_own_change_when_another_approver_exists(
    kaigo_admin, kaigo_approver2
):
    dataset = kaigo_dataset(kaigo_admin)
    ready(kaigo_admin, dataset)
    services.change_submit(by=kaigo_admin, dataset=dataset)
    with pytest.raises(ValidationError, match="自分が提出した"):
        services.change_approve(by=kaigo_admin, dataset=dataset)
    services.change_approve(by=kaigo_approver2, dataset=dataset)
    assert not DatasetChange.objects.get(dataset=dataset).self_approved


def test_the_only_approver_may_approve_their_own_change_and_it_is_recorded(kaigo_admin):
    dataset = kaigo_dataset(kaigo_admin)
    ready(kaigo_admin, dataset)
    services.change_submit(by=kaigo_admin, dataset=dataset)
    services.change_approve(by=kaigo_admin, dataset=dataset)
    change = DatasetChange.objects.get(dataset=dataset)
    assert change.self_approved and change.status == "approved"


def test_an_approver_of_another_department_cannot_approve(kaigo_alice, kosodate_admin):
    other = make_staff("approver@kosodate.test", "子育 決裁", ("kosodate-shien", StaffRole.Role.APPROVER))
    dataset = kaigo_dataset(kaigo_alice)
    ready(kaigo_alice, dataset)
    services.change_submit(by=kaigo_alice, dataset=dataset)
    with pytest.raises(PermissionDenied):
        services.change_approve(by=other, dataset=dataset)


def test_returned_change_needs_a_reason_and_becomes_editable_again(kaigo_alice, kaigo_admin):
    dataset = kaigo_dataset(kaigo_alice)
    ready(kaigo_alice, dataset)
    services.change_submit(by=kaigo_alice, dataset=dataset)
    with pytest.raises(ValidationError):
        services.change_return(by=kaigo_admin, dataset=dataset, comment=" ")
    services.change_return(by=kaigo_admin, dataset=dataset, comment="説明を足してください")
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.DRAFT
    change = services.open_change(dataset)
    assert change.status == "returned" and change.is_editable
    services.change_update_metadata(
        by=kaigo_alice, dataset=dataset, data={**change.metadata, "notes": "説明を足しました"}
    )
    services.change_submit(by=kaigo_alice, dataset=dataset)
    services.change_approve(by=kaigo_admin, dataset=dataset)
    dataset.refresh_from_db()
    assert dataset.notes == "説明を足しました" and dataset.is_public


def test_edits_to_a_published_dataset_stay_private_until_approved(kaigo_alice, kaigo_admin, client):
    dataset = publish(kaigo_alice, kaigo_admin, kaigo_dataset(kaigo_alice))
    before_modified = dataset.metadata_modified
    metadata = services.working_metadata(dataset)
    services.change_update_metadata(
        by=kaigo_alice, dataset=dataset, data={**metadata, "title": "新しいタイトル"}
    )
    page = client.get(reverse("opendata:dataset", kwargs={"name": dataset.name})).content.decode()
    assert "介護サービス事業所一覧（テスト）" in page and "新しいタイトル" not in page
    services.change_submit(by=kaigo_alice, dataset=dataset)
    services.change_approve(by=kaigo_admin, dataset=dataset)
    dataset.refresh_from_db()
    assert dataset.title == "新しいタイトル" and dataset.metadata_modified > before_modified
    assert (
        "新しいタイトル"
        in client.get(reverse("opendata:dataset", kwargs={"name": dataset.name})).content.decode()
    )
    assert DatasetActivity.objects.filter(dataset=dataset, kind="changed").count() == 1


def test_every_upload_is_kept(kaigo_alice, kaigo_admin):
    dataset = publish(kaigo_alice, kaigo_admin, kaigo_dataset(kaigo_alice))
    resource = dataset.resources.get(format="CSV")
    first = resource.current_version
    ready(kaigo_alice, dataset, SIMPLE_CSV.replace(b"38.4343", b"38.4350"), resource=resource)
    services.change_submit(by=kaigo_alice, dataset=dataset)
    services.change_approve(by=kaigo_admin, dataset=dataset)
    resource.refresh_from_db()
    assert resource.current_version != first and resource.versions.count() == 2
    with first.original_file.open("rb") as fh:
        assert fh.read() == SIMPLE_CSV


def test_withdrawing_needs_approval_too(kaigo_alice, kaigo_admin, client):
    dataset = publish(kaigo_alice, kaigo_admin, kaigo_dataset(kaigo_alice))
    services.withdraw_request(by=kaigo_alice, dataset=dataset, note="施設の廃止")
    assert client.get(reverse("opendata:dataset", kwargs={"name": dataset.name})).status_code == 200
    services.change_approve(by=kaigo_admin, dataset=dataset)
    assert client.get(reverse("opendata:dataset", kwargs={"name": dataset.name})).status_code == 404
    assert DatasetActivity.objects.filter(dataset=dataset, kind="deleted").exists()


# --- the light path -----------------------------------------------------------------------------


def test_light_path_publishes_routine_updates_of_a_standard_dataset(
    kaigo_alice, kaigo_admin, mailbox, django_capture_on_commit_callbacks
):
    dataset = kaigo_dataset(kaigo_alice, name="aed-kaigo", conforms_to="aed")
    with pytest.raises(ValidationError):  # not approved yet: no light path
        services.dataset_set_light_path(by=kaigo_admin, dataset=dataset, enabled=True)
    dataset = publish(kaigo_alice, kaigo_admin, dataset, AED_CSV, "aed.csv")
    with pytest.raises(PermissionDenied):  # the department chooses: 決裁者 or 課管理者, not a 担当者
        services.dataset_set_light_path(by=kaigo_alice, dataset=dataset, enabled=True)
    services.dataset_set_light_path(by=kaigo_admin, dataset=dataset, enabled=True)
    dataset.refresh_from_db()
    mailbox.messages.clear()

    resource = dataset.resources.get(format="CSV")
    ready(
        kaigo_alice,
        dataset,
        AED_CSV.replace(b"1\xe9\x9a\x8e", b"2\xe9\x9a\x8e"),
        "aed.csv",
        resource=resource,
    )
    with django_capture_on_commit_callbacks(execute=True):
        change = services.change_submit(by=kaigo_alice, dataset=dataset)
    assert change.via_light_path and change.status == "approved"
    resource.refresh_from_db()
    assert resource.current_version.change == change
    assert "簡易手続" in mailbox.wait_for(1)[0]["Subject"]
    assert recipients(mailbox.messages) == ["kacho@kaigo.test"]

    # A metadata change is not routine: it waits for a 決裁者.
    services.change_update_metadata(
        by=kaigo_alice, dataset=dataset, data={**services.working_metadata(dataset), "title": "改題"}
    )
    change = services.change_submit(by=kaigo_alice, dataset=dataset)
    assert not change.via_light_path and change.status == "pending"


def test_light_path_is_not_taken_for_data_with_personal_data_warnings(kaigo_alice, kaigo_admin):
    dataset = publish(
        kaigo_alice,
        kaigo_admin,
        kaigo_dataset(kaigo_alice, name="aed-p", conforms_to="aed"),
        AED_CSV,
        "aed.csv",
    )
    services.dataset_set_light_path(by=kaigo_admin, dataset=dataset, enabled=True)
    dataset.refresh_from_db()
    with_mobile = (
        AED_CSV.decode().replace("設置位置", "設置位置,電話番号").replace("1階", "1階,090-1234-5678").encode()
    )
    version = upload(
        kaigo_alice, dataset, with_mobile, "aed.csv", resource=dataset.resources.get(format="CSV")
    )
    with pytest.raises(ValidationError, match="個人情報"):
        services.version_apply_fixes(by=kaigo_alice, version=version, selected={"encoding"})
    services.version_apply_fixes(
        by=kaigo_alice, version=version, selected={"encoding"}, personal_data_confirmed=True
    )
    change = services.change_submit(by=kaigo_alice, dataset=dataset)
    assert change.status == "pending" and not change.via_light_path


# --- department scoping ---------------------------------------------------------------------------


def test_another_departments_staff_get_404(kaigo_alice, kosodate_charlie, dx_dana, as_user):
    dataset = kaigo_dataset(kaigo_alice)
    version = upload(kaigo_alice, dataset)
    for intruder in (kosodate_charlie, dx_dana):
        client = as_user(intruder)
        for url in (
            reverse("opendata:staff_detail", kwargs={"name": dataset.name}),
            reverse("opendata:staff_version", kwargs={"name": dataset.name, "version_id": version.pk}),
        ):
            assert client.get(url).status_code == 404
        assert (
            client.post(
                reverse("opendata:staff_action", kwargs={"name": dataset.name}), {"action": "cancel"}
            ).status_code
            == 404
        )
    assert services.open_change(dataset) is not None
    with pytest.raises(PermissionDenied):
        services.resource_upload(
            by=kosodate_charlie, dataset=dataset, data=SIMPLE_CSV, filename="x.csv", name="x"
        )


def test_staff_list_shows_only_the_users_departments(kaigo_alice, kosodate_charlie, as_user):
    kaigo_dataset(kaigo_alice)
    page = as_user(kosodate_charlie).get(reverse("opendata:staff_list")).content.decode()
    assert "kaigo-test" not in page and "介護サービス事業所一覧（テスト）" not in page


def test_ownership_survives_personnel_changes(kaigo_alice, kaigo_admin, kaigo_bob):
    dataset = publish(kaigo_alice, kaigo_admin, kaigo_dataset(kaigo_alice))
    kaigo_alice.staff_roles.all().delete()  # April: alice moves to another city office
    kaigo_alice.is_active = False
    kaigo_alice.save()
    ready(kaigo_bob, dataset, SIMPLE_CSV, resource=dataset.resources.get(format="CSV"))
    services.change_submit(by=kaigo_bob, dataset=dataset)
    services.change_approve(by=kaigo_admin, dataset=dataset)


# --- staff pages -----------------------------------------------------------------------------------


def test_upload_preview_apply_and_submit_through_the_pages(kaigo_alice, kaigo_admin, as_user):
    client = as_user(kaigo_alice)
    response = client.post(
        reverse("opendata:staff_create"),
        {
            "department": kaigo_alice.staff_roles.first().department_id,
            "name": "kaigo-web",
            "title": "ウェブで作る",
            "theme": "SOCI",
            "license_id": "pdl-1.0",
            "frequency": "monthly",
            "conforms_to": "aed",
        },
    )
    assert response.status_code == 302
    sjis = (
        "名称,名称_カナ,所在地_連結表記,緯度,経度,設置位置,全国地方公共団体コード\r\n"
        "石巻市役所,イシノマキシヤクショ,穀町１４－１,141.3029,38.4343,１階,04202\r\n"
    ).encode("cp932")
    upload_url = reverse("opendata:staff_upload", kwargs={"name": "kaigo-web"})
    response = client.post(upload_url, {"file": SimpleUploadedFile("aed.csv", sjis), "name": "AED"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    for text in (
        "Shift_JIS（CP932）",
        "UTF-8（BOM付き）",
        "<del>04202</del>",
        "<ins>042021</ins>",
        "<del>141.3029</del>",
    ):
        assert text in page
    # Untick the latitude/longitude fix: the page shows what remains, and applying is refused.
    fixes = ["encoding", "fullwidth_digits", "lg_code"]
    response = client.post(response["Location"], {"fix": fixes, "action": "apply"})
    assert response.status_code == 400 and "入れ替わって" in response.content.decode()
    response = client.post(response.wsgi_request.path, {"fix": [*fixes, "latlng"], "action": "apply"})
    assert response.status_code == 302
    client.post(reverse("opendata:staff_action", kwargs={"name": "kaigo-web"}), {"action": "submit"})
    assert Dataset.objects.get(name="kaigo-web").state == "pending"
    approver = as_user(kaigo_admin)
    approver.post(reverse("opendata:staff_action", kwargs={"name": "kaigo-web"}), {"action": "approve"})
    dataset = Dataset.objects.get(name="kaigo-web")
    assert dataset.is_public
    body = dataset.resources.get(format="CSV").current_version.file.open("rb").read()
    assert body.startswith(b"\xef\xbb\xbf") and "042021" in body.decode("utf-8-sig")


def test_bad_input_gets_field_messages_not_a_server_error(kaigo_alice, as_user):
    client = as_user(kaigo_alice)
    response = client.post(
        reverse("opendata:staff_create"), {"name": "Bad Name!", "title": "", "theme": "XXX"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "半角英小文字" in page and 'href="#id_title"' in page
    dataset = kaigo_dataset(kaigo_alice)
    response = client.post(reverse("opendata:staff_upload", kwargs={"name": dataset.name}), {"name": ""})
    assert response.status_code == 200 and "field--error" in response.content.decode()
    response = client.post(
        reverse("opendata:staff_upload", kwargs={"name": dataset.name}),
        {"file": SimpleUploadedFile("x.exe", b"MZ\x00\x00"), "name": "x"},
    )
    assert response.status_code == 200 and "CSV、Excel" in response.content.decode()
    response = client.post(
        reverse("opendata:staff_edit", kwargs={"name": dataset.name}),
        {
            "title": "t",
            "theme": "SOCI",
            "license_id": "pdl-1.0",
            "frequency": "annual",
            "temporal_start": "2024-04-01",
            "temporal_end": "2023-04-01",
            "contact_email": "not-an-address",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "対象期間の終わり" in page and "id_contact_email_error" in page
    response = client.post(
        reverse("opendata:staff_action", kwargs={"name": dataset.name}), {"action": "submit"}
    )
    assert response.status_code == 302  # refused with a message: nothing to publish yet


# --- freshness -----------------------------------------------------------------------------------


def test_due_dates_follow_the_frequency():
    assert next_due_after(date(2025, 1, 31), "monthly") == date(2025, 2, 28)
    assert next_due_after(date(2024, 2, 29), "annual") == date(2025, 2, 28)
    assert next_due_after(date(2025, 4, 1), "quarterly") == date(2025, 7, 1)
    assert next_due_after(date(2025, 4, 1), "weekly") == date(2025, 4, 8)
    assert next_due_after(date(2025, 4, 1), "irregular") is None
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    due = date(2025, 6, 30)
    assert reminder_due("annual", due, date(2025, 5, 30)) == []
    assert reminder_due("annual", due, date(2025, 5, 31)) == ["before"]
    assert reminder_due("annual", due, date(2025, 7, 1)) == ["overdue"]
    assert reminder_due("annual", due, date(2025, 7, 31)) == ["overdue", "escalated"]


def test_reminders_go_to_the_department_then_the_dx_office(
    kaigo_alice, kaigo_admin, kosodate_charlie, dx_dana, mailbox, django_capture_on_commit_callbacks
):
    dataset = publish(kaigo_alice, kaigo_admin, kaigo_dataset(kaigo_alice))
    mailbox.messages.clear()
    due = dataset.next_due
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.freshness_reminders_run(today=due - timedelta(days=10))
    assert sent == {"before": 1, "overdue": 0, "escalated": 0}
    assert recipients(mailbox.wait_for(1)) == ["alice@kaigo.test", "kacho@kaigo.test", "kaigo@city.example"]
    assert "まもなく更新予定日" in mailbox.messages[0]["Subject"]
    # Idempotent: the same day again sends nothing.
    assert services.freshness_reminders_run(today=due - timedelta(days=10))["before"] == 0
    mailbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("opendata_reminders", "--date", (due + timedelta(days=1)).isoformat())
    assert "更新予定日を過ぎています" in mailbox.wait_for(1)[0]["Subject"]
    mailbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.freshness_reminders_run(today=due + timedelta(days=31))
    assert recipients(mailbox.wait_for(1)) == ["dana@ict.test"]
    assert (
        "大きく遅れています" in mailbox.messages[0]["Subject"]
        and "介護保険課" in mailbox.messages[0].get_content()
    )
    assert FreshnessReminder.objects.filter(dataset=dataset).count() == 3


def test_the_public_page_shows_last_updated_and_next_due(kaigo_alice, kaigo_admin, client):
    dataset = publish(kaigo_alice, kaigo_admin, kaigo_dataset(kaigo_alice))
    page = client.get(reverse("opendata:dataset", kwargs={"name": dataset.name})).content.decode()
    assert (
        "最終更新" in page and dataset.next_due.isoformat() in page and "更新予定日を過ぎています" not in page
    )
    Dataset.objects.filter(pk=dataset.pk).update(next_due=timezone.localdate() - timedelta(days=1))
    page = client.get(reverse("opendata:dataset", kwargs={"name": dataset.name})).content.decode()
    assert "更新予定日を過ぎています" in page


# --- public pages --------------------------------------------------------------------------------


@pytest.fixture
def catalogue(kaigo_alice, kaigo_admin, kosodate_charlie, city):
    kosodate_approver = make_staff(
        "kacho2@kosodate.test", "子育 決裁", ("kosodate-shien", StaffRole.Role.APPROVER)
    )
    from tests.conftest import department

    a = publish(
        kaigo_alice,
        kaigo_admin,
        kaigo_dataset(kaigo_alice, name="kaigo-a", title="介護施設の一覧", tags="介護、施設"),
    )
    b = services.dataset_create(
        by=kosodate_charlie,
        department=department("kosodate-shien"),
        name="hoiku-b",
        metadata={
            "title": "保育所の空き状況",
            "notes": "一時預かりサービスを含む",
            "theme": "SOCI",
            "license_id": "cc-by-4.0",
            "frequency": "monthly",
            "tags": "子育て、施設",
        },
    )
    publish(kosodate_charlie, kosodate_approver, b, b"name,count\r\nA,3\r\n", "b.csv")
    draft = kaigo_dataset(kaigo_alice, name="kaigo-draft", title="非公開の下書き")
    return a, b, draft


def test_search_finds_japanese_text_in_either_kana_with_facets(catalogue, client):
    page = client.get(reverse("opendata:search")).content.decode()
    assert "2件のデータセット" in page and "非公開の下書き" not in page
    page = client.get(reverse("opendata:search"), {"q": "保育所"}).content.decode()
    assert "保育所の空き状況" in page and "介護施設の一覧" not in page
    page = client.get(
        reverse("opendata:search"), {"q": "さーびす"}
    ).content.decode()  # hiragana finds katakana
    assert "保育所の空き状況" in page and "介護施設の一覧" not in page
    response = client.get(reverse("opendata:search"), {"tag": "施設"})
    facets = {f["key"]: {i["value"]: i["count"] for i in f["items"]} for f in response.context["facets"]}
    assert facets["organization"] == {"kaigo-hoken": 1, "kosodate-shien": 1}
    assert facets["tag"]["施設"] == 2 and facets["tag"]["介護"] == 1
    assert facets["res_format"] == {"CSV": 2, "JSON": 2, "GeoJSON": 1}
    assert facets["license_id"] == {"pdl-1.0": 1, "cc-by-4.0": 1}
    response = client.get(
        reverse("opendata:search"), {"organization": "kaigo-hoken", "res_format": "GeoJSON"}
    )
    assert [d.name for d in response.context["page"].object_list] == ["kaigo-a"]
    response = client.get(reverse("opendata:search"), {"license_id": "cc-by-4.0"})
    assert [d.name for d in response.context["page"].object_list] == ["hoiku-b"]
    assert client.get(reverse("opendata:search"), {"page": "x", "sort": "<script>"}).status_code == 200


def test_dataset_page_preview_and_counted_downloads(catalogue, client):
    a, _b, draft = catalogue
    page = client.get(reverse("opendata:dataset", kwargs={"name": a.name})).content.decode()
    assert "データのプレビュー" in page and "石巻市役所" in page and "公共データ利用規約" in page
    csv_resource = a.resources.get(format="CSV")
    url = reverse("opendata:download", kwargs={"name": a.name, "resource_id": csv_resource.pk})
    for _ in range(2):
        response = client.get(url)
        body = b"".join(response.streaming_content)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1][0] == "石巻市役所"
    csv_resource.refresh_from_db()
    a.refresh_from_db()
    assert csv_resource.download_count == 2 and a.download_count == 2
    geo = a.resources.get(format="GeoJSON")
    response = client.get(reverse("opendata:download", kwargs={"name": a.name, "resource_id": geo.pk}))
    assert json.loads(b"".join(response.streaming_content))["features"][0]["geometry"]["type"] == "Point"
    schema = client.get(
        reverse("opendata:schema", kwargs={"name": a.name, "resource_id": csv_resource.pk})
    ).json()
    assert [f["name"] for f in schema["fields"]] == ["名称", "所在地", "緯度", "経度"]
    # Nothing private is reachable.
    assert client.get(reverse("opendata:dataset", kwargs={"name": draft.name})).status_code == 404
    hidden = Resource.objects.filter(dataset=draft).first() or upload(draft.created_by, draft).resource
    assert (
        client.get(
            reverse("opendata:download", kwargs={"name": draft.name, "resource_id": hidden.pk})
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("opendata:download", kwargs={"name": a.name, "resource_id": hidden.pk})
        ).status_code
        == 404
    )


def test_coverage_shows_published_stale_and_missing(kaigo_alice, kaigo_admin, dx_dana, client, as_user):
    dataset = publish(
        kaigo_alice,
        kaigo_admin,
        kaigo_dataset(kaigo_alice, name="aed", conforms_to="aed"),
        AED_CSV,
        "aed.csv",
    )
    rows = {r.standard_id: r for r in client.get(reverse("opendata:coverage")).context["rows"]}
    assert rows["aed"].status == "published" and rows["public-facilities"].status == "missing"
    Dataset.objects.filter(pk=dataset.pk).update(next_due=timezone.localdate() - timedelta(days=3))
    rows = {r.standard_id: r for r in client.get(reverse("opendata:coverage")).context["rows"]}
    assert rows["aed"].status == "stale"
    staff_page = as_user(dx_dana).get(reverse("opendata:staff_coverage"))
    assert staff_page.status_code == 200 and "更新予定日を過ぎたデータセット" in staff_page.content.decode()


def test_coverage_page_for_staff_is_for_the_dx_office(kaigo_alice, as_user):
    assert as_user(kaigo_alice).get(reverse("opendata:staff_coverage")).status_code == 404


def test_developers_page_describes_the_apis(client):
    page = client.get(reverse("opendata:developers")).content.decode()
    for path in (
        "/api/3/action/package_search",
        "/api/3/action/package_show",
        "/catalog.jsonld",
        "/catalog.ttl",
        "/catalog.xml",
        ".jsonld",
        "Table Schema",
    ):
        assert path in page


def test_demo_loader_is_idempotent_and_covers_the_brief(city, settings):
    call_command("load_demo", "--quiet-logins")
    call_command("load_demo_opendata")
    call_command("load_demo_opendata")
    datasets = Dataset.objects.all()
    assert datasets.count() == 6 and all(d.is_demo for d in datasets)
    assert {"aed", "designated-emergency-evacuation-sites", "public-facilities"} <= {
        d.conforms_to for d in datasets if d.is_public
    }
    assert datasets.filter(state="pending").count() == 1
    assert len({d.department_id for d in datasets}) >= 5
    assert [d.name for d in datasets if d.is_overdue()] == ["population-by-area"]
    for d in datasets.filter(state="published"):
        for r in d.resources.filter(format="CSV"):
            rows = list(csv.reader(io.StringIO(r.current_version.file.open("rb").read().decode("utf-8-sig"))))
            assert len(rows) > 3
