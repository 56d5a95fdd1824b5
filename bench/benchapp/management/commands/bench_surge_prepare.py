"""Prepare the surge benchmark (bench/surge/run.sh): citizens with sessions, complete 罹災証明 drafts with
photo attachments, staff sessions of 資産税課, cases already in its queue, and one request file per
action for the load generator (wrk + bench/surge/action.lua).

Line format of the request files: ``METHOD PATH SESSION CSRF BODY`` ("-" for none).

Speed matters (the 50,000 replay): users, sessions, drafts and most attachments are made in bulk,
since they are not what is measured. The first ``--uploads`` photos go through the normal upload
path (``file_store``: inspection, re-encoding, audit); the rest are byte-for-byte copies of those
stored files, each with its own stored name and row, as the upload path would have left them.
"""

from __future__ import annotations

import io
import secrets
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from madoguchi.accounts.models import User
from madoguchi.core.models import Session
from madoguchi.core.sessions import SessionStore
from madoguchi.forms.samples import sample_answers
from madoguchi.privacy.models import StoredFile
from madoguchi.procedures.models import Procedure
from madoguchi.submissions.models import Draft

SLUG = "risai_shomei"
PASSWORD = "surge-Bench-2026"
# Real 町字 of Ishinomaki, so that the triage view groups the applications by area.
TOWNS = ("穀町", "中央一丁目", "門脇町一丁目", "南浜町一丁目", "渡波町一丁目", "蛇田", "大街道南一丁目",
         "湊町一丁目", "鹿妻南一丁目", "不動町一丁目")  # fmt: skip
STAFF_EMAIL = "shisanzei1@demo.madoguchi.example"


def _jpeg(seed: int) -> bytes:
    """A small real photograph-like JPEG (a gradient with a seed-dependent colour)."""
    from PIL import Image

    image = Image.new("RGB", (320, 240))
    pixels = image.load()
    for x in range(320):
        for y in range(240):
            pixels[x, y] = ((x + seed * 37) % 256, (y + seed * 11) % 256, (x + y) % 256)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _session(user, *, otp_device=None) -> Session:
    store = SessionStore()
    data = {
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: "madoguchi.accounts.backends.EmailBackend",
        HASH_SESSION_KEY: user.get_session_auth_hash(),
    }
    if otp_device is not None:
        from madoguchi.core.access import SECOND_FACTOR_SESSION_KEY

        data["otp_device_id"] = otp_device.persistent_id
        data[SECOND_FACTOR_SESSION_KEY] = time.time()
    key = get_random_string(32, VALID_KEY_CHARS)  # as SessionStore makes them, without a query each
    return Session(
        session_key=key,
        session_data=store.encode(data),
        expire_date=timezone.now() + timedelta(days=1),
        user=user,
    )


class Command(BaseCommand):
    help = "Prepare the surge benchmark's data and request files."

    def add_arguments(self, parser):
        parser.add_argument("--drafts", type=int, default=20000)
        parser.add_argument("--citizens", type=int, default=2000)
        parser.add_argument("--photos", type=int, default=2, help="photos per draft")
        parser.add_argument("--uploads", type=int, default=100, help="photos stored through file_store")
        parser.add_argument("--cases", type=int, default=150, help="submissions made beforehand (the queue)")
        parser.add_argument("--staff-sessions", type=int, default=20)
        parser.add_argument("--out-dir", type=Path, required=True)
        parser.add_argument("--drafts-only", action="store_true",
                            help="only add drafts and their citizens (the replay, the profile)")  # fmt: skip
        parser.add_argument("--name", default="", help="the drafts' file in --out-dir (default drafts.txt)")

    def handle(self, *args, drafts, citizens, photos, uploads, cases, staff_sessions, out_dir, drafts_only,
               name, **options):  # fmt: skip
        out_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if not drafts_only:
            call_command("load_demo", "--quiet-logins", verbosity=0)
            call_command("load_procedures", verbosity=0)
            call_command("load_life_events", verbosity=0)
        procedure = Procedure.objects.select_related("department").get(slug=SLUG)
        version = procedure.current_version
        csrf = secrets.token_hex(16)  # a 32-character CSRF secret, sent as cookie and as form field
        people = self._citizens(citizens, drafts_only)
        sessions = {user.pk: key for user, key in people}
        self.stdout.write(f"  citizens and sessions: {time.perf_counter() - started:.0f} s")
        rows = self._drafts(version, procedure, people, drafts, photos, uploads)
        self.stdout.write(f"  drafts with photos: {time.perf_counter() - started:.0f} s")
        name = name or "drafts.txt"
        with (out_dir / name).open("w") as handle:
            for draft in rows:
                body = urlencode({"token": str(draft.submission_token)})
                handle.write(f"POST /apply/{draft.pk}/check/ {sessions[draft.user_id]} {csrf} {body}\n")
        if drafts_only:
            self.stdout.write(f"{drafts} drafts in {time.perf_counter() - started:.0f} s -> {out_dir / name}")
            return
        submission_ids = self._queue(version, procedure, people, cases, photos, uploads)
        self._read_lines(out_dir)
        self._mypage_lines(out_dir, people, submission_ids, csrf)
        self._staff_lines(out_dir, staff_sessions)
        self.stdout.write(f"{drafts} drafts, {citizens} citizens, {cases} cases in "
                          f"{time.perf_counter() - started:.0f} s -> {out_dir}")  # fmt: skip

    # --- people -----------------------------------------------------------------------------------

    def _citizens(self, count: int, only_new: bool):
        """Citizens with one session each (made in bulk: one password hash shared by all)."""
        prefix = f"surge-{secrets.token_hex(3)}" if only_new else "surge"
        template = User(email="x@bench.example")
        template.set_password(PASSWORD)
        now = timezone.now()
        users = [User(email=f"{prefix}{i}@bench.example", kind=User.Kind.CITIZEN, email_verified_at=now,
                      password=template.password, display_name=f"被災者{i}") for i in range(count)]  # fmt: skip
        User.objects.bulk_create(users, batch_size=1000, ignore_conflicts=not only_new)
        users = list(User.objects.filter(email__in=[u.email for u in users]).order_by("email"))
        session_rows = [_session(user) for user in users]
        Session.objects.bulk_create(session_rows, batch_size=1000)
        return [(user, row.session_key) for user, row in zip(users, session_rows, strict=True)]

    # --- drafts with photos -------------------------------------------------------------------

    def _answers(self, definition: dict, i: int) -> dict:
        answers = sample_answers(definition)
        town = TOWNS[i % len(TOWNS)]
        for key in ("applicant_address", "contact_address", "damaged_address"):
            if key in answers:
                answers[key] = f"宮城県石巻市{town}{i % 20 + 1}番{i % 7 + 1}号"
        # The applicant's own estimate of the damage (if the form asks it): spread over the choices.
        for page in definition["form"]["pages"]:
            for f in page["fields"]:
                if (
                    f["type"] == "choice"
                    and ("damage" in f["id"] or "estimate" in f["id"])
                    and f["id"] in answers
                ):
                    answers[f["id"]] = f["choices"][(i // len(TOWNS)) % len(f["choices"])]["value"]
        return answers

    def _drafts(self, version, procedure, people, count: int, photos: int, uploads: int) -> list[Draft]:
        definition = version.definition
        photo_field = next(
            (f["id"] for p in definition["form"]["pages"] for f in p["fields"]
             if f["type"] == "file" and "photo" in f["id"]), None,
        )  # fmt: skip
        variants = [self._answers(definition, i) for i in range(len(TOWNS) * 8)]
        files = self._photos(procedure, people, count * photos if photo_field else 0, uploads)
        expires = timezone.now() + timedelta(days=1)
        rows = []
        for i in range(count):
            user, _key = people[i % len(people)]
            data = dict(variants[i % len(variants)])
            if photo_field:
                data[photo_field] = [
                    {"id": str(f.pk), "name": f.display_name} for f in files[i * photos : (i + 1) * photos]
                ]
            rows.append(Draft(version=version, user=user, data=data, expires_at=expires))
        for start in range(0, len(rows), 2000):
            with transaction.atomic():
                Draft.objects.bulk_create(rows[start : start + 2000])
        return rows

    def _photos(self, procedure, people, count: int, uploads: int) -> list[StoredFile]:
        """``count`` stored photos: the first ``uploads`` through the upload path, the rest copies."""
        from madoguchi.privacy.services import file_store
        from madoguchi.privacy.uploads import file_storage

        department = procedure.department
        made: list[StoredFile] = []
        for i in range(min(uploads, count)):
            user = people[i % len(people)][0]
            upload = SimpleUploadedFile(f"被害の写真{i % 4 + 1}.jpg", _jpeg(i), content_type="image/jpeg")
            made.append(file_store(uploaded=upload, uploaded_by=user, department=department))
        if not made and count:
            upload = SimpleUploadedFile("被害の写真.jpg", _jpeg(0), content_type="image/jpeg")
            made.append(file_store(uploaded=upload, uploaded_by=people[0][0], department=department))
        storage = file_storage()
        originals = []
        for stored in made[:50]:
            with storage.open(stored.storage_name, "rb") as handle:
                originals.append((stored, handle.read()))
        copies = []
        retain = timezone.now() + timedelta(days=1)
        for i in range(len(made), count):
            source, content = originals[i % len(originals)]
            file_id = uuid.uuid4()
            name = storage.save(f"files/{file_id.hex[:2]}/{file_id.hex}.jpg", ContentFile(content))
            copies.append(StoredFile(id=file_id, storage_name=name, display_name=source.display_name,
                                     content_type=source.content_type, size=source.size, sha256=source.sha256,
                                     status=source.status, department=department,
                                     uploaded_by=people[i % len(people)][0], retain_until=retain))  # fmt: skip
        StoredFile.objects.bulk_create(copies, batch_size=2000)
        return (made + copies)[:count]

    # --- queue, pages, staff ------------------------------------------------------------------

    def _queue(self, version, procedure, people, count: int, photos: int, uploads: int) -> list[str]:
        """Submissions made beforehand through the service: cases in 資産税課's queue, entries on My page."""
        from madoguchi.submissions.services import submission_create

        drafts = self._drafts(version, procedure, people, count, photos, 0)
        made = []
        for draft in drafts:
            made.append(str(submission_create(draft_id=draft.pk, idempotency_key=draft.submission_token,
                                              user=draft.user, learn_profile=False).pk))  # fmt: skip
        return made

    def _read_lines(self, out_dir: Path) -> None:
        paths = ["/", "/procedures/", f"/procedures/{SLUG}/", "/life/", "/life/disaster/"]
        with (out_dir / "read.txt").open("w") as handle:
            for path in paths:
                handle.write(f"GET {path} - - -\n")

    def _mypage_lines(self, out_dir: Path, people, submission_ids: list[str], csrf: str) -> None:
        from madoguchi.submissions.models import Submission

        owners = dict(Submission.objects.filter(pk__in=submission_ids).values_list("pk", "user_id"))
        sessions = {user.pk: key for user, key in people}
        with (out_dir / "mypage.txt").open("w") as handle:
            for submission_id, user_id in list(owners.items())[:500]:
                session = sessions[user_id]
                handle.write(f"GET /account/ {session} - -\n")
                handle.write(f"GET /applications/ {session} - -\n")
                handle.write(f"GET /applications/{submission_id}/ {session} - -\n")
        with (out_dir / "login.txt").open("w") as handle:
            for user, _key in people[:500]:
                body = urlencode({"username": user.email, "password": PASSWORD})
                handle.write(f"POST /account/login/ - {csrf} {body}\n")

    def _staff_lines(self, out_dir: Path, count: int) -> None:
        from django.urls import NoReverseMatch, reverse
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from madoguchi.cases.models import Case

        staff = User.objects.get(email=STAFF_EMAIL)
        device = TOTPDevice.objects.filter(user=staff, confirmed=True).first() or TOTPDevice.objects.create(
            user=staff, name="surge", confirmed=True
        )
        rows = [_session(staff, otp_device=device) for _ in range(count)]
        Session.objects.bulk_create(rows)
        case_ids = list(Case.objects.filter(department__code="shisanzei").values_list("pk", flat=True)[:300])
        try:
            triage = reverse("disaster:triage")
        except NoReverseMatch:
            triage = None
        with (out_dir / "staff.txt").open("w") as handle:
            for i, case_id in enumerate(case_ids):
                session = rows[i % count].session_key
                handle.write(f"GET /staff/cases/ {session} - -\n")
                handle.write(f"GET /staff/cases/{case_id}/ {session} - -\n")
                if triage:
                    handle.write(f"GET {triage} {session} - -\n")
        (out_dir / "triage.txt").write_text(triage or "")
