"""Workflows: the ordered statuses of a kind of procedure and the moves allowed between them
(data/workflows/*.yaml). A procedure definition names its workflow (default: standard)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import yaml
from django.conf import settings


@dataclass(frozen=True)
class Status:
    id: str
    label: dict
    notify: bool = False
    final: bool = False
    pauses_clock: bool = False
    decision: str | None = None
    needs_approver: bool = False

    def display(self, language: str) -> str:
        return self.label.get(language) or self.label["ja"]


@dataclass(frozen=True)
class Workflow:
    id: str
    name: dict
    initial: str
    statuses: tuple[Status, ...]
    transitions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def status(self, status_id: str) -> Status:
        for status in self.statuses:
            if status.id == status_id:
                return status
        raise KeyError(status_id)

    def allowed(self, from_status: str) -> tuple[str, ...]:
        return self.transitions.get(from_status, ())

    def can_move(self, from_status: str, to_status: str) -> bool:
        return to_status in self.allowed(from_status)

    @property
    def open_statuses(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.statuses if not s.final and not s.decision)


class WorkflowError(Exception):
    pass


def _load(path) -> Workflow:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    statuses = tuple(Status(**s) for s in data["statuses"])
    ids = {s.id for s in statuses}
    transitions = {k: tuple(v) for k, v in (data.get("transitions") or {}).items()}
    for source, targets in transitions.items():
        unknown = ({source, *targets}) - ids
        if unknown:
            raise WorkflowError(f"{path.name}: unknown statuses {sorted(unknown)}")
    if data["initial"] not in ids:
        raise WorkflowError(f"{path.name}: unknown initial status {data['initial']!r}")
    return Workflow(data["id"], data["name"], data["initial"], statuses, transitions)


@lru_cache(maxsize=1)
def workflows() -> dict[str, Workflow]:
    directory = settings.BASE_DIR / "data" / "workflows"
    loaded = [_load(path) for path in sorted(directory.glob("*.yaml"))]
    return {w.id: w for w in loaded}


def workflow(workflow_id: str | None) -> Workflow:
    return workflows()[workflow_id or "standard"]
