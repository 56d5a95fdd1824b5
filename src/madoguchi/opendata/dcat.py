"""DCAT-AP 3 documents of the catalogue and of each dataset, in JSON-LD, Turtle and RDF/XML (rdflib).

At the paths harvesters already know from ckanext-dcat: ``/catalog.jsonld|ttl|xml|rdf`` (100
datasets a page, newest change first, ``?page=``, ``modified_since``, ``q``, ``fq``; the page is a
``hydra:PagedCollection`` with ``hydra:totalItems``, ``hydra:itemsPerPage``, ``hydra:first``,
``hydra:last``, ``hydra:next``, ``hydra:previous`` and their older ``…Page`` names, as ckanext-dcat
writes them) and ``/dataset/<name>.jsonld|ttl|xml|rdf``. Only published datasets.

What each node carries (DCAT-AP 3: mandatory first, then recommended):

* catalogue: ``dct:title``, ``dct:description``, ``dct:publisher`` (the city), ``dcat:dataset``;
  ``foaf:homepage``, ``dct:language``, ``dct:license``, ``dct:modified``, ``dcat:themeTaxonomy``,
  ``dct:spatial``;
* dataset: ``dct:title``, ``dct:description`` (the title when there are no notes);
  ``dcat:contactPoint``, ``dcat:distribution``, ``dcat:keyword``, ``dct:publisher`` (the
  department), ``dct:spatial``, ``dct:temporal``, ``dcat:theme``; and ``dct:identifier``,
  ``dct:issued``, ``dct:modified``, ``dct:accrualPeriodicity``, ``dcat:landingPage``,
  ``dct:conformsTo`` (the standard dataset), ``dct:language``, ``dct:license``;
* distribution: ``dcat:accessURL``; ``dct:description``, ``dct:format``, ``dct:license``; and
  ``dct:title``, ``dcat:downloadURL``, ``dcat:mediaType``, ``dcat:byteSize``, ``spdx:checksum``
  (SHA-256), ``dct:issued``, ``dct:modified``, ``cnt:characterEncoding``;
* agent: ``foaf:name``, ``dct:type`` (ADMS publisher type: local authority).

URIs follow ckanext-dcat: the catalogue is the site URL, a dataset ``<site>/dataset/<id>``, a
distribution ``<site>/dataset/<id>/resource/<id>``, so that they never change when a title does.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from madoguchi.organisations.selectors import municipality_get_current

from . import ckan
from .models import LICENCES, Dataset, Resource

ADMS = Namespace("http://www.w3.org/ns/adms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
CNT = Namespace("http://www.w3.org/2011/content#")
SCHEMA = Namespace("http://schema.org/")

LANGUAGE_JA = URIRef("http://publications.europa.eu/resource/authority/language/JPN")
THEME_TAXONOMY = URIRef("http://publications.europa.eu/resource/authority/data-theme")
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")
IANA = "https://www.iana.org/assignments/media-types/"
FILE_TYPES = {"CSV": "CSV", "JSON": "JSON", "GEOJSON": "GEOJSON", "XLSX": "XLSX", "XLS": "XLS", "PDF": "PDF",
              "ZIP": "ZIP", "XML": "XML", "HTML": "HTML", "TXT": "TXT", "ODS": "ODS", "RDF": "RDF_XML"}  # fmt: skip

DATASETS_PER_PAGE = 100  # as ckanext-dcat; MADOGUCHI_OPENDATA_DCAT_PAGE_SIZE changes it


def page_size() -> int:
    return int(getattr(settings, "MADOGUCHI_OPENDATA_DCAT_PAGE_SIZE", DATASETS_PER_PAGE))


FORMATS = {"jsonld": "json-ld", "ttl": "turtle", "xml": "xml", "rdf": "xml"}
CONTENT_TYPES = {
    "jsonld": "application/ld+json; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
    "xml": "application/rdf+xml; charset=utf-8",
    "rdf": "application/rdf+xml; charset=utf-8",
}
PREFIXES = {
    "dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "vcard": VCARD, "adms": ADMS, "skos": SKOS, "spdx": SPDX,
    "hydra": HYDRA, "locn": LOCN, "cnt": CNT, "xsd": XSD,
}  # fmt: skip


def _graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _ja(text: str) -> Literal:
    return Literal(text, lang="ja")


def _when(value) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.dateTime)


def _city():
    return municipality_get_current()


def _location(graph: Graph, label: str) -> BNode:
    node = BNode()
    graph.add((node, RDF.type, DCTERMS.Location))
    graph.add((node, SKOS.prefLabel, _ja(label)))
    graph.add((node, LOCN.geographicName, _ja(label)))
    return node


def _agent(graph: Graph, uri: URIRef, name: str, name_en: str = "") -> URIRef:
    graph.add((uri, RDF.type, FOAF.Agent))
    graph.add((uri, FOAF.name, _ja(name)))
    if name_en:
        graph.add((uri, FOAF.name, Literal(name_en, lang="en")))
    graph.add((uri, DCTERMS.type, LOCAL_AUTHORITY))
    return uri


def _licence(graph: Graph, licence) -> URIRef:
    node = URIRef(licence.url)
    graph.add((node, RDF.type, DCTERMS.LicenseDocument))
    graph.add((node, DCTERMS.title, _ja(licence.title)))
    return node


def dataset_uri(base: str, dataset: Dataset) -> URIRef:
    return URIRef(f"{base}/dataset/{dataset.pk}")


def add_dataset(graph: Graph, dataset: Dataset, *, base: str, standards: dict[str, str]) -> URIRef:
    caller = ckan.Caller(base_url=base)
    node = dataset_uri(base, dataset)
    department = dataset.department
    city = _city()
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.pk))))
    graph.add((node, DCTERMS.title, _ja(dataset.title)))
    graph.add((node, DCTERMS.description, _ja(dataset.notes.strip() or dataset.title)))
    for tag in ckan.dataset_tag_names(dataset, standards):
        graph.add((node, DCAT.keyword, _ja(tag)))
    graph.add((node, DCAT.theme, URIRef(dataset.theme_uri)))
    publisher = _agent(
        graph, URIRef(f"{base}/organization/{department.code}"), department.name, department.name_en
    )
    graph.add((node, DCTERMS.publisher, publisher))
    contact = BNode()
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.fn, _ja(dataset.contact_name or department.name)))
    if dataset.contact_email:
        graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{dataset.contact_email}")))
    if department.phone:
        graph.add((contact, VCARD.hasTelephone, URIRef(f"tel:{department.phone.replace(' ', '')}")))
    graph.add((node, DCAT.contactPoint, contact))
    if dataset.published_at:
        graph.add((node, DCTERMS.issued, _when(dataset.published_at)))
    graph.add((node, DCTERMS.modified, _when(dataset.metadata_modified)))
    graph.add((node, DCTERMS.accrualPeriodicity, URIRef(dataset.frequency_uri)))
    landing = URIRef(caller.absolute(ckan.dataset_page_path(dataset)))
    graph.add((landing, RDF.type, FOAF.Document))
    graph.add((node, DCAT.landingPage, landing))
    graph.add((node, DCTERMS.language, LANGUAGE_JA))
    place = dataset.spatial or (f"{city.prefecture}{city.name}" if city else "")
    if place:
        graph.add((node, DCTERMS.spatial, _location(graph, place)))
    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add(
                (period, DCAT.startDate, Literal(dataset.temporal_start.isoformat(), datatype=XSD.date))
            )
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, Literal(dataset.temporal_end.isoformat(), datatype=XSD.date)))
        graph.add((node, DCTERMS.temporal, period))
    if dataset.conforms_to and dataset.conforms_to in standards:
        standard = BNode()
        graph.add((standard, RDF.type, DCTERMS.Standard))
        graph.add((standard, DCTERMS.title, _ja(standards[dataset.conforms_to])))
        graph.add((standard, DCTERMS.identifier, Literal(dataset.conforms_to)))
        graph.add((node, DCTERMS.conformsTo, standard))
    licence = _licence(graph, dataset.licence)
    graph.add((node, DCTERMS.license, licence))
    for resource in ckan.public_resources(dataset):
        graph.add((node, DCAT.distribution, add_distribution(graph, resource, dataset, licence, base=base)))
    return node


def add_distribution(
    graph: Graph, resource: Resource, dataset: Dataset, licence: URIRef, *, base: str
) -> URIRef:
    node = URIRef(f"{base}/dataset/{dataset.pk}/resource/{resource.pk}")
    version = resource.current_version
    url = URIRef(ckan.resource_access_url(resource, ckan.Caller(base_url=base)))
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCTERMS.title, _ja(resource.name)))
    if resource.description:
        graph.add((node, DCTERMS.description, _ja(resource.description)))
    graph.add((node, DCAT.accessURL, url))
    graph.add((node, DCTERMS.license, licence))
    fmt = (resource.format or "").upper()
    if fmt in FILE_TYPES:
        graph.add((node, DCTERMS["format"], URIRef(FILE_TYPE + FILE_TYPES[fmt])))
    elif fmt:
        graph.add((node, DCTERMS["format"], Literal(resource.format)))
    if version is not None and version.file:
        graph.add((node, DCAT.downloadURL, url))
        if version.media_type:
            graph.add((node, DCAT.mediaType, URIRef(IANA + version.media_type.split(";")[0].strip())))
        if version.size is not None:
            graph.add((node, DCAT.byteSize, Literal(version.size, datatype=XSD.nonNegativeInteger)))
        if version.sha256:
            checksum = BNode()
            graph.add((checksum, RDF.type, SPDX.Checksum))
            graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
            graph.add((checksum, SPDX.checksumValue, Literal(version.sha256, datatype=XSD.hexBinary)))
            graph.add((node, SPDX.checksum, checksum))
        if version.encoding:
            graph.add((node, CNT.characterEncoding, Literal(version.encoding.replace(" with BOM", ""))))
        if version.published_at:
            graph.add((node, DCTERMS.issued, _when(version.published_at)))
    if resource.last_modified:
        graph.add((node, DCTERMS.modified, _when(resource.last_modified)))
    return node


def add_catalog(graph: Graph, *, base: str, modified=None) -> URIRef:
    city = _city()
    node = URIRef(base)
    graph.add((node, RDF.type, DCAT.Catalog))
    graph.add((node, DCTERMS.title, _ja(ckan.site_title())))
    city_name = f"{city.prefecture}{city.name}" if city else ""
    graph.add(
        (node, DCTERMS.description, _ja(f"{city_name}が公開するオープンデータの目録です。".lstrip("が")))
    )
    publisher = _agent(graph, URIRef(f"{base}/#publisher"), city.name if city else ckan.site_title(),
                       city.name_en if city else "")  # fmt: skip
    graph.add((node, DCTERMS.publisher, publisher))
    graph.add((node, FOAF.homepage, URIRef(base + "/opendata/")))
    graph.add((node, DCTERMS.language, LANGUAGE_JA))
    graph.add((node, DCTERMS.license, _licence(graph, LICENCES["pdl-1.0"])))
    graph.add((node, DCAT.themeTaxonomy, THEME_TAXONOMY))
    if city_name:
        graph.add((node, DCTERMS.spatial, _location(graph, city_name)))
    if modified is not None:
        graph.add((node, DCTERMS.modified, _when(modified)))
    return node


def serialize(graph: Graph, fmt: str) -> bytes:
    rdflib_format = FORMATS[fmt]
    if rdflib_format == "json-ld":
        context = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        return graph.serialize(
            format="json-ld", context=context, auto_compact=True, ensure_ascii=False
        ).encode()
    return graph.serialize(format=rdflib_format, encoding="utf-8")


# --- the documents ---------------------------------------------------------------------------------------


def _catalog_queryset(params: dict, standards: dict[str, str]) -> QuerySet[Dataset]:
    """The published datasets the catalogue's ``q``, ``fq`` and ``modified_since`` ask for."""
    fq_list = [params["fq"]] if params.get("fq") else []
    if since := params.get("modified_since", "").strip():
        try:
            moment = ckan.ckan_search.parse_when(since)
        except ckan.ckan_search.QueryError:
            raise ValueError("modified_since: give a date or time in ISO 8601") from None
        fq_list.append(f"metadata_modified:[{moment.isoformat().replace('+00:00', 'Z')} TO *]")
    return ckan.search_queryset(params.get("q", ""), fq_list, standards=standards)


def catalog_document(*, fmt: str, page: int, base: str, path: str, params: dict) -> bytes:
    standards = ckan.standards_by_id()
    queryset = _catalog_queryset(params, standards)
    total = queryset.count()
    size = page_size()
    start = (page - 1) * size
    datasets = list(ckan.load_for_output(queryset.order_by("-metadata_modified", "id")[start : start + size]))
    latest = (
        ckan.public_datasets()
        .order_by("-metadata_modified")
        .values_list("metadata_modified", flat=True)
        .first()
    )
    graph = _graph()
    catalog = add_catalog(graph, base=base, modified=latest)
    for dataset in datasets:
        graph.add((catalog, DCAT.dataset, add_dataset(graph, dataset, base=base, standards=standards)))
    if total:
        _paging(graph, base=base, path=path, params=params, page=page, total=total)
    return serialize(graph, fmt)


def _page_url(base: str, path: str, params: dict, page: int) -> str:
    query = {k: params[k] for k in ("modified_since", "q", "fq") if params.get(k)}
    query["page"] = page
    return f"{base}{path}?{urlencode(query)}"


def _paging(graph: Graph, *, base: str, path: str, params: dict, page: int, total: int) -> None:
    """ckanext-dcat's paging: a hydra:PagedCollection named by this page's URL, with the current and
    the deprecated Hydra terms, the URLs as literals (what its harvester reads)."""
    size = page_size()
    last = max(1, math.ceil(total / size))
    node = URIRef(_page_url(base, path, params, page))
    graph.add((node, RDF.type, HYDRA.PagedCollection))
    graph.add((node, HYDRA.totalItems, Literal(total)))
    graph.add((node, HYDRA.itemsPerPage, Literal(size)))
    links = {"first": 1, "last": last}
    if page < last:
        links["next"] = page + 1
    if page > 1:
        links["previous"] = min(page - 1, last)
    old_names = {"first": HYDRA.firstPage, "last": HYDRA.lastPage, "next": HYDRA.nextPage,
                 "previous": HYDRA.previousPage}  # fmt: skip
    for key, number in links.items():
        url = Literal(_page_url(base, path, params, number))
        graph.add((node, HYDRA[key], url))
        graph.add((node, old_names[key], url))


def dataset_document(ref: str, *, fmt: str, base: str) -> bytes:
    """One published dataset (by name or id) with its catalogue record; ``ckan.NotFound`` otherwise."""
    dataset = ckan._find_dataset(ref, ckan.Caller(base_url=base))
    if not dataset.is_public:
        raise ckan.NotFound("Dataset not found")
    graph = _graph()
    add_dataset(graph, dataset, base=base, standards=ckan.standards_by_id())
    return serialize(graph, fmt)


# --- schema.org (the dataset page) ----------------------------------------------------------------------


def schema_org(dataset: Dataset, *, base: str) -> dict:
    """A schema.org Dataset (what Google Dataset Search reads) for the dataset page."""
    caller = ckan.Caller(base_url=base)
    department = dataset.department
    city = _city()
    licence = dataset.licence
    data = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": str(dataset_uri(base, dataset)),
        "name": dataset.title,
        "description": dataset.notes.strip() or dataset.title,
        "url": caller.absolute(ckan.dataset_page_path(dataset)),
        "identifier": str(dataset.pk),
        "keywords": ckan.dataset_tag_names(dataset),
        "license": licence.url,
        "isAccessibleForFree": True,
        "inLanguage": "ja",
        "creator": {"@type": "GovernmentOrganization", "name": department.name},
        "publisher": {"@type": "GovernmentOrganization", "name": city.name if city else department.name},
        "dateModified": dataset.metadata_modified.isoformat(),
        "distribution": [
            {
                "@type": "DataDownload",
                "name": r.name,
                "encodingFormat": (
                    r.current_version.media_type.split(";")[0]
                    if r.current_version and r.current_version.media_type
                    else r.format
                ),
                "contentUrl": ckan.resource_access_url(r, caller),
            }
            for r in ckan.public_resources(dataset)
        ],
    }
    if dataset.published_at:
        data["datePublished"] = dataset.published_at.isoformat()
    place = dataset.spatial or (f"{city.prefecture}{city.name}" if city else "")
    if place:
        data["spatialCoverage"] = {"@type": "Place", "name": place}
    if dataset.temporal_start or dataset.temporal_end:
        start = dataset.temporal_start.isoformat() if dataset.temporal_start else ".."
        end = dataset.temporal_end.isoformat() if dataset.temporal_end else ".."
        data["temporalCoverage"] = f"{start}/{end}"
    if dataset.contact_email:
        data["creator"]["email"] = dataset.contact_email
    return data
