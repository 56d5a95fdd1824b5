"""Exports of selected cases for the core systems (基幹システム): CSV per procedure, and JSON.

Pure functions: they take cases (with ``submission__version`` and ``procedure`` loaded) and
return bytes or plain data. Who may export what, and the audit row, are the view's business
(``export_views.py``); the API reuses ``masked_answers`` for its case detail.

CSV (``cases_csv``)
    One procedure per file. Columns: 受付番号, 手続, 受付日, 状況, 期限, 受付方法, then one
    column per form field, headed by its Japanese label and filled with the value as staff see
    it (``TYPES[type].display`` in Japanese: 和暦 dates, choice labels, masked My Numbers and
    bank account numbers). A label used by more than one field gets its page title added
    (``フリガナ（申請する人）``). Repeating pages (children...) are flattened into numbered
    columns, ``子ども1 子どものお名前``, ``子ども2 子どものお名前``... up to the page's
    ``repeat.max`` (or the most items any selected case has, if more), so that every export of a
    version has the same columns whatever the selection. When the selection spans several
    versions of the procedure, the columns are the union, in version order. A field that does
    not apply to a case is an empty cell.

    Encodings: ``utf-8`` writes UTF-8 with a BOM (``utf-8-sig``: Excel opens it as UTF-8);
    ``cp932`` writes Shift_JIS as Windows extends it (CP932). The characters that JIS X 0208
    and CP932 map differently (〜 ‖ − ¢ £ ¬ —) are first turned into their CP932 forms; any
    other character CP932 cannot hold (rare kanji such as 𠮷, emoji) becomes ``?``.
    Lines end with CRLF. A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading apostrophe, so that a spreadsheet never runs it as a formula.

JSON (``cases_json``)
    A list, one object per case: its id, receipt number, procedure slug and version number,
    status, dates, channel and the stored answers (raw values, as the JSON Schema of the version
    describes them) - except that every My Number is replaced by its masked form
    (``●●●● ●●●● 1234``). My Numbers leave the system only through a separate, controlled path
    (番号法 limits who may receive them and for which affairs); an export file is too easily
    copied to be that path.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import translation

from madoguchi.forms.fieldtypes import TYPES, localised
from madoguchi.privacy.mynumber import mask_my_number

from .models import Case
from .workflows import workflow

ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}
CHARSETS = {"utf-8": "utf-8", "cp932": "shift_jis"}
FIXED_COLUMNS = ("受付番号", "手続", "受付日", "状況", "期限", "受付方法")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters that JIS X 0208 (and Unicode's Shift_JIS table) and Windows' CP932 map differently:
# the first forms come from Macs, iPhones and some IMEs, and CP932 would lose them to "?".
CP932_FORMS = str.maketrans({
    "\u301c": "\uff5e",  # 〜 WAVE DASH -> ～ FULLWIDTH TILDE
    "\u2016": "\u2225",  # ‖ DOUBLE VERTICAL LINE -> ∥ PARALLEL TO
    "\u2212": "\uff0d",  # − MINUS SIGN -> － FULLWIDTH HYPHEN-MINUS
    "\u00a2": "\uffe0",  # ¢ -> ￠
    "\u00a3": "\uffe1",  # £ -> ￡
    "\u00ac": "\uffe2",  # ¬ -> ￢
    "\u2014": "\u2015",  # — EM DASH -> ― HORIZONTAL BAR
})  # fmt: skip


class ExportError(ValueError):
    """A selection or option that cannot be exported; the message is for the user (Japanese)."""


# --- cells ---------------------------------------------------------------------------------------


def defuse(value: str) -> str:
    """A leading apostrophe for anything a spreadsheet would take for a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _status_label(case: Case) -> str:
    try:
        return workflow(case.workflow).status(case.status).display("ja")
    except KeyError:
        return case.status


def _channel_label(channel: str) -> str:
    from madoguchi.submissions.models import Submission

    with translation.override("ja"):
        return str(dict(Submission.Channel.choices).get(channel, channel))


def _display(field: dict, data: dict) -> str:
    if field["id"] not in data or data[field["id"]] is None:
        return ""
    return TYPES[field["type"]].display(field, data[field["id"]], "ja")


# --- columns -------------------------------------------------------------------------------------


@dataclass
class _Column:
    key: tuple  # ("field", field id) or ("item", page id, index, field id)
    label: str
    page_title: str


def _columns(cases: Sequence[Case]) -> list[_Column]:
    versions = sorted({case.submission.version for case in cases}, key=lambda v: v.number)
    items: dict[str, int] = {}
    for case in cases:
        for page in case.submission.version.definition["form"]["pages"]:
            if page.get("repeat"):
                answered = case.submission.data.get(page["id"]) or []
                items[page["id"]] = max(items.get(page["id"], 0), len(answered))
    columns: list[_Column] = []
    seen: set[tuple] = set()
    for version in versions:
        for page in version.definition["form"]["pages"]:
            title = localised(page["title"], "ja")
            if page.get("repeat"):
                count = max(int(page["repeat"].get("max") or 0), items.get(page["id"], 0))
                noun = localised(page["repeat"].get("item"), "ja") or title
                for index in range(count):
                    for f in page["fields"]:
                        key = ("item", page["id"], index, f["id"])
                        if key not in seen:
                            seen.add(key)
                            label = f"{noun}{index + 1} {localised(f['label'], 'ja')}"
                            columns.append(_Column(key, label, title))
                continue
            for f in page["fields"]:
                key = ("field", f["id"])
                if key not in seen:
                    seen.add(key)
                    columns.append(_Column(key, localised(f["label"], "ja"), title))
    return _unique_labels(columns)


def _unique_labels(columns: list[_Column]) -> list[_Column]:
    def counts(labels: Iterable[str]) -> dict[str, int]:
        result: dict[str, int] = {}
        for label in labels:
            result[label] = result.get(label, 0) + 1
        return result

    repeated = counts(c.label for c in columns)
    for column in columns:
        if repeated[column.label] > 1:
            column.label = f"{column.label}（{column.page_title}）"
    repeated = counts(c.label for c in columns)
    for column in columns:
        if repeated[column.label] > 1:
            column.label = f"{column.label} [{column.key[-1]}]"
    return columns


def _fields_by_key(case: Case) -> dict[tuple, tuple[dict, dict]]:
    """(field, the answers it is read from) for every column key the case's version has."""
    data = case.submission.data
    found: dict[tuple, tuple[dict, dict]] = {}
    for page in case.submission.version.definition["form"]["pages"]:
        if page.get("repeat"):
            for index, item in enumerate(data.get(page["id"]) or []):
                for f in page["fields"]:
                    found[("item", page["id"], index, f["id"])] = (f, item)
            continue
        for f in page["fields"]:
            found[("field", f["id"])] = (f, data)
    return found


# --- CSV -----------------------------------------------------------------------------------------


def one_procedure(cases: Sequence[Case]):
    """The one procedure of the selection; ``ExportError`` for none or several."""
    if not cases:
        raise ExportError("出力する案件を選んでください。")
    procedures = {case.procedure_id for case in cases}
    if len(procedures) > 1:
        raise ExportError("CSVは1つの手続の案件だけを出力できます。手続で絞り込んでから選んでください。")
    return cases[0].procedure


def cases_rows(cases: Sequence[Case]) -> list[list[str]]:
    """The header and one row per case, as text (before defusing and encoding)."""
    cases = list(cases)
    procedure = one_procedure(cases)
    columns = _columns(cases)
    rows = [[*FIXED_COLUMNS, *(c.label for c in columns)]]
    for case in cases:
        fields = _fields_by_key(case)
        row = [
            case.receipt_number,
            procedure.name,
            case.received_on.isoformat(),
            _status_label(case),
            case.due_on.isoformat(),
            _channel_label(case.channel),
        ]
        for column in columns:
            if column.key in fields:
                field, answers = fields[column.key]
                row.append(_display(field, answers))
            else:
                row.append("")
        rows.append(row)
    return rows


def cases_csv(cases: Sequence[Case], encoding: str = "utf-8") -> bytes:
    """One procedure's cases as CSV for Excel and core systems (see the module's docstring)."""
    if encoding not in ENCODINGS:
        raise ExportError("文字コードは UTF-8 か Shift_JIS（CP932）を選んでください。")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in cases_rows(cases):
        writer.writerow([defuse(cell) for cell in row])
    text = buffer.getvalue()
    if encoding == "cp932":
        return text.translate(CP932_FORMS).encode("cp932", errors="replace")
    return text.encode(ENCODINGS[encoding])


# --- JSON ----------------------------------------------------------------------------------------


def masked_answers(definition: dict, data: dict) -> dict[str, Any]:
    """The stored answers with every My Number (also in repeating pages) masked."""
    answers = dict(data)
    for page in definition["form"]["pages"]:
        numbers = [f["id"] for f in page["fields"] if f["type"] == "my_number"]
        if not numbers:
            continue
        if page.get("repeat"):
            items = answers.get(page["id"])
            if isinstance(items, list):
                answers[page["id"]] = [
                    {k: mask_my_number(v) if k in numbers and v else v for k, v in item.items()}
                    if isinstance(item, dict) else item
                    for item in items
                ]  # fmt: skip
            continue
        for field_id in numbers:
            if answers.get(field_id):
                answers[field_id] = mask_my_number(answers[field_id])
    return answers


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def case_json(case: Case) -> dict[str, Any]:
    version = case.submission.version
    return {
        "id": str(case.pk),
        "receipt_number": case.receipt_number,
        "procedure": case.procedure.slug,
        "procedure_version": version.number,
        "status": case.status,
        "received_on": _iso(case.received_on),
        "due_on": _iso(case.due_on),
        "paused_since": _iso(case.paused_since),
        "closed_at": _iso(case.closed_at),
        "channel": case.channel,
        "answers": masked_answers(version.definition, case.submission.data),
    }


def cases_json(cases: Iterable[Case]) -> list[dict[str, Any]]:
    """The cases as JSON-serialisable data, My Numbers masked (see the module's docstring)."""
    return [case_json(case) for case in cases]
