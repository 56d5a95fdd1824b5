"""The city and its departments.

One installation serves one municipality (``MADOGUCHI_MUNICIPALITY_CODE``),
but the tables hold any number, so that a data file sets a city up without
code changes.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .validators import validate_local_government_code


def _localised(ja: str, en: str) -> str:
    return en if (get_language() or "ja").startswith("en") and en else ja


class Municipality(models.Model):
    code = models.CharField(
        _("地方公共団体コード"), max_length=6, unique=True, validators=[validate_local_government_code]
    )
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    name_kana = models.CharField(_("名称（かな）"), max_length=100, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=10)
    postal_code = models.CharField(_("郵便番号"), max_length=8, validators=[RegexValidator(r"^\d{3}-\d{4}$")])
    address = models.CharField(_("所在地"), max_length=200)
    address_en = models.CharField(_("所在地（英語）"), max_length=200, blank=True)
    phone = models.CharField(_("代表電話"), max_length=20)
    website = models.URLField(_("ウェブサイト"), blank=True)
    opening_hours = models.CharField(_("開庁時間"), max_length=200, blank=True)
    opening_hours_en = models.CharField(_("開庁時間（英語）"), max_length=200, blank=True)
    # Words that must not appear in passwords (the city's name in its scripts, and so on).
    password_words = models.JSONField(_("パスワードに使えない語"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("自治体")
        verbose_name_plural = _("自治体")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    @property
    def display_address(self) -> str:
        return _localised(self.address, self.address_en)

    @property
    def display_opening_hours(self) -> str:
        return _localised(self.opening_hours, self.opening_hours_en)


class Department(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="departments")
    code = models.SlugField(_("課コード"), max_length=50, help_text=_("URL に使う半角英数字の識別子"))
    name = models.CharField(_("課名"), max_length=100)
    name_en = models.CharField(_("課名（英語）"), max_length=100, blank=True)
    name_kana = models.CharField(_("課名（かな）"), max_length=100, blank=True)
    division = models.CharField(_("部"), max_length=100, blank=True)
    phone = models.CharField(_("電話"), max_length=20, blank=True)
    location = models.CharField(_("窓口の場所"), max_length=200, blank=True)
    location_en = models.CharField(_("窓口の場所（英語）"), max_length=200, blank=True)
    # Where visitors go (来庁予約, the counter): the floor ("1", "B1") and the counter number ("3"),
    # shown as 「1階 3番窓口」.
    floor = models.CharField(_("階"), max_length=10, blank=True)
    counter = models.CharField(_("窓口の番号"), max_length=20, blank=True)
    # 総合窓口: its staff may start counter applications of every department's procedures (docs/counter.md).
    general_counter = models.BooleanField(_("総合窓口"), default=False)
    # 個人番号利用事務 this department is designated for (番号法 別表), as the city's data file says.
    my_number_affairs = models.JSONField(_("個人番号利用事務"), default=list, blank=True)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        verbose_name = _("課")
        verbose_name_plural = _("課")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="department_code_unique_in_city"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    @property
    def display_location(self) -> str:
        return _localised(self.location, self.location_en)
