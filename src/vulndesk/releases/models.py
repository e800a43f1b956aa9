"""Security-update releases: the monthly train and out-of-band releases."""

from typing import ClassVar

from django.db import models

from vulndesk.core.models import StatefulModel


class Release(StatefulModel):
    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled (monthly)"
        OUT_OF_BAND = "out_of_band", "Out-of-band"

    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        FROZEN = "frozen", "Frozen"
        RELEASED = "released", "Released"
        CANCELLED = "cancelled", "Cancelled"

    S = State
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        S.PLANNED: frozenset({S.FROZEN, S.CANCELLED}),
        S.FROZEN: frozenset({S.RELEASED, S.PLANNED, S.CANCELLED}),
        S.RELEASED: frozenset(),
        S.CANCELLED: frozenset({S.PLANNED}),
    }
    audit_resource = "release"

    name = models.CharField(max_length=120, unique=True)
    release_date = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SCHEDULED)
    state = models.CharField(max_length=32, choices=State.choices, default=State.PLANNED)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-release_date", "-id"]

    def __str__(self) -> str:
        return self.name
