"""Reads for open data: the public catalogue (search and facets), one dataset, the staff's datasets
(scoped to the departments where the user is an editor: 404 otherwise), and the coverage of the
standard datasets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from madoguchi.accounts.models import StaffRole

from .models import LICENCES, Dataset, DatasetChange, Resource, ResourceVersion
from .services import EDITOR_ROLES, search_normalise
from .standards import standard_datasets


def editor_department_ids(user) -> set[int]:
    """Departments whose datasets the user works on: 担当者, 決裁者 or 課管理者 there. Nobody else."""
    return {d for d, role in user.role_set if role in EDITOR_ROLES}


def datasets_for_staff(*, user) -> QuerySet[Dataset]:
    return (
        Dataset.objects.filter(department_id__in=editor_department_ids(user))
        .select_related("department")
        .prefetch_related(
            Prefetch(
                "changes",
                queryset=DatasetChange.objects.filter(status__in=DatasetChange.OPEN),
                to_attr="open_changes",
            )
        )
    )


def dataset_get_for_staff(*, user, name: str) -> Dataset:
    dataset = datasets_for_staff(user=user).filter(name=name).first()
    if dataset is None:
        raise Http404
    return dataset


def version_get_for_staff(*, user, name: str, version_id) -> ResourceVersion:
    dataset = dataset_get_for_staff(user=user, name=name)
    version = (
        ResourceVersion.objects.filter(pk=version_id, resource__dataset=dataset)
        .select_related("resource__dataset__department", "change")
        .first()
    )
    if version is None:
        raise Http404
    return version


def editable_departments(*, user):
    from madoguchi.organisations.models import Department

    return Department.objects.filter(pk__in=editor_department_ids(user), is_active=True)


def approval_queue(*, user) -> QuerySet[Dataset]:
    """Datasets with a change waiting for a 決裁者 of the user's departments."""
    approver_of = [d for d, role in user.role_set if role == StaffRole.Role.APPROVER]
    return Dataset.objects.filter(department_id__in=approver_of, changes__status=DatasetChange.Status.PENDING)


# --- public -------------------------------------------------------------------------------------


def public_datasets() -> QuerySet[Dataset]:
    return Dataset.objects.filter(state=Dataset.State.PUBLISHED).select_related("department")


def public_resources(dataset: Dataset) -> QuerySet[Resource]:
    return dataset.resources.filter(current_version__isnull=False, removed_at__isnull=True).select_related(
        "current_version"
    )


def dataset_get_public(*, name: str) -> Dataset:
    dataset = public_datasets().filter(name=name).first()
    if dataset is None:
        raise Http404
    return dataset


def resource_get_public(*, name: str, resource_id) -> Resource:
    dataset = dataset_get_public(name=name)
    resource = public_resources(dataset).filter(pk=resource_id).first()
    if resource is None:
        raise Http404
    return resource


@dataclass
class Facet:
    key: str
    title: str
    items: list[tuple[str, str, int]] = field(default_factory=list)  # value, label, count
    selected: str = ""


@dataclass
class SearchResult:
    datasets: list[Dataset]
    total: int
    facets: list[Facet]


SORTS = {
    "modified": ("-metadata_modified", "title"),
    "title": ("title",),
    "downloads": ("-download_count", "title"),
}


def _filtered(query: str, filters: dict[str, str], skip: str = "") -> QuerySet[Dataset]:
    datasets = public_datasets()
    for word in query.split():
        condition = Q()
        for form in search_normalise(word).split():
            condition |= Q(search_text__contains=form)
        datasets = datasets.filter(condition)
    if filters.get("organization") and skip != "organization":
        datasets = datasets.filter(department__code=filters["organization"])
    if filters.get("tag") and skip != "tag":
        datasets = datasets.filter(tags__name=filters["tag"])
    if filters.get("res_format") and skip != "res_format":
        datasets = datasets.filter(
            resources__format__iexact=filters["res_format"],
            resources__current_version__isnull=False,
            resources__removed_at__isnull=True,
        )
    if filters.get("license_id") and skip != "license_id":
        datasets = datasets.filter(license_id=filters["license_id"])
    return datasets.distinct()


def catalogue_search(
    *, query: str = "", filters: dict[str, str] | None = None, sort: str = "modified"
) -> SearchResult:
    """Published datasets matching the words (kanji, either kana), with facet counts.

    Each facet counts over the datasets the other filters select (as CKAN's faceted search does).
    """
    filters = {k: v for k, v in (filters or {}).items() if v}
    # Disaster mode's urgent datasets first.
    datasets = _filtered(query, filters).order_by("-urgent", *SORTS.get(sort, SORTS["modified"]))
    result = list(datasets.prefetch_related("tags"))
    facets = []

    ids = _filtered(query, filters, skip="organization").values("pk")
    rows = (
        Dataset.objects.filter(pk__in=ids)
        .values("department__code", "department__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "department__name")
    )
    facets.append(
        Facet(
            "organization",
            "担当課",
            [(r["department__code"], r["department__name"], r["n"]) for r in rows],
            filters.get("organization", ""),
        )
    )

    ids = _filtered(query, filters, skip="tag").values("pk")
    rows = (
        Dataset.objects.filter(pk__in=ids)
        .values("tags__name")
        .exclude(tags__name=None)
        .annotate(n=Count("pk"))
        .order_by("-n", "tags__name")[:30]
    )
    facets.append(
        Facet(
            "tag", "タグ", [(r["tags__name"], r["tags__name"], r["n"]) for r in rows], filters.get("tag", "")
        )
    )

    ids = _filtered(query, filters, skip="res_format").values("pk")
    counter: Counter[str] = Counter()
    for _dataset_id, fmt in (
        Resource.objects.filter(dataset_id__in=ids, current_version__isnull=False, removed_at__isnull=True)
        .values_list("dataset_id", "format")
        .distinct()
    ):
        if fmt:
            counter[fmt] += 1
    facets.append(
        Facet(
            "res_format",
            "形式",
            [(f, f, n) for f, n in sorted(counter.items(), key=lambda x: (-x[1], x[0]))],
            filters.get("res_format", ""),
        )
    )

    ids = _filtered(query, filters, skip="license_id").values("pk")
    rows = Dataset.objects.filter(pk__in=ids).values("license_id").annotate(n=Count("pk")).order_by("-n")
    facets.append(
        Facet(
            "license_id",
            "利用条件",
            [
                (
                    r["license_id"],
                    LICENCES[r["license_id"]].title if r["license_id"] in LICENCES else r["license_id"],
                    r["n"],
                )
                for r in rows
            ],
            filters.get("license_id", ""),
        )
    )
    return SearchResult(result, len(result), facets)


# --- coverage -----------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    standard_id: str
    name: str
    status: str  # published, stale, missing
    datasets: list[Dataset]
    in_progress: list[Dataset]


def coverage(*, today: date | None = None) -> list[CoverageRow]:
    """For each standard dataset: published by the city (and up to date), stale (overdue), or missing."""
    today = today or timezone.localdate()
    rows = []
    conformant = list(Dataset.objects.exclude(conforms_to="").select_related("department").order_by("title"))
    for standard in standard_datasets().values():
        mine = [d for d in conformant if d.conforms_to == standard.id]
        public = [d for d in mine if d.is_public]
        drafts = [d for d in mine if d.state in (Dataset.State.DRAFT, Dataset.State.PENDING)]
        if not public:
            status = "missing"
        elif all(d.is_overdue(today) for d in public):
            status = "stale"
        else:
            status = "published"
        rows.append(CoverageRow(standard.id, standard.name, status, public, drafts))
    return rows


def overdue_datasets(*, today: date | None = None) -> QuerySet[Dataset]:
    today = today or timezone.localdate()
    return public_datasets().filter(next_due__lt=today).order_by("next_due")
