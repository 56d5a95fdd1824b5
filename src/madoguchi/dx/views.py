"""Staff pages of the DX policy (/staff/dx/). Reading is open to all staff (the policy is public);
editing the policy, KPIs and standardisation is for DX推進担当; register rows are edited by their
department's staff and by DX推進担当 (scoped in selectors)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import staff_required
from madoguchi.organisations.models import Department

from . import selectors, services
from .forms import (
    ActionAddForm,
    AreaForm,
    KpiEntryForm,
    KpiForm,
    MilestoneForm,
    PdcaNoteForm,
    RegisterEntryForm,
    RegisterImportForm,
)
from .models import RegisterEntry, StandardArea
from .register_io import RegisterFileError, apply_import, plan_import, read_table, register_csv, register_xlsx

DX = StaffRole.Role.DX_OFFICER
IMPORT_KEY = "dx_register_import"


def _departments():
    return Department.objects.filter(municipality__code=settings.MADOGUCHI_MUNICIPALITY_CODE, is_active=True)


def _editable_departments(user):
    qs = _departments()
    return qs if selectors.is_dx_officer(user) else qs.filter(pk__in=user.department_ids)


@staff_required()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dx/home.html", {
        "initiatives": selectors.initiative_list(),
        "register": selectors.register_summary(),
        "standardisation": selectors.standardisation_summary(),
        "manual_kpis": selectors.kpi_manual_list(),
        "is_dx": selectors.is_dx_officer(request.user),
    })  # fmt: skip


@staff_required()
def initiative(request: HttpRequest, initiative: str) -> HttpResponse:
    item = selectors.initiative_get(code=initiative)
    is_dx = selectors.is_dx_officer(request.user)
    return render(request, "dx/initiative.html", {
        "initiative": item,
        "notes": selectors.pdca_notes(initiative=item),
        "is_dx": is_dx,
        "note_form": PdcaNoteForm() if is_dx else None,
        "register": selectors.register_summary() if item.code == "A3" else None,
        "standardisation": selectors.standardisation_summary() if item.code == "B2" else None,
    })  # fmt: skip


@staff_required(DX)
def pdca_add(request: HttpRequest, initiative: str) -> HttpResponse:
    item = selectors.initiative_get(code=initiative)
    form = PdcaNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.pdca_note_add(initiative=item, by=request.user, **form.cleaned_data)
        messages.success(request, _("PDCAの記録を追加しました。"))
        return redirect("dx:initiative", initiative=item.code)
    return render(request, "dx/form_page.html", {
        "title": _("PDCAの記録を追加"), "subject": item, "form": form, "back": ("dx:initiative", item.code),
    })  # fmt: skip


@staff_required(DX)
def initiative_edit(request: HttpRequest, initiative: str) -> HttpResponse:
    item = selectors.initiative_get(code=initiative)
    actions = list(item.actions.all())
    add_form = ActionAddForm(request.POST or None, departments=_departments(), prefix="new")
    errors = []
    if request.method == "POST":
        texts = {a.pk: request.POST.get(f"action-{a.pk}", a.text) for a in actions}
        for a in actions:
            if len(texts[a.pk]) > 2000:
                errors.append((a, _("2000文字以内で入力してください。")))
        if add_form.is_valid() and not errors:
            new = (add_form.cleaned_data["department"], add_form.cleaned_data["text"] or "")
            services.initiative_actions_update(initiative=item, by=request.user, texts=texts, new=new)
            messages.success(request, _("取組を保存しました。"))
            return redirect("dx:initiative", initiative=item.code)
        for a in actions:
            a.text = texts[a.pk]
    return render(request, "dx/initiative_edit.html", {
        "initiative": item, "actions": actions, "add_form": add_form,
        "errors": [(a.pk, actions.index(a) + 1, m) for a, m in errors], "error_ids": {a.pk for a, _m in errors},
    })  # fmt: skip


@staff_required()
def kpi(request: HttpRequest, kpi_key: str) -> HttpResponse:
    item = selectors.kpi_get(key=kpi_key)
    return render(request, "dx/kpi.html", {
        "kpi": item,
        "history": selectors.kpi_history(kpi=item) if item.kind == item.Kind.MANUAL else [],
        "current": selectors.kpi_current_entries(key=item.key),
        "is_dx": selectors.is_dx_officer(request.user),
    })  # fmt: skip


@staff_required(DX)
def kpi_entry(request: HttpRequest, kpi_key: str) -> HttpResponse:
    item = selectors.kpi_get(key=kpi_key, manual=True)
    initial = {"period": timezone.localdate().replace(day=1)}
    form = KpiEntryForm(request.POST or None, kpi=item, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.kpi_entry_add(kpi=item, by=request.user, **form.cleaned_data)
        messages.success(request, _("値を記録しました。"))
        return redirect("dx:kpi", kpi_key=item.key)
    return render(request, "dx/form_page.html", {
        "title": _("値を入力"), "subject": item, "form": form, "back": ("dx:kpi", item.key),
        "lead": _("入力した値は変更できません。誤りは同じ期間の値をもう一度入力して訂正します（前の値は履歴に残ります）。"),
    })  # fmt: skip


@staff_required(DX)
def kpi_edit(request: HttpRequest, kpi_key: str) -> HttpResponse:
    item = selectors.kpi_get(key=kpi_key)
    form = KpiForm(request.POST or None, instance=selectors.kpi_get(key=kpi_key))
    if request.method == "POST" and form.is_valid():
        services.kpi_update(kpi=item, by=request.user, values=form.cleaned_data)
        messages.success(request, _("指標を保存しました。"))
        return redirect("dx:initiative", initiative=item.initiative.code)
    return render(request, "dx/form_page.html", {
        "title": _("指標と目標を編集"), "subject": item, "form": form, "back": ("dx:initiative", item.initiative.code),
    })  # fmt: skip


# --- register ------------------------------------------------------------------------------------


@staff_required()
def register(request: HttpRequest) -> HttpResponse:
    department = request.GET.get("department", "")
    online = request.GET.get("online", "")
    review = request.GET.get("review", "")
    rows = selectors.register_list(
        department_code=department if department in {d.code for d in _departments()} else "",
        online_status=online if online in RegisterEntry.Online.values else "",
        review=review if review in RegisterEntry.Review.values else "",
    )
    editable = set(selectors.register_queryset_visible(user=request.user).values_list("pk", flat=True))
    return render(request, "dx/register.html", {
        "rows": rows, "editable": editable, "summary": selectors.register_summary(),
        "departments": _departments(), "online_choices": RegisterEntry.Online.choices,
        "review_choices": RegisterEntry.Review.choices,
        "selected": {"department": department, "online": online, "review": review},
        "can_add": _editable_departments(request.user).exists(),
    })  # fmt: skip


def _export_name(ext: str) -> str:
    return f"register-{timezone.localdate().isoformat()}.{ext}"


@staff_required()
def register_export_xlsx(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        register_xlsx(selectors.register_list()),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name("xlsx")}"'
    return response


@staff_required()
def register_export_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(register_csv(selectors.register_list()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


@staff_required()
def register_import(request: HttpRequest) -> HttpResponse:
    all_departments = selectors.is_dx_officer(request.user)
    form = RegisterImportForm()
    context: dict = {"form": form}
    if request.method == "POST" and request.POST.get("confirm"):
        stored = request.session.get(IMPORT_KEY)
        if not stored or not secrets.compare_digest(stored["token"], request.POST.get("token", "")):
            messages.error(request, _("取り込む内容が見つかりません。もう一度ファイルを選んでください。"))
            return redirect("dx:register_import")
        plan = apply_import(stored["table"], user=request.user, all_departments=all_departments)
        if not plan.errors:
            del request.session[IMPORT_KEY]
            messages.success(request, _("取り込みました（追加 %(created)s件、変更 %(changed)s件）。") % {
                "created": len(plan.created), "changed": len(plan.changed)})  # fmt: skip
            return redirect("dx:register")
        context.update(plan=plan, filename=stored.get("name", ""))
    elif request.method == "POST":
        form = RegisterImportForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                table = read_table(upload.read(), upload.name)
            except RegisterFileError as exc:
                form.add_error("file", str(exc))
            else:
                plan = plan_import(table, user=request.user, all_departments=all_departments)
                context.update(plan=plan, filename=upload.name)
                if not plan.errors and (plan.created or plan.changed):
                    token = secrets.token_urlsafe(16)
                    request.session[IMPORT_KEY] = {"token": token, "table": table, "name": upload.name}
                    context["token"] = token
    return render(request, "dx/register_import.html", context)


@staff_required()
def register_new(request: HttpRequest) -> HttpResponse:
    departments = _editable_departments(request.user)
    if not departments.exists():
        raise Http404
    form = RegisterEntryForm(request.POST or None, departments=departments, instance=RegisterEntry())
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "number"}
        entry = RegisterEntry(number=form.cleaned_data["number"])
        services.register_entry_save(entry=entry, by=request.user, values=values)
        messages.success(request, _("手続を追加しました。"))
        return redirect("dx:register")
    return render(
        request, "dx/form_page.html", {"title": _("手続を追加"), "form": form, "back": ("dx:register", None)}
    )


@staff_required()
def register_edit(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.register_entry_get_editable(user=request.user, pk=entry_id)
    form = RegisterEntryForm(
        request.POST or None,
        departments=_editable_departments(request.user),
        instance=selectors.register_entry_get_editable(user=request.user, pk=entry_id),
    )
    if request.method == "POST" and form.is_valid():
        services.register_entry_save(entry=entry, by=request.user, values=form.cleaned_data)
        messages.success(request, _("手続を保存しました。"))
        return redirect("dx:register")
    return render(request, "dx/form_page.html", {
        "title": _("手続台帳を編集"), "subject": entry, "form": form, "back": ("dx:register", None),
    })  # fmt: skip


# --- standardisation -----------------------------------------------------------------------------


@staff_required()
def standardisation(request: HttpRequest) -> HttpResponse:
    summary = selectors.standardisation_summary()
    return render(request, "dx/standardisation.html", {
        "summary": summary, "is_dx": selectors.is_dx_officer(request.user),
        "status_counts": [(label, summary["by_status"][value]) for value, label in StandardArea.Status.choices],
    })  # fmt: skip


@staff_required(DX)
def area_edit(request: HttpRequest, area: str) -> HttpResponse:
    item = selectors.standard_area_get(code=area)
    form = AreaForm(instance=selectors.standard_area_get(code=area))
    milestone_form = MilestoneForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "status":
            form = AreaForm(request.POST, instance=selectors.standard_area_get(code=area))
            if form.is_valid():
                services.standard_area_update(area=item, by=request.user, **form.cleaned_data)
                messages.success(request, _("移行の状況を保存しました。"))
                return redirect("dx:area_edit", area=item.code)
        elif action == "milestone":
            milestone_form = MilestoneForm(request.POST)
            if milestone_form.is_valid():
                services.milestone_add(area=item, by=request.user, **milestone_form.cleaned_data)
                messages.success(request, _("マイルストーンを追加しました。"))
                return redirect("dx:area_edit", area=item.code)
        elif action in ("done", "undone"):
            raw = request.POST.get("milestone", "")
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
                raise Http404
            milestone = selectors.milestone_get(area=item, pk=int(raw))
            services.milestone_set_done(milestone=milestone, by=request.user, done=action == "done")
            return redirect("dx:area_edit", area=item.code)
    return render(request, "dx/area_edit.html", {
        "area": item, "form": form, "milestone_form": milestone_form, "overdue": item.is_overdue(),
    })  # fmt: skip
