"""What every app builds on: timestamps, state machines, the audit trail and state history."""

from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from vulndesk.core.errors import InvalidTransition


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class StatefulModel(TimestampedModel):
    """A model whose `state` may only move along `TRANSITIONS`.

    Subclasses declare `state` with choices, `TRANSITIONS` (state -> allowed next states) and
    `audit_resource` (the noun used in audit tags, e.g. "report"). Change state only through
    `vulndesk.core.services.change_state`, which locks, checks, saves and records history.
    """

    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]]
    audit_resource: ClassVar[str]
    state: Any

    class Meta:
        abstract = True

    def allowed_next_states(self) -> frozenset[str]:
        return self.TRANSITIONS.get(self.state, frozenset())

    def check_transition(self, to: str) -> None:
        if to not in self.allowed_next_states():
            raise InvalidTransition(
                kind=self.audit_resource, current=self.state, requested=to, allowed=self.allowed_next_states()
            )


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """One change to one object, who made it and why. Never updated, never deleted."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tag = models.CharField(max_length=64, db_index=True, help_text="<resource>:<event>, e.g. report:confirmed")
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True, help_text="field -> [before, after]")
    rationale = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.tag} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit trail is append-only.")


class StateInterval(models.Model):
    """A stretch of time an object spent in one state; SLA clocks and metrics read these.

    Entering a state opens an interval; leaving it sets `exited_at`. The open interval
    (`exited_at` is null) is the current state.
    """

    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.BigIntegerField()
    state = models.CharField(max_length=32)
    entered_at = models.DateTimeField()
    exited_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["entered_at", "id"]
        indexes = [models.Index(fields=["target_type", "target_id", "entered_at"], name="state_interval_target_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(exited_at__isnull=True) | models.Q(exited_at__gte=models.F("entered_at")),
                name="state_interval_exit_after_entry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.state} from {self.entered_at:%Y-%m-%d %H:%M}"
