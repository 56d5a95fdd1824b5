"""Registered 提出代行者: registered by the department, file on behalf of the person, see only what they filed."""

import pytest
from django.urls import reverse

from madoguchi.identity.models import RegisteredAgent
from madoguchi.submissions.models import Submission
from madoguchi.submissions.services import SubmissionInvalid
from tests.conftest import make_citizen
from tests.support.cases import ensure_procedures, file_case
from tests.support.formfill import start

pytestmark = pytest.mark.django_db


@pytest.fixture
def care_manager(city):
    return make_citizen("cm@care.example", "ケアマネ 太郎")


def test_a_manager_registers_an_agent_with_clear_errors(as_user, kaigo_admin, care_manager):
    client = as_user(kaigo_admin)
    url = reverse("identity:agents", kwargs={"code": "kaigo-hoken"})
    bad = client.post(url, {"email": "nobody@example.test", "organisation": "", "kind": ""})
    body = bad.content.decode()
    assert (
        bad.status_code == 400
        and "市民アカウントがありません" in body
        and 'value="nobody@example.test"' in body
    )
    client.post(
        url, {"email": care_manager.email, "organisation": "石巻ケアプランセンター", "kind": "care_manager"}
    )
    agent = RegisteredAgent.objects.get()
    assert agent.user == care_manager and agent.department.code == "kaigo-hoken"


def test_an_agent_files_on_behalf_and_the_case_says_so(
    as_user, kaigo_admin, kaigo_alice, care_manager, citizen_erin
):
    as_user(kaigo_admin).post(reverse("identity:agents", kwargs={"code": "kaigo-hoken"}),
                              {"email": care_manager.email, "organisation": "石巻ケアプランセンター", "kind": "care_manager"})  # fmt: skip
    case = file_case(care_manager, who_files="agent")
    assert case.submission.agent.organisation == "石巻ケアプランセンター"
    assert case.submission.filed_as == "agent"
    body = as_user(kaigo_alice).get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "提出代行者 石巻ケアプランセンター" in body and "に代わって提出" in body
    # The agent sees what they filed; nobody else's.
    mine = as_user(care_manager).get(reverse("submissions:mine")).content.decode()
    assert case.receipt_number in mine
    other = file_case(citizen_erin)
    assert other.receipt_number not in as_user(care_manager).get(reverse("submissions:mine")).content.decode()
    assert (
        as_user(care_manager)
        .get(reverse("submissions:detail", kwargs={"submission_id": other.submission_id}))
        .status_code
        == 404
    )


def test_only_procedures_that_allow_agents_are_filed_as_one(as_user, kaigo_admin, care_manager):
    as_user(kaigo_admin).post(reverse("identity:agents", kwargs={"code": "kaigo-hoken"}),
                              {"email": care_manager.email, "organisation": "石巻ケアプランセンター", "kind": "care_manager"})  # fmt: skip
    case = file_case(care_manager, slug="risai_shomei")  # another department, no agents: filed as themselves
    assert case.submission.agent is None


def test_a_deactivated_agent_can_no_longer_file_as_one(as_user, kaigo_admin, care_manager):
    url = reverse("identity:agents", kwargs={"code": "kaigo-hoken"})
    client = as_user(kaigo_admin)
    client.post(url, {"email": care_manager.email, "organisation": "センター", "kind": "houkatsu"})
    client.post(url, {"action": "deactivate", "agent": str(RegisteredAgent.objects.get().pk)})
    with pytest.raises(SubmissionInvalid, match="市に登録された事業所"):
        file_case(care_manager, who_files="agent")
    assert file_case(care_manager).submission.agent is None  # as the person or family: allowed


def test_an_unregistered_account_cannot_say_it_is_an_agent(client, citizen_erin):
    """The runner refuses the answer on the page that asks it, with the reason, and keeps it."""
    ensure_procedures()
    client.force_login(citizen_erin)
    start_url = start(client, "kaigo_nintei_shinki")
    response = client.post(start_url, {"action": "continue", "f-who_files": "agent"})
    body = response.content.decode()
    assert response.status_code == 200 and "市に登録された事業所のアカウントだけです" in body
    assert 'value="agent" checked' in body
    assert Submission.objects.count() == 0


def test_handlers_cannot_manage_agents(as_user, kaigo_alice):
    assert (
        as_user(kaigo_alice).get(reverse("identity:agents", kwargs={"code": "kaigo-hoken"})).status_code
        == 404
    )
