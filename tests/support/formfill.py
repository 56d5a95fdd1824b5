"""Fill any procedure's form the way a citizen would: valid answers for every field type,
and wrong ones with the message each must produce."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from madoguchi.forms.engine import input_key
from madoguchi.forms.samples import sample_input


def valid_post(field: dict, key: str) -> dict:
    if field["type"] == "file" and field.get("required"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tests.support.hostile import png

        return {key: SimpleUploadedFile("document.png", png(), content_type="image/png")}
    return sample_input(field, key)


# (what to post, the message it must produce) for each type.
INVALID = {
    "text": (lambda f, k: {k: "あ" * (f.get("max_length", 200) + 1)}, "文字以内で入力してください"),
    "textarea": (lambda f, k: {k: "あ" * (f.get("max_length", 2000) + 1)}, "文字以内で入力してください"),
    "name": (lambda f, k: {f"{k}-family": "", f"{k}-given": "花子"}, "姓を入力してください"),
    "furigana": (lambda f, k: {f"{k}-family": "Ishinomaki", f"{k}-given": "ハナコ"}, "フリガナはカタカナで入力してください"),
    "date": (lambda f, k: {k: "2025-02-30"}, "存在しない日付です"),
    "postal_code": (lambda f, k: {k: "98685"}, "郵便番号は7桁の数字で入力してください"),
    "address": (lambda f, k: {k: "石巻"}, "住所を番地まで入力してください"),
    "phone": (lambda f, k: {k: "12-34"}, "電話番号は0から始まる10桁か11桁"),
    "email": (lambda f, k: {k: "hanako.example.jp"}, "メールアドレスを正しく入力してください"),
    "my_number": (lambda f, k: {k: "123456789017"}, "最後の1桁が合いません"),
    "kaigo_insured_number": (lambda f, k: {k: "12345"}, "被保険者番号は10桁の数字"),
    "bank_account": (lambda f, k: {f"{k}-bank_code": "12", f"{k}-branch_code": "001", f"{k}-account_type": "futsu",
                                   f"{k}-number": "1234567", f"{k}-holder": "ハナコ"}, "金融機関コードは4桁"),
    "money": (lambda f, k: {k: "たくさん"}, "数字で入力してください"),
    "number": (lambda f, k: {k: "いくつか"}, "数字で入力してください"),
    "choice": (lambda f, k: {k: "not-a-choice"}, "選択肢から選んでください"),
    "multi_choice": (lambda f, k: {k: ["not-a-choice"]}, "選択肢から選んでください"),
    "yes_no": (lambda f, k: {}, "どれか一つを選んでください"),
    "consent": (lambda f, k: {}, "チェックを入れてください"),
}  # fmt: skip


def page_of(definition: dict, url: str) -> dict | None:
    match = re.search(r"/apply/[0-9a-f-]+/([a-z0-9_]+)/", url)
    if not match or match.group(1) == "check":
        return None
    return next(p for p in definition["form"]["pages"] if p["id"] == match.group(1))


def page_post(page: dict, *, index_count: int = 1) -> dict:
    data: dict = {"action": "continue"}
    if page.get("repeat"):
        count = max(page["repeat"].get("min", 1), index_count)
        data["item_count"] = str(count)
        for i in range(count):
            for f in page["fields"]:
                data.update(valid_post(f, input_key(f["id"], i)))
        return data
    for f in page["fields"]:
        data.update(valid_post(f, input_key(f["id"])))
    return data


def walk_to_check(client: Client, definition: dict, start_url: str, *, on_page=None) -> str:
    """Answer every page with valid data until the check page; returns its URL."""
    url = start_url
    for _step in range(60):
        page = page_of(definition, url)
        if page is None:
            return url
        post = page_post(page)
        if on_page:
            post = on_page(page, post) or post
        response = client.post(url, post)
        assert response.status_code == 302, (url, _errors(response))
        url = response["Location"]
    raise AssertionError("the form did not end")


def _errors(response) -> list[str]:
    return re.findall(r'class="field__error"[^>]*><span[^>]*>[^<]*</span>([^<]+)<', response.content.decode())


def start(client: Client, slug: str) -> str:
    response = client.post(reverse("procedures:start", kwargs={"slug": slug}))
    assert response.status_code == 302, response.status_code
    return response["Location"]


def sign_if_needed(client: Client, check_url: str) -> None:
    """Sign with a test card when the procedure needs a My Number Card signature (as the citizen would)."""
    body = client.get(check_url).content.decode()
    if 'id="signature"' not in body or "署名済み" in body:
        return
    from madoguchi.identity.dev_helpers import ensure_dev_trust
    from madoguchi.identity.plugins.dev import DEV_PIN

    ensure_dev_trust()
    sign_url = check_url.replace("/check/", "/sign/")
    response = client.post(sign_url, {"card": "ishinomaki-shimin", "pin": DEV_PIN})
    assert response.status_code == 302, response.content.decode()[:500]


def submit(client: Client, check_url: str):
    sign_if_needed(client, check_url)
    body = client.get(check_url).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    return client.post(check_url, {"token": token}), token
