"""The access matrix: for every endpoint that takes an object, staff of another department and citizens who do
not own it get 404, by GET and by POST. The owner gets through, so each cell is a check that can fail."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.access_matrix import ENDPOINTS, INTRUDERS, NOT_OBJECTS
from tests.conftest import login_verified
from tests.support.urlwalk import walk

REPORT = Path(__file__).resolve().parent.parent / "var" / "reports" / "access-matrix.txt"


def test_every_endpoint_with_an_object_is_in_the_matrix():
    with_params = {
        r.qualified_name for r in walk() if r.namespace != "admin" and re.search(r"<[^>]+>", r.pattern)
    }
    listed = {e.url_name for e in ENDPOINTS} | set(NOT_OBJECTS)
    assert with_params <= listed, f"add these to tests/access_matrix.py: {sorted(with_params - listed)}"
    assert listed <= with_params, f"stale entries in tests/access_matrix.py: {sorted(listed - with_params)}"


@pytest.mark.django_db
def test_no_leak_across_departments_or_citizens(
    kaigo_alice, kaigo_admin, kosodate_charlie, kosodate_admin, dx_dana, citizen_erin, citizen_frank
):
    people = locals()
    cells, lines = 0, []
    for endpoint in ENDPOINTS:
        url = reverse(endpoint.url_name, kwargs=endpoint.build(people))
        owner = Client()
        login_verified(owner, people[endpoint.owner])
        owner_status = {m: getattr(owner, m)(url).status_code for m in ("get", "post")}
        assert 404 not in owner_status.values(), f"{endpoint.url_name}: the owner ({endpoint.owner}) gets 404"
        # A method the endpoint refuses to everyone (405 for the owner too) reveals nothing.
        allowed = {m: (404, 405) if code == 405 else (404,) for m, code in owner_status.items()}
        for persona in INTRUDERS:
            client = Client()
            login_verified(client, people[persona])
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                assert status in allowed[method], f"LEAK: {persona} {method.upper()} {url} answered {status}"
                cells += 1
        lines.append(
            f"{endpoint.url_name}: {len(INTRUDERS)} intruders x 2 methods, owner {endpoint.owner} allowed"
        )
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        f"access matrix: {cells} cells checked, 0 leaks\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    print(f"access matrix: {cells} cells checked, 0 leaks")
    assert cells == len(ENDPOINTS) * len(INTRUDERS) * 2
