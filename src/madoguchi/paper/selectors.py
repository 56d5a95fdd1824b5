"""Reads of the paper channel, scoped to the departments where the user is a 担当者."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from madoguchi.accounts.models import StaffRole
from madoguchi.organisations.models import Department

from .models import PageJob, PaperApplication, ScanBatch, ScanPage

ROLES = (StaffRole.Role.HANDLER,)


def paper_department_ids(user) -> set[int]:
    return set(StaffRole.objects.filter(user=user, role__in=ROLES).values_list("department_id", flat=True))


def paper_departments(user) -> QuerySet[Department]:
    return Department.objects.filter(pk__in=paper_department_ids(user), is_active=True).order_by("sort_order")


def batch_list(*, user) -> QuerySet[ScanBatch]:
    return (
        ScanBatch.objects.filter(department_id__in=paper_department_ids(user))
        .select_related("department")
        .annotate(
            done=Count(
                "jobs", filter=Q(jobs__status__in=[PageJob.Status.DONE, PageJob.Status.FAILED]), distinct=True
            ),
            pending=Count(
                "applications", filter=Q(applications__state=PaperApplication.State.PENDING), distinct=True
            ),
        )
        .order_by("-created_at")
    )


def batch_get(*, user, batch_id) -> ScanBatch:
    batch = ScanBatch.objects.filter(pk=batch_id, department_id__in=paper_department_ids(user)).first()
    if batch is None:
        raise Http404
    return batch


def batch_progress(*, batch: ScanBatch) -> dict:
    jobs = PageJob.objects.filter(batch=batch)
    done = jobs.filter(status__in=[PageJob.Status.DONE, PageJob.Status.FAILED]).count()
    applications = PaperApplication.objects.filter(batch=batch)
    return {
        "pages": batch.page_count, "read": done, "finished": done == batch.page_count and batch.assembled_at,
        "applications": applications.count(),
        "confirmed": applications.filter(state=PaperApplication.State.FILED).count(),
        "pending": applications.filter(state=PaperApplication.State.PENDING).count(),
        "unidentified": ScanPage.objects.filter(batch=batch, state=ScanPage.State.UNIDENTIFIED).count(),
    }  # fmt: skip


def application_get(*, user, application_id) -> PaperApplication:
    application = (
        PaperApplication.objects.select_related("batch__department", "version__procedure", "submission")
        .filter(pk=application_id, batch__department_id__in=paper_department_ids(user))
        .first()
    )
    if application is None:
        raise Http404
    return application


def application_next(*, application: PaperApplication) -> PaperApplication | None:
    return (
        PaperApplication.objects.filter(batch=application.batch, state=PaperApplication.State.PENDING)
        .exclude(pk=application.pk)
        .order_by("position")
        .first()
    )


def page_get(*, user, page_id) -> ScanPage:
    page = (
        ScanPage.objects.select_related("batch__department", "image", "version")
        .filter(pk=page_id, batch__department_id__in=paper_department_ids(user))
        .first()
    )
    if page is None:
        raise Http404
    return page


def unidentified_pages(*, user) -> QuerySet[ScanPage]:
    return (
        ScanPage.objects.filter(
            batch__department_id__in=paper_department_ids(user), state=ScanPage.State.UNIDENTIFIED
        )
        .select_related("batch__department")
        .order_by("batch__created_at", "number")
    )


def correction_stats(*, user) -> list[dict]:
    """How often staff corrected what was read, per engine and field type (their departments)."""
    from .models import ReadingOutcome

    rows = (
        ReadingOutcome.objects.filter(application__batch__department_id__in=paper_department_ids(user))
        .values("engine", "field_type")
        .annotate(total=Count("id"), corrected=Count("id", filter=Q(corrected=True)))
        .order_by("engine", "field_type")
    )
    return list(rows)
