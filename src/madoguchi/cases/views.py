"""The department queue and the case page (staff)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.models import User
from madoguchi.core.access import staff_required
from madoguchi.core.i18n import current_language
from madoguchi.forms.engine import AnswerRow, answers_summary
from madoguchi.organisations.models import Department
from madoguchi.procedures.models import Procedure

from . import my_numbers, selectors, services
from .models import Decision, SavedFilter
from .workflows import workflow, workflows

PAGE_SIZE = 50
COUNT_CAP = 1_000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows, so the first page costs the same with a million cases."""

    @property
    def count(self) -> int:
        if not hasattr(self, "_capped_count"):
            self._capped_count = self.object_list[: COUNT_CAP + 1].count()
        return self._capped_count

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(params) -> selectors.QueueFilter:
    return selectors.QueueFilter(
        status=params.get("status", "open"), procedure=params.get("procedure", ""), channel=params.get("channel", ""),
        filed_as=params.get("filed_as", ""), received_from=_date(params.get("from", "")), received_to=_date(params.get("to", "")),
        assignee=params.get("assignee", ""), overdue=params.get("overdue") == "1", due_soon=params.get("due_soon") == "1",
        q=params.get("q", "")[:100], sort=params.get("sort", "due"),
        town=params.get("town", "")[:60], estimate=params.get("estimate", "")[:12],
    )  # fmt: skip


def _department(request: HttpRequest) -> Department:
    ids = selectors.caseworker_department_ids(request.user)
    departments = Department.objects.filter(pk__in=ids).order_by("sort_order")
    wanted = request.GET.get("department") or request.POST.get("department")
    department = departments.filter(code=wanted).first() if wanted else departments.first()
    if department is None:
        raise Http404
    return department


def _status_choices(department: Department, language: str) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for flow in workflows().values():
        for status in flow.statuses:
            seen.setdefault(status.id, status.display(language))
    return list(seen.items())


@staff_required()
def queue(request: HttpRequest) -> HttpResponse:
    department = _department(request)
    filters = _filters(request.GET)
    cases = selectors.queue(user=request.user, department_id=department.pk, filters=filters)
    page = CappedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    language = current_language()
    today = timezone.localdate()
    soon = services.due_soon_limit(today)
    rows = [
        {"case": c, "status": workflow(c.workflow).status(c.status).display(language),
         "overdue": c.closed_at is None and c.paused_since is None and c.due_on < today,
         "due_soon": c.closed_at is None and c.paused_since is None and today <= c.due_on <= soon}
        for c in page
    ]  # fmt: skip
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "cases/queue.html", {
        "department": department, "departments": Department.objects.filter(
            pk__in=selectors.caseworker_department_ids(request.user)).order_by("sort_order"),
        "page": page, "rows": rows, "filters": filters, "query": params.urlencode(),
        "procedures": Procedure.objects.filter(department=department).order_by("slug"),
        "statuses": _status_choices(department, language),
        "staff": User.objects.filter(staff_roles__department=department, is_active=True).distinct().order_by("display_name"),
        "saved": SavedFilter.objects.filter(user=request.user, department=department),
        "sorts": selectors.SORTS,
    })  # fmt: skip


@staff_required()
@require_POST
def save_filter(request: HttpRequest) -> HttpResponse:
    department = _department(request)
    name = request.POST.get("name", "").strip()[:60]
    query = request.POST.get("query", "")[:500]
    if name:
        SavedFilter.objects.update_or_create(user=request.user, department=department, name=name,
                                             defaults={"query": query})  # fmt: skip
        messages.success(request, _("絞り込み条件を保存しました。"))
    else:
        messages.error(request, _("保存する名前を入力してください。"))
    return redirect(f"{reverse('cases:queue')}?{query}")


@staff_required()
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Bulk assign or change status: first a confirmation page, then the change."""
    department = _department(request)
    ids = request.POST.getlist("case")
    cases = list(selectors.cases_visible(user=request.user).filter(pk__in=ids, department=department))
    if len(cases) != len(set(ids)) or not cases:
        messages.error(request, _("案件を選んでください。"))
        return redirect(f"{reverse('cases:queue')}?department={department.code}")
    action = request.POST.get("bulk_action", "")
    assignee = None
    if action == "assign" and request.POST.get("assignee"):
        assignee = User.objects.filter(
            pk=request.POST["assignee"], staff_roles__department=department
        ).first()
    if request.POST.get("confirmed") != "yes":
        return render(request, "cases/bulk_confirm.html", {
            "department": department, "cases": cases, "action": action, "assignee": assignee,
            "to_status": request.POST.get("to_status", ""), "assignee_id": request.POST.get("assignee", ""),
        })  # fmt: skip
    try:
        if action == "assign":
            count = services.cases_assign(by=request.user, cases=cases, assignee=assignee)
        elif action == "status":
            count = services.cases_bulk_transition(
                by=request.user, cases=cases, to_status=request.POST.get("to_status", "")
            )
        else:
            raise ValidationError(_("操作を選んでください。"))
    except (ValidationError, PermissionDenied, KeyError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [_("この操作はできません。")])))
    else:
        messages.success(request, _("%(n)d件の案件を変更しました。") % {"n": count})
    return redirect(f"{reverse('cases:queue')}?{urlencode({'department': department.code})}")


@staff_required()
def detail(request: HttpRequest, case_id) -> HttpResponse:
    case = selectors.case_get_for_staff(user=request.user, case_id=case_id)
    language = current_language()
    flow = workflow(case.workflow)
    submission = case.submission
    definition = submission.version.definition
    proposed = case.decisions.filter(state=Decision.State.PROPOSED).first()
    moves = [
        (s, flow.status(s).display(language))
        for s in flow.allowed(case.status)
        if not flow.status(s).decision
    ]
    decisions = [
        (s, flow.status(s).display(language)) for s in flow.allowed(case.status) if flow.status(s).decision
    ]
    fields = [(f["id"], f["label"].get(language) or f["label"]["ja"]) for p in definition["form"]["pages"]
              if not p.get("repeat") for f in p["fields"]]  # fmt: skip
    return render(request, "cases/detail.html", {
        "case": case, "submission": submission, "status": flow.status(case.status).display(language),
        "procedure_name": definition["name"].get(language) or definition["name"]["ja"],
        "sections": _with_reveal(request.user, submission, answers_summary(definition, submission.data, language)),
        "files": _files(definition, submission.data),
        "events": case.events.select_related("actor"), "notes": case.notes.select_related("author"),
        "thread": case.messages.select_related("author"), "moves": moves, "decisions": decisions,
        "proposed": proposed, "fields": fields, "can_correct": "correction" in flow.allowed(case.status), "is_approver": request.user.has_role("approver", case.department_id),
        "staff": User.objects.filter(staff_roles__department=case.department, is_active=True).distinct(),
        "notice": case.decisions.filter(state=Decision.State.APPROVED, notice__isnull=False).first(),
        "overdue": case.closed_at is None and case.paused_since is None and case.due_on < timezone.localdate(),
        "signature": getattr(submission, "signature", None) if hasattr(submission, "signature") else None,
        "documents": case.documents.all(),
        "proxy": _proxy(definition, submission),
        "related": selectors.related_cases(user=request.user, case=case),
    })  # fmt: skip


@dataclass
class _RevealableRow(AnswerRow):
    reveal_url: str = ""
    reveal_id: str = ""


def _with_reveal(user, submission, sections: list) -> list:
    """Next to each masked My Number this user may reveal, the form that leads to the reveal page."""

    def row_for(row: AnswerRow, key: str) -> AnswerRow:
        url = my_numbers.reveal_url(user, submission, key)
        if not url:
            return row
        return _RevealableRow(row.field_id, row.label, row.value, url, "reveal-" + key.replace(".", "-"))

    for section in sections:
        section.rows = [row_for(row, row.field_id) for row in section.rows]
        if section.items is not None:
            section.items = [[row_for(row, f"{section.page_id}.{i}.{row.field_id}") for row in rows]
                             for i, rows in enumerate(section.items)]  # fmt: skip
    return sections


def _proxy(definition: dict, submission) -> dict | None:
    """For a filing by a 代理人: their name and the 委任状 they attached."""
    from madoguchi.procedures.definitions import POWER_OF_ATTORNEY

    if submission.filed_as != "proxy":
        return None
    name = submission.data.get((definition.get("filer") or {}).get("proxy_name", ""), "")
    if isinstance(name, dict):
        name = f"{name.get('family', '')} {name.get('given', '')}".strip()
    return {"name": name, "letters": submission.data.get(POWER_OF_ATTORNEY, [])}


@staff_required()
def attachment(request: HttpRequest, case_id, file_id) -> HttpResponse:
    """A file the case's submission carries (an attachment, a power of attorney), for the staff of
    every department holding a case of it: a file is stored for the procedure's department, and a
    second department's case (``cases:``) must be able to read it too. 404 for a file the
    submission does not carry."""
    from madoguchi.privacy.models import StoredFile
    from madoguchi.privacy.views import stored_file_response

    case = selectors.case_get_for_staff(user=request.user, case_id=case_id)
    submission = case.submission
    definition = submission.version.definition
    letters = (_proxy(definition, submission) or {}).get("letters") or []
    carried = {
        str(f.get("id")) for f in [*_files(definition, submission.data), *letters] if isinstance(f, dict)
    }
    stored = StoredFile.objects.filter(pk=file_id).first() if str(file_id) in carried else None
    if stored is None:
        raise Http404
    return stored_file_response(request, stored)


def _files(definition: dict, data: dict) -> list[dict]:
    return [item for p in definition["form"]["pages"] for f in p["fields"] if f["type"] == "file"
            for item in data.get(f["id"], [])]  # fmt: skip


@staff_required()
@require_POST
def action(request: HttpRequest, case_id) -> HttpResponse:
    case = selectors.case_get_for_staff(user=request.user, case_id=case_id, purpose="処理")
    kind = request.POST.get("action", "")
    text = request.POST.get("text", "")
    try:
        if kind == "transition":
            services.case_transition(by=request.user, case=case, to_status=request.POST.get("to_status", ""),
                                     comment=text)  # fmt: skip
            messages.success(request, _("状況を変更しました。"))
        elif kind == "assign":
            assignee = User.objects.filter(pk=request.POST.get("assignee") or 0).first()
            services.cases_assign(by=request.user, cases=[case], assignee=assignee)
            messages.success(request, _("担当者を変更しました。"))
        elif kind == "note":
            services.case_add_note(by=request.user, case=case, text=text)
            messages.success(request, _("メモを残しました。"))
        elif kind == "message":
            services.case_send_message(by=request.user, case=case, text=text)
            messages.success(request, _("申請者にメッセージを送りました。"))
        elif kind == "correction":
            services.correction_request(
                by=request.user, case=case, fields=request.POST.getlist("fields"), reason=text
            )
            messages.success(request, _("補正を依頼しました。申請者にメールで知らせました。"))
        elif kind == "propose":
            services.decision_propose(
                by=request.user, case=case, outcome=request.POST.get("outcome", ""), reason=text
            )
            messages.success(request, _("決定案を作りました。"))
        elif kind == "revoke_document":
            from madoguchi.documents.services import document_revoke

            document = case.documents.filter(
                pk=request.POST.get("document") or None, revoked_at__isnull=True
            ).first()
            if document is None:
                raise ValidationError(_("取り消せる文書がありません。"))
            document_revoke(by=request.user, document=document, reason=text)
            messages.success(request, _("文書を取り消しました。確認ページにも表示されます。"))
        elif kind in ("approve", "return"):
            decision = case.decisions.filter(
                pk=request.POST.get("decision") or 0, state=Decision.State.PROPOSED
            ).first()
            if decision is None:
                raise ValidationError(_("決裁待ちの決定案がありません。"))
            if kind == "approve":
                services.decision_approve(by=request.user, decision=decision)
                messages.success(request, _("決裁しました。申請者に決定を知らせました。"))
            else:
                services.decision_return(by=request.user, decision=decision, comment=text)
                messages.success(request, _("決定案を差し戻しました。"))
        else:
            raise ValidationError(_("操作を選んでください。"))
    except PermissionDenied:
        messages.error(request, _("この操作をする役割がありません。"))
    except (ValidationError, KeyError) as exc:
        errors = exc.messages if isinstance(exc, ValidationError) else [_("この操作はできません。")]
        messages.error(request, " ".join(errors))
    return redirect("cases:detail", case_id=case.pk)
