"""The citizen's profile: what they agreed to keep so that no form asks it twice (ワンスオンリー)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.fields import EncryptedJSONField
from madoguchi.privacy.registry import Retention, personal_data_file


@personal_data_file(
    name="プロフィール（入力の省略）ファイル",
    department="ict",
    purpose="本人の同意を得て、オンライン申請の入力欄に、保存した氏名・住所・口座などをあらかじめ入力するため",
    items=(
        "氏名",
        "フリガナ",
        "生年月日",
        "住所",
        "電話番号",
        "振込先口座",
        "世帯の人の氏名・生年月日・続柄",
    ),
    subjects="プロフィールを保存した市民",
    sources="本人が入力、又は本人の同意を得て本人の申請から保存",
    sensitive=False,
    retention=Retention(
        period="本人が消すまで（アカウントを削除したときは同時に消去）",
        expired=lambda now: Profile.objects.filter(user__is_active=False),
        expiry_of=lambda p: None,
    ),
)
class Profile(models.Model):
    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="profile")
    # {shared key: cleaned value}, for the keys in madoguchi.forms.shared.PROFILE_KEYS. Encrypted.
    data = EncryptedJSONField(default=dict)
    # [{name, kana, birth_date, relationship}]
    household = EncryptedJSONField(default=list)
    prefill_consent = models.BooleanField(_("申請書への入力に使う"), default=False)
    consented_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("プロフィール")
        verbose_name_plural = _("プロフィール")

    def __str__(self) -> str:
        return f"profile of user {self.user_id}"


class ProfileUse(models.Model):
    """Which form used (or updated) which kept answers, and when: shown to the citizen."""

    class Direction(models.TextChoices):
        PREFILL = "prefill", _("申請書に入力")
        SAVED = "saved", _("申請から保存")

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="uses")
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    keys = models.JSONField(default=list)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.direction} {self.procedure_id}"


from madoguchi.privacy.registry import no_personal_data  # noqa: E402

no_personal_data("profiles.profileuse", "どの手続がプロフィールのどの項目を使ったかの記録（値は含まない）")
