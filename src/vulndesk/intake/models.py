"""A researcher's report, as received, and the states it moves through."""

import hashlib
import re
import uuid
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from vulndesk.catalog.models import Product
from vulndesk.core.models import StatefulModel
from vulndesk.core.permissions import Permission, is_staff_role
from vulndesk.core.taxonomy import ImpactType

if TYPE_CHECKING:
    from vulndesk.accounts.models import User

CWE_PATTERN = re.compile(r"^CWE-[1-9][0-9]{0,5}$")


def validate_cwe(value: str) -> None:
    if value and not CWE_PATTERN.match(value):
        raise ValidationError(f"{value!r} is not a CWE id; write it like CWE-79.")


def hash_tracking_token(token: str) -> str:
    """Tracking links are long random secrets; only their hash is stored, like API tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


# The audit tag of `intake.services.update_public_progress`; the researcher's timeline reads these events.
PUBLIC_PROGRESS_CHANGED = "report:public_progress_changed"


class CreditPreference(models.TextChoices):
    NAME = "name", "My name"
    HANDLE = "handle", "My handle"
    ANONYMOUS = "anonymous", "Do not credit me"


class Source(models.TextChoices):
    WEB = "web", "Web form"
    API = "api", "API"
    MAIL = "mail", "Email"


class Report(StatefulModel):
    class State(models.TextChoices):
        NEW = "new", "New"
        TRIAGING = "triaging", "Triaging"
        NEEDS_INFO = "needs_info", "Needs info"
        VALIDATING = "validating", "Validating"
        CONFIRMED = "confirmed", "Confirmed"
        FIXED = "fixed", "Fixed and published"
        DUPLICATE = "duplicate", "Duplicate"
        NOT_REPRODUCIBLE = "not_reproducible", "Not reproducible"
        NOT_VULNERABILITY = "not_vulnerability", "Not a vulnerability"
        OUT_OF_SCOPE = "out_of_scope", "Out of scope"
        WONT_FIX = "wont_fix", "Won't fix"
        SPAM = "spam", "Spam"
        DISPUTED = "disputed", "Disputed"

    S = State
    CLOSED_STATES: ClassVar[frozenset[str]] = frozenset(
        {S.DUPLICATE, S.NOT_REPRODUCIBLE, S.NOT_VULNERABILITY, S.OUT_OF_SCOPE, S.WONT_FIX, S.SPAM, S.DISPUTED}
    )
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        S.NEW: frozenset({S.TRIAGING, S.DUPLICATE, S.SPAM, S.OUT_OF_SCOPE}),
        S.TRIAGING: frozenset({S.NEEDS_INFO, S.VALIDATING} | CLOSED_STATES),
        S.NEEDS_INFO: frozenset({S.TRIAGING, S.VALIDATING} | CLOSED_STATES),
        S.VALIDATING: frozenset({S.CONFIRMED, S.NEEDS_INFO} | CLOSED_STATES),
        # Confirmed reports leave only through publication (fixed) or a servicing decision.
        S.CONFIRMED: frozenset({S.FIXED, S.WONT_FIX, S.DUPLICATE}),
        S.FIXED: frozenset(),
        # A closed report can be reopened into triage when new information arrives.
        S.DUPLICATE: frozenset({S.TRIAGING}),
        S.NOT_REPRODUCIBLE: frozenset({S.TRIAGING}),
        S.NOT_VULNERABILITY: frozenset({S.TRIAGING}),
        S.OUT_OF_SCOPE: frozenset({S.TRIAGING}),
        S.WONT_FIX: frozenset({S.TRIAGING}),
        S.DISPUTED: frozenset({S.TRIAGING}),
        S.SPAM: frozenset(),
    }
    # What the researcher is shown, in the words of the disclosure policy: Received, In review,
    # Confirmed, Fix in progress, Fix released, or Closed with the reason. Internal detail
    # (validating vs triaging) stays internal. Needs info adds what the researcher must do,
    # since the report waits for them (docs/decisions/0005). Messaging announces a change of
    # these words in the researcher's thread.
    RESEARCHER_STATUS: ClassVar[dict[str, str]] = {
        S.NEW: "Received",
        S.TRIAGING: "In review",
        S.NEEDS_INFO: "In review: waiting for your reply",
        S.VALIDATING: "In review",
        S.CONFIRMED: "Confirmed",
        S.FIXED: "Fix released",
        S.DUPLICATE: "Closed: duplicate of an earlier report",
        S.NOT_REPRODUCIBLE: "Closed: could not reproduce",
        S.NOT_VULNERABILITY: "Closed: not a vulnerability",
        S.OUT_OF_SCOPE: "Closed: out of scope",
        S.WONT_FIX: "Closed: will not be fixed in a security update",
        S.SPAM: "Closed: marked as spam",
        S.DISPUTED: "Closed: we disagree on the finding (see our explanation)",
    }
    # A confirmed report whose case is being remediated (`is_fix_in_progress`).
    FIX_IN_PROGRESS_STATUS: ClassVar[str] = "Fix in progress"
    audit_resource = "report"

    researcher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports")
    title = models.CharField(max_length=200)
    description = models.TextField()
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    product_other = models.CharField(
        max_length=200, blank=True, help_text="The product as the researcher named it, when not in the catalog."
    )
    affected_versions = models.CharField(max_length=300, blank=True, help_text="As the researcher gave them.")
    impact_type = models.CharField(max_length=16, choices=ImpactType.choices, blank=True)
    cwe = models.CharField(max_length=12, blank=True, validators=[validate_cwe])
    suggested_cvss_vector = models.CharField(max_length=200, blank=True)
    steps_to_reproduce = models.TextField(blank=True)
    proof_of_concept = models.TextField(blank=True, help_text="Code, requests or commands that show the problem.")
    is_public = models.BooleanField(default=False, help_text="The researcher says it is already publicly known.")
    is_exploited = models.BooleanField(default=False, help_text="The researcher says it is exploited in the wild.")
    planned_disclosure_on = models.DateField(null=True, blank=True, help_text="When the researcher intends to publish.")
    disclosure_plans = models.TextField(blank=True, help_text="Talk, paper or blog post the researcher plans.")
    credit_preference = models.CharField(max_length=16, choices=CreditPreference.choices, default=CreditPreference.NAME)
    credit_name = models.CharField(max_length=150, blank=True, help_text="The name or handle to credit.")
    policy_accepted_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)
    # Anonymous submissions: where to write back (optional) and the hash of the secret tracking link.
    contact_email = models.EmailField(blank=True)
    tracking_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Hash of who sent it and its normalised text: the same report sent twice within minutes is one report.
    submission_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    state = models.CharField(max_length=32, choices=State.choices, default=State.NEW)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates")
    # Triage bookkeeping: staff-only, never shown to the researcher.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_reports"
    )
    is_low_signal = models.BooleanField(default=False, help_text="Staff-only flag for low-quality submissions.")
    priority = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0 (P0, most urgent) to 4 (P4); set by scoring, drives queue order."
    )
    # What the researcher may know of the case the report joined. intake cannot read triage's
    # cases (dependencies run core <- intake <- triage), so triage's services keep this projection
    # current through `intake.services.update_public_progress`; nothing else writes these fields.
    is_fix_in_progress = models.BooleanField(
        default=False,
        help_text="Projection owned by triage's services: the report's case is being remediated.",
    )
    agreed_disclosure_on = models.DateField(
        null=True,
        blank=True,
        help_text="Projection owned by triage's services: the disclosure date agreed on the report's case.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "product", "created_at"], name="report_queue_idx"),
            models.Index(fields=["researcher", "created_at"], name="report_researcher_idx"),
        ]

    def __str__(self) -> str:
        return f"VD-R{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("report_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"VD-R{self.pk}"

    @classmethod
    def researcher_status_of(cls, state: str, *, is_fix_in_progress: bool) -> str:
        """The researcher's words for a report in `state` (see RESEARCHER_STATUS)."""
        if state == cls.State.CONFIRMED and is_fix_in_progress:
            return cls.FIX_IN_PROGRESS_STATUS
        return cls.RESEARCHER_STATUS[state]

    @property
    def researcher_status(self) -> str:
        return self.researcher_status_of(self.state, is_fix_in_progress=self.is_fix_in_progress)

    @property
    def is_anonymous(self) -> bool:
        return bool(self.tracking_token_hash)

    @property
    def reply_address(self) -> str:
        """Where mail about this report goes: the account's email, or an anonymous reporter's contact (maybe none)."""
        return self.contact_email if self.is_anonymous else self.researcher.email

    @property
    def credit_line(self) -> str:
        """How the researcher asked to be credited; empty when they asked not to be."""
        if self.credit_preference == CreditPreference.ANONYMOUS:
            return ""
        return self.credit_name

    @property
    def is_closed(self) -> bool:
        return self.state in self.CLOSED_STATES or self.state == self.State.FIXED

    def permits(self, user: "User", permission: Permission) -> bool:
        # Staff roles that hold a report permission see every report; a researcher only their own.
        return is_staff_role(user) or self.researcher_id == user.pk


def attachment_path(instance: "Attachment", filename: str) -> str:
    # A random name: the researcher's file name is kept in the database, never used on disk.
    return f"attachments/{instance.sha256[:2]}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file a researcher sent with a report. Kept in the data folder; served only as a download."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, help_text="What the content is (intake.filetypes), not what the name says.")
    media_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.report.reference})"

    def permits(self, user: "User", permission: Permission) -> bool:
        return self.report.permits(user, permission)


class DisclosurePolicy(models.Model):
    """One version of the public disclosure policy. Edits add a version; the newest is in force."""

    body = models.TextField(help_text="Markdown.")
    change_note = models.CharField(max_length=300, help_text="What changed, for the history.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "disclosure policies"

    def __str__(self) -> str:
        return f"Disclosure policy of {self.created_at:%Y-%m-%d}"


class InboundMail(models.Model):
    """Every message the security mailbox received, kept whole, with what became of it.

    Nothing sent to the mailbox is dropped: a message that could not be read, decrypted or
    filed stays here as `quarantined`, with the reason, for staff to look at.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"  # stored, not yet processed (or processing crashed)
        REPORT = "report", "Filed as a report"
        REPLY = "reply", "Handed on as a reply"
        QUARANTINED = "quarantined", "Quarantined"

    class Signature(models.TextChoices):
        UNSIGNED = "unsigned", "Not signed"
        VALID = "valid", "Valid signature"
        BAD = "bad", "Bad signature"
        UNKNOWN_KEY = "unknown_key", "Signed with a key we do not have"

    raw = models.BinaryField()
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    reason = models.TextField(blank=True)
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mail")
    was_encrypted = models.BooleanField(default=False)
    signature = models.CharField(max_length=16, choices=Signature.choices, default=Signature.UNSIGNED)
    signer = models.CharField(max_length=100, blank=True, help_text="Fingerprint or key id of the signing key.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_mail_status_idx")]

    def __str__(self) -> str:
        return f"mail from {self.from_address or 'unknown sender'}: {self.subject or '(no subject)'}"
