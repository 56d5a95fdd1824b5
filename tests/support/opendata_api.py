"""Published datasets for the API and DCAT tests, made through the open-data services as staff make them."""

from __future__ import annotations

from madoguchi.opendata import services
from madoguchi.opendata.models import Dataset

AED_CSV = (
    "全国地方公共団体コード,ID,地方公共団体名,名称,名称_カナ,所在地_連結表記,緯度,経度,設置位置\r\n"
    "042021,001,宮城県石巻市,石巻市役所,イシノマキシヤクショ,宮城県石巻市穀町14-1,38.4344,141.3028,1階ロビー\r\n"
    "042021,002,宮城県石巻市,石巻市図書館,イシノマキシトショカン,宮城県石巻市日和が丘一丁目1-1,38.4281,141.3090,入口\r\n"
).encode()


def metadata(title: str, **extra) -> dict:
    return {
        "title": title, "notes": extra.pop("notes", f"{title}の説明です。"), "theme": extra.pop("theme", "SOCI"),
        "license_id": extra.pop("license_id", "pdl-1.0"), "frequency": extra.pop("frequency", "annual"),
        "spatial": "宮城県石巻市", "temporal_start": "", "temporal_end": "",
        "contact_name": "介護保険課", "contact_email": "kaigo@city.example", "conforms_to": extra.pop("conforms_to", ""),
        "tags": extra.pop("tags", ["介護"]), **extra,
    }  # fmt: skip


def publish_link(
    name: str, *, editor, approver, title: str | None = None, department=None, **extra
) -> Dataset:
    """A dataset with one link resource, submitted by ``editor`` and approved by ``approver``."""
    department = department or editor.staff_roles.first().department
    dataset = services.dataset_create(by=editor, department=department, name=name,
                                      metadata=metadata(title or f"データ {name}", **extra))  # fmt: skip
    services.link_add(
        by=editor, dataset=dataset, name=f"{name} の地図", url=f"https://example.org/{name}", fmt="HTML"
    )
    services.change_submit(by=editor, dataset=dataset)
    services.change_approve(by=approver, dataset=dataset)
    return Dataset.objects.get(pk=dataset.pk)


def publish_csv(name: str, data: bytes, *, editor, approver, title: str | None = None, department=None,
                **extra) -> Dataset:  # fmt: skip
    """A dataset with one CSV file (through intake, fixes as offered)."""
    department = department or editor.staff_roles.first().department
    dataset = services.dataset_create(by=editor, department=department, name=name,
                                      metadata=metadata(title or f"データ {name}", **extra))  # fmt: skip
    for version in services.resource_upload(by=editor, dataset=dataset, data=data, filename=f"{name}.csv",
                                            name=title or name):  # fmt: skip
        selected = {f["id"] for f in version.fix_report.get("fixes", []) if f.get("selected")}
        services.version_apply_fixes(by=editor, version=version, selected=selected)
    services.change_submit(by=editor, dataset=dataset)
    services.change_approve(by=approver, dataset=dataset)
    return Dataset.objects.get(pk=dataset.pk)
