"""Cases: confirmed reports grouped into the unit a response team remediates and discloses."""

import datetime as dt
from typing import TYPE_CHECKING, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from vulndesk.catalog.models import Team
from vulndesk.core.models import StatefulModel, TimestampedModel
from vulndesk.core.permissions import Permission, is_staff_role
from vulndesk.core.taxonomy import Severity
from vulndesk.intake.models import Report
from vulndesk.lib.calendars import is_known_country

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
    disclosure_date = models.DateField(
        null=True,
        blank=True,
        help_text="The coordinated disclosure date agreed with the researchers; change it with set_disclosure_date.",
    )

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


# --- SLA clocks: calendars and targets --------------------------------------------------------


class SlaClock(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    TRIAGE = "triage", "Triage"
    FIX = "fix", "Fix"
    RELEASE = "release", "Release"


def _default_weekend() -> list[int]:
    return [5, 6]


class SlaCalendar(TimestampedModel):
    """Business days of one team (or of everyone, when it is the default): weekends, holidays, time zone."""

    name = models.CharField(max_length=120, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA name, e.g. Europe/Berlin.")
    weekend_days = models.JSONField(
        default=_default_weekend, help_text="ISO weekday numbers minus one: 0 Monday … 5 Saturday, 6 Sunday."
    )
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 country code whose public holidays are days off, e.g. DE."
    )
    subdivision = models.CharField(max_length=10, blank=True, help_text="Optional state or province, e.g. BY.")
    is_default = models.BooleanField(default=False, help_text="Used for teams without a calendar of their own.")
    teams = models.ManyToManyField(Team, blank=True, related_name="sla_calendars")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="sla_calendar_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = f"{self.timezone!r} is not an IANA time zone; write it like Europe/Berlin."
        if self.country and not is_known_country(self.country):
            errors["country"] = f"No public holiday data for {self.country!r}; use an ISO code like DE or US."
        days = self.weekend_days
        if not isinstance(days, list) or not all(isinstance(day, int) and 0 <= day <= 6 for day in days):
            errors["weekend_days"] = "List weekday numbers from 0 (Monday) to 6 (Sunday), e.g. [5, 6]."
        elif len(set(days)) == 7:
            errors["weekend_days"] = "At least one day of the week must be a business day."
        if errors:
            raise ValidationError(errors)


class SlaHoliday(models.Model):
    """A custom day off (company shutdown, local holiday), on top of the country's public holidays."""

    calendar = models.ForeignKey(SlaCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_once_per_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaTarget(models.Model):
    """How long a clock may run, per clock and (for fix) severity; rows override the built-in defaults."""

    class Unit(models.TextChoices):
        BUSINESS_DAYS = "business_days", "business days"
        CALENDAR_DAYS = "calendar_days", "calendar days"

    clock = models.CharField(max_length=32, choices=SlaClock.choices)
    severity = models.CharField(
        max_length=16, choices=Severity.choices, blank=True, help_text="Empty: any severity (or severity unknown)."
    )
    # Fix clock: a case's priority (its reports' Report.priority, set by scoring) wins over severity.
    priority = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=[(level, f"P{level}") for level in range(5)],
        help_text="Fix clock only: the target for cases of this priority; leave severity empty.",
    )
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.BUSINESS_DAYS)
    at_risk_percent = models.PositiveSmallIntegerField(
        default=75, help_text="The clock is at risk once this share of the target is used."
    )

    class Meta:
        ordering = ["clock", "priority", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "severity"],
                condition=models.Q(priority__isnull=True),
                name="sla_target_once_per_clock",
            ),
            models.UniqueConstraint(
                fields=["clock", "priority"],
                condition=models.Q(priority__isnull=False),
                name="sla_target_once_per_priority",
            ),
            models.CheckConstraint(
                condition=models.Q(priority__isnull=True) | models.Q(priority__lte=4, severity="", clock="fix"),
                name="sla_target_priority_alone_for_fix",
                violation_error_message="A priority target is for the fix clock, without a severity.",
            ),
        ]

    def __str__(self) -> str:
        which = f"P{self.priority}" if self.priority is not None else self.severity or "any"
        return f"{self.get_clock_display()} {which}: {self.amount} {self.get_unit_display()}"


class SlaWarning(models.Model):
    """A warning sent that a clock is about to breach; one per clock and due time, so the task is idempotent."""

    content_type = models.CharField(max_length=16, help_text="report or case")
    object_id = models.BigIntegerField()
    clock = models.CharField(max_length=32, choices=SlaClock.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "clock", "due_at"], name="sla_warning_once_per_due_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type} {self.object_id} {self.clock} due {self.due_at:%Y-%m-%d %H:%M}"


SlaStatusValue = Literal["on_track", "at_risk", "breached", "paused", "stopped"]


class ReportSla(models.Model):
    """Where a report's most pressing running clock stands, kept so the queue can filter and sort by it in SQL.

    Only the moments matter: status at any time follows from `now` against `at_risk_at` and
    `due_at`, so the row changes only when the report moves (or calendars and targets change,
    which `vulndesk triage warn-breaches` picks up on its next run).
    """

    report = models.OneToOneField(Report, primary_key=True, on_delete=models.CASCADE, related_name="sla")
    clock = models.CharField(max_length=32, choices=SlaClock.choices, blank=True, help_text="Empty: no clock runs.")
    at_risk_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    is_paused = models.BooleanField(default=False)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="report_sla_due_idx")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.clock or 'stopped'} due {self.due_at}"

    def status_at(self, now: dt.datetime) -> "SlaStatusValue":
        """on_track, at_risk, breached, paused, or stopped (no clock runs); the queue's SLA filter in Python."""
        if not self.clock:
            return "stopped"
        if self.is_paused:
            return "paused"
        if self.due_at is not None and self.due_at <= now:
            return "breached"
        if self.at_risk_at is not None and self.at_risk_at <= now:
            return "at_risk"
        return "on_track"

    @property
    def clock_label(self) -> str:
        return SlaClock(self.clock).label if self.clock else ""


# --- Assignment and saved queue views -------------------------------------------------------------


class DutyPeriod(models.Model):
    """Days an analyst is on triage duty; automatic assignment picks only among people on duty."""

    analyst = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_periods")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Inclusive.")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_on", "analyst_id"]
        indexes = [models.Index(fields=["starts_on", "ends_on"], name="duty_period_days_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="duty_period_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.analyst} on duty {self.starts_on} to {self.ends_on}"


class RoundRobinCursor(models.Model):
    """Who got the last round-robin assignment; one row, locked while picking the next person."""

    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"round robin after {self.last_assignee}"


class SavedQueueView(TimestampedModel):
    """A named set of queue filters one person keeps, stored as the queue's query string."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queue_views")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True, help_text="e.g. state=new&product=browser&sort=sla_due")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_queue_view_unique_name")]

    def __str__(self) -> str:
        return self.name


class SlaSweep(models.Model):
    """How far (by report id) new reports have been given SLA snapshots; one row."""

    last_report_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"SLA snapshots up to report {self.last_report_id}"


class DuplicateCredit(models.Model):
    """Who gets the credit when a report is closed as a duplicate: the first valid report, unless an analyst says otherwise."""

    duplicate = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="duplicate_credit")
    credited = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True, help_text="Why the credit goes where it does, when not to the first report.")
    decided_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.duplicate_id} credited to {self.credited_id}"


# --- Validation -------------------------------------------------------------------------------------


class Validation(TimestampedModel):
    """One attempt to reproduce a report: where, on what, how, with what result, and how long it took."""

    class Result(models.TextChoices):
        REPRODUCED = "reproduced", "Reproduced"
        PARTIALLY = "partially", "Partially reproduced"
        NOT_REPRODUCED = "not_reproduced", "Not reproduced"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="validations")
    analyst = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="validations")
    environment = models.CharField(max_length=300, help_text="e.g. Windows Server 2022, default configuration.")
    version_tried = models.CharField(
        max_length=120, help_text="Product version or build tried, e.g. 2.1.4 (build 881)."
    )
    steps = models.TextField(blank=True, help_text="What was done, when it differs from the researcher's steps.")
    result = models.CharField(max_length=16, choices=Result.choices)
    minutes_spent = models.PositiveIntegerField(default=0)
    evidence = models.ManyToManyField(
        "intake.Attachment", blank=True, related_name="+", help_text="The report's attachments that show the result."
    )
    shared_with = models.ManyToManyField(
        Team, blank=True, related_name="shared_validations", help_text="Engineering teams asked to confirm it."
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.get_result_display()} on {self.version_tried}"


class ValidationReply(TimestampedModel):
    """An engineering team's answer to a validation shared with it: confirmed, not confirmed, or a comment.

    Analysts see every reply; a team's members see their own team's; researchers never see any.
    """

    class Verdict(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        NOT_CONFIRMED = "not_confirmed", "Could not confirm"
        COMMENT = "comment", "Comment"

    validation = models.ForeignKey(Validation, on_delete=models.CASCADE, related_name="replies")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", help_text="The team answering.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    body = models.TextField(blank=True, help_text="What the team found; required unless it simply confirms.")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.team} on validation {self.validation_id}: {self.get_verdict_display()}"
