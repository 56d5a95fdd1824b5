"""The form runner's page step, shared by the three places that walk a procedure's form a page at a time:
the citizen's online runner, the counter (書かない窓口) and the shelter kiosk.

A ``Runner`` holds what differs between them (the URL names, the templates, how a page is rendered, the
status of a page shown again with its errors, and the online runner's 「下書きを保存して中断」 and check of
who may file); ``Runner.page`` shows a page, reads its answers and saves them to the draft.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from madoguchi.core.i18n import current_language
from madoguchi.forms.engine import first_incomplete_page, input_key, page_fields, read_fields, visible_pages
from madoguchi.forms.fieldtypes import FieldInvalid, localised
from madoguchi.forms.lookups import postal_address
from madoguchi.forms.rendering import raw_from_values, render_fields
from madoguchi.forms.repeat import repeat_page

from . import services


@dataclass(frozen=True)
class Runner:
    page_route: str  # the URL name of a page (draft_id, page_id)
    check_route: str  # the URL name of the check page (draft_id)
    templates: str  # the folder of page.html and repeat_page.html
    render: Callable[..., HttpResponse] = render
    invalid_status: int = 400  # of a page shown again with its errors
    save_to: str | None = None  # where 「下書きを保存して中断」 goes; None: the button is not offered
    check_filer: bool = False  # only a registered account may say 提出代行者
    name_rejected_files: bool = True  # an upload's error message starts with the file's name

    def page_url(self, draft, page_id: str, returning: bool = False) -> str:
        url = reverse(self.page_route, kwargs={"draft_id": draft.pk, "page_id": page_id})
        return f"{url}?return=check" if returning else url

    def check_url(self, draft) -> str:
        return reverse(self.check_route, kwargs={"draft_id": draft.pk})

    def resume_url(self, draft) -> str:
        missing = first_incomplete_page(draft.version.definition, draft.data)
        return self.page_url(draft, missing["id"]) if missing else self.check_url(draft)

    def next_url(self, draft, page_id: str, returning: bool) -> str:
        draft.refresh_from_db()
        definition, data = runner_definition(draft), draft.data
        if returning:
            missing = first_incomplete_page(definition, data)
            return self.page_url(draft, missing["id"], True) if missing else self.check_url(draft)
        _previous, following, _progress = _around(definition, data, page_id)
        if following:
            return self.page_url(draft, following["id"])
        if draft.bundle_id:  # on to the bundle's next form, or its check page
            from .bundle_views import bundle_next_url

            return bundle_next_url(draft.bundle)
        return self.check_url(draft)

    def page(
        self, request: HttpRequest, draft, page_id: str, *, first_back_url: str, extra: dict
    ) -> HttpResponse:
        """A page of the draft's form: ``first_back_url`` is where 「戻る」 goes from the first page,
        ``extra`` what else the templates are given."""
        definition = runner_definition(draft)
        current = next((p for p in visible_pages(definition, draft.data) if p["id"] == page_id), None)
        if current is None:
            raise Http404
        returning = request.GET.get("return") == "check"
        language = current_language()
        step = self._repeat_step if current.get("repeat") else self._fields_step
        shown = step(request, draft, current, returning, language)
        if isinstance(shown, HttpResponse):  # saved
            return shown
        previous, _following, progress = _around(definition, draft.data, current["id"])
        back_url = self.check_url(draft) if returning else (
            self.page_url(draft, previous["id"]) if previous else first_back_url
        )  # fmt: skip
        context = {
            "draft": draft, "definition": definition, "page": current, "returning": returning,
            "back_url": back_url, "progress": progress, "procedure_name": localised(definition["name"], language),
            "title": localised(current["title"], language), "intro": localised(current.get("intro"), language),
            **shown, **extra,
        }  # fmt: skip
        template = self.templates + ("repeat_page.html" if current.get("repeat") else "page.html")
        return self.render(request, template, context, status=self.invalid_status if shown["errors"] else 200)

    def _fields_step(self, request, draft, current, returning, language) -> dict | HttpResponse:
        fields = page_fields(current, draft.data)
        raw = raw_from_values(fields, draft.data)
        errors: dict = {}
        notice = ""
        if request.method == "POST":
            action = request.POST.get("action", "continue")
            prepared, upload_errors = store_uploads(
                request, draft, fields, name_rejected=self.name_rejected_files
            )
            draft.refresh_from_db()
            result = read_fields(fields, request.POST, draft.data, prepared_files=prepared)
            raw = result.raw
            if action.startswith("lookup:"):
                notice = postal_lookup(action.removeprefix("lookup:"), fields, raw, language)
            else:
                errors = {**result.errors, **upload_errors}
                if self.check_filer:
                    errors.update(_filer_errors(request, draft, fields, result.values))
                if not errors:
                    services.draft_save(draft=draft, values=result.values,
                                        replace=tuple(f["id"] for f in current["fields"]))  # fmt: skip
                    return self._saved(request, draft, current, action, returning)
        rendered = render_fields(fields, raw, errors, language, page=current)
        return {
            "fields": rendered, "errors": errors, "notice": notice, "error_fields": [f for f in rendered if f.error],
            "has_files": any(f["type"] == "file" for f in fields),
        }  # fmt: skip

    def _repeat_step(self, request, draft, current, returning, language) -> dict | HttpResponse:
        """A repeating page (children, household members): items are added and removed with buttons."""
        repeat = current["repeat"]
        low, high = repeat.get("min", 1), repeat.get("max", 10)
        result = repeat_page(
            current, draft.data, language, request.POST if request.method == "POST" else None
        )
        if result.values is not None:
            services.draft_save(draft=draft, values={current["id"]: result.values}, replace=(current["id"],))
            return self._saved(request, draft, current, result.action, returning)
        items = result.items
        return {
            "items": items, "item_label": localised(repeat["item"], language), "can_add": len(items) < high,
            "can_remove": len(items) > low, "repeat_error": result.repeat_error,
            "errors": {**result.errors, **({"repeat": result.repeat_error} if result.repeat_error else {})},
            "error_fields": [f for item in items for f in item.fields if f.error],
        }  # fmt: skip

    def _saved(self, request, draft, current, action: str, returning: bool) -> HttpResponse:
        if action == "save" and self.save_to:
            messages.success(request, _("下書きを保存しました。「マイページ」から続きを入力できます。"))
            return redirect(self.save_to)
        return redirect(self.next_url(draft, current["id"], returning))


def runner_definition(draft) -> dict:
    """The form as the runner walks it. In a bundle, the shared answers were asked on the
    bundle's page, so each form asks only what is its own: shared fields (and pages left
    empty without them) are not shown. Answers and checks still use the whole definition."""
    definition = draft.version.definition
    if not draft.bundle_id:
        return definition
    pages = []
    for page in definition["form"]["pages"]:
        own = [f for f in page["fields"] if not f.get("shared")]
        if own:
            pages.append({**page, "fields": own})
    return {**definition, "form": {**definition["form"], "pages": pages}}


def _around(definition: dict, data: dict, page_id: str) -> tuple[dict | None, dict | None, dict]:
    """The pages before and after this one, and where it stands (「2 / 5 ページ」)."""
    pages = visible_pages(definition, data)
    ids = [p["id"] for p in pages]
    if page_id not in ids:
        return None, None, {"current": 1, "total": len(ids)}
    index = ids.index(page_id)
    previous = pages[index - 1] if index > 0 else None
    following = pages[index + 1] if index + 1 < len(pages) else None
    return previous, following, {"current": index + 1, "total": len(ids)}


def store_uploads(request, draft, fields: list[dict], *, name_rejected: bool = True) -> tuple[dict, dict]:
    """Store new uploads of the page's file fields; keep the ones already attached."""
    from madoguchi.privacy.services import file_store
    from madoguchi.privacy.uploads import UploadRejected, display_name_for

    prepared, errors = {}, {}
    for spec in fields:
        if spec["type"] != "file":
            continue
        key = input_key(spec["id"])
        attached = {item["id"]: item for item in draft.data.get(spec["id"], [])}
        kept = [attached[i] for i in request.POST.getlist(f"{key}-keep") if i in attached]
        for upload in request.FILES.getlist(key):
            try:
                stored = file_store(uploaded=upload, uploaded_by=request.user if request.user.is_authenticated else None,
                                    department=draft.version.procedure.department)  # fmt: skip
            except UploadRejected as exc:
                name = display_name_for(getattr(upload, "name", ""), "application/pdf").rsplit(".", 1)[0]
                errors[key] = FieldInvalid(f"{name}: {exc.message}" if name_rejected else exc.message)
                continue
            kept.append({"id": str(stored.pk), "name": stored.display_name})
        prepared[key] = {"files": kept}
        # Files are saved to the draft at once, so nothing uploaded is lost if another field is wrong.
        services.draft_save(draft=draft, values={spec["id"]: kept} if kept else {}, replace=(spec["id"],))
    return prepared, errors


def postal_lookup(field_id: str, fields: list[dict], raw: dict, language: str) -> str:
    """Fill the address from the postal code (the no-JavaScript way: a button on the page)."""
    spec = next((f for f in fields if f["id"] == field_id and f["type"] == "postal_code"), None)
    if spec is None or not spec.get("address_field"):
        return ""
    import re
    import unicodedata

    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(raw.get(input_key(field_id), ""))))
    address = postal_address(digits) if len(digits) == 7 else None
    if address is None:
        return _("その郵便番号の住所が見つかりませんでした。住所を入力してください。")
    raw[input_key(spec["address_field"])] = address
    return _("住所を入れました。続けて番地や建物名を入力してください。")


def _filer_errors(request, draft, fields: list[dict], values: dict) -> dict:
    """On the page that asks who is filing: only a registered account may say 提出代行者."""
    from madoguchi.identity.services import filer_check
    from madoguchi.procedures.definitions import filer_kind

    definition = draft.version.definition
    filer = definition.get("filer")
    if not filer or not any(f["id"] == filer["field"] for f in fields):
        return {}
    check = filer_check(user=request.user, procedure=draft.version.procedure,
                        filed_as=filer_kind(definition, values))  # fmt: skip
    return {input_key(filer["field"]): FieldInvalid(check.error)} if check.error else {}
