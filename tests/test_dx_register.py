"""The procedure register (手続台帳): import and export as Excel and CSV, all-or-nothing, scoped by department."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from madoguchi.dx import selectors
from madoguchi.dx.models import RegisterEntry
from madoguchi.dx.register_io import (
    COLUMNS,
    apply_import,
    plan_import,
    read_table,
    register_csv,
    register_xlsx,
)
from madoguchi.privacy.models import AuditEvent
from madoguchi.procedures.services import procedures_load_from_files

DEPARTMENTS = ["shimin", "shiminzei", "shisanzei", "kaigo-hoken", "kosodate-shien", "hoken-nenkin"]


def _row(i: int) -> list:
    return [
        f"R-{i:04d}", f"テスト手続{i}", DEPARTMENTS[i % len(DEPARTMENTS)], "", f"テスト法第{i}条", i * 10,
        "要" if i % 2 else "不要", "要" if i % 3 else "不要", "不要" if i % 5 else "要",
        ["廃止", "継続", "見直し中"][i % 3], f"理由{i}" if i % 4 else "",
        ["マイナポータル", "その他のシステム", "未対応"][i % 3], datetime.date(2027, 1 + i % 12, 1) if i % 2 else None,
    ]  # fmt: skip


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _snapshot():
    return list(
        RegisterEntry.objects.order_by("number").values(
            "number", "name", "department__code", "legal_basis", "yearly_volume", "seal_required", "paper_required",
            "in_person_required", "review", "review_reason", "online_status", "planned_date", "procedure_id", "updated_at",
        )
    )  # fmt: skip


@pytest.fixture
def procedures(city):
    procedures_load_from_files()


def test_madoguchi_procedures_are_in_the_register_by_themselves(procedures):
    rows = RegisterEntry.objects.filter(number__startswith="madoguchi:")
    assert rows.count() == 28
    assert {r.online_status for r in rows} == {RegisterEntry.Online.MADOGUCHI}
    risai = RegisterEntry.objects.get(number="madoguchi:risai_shomei")
    assert risai.procedure.slug == "risai_shomei" and risai.department == risai.procedure.department


def test_500_rows_with_mistakes_import_nothing_until_fixed(procedures, dx_dana):
    rows = [_row(i) for i in range(1, 501)]
    rows[9][6] = "はい"  # row 11: 押印
    rows[99][2] = "no-such-dept"  # row 101
    rows[199][5] = "たくさん"  # row 201: 年間件数
    rows[299][12] = "2027-13-01"  # row 301: 予定日
    rows[399][0] = rows[398][0]  # row 401: duplicate number
    rows[449][1] = ""  # row 451: name
    rows[479][11] = "Madoguchi"  # row 481: not a Madoguchi procedure
    before = _snapshot()
    table = read_table(_xlsx(rows), "register.xlsx")
    plan = apply_import(table, user=dx_dana, all_departments=True)
    found = {(e.row, e.column) for e in plan.errors}
    assert found == {(11, "押印"), (101, "担当課コード"), (201, "年間件数"), (301, "予定日"), (401, "台帳番号"),
                     (451, "手続名"), (481, "オンライン化")}  # fmt: skip
    assert next(e for e in plan.errors if e.row == 401).message == "400行目と同じ台帳番号です。"
    assert _snapshot() == before  # nothing written

    rows[9][6] = "要"
    rows[99][2] = "shimin"
    rows[199][5] = 2000
    rows[299][12] = "2027-12-01"
    rows[399][0] = "R-0400b"
    rows[449][1] = "名前を直した手続"
    rows[479][11] = "未対応"
    plan = apply_import(read_table(_xlsx(rows), "register.xlsx"), user=dx_dana, all_departments=True)
    assert plan.errors == [] and len(plan.created) == 500
    assert RegisterEntry.objects.count() == 528
    assert RegisterEntry.objects.get(number="R-0200").yearly_volume == 2000  # row 201 of the file
    assert RegisterEntry.objects.get(number="R-0300").planned_date == datetime.date(2027, 12, 1)
    assert RegisterEntry.objects.get(number="R-0302").planned_date is None
    assert AuditEvent.objects.filter(object_type="dx.registerentry", object_id="import").count() == 1


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_export_then_import_changes_nothing(procedures, dx_dana, kind):
    apply_import(read_table(_xlsx([_row(i) for i in range(1, 61)])), user=dx_dana, all_departments=True)
    tricky = RegisterEntry.objects.get(number="R-0001")
    tricky.name = '=HYPERLINK("x")'
    tricky.review_reason = '改行を\n含む理由, カンマ "引用"'
    tricky.legal_basis = "-1 で始まる"
    tricky.save()
    before = _snapshot()
    entries = RegisterEntry.objects.select_related("department")
    data = register_xlsx(entries) if kind == "xlsx" else register_csv(entries)
    if kind == "xlsx":
        sheet = load_workbook(io.BytesIO(data)).active
        header = [c.value for c in sheet[1]]
        assert header == COLUMNS and sheet.max_row == 89
        cells = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert cells["R-0001"][1] == '=HYPERLINK("x")'  # stored as text
        assert sheet["B2"].data_type == "s" or all(
            c.data_type != "f" for row in sheet.iter_rows() for c in row
        )
        assert cells["R-0001"][12] == datetime.datetime(2027, 2, 1)
    else:
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert rows[0] == COLUMNS and len(rows) == 89
        r1 = next(r for r in rows if r[0] == "R-0001")
        assert r1[1] == '\'=HYPERLINK("x")' and r1[9] == "継続" and r1[11] == "その他のシステム"
    plan = apply_import(read_table(data, f"register.{kind}"), user=dx_dana, all_departments=True)
    assert plan.errors == [] and plan.created == [] and plan.changed == [] and plan.unchanged == 88
    assert _snapshot() == before


def test_cp932_csv_is_accepted(procedures, dx_dana):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow([*_row(7)[:12], ""])
    plan = apply_import(
        read_table(out.getvalue().encode("cp932"), "r.csv"), user=dx_dana, all_departments=True
    )
    assert plan.errors == []
    assert RegisterEntry.objects.get(number="R-0007").name == "テスト手続7"


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "ファイルが空です。"),
        (b"PK\x03\x04garbage", "Excelファイルとして読めません。"),
        (b"\xff\xfe\x00\x00\x81", None),
    ],
)
def test_unreadable_files_are_refused(data, message):
    from madoguchi.dx.register_io import RegisterFileError

    with pytest.raises(RegisterFileError) as caught:
        read_table(data, "x.csv")
    if message:
        assert str(caught.value) == message


def test_missing_columns_are_named(city, dx_dana):
    plan = plan_import([["台帳番号", "手続名"]], user=dx_dana, all_departments=True)
    assert plan.errors[0].row == 1 and "担当課コード" in plan.errors[0].column


def test_department_staff_import_only_their_rows(procedures, kaigo_alice, dx_dana):
    apply_import(read_table(_xlsx([_row(i) for i in range(1, 7)])), user=dx_dana, all_departments=True)
    shimin_row = RegisterEntry.objects.get(department__code="shimin", number__startswith="R-")
    kaigo_row = RegisterEntry.objects.get(department__code="kaigo-hoken", number__startswith="R-")
    mine = _row(3)
    mine[0], mine[2], mine[1] = kaigo_row.number, "kaigo-hoken", "介護の手続（変更）"
    theirs = _row(6)
    theirs[0], theirs[2] = shimin_row.number, "kaigo-hoken"
    plan = plan_import(read_table(_xlsx([mine, theirs])), user=kaigo_alice, all_departments=False)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "台帳番号")]
    new_other = _row(99)
    new_other[2] = "shimin"
    plan = plan_import(read_table(_xlsx([mine, new_other])), user=kaigo_alice, all_departments=False)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "担当課コード")]
    plan = apply_import(read_table(_xlsx([mine])), user=kaigo_alice, all_departments=False)
    assert plan.errors == [] and RegisterEntry.objects.get(pk=kaigo_row.pk).name == "介護の手続（変更）"


def test_madoguchi_rows_keep_their_name_department_and_status(procedures, dx_dana):
    entry = RegisterEntry.objects.select_related("department").get(number="madoguchi:risai_shomei")
    data = register_csv([entry]).decode("utf-8-sig").replace("Madoguchi", "未対応")
    plan = plan_import(read_table(data.encode()), user=dx_dana, all_departments=True)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "オンライン化")]


def test_summary_counts_and_shares(procedures, dx_dana):
    apply_import(read_table(_xlsx([_row(i) for i in range(1, 13)])), user=dx_dana, all_departments=True)
    s = selectors.register_summary()
    assert s["total"] == 40
    seal = RegisterEntry.objects.filter(seal_required=True)
    assert s["seal"]["required"] == seal.count() == 6
    decided = seal.exclude(review="reviewing").count()
    assert float(s["seal"]["reviewed_share"]) == pytest.approx(round(decided * 100 / 6, 1))
    assert s["online"]["madoguchi"] == 28 and s["online"]["not_yet"] == 4
    assert s["online"]["available"] == 36 and float(s["online"]["available_share"]) == 90.0
