"""Notices: every event of an application makes a notice (the citizen's message box) and an e-mail that a
real SMTP server receives; a stopped mail server delays e-mails without losing them; staff edit the
templates; citizens read only their own notices."""

import time

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case
from madoguchi.notifications import rendering
from madoguchi.notifications.kinds import all_kinds
from madoguchi.notifications.models import MessageTemplate, Notice
from madoguchi.notifications.selectors import notices_for
from madoguchi.notifications.services import notices_sweep, notify, receipt_notify
from madoguchi.privacy.models import AuditEvent
from tests.conftest import Mailbox, _free_port, login_verified, make_staff
from tests.support.cases import file_case

pytestmark = pytest.mark.django_db

Status = Notice.EmailStatus


@pytest.fixture
def kosodate_handler(city):
    return make_staff("handler@kosodate.test", "子育 担当", ("kosodate-shien", "handler"))


def _field_to_correct(case) -> str:
    for page in case.submission.version.definition["form"]["pages"]:
        if page.get("repeat"):
            continue
        for f in page["fields"]:
            if f["type"] == "phone" and f["id"] in case.submission.data:
                return f["id"]
    raise AssertionError("no phone field")


def _subject(message) -> str:
    return str(message["Subject"]).strip()  # an encoded header may come back folded with a leading space


def _emails_to(mailbox, address):
    return [m for m in mailbox.messages if m["To"] == address]


# --- every event: a notice and an e-mail ------------------------------------------------------------


def test_each_event_makes_a_notice_and_an_e_mail(
    citizen_erin, kaigo_alice, kaigo_admin, kosodate_handler, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = file_case(citizen_erin)  # 要介護認定 (standard workflow)
        case_services.case_transition(by=kaigo_alice, case=case, to_status="reviewing")
        field = _field_to_correct(case)
        case_services.correction_request(
            by=kaigo_alice, case=case, fields=[field], reason="電話番号をご確認ください"
        )
        case_services.case_send_message(by=kaigo_alice, case=case, text="主治医の連絡先を教えてください")
    post = QueryDict(mutable=True)
    post[f"f-{field}"] = "0225-22-3333"
    with django_capture_on_commit_callbacks(execute=True):
        case_services.correction_submit(user=citizen_erin, case=Case.objects.get(pk=case.pk), post=post)
        decision = case_services.decision_propose(
            by=kaigo_alice, case=case, outcome="approved", reason="要件を満たしています"
        )
        case_services.decision_approve(by=kaigo_admin, decision=decision)
        # A 届出 (notification workflow): recorded (受理) is a change of status, not a decision.
        report = file_case(citizen_erin, slug="jidoteate_genkyo_todoke")
        case_services.case_transition(by=kosodate_handler, case=report, to_status="reviewing")
        case_services.case_transition(by=kosodate_handler, case=report, to_status="completed")

    notices = list(Notice.objects.filter(user=citizen_erin).order_by("created_at"))
    assert [n.kind for n in notices] == ["receipt", "correction", "message", "decision", "receipt", "status"]
    assert notices[0].submission_id == case.submission_id and notices[1].case_id == case.pk
    messages = mailbox.wait_for(6)
    assert len(messages) == 6
    assert {m["To"] for m in messages} == {citizen_erin.email}
    by_subject = {_subject(m): m.get_content().replace("\r\n", "\n") for m in messages}
    for notice in notices:
        assert notice.email_status == Status.SENT and notice.attempts == 1 and notice.sent_at
        assert notice.subject in by_subject  # the e-mail is the notice
        assert notice.body.strip() in by_subject[notice.subject].strip()
    receipt, correction, message, decided, _receipt2, recorded = notices
    assert "要介護・要支援認定の申請" in receipt.subject and case.receipt_number in receipt.body
    assert "補正" in correction.subject and "電話番号をご確認ください" in correction.body
    assert "市から新しいメッセージ" in message.body
    assert "主治医" not in message.body  # the message itself is read on the site, not sent by e-mail
    assert "決定" in decided.subject and "決定（承認）" in decided.body
    assert "受理" in recorded.subject
    detail = reverse("submissions:detail", kwargs={"submission_id": case.submission_id})
    assert receipt.link == detail and f"http://127.0.0.1:8000{detail}" in receipt.body


def test_notices_are_in_the_users_language(citizen_erin, mailbox, django_capture_on_commit_callbacks):
    citizen_erin.preferred_language = "en"
    citizen_erin.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        case = file_case(citizen_erin)
    notice = Notice.objects.get(user=citizen_erin)
    assert (
        notice.subject
        == "[Madoguchi] Received: Application for long-term care certification (要介護・要支援認定)"
    )
    assert "Receipt number: " + case.receipt_number in notice.body
    assert _subject(mailbox.wait_for(1)[0]) == notice.subject


def test_a_filing_without_an_account_gets_its_receipt_by_e_mail_only(citizen_erin, mailbox,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    case = file_case(citizen_erin)
    submission = case.submission
    submission.user = None
    submission.data = {**submission.data, "contact_email": "someone@example.test"}
    submission.save()
    before = Notice.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert receipt_notify(submission=submission) is None
    message = mailbox.wait_for(1)[-1]
    assert message["To"] == "someone@example.test" and submission.receipt_number in message.get_content()
    assert Notice.objects.count() == before  # no account, no message box


# --- a stopped mail server --------------------------------------------------------------------------------


class RestartableSMTP:
    """A real aiosmtpd server of its own that a test stops and starts again on the same address."""

    def __init__(self, settings):
        self.port = _free_port()
        self.mailbox = Mailbox()
        self.controller = None
        settings.EMAIL_PORT = self.port
        self.start()

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()
        self.controller = None


@pytest.fixture
def smtp(settings, mailbox):
    server = RestartableSMTP(settings)  # after `mailbox`, which points e-mail at the shared server
    yield server
    if server.controller is not None:
        server.stop()


def test_a_stopped_mail_server_delays_the_e_mail_without_losing_it(
    settings, as_user, citizen_erin, kaigo_alice, smtp, django_capture_on_commit_callbacks
):
    settings.MADOGUCHI_EMAIL_RETRY_DELAYS = [1, 1, 1]
    with django_capture_on_commit_callbacks(execute=True):
        case = file_case(citizen_erin)
    assert len(smtp.mailbox.wait_for(1)) == 1  # the receipt
    staff = as_user(kaigo_alice)
    smtp.stop()
    with django_capture_on_commit_callbacks(execute=True):  # the worker's first attempt runs in-process here
        response = staff.post(reverse("cases:action", kwargs={"case_id": case.pk}),
                              {"action": "message", "text": "書類をご確認ください"})  # fmt: skip
    assert response.status_code == 302  # the page did not fail for the mail server
    notice = Notice.objects.get(user=citizen_erin, kind="message")
    assert notice.email_status == Status.PENDING and notice.attempts == 1
    assert notice.last_error == "ConnectionRefusedError"  # the exception's class, nothing personal
    assert notice in notices_for(user=citizen_erin)  # on My page already

    smtp.start()  # the mail server is back
    assert notices_sweep() == 0  # not due yet: the retry waits its delay
    time.sleep(1.1)
    assert notices_sweep() == 1
    messages = smtp.mailbox.wait_for(2)
    assert _subject(messages[1]) == notice.subject and messages[1]["To"] == citizen_erin.email
    notice.refresh_from_db()
    assert notice.email_status == Status.SENT and notice.attempts == 2 and notice.last_error == ""
    assert notices_sweep() == 0  # sent once, never again
    time.sleep(0.3)
    assert len(smtp.mailbox.messages) == 2


def test_after_the_last_retry_the_e_mail_is_failed_and_the_ict_office_can_send_it_again(
    settings, citizen_erin, sysadmin, smtp, django_capture_on_commit_callbacks
):
    settings.MADOGUCHI_EMAIL_RETRY_DELAYS = [1]  # two attempts in all
    smtp.stop()
    with django_capture_on_commit_callbacks(execute=True):
        notice = notify(user=citizen_erin, kind="message", link="/",
                        context={"procedure_name": "テスト", "receipt_number": "1", "submitted_at": timezone.now(),
                                 "department_name": "介護保険課", "department_phone": ""})  # fmt: skip
    time.sleep(1.1)
    notices_sweep()
    notice.refresh_from_db()
    assert notice.email_status == Status.FAILED and notice.attempts == 2 and notice.next_attempt_at is None
    time.sleep(1.1)
    assert notices_sweep() == 0  # given up

    client = Client()
    login_verified(client, sysadmin)
    page = client.get(reverse("notifications:staff_overview")).content.decode()
    assert "送信できなかったメール（1 件）を送り直す" in page
    smtp.start()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications:staff_overview"), {"action": "retry_failed"})
    notice.refresh_from_db()
    assert notice.email_status == Status.SENT
    assert [m["To"] for m in smtp.mailbox.wait_for(1)] == [citizen_erin.email]
    assert AuditEvent.objects.filter(object_type="notifications.notice", action="change").exists()


class RefusingMailbox(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such mailbox"


def test_a_refusal_for_good_fails_at_once(settings, citizen_erin, django_capture_on_commit_callbacks):
    server = Controller(RefusingMailbox(), hostname="127.0.0.1", port=_free_port())
    server.start()
    settings.EMAIL_PORT = server.port
    try:
        with django_capture_on_commit_callbacks(execute=True):
            notice = notify(user=citizen_erin, kind="message", link="/", context={"procedure_name": "テスト"})
    finally:
        server.stop()
    notice.refresh_from_db()
    assert notice.email_status == Status.FAILED and notice.attempts == 1
    assert notice.last_error == "SMTPRecipientsRefused"


@pytest.mark.django_db(transaction=True)
def test_with_the_database_queue_the_worker_sends_it_when_the_server_returns(
    settings, client, citizen_erin, kaigo_alice, smtp
):
    """The done-when of issue 7: stop aiosmtpd, act, start it again: the e-mail goes out, once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.MADOGUCHI_EMAIL_RETRY_DELAYS = [1, 1, 1]
    from django_tasks_db.models import DBTaskResult

    def worker():
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    case = file_case(citizen_erin)
    worker()  # the receipt
    assert len(smtp.mailbox.wait_for(1)) == 1
    login_verified(client, kaigo_alice)
    smtp.stop()
    response = client.post(reverse("cases:action", kwargs={"case_id": case.pk}),
                           {"action": "message", "text": "書類をご確認ください"})  # fmt: skip
    assert response.status_code == 302  # queued, not sent: the page never waits for the mail server
    worker()  # tries, fails, and queues itself again for later
    notice = Notice.objects.get(kind="message")
    assert notice.email_status == Status.PENDING and notice.attempts == 1
    waiting = DBTaskResult.objects.get(status="READY")  # the retry, waiting for its time
    assert waiting.task_path.endswith("send_notice_email") and waiting.run_after == notice.next_attempt_at

    smtp.start()
    worker()  # too early: the retry is not due yet
    assert len(smtp.mailbox.messages) == 1
    time.sleep(1.2)
    worker()
    messages = smtp.mailbox.wait_for(2)
    time.sleep(0.3)
    assert len(smtp.mailbox.messages) == 2 and _subject(messages[-1]) == notice.subject
    notice.refresh_from_db()
    assert notice.email_status == Status.SENT and notice.attempts == 2
    assert notices_sweep() == 0
    worker()
    assert len(smtp.mailbox.messages) == 2


# --- templates staff edit -----------------------------------------------------------------------------


def test_every_kind_ships_a_valid_template_in_both_languages(city):
    for kind in all_kinds():
        for language in ("ja", "en"):
            assert rendering.has_default(kind, language), (kind, language)
            subject, body = rendering.default_template(kind, language)
            assert rendering.validate(kind=kind, language=language, subject=subject, body=body) == {}, (
                kind,
                language,
            )


def _edit_url(kind="receipt", language="ja"):
    return reverse("notifications:template_edit", kwargs={"kind": kind, "language": language})


def test_the_ict_office_edits_a_template_and_the_next_notice_uses_it(
    as_user, sysadmin, citizen_erin, mailbox, django_capture_on_commit_callbacks
):
    client = as_user(sysadmin)
    assert "受け付けました" in client.get(_edit_url()).content.decode()
    preview = client.post(_edit_url(), {"action": "preview", "subject": "【石巻市】受付：{{ procedure_name }}",
                                        "body": "受付番号は {{ receipt_number }} です。\n{{ link }}"})  # fmt: skip
    assert "受付番号は 12345678901234567890 です。" in preview.content.decode()
    assert not MessageTemplate.objects.exists()  # a preview saves nothing
    response = client.post(_edit_url(), {"action": "save", "subject": "【石巻市】受付：{{ procedure_name }}",
                                         "body": "受付番号は {{ receipt_number }} です。\n{{ link }}"})  # fmt: skip
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        object_type="notifications.messagetemplate", object_id="receipt.ja"
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        case = file_case(citizen_erin)
    notice = Notice.objects.get(user=citizen_erin)
    assert notice.subject == "【石巻市】受付：要介護・要支援認定の申請"
    assert notice.body.startswith(f"受付番号は {case.receipt_number} です。")
    assert _subject(mailbox.wait_for(1)[0]) == notice.subject

    # English is untouched; "reset" brings the Japanese default back.
    assert not MessageTemplate.objects.filter(language="en").exists()
    client.post(_edit_url(), {"action": "reset"})
    assert not MessageTemplate.objects.exists()
    assert rendering.template_source("receipt", "ja")[0].startswith("【{{ city_name }}】受け付けました")


def test_a_broken_template_is_refused_field_by_field(as_user, sysadmin):
    client = as_user(sysadmin)
    response = client.post(_edit_url("correction"), {
        "action": "save", "subject": "補正 {{ secret_key }}", "body": "{% if reason %}理由：{{ reason }}",
    })  # fmt: skip
    assert response.status_code == 400
    form = response.context["form"]
    assert any("secret_key" in e for e in form.errors["subject"])
    assert any("書き方に誤りがあります" in e for e in form.errors["body"])
    page = response.content.decode()
    assert "使えない変数です：secret_key" in page and "入力内容を確認してください" in page
    assert not MessageTemplate.objects.exists()

    for body, message in [
        ("{% load static %}{% static 'x' %}", "書き方に誤りがあります"),
        ("{% include 'base.html' %}", "書き方に誤りがあります"),
        ("{% debug %}", "使えないタグです：debug"),
        ("{% url 'core:home' %}", "使えないタグです：url"),
        ("{{ reason.upper.nothing }}", "使えない変数です：reason.upper.nothing"),
        (
            "{% for x in receipt_number %}{{ x }}{{ forloop.counter }}{% endfor %}",
            None,
        ),  # loop variables are fine
    ]:
        response = client.post(_edit_url("correction"), {"action": "save", "subject": "件名", "body": body})
        if message is None:
            assert response.status_code == 302, body
        else:
            assert response.status_code == 400 and any(
                message in e for e in response.context["form"].errors["body"]
            ), body


@pytest.mark.parametrize("persona", ["kaigo_admin", "kaigo_alice", "dx_dana", "citizen_erin"])
def test_only_the_ict_office_reaches_the_notification_settings(request, persona, city):
    client = Client()
    login_verified(client, request.getfixturevalue(persona))
    for url in (reverse("notifications:staff_overview"), _edit_url()):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "save", "subject": "x", "body": "x"}).status_code == 404, url
    assert not MessageTemplate.objects.exists()


def test_an_unknown_kind_or_language_is_404(as_user, sysadmin):
    client = as_user(sysadmin)
    assert client.get(_edit_url("nothing")).status_code == 404
    assert client.get(_edit_url("receipt", "fr")).status_code == 404


# --- the citizen's notices ------------------------------------------------------------------------------


def test_citizens_read_their_own_notices_only(
    citizen_erin, citizen_frank, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        erin_case = file_case(citizen_erin)
        file_case(citizen_frank)
    erins = Notice.objects.get(user=citizen_erin)
    franks = Notice.objects.get(user=citizen_frank)
    erin = Client()
    login_verified(erin, citizen_erin)
    page = erin.get(reverse("notifications:notices")).content.decode()
    assert erins.subject in page and "新着" in page
    assert reverse("notifications:notice_detail", kwargs={"notice_id": franks.pk}) not in page
    erins.refresh_from_db()
    assert erins.read_at is not None  # listed, so read
    assert "新着" not in erin.get(reverse("notifications:notices")).content.decode()

    detail = erin.get(reverse("notifications:notice_detail", kwargs={"notice_id": erins.pk})).content.decode()
    assert erin_case.receipt_number in detail
    assert (
        erin.get(reverse("notifications:notice_detail", kwargs={"notice_id": franks.pk})).status_code == 404
    )
    franks.refresh_from_db()
    assert franks.read_at is None


def test_the_include_for_my_page(citizen_erin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        file_case(citizen_erin)
        file_case(citizen_erin, slug="jidoteate_genkyo_todoke")
    notices = notices_for(user=citizen_erin)
    assert [n.kind for n in notices] == ["receipt", "receipt"]
    assert "児童手当の現況届" in notices[0].subject  # newest first
    html = render_to_string("notifications/_notice_list.html", {"notices": notices})
    assert html.index("児童手当の現況届") < html.index("要介護・要支援認定の申請")
    assert "お知らせはまだありません" in render_to_string("notifications/_notice_list.html", {"notices": []})
