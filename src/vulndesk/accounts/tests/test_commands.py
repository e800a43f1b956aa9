import io

import pytest
from django.core.management import CommandError, call_command

from vulndesk.accounts.models import ApiToken, User
from vulndesk.accounts.services import authenticate_token
from vulndesk.core.models import AuditEvent


@pytest.mark.django_db
def test_user_add_generates_and_prints_a_password() -> None:
    out = io.StringIO()

    call_command("user", "add", "New.Analyst@Example.test", "--role", "analyst", stdout=out)

    user = User.objects.get(email="new.analyst@example.test")
    password = out.getvalue().split("Password: ")[1].strip()
    assert user.role == "analyst"
    assert user.check_password(password)
    assert AuditEvent.objects.filter(tag="user:created").exists()


@pytest.mark.django_db
def test_user_add_reads_the_password_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-and-unusual-passphrase\n"))
    out = io.StringIO()

    call_command("user", "add", "eng@example.test", "--role", "engineer", "--password-stdin", stdout=out)

    assert User.objects.get(email="eng@example.test").check_password("a-long-and-unusual-passphrase")
    assert "Password:" not in out.getvalue()


@pytest.mark.django_db
def test_user_add_rejects_a_weak_password_and_creates_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("password\n"))

    with pytest.raises(CommandError, match=r"too short|too common"):
        call_command("user", "add", "eng@example.test", "--role", "engineer", "--password-stdin")

    assert not User.objects.exists()


def test_user_add_refuses_a_duplicate_email(analyst: User) -> None:
    with pytest.raises(CommandError, match="already exists"):
        call_command("user", "add", analyst.email, "--role", "analyst")


@pytest.mark.django_db
def test_user_add_refuses_an_invalid_email() -> None:
    with pytest.raises(CommandError, match="not a valid email"):
        call_command("user", "add", "not-an-email", "--role", "analyst")


def test_token_issue_prints_a_working_token_once(analyst: User) -> None:
    out = io.StringIO()

    call_command("token", "issue", analyst.email, "--name", "ci", stdout=out, stderr=io.StringIO())

    assert authenticate_token(out.getvalue().strip()) == analyst


@pytest.mark.django_db
def test_token_issue_for_unknown_user_says_how_to_fix_it() -> None:
    with pytest.raises(CommandError, match="vulndesk user add"):
        call_command("token", "issue", "nobody@example.test")


def test_token_revoke_by_prefix(analyst: User) -> None:
    out = io.StringIO()
    call_command("token", "issue", analyst.email, stdout=out, stderr=io.StringIO())
    prefix = ApiToken.objects.get().prefix

    call_command("token", "revoke", prefix, stdout=io.StringIO())

    assert authenticate_token(out.getvalue().strip()) is None


def test_token_list_shows_prefix_and_owner(analyst: User) -> None:
    call_command("token", "issue", analyst.email, stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()

    call_command("token", "list", stdout=out)

    assert ApiToken.objects.get().prefix in out.getvalue()
    assert analyst.email in out.getvalue()
