import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from vulndesk.accounts.models import ApiToken, User
from vulndesk.accounts.services import authenticate_token, issue_token, revoke_token
from vulndesk.core.models import AuditEvent


def test_issued_token_authenticates_its_user(analyst: User) -> None:
    issued = issue_token(analyst, name="CI export", actor=analyst)

    assert authenticate_token(issued.secret) == analyst


def test_only_a_hash_and_a_visible_prefix_are_stored(analyst: User) -> None:
    issued = issue_token(analyst, name="CI export", actor=analyst)

    stored = ApiToken.objects.get()
    assert issued.secret not in {stored.token_hash, stored.prefix, stored.name}
    assert issued.secret.startswith(stored.prefix)
    assert len(stored.prefix) == 10


def test_revoked_token_no_longer_authenticates(analyst: User) -> None:
    issued = issue_token(analyst, name="CI export", actor=analyst)

    revoke_token(issued.token, actor=analyst)

    assert authenticate_token(issued.secret) is None
    assert AuditEvent.objects.filter(tag="token:revoked").count() == 1


def test_expired_token_no_longer_authenticates(analyst: User) -> None:
    issued = issue_token(analyst, name="short", actor=analyst, lifetime=dt.timedelta(days=1))

    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert authenticate_token(issued.secret) is None


def test_deactivated_user_token_no_longer_authenticates(analyst: User) -> None:
    issued = issue_token(analyst, name="CI export", actor=analyst)
    analyst.is_active = False
    analyst.save()

    assert authenticate_token(issued.secret) is None


@pytest.mark.parametrize("secret", ["", "vd_", "vd_not-a-real-token", "Bearer something"])
def test_unknown_secrets_do_not_authenticate(analyst: User, secret: str) -> None:
    issue_token(analyst, name="CI export", actor=analyst)

    assert authenticate_token(secret) is None


def test_last_used_time_is_kept(analyst: User) -> None:
    issued = issue_token(analyst, name="CI export", actor=analyst)

    authenticate_token(issued.secret)

    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None
