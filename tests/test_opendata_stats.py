"""Monthly statistics from the case data: suppression proved on random case data, the CSV parsed back,
and the monthly dataset published (and updated) through the open-data services by the command."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madoguchi.opendata import stats
from madoguchi.opendata.stats import ALL, CHANNELS, CSV_HEADER, CaseRecord

YEAR, MONTH = 2026, 10
FIRST = date(YEAR, MONTH, 1)

# --- reading the published CSV back, as a user would ------------------------------------------


def parse(text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader)
    assert tuple(header) == CSV_HEADER
    rows = [dict(zip(header, r, strict=True)) for r in reader]
    assert rows or text.count("\n") == 1
    return rows


def published_grid(rows: list[dict[str, str]], month: str):
    """{(procedure, channel): int or None (suppressed)} for one month, from the parsed CSV."""
    grid = {}
    for r in rows:
        if r["年月"] != month:
            continue
        key = (r["手続ID"], r["受付方法コード"])
        assert key not in grid, f"duplicate row {key}"
        if r["秘匿"] == "1":
            assert r["申請件数"] == "" and r["処理日数の中央値"] == ""
            grid[key] = None
        else:
            assert r["秘匿"] == "0"
            grid[key] = int(r["申請件数"])
    return grid


# --- an attacker's tools: subtraction, and any linear combination of the published totals ---------


def lines(procedures: list[str]) -> list[list[tuple[str, str]]]:
    """Each line lists its cells then its total: every row (total row too), every column (total too)."""
    rows = [*procedures, ALL]
    columns = [*CHANNELS, ALL]
    return [[(r, c) for c in columns] for r in rows] + [[(r, c) for r in rows] for c in columns]


def recoverable_by_subtraction(grid, procedures) -> list[tuple[str, str]]:
    """Cells worked out by repeated subtraction: a line with one unknown gives it away."""
    known = dict(grid)
    found, progress = [], True
    while progress:
        progress = False
        for line in lines(procedures):
            unknown = [k for k in line if known[k] is None]
            if len(unknown) == 1:
                *cells, total = line
                k = unknown[0]
                value = (
                    known[total] - sum(known[c] for c in cells if c != k)
                    if k != total
                    else sum(known[c] for c in cells)
                )
                known[k] = value
                found.append(k)
                progress = True
    return found


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [r[:] for r in matrix]
    rank, n_cols = 0, len(rows[0]) if rows else 0
    for col in range(n_cols):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def determined_by_linear_algebra(grid, procedures) -> list[tuple[str, str]]:
    """Suppressed cells fixed by the line equations, however combined: e_k in the row space."""
    unknown = sorted(k for k, v in grid.items() if v is None)
    if not unknown:
        return []
    index = {k: n for n, k in enumerate(unknown)}
    equations = []
    for line in lines(procedures):
        *cells, total = line
        coefficients = [Fraction(0)] * len(unknown)
        for k in cells:
            if k in index:
                coefficients[index[k]] += 1
        if total in index:
            coefficients[index[total]] -= 1
        equations.append(coefficients)
    base = _rank(equations)
    found = []
    for k, n in index.items():
        unit = [Fraction(int(m == n)) for m in range(len(unknown))]
        if _rank([*equations, unit]) == base:
            found.append(k)
    return found


# --- random case data ----------------------------------------------------------------------------

PROCEDURES = ["risai_shomei", "jidoteate_nintei_seikyu", "kaigo_nintei_shinki", "inkan_toroku", "tenshutsu"]


@st.composite
def case_records(draw):
    """Cases of a few procedures, clustered so that counts from 1 to 9 and of 10 or more both occur."""
    records = []
    weights = draw(
        st.lists(st.sampled_from([0, 1, 2, 4, 9, 10, 12, 25]), min_size=1, max_size=len(PROCEDURES))
    )
    for procedure, size in zip(PROCEDURES, weights, strict=False):
        for _n in range(size):
            channel = draw(st.sampled_from([*CHANNELS, "online", "online", "fax"]))
            received = FIRST + timedelta(days=draw(st.integers(-20, 30)))
            closed = draw(st.none() | st.integers(0, 60))
            records.append(
                CaseRecord(
                    procedure=procedure,
                    channel=channel,
                    received_on=received,
                    closed_on=None if closed is None else received + timedelta(days=closed),
                    withdrawn=draw(st.booleans()) if closed is not None else False,
                )
            )
    return records


def true_counts(records) -> Counter:
    counts = Counter()
    for r in records:
        if r.channel in CHANNELS and r.received_on.year == YEAR and r.received_on.month == MONTH:
            for key in ((r.procedure, r.channel), (r.procedure, ALL), (ALL, r.channel), (ALL, ALL)):
                counts[key] += 1
    return counts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_records())
def test_no_published_count_from_1_to_9_and_no_suppressed_count_recoverable(records):
    table = stats.monthly_table(records, year=YEAR, month=MONTH)
    rows = parse(stats.csv_text(stats.table_rows(table)))
    grid = published_grid(rows, table.month)
    counts = true_counts(records)
    procedures = sorted({p for (p, _c) in counts if p != ALL})
    assert set(grid) == {(p, c) for p in [*procedures, ALL] for c in [*CHANNELS, ALL]} or not counts
    for key, value in grid.items():
        if value is not None:
            assert value == 0 or value >= 10, f"published {value} at {key}"
            assert value == counts[key]  # what is shown is true
        else:
            assert counts[key] > 0  # a zero is never hidden
        if 0 < counts[key] < 10:
            assert value is None
    assert recoverable_by_subtraction(grid, procedures) == []
    assert determined_by_linear_algebra(grid, procedures) == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([0, 0, 1, 3, 9, 10, 11, 40, 250]), min_size=3, max_size=3),
        min_size=1,
        max_size=12,
    )
)
def test_suppression_of_any_table(counts):
    counts = [row for row in counts if sum(row)] or [[0, 5, 0]]
    table, hidden = stats.suppress(counts)
    procedures = [f"p{i}" for i in range(len(counts))]
    names = [*procedures, ALL]
    columns = [*CHANNELS, ALL]
    grid = {
        (names[i], columns[j]): None if (i, j) in hidden else table[i][j]
        for i in range(len(table))
        for j in range(len(columns))
    }
    assert all(v is None or v == 0 or v >= 10 for v in grid.values())
    assert all(table[i][j] > 0 for i, j in hidden)
    assert recoverable_by_subtraction(grid, procedures) == []
    assert determined_by_linear_algebra(grid, procedures) == []


def test_the_attackers_tools_do_find_a_lone_suppressed_cell():
    """The checks can fail: primary suppression alone gives cells away."""
    procedures = ["a", "b"]
    grid = {(p, c): 20 for p in [*procedures, ALL] for c in [*CHANNELS, ALL]}
    grid[("a", "online")] = None  # a 5 with its row and column totals published
    assert recoverable_by_subtraction(grid, procedures)
    assert determined_by_linear_algebra(grid, procedures) == [("a", "online")]


def test_a_bridge_between_two_cycles_is_found_by_linear_algebra_but_not_by_one_subtraction():
    """Every line holds two suppressed cells, yet one cell is determined: why we test for bridges."""
    procedures = ["a", "b", "c", "d"]
    grid = {(p, c): 50 for p in [*procedures, ALL] for c in [*CHANNELS, ALL]}
    # A 4-cycle a/b x online/counter, a 4-cycle c/d x paper/all, joined by the bridge (b, paper)...
    hidden = [("a", "online"), ("a", "counter"), ("b", "online"), ("b", "counter"),
              ("c", "paper"), ("c", ALL), ("d", "paper"), ("d", ALL), ("b", "paper")]  # fmt: skip
    for k in hidden:
        grid[k] = None
    # ... where b's row now has three and the paper column three: no single subtraction works.
    assert recoverable_by_subtraction(grid, procedures) == []
    assert determined_by_linear_algebra(grid, procedures) == [("b", "paper")]


def test_median_only_where_the_count_is_10_or_more():
    received = FIRST + timedelta(days=2)
    records = [
        CaseRecord("risai_shomei", "online", received, received + timedelta(days=d)) for d in range(1, 13)
    ] + [CaseRecord("tenshutsu", "counter", received, received + timedelta(days=3)) for _ in range(4)]
    records += [CaseRecord("inkan_toroku", "counter", received) for _ in range(15)]  # still open
    table = stats.monthly_table(
        records, year=YEAR, month=MONTH, names={"risai_shomei": "罹災証明書の発行申請"}
    )
    rows = parse(stats.csv_text(stats.table_rows(table)))
    by_key = {(r["手続ID"], r["受付方法コード"]): r for r in rows}
    assert by_key[("risai_shomei", "online")]["申請件数"] == "12"
    assert by_key[("risai_shomei", "online")]["処理日数の中央値"] == "6.5"
    assert by_key[("risai_shomei", "online")]["手続名"] == "罹災証明書の発行申請"
    assert by_key[("tenshutsu", "counter")]["秘匿"] == "1"
    assert by_key[("tenshutsu", "counter")]["処理日数の中央値"] == ""
    # 4 is hidden, and so are two cells of inkan_toroku that would give it away; the grand total
    # (31) is shown, with the median of the 16 cases completed (1..12 days, and four of 3 days).
    assert by_key[("inkan_toroku", "counter")]["秘匿"] == "1"
    assert by_key[(ALL, ALL)]["申請件数"] == "31"
    assert by_key[(ALL, ALL)]["処理日数の中央値"] == "4.5"
    assert by_key[("inkan_toroku", ALL)]["処理日数の中央値"] == ""  # nothing completed


def test_withdrawn_cases_count_as_applications_but_not_for_processing_days():
    received = FIRST
    records = [
        CaseRecord("risai_shomei", "paper", received, received + timedelta(days=9), withdrawn=True)
    ] * 15
    table = stats.monthly_table(records, year=YEAR, month=MONTH)
    cell = table.cell("risai_shomei", "paper")
    assert cell.count == 15 and not cell.suppressed and cell.median_days is None


def test_merge_keeps_published_months_and_replaces_the_given_one():
    old = stats.monthly_table(
        [CaseRecord("risai_shomei", "online", date(2026, 9, 3))] * 11, year=2026, month=9
    )
    first = stats.csv_text(stats.table_rows(old))
    october = stats.monthly_table([CaseRecord("risai_shomei", "online", FIRST)] * 20, year=YEAR, month=MONTH)
    merged = stats.merge_months(first, [october])
    again = stats.merge_months(merged, [october])
    assert merged == again
    months = [r["年月"] for r in parse(merged)]
    assert months == sorted(months) and set(months) == {"2026-09", "2026-10"}
    # A month re-run with fewer cases (old cases purged) replaces only that month.
    purged = stats.monthly_table([], year=2026, month=9)
    rows = [r for r in parse(stats.merge_months(merged, [purged])) if r["年月"] == "2026-09"]
    assert [(r["手続ID"], r["申請件数"]) for r in rows] == [(ALL, "0")] * 4
    with pytest.raises(ValueError):
        stats.merge_months("a,b\r\n1,2\r\n", [october])


# --- from the case data to the published dataset -----------------------------------------------------------


def test_months_to_publish_and_the_monthly_run_time():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from madoguchi.opendata.stats_tasks import next_run_time

    assert stats.months_to_publish("", date(2026, 1, 15)) == [(2025, 12)]
    published = stats.csv_text([["2025-10", ALL, "全手続", ALL, "計", "0", "0", ""]])
    assert stats.months_to_publish(published, date(2026, 1, 2)) == [(2025, 11), (2025, 12)]
    assert stats.months_to_publish(published, date(2025, 11, 30)) == []
    tokyo = ZoneInfo("Asia/Tokyo")
    assert next_run_time(datetime(2026, 3, 1, 5, 0, tzinfo=tokyo)) == datetime(2026, 3, 1, 6, 0, tzinfo=tokyo)
    assert next_run_time(datetime(2026, 3, 1, 6, 0, tzinfo=tokyo)) == datetime(2026, 4, 1, 6, 0, tzinfo=tokyo)
    assert next_run_time(datetime(2026, 12, 20, 9, 0, tzinfo=tokyo)) == datetime(
        2027, 1, 1, 6, 0, tzinfo=tokyo
    )


@pytest.fixture
def ict_people(city):
    from madoguchi.accounts.models import StaffRole
    from tests.conftest import make_staff

    maker = make_staff("kacho@ict.test", "ICT 課長", ("ict", StaffRole.Role.DEPT_ADMIN))
    approver = make_staff("kessai@ict.test", "ICT 決裁", ("ict", StaffRole.Role.APPROVER))
    return maker, approver


def _cases(citizen, plan: list[tuple[str, str, date, int | None, str]]):
    """Cases as the back office has them: one filed for real, the others copies of it with the
    procedure, channel, receipt date, days to completion and status of the plan."""
    from datetime import datetime, time

    from django.utils import timezone

    from madoguchi.cases.models import Case
    from madoguchi.procedures.models import Procedure
    from tests.support.cases import file_case

    template = file_case(citizen)
    procedures = {p.slug: p for p in Procedure.objects.all()}
    rows = []
    for n, (slug, channel, received, days, status) in enumerate(plan):
        procedure = procedures[slug]
        closed = None
        if days is not None:
            closed = timezone.make_aware(datetime.combine(received + timedelta(days=days), time(15, 0)))
        rows.append(Case(
            submission=template.submission, procedure=procedure, department=procedure.department,
            status=status, receipt_number=f"T{n:06d}", channel=channel, received_on=received,
            due_on=received + timedelta(days=14), closed_at=closed,
        ))  # fmt: skip
    template.delete()
    Case.objects.bulk_create(rows)


def _published_csv(client, dataset) -> str:
    resource = dataset.resources.filter(derived_from__isnull=True, current_version__isnull=False).get()
    response = client.get(f"/opendata/dataset/{dataset.name}/resource/{resource.pk}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.mark.django_db
def test_the_command_publishes_and_updates_the_monthly_dataset(client, ict_people, citizen_erin):
    from django.core.management import call_command

    from madoguchi.cases.models import Case
    from madoguchi.opendata import services
    from madoguchi.opendata.models import Dataset, DatasetChange

    maker, approver = ict_people
    october = [
        ("risai_shomei", "online", date(2026, 10, d % 28 + 1), d % 9 + 1, "completed") for d in range(14)
    ]
    october += [("risai_shomei", "counter", date(2026, 10, 3), 4, "completed")] * 3  # 3: hidden
    october += [("jidoteate_nintei_seikyu", "online", date(2026, 10, 5), None, "received")] * 12
    october += [("jidoteate_nintei_seikyu", "paper", date(2026, 10, 6), 2, "withdrawn")] * 2  # 2: hidden
    october += [("risai_shomei", "online", date(2026, 9, 30), 20, "completed")]  # received in September
    _cases(citizen_erin, october)

    call_command("publish_opendata_statistics", "--month", "2026-10", "--by", maker.email)
    dataset = Dataset.objects.get(name=stats.STATS_DATASET_NAME)
    assert dataset.department.code == "ict" and dataset.title == "オンライン申請の受付件数（月別）"
    change = dataset.changes.get()
    assert change.status == DatasetChange.Status.PENDING and change.submitted_by == maker
    assert client.get(f"/opendata/dataset/{dataset.name}/").status_code == 404  # waits for the 決裁者
    services.change_approve(by=approver, dataset=dataset)
    dataset.refresh_from_db()

    rows = parse(_published_csv(client, dataset))
    grid = published_grid(rows, "2026-10")
    procedures = ["jidoteate_nintei_seikyu", "risai_shomei"]
    assert all(v is None or v == 0 or v >= 10 for v in grid.values())
    assert recoverable_by_subtraction(grid, procedures) == []
    assert determined_by_linear_algebra(grid, procedures) == []
    truth = {("risai_shomei", "online"): 14, ("risai_shomei", "counter"): 3, ("risai_shomei", "paper"): 0,
             ("jidoteate_nintei_seikyu", "online"): 12, ("jidoteate_nintei_seikyu", "counter"): 0,
             ("jidoteate_nintei_seikyu", "paper"): 2}  # fmt: skip
    for (p, c), n in list(truth.items()):
        truth[(p, ALL)] = truth.get((p, ALL), 0) + n
        truth[(ALL, c)] = truth.get((ALL, c), 0) + n
        truth[(ALL, ALL)] = truth.get((ALL, ALL), 0) + n
    assert set(grid) == set(truth)
    assert all(grid[k] in (None, n) for k, n in truth.items())  # what is shown is true
    assert all(grid[k] is None for k, n in truth.items() if 0 < n < 10)
    assert grid[("risai_shomei", ALL)] == 17 and grid[(ALL, ALL)] == 31  # secondary cells are elsewhere
    by_key = {(r["手続ID"], r["受付方法コード"]): r for r in rows}
    # 14 received online in October, all completed; plus the September one completed in October (20 days).
    online_days = sorted([d % 9 + 1 for d in range(14)] + [20])
    import statistics as st

    assert by_key[("risai_shomei", ALL)]["処理日数の中央値"] == stats._number(
        st.median([*online_days, 4, 4, 4])
    )
    assert by_key[("risai_shomei", "online")]["手続名"] == "罹災証明書の発行申請"
    assert by_key[("jidoteate_nintei_seikyu", "online")]["処理日数の中央値"] == ""  # none completed

    # November: a few more cases; October's old cases are purged meanwhile — October stays as published.
    Case.objects.filter(received_on__month=10, channel="online", procedure__slug="risai_shomei").delete()
    _cases(citizen_erin, [("risai_shomei", "paper", date(2026, 11, 2), 1, "completed")] * 11)
    call_command("publish_opendata_statistics", "--by", maker.email, "--month", "2026-11")
    assert dataset.changes.filter(status=DatasetChange.Status.PENDING).count() == 1
    call_command("publish_opendata_statistics", "--month", "2026-11")  # an open change: nothing more
    assert dataset.changes.count() == 2
    services.change_approve(by=approver, dataset=dataset)
    rows = parse(_published_csv(client, dataset))
    assert {r["年月"] for r in rows} == {"2026-10", "2026-11"}
    assert published_grid(rows, "2026-10") == grid
    assert published_grid(rows, "2026-11")[("risai_shomei", "paper")] == 11

    # Running again with the same figures submits nothing.
    out = io.StringIO()
    call_command("publish_opendata_statistics", "--month", "2026-11", stdout=out)
    assert "no change" in out.getvalue()
    assert dataset.changes.count() == 2

    # Harvesters see it through the API like any dataset.
    response = client.get("/api/3/action/package_show", {"id": stats.STATS_DATASET_NAME})
    result = response.json()["result"]
    assert result["organization"]["name"] == "ict" and result["num_resources"] >= 1


@pytest.mark.django_db
def test_the_monthly_run_is_queued_once_on_the_database_queue(settings, city):
    from django_tasks_db.models import DBTaskResult

    from madoguchi.opendata.stats_tasks import publish_statistics_monthly, schedule_statistics

    assert schedule_statistics() is False  # the tests' immediate backend cannot wait
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    assert schedule_statistics() is True
    assert schedule_statistics() is False  # already waiting
    waiting = DBTaskResult.objects.get(task_path=publish_statistics_monthly.module_path)
    assert waiting.run_after is not None and timezone_local(waiting.run_after).day == 1


def timezone_local(value):
    from django.utils import timezone

    return timezone.localtime(value)
