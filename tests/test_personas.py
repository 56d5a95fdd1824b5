"""Department scoping with personas: alice and bob share 介護保険課; charlie (子育て支援課) sees nothing of theirs."""

import re

import pytest
from django.urls import reverse

from madoguchi.accounts.models import StaffRole

pytestmark = pytest.mark.django_db


def urls_of_kaigo(member):
    return [
        reverse("organisations:department_detail", kwargs={"code": "kaigo-hoken"}),
        reverse("accounts:member_add", kwargs={"code": "kaigo-hoken"}),
        reverse("accounts:member_detail", kwargs={"code": "kaigo-hoken", "user_id": member.pk}),
    ]


def test_charlie_gets_404_on_every_kaigo_object(as_user, kaigo_alice, kosodate_charlie):
    client = as_user(kosodate_charlie)
    for url in urls_of_kaigo(kaigo_alice):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"roles": ["handler"], "action": "remove"}).status_code == 404, url
    assert StaffRole.objects.filter(user=kaigo_alice).count() == 1


def test_a_kosodate_manager_gets_404_on_kaigo_too(as_user, kaigo_alice, kosodate_admin):
    client = as_user(kosodate_admin)
    for url in urls_of_kaigo(kaigo_alice):
        assert client.get(url).status_code == 404, url


def test_an_absent_department_and_a_foreign_one_look_the_same(as_user, kosodate_charlie):
    client = as_user(kosodate_charlie)
    foreign = client.get(reverse("organisations:department_detail", kwargs={"code": "kaigo-hoken"}))
    absent = client.get(reverse("organisations:department_detail", kwargs={"code": "no-such-department"}))
    assert foreign.status_code == absent.status_code == 404
    strip = re.compile(rb'name="(?:csrfmiddlewaretoken|next)" value="[^"]+"')
    assert strip.sub(b"", foreign.content) == strip.sub(b"", absent.content)


def test_alice_sees_her_department_and_bob_in_it(as_user, kaigo_alice, kaigo_bob):
    client = as_user(kaigo_alice)
    response = client.get(reverse("organisations:department_detail", kwargs={"code": "kaigo-hoken"}))
    assert response.status_code == 200
    assert "介護 ボブ" in response.content.decode()


def test_a_handler_cannot_manage_staff_even_in_her_department(as_user, kaigo_alice, kaigo_bob):
    client = as_user(kaigo_alice)
    for url in urls_of_kaigo(kaigo_bob)[1:]:
        assert client.get(url).status_code == 404


def test_member_of_another_department_is_404_even_for_a_manager(as_user, kaigo_admin, kosodate_charlie):
    client = as_user(kaigo_admin)
    url = reverse("accounts:member_detail", kwargs={"code": "kaigo-hoken", "user_id": kosodate_charlie.pk})
    assert client.get(url).status_code == 404


def test_department_list_shows_only_own_departments(as_user, kaigo_alice, kosodate_charlie):
    body = as_user(kaigo_alice).get(reverse("organisations:department_list")).content.decode()
    assert "介護保険課" in body and "子育て支援課" not in body


def test_dx_officer_is_scoped_like_anyone_else_for_department_objects(as_user, dx_dana, kaigo_alice):
    client = as_user(dx_dana)
    assert client.get(urls_of_kaigo(kaigo_alice)[0]).status_code == 404


def test_system_administrator_sees_every_department(as_user, sysadmin, kaigo_alice):
    client = as_user(sysadmin)
    for url in urls_of_kaigo(kaigo_alice):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/").status_code == 200


def test_staff_home_shows_my_department_and_roles(as_user, kaigo_admin):
    body = as_user(kaigo_admin).get(reverse("core:staff_home")).content.decode()
    assert "介護保険課" in body and "課管理者" in body and "決裁者" in body
    assert "子育て支援課" not in body
