"""Open-data helpers for the tests: a dataset of 介護保険課 and uploads through the real services."""

from __future__ import annotations

from madoguchi.opendata import services
from madoguchi.opendata.models import Dataset
from tests.conftest import department

METADATA = {
    "title": "介護サービス事業所一覧（テスト）",
    "notes": "テスト用",
    "theme": "SOCI",
    "license_id": "pdl-1.0",
    "frequency": "annual",
    "spatial": "宮城県石巻市",
    "contact_name": "石巻市 介護保険課",
    "contact_email": "kaigo@city.example",
    "conforms_to": "",
    "tags": "介護、福祉",
}

SIMPLE_CSV = "名称,所在地,緯度,経度\r\n石巻市役所,宮城県石巻市穀町14-1,38.4343,141.3029\r\n".encode()


def kaigo_dataset(user, name: str = "kaigo-test", **metadata) -> Dataset:
    existing = Dataset.objects.filter(name=name).first()
    if existing:
        return existing
    return services.dataset_create(
        by=user, department=department("kaigo-hoken"), name=name, metadata={**METADATA, **metadata}
    )


def upload(
    user, dataset: Dataset, data: bytes = SIMPLE_CSV, filename: str = "data.csv", name: str = "一覧", **kw
):
    return services.resource_upload(by=user, dataset=dataset, data=data, filename=filename, name=name, **kw)[
        0
    ]


def ready(user, dataset: Dataset, data: bytes = SIMPLE_CSV, filename: str = "data.csv", **kw):
    version = upload(user, dataset, data, filename, **kw)
    return services.version_apply_fixes(by=user, version=version, selected=_all(version)).version


def _all(version) -> set[str]:
    return {f["id"] for f in version.fix_report.get("fixes", []) if f["id"] != "hidden"}


def publish(
    handler, approver, dataset: Dataset, data: bytes = SIMPLE_CSV, filename: str = "data.csv"
) -> Dataset:
    ready(handler, dataset, data, filename)
    services.change_submit(by=handler, dataset=dataset)
    services.change_approve(by=approver, dataset=dataset)
    dataset.refresh_from_db()
    return dataset
