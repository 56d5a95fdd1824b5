"""The public dashboard as open data: the monthly KPIs (with the public dashboard's suppression) as one CSV,
submitted each month as an update of a dataset of the ICT/DX department through the open-data services, the
same path as the monthly application statistics (``opendata.stats.statistics_publish``)."""

from __future__ import annotations

import csv
import io

DATASET_NAME = "dx-dashboard-monthly"
DATASET_TITLE = "デジタル化の進み具合（DXダッシュボード、月別）"
RESOURCE_NAME = "DXダッシュボードの指標（月別）"
NOTES = (
    "石巻市の電子申請システム（Madoguchi）から毎月自動で集計した、公開ダッシュボード（/dashboard/）と同じ指標です。\n\n"
    "- 受付方法別の申請件数（オンライン・窓口・紙）とオンラインの割合、標準処理期間内に処理した割合、平均処理日数"
    "（土日祝日を除く）、補正依頼をした申請の割合。\n"
    "- 個人が特定されないよう、1件から9件の数と、そこから計算できてしまう数は空欄です（秘匿）。"
)
HEADER = ("年月", "オンライン", "窓口", "紙", "計", "オンラインの割合（%）", "処理件数", "標準処理期間内の割合（%）",
          "平均処理日数（日）", "補正依頼の割合（%）")  # fmt: skip


def dashboard_csv() -> str:
    from . import presentation, selectors

    board = selectors.dashboard(public=True)
    by_name = {s["name"]: s for s in presentation.sections(board, csv_url="")}
    channels, processing, corrections = by_name["channels"], by_name["processing"], by_name["corrections"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for c, p, r in zip(channels["rows"], processing["rows"], corrections["rows"], strict=True):
        writer.writerow([*c, p[1], p[3], p[4], r[2]])
    return buffer.getvalue()


def dashboard_publish(*, by=None):
    """Submit this month's figures as an update of the dataset (created at the first run); nothing while it has
    an open change or when nothing changed. Returns the submitted change or ``None``."""
    from django.db import transaction

    from madoguchi.opendata import services
    from madoguchi.opendata.models import Dataset, Resource
    from madoguchi.opendata.stats import STATS_DEPARTMENT, _same_rows, _stats_actor
    from madoguchi.organisations.models import Department
    from madoguchi.organisations.selectors import municipality_get_current

    department = Department.objects.get(municipality=municipality_get_current(), code=STATS_DEPARTMENT)
    dataset = Dataset.objects.filter(name=DATASET_NAME).first()
    actor = by or _stats_actor(dataset, department)
    if actor is None:
        raise ValueError(f"no member of staff of {STATS_DEPARTMENT} to record the update")
    with transaction.atomic():
        if dataset is None:
            dataset = services.dataset_create(by=actor, department=department, name=DATASET_NAME, metadata={
                "title": DATASET_TITLE, "notes": NOTES, "theme": Dataset.Theme.GOVE, "license_id": "pdl-1.0",
                "frequency": Dataset.Frequency.MONTHLY, "spatial": "", "contact_name": department.name,
                "contact_email": "", "conforms_to": "", "tags": ["DX", "オンライン申請", "統計", "EBPM"],
                "temporal_start": "", "temporal_end": "",
            })  # fmt: skip
        change = services.open_change(dataset)
        if change is not None and not (change.kind == "new" and change.is_editable):
            return None
        resource = (
            Resource.objects.filter(dataset=dataset, derived_from__isnull=True, removed_at__isnull=True)
            .order_by("position", "created")
            .first()
        )
        text = dashboard_csv()
        if resource is not None and resource.current_version and resource.current_version.file:
            with resource.current_version.file.open("rb") as fh:
                if _same_rows(fh.read().decode("utf-8-sig"), text):
                    return None
        versions = services.resource_upload(
            by=actor, dataset=dataset, data=text.encode("utf-8"), filename=f"{DATASET_NAME}.csv",
            name=RESOURCE_NAME, resource=resource,
        )  # fmt: skip
        for version in versions:
            selected = {f["id"] for f in version.fix_report.get("fixes", []) if f.get("selected")}
            services.version_apply_fixes(by=actor, version=version, selected=selected)
        return services.change_submit(by=actor, dataset=dataset, note="DXダッシュボードの自動集計")
