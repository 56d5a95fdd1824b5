"""Issue 5 check: the API's real answers match the committed OpenAPI document, field by field.

tests/test_case_api.py already fails when docs/api/openapi.json differs from what the code builds and when a
route is undocumented; this adds the other half of drift: a response that carries a field the document does not
list, lacks a required one, or has a value of another type, fails here."""

import copy
import json

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from madoguchi.cases.openapi import document_path
from tests.test_case_api import bearer, detail_url, post_status

# The fixtures of the API tests, re-exported for these.
from tests.test_case_api import fresh_rate_limits as fresh_rate_limits
from tests.test_case_api import read_token as read_token
from tests.test_case_api import write_token as write_token
from tests.test_case_export import JIDOTEATE, make_case
from tests.test_case_export import procedures as procedures

pytestmark = pytest.mark.django_db

LIST = "/api/v1/cases/"


def _closed(schema):
    """The same schema, with every object that lists its properties refusing any other property."""
    if isinstance(schema, dict):
        schema = {k: _closed(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


DOCUMENT = json.loads(document_path().read_text(encoding="utf-8"))
CLOSED = _closed(copy.deepcopy(DOCUMENT))
REGISTRY = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(CLOSED))


def _schema_of(path: str, method: str, status: int) -> dict:
    response = DOCUMENT["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:  # a shared response
        response = DOCUMENT["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


def assert_conforms(response, path: str, method: str = "get"):
    schema = _schema_of(path, method, response.status_code)
    resolvable = {**_closed(schema), "$schema": "https://json-schema.org/draft/2020-12/schema"}
    # Resolve "#/components/..." against the (closed) document.
    resolvable = json.loads(json.dumps(resolvable).replace('"#/components/', '"urn:openapi#/components/'))
    errors = sorted(Draft202012Validator(resolvable, registry=REGISTRY).iter_errors(response.json()), key=str)
    assert not errors, f"{method.upper()} {path} {response.status_code}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
    )


def test_every_answer_of_the_api_matches_the_document(read_token, write_token, client, citizen_erin):
    case = make_case(citizen_erin)
    other = make_case(citizen_erin, JIDOTEATE)
    item = "/api/v1/cases/{case_id}/"
    status = "/api/v1/cases/{case_id}/status/"

    listed = client.get(LIST, {"limit": 1}, **bearer(read_token))
    assert listed.status_code == 200 and listed.json()["results"]
    assert_conforms(listed, "/api/v1/cases/")
    detail = client.get(detail_url(case), **bearer(read_token))
    assert detail.status_code == 200 and detail.json()["history"]
    assert_conforms(detail, item)

    moved = post_status(client, case, write_token, {"status": "reviewing", "comment": "基幹に登録"})
    assert moved.status_code == 200
    assert_conforms(moved, status, "post")

    # The error answers the document promises.
    for response, path, method, code in [
        (client.get(LIST, **bearer("x" * 43)), "/api/v1/cases/", "get", 401),
        (client.get(LIST, {"limit": "many"}, **bearer(read_token)), "/api/v1/cases/", "get", 400),
        (client.get(detail_url(other), **bearer(read_token)), item, "get", 404),
        (client.post(detail_url(case), **bearer(read_token)), item, "get", 405),
        (post_status(client, case, read_token, {"status": "completed"}), status, "post", 403),
        (post_status(client, case, write_token, {"status": "received"}), status, "post", 409),
        (post_status(client, case, write_token, "{not json"), status, "post", 400),
    ]:
        assert response.status_code == code, (path, method, code, response.content)
        assert_conforms(response, path, method)


def test_the_check_catches_an_undocumented_field(read_token, client, citizen_erin):
    """The check above can fail: a field the document does not list is refused."""
    case = make_case(citizen_erin)
    response = client.get(detail_url(case), **bearer(read_token))

    class Altered:
        status_code = 200

        @staticmethod
        def json():
            return {**response.json(), "applicant_name": "石巻 花子"}

    with pytest.raises(AssertionError, match="applicant_name"):
        assert_conforms(Altered, "/api/v1/cases/{case_id}/")
