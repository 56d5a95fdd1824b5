"""Staff pages under /staff/opendata/: a department's datasets, editing, upload with the fix preview,
submitting, approving or returning, and the coverage page for the DX office."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import staff_required

from . import selectors, services
from .forms import CreateForm, DecisionForm, LinkForm, MetadataForm, SubmitForm, UploadForm
from .models import LICENCES, Dataset, DatasetChange, ResourceVersion
from .standards import standard_get

EDITORS = services.EDITOR_ROLES
DX = (StaffRole.Role.DX_OFFICER, StaffRole.Role.SYSADMIN)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@staff_required(*EDITORS)
def staff_list(request: HttpRequest) -> HttpResponse:
    datasets = selectors.datasets_for_staff(user=request.user).order_by("department__sort_order", "title")
    return render(
        request,
        "opendata/staff_list.html",
        {
            "datasets": datasets,
            "pending": selectors.approval_queue(user=request.user).distinct(),
            "today": timezone.localdate(),
            "is_dx": any(request.user.has_global_role(r) for r in DX),
        },
    )


@staff_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    departments = selectors.editable_departments(user=request.user)
    form = CreateForm(
        request.POST or None,
        departments=departments,
        initial={"license_id": "pdl-1.0", "frequency": "annual", "spatial": "宮城県石巻市"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dataset = services.dataset_create(
                by=request.user, department=data["department"], name=data["name"], metadata=data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("データセットを作りました。ファイルをアップロードしてください。"))
            return redirect("opendata:staff_upload", name=dataset.name)
    return render(request, "opendata/staff_form.html", {"form": form, "creating": True})


@staff_required(*EDITORS)
def staff_detail(request: HttpRequest, name: str) -> HttpResponse:
    dataset = selectors.dataset_get_for_staff(user=request.user, name=name)
    change = services.open_change(dataset)
    user = request.user
    resources = dataset.resources.filter(derived_from__isnull=True).prefetch_related(
        "versions", "derived__versions"
    )
    return render(
        request,
        "opendata/staff_detail.html",
        {
            "dataset": dataset,
            "change": change,
            "metadata": services.working_metadata(dataset),
            "resources": resources,
            "activities": dataset.activities.select_related("actor")[:20],
            "can_approve": services.can_approve(user, dataset.department_id),
            "own_change": change is not None and change.submitted_by_id == user.pk,
            "can_light_path": services.can_choose_light_path(user, dataset.department_id),
            "standard": standard_get(dataset.conforms_to),
            "licence_title": LICENCES.get(services.working_metadata(dataset).get("license_id", ""), None),
            "frequency_label": dict(Dataset.Frequency.choices).get(
                services.working_metadata(dataset).get("frequency")
            ),
            "decision_form": DecisionForm(),
            "submit_form": SubmitForm(),
            "pending_versions": change.versions.exclude(
                status=ResourceVersion.Status.DISCARDED
            ).select_related("resource")
            if change
            else [],
            "today": timezone.localdate(),
        },
    )


@staff_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, name: str) -> HttpResponse:
    dataset = selectors.dataset_get_for_staff(user=request.user, name=name)
    metadata = services.working_metadata(dataset)
    initial = {**metadata, "tags": "、".join(metadata.get("tags", []))}
    form = MetadataForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_update_metadata(by=request.user, dataset=dataset, data=form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("変更を保存しました。承認を受けるまで公開ページには反映されません。"))
            return redirect("opendata:staff_detail", name=name)
    return render(request, "opendata/staff_form.html", {"form": form, "dataset": dataset})


@staff_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def staff_upload(request: HttpRequest, name: str) -> HttpResponse:
    dataset = selectors.dataset_get_for_staff(user=request.user, name=name)
    resources = dataset.resources.filter(derived_from__isnull=True, url="")
    form = UploadForm(request.POST or None, request.FILES or None, resources=resources)
    link_form = LinkForm(prefix="link")
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        resource = (
            resources.filter(pk=form.cleaned_data["resource"]).first()
            if form.cleaned_data["resource"]
            else None
        )
        limit = services.max_upload_bytes()
        if upload.size and upload.size > limit:
            form.add_error(
                "file", _("ファイルが大きすぎます（%(mb)dMB まで）。") % {"mb": limit // (1024 * 1024)}
            )
        else:
            try:
                versions = services.resource_upload(
                    by=request.user,
                    dataset=dataset,
                    data=upload.read(limit + 1),
                    filename=upload.name,
                    name=(form.cleaned_data["name"] or (resource.name if resource else "")).strip(),
                    description=form.cleaned_data["description"],
                    resource=resource,
                )
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                if len(versions) > 1:
                    messages.success(
                        request,
                        _("%(n)d枚のシートを、それぞれ別のリソースとして取り込みました。")
                        % {"n": len(versions)},
                    )
                return redirect("opendata:staff_version", name=name, version_id=versions[0].pk)
    return render(
        request, "opendata/staff_upload.html", {"dataset": dataset, "form": form, "link_form": link_form}
    )


@staff_required(*EDITORS)
@require_POST
def staff_link(request: HttpRequest, name: str) -> HttpResponse:
    dataset = selectors.dataset_get_for_staff(user=request.user, name=name)
    link_form = LinkForm(request.POST, prefix="link")
    if link_form.is_valid():
        data = link_form.cleaned_data
        try:
            services.link_add(
                by=request.user,
                dataset=dataset,
                name=data["name"],
                url=data["url"],
                fmt=data["format"],
                description=data["description"],
            )
        except ValidationError as exc:
            link_form.add_error(None, exc.messages)
        else:
            messages.success(request, _("リンクを追加しました。"))
            return redirect("opendata:staff_detail", name=name)
    resources = dataset.resources.filter(derived_from__isnull=True, url="")
    return render(
        request,
        "opendata/staff_upload.html",
        {
            "dataset": dataset,
            "form": UploadForm(resources=resources),
            "link_form": link_form,
        },
        status=400,
    )


def _selected(request: HttpRequest) -> set[str] | None:
    if request.method == "POST":
        return set(request.POST.getlist("fix"))
    return None


@staff_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def staff_version(request: HttpRequest, name: str, version_id) -> HttpResponse:
    """An upload's intake report: issues by row and column, fixes with before/after, a preview; apply or discard."""
    version = selectors.version_get_for_staff(user=request.user, name=name, version_id=version_id)
    action = request.POST.get("action", "preview")
    errors: list[str] = []
    if request.method == "POST" and action == "discard":
        try:
            services.version_discard(by=request.user, version=version)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("この版を破棄しました（ファイルは記録として残ります）。"))
        return redirect("opendata:staff_detail", name=name)
    if request.method == "POST" and action == "apply":
        try:
            services.version_apply_fixes(
                by=request.user,
                version=version,
                selected=_selected(request),
                personal_data_confirmed=request.POST.get("personal_ok") == "1",
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("公開用のファイルを確定しました。承認の依頼に進んでください。"))
            return redirect("opendata:staff_detail", name=name)
    analysis = None
    if version.status == ResourceVersion.Status.INTAKE or version.fix_report.get("kind") == "table":
        analysis = services.version_analyse(
            version,
            _selected(request)
            if request.method == "POST"
            else (
                set(version.fix_report.get("applied", []))
                if version.status != ResourceVersion.Status.INTAKE
                else None
            ),
        )
    return render(
        request,
        "opendata/staff_version.html",
        {
            "dataset": version.resource.dataset,
            "version": version,
            "analysis": analysis,
            "errors": errors,
            "editable": version.status == ResourceVersion.Status.INTAKE
            and version.change is not None
            and version.change.is_editable,
            "standard": standard_get(version.fix_report.get("standard", "")),
            "personal_ok": request.POST.get("personal_ok") == "1",
        },
        status=400 if errors else 200,
    )


@staff_required(*EDITORS)
def staff_version_file(request: HttpRequest, name: str, version_id, which: str) -> HttpResponse:
    version = selectors.version_get_for_staff(user=request.user, name=name, version_id=version_id)
    stored = version.original_file if which == "original" else version.file
    if not stored:
        raise Http404
    filename = version.original_filename if which == "original" else stored.name.rsplit("/", 1)[-1]
    response = FileResponse(stored.open("rb"), as_attachment=True, filename=filename or "download")
    response["Content-Security-Policy"] = "sandbox"
    return response


@staff_required(*EDITORS)
@require_POST
def staff_action(request: HttpRequest, name: str) -> HttpResponse:
    dataset = selectors.dataset_get_for_staff(user=request.user, name=name)
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")
    user = request.user
    done = {
        "submit": _("承認を依頼しました。同じ課の決裁者にメールでお知らせしました。"),
        "approve": _("承認しました。公開ページに反映されました。"),
        "return": _("差し戻しました。"),
        "cancel": _("変更を取り消しました。"),
        "withdraw": _("公開停止の承認を依頼しました。"),
        "light_path_on": _("定例更新の簡易手続を使うようにしました。"),
        "light_path_off": _("定例更新の簡易手続をやめました。"),
    }
    try:
        if action == "submit":
            change = services.change_submit(by=user, dataset=dataset, note=request.POST.get("note", ""))
            if change.via_light_path:
                done["submit"] = _("簡易手続により公開しました。決裁者にメールでお知らせしました。")
        elif action == "approve":
            services.change_approve(by=user, dataset=dataset, comment=comment)
        elif action == "return":
            services.change_return(by=user, dataset=dataset, comment=comment)
        elif action == "cancel":
            services.change_cancel(by=user, dataset=dataset)
        elif action == "withdraw":
            services.withdraw_request(by=user, dataset=dataset, note=request.POST.get("note", ""))
        elif action in ("light_path_on", "light_path_off"):
            services.dataset_set_light_path(by=user, dataset=dataset, enabled=action == "light_path_on")
        else:
            messages.error(request, _("操作を選んでください。"))
            return redirect("opendata:staff_detail", name=name)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied:
        messages.error(request, _("この操作をする権限がありません。"))
    else:
        messages.success(request, done[action])
    return redirect("opendata:staff_detail", name=name)


@staff_required(*DX)
def staff_coverage(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "opendata/staff_coverage.html",
        {
            "rows": selectors.coverage(today=today),
            "overdue": selectors.overdue_datasets(today=today),
            "today": today,
            "pending": selectors.public_datasets().none(),
            "waiting": DatasetChange.objects.filter(status=DatasetChange.Status.PENDING)
            .select_related("dataset__department")
            .order_by("submitted_at"),
        },
    )
