"""Every one of the 28 procedures, filed online end to end with valid answers, and refused
field by field with wrong ones."""

import re

import pytest

from madoguchi.forms.engine import input_key, schema_errors
from madoguchi.procedures.files import parse_files
from madoguchi.procedures.services import procedures_load_from_files
from madoguchi.submissions.models import Draft, Submission
from madoguchi.submissions.receipts import is_valid_receipt
from tests.support.formfill import INVALID, page_of, start, submit, valid_post, walk_to_check

pytestmark = pytest.mark.django_db

DEFINITIONS = {p.id: p.data for p in parse_files()[0]}


@pytest.fixture
def procedures(city):
    procedures_load_from_files()


@pytest.mark.parametrize("slug", sorted(DEFINITIONS))
def test_file_online_with_valid_answers(
    slug, procedures, as_user, citizen_erin, mailbox, django_capture_on_commit_callbacks
):
    client = as_user(citizen_erin)
    definition = DEFINITIONS[slug]
    check_url = walk_to_check(client, definition, start(client, slug))
    check_page = client.get(check_url).content.decode()
    assert "入力内容の確認" in check_page and "変更" in check_page
    with django_capture_on_commit_callbacks(execute=True):
        response, _token = submit(client, check_url)
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.procedure.slug == slug and submission.user == citizen_erin
    assert is_valid_receipt(submission.receipt_number)
    assert schema_errors(submission.version.schema, submission.data) == []
    assert not Draft.objects.exists()
    detail = client.get(response["Location"]).content.decode()
    assert submission.receipt_number in detail
    message = mailbox.wait_for(1)[0]
    assert submission.receipt_number in message.get_content()


def _first_page_with(definition, kinds):
    for page in definition["form"]["pages"]:
        if not page.get("repeat") and any(f["type"] in kinds for f in page["fields"]):
            return page
    return None


@pytest.mark.parametrize("slug", sorted(DEFINITIONS))
def test_wrong_answers_are_refused_field_by_field(slug, procedures, as_user, citizen_erin):
    """On every page, each field given a wrong answer shows its own message, and nothing is saved."""
    client = as_user(citizen_erin)
    definition = DEFINITIONS[slug]
    url = start(client, slug)
    checked = 0
    for _step in range(40):
        page = page_of(definition, url)
        if page is None:
            break
        post = {"action": "continue"}
        expected = {}
        index = 0 if page.get("repeat") else None
        if page.get("repeat"):
            post["item_count"] = "1"
        for f in page["fields"]:
            key = input_key(f["id"], index)
            missing_is_the_error = f["type"] in ("yes_no", "consent")
            if (
                f["type"] in INVALID
                and not f.get("show_if")
                and (f.get("required", True) or not missing_is_the_error)
            ):
                make, message = INVALID[f["type"]]
                post.update(make(f, key))
                expected[key] = message
            else:
                post.update(valid_post(f, key))
        if expected:
            before = Draft.objects.get().data
            response = client.post(url, post)
            assert response.status_code == 200, url
            body = response.content.decode()
            assert "入力内容を確認してください" in body  # the error summary
            for key, message in expected.items():
                block = re.search(rf'id="{re.escape(key)}-error">(.*?)</p>', body, re.S)
                assert block, f"{slug} {key}: no error shown"
                assert message in block.group(1), f"{slug} {key}: {block.group(1)!r}"
                assert f'href="#{key}' in body  # linked from the summary
                checked += 1
            assert Draft.objects.get().data == before  # nothing half-written
        from tests.support.formfill import page_post

        response = client.post(url, page_post(page))
        assert response.status_code == 302
        url = response["Location"]
    assert checked >= 3, f"{slug}: only {checked} fields were tried"


def test_required_answers_are_asked_for(procedures, as_user, citizen_erin):
    client = as_user(citizen_erin)
    url = start(client, "risai_shomei")
    body = client.post(url, {"action": "continue"}).content.decode()
    for text in ("入力してください", "どれか一つを選んでください"):
        assert text in body
