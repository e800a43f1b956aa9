"""Writes every app shares: audit events and state changes."""

from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.core.middleware import current_request_id
from vulndesk.core.models import AuditEvent, StatefulModel, StateInterval

M = TypeVar("M", bound=StatefulModel)


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def record_event(
    target: models.Model,
    *,
    tag: str,
    actor: User | None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    rationale: str = "",
) -> AuditEvent:
    """Append one audit event; `actor` is None only for the system itself (tasks, imports)."""
    return AuditEvent.objects.create(
        actor=actor,
        tag=tag,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        changes={field: [_json_safe(before), _json_safe(after)] for field, (before, after) in (changes or {}).items()},
        rationale=rationale,
        request_id=current_request_id.get(),
    )


def enter_initial_state(obj: StatefulModel, *, actor: User | None, reason: str = "") -> None:
    """Open the first state interval of a newly created object and audit its creation."""
    StateInterval.objects.create(
        target_type=ContentType.objects.get_for_model(obj),
        target_id=obj.pk,
        state=obj.state,
        entered_at=obj.created_at,
        entered_by=actor,
        reason=reason,
    )
    record_event(obj, tag=f"{obj.audit_resource}:created", actor=actor, changes={"state": (None, obj.state)})


@transaction.atomic
def change_state(obj: M, to: str, *, actor: User | None, reason: str = "", changes: dict[str, Any] | None = None) -> M:
    """Move `obj` to state `to`, with optional other field `changes`, or raise InvalidTransition.

    The row is locked first, so two people acting at once cannot both move it from the same
    state. History and audit are written in the same transaction: all or nothing.
    """
    locked: M = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    locked.check_transition(to)
    now = timezone.now()
    before = {"state": locked.state} | {field: getattr(locked, field) for field in changes or {}}
    locked.state = to
    for field, value in (changes or {}).items():
        setattr(locked, field, value)
    locked.save(update_fields=["state", "updated_at", *(changes or {})])

    target_type = ContentType.objects.get_for_model(locked)
    StateInterval.objects.filter(target_type=target_type, target_id=locked.pk, exited_at__isnull=True).update(
        exited_at=now
    )
    StateInterval.objects.create(
        target_type=target_type, target_id=locked.pk, state=to, entered_at=now, entered_by=actor, reason=reason
    )
    record_event(
        locked,
        tag=f"{locked.audit_resource}:{to}",
        actor=actor,
        changes={field: (old, getattr(locked, field)) for field, old in before.items()},
        rationale=reason,
    )
    return locked
