"""Threads on reports and cases: who said what, in which channel, and every earlier version of it.

A message lives in exactly one channel of exactly one report or case. The channel decides who
may ever read it; `vulndesk.messaging.selectors` is the only way messages are read, and it
filters by channel before anything else.
"""

import uuid

from django.conf import settings
from django.db import models

from vulndesk.intake.models import Report
from vulndesk.triage.models import Case


class Channel(models.TextChoices):
    # The researcher and the PSIRT; every message here is also mailed to the researcher.
    RESEARCHER = "researcher", "Researcher thread"
    # PSIRT staff only. Never shown to, mailed to or counted for anyone outside.
    INTERNAL = "internal", "Internal notes"
    # One per invited organization on a case: its members and the PSIRT, nobody else.
    PARTNER = "partner", "Partner channel"


class Message(models.Model):
    class Kind(models.TextChoices):
        POST = "post", "Message"
        # Written by vulndesk itself (status changes and other researcher-visible events).
        EVENT = "event", "Event"

    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.POST)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    body = models.TextField(help_text="Markdown as written.")
    body_html = models.TextField(help_text="The body rendered and sanitised; what every page shows.")
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies", help_text="Same thread only."
    )
    partner_organization = models.ForeignKey(
        "PartnerOrganization", null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["report", "channel", "created_at"], name="message_report_thread_idx"),
            models.Index(fields=["case", "channel", "created_at"], name="message_case_thread_idx"),
            models.Index(fields=["case", "partner_organization", "created_at"], name="message_partner_channel_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(report__isnull=False, case__isnull=True)
                | models.Q(report__isnull=True, case__isnull=False),
                name="message_on_report_or_case",
            ),
            # Researcher threads belong to one report (one researcher); a case has many.
            models.CheckConstraint(
                condition=~models.Q(channel="researcher") | models.Q(report__isnull=False),
                name="message_researcher_thread_on_report",
            ),
            # A partner channel is one organization's, on one case; no other message names one.
            models.CheckConstraint(
                condition=(
                    models.Q(channel="partner") & models.Q(case__isnull=False, partner_organization__isnull=False)
                )
                | (~models.Q(channel="partner") & models.Q(partner_organization__isnull=True)),
                name="message_partner_channel_on_case",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.thread_reference} ({self.channel})"

    @property
    def thread_reference(self) -> str:
        return f"VD-R{self.report_id}" if self.report_id else f"VD-C{self.case_id}"

    @property
    def is_event(self) -> bool:
        return self.kind == self.Kind.EVENT


def message_attachment_path(instance: "MessageAttachment", filename: str) -> str:
    # A random name in the data folder (outside the web root): the sender's file name is kept
    # in the database and only ever offered as the download's name.
    return f"message-attachments/{instance.sha256[:2]}/{uuid.uuid4().hex}"


class MessageAttachment(models.Model):
    """A file sent with a message. Whoever may read the message's channel may download it, nobody else.

    The same rules as report attachments (intake.services.check_upload) decide what is accepted.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=message_attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, help_text="What the content is (intake.filetypes), not what the name says.")
    media_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.original_name} on message #{self.message_id}"


class MessageRevision(models.Model):
    """An earlier text of an edited message, kept so an edit never rewrites what was said."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    body_html = models.TextField()
    written_at = models.DateTimeField(help_text="When this text was written (the message's or the previous edit's).")
    replaced_at = models.DateTimeField(auto_now_add=True)
    replaced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["written_at", "id"]

    def __str__(self) -> str:
        return f"revision of #{self.message_id} written {self.written_at:%Y-%m-%d %H:%M}"


class MailPreference(models.Model):
    """How one person wants to hear from vulndesk by email."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_preference")
    is_report_mail_off = models.BooleanField(
        default=False, help_text="Researchers: do not email me messages on my reports (they stay on the portal)."
    )
    openpgp_public_key = models.TextField(
        blank=True, help_text="ASCII-armored OpenPGP public key; mail is encrypted to it."
    )
    openpgp_fingerprint = models.CharField(max_length=64, blank=True)
    notification_delivery = models.CharField(
        max_length=16,
        choices=[("immediately", "Immediately"), ("digest", "Daily digest"), ("off", "Off")],
        default="immediately",
        help_text="Staff: how notifications reach you by email. They always appear in vulndesk.",
    )

    def __str__(self) -> str:
        return f"mail preferences of {self.user}"


class MailAddress(models.Model):
    """What vulndesk learned about one address by sending to it: a bounce stops further mail to it."""

    email = models.EmailField(unique=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "mail addresses"

    def __str__(self) -> str:
        return self.email + (" (bounced)" if self.bounced_at else "")


class OutboundMail(models.Model):
    """One email, written to this table before any attempt to send it, so none is ever lost.

    The delivery task claims a row, sends, and records the outcome; a failed attempt is retried
    with backoff until `MAX_ATTEMPTS`, and staff see each row's status.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        BOUNCED = "bounced", "Bounced"
        FAILED = "failed", "Failed"

    to_address = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField(help_text="Plain text; ASCII-armored OpenPGP when encrypted.")
    is_encrypted = models.BooleanField(default=False)
    message_id = models.CharField(max_length=200, unique=True, help_text="RFC 5322 Message-ID, without <>.")
    in_reply_to = models.CharField(max_length=200, blank=True)
    references = models.TextField(blank=True)
    reply_to_address = models.CharField(max_length=300, blank=True)
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound_mail")
    thread_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound_mail"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker owns the row until then; if it dies mid-send the row becomes due again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_mail_due_idx")]
        verbose_name_plural = "outbound mail"

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_address} ({self.status})"


class QuarantinedMail(models.Model):
    """An inbound reply vulndesk would not attach to a thread on its own; staff decide."""

    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.CASCADE, related_name="quarantined_mail")
    from_address = models.CharField(max_length=300)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    reason = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)
    released_as = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "quarantined mail"

    def __str__(self) -> str:
        return f"quarantined mail from {self.from_address}"


class Notification(models.Model):
    """Something a staff member should look at; shown in vulndesk and mailed per their preference.

    The text names who did what where, never the content of an internal note, so that
    neither the page nor the mail carries confidential text.
    """

    class Kind(models.TextChoices):
        MENTION = "mention", "Mention"
        ASSIGNMENT = "assignment", "Assignment"
        REPLY = "reply", "Reply on your report or case"
        SLA_WARNING = "sla_warning", "SLA warning"
        VULNERABILITY = "vulnerability", "Exploitability or priority of a vulnerability you follow"
        VALIDATION_REPLY = "validation_reply", "An engineering team answered a validation request"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, help_text="Path inside vulndesk, e.g. /reports/12/#message-40.")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}: {self.text}"


class ResponseTemplate(models.Model):
    """A canned response: Markdown with {variables}, edited by admins, every version kept."""

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    body = models.TextField(
        help_text="Markdown. Variables: {report_id} {title} {product} {release_date} {cve} {researcher_name} {status}."
    )
    is_active = models.BooleanField(default=True, help_text="Offered to staff when they write to a researcher.")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ResponseTemplateVersion(models.Model):
    """One saved text of a template; the current one is the highest version."""

    template = models.ForeignKey(ResponseTemplate, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["template", "-version"]
        constraints = [models.UniqueConstraint(fields=["template", "version"], name="response_template_version_unique")]

    def __str__(self) -> str:
        return f"{self.template.key} v{self.version}"


class AutomaticMessage(models.Model):
    """What the researcher thread says when a report enters `state`: a template, or the plain status line when off."""

    state = models.CharField(max_length=32, choices=Report.State.choices, unique=True)
    template = models.ForeignKey(ResponseTemplate, on_delete=models.PROTECT, related_name="automatic_messages")
    is_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["state"]

    def __str__(self) -> str:
        return f"on {self.state}: {self.template.key} ({'on' if self.is_enabled else 'off'})"


class PartnerOrganization(models.Model):
    """An outside organization that coordinates with the PSIRT: another vendor, a cloud provider, a CERT."""

    class Kind(models.TextChoices):
        VENDOR = "vendor", "Vendor"
        CLOUD = "cloud", "Cloud provider"
        CERT = "cert", "National CERT / CSIRT"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.VENDOR)
    contact_email = models.EmailField(blank=True, help_text="Where invitations and reminders go besides the members.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerMember(models.Model):
    """A partner-role account and the organization it belongs to (one each)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_membership")
    organization = models.ForeignKey(PartnerOrganization, on_delete=models.CASCADE, related_name="members")

    def __str__(self) -> str:
        return f"{self.user} at {self.organization}"


class CasePartner(models.Model):
    """An organization invited to one case: what is shared with it, and whether it answered."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="partners")
    organization = models.ForeignKey(PartnerOrganization, on_delete=models.PROTECT, related_name="cases")
    shared_summary = models.TextField(
        help_text="What the partner may know of the case (Markdown); nothing else is shown."
    )
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(auto_now_add=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Access ended; history is kept.")

    class Meta:
        ordering = ["organization__name"]
        constraints = [models.UniqueConstraint(fields=["case", "organization"], name="case_partner_unique")]

    def __str__(self) -> str:
        return f"{self.organization} on VD-C{self.case_id}"

    @property
    def has_responded(self) -> bool:
        return self.first_response_at is not None


class SharedVulnerability(models.Model):
    """One vulnerability of a case shared with one invited organization.

    A partner sees only the vulnerabilities shared with it, never the rest of the case: another
    vendor may be affected by one flaw of a case and must not learn of the others.
    """

    case_partner = models.ForeignKey(CasePartner, on_delete=models.CASCADE, related_name="shared")
    vulnerability = models.ForeignKey("scoring.Vulnerability", on_delete=models.CASCADE, related_name="partner_shares")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case_partner", "vulnerability"], name="shared_vulnerability_unique")
        ]
        verbose_name_plural = "shared vulnerabilities"

    def __str__(self) -> str:
        return f"VD-V{self.vulnerability_id} shared with {self.case_partner}"


class PartnerStatus(models.Model):
    """One partner's position on one vulnerability of the case (VEX-like), with their own tracking id."""

    class Status(models.TextChoices):
        UNDER_INVESTIGATION = "under_investigation", "Under investigation"
        AFFECTED = "affected", "Affected"
        NOT_AFFECTED = "not_affected", "Not affected"

    case_partner = models.ForeignKey(CasePartner, on_delete=models.CASCADE, related_name="statuses")
    vulnerability = models.ForeignKey(
        "scoring.Vulnerability", on_delete=models.CASCADE, related_name="partner_statuses"
    )
    status = models.CharField(max_length=24, choices=Status.choices)
    justification = models.TextField(
        blank=True, help_text="Required for not affected: why the product is not affected."
    )
    tracking_id = models.CharField(max_length=100, blank=True, help_text="The partner's own reference.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case_partner", "vulnerability"], name="partner_status_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="not_affected") | ~models.Q(justification=""),
                name="partner_status_not_affected_justified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_partner.organization}: {self.status}"


class Subscription(models.Model):
    """A staff member follows a product, a team or a case (or every release, with no scope).

    Followed cases show on their subscriptions page; with `wants_briefing` they also receive
    the release-day briefing for releases that touch what they follow (communications staff).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions")
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("catalog.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions")
    wants_briefing = models.BooleanField(default=False, help_text="Mail me the release-day briefing.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(product__isnull=True, team__isnull=True)
                    | models.Q(product__isnull=True, case__isnull=True)
                    | models.Q(team__isnull=True, case__isnull=True)
                ),
                name="subscription_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.product_id:
            return f"product {self.product}"
        if self.team_id:
            return f"team {self.team}"
        if self.case_id:
            return f"case VD-C{self.case_id}"
        return "every release"


class BriefingSent(models.Model):
    """One release-day briefing mailed to one person, so a re-run never sends it twice."""

    release = models.ForeignKey("releases.Release", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "user"], name="briefing_sent_unique")]

    def __str__(self) -> str:
        return f"briefing for {self.user}"
