from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.i18n import set_language as django_set_language

from madoguchi.core.access import public, staff_required
from madoguchi.organisations.selectors import department_list_visible


@public
def home(request: HttpRequest) -> HttpResponse:
    from madoguchi.disaster.selectors import active_disaster

    return render(request, "core/home.html", {"disaster": active_disaster()})


@staff_required()
def staff_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    departments = department_list_visible(user=user).filter(pk__in=user.department_ids)
    roles = user.staff_roles.select_related("department").order_by("department__sort_order", "role")
    work = None
    if user.is_caseworker:
        from madoguchi.cases.selectors import counts_for_home

        work = counts_for_home(user=user)
    return render(request, "core/staff_home.html", {"departments": departments, "roles": roles, "work": work})


@public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@public
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """For load balancers and deploys: 200 when this process can take traffic, 503 otherwise.

    Ready = the database answers, every migration is applied and the file storage takes a write.
    The task queue is reported (how many tasks wait, and for how long the oldest has), but a
    backlog never makes the process unready: queue work may back up and drain later.
    Never shed, never rate-limited, never cached, no personal data. docs/operations.md.
    """
    from madoguchi.core import readiness

    report = readiness.report()
    response = JsonResponse(report, status=200 if report["status"] == "ok" else 503)
    if response.status_code == 503:
        response["Retry-After"] = "5"
    return response


# Django's own view, which sets the language cookie from a POSTed form (no JavaScript needed).
set_language = public(django_set_language)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No request context: the database may be what failed.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_400(request, exception=None):
    return render(request, "400.html", status=400)
