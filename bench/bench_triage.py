"""The disaster triage table over 50,000 (and more) open 罹災証明 cases on PostgreSQL.

Makes a fresh database (madoguchi_bench_triage), loads the city and its procedures, files one 罹災証明
through the real submit path (so one case has its triage row from the case-opening hook), then inserts
cases and their triage rows in bulk up to each size (towns from the city's list, estimates spread over
the seven choices, 10% closed). It times ``triage_summary`` (one GROUP BY) and the real view
``/staff/disaster/triage/`` in-process for a 資産税課 担当者: 30 runs each after 3 warm-ups, p50/p99.
Run: ``.venv/bin/python bench/bench_triage.py`` (sizes: BENCH_SIZES=50000,200000).
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
DB_NAME = "madoguchi_bench_triage"
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "50000,200000").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))

SEED_SQL = """
WITH made AS (
  INSERT INTO cases_case (id, submission_id, procedure_id, department_id, workflow, status, assignee_id,
      receipt_number, applicant_name, applicant_kana, channel, received_on, due_on, paused_since, closed_at,
      created_at, updated_at)
  SELECT gen_random_uuid(), %(submission)s::uuid, %(procedure)s, %(department)s, 'standard',
         CASE WHEN i %% 10 = 0 THEN 'completed' ELSE 'received' END, NULL,
         'T' || lpad(i::text, 19, '0'), '石巻 花子', 'イシノマキ ハナコ', 'online', current_date, current_date + 30,
         NULL, CASE WHEN i %% 10 = 0 THEN now() ELSE NULL END, now(), now()
  FROM generate_series(%(start)s, %(stop)s) AS i
  RETURNING id, receipt_number
)
INSERT INTO disaster_triageentry (case_id, department_id, town, estimate, opened_at, open)
SELECT id, %(department)s,
       CASE WHEN substr(receipt_number, 2)::bigint %% 50 = 0 THEN ''
            ELSE (%(towns)s::text[])[1 + (substr(receipt_number, 2)::bigint %% %(n_towns)s)] END,
       (%(estimates)s::text[])[1 + (substr(receipt_number, 2)::bigint %% 7)],
       now(), substr(receipt_number, 2)::bigint %% 10 <> 0
FROM made
"""


def _ms(fn) -> tuple[float, float]:
    for _ in range(3):
        fn()
    times = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main() -> None:
    script = str(ROOT / "scripts" / "ensure-postgres.sh")
    subprocess.run(["bash", script], check=True, stdout=subprocess.DEVNULL)  # noqa: S603, S607 (our own script)
    for sql in (f"DROP DATABASE IF EXISTS {DB_NAME}", f"CREATE DATABASE {DB_NAME}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)  # noqa: S603, S607
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from madoguchi.accounts.models import StaffRole, User
    from madoguchi.accounts.services import staff_account_create
    from madoguchi.disaster.selectors import triage_summary
    from madoguchi.disaster.services import ESTIMATES
    from madoguchi.disaster.towns import known_towns
    from madoguchi.forms.samples import sample_answers
    from madoguchi.organisations.models import Department
    from madoguchi.procedures.models import Procedure
    from madoguchi.submissions import services

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("load_demo", "--quiet-logins", stdout=io.StringIO())
    call_command("load_procedures", stdout=io.StringIO())
    setup_test_environment()
    procedure = Procedure.objects.get(slug="risai_shomei")
    department = procedure.department
    citizen, _ = User.objects.get_or_create(email="bench-citizen@bench.example", defaults={"kind": "citizen"})
    draft = services.draft_start(procedure=procedure, user=citizen)
    services.draft_save(draft=draft, values=sample_answers(procedure.current_version.definition))
    submission = services.submission_create(
        draft_id=draft.pk, idempotency_key=draft.submission_token, user=citizen
    )
    handler = staff_account_create(email="bench-triage@bench.example", display_name="ベンチ 担当", password=None,
                                   roles=[(Department.objects.get(pk=department.pk), StaffRole.Role.HANDLER)])  # fmt: skip
    client = Client()
    client.force_login(handler)
    device = TOTPDevice.objects.create(user=handler, name="bench", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    towns = list(known_towns())
    made = 1
    lines = ["| open 罹災証明 cases (total) | triage_summary p50 / p99 (ms) | /staff/disaster/triage/ p50 / p99 (ms) |",
             "| ---: | ---: | ---: |"]  # fmt: skip
    for size in SIZES:
        with connection.cursor() as cursor:
            cursor.execute(SEED_SQL, {"submission": str(submission.pk), "procedure": procedure.pk,
                                      "department": department.pk, "start": made, "stop": size - 1, "towns": towns,
                                      "n_towns": len(towns), "estimates": list(ESTIMATES)})  # fmt: skip
            cursor.execute("ANALYZE cases_case; ANALYZE disaster_triageentry")
        made = size
        summary = triage_summary(department=department)
        assert client.get("/staff/disaster/triage/").status_code == 200
        selector = _ms(lambda: triage_summary(department=department))
        view = _ms(lambda: client.get("/staff/disaster/triage/?scope=all"))
        lines.append(f"| {size:,} ({summary.total:,} open) | {selector[0]:.1f} / {selector[1]:.1f} "
                     f"| {view[0]:.1f} / {view[1]:.1f} |")  # fmt: skip
        print(lines[-1], flush=True)
    out = ROOT / "bench" / "results" / "triage-latest.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
