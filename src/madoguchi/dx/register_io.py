"""The procedure register (手続台帳) as Excel (.xlsx) and CSV.

Columns, in this order (the header row names them; 担当課 is for reading and is ignored on import):

    台帳番号 手続名 担当課コード 担当課 根拠法令 年間件数 押印 書面 対面 見直しの判断 判断の理由 オンライン化 予定日

押印・書面・対面 are 要 or 不要; 見直しの判断 廃止・継続・見直し中; オンライン化 Madoguchi・マイナポータル・
その他のシステム・未対応; 予定日 YYYY-MM-DD (or an Excel date). CSV is written in UTF-8 with a BOM
and CRLF; CP932 is accepted on import. Rows are matched on 台帳番号: a new number adds a row, a known
one updates it, and rows not in the file are left as they are. The import is all-or-nothing: every
mistake is listed with its row and column and nothing is written until the file is right.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.organisations.models import Department
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from .models import RegisterEntry

COLUMNS = ["台帳番号", "手続名", "担当課コード", "担当課", "根拠法令", "年間件数", "押印", "書面", "対面",
           "見直しの判断", "判断の理由", "オンライン化", "予定日"]  # fmt: skip
REQUIRED_COLUMNS = [c for c in COLUMNS if c != "担当課"]
YES, NO = "要", "不要"
REVIEW_LABELS = {"廃止": "abolish", "継続": "continue", "見直し中": "reviewing"}
ONLINE_LABELS = {
    "Madoguchi": "madoguchi",
    "マイナポータル": "mynaportal",
    "その他のシステム": "elsewhere",
    "未対応": "not_yet",
}
REVIEW_OUT = {v: k for k, v in REVIEW_LABELS.items()}
ONLINE_OUT = {v: k for k, v in ONLINE_LABELS.items()}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024


class RegisterFileError(Exception):
    """The file as a whole cannot be read (not Excel/CSV, no header, too big)."""


@dataclass
class RowError:
    row: int  # the line in the file (the header is row 1)
    column: str
    message: str


@dataclass
class ImportPlan:
    rows: list[dict] = field(default_factory=list)  # normalised values, with "row"
    errors: list[RowError] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    changed: list[tuple[dict, list[str]]] = field(default_factory=list)
    unchanged: int = 0


# --- export --------------------------------------------------------------------------------------


def _row_out(e: RegisterEntry) -> list:
    return [
        e.number, e.name, e.department.code, e.department.name, e.legal_basis,
        e.yearly_volume, YES if e.seal_required else NO, YES if e.paper_required else NO,
        YES if e.in_person_required else NO, REVIEW_OUT[e.review], e.review_reason,
        ONLINE_OUT[e.online_status], e.planned_date,
    ]  # fmt: skip


def register_xlsx(entries) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "手続台帳"
    sheet.append(COLUMNS)
    for entry in entries:
        sheet.append([None if v is None else v for v in _row_out(entry)])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _defuse(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _defuse(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def register_csv(entries) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow([_csv_cell(v) for v in _row_out(entry)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- reading a file ------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str = "") -> list[list[str]]:
    """The file's rows as text cells (Excel by its signature, else CSV in UTF-8 or CP932)."""
    if len(data) > MAX_BYTES:
        raise RegisterFileError(_("ファイルが大きすぎます（5MBまで）。"))
    if data[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            book.close()
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise RegisterFileError(_("Excelファイルとして読めません。")) from exc
    else:
        if filename.lower().endswith(".xlsx"):
            raise RegisterFileError(_("Excelファイルとして読めません。"))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp932")
            except UnicodeDecodeError as exc:
                raise RegisterFileError(
                    _("CSVの文字コードはUTF-8かShift_JIS（CP932）にしてください。")
                ) from exc
        if "\x00" in text:
            raise RegisterFileError(_("CSVファイルとして読めません。"))
        try:
            rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error as exc:
            raise RegisterFileError(_("CSVファイルとして読めません。")) from exc
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise RegisterFileError(_("ファイルが空です。"))
    if len(rows) > MAX_ROWS + 1:
        raise RegisterFileError(_("行が多すぎます（5000行まで）。"))
    return rows


# --- checking ------------------------------------------------------------------------------------


def _undefuse(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def plan_import(table: list[list[str]], *, user, all_departments: bool) -> ImportPlan:
    """Check every row; list what would be added and changed. Writes nothing."""
    plan = ImportPlan()
    header = [h.strip().lstrip("\ufeff") for h in table[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        plan.errors.append(RowError(1, ", ".join(missing), _("見出しの行にこの列がありません。")))
        return plan
    index = {name: header.index(name) for name in REQUIRED_COLUMNS}
    departments = {
        d.code: d
        for d in Department.objects.filter(
            municipality__code=settings.MADOGUCHI_MUNICIPALITY_CODE, is_active=True
        )
    }
    allowed = (
        set(departments)
        if all_departments
        else {d.code for d in departments.values() if d.pk in user.department_ids}
    )
    existing = {e.number: e for e in RegisterEntry.objects.select_related("department")}
    seen: dict[str, int] = {}
    for n, raw in enumerate(table[1:], start=2):
        if not any(raw):
            continue
        cells = {name: _undefuse(raw[i].strip()) if i < len(raw) else "" for name, i in index.items()}
        errors: list[RowError] = []

        def bad(column: str, message: str, n=n, errors=errors) -> None:
            errors.append(RowError(n, column, message))

        row: dict = {"row": n}
        number = cells["台帳番号"]
        if not number:
            bad("台帳番号", _("台帳番号を入力してください。"))
        elif len(number) > 60:
            bad("台帳番号", _("60文字以内で入力してください。"))
        elif number in seen:
            bad("台帳番号", _("%(row)s行目と同じ台帳番号です。") % {"row": seen[number]})
        else:
            seen[number] = n
        row["number"] = number
        row["name"] = cells["手続名"]
        if not row["name"]:
            bad("手続名", _("手続名を入力してください。"))
        elif len(row["name"]) > 200:
            bad("手続名", _("200文字以内で入力してください。"))
        code = cells["担当課コード"]
        if code not in departments:
            bad("担当課コード", _("この担当課コードの課はありません。"))
        elif code not in allowed:
            bad("担当課コード", _("ほかの課の手続は取り込めません。"))
        row["department"] = code
        current = existing.get(number)
        if current is not None and not all_departments and current.department.code not in allowed:
            bad("台帳番号", _("ほかの課の手続は変更できません。"))
        row["legal_basis"] = cells["根拠法令"]
        if len(row["legal_basis"]) > 300:
            bad("根拠法令", _("300文字以内で入力してください。"))
        volume = cells["年間件数"].replace(",", "")
        row["yearly_volume"] = None
        if volume:
            if volume.isdigit() and len(volume) <= 9:
                row["yearly_volume"] = int(volume)
            else:
                bad("年間件数", _("0以上の整数で入力してください。"))
        for column, key in (
            ("押印", "seal_required"),
            ("書面", "paper_required"),
            ("対面", "in_person_required"),
        ):
            value = cells[column]
            if value not in (YES, NO):
                bad(column, _("「要」か「不要」で入力してください。"))
            row[key] = value == YES
        review = cells["見直しの判断"]
        if review not in REVIEW_LABELS:
            bad("見直しの判断", _("「廃止」「継続」「見直し中」のいずれかで入力してください。"))
        row["review"] = REVIEW_LABELS.get(review)
        row["review_reason"] = cells["判断の理由"]
        online = cells["オンライン化"]
        if online not in ONLINE_LABELS:
            bad(
                "オンライン化",
                _(
                    "「Madoguchi」「マイナポータル」「その他のシステム」「未対応」のいずれかで入力してください。"
                ),
            )
        row["online_status"] = ONLINE_LABELS.get(online)
        planned = cells["予定日"]
        row["planned_date"] = None
        if planned:
            try:
                row["planned_date"] = datetime.date.fromisoformat(planned.replace("/", "-"))
            except ValueError:
                bad("予定日", _("日付は「2026-04-01」の形で入力してください。"))
        linked = current is not None and current.procedure_id is not None
        if number.startswith("madoguchi:") and current is None:
            bad(
                "台帳番号", _("「madoguchi:」で始まる台帳番号はMadoguchiの手続のものです。新しく作れません。")
            )
        if linked:
            if online and row["online_status"] != RegisterEntry.Online.MADOGUCHI:
                bad(
                    "オンライン化",
                    _("Madoguchiで受け付けている手続です。「Madoguchi」のままにしてください。"),
                )
            if code in departments and code != current.department.code:
                bad("担当課コード", _("Madoguchiの手続の担当課は手続の定義で決まります。"))
            if row["name"] and row["name"] != current.name:
                bad("手続名", _("Madoguchiの手続の名称は手続の定義で決まります。"))
        elif online == "Madoguchi" and not errors:
            bad("オンライン化", _("「Madoguchi」はMadoguchiで定義した手続にだけ使えます。"))
        if errors:
            plan.errors.extend(errors)
            continue
        plan.rows.append(row)
        if current is None:
            plan.created.append(row)
        else:
            fields = _changed_fields(current, row)
            if fields:
                plan.changed.append((row, fields))
            else:
                plan.unchanged += 1
    return plan


def _values(row: dict, departments: dict[str, Department] | None = None) -> dict:
    values = {k: row[k] for k in ("name", "legal_basis", "yearly_volume", "seal_required", "paper_required",
                                  "in_person_required", "review", "review_reason", "online_status", "planned_date")}  # fmt: skip
    if departments is not None:
        values["department"] = departments[row["department"]]
    return values


def _changed_fields(entry: RegisterEntry, row: dict) -> list[str]:
    fields = [k for k, v in _values(row).items() if getattr(entry, k) != v]
    if entry.department.code != row["department"]:
        fields.insert(1, "department")
    return fields


def apply_import(table: list[list[str]], *, user, all_departments: bool) -> ImportPlan:
    """Check again and write everything in one transaction, or nothing if any row is wrong."""
    with transaction.atomic():
        plan = plan_import(table, user=user, all_departments=all_departments)
        if plan.errors:
            return plan
        departments = {
            d.code: d
            for d in Department.objects.filter(municipality__code=settings.MADOGUCHI_MUNICIPALITY_CODE)
        }
        for row in plan.created:
            RegisterEntry.objects.create(number=row["number"], updated_by=user, **_values(row, departments))
        for row, _fields in plan.changed:
            entry = RegisterEntry.objects.get(number=row["number"])
            for key, value in _values(row, departments).items():
                setattr(entry, key, value)
            entry.updated_by = user
            entry.save()
        if plan.created or plan.changed:
            audit_record(action=AuditEvent.Action.CHANGE, object_type="dx.registerentry", object_id="import",
                         fields=sorted({f for _row, fs in plan.changed for f in fs}),
                         detail=f"{len(plan.created)} added, {len(plan.changed)} changed", actor=user)  # fmt: skip
    return plan
