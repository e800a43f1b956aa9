"""Creating people and their API tokens."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from vulndesk.accounts.models import ApiToken, Language, TotpDevice, User, hash_token
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Permission, Role, can
from vulndesk.core.ratelimit import count_attempt
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
    # Found by its (unique) hash alone, unordered, and checked here: the plainest query is the
    # cheapest to build, and every API call makes it (a filtered, ordered `first()` cost 70% more).
    try:
        token = ApiToken.objects.select_related("user").get(token_hash=hash_token(secret))
    except ApiToken.DoesNotExist:
        return None
    now = timezone.now()
    if not token.is_usable_at(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# Researcher self-service: sign-up with email verification, and the profile --------------------


class _VerificationTokenGenerator(PasswordResetTokenGenerator):
    """Links in verification mail; they stop working once the account is active."""

    key_salt = "vulndesk.accounts.verify-email"

    def _make_hash_value(self, user: AbstractBaseUser, timestamp: int) -> str:
        return f"{user.pk}{user.is_active}{user.password}{timestamp}"


verification_tokens = _VerificationTokenGenerator()
SIGNUPS_PER_HOUR_PER_IP = 10


def _mail(template: str, *, to: str, subject: str, context: dict[str, object]) -> None:
    body = render_to_string(template, {"organization_name": settings.ORGANIZATION_NAME, **context})
    transaction.on_commit(lambda: send_mail(subject, body, None, [to]))


@transaction.atomic
def register_researcher(*, email: str, password: str, display_name: str, client_ip: str) -> User | None:
    """Create an inactive researcher account and mail its verification link.

    For an address that already has an account nothing is created and its owner is told by
    mail instead, so the sign-up page never reveals who has an account. Returns the new user,
    or None in that case.
    """
    count_attempt(
        "signup-ip",
        client_ip,
        limit=SIGNUPS_PER_HOUR_PER_IP,
        window_seconds=3600,
        message="Too many sign-ups from your network in the last hour. Please try again later.",
    )
    email = email.strip().lower()
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        _mail(
            "accounts/mail/signup_existing.txt",
            to=email,
            subject=f"Your {settings.ORGANIZATION_NAME} account",
            context={"login_url": f"{settings.BASE_URL}/login/", "reset_url": f"{settings.BASE_URL}/password-reset/"},
        )
        return None
    user = create_user(email=email, role=Role.RESEARCHER, password=password, actor=None, display_name=display_name)
    user.is_active = False
    user.save(update_fields=["is_active"])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    _mail(
        "accounts/mail/verify_email.txt",
        to=email,
        subject=f"Confirm your email address for {settings.ORGANIZATION_NAME}",
        context={"verify_url": f"{settings.BASE_URL}/signup/verify/{uid}/{verification_tokens.make_token(user)}/"},
    )
    return user


@transaction.atomic
def verify_email(uidb64: str, token: str) -> User | None:
    """Activate the account a verification link names; None when the link is wrong, used or expired."""
    try:
        user_id = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError):
        return None
    user = User.objects.select_for_update().filter(pk=user_id, role=Role.RESEARCHER).first()
    if user is None or user.is_active or not verification_tokens.check_token(user, token):
        return None
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_event(user, tag="user:email_verified", actor=user, changes={"is_active": (False, True)})
    return user


@transaction.atomic
def update_profile(user: User, *, display_name: str, handle: str, preferred_language: str, actor: User) -> User:
    """Change what a person shows of themselves; only they (or an admin) may."""
    if actor.pk != user.pk and not can(actor, Permission.USER_MANAGE):
        raise RuleViolation("You can only change your own profile.")
    if preferred_language not in Language.values:
        raise RuleViolation(f"Unknown language {preferred_language!r}.", field="preferred_language")
    new = {"display_name": display_name.strip(), "handle": handle.strip(), "preferred_language": preferred_language}
    changes = {field: (getattr(user, field), value) for field, value in new.items() if getattr(user, field) != value}
    if changes:
        for field, (_, value) in changes.items():
            setattr(user, field, value)
        user.save(update_fields=list(changes))
        record_event(user, tag="user:profile_changed", actor=actor, changes=changes)
    return user


# Two-factor sign-in (TOTP) ---------------------------------------------------------------------

TOTP_ISSUER_MAX = 60


def has_two_factor(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def needs_two_factor_setup(user: User) -> bool:
    """Staff must have a confirmed authenticator when the deployment requires it (production default)."""
    return bool(settings.ACCOUNTS_REQUIRE_STAFF_TWO_FACTOR) and user.is_psirt_staff and not has_two_factor(user)


@transaction.atomic
def start_two_factor_setup(user: User) -> TotpDevice:
    """A fresh secret to show once; an unconfirmed earlier attempt is replaced. Refused while one is active."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.is_confirmed:
        raise RuleViolation("Two-factor sign-in is already on; turn it off first to move to a new device.")
    if device is None:
        device = TotpDevice(user=user)
    device.secret, device.last_used_step = pyotp.random_base32(), 0
    device.save()
    return device


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.email, issuer_name=settings.ORGANIZATION_NAME[:TOTP_ISSUER_MAX]
    )


def _accept_code(device: TotpDevice, code: str) -> bool:
    """True for a current code not used before; the caller holds the device row locked."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(device.secret)
    now = int(timezone.now().timestamp())
    # One step either side allows for clock drift between the phone and the server.
    for step in (now // 30, now // 30 - 1, now // 30 + 1):
        if step > device.last_used_step and secrets.compare_digest(totp.at(step * 30), code):
            device.last_used_step = step
            device.save(update_fields=["last_used_step"])
            return True
    return False


@transaction.atomic
def confirm_two_factor(user: User, *, code: str) -> TotpDevice:
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        raise RuleViolation("Start the set-up again: there is no device waiting for confirmation.")
    if not _accept_code(device, code):
        raise RuleViolation(
            "That code is not right. Check the time on your phone and type the current code.", field="code"
        )
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    record_event(user, tag="user:two_factor_enabled", actor=user)
    return device


@transaction.atomic
def check_two_factor_code(user: User, *, code: str) -> bool:
    """Sign-in's second step: True when `code` is a fresh code of the user's confirmed device."""
    count_attempt(
        "two-factor",
        str(user.pk),
        limit=5,
        window_seconds=300,
        message="Too many wrong codes. Wait five minutes and try again.",
    )
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    return device is not None and _accept_code(device, code)


@transaction.atomic
def disable_two_factor(user: User, *, code: str) -> None:
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise RuleViolation("Two-factor sign-in is not on.")
    if not _accept_code(device, code):
        raise RuleViolation("That code is not right; type the current code from your app.", field="code")
    device.delete()
    record_event(user, tag="user:two_factor_disabled", actor=user)
