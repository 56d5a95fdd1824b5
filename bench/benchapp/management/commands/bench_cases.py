"""Seed cases on PostgreSQL up to each size and time the queue pages: the first page, a filtered page
and a search (p50/p99 over repeated requests, through the real view with a logged-in 担当者)."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment

from madoguchi.accounts.models import StaffRole, User
from madoguchi.accounts.services import staff_account_create
from madoguchi.cases.demo import FAMILY, FAMILY_KANA, GIVEN, GIVEN_KANA
from madoguchi.forms.samples import sample_answers
from madoguchi.organisations.models import Department
from madoguchi.procedures.models import Procedure
from madoguchi.submissions import services as submission_services

SEED_SQL = """
INSERT INTO cases_case (id, submission_id, procedure_id, department_id, workflow, status, assignee_id,
    receipt_number, applicant_name, applicant_kana, channel, received_on, due_on, paused_since, closed_at,
    created_at, updated_at)
SELECT gen_random_uuid(),
       (%(submissions)s::uuid[])[1 + (i %% %(n_submissions)s)],
       %(procedure)s::bigint,
       (%(departments)s::bigint[])[1 + (i %% %(n_departments)s)],
       'standard',
       CASE WHEN i %% 10 < 8 THEN 'completed' WHEN i %% 10 = 8 THEN 'reviewing' ELSE 'received' END,
       CASE WHEN i %% 3 = 0 THEN %(assignee)s::bigint ELSE NULL END::bigint,
       lpad((i %% 10000)::text, 4, '0') || '-' || lpad(((i / 10000) %% 10000)::text, 4, '0') || '-' ||
           substr(md5(i::text), 1, 4) || '-' || lpad((i %% 9973)::text, 4, '0') || '-' || lpad((i %% 99991)::text, 5, '0'),
       (%(family)s::text[])[1 + (i %% 12)] || ' ' || (%(given)s::text[])[1 + ((i / 12) %% 10)],
       (%(family_kana)s::text[])[1 + (i %% 12)] || ' ' || (%(given_kana)s::text[])[1 + ((i / 12) %% 10)],
       CASE WHEN i %% 5 = 0 THEN 'paper' WHEN i %% 7 = 0 THEN 'counter' ELSE 'online' END,
       current_date - (i %% 1500),
       current_date - (i %% 1500) + 20,
       NULL,
       CASE WHEN i %% 10 < 8 THEN now() - ((i %% 1500) || ' days')::interval ELSE NULL END,
       now(), now()
FROM generate_series(%(start)s, %(stop)s) AS i
"""


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10000,100000,1000000")
        parser.add_argument("--repeat", type=int, default=30)

    def handle(self, *args, sizes, repeat, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_cases runs on PostgreSQL (DATABASE_URL=postgres://...)")
        setup_test_environment()
        kaigo = Department.objects.get(code="kaigo-hoken")
        user = staff_account_create(email="bench-handler@bench.example", display_name="ベンチ 担当", password=None,
                                    roles=[(kaigo, StaffRole.Role.HANDLER)])  # fmt: skip
        procedure = Procedure.objects.get(slug="kaigo_nintei_shinki")
        citizen, _ = User.objects.get_or_create(
            email="bench-citizen@bench.example", defaults={"kind": "citizen"}
        )
        submissions = []
        for _i in range(20):
            draft = submission_services.draft_start(procedure=procedure, user=citizen)
            submission_services.draft_save(
                draft=draft, values=sample_answers(procedure.current_version.definition)
            )
            submissions.append(submission_services.submission_create(
                draft_id=draft.pk, idempotency_key=draft.submission_token, user=citizen, channel="counter").pk)  # fmt: skip
        departments = list(Department.objects.filter(code__in=[
            "kaigo-hoken", "kosodate-shien", "kodomo-hoiku", "shisanzei", "kenko-suishin", "shimin"]).values_list("pk", flat=True))  # fmt: skip
        client = Client()
        client.force_login(user)
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
        pages = {
            "first page": "/staff/cases/?department=kaigo-hoken",
            "filtered page": "/staff/cases/?department=kaigo-hoken&status=reviewing&procedure=kaigo_nintei_shinki&channel=online&sort=-received",
            "search (kana)": "/staff/cases/?department=kaigo-hoken&status=&q=おしか",
            "search (receipt)": "/staff/cases/?department=kaigo-hoken&status=&q=0042-0000",
        }
        done = 0
        lines = ["| cases | page | p50 (ms) | p99 (ms) |", "| ---: | --- | ---: | ---: |"]
        for size in [int(s) for s in sizes.split(",")]:
            with connection.cursor() as cursor:
                for start in range(done + 1, size + 1, 200_000):
                    stop = min(size, start + 199_999)
                    cursor.execute(SEED_SQL, {
                        "submissions": submissions, "n_submissions": len(submissions), "procedure": procedure.pk,
                        "departments": departments, "n_departments": len(departments), "assignee": user.pk,
                        "family": FAMILY, "given": GIVEN, "family_kana": FAMILY_KANA, "given_kana": GIVEN_KANA,
                        "start": start, "stop": stop,
                    })  # fmt: skip
                cursor.execute("ANALYZE cases_case")
            done = size
            for name, url in pages.items():
                assert client.get(url).status_code == 200
                timings = []
                for _i in range(repeat):
                    began = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - began) * 1000)
                    assert response.status_code == 200
                timings.sort()
                p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
                lines.append(f"| {size:,} | {name} | {statistics.median(timings):.1f} | {p99:.1f} |")
                self.stderr.write(lines[-1])
        self.stdout.write("\n".join(lines))
