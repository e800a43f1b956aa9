"""People and their credentials. Email is the login; the role decides what they may do."""

import hashlib
from datetime import datetime
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from vulndesk.core.permissions import STAFF_ROLES, Role


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields |= {"role": Role.ADMIN, "is_superuser": True}
        return self.create_user(email, password, **fields)


class Language(models.TextChoices):
    """Languages a researcher may prefer us to write in (security.txt's Preferred-Languages lists ours)."""

    ENGLISH = "en", "English"
    GERMAN = "de", "Deutsch"
    FRENCH = "fr", "Français"
    SPANISH = "es", "Español"
    JAPANESE = "ja", "日本語"
    CHINESE = "zh", "中文"


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150, blank=True, help_text="Shown in threads and credits.")
    handle = models.CharField(max_length=60, blank=True, help_text="How to credit the researcher, e.g. @zipslip.")
    preferred_language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.RESEARCHER)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        # Staff are a handful among thousands of researchers: every page that offers "assign to"
        # looks them up by role.
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_staff(self) -> bool:
        """Django admin access: administrators only."""
        return self.role == Role.ADMIN

    @property
    def is_psirt_staff(self) -> bool:
        return self.role in STAFF_ROLES


def hash_token(secret: str) -> str:
    # Tokens are long random strings, so a fast hash is safe; a slow one would tax every API call.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token. Only its hash is stored; the prefix lets people tell tokens apart."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'CI export'.")
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_usable_at(self, now: datetime) -> bool:
        """Neither revoked nor expired, and its owner's account is active."""
        return not self.is_revoked and (self.expires_at is None or self.expires_at > now) and self.user.is_active


class TotpDevice(models.Model):
    """A person's authenticator app (RFC 6238 TOTP). Only a confirmed device guards sign-in."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp")
    # The shared secret must be readable to check codes, so it cannot be hashed; it lives in the
    # database like the session keys do, and a database leak means resetting every device.
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code works once, so an observed code cannot be replayed.
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"authenticator of {self.user}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None
