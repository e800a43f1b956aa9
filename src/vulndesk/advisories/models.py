"""Security advisories: what the world reads once a fix ships."""

from typing import TYPE_CHECKING, ClassVar

from django.db import models

from vulndesk.core.models import StatefulModel
from vulndesk.core.permissions import Permission, is_staff_role
from vulndesk.releases.models import Release
from vulndesk.scoring.models import Vulnerability

if TYPE_CHECKING:
    from vulndesk.accounts.models import User


class AdvisoryQuerySet(models.QuerySet["Advisory"]):
    def published(self) -> "AdvisoryQuerySet":
        return self.filter(state=Advisory.State.PUBLISHED, published_at__isnull=False)


class Advisory(StatefulModel):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"

    S = State
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        S.DRAFT: frozenset({S.APPROVED}),
        # Approval is withdrawn by sending it back to draft; published advisories are revised, not unpublished.
        S.APPROVED: frozenset({S.PUBLISHED, S.DRAFT}),
        S.PUBLISHED: frozenset(),
    }
    audit_resource = "advisory"

    identifier = models.CharField(max_length=32, unique=True, help_text="Public id, e.g. VDSA-2026-0001.")
    title = models.CharField(max_length=200)
    summary = models.TextField()
    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.PROTECT, related_name="advisories")
    vulnerabilities = models.ManyToManyField(Vulnerability, related_name="advisories")
    state = models.CharField(max_length=32, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = AdvisoryQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at", "-id"]
        verbose_name_plural = "advisories"

    def __str__(self) -> str:
        return f"{self.identifier} {self.title}"

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    def permits(self, user: "User", permission: Permission) -> bool:
        return is_staff_role(user)
