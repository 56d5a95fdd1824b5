"""Run by tests/faults/test_pg_restart.py in its own process, against a private PostgreSQL cluster
(DATABASE_URL), with ``PG_RESTART_COMMAND`` the command that restarts that cluster.

A citizen files a 罹災証明 through the real views (Django's test client); inside the submit's
transaction, right after the case is opened, the cluster is restarted. Then the citizen loads the
check page again and sends the same form again. Prints what happened as one JSON line."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from madoguchi.cases import services as case_services  # noqa: E402
from madoguchi.cases.models import Case  # noqa: E402
from madoguchi.organisations.services import municipality_load_from_file  # noqa: E402
from madoguchi.privacy.models import AuditEvent  # noqa: E402
from madoguchi.procedures.services import procedures_load_from_files  # noqa: E402
from madoguchi.submissions.models import Draft, Submission  # noqa: E402
from tests.conftest import CITY_FILE  # noqa: E402
from tests.factories import CitizenFactory  # noqa: E402
from tests.support.formfill import start, walk_to_check  # noqa: E402


def restart() -> None:
    # (the restarted server writes to its log file, so no pipe of ours stays open)
    command = shlex.split(os.environ["PG_RESTART_COMMAND"])
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def counts() -> dict:
    return {
        "submissions": Submission.objects.count(),
        "cases": Case.objects.count(),
        "submission_audit_rows": AuditEvent.objects.filter(
            object_type="submissions.submission", action="create"
        )
        .exclude(object_id="")
        .count(),
        "drafts": Draft.objects.count(),
    }


def main() -> None:
    municipality_load_from_file(path=CITY_FILE)
    procedures_load_from_files()
    citizen = CitizenFactory(email="restart@example.test", email_verified_at=django.utils.timezone.now())
    client = Client(raise_request_exception=False)
    client.force_login(citizen)
    from madoguchi.procedures.models import Procedure

    definition = Procedure.objects.get(slug="risai_shomei").current_version.definition
    check_url = walk_to_check(client, definition, start(client, "risai_shomei"))
    body = client.get(check_url).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    draft_before = Draft.objects.get()
    answers_before = draft_before.data

    real_cases_open = case_services.cases_open
    fired = []

    def cases_open_then_restart(**kwargs):
        result = real_cases_open(**kwargs)
        if not fired:
            fired.append(True)
            restart()  # inside the submit's transaction: the case row is written, nothing committed
        return result

    case_services.cases_open = cases_open_then_restart
    interrupted = client.post(check_url, {"token": token})
    case_services.cases_open = real_cases_open
    report = {"conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
              "conn_health_checks": settings.DATABASES["default"].get("CONN_HEALTH_CHECKS", False),
              "restart_fired": bool(fired), "interrupted_status": interrupted.status_code}  # fmt: skip
    # Django's test client, unlike a server, does not close the connection at the end of a request
    # (request_finished), where a connection that saw an error is dropped: do it as the server would.
    connection.close()
    after = counts()
    draft = Draft.objects.filter(pk=draft_before.pk).first()
    report.update(after_interrupt=after, draft_intact=bool(draft and draft.data == answers_before
                                                             and str(draft.submission_token) == token))  # fmt: skip
    again = client.get(check_url)
    report["next_request_status"] = again.status_code
    retry = client.post(check_url, {"token": token})
    report["retry_status"] = retry.status_code
    report["retry_location"] = retry.get("Location", "")
    resent = client.post(check_url, {"token": token})  # the citizen presses again: still one
    report["resent_status"] = resent.status_code
    report["after_retry"] = counts()

    print("SCENARIO " + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
    sys.exit(0)
