"""Life-event guide definitions: YAML files checked against a schema and a few rules, with errors
that name the file, the line and the field (docs/life-events.md describes the format).

The YAML-with-line-numbers helpers, the condition syntax and its checks are those of procedure
definitions (madoguchi.procedures.definitions), so that a guide reads and fails like a procedure.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from madoguchi.forms.engine import condition_holds
from madoguchi.procedures.definitions import (
    CHOICE,
    CONDITION,
    IDENT,
    L10N,
    DefinitionError,
    _condition_errors,
    _field_errors,
    _where,
    checked_yaml,
)
from madoguchi.procedures.selectors import LIFE_EVENTS

WHERE = ("counter", "other_office", "online_elsewhere")
ONLINE = "online"  # where a Madoguchi procedure step is done: here, online

QUESTION = {
    "type": "object",
    "properties": {
        "id": IDENT,
        "type": {"enum": ["choice", "yes_no"]},
        "label": L10N,
        "help": L10N,
        "choices": {"type": "array", "minItems": 2, "items": CHOICE},
        "show_if": CONDITION,
    },
    "required": ["id", "type", "label"],
    "additionalProperties": False,
}
STEP = {
    "type": "object",
    "properties": {
        "id": IDENT,
        "procedure": IDENT,
        "title": L10N,
        "where": {"enum": list(WHERE)},
        "place": L10N,
        "bring": {"type": "array", "minItems": 1, "items": L10N},
        "deadline": L10N,
        "link": {"type": "string", "pattern": r"^https://[^\s\"'<>]+$", "maxLength": 500},
        "note": L10N,
        "when": {"anyOf": [CONDITION, {"type": "array", "minItems": 1, "items": CONDITION}]},
    },
    "additionalProperties": False,
}
GUIDE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Madoguchi life-event guide",
    "type": "object",
    "properties": {
        "id": IDENT,
        "name": L10N,
        "summary": L10N,
        "order": {"type": "integer", "minimum": 0, "maximum": 1000},
        "life_events": {"type": "array", "uniqueItems": True, "items": {"enum": list(LIFE_EVENTS)}},
        "questions": {"type": "array", "minItems": 1, "maxItems": 10, "items": QUESTION},
        "steps": {"type": "array", "minItems": 1, "maxItems": 40, "items": STEP},
        "to_confirm": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["id", "name", "summary", "questions", "steps"],
    "additionalProperties": False,
}
OFF_SYSTEM_ONLY = ("title", "where", "place", "bring", "link")


class GuideError(DefinitionError):
    """A guide file that cannot be used; ``errors`` are ``file:line: field: message`` lines."""


@dataclass(frozen=True)
class ParsedGuide:
    data: dict  # normalised: every step has an id and a list of conditions
    source_text: str
    sha256: str

    @property
    def id(self) -> str:
        return self.data["id"]


def _semantic_errors(data: dict, procedures: dict[str, dict] | None) -> list[tuple[tuple, str]]:
    errors: list[tuple[tuple, str]] = []
    seen: dict[str, dict] = {}
    for q_index, question in enumerate(data["questions"]):
        where = ("questions", q_index)
        if question["id"] in seen:
            errors.append(((*where, "id"), f"question id {question['id']!r} is used twice"))
        if question.get("show_if"):
            errors.extend(_condition_errors(question["show_if"], seen, set(), (*where, "show_if")))
        errors.extend(_field_errors(question, where))
        seen[question["id"]] = question
    step_ids: set[str] = set()
    for s_index, step in enumerate(data["steps"]):
        where = ("steps", s_index)
        if "procedure" in step:
            errors.extend(_procedure_step_errors(step, where, procedures))
        else:
            for key in ("id", "title", "where", "place"):
                if key not in step:
                    errors.append(
                        (
                            where,
                            f"a step that is not a Madoguchi procedure needs {key!r} (or give 'procedure')",
                        )
                    )
        step_id = step.get("id", step.get("procedure"))
        if step_id is not None:
            if step_id in step_ids:
                errors.append(
                    ((*where, "id"), f"step id {step_id!r} is used twice: give each step its own id")
                )
            step_ids.add(step_id)
        conditions = step.get("when")
        conditions = [conditions] if isinstance(conditions, dict) else conditions or []
        for c_index, condition in enumerate(conditions):
            cwhere = (*where, "when") if isinstance(step["when"], dict) else (*where, "when", c_index)
            errors.extend(_condition_errors(condition, seen, set(), cwhere))
    return errors


def _procedure_step_errors(step: dict, where: tuple, procedures: dict[str, dict] | None):
    errors = []
    extra = [key for key in OFF_SYSTEM_ONLY if key in step]
    if extra:
        errors.append(
            (
                (*where, extra[0]),
                f"a Madoguchi procedure step takes its name, place and documents from the procedure: "
                f"remove {', '.join(extra)}",
            )
        )
    if procedures is not None and step["procedure"] not in procedures:
        errors.append(
            (
                (*where, "procedure"),
                f"no procedure {step['procedure']!r} in data/procedures/ (or its file has errors)",
            )
        )
    return errors


def _normalise(data: dict, procedures: dict[str, dict] | None) -> dict:
    data = json.loads(json.dumps(data))  # a deep copy of plain JSON
    for step in data["steps"]:
        when = step.get("when")
        step["when"] = [when] if isinstance(when, dict) else list(when or [])
        if "procedure" in step:
            step.setdefault("id", step["procedure"])
            procedure = (procedures or {}).get(step["procedure"])
            if procedure is not None:  # shown if the procedure is not published when the guide is used
                step["procedure_name"] = procedure["name"]
                step["procedure_department"] = procedure["department"]
    return data


def parse_guide(text: str, *, source: str, procedures: dict[str, dict] | None = None) -> ParsedGuide:
    """Parse and check a guide; raise GuideError listing every problem with its place.

    ``procedures`` maps procedure ids to their definitions (as the procedure loader parses
    the files); None skips the check that referenced procedures exist.
    """
    data, lines = checked_yaml(text, source=source, schema=GUIDE_SCHEMA, error=GuideError,
                               what="a guide is a mapping (id, name, questions, steps, ...)")  # fmt: skip
    semantic = _semantic_errors(data, procedures)
    if semantic:
        raise GuideError([f"{_where(source, lines, path)}: {message}" for path, message in semantic])
    normalised = _normalise(data, procedures)
    return ParsedGuide(
        data=normalised,
        source_text=text,
        sha256=hashlib.sha256(
            json.dumps(normalised, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest(),
    )


def steps_for(definition: dict, answers: dict) -> list[dict]:
    """The steps of a (normalised) guide that apply to these answers, in the guide's order.

    ``answers`` are the cleaned answers (a choice's value, True/False for yes/no) to the
    questions that were asked; a step applies when all of its conditions hold.
    """
    return [
        step
        for step in definition["steps"]
        if all(condition_holds(condition, answers) for condition in step.get("when", []))
    ]
