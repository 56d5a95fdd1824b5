"""Counter bookings (来庁予約): citizens book, move and cancel a visit; staff see the day's bookings,
check visitors in and set their counter's hours.

Citizens must be logged in (a verified account): the confirmation goes to its address. URLs carry
the booking's random id, never a name or the reference; the reference (予約番号) is shown and e-mailed.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.models import StaffRole
from madoguchi.core.access import citizen_required, staff_required
from madoguchi.core.i18n import current_language
from madoguchi.core.ratelimit import rate_limit
from madoguchi.forms.fieldtypes import localised
from madoguchi.organisations.models import Department
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from . import display, selectors, services
from .forms import ScheduleForm
from .models import Booking, CounterSchedule
from .views import COUNTER_ROLES


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(str(text or ""))
    except ValueError:
        return None


def _decorate(booking: Booking, language: str) -> Booking:
    booking.when = display.when(booking.slot, language)
    booking.place = display.place(booking.department, language)
    booking.procedure_name = localised(booking.procedure.current_version.definition["name"], language)
    from .slots import aware

    booking.changeable = (
        booking.status == Booking.Status.BOOKED
        and aware(booking.slot.day, booking.slot.start) > timezone.now()
    )
    return booking


# --- citizens ------------------------------------------------------------------------------------------


@citizen_required
def mine(request: HttpRequest) -> HttpResponse:
    language = current_language()
    today = timezone.localdate()
    bookings = [
        _decorate(b, language)
        for b in selectors.bookings_of(user=request.user).select_related("procedure__current_version")
    ]
    upcoming = [b for b in bookings if b.slot.day >= today and b.status != Booking.Status.CANCELLED]
    upcoming.reverse()
    past = [b for b in bookings if b not in upcoming][:20]
    return render(request, "counter/bookings/mine.html", {"upcoming": upcoming, "past": past})


@citizen_required
def new(request: HttpRequest) -> HttpResponse:
    """Step 1: which procedure (and so which department's counter)."""
    language = current_language()
    groups: dict[int, dict] = {}
    for procedure in selectors.bookable_procedures():
        group = groups.setdefault(procedure.department_id, {
            "department": procedure.department, "place": display.place(procedure.department, language), "procedures": []})  # fmt: skip
        group["procedures"].append({"slug": procedure.slug,
                                    "name": localised(procedure.current_version.definition["name"], language)})  # fmt: skip
    return render(request, "counter/bookings/new.html", {"groups": list(groups.values())})


def _calendar_context(request, department, language: str) -> dict:
    first = _day(request.GET.get("from"))
    calendar = selectors.booking_calendar(department=department, first=first)
    for day in calendar["days"]:
        day["label"] = display.day_label(day["day"], language)
        day["slots"] = [
            {"key": s.key, "label": display.time_range(s.start, s.end), "left": s.left} for s in day["slots"]
        ]
    return calendar


@citizen_required
@require_http_methods(["GET", "POST"])
@rate_limit("booking", setting="submission")
def choose(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 2: a day and a time; booking sends the confirmation e-mail."""
    procedure = selectors.procedure_get_bookable(slug=slug)
    language = current_language()
    error = ""
    if request.method == "POST":
        try:
            booking = services.booking_create(
                user=request.user, procedure=procedure, key=request.POST.get("slot", "")
            )
        except services.CounterRefused as exc:
            error = exc.message
        else:
            messages.success(request, _("予約しました。確認のメールを送りました。"))
            return redirect("counter:booking_detail", booking_id=booking.pk)
    return render(request, "counter/bookings/choose.html", {
        "procedure": procedure, "procedure_name": localised(procedure.current_version.definition["name"], language),
        "place": display.place(procedure.department, language), "to_bring": display.to_bring(procedure, language),
        "calendar": _calendar_context(request, procedure.department, language), "error": error,
        "chosen": request.POST.get("slot", ""), "action_label": _("この日時で予約する"),
    }, status=400 if error else 200)  # fmt: skip


@citizen_required
def detail(request: HttpRequest, booking_id) -> HttpResponse:
    language = current_language()
    booking = _decorate(selectors.booking_get_owned(user=request.user, booking_id=booking_id), language)
    return render(request, "counter/bookings/detail.html", {
        "booking": booking, "to_bring": display.to_bring(booking.procedure, language),
    })  # fmt: skip


@citizen_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, booking_id) -> HttpResponse:
    language = current_language()
    booking = _decorate(selectors.booking_get_owned(user=request.user, booking_id=booking_id), language)
    error = ""
    if request.method == "POST":
        try:
            services.booking_cancel(user=request.user, booking=booking)
        except services.CounterRefused as exc:
            error = exc.message
        else:
            messages.success(request, _("予約を取り消しました。確認のメールを送りました。"))
            return redirect("counter:booking_mine")
    return render(request, "counter/bookings/cancel.html", {"booking": booking, "error": error},
                  status=400 if error else 200)  # fmt: skip


@citizen_required
@require_http_methods(["GET", "POST"])
@rate_limit("booking", setting="submission")
def move(request: HttpRequest, booking_id) -> HttpResponse:
    language = current_language()
    booking = _decorate(selectors.booking_get_owned(user=request.user, booking_id=booking_id), language)
    error = ""
    if not booking.changeable:
        error = _("この予約は変更できません。")
    elif request.method == "POST":
        try:
            services.booking_move(user=request.user, booking=booking, key=request.POST.get("slot", ""))
        except services.CounterRefused as exc:
            error = exc.message
        else:
            messages.success(request, _("予約の日時を変更しました。確認のメールを送りました。"))
            return redirect("counter:booking_detail", booking_id=booking.pk)
    return render(request, "counter/bookings/choose.html", {
        "procedure": booking.procedure, "procedure_name": booking.procedure_name, "booking": booking,
        "place": booking.place, "to_bring": display.to_bring(booking.procedure, language),
        "calendar": _calendar_context(request, booking.department, language), "error": error,
        "chosen": request.POST.get("slot", ""), "action_label": _("この日時に変更する"),
    }, status=400 if error else 200)  # fmt: skip


# --- staff ---------------------------------------------------------------------------------------------------


@staff_required(*COUNTER_ROLES)
def day(request: HttpRequest) -> HttpResponse:
    """The day's bookings of a department, in time order, with check-in."""
    user = request.user
    departments = list(Department.objects.filter(pk__in=selectors.scope_department_ids(user), is_active=True)
                       .order_by("sort_order"))  # fmt: skip
    if not departments:
        raise Http404
    code = request.GET.get("department", "")
    department = next((d for d in departments if d.code == code), None)
    if department is None:
        own = selectors.counter_department_ids(user)
        department = next((d for d in departments if d.pk in own), departments[0])
    chosen = _day(request.GET.get("day")) or timezone.localdate()
    language = current_language()
    bookings = [_decorate(b, language) for b in
                selectors.bookings_for_day(user=user, department_id=department.pk, day=chosen).select_related(
                    "procedure__current_version", "department")]  # fmt: skip
    audit_record(action=AuditEvent.Action.READ, object_type="counter.booking", object_id=f"day:{chosen.isoformat()}",
                 department_code=department.code, fields=["user", "procedure"], purpose="来庁予約の一覧",
                 actor=user)  # fmt: skip
    can_manage = user.has_role(StaffRole.Role.DEPT_ADMIN, department.pk)
    return render(request, "counter/staff/day.html", {
        "departments": departments, "department": department, "day": chosen,
        "day_label": display.day_label(chosen, language), "bookings": bookings, "can_manage": can_manage,
        "session": selectors.session_open_of(user=user),
    })  # fmt: skip


@staff_required(*COUNTER_ROLES)
@require_POST
def check_in(request: HttpRequest, booking_id) -> HttpResponse:
    booking = selectors.booking_get_for_staff(user=request.user, booking_id=booking_id)
    try:
        services.booking_check_in(by=request.user, booking=booking)
    except services.CounterRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("予約番号 %(ref)s の方の来庁を受け付けました。") % {"ref": booking.reference}
        )
    return redirect(f"{_day_url(booking)}")


def _day_url(booking) -> str:
    from django.urls import reverse

    return f"{reverse('counter:booking_day')}?department={booking.department.code}&day={booking.slot.day.isoformat()}"


def _schedule_department(user, code: str) -> Department:
    """A department the user is 課管理者 of (404 otherwise)."""
    department = Department.objects.filter(code=code, is_active=True).first()
    if department is None or not user.has_role(StaffRole.Role.DEPT_ADMIN, department.pk):
        raise Http404
    return department


@staff_required(StaffRole.Role.DEPT_ADMIN)
@require_http_methods(["GET", "POST"])
def schedules(request: HttpRequest, code: str) -> HttpResponse:
    """The 課管理者 sets when the department's counter takes bookings."""
    department = _schedule_department(request.user, code)
    form = ScheduleForm(request.POST or None, department=department)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.schedule_add(by=request.user, department=department, weekdays=data["weekdays"],
                              opens_at=data["opens_at"], closes_at=data["closes_at"],
                              slot_minutes=data["slot_minutes"], capacity=data["capacity"])  # fmt: skip
        messages.success(request, _("予約を受ける時間を追加しました。"))
        return redirect("counter:schedules", code=department.code)
    names = dict(ScheduleForm.base_fields["weekdays"].choices)
    rows = [{"schedule": s, "weekdays": "・".join(str(names[str(d)]) for d in s.weekdays if str(d) in names)}
            for s in selectors.schedules_of(department)]  # fmt: skip
    return render(request, "counter/staff/schedules.html", {
        "department": department, "rows": rows, "form": form,
        "place": display.place(department, current_language()),
    }, status=400 if form.errors else 200)  # fmt: skip


@staff_required(StaffRole.Role.DEPT_ADMIN)
@require_POST
def schedule_delete(request: HttpRequest, code: str, schedule_id: int) -> HttpResponse:
    department = _schedule_department(request.user, code)
    schedule = CounterSchedule.objects.filter(pk=schedule_id, department=department).first()
    if schedule is None:
        raise Http404
    services.schedule_delete(by=request.user, schedule=schedule)
    messages.success(request, _("予約を受ける時間を削除しました。すでにある予約はそのまま残ります。"))
    return redirect("counter:schedules", code=department.code)
