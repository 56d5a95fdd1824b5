"""The audit trail: append-only, hash-chained, written for every create, change, read and
export of personal data (and every My Number reveal, erasure and rate-limit refusal).

Use ``audit_record`` inside the business transaction for what succeeded, so that the
row commits with the data; wrap the transaction in ``audited(...)`` so that a failure
still leaves a row after the rollback::

    with audited(action="change", object_type="accounts.user", object_id=user.pk) as audit:
        with transaction.atomic():
            ...
            audit.success()
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC

from django.db import connection, transaction
from django.utils import timezone

from madoguchi.core import context

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64
_PG_LOCK_KEY = 4202100  # pg_advisory_xact_lock key serialising writers of the chain

HASHED_FIELDS = (
    "seq", "occurred_at", "actor_id", "actor_kind", "actor_departments", "actor_roles", "action",
    "object_type", "object_id", "department_code", "fields", "purpose", "result", "detail", "client_ip",
    "prev_hash",
)  # fmt: skip


def _canonical(event: AuditEvent) -> bytes:
    values = {}
    for name in HASHED_FIELDS:
        value = getattr(event, name)
        if name == "occurred_at":
            value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        values[name] = value
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def chain_count() -> int:
    from django.conf import settings

    return max(1, int(getattr(settings, "MADOGUCHI_AUDIT_CHAINS", 8)))


def current_chain() -> int:
    """The chain this thread writes to: fixed per process and thread, spread over the chains."""
    import os
    import threading

    return (os.getpid() * 31 + threading.get_ident()) % chain_count() + 1


def _actor_snapshot(actor) -> dict:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_kind": "system" if actor is None else "anonymous"}
    if getattr(actor, "is_citizen", False):
        roles = []  # citizens hold no roles (one query less on every citizen's filing)
    else:
        roles = sorted(actor.staff_roles.select_related("department").values_list("department__code", "role"))
    return {
        "actor_id": actor.pk,
        "actor_kind": actor.kind,
        "actor_departments": ",".join(sorted({d for d, _r in roles})),
        "actor_roles": ",".join(f"{d}:{r}" for d, r in roles),
    }


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: object = "",
    department_code: str = "",
    fields: Iterable[str] = (),
    purpose: str = "",
    result: str = AuditEvent.Result.SUCCESS,
    detail: str = "",
    actor=None,
    client_ip: str | None = None,
    use_request_actor: bool = True,
) -> AuditEvent:
    """Append one row to the chain. The actor and address default to the current request's."""
    info = context.current()
    if actor is None and use_request_actor and info is not None:
        actor = info.user
    if client_ip is None and info is not None:
        client_ip = info.client_ip
    chain = current_chain()
    # No savepoint: inside a business transaction, a failed audit row fails the whole of it anyway.
    with transaction.atomic(savepoint=False):
        # The head row serialises the writers of its chain until the commit. Each thread writes to one
        # chain (so a transaction never holds two heads, and two transactions cannot deadlock on them);
        # with several chains, threads of a busy server rarely wait for each other. Only the first row
        # of a chain, which creates its head, needs the advisory lock.
        head = AuditHead.objects.select_for_update().filter(pk=chain).first()
        if head is None:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
            head, _ = AuditHead.objects.select_for_update().get_or_create(pk=chain)
        event = AuditEvent(
            chain=chain,
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            department_code=department_code or "",
            fields=sorted(set(fields)),
            purpose=purpose[:500],
            result=result,
            detail=detail[:200],
            client_ip=client_ip,
            prev_hash=head.hash,
            **_actor_snapshot(actor),
        )
        event.hash = compute_hash(event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass
class audited:
    """Record a success inside the transaction (``.success()``), or a failure after its rollback."""

    action: str
    object_type: str
    object_id: object = ""
    department_code: str = ""
    fields: Iterable[str] = ()
    purpose: str = ""
    actor: object = None
    _done: bool = field(default=False, init=False)

    def __enter__(self) -> audited:
        return self

    def success(self, **overrides) -> AuditEvent:
        self._done = True
        return audit_record(**{**self._event(), **overrides})

    def _event(self) -> dict:
        return {
            "action": self.action, "object_type": self.object_type, "object_id": self.object_id,
            "department_code": self.department_code, "fields": self.fields, "purpose": self.purpose,
            "actor": self.actor,
        }  # fmt: skip

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            # The business transaction has rolled back; this row stands on its own.
            audit_record(**self._event(), result=AuditEvent.Result.FAILURE, detail=exc_type.__name__)
        elif not self._done:
            audit_record(**self._event())
        return False


@contextmanager
def audited_atomic(**event) -> Iterator[audited]:
    """``audited`` around ``transaction.atomic``: call ``.success()`` inside; a failure is recorded after rollback."""
    with audited(**event) as audit, transaction.atomic():
        yield audit


@dataclass
class VerifyResult:
    checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify(*, chunk_size: int = 2000) -> VerifyResult:
    """Walk each chain in order and report every row changed, inserted or deleted (and its chain)."""
    problems: list[str] = []
    checked = 0
    chains = set(AuditEvent.objects.values_list("chain", flat=True).distinct()) | set(
        AuditHead.objects.values_list("pk", flat=True)
    )
    for chain in sorted(chains):
        where = f"chain {chain} " if len(chains) > 1 else ""
        expected_seq, prev_hash = 1, GENESIS
        for event in AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=chunk_size):
            checked += 1
            if event.seq != expected_seq:
                problems.append(
                    f"{where}row seq={expected_seq}..{event.seq - 1} missing (deleted) before row id={event.pk}"
                )
            if event.prev_hash != prev_hash:
                problems.append(
                    f"{where}row seq={event.seq} id={event.pk}: does not follow the previous row (inserted or reordered)"
                )
            if compute_hash(event) != event.hash:
                problems.append(
                    f"{where}row seq={event.seq} id={event.pk}: contents changed after it was written"
                )
            expected_seq, prev_hash = event.seq + 1, event.hash
        head = AuditHead.objects.filter(pk=chain).first()
        if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
            problems.append(
                f"{where}the newest rows are missing: the trail ended at seq={head.seq}, now at seq={expected_seq - 1}"
            )
        elif head is None and expected_seq > 1:
            problems.append(f"{where}the chain has rows but no head: its head was deleted")
    return VerifyResult(checked, problems)
