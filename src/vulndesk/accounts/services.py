"""Creating people and their API tokens."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from vulndesk.accounts.models import ApiToken, User, hash_token
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Role
from vulndesk.core.services import record_event

TOKEN_PREFIX = "vd_"  # noqa: S105 -- a public marker, not a secret
# Don't write last_used_at on every call: once a minute is precise enough and spares the database.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


@transaction.atomic
def create_user(*, email: str, role: Role, password: str | None, actor: User | None, display_name: str = "") -> User:
    """Create an account; `password=None` leaves it unusable until a reset."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise RuleViolation(f"{email!r} is not a valid email address.", field="email") from None
    if User.objects.filter(email=email).exists():
        raise RuleViolation(f"A user with the email {email} already exists.", field="email")
    user = User(email=email, role=role, display_name=display_name)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise RuleViolation(" ".join(error.messages), field="password") from None
        user.set_password(password)
    user.save()
    record_event(user, tag="user:created", actor=actor, changes={"role": (None, role)})
    return user


@transaction.atomic
def issue_token(user: User, *, name: str, actor: User | None, lifetime: timedelta | None = None) -> IssuedToken:
    """Create a token; its secret is returned once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:10],
        token_hash=hash_token(secret),
        expires_at=timezone.now() + lifetime if lifetime else None,
    )
    record_event(token, tag="token:issued", actor=actor, changes={"name": (None, name)})
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: User | None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(token, tag="token:revoked", actor=actor, changes={"revoked_at": (None, token.revoked_at)})
    return token


def authenticate_token(secret: str) -> User | None:
    """The user a bearer secret belongs to, or None when it is unknown, revoked or expired."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.usable().select_related("user").filter(token_hash=hash_token(secret)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
