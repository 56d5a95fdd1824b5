"""Example answers for any field type, as a citizen would type them: for previews, demo data,
benchmarks and tests."""

from __future__ import annotations

from datetime import date, timedelta


def sample_input(field: dict, key: str) -> dict:
    """POST data that fills one field validly (optional attachments are left empty)."""
    kind = field["type"]
    if kind == "text":
        return {key: "テスト"}
    if kind == "textarea":
        return {key: "テストの入力です。\n2行目"}
    if kind == "name":
        return {f"{key}-family": "石巻", f"{key}-given": "花子"}
    if kind == "furigana":
        return {f"{key}-family": "いしのまき", f"{key}-given": "ﾊﾅｺ"}
    if kind == "date":
        if field.get("future_only"):
            return {key: (date.today() + timedelta(days=30)).isoformat()}
        return {key: "令和6年4月1日"}
    if kind == "postal_code":
        return {key: "986-8501"}
    if kind == "address":
        return {key: "宮城県石巻市穀町14番1号"}
    if kind == "phone":
        return {key: "0225-95-1111"}
    if kind == "email":
        return {key: "hanako@example.jp"}
    if kind == "my_number":
        return {key: "1234 5678 9018"}
    if kind == "kaigo_insured_number":
        return {key: "0000123456"}
    if kind == "bank_account":
        return {f"{key}-bank_code": "0001", f"{key}-branch_code": "001", f"{key}-account_type": "futsu",
                f"{key}-number": "1234567", f"{key}-holder": "いしのまき はなこ"}  # fmt: skip
    if kind in ("money", "number"):
        low, high = field.get("min", 0), field.get("max", 10**9)
        return {key: str(max(low, min(high, 1000 if kind == "money" else 1)))}
    if kind == "choice":
        return {key: field["choices"][0]["value"]}
    if kind == "multi_choice":
        return {key: [field["choices"][0]["value"]]}
    if kind in ("yes_no", "consent"):
        return {key: "yes"}
    if kind == "file":
        return {}
    raise ValueError(f"no sample for {kind}")


def sample_answers(definition: dict, given: dict | None = None) -> dict:
    """A complete, valid set of answers (cleaned values), page by page as the runner would save them.

    ``given`` answers are kept as they are (for example who is filing), and the pages
    they open are answered too."""
    from django.http import QueryDict

    from .engine import input_key, page_fields, prune, read_fields, visible_pages

    given = given or {}
    data: dict = dict(given)
    for _round in range(3):  # conditions may open pages that need answers too
        for page in visible_pages(definition, data):
            if page.get("repeat"):
                count = max(page["repeat"].get("min", 1), 1)
                items = []
                for i in range(count):
                    post = QueryDict(mutable=True)
                    for f in page["fields"]:
                        for k, v in sample_input(f, input_key(f["id"], i)).items():
                            post.setlist(k, v if isinstance(v, list) else [v])
                    items.append(read_fields(page["fields"], post, data, index=i).values)
                data[page["id"]] = items
                continue
            post = QueryDict(mutable=True)
            fields = page_fields(page, data)
            for f in fields:
                for k, v in sample_input(f, input_key(f["id"])).items():
                    post.setlist(k, v if isinstance(v, list) else [v])
            data.update(read_fields(fields, post, data).values)
            data.update(given)
        data = prune(definition, data)
    return data
