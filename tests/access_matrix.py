"""Endpoints that take an object, for the access matrix (tests/test_access_matrix.py).

Every URL with a path parameter must be listed here, with how to make an object that
belongs to 介護保険課 (and, where citizens own things, to the citizen erin), and which
persona owns it. Later apps add their endpoints to ENDPOINTS; the matrix then checks
that every other department's staff and every other citizen get 404 from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.conftest import department
from tests.support.hostile import png


@dataclass(frozen=True)
class Endpoint:
    url_name: str
    build: Callable[[dict], dict]  # personas -> URL kwargs of an object of kaigo-hoken / erin
    owner: str  # a persona who may open it (shows the cell can fail)


def _department(people):
    return {"code": "kaigo-hoken"}


def _member(people):
    return {"code": "kaigo-hoken", "user_id": people["kaigo_alice"].pk}


def _file(people):
    from madoguchi.privacy.services import file_store
    from tests.test_uploads import Upload

    stored = file_store(uploaded=Upload(png(), "scan.png"), department=department("kaigo-hoken"),
                        uploaded_by=people["citizen_erin"])  # fmt: skip
    return {"file_id": stored.pk}


def _resident(people):
    from tests.privacy_testapp.models import Resident

    resident = Resident.objects.create(department=department("kaigo-hoken"), name="x", my_number="123456789018",
                                       affair=department("kaigo-hoken").my_number_affairs[0])  # fmt: skip
    return {"label": "privacy_testapp.resident", "pk": resident.pk}


ENDPOINTS = [
    Endpoint("organisations:department_detail", _department, "kaigo_alice"),
    Endpoint("accounts:member_add", _department, "kaigo_admin"),
    Endpoint("accounts:member_detail", _member, "kaigo_admin"),
    Endpoint("privacy:file_download", _file, "citizen_erin"),
    Endpoint("privacy:my_number_reveal", _resident, "kaigo_alice"),
]

# URLs with parameters that name no object of anyone's.
NOT_OBJECTS = {
    "accounts:verify_email": "a signed one-time token, checked by the view",
    "accounts:password_reset_confirm": "a signed one-time token, checked by Django's view",
}

# Who must see nothing of 介護保険課's or erin's.
INTRUDERS = ("kosodate_charlie", "kosodate_admin", "dx_dana", "citizen_frank")
