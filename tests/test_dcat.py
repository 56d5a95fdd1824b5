"""DCAT-AP 3 documents at ckanext-dcat's paths, parsed with rdflib in all three formats; Hydra paging
followed page by page as a harvester does; the schema.org Dataset on each dataset page."""

from __future__ import annotations

import json
import re

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns

from madoguchi.opendata import services
from madoguchi.opendata.models import Dataset
from tests.conftest import department
from tests.support.opendata_api import AED_CSV, metadata, publish_csv, publish_link

HYDRA = "http://www.w3.org/ns/hydra/core#"
FORMATS = {"jsonld": "json-ld", "ttl": "turtle", "xml": "xml"}
CONTENT_TYPES = {"jsonld": "application/ld+json", "ttl": "text/turtle", "xml": "application/rdf+xml"}


@pytest.fixture
def published(kaigo_alice, kaigo_admin):
    link = publish_link("kaigo-jigyosho", editor=kaigo_alice, approver=kaigo_admin, title="介護事業所の地図",
                        notes="市内の介護サービス事業所の地図です。")  # fmt: skip
    aed = publish_csv("aed-kaigo", AED_CSV, editor=kaigo_alice, approver=kaigo_admin, title="AED設置箇所一覧",
                      conforms_to="aed", theme="HEAL", tags=["AED"])  # fmt: skip
    draft = services.dataset_create(by=kaigo_alice, department=department("kaigo-hoken"), name="kaigo-draft",
                                    metadata=metadata("下書き"))  # fmt: skip
    return {"link": link, "aed": aed, "draft": draft}


def fetch(client, url: str, fmt: str) -> Graph:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"].startswith(CONTENT_TYPES[fmt])
    graph = Graph()
    graph.parse(data=response.content, format=FORMATS[fmt])
    assert len(graph) > 0
    return graph


def assert_dcat_ap_dataset(graph: Graph, node) -> None:
    """What DCAT-AP 3 requires of a dataset and what a harvester needs: title, description, a
    distribution with an access URL and a licence, and a publisher with a name."""
    assert (node, ns.RDF.type, ns.DCAT.Dataset) in graph
    assert graph.value(node, ns.DCTERMS.title), node
    assert graph.value(node, ns.DCTERMS.description), node
    publisher = graph.value(node, ns.DCTERMS.publisher)
    assert publisher is not None and graph.value(publisher, ns.FOAF.name)
    distributions = list(graph.objects(node, ns.DCAT.distribution))
    assert distributions, node
    for distribution in distributions:
        assert (distribution, ns.RDF.type, ns.DCAT.Distribution) in graph
        access = graph.value(distribution, ns.DCAT.accessURL)
        assert isinstance(access, URIRef) and str(access).startswith(("http://", "https://"))
        licence = graph.value(distribution, ns.DCTERMS.license)
        assert isinstance(licence, URIRef) and (licence, ns.RDF.type, ns.DCTERMS.LicenseDocument) in graph
    assert list(graph.objects(node, ns.DCAT.keyword))
    assert graph.value(node, ns.DCAT.contactPoint) is not None
    assert graph.value(node, ns.DCAT.theme) is not None


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["jsonld", "ttl", "xml"])
def test_catalog_and_dataset_documents_parse_and_carry_what_dcat_ap_requires(client, published, fmt):
    graph = fetch(client, f"/catalog.{fmt}", fmt)
    catalogs = list(graph.subjects(ns.RDF.type, ns.DCAT.Catalog))
    assert len(catalogs) == 1
    catalog = catalogs[0]
    for term in (
        ns.DCTERMS.title,
        ns.DCTERMS.description,
        ns.DCTERMS.publisher,
        ns.DCTERMS.language,
        ns.DCTERMS.license,
    ):
        assert graph.value(catalog, term) is not None, term
    datasets = set(graph.objects(catalog, ns.DCAT.dataset))
    assert len(datasets) == 2  # not the draft
    for node in datasets:
        assert_dcat_ap_dataset(graph, node)
    titles = {str(graph.value(d, ns.DCTERMS.title)) for d in datasets}
    assert titles == {"介護事業所の地図", "AED設置箇所一覧"}

    aed = published["aed"]
    one = fetch(client, f"/dataset/{aed.name}.{fmt}", fmt)
    node = URIRef(f"http://127.0.0.1:8000/dataset/{aed.pk}")
    assert_dcat_ap_dataset(one, node)
    keywords = {str(k) for k in one.objects(node, ns.DCAT.keyword)}
    assert {"AED", "自治体標準ODS", "AED設置箇所一覧"} <= keywords
    standard = one.value(node, ns.DCTERMS.conformsTo)
    assert str(one.value(standard, ns.DCTERMS.identifier)) == "aed"
    formats = {
        str(one.value(d, ns.DCTERMS["format"])).rsplit("/", 1)[-1]: d
        for d in one.objects(node, ns.DCAT.distribution)
    }
    assert {"CSV", "JSON", "GEOJSON"} <= set(formats)  # the CSV, and the JSON and GeoJSON made from it
    distribution = formats["CSV"]
    assert str(one.value(distribution, ns.DCAT.downloadURL)).endswith("/download/")
    assert int(one.value(distribution, ns.DCAT.byteSize)) > 0
    # The id works as the name does, and nothing that is not published is there.
    assert len(fetch(client, f"/dataset/{aed.pk}.{fmt}", fmt)) == len(one)
    assert client.get(f"/dataset/{published['draft'].name}.{fmt}").status_code == 404
    assert client.get(f"/dataset/no-such-dataset.{fmt}").status_code == 404


@pytest.mark.django_db
def test_hydra_paging_walks_the_whole_catalogue_once(client, settings, kaigo_alice, kaigo_admin):
    settings.MADOGUCHI_OPENDATA_DCAT_PAGE_SIZE = 4
    made = {str(publish_link(f"ds-{i:02d}", editor=kaigo_alice, approver=kaigo_admin).pk) for i in range(10)}
    url, seen, pages = "/catalog.ttl", [], 0
    while url:
        graph = fetch(client, url, "ttl")
        pages += 1
        collection = next(graph.subjects(ns.RDF.type, URIRef(HYDRA + "PagedCollection")))
        assert int(graph.value(collection, URIRef(HYDRA + "totalItems"))) == 10
        assert int(graph.value(collection, URIRef(HYDRA + "itemsPerPage"))) == 4
        assert str(graph.value(collection, URIRef(HYDRA + "first"))).endswith("page=1")
        assert str(graph.value(collection, URIRef(HYDRA + "last"))).endswith("page=3")
        seen += [
            str(graph.value(d, ns.DCTERMS.identifier)) for d in graph.subjects(ns.RDF.type, ns.DCAT.Dataset)
        ]
        following = graph.value(collection, URIRef(HYDRA + "next"))
        assert following == graph.value(collection, URIRef(HYDRA + "nextPage"))  # ckanext-dcat's older name
        url = re.sub(r"^https?://[^/]+", "", str(following)) if following is not None else None
    assert pages == 3 and len(seen) == 10 and set(seen) == made
    assert client.get("/catalog.ttl?page=0").status_code == 400
    assert client.get("/catalog.ttl?page=x").status_code == 400
    assert client.get("/catalog.yaml").status_code == 404
    # modified_since and fq, as ckanext-dcat takes them
    graph = fetch(client, "/catalog.jsonld?modified_since=2999-01-01", "jsonld")
    assert not list(graph.subjects(ns.RDF.type, ns.DCAT.Dataset))
    graph = fetch(client, "/catalog.jsonld?fq=name:ds-0*", "jsonld")
    assert len(list(graph.subjects(ns.RDF.type, ns.DCAT.Dataset))) == 4  # the first page of ten matches
    assert client.get("/catalog.ttl?fq=bogus_field:1").status_code == 400


@pytest.mark.django_db
def test_the_catalogue_page_collection_is_a_literal_url_as_ckanext_dcat_writes_it(client, published):
    graph = fetch(client, "/catalog.xml", "xml")
    collection = next(graph.subjects(ns.RDF.type, URIRef(HYDRA + "PagedCollection")))
    first = graph.value(collection, URIRef(HYDRA + "firstPage"))
    assert isinstance(first, Literal) and str(first).endswith("/catalog.xml?page=1")
    assert graph.value(collection, URIRef(HYDRA + "next")) is None  # one page only


@pytest.mark.django_db
def test_each_dataset_page_carries_a_schema_org_dataset(client, published):
    aed = published["aed"]
    response = client.get(f"/opendata/dataset/{aed.name}/")
    assert response.status_code == 200
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S
    )
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["@context"] == "https://schema.org/" and data["@type"] == "Dataset"
    assert data["name"] == "AED設置箇所一覧" and data["description"]
    assert data["license"].startswith("https://") and "自治体標準ODS" in data["keywords"]
    assert data["distribution"][0]["@type"] == "DataDownload"
    assert data["distribution"][0]["contentUrl"].endswith("/download/")
    assert data["creator"]["name"] == "介護保険課"


@pytest.mark.django_db
def test_json_ld_script_cannot_be_broken_out_of(client, kaigo_alice, kaigo_admin):
    evil = publish_link(
        "evil", editor=kaigo_alice, approver=kaigo_admin, title="</script><script>alert(1)</script>"
    )
    body = client.get(f"/opendata/dataset/{evil.name}/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S).group(1)
    assert "<" not in block and json.loads(block)["name"] == "</script><script>alert(1)</script>"
    assert Dataset.objects.get(name="evil").title.startswith("</script>")
