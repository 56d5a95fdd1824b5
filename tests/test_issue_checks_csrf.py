"""Issue 3 check: CSRF on every state change. tests/test_web.py tries the log-in form; this walks the URL
configuration (no view opts out of CSRF except the token-authenticated APIs, which take no cookie) and posts to
state-changing pages of a logged-in citizen and a member of staff without the token."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from madoguchi.procedures.services import procedures_load_from_files
from tests.conftest import login_verified
from tests.support.urlwalk import walk

# Bearer-token APIs: no session cookie is read, so there is nothing for a cross-site request to ride on.
TOKEN_APIS = {"cases_api", "opendata_api"}
TOKEN_ROUTES = {"disaster:api_state", "disaster:api_end"}  # the disaster-response system's token API


def test_only_the_token_apis_opt_out_of_csrf():
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    exempt = {r.qualified_name for r in walk() if getattr(r.view, "csrf_exempt", False)}
    assert exempt, "the walk sees the API views"
    others = {name for name in exempt if name.split(":")[0] not in TOKEN_APIS and name not in TOKEN_ROUTES}
    assert not others, sorted(others)


@pytest.mark.django_db
def test_state_changes_without_the_token_are_refused(citizen_erin, kaigo_alice):
    procedures_load_from_files()
    citizen = Client(enforce_csrf_checks=True)
    login_verified(citizen, citizen_erin)
    staff = Client(enforce_csrf_checks=True)
    login_verified(staff, kaigo_alice)
    for client, url, data in [
        (citizen, reverse("procedures:start", kwargs={"slug": "risai_shomei"}), {}),
        (citizen, reverse("accounts:logout"), {}),
        (staff, reverse("cases:save_filter"), {"department": "kaigo-hoken", "name": "x", "query": ""}),
        (staff, reverse("cases:bulk"), {"department": "kaigo-hoken", "bulk_action": "assign"}),
        (staff, reverse("accounts:logout"), {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    from madoguchi.cases.models import SavedFilter
    from madoguchi.submissions.models import Draft

    assert not Draft.objects.exists() and not SavedFilter.objects.exists()
