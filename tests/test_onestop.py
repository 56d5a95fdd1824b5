"""ワンストップ・ワンスオンリー: a bundle asks shared answers once and opens linked cases; the profile
pre-fills only with consent, and what it pre-fills is checked again; My page gathers everything."""

import re

import pytest
from django.urls import reverse

from madoguchi.accounts.models import StaffRole
from madoguchi.forms.engine import input_key
from madoguchi.forms.shared import SHARED_FIELDS
from madoguchi.identity.dev_helpers import ensure_dev_trust
from madoguchi.identity.plugins.dev import DEV_PIN
from madoguchi.profiles.models import Profile, ProfileUse
from madoguchi.submissions.models import Draft, Submission
from tests.conftest import make_staff
from tests.support.cases import ensure_procedures, file_case
from tests.support.formfill import page_post

pytestmark = pytest.mark.django_db

BUNDLE = ["jidoteate_nintei_seikyu", "hoiku_shikyu_nintei"]
SHARED_POST = {
    "f-applicant_name-family": "石巻",
    "f-applicant_name-given": "花子",
    "f-applicant_kana-family": "イシノマキ",
    "f-applicant_kana-given": "ハナコ",
    "f-applicant_birth_date": "平成2年5月3日",
    "f-applicant_postal_code": "986-8501",
    "f-applicant_address": "宮城県石巻市穀町14番1号",
    "f-applicant_phone": "0225-95-1111",
    "f-applicant_my_number": "1234 5678 9018",
    "f-bank_account-bank_code": "0001",
    "f-bank_account-branch_code": "001",
    "f-bank_account-account_type": "futsu",
    "f-bank_account-number": "1234567",
    "f-bank_account-holder": "イシノマキ ハナコ",
}


def _walk_bundle(client, url: str) -> str:
    """Answer each form's own pages until the bundle's check page; no shared field is ever asked."""
    for _step in range(80):
        match = re.search(r"/apply/([0-9a-f-]{36})/([a-z0-9_]+)/", url)
        if not match:
            return url
        draft = Draft.objects.select_related("version").get(pk=match.group(1))
        page = next(p for p in draft.version.definition["form"]["pages"] if p["id"] == match.group(2))
        body = client.get(url).content.decode()
        for f in page["fields"]:
            if f.get("shared"):
                assert f'name="{input_key(f["id"])}' not in body, f"{f['id']} was asked again"
        post = page_post({**page, "fields": [f for f in page["fields"] if not f.get("shared")]})
        response = client.post(url, post)
        assert response.status_code == 302, (url, response.content.decode()[:3000])
        url = response["Location"]
    raise AssertionError("the bundle did not end")


def _start_bundle(client, slugs=BUNDLE):
    response = client.post(reverse("submissions:bundle_start"), {"procedure": slugs, "guide": "birth"})
    assert response.status_code == 302
    return response["Location"]


def test_a_bundle_asks_shared_answers_once_and_opens_linked_cases(as_user, citizen_erin):
    ensure_procedures()
    client = as_user(citizen_erin)
    shared_url = _start_bundle(client)
    assert "/apply/bundle/" in shared_url and shared_url.endswith("/shared/")
    page = client.get(shared_url).content.decode()
    for key in SHARED_FIELDS:
        assert f'id="f-{key}' in page, key  # both forms ask all of them: asked here, once

    # A wrong shared answer is refused field by field, and what was typed stays.
    bad = client.post(shared_url, {**SHARED_POST, "f-applicant_phone": "12-34"})
    body = bad.content.decode()
    assert bad.status_code == 400 and "電話番号は0から始まる10桁か11桁" in body and 'value="石巻"' in body

    response = client.post(shared_url, SHARED_POST)
    assert response.status_code == 302
    check_url = _walk_bundle(client, response["Location"])
    assert check_url.endswith("/check/") and "/bundle/" in check_url
    body = client.get(check_url).content.decode()
    assert body.count("に署名する") == 2  # both are 'jpki' procedures: each is signed with the card
    ensure_dev_trust()
    for draft in Draft.objects.filter(bundle__isnull=False):
        signed = client.post(reverse("submissions:sign", kwargs={"draft_id": draft.pk}),
                             {"card": "ishinomaki-shimin", "pin": DEV_PIN}, follow=True)  # fmt: skip
        assert signed.redirect_chain[-1][0] == check_url
    body = client.get(check_url).content.decode()
    assert "共通の情報" in body and "0225-95-1111" in body
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    done = client.post(check_url, {"token": token})
    assert done.status_code == 302 and done["Location"].endswith("/done/"), client.get(
        check_url
    ).content.decode()[:3000]
    again = client.post(check_url, {"token": token})  # a second click sends nothing twice
    assert again.status_code == 302 and Submission.objects.count() == 2

    submissions = {s.procedure.slug: s for s in Submission.objects.all()}
    claim, childcare = submissions["jidoteate_nintei_seikyu"], submissions["hoiku_shikyu_nintei"]
    assert claim.bundle_id == childcare.bundle_id is not None
    assert (
        claim.data["claimant_name"] == childcare.data["guardian_name"] == {"family": "石巻", "given": "花子"}
    )
    assert claim.data["bank_account"]["number"] == "1234567"
    assert claim.data["claimant_my_number"] == childcare.data["guardian_my_number"] == "123456789018"
    assert claim.cases.get().department.code == "kosodate-shien"
    assert childcare.cases.get().department.code == "kodomo-hoiku"
    assert Draft.objects.count() == 0

    # Staff see the related case; they can open it only if it is in their department.
    handler = make_staff("tanto@kosodate.test", "子育 担当", ("kosodate-shien", StaffRole.Role.HANDLER))
    case = claim.cases.get()
    body = as_user(handler).get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "同時に申請された手続" in body and childcare.receipt_number in body
    assert reverse("cases:detail", kwargs={"case_id": childcare.cases.get().pk}) not in body


def test_another_citizen_cannot_open_or_send_a_bundle(as_user, citizen_erin, citizen_frank):
    ensure_procedures()
    shared_url = _start_bundle(as_user(citizen_erin))
    other = as_user(citizen_frank)
    assert other.get(shared_url).status_code == 404
    assert other.post(shared_url.replace("/shared/", "/check/"), {"token": "x"}).status_code == 404


def test_an_unknown_or_empty_choice_of_procedures_is_a_message(as_user, citizen_erin):
    client = as_user(citizen_erin)
    response = client.post(reverse("submissions:bundle_start"), {"procedure": ["no-such"]}, follow=True)
    assert response.status_code == 200 and "申請する手続を一つ以上選んでください" in response.content.decode()


def _keep_profile(client, consent: bool):
    post = {
        "action": "save",
        "member_count": "1",
        **{k: v for k, v in SHARED_POST.items() if "my_number" not in k},
    }
    post.update(
        {"f-member_name-0-family": "石巻", "f-member_name-0-given": "太郎", "f-member_relationship-0": "長男"}
    )
    if consent:
        post["consent"] = "yes"
    response = client.post(reverse("profiles:profile"), post)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_nothing_is_pre_filled_without_consent(as_user, citizen_erin):
    ensure_procedures()
    client = as_user(citizen_erin)
    _keep_profile(client, consent=False)
    assert Profile.objects.get(user=citizen_erin).data["applicant_phone"] == "0225-95-1111"
    client.post(reverse("procedures:start", kwargs={"slug": "risai_shomei"}))
    assert Draft.objects.get().data == {}
    assert not ProfileUse.objects.exists()


def test_with_consent_forms_start_filled_and_a_tampered_value_is_refused(as_user, citizen_erin):
    ensure_procedures()
    client = as_user(citizen_erin)
    _keep_profile(client, consent=True)
    start = client.post(reverse("procedures:start", kwargs={"slug": "risai_shomei"}))
    draft = Draft.objects.get()
    assert draft.data["applicant_phone"] == "0225-95-1111"
    assert draft.data["applicant_name"] == {"family": "石巻", "given": "花子"}
    page = client.get(start["Location"]).content.decode()
    assert 'value="0225-95-1111"' in page and "プロフィールに保存した情報を入力しました" in page
    # The pre-filled page is checked again when sent: a changed, broken value is refused.
    post = page_post(next(p for p in draft.version.definition["form"]["pages"] if p["id"] == "applicant"))
    post.update(
        {"f-applicant_name-family": "石巻", "f-applicant_name-given": "花子", "f-applicant_phone": "0225-95"}
    )
    refused = client.post(start["Location"], post)
    assert refused.status_code == 200 and "電話番号は0から始まる10桁か11桁" in refused.content.decode()
    draft.refresh_from_db()
    assert draft.data["applicant_phone"] == "0225-95-1111"
    use = ProfileUse.objects.get()
    assert use.direction == "prefill" and "applicant_phone" in use.keys
    assert "申請書に入力" in client.get(reverse("profiles:profile")).content.decode()


def test_a_broken_value_kept_in_the_profile_is_not_pre_filled(as_user, citizen_erin):
    ensure_procedures()
    client = as_user(citizen_erin)
    _keep_profile(client, consent=True)
    profile = Profile.objects.get(user=citizen_erin)
    profile.data = {**profile.data, "applicant_phone": "<script>", "applicant_postal_code": "98"}
    profile.save()
    client.post(reverse("procedures:start", kwargs={"slug": "risai_shomei"}))
    data = Draft.objects.get().data
    assert "applicant_phone" not in data and "applicant_postal_code" not in data
    assert data["applicant_address"] == "宮城県石巻市穀町14番1号"


def test_a_filing_for_oneself_updates_the_profile_with_consent_only(as_user, citizen_erin, citizen_frank):
    ensure_procedures()
    _keep_profile(as_user(citizen_erin), consent=True)
    file_case(citizen_erin, slug="risai_shomei", applicant_phone="090-1234-5678")
    assert Profile.objects.get(user=citizen_erin).data["applicant_phone"] == "090-1234-5678"
    assert ProfileUse.objects.filter(direction="saved").exists()
    file_case(citizen_frank, slug="risai_shomei")  # frank keeps no profile: none is made for him
    assert not Profile.objects.filter(user=citizen_frank).exists()


def test_the_profile_page_refuses_bad_input_field_by_field_and_deletes_everything(as_user, citizen_erin):
    client = as_user(citizen_erin)
    bad = client.post(reverse("profiles:profile"), {"action": "save", "member_count": "1",
                                                    "f-applicant_postal_code": "98685",
                                                    "f-member_relationship-0": "長男"})  # fmt: skip
    body = bad.content.decode()
    assert bad.status_code == 400 and "郵便番号は7桁の数字で入力してください" in body
    assert "お名前を入力してください" in body and 'value="長男"' in body
    assert not Profile.objects.exists()
    _keep_profile(client, consent=True)
    assert Profile.objects.get().household[0]["member_relationship"] == "長男"
    client.post(reverse("profiles:profile"), {"action": "delete"})
    assert not Profile.objects.exists()


def test_my_page_shows_what_to_do_next_and_nothing_of_anyone_else(
    as_user, citizen_erin, citizen_frank, kaigo_alice
):
    from madoguchi.cases import services as case_services

    ensure_procedures()
    case = file_case(citizen_erin)
    case_services.case_transition(by=kaigo_alice, case=case, to_status="reviewing")
    case_services.correction_request(by=kaigo_alice, case=case, fields=["insured_name"],
                                          reason="電話番号がつながりません。")  # fmt: skip
    frank_case = file_case(citizen_frank, slug="risai_shomei")
    client = as_user(citizen_erin)
    client.post(reverse("procedures:start", kwargs={"slug": "risai_shomei"}))
    body = client.get(reverse("submissions:mine")).content.decode()
    assert "補正の依頼があります" in body and "入力の途中です" in body
    assert reverse("submissions:correct", kwargs={"submission_id": case.submission_id}) in body
    assert case.receipt_number in body and frank_case.receipt_number not in body
    assert "電話番号がつながりません" in body  # the timeline


def test_back_from_logging_in_the_choice_is_asked_again_not_a_405(client, as_user, citizen_erin):
    anonymous = client.post(reverse("submissions:bundle_start"), {"procedure": BUNDLE})
    assert anonymous.status_code == 302 and "/account/login/" in anonymous["Location"]
    response = as_user(citizen_erin).get(reverse("submissions:bundle_start"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("lifeevents:list")
    assert "もう一度選んでください" in response.content.decode()
