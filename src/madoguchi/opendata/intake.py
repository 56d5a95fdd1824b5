"""Intake of an uploaded table: read it, find what breaks the machine-readability rules and the
standard, offer fixes with their before and after, and write the files we publish.

``read_upload`` turns CSV (UTF-8 with or without BOM, Shift_JIS/CP932, EUC-JP; detected with
charset-normalizer after the BOM and a strict UTF-8 attempt) or Excel (.xlsx, openpyxl: merged
cells, hidden rows and columns, formulas, one table per sheet) into ``Sheet``\\ s. ``analyse`` runs
the fixes in a fixed order on a copy of the sheet, keeps those that are selected, and reports the
rest as issues by row and column in plain Japanese, together with the checks that no fix can
settle (missing headers, duplicate headers, the standard's required columns, the cells that do not
fit the Table Schema — validated by frictionless — and columns that look like personal data).
``outputs`` writes CSV (UTF-8 with BOM, CRLF), JSON (records typed by the schema) and GeoJSON
(points, where the table has coordinates).

Hand-written parts, and why: the fixes themselves (no library knows 和暦, the 全国地方公共団体コード
check digit or Japanese title rows), the messages (frictionless's are English and technical), the
schema inference (frictionless's turns codes with leading zeros such as 042021 into integers).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath

import charset_normalizer
import jaconv

from madoguchi.forms.wareki import DateParseError, parse_japanese_date
from madoguchi.organisations.validators import is_valid_local_government_code, local_government_check_digit

from .standards import (
    LAT_RANGE,
    LATITUDE_COLUMNS,
    LG_CODE_COLUMNS,
    LG_CODE_PATTERN,
    LNG_RANGE,
    LONGITUDE_COLUMNS,
    StandardDataset,
    match_layout,
    normalise_label,
    table_schema_for,
)

ENCODING_LABELS = {
    "utf-8": "UTF-8（BOMなし）",
    "utf-8-sig": "UTF-8（BOM付き）",
    "cp932": "Shift_JIS（CP932）",
    "euc_jp": "EUC-JP",
    "iso2022_jp": "ISO-2022-JP",
    "utf-16": "UTF-16",
}
PUBLISHED_ENCODING = "UTF-8"  # with BOM, declared in the resource and its schema
TABULAR = {"csv", "txt", "tsv", "xlsx"}
PASS_THROUGH = {"json": "JSON", "geojson": "GeoJSON", "pdf": "PDF", "zip": "ZIP", "xml": "XML"}
PREVIEW_ROWS = 20
EXAMPLES = 5


class IntakeError(ValueError):
    """The file cannot be read at all (message in plain Japanese)."""


# --- reading ------------------------------------------------------------------------------------


@dataclass
class Row:
    line: int  # the row number the uploader sees (CSV line, Excel row)
    cells: list[str]


@dataclass
class Sheet:
    name: str
    rows: list[Row]
    kind: str = "csv"  # csv or xlsx
    encoding: str = ""
    merged: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # min_row, min_col, max_row, max_col
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)  # 0-based
    formulas: int = 0
    sheet_count: int = 1


@dataclass
class Upload:
    kind: str  # "table" or "file"
    extension: str
    format: str
    sheets: list[Sheet] = field(default_factory=list)
    encoding: str = ""
    warnings: list[str] = field(default_factory=list)


def detect_encoding(data: bytes) -> str:
    """The encoding of a text file, as a Python codec name (``utf-8-sig`` when it has a BOM)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    best = charset_normalizer.from_bytes(
        data, cp_isolation=["cp932", "shift_jis", "euc_jp", "iso2022_jp"]
    ).best()
    if best is not None:
        name = best.encoding.lower().replace("-", "_")
        return "cp932" if name in {"shift_jis", "cp932", "ms932", "sjis"} else name
    for candidate in ("cp932", "euc_jp"):
        try:
            data.decode(candidate)
        except UnicodeDecodeError:
            continue
        return candidate
    raise IntakeError(
        "文字コードを判別できません。Excel で「CSV UTF-8（コンマ区切り）」として保存し直してください。"
    )


def _extension(filename: str) -> str:
    return PurePath(filename or "").suffix.lower().lstrip(".")


def read_upload(data: bytes, filename: str) -> Upload:
    extension = _extension(filename)
    if data.startswith(b"PK") and extension in {"xlsx", ""}:
        return Upload(kind="table", extension="xlsx", format="XLSX", sheets=_read_xlsx(data))
    if extension == "xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise IntakeError(
            "Excel 97-2003 形式（.xls）は読めません。Excel で .xlsx 形式か CSV で保存し直してください。"
        )
    if extension in TABULAR:
        encoding = detect_encoding(data)
        text = data.decode(encoding)
        return Upload(
            kind="table",
            extension="csv",
            format="CSV",
            encoding=encoding,
            sheets=[_read_csv(text, encoding, tab=extension == "tsv")],
        )
    if extension in PASS_THROUGH:
        upload = Upload(kind="file", extension=extension, format=PASS_THROUGH[extension])
        if extension == "pdf":
            upload.warnings.append(
                "PDF は機械が直接読み取れない形式です（機械可読性ルール L1-01）。表のデータは CSV か Excel でも公開してください。"
            )
        return upload
    raise IntakeError("CSV、Excel（.xlsx）、JSON、GeoJSON、PDF、ZIP、XML のファイルを選んでください。")


def _read_csv(text: str, encoding: str, *, tab: bool = False) -> Sheet:
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.excel_tab if tab else csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for record in reader:
            rows.append(Row(line=reader.line_num, cells=list(record)))
    except csv.Error as exc:
        raise IntakeError(f"CSV として読めません（{reader.line_num}行目付近）。") from exc
    # line_num is the physical line where the record ended; use the record's position for display.
    for index, row in enumerate(rows, start=1):
        row.line = index
    return Sheet(name="", rows=rows, kind="csv", encoding=encoding)


def _excel_text(value, number_format: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M") if value.second == 0 else value.strftime("%H:%M:%S")
    if isinstance(value, int):
        if re.fullmatch(r"0+", number_format or ""):
            return str(value).zfill(len(number_format))
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def _read_xlsx(data: bytes) -> list[Sheet]:
    import openpyxl
    from openpyxl.utils import column_index_from_string

    try:
        values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise IntakeError(
            "Excel ファイルとして読めません。ファイルが壊れていないか確かめてください。"
        ) from exc
    sheets = []
    for ws in values.worksheets:
        if ws.sheet_state != "visible" and ws.max_row <= 1:
            continue
        rows = []
        for r, row in enumerate(ws.iter_rows(), start=1):
            rows.append(Row(line=r, cells=[_excel_text(c.value, c.number_format) for c in row]))
        while rows and not any(c.strip() for c in rows[-1].cells):
            rows.pop()
        if not rows:
            continue
        width = max(len(r.cells) for r in rows)
        for row in rows:
            row.cells += [""] * (width - len(row.cells))
        formula_ws = formulas[ws.title]
        formula_count = sum(1 for row in formula_ws.iter_rows() for c in row if c.data_type == "f")
        hidden_cols = set()
        for letter, dim in ws.column_dimensions.items():
            if dim.hidden:
                start = column_index_from_string(letter) if dim.min is None else dim.min
                end = dim.max or start
                hidden_cols.update(range(start - 1, end))
        sheets.append(
            Sheet(
                name=ws.title,
                rows=rows,
                kind="xlsx",
                merged=[(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges],
                hidden_rows={i for i, dim in ws.row_dimensions.items() if dim.hidden},
                hidden_cols=hidden_cols,
                formulas=formula_count,
            )
        )
    if not sheets:
        raise IntakeError("Excel ファイルにデータのあるシートがありません。")
    for sheet in sheets:
        sheet.sheet_count = len(sheets)
    return sheets


# --- the report ---------------------------------------------------------------------------------


@dataclass
class Change:
    line: int
    column: str
    before: str
    after: str


@dataclass
class Fix:
    id: str
    title: str
    rule: str
    description: str
    changes: list[Change] = field(default_factory=list)
    count: int = 0
    selected: bool = True
    always: bool = False

    def as_dict(self) -> dict:
        data = asdict(self)
        data["changes"] = data["changes"][:EXAMPLES]
        return data


@dataclass
class Issue:
    severity: str  # "error" blocks publishing; "warning" does not
    rule: str  # a machine-readability rule id, "standard", "personal", "encoding"
    message: str
    line: int | None = None
    column: str = ""
    fix: str = ""

    @property
    def where(self) -> str:
        parts = []
        if self.line:
            parts.append(f"{self.line}行目")
        if self.column:
            parts.append(f"「{self.column}」")
        return " ".join(parts)


@dataclass
class Analysis:
    header: list[str]
    rows: list[Row]
    header_line: int
    fixes: list[Fix]
    issues: list[Issue]
    schema: dict
    layout: str = ""
    changed: dict[tuple[int, int], str] = field(default_factory=dict)  # (line, column index) -> before

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning" and i.rule != "personal"]

    @property
    def personal(self) -> list[Issue]:
        return [i for i in self.issues if i.rule == "personal"]

    def preview(self, limit: int = PREVIEW_ROWS) -> list[list[dict]]:
        return [
            [{"value": value, "before": self.changed.get((row.line, i))} for i, value in enumerate(row.cells)]
            for row in self.rows[:limit]
        ]

    def report(self) -> dict:
        return {
            "header_line": self.header_line,
            "layout": self.layout,
            "rows": len(self.rows),
            "fixes": [f.as_dict() for f in self.fixes],
            "issues": [asdict(i) for i in self.issues],
        }


# --- the fixes ---------------------------------------------------------------------------------

_FULLWIDTH_DIGITS = re.compile("[０-９]")
_NUMERIC_FULLWIDTH = re.compile(r"^[\s　]*[－ー−‐-]?[０-９0-9，,]*[．.]?[０-９0-9]+[\s　]*$")
_WAREKI_LIKE = re.compile(r"^\s*(令和|平成|昭和|大正|明治|[RHSTMrhstm]\s*\d)")
_SLASH_DATE = re.compile(r"^\s*\d{4}\s*[./年]\s*\d{1,2}\s*[./月]\s*\d{1,2}\s*日?\s*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Characters outside JIS X 0208 that CP932 adds (NEC / IBM extensions): 機種依存文字 (L1-08).
_MACHINE_DEPENDENT = re.compile(
    "[\u2460-\u2473\u2160-\u2169\u2170-\u2179\u3231\u3232\u3239\u337b-\u337e\u3300-\u33ff\u2116\u2121\u32a4-\u32a8]"
)
_HALFWIDTH_KANA = re.compile("[\uff66-\uff9f]")
_SPACES = re.compile(r"^[\s\u3000]+|[\s\u3000]+$")


def _column_label(header: list[str], index: int) -> str:
    label = header[index].strip() if index < len(header) else ""
    return label or f"{index + 1}列目"


def _cell_fix(
    rows: list[Row], header: list[str], columns: list[int] | None, transform: Callable[[str, int], str | None]
) -> tuple[list[Row], list[Change]]:
    """Apply ``transform(value, column)`` (None: unchanged) to the cells of the given columns."""
    changes: list[Change] = []
    result = []
    wanted = set(columns) if columns is not None else None
    for row in rows:
        cells = list(row.cells)
        for i, value in enumerate(cells):
            if wanted is not None and i not in wanted:
                continue
            new = transform(value, i)
            if new is not None and new != value:
                changes.append(Change(row.line, _column_label(header, i), value, new))
                cells[i] = new
        result.append(Row(row.line, cells))
    return result, changes


def _trim(value: str, _i: int) -> str | None:
    new = _SPACES.sub("", value)
    new = re.sub(r"[\r\n]+", " ", new)
    return new if new != value else None


def _fullwidth_digits(value: str, _i: int) -> str | None:
    if not _FULLWIDTH_DIGITS.search(value):
        return None
    if _NUMERIC_FULLWIDTH.match(value):
        return (
            jaconv.z2h(value.strip(" \u3000"), kana=False, ascii=True, digit=True)
            .replace("ー", "-")
            .replace("−", "-")
            .replace("‐", "-")
        )
    return jaconv.z2h(value, kana=False, ascii=False, digit=True)


def _characters(value: str, _i: int) -> str | None:
    new = _MACHINE_DEPENDENT.sub(lambda m: unicodedata.normalize("NFKC", m.group()), value)
    if _HALFWIDTH_KANA.search(new):
        new = jaconv.h2z(new, kana=True, ascii=False, digit=False)
    return new if new != value else None


def _date_fixer(date_columns: set[int]) -> Callable[[str, int], str | None]:
    def fix(value: str, i: int) -> str | None:
        text = value.strip()
        if not text or _ISO_DATE.match(text):
            return None
        if not (
            _WAREKI_LIKE.match(text) or _SLASH_DATE.match(text) or (i in date_columns and text.isdigit())
        ):
            return None
        try:
            return parse_japanese_date(text).isoformat()
        except DateParseError:
            return None

    return fix


def lg_code_fixed(value: str) -> str | None:
    """A 全国地方公共団体コード with its check digit, from what a spreadsheet left of it."""
    digits = jaconv.z2h(value.strip(), kana=False, ascii=True, digit=True)
    if not digits.isdigit():
        return None
    if len(digits) == 6:
        return (
            None
            if is_valid_local_government_code(digits)
            else digits[:5] + str(local_government_check_digit(digits[:5]))
        )
    if len(digits) == 5:
        # Excel dropped the leading zero of a six-digit code (042021 -> 42021), or the check digit is missing.
        if is_valid_local_government_code("0" + digits):
            return "0" + digits
        return digits + str(local_government_check_digit(digits))
    if len(digits) == 4:  # a five-digit code that lost its leading zero
        five = "0" + digits
        return five + str(local_government_check_digit(five))
    return None


def _to_float(value: str) -> float | None:
    try:
        return float(value.strip())
    except ValueError:
        return None


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    wanted = {normalise_label(n).lower() for n in names}
    for i, label in enumerate(header):
        if normalise_label(label).lower() in wanted:
            return i
    return None


# --- analysis -----------------------------------------------------------------------------------


def _locate_table(rows: list[Row]) -> tuple[int, int]:
    """Index of the header row and one past the last data row: title rows above and notes below
    (rows with at most one filled cell, when the table is wider) are outside the table."""
    counts = [sum(1 for c in row.cells if c.strip()) for row in rows]
    widest = max(counts, default=0)
    if widest < 2:
        return 0, len(rows)
    start = next(i for i, n in enumerate(counts) if n >= 2)
    end = len(rows)
    while end > start + 1 and counts[end - 1] <= 1:
        end -= 1
    return start, end


def analyse(
    sheet: Sheet, *, standard: StandardDataset | None = None, selected: set[str] | None = None
) -> Analysis:
    """Run every fix on the sheet; keep the ``selected`` ones (all when None); report the rest."""
    fixes: list[Fix] = []
    issues: list[Issue] = []
    changed: dict[tuple[int, int], str] = {}

    def offer(
        fix: Fix,
        new_rows: list[Row],
        header: list[str],
        rows: list[Row],
        *,
        always: bool = False,
        issue: Callable[[Change], Issue] | None = None,
    ) -> list[Row]:
        fix.count = len(fix.changes)
        fix.always = always
        fix.selected = always or selected is None or fix.id in selected
        if not fix.changes:
            return rows
        fixes.append(fix)
        if fix.selected:
            index = {label: i for i, label in enumerate(header)}
            for change in fix.changes:
                col = index.get(change.column)
                if col is not None and change.line:
                    changed.setdefault((change.line, col), change.before)
            return new_rows
        if issue:
            issues.extend(issue(c) for c in fix.changes[:50])
        return rows

    rows = [Row(r.line, list(r.cells)) for r in sheet.rows]

    # Encoding (L3-08): always re-written as UTF-8 with BOM; shown so that the uploader knows.
    if sheet.kind == "csv" and sheet.encoding not in ("utf-8-sig",):
        fixes.append(
            Fix(
                "encoding",
                "文字コードを UTF-8（BOM付き）にする",
                "L3-08",
                f"{ENCODING_LABELS.get(sheet.encoding, sheet.encoding)} で読み取りました。公開するファイルは UTF-8（BOM付き）で、"
                "文字コードを明記します。Excel でも文字化けせずに開けます。",
                [
                    Change(
                        0,
                        "",
                        ENCODING_LABELS.get(sheet.encoding, sheet.encoding),
                        ENCODING_LABELS["utf-8-sig"],
                    )
                ],
                count=1,
                always=True,
            )
        )

    # One table per sheet (L1-02): each sheet of a workbook becomes its own resource.
    if sheet.sheet_count > 1:
        fixes.append(
            Fix(
                "sheets",
                "シートごとに別のリソースにする",
                "L1-02",
                f"1つのファイルに{sheet.sheet_count}枚のシートがありました。シートごとに1つの表として、別々のCSVで公開します。",
                [
                    Change(
                        0,
                        "",
                        f"1ファイル・{sheet.sheet_count}シート",
                        f"{sheet.sheet_count}個のCSV（このシート: {sheet.name}）",
                    )
                ],
                count=1,
                always=True,
            )
        )

    # Merged cells (L1-12): the value is written into every cell of the area.
    if sheet.merged:
        by_line = {r.line: r for r in rows}
        fix = Fix(
            "merged_cells",
            "結合されたセルを解除し、同じ値を各セルに入れる",
            "L1-12",
            "セルの結合は機械が読めません。結合されていた範囲のすべてのセルに同じ値を入れます。",
        )
        new_rows = [Row(r.line, list(r.cells)) for r in rows]
        new_by_line = {r.line: r for r in new_rows}
        for min_row, min_col, max_row, max_col in sheet.merged:
            top = by_line.get(min_row)
            value = top.cells[min_col - 1] if top and min_col - 1 < len(top.cells) else ""
            for r in range(min_row, max_row + 1):
                for c in range(min_col - 1, max_col):
                    row = new_by_line.get(r)
                    if row is None or c >= len(row.cells) or (r == min_row and c == min_col - 1):
                        continue
                    if row.cells[c] != value:
                        fix.changes.append(Change(r, f"{c + 1}列目", row.cells[c], value))
                        row.cells[c] = value
        rows = offer(
            fix,
            new_rows,
            [],
            rows,
            issue=lambda c: Issue(
                "warning", "L1-12", "結合されたセルがあります。", c.line, c.column, "merged_cells"
            ),
        )

    # Hidden rows and columns (L1-13): not selected by default, they may hold real data.
    if sheet.hidden_rows or sheet.hidden_cols:
        fix = Fix(
            "hidden",
            "非表示の行・列を削除する",
            "L1-13",
            "非表示の行や列も CSV では見えるようになります。不要なものなら削除してください。",
        )
        for row in rows:
            if row.line in sheet.hidden_rows:
                fix.changes.append(
                    Change(row.line, "", " / ".join(c for c in row.cells if c)[:60], "（行を削除）")
                )
        for col in sorted(sheet.hidden_cols):
            fix.changes.append(Change(0, f"{col + 1}列目", "（非表示の列）", "（列を削除）"))
        new_rows = [
            Row(r.line, [c for i, c in enumerate(r.cells) if i not in sheet.hidden_cols])
            for r in rows
            if r.line not in sheet.hidden_rows
        ]
        selected_hidden = selected is not None and "hidden" in selected
        fix.count = len(fix.changes)
        fix.selected = selected_hidden
        fixes.append(fix)
        if selected_hidden:
            rows = new_rows
        else:
            issues.append(
                Issue(
                    "warning",
                    "L1-13",
                    "非表示の行または列があります。公開すると見えるようになります。",
                    fix="hidden",
                )
            )

    if sheet.formulas:
        issues.append(
            Issue(
                "warning",
                "L2-06",
                f"数式が{sheet.formulas}個ありました。公開するファイルには計算結果の値だけを入れます。",
            )
        )

    # Title rows above the table (L3-01) and notes below it (L1-04).
    start, end = _locate_table(rows)
    if start > 0 or end < len(rows):
        fix = Fix(
            "outside_rows",
            "表の外のタイトル行・注記を削除する",
            "L3-01",
            "1行目は項目名の行、2行目からデータにします。表の上のタイトルや下の注記は、データセットの説明に書いてください。",
        )
        for row in rows[:start] + rows[end:]:
            text = " ".join(c.strip() for c in row.cells if c.strip())
            fix.changes.append(Change(row.line, "", text or "（空の行）", "（行を削除）"))
        rows = offer(
            fix,
            rows[start:end],
            [],
            rows,
            issue=lambda c: Issue(
                "error",
                "L3-01" if c.line <= rows[start].line else "L1-04",
                f"表の外の行です（「{c.before[:40]}」）。",
                c.line,
                "",
                "outside_rows",
            ),
        )

    # Empty rows and columns inside the table (L1-03), and a header repeated further down (L1-02).
    if rows:
        header_cells = rows[0].cells
        width = max(len(r.cells) for r in rows)
        empty_cols = [
            i for i in range(width) if not any(i < len(r.cells) and r.cells[i].strip() for r in rows)
        ]
        fix = Fix(
            "empty_lines",
            "空の行・列と、途中で繰り返される項目名の行を削除する",
            "L1-03",
            "空白の行や列でデータが分断されていると、機械が表の範囲を誤ります。",
        )
        kept = [rows[0]]
        for row in rows[1:]:
            if not any(c.strip() for c in row.cells):
                fix.changes.append(Change(row.line, "", "（空の行）", "（行を削除）"))
            elif [c.strip() for c in row.cells] == [c.strip() for c in header_cells]:
                fix.changes.append(Change(row.line, "", "（項目名の行の繰り返し）", "（行を削除）"))
            else:
                kept.append(row)
        for i in empty_cols:
            fix.changes.append(Change(0, f"{i + 1}列目", "（空の列）", "（列を削除）"))
        new_rows = [Row(r.line, [c for i, c in enumerate(r.cells) if i not in empty_cols]) for r in kept]
        rows = offer(
            fix,
            new_rows,
            [],
            rows,
            issue=lambda c: Issue(
                "warning",
                "L1-03",
                f"{c.before}があります。",
                c.line or None,
                c.column if not c.line else "",
                "empty_lines",
            ),
        )

    if not rows:
        return Analysis(
            [], [], 0, fixes, [*issues, Issue("error", "L1-05", "データがありません。")], {"fields": []}
        )

    header_line = rows[0].line
    header = list(rows[0].cells)
    data = rows[1:]

    # Spaces and line breaks used for layout (L1-06, L1-14), in the header and in cells.
    header_fix = [(i, _trim(h, i)) for i, h in enumerate(header)]
    fix = Fix(
        "spaces",
        "前後の空白とセル内の改行を取り除く",
        "L1-06",
        "体裁を整えるための空白や、セルの中の改行は、検索や読み込みの妨げになります。",
    )
    fix.changes = [
        Change(header_line, f"{i + 1}列目（項目名）", header[i], new)
        for i, new in header_fix
        if new is not None
    ]
    new_data, cell_changes = _cell_fix(data, header, None, _trim)
    fix.changes += cell_changes
    chosen = offer(
        fix,
        new_data,
        header,
        data,
        issue=lambda c: Issue(
            "warning",
            "L1-06",
            f"前後の空白またはセル内の改行があります（「{c.before[:30]}」）。",
            c.line,
            c.column,
            "spaces",
        ),
    )
    if chosen is new_data:
        header = [new if new is not None else header[i] for i, new in header_fix]
    data = chosen

    # Header names of the standard written slightly differently (全角の括弧、空白).
    layout = ""
    if standard is not None:
        layout = match_layout(standard, header)
        canonical = {normalise_label(c.name): c.name for c in standard.layout(layout)}
        renames = [
            (i, canonical[normalise_label(h)])
            for i, h in enumerate(header)
            if normalise_label(h) in canonical and canonical[normalise_label(h)] != h
        ]
        if renames:
            fix = Fix(
                "header_names",
                "項目名を標準データセットの表記にそろえる",
                "standard",
                f"「{standard.name}」の項目名と同じ表記にします。",
            )
            fix.changes = [
                Change(header_line, f"{i + 1}列目（項目名）", header[i], new) for i, new in renames
            ]
            new_header = list(header)
            for i, new in renames:
                new_header[i] = new
            fix.count = len(fix.changes)
            fix.selected = selected is None or fix.id in selected
            fixes.append(fix)
            if fix.selected:
                header = new_header
            else:
                issues.extend(
                    Issue(
                        "error",
                        "standard",
                        f"項目名「{c.before}」は標準では「{c.after}」です。",
                        c.line,
                        c.before,
                        fix.id,
                    )
                    for c in fix.changes
                )

    schema_columns = _schema_types(standard, layout, header)
    date_columns = {i for i, t in schema_columns.items() if t == "date"}
    number_columns = [i for i, t in schema_columns.items() if t == "number"]

    def cell_step(
        fix: Fix, transform, columns=None, severity="warning", message: Callable[[Change], str] | None = None
    ):
        nonlocal data
        new_data, fix.changes = _cell_fix(data, header, columns, transform)
        data = offer(
            fix,
            new_data,
            header,
            data,
            issue=lambda c: Issue(
                severity, fix.rule, message(c) if message else fix.title, c.line, c.column, fix.id
            ),
        )

    cell_step(
        Fix(
            "fullwidth_digits",
            "全角の数字を半角にする",
            "L2-01",
            "全角数字は数値として計算・並べ替えができません。",
        ),
        _fullwidth_digits,
        message=lambda c: f"全角の数字があります（「{c.before[:30]}」）。",
    )
    cell_step(
        Fix(
            "characters",
            "機種依存文字と半角カナを置き換える",
            "L1-08",
            "①、㈱、㎡、半角カナなどは環境によって正しく表示されません（例: ① → 1、㈱ → (株)）。",
        ),
        _characters,
        message=lambda c: f"機種依存文字または半角カナがあります（「{c.before[:30]}」）。",
    )
    cell_step(
        Fix(
            "dates",
            "和暦などの日付を西暦（YYYY-MM-DD）にする",
            "L3-05",
            "日付は西暦の ISO 形式（例: 2024-04-01）にそろえます。令和・平成などの和暦や「2024/4/1」を変換します。",
        ),
        _date_fixer(date_columns),
        message=lambda c: f"日付が西暦の YYYY-MM-DD 形式ではありません（「{c.before}」）。",
    )
    code_columns = [i for i, h in enumerate(header) if h in LG_CODE_COLUMNS or "団体コード" in h]
    if code_columns:
        cell_step(
            Fix(
                "lg_code",
                "全国地方公共団体コードを検査数字つきの6桁にする",
                "L3-06",
                "全国地方公共団体コードは検査数字を含む6桁です（例: 石巻市 04202 → 042021）。"
                "Excel で消えた先頭の0も戻します。",
            ),
            lambda v, _i: lg_code_fixed(v) if v.strip() else None,
            columns=code_columns,
            severity="error",
            message=lambda c: (
                f"全国地方公共団体コード「{c.before}」は検査数字つきの6桁ではありません（正しくは「{c.after}」）。"
            ),
        )
    if number_columns:
        cell_step(
            Fix(
                "numbers",
                "数値の桁区切りのカンマを取り除く",
                "L2-01",
                "数値の列に「1,234」のような桁区切りがあると文字列として扱われます。",
            ),
            lambda v, _i: (
                v.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", v.strip()) else None
            ),
            columns=number_columns,
            message=lambda c: f"数値に桁区切りのカンマがあります（「{c.before}」）。",
        )

    # Latitude and longitude swapped (the row's latitude is in Japan's longitudes and vice versa).
    lat, lng = _find(header, LATITUDE_COLUMNS), _find(header, LONGITUDE_COLUMNS)
    if lat is not None and lng is not None:
        fix = Fix(
            "latlng",
            "入れ替わった緯度と経度を直す",
            "standard",
            "緯度（日本では20〜46度）と経度（122〜154度）が逆に入っている行を入れ替えます。",
        )
        new_data = []
        for row in data:
            cells = list(row.cells)
            a, b = (
                _to_float(cells[lat]) if lat < len(cells) else None,
                _to_float(cells[lng]) if lng < len(cells) else None,
            )
            if (
                a is not None
                and b is not None
                and LNG_RANGE[0] <= a <= LNG_RANGE[1]
                and LAT_RANGE[0] <= b <= LAT_RANGE[1]
            ):
                fix.changes.append(Change(row.line, header[lat], cells[lat], cells[lng]))
                fix.changes.append(Change(row.line, header[lng], cells[lng], cells[lat]))
                cells[lat], cells[lng] = cells[lng], cells[lat]
            new_data.append(Row(row.line, cells))
        data = offer(
            fix,
            new_data,
            header,
            data,
            issue=lambda c: Issue(
                "error", "standard", "緯度と経度が入れ替わっているようです。", c.line, c.column, "latlng"
            ),
        )

    # Checks no fix settles.
    for i, label in enumerate(header):
        if not label.strip():
            issues.append(
                Issue(
                    "error",
                    "L1-05",
                    "項目名がありません。列の内容がわかる名前を付けてください。",
                    header_line,
                    f"{i + 1}列目",
                )
            )
    seen: dict[str, int] = {}
    for i, label in enumerate(header):
        if label.strip() and label in seen:
            issues.append(
                Issue(
                    "error",
                    "L2-03",
                    f"項目名「{label}」が{seen[label] + 1}列目と重複しています。",
                    header_line,
                    f"{i + 1}列目",
                )
            )
        seen.setdefault(label, i)
    width = len(header)
    for row in data:
        extra = [c for c in row.cells[width:] if c.strip()]
        if extra:
            issues.append(
                Issue("error", "L1-03", "項目名のない列にデータがあります。", row.line, f"{width + 1}列目")
            )
        row.cells = (row.cells + [""] * width)[:width]
    for i in code_columns:
        for row in data:
            value = row.cells[i].strip()
            if (
                value
                and re.fullmatch(r"\d{6}", value)
                and not is_valid_local_government_code(value)
                and not any(x.fix == "lg_code" and x.line == row.line for x in issues)
            ):
                issues.append(
                    Issue(
                        "error",
                        "L3-06",
                        f"全国地方公共団体コード「{value}」の検査数字が合いません。",
                        row.line,
                        header[i],
                        "lg_code",
                    )
                )

    if standard is not None:
        issues.extend(_standard_header_issues(standard, layout, header, header_line))
        schema = table_schema_for(standard, layout, header)
    else:
        schema = infer_schema(header, data)
    structural = any(i.severity == "error" and i.rule in {"L1-05", "L2-03"} for i in issues)
    if not structural:
        issues.extend(_schema_issues(header, data, schema))
    issues.extend(personal_data_warnings(header, data))
    return Analysis(header, data, header_line, fixes, issues, schema, layout, changed)


def _schema_types(standard: StandardDataset | None, layout: str, header: list[str]) -> dict[int, str]:
    if standard is None:
        return {}
    schema = table_schema_for(standard, layout, header)
    return {i: f["type"] for i, f in enumerate(schema["fields"])}


def _standard_header_issues(
    standard: StandardDataset, layout: str, header: list[str], line: int
) -> list[Issue]:
    issues = []
    labels = {normalise_label(h) for h in header}
    name = "現行の自治体標準オープンデータセット" if layout == "current" else "推奨データセット（2021年版）"
    for column in standard.layout(layout):
        if column.required and normalise_label(column.name) not in labels:
            issues.append(
                Issue(
                    "error",
                    "standard",
                    f"「{standard.name}」（{name}の項目名）の必須項目「{column.name}」の列がありません。",
                    line,
                    column.name,
                )
            )
    known = {normalise_label(c.name) for c in (*standard.columns, *standard.current_columns)}
    for label in header:
        if label.strip() and normalise_label(label) not in known:
            issues.append(
                Issue(
                    "warning",
                    "standard",
                    f"「{label}」は「{standard.name}」の項目にありません。独自の項目として公開します。",
                    line,
                    label,
                )
            )
    return issues


def infer_schema(header: list[str], rows: list[Row]) -> dict:
    """A Table Schema for a table that follows no standard: numbers, ISO dates, the rest strings.

    A column with a value that has a leading zero (codes, postal codes, phone numbers) stays a string.
    """
    fields = []
    for i, name in enumerate(header):
        values = [r.cells[i].strip() for r in rows if i < len(r.cells) and r.cells[i].strip()]
        field: dict = {"name": name, "type": "string"}
        if name in LG_CODE_COLUMNS:
            field["constraints"] = {"pattern": LG_CODE_PATTERN}
        elif values and all(re.fullmatch(r"-?(0|[1-9]\d*)", v) for v in values):
            field["type"] = "integer"
        elif values and all(re.fullmatch(r"-?(0|[1-9]\d*)(\.\d+)?", v) for v in values):
            field["type"] = "number"
        elif values and all(_ISO_DATE.fullmatch(v) for v in values):
            try:
                for v in values:
                    date.fromisoformat(v)
            except ValueError:
                pass
            else:
                field["type"] = "date"
        if name in LATITUDE_COLUMNS and field["type"] in {"number", "integer"}:
            field.update(type="number", constraints={"minimum": LAT_RANGE[0], "maximum": LAT_RANGE[1]})
        if name in LONGITUDE_COLUMNS and field["type"] in {"number", "integer"}:
            field.update(type="number", constraints={"minimum": LNG_RANGE[0], "maximum": LNG_RANGE[1]})
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


_TYPE_JA = {
    "number": "数値",
    "integer": "整数",
    "date": "日付（YYYY-MM-DD）",
    "time": "時刻",
    "boolean": "真偽値",
}


def _schema_issues(header: list[str], rows: list[Row], schema: dict) -> list[Issue]:
    """Validate the table as we would publish it against its schema (frictionless), in Japanese."""
    import frictionless

    if not header:
        return []
    body = csv_bytes(header, rows)
    resource = frictionless.Resource(
        data=body, format="csv", encoding="utf-8-sig", schema=frictionless.Schema.from_descriptor(schema)
    )
    report = resource.validate(limit_errors=200)
    issues = []
    lines = [rows[n].line for n in range(len(rows))]
    fields = {f["name"]: f for f in schema["fields"]}
    for task in report.tasks:
        for error in task.errors:
            row_number = getattr(error, "row_number", None)
            line = lines[row_number - 2] if row_number and 2 <= row_number <= len(lines) + 1 else None
            column = getattr(error, "field_name", "") or ""
            cell = getattr(error, "cell", "")
            issues.append(
                Issue(
                    "error",
                    "standard",
                    _message(error.type, error.note, cell, fields.get(column, {})),
                    line,
                    column,
                )
            )
    return issues


def _message(kind: str, note: str, cell, field: dict) -> str:
    constraints = field.get("constraints", {})
    if kind == "type-error":
        return f"「{cell}」は{_TYPE_JA.get(field.get('type', ''), field.get('type', ''))}として読めません。"
    if kind == "constraint-error":
        if "required" in note:
            return "必須の項目が空です。"
        if "pattern" in note and constraints.get("pattern") == LG_CODE_PATTERN:
            return f"「{cell}」は6桁の全国地方公共団体コードではありません。"
        if "pattern" in note:
            return f"「{cell}」は時刻（例: 09:00）の形式ではありません。"
        if "minimum" in note or "maximum" in note:
            if field.get("name") in LATITUDE_COLUMNS:
                return f"緯度「{cell}」が日本の範囲（20〜46）にありません。経度と入れ替わっていませんか。"
            if field.get("name") in LONGITUDE_COLUMNS:
                return f"経度「{cell}」が日本の範囲（122〜154）にありません。緯度と入れ替わっていませんか。"
            return f"「{cell}」は範囲外の値です。"
        return f"「{cell}」は項目の決まりに合いません。"
    if kind in {"missing-cell", "extra-cell"}:
        return "列の数が項目名の行と合いません。"
    if kind in {"blank-row"}:
        return "空の行があります。"
    if kind in {"duplicate-label", "blank-label", "incorrect-label"}:
        return "項目名の行に問題があります。"
    return f"形式の誤り（{kind}）: {note}"


# --- personal data ------------------------------------------------------------------------------

_NAME_HEADER = re.compile(r"氏名|名前|世帯主|個人名|申請者|代表者|フリガナ|ふりがな|担当者名")
_NOT_PERSON_HEADER = re.compile(r"名称|施設|団体|事業所|法人|データ|イベント|場所|連絡先名")
_PERSON_NAME = re.compile(r"^[一-龥々ヶ]{1,4}[ 　][一-龥々ヶ]{1,4}$|^[ァ-ヶー]{1,8}[ 　][ァ-ヶー]{1,8}$")
_PHONE_HEADER = re.compile(r"電話|TEL|携帯|連絡先", re.IGNORECASE)
_MOBILE = re.compile(r"^0[789]0-?\d{4}-?\d{4}$")
_ADDRESS_HEADER = re.compile(r"住所|所在地|居所")
_HOUSE_NUMBER = re.compile(r"\d+(番地?|号)|\d+-\d+(-\d+)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_BIRTH_HEADER = re.compile(r"生年月日|年齢|性別")


def personal_data_warnings(header: list[str], rows: list[Row]) -> list[Issue]:
    """Columns that look like personal data: a warning each, to be confirmed before publishing."""

    def values(i: int) -> list[str]:
        return [r.cells[i].strip() for r in rows if i < len(r.cells) and r.cells[i].strip()]

    def share(i: int, pattern: re.Pattern) -> float:
        vals = values(i)
        return (
            sum(1 for v in vals if pattern.search(unicodedata.normalize("NFKC", v))) / len(vals)
            if vals
            else 0.0
        )

    name_cols = [
        i
        for i, h in enumerate(header)
        if (_NAME_HEADER.search(h) and not _NOT_PERSON_HEADER.search(h)) or share(i, _PERSON_NAME) >= 0.5
    ]
    phone_cols = [i for i, h in enumerate(header) if _PHONE_HEADER.search(h)]
    address_cols = [i for i, h in enumerate(header) if _ADDRESS_HEADER.search(h)]
    warnings = []
    for i in name_cols:
        if phone_cols:
            others = "、".join(f"「{header[p]}」" for p in phone_cols)
            warnings.append(
                Issue(
                    "warning",
                    "personal",
                    f"「{header[i]}」は個人の氏名のようです。電話番号の列（{others}）と組み合わさると個人情報になります。",
                    column=header[i],
                )
            )
        for a in address_cols:
            if share(a, _HOUSE_NUMBER) >= 0.5:
                warnings.append(
                    Issue(
                        "warning",
                        "personal",
                        f"「{header[i]}」（氏名のような列）と「{header[a]}」（番地までの住所）があります。個人の住所ではありませんか。",
                        column=header[a],
                    )
                )
        for label in header:
            if _BIRTH_HEADER.search(label):
                warnings.append(
                    Issue(
                        "warning",
                        "personal",
                        f"「{header[i]}」（氏名のような列）と「{label}」があります。個人を特定できる情報ではありませんか。",
                        column=label,
                    )
                )
    for i, label in enumerate(header):
        if share(i, _MOBILE) > 0:
            warnings.append(
                Issue(
                    "warning",
                    "personal",
                    f"「{label}」に携帯電話番号のような値があります。個人の番号ではありませんか。",
                    column=label,
                )
            )
        if share(i, _EMAIL) > 0:
            warnings.append(
                Issue(
                    "warning",
                    "personal",
                    f"「{label}」にメールアドレスがあります。個人のアドレスではなく、課の代表アドレスですか。",
                    column=label,
                )
            )
    return warnings


# --- what we publish ----------------------------------------------------------------------------


def csv_bytes(header: list[str], rows: list[Row]) -> bytes:
    """UTF-8 with BOM, CRLF line ends, fields with commas, quotes or line breaks quoted (L1-15)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row.cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _typed(value: str, field: dict):
    if value == "":
        return None
    try:
        if field.get("type") == "integer":
            return int(value)
        if field.get("type") == "number":
            number = float(value)
            return int(number) if number.is_integer() and "." not in value else number
    except ValueError:
        return value
    return value


def json_bytes(header: list[str], rows: list[Row], schema: dict) -> bytes:
    fields = schema["fields"]
    records = [{f["name"]: _typed(row.cells[i], f) for i, f in enumerate(fields)} for row in rows]
    return json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8")


def geojson_bytes(header: list[str], rows: list[Row], schema: dict) -> bytes | None:
    """Points from the latitude and longitude columns; None when the table has none in range."""
    lat, lng = _find(header, LATITUDE_COLUMNS), _find(header, LONGITUDE_COLUMNS)
    if lat is None or lng is None:
        return None
    fields = schema["fields"]
    features = []
    for row in rows:
        y, x = _to_float(row.cells[lat]), _to_float(row.cells[lng])
        if (
            y is None
            or x is None
            or not (LAT_RANGE[0] <= y <= LAT_RANGE[1] and LNG_RANGE[0] <= x <= LNG_RANGE[1])
        ):
            continue
        properties = {f["name"]: _typed(row.cells[i], f) for i, f in enumerate(fields) if i not in (lat, lng)}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": properties,
            }
        )
    if not features:
        return None
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")


@dataclass
class Outputs:
    csv: bytes
    json: bytes
    geojson: bytes | None
    schema: dict


def outputs(analysis: Analysis) -> Outputs:
    schema = {**analysis.schema}
    return Outputs(
        csv=csv_bytes(analysis.header, analysis.rows),
        json=json_bytes(analysis.header, analysis.rows, schema),
        geojson=geojson_bytes(analysis.header, analysis.rows, schema),
        schema=schema,
    )


def preview_rows(data: bytes, limit: int = PREVIEW_ROWS) -> tuple[list[str], list[list[str]]]:
    """Header and the first rows of a CSV we published (for the dataset page)."""
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    rows = []
    for record in reader:
        rows.append(record)
        if len(rows) >= limit:
            break
    return header, rows
