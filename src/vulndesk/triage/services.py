"""Moving reports through triage and grouping confirmed ones into cases."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction

from vulndesk.accounts.models import User
from vulndesk.core.errors import Conflict, RuleViolation
from vulndesk.core.permissions import Permission, can
from vulndesk.core.services import change_state, enter_initial_state, record_event
from vulndesk.intake.models import Report
from vulndesk.messaging.services import announce_report_status
from vulndesk.triage.models import Case, CaseReport
from vulndesk.triage.sla import refresh_report_slas

# Closing a report without saying why leaves the researcher (and the next analyst) guessing;
# reopening one without saying why leaves the next analyst wondering what changed.
_NEEDS_REASON = Report.CLOSED_STATES | {Report.State.NEEDS_INFO}


def _needs_reason(current: str, to: str) -> bool:
    return to in _NEEDS_REASON or current in Report.CLOSED_STATES


def _notify_researcher_after_commit(report: Report) -> None:
    # The researcher's thread shows the new public status; messaging mails it through its
    # outbox after commit (retried, never lost), unless the researcher opted out.
    announce_report_status(report)


def _check_original(report: Report, original: Report) -> None:
    """An original must be a real, earlier-or-other root report, so duplicates never form chains."""
    if original.pk == report.pk:
        raise RuleViolation("A report cannot duplicate itself.", field="duplicate_of")
    if original.state == Report.State.DUPLICATE and original.duplicate_of_id is not None:
        raise RuleViolation(
            f"{original.reference} is itself a duplicate of VD-R{original.duplicate_of_id}; "
            f"name VD-R{original.duplicate_of_id} as the original.",
            field="duplicate_of",
        )
    if original.state == Report.State.SPAM:
        raise RuleViolation(f"{original.reference} was closed as spam; it cannot be an original.", field="duplicate_of")


@transaction.atomic
def transition_report(
    report: Report,
    to: str,
    *,
    actor: User | None,
    reason: str = "",
    duplicate_of: Report | None = None,
    expected_state: str | None = None,
) -> Report:
    """Move a report to state `to`; raises InvalidTransition, RuleViolation, Conflict or PermissionDenied.

    `actor` must hold report:triage (None is the system itself). `expected_state` is the state
    the caller saw: when someone else moved the report meanwhile, the move is refused with a
    Conflict instead of silently building on a state the caller never saw. Nothing is saved
    when any check fails.
    """
    if actor is not None and not can(actor, Permission.REPORT_TRIAGE, report):
        raise PermissionDenied(f"Your role does not allow this ({Permission.REPORT_TRIAGE}).")
    # Lock before reading the state, so two analysts acting at once are serialised here.
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if expected_state is not None and locked.state != expected_state:
        raise Conflict(
            f"{locked.reference} was moved to '{locked.state}' by someone else after you loaded it "
            f"in '{expected_state}'. Reload it and decide again.",
            current=locked.state,
            expected=expected_state,
        )
    return _move_report(locked, to, actor=actor, reason=reason, duplicate_of=duplicate_of)


def _move_report(report: Report, to: str, *, actor: User | None, reason: str, duplicate_of: Report | None) -> Report:
    reason = reason.strip()
    report.check_transition(to)  # the state machine's own message beats "give a reason" for a move that can't happen
    if _needs_reason(report.state, to) and not reason:
        verb = "reopens" if report.state in Report.CLOSED_STATES else "moves to"
        raise RuleViolation(f"Say why the report {verb} '{to}'; the reason is recorded.", field="reason")
    changes: dict[str, object] = {}
    if to == Report.State.DUPLICATE:
        if duplicate_of is None:
            raise RuleViolation("Name the original report this one duplicates.", field="duplicate_of")
        original = Report.objects.select_for_update().get(pk=duplicate_of.pk)
        _check_original(report, original)
        changes["duplicate_of"] = original
    elif duplicate_of is not None:
        raise RuleViolation("Only a move to 'duplicate' names an original report.", field="duplicate_of")
    elif report.duplicate_of_id is not None:
        changes["duplicate_of"] = None  # reopened: no longer a duplicate of anything
    report = change_state(report, to, actor=actor, reason=reason, changes=changes)
    refresh_report_slas([report])
    if to == Report.State.DUPLICATE:
        _repoint_duplicates(report, actor=actor)
    _notify_researcher_after_commit(report)
    return report


def _repoint_duplicates(report: Report, *, actor: User | None) -> None:
    """Reports that named `report` as their original now name its root, so no chain forms."""
    root = report.duplicate_of
    for follower in Report.objects.select_for_update().filter(duplicate_of=report).order_by("pk"):
        follower.duplicate_of = root
        follower.save(update_fields=["duplicate_of", "updated_at"])
        record_event(
            follower,
            tag="report:duplicate_repointed",
            actor=actor,
            changes={"duplicate_of": (report.pk, root)},
            rationale=f"{report.reference} became a duplicate of {root.reference if root else '-'}",
        )


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
    # Publication is not triage: whoever may publish moves the case's reports to fixed.
    for report in case.reports.select_for_update().filter(state=Report.State.CONFIRMED):
        _move_report(report, Report.State.FIXED, actor=actor, reason=reason, duplicate_of=None)
    return case
