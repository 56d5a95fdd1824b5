"""The counter: applications typed in by staff for a visitor (書かない窓口), and bookings of a
department's counter (来庁予約).

- ``CounterSchedule``: when a department's counter takes bookings (weekdays, hours, slot length,
  visitors per slot). The city's closed days (weekends, national holidays, 12/29–1/3) never open.
- ``CounterSlot``: a slot somebody booked, with how many are booked. Every booking of the slot locks
  this row and raises ``booked`` only while it is below ``capacity`` (a check constraint holds it there),
  so a full slot is never booked twice, whatever the concurrency.
- ``Booking``: a citizen's booking, with a short readable reference (予約番号).
- ``CounterSession``: one visitor at one member of staff's counter. Drafts typed in for the visitor
  belong to the session (``CounterDraft``), never to the member of staff; ending the session, or
  starting the next visitor's, deletes them.
- ``CounterFiling``: how a counter submission was made: the identity document checked, how the
  visitor confirmed the answers, whether their earlier data was used with their consent.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import Retention, no_personal_data, personal_data_file

SESSION_KEPT = timedelta(days=30)
SESSION_ABANDONED = timedelta(hours=12)
BOOKING_KEPT = timedelta(days=365)


def _day_start(day):
    from datetime import datetime

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


class CounterSchedule(models.Model):
    """Opening hours of a department's counter for bookings; a department may have several (morning, afternoon)."""

    department = models.ForeignKey(
        "organisations.Department", on_delete=models.CASCADE, related_name="counter_schedules"
    )
    weekdays = models.JSONField(_("曜日"), default=list)  # 0 = Monday ... 4 = Friday
    opens_at = models.TimeField(_("受付開始"))
    closes_at = models.TimeField(_("受付終了"))
    slot_minutes = models.PositiveSmallIntegerField(_("1枠の長さ（分）"))
    capacity = models.PositiveSmallIntegerField(_("1枠の人数"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("窓口の予約枠")
        verbose_name_plural = _("窓口の予約枠")
        ordering = ["department", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")), name="counter_schedule_hours"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="counter_schedule_capacity"),
            models.CheckConstraint(condition=models.Q(slot_minutes__gte=5), name="counter_schedule_slot_minutes"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.department_id} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class CounterSlot(models.Model):
    """A slot of a department's counter, made when it is first booked; locked by every booking of it."""

    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("日"))
    start = models.TimeField(_("開始"))
    end = models.TimeField(_("終了"))
    capacity = models.PositiveSmallIntegerField(_("人数"))
    booked = models.PositiveSmallIntegerField(_("予約済み"), default=0)

    class Meta:
        verbose_name = _("予約枠")
        verbose_name_plural = _("予約枠")
        ordering = ["day", "start"]
        constraints = [
            models.UniqueConstraint(fields=["department", "day", "start"], name="counter_slot_unique"),
            models.CheckConstraint(condition=models.Q(booked__lte=models.F("capacity")), name="counter_slot_not_overbooked"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.department_id} {self.day} {self.start:%H:%M}"


@personal_data_file(
    name="来庁予約ファイル",
    department="ict",
    purpose="市民が窓口に来る日時を予約し、担当課が来庁者を迎えて手続を受け付けるため",
    items=(
        "予約番号",
        "予約した人のアカウント",
        "手続",
        "課",
        "日時",
        "予約の状況",
        "来庁を受け付けた職員と日時",
    ),
    subjects="窓口への来庁を予約した市民",
    sources="本人がオンラインで予約",
    sensitive=False,
    retention=Retention(
        period="予約した日から1年",
        expired=lambda now: Booking.objects.filter(slot__day__lt=(now - BOOKING_KEPT).date()),
        expiry_of=lambda b: _day_start(b.slot.day) + BOOKING_KEPT,
    ),
    count_persons=lambda: Booking.objects.values("user").distinct().count(),
)
class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("予約中")
        CHECKED_IN = "checked_in", _("来庁済み")
        CANCELLED = "cancelled", _("取消し")

    ACTIVE = (Status.BOOKED, Status.CHECKED_IN)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("予約番号"), max_length=12, unique=True)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="counter_bookings")
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="+")
    slot = models.ForeignKey(CounterSlot, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(_("状況"), max_length=20, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField(_("予約日時"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(_("来庁受付日時"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("来庁予約")
        verbose_name_plural = _("来庁予約")
        ordering = ["slot__day", "slot__start", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "slot"], condition=models.Q(status__in=["booked", "checked_in"]),
                name="counter_booking_once_per_slot",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["department", "status"], name="counter_booking_dept_status")]

    def __str__(self) -> str:
        return f"booking {self.reference}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class IdentityDocument(models.TextChoices):
    """What the visitor showed at the counter. One document with a photo, or two without."""

    MYNUMBER_CARD = "mynumber_card", _("マイナンバーカード")
    DRIVING_LICENCE = "driving_licence", _("運転免許証（運転経歴証明書を含む）")
    RESIDENCE_CARD = "residence_card", _("在留カード・特別永住者証明書")
    PASSPORT = "passport", _("パスポート")
    PHOTO_ID = "photo_id", _("その他の顔写真付きの公的な証明書（身体障害者手帳など）")
    TWO_DOCUMENTS = "two_documents", _("顔写真のない書類2点")


class SecondaryDocument(models.TextChoices):
    """Documents without a photo; two of them stand for one with a photo (健康保険の資格確認書＋α)."""

    HEALTH_INSURANCE = "health_insurance", _("健康保険の資格確認書・資格情報のお知らせ")
    PENSION = "pension", _("年金手帳・基礎年金番号通知書")
    KAIGO_INSURED = "kaigo_insured", _("介護保険の被保険者証")
    MEDICAL = "medical", _("医療費の受給者証")
    STUDENT_EMPLOYEE = "student_employee", _("顔写真付きの学生証・社員証")
    BANK = "bank", _("預金通帳・キャッシュカード")
    OTHER = "other", _("その他、市が認める書類")


@personal_data_file(
    name="窓口受付の記録",
    department="ict",
    purpose="窓口で職員が来庁者の申請を入力するあいだ、来庁者、本人確認の方法、入力への同意を記録するため",
    items=(
        "来庁者のアカウント",
        "本人確認書類の種類",
        "以前の申請とプロフィールを使うことへの同意と日時",
        "受付をした職員",
        "来庁予約",
        "開始・終了日時",
    ),
    subjects="窓口で申請をした来庁者",
    sources="職員が窓口で記録",
    sensitive=False,
    retention=Retention(
        period="受付の終了から30日（終了しなかったものは開始から12時間で終了し、その30日後）",
        expired=lambda now: CounterSession.objects.filter(
            models.Q(ended_at__lt=now - SESSION_KEPT)
            | models.Q(ended_at__isnull=True, started_at__lt=now - SESSION_ABANDONED - SESSION_KEPT)
        ),
        # A session's drafts go when it ends; those of one never ended expire within a day (Draft's retention).
        expiry_of=lambda s: (s.ended_at or s.started_at + SESSION_ABANDONED) + SESSION_KEPT,
    ),
    in_register=False,
    excluded_reason="1年以内に消去する記録のみのファイル（帳簿への掲載を要しない）",
)
class CounterSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    staff = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="+")
    visitor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    identity_document = models.CharField(
        _("本人確認書類"), max_length=20, choices=IdentityDocument.choices, blank=True
    )
    identity_secondary = models.JSONField(_("顔写真のない書類"), default=list, blank=True)
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    # Asked at the counter, once per visitor: None until asked.
    prefill_consent = models.BooleanField(_("以前の申請とプロフィールを使う"), null=True, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("窓口受付")
        verbose_name_plural = _("窓口受付")
        constraints = [
            models.UniqueConstraint(
                fields=["staff"], condition=models.Q(ended_at__isnull=True), name="counter_one_open_session"
            ),
        ]

    def __str__(self) -> str:
        return f"counter session {self.pk}"

    @property
    def identity_checked(self) -> bool:
        return bool(self.identity_document)


class CounterDraft(models.Model):
    """A draft typed in at the counter belongs to the visitor's session, not to the member of staff."""

    draft = models.OneToOneField(
        "submissions.Draft", on_delete=models.CASCADE, primary_key=True, related_name="counter"
    )
    session = models.ForeignKey(CounterSession, on_delete=models.CASCADE, related_name="drafts")

    def __str__(self) -> str:
        return f"counter draft {self.pk}"


@personal_data_file(
    name="窓口での申請の記録",
    department="ict",
    purpose="窓口で受け付けた申請について、本人確認の方法と内容の確認の方法を記録するため",
    items=("本人確認書類の種類", "内容の確認の方法", "以前の申請とプロフィールを使うことへの同意"),
    subjects="窓口で申請をした者",
    sources="職員が窓口で記録",
    retention=Retention(
        period="申請データと同じ（手続ごとの保存期間）",
        manual="申請データの消去とともに消去される（CASCADE）。",
    ),
    in_register=False,
    excluded_reason="手続ごとのファイルとして帳簿に掲載",
)
class CounterFiling(models.Model):
    """How a submission was made at the counter (kept with the submission)."""

    class Confirmation(models.TextChoices):
        SHEET = "sheet", _("確認票に署名")
        TABLET = "tablet", _("画面で確認")

    submission = models.OneToOneField(
        "submissions.Submission", on_delete=models.CASCADE, primary_key=True, related_name="counter_filing"
    )
    session = models.ForeignKey(
        CounterSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="filings"
    )
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    identity_document = models.CharField(_("本人確認書類"), max_length=20, choices=IdentityDocument.choices)
    identity_secondary = models.JSONField(_("顔写真のない書類"), default=list, blank=True)
    confirmed_by = models.CharField(_("内容の確認"), max_length=10, choices=Confirmation.choices)
    prefill_consent = models.BooleanField(_("以前の申請とプロフィールを使うことへの同意"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("窓口での申請")
        verbose_name_plural = _("窓口での申請")

    def __str__(self) -> str:
        return f"counter filing {self.pk}"


no_personal_data("counter.counterschedule", "窓口の予約枠の設定（個人情報を含まない）")
no_personal_data("counter.counterslot", "予約枠ごとの予約数（個人情報を含まない）")
no_personal_data("counter.counterdraft", "下書きと窓口受付のつながり（記載事項は下書きに保存）")


# --- kiosks: shelter tablets that file applications, one applicant at a time ---------------------------


class Kiosk(models.Model):
    """A browser (a shelter's tablet or PC) enrolled by staff as a kiosk for a place (避難所).

    The browser holds a signed, HttpOnly cookie with the kiosk's id and a random key; only the key's
    hash is stored. Revoking the kiosk (``revoked_at``) refuses the cookie at once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT, related_name="+")
    place = models.CharField(_("設置場所（避難所名）"), max_length=100)
    procedures = models.JSONField(_("受け付ける手続"), default=list)  # slugs
    key_hash = models.CharField(max_length=64, editable=False)
    enrolled_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    enrolled_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("受付端末")
        verbose_name_plural = _("受付端末")
        ordering = ["-enrolled_at"]

    def __str__(self) -> str:
        return f"kiosk {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class KioskVisit(models.Model):
    """One applicant at a kiosk: from 「はじめる」 to 「終わる」 (or the idle time). Bound to the browser's
    session; its drafts are deleted when it ends."""

    class EndReason(models.TextChoices):
        DONE = "done", _("終了")
        IDLE = "idle", _("時間切れ")
        NEXT = "next", _("次の方")
        REVOKED = "revoked", _("端末の登録取消し")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="visits")
    started_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = _("受付端末の利用")
        verbose_name_plural = _("受付端末の利用")
        indexes = [models.Index(fields=["kiosk", "ended_at"], name="counter_kioskvisit_open")]

    def __str__(self) -> str:
        return f"kiosk visit {self.pk}"


class KioskDraft(models.Model):
    """A draft typed in at a kiosk belongs to the applicant's visit, never to an account or a session key."""

    draft = models.OneToOneField(
        "submissions.Draft", on_delete=models.CASCADE, primary_key=True, related_name="kiosk"
    )
    visit = models.ForeignKey(KioskVisit, on_delete=models.CASCADE, related_name="drafts")

    def __str__(self) -> str:
        return f"kiosk draft {self.pk}"


class KioskFiling(models.Model):
    """Where a submission was filed at a kiosk (kept and erased with the submission)."""

    submission = models.OneToOneField(
        "submissions.Submission", on_delete=models.CASCADE, primary_key=True, related_name="kiosk_filing"
    )
    kiosk = models.ForeignKey(Kiosk, on_delete=models.SET_NULL, null=True, blank=True, related_name="filings")
    visit = models.ForeignKey(
        KioskVisit, on_delete=models.SET_NULL, null=True, blank=True, related_name="filings"
    )
    place = models.CharField(_("受付場所（避難所名）"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("受付端末での申請")
        verbose_name_plural = _("受付端末での申請")

    def __str__(self) -> str:
        return f"kiosk filing {self.pk}"


no_personal_data("counter.kiosk", "受付端末の設置場所と受け付ける手続（個人情報を含まない）")
no_personal_data("counter.kioskvisit", "受付端末の利用の開始・終了日時（個人情報を含まない）")
no_personal_data("counter.kioskdraft", "下書きと受付端末の利用のつながり（記載事項は下書きに保存）")
no_personal_data("counter.kioskfiling", "申請と受付場所のつながり（記載事項は申請に保存）")
