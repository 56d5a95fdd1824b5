"""A department's API tokens: listed, made (shown once) and revoked by its 課管理者 or a システム管理者."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import staff_required
from madoguchi.organisations.selectors import department_get_visible

from .models import ApiToken
from .tokens import api_token_create, api_token_list, api_token_revoke, can_manage_tokens


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名前"),
        max_length=100,
        help_text=gettext_lazy(
            "どのシステムが使うかがわかる名前にしてください（例：介護保険システム連携RPA）。"
        ),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("権限"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        help_text=gettext_lazy("「読み書き」は案件の状況も変えられます。必要なときだけ選んでください。"),
    )


def _managed_department(request: HttpRequest, code: str):
    """The department, if the user may manage its tokens; 404 otherwise (also for a mere member)."""
    department = department_get_visible(user=request.user, code=code)
    if not can_manage_tokens(request.user, department):
        raise Http404
    return department


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@staff_required(StaffRole.Role.DEPT_ADMIN, StaffRole.Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest, code: str) -> HttpResponse:
    department = _managed_department(request, code)
    form = ApiTokenForm()
    created = plaintext = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            token = ApiToken.objects.filter(
                department=department, pk=_int(request.POST.get("token_id"))
            ).first()
            if token is None:
                raise Http404
            api_token_revoke(by=request.user, token=token)
            messages.success(request, _("トークン「%(name)s」を無効にしました。") % {"name": token.name})
            return redirect("cases_export:api_tokens", code=department.code)
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                created, plaintext = api_token_create(
                    by=request.user,
                    department=department,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                form = ApiTokenForm()
    # The new token is shown in this response only: it is not stored, nor put in the session.
    return render(
        request,
        "cases/tokens/list.html",
        {
            "department": department,
            "tokens": api_token_list(department=department),
            "form": form,
            "created": created,
            "plaintext": plaintext,
        },
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
