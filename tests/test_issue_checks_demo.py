"""Issue 2 check: the log-ins that `make run` prints (manage.py load_demo) work as printed: a member of staff
logs in with the printed password, must enrol a TOTP app before any staff page, then reaches the staff home
of her department; a citizen logs in."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import current_token

pytestmark = pytest.mark.django_db


def test_the_printed_demo_log_ins_work(client):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    printed = out.getvalue()
    password = re.search(r"Password for every demo account: (\S+)", printed).group(1)
    staff = "shisanzei1@demo.madoguchi.example"
    assert staff in printed and "citizen1@demo.madoguchi.example" in printed

    response = client.post(reverse("accounts:staff_login"), {"username": staff, "password": password})
    mfa = reverse("accounts:staff_mfa")
    assert response.status_code == 302 and response["Location"].startswith(mfa)
    assert client.get(reverse("core:staff_home"))["Location"].startswith(mfa)  # nothing before the TOTP
    assert "2段階認証の設定" in client.get(mfa).content.decode()
    device = TOTPDevice.objects.get(user__email=staff, confirmed=False)
    response = client.post(mfa, {"otp_token": current_token(device)})
    assert response.status_code == 302 and response["Location"] == reverse("core:staff_home")
    assert "資産税課" in client.get(reverse("core:staff_home")).content.decode()

    client.logout()
    response = client.post(
        reverse("accounts:login"), {"username": "citizen1@demo.madoguchi.example", "password": password}
    )
    assert response.status_code == 302 and not response["Location"].startswith(reverse("accounts:login"))
