"""Decision notices (決定通知書) and, for an approved 罹災証明 application, the 罹災証明書 itself:
issued as sealed PDFs anyone can verify (madoguchi.documents)."""

from __future__ import annotations

from madoguchi.forms.fieldtypes import TYPES
from madoguchi.forms.wareki import to_wareki

from .workflows import workflow


def _answer(definition: dict, data: dict, field_id: str) -> str:
    for page in definition["form"]["pages"]:
        for f in page["fields"]:
            if f["id"] == field_id and field_id in data:
                return TYPES[f["type"]].display(f, data[field_id], "ja")
    return ""


def store_decision_notice(decision):
    """Issue the document for an approved decision; returns its stored file."""
    from madoguchi.documents.services import document_issue

    case = decision.case
    submission = case.submission
    definition = submission.version.definition
    outcome = workflow(case.workflow).status(decision.outcome).display("ja")
    if case.procedure.slug == "risai_shomei" and decision.outcome == "approved":
        data = submission.data
        printed = [
            ["受付番号", case.receipt_number],
            ["世帯主", _answer(definition, data, "head_name")],
            ["被災住家の所在地", _answer(definition, data, "damaged_address") or _answer(definition, data, "applicant_address")],
            ["罹災原因", _answer(definition, data, "cause")],
            ["被災日", _answer(definition, data, "disaster_date")],
            ["被害の程度", decision.reason],
        ]  # fmt: skip
        document = document_issue(
            case=case, kind="risai_certificate", title="罹災証明書", addressee=case.applicant_name,
            lines=["次のとおり、災害により被害を受けたことを証明します（災害対策基本法 第90条の2）。"], printed=printed,
        )  # fmt: skip
    else:
        printed = [
            ["手続", definition["name"]["ja"]],
            ["受付番号", case.receipt_number],
            ["受付日", to_wareki(case.received_on)],
            ["決定", outcome],
            ["理由", decision.reason],
        ]
        lines = [f"{definition['name']['ja']}について、次のとおり決定しました。"]
        if decision.outcome == "rejected":
            lines.append("この決定に不服がある場合は、この決定があったことを知った日の翌日から起算して3か月以内に、"
                         "市長に対して審査請求をすることができます（行政不服審査法）。")  # fmt: skip
        document = document_issue(case=case, kind="decision_notice", title="決定通知書", addressee=case.applicant_name,
                                  lines=lines, printed=printed)  # fmt: skip
    return document.file
