"""The OpenAPI 3.1 document of the cases API, built as a Python dict.

``GET /api/v1/openapi.json`` serves it; ``docs/api/openapi.json`` is the same document committed
for readers and client generators. After changing the API (or a workflow, whose statuses the
document lists), regenerate the file::

    .venv/bin/python -m madoguchi.cases.openapi        # with src/ on the path (PYTHONPATH=src)

A test fails when the committed file differs from what this module builds, and another when a
route of the ``cases_api`` namespace is missing from ``paths``.
"""

from __future__ import annotations

import json
from pathlib import Path

from .workflows import workflows

API_VERSION = "1.0.0"


def document_path() -> Path:
    from django.conf import settings

    return Path(settings.BASE_DIR) / "docs" / "api" / "openapi.json"


def _statuses() -> list[str]:
    return sorted({status.id for flow in workflows().values() for status in flow.statuses})


def _channels() -> list[str]:
    from madoguchi.submissions.models import Submission

    return list(Submission.Channel.values)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _response(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _schemas() -> dict:
    from .api import MAX_COMMENT

    date = {"type": "string", "format": "date"}
    stamp = {"type": "string", "format": "date-time"}
    summary_properties = {
        "id": {"type": "string", "format": "uuid", "description": "The case's id (used in the URLs)."},
        "receipt_number": {
            "type": "string",
            "description": "受付番号, as the applicant has it.",
            "examples": ["4821-0937-5516-2048-73910"],
        },
        "procedure": {
            "type": "string",
            "description": "The procedure's slug (手続ID).",
            "examples": ["kaigo_nintei_shinki"],
        },
        "status": {
            "type": "string",
            "enum": _statuses(),
            "description": "The status in the case's workflow.",
        },
        "received_on": {**date, "description": "受付日."},
        "due_on": {**date, "description": "期限 (moved later while the case waits for a correction)."},
        "channel": {"type": "string", "enum": _channels(), "description": "受付方法."},
        "updated_at": {**stamp, "description": "Last change of the case (status, assignee...)."},
    }
    summary_required = list(summary_properties)
    history_entry = {
        "type": "object",
        "description": "One status change of the case, oldest first.",
        "properties": {
            "at": stamp,
            "from_status": {"type": ["string", "null"], "description": "null for the first entry (受付)."},
            "to_status": {"type": "string"},
            "comment": {"type": "string"},
        },
        "required": ["at", "from_status", "to_status", "comment"],
    }
    return {
        "CaseSummary": {"type": "object", "properties": summary_properties, "required": summary_required},
        "CaseDetail": {
            "type": "object",
            "properties": {
                **summary_properties,
                "procedure_version": {"type": "integer", "description": "The version of the form filled."},
                "workflow": {
                    "type": "string",
                    "description": "The case's workflow (standard, notification...).",
                },
                "paused_since": {
                    "type": ["string", "null"],
                    "format": "date",
                    "description": "Set while the case waits for the applicant's correction.",
                },
                "closed_at": {"type": ["string", "null"], "format": "date-time"},
                "answers": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": (
                        "The answers as stored, keyed by field id (see the procedure's definition in "
                        "data/procedures/). Every My Number is masked (●●●● ●●●● 1234): My Numbers are "
                        "not given out through this API."
                    ),
                },
                "history": {"type": "array", "items": _ref("HistoryEntry")},
            },
            "required": [
                *summary_required,
                "procedure_version",
                "workflow",
                "paused_since",
                "closed_at",
                "answers",
                "history",
            ],
        },
        "HistoryEntry": history_entry,
        "CaseList": {
            "type": "object",
            "properties": {
                "results": {"type": "array", "items": _ref("CaseSummary")},
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` (with the same filters) for the next page; null on the last.",
                },
                "limit": {"type": "integer"},
            },
            "required": ["results", "next_cursor", "limit"],
        },
        "StatusChange": {
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": _statuses(), "description": "The new status."},
                "comment": {
                    "type": "string",
                    "maxLength": MAX_COMMENT,
                    "description": "Recorded in the case's history.",
                },
            },
            "required": ["status"],
        },
        "StatusChanged": {
            "type": "object",
            "properties": {**summary_properties, "history": {"type": "array", "items": _ref("HistoryEntry")}},
            "required": [*summary_required, "history"],
        },
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "string",
                    "description": "A stable code, e.g. invalid_transition.",
                    "examples": ["unauthorized", "not_found", "invalid_json", "invalid_transition"],
                },
                "message": {"type": "string", "description": "What went wrong, in English."},
                "message_ja": {"type": "string", "description": "同じ内容の日本語の説明。"},
            },
            "required": ["error", "message", "message_ja"],
        },
    }


def _responses() -> dict:
    return {
        "BadRequest": _error_response(
            "Bad input: a malformed parameter, cursor or JSON body (error: invalid_parameter, "
            "invalid_cursor, invalid_json, invalid_request, unknown_status)."
        ),
        "Unauthorized": {
            **_error_response("No token, or a wrong or revoked one (error: unauthorized)."),
            "headers": {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="madoguchi"'}
            },
        },
        "NotFound": _error_response("No such case, or a case of another department (error: not_found)."),
        "MethodNotAllowed": _error_response("Wrong HTTP method (error: method_not_allowed)."),
        "RateLimited": {
            **_error_response("Too many requests from this address (error: rate_limited)."),
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
        },
    }


def _paths() -> dict:
    from .api import DEFAULT_LIMIT, MAX_LIMIT

    common_errors = {
        "401": _response("Unauthorized"),
        "405": _response("MethodNotAllowed"),
        "429": _response("RateLimited"),
    }
    case_id = {
        "name": "case_id",
        "in": "path",
        "required": True,
        "description": "The case's id (a UUID).",
        "schema": {"type": "string", "format": "uuid"},
    }
    return {
        "/api/v1/cases/": {
            "get": {
                "operationId": "listCases",
                "summary": "List the token's department's cases",
                "description": (
                    "Cases of the token's department, oldest change first (updated_at, then id), "
                    "so that a system can follow changes with updated_since and the cursor. "
                    "Each request is recorded in the audit trail."
                ),
                "parameters": [
                    _query(
                        "status", "A status id, or `open` for every case not yet closed.", {"type": "string"}
                    ),
                    _query("procedure", "A procedure slug.", {"type": "string"}),
                    _query(
                        "received_from",
                        "Received on or after (YYYY-MM-DD).",
                        {"type": "string", "format": "date"},
                    ),
                    _query(
                        "received_to",
                        "Received on or before (YYYY-MM-DD).",
                        {"type": "string", "format": "date"},
                    ),
                    _query(
                        "updated_since",
                        "Changed at or after (ISO 8601; without an offset, Japan time).",
                        {"type": "string", "format": "date-time"},
                    ),
                    _query(
                        "limit",
                        f"Page size, 1 to {MAX_LIMIT}.",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                    ),
                    _query("cursor", "The next_cursor of the previous page.", {"type": "string"}),
                ],
                "responses": {
                    "200": {
                        "description": "A page of cases.",
                        "content": {"application/json": {"schema": _ref("CaseList")}},
                    },
                    "400": _response("BadRequest"),
                    **common_errors,
                },
            }
        },
        "/api/v1/cases/{case_id}/": {
            "get": {
                "operationId": "getCase",
                "summary": "One case, with its answers and status history",
                "description": "My Numbers in the answers are masked. The read is recorded in the audit trail.",
                "parameters": [case_id],
                "responses": {
                    "200": {
                        "description": "The case.",
                        "content": {"application/json": {"schema": _ref("CaseDetail")}},
                    },
                    "404": _response("NotFound"),
                    **common_errors,
                },
            }
        },
        "/api/v1/cases/{case_id}/status/": {
            "post": {
                "operationId": "changeCaseStatus",
                "summary": "Move a case to another status (write tokens only)",
                "description": (
                    "Follows the case's workflow (data/workflows/). Decisions (approved, rejected) and "
                    "correction requests are made by staff on the case page and refused here with 409."
                ),
                "parameters": [case_id],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _ref("StatusChange"),
                            "example": {"status": "reviewing", "comment": "基幹システムに登録済み"},
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "Moved; the case with its history.",
                        "content": {"application/json": {"schema": _ref("StatusChanged")}},
                    },
                    "400": _response("BadRequest"),
                    "403": _error_response("A read-only token (error: insufficient_scope)."),
                    "404": _response("NotFound"),
                    "409": _error_response(
                        "Not possible from the case's current status (error: invalid_transition), "
                        "or a decision or correction request (error: decision_not_allowed, correction_not_allowed)."
                    ),
                    **common_errors,
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def build_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Madoguchi cases API",
            "version": API_VERSION,
            "description": (
                "Cases for core systems (基幹システム) and RPA. Authenticate with an API token made by the "
                "department's 課管理者 (Authorization: Bearer <token>); a token sees its own department's "
                "cases only. Every response is JSON; errors carry a code and messages in English and "
                "Japanese. See docs/api.md."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (43 characters), shown once when it is made.",
                }
            },
            "schemas": _schemas(),
            "responses": _responses(),
        },
    }


def render_document() -> str:
    return json.dumps(build_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_document(path: Path | None = None) -> Path:
    path = path or document_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_document(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    django.setup()
    print(f"wrote {write_document()}")
