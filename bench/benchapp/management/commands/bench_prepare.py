"""Prepare the submit benchmark: the city, the procedures, citizens with sessions, and drafts that
are complete and ready to submit. Writes one line per draft for the load generator."""

import secrets
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.core.sessions import SessionStore
from madoguchi.forms.samples import sample_answers
from madoguchi.procedures.models import Procedure
from madoguchi.submissions.models import Draft


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--drafts", type=int, default=5000)
        parser.add_argument("--citizens", type=int, default=50)
        parser.add_argument("--slug", default="risai_shomei")
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args, drafts, citizens, slug, out, **options):
        call_command("load_demo", "--quiet-logins", verbosity=0)
        call_command("load_procedures", verbosity=0)
        procedure = Procedure.objects.get(slug=slug)
        answers = sample_answers(procedure.current_version.definition)
        people = []
        for i in range(citizens):
            user, _ = User.objects.get_or_create(email=f"bench{i}@bench.example", defaults={
                "kind": User.Kind.CITIZEN, "email_verified_at": timezone.now()})  # fmt: skip
            user.set_password(secrets.token_urlsafe(16))
            user.save()
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "madoguchi.accounts.backends.EmailBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.set_expiry(24 * 3600)
            session.save()
            people.append((user, session.session_key))
        expires = timezone.now() + timedelta(days=1)
        rows = []
        for i in range(drafts):
            user, _session = people[i % citizens]
            rows.append(Draft(version=procedure.current_version, user=user, data=answers, expires_at=expires))
        Draft.objects.bulk_create(rows, batch_size=500)
        csrf = secrets.token_hex(16)  # a 32-character CSRF secret, sent as cookie and as form field
        sessions = {user.pk: key for user, key in people}
        with out.open("w") as handle:
            for draft in rows:
                handle.write(
                    f"/apply/{draft.pk}/check/ {draft.submission_token} {sessions[draft.user_id]} {csrf}\n"
                )
        self.stdout.write(f"{drafts} drafts ready for {citizens} citizens -> {out}")
