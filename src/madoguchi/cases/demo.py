"""Demo cases for `make run`: a few hundred applications across departments and statuses, so that a
new staff user sees a working queue. Filed through the same services as real ones."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from madoguchi.accounts.models import StaffRole, User
from madoguchi.forms.samples import sample_answers
from madoguchi.procedures.models import Procedure
from madoguchi.submissions import services as submission_services
from madoguchi.submissions.models import Submission

from . import services
from .calendar import add_business_days
from .models import Case

FAMILY = ["佐藤", "鈴木", "高橋", "阿部", "千葉", "遠藤", "菅原", "及川", "木村", "今野", "武山", "牡鹿"]
FAMILY_KANA = [
    "サトウ",
    "スズキ",
    "タカハシ",
    "アベ",
    "チバ",
    "エンドウ",
    "スガワラ",
    "オイカワ",
    "キムラ",
    "コンノ",
    "タケヤマ",
    "ワタナベ",
]
GIVEN = ["一郎", "花子", "健太", "美咲", "翔", "陽菜", "大輔", "結衣", "勝", "和子"]
GIVEN_KANA = [
    "イチロウ",
    "ハナコ",
    "ケンタ",
    "ミサキ",
    "ショウ",
    "ヒナ",
    "ダイスケ",
    "ユイ",
    "マサル",
    "カズコ",
]


def _names(definition: dict, rng: random.Random) -> dict:
    i, j = rng.randrange(len(FAMILY)), rng.randrange(len(GIVEN))
    answers = {}
    for page in definition["form"]["pages"]:
        for f in page["fields"]:
            if f["type"] == "name" and f["id"] not in answers:
                answers[f["id"]] = {"family": FAMILY[i], "given": GIVEN[j]}
            if f["type"] == "furigana" and f["id"] not in answers:
                answers[f["id"]] = {"family": FAMILY_KANA[i], "given": GIVEN_KANA[j]}
    return answers


def seed_demo_cases(*, count: int = 300, seed: int = 42) -> int:
    """Idempotent: does nothing when demo cases exist already."""
    if Case.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311  (demo data, reproducible on purpose)
    citizens = list(User.objects.filter(kind=User.Kind.CITIZEN, email__endswith="@demo.madoguchi.example"))
    procedures = list(Procedure.objects.filter(current_version__isnull=False).select_related("department"))
    if not citizens or not procedures:
        return 0
    now = timezone.now()
    made = 0
    for n in range(count):
        procedure = rng.choice(procedures)
        definition = procedure.current_version.definition
        with transaction.atomic():
            draft = submission_services.draft_start(procedure=procedure, user=rng.choice(citizens))
            given = _as_proxy(procedure, definition) if n % 9 == 4 and "proxy" in definition["filers"] else {}
            submission_services.draft_save(
                draft=draft,
                values={**sample_answers(definition, given=given), **_names(definition, rng), **given},
            )
            channel = rng.choice(["online", "online", "online", "counter", "paper"])
            if submission_services.needs_signature(definition, channel):  # signed with a test card
                from madoguchi.identity.dev_helpers import sign_draft_with_test_card

                sign_draft_with_test_card(draft)
            submission = submission_services.submission_create(
                draft_id=draft.pk, idempotency_key=draft.submission_token, user=draft.user, channel=channel,
            )  # fmt: skip
            days_ago = rng.randrange(0, 60)
            submitted = now - timedelta(days=days_ago, hours=rng.randrange(0, 8))
            received = timezone.localdate(submitted)
            Submission.objects.filter(pk=submission.pk).update(submitted_at=submitted)
            Case.objects.filter(submission=submission).update(
                received_on=received, due_on=add_business_days(received, definition["processing_days"])
            )
            for case in submission.cases.all():  # several when the procedure says so (cases:)
                _advance(case, rng, n)
        made += 1
    return made


def _as_proxy(procedure, definition: dict) -> dict:
    """Answers of a 代理人, with a 委任状 attached (the blank form the city prints, as a stand-in)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from madoguchi.privacy.services import file_store
    from madoguchi.procedures.definitions import POWER_OF_ATTORNEY
    from madoguchi.procedures.poa import render_power_of_attorney

    letter = file_store(
        uploaded=SimpleUploadedFile(
            "ininjo.pdf", render_power_of_attorney(procedure), content_type="application/pdf"
        ),
        department=procedure.department,
    )
    answers = {
        definition["filer"]["field"]: "proxy",
        POWER_OF_ATTORNEY: [{"id": str(letter.pk), "name": "委任状.pdf"}],
    }
    name_field = definition["filer"].get("proxy_name")
    if name_field:
        answers[name_field] = {"family": "代理", "given": "良子"}
    return answers


def _advance(case: Case, rng: random.Random, n: int) -> None:
    """Move some cases along, as a department would have."""
    staff = list(User.objects.filter(staff_roles__department=case.department, is_active=True,
                                     staff_roles__role__in=[StaffRole.Role.HANDLER, StaffRole.Role.DEPT_ADMIN]).distinct())  # fmt: skip
    approvers = list(
        User.objects.filter(
            staff_roles__department=case.department, staff_roles__role=StaffRole.Role.APPROVER
        )
    )
    if not staff:
        return
    worker = rng.choice(staff)
    stage = rng.random()
    if stage < 0.25:
        return
    if stage < 0.85:
        services.cases_assign(by=worker, cases=[case], assignee=worker)
    services.case_transition(by=worker, case=case, to_status="reviewing")
    if stage < 0.55:
        return
    if stage < 0.65:
        field = _a_text_field(case)
        if field:
            services.correction_request(
                by=worker, case=case, fields=[field], reason="記載内容をご確認ください。"
            )
        return
    flow_decisions = [s for s in ("approved", "rejected") if s in {st.id for st in _flow(case).statuses}]
    if flow_decisions and approvers:
        outcome = "approved" if rng.random() < 0.85 else "rejected"
        decision = services.decision_propose(
            by=worker, case=case, outcome=outcome, reason="要件を確認しました。"
        )
        if stage < 0.8:
            return  # waiting for the 決裁者
        services.decision_approve(by=rng.choice(approvers), decision=decision)
        if stage > 0.9:
            services.case_transition(by=worker, case=case, to_status="completed")
    elif not flow_decisions:
        services.case_transition(by=worker, case=case, to_status="completed")


def _flow(case):
    from .workflows import workflow

    return workflow(case.workflow)


def _a_text_field(case) -> str | None:
    for page in case.submission.version.definition["form"]["pages"]:
        if page.get("repeat"):
            continue
        for f in page["fields"]:
            if f["type"] in ("phone", "address") and f["id"] in case.submission.data:
                return f["id"]
    return None
