"""Personal-data classification of the models of Django and of the libraries we install,
and of the privacy core's own models. Our other apps declare theirs beside each model."""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps

from .registry import PersonalDataFile, Retention, no_personal_data, register_file

DAY = timedelta(days=1)
# Files that the 個人情報ファイル簿 need not list (個人情報保護法 第75条第2項, referring to 第74条第2項).
ONE_YEAR = "1年以内に消去する記録のみのファイル（帳簿への掲載を要しない）"
PERSONNEL = "職員の人事・服務に関する事項を記録するファイル（帳簿への掲載を要しない）"


def _model(label: str):
    return apps.get_model(label)


def _register() -> None:
    for label, reason in {
        "auth.permission": "権限の定義（個人に関する情報を含まない）",
        "auth.group": "権限グループの定義",
        "contenttypes.contenttype": "モデルの一覧",
        "organisations.municipality": "自治体の情報",
        "organisations.department": "課の情報",
        "privacy.audithead": "監査ログの通番とハッシュのみ",
        "privacy.erasurerecord": "消去した記録の種類とIDのみ（消去した内容は残さない）",
        "axes.accessattemptexpiration": "ロックアウトの期限のみ（ログイン試行の記録と同時に消去）",
    }.items():
        no_personal_data(label, reason)

    Session = _model("core.session")
    register_file(PersonalDataFile(
        model=Session, name="ログインセッション", department="ict",
        purpose="ログインした状態を保つため", items=("利用者ID", "有効期限"),
        subjects="ログインした市民及び職員", sources="ログイン時に自動で記録",
        retention=Retention(
            period="有効期限（最後の操作から60分）まで",
            expired=lambda now: Session.objects.filter(expire_date__lt=now),
            expiry_of=lambda s: s.expire_date,
        ),
        in_register=False, excluded_reason=ONE_YEAR,
    ))  # fmt: skip

    LogEntry = _model("admin.logentry")
    register_file(PersonalDataFile(
        model=LogEntry, name="管理サイト操作記録", department="ict",
        purpose="システム管理者による管理サイトでの変更を記録するため",
        items=("職員ID", "操作日時", "対象", "変更内容の要約"), subjects="システム管理者",
        sources="管理サイトの操作時に自動で記録",
        retention=Retention(
            period="5年",
            expired=lambda now: LogEntry.objects.filter(action_time__lt=now - 5 * 365 * DAY),
            expiry_of=lambda e: e.action_time + 5 * 365 * DAY,
        ),
        in_register=False, excluded_reason=PERSONNEL,
    ))  # fmt: skip

    TOTPDevice = _model("otp_totp.totpdevice")
    register_file(PersonalDataFile(
        model=TOTPDevice, name="2段階認証の登録情報", department="ict",
        purpose="ログイン時に本人を確認するため", items=("利用者ID", "認証アプリの鍵（暗号化）"),
        subjects="2段階認証を設定した市民及び職員", sources="本人が設定",
        retention=Retention(
            period="アカウントと同じ（アカウントの削除、設定の解除又はリセットで消去）",
            manual="アカウントの削除と同時に消去される（CASCADE）。本人の解除、管理者のリセットでも消去。",
        ),
        in_register=False, excluded_reason="アカウントのファイルの一部として記載",
    ))  # fmt: skip

    for label, name in (
        ("axes.accessattempt", "ログイン失敗の記録"),
        ("axes.accesslog", "ログインの記録"),
        ("axes.accessfailurelog", "ログイン失敗の履歴"),
    ):
        if not apps.is_installed("axes"):
            continue
        model = _model(label)
        time_field = "attempt_time"
        register_file(PersonalDataFile(
            model=model, name=name, department="ict",
            purpose="不正なログインを防ぎ、調べるため", items=("入力されたメールアドレス", "接続元", "ブラウザ", "日時"),
            subjects="ログインを試みた者", sources="ログイン時に自動で記録",
            retention=Retention(
                period="90日",
                expired=lambda now, m=model, f=time_field: m.objects.filter(**{f"{f}__lt": now - 90 * DAY}),
                expiry_of=lambda o, f=time_field: getattr(o, f) + 90 * DAY,
            ),
            in_register=False, excluded_reason=ONE_YEAR,
        ))  # fmt: skip

    DBTaskResult = _model("django_tasks_database.dbtaskresult")
    register_file(PersonalDataFile(
        model=DBTaskResult, name="バックグラウンド処理の記録", department="ict",
        purpose="メール送信などの処理を順に行うため", items=("利用者ID", "処理の種類", "結果"),
        subjects="処理の対象となった市民及び職員", sources="処理の登録時に自動で記録",
        retention=Retention(
            period="処理の終了から30日",
            expired=lambda now: DBTaskResult.objects.filter(finished_at__lt=now - 30 * DAY),
            expiry_of=lambda t: t.finished_at + 30 * DAY if t.finished_at else None,
        ),
        in_register=False, excluded_reason=ONE_YEAR,
    ))  # fmt: skip

    AuditEvent = _model("privacy.auditevent")
    register_file(PersonalDataFile(
        model=AuditEvent, name="個人情報の取扱記録（監査ログ）", department="ict",
        purpose="個人情報の作成・変更・閲覧・出力を記録し、不正な取扱いを防ぎ、調べるため",
        items=("利用者ID", "所属", "役割", "日時", "操作", "対象", "項目", "目的", "接続元"),
        subjects="個人情報を取り扱った職員及び市民", sources="操作時に自動で記録",
        retention=Retention(
            period="10年",
            manual="ハッシュの連鎖を保つため自動では消去しない。10年を過ぎた分は、監査担当が `audit_verify` で"
            "検証した上で書き出して保管し、データベース管理者が削除する（docs/security.md）。",
        ),
        in_register=False, excluded_reason=PERSONNEL,
    ))  # fmt: skip

    StoredFile = _model("privacy.storedfile")
    register_file(PersonalDataFile(
        model=StoredFile, name="提出書類ファイル", department="ict",
        purpose="申請に添えられた書類を審査し、保存するため", items=("書類の画像・PDF", "ファイル名", "提出者"),
        subjects="書類を提出した市民", sources="本人又は代理人がアップロード、職員がスキャン",
        retention=Retention(
            period="添付先の手続の保存期間（未使用のものは1日）",
            expired=lambda now: StoredFile.objects.filter(retain_until__lt=now),
            expiry_of=lambda f: f.retain_until,
            before_delete=lambda f: _delete_stored_content(f),
        ),
        sensitive=True,
        count_persons=lambda: StoredFile.objects.values("uploaded_by").distinct().count(),
    ))  # fmt: skip


def _delete_stored_content(stored) -> None:
    from .uploads import file_storage

    file_storage().delete(stored.storage_name)


_register()
