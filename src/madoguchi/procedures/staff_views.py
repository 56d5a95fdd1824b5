"""A department's procedures, managed by its 課管理者: upload a new version, preview, publish."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import staff_required
from madoguchi.core.i18n import current_language
from madoguchi.forms.engine import compile_schema
from madoguchi.forms.fieldtypes import localised
from madoguchi.forms.rendering import render_fields

from . import selectors, services
from .definitions import DefinitionError

MANAGERS = (StaffRole.Role.DEPT_ADMIN, StaffRole.Role.SYSADMIN)


class UploadForm(forms.Form):
    definition = forms.FileField(
        label=gettext_lazy("定義ファイル（YAML）"),
        help_text=gettext_lazy(
            "docs/procedures.md の形式で書いたファイル。公開中の版をダウンロードして直すと簡単です。"
        ),
    )


@staff_required(*MANAGERS)
def manage_list(request: HttpRequest) -> HttpResponse:
    return render(request, "procedures/manage_list.html",
                  {"procedures": selectors.procedures_manageable(user=request.user)})  # fmt: skip


@staff_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def manage_detail(request: HttpRequest, slug: str) -> HttpResponse:
    procedure = selectors.procedure_get_manageable(user=request.user, slug=slug)
    form = UploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["definition"]
        try:
            text = upload.read(512 * 1024).decode("utf-8")
            version = services.version_upload(by=request.user, procedure=procedure, text=text,
                                              filename=upload.name[:100])  # fmt: skip
        except UnicodeDecodeError:
            form.add_error("definition", _("UTF-8 のテキストファイルを選んでください。"))
        except DefinitionError as exc:
            problems = exc.errors
            form.add_error(
                "definition",
                _("定義に誤りがあります。下の一覧を直してから、もう一度アップロードしてください。"),
            )
        except ValidationError as exc:
            form.add_error("definition", exc)
        else:
            messages.success(request, _("新しい版を登録しました。内容を確かめてから公開してください。"))
            return redirect("procedures:version_preview", slug=slug, number=version.number)
    return render(request, "procedures/manage_detail.html", {
        "procedure": procedure, "versions": procedure.versions.order_by("-number"), "form": form, "problems": problems,
    })  # fmt: skip


@staff_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def version_preview(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = selectors.version_get_manageable(user=request.user, slug=slug, number=number)
    if request.method == "POST" and request.POST.get("action") == "publish":
        try:
            services.version_publish(by=request.user, version=version)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _(
                    "公開しました。これから始まる申請は新しい版を使います。入力中の申請は前の版のまま続けられます。"
                ),
            )
        return redirect("procedures:manage_detail", slug=slug)
    language = current_language()
    definition = version.definition
    pages = [
        {"title": localised(p["title"], language), "intro": localised(p.get("intro"), language),
         "repeat": p.get("repeat"), "conditional": bool(p.get("show_if")),
         "fields": render_fields(p["fields"], {}, {}, language)}
        for p in definition["form"]["pages"]
    ]  # fmt: skip
    return render(request, "procedures/version_preview.html", {
        "version": version, "procedure": version.procedure, "pages": pages,
        "name": localised(definition["name"], language), "field_count": len(compile_schema(definition)["properties"]),
    })  # fmt: skip
