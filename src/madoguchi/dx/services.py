"""Writes of the DX policy data. Every staff edit is audited (``privacy.audit_record``)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from madoguchi.organisations.models import Department, Municipality
from madoguchi.privacy.audit import audit_record
from madoguchi.privacy.models import AuditEvent

from .models import (
    Initiative,
    InitiativeAction,
    Kpi,
    KpiEntry,
    PdcaNote,
    RegisterEntry,
    StandardArea,
    StandardMilestone,
)
from .policy import parse_policy

DATA_DIR = Path(settings.BASE_DIR) / "data" / "dx"


def policy_file(code: str | None = None) -> Path:
    """data/dx/<city code>-<name>-policy.yaml (042021-ishinomaki-policy.yaml)."""
    code = code or settings.MADOGUCHI_MUNICIPALITY_CODE
    found = sorted(DATA_DIR.glob(f"{code}-*policy.yaml"))
    return found[0] if found else DATA_DIR / f"{code}-policy.yaml"


def _departments(municipality: Municipality) -> dict[str, Department]:
    return {d.code: d for d in Department.objects.filter(municipality=municipality)}


def _d(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def policy_load_from_file(*, path: Path | None = None, reset: bool = False) -> dict[str, int]:
    """Load the policy file. Idempotent: what exists already is kept as staff edited it, unless ``reset``.

    Creates the initiatives, their actions and KPIs, and the standardisation areas (with their
    milestones) that are missing. With ``reset`` the file's values overwrite names, departments,
    actions, KPI targets, statuses and milestones (KPI entries and PDCA notes are never touched).
    """
    path = path or policy_file()
    code = settings.MADOGUCHI_MUNICIPALITY_CODE
    municipality = Municipality.objects.get(code=code)
    departments = _departments(municipality)
    data = parse_policy(
        path.read_text(encoding="utf-8"),
        source=str(path),
        known_departments=set(departments),
        municipality=code,
    )
    counts = {"initiatives": 0, "kpis": 0, "areas": 0}
    for order, item in enumerate(data["initiatives"]):
        initiative = Initiative.objects.filter(code=item["code"]).first()
        created = initiative is None
        if created or reset:
            initiative = initiative or Initiative(code=item["code"])
            initiative.name = item["name"]
            initiative.summary = item.get("summary", "")
            initiative.all_departments = item.get("all_departments", False)
            initiative.sort_order = order
            initiative.save()
            initiative.departments.set([departments[c] for c in item["departments"]])
            initiative.actions.all().delete()
            for n, action in enumerate(item.get("actions", [])):
                InitiativeAction.objects.create(
                    initiative=initiative,
                    department=departments[action["department"]] if action.get("department") else None,
                    text=action["text"],
                    sort_order=n,
                )
            counts["initiatives"] += 1
        for n, k in enumerate(item.get("kpis", [])):
            kpi = Kpi.objects.filter(key=k["key"]).first()
            if kpi is None or reset:
                kpi = kpi or Kpi(key=k["key"])
                kpi.initiative = initiative
                kpi.name = k["name"]
                kpi.definition = k.get("definition", "")
                kpi.unit = k.get("unit", "")
                kpi.kind = k["kind"]
                kpi.baseline = _dec(k.get("baseline"))
                kpi.baseline_date = _d(k.get("baseline_date"))
                kpi.target = _dec(k.get("target"))
                kpi.target_date = _d(k.get("target_date"))
                kpi.compare = k.get("compare", False)
                kpi.sort_order = n
                kpi.save()
                counts["kpis"] += 1
    for order, item in enumerate(data["standardisation"]):
        area = StandardArea.objects.filter(code=item["code"]).first()
        if area is None or reset:
            area = area or StandardArea(code=item["code"])
            area.name = item["name"]
            area.department = departments[item["department"]]
            area.status = item.get("status", StandardArea.Status.NOT_STARTED)
            area.deadline = _d(item.get("deadline")) or area.deadline
            area.note = item.get("note", "")
            area.sort_order = order
            area.save()
            area.milestones.all().delete()
            for m in item.get("milestones", []):
                StandardMilestone.objects.create(
                    area=area, date=_d(m["date"]), text=m["text"], done=m.get("done", False)
                )
            counts["areas"] += 1
    return counts


# --- initiatives ---------------------------------------------------------------------------------


@transaction.atomic
def initiative_actions_update(
    *, initiative: Initiative, by, texts: dict[int, str], new: tuple | None = None
) -> int:
    """Change action texts (an empty text removes the action); ``new`` = (department or None, text) adds one."""
    changed = 0
    for action in list(initiative.actions.all()):
        if action.pk not in texts:
            continue
        text = texts[action.pk].strip()
        if not text:
            action.delete()
            changed += 1
        elif text != action.text:
            action.text = text
            action.save(update_fields=["text"])
            changed += 1
    if new and new[1].strip():
        last = initiative.actions.order_by("-sort_order").first()
        InitiativeAction.objects.create(
            initiative=initiative,
            department=new[0],
            text=new[1].strip(),
            sort_order=(last.sort_order + 1) if last else 0,
        )
        changed += 1
    if changed:
        audit_record(action=AuditEvent.Action.CHANGE, object_type="dx.initiative", object_id=initiative.code,
                     fields=["actions"], detail=f"{changed} action(s) changed", actor=by)  # fmt: skip
    return changed


@transaction.atomic
def kpi_update(*, kpi: Kpi, by, values: dict) -> list[str]:
    fields = [f for f, v in values.items() if getattr(kpi, f) != v]
    if fields:
        for f in fields:
            setattr(kpi, f, values[f])
        kpi.save(update_fields=fields)
        audit_record(
            action=AuditEvent.Action.CHANGE, object_type="dx.kpi", object_id=kpi.key, fields=fields, actor=by
        )
    return fields


@transaction.atomic
def pdca_note_add(*, initiative: Initiative, by, phase: str, period: str, text: str) -> PdcaNote:
    note = PdcaNote.objects.create(initiative=initiative, author=by, phase=phase, period=period, text=text)
    audit_record(action=AuditEvent.Action.CREATE, object_type="dx.pdcanote", object_id=note.pk,
                 fields=["phase", "period", "text"], detail=initiative.code, actor=by)  # fmt: skip
    return note


# --- manual KPIs ---------------------------------------------------------------------------------


@transaction.atomic
def kpi_entry_add(
    *,
    kpi: Kpi,
    by,
    period: datetime.date,
    value: Decimal,
    miyagi_average: Decimal | None = None,
    national_average: Decimal | None = None,
    note: str = "",
    is_demo: bool = False,
    entered_at: datetime.datetime | None = None,
) -> KpiEntry:
    """Append a value. An existing current entry of the same period is superseded, never changed."""
    if kpi.kind != Kpi.Kind.MANUAL:
        raise ValueError("only manual KPIs take entries")
    previous = (
        KpiEntry.objects.select_for_update(of=("self",))
        .filter(kpi=kpi, period=period, superseded_by__isnull=True)
        .order_by("-entered_at", "-pk")
        .first()
    )
    entry = KpiEntry(
        kpi=kpi, period=period, value=value, miyagi_average=miyagi_average, national_average=national_average,
        note=note, is_demo=is_demo, supersedes=previous, entered_by=by,
    )  # fmt: skip
    if entered_at:
        entry.entered_at = entered_at
    entry.save()
    audit_record(action=AuditEvent.Action.CREATE, object_type="dx.kpientry", object_id=entry.pk,
                 fields=["period", "value"], detail=f"{kpi.key} {period.isoformat()}"
                 + (f" supersedes {previous.pk}" if previous else ""), actor=by)  # fmt: skip
    return entry


# --- register ------------------------------------------------------------------------------------


def register_sync_procedure(*, procedure) -> RegisterEntry:
    """The register row of a Madoguchi procedure (called whenever a Procedure is saved)."""
    entry = (
        RegisterEntry.objects.filter(procedure=procedure).first()
        or RegisterEntry.objects.filter(number=f"madoguchi:{procedure.slug}").first()
    )
    if entry is None:
        return RegisterEntry.objects.create(
            number=f"madoguchi:{procedure.slug}",
            name=procedure.name,
            department=procedure.department,
            procedure=procedure,
            online_status=RegisterEntry.Online.MADOGUCHI,
            review=RegisterEntry.Review.CONTINUE,
        )
    fields = {"name": procedure.name, "department_id": procedure.department_id, "procedure_id": procedure.pk,
              "online_status": RegisterEntry.Online.MADOGUCHI}  # fmt: skip
    changed = [f for f, v in fields.items() if getattr(entry, f) != v]
    if changed:
        for f in changed:
            setattr(entry, f, fields[f])
        entry.save()
    return entry


def register_sync_all() -> int:
    from madoguchi.procedures.models import Procedure

    n = 0
    for procedure in Procedure.objects.select_related("department"):
        register_sync_procedure(procedure=procedure)
        n += 1
    return n


EDITABLE = ("name", "department", "legal_basis", "yearly_volume", "seal_required", "paper_required",
            "in_person_required", "review", "review_reason", "online_status", "planned_date")  # fmt: skip


@transaction.atomic
def register_entry_save(*, entry: RegisterEntry, by, values: dict) -> list[str]:
    """Create (no pk) or change one row; returns the changed fields."""
    creating = entry.pk is None
    fields = [f for f in EDITABLE if f in values and (creating or getattr(entry, f) != values[f])]
    for f in fields:
        setattr(entry, f, values[f])
    if creating or fields:
        entry.updated_by = by
        entry.save()
        audit_record(action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.CHANGE,
                     object_type="dx.registerentry", object_id=entry.number,
                     department_code=entry.department.code, fields=fields, actor=by)  # fmt: skip
    return fields


# --- standardisation -----------------------------------------------------------------------------


@transaction.atomic
def standard_area_update(*, area: StandardArea, by, status: str, note: str) -> list[str]:
    fields = [f for f, v in (("status", status), ("note", note)) if getattr(area, f) != v]
    if fields:
        area.status, area.note = status, note
        area.save()
        audit_record(action=AuditEvent.Action.CHANGE, object_type="dx.standardarea", object_id=area.code,
                     department_code=area.department.code, fields=fields, actor=by)  # fmt: skip
    return fields


@transaction.atomic
def milestone_add(*, area: StandardArea, by, date: datetime.date, text: str) -> StandardMilestone:
    milestone = StandardMilestone.objects.create(area=area, date=date, text=text)
    audit_record(action=AuditEvent.Action.CREATE, object_type="dx.standardmilestone", object_id=milestone.pk,
                 department_code=area.department.code, fields=["date", "text"], detail=area.code, actor=by)  # fmt: skip
    return milestone


@transaction.atomic
def milestone_set_done(*, milestone: StandardMilestone, by, done: bool) -> None:
    if milestone.done != done:
        milestone.done = done
        milestone.save(update_fields=["done"])
        audit_record(action=AuditEvent.Action.CHANGE, object_type="dx.standardmilestone", object_id=milestone.pk,
                     department_code=milestone.area.department.code, fields=["done"], actor=by)  # fmt: skip
