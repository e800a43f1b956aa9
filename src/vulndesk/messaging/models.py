"""Threads on reports and cases: who said what, in which channel, and every earlier version of it.

A message lives in exactly one channel of exactly one report or case. The channel decides who
may ever read it; `vulndesk.messaging.selectors` is the only way messages are read, and it
filters by channel before anything else.
"""

from django.conf import settings
from django.db import models

from vulndesk.intake.models import Report
from vulndesk.triage.models import Case


class Channel(models.TextChoices):
    # The researcher and the PSIRT; every message here is also mailed to the researcher.
    RESEARCHER = "researcher", "Researcher thread"
    # PSIRT staff only. Never shown to, mailed to or counted for anyone outside.
    INTERNAL = "internal", "Internal notes"


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
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["report", "channel", "created_at"], name="message_report_thread_idx"),
            models.Index(fields=["case", "channel", "created_at"], name="message_case_thread_idx"),
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
        ]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.thread_reference} ({self.channel})"

    @property
    def thread_reference(self) -> str:
        return f"VD-R{self.report_id}" if self.report_id else f"VD-C{self.case_id}"

    @property
    def is_event(self) -> bool:
        return self.kind == self.Kind.EVENT


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
