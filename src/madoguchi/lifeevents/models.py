"""Life-event guides (引っ越し, 妊娠・出産・子育て, 介護, 災害), loaded from data/life_events/."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import no_personal_data


class LifeEventGuide(models.Model):
    """One guide: its checked definition (questions and steps) as loaded from its file.

    Loading a changed file replaces the definition and counts up ``version``; a file that
    is gone retires the guide (``is_active``) rather than deleting it. The answers citizens
    give are never stored: they only choose the steps shown in the response.
    """

    slug = models.SlugField(_("案内ID"), max_length=60, unique=True)
    version = models.PositiveIntegerField(_("版"), default=1)
    definition = models.JSONField()
    sha256 = models.CharField(max_length=64)
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(_("公開中"), default=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("くらしの出来事の手続案内")
        verbose_name_plural = _("くらしの出来事の手続案内")
        ordering = ["sort_order", "slug"]

    def __str__(self) -> str:
        return self.slug


no_personal_data("lifeevents.lifeeventguide", "手続案内の定義（質問と手順。市民の回答は保存しない）")
