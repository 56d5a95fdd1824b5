"""Models of the base app: the heartbeat of each background worker (see ``core/worker.py``), the
rate limits' counters (``core/counters.py``) and the log-in sessions (``core/sessions.py``)."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.privacy.registry import no_personal_data


class WorkerHeartbeat(models.Model):
    """One row per running ``manage.py worker`` process, touched every few seconds while it lives.

    A task left RUNNING by a worker whose heartbeat has gone quiet (the process was killed, the host
    lost) is put back in the queue by ``requeue_lost_tasks``."""

    worker_id = models.CharField(_("ワーカーID"), max_length=64, primary_key=True)
    hostname = models.CharField(_("ホスト名"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("プロセスID"), default=0)
    started_at = models.DateTimeField(_("開始日時"), auto_now_add=True)
    last_seen = models.DateTimeField(_("最終応答日時"), db_index=True)

    class Meta:
        verbose_name = _("ワーカーの稼働記録")
        verbose_name_plural = _("ワーカーの稼働記録")

    def __str__(self) -> str:
        return self.worker_id


no_personal_data(WorkerHeartbeat, "バックグラウンド処理のプロセスの稼働記録（個人情報を含まない）")


class RateCounter(models.Model):
    """One counter of the rate limits (``core/counters.py``): hits of one key in one time window."""

    key = models.CharField(_("キー"), max_length=250, primary_key=True)
    value = models.BigIntegerField(_("回数"), default=0)
    expires = models.DateTimeField(_("期限"), db_index=True)

    class Meta:
        verbose_name = _("回数制限のカウンタ")
        verbose_name_plural = _("回数制限のカウンタ")

    def __str__(self) -> str:
        return self.key


no_personal_data(RateCounter, "回数制限の計数（接続元アドレスのハッシュと回数のみ）")


class Session(AbstractBaseSession):
    """Django's database session with the id of the account logged in to it (``core/sessions.py``).

    The column lets one query read a session and its account together (a request that needs the
    user reads both in one statement), and lets the sessions of one account be ended without
    decoding every session. Deleting the account deletes its sessions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("利用者"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("ログインセッション")
        verbose_name_plural = _("ログインセッション")

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore
