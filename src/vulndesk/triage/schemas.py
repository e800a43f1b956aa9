"""API shapes of triage: report transitions and cases."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import WithJsonSchema

from vulndesk.core.api import Page, PageParams
from vulndesk.intake.schemas import ReportState
from vulndesk.triage.clocks import Clock, case_clocks
from vulndesk.triage.models import Case

# Inline, like ReportState: every model calls its enum `State`, and OpenAPI components are keyed by name.
CaseState = Annotated[Case.State, WithJsonSchema({"type": "string", "enum": list(Case.State.values)})]


class ReportTransitionIn(Schema):
    to: ReportState
    reason: str = Field("", description="Recorded in the audit trail; required to close a report or ask for info.")
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

    name: Literal["first_response", "triage", "fix"]
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
