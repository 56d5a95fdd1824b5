"""Intake that fixes: encodings, each fix with its before and after, the standard datasets in their old and
new column names, personal-data warnings, and the published files parsed for real (frictionless, csv, json)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import frictionless
import openpyxl
import pytest

from madoguchi.opendata import intake
from madoguchi.opendata.standards import match_layout, standard_datasets, standard_get

AED_NEW = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "所在地_連結表記",
    "緯度",
    "経度",
    "設置位置",
]
AED_OLD = [
    "都道府県コード又は市区町村コード",
    "NO",
    "都道府県名",
    "市区町村名",
    "名称",
    "名称_カナ",
    "住所",
    "方書",
    "緯度",
    "経度",
    "設置位置",
]


def table(text: str, encoding: str = "utf-8", filename: str = "t.csv") -> intake.Sheet:
    return intake.read_upload(text.encode(encoding), filename).sheets[0]


def fix(analysis: intake.Analysis, fix_id: str) -> intake.Fix:
    return next(f for f in analysis.fixes if f.id == fix_id)


def changes(analysis, fix_id):
    return [(c.line, c.column, c.before, c.after) for c in fix(analysis, fix_id).changes]


# --- encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("名称,住所\r\n石巻市役所,穀町\r\n".encode(), "utf-8"),
        ("\ufeff名称,住所\r\n石巻市役所,穀町\r\n".encode(), "utf-8-sig"),
        ("名称,住所\r\n石巻市役所,穀町\r\n遊楽館,北村\r\n①番,㈱石巻\r\n".encode("cp932"), "cp932"),
    ],
)
def test_encoding_is_detected(data, expected):
    assert intake.detect_encoding(data) == expected
    upload = intake.read_upload(data, "x.csv")
    assert upload.sheets[0].rows[1].cells == ["石巻市役所", "穀町"]


def test_encoding_fix_says_before_and_after_and_output_is_utf8_with_bom():
    sheet = table("名称,住所\r\n石巻市役所,穀町\r\n", "cp932")
    analysis = intake.analyse(sheet)
    assert changes(analysis, "encoding") == [(0, "", "Shift_JIS（CP932）", "UTF-8（BOM付き）")]
    out = intake.outputs(analysis)
    assert out.csv.startswith(b"\xef\xbb\xbf")
    assert out.csv.decode("utf-8-sig").splitlines()[1] == "石巻市役所,穀町"


def test_a_file_that_is_not_a_table_is_refused_in_plain_japanese():
    with pytest.raises(intake.IntakeError, match="CSV"):
        intake.read_upload(b"\x00\x01binary", "photo.exe")
    with pytest.raises(intake.IntakeError, match=r"\.xls"):
        intake.read_upload(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")


# --- fixes ---------------------------------------------------------------------------------------


def test_fullwidth_digits_before_and_after():
    analysis = intake.analyse(table("名称,定員,備考\r\nA,１２０,２階\r\n"))
    assert changes(analysis, "fullwidth_digits") == [(2, "定員", "１２０", "120"), (2, "備考", "２階", "2階")]
    assert analysis.rows[0].cells == ["A", "120", "2階"]
    unfixed = intake.analyse(table("名称,定員,備考\r\nA,１２０,２階\r\n"), selected=set())
    assert unfixed.rows[0].cells == ["A", "１２０", "２階"]
    assert any(i.line == 2 and i.column == "定員" and "全角" in i.message for i in unfixed.issues)


def test_wareki_dates_become_iso_before_and_after():
    analysis = intake.analyse(
        table("名称,開設日\r\nA,令和5年4月1日\r\nB,H31.4.30\r\nC,令和元年5月1日\r\nD,2024/4/1\r\n")
    )
    assert changes(analysis, "dates") == [
        (2, "開設日", "令和5年4月1日", "2023-04-01"),
        (3, "開設日", "H31.4.30", "2019-04-30"),
        (4, "開設日", "令和元年5月1日", "2019-05-01"),
        (5, "開設日", "2024/4/1", "2024-04-01"),
    ]
    assert analysis.schema["fields"][1]["type"] == "date"


def test_local_government_code_gets_its_check_digit():
    text = "全国地方公共団体コード,名称\r\n04202,A\r\n4202,B\r\n42021,C\r\n042020,D\r\n042021,E\r\n"
    analysis = intake.analyse(table(text))
    assert changes(analysis, "lg_code") == [
        (2, "全国地方公共団体コード", "04202", "042021"),  # the check digit was missing
        (3, "全国地方公共団体コード", "4202", "042021"),  # Excel dropped the zero too
        (4, "全国地方公共団体コード", "42021", "042021"),  # Excel dropped the leading zero
        (5, "全国地方公共団体コード", "042020", "042021"),  # a wrong check digit
    ]
    assert {r.cells[0] for r in analysis.rows} == {"042021"}
    unfixed = intake.analyse(table(text), selected=set())
    assert [i.line for i in unfixed.errors if i.fix == "lg_code"] == [2, 3, 4, 5]


def test_swapped_latitude_and_longitude_are_put_back():
    analysis = intake.analyse(table("名称,緯度,経度\r\nA,141.3029,38.4343\r\nB,38.48,141.21\r\n"))
    assert changes(analysis, "latlng") == [
        (2, "緯度", "141.3029", "38.4343"),
        (2, "経度", "38.4343", "141.3029"),
    ]
    assert analysis.rows[0].cells == ["A", "38.4343", "141.3029"]
    assert analysis.rows[1].cells == ["B", "38.48", "141.21"]
    unfixed = intake.analyse(table("名称,緯度,経度\r\nA,141.3029,38.4343\r\n"), selected=set())
    assert any(i.fix == "latlng" and i.severity == "error" for i in unfixed.issues)


def test_title_rows_notes_blank_rows_and_spaces_are_removed():
    text = 'AED設置箇所一覧（令和6年4月1日現在）,,\r\n,,\r\n名称 ,住所,備考\r\n 石巻市役所　,穀町,\r\n,,\r\n遊楽館,北村,"1階\n受付"\r\n※出典：石巻市,,\r\n'
    analysis = intake.analyse(table(text))
    assert [c.line for c in fix(analysis, "outside_rows").changes] == [1, 2, 7]
    assert [c.line for c in fix(analysis, "empty_lines").changes] == [5]
    assert (4, "名称", " 石巻市役所　", "石巻市役所") in changes(analysis, "spaces")
    assert analysis.header == ["名称", "住所", "備考"]
    assert [r.cells for r in analysis.rows] == [["石巻市役所", "穀町", ""], ["遊楽館", "北村", "1階 受付"]]
    assert analysis.header_line == 3


def test_machine_dependent_characters_and_halfwidth_kana():
    analysis = intake.analyse(table("名称,面積\r\n㈱石巻ｼｮｳｼﾞ,100㎡\r\n"))
    assert changes(analysis, "characters") == [
        (2, "名称", "㈱石巻ｼｮｳｼﾞ", "(株)石巻ショウジ"),
        (2, "面積", "100㎡", "100m2"),
    ]


def test_missing_and_duplicate_headers_are_errors_by_column():
    analysis = intake.analyse(table("名称,,名称\r\nA,B,C\r\n"))
    messages = [(i.rule, i.column) for i in analysis.errors]
    assert ("L1-05", "2列目") in messages and ("L2-03", "3列目") in messages


def _workbook(*sheets) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_one_table_per_sheet_and_merged_cells():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "避難所"
    ws.append(["地区", "名称"])
    ws.append(["蛇田", "蛇田小学校"])
    ws.append([None, "蛇田中学校"])
    ws.merge_cells("A2:A3")
    ws2 = wb.create_sheet("AED")
    ws2.append(["名称", "設置位置"])
    ws2.append(["石巻市役所", "1階"])
    buffer = io.BytesIO()
    wb.save(buffer)
    upload = intake.read_upload(buffer.getvalue(), "book.xlsx")
    assert [s.name for s in upload.sheets] == ["避難所", "AED"]
    first = intake.analyse(upload.sheets[0])
    assert changes(first, "sheets")[0][2:] == ("1ファイル・2シート", "2個のCSV（このシート: 避難所）")
    assert changes(first, "merged_cells") == [(3, "1列目", "", "蛇田")]
    assert [r.cells for r in first.rows] == [["蛇田", "蛇田小学校"], ["蛇田", "蛇田中学校"]]


def test_excel_dates_and_codes_formatted_with_leading_zeros():
    import datetime

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["全国地方公共団体コード", "開設日"])
    ws.append([42021, datetime.datetime(2024, 4, 1)])
    ws["A2"].number_format = "000000"
    buffer = io.BytesIO()
    wb.save(buffer)
    sheet = intake.read_upload(buffer.getvalue(), "b.xlsx").sheets[0]
    assert sheet.rows[1].cells == ["042021", "2024-04-01"]


# --- standard datasets ---------------------------------------------------------------------------


def test_the_standard_datasets_become_table_schemas_in_both_layouts():
    aed = standard_get("aed")
    assert len(standard_datasets()) == 14
    assert [c.name for c in aed.columns][:4] == [
        "都道府県コード又は市区町村コード",
        "NO",
        "都道府県名",
        "市区町村名",
    ]
    current = [c.name for c in aed.current_columns]
    assert current[:3] == ["全国地方公共団体コード", "ID", "地方公共団体名"]
    assert "所在地_連結表記" in current and "建物名等(方書)" in current and "住所" not in current
    assert next(c for c in aed.current_columns if c.name == "所在地_連結表記").required
    assert match_layout(aed, AED_NEW) == "current"
    assert match_layout(aed, AED_OLD) == "legacy"


@pytest.mark.parametrize("header", [AED_NEW, AED_OLD], ids=["current", "legacy"])
def test_a_standard_file_validates_with_either_column_names(header):
    values = {
        "全国地方公共団体コード": "042021",
        "都道府県コード又は市区町村コード": "042021",
        "ID": "1",
        "NO": "1",
        "地方公共団体名": "宮城県石巻市",
        "都道府県名": "宮城県",
        "市区町村名": "石巻市",
        "名称": "石巻市役所",
        "名称_カナ": "イシノマキシヤクショ",
        "所在地_連結表記": "宮城県石巻市穀町14-1",
        "住所": "宮城県石巻市穀町14-1",
        "方書": "",
        "緯度": "38.4343",
        "経度": "141.3029",
        "設置位置": "1階",
    }
    good = ",".join(header) + "\r\n" + ",".join(values[h] for h in header) + "\r\n"
    analysis = intake.analyse(table(good), standard=standard_get("aed"))
    assert analysis.errors == []
    assert analysis.layout == ("current" if header is AED_NEW else "legacy")
    # Required column missing, and a required cell empty: errors naming the column (and the row).
    without = [h for h in header if h != "設置位置"]
    bad = ",".join(without) + "\r\n" + ",".join("" if h == "名称" else values[h] for h in without) + "\r\n"
    errors = intake.analyse(table(bad), standard=standard_get("aed")).errors
    assert any(e.column == "設置位置" and "必須項目" in e.message for e in errors)
    assert any(e.line == 2 and e.column == "名称" and e.message == "必須の項目が空です。" for e in errors)


def test_standard_header_written_with_fullwidth_brackets_is_renamed():
    header = ["名称", "名称_カナ", "所在地_連結表記", "建物名等（方書）", "設置位置"]
    analysis = intake.analyse(
        table(",".join(header) + "\r\nA,エー,穀町,2階,1階\r\n"), standard=standard_get("aed")
    )
    assert changes(analysis, "header_names") == [(1, "4列目（項目名）", "建物名等（方書）", "建物名等(方書)")]
    assert analysis.header[3] == "建物名等(方書)"


def test_cells_that_break_the_standard_are_reported_by_row_and_column_in_japanese():
    header = ["名称", "名称_カナ", "所在地_連結表記", "緯度", "経度", "設置位置", "URL"]
    text = ",".join(header) + "\r\nA,エー,穀町,北緯38度,141.3,1階,https://example.jp/\r\n"
    errors = intake.analyse(table(text), standard=standard_get("aed")).errors
    assert [(e.line, e.column, e.message) for e in errors] == [
        (2, "緯度", "「北緯38度」は数値として読めません。")
    ]


# --- personal data -------------------------------------------------------------------------------


def test_names_with_phone_numbers_and_individual_addresses_are_warned():
    text = "氏名,電話番号,住所\r\n石巻 太郎,090-1234-5678,宮城県石巻市穀町14番1号\r\n渡波 花子,080-2222-3333,宮城県石巻市渡波2番3号\r\n"
    warnings = intake.analyse(table(text)).personal
    messages = " ".join(w.message for w in warnings)
    assert "電話番号" in messages and "個人の住所" in messages and "携帯電話番号" in messages
    facilities = "名称,電話番号,所在地\r\n石巻市役所,0225-95-1111,宮城県石巻市穀町14番1号\r\n"
    assert intake.analyse(table(facilities)).personal == []


# --- the done-when: Shift_JIS from Excel, fixed and published, valid for frictionless ----------------


EXCEL_CSV = (
    "全国地方公共団体コード,ID,地方公共団体名,名称,名称_カナ,所在地_連結表記,緯度,経度,設置位置,設置日\r\n"
    "04202,１,宮城県石巻市,石巻市役所,イシノマキシヤクショ,宮城県石巻市穀町１４－１,38.4343,141.3029,１階ロビー,令和５年４月１日\r\n"
    "04202,２,宮城県石巻市,遊楽館,ユウガクカン,宮城県石巻市北村字前山２番地,141.2098,38.4802,受付,平成31年4月30日\r\n"
)


def test_shift_jis_excel_csv_is_fixed_and_published_as_valid_utf8(tmp_path):
    data = EXCEL_CSV.encode("cp932")
    sheet = intake.read_upload(data, "aed.csv").sheets[0]
    analysis = intake.analyse(sheet, standard=standard_get("aed"))
    assert {f.id for f in analysis.fixes} >= {"encoding", "fullwidth_digits", "dates", "lg_code", "latlng"}
    assert analysis.errors == []
    out = intake.outputs(analysis)

    # Real parsing of everything we publish.
    rows = list(csv.reader(io.StringIO(out.csv.decode("utf-8-sig"))))
    assert (
        rows[1][:2] == ["042021", "1"]
        and rows[1][-1] == "2023-04-01"
        and rows[2][6:8] == ["38.4802", "141.2098"]
    )
    records = json.loads(out.json)
    assert records[1]["緯度"] == 38.4802 and records[0]["全国地方公共団体コード"] == "042021"
    geo = json.loads(out.geojson)
    assert geo["type"] == "FeatureCollection" and geo["features"][0]["geometry"]["coordinates"] == [
        141.3029,
        38.4343,
    ]

    resource = frictionless.Resource(
        data=out.csv,
        format="csv",
        encoding="utf-8-sig",
        schema=frictionless.Schema.from_descriptor(out.schema),
    )
    report = resource.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    # And the frictionless command line, on the file and the schema as published.
    (tmp_path / "aed.csv").write_bytes(out.csv)
    (tmp_path / "schema.json").write_text(json.dumps(out.schema, ensure_ascii=False), encoding="utf-8")
    cli = Path(sys.executable).parent / "frictionless"
    result = subprocess.run(
        [str(cli), "validate", "aed.csv", "--schema", "schema.json", "--encoding", "utf-8-sig"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    # Unfixed, the same file would not pass its schema.
    broken = intake.analyse(sheet, standard=standard_get("aed"), selected=set())
    assert broken.errors
