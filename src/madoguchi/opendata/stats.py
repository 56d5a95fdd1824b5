"""Monthly statistics from our own services, published as open data (issue 8, item 7).

The table of a month: rows are procedures, columns are the channels (online, counter, paper), with
row and column totals. A cell counts the applications (cases) received that month. What is
published must not let anyone learn a count from 1 to 9:

* **Primary suppression**: every count from 1 to 9 (cells and totals alike) is suppressed; 0 and
  10 or more are shown.
* **Secondary suppression**: more cells are suppressed so that no suppressed count can be worked
  out from the published ones. Seen as a graph (one vertex per row, including the total row, and
  one per column, including the total column; one edge per suppressed cell), the equations
  "cells of a line add up to its total" determine a suppressed cell exactly when its edge is a
  *bridge* (on no cycle): the differences between two tables that publish the same values are
  exactly the signed cycles of that graph. So we add cells until no suppressed cell is a bridge:
  for each bridge we suppress the cheapest path between its two ends (fewest new cells, then the
  smallest counts), which closes a cycle through it. That also gives every line with a
  suppressed cell at least two (a lone one would be a bridge), so no single subtraction from a
  published total works either. A zero is never suppressed as a secondary cell (a suppressed 0
  on a cycle could, with "counts are not negative", pin the cycle down); a path of non-zero cells
  always exists (a row's total, the grand total and a column's total are non-zero whenever the
  row and the column have a case).
* **Median processing days** (calendar days from receipt to completion of the cases completed
  that month, withdrawals left out) is shown only where the cell's count is published, is 10 or
  more, and at least 10 completed cases make the median.

Everything above works on plain values (``CaseRecord``) so that it can be tested, and proved by
a property test, without a database; ``case_records`` reads them from ``cases.Case`` and
``publish_monthly_statistics`` publishes the CSV through the open-data services.
"""

from __future__ import annotations

import csv
import heapq
import io
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

CHANNELS: tuple[str, ...] = ("online", "counter", "paper")
CHANNEL_LABELS = {"online": "オンライン", "counter": "窓口", "paper": "紙", "all": "計"}
ALL = "all"  # the code of the total row (all procedures) and of the total column (all channels)
ALL_PROCEDURES_LABEL = "全手続"
SMALLEST_SHOWN = 10  # counts from 1 to SMALLEST_SHOWN - 1 are suppressed
MEDIAN_MIN_CASES = 10

# The published CSV: one header row, one observation per row (long form), numbers only in the
# number columns; a suppressed count is an empty cell with 秘匿 = 1 (the dataset's notes say so).
CSV_HEADER = (
    "年月",
    "手続ID",
    "手続名",
    "受付方法コード",
    "受付方法",
    "申請件数",
    "秘匿",
    "処理日数の中央値",
)


@dataclass(frozen=True)
class CaseRecord:
    """What the statistics need of one case, and nothing about the person."""

    procedure: str  # the procedure's slug
    channel: str
    received_on: date
    closed_on: date | None = None  # the local date it reached a final status
    withdrawn: bool = False


@dataclass(frozen=True)
class Cell:
    count: int
    suppressed: bool
    median_days: float | None = None  # None: not shown

    @property
    def published_count(self) -> int | None:
        return None if self.suppressed else self.count


@dataclass
class MonthlyTable:
    month: str  # YYYY-MM
    procedures: list[str]  # slugs, in order; the total row is ALL
    names: dict[str, str]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    @property
    def rows(self) -> list[str]:
        return [*self.procedures, ALL]

    @property
    def columns(self) -> list[str]:
        return [*CHANNELS, ALL]

    def cell(self, row: str, column: str) -> Cell:
        return self.cells[(row, column)]


# --- suppression -------------------------------------------------------------------------------


def _full_table(counts: list[list[int]]) -> list[list[int]]:
    """Add the row totals (last column), the column totals (last row) and the grand total."""
    table = [[*row, sum(row)] for row in counts]
    width = len(counts[0]) + 1 if counts else len(CHANNELS) + 1
    table.append([sum(row[j] for row in table) for j in range(width)])
    return table


def _bridges(cells: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """The suppressed cells that are on no cycle of the row/column graph (each could be worked out)."""
    adjacency: dict[tuple[str, int], set[tuple[str, int]]] = defaultdict(set)
    for i, j in cells:
        adjacency[("r", i)].add(("c", j))
        adjacency[("c", j)].add(("r", i))
    found = []
    for i, j in sorted(cells):
        start, goal = ("r", i), ("c", j)
        seen, stack = {start}, [start]
        while stack:
            vertex = stack.pop()
            for other in adjacency[vertex]:
                if {vertex, other} == {start, goal} or other in seen:
                    continue  # the edge itself is not a way round
                seen.add(other)
                stack.append(other)
        if goal not in seen:
            found.append((i, j))
    return found


def _cheapest_path(table: list[list[int]], cells: set[tuple[int, int]], bridge: tuple[int, int]):
    """Cells joining the bridge's row to its column another way: fewest newly suppressed, then smallest."""
    n_rows, n_cols = len(table), len(table[0])
    start, goal = ("r", bridge[0]), ("c", bridge[1])
    best = {start: (0, 0)}
    previous: dict[tuple[str, int], tuple[tuple[str, int], tuple[int, int]]] = {}
    heap = [((0, 0), start)]
    while heap:
        cost, vertex = heapq.heappop(heap)
        if vertex == goal:
            break
        if cost > best.get(vertex, cost):
            continue
        kind, index = vertex
        neighbours = (
            [(("c", j), (index, j)) for j in range(n_cols)]
            if kind == "r"
            else [(("r", i), (i, index)) for i in range(n_rows)]
        )
        for other, cell in neighbours:
            if cell == bridge:
                continue
            if cell in cells:
                step = (0, 0)
            elif table[cell[0]][cell[1]] > 0:
                step = (1, table[cell[0]][cell[1]])
            else:
                continue  # never suppress a zero
            new = (cost[0] + step[0], cost[1] + step[1])
            if other not in best or new < best[other]:
                best[other] = new
                previous[other] = (vertex, cell)
                heapq.heappush(heap, (new, other))
    if goal not in previous:  # cannot happen for a table with a case in the bridge's row and column
        raise ValueError("no way round a suppressed cell")
    path, vertex = [], goal
    while vertex != start:
        vertex, cell = previous[vertex]
        path.append(cell)
    return path


def suppress(counts: list[list[int]]) -> tuple[list[list[int]], set[tuple[int, int]]]:
    """The table with totals, and the positions to suppress (indices into it; totals are last).

    ``counts`` is one list per row (procedure), one count per column (channel).
    """
    table = _full_table(counts)
    cells = {
        (i, j) for i, row in enumerate(table) for j, value in enumerate(row) if 0 < value < SMALLEST_SHOWN
    }
    while True:
        bridges = _bridges(cells)
        if not bridges:
            return table, cells
        cells.update(_cheapest_path(table, cells, bridges[0]))


# --- the month's table -------------------------------------------------------------------------


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first, following


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if len(values) >= MEDIAN_MIN_CASES else None


def monthly_table(
    records: Iterable[CaseRecord], *, year: int, month: int, names: dict[str, str] | None = None
) -> MonthlyTable:
    """Counts received in the month, suppressed, with the medians of cases completed in it.

    Rows are the procedures with at least one application that month (sorted by slug); records on
    a channel other than ``CHANNELS`` are left out.
    """
    first, following = _month_bounds(year, month)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CHANNELS, 0))
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    for record in records:
        if record.channel not in CHANNELS:
            continue
        if first <= record.received_on < following:
            counts[record.procedure][record.channel] += 1
        if record.closed_on is not None and not record.withdrawn and first <= record.closed_on < following:
            elapsed = (record.closed_on - record.received_on).days
            for key in (
                (record.procedure, record.channel),
                (record.procedure, ALL),
                (ALL, record.channel),
                (ALL, ALL),
            ):
                days[key].append(elapsed)
    procedures = sorted(counts)
    table = MonthlyTable(
        month=f"{year:04d}-{month:02d}",
        procedures=procedures,
        names={**(names or {}), ALL: ALL_PROCEDURES_LABEL},
    )
    if not procedures:  # nothing received: the month is published as zeros
        for column in table.columns:
            table.cells[(ALL, column)] = Cell(count=0, suppressed=False)
        return table
    full, hidden = suppress([[counts[p][c] for c in CHANNELS] for p in procedures])
    for i, row in enumerate(table.rows):
        for j, column in enumerate(table.columns):
            count, suppressed = full[i][j], (i, j) in hidden
            median = None
            if not suppressed and count >= SMALLEST_SHOWN:
                median = _median(days.get((row, column), []))
            table.cells[(row, column)] = Cell(count=count, suppressed=suppressed, median_days=median)
    return table


# --- the CSV -----------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def table_rows(table: MonthlyTable) -> list[list[str]]:
    rows = []
    for row in table.rows:
        for column in table.columns:
            cell = table.cell(row, column)
            rows.append(
                [
                    table.month,
                    row,
                    table.names.get(row, row),
                    column,
                    CHANNEL_LABELS[column],
                    _number(cell.published_count),
                    "1" if cell.suppressed else "0",
                    _number(cell.median_days),
                ]
            )
    return rows


def csv_text(rows: Iterable[list[str]]) -> str:
    """The published CSV (header first, CRLF line ends as RFC 4180; the services add the BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return out.getvalue()


def merge_months(previous_csv: str, tables: list[MonthlyTable]) -> str:
    """The series so far with the given months replaced (or added); rows sorted by month.

    Months already published keep the figures they were published with: later purges of old cases
    (retention) must not rewrite history.
    """
    replaced = {t.month for t in tables}
    kept: list[list[str]] = []
    if previous_csv.strip():
        reader = csv.reader(io.StringIO(previous_csv.lstrip("\ufeff")))
        header = next(reader, None)
        if header is not None and tuple(header) != CSV_HEADER:
            raise ValueError("the published CSV has other columns; not merging")
        kept = [r for r in reader if r and r[0] not in replaced]
    rows = kept + [r for t in tables for r in table_rows(t)]
    rows.sort(key=lambda r: r[0])  # stable: within a month, the table's own order
    return csv_text(rows)


# --- from the case data to the published dataset -----------------------------------------------------

STATS_DATASET_NAME = "online-applications-monthly"
STATS_DATASET_TITLE = "オンライン申請の受付件数（月別）"
STATS_RESOURCE_NAME = "手続別・受付方法別の申請件数と処理日数（月別）"
STATS_DEPARTMENT = "ict"  # the ICT/DX department owns it
STATS_NOTES = (
    "本市の電子申請システム（Madoguchi）の案件データから毎月自動で集計した、手続ごと・受付方法"
    "（オンライン・窓口・紙）ごとの申請件数と、処理日数の中央値です。\n\n"
    "- 申請件数: その月に受け付けた申請の件数。手続名「全手続」は全手続の計、受付方法「計」は全受付方法の計です。\n"
    "- 秘匿: 1 は件数を伏せた欄（申請件数は空欄）。1〜9件の欄と、ほかの欄や合計から引き算などで"
    "逆算できないように追加で伏せた欄です。0 は公表です（0件は0と表示します）。\n"
    "- 処理日数の中央値: その月に処理が完了した申請（取下げを除く）の、受付日から完了日までの日数（暦日）の"
    "中央値。件数を公表している10件以上の欄で、完了が10件以上あるときだけ表示します。\n"
    "- 公表済みの月の数値は変えません（古い申請データの保存期間満了による消去の影響を受けません）。"
)


def case_records(*, year: int, month: int) -> list[CaseRecord]:
    """The cases received or completed in the month, reduced to what the statistics need."""
    from django.db.models import F, Q
    from django.utils import timezone

    from madoguchi.cases.models import Case

    first, following = _month_bounds(year, month)
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(timezone.datetime.combine(first, timezone.datetime.min.time()), tz)
    end = timezone.make_aware(timezone.datetime.combine(following, timezone.datetime.min.time()), tz)
    rows = (
        # An application counts once: by its case in the procedure's own department.
        Case.objects.filter(department_id=F("procedure__department_id"))
        .filter(
            Q(received_on__gte=first, received_on__lt=following) | Q(closed_at__gte=start, closed_at__lt=end)
        )
        .values_list("procedure__slug", "channel", "received_on", "closed_at", "status")
        .iterator()
    )
    return [
        CaseRecord(
            procedure=slug,
            channel=channel,
            received_on=received_on,
            closed_on=timezone.localtime(closed_at).date() if closed_at else None,
            withdrawn=status == "withdrawn",
        )
        for slug, channel, received_on, closed_at, status in rows
    ]


def procedure_names() -> dict[str, str]:
    from madoguchi.procedures.models import Procedure

    return dict(Procedure.objects.values_list("slug", "name"))


def previous_month(today: date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


def _stats_actor(dataset, department):
    """Who the services record for the automatic update: the member of staff who set the dataset up,
    while they may still edit the department's datasets; otherwise its 課管理者, 決裁者 or 担当者."""
    from madoguchi.accounts.models import StaffRole, User

    from . import services

    maker = dataset.created_by if dataset is not None else None
    if maker is not None and maker.is_active and services.can_edit(maker, department.pk):
        return maker
    for role in (StaffRole.Role.DEPT_ADMIN, StaffRole.Role.APPROVER, StaffRole.Role.HANDLER):
        user = (
            User.objects.filter(
                is_active=True,
                kind=User.Kind.STAFF,
                staff_roles__department=department,
                staff_roles__role=role,
            )
            .order_by("pk")
            .first()
        )
        if user is not None:
            return user
    return None


@dataclass
class PublishResult:
    dataset: object
    months: list[str]
    change: object | None  # None: nothing new to publish
    message: str


def months_to_publish(previous_csv: str, today: date) -> list[tuple[int, int]]:
    """Every month after the last one published, up to last month (just last month on the first run)."""
    last = previous_month(today)
    months = sorted(
        {r[0] for r in csv.reader(io.StringIO(previous_csv.lstrip("\ufeff"))) if r and r[0][:1].isdigit()}
    )
    if not months:
        return [last]
    year, month = (int(x) for x in months[-1].split("-"))
    result = []
    while (year, month) < last:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        result.append((year, month))
    return result


def statistics_publish(*, months: list[tuple[int, int]] | None = None, by=None, today: date | None = None
                       ) -> PublishResult:  # fmt: skip
    """Compute the months, merge them into the published series and submit the new file through the
    open-data services (a change of the ICT department: its 決裁者 approve it, as any change).

    Without ``months``: every month since the last one published, up to last month. The first run
    creates the dataset (``by``: a member of the ICT department, else one is chosen). Nothing is
    submitted while the dataset has an open change (waiting for approval, or being edited by staff)
    or when the figures are the same. Published months other than those given keep their figures.
    """
    from django.db import transaction
    from django.utils import timezone

    from madoguchi.organisations.models import Department
    from madoguchi.organisations.selectors import municipality_get_current

    from . import services
    from .models import Dataset, Resource

    municipality = municipality_get_current()
    department = Department.objects.get(municipality=municipality, code=STATS_DEPARTMENT)
    dataset = Dataset.objects.filter(name=STATS_DATASET_NAME).first()
    actor = by or _stats_actor(dataset, department)
    if actor is None:
        raise ValueError(f"no member of staff of {STATS_DEPARTMENT} to record the update")
    with transaction.atomic():
        if dataset is None:
            dataset = services.dataset_create(by=actor, department=department, name=STATS_DATASET_NAME, metadata={
                "title": STATS_DATASET_TITLE, "notes": STATS_NOTES, "theme": Dataset.Theme.GOVE,
                "license_id": "pdl-1.0", "frequency": Dataset.Frequency.MONTHLY, "spatial": "",
                "contact_name": department.name, "contact_email": "", "conforms_to": "",
                "tags": ["オンライン申請", "行政手続", "統計", "DX"], "temporal_start": "", "temporal_end": "",
            })  # fmt: skip
        change = services.open_change(dataset)
        first_draft = change is not None and change.kind == "new" and change.is_editable
        if change is not None and not first_draft:
            return PublishResult(dataset, [], None, "the dataset has an open change; nothing submitted")
        resource = (
            Resource.objects.filter(dataset=dataset, derived_from__isnull=True, removed_at__isnull=True)
            .order_by("position", "created")
            .first()
        )
        previous = ""
        if resource is not None and resource.current_version and resource.current_version.file:
            with resource.current_version.file.open("rb") as fh:
                previous = fh.read().decode("utf-8-sig")
        if months is None:
            months = months_to_publish(previous, today or timezone.localdate())
        if not months:
            return PublishResult(dataset, [], None, "nothing new to publish")
        names = procedure_names()
        tables = [
            monthly_table(case_records(year=y, month=m), year=y, month=m, names=names) for y, m in months
        ]
        labels = [t.month for t in tables]
        text = merge_months(previous, tables)
        if previous and _same_rows(previous, text):
            return PublishResult(dataset, labels, None, "no change")
        versions = services.resource_upload(
            by=actor, dataset=dataset, data=text.encode("utf-8"), filename=f"{STATS_DATASET_NAME}.csv",
            name=STATS_RESOURCE_NAME, resource=resource,
        )  # fmt: skip
        for version in versions:
            selected = {f["id"] for f in version.fix_report.get("fixes", []) if f.get("selected")}
            services.version_apply_fixes(by=actor, version=version, selected=selected)
        change = services.change_submit(by=actor, dataset=dataset, note=f"自動集計（{', '.join(labels)}）")
    return PublishResult(dataset, labels, change, "submitted")


def _same_rows(a: str, b: str) -> bool:
    read = lambda text: [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if r]  # noqa: E731
    return read(a) == read(b)
