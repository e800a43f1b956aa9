"""Cases: confirmed reports grouped into the unit a response team remediates and discloses."""

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models

from vulndesk.catalog.models import Team
from vulndesk.core.models import StatefulModel
from vulndesk.core.permissions import Permission, is_staff_role
from vulndesk.intake.models import Report

if TYPE_CHECKING:
    from vulndesk.accounts.models import User


class Case(StatefulModel):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        REMEDIATING = "remediating", "Remediating"
        PUBLISHED = "published", "Published"
        CLOSED = "closed", "Closed"

    S = State
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        S.OPEN: frozenset({S.REMEDIATING, S.CLOSED}),
        S.REMEDIATING: frozenset({S.PUBLISHED, S.OPEN, S.CLOSED}),
        S.PUBLISHED: frozenset({S.CLOSED}),
        S.CLOSED: frozenset({S.OPEN}),
    }
    audit_resource = "case"

    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        help_text="The coordinator who drives the case to disclosure.",
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="cases")
    reports: "models.ManyToManyField[Report, CaseReport]" = models.ManyToManyField(
        Report, through="CaseReport", related_name="cases"
    )
    state = models.CharField(max_length=32, choices=State.choices, default=State.OPEN)
    crosses_security_boundary = models.BooleanField(null=True, blank=True)
    meets_servicing_bar = models.BooleanField(
        null=True, blank=True, help_text="Severe enough for a security update (else fixed in a future version)."
    )
    servicing_rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"VD-C{self.pk} {self.title}"

    @property
    def reference(self) -> str:
        return f"VD-C{self.pk}"

    def permits(self, user: "User", permission: Permission) -> bool:
        return is_staff_role(user)


class CaseReport(models.Model):
    """A report's place in a case; a report belongs to at most one case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_reports")
    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="case_link")
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.report.reference} in {self.case.reference}"
