"""The paper channel's writes: taking in a batch of scans, the page jobs (claimed with a lease, each
page's result written once), putting pages together into applications, and confirming them."""

from __future__ import annotations

import io
import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from madoguchi.forms.engine import prune
from madoguchi.forms.fieldtypes import TYPES, FieldInvalid
from madoguchi.privacy.audit import audit_record, audited_atomic
from madoguchi.privacy.models import AuditEvent, StoredFile
from madoguchi.privacy.services import file_store, file_store_generated
from madoguchi.privacy.uploads import UploadRejected, file_storage
from madoguchi.procedures.models import ProcedureVersion

from . import layout as L
from .models import PageJob, PaperApplication, ReadingOutcome, ScanBatch, ScanPage, ScanSource

logger = logging.getLogger(__name__)

SCANS_KEPT = timedelta(days=90)
MAX_PAGES_PER_BATCH = 500


def lease_seconds() -> int:
    return int(getattr(settings, "MADOGUCHI_PAPER_LEASE_SECONDS", 120))


def work_dpi() -> int:
    """The resolution pages are read and kept at (the layout's 300 dpi unless set lower)."""
    return int(getattr(settings, "MADOGUCHI_PAPER_DPI", L.DPI))


class BatchRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- intake ----------------------------------------------------------------------------------


class _Named(io.BytesIO):
    def __init__(self, content: bytes, name: str):
        super().__init__(content)
        self.name, self.size = name, len(content)


def _tiff_pages(content: bytes) -> list[bytes]:
    """A TIFF (the privacy core takes PDF, JPEG and PNG) becomes one PNG per frame, each then
    checked by the privacy core like any upload."""
    Image.MAX_IMAGE_PIXELS = settings.MADOGUCHI_UPLOAD_MAX_PIXELS
    pages = []
    with Image.open(io.BytesIO(content)) as image:
        if image.format != "TIFF":
            raise BatchRefused(_("PDF、TIFF、JPEG、PNG のファイルを選んでください。"))
        for index in range(min(getattr(image, "n_frames", 1), MAX_PAGES_PER_BATCH)):
            image.seek(index)
            out = io.BytesIO()
            image.convert("L").save(out, "PNG")
            pages.append(out.getvalue())
    return pages


@transaction.atomic
def batch_create(*, user, department, uploads: list) -> ScanBatch:
    """Store the scans through the privacy core, one job per page, and queue the work."""
    from .reading import page_count

    if not uploads:
        raise BatchRefused(_("スキャンしたファイルを選んでください。"))
    now = timezone.now()
    batch = ScanBatch.objects.create(department=department, uploaded_by=user, retain_until=now + SCANS_KEPT)
    files: list[tuple[Any, str]] = []
    for upload in uploads:
        upload.seek(0)
        head = upload.read(4)
        upload.seek(0)
        name = getattr(upload, "name", "scan")
        if head in (b"II*\x00", b"MM\x00*"):
            try:
                frames = _tiff_pages(upload.read())
            except (OSError, Image.DecompressionBombError) as exc:
                raise BatchRefused(_("TIFF ファイルを読めませんでした。")) from exc
            files.extend((_Named(frame, f"{name}-{i + 1}.png"), name) for i, frame in enumerate(frames))
        else:
            files.append((upload, name))
    number = 0
    for position, (upload, name) in enumerate(files, start=1):
        try:
            stored = file_store(uploaded=upload, department=department, uploaded_by=user,
                                retain_until=batch.retain_until, original_name=name)  # fmt: skip
        except UploadRejected as exc:
            raise BatchRefused(str(exc.args[0])) from exc
        content = file_storage().open(stored.storage_name, "rb").read()
        try:
            count = page_count(content, stored.content_type)
        except Exception as exc:
            raise BatchRefused(_("ファイルを読めませんでした。")) from exc
        source = ScanSource.objects.create(
            batch=batch, position=position, stored_file=stored, page_count=count
        )
        for index in range(count):
            number += 1
            if number > MAX_PAGES_PER_BATCH:
                raise BatchRefused(
                    _("一度に取り込めるのは%(n)dページまでです。") % {"n": MAX_PAGES_PER_BATCH}
                )
            PageJob.objects.create(batch=batch, number=number, source=source, source_page=index)
    batch.page_count = number
    batch.save(update_fields=["page_count"])
    audit_record(action=AuditEvent.Action.CREATE, object_type="paper.scanbatch", object_id=batch.pk,
                 department_code=department.code, fields=["pages"], purpose="紙の申請書の取り込み",
                 actor=user)  # fmt: skip
    transaction.on_commit(lambda batch_id=str(batch.pk): _enqueue(batch_id))
    logger.info("paper batch %s: %d pages queued", batch.pk, number)
    return batch


def _enqueue(batch_id: str) -> None:
    from .tasks import paper_process_batch, paper_sweep

    paper_process_batch.enqueue(batch_id=batch_id)
    if paper_sweep.get_backend().supports_defer:
        paper_sweep.using(run_after=timezone.now() + timedelta(seconds=lease_seconds())).enqueue(
            batch_id=batch_id
        )


# --- page jobs -------------------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claimable(now) -> Q:
    return Q(status=PageJob.Status.QUEUED) | Q(status=PageJob.Status.RUNNING, locked_until__lt=now)


def job_claim(*, worker: str, batch_id=None) -> PageJob | None:
    """Take the next page nobody holds (queued, or whose holder's lease ran out): a conditional
    UPDATE, so two workers never hold one job at once."""
    for _attempt in range(20):
        now = timezone.now()
        candidates = PageJob.objects.filter(_claimable(now))
        if batch_id is not None:
            candidates = candidates.filter(batch_id=batch_id)
        job_id = candidates.order_by("batch_id", "number").values_list("pk", flat=True).first()
        if job_id is None:
            return None
        taken = PageJob.objects.filter(_claimable(now), pk=job_id).update(
            status=PageJob.Status.RUNNING, locked_by=worker,
            locked_until=now + timedelta(seconds=lease_seconds()), attempts=F("attempts") + 1,
        )  # fmt: skip
        if taken:
            return PageJob.objects.select_related("batch__department", "source__stored_file").get(pk=job_id)
    return None


def _definition_for(page_id):
    version = (
        ProcedureVersion.objects.filter(procedure__slug=page_id.slug, number=page_id.version)
        .select_related("procedure__department")
        .first()
    )
    return version


def job_process(*, job: PageJob, worker: str) -> ScanPage | None:
    """Read one page and write its result, exactly once: the result and the job's end commit
    together, only while this worker still holds the job; a page already written is left alone."""
    from .reading import load_page, read_page

    stored: StoredFile = job.source.stored_file
    content = file_storage().open(stored.storage_name, "rb").read()
    image = load_page(content, stored.content_type, job.source_page, dpi=work_dpi())
    versions: dict = {}

    def definition_for(page_id):
        version = _definition_for(page_id)
        versions["version"] = version
        if version is None or version.procedure.department_id != job.batch.department_id:
            return None
        return version.definition

    reading = read_page(image, definition_for, dpi=work_dpi())
    out = io.BytesIO()
    reading.image.convert("L").save(out, "PNG", optimize=False, compress_level=1)
    version = versions.get("version") if reading.page_id else None
    try:
        with transaction.atomic():
            held = PageJob.objects.select_for_update().filter(
                pk=job.pk, status=PageJob.Status.RUNNING, locked_by=worker
            ).first()  # fmt: skip
            if held is None or ScanPage.objects.filter(job_id=job.pk).exists():
                return None
            image_file = file_store_generated(
                content=out.getvalue(), display_name=f"page-{job.number}.png", content_type="image/png",
                department=job.batch.department, retain_until=job.batch.retain_until,
            )  # fmt: skip
            page = ScanPage.objects.create(
                job=job, batch=job.batch, number=job.number, image=image_file,
                state=ScanPage.State.IDENTIFIED if reading.page_id else ScanPage.State.UNIDENTIFIED,
                registered=reading.registered is not None, version=version,
                page_number=reading.page_id.page if reading.page_id else None,
                page_count=reading.page_id.pages if reading.page_id else None,
                form_id=reading.page_id.form_id if reading.page_id else "",
                readings=reading.readings, processed_by=worker, retain_until=job.batch.retain_until,
            )  # fmt: skip
            PageJob.objects.filter(pk=job.pk).update(
                status=PageJob.Status.DONE, done_at=timezone.now(), locked_until=None, last_error=""
            )
    except IntegrityError:
        return None
    return page


def job_fail(*, job: PageJob, worker: str, error: str) -> None:
    """A page that raised: tried again on the next lease; after three attempts it goes to the
    unidentified pile with no reading (never dropped)."""
    if job.attempts < 3:
        PageJob.objects.filter(pk=job.pk, locked_by=worker).update(
            status=PageJob.Status.QUEUED, locked_until=None, last_error=error[:200]
        )
        return
    with transaction.atomic():
        held = PageJob.objects.select_for_update().filter(pk=job.pk, locked_by=worker,
                                                          status=PageJob.Status.RUNNING).first()  # fmt: skip
        if held is None or ScanPage.objects.filter(job_id=job.pk).exists():
            return
        ScanPage.objects.create(job=job, batch=job.batch, number=job.number, state=ScanPage.State.UNIDENTIFIED,
                                processed_by=worker, retain_until=job.batch.retain_until)  # fmt: skip
        PageJob.objects.filter(pk=job.pk).update(status=PageJob.Status.FAILED, done_at=timezone.now(),
                                                 locked_until=None, last_error=error[:200])  # fmt: skip


def jobs_run(*, batch_id=None, worker: str | None = None, limit: int | None = None) -> int:
    """Claim and process pages until none is left to take; then put finished batches together."""
    worker = worker or worker_name()
    done = 0
    batches = set()
    while limit is None or done < limit:
        job = job_claim(worker=worker, batch_id=batch_id)
        if job is None:
            break
        batches.add(job.batch_id)
        try:
            job_process(job=job, worker=worker)
        except Exception as exc:  # a damaged page must not stop the batch
            logger.exception("paper page job %s failed", job.pk)
            job_fail(job=job, worker=worker, error=type(exc).__name__)
        done += 1
    for batch in batches or ([batch_id] if batch_id else []):
        batch_assemble(batch_id=batch)
    return done


def batch_unfinished(*, batch_id) -> int:
    return PageJob.objects.filter(batch_id=batch_id).exclude(
        status__in=[PageJob.Status.DONE, PageJob.Status.FAILED]
    ).count()  # fmt: skip


# --- putting pages together ------------------------------------------------------------------


def batch_assemble(*, batch_id) -> bool:
    """Once every page is read: the pages of each filled form become one application (pre-filled
    forms by their form id; blank forms by pages 1..n following each other in the batch). Pages
    that do not fit go to the unidentified pile. Runs once per batch."""
    if batch_unfinished(batch_id=batch_id):
        return False
    with transaction.atomic():
        batch = ScanBatch.objects.select_for_update().filter(pk=batch_id, assembled_at__isnull=True).first()
        if batch is None:
            return False
        pages = list(ScanPage.objects.filter(batch=batch, state=ScanPage.State.IDENTIFIED).order_by("number"))
        groups: list[list[ScanPage]] = []
        by_form: dict[tuple, list[ScanPage]] = {}
        open_group: list[ScanPage] | None = None
        for page in pages:
            if page.form_id:
                key = (page.version_id, page.form_id)
                if key not in by_form:
                    by_form[key] = []
                    groups.append(by_form[key])
                by_form[key].append(page)
                continue
            if (open_group and open_group[-1].version_id == page.version_id and not open_group[-1].form_id
                    and page.page_number == open_group[-1].page_number + 1):  # fmt: skip
                open_group.append(page)
            else:
                open_group = [page]
                groups.append(open_group)
        position = 0
        for group in groups:
            numbers = sorted(p.page_number for p in group)
            if numbers != list(range(1, group[0].page_count + 1)):
                ScanPage.objects.filter(pk__in=[p.pk for p in group]).update(
                    state=ScanPage.State.UNIDENTIFIED
                )
                continue
            position += 1
            application = PaperApplication.objects.create(
                batch=batch, position=position, version_id=group[0].version_id, form_id=group[0].form_id,
                retain_until=batch.retain_until,
            )  # fmt: skip
            ScanPage.objects.filter(pk__in=[p.pk for p in group]).update(application=application)
        batch.assembled_at = timezone.now()
        batch.save(update_fields=["assembled_at"])
    logger.info("paper batch %s assembled: %d applications", batch_id, position)
    return True


def page_assign(
    *, user, page: ScanPage, application: PaperApplication | None = None, discard: bool = False
) -> None:
    """Staff decide about an unidentified page: discard it (kept until the batch's retention ends)
    or note which application it belongs to (as a loose page)."""
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="paper.scanpage", object_id=page.pk,
                        department_code=page.batch.department.code, fields=["state"],
                        purpose="未識別ページの処理", actor=user) as audit:  # fmt: skip
        if discard:
            page.state = ScanPage.State.DISCARDED
            page.save(update_fields=["state"])
        elif application is not None:
            page.application = application
            page.save(update_fields=["application"])
        audit.success()


# --- confirming ------------------------------------------------------------------------------


def application_fields(application: PaperApplication) -> list[dict]:
    """Each printed field of the application with what was read: the parts' texts, the exact value
    from a data QR code where there was one, the box images, and why staff should look at it."""
    definition = application.version.definition
    layouts = L.page_layouts(definition)
    pages = {p.page_number: p for p in application.pages.all()}
    rows = []
    for page_layout in layouts:
        scan = pages.get(page_layout.number)
        readings = scan.readings if scan else {}
        for fl in page_layout.fields:
            if fl.field["type"] == "file" or not fl.parts:
                continue
            parts = []
            for part in fl.parts:
                r = readings.get(part.key, {})
                parts.append({"part": part, "text": r.get("text", ""), "engine": r.get("engine", "none"),
                              "score": r.get("score", 0.0), "disagree": bool(r.get("disagree")),
                              "alternatives": r.get("alternatives", []), "qr": bool(r.get("qr")),
                              "page": scan})  # fmt: skip
            exact = readings.get(f"={fl.key}")
            rows.append({"layout": fl, "parts": parts, "exact": exact["value"] if exact else None})
    return rows


def _clean(fl: L.FieldLayout, texts: dict[str, str]) -> tuple[Any, str]:
    kind = TYPES[fl.field["type"]]
    raw = L.raw_from_parts(fl, texts)
    if kind.is_empty(raw) or (fl.field["type"] == "consent" and raw is False):
        return None, ""
    try:
        return kind.clean(fl.field, raw), ""
    except FieldInvalid as exc:
        return None, exc.message


def application_check(application: PaperApplication, texts: dict[str, str] | None = None) -> list[dict]:
    """The rows for the verification screen, flagged first: a value its field type refuses, a
    required answer missing, engines that disagree or read with low confidence, names."""
    rows = application_fields(application)
    for row in rows:
        fl = row["layout"]
        current = {p["part"].key: (texts or {}).get(p["part"].key, p["text"]) for p in row["parts"]}
        value, error = _clean(fl, current)
        unchanged = texts is None or all(
            current[k] == p["text"] for k, p in zip(current, row["parts"], strict=True)
        )
        if row["exact"] is not None and unchanged:
            value = row["exact"]
        row.update(value=value, error=error, texts=current)
        reasons = []
        if error:
            reasons.append("invalid")
        if any(p["disagree"] for p in row["parts"]):
            reasons.append("disagree")
        if any(p["score"] < 0.8 and p["part"].kind != "tick" for p in row["parts"] if current[p["part"].key]):
            reasons.append("unsure")
        if fl.field["type"] in ("name", "furigana"):
            reasons.append("name")
        row["reasons"] = reasons
        row["flagged"] = bool(reasons)
    _required(application, rows)
    rows.sort(key=lambda r: (not r["flagged"], not r["error"]))
    return rows


def _required(application: PaperApplication, rows: list[dict]) -> None:
    """A required answer left empty, where its question applies, is an error (as online)."""
    from madoguchi.forms.engine import condition_holds, required_message

    definition = application.version.definition
    data = _answers(application, rows)
    pages = {p["id"]: p for p in definition["form"]["pages"]}
    filled_items = {(r["layout"].page_id, r["layout"].index) for r in rows if r["value"] is not None}
    for row in rows:
        fl = row["layout"]
        if row["value"] is not None or row["error"] or not fl.field.get("required", True):
            continue
        page = pages[fl.page_id]
        if not condition_holds(page.get("show_if"), data) or not condition_holds(
            fl.field.get("show_if"), data
        ):
            continue
        if fl.index is not None and (fl.page_id, fl.index) not in filled_items:
            continue  # an unused repeat item (the minimum is checked when filing)
        row["error"] = required_message(fl.field)
        row["reasons"] = ["invalid", *row["reasons"]]
        row["flagged"] = True


def _answers(application: PaperApplication, rows: list[dict]) -> dict:
    data: dict[str, Any] = {}
    for row in rows:
        fl, value = row["layout"], row["value"]
        if value is None:
            continue
        if fl.index is None:
            data[fl.field["id"]] = value
        else:
            items = data.setdefault(fl.page_id, [])
            while len(items) <= fl.index:
                items.append({})
            items[fl.index][fl.field["id"]] = value
    for page in application.version.definition["form"]["pages"]:
        if page.get("repeat") and page["id"] in data:
            data[page["id"]] = [item for item in data[page["id"]] if item]
    return prune(application.version.definition, data)


class ConfirmRefused(Exception):
    def __init__(self, message: str, rows=None):
        super().__init__(message)
        self.message, self.rows = message, rows


def application_confirm(*, user, application: PaperApplication, texts: dict[str, str]):
    """File a checked paper application: a draft with the confirmed answers, then ``submission_create``
    with channel ``paper`` and ``entered_by`` (as the counter does), linked to its scans, which take
    the procedure's retention. Records, per part, the engine and field type and whether staff
    corrected what was read. Idempotent: a second confirmation returns the same submission."""
    from madoguchi.submissions.models import Draft
    from madoguchi.submissions.services import SubmissionInvalid, submission_create

    if application.submission_id:
        return application.submission
    rows = application_check(application, texts)
    errors = [r for r in rows if r["error"]]
    if errors:
        raise ConfirmRefused(_("直す必要のある項目があります。"), rows)
    data = _answers(application, rows)
    version = application.version
    token = uuid.uuid5(uuid.NAMESPACE_URL, f"madoguchi-paper:{application.pk}")
    with transaction.atomic():
        locked = PaperApplication.objects.select_for_update().get(pk=application.pk)
        if locked.submission_id:
            return locked.submission
        draft = Draft.objects.create(version=version, user=None, data=data, submission_token=token,
                                     expires_at=timezone.now() + timedelta(hours=1))  # fmt: skip
        try:
            submission = submission_create(draft_id=draft.pk, idempotency_key=token, user=None, channel="paper",
                                           entered_by=user, learn_profile=False)  # fmt: skip
        except SubmissionInvalid as exc:
            raise ConfirmRefused(_("申請の内容に不足があります：%(errors)s") % {"errors": "、".join(exc.errors[:3])},
                                 rows) from exc  # fmt: skip
        locked.submission = submission
        locked.state = PaperApplication.State.FILED
        locked.confirmed_by = user
        locked.confirmed_at = timezone.now()
        locked.retain_until = submission.retain_until
        locked.save(update_fields=["submission", "state", "confirmed_by", "confirmed_at", "retain_until"])
        pages = ScanPage.objects.filter(application=locked)
        pages.update(retain_until=submission.retain_until)
        StoredFile.objects.filter(pk__in=pages.values("image_id")).update(
            retain_until=submission.retain_until, department=submission.department
        )
        batch = locked.batch
        if batch.retain_until < submission.retain_until:
            ScanBatch.objects.filter(pk=batch.pk).update(retain_until=submission.retain_until)
            StoredFile.objects.filter(pk__in=batch.sources.values("stored_file_id")).update(
                retain_until=submission.retain_until
            )
        outcomes = []
        for row in rows:
            for p in row["parts"]:
                key = p["part"].key
                outcomes.append(ReadingOutcome(
                    application=locked, engine="qr" if p["qr"] else p["engine"],
                    field_type=row["layout"].field["type"], corrected=row["texts"][key] != p["text"],
                ))  # fmt: skip
        ReadingOutcome.objects.bulk_create(outcomes)
    logger.info("paper application %s filed as submission %s", application.pk, submission.pk)
    return submission


def application_discard(*, user, application: PaperApplication) -> None:
    with audited_atomic(action=AuditEvent.Action.CHANGE, object_type="paper.paperapplication",
                        object_id=application.pk, department_code=application.batch.department.code,
                        fields=["state"], purpose="紙の申請書の破棄", actor=user) as audit:  # fmt: skip
        PaperApplication.objects.filter(pk=application.pk, submission__isnull=True).update(
            state=PaperApplication.State.DISCARDED
        )
        audit.success()


def batch_requeue(*, batch: ScanBatch) -> None:
    """Queue the batch's unfinished pages again (jobs still leased are taken over when the lease ends)."""
    if batch_unfinished(batch_id=batch.pk) or batch.assembled_at is None:
        transaction.on_commit(lambda batch_id=str(batch.pk): _enqueue(batch_id))
