"""The CKAN Action API (``/api/3/action/<name>``): what harvesters and CKAN clients call.

Each action takes the request's parameters (a dict, as CKAN's ``data_dict``) and a ``Caller`` (the
site's base URL and the write token, if any) and returns the ``result`` of CKAN's envelope, or
raises one of CKAN's error types (``ActionError`` subclasses), which ``ckan_views`` turns into
``{"help": …, "success": false, "error": {"__type": …, "message": …}}`` with CKAN's HTTP codes.

Only published datasets are visible (with their approved resources); a write token also sees its
own department's datasets by id or name in ``package_show``/``resource_show``, as CKAN shows an
organisation's private datasets to its members. The mapping (docs/opendata-api.md):

* organization = department (``name`` and ``id`` = the department code, ``title`` = its name);
* group = theme: one group per EU data theme (``Dataset.Theme``), ``name`` = the lower-case code;
* tag = ``Tag``; a dataset that conforms to a standard dataset also carries the tags national
  aggregators look for: ``自治体標準ODS`` and the standard dataset's name (e.g. ``AED設置箇所一覧``);
* package fields as in ``models.Dataset``'s docstring; times are UTC without a zone, as CKAN's.

Hand-written (no library serves CKAN's API from Django); the shapes follow CKAN 2.10's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import get_script_prefix, reverse

from madoguchi.organisations.models import Department
from madoguchi.organisations.selectors import municipality_get_current

from . import ckan_search
from .ckan_search import STANDARD_TAG, QueryError
from .models import LICENCES, THEME_URI_BASE, Dataset, DatasetActivity, OpenDataApiToken, Resource, Tag
from .standards import standard_datasets

logger = logging.getLogger(__name__)

API_VERSION = 3
CKAN_VERSION = "2.10.0"  # the CKAN API level these actions follow (status_show)
ROWS_DEFAULT, ROWS_MAX = 10, 1000
FACET_LIMIT_DEFAULT = 50
LIST_LIMIT_MAX = 1000
ACTIVITY_LIMIT_DEFAULT, ACTIVITY_LIMIT_MAX = 31, 100
TAG_NAMESPACE = uuid.UUID("6f1b8f0e-6a43-4c59-9a7e-1d1b3c2f4e5a")  # tag ids: uuid5(namespace, name)


# --- CKAN's errors -------------------------------------------------------------------------------------


class ActionError(Exception):
    status = 500
    type = "Internal Server Error"
    prefix = ""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message

    def error(self) -> dict:
        text = self.prefix + (f": {self.message}" if self.message else "") if self.prefix else self.message
        return {"__type": self.type, "message": text}


class NotFound(ActionError):
    status, type, prefix = 404, "Not Found Error", "Not found"


class NotAuthorized(ActionError):
    status, type, prefix = 403, "Authorization Error", "Access denied"


class ValidationFailed(ActionError):
    """CKAN's ValidationError: ``{"field": ["message", …], "__type": "Validation Error"}`` with 409."""

    status, type = 409, "Validation Error"

    def __init__(self, errors: dict[str, list[str] | str]):
        self.errors = {k: v if isinstance(v, list) else [v] for k, v in errors.items()}
        super().__init__(json.dumps(self.errors, ensure_ascii=False))

    def error(self) -> dict:
        return {**self.errors, "__type": self.type}


class SearchQueryError(ActionError):
    status, type = 400, "Search Query Error"

    def error(self) -> dict:
        return {"__type": self.type, "message": f"Search Query is invalid: {self.message!r}"}


# --- the caller --------------------------------------------------------------------------------------------


@dataclass
class Caller:
    base_url: str  # scheme and host, no trailing slash
    token: OpenDataApiToken | None = None
    files: dict = field(default_factory=dict)

    def absolute(self, path: str) -> str:
        return self.base_url + path


# --- parameters -------------------------------------------------------------------------------------------


def _str(params: dict, name: str, default: str = "") -> str:
    value = params.get(name, default)
    if value is None:
        return default
    if isinstance(value, list):
        value = value[0] if value else default
    if not isinstance(value, str | int | float):
        raise ValidationFailed({name: ["文字列で指定してください。 (Must be a string)"]})
    return str(value)


def _int(params: dict, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    if isinstance(value, list):
        value = value[0]
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed({name: ["Invalid integer"]}) from None
    if number < minimum:
        raise ValidationFailed({name: [f"Must be a natural number of at least {minimum}"]})
    if maximum is not None:
        number = min(number, maximum)  # CKAN caps rows and limits silently
    return number


def _bool(params: dict, name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def _json_list(params: dict, name: str) -> list[str]:
    """A list of strings, given as a list (JSON body) or a JSON string (query string), as CKAN takes it."""
    value = params.get(name)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed({name: ["Not a list of strings"]})
    return value


def _id_param(params: dict, name: str = "id") -> str:
    value = _str(params, name).strip()
    if not value:
        raise ValidationFailed({name: ["Missing value"]})
    return value


# --- formats ----------------------------------------------------------------------------------------------


def ckan_time(value: datetime | None) -> str | None:
    """CKAN's time stamps: UTC, ISO 8601 without a zone, microseconds."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds").removesuffix("+00:00")


_NAME, _ID = "d-a-t-a-s-e-t", "00000000-0000-4000-8000-000000000000"


@cache
def _path_templates(script_prefix: str) -> tuple[str, str]:
    """The dataset page and download paths with placeholders: one ``reverse`` per process, not per row."""
    page = reverse("opendata:dataset", kwargs={"name": _NAME})
    download = reverse("opendata:download", kwargs={"name": _NAME, "resource_id": _ID})
    return page, download


def dataset_page_path(dataset: Dataset) -> str:
    return _path_templates(get_script_prefix())[0].replace(_NAME, dataset.name)


def resource_access_url(resource: Resource, caller: Caller) -> str:
    """A link resource's own URL; for a file, our download URL (as ``services.resource_url`` makes it)."""
    version = resource.current_version
    if resource.url and not (version is not None and version.file):
        return resource.url
    path = (
        _path_templates(get_script_prefix())[1]
        .replace(_NAME, resource.dataset.name)
        .replace(_ID, str(resource.pk))
    )
    return caller.base_url + path


# --- representations -----------------------------------------------------------------------------------


def standards_by_id() -> dict[str, str]:
    return {sid: s.name for sid, s in standard_datasets().items()}


@lru_cache(maxsize=4096)
def _tag_id(name: str) -> str:
    return str(uuid.uuid5(TAG_NAMESPACE, name))


def tag_dict(name: str) -> dict:
    return {
        "id": _tag_id(name),
        "name": name,
        "display_name": name,
        "state": "active",
        "vocabulary_id": None,
    }


def dataset_tag_names(dataset: Dataset, standards: dict[str, str] | None = None) -> list[str]:
    """The dataset's tags, and for a standard dataset 自治体標準ODS and the standard's name."""
    loaded = getattr(dataset, "tag_name_list", None)
    names = list(loaded) if loaded is not None else [t.name for t in dataset.tags.all()]
    if dataset.conforms_to:
        standard = (standards if standards is not None else standards_by_id()).get(dataset.conforms_to)
        for extra in (STANDARD_TAG, standard):
            if extra and extra not in names:
                names.append(extra)
    return sorted(names)


def organization_dict(department: Department, *, package_count: int | None = None) -> dict:
    result = {
        "id": department.code,
        "name": department.code,
        "title": department.name,
        "display_name": department.name,
        "title_en": department.name_en,
        "description": department.division,
        "type": "organization",
        "is_organization": True,
        "approval_status": "approved",
        "state": "active" if department.is_active else "deleted",
        "image_url": "",
        "image_display_url": "",
        "created": None,
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def group_dict(code: str, *, package_count: int | None = None) -> dict:
    label = str(Dataset.Theme(code).label)
    result = {
        "id": code.lower(),
        "name": code.lower(),
        "title": label,
        "display_name": label,
        "description": "",
        "type": "group",
        "is_organization": False,
        "approval_status": "approved",
        "state": "active",
        "image_url": "",
        "image_display_url": "",
        "created": None,
        "uri": THEME_URI_BASE + code,
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def public_resources(dataset: Dataset) -> list[Resource]:
    """Approved, not removed, in order (uses what ``load_for_output`` loaded, when there)."""
    resources = getattr(dataset, "public_resource_list", None)
    if resources is None:
        resources = list(
            dataset.resources.filter(current_version__isnull=False, removed_at__isnull=True)
            .select_related("current_version")
            .order_by("position", "created")
        )
    return resources


def resource_dict(
    resource: Resource, caller: Caller, *, position: int = 0, dataset: Dataset | None = None
) -> dict:
    version = resource.current_version
    is_file = bool(version is not None and version.file)
    dataset = dataset or resource.dataset
    return {
        "id": str(resource.pk),
        "package_id": str(dataset.pk),
        "name": resource.name,
        "description": resource.description,
        "format": resource.format,
        "url": resource_access_url(resource, caller),
        "url_type": "upload" if is_file else None,
        "mimetype": (version.media_type or None) if version is not None else None,
        "size": version.size if version is not None else None,
        "hash": version.hash if version is not None else "",
        "encoding": (version.encoding or None) if version is not None else None,
        "created": ckan_time(resource.created),
        "last_modified": ckan_time(resource.last_modified or (version.published_at if version else None)),
        "metadata_modified": ckan_time(resource.last_modified or resource.created),
        "position": position,
        "state": "active",
        "resource_type": None,
        "datastore_active": False,
        "cache_url": None,
        "derived_from": str(resource.derived_from_id) if resource.derived_from_id else None,
    }


def _extras(dataset: Dataset, standards: dict[str, str]) -> list[dict]:
    values = {
        "frequency": dataset.frequency_uri,
        "theme": dataset.theme_uri,
        "spatial": dataset.spatial,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else "",
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else "",
        "conforms_to": dataset.conforms_to,
        "conforms_to_title": standards.get(dataset.conforms_to, "") if dataset.conforms_to else "",
        "issued": ckan_time(dataset.published_at) or "",
        "next_due": dataset.next_due.isoformat() if dataset.next_due else "",
        "language": "ja",
    }
    return [{"key": k, "value": v} for k, v in values.items() if v]


def _memo(memo: dict | None, key, make):
    """The same organization or group dict for every dataset of one answer (a copy each: callers may edit)."""
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    return dict(memo[key])


def package_dict(dataset: Dataset, caller: Caller, *, standards: dict[str, str] | None = None,
                 memo: dict | None = None) -> dict:  # fmt: skip
    standards = standards if standards is not None else standards_by_id()
    licence = dataset.licence
    department = dataset.department
    resources = public_resources(dataset)
    tags = dataset_tag_names(dataset, standards)
    state = {"published": "active", "withdrawn": "deleted"}.get(dataset.state, "draft")
    return {
        "id": str(dataset.pk),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.notes,
        "type": "dataset",
        "state": state,
        "private": not dataset.is_public,
        "author": department.name,
        "author_email": None,
        "maintainer": dataset.contact_name or department.name,
        "maintainer_email": dataset.contact_email or None,
        "license_id": licence.id,
        "license_title": licence.title,
        "license_url": licence.url,
        "isopen": licence.od_conformant,
        "url": caller.absolute(dataset_page_path(dataset)),
        "version": None,
        "metadata_created": ckan_time(dataset.metadata_created),
        "metadata_modified": ckan_time(dataset.metadata_modified),
        "creator_user_id": None,
        "owner_org": department.code,
        "organization": _memo(memo, ("org", department.pk), lambda: organization_dict(department)),
        "groups": [_memo(memo, ("group", dataset.theme), lambda: group_dict(dataset.theme))],
        "tags": [tag_dict(n) for n in tags],
        "num_tags": len(tags),
        "extras": _extras(dataset, standards),
        "resources": [resource_dict(r, caller, position=i, dataset=dataset) for i, r in enumerate(resources)],
        "num_resources": len(resources),
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


# --- reads ------------------------------------------------------------------------------------------------


def public_datasets() -> QuerySet[Dataset]:
    return Dataset.objects.filter(state=Dataset.State.PUBLISHED)


def load_for_output(queryset: QuerySet[Dataset]) -> list[Dataset]:
    """The datasets (already filtered, ordered and sliced) with everything ``package_dict`` reads, in
    four queries however many: departments, resources with their current versions, and tag names
    (as plain strings: building a Tag object per dataset and tag was the slowest part of a page)."""
    datasets = list(
        queryset.defer("search_text").prefetch_related(
            "department",
            Prefetch(
                "resources",
                queryset=Resource.objects.filter(current_version__isnull=False, removed_at__isnull=True)
                .select_related("current_version")
                .only(*RESOURCE_FIELDS)
                .order_by("position", "created"),
                to_attr="public_resource_list",
            ),
        )
    )
    names: dict = {d.pk: [] for d in datasets}
    if names:
        through = Dataset.tags.through.objects.filter(dataset_id__in=list(names))
        for dataset_id, name in through.values_list("dataset_id", "tag__name"):
            names[dataset_id].append(name)
    for dataset in datasets:
        dataset.tag_name_list = names[dataset.pk]
    return datasets


# What resource_dict and DCAT read of a resource and its current version (not the intake report,
# the Table Schema or the original upload, which can be large).
RESOURCE_FIELDS = (
    "id", "dataset_id", "name", "description", "format", "url", "position", "created", "last_modified",
    "derived_from_id", "removed_at", "current_version__id", "current_version__file", "current_version__url",
    "current_version__media_type", "current_version__size", "current_version__sha256",
    "current_version__encoding", "current_version__published_at",
)  # fmt: skip


def _find_dataset(ref: str, caller: Caller) -> Dataset:
    """A dataset by id or name: published, or (with a token) of the token's department."""
    ref = ref.strip()
    lookup = Q(name=ref)
    with contextlib.suppress(ValueError):
        lookup |= Q(pk=uuid.UUID(ref))
    visible = Q(state=Dataset.State.PUBLISHED)
    if caller.token is not None:
        visible |= Q(department_id=caller.token.department_id)
    found = load_for_output(Dataset.objects.filter(lookup).filter(visible)[:1])
    dataset = found[0] if found else None
    if dataset is None:
        raise NotFound("Dataset not found")
    return dataset


def _find_resource(ref: str, caller: Caller) -> Resource:
    try:
        pk = uuid.UUID(ref.strip())
    except ValueError:
        raise NotFound("Resource was not found.") from None
    resource = (
        Resource.objects.select_related("dataset__department", "current_version")
        .filter(pk=pk, removed_at__isnull=True)
        .first()
    )
    if resource is None:
        raise NotFound("Resource was not found.")
    dataset = resource.dataset
    own = caller.token is not None and dataset.department_id == caller.token.department_id
    if not own and not (dataset.is_public and resource.is_public):
        raise NotFound("Resource was not found.")
    return resource


def _departments() -> QuerySet[Department]:
    municipality = municipality_get_current()
    queryset = Department.objects.filter(is_active=True)
    if municipality is not None:
        queryset = queryset.filter(municipality=municipality)
    return queryset


def site_title() -> str:
    municipality = municipality_get_current()
    return f"{municipality.name} オープンデータ" if municipality else "オープンデータ"


# --- actions ----------------------------------------------------------------------------------------------


def status_show(params: dict, caller: Caller) -> dict:
    """Site information: the CKAN API level followed, title, URL, default locale and our extensions."""
    return {
        "ckan_version": CKAN_VERSION,
        "site_title": site_title(),
        "site_description": "",
        "site_url": caller.base_url,
        "locale_default": "ja",
        "error_emails_to": None,
        "extensions": ["madoguchi", "dcat", "structured_data"],
    }


def _limit_offset(params: dict, *, default_limit: int | None = None, maximum: int = LIST_LIMIT_MAX):
    limit = _int(params, "limit", default_limit or maximum, minimum=0, maximum=maximum)
    offset = _int(params, "offset", 0, minimum=0)
    return limit, offset


def package_list(params: dict, caller: Caller) -> list[str]:
    """The names of the published datasets, by name (``limit``, ``offset``)."""
    limit, offset = _limit_offset(params)
    names = public_datasets().order_by("name").values_list("name", flat=True)
    return list(names[offset : offset + limit])


def current_package_list_with_resources(params: dict, caller: Caller) -> list[dict]:
    """Published datasets with their resources, most recently modified first (``limit``, ``offset``, ``page``)."""
    limit = _int(params, "limit", 100, minimum=1, maximum=LIST_LIMIT_MAX)
    offset = _int(params, "offset", 0, minimum=0)
    if params.get("page") not in (None, ""):
        offset = (_int(params, "page", 1, minimum=1) - 1) * limit
    page = load_for_output(public_datasets().order_by("-metadata_modified", "id")[offset : offset + limit])
    standards, memo = standards_by_id(), {}
    return [package_dict(d, caller, standards=standards, memo=memo) for d in page]


def _compile(text: str, compiler: ckan_search.Compiler) -> Q:
    try:
        return compiler.compile(ckan_search.parse(text))
    except QueryError as exc:
        raise SearchQueryError(str(exc)) from None


def search_queryset(q: str, fq_list: list[str], *, standards: dict[str, str]) -> QuerySet[Dataset]:
    """The published datasets matching ``q`` and every ``fq`` (Solr syntax, see ``ckan_search``)."""
    compiler = ckan_search.Compiler(standards=standards)
    condition = _compile(q, compiler)
    for fq in fq_list:
        condition &= _compile(fq, compiler)
    return public_datasets().filter(condition)


FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")


def _facet_counts(queryset: QuerySet[Dataset], name: str, standards: dict[str, str]) -> dict[str, int]:
    ids = queryset.values("pk")
    if name == "organization":
        rows = queryset.order_by().values_list("department__code").annotate(n=Count("pk"))
        return dict(rows)
    if name == "groups":
        rows = queryset.order_by().values_list("theme").annotate(n=Count("pk"))
        return {theme.lower(): n for theme, n in rows}
    if name == "license_id":
        return dict(queryset.order_by().values_list("license_id").annotate(n=Count("pk")))
    if name == "res_format":
        rows = (
            Resource.objects.filter(dataset__in=ids, current_version__isnull=False, removed_at__isnull=True)
            .exclude(format="")
            .order_by()
            .values_list("format")
            .annotate(n=Count("dataset", distinct=True))
        )
        return dict(rows)
    if name == "tags":
        counts = dict(
            Tag.objects.filter(datasets__in=ids).order_by().values_list("name").annotate(n=Count("datasets"))
        )
        # The standard-dataset tags are given, not stored: count them from conforms_to, and precisely
        # (one query each) only where a dataset also carries such a tag by hand.
        by_standard = dict(
            queryset.exclude(conforms_to="").order_by().values_list("conforms_to").annotate(n=Count("pk"))
        )
        given = {STANDARD_TAG: sum(by_standard.values())}
        for sid, n in by_standard.items():
            if sid in standards:
                given[standards[sid]] = n
        for tag_name, n in given.items():
            if not n:
                continue
            if tag_name in counts:
                counts[tag_name] = _count_tag(queryset, tag_name, standards)
            else:
                counts[tag_name] = n
        return counts
    raise SearchQueryError(f"cannot facet on {name}")


def _count_tag(queryset: QuerySet[Dataset], tag_name: str, standards: dict[str, str]) -> int:
    compiler = ckan_search.Compiler(standards=standards)
    return queryset.filter(
        compiler.compile(ckan_search.Node("field", field="tags", value=("term", tag_name)))
    ).count()


def _facet_titles(name: str) -> dict[str, str]:
    if name == "organization":
        return dict(_departments().values_list("code", "name"))
    if name == "groups":
        return {code.lower(): str(label) for code, label in Dataset.Theme.choices}
    if name == "license_id":
        return {k: v.title for k, v in LICENCES.items()}
    return {}


def package_search(params: dict, caller: Caller) -> dict:
    """Search the published datasets: ``q``, ``fq``, ``fq_list``, ``sort``, ``rows``, ``start``,
    ``facet``, ``facet.field``, ``facet.limit``, ``facet.mincount`` (docs/opendata-api.md)."""
    standards = standards_by_id()
    q = _str(params, "q", "")
    fq_list = [_str({"fq": v}, "fq") for v in _as_list(params.get("fq"))] + _json_list(params, "fq_list")
    rows = _int(params, "rows", ROWS_DEFAULT, minimum=0, maximum=ROWS_MAX)
    start = _int(params, "start", 0, minimum=0)
    sort = _str(params, "sort", "") or ckan_search.DEFAULT_SORT
    try:
        ordering = ckan_search.order_by(sort)
    except QueryError as exc:
        raise SearchQueryError(str(exc)) from None
    if not _str(params, "sort", ""):
        ordering = ["-urgent", *ordering]  # the default order: disaster mode's urgent datasets first
    queryset = search_queryset(q, fq_list, standards=standards)
    count = queryset.count()
    memo: dict = {}
    page = load_for_output(queryset.order_by(*ordering)[start : start + rows]) if rows else []
    result = {
        "count": count,
        "sort": sort,
        "results": [package_dict(d, caller, standards=standards, memo=memo) for d in page],
        "facets": {},
        "search_facets": {},
    }
    facet_fields = _json_list(params, "facet.field")
    if facet_fields and _bool(params, "facet", True):
        limit = _int(params, "facet.limit", FACET_LIMIT_DEFAULT, minimum=-1)
        mincount = _int(params, "facet.mincount", 1, minimum=0)
        for name in facet_fields:
            if name not in FACET_FIELDS:
                raise SearchQueryError(f"cannot facet on {name}")
            counts = {
                k: n for k, n in _facet_counts(queryset, name, standards).items() if n >= mincount and k
            }
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if limit >= 0:
                ordered = ordered[:limit]
            titles = _facet_titles(name)
            result["facets"][name] = dict(ordered)
            result["search_facets"][name] = {
                "title": name,
                "items": [{"name": k, "display_name": titles.get(k, k), "count": n} for k, n in ordered],
            }
    return result


def _as_list(value) -> list:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def package_show(params: dict, caller: Caller) -> dict:
    """One dataset by ``id`` (its id or name)."""
    return package_dict(_find_dataset(_id_param(params), caller), caller)


def resource_show(params: dict, caller: Caller) -> dict:
    """One resource by ``id``."""
    resource = _find_resource(_id_param(params), caller)
    position = next((i for i, r in enumerate(public_resources(resource.dataset)) if r.pk == resource.pk), 0)
    return resource_dict(resource, caller, position=position)


RESOURCE_SEARCH_FIELDS = {"name", "description", "format", "url", "hash", "id", "package_id", "mimetype"}


def resource_search(params: dict, caller: Caller) -> dict:
    """Resources of published datasets matching ``query`` ("field:term" or a list of them, all must
    match; case-insensitive "contains", ``hash`` a prefix), ``order_by``, ``offset``, ``limit``."""
    terms = _as_list(params.get("query"))
    if isinstance(params.get("query"), str) and params["query"].startswith("["):
        terms = _json_list(params, "query")
    if not terms:
        raise ValidationFailed({"query": ["Missing value"]})
    queryset = Resource.objects.filter(
        dataset__state=Dataset.State.PUBLISHED, current_version__isnull=False, removed_at__isnull=True
    ).select_related("dataset__department", "current_version")
    for term in terms:
        if not isinstance(term, str) or ":" not in term:
            raise ValidationFailed({"query": ["Resource search query must be field:term"]})
        name, _colon, value = term.partition(":")
        name = name.strip()
        if name not in RESOURCE_SEARCH_FIELDS:
            raise ValidationFailed({"query": [f"Field {name!r} not recognised in resource_search."]})
        value = value.strip()
        if name == "hash":
            queryset = queryset.filter(
                current_version__sha256__startswith=value.removeprefix("sha256:").lower()
            )
        elif name == "id":
            try:
                queryset = queryset.filter(pk=uuid.UUID(value))
            except ValueError:
                queryset = queryset.none()
        elif name == "package_id":
            try:
                queryset = queryset.filter(dataset_id=uuid.UUID(value))
            except ValueError:
                queryset = queryset.filter(dataset__name=value)
        elif name == "mimetype":
            queryset = queryset.filter(current_version__media_type__icontains=value)
        elif name == "url":
            queryset = queryset.filter(Q(url__icontains=value) | Q(pk__in=_file_resources_matching(value)))
        else:
            queryset = queryset.filter(**{f"{name}__icontains": value})
    order = _str(params, "order_by", "")
    if order and order not in {"name", "description", "format", "created", "position", "id"}:
        raise ValidationFailed({"order_by": [f"Cannot order by field {order!r}"]})
    queryset = queryset.order_by(order or "dataset__name", "position", "id")
    limit = _int(params, "limit", LIST_LIMIT_MAX, minimum=0, maximum=LIST_LIMIT_MAX)
    offset = _int(params, "offset", 0, minimum=0)
    count = queryset.count()
    return {"count": count, "results": [resource_dict(r, caller) for r in queryset[offset : offset + limit]]}


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _file_resources_matching(value: str):
    """File resources whose download URL (made of the dataset name and the resource id) contains
    ``value``: by the dataset's name, or by a resource id in it."""
    condition = Q(dataset__name__icontains=value, current_version__file__gt="")
    for found in _UUID.findall(value):
        condition |= Q(pk=uuid.UUID(found))
    return Resource.objects.filter(condition).values("pk")


def _published_counts(field_name: str) -> dict:
    return dict(public_datasets().order_by().values_list(field_name).annotate(n=Count("pk")))


def _list_objects(params: dict, items: list[dict], *, name_key: str = "name") -> list:
    sort = _str(params, "sort", "title asc").strip() or "title asc"
    field_name, _sp, direction = sort.partition(" ")
    key = {"name": "name", "title": "title", "package_count": "package_count"}.get(field_name)
    if key is None:
        raise ValidationFailed({"sort": [f"Cannot sort by field {field_name!r}"]})
    items.sort(key=lambda d: (d[key], d["name"]), reverse=direction.strip().lower() == "desc")
    limit, offset = _limit_offset(params)
    items = items[offset : offset + limit]
    if _bool(params, "all_fields", False):
        if not _bool(params, "include_dataset_count", True):
            for item in items:
                item.pop("package_count", None)
        return items
    return [item[name_key] for item in items]


def organization_list(params: dict, caller: Caller) -> list:
    """The departments (organizations): names, or dicts with ``all_fields``; ``sort``, ``limit``,
    ``offset``, ``organizations`` (only these)."""
    counts = _published_counts("department__code")
    wanted = set(_json_list(params, "organizations"))
    items = [
        organization_dict(d, package_count=counts.get(d.code, 0))
        for d in _departments()
        if not wanted or d.code in wanted
    ]
    return _list_objects(params, items)


def organization_show(params: dict, caller: Caller) -> dict:
    """One department (``id`` = its code), with ``include_datasets`` (up to 1000, newest first)."""
    code = _id_param(params)
    department = _departments().filter(code=code).first()
    if department is None:
        raise NotFound("Organization was not found.")
    datasets = public_datasets().filter(department=department)
    result = organization_dict(department, package_count=datasets.count())
    result.update({"users": [], "extras": [], "groups": [], "tags": []})
    if _bool(params, "include_datasets", False):
        standards = standards_by_id()
        page = load_for_output(datasets.order_by("-metadata_modified", "id")[:LIST_LIMIT_MAX])
        result["packages"] = [package_dict(d, caller, standards=standards) for d in page]
    return result


def group_list(params: dict, caller: Caller) -> list:
    """The themes (groups): names, or dicts with ``all_fields``."""
    counts = {k.lower(): n for k, n in _published_counts("theme").items()}
    wanted = set(_json_list(params, "groups"))
    items = [
        group_dict(code, package_count=counts.get(code.lower(), 0))
        for code in Dataset.Theme.values
        if not wanted or code.lower() in wanted
    ]
    return _list_objects(params, items)


def group_show(params: dict, caller: Caller) -> dict:
    """One theme (``id`` = its lower-case code), with ``include_datasets``."""
    code = _id_param(params).upper()
    if code not in Dataset.Theme.values:
        raise NotFound("Group was not found.")
    datasets = public_datasets().filter(theme=code)
    result = group_dict(code, package_count=datasets.count())
    result.update({"users": [], "extras": [], "groups": [], "tags": []})
    if _bool(params, "include_datasets", False):
        standards = standards_by_id()
        page = load_for_output(datasets.order_by("-metadata_modified", "id")[:LIST_LIMIT_MAX])
        result["packages"] = [package_dict(d, caller, standards=standards) for d in page]
    return result


def tag_list(params: dict, caller: Caller) -> list:
    """The tags of published datasets (with the standard-dataset tags): names, or dicts with
    ``all_fields``; ``query`` keeps those containing it."""
    names = set(
        Tag.objects.filter(datasets__state=Dataset.State.PUBLISHED).values_list("name", flat=True).distinct()
    )
    standards = standards_by_id()
    conforming = set(public_datasets().exclude(conforms_to="").values_list("conforms_to", flat=True))
    if conforming:
        names.add(STANDARD_TAG)
        names.update(standards[s] for s in conforming if s in standards)
    if query := _str(params, "query", "").strip():
        names = {n for n in names if query.lower() in n.lower()}
    ordered = sorted(names)
    if _bool(params, "all_fields", False):
        return [tag_dict(n) for n in ordered]
    return ordered


def license_list(params: dict, caller: Caller) -> list[dict]:
    """The licences a dataset may carry (CKAN's licence dicts)."""
    return [
        {
            "id": licence.id,
            "title": licence.title,
            "title_en": licence.title_en,
            "url": licence.url,
            "od_conformance": "approved" if licence.od_conformant else "not reviewed",
            "osd_conformance": "not reviewed",
            "is_okd_compliant": licence.od_conformant,
            "is_osi_compliant": False,
            "is_generic": False,
            "domain_content": True,
            "domain_data": True,
            "domain_software": False,
            "family": "",
            "maintainer": "",
            "status": "active",
        }
        for licence in LICENCES.values()
    ]


ACTIVITY_TYPES = {
    DatasetActivity.Kind.NEW: "new package",
    DatasetActivity.Kind.CHANGED: "changed package",
    DatasetActivity.Kind.DELETED: "deleted package",
}


def package_activity_list(params: dict, caller: Caller) -> list[dict]:
    """What happened to a published dataset, newest first (``id``, ``offset``, ``limit``); ``user_id``
    names the department, never a person, and ``data.package`` is the dataset as then published."""
    dataset = _find_dataset(_id_param(params), caller)
    limit = _int(params, "limit", ACTIVITY_LIMIT_DEFAULT, minimum=1, maximum=ACTIVITY_LIMIT_MAX)
    offset = _int(params, "offset", 0, minimum=0)
    activities = dataset.activities.order_by("-at", "-id")[offset : offset + limit]
    return [
        {
            "id": str(a.pk),
            "timestamp": ckan_time(a.at),
            "user_id": dataset.department.code,
            "object_id": str(dataset.pk),
            "activity_type": ACTIVITY_TYPES.get(a.kind, "changed package"),
            "data": {"package": a.snapshot or {}},
        }
        for a in activities
    ]


def help_show(params: dict, caller: Caller) -> str:
    """The documentation of an action (``name``)."""
    name = _id_param(params, "name")
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound(f"Action function not found: {name}")
    return (action.function.__doc__ or "").strip()


# --- the register -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    function: Any
    side_effect_free: bool  # may be called with GET; needs no token


def _register() -> dict[str, Action]:
    from . import ckan_write

    reads = [
        status_show, package_list, current_package_list_with_resources, package_search, package_show,
        resource_show, resource_search, organization_list, organization_show, group_list, group_show,
        tag_list, license_list, package_activity_list, help_show,
    ]  # fmt: skip
    actions = {f.__name__: Action(f, True) for f in reads}
    for f in ckan_write.WRITES:
        actions[f.__name__] = Action(f, False)
    return actions


class _Actions(dict):
    def _load(self):
        if not self:
            self.update(_register())

    def get(self, key, default=None):
        self._load()
        return super().get(key, default)

    def __contains__(self, key):
        self._load()
        return super().__contains__(key)


ACTIONS: dict[str, Action] = _Actions()
