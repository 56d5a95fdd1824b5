"""Procedures and their immutable, versioned definitions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import no_personal_data


class Procedure(models.Model):
    """A procedure the city offers; what citizens see comes from its current version."""

    slug = models.SlugField(_("手続ID"), max_length=80, unique=True)
    department = models.ForeignKey(
        "organisations.Department", on_delete=models.PROTECT, related_name="procedures"
    )
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("名称（英語）"), max_length=200)
    search_text = models.TextField(blank=True, editable=False)
    life_events = models.JSONField(default=list, blank=True)
    current_version = models.ForeignKey(
        "ProcedureVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("受付中"), default=True)

    class Meta:
        verbose_name = _("手続")
        verbose_name_plural = _("手続")
        ordering = ["department__sort_order", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "ja").startswith("en") and self.name_en else self.name


class ProcedureVersion(models.Model):
    """One published (or candidate) definition. Never changed once written."""

    class Source(models.TextChoices):
        FILE = "file", _("リポジトリのファイル")
        UPLOAD = "upload", _("職員によるアップロード")

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    definition = models.JSONField()
    schema = models.JSONField()
    source_text = models.TextField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)
    published_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("手続の版")
        verbose_name_plural = _("手続の版")
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="procedure_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.procedure.slug} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk and "update_fields" not in kwargs:
            raise ValueError("a procedure version is immutable; publish a new one instead")
        if self.pk and set(kwargs["update_fields"]) - {"published_at", "published_by"}:
            raise ValueError("only publication may be recorded on an existing version")
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


no_personal_data("procedures.procedure", "手続の定義")
no_personal_data("procedures.procedureversion", "手続の定義の版（作成した職員のIDのみ）")
