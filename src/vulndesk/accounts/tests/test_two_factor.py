"""TOTP two-factor sign-in: set-up, the second sign-in step, replay, limits, and staff enforcement."""

import datetime as dt

import pyotp
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from vulndesk.accounts.models import TotpDevice, User
from vulndesk.accounts.services import confirm_two_factor, start_two_factor_setup
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "a perfectly fine password 1"
NOW = dt.datetime(2026, 11, 28, 9, 0, 15, tzinfo=dt.UTC)


def _with_password(user: User) -> User:
    user.set_password(PASSWORD)
    user.save()
    return user


def _enabled(user: User) -> pyotp.TOTP:
    device = start_two_factor_setup(user)
    totp = pyotp.TOTP(device.secret)
    with time_machine.travel(NOW - dt.timedelta(minutes=5), tick=False):
        confirm_two_factor(user, code=totp.now())
    return totp


def _password_step(client: Client, user: User) -> None:
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("login_two_factor")


def test_setting_up_shows_a_key_and_a_code_turns_it_on(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    page = client.post(reverse("two_factor_setup"), {"action": "start"})
    device = TotpDevice.objects.get(user=researcher)
    response = client.post(reverse("two_factor_setup"), {"action": "confirm", "code": pyotp.TOTP(device.secret).now()})

    assert device.secret.encode() in page.content
    assert b"otpauth://totp/" in page.content
    assert response.status_code == 302
    assert TotpDevice.objects.get(user=researcher).is_confirmed
    assert AuditEvent.objects.filter(tag="user:two_factor_enabled", actor=researcher).exists()


def test_a_wrong_code_does_not_turn_it_on(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    client.post(reverse("two_factor_setup"), {"action": "start"})

    response = client.post(reverse("two_factor_setup"), {"action": "confirm", "code": "000000"})

    assert response.status_code == 400
    assert b"That code is not right" in response.content
    assert not TotpDevice.objects.get(user=researcher).is_confirmed


def test_sign_in_asks_for_the_code_and_signs_in_only_with_it(client: Client, researcher: User) -> None:
    totp = _enabled(_with_password(researcher))

    with time_machine.travel(NOW, tick=False):
        _password_step(client, researcher)
        between = client.get(reverse("profile"))
        wrong = client.post(reverse("login_two_factor"), {"code": "123456"})
        right = client.post(reverse("login_two_factor"), {"code": totp.now()})

    assert between.status_code == 302  # not signed in after the password alone
    assert wrong.status_code == 400
    assert right.status_code == 302
    assert client.get(reverse("profile")).status_code == 200


def test_a_code_works_only_once(client: Client, researcher: User) -> None:
    totp = _enabled(_with_password(researcher))
    with time_machine.travel(NOW, tick=False):
        code = totp.now()
        _password_step(client, researcher)
        client.post(reverse("login_two_factor"), {"code": code})
        other = Client()
        _password_step(other, researcher)

        replay = other.post(reverse("login_two_factor"), {"code": code})

    assert replay.status_code == 400


def test_wrong_codes_are_rate_limited(client: Client, researcher: User) -> None:
    totp = _enabled(_with_password(researcher))
    with time_machine.travel(NOW, tick=False):
        _password_step(client, researcher)
        for _ in range(5):
            client.post(reverse("login_two_factor"), {"code": "000000"})

        response = client.post(reverse("login_two_factor"), {"code": totp.now()})

    assert b"Too many wrong codes" in response.content
    assert client.get(reverse("profile")).status_code == 302


def test_the_code_page_without_a_password_step_goes_back_to_sign_in(client: Client) -> None:
    response = client.get(reverse("login_two_factor"))

    assert response["Location"] == reverse("login")


def test_turning_it_off_needs_a_code(client: Client, researcher: User) -> None:
    totp = _enabled(researcher)
    client.force_login(researcher)

    with time_machine.travel(NOW, tick=False):
        refused = client.post(reverse("two_factor_setup"), {"action": "disable", "code": "111111"})
        done = client.post(reverse("two_factor_setup"), {"action": "disable", "code": totp.now()})

    assert refused.status_code == 400
    assert done.status_code == 302
    assert not TotpDevice.objects.filter(user=researcher).exists()


def test_a_second_setup_while_on_is_refused(researcher: User) -> None:
    _enabled(researcher)

    with pytest.raises(RuleViolation, match="already on"):
        start_two_factor_setup(researcher)


# Staff


def test_staff_without_two_factor_are_sent_to_set_it_up(client: Client, analyst: User, settings: Settings) -> None:
    settings.ACCOUNTS_REQUIRE_STAFF_TWO_FACTOR = True
    client.force_login(analyst)

    page = client.get(reverse("report_queue"))
    api = client.get("/api/v1/reports")
    setup = client.get(reverse("two_factor_setup"))

    assert page["Location"] == reverse("two_factor_setup")
    assert api.status_code == 403
    assert setup.status_code == 200


def test_staff_with_two_factor_work_normally(client: Client, analyst: User, settings: Settings) -> None:
    settings.ACCOUNTS_REQUIRE_STAFF_TWO_FACTOR = True
    _enabled(analyst)
    client.force_login(analyst)

    assert client.get(reverse("report_queue")).status_code == 200


def test_researchers_are_not_forced(client: Client, researcher: User, settings: Settings) -> None:
    settings.ACCOUNTS_REQUIRE_STAFF_TWO_FACTOR = True
    client.force_login(researcher)

    assert client.get(reverse("home")).status_code == 200


def test_production_requires_it_by_default() -> None:
    import subprocess  # noqa: PLC0415 -- only this test starts a process
    import sys  # noqa: PLC0415

    code = "from django.conf import settings; print(settings.ACCOUNTS_REQUIRE_STAFF_TWO_FACTOR)"
    env = {
        "VULNDESK_MODE": "production",
        "VULNDESK_SECRET_KEY": "k" * 10 + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
        "VULNDESK_ALLOWED_HOSTS": "psirt.example",
        "VULNDESK_BASE_URL": "https://psirt.example",
        "DATABASE_URL": "postgresql://x@127.0.0.1/x",
        "DJANGO_SETTINGS_MODULE": "vulndesk.config.settings",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(  # noqa: S603 -- our own interpreter and fixed code
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == "True"
