"""Open data catalogue: datasets owned by departments, their resources, and every uploaded version.

The shapes follow CKAN's so that the Action API and DCAT output (``ckan.py``, ``dcat.py``) map
them field by field; each model's docstring gives the mapping. What the public sees is only ever
approved content: a dataset's own fields and a resource's ``current_version`` are what a 決裁者
approved (or the light path published); proposals wait in ``DatasetChange`` and in versions that are
not current yet. Ownership is the department's (``Dataset.department``), never a person's, so
personnel changes in April break nothing: whoever holds the 担当者 / 決裁者 role there carries on.

Writes go through ``services.py``; reads through ``selectors.py`` (docs/opendata.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import no_personal_data


@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    title_en: str
    url: str
    od_conformant: bool = True


# CKAN license_id -> title and URL (CKAN's license_list; DCAT dct:license).
LICENCES: dict[str, Licence] = {
    "pdl-1.0": Licence(
        "pdl-1.0",
        "公共データ利用規約 第1.0版 (PDL1.0)",
        "Public Data License (Version 1.0)",
        "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
    ),
    "cc-by-4.0": Licence(
        "cc-by-4.0",
        "クリエイティブ・コモンズ 表示 4.0 国際 (CC BY 4.0)",
        "Creative Commons Attribution 4.0 International",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "cc0-1.0": Licence(
        "cc0-1.0",
        "CC0 1.0 全世界 パブリック・ドメイン提供",
        "Creative Commons CC0 1.0 Universal",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
}
DEFAULT_LICENCE = "pdl-1.0"

# EU Publications Office frequency vocabulary (DCAT-AP dct:accrualPeriodicity).
FREQUENCY_URI_BASE = "http://publications.europa.eu/resource/authority/frequency/"
# EU data-theme vocabulary (DCAT-AP dcat:theme); CKAN groups use the lower-case code as the name.
THEME_URI_BASE = "http://publications.europa.eu/resource/authority/data-theme/"


class Tag(models.Model):
    """A keyword (CKAN tag; DCAT dcat:keyword). Japanese words are allowed, as on data.go.jp."""

    name = models.CharField(_("タグ"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("タグ")
        verbose_name_plural = _("タグ")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Dataset(models.Model):
    """A dataset of a department (CKAN package; DCAT dcat:Dataset).

    Field ↔ CKAN: ``id`` = id, ``name`` = name, ``title`` = title, ``notes`` = notes,
    ``department`` = organization / owner_org (Department.code is the organization name),
    ``tags`` = tags / tag facet, ``theme`` = groups (one group, the lower-case EU data-theme code),
    ``license_id`` = license_id (title and URL from ``LICENCES``), ``frequency`` = extra
    ``frequency`` (URI: ``FREQUENCY_URI_BASE + frequency_code``), ``spatial`` = extra ``spatial``,
    ``temporal_start``/``temporal_end`` = extras ``temporal_start``/``temporal_end``,
    ``contact_name``/``contact_email`` = maintainer / maintainer_email (a department, not a person),
    ``conforms_to`` = extra ``conforms_to`` (a standard-dataset id from
    ``standards.STANDARD_DATASETS``), ``state`` = state (``published`` → "active", ``withdrawn`` →
    "deleted"; drafts and pending datasets are private and never shown), ``metadata_created`` /
    ``metadata_modified`` = the same (``metadata_modified`` moves on every public change:
    harvest ranges), ``last_updated`` / ``next_due`` = extras, ``download_count`` = extra.
    ``urgent`` marks a dataset the disaster mode wants first; ``light_path`` lets routine data
    updates of an approved, standard-conformant dataset publish without waiting for a 決裁者
    (services.change_submit).
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("作成中")
        PENDING = "pending", _("承認待ち")
        PUBLISHED = "published", _("公開中")
        WITHDRAWN = "withdrawn", _("公開停止")

    class Frequency(models.TextChoices):
        DAILY = "daily", _("毎日")
        WEEKLY = "weekly", _("毎週")
        MONTHLY = "monthly", _("毎月")
        QUARTERLY = "quarterly", _("四半期ごと")
        SEMIANNUAL = "semiannual", _("半年ごと")
        ANNUAL = "annual", _("毎年")
        IRREGULAR = "irregular", _("不定期")

    # dct:accrualPeriodicity codes (FREQUENCY_URI_BASE + code).
    FREQUENCY_CODES = {
        "daily": "DAILY",
        "weekly": "WEEKLY",
        "monthly": "MONTHLY",
        "quarterly": "QUARTERLY",
        "semiannual": "ANNUAL_2",
        "annual": "ANNUAL",
        "irregular": "IRREG",
    }

    class Theme(models.TextChoices):
        # EU data-theme codes (THEME_URI_BASE + code).
        GOVE = "GOVE", _("行政・財政")
        SOCI = "SOCI", _("人口・福祉・子育て")
        HEAL = "HEAL", _("健康・医療")
        EDUC = "EDUC", _("教育・文化・スポーツ")
        ENVI = "ENVI", _("環境")
        ECON = "ECON", _("産業・観光・経済")
        TRAN = "TRAN", _("交通")
        REGI = "REGI", _("地域・施設・防災")
        JUST = "JUST", _("安全・安心")
        AGRI = "AGRI", _("農林水産")
        TECH = "TECH", _("科学技術・情報")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(
        _("データセットID"),
        max_length=100,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9_-]{1,99}$", _("半角英小文字・数字・-・_ で2文字以上"))],
        help_text=_("URL に使う半角英小文字・数字・ハイフン（例: aed-locations）"),
    )
    title = models.CharField(_("タイトル"), max_length=200)
    notes = models.TextField(_("説明"), blank=True)
    department = models.ForeignKey(
        "organisations.Department", on_delete=models.PROTECT, related_name="datasets"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets", verbose_name=_("タグ"))
    theme = models.CharField(_("分野"), max_length=4, choices=Theme.choices, default=Theme.GOVE)
    license_id = models.CharField(
        _("利用条件"),
        max_length=20,
        choices=[(k, v.title) for k, v in LICENCES.items()],
        default=DEFAULT_LICENCE,
    )
    frequency = models.CharField(
        _("更新頻度"), max_length=12, choices=Frequency.choices, default=Frequency.ANNUAL
    )
    spatial = models.CharField(_("対象地域"), max_length=200, blank=True)
    temporal_start = models.DateField(_("対象期間（開始）"), null=True, blank=True)
    temporal_end = models.DateField(_("対象期間（終了）"), null=True, blank=True)
    contact_name = models.CharField(_("問い合わせ先"), max_length=200, blank=True)
    contact_email = models.EmailField(_("問い合わせ先メールアドレス"), blank=True)
    conforms_to = models.CharField(_("準拠する標準データセット"), max_length=60, blank=True)
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.DRAFT)
    light_path = models.BooleanField(_("定例更新の簡易手続"), default=False)
    urgent = models.BooleanField(_("緊急"), default=False)
    is_demo = models.BooleanField(_("デモデータ"), default=False)
    metadata_created = models.DateTimeField(_("作成日時"), default=timezone.now)
    metadata_modified = models.DateTimeField(_("メタデータ更新日時"), default=timezone.now)
    published_at = models.DateTimeField(_("初回公開日時"), null=True, blank=True)
    last_updated = models.DateTimeField(_("最終更新日時"), null=True, blank=True)
    next_due = models.DateField(_("次回更新予定日"), null=True, blank=True)
    download_count = models.PositiveBigIntegerField(_("ダウンロード数"), default=0)
    search_text = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("データセット")
        verbose_name_plural = _("データセット")
        ordering = ["department__sort_order", "title"]
        indexes = [
            models.Index(fields=["state", "metadata_modified"], name="opendata_ds_state_modified"),
            models.Index(fields=["next_due"], name="opendata_ds_next_due"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def licence(self) -> Licence:
        return LICENCES.get(self.license_id, LICENCES[DEFAULT_LICENCE])

    @property
    def frequency_uri(self) -> str:
        return FREQUENCY_URI_BASE + self.FREQUENCY_CODES.get(self.frequency, "IRREG")

    @property
    def theme_uri(self) -> str:
        return THEME_URI_BASE + self.theme

    @property
    def tag_list(self) -> list[str]:
        return [t.name for t in self.tags.all()]

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_public and self.next_due is not None and self.next_due < today


class DatasetChange(models.Model):
    """A proposal for a dataset: new, update or withdrawal, and its approval (4-eyes).

    A 担当者 of the department opens one (``editing``), edits the metadata (kept in ``metadata``
    until approved) and uploads versions (``ResourceVersion.change``), then submits it (``pending``).
    A 決裁者 of the same department who did not submit it approves (``approved``: applied to the
    dataset, which becomes public) or returns it with a comment (``returned``: editable again).
    ``via_light_path`` records a routine update published without waiting (Dataset.light_path);
    ``self_approved`` a change approved by its submitter because the department had no other
    決裁者 (docs/opendata.md). At most one change per dataset is open (editing or pending).
    Not a CKAN object: the Action API shows only what was applied (DatasetActivity).
    """

    class Kind(models.TextChoices):
        NEW = "new", _("新規公開")
        UPDATE = "update", _("更新")
        WITHDRAW = "withdraw", _("公開停止")

    class Status(models.TextChoices):
        EDITING = "editing", _("編集中")
        PENDING = "pending", _("承認待ち")
        APPROVED = "approved", _("承認済み")
        RETURNED = "returned", _("差戻し")
        CANCELLED = "cancelled", _("取消し")

    OPEN = (Status.EDITING, Status.PENDING, Status.RETURNED)

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("状況"), max_length=10, choices=Status.choices, default=Status.EDITING)
    metadata = models.JSONField(_("変更後のメタデータ"), default=dict, blank=True)
    note = models.TextField(_("変更内容の説明"), blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("決裁者のコメント"), blank=True)
    via_light_path = models.BooleanField(default=False)
    self_approved = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("データセットの変更")
        verbose_name_plural = _("データセットの変更")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset"],
                condition=Q(status__in=["editing", "pending", "returned"]),
                name="opendata_one_open_change_per_dataset",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset.name} {self.kind} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.EDITING, self.Status.RETURNED)


class Resource(models.Model):
    """A file or link of a dataset (CKAN resource; DCAT dcat:Distribution).

    Field ↔ CKAN: ``id`` = id, ``dataset`` = package_id, ``name``, ``description``, ``format``
    (CSV, JSON, GeoJSON, XLSX, …), ``url`` = url (for a link; for a file, the download view
    ``opendata:download``), ``position`` = position, ``created`` / ``last_modified`` = the same,
    size / hash / mimetype come from ``current_version`` (hash as ``sha256:<hex>``),
    ``derived_from`` marks the JSON and GeoJSON made from a CSV (each is its own resource).
    The public fields (name, description, format, url) are copied from the version a 決裁者
    approved; a resource without ``current_version`` has never been approved and is not public.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(_("名前"), max_length=200)
    description = models.TextField(_("説明"), blank=True)
    format = models.CharField(_("形式"), max_length=20, blank=True)
    url = models.URLField(_("リンク先URL"), max_length=500, blank=True)
    position = models.PositiveIntegerField(_("表示順"), default=0)
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(null=True, blank=True)
    current_version = models.ForeignKey(
        "ResourceVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    derived_from = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="derived"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    download_count = models.PositiveBigIntegerField(_("ダウンロード数"), default=0)

    class Meta:
        verbose_name = _("リソース")
        verbose_name_plural = _("リソース")
        ordering = ["dataset", "position", "created"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.current_version_id is not None and self.removed_at is None

    @property
    def is_link(self) -> bool:
        return bool(self.url) and not (self.current_version and self.current_version.file)


def _version_path(instance: ResourceVersion, filename: str) -> str:
    return f"opendata/{instance.resource.dataset_id}/{instance.resource_id}/{filename}"


class ResourceVersion(models.Model):
    """Every upload of a resource, kept for good (never deleted, never overwritten).

    ``original_file`` is the bytes as uploaded (``original_filename``, ``original_encoding`` as
    detected, ``original_size``, ``original_sha256``); ``file`` is what is published after the
    chosen fixes (``encoding``: ``UTF-8`` with BOM for CSV, the encoding declared; ``size``,
    ``sha256``, ``media_type``). ``table_schema`` is the Frictionless Table Schema published with a
    CSV; ``fix_report`` the intake report: issues by row and column, fixes offered and applied,
    personal-data warnings (intake.py). ``status``: ``intake`` (checked, fixes not yet chosen),
    ``ready`` (fixed, waiting for approval with its change), ``published`` (a resource's current or
    former current version), ``discarded``. ``derived_from`` links a JSON/GeoJSON version to the
    CSV version it was made from. A link resource's version has ``url`` and no file.
    """

    class Status(models.TextChoices):
        INTAKE = "intake", _("確認中")
        READY = "ready", _("承認待ち")
        PUBLISHED = "published", _("公開済み")
        DISCARDED = "discarded", _("破棄")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    change = models.ForeignKey(
        DatasetChange, on_delete=models.SET_NULL, null=True, blank=True, related_name="versions"
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.INTAKE)
    name = models.CharField(_("名前"), max_length=200)
    description = models.TextField(_("説明"), blank=True)
    format = models.CharField(_("形式"), max_length=20, blank=True)
    url = models.URLField(_("リンク先URL"), max_length=500, blank=True)
    original_file = models.FileField(upload_to=_version_path, max_length=300, blank=True)
    original_filename = models.CharField(_("元のファイル名"), max_length=200, blank=True)
    original_encoding = models.CharField(_("元の文字コード"), max_length=20, blank=True)
    original_size = models.PositiveBigIntegerField(null=True, blank=True)
    original_sha256 = models.CharField(max_length=64, blank=True)
    sheet_name = models.CharField(_("シート名"), max_length=100, blank=True)
    file = models.FileField(upload_to=_version_path, max_length=300, blank=True)
    encoding = models.CharField(_("文字コード"), max_length=20, blank=True)
    media_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("サイズ"), null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    table_schema = models.JSONField(null=True, blank=True)
    fix_report = models.JSONField(default=dict, blank=True)
    personal_data_acknowledged_at = models.DateTimeField(null=True, blank=True)
    derived_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="derived"
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("リソースの版")
        verbose_name_plural = _("リソースの版")
        ordering = ["resource", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="opendata_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} v{self.number}"

    @property
    def hash(self) -> str:
        """CKAN's resource ``hash``."""
        return f"sha256:{self.sha256}" if self.sha256 else ""


class DatasetActivity(models.Model):
    """What happened to a public dataset (CKAN package_activity_list / activity_show).

    ``kind``: ``new`` (first published; CKAN "new package"), ``changed`` ("changed package"),
    ``deleted`` (withdrawn; "deleted package"). ``snapshot`` is the dataset as the public saw it
    after the change (``services.dataset_snapshot``: CKAN package_show's fields). ``actor`` is the
    member of staff who made it public (the 決裁者, or the 担当者 on the light path); CKAN's
    ``user_id`` should show the department, not the person.
    """

    class Kind(models.TextChoices):
        NEW = "new", _("公開")
        CHANGED = "changed", _("更新")
        DELETED = "deleted", _("公開停止")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    change = models.ForeignKey(
        DatasetChange, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    snapshot = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("データセットの履歴")
        verbose_name_plural = _("データセットの履歴")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.kind} {self.at:%Y-%m-%d}"


class FreshnessReminder(models.Model):
    """A reminder sent about a dataset's due date: once per dataset, kind and due date.

    ``before`` (to the department, ahead of the due date), ``overdue`` (to the department, after
    it), ``escalated`` (to the DX office, long after it). The unique constraint makes the daily
    run idempotent.
    """

    class Kind(models.TextChoices):
        BEFORE = "before", _("期限前")
        OVERDUE = "overdue", _("期限超過")
        ESCALATED = "escalated", _("DX推進担当へ")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("更新期限のお知らせ")
        verbose_name_plural = _("更新期限のお知らせ")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "kind", "due_on"], name="opendata_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.kind} {self.due_on}"


no_personal_data(Tag, "オープンデータのタグ")
no_personal_data(
    Dataset, "公開するデータセットの目録（問い合わせ先は課の代表アドレス。作成した職員のIDのみ）"
)
no_personal_data(DatasetChange, "データセットの変更の決裁記録（職員のIDのみ）")
no_personal_data(Resource, "公開するファイル・リンクの目録")
no_personal_data(
    ResourceVersion,
    "公開用データの版（個人情報を含むおそれのある列は取込み時に警告し、公開前に確認する。職員のIDのみ）",
)
no_personal_data(DatasetActivity, "公開したデータセットの履歴（公開した内容の写し。職員のIDのみ）")
no_personal_data(FreshnessReminder, "更新期限のお知らせを送った記録（宛先は課・DX推進担当。個人を含まない）")


# --- API tokens for the CKAN Action API's writes (api_tokens.py, ckan.py; issue 8 item 5) ---------


class OpenDataApiToken(models.Model):
    """A token with which a department's own system writes datasets through the CKAN Action API.

    Made and revoked by the department's 課管理者 (or a システム管理者); it may create and patch that
    department's datasets only, and what it proposes goes through the same approval as a 担当者's
    change (or the light path). Only the SHA-256 of the token is stored, with its first 8
    characters to recognise it; the token itself is shown once. Separate from the cases API's
    tokens: a token for open data never reads a case, and the reverse.
    """

    department = models.ForeignKey(
        "organisations.Department", on_delete=models.CASCADE, related_name="opendata_api_tokens"
    )
    name = models.CharField(_("名前"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("オープンデータAPIトークン")
        verbose_name_plural = _("オープンデータAPIトークン")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


no_personal_data(OpenDataApiToken, "オープンデータAPIのトークン（ハッシュのみ。作成した職員のIDのみ）")
