"""Researchers' own accounts: sign-up with email verification, sign-in limits, password reset, profile."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from vulndesk.accounts.models import User
from vulndesk.accounts.services import update_profile
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.permissions import Role

pytestmark = pytest.mark.django_db
SIGNUP = {"email": "New.Person@Example.test", "display_name": "New Person", "password": "correct horse battery 9"}


def _link(body: str) -> str:
    found = re.search(r"http://\S+", body)
    assert found is not None, body
    return found.group(0).removeprefix("http://127.0.0.1:8000").removeprefix("http://testserver")


def _sign_up(client: Client, capture: DjangoCaptureOnCommitCallbacks, **changes: str) -> "str":
    with capture(execute=True):
        response = client.post(reverse("signup"), SIGNUP | changes)
    return response.content.decode()


def test_sign_up_creates_an_inactive_researcher_and_mails_a_link(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    html = _sign_up(client, django_capture_on_commit_callbacks)

    user = User.objects.get()
    assert "Check your email" in html
    assert (user.email, user.role, user.is_active) == ("new.person@example.test", Role.RESEARCHER, False)
    (message,) = mail.outbox
    assert message.to == ["new.person@example.test"]
    assert "/signup/verify/" in message.body


def test_the_link_activates_the_account_and_signs_in_once(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _link(str(mail.outbox[0].body))

    first = client.get(link, follow=True)
    again = Client().get(link)

    assert User.objects.get().is_active
    assert first.context["user"].is_authenticated
    assert AuditEvent.objects.filter(tag="user:email_verified").count() == 1
    assert again.status_code == 400
    assert b"This link does not work" in again.content


def test_an_unverified_account_cannot_sign_in(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _sign_up(client, django_capture_on_commit_callbacks)

    response = client.post(reverse("login"), {"username": SIGNUP["email"], "password": SIGNUP["password"]})

    assert response.status_code == 200
    assert b"Open the link in the confirmation mail first" in response.content


def test_a_forged_link_is_refused(client: Client, researcher: User) -> None:
    response = client.get(reverse("signup_verify", args=["MQ", "bogus-token"]))

    assert response.status_code == 400


def test_signing_up_with_a_taken_address_reveals_nothing_and_tells_the_owner(
    client: Client, researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    html = _sign_up(client, django_capture_on_commit_callbacks, email=researcher.email)

    assert "Check your email" in html
    assert User.objects.count() == 1
    (message,) = mail.outbox
    assert message.to == [researcher.email]
    assert "already has one" in message.body


def test_a_weak_password_is_explained(client: Client) -> None:
    response = client.post(reverse("signup"), SIGNUP | {"password": "password"})

    assert response.status_code == 400
    assert b"This password is too common" in response.content
    assert not User.objects.exists()


def test_the_sign_up_honeypot_refuses_bots(client: Client) -> None:
    response = client.post(reverse("signup"), SIGNUP | {"website": "spam"})

    assert response.status_code == 400
    assert not User.objects.exists()


# Signing in


def test_sign_in_attempts_are_limited_per_account(client: Client, researcher: User) -> None:
    for _ in range(10):
        client.post(reverse("login"), {"username": researcher.email, "password": "wrong"})

    response = client.post(reverse("login"), {"username": researcher.email, "password": "wrong"})

    assert b"Too many sign-in attempts" in response.content


def test_even_the_right_password_waits_out_the_limit(client: Client, researcher: User) -> None:
    researcher.set_password("the right one 123")
    researcher.save()
    for _ in range(10):
        client.post(reverse("login"), {"username": researcher.email, "password": "wrong"})

    response = client.post(reverse("login"), {"username": researcher.email, "password": "the right one 123"})

    assert not response.wsgi_request.user.is_authenticated


def test_sign_in_works_under_the_limit(client: Client, researcher: User) -> None:
    researcher.set_password("the right one 123")
    researcher.save()
    client.post(reverse("login"), {"username": researcher.email, "password": "wrong"})

    response = client.post(reverse("login"), {"username": researcher.email, "password": "the right one 123"})

    assert response.status_code == 302


# Password reset


def test_password_reset_mails_a_working_link(client: Client, researcher: User) -> None:
    researcher.set_password("old password 123")
    researcher.save()

    client.post(reverse("password_reset"), {"email": researcher.email})
    link = _link(str(mail.outbox[0].body))
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand new secret 42", "new_password2": "brand new secret 42"},
    )

    researcher.refresh_from_db()
    assert researcher.check_password("brand new secret 42")


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client: Client, db: None) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@example.test"}, follow=True)

    assert b"If that address belongs to an account" in response.content
    assert mail.outbox == []


def test_password_reset_requests_are_limited(client: Client, researcher: User) -> None:
    for _ in range(10):
        client.post(reverse("password_reset"), {"email": researcher.email})

    response = client.post(reverse("password_reset"), {"email": researcher.email})

    assert response.status_code == 200
    assert b"Too many password reset requests" in response.content
    assert len(mail.outbox) == 10


# Profile


def test_researcher_edits_their_profile(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post(
        reverse("profile"), {"display_name": "Mira O.", "handle": "@mira", "preferred_language": "de"}
    )

    researcher.refresh_from_db()
    assert response.status_code == 302
    assert (researcher.display_name, researcher.handle, researcher.preferred_language) == ("Mira O.", "@mira", "de")
    assert AuditEvent.objects.filter(tag="user:profile_changed", actor=researcher).exists()


def test_profile_needs_sign_in(client: Client) -> None:
    response = client.get(reverse("profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_nobody_changes_another_persons_profile(researcher: User, outsider: User) -> None:
    with pytest.raises(RuleViolation):
        update_profile(researcher, display_name="x", handle="", preferred_language="en", actor=outsider)


def test_an_unknown_language_is_refused(researcher: User) -> None:
    with pytest.raises(RuleViolation) as error:
        update_profile(researcher, display_name="x", handle="", preferred_language="xx", actor=researcher)

    assert error.value.field == "preferred_language"
