"""Moving reports through triage and grouping confirmed ones into cases."""

from collections.abc import Sequence

from django.db import transaction

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import change_state, enter_initial_state, record_event
from vulndesk.intake.models import Report
from vulndesk.triage.models import Case, CaseReport
from vulndesk.triage.tasks import notify_researcher_of_status

# Closing a report without saying why leaves the researcher (and the next analyst) guessing.
_NEEDS_REASON = Report.CLOSED_STATES | {Report.State.NEEDS_INFO}


def _notify_researcher_after_commit(report: Report) -> None:
    if Report.RESEARCHER_STATUS.get(report.state):
        report_id, state = report.pk, report.state
        transaction.on_commit(lambda: notify_researcher_of_status.enqueue(report_id=report_id, state=state))


@transaction.atomic
def transition_report(
    report: Report, to: str, *, actor: User | None, reason: str = "", duplicate_of: Report | None = None
) -> Report:
    """Move a report to state `to`; raises InvalidTransition or RuleViolation and saves nothing then."""
    reason = reason.strip()
    if to in _NEEDS_REASON and not reason:
        raise RuleViolation(f"Say why the report moves to '{to}'; the reason is recorded.", field="reason")
    changes = {}
    if to == Report.State.DUPLICATE:
        if duplicate_of is None:
            raise RuleViolation("Name the original report this one duplicates.", field="duplicate_of")
        if duplicate_of.pk == report.pk:
            raise RuleViolation("A report cannot duplicate itself.", field="duplicate_of")
        changes["duplicate_of"] = duplicate_of
    elif duplicate_of is not None:
        raise RuleViolation("Only a move to 'duplicate' names an original report.", field="duplicate_of")
    report = change_state(report, to, actor=actor, reason=reason, changes=changes)
    _notify_researcher_after_commit(report)
    return report


@transaction.atomic
def create_case(
    *, title: str, reports: Sequence[Report], actor: User, owner: User | None = None, summary: str = ""
) -> Case:
    """Open a case for confirmed reports that are not yet in another case."""
    if not title.strip():
        raise RuleViolation("Give the case a title.", field="title")
    if not reports:
        raise RuleViolation("A case starts from at least one confirmed report.", field="report_ids")
    case = Case.objects.create(title=title.strip(), summary=summary, owner=owner or actor)
    enter_initial_state(case, actor=actor)
    for report in reports:
        add_report_to_case(case, report, actor=actor)
    return case


@transaction.atomic
def add_report_to_case(case: Case, report: Report, *, actor: User) -> CaseReport:
    if report.state != Report.State.CONFIRMED:
        raise RuleViolation(
            f"{report.reference} is '{report.state}'; only confirmed reports join a case.", field="report_ids"
        )
    if CaseReport.objects.filter(report=report).exists():
        raise RuleViolation(f"{report.reference} is already part of a case.", field="report_ids")
    link = CaseReport.objects.create(case=case, report=report)
    if report.product_id is not None:
        case.teams.add(report.product.owning_team_id)  # type: ignore[union-attr]
    record_event(case, tag="case:report_added", actor=actor, changes={"reports": (None, report.pk)})
    return link


@transaction.atomic
def transition_case(case: Case, to: str, *, actor: User | None, reason: str = "") -> Case:
    if to == Case.State.CLOSED and not reason.strip():
        raise RuleViolation("Say why the case is closed; the reason is recorded.", field="reason")
    return change_state(case, to, actor=actor, reason=reason.strip())


@transaction.atomic
def mark_case_published(case: Case, *, actor: User | None, reason: str) -> Case:
    """Publication reached the researchers' reports too: they become fixed, and they are told."""
    if case.state != Case.State.PUBLISHED:
        case = change_state(case, Case.State.PUBLISHED, actor=actor, reason=reason)
    for report in case.reports.filter(state=Report.State.CONFIRMED):
        transition_report(report, Report.State.FIXED, actor=actor, reason=reason)
    return case
