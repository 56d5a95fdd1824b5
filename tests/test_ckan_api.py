"""The CKAN Action API: the ckanapi client (from PyPI, used as is) against the running server, CKAN's
envelope and error types, the Solr-style query reader, harvester paging, and write tokens."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import ckanapi
import pytest
from django.core.management import call_command
from django.test import Client

from madoguchi.accounts.models import StaffRole
from madoguchi.opendata import ckan_search, services
from madoguchi.opendata.api_tokens import opendata_token_create, opendata_token_revoke
from madoguchi.opendata.ckan_search import QueryError
from madoguchi.opendata.models import Dataset, DatasetChange, OpenDataApiToken
from tests.conftest import department, login_verified, make_staff
from tests.support.opendata_api import AED_CSV, publish_csv, publish_link

ACTION = "/api/3/action/"


@pytest.fixture
def kaigo_approver(city):
    return make_staff("approver@kaigo.test", "介護 決裁", ("kaigo-hoken", StaffRole.Role.APPROVER))


@pytest.fixture
def catalogue(kaigo_alice, kaigo_admin):
    """Three published datasets of 介護保険課 (one a standard dataset with a CSV), a draft and a pending one."""
    a = publish_link("kaigo-jigyosho", editor=kaigo_alice, approver=kaigo_admin, title="介護事業所の地図",
                     tags=["介護", "地図"])  # fmt: skip
    b = publish_link("kaigo-hoken-ryo", editor=kaigo_alice, approver=kaigo_admin, title="介護保険料の推移",
                     tags=["介護", "統計"], theme="GOVE", license_id="cc-by-4.0")  # fmt: skip
    c = publish_csv("aed-kaigo", AED_CSV, editor=kaigo_alice, approver=kaigo_admin, title="AED設置箇所一覧",
                    conforms_to="aed", theme="HEAL", tags=["AED"])  # fmt: skip
    draft = services.dataset_create(by=kaigo_alice, department=department("kaigo-hoken"), name="kaigo-draft",
                                    metadata={**_meta("下書きの秘密"), "tags": []})  # fmt: skip
    pending = services.dataset_create(by=kaigo_alice, department=department("kaigo-hoken"), name="kaigo-pending",
                                      metadata={**_meta("承認待ちの秘密"), "tags": []})  # fmt: skip
    services.link_add(by=kaigo_alice, dataset=pending, name="x", url="https://example.org/x", fmt="HTML")
    services.change_submit(by=kaigo_alice, dataset=pending)
    return {"a": a, "b": b, "aed": c, "draft": draft, "pending": pending}


def _meta(title):
    from tests.support.opendata_api import metadata

    return metadata(title)


def call(
    client: Client, action: str, data: dict | None = None, *, token: str | None = None, get: bool = False
):
    headers = {"HTTP_AUTHORIZATION": token} if token else {}
    if get:
        response = client.get(ACTION + action, data or {}, **headers)
    else:
        response = client.post(
            ACTION + action, json.dumps(data or {}), content_type="application/json", **headers
        )
    body = json.loads(response.content)
    return response.status_code, body


# --- the ckanapi client against the running server ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ckanapi_lists_searches_shows_and_creates(live_server, catalogue, kaigo_admin, kaigo_approver):
    remote = ckanapi.RemoteCKAN(live_server.url)
    status = remote.action.status_show()
    assert status["ckan_version"].startswith("2.") and status["locale_default"] == "ja"

    names = remote.action.package_list()
    assert names == sorted(["kaigo-jigyosho", "kaigo-hoken-ryo", "aed-kaigo"])  # no draft, no pending

    found = remote.action.package_search(q="事業所 OR 保険料", fq="organization:kaigo-hoken", rows=10)
    assert {p["name"] for p in found["results"]} == {"kaigo-jigyosho", "kaigo-hoken-ryo"}
    assert found["count"] == 2

    faceted = remote.call_action("package_search", {"q": "*:*", "facet.field": ["tags", "organization", "groups",
                                                                               "res_format", "license_id"]})  # fmt: skip
    tags = {i["name"]: i["count"] for i in faceted["search_facets"]["tags"]["items"]}
    assert tags["介護"] == 2 and tags["自治体標準ODS"] == 1 and tags["AED設置箇所一覧"] == 1
    assert faceted["facets"]["organization"] == {"kaigo-hoken": 3}
    assert faceted["search_facets"]["organization"]["items"][0]["display_name"] == "介護保険課"
    assert faceted["facets"]["groups"] == {"soci": 1, "gove": 1, "heal": 1}
    assert faceted["facets"]["res_format"]["CSV"] == 1
    assert faceted["facets"]["license_id"] == {"pdl-1.0": 2, "cc-by-4.0": 1}

    standard = remote.action.package_search(fq='tags:"自治体標準ODS"')
    assert [p["name"] for p in standard["results"]] == ["aed-kaigo"]

    aed = remote.action.package_show(id="aed-kaigo")
    assert {t["name"] for t in aed["tags"]} >= {"AED", "自治体標準ODS", "AED設置箇所一覧"}
    assert aed["organization"]["name"] == "kaigo-hoken" and aed["owner_org"] == "kaigo-hoken"
    assert aed["groups"][0]["name"] == "heal"
    assert aed["license_id"] == "pdl-1.0" and aed["license_url"].startswith("https://")
    assert {"key": "conforms_to", "value": "aed"} in aed["extras"]
    assert aed["num_resources"] >= 1
    csv_resource = next(r for r in aed["resources"] if r["format"] == "CSV")
    assert csv_resource["url"].endswith("/download/") and csv_resource["hash"].startswith("sha256:")
    assert csv_resource["url_type"] == "upload"
    assert aed == remote.action.package_show(id=aed["id"])  # by id as by name

    assert remote.action.resource_show(id=csv_resource["id"])["package_id"] == aed["id"]
    hits = remote.action.resource_search(query="format:csv")
    assert [r["id"] for r in hits["results"]] == [r["id"] for r in aed["resources"] if r["format"] == "CSV"]

    assert "kaigo-hoken" in remote.action.organization_list()
    org = remote.action.organization_show(id="kaigo-hoken", include_datasets=True)
    assert org["package_count"] == 3 and len(org["packages"]) == 3 and org["title"] == "介護保険課"
    groups = remote.action.group_list(sort="name asc")
    assert groups == sorted(groups) and {"soci", "heal", "gove", "regi"} <= set(groups) and len(groups) == 11
    heal = remote.action.group_show(id="heal", include_datasets=True)
    assert [p["name"] for p in heal["packages"]] == ["aed-kaigo"]
    assert "自治体標準ODS" in remote.action.tag_list()
    assert {lic["id"] for lic in remote.action.license_list()} == {"pdl-1.0", "cc-by-4.0", "cc0-1.0"}
    with_resources = remote.action.current_package_list_with_resources(limit=2)
    assert len(with_resources) == 2 and all("resources" in p for p in with_resources)
    activity = remote.action.package_activity_list(id="aed-kaigo")
    assert activity[0]["activity_type"] == "new package" and activity[0]["user_id"] == "kaigo-hoken"
    assert activity[0]["data"]["package"]["name"] == "aed-kaigo"

    for hidden in ("kaigo-draft", "kaigo-pending", "no-such-thing"):
        with pytest.raises(ckanapi.NotFound):
            remote.action.package_show(id=hidden)
    with pytest.raises(ckanapi.NotFound):
        remote.action.organization_show(id="no-such-department")

    # GET only, as a browser or curl would call it (facet.field as a JSON string).
    getter = ckanapi.RemoteCKAN(live_server.url, get_only=True)
    got = getter.call_action(
        "package_search", {"q": "tags:介護", "facet.field": json.dumps(["organization"])}
    )
    assert got["facets"]["organization"] == {"kaigo-hoken": 2}

    # Writes need a token of the department.
    with pytest.raises(ckanapi.NotAuthorized):
        remote.action.package_create(name="kaigo-new", title="新しい")
    _token, plaintext = opendata_token_create(
        by=kaigo_admin, department=department("kaigo-hoken"), name="連携"
    )
    writer = ckanapi.RemoteCKAN(live_server.url, apikey=plaintext)
    created = writer.action.package_create(
        name="kaigo-new", title="新しいデータ", notes="APIで作成", owner_org="kaigo-hoken",
        tags=[{"name": "介護"}], groups=[{"name": "soci"}], license_id="cc-by-4.0",
        extras=[{"key": "frequency", "value": "http://publications.europa.eu/resource/authority/frequency/MONTHLY"}],
        resources=[{"name": "地図", "url": "https://example.org/map", "format": "HTML"}],
    )  # fmt: skip
    assert created["name"] == "kaigo-new" and created["private"] is True
    assert created["madoguchi_change"]["status"] == "pending"
    with pytest.raises(ckanapi.NotFound):  # not public before a 決裁者 approves it
        remote.action.package_show(id="kaigo-new")
    assert writer.action.package_show(id="kaigo-new")["state"] == "draft"  # the department sees its own
    new = Dataset.objects.get(name="kaigo-new")
    assert new.changes.get().submitted_by == kaigo_admin and new.frequency == "monthly"
    services.change_approve(by=kaigo_approver, dataset=new)  # 4-eyes: the token's maker may not approve it
    shown = remote.action.package_show(id="kaigo-new")
    assert (
        shown["title"] == "新しいデータ"
        and shown["license_id"] == "cc-by-4.0"
        and shown["groups"][0]["name"] == "soci"
    )

    # A file for it: through intake, then waiting for approval.
    resource = writer.action.resource_create(
        package_id="kaigo-new", name="AED", upload=("aed.csv", io.BytesIO(AED_CSV))
    )
    assert resource["madoguchi_change"]["status"] == "pending"
    services.change_approve(by=kaigo_approver, dataset=new)
    shown = remote.action.package_show(id="kaigo-new")
    assert any(r["id"] == resource["id"] and r["format"] == "CSV" for r in shown["resources"])

    patched = writer.action.package_patch(id="kaigo-new", title="新しいデータ（改）")
    assert patched["madoguchi_change"]["status"] == "pending"
    assert remote.action.package_show(id="kaigo-new")["title"] == "新しいデータ"  # until approved
    services.change_approve(by=kaigo_approver, dataset=new)
    assert remote.action.package_show(id="kaigo-new")["title"] == "新しいデータ（改）"

    with pytest.raises(ckanapi.ValidationError) as invalid:
        writer.action.package_create(name="Bad Name!", title="x")
    assert "name" in invalid.value.error_dict
    with pytest.raises(ckanapi.NotAuthorized):
        writer.action.package_create(name="other-dept", title="x", owner_org="kosodate-shien")


@pytest.mark.django_db(transaction=True)
def test_a_harvester_pages_by_modification_time_and_sees_every_dataset_once(
    live_server, kaigo_alice, kaigo_admin
):
    """ckanext-harvest's way: fq=metadata_modified:[since TO *], sort by metadata_modified asc, rows/start."""
    datasets = [publish_link(f"ds-{i:03d}", editor=kaigo_alice, approver=kaigo_admin) for i in range(45)]
    base = datetime(2025, 4, 1, tzinfo=UTC)
    for i, ds in enumerate(datasets):
        # Ten share one instant (a bulk update), the rest spread over days; ds-000..004 are older than the cut.
        moment = base + timedelta(days=i // 10 * 3, seconds=0 if 10 <= i < 20 else i)
        if i < 5:
            moment = datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
        Dataset.objects.filter(pk=ds.pk).update(metadata_modified=moment)
    services.dataset_create(by=kaigo_alice, department=department("kaigo-hoken"), name="not-yet",
                            metadata=_meta("未公開"))  # fmt: skip
    remote = ckanapi.RemoteCKAN(live_server.url)
    seen: list[str] = []
    start, rows = 0, 7
    while True:
        page = remote.call_action("package_search", {
            "fq": "metadata_modified:[2025-01-01T00:00:00Z TO *]", "sort": "metadata_modified asc",
            "rows": rows, "start": start,
        })  # fmt: skip
        if not page["results"]:
            break
        assert page["count"] == 40
        seen += [p["id"] for p in page["results"]]
        modified = [p["metadata_modified"] for p in page["results"]]
        assert modified == sorted(modified)
        start += rows
    assert len(seen) == len(set(seen)) == 40
    assert set(seen) == {str(d.pk) for d in datasets[5:]}
    # The same, as ckanext-harvest's CKAN harvester asks (sort by id, an OR of organizations).
    by_id = []
    for start in range(0, 60, 25):
        by_id += [p["id"] for p in remote.call_action("package_search", {
            "fq": "organization:kaigo-hoken OR organization:kosodate-shien "
                  "metadata_modified:[2025-01-01T00:00:00.000000Z TO *]",
            "sort": "id asc", "rows": 25, "start": start})["results"]]  # fmt: skip
    assert by_id == sorted(by_id) and set(by_id) == set(seen)


# --- CKAN's envelope, errors and status codes -----------------------------------------------------------


@pytest.mark.django_db
def test_envelope_and_error_types(client, catalogue, kaigo_admin):
    status, body = call(client, "package_show", {"id": "kaigo-jigyosho"})
    assert status == 200 and body["success"] is True and body["result"]["name"] == "kaigo-jigyosho"
    assert body["help"].endswith("/api/3/action/help_show?name=package_show")

    status, body = call(client, "package_show", {"id": "kaigo-draft"})
    assert status == 404 and body["success"] is False
    assert body["error"] == {"__type": "Not Found Error", "message": "Not found: Dataset not found"}

    status, body = call(client, "package_show", {})
    assert (
        status == 409
        and body["error"]["__type"] == "Validation Error"
        and body["error"]["id"] == ["Missing value"]
    )

    status, body = call(client, "package_search", {"fq": "nonsense_field:1"})
    assert status == 400 and body["error"]["__type"] == "Search Query Error"
    status, body = call(client, "package_search", {"rows": "many"})
    assert status == 409 and body["error"]["rows"] == ["Invalid integer"]

    status, body = call(client, "package_create", {"name": "x-y", "title": "x"})
    assert status == 403 and body["error"]["__type"] == "Authorization Error"
    assert body["error"]["message"].startswith("Access denied")

    response = client.post(ACTION + "no_such_action", "{}", content_type="application/json")
    assert (
        response.status_code == 400
        and json.loads(response.content) == "Bad request - Action name not known: no_such_action"
    )
    response = client.get(ACTION + "package_create")
    assert response.status_code == 400 and "Please use POST" in json.loads(response.content)
    response = client.post(ACTION + "package_list", "[1, 2]", content_type="application/json")
    assert response.status_code == 400 and "needs to be a dictionary" in json.loads(response.content)

    status, body = call(client, "help_show", {"name": "package_search"}, get=True)
    assert status == 200 and "fq" in body["result"]
    assert client.get("/api/action/package_list").status_code == 200  # ckanapi's path
    assert json.loads(client.get("/api/2/action/package_list").content)["result"] == sorted(
        ["kaigo-jigyosho", "kaigo-hoken-ryo", "aed-kaigo"]
    )

    # A token never opens a draft of another department, nor writes there.
    _t, other = opendata_token_create(by=_kosodate_admin(), department=department("kosodate-shien"), name="x")
    status, _body = call(client, "package_show", {"id": "kaigo-draft"}, token=other)
    assert status == 404
    status, body = call(client, "package_patch", {"id": "kaigo-jigyosho", "title": "乗っ取り"}, token=other)
    assert status == 403 and body["error"]["__type"] == "Authorization Error"
    assert Dataset.objects.get(name="kaigo-jigyosho").title == "介護事業所の地図"


def _kosodate_admin():
    return make_staff("kacho2@kosodate.test", "子育 課長2", ("kosodate-shien", StaffRole.Role.DEPT_ADMIN))


@pytest.mark.django_db
def test_search_parameters(client, catalogue):
    def search(**params):
        status, body = call(client, "package_search", params, get=True)
        assert status == 200, body
        return body["result"]

    assert search()["count"] == 3
    assert [p["name"] for p in search(sort="name asc")["results"]] == [
        "aed-kaigo",
        "kaigo-hoken-ryo",
        "kaigo-jigyosho",
    ]
    assert [p["name"] for p in search(sort="title_string desc", rows=1)["results"]] == ["kaigo-hoken-ryo"]
    assert [p["name"] for p in search(sort="name asc", rows=1, start=1)["results"]] == ["kaigo-hoken-ryo"]
    assert search(rows=0)["results"] == [] and search(rows=0)["count"] == 3
    assert search(q="AED設置箇所一覧")["count"] == 1  # the standard's name is a tag
    assert search(q="事業所 介護")["count"] == 1  # every word must match
    assert search(q="地図")["count"] == 2  # resource names count too
    assert search(q="tags:統計")["count"] == 1
    assert search(fq="-tags:統計")["count"] == 2
    assert search(fq="license_id:cc-by-4.0")["count"] == 1
    assert search(fq="groups:(soci OR heal)")["count"] == 2
    assert search(fq="res_format:CSV")["count"] == 1
    assert search(fq="name:kaigo-*")["count"] == 2
    assert search(fq="metadata_modified:[NOW-1DAY TO NOW]")["count"] == 3
    assert search(fq="metadata_modified:[* TO 2020-01-01]")["count"] == 0
    assert search(fq="+organization:kaigo-hoken +tags:介護 -dataset_type:harvest")["count"] == 2
    assert search(fq="organization:kosodate-shien")["count"] == 0
    assert search(fq_list=json.dumps(["tags:介護", "groups:gove"]))["count"] == 1

    def resources(query):
        status, body = call(client, "resource_search", {"query": query})
        assert status == 200, body
        return body["result"]

    assert resources("url:example.org/kaigo-jigyosho")["count"] == 1  # a link's own URL
    aed_files = resources("url:aed-kaigo")  # a file's download URL: the CSV, and its JSON and GeoJSON
    assert aed_files["count"] == 3 and all(r["url_type"] == "upload" for r in aed_files["results"])
    one = aed_files["results"][0]
    assert [r["id"] for r in resources(f"url:{one['url']}")["results"]] == [one["id"]]
    assert resources(["format:csv", "name:AED"])["count"] == 1
    status, body = call(client, "resource_search", {"query": "owner:x"})
    assert status == 409 and body["error"]["__type"] == "Validation Error"


def test_solr_lite_reader():
    parse = ckan_search.parse
    node = parse("organization:a OR organization:b -groups:x metadata_modified:[2024-01-01T00:00:00Z TO *]")
    assert node.op == "and" and node.children[0].op == "or" and node.children[1].op == "not"
    assert node.children[2].value == ("range", "2024-01-01T00:00:00Z", "*", True, True)
    assert parse('tags:"a b"').value == ("phrase", "a b")
    assert parse("*:*").op == "all" and parse("").op == "all"
    assert parse("title:(防災 AND 避難)").op == "and"
    assert parse(r"name:a\:b").value == ("term", "a:b")
    assert parse("metadata_modified:{2024-01-01 TO 2025-01-01}").value[3:] == (False, False)
    for bad in ('tags:"open', "metadata_modified:[2024 TO", "(a", "a)", "x OR", "[1 TO 2]"):
        with pytest.raises(QueryError):
            parse(bad)
    now = datetime(2026, 5, 10, 12, 30, tzinfo=UTC)
    assert ckan_search.parse_when("NOW-7DAYS", now=now) == now - timedelta(days=7)
    assert ckan_search.parse_when("NOW/DAY", now=now) == datetime(2026, 5, 10, tzinfo=UTC)
    assert ckan_search.parse_when("2024-01-01T00:00:00.123456Z") == datetime(
        2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC
    )
    assert ckan_search.parse_when("*") is None
    for bad in ("NOW-3WEEKS", "yesterday", "NOW/HOUR"):
        with pytest.raises(QueryError):
            ckan_search.parse_when(bad, now=now)
    assert ckan_search.order_by("metadata_modified asc") == ["metadata_modified", "id"]
    assert ckan_search.order_by("score desc, metadata_modified desc") == ["-metadata_modified", "id"]
    assert ckan_search.order_by("id asc") == ["id"]
    with pytest.raises(QueryError):
        ckan_search.order_by("popularity desc")


# --- write tokens ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tokens_are_stored_hashed_and_revoked_at_once(client, catalogue, kaigo_admin):
    token, plaintext = opendata_token_create(by=kaigo_admin, department=department("kaigo-hoken"), name="RPA")
    assert plaintext not in token.token_hash and token.prefix == plaintext[:8] and len(plaintext) >= 43
    status, body = call(client, "package_patch", {"id": "kaigo-jigyosho", "notes": "更新"}, token=plaintext)
    assert status == 200 and body["result"]["madoguchi_change"]["status"] == "pending"
    assert "Bearer" not in plaintext
    status, _ = call(client, "package_show", {"id": "kaigo-draft"}, token="Bearer " + plaintext)
    assert status == 200  # the department sees its draft; "Bearer" works too
    opendata_token_revoke(by=kaigo_admin, token=token)
    status, body = call(client, "package_patch", {"id": "kaigo-jigyosho", "notes": "また"}, token=plaintext)
    assert status == 403


@pytest.mark.django_db
def test_the_light_path_publishes_a_routine_file_at_once(client, kaigo_alice, kaigo_admin):
    aed = publish_csv(
        "aed-kaigo", AED_CSV, editor=kaigo_alice, approver=kaigo_admin, conforms_to="aed", theme="HEAL"
    )
    services.dataset_set_light_path(by=kaigo_admin, dataset=aed, enabled=True)
    _t, plaintext = opendata_token_create(by=kaigo_admin, department=department("kaigo-hoken"), name="定例")
    resource = aed.resources.get(derived_from__isnull=True)
    update = (
        AED_CSV
        + "042021,003,宮城県石巻市,河北総合支所,カホクソウゴウシショ,宮城県石巻市相野谷1,38.5,141.3,玄関\r\n".encode()
    )
    response = client.post(ACTION + "resource_patch", {"id": str(resource.pk), "upload": _file("aed.csv", update)},
                           HTTP_AUTHORIZATION=plaintext)  # fmt: skip
    body = json.loads(response.content)
    assert response.status_code == 200, body
    assert body["result"]["madoguchi_change"]["via_light_path"] is True
    assert body["result"]["madoguchi_change"]["published"] is True
    change = aed.changes.order_by("-created_at").first()
    assert change.status == DatasetChange.Status.APPROVED and change.via_light_path
    _status, shown = call(client, "resource_show", {"id": str(resource.pk)})
    resource.refresh_from_db()
    assert shown["result"]["size"] == resource.current_version.size > len(AED_CSV)
    assert shown["result"]["hash"] == "sha256:" + resource.current_version.sha256


@pytest.mark.django_db
def test_an_upload_with_errors_is_refused_with_the_reasons(client, catalogue, kaigo_admin):
    _t, plaintext = opendata_token_create(by=kaigo_admin, department=department("kaigo-hoken"), name="連携")
    bad = "名前,電話番号,生年月日\r\n山田太郎,090-1234-5678,1980-01-01\r\n".encode()
    response = client.post(ACTION + "resource_create", {"package_id": "kaigo-jigyosho", "name": "名簿",
                                                         "upload": _file("list.csv", bad)},
                           HTTP_AUTHORIZATION=plaintext)  # fmt: skip
    body = json.loads(response.content)
    assert response.status_code == 409 and body["error"]["__type"] == "Validation Error"
    assert body["error"]["upload"]
    assert (
        Dataset.objects.get(name="kaigo-jigyosho").changes.filter(status__in=DatasetChange.OPEN).count() == 0
    )


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.mark.django_db
def test_token_staff_page_and_command(client, kaigo_admin, kaigo_alice, kosodate_admin, capsys):
    login_verified(client, kaigo_admin)
    url = "/staff/departments/kaigo-hoken/opendata-tokens/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "create", "name": "施設システム"})
    assert response.status_code == 200
    token = OpenDataApiToken.objects.get(department__code="kaigo-hoken")
    assert token.prefix in response.content.decode()
    client.post(url, {"action": "revoke", "token_id": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None
    for other in (kaigo_alice, kosodate_admin):  # a 担当者, and another department's 課管理者
        c = Client()
        login_verified(c, other)
        assert c.get(url).status_code == 404
    call_command(
        "create_opendata_token",
        "--department",
        "kaigo-hoken",
        "--name",
        "夜間連携",
        "--by",
        kaigo_admin.email,
    )
    plaintext = capsys.readouterr().out.strip()
    made = OpenDataApiToken.objects.get(name="夜間連携")
    assert made.token_hash == __import__("hashlib").sha256(plaintext.encode()).hexdigest()
