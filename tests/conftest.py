"""Shared fixtures: the city, personas, log-in helpers, a real SMTP server."""

from __future__ import annotations

import socket
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from madoguchi.accounts.models import StaffRole, User
from madoguchi.organisations.models import Department
from madoguchi.organisations.services import municipality_load_from_file
from tests.factories import PASSWORD as PASSWORD  # re-exported for the tests
from tests.factories import CitizenFactory, StaffFactory
from tests.support import logguard

ROOT = Path(__file__).resolve().parent.parent
CITY_FILE = ROOT / "data" / "municipalities" / "042021-ishinomaki.yaml"


# --- personal data never reaches the logs -------------------------------------


def pytest_sessionfinish(session, exitstatus):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: hand the leaks to the controller
        workeroutput["personal_data_leaks"] = list(logguard.leaks)
        return
    if logguard.leaks:
        print("\nPersonal data reached a log record:\n  " + "\n  ".join(sorted(set(logguard.leaks))[:20]))
        session.exitstatus = 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """Under pytest-xdist (make test), a worker's exit status is ignored: collect its leaks here."""
    logguard.leaks.extend(getattr(node, "workeroutput", {}).get("personal_data_leaks", []))


# --- a real SMTP server --------------------------------------------------------


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"expected {count} e-mail(s), got {len(self.messages)}"
        return self.messages

    def last_body(self) -> str:
        return self.wait_for()[-1].get_content()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture(autouse=True)
def mailbox(smtp_server, settings):
    # Django's test set-up swaps in the in-memory backend; we want the real SMTP path.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_PORT = smtp_server.port
    smtp_server.handler.messages.clear()
    return smtp_server.handler


@pytest.fixture(scope="session")
def dev_identity_dir(tmp_path_factory):
    """One development CA and set of test cards per test worker."""
    return tmp_path_factory.mktemp("identity") / "dev"


@pytest.fixture(autouse=True)
def dev_identity(dev_identity_dir, settings):
    settings.MADOGUCHI_DEV_IDENTITY_DIR = str(dev_identity_dir)


@pytest.fixture(autouse=True)
def japanese_by_default():
    """Each test starts in Japanese: a request in English leaves English active in the thread."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- the city and its people -----------------------------------------------------


@pytest.fixture
def city(db):
    return municipality_load_from_file(path=CITY_FILE).municipality


def department(code: str) -> Department:
    return Department.objects.get(municipality__code=settings.MADOGUCHI_MUNICIPALITY_CODE, code=code)


def make_staff(email: str, name: str, *roles: tuple[str, str]) -> User:
    return StaffFactory(
        email=email, display_name=name, roles=[(department(code), role) for code, role in roles]
    )


def make_citizen(email: str, name: str = "", *, verified: bool = True) -> User:
    return CitizenFactory(
        email=email, display_name=name, email_verified_at=timezone.now() if verified else None
    )


# Personas (after healthchecks' alice/bob/charlie): two 担当者 of 介護保険課 who
# share a department, one of 子育て支援課 who must see nothing of theirs, a
# DX推進担当, and two citizens.
@pytest.fixture
def kaigo_alice(city):
    return make_staff("alice@kaigo.test", "介護 アリス", ("kaigo-hoken", StaffRole.Role.HANDLER))


@pytest.fixture
def kaigo_bob(city):
    return make_staff("bob@kaigo.test", "介護 ボブ", ("kaigo-hoken", StaffRole.Role.HANDLER))


@pytest.fixture
def kosodate_charlie(city):
    return make_staff("charlie@kosodate.test", "子育 チャーリー", ("kosodate-shien", StaffRole.Role.HANDLER))


@pytest.fixture
def dx_dana(city):
    return make_staff("dana@ict.test", "推進 ダナ", ("ict", StaffRole.Role.DX_OFFICER))


@pytest.fixture
def kaigo_admin(city):
    return make_staff(
        "kacho@kaigo.test",
        "介護 課長",
        ("kaigo-hoken", StaffRole.Role.DEPT_ADMIN),
        ("kaigo-hoken", StaffRole.Role.APPROVER),
    )


@pytest.fixture
def kosodate_admin(city):
    return make_staff("kacho@kosodate.test", "子育 課長", ("kosodate-shien", StaffRole.Role.DEPT_ADMIN))


@pytest.fixture
def sysadmin(city):
    return make_staff("root@ict.test", "管理 エド", ("ict", StaffRole.Role.SYSADMIN))


@pytest.fixture
def citizen_erin(city):
    return make_citizen("erin@example.test", "市民 エリン")


@pytest.fixture
def citizen_frank(city):
    return make_citizen("frank@example.test", "市民 フランク")


# --- logging in -----------------------------------------------------------------


def totp_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def current_token(device: TOTPDevice, offset_steps: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset_steps):0{device.digits}d}"


def login_verified(client, user: User) -> None:
    """Log in as a user who has passed the second factor (staff), as the real flow ends."""
    client.force_login(user)
    if user.kind == User.Kind.STAFF or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        device = totp_device(user)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()


@pytest.fixture
def as_user(client):
    def _login(user: User):
        login_verified(client, user)
        return client

    return _login


@pytest.fixture
def frozen_ratelimit_clock(monkeypatch):
    """The rate limits' windows are cut from the clock: a test's few requests that straddle a window's
    end would start a new count (a flake seen in CI). Their clock stands still instead."""
    import madoguchi.core.ratelimit

    monkeypatch.setattr(madoguchi.core.ratelimit, "clock", lambda: 1_800_000_000.0)
