"""API shapes of triage: report transitions and cases."""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, WithJsonSchema

from vulndesk.core.api import Page, PageParams
from vulndesk.core.taxonomy import Severity
from vulndesk.intake.models import Report
from vulndesk.intake.schemas import ReportOut, ReportState, ResearcherReportOut
from vulndesk.triage.clocks import Clock, case_clocks
from vulndesk.triage.duplicates import Candidate
from vulndesk.triage.models import Case, ReportSla, SlaStatusValue, Validation, ValidationReply
from vulndesk.triage.selectors import QueueFilters

# Inline, like ReportState: every model calls its enum `State`, and OpenAPI components are keyed by name.
CaseState = Annotated[Case.State, WithJsonSchema({"type": "string", "enum": list(Case.State.values)})]


class ReportTransitionIn(Schema):
    to: ReportState
    reason: str = Field(
        "", description="Recorded in the audit trail (staff only); required to close or reopen a report."
    )
    question: str = Field(
        "",
        max_length=10_000,
        description="Required with to=needs_info, refused otherwise: posted to the researcher in the report's thread "
        "(and mailed); the clocks pause until they answer.",
    )
    duplicate_of: int | None = Field(None, description="The original report's id; only with to=duplicate.")
    expected_state: ReportState | None = Field(
        None,
        description="The state you saw. If someone else moved the report since, the answer is 409 "
        "(kind conflict) and nothing changes.",
    )


class CaseIn(Schema):
    title: str = Field(max_length=200)
    summary: str = ""
    report_ids: list[int] = Field(description="Confirmed reports that are not yet part of a case.")


class CaseReportsIn(Schema):
    report_ids: list[int] = Field(min_length=1, description="Confirmed reports that are not yet part of a case.")


class CaseTransitionIn(Schema):
    to: CaseState
    reason: str = Field("", description="Recorded in the audit trail; required to close a case.")


class CaseQuery(PageParams):
    state: CaseState | None = None


class ClockOut(Schema):
    """One SLA clock, measured from the state history on the owning team's business calendar."""

    name: Literal["first_response", "triage", "fix", "release"] = Field(
        description="release: from every fix of the case ready to every fix shipped; absent until it starts."
    )
    status: Literal["on_track", "at_risk", "breached", "paused", "met"] = Field(
        description="paused: waiting on the researcher (Needs info); met: stopped within the target."
    )
    target: str = Field(description="e.g. '1 business day', '30 calendar days'.")
    started_at: dt.datetime
    stopped_at: dt.datetime | None
    due_at: dt.datetime | None = Field(
        description="When the target is (or was) reached; null while paused or when met early."
    )
    elapsed_hours: float = Field(description="Counted time so far: business hours (or calendar hours) outside pauses.")

    @staticmethod
    def resolve_elapsed_hours(clock: Clock) -> float:
        return round(clock.elapsed_seconds / 3600, 2)


class CaseVulnerabilityOut(Schema):
    id: int
    cve_id: str | None
    title: str
    severity: str
    cvss_score: float | None


class CaseOut(Schema):
    id: int
    reference: str
    title: str
    summary: str
    state: str
    allowed_next_states: list[str]
    owner_id: int | None
    crosses_security_boundary: bool | None
    meets_servicing_bar: bool | None
    disclosure_date: dt.date | None = Field(description="The coordinated disclosure date agreed with the researchers.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_allowed_next_states(case: Case) -> list[str]:
        return sorted(case.allowed_next_states())


class CaseDetailOut(CaseOut):
    report_ids: list[int]
    teams: list[str] = Field(description="Slugs of the teams involved.")
    vulnerabilities: list[CaseVulnerabilityOut]
    clocks: list[ClockOut]

    @staticmethod
    def resolve_clocks(case: Case) -> list[Clock]:
        return case_clocks([case])[case.pk]

    @staticmethod
    def resolve_report_ids(case: Case) -> list[int]:
        return sorted(link.report_id for link in case.case_reports.all())

    @staticmethod
    def resolve_teams(case: Case) -> list[str]:
        return [team.slug for team in case.teams.all()]


class CasePage(Page[CaseOut]):
    pass


# --- The queue ------------------------------------------------------------------------------

QueueSort = Literal["priority", "sla_due", "age", "-age", "updated", "title"]
SlaStatus = SlaStatusValue
_SORT_HELP = "priority (unscored last), sla_due (soonest first), age (oldest first), -age, updated, title."


def _known_states(states: list[str]) -> list[str]:
    # Checked here rather than typed list[ReportState]: ninja reports an item's error as
    # "query.state.0", and a client should see the parameter's own name, "state".
    unknown = [state for state in states if state not in Report.State.values]
    if unknown:
        raise ValueError(f"Unknown state {', '.join(map(repr, unknown))}; use {', '.join(Report.State.values)}.")
    return states


StateList = Annotated[
    list[str],
    AfterValidator(_known_states),
    WithJsonSchema({"type": "array", "items": {"type": "string", "enum": list(Report.State.values)}}),
]


class QueueQuery(PageParams):
    """GET /queue and GET /reports filters; the portal queue takes the same names as query parameters."""

    state: StateList = Field(default_factory=list, description="Repeat for several states.")
    product: str | None = Field(None, description="Product slug.")
    team: str | None = Field(None, description="Owning team slug.")
    impact_type: str | None = None
    severity: Severity | None = Field(None, description="Known once the report's case has a scored vulnerability.")
    assignee: str | None = Field(None, pattern=r"^(me|none|[0-9]+)$", description="A user id, `me` or `none`.")
    older_than_days: int | None = Field(None, ge=0, le=36500)
    newer_than_days: int | None = Field(None, ge=0, le=36500)
    sla: SlaStatus | None = Field(None, description="Status of the report's most pressing running clock.")
    low_signal: bool | None = Field(None, description="true: only low-signal reports; false: none of them.")
    has_attachments: bool | None = None
    close_proposed: bool = Field(
        False, description="Only reports silent in Needs info past VULNDESK_NEEDS_INFO_CLOSE_AFTER_DAYS (default 30)."
    )
    q: str | None = Field(
        None,
        max_length=200,
        description="Full-text search over title, description and steps to reproduce, or a reference like VD-R12.",
    )
    sort: QueueSort = Field("priority", description=_SORT_HELP)
    with_counts: bool = Field(
        False, description="Add `state_counts` (reports per state under the other filters); costs a query."
    )

    def filters(self) -> QueueFilters:
        return QueueFilters(
            states=tuple(self.state),
            product=self.product,
            team=self.team,
            impact_type=self.impact_type,
            severity=self.severity,
            assignee=self.assignee,
            older_than_days=self.older_than_days,
            newer_than_days=self.newer_than_days,
            sla=self.sla,
            is_low_signal=self.low_signal,
            has_attachments=self.has_attachments,
            is_close_proposed=self.close_proposed,
            q=self.q,
        )


# What a researcher may narrow their own reports by; everything else describes the team's work.
RESEARCHER_PARAMETERS = frozenset({"state", "product", "sort", "page", "page_size"})
RESEARCHER_SORTS = frozenset({"age", "-age", "updated", "title"})


class ReportListQuery(QueueQuery):
    """GET /reports: the queue's filters for the response team; a researcher's own list takes only
    state, product and sort (age, -age, updated, title)."""

    sort: QueueSort = Field("-age", description=f"{_SORT_HELP} Default -age (newest first).")

    def staff_only_parameters(self) -> list[str]:
        """The parameters given that only the response team may use, in their declared order."""
        given = [name for name in type(self).model_fields if name in self.model_fields_set]
        names = [name for name in given if name not in RESEARCHER_PARAMETERS]
        if self.sort not in RESEARCHER_SORTS:
            names.append("sort")
        return names


class QueueSlaOut(Schema):
    clock: str | None = Field(description="The most pressing running clock; null when every clock has stopped.")
    status: SlaStatus
    at_risk_at: dt.datetime | None
    due_at: dt.datetime | None


class QueueItemOut(ReportOut):
    """A report as the queue lists it: the staff view plus triage bookkeeping."""

    assignee_id: int | None
    priority: int | None
    is_low_signal: bool
    sla: QueueSlaOut | None = Field(description="null until the report's clocks were first computed.")

    @classmethod
    def values_of_queue(cls, report: Report, now: dt.datetime) -> dict[str, Any]:
        """The item's values as plain data, not validated: every value comes straight from the
        report's fields (typed by the model), and building 50 models per page cost more than the
        page's SQL (decision 0007). Tests check the pages against this schema."""
        sla = report.sla if _has_sla(report) else None
        return ReportOut.values_of(report) | {
            "view": "staff",
            "assignee_id": report.assignee_id,
            "priority": report.priority,
            "is_low_signal": report.is_low_signal,
            "sla": {
                "clock": sla.clock or None,
                "status": sla.status_at(now),
                "at_risk_at": sla.at_risk_at,
                "due_at": sla.due_at,
            }
            if sla
            else None,
        }


def _has_sla(report: Report) -> bool:
    try:
        return report.sla is not None
    except ReportSla.DoesNotExist:
        return False


_COUNT_IS_EXACT = Field(
    True,
    description="false: more reports match than `count`, where counting stopped (1,000); later pages still load.",
)


_STATE_COUNTS_ARE_EXACT = Field(
    None,
    description="With with_counts=true: false when over 1,000 reports match the other filters; then each "
    "state count is how many of the first 1,001 matches are in that state, a lower bound.",
)


class QueuePage(Page[QueueItemOut]):
    count_is_exact: bool = _COUNT_IS_EXACT
    state_counts: dict[str, int] | None = Field(
        None,
        description="With with_counts=true: reports per state under every filter but `state` (see state_counts_are_exact).",
    )
    state_counts_are_exact: bool | None = _STATE_COUNTS_ARE_EXACT


# Built field by field (`of`/`values_of_queue`), like intake's AnyReportOut: `view` tells the two apart.
AnyListedReportOut = Annotated[QueueItemOut | ResearcherReportOut, Field(discriminator="view")]


class ReportListPage(Page[AnyListedReportOut]):
    count_is_exact: bool = _COUNT_IS_EXACT
    state_counts: dict[str, int] | None = Field(
        None,
        description="Staff, with with_counts=true: reports per state under every filter but `state` (see state_counts_are_exact).",
    )
    state_counts_are_exact: bool | None = _STATE_COUNTS_ARE_EXACT


# --- Assignment, bulk actions, saved views, duty -----------------------------------------------

AssignStrategyName = Literal["manual", "round_robin", "least_loaded"]


class AssignmentIn(Schema):
    assignee_id: int | None = Field(None, description="With strategy=manual: who (null: nobody).")
    strategy: AssignStrategyName = Field(
        "manual", description="round_robin / least_loaded pick among analysts on duty today."
    )


class BulkAssignmentIn(AssignmentIn):
    report_ids: list[int] = Field(min_length=1, max_length=500)


class BulkTransitionIn(Schema):
    report_ids: list[int] = Field(min_length=1, max_length=500)
    to: ReportState
    reason: str = Field("", description="One reason for every report; required to close or reopen.")
    question: str = Field(
        "", max_length=10_000, description="With to=needs_info: one question, posted to each report's researcher."
    )


class BulkResultOut(Schema):
    changed: int = Field(description="All selected reports; a bulk action applies to all of them or none.")


class SavedQueueViewIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    query: str = Field("", max_length=2000, description="The queue's query string, e.g. state=new&sort=sla_due.")


class SavedQueueViewOut(Schema):
    id: int
    name: str
    query: str
    created_at: dt.datetime


class DutyPeriodIn(Schema):
    analyst_id: int
    starts_on: dt.date
    ends_on: dt.date
    note: str = Field("", max_length=200)


class DutyPeriodOut(Schema):
    id: int
    analyst_id: int
    starts_on: dt.date
    ends_on: dt.date
    note: str


# --- Duplicates -----------------------------------------------------------------------------------


class DuplicateCandidateOut(Schema):
    id: int
    reference: str
    title: str
    state: str
    product: str | None = Field(description="Catalog product slug.")
    created_at: dt.datetime
    score: float = Field(description="0 to 1; internal, never shown to researchers.")
    reasons: list[str] = Field(description="Why it looks similar, e.g. 'same product (Mail Server)'.")

    @classmethod
    def of(cls, candidate: Candidate) -> "DuplicateCandidateOut":
        report = candidate.report
        return cls(
            id=report.pk,
            reference=report.reference,
            title=report.title,
            state=report.state,
            product=report.product.slug if report.product else None,
            created_at=report.created_at,
            score=candidate.score,
            reasons=candidate.reasons,
        )


class DuplicateOfIn(Schema):
    original_id: int = Field(description="The report this one duplicates; it must not itself be a duplicate.")
    reason: str = Field("", description="Recorded and shown in history; defaults to 'Same finding as VD-R…'.")
    expected_state: ReportState | None = Field(None, description="The state you saw; 409 if someone moved it since.")
    credit_to_id: int | None = Field(
        None, description="Default: whichever of the two came first. The other one needs a credit_note."
    )
    credit_note: str = ""


# --- Validation -------------------------------------------------------------------------------------

ValidationResult = Literal["reproduced", "partially", "not_reproduced"]


class ValidationIn(Schema):
    environment: str = Field(max_length=300, description="e.g. 'Windows Server 2022, default install'.")
    version_tried: str = Field(max_length=120, description="Product version or build tried.")
    result: ValidationResult
    steps: str = ""
    minutes_spent: int = Field(0, ge=0, le=100_000)
    evidence_ids: list[int] = Field(default_factory=list, description="Attachments of this report that show it.")
    team_ids: list[int] = Field(default_factory=list, description="Engineering teams asked to confirm.")


ReplyVerdict = Literal["confirmed", "not_confirmed", "comment"]


class ValidationReplyOut(Schema):
    id: int
    team: str = Field(description="Slug of the team answering.")
    author_id: int
    verdict: ReplyVerdict
    body: str
    created_at: dt.datetime

    @staticmethod
    def resolve_team(reply: ValidationReply) -> str:
        return reply.team.slug


class ValidationReplyIn(Schema):
    verdict: ReplyVerdict = Field(description="confirmed, not_confirmed (could not confirm) or comment.")
    body: str = Field("", max_length=10_000, description="What the team found; required unless confirmed.")
    team_id: int | None = Field(None, description="Which of your teams answers; needed only if you are in several.")


class ValidationOut(Schema):
    id: int
    analyst_id: int
    environment: str
    version_tried: str
    result: ValidationResult
    steps: str
    minutes_spent: int
    evidence_ids: list[int]
    shared_with: list[str] = Field(description="Slugs of the teams asked to confirm.")
    replies: list[ValidationReplyOut] = Field(description="The teams' answers, oldest first.")
    created_at: dt.datetime

    @staticmethod
    def resolve_evidence_ids(validation: Validation) -> list[int]:
        return [attachment.pk for attachment in validation.evidence.all()]

    @staticmethod
    def resolve_shared_with(validation: Validation) -> list[str]:
        return [team.slug for team in validation.shared_with.all()]


class SharedValidationOut(Schema):
    """What an engineering team sees of a validation shared with it: no researcher, no report text."""

    id: int
    report_reference: str
    report_title: str
    product: str | None
    environment: str
    version_tried: str
    result: ValidationResult
    steps: str
    teams: list[str] = Field(description="Slugs of your teams it was shared with.")
    replies: list[ValidationReplyOut] = Field(description="Your teams' answers, oldest first (not other teams').")
    created_at: dt.datetime

    @staticmethod
    def resolve_teams(validation: Validation) -> list[str]:
        return [team.slug for team in validation.my_teams]  # type: ignore[attr-defined]  # prefetched by the selector

    @staticmethod
    def resolve_replies(validation: Validation) -> list[ValidationReply]:
        return validation.team_replies  # type: ignore[attr-defined, no-any-return]  # prefetched by the selector

    @staticmethod
    def resolve_report_reference(validation: Validation) -> str:
        return validation.report.reference

    @staticmethod
    def resolve_report_title(validation: Validation) -> str:
        return validation.report.title

    @staticmethod
    def resolve_product(validation: Validation) -> str | None:
        return validation.report.product.slug if validation.report.product else None


class ServicingIn(Schema):
    crosses_security_boundary: bool
    meets_servicing_bar: bool = Field(description="Severe enough for a security update (else a future version).")
    rationale: str = Field(description="Recorded; what the researcher is told if it is not serviced.")


class DisclosureDateIn(Schema):
    disclosure_date: dt.date | None = Field(
        description="The agreed date, today or later; null clears it. Each researcher is told in their thread."
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why it is set, moved or cleared; recorded.")


class TimelineEntryOut(Schema):
    at: dt.datetime = Field(alias="created_at")
    tag: str = Field(description="e.g. report:confirmed, case:report_added, case:servicing_decided.")
    target: str = Field(alias="target_repr")
    actor_id: int | None
    changes: dict[str, Any]
    rationale: str


class KnownVulnerabilityOut(Schema):
    id: int
    cve_id: str | None
    title: str
    case_reference: str
    score: float = Field(description="0 to 1; internal.")
    reasons: list[str]
