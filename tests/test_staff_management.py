"""A 課管理者 manages the department's staff: invite, change roles, remove, reset the second factor."""

import re

import pytest
from django.urls import reverse

from madoguchi.accounts.models import StaffRole, User
from madoguchi.core.models import Session
from tests.conftest import totp_device

pytestmark = pytest.mark.django_db


def add_url(code="kaigo-hoken"):
    return reverse("accounts:member_add", kwargs={"code": code})


def member_url(user, code="kaigo-hoken"):
    return reverse("accounts:member_detail", kwargs={"code": code, "user_id": user.pk})


def test_invite_a_new_member_who_sets_a_password_and_enrols(
    client, as_user, kaigo_admin, mailbox, django_capture_on_commit_callbacks
):
    admin_client = as_user(kaigo_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            add_url(), {"email": "New.Hire@kaigo.test", "display_name": "新人 さん", "roles": ["handler"]}
        )
    assert response["Location"] == reverse("organisations:department_detail", kwargs={"code": "kaigo-hoken"})
    hire = User.objects.get(email="new.hire@kaigo.test")
    assert hire.kind == User.Kind.STAFF and not hire.has_usable_password()
    assert list(hire.staff_roles.values_list("role", flat=True)) == ["handler"]

    message = mailbox.wait_for(1)[0]
    assert "職員アカウント" in message["Subject"]
    link = re.search(r"http://\S+", message.get_content()).group(0).replace("http://127.0.0.1:8000", "")
    from django.test import Client

    newcomer = Client()
    page = newcomer.get(link, follow=True)
    password = "harbour-lights-at-dusk-7"
    newcomer.post(page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    response = newcomer.post(reverse("accounts:staff_login"), {"username": hire.email, "password": password})
    assert response["Location"].startswith(reverse("accounts:staff_mfa"))


def test_adding_requires_a_role_and_a_valid_address(as_user, kaigo_admin):
    response = as_user(kaigo_admin).post(add_url(), {"email": "not-an-address", "display_name": ""})
    body = response.content.decode()
    assert response.status_code == 200
    assert "有効なメールアドレスを入力してください" in body
    assert "役割を一つ以上選んでください" in body
    assert 'value="not-an-address"' in body


def test_a_citizen_address_cannot_become_staff(as_user, kaigo_admin, citizen_erin):
    response = as_user(kaigo_admin).post(
        add_url(), {"email": citizen_erin.email, "display_name": "x", "roles": ["handler"]}
    )
    assert "市民のアカウントで使われています" in response.content.decode()
    assert not citizen_erin.staff_roles.exists()


def test_a_manager_cannot_grant_city_wide_roles(as_user, kaigo_admin):
    response = as_user(kaigo_admin).post(
        add_url(), {"email": "x@kaigo.test", "display_name": "x", "roles": ["sysadmin"]}
    )
    assert response.status_code == 200
    assert "sysadmin" not in [c[0] for c in response.context["form"].fields["roles"].choices]
    assert not User.objects.filter(email="x@kaigo.test").exists()


def test_change_roles(as_user, kaigo_admin, kaigo_alice):
    client = as_user(kaigo_admin)
    response = client.post(member_url(kaigo_alice), {"action": "roles", "roles": ["handler", "approver"]})
    assert response.status_code == 302
    assert set(kaigo_alice.staff_roles.values_list("role", flat=True)) == {"handler", "approver"}


def test_a_manager_cannot_drop_their_own_manager_role(as_user, kaigo_admin):
    response = as_user(kaigo_admin).post(member_url(kaigo_admin), {"action": "roles", "roles": ["handler"]})
    assert "自分自身の課管理者の役割は外せません" in response.content.decode()
    assert kaigo_admin.staff_roles.filter(role=StaffRole.Role.DEPT_ADMIN).exists()


def test_removing_the_last_role_closes_the_account_and_its_sessions(
    client, as_user, kaigo_admin, kaigo_alice
):
    from django.test import Client

    alice_client = Client()
    alice_client.force_login(kaigo_alice)
    assert Session.objects.count() == 1
    response = as_user(kaigo_admin).post(member_url(kaigo_alice), {"action": "remove"})
    assert response.status_code == 302
    kaigo_alice.refresh_from_db()
    assert not kaigo_alice.is_active and not kaigo_alice.staff_roles.exists()
    assert alice_client.get(reverse("core:staff_home")).status_code == 302
    assert Session.objects.count() == 1  # only the manager's own


def test_reset_second_factor(as_user, kaigo_admin, kaigo_alice, client):
    totp_device(kaigo_alice)
    as_user(kaigo_admin).post(member_url(kaigo_alice), {"action": "reset_mfa"})
    assert not kaigo_alice.totpdevice_set.exists()


def test_sysadmin_grants_city_wide_roles(as_user, sysadmin, kaigo_alice):
    client = as_user(sysadmin)
    client.post(add_url("ict"), {"email": "dx2@ict.test", "display_name": "推進 二", "roles": ["dx_officer"]})
    assert User.objects.get(email="dx2@ict.test").has_global_role("dx_officer")
    client.post(add_url("ict"), {"email": "root2@ict.test", "display_name": "管理 二", "roles": ["sysadmin"]})
    assert User.objects.get(email="root2@ict.test").is_staff  # the admin site follows the role
