"""Dashboards (public and internal) and the after-submission survey. Thin: validate, call, render."""

from __future__ import annotations

import contextlib
import csv
import io

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from madoguchi.core.access import public, staff_required
from madoguchi.submissions.selectors import submission_get_owned

from . import presentation, selectors, services
from .forms import SurveyForm
from .models import SatisfactionResponse


def _csv_response(section: dict, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(section["headers"])
    writer.writerows(section["rows"])
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _section(sections: list[dict], name: str | None) -> dict:
    for section in sections:
        if section["name"] == name:
            return section
    raise Http404


@public
def public_dashboard(request: HttpRequest) -> HttpResponse:
    board = selectors.dashboard(public=True)
    return render(request, "dashboards/public.html", {
        "board": board, "sections": presentation.sections(board, csv_url=reverse("dashboards:public_csv")),
        "cards": presentation.cards(board), "dataset_url": selectors.dashboard_dataset_url(),
        "policy": selectors.policy(board),
    })  # fmt: skip


@public
def public_csv(request: HttpRequest) -> HttpResponse:
    board = selectors.dashboard(public=True)
    section = _section(presentation.sections(board, csv_url=""), request.GET.get("table"))
    return _csv_response(section, f"dashboard-{section['name']}.csv")


def _staff_boards(user) -> tuple[list[tuple[str, object]], set[int]]:
    own = selectors.own_department_ids(user)
    boards = []
    if own:
        boards.append(("own", selectors.dashboard(department_ids=own)))
    boards.append(("city", selectors.dashboard(by_department=selectors.sees_all_departments(user))))
    return boards, own


@staff_required()
def staff_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    boards, _own = _staff_boards(user)
    comments = selectors.comments_for_staff(user=user)
    csv_url = reverse("dashboards:staff_csv")
    return render(request, "dashboards/staff.html", {
        "boards": [
            {"scope": scope, "board": board, "cards": presentation.cards(board),
             "sections": presentation.sections(board, csv_url=csv_url, scope=scope)}
            for scope, board in boards
        ],
        "comments": comments, "policy": selectors.policy(boards[-1][1]),
    })  # fmt: skip


@staff_required()
def staff_csv(request: HttpRequest) -> HttpResponse:
    boards, _own = _staff_boards(request.user)
    scope = request.GET.get("scope", "city")
    board = dict(boards).get(scope)
    if board is None:
        raise Http404
    section = _section(presentation.sections(board, csv_url="", scope=scope), request.GET.get("table"))
    return _csv_response(section, f"dashboard-{scope}-{section['name']}.csv")


@public
def survey(request: HttpRequest, submission_id) -> HttpResponse:
    submission = submission_get_owned(request=request, submission_id=submission_id)
    if SatisfactionResponse.objects.filter(submission=submission).exists():
        return render(request, "dashboards/survey_done.html", {"submission": submission, "already": True})
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with contextlib.suppress(services.AlreadyAnswered):
            services.satisfaction_submit(submission=submission, **form.cleaned_data)
        return HttpResponseRedirect(reverse("dashboards:survey", kwargs={"submission_id": submission.pk}))
    return render(request, "dashboards/survey.html", {"submission": submission, "form": form})
