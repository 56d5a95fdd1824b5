"""The citizen's notices (/account/notices/) and their reminder settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from madoguchi.core.access import citizen_required

from . import selectors, services

PAGE_SIZE = 30


@citizen_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notices_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    notices = list(page.object_list)
    # Shown now as new, read from now on.
    services.notices_mark_read(user=request.user, notice_ids=[n.pk for n in notices if n.is_unread])
    return render(request, "notifications/notice_list.html", {"notices": notices, "page": page})


@citizen_required
@require_GET
def notice_detail(request: HttpRequest, notice_id) -> HttpResponse:
    notice = selectors.notice_get_owned(user=request.user, notice_id=notice_id)
    was_unread = notice.is_unread
    services.notices_mark_read(user=request.user, notice_ids=[notice.pk])
    return render(request, "notifications/notice_detail.html", {"notice": notice, "was_unread": was_unread})


@citizen_required
@require_http_methods(["GET", "POST"])
def notice_settings(request: HttpRequest) -> HttpResponse:
    choices = selectors.reminder_choices_for(user=request.user)
    if request.method == "POST":
        shown = {row.kind for row in choices}
        services.reminder_opt_outs_set(user=request.user, receiving=set(request.POST.getlist("receive")) & shown,
                                       among=shown)  # fmt: skip
        messages.success(request, _("お知らせの設定を保存しました。"))
        return redirect("notifications:settings")
    return render(request, "notifications/notice_settings.html", {"choices": choices})
