"""Fixes: one per vulnerability and affected product version, owned by an engineering team."""

from typing import TYPE_CHECKING, ClassVar

from django.db import models

from vulndesk.catalog.models import ProductVersion, Team
from vulndesk.core.models import StatefulModel
from vulndesk.core.permissions import Permission, Role, is_staff_role
from vulndesk.scoring.models import Vulnerability

if TYPE_CHECKING:
    from vulndesk.accounts.models import User


class Fix(StatefulModel):
    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        READY = "ready", "Ready for release"
        RELEASED = "released", "Released"
        WONT_FIX = "wont_fix", "Won't fix"

    S = State
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        S.PLANNED: frozenset({S.IN_PROGRESS, S.WONT_FIX}),
        S.IN_PROGRESS: frozenset({S.READY, S.PLANNED, S.WONT_FIX}),
        S.READY: frozenset({S.RELEASED, S.IN_PROGRESS}),
        S.RELEASED: frozenset(),
        S.WONT_FIX: frozenset({S.PLANNED}),
    }
    audit_resource = "fix"

    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.PROTECT, related_name="fixes")
    product_version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="fixes")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="fixes")
    state = models.CharField(max_length=32, choices=State.choices, default=State.PLANNED)
    # A string reference: releases come later in the lifecycle and point back at their fixes.
    target_release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.PROTECT, related_name="fixes"
    )
    fixed_version = models.CharField(max_length=64, blank=True, help_text="The build or version that carries the fix.")

    class Meta:
        ordering = ["vulnerability_id", "product_version_id"]
        verbose_name_plural = "fixes"
        constraints = [
            models.UniqueConstraint(fields=["vulnerability", "product_version"], name="fix_per_vulnerability_version")
        ]

    def __str__(self) -> str:
        return f"Fix for {self.vulnerability.reference} in {self.product_version}"

    def permits(self, user: "User", permission: Permission) -> bool:
        if not is_staff_role(user):
            return False
        # Engineers may update only their own teams' fixes.
        if permission == Permission.FIX_UPDATE and user.role == Role.ENGINEER:
            return self.team.members.filter(pk=user.pk).exists()
        return True
