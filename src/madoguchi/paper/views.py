"""Views of the paper channel: the printable forms (public and pre-filled), the scanning intake and
the verification screen (staff). Thin: each calls one service or selector."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import public, staff_required
from madoguchi.core.i18n import current_language
from madoguchi.forms.fieldtypes import localised
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent
from madoguchi.privacy.uploads import file_storage

from . import layout as L
from . import selectors, services

paper_staff = staff_required(StaffRole.Role.HANDLER)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _render_version(version, data=None) -> bytes:
    from madoguchi.organisations.selectors import municipality_get_current

    from .forms_pdf import render_form_pdf

    municipality = municipality_get_current()
    return render_form_pdf(version.definition, version.number, data,
                           department=version.procedure.department.name,
                           municipality=getattr(municipality, "name", ""))  # fmt: skip


# --- printable forms -------------------------------------------------------------------------


@public
def form_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The blank paper form of a procedure, made to be read back (OCR)."""
    from madoguchi.procedures.selectors import procedure_get_public

    procedure = procedure_get_public(slug=slug)
    if "paper" not in procedure.current_version.definition.get("channels", []):
        raise Http404
    return _pdf(_render_version(procedure.current_version), f"form-{procedure.slug}.pdf")


@public
def draft_form_pdf(request: HttpRequest, draft_id) -> HttpResponse:
    """A draft printed pre-filled: the answers in the boxes and, exactly, in QR codes."""
    from madoguchi.submissions.selectors import draft_get_owned

    draft = draft_get_owned(request=request, draft_id=draft_id)
    response = _pdf(_render_version(draft.version, draft.data), f"form-{draft.version.procedure.slug}.pdf")
    response["Cache-Control"] = "no-store"
    return response


@staff_required(StaffRole.Role.HANDLER, StaffRole.Role.APPROVER, StaffRole.Role.DEPT_ADMIN)
def counter_form_pdf(request: HttpRequest, draft_id) -> HttpResponse:
    """A counter draft printed pre-filled (the visitor takes it home, or it is filed on paper)."""
    from madoguchi.counter.selectors import counter_draft_get

    link = counter_draft_get(user=request.user, draft_id=draft_id)
    audit_record(action=AuditEvent.Action.EXPORT, object_type="submissions.draft", object_id=link.draft.pk,
                 department_code=link.draft.version.procedure.department.code, fields=["data"],
                 purpose="窓口での記入済み申請書の印刷", actor=request.user)  # fmt: skip
    response = _pdf(_render_version(link.draft.version, link.draft.data), "form.pdf")
    response["Cache-Control"] = "no-store"
    return response


# --- intake ----------------------------------------------------------------------------------


@paper_staff
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    departments = selectors.paper_departments(request.user)
    error = ""
    if request.method == "POST":
        department = departments.filter(code=request.POST.get("department", "")).first()
        uploads = request.FILES.getlist("scans")
        if department is None:
            error = _("取り込む課を選んでください。")
        else:
            try:
                batch = services.batch_create(user=request.user, department=department, uploads=uploads)
            except services.BatchRefused as exc:
                error = exc.message
            else:
                return redirect("paper:batch", batch_id=batch.pk)
    return render(request, "paper/home.html", {
        "departments": departments, "batches": selectors.batch_list(user=request.user)[:30], "error": error,
        "unidentified": selectors.unidentified_pages(user=request.user).count(),
        "stats": selectors.correction_stats(user=request.user),
    }, status=400 if error else 200)  # fmt: skip


@paper_staff
def batch(request: HttpRequest, batch_id) -> HttpResponse:
    batch = selectors.batch_get(user=request.user, batch_id=batch_id)
    return render(request, "paper/batch.html", {
        "batch": batch, "progress": selectors.batch_progress(batch=batch),
        "applications": batch.applications.select_related("version__procedure", "submission"),
        "unidentified": batch.pages.filter(state="unidentified"),
    })  # fmt: skip


@paper_staff
def unidentified(request: HttpRequest) -> HttpResponse:
    return render(
        request, "paper/unidentified.html", {"pages": selectors.unidentified_pages(user=request.user)}
    )


@paper_staff
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, scan_id: int) -> HttpResponse:
    scan = selectors.page_get(user=request.user, page_id=scan_id)
    if request.method == "POST":
        if request.POST.get("action") == "discard":
            services.page_assign(user=request.user, page=scan, discard=True)
            messages.success(request, _("ページを破棄しました。"))
        else:
            application = scan.batch.applications.filter(pk=request.POST.get("application") or None,
                                                         state="pending").first()  # fmt: skip
            if application is None:
                messages.error(request, _("申請書を選んでください。"))
                return redirect("paper:page", scan_id=scan.pk)
            services.page_assign(user=request.user, page=scan, application=application)
            messages.success(request, _("ページを申請書に加えました。"))
        return redirect("paper:unidentified")
    audit_record(action=AuditEvent.Action.READ, object_type="paper.scanpage", object_id=scan.pk,
                 department_code=scan.batch.department.code, fields=["image"],
                 purpose="未識別ページの確認", actor=request.user)  # fmt: skip
    return render(request, "paper/page.html", {
        "scan": scan, "applications": scan.batch.applications.filter(state="pending").select_related("version__procedure"),
    })  # fmt: skip


@paper_staff
def page_image(request: HttpRequest, scan_id: int) -> HttpResponse:
    """A page as read (straightened), or one part's boxes of it (``?part=<key>``), as PNG."""
    from PIL import Image

    from .reading import part_crop

    scan = selectors.page_get(user=request.user, page_id=scan_id)
    if scan.image is None:
        raise Http404
    image = Image.open(io.BytesIO(file_storage().open(scan.image.storage_name, "rb").read()))
    key = request.GET.get("part", "")
    if key:
        if not scan.registered or scan.version is None:
            raise Http404
        layouts = L.page_layouts(scan.version.definition)
        part = next((p for p in layouts[scan.page_number - 1].parts() if p.key == key), None)
        if part is None:
            raise Http404
        image = part_crop(image, part, margin=1.5)
    else:
        image.thumbnail((1240, 1754))
    out = io.BytesIO()
    image.save(out, "PNG")
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


# --- verification ----------------------------------------------------------------------------


def _posted_texts(request, rows) -> dict[str, str]:
    texts = {}
    for row in rows:
        for p in row["parts"]:
            name = f"p-{p['part'].key}"
            if p["part"].kind == "tick" and p["part"].multiple:
                texts[p["part"].key] = ",".join(request.POST.getlist(name))
            else:
                texts[p["part"].key] = request.POST.get(name, "").strip()
    return texts


@paper_staff
@require_http_methods(["GET", "POST"])
def application(request: HttpRequest, application_id) -> HttpResponse:
    item = selectors.application_get(user=request.user, application_id=application_id)
    if item.state == item.State.FILED:
        return redirect("paper:batch", batch_id=item.batch_id)
    if item.state == item.State.DISCARDED:
        raise Http404
    error, texts = "", None
    if request.method == "POST":
        if request.POST.get("action") == "discard":
            services.application_discard(user=request.user, application=item)
            return _after(item)
        texts = _posted_texts(request, services.application_fields(item))
        try:
            submission = services.application_confirm(user=request.user, application=item, texts=texts)
        except services.ConfirmRefused as exc:
            error = exc.message
        else:
            messages.success(
                request, _("受け付けました（受付番号 %(number)s）。") % {"number": submission.receipt_number}
            )
            return _after(item)
    else:
        audit_record(action=AuditEvent.Action.READ, object_type="paper.paperapplication", object_id=item.pk,
                     department_code=item.batch.department.code, fields=["readings"],
                     purpose="紙の申請書の確認", actor=request.user)  # fmt: skip
    rows = services.application_check(item, texts)
    language = current_language()
    for row in rows:
        row["label"] = localised(row["layout"].field.get("label"), language)
        for p in row["parts"]:
            p["name"] = f"p-{p['part'].key}"
            p["value"] = row["texts"][p["part"].key]
            p["id"] = "f-" + p["part"].key.replace(".", "-")
            if p["part"].kind == "tick":
                chosen = set(p["value"].split(",")) if p["value"] else set()
                p["choices"] = [{"value": v, "label": lab, "checked": v in chosen,
                                 "id": f"{p['id']}-{i}"}
                                for i, (v, lab) in enumerate(zip(p["part"].options, p["part"].option_labels, strict=True))]  # fmt: skip
    flagged = sum(1 for r in rows if r["flagged"])
    batch_apps = list(item.batch.applications.order_by("position").values_list("pk", flat=True))
    return render(request, "paper/application.html", {
        "item": item, "rows": rows, "error": error, "flagged": flagged,
        "procedure_name": localised(item.version.definition["name"], language),
        "position": batch_apps.index(item.pk) + 1, "total": len(batch_apps),
        "progress": selectors.batch_progress(batch=item.batch),
    }, status=400 if error else 200)  # fmt: skip


def _after(item) -> HttpResponse:
    following = selectors.application_next(application=item)
    if following is not None:
        return redirect("paper:application", application_id=following.pk)
    return redirect(reverse("paper:batch", kwargs={"batch_id": item.batch_id}))


@paper_staff
@require_POST
def batch_process(request: HttpRequest, batch_id) -> HttpResponse:
    """Queue the batch's remaining pages again (after a worker stopped)."""
    batch = selectors.batch_get(user=request.user, batch_id=batch_id)
    services.batch_requeue(batch=batch)
    return redirect("paper:batch", batch_id=batch.pk)
