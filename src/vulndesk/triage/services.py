"""Moving reports through triage, assigning them, and grouping confirmed ones into cases."""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import QueryDict
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Team
from vulndesk.core.errors import Conflict, InvalidTransition, RuleViolation
from vulndesk.core.permissions import Permission, can
from vulndesk.core.services import change_state, enter_initial_state, record_event
from vulndesk.intake.models import Attachment, Report
from vulndesk.intake.services import update_public_progress
from vulndesk.messaging.events import announce_disclosure_date_changed
from vulndesk.messaging.models import Channel
from vulndesk.messaging.notifications import notify_assignment, notify_validation_reply
from vulndesk.messaging.permissions import Thread
from vulndesk.messaging.services import announce_fix_progress, announce_report_status, post_message, post_report_event
from vulndesk.triage.models import (
    Case,
    CaseReport,
    DuplicateCredit,
    DutyPeriod,
    RoundRobinCursor,
    SavedQueueView,
    Validation,
    ValidationReply,
)
from vulndesk.triage.selectors import on_duty_triagers
from vulndesk.triage.signals import report_joined_case
from vulndesk.triage.sla import refresh_report_slas


# Closing a report without saying why leaves the researcher (and the next analyst) guessing;
# reopening one without saying why leaves the next analyst wondering what changed. (Needs info
# says why through its question, which the researcher reads.)
def _needs_reason(current: str, to: str) -> bool:
    return to in Report.CLOSED_STATES or current in Report.CLOSED_STATES


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
    question: str = "",
) -> Report:
    """Move a report to state `to`; raises InvalidTransition, RuleViolation, Conflict or PermissionDenied.

    `actor` must hold report:triage (None is the system itself). `expected_state` is the state
    the caller saw: when someone else moved the report meanwhile, the move is refused with a
    Conflict instead of silently building on a state the caller never saw. A move to Needs info
    needs the `question`, which is posted to the researcher in the report's thread (the clocks
    pause until they answer). Nothing is saved when any check fails.
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
    return _move_report(locked, to, actor=actor, reason=reason, duplicate_of=duplicate_of, question=question)


@transaction.atomic
def resume_triage_on_reply(report: Report) -> Report | None:
    """The researcher answered while the report waited on them: back to triaging, and the clocks run again.

    For the messaging layer to call when a researcher's message arrives; does nothing unless the
    report is in Needs info. The system is the actor (the researcher may not move reports).
    """
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.state != Report.State.NEEDS_INFO:
        return None
    return _move_report(locked, Report.State.TRIAGING, actor=None, reason="The researcher answered.", duplicate_of=None)


def _move_report(
    report: Report, to: str, *, actor: User | None, reason: str, duplicate_of: Report | None, question: str = ""
) -> Report:
    reason, question = reason.strip(), question.strip()
    report.check_transition(to)  # the state machine's own message beats "give a reason" for a move that can't happen
    if _needs_reason(report.state, to) and not reason:
        verb = "reopens" if report.state in Report.CLOSED_STATES else "moves to"
        raise RuleViolation(f"Say why the report {verb} '{to}'; the reason is recorded.", field="reason")
    if to == Report.State.NEEDS_INFO and not question:
        raise RuleViolation(
            "Write the question for the researcher; it is posted in their thread and the clocks wait for the answer.",
            field="question",
        )
    if to != Report.State.NEEDS_INFO and question:
        raise RuleViolation("Only a move to 'needs_info' sends the researcher a question.", field="question")
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
    report = change_state(report, to, actor=actor, reason=reason or question, changes=changes)
    refresh_report_slas([report])
    if to == Report.State.DUPLICATE:
        _repoint_duplicates(report, actor=actor)
    _notify_researcher_after_commit(report)
    if question:
        _ask_researcher(report, question, actor=actor)
    return report


def _ask_researcher(report: Report, question: str, *, actor: User | None) -> None:
    # After the status line, so the thread reads "waiting for your reply", then what to reply to.
    # Posted as the analyst (the researcher answers a person); mailed like every thread message.
    if actor is None:
        post_report_event(report, body=question)
    else:
        post_message(Thread(report=report), channel=Channel.RESEARCHER, body=question, actor=actor)


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
    # The researcher now sees what the case's other researchers see: its date and whether a fix is
    # under way. Read under the case's lock, so a date or state changing meanwhile reaches this report too.
    current = Case.objects.select_for_update().get(pk=case.pk)
    changed = update_public_progress(
        [report],
        actor=actor,
        is_fix_in_progress=current.state == Case.State.REMEDIATING,
        agreed_disclosure_on=current.disclosure_date,
    )
    announce_fix_progress(report for report in changed if report.is_fix_in_progress)
    report_joined_case.send(sender=CaseReport, link=link)
    return link


@transaction.atomic
def transition_case(case: Case, to: str, *, actor: User | None, reason: str = "") -> Case:
    if to == Case.State.CLOSED and not reason.strip():
        raise RuleViolation("Say why the case is closed; the reason is recorded.", field="reason")
    case = change_state(case, to, actor=actor, reason=reason.strip())
    _show_fix_in_progress(case, actor=actor)
    return case


def _show_fix_in_progress(case: Case, *, actor: User | None) -> None:
    # Researchers see "fix in progress" exactly while the case is remediating (intake's projection).
    is_fix_in_progress = case.state == Case.State.REMEDIATING
    announce_fix_progress(
        update_public_progress(case.reports.all(), actor=actor, is_fix_in_progress=is_fix_in_progress)
    )


@transaction.atomic
def set_disclosure_date(case: Case, disclosure_date: dt.date | None, *, actor: User, reason: str) -> Case:
    """Set, move or clear (None) the disclosure date agreed with the case's researchers, saying why.

    Needs case:manage. A new date may not lie in the past. Each researcher is told in their
    report's thread and sees the date on their report; the same date again changes nothing.
    """
    if not can(actor, Permission.CASE_MANAGE, case):
        raise PermissionDenied(f"Your role does not allow this ({Permission.CASE_MANAGE}).")
    reason = reason.strip()
    if not reason:
        raise RuleViolation("Say why the date is set, moved or cleared; it is recorded.", field="reason")
    today = timezone.localdate()
    locked = Case.objects.select_for_update().get(pk=case.pk)
    previous = locked.disclosure_date
    if disclosure_date == previous:
        return locked
    if disclosure_date is not None and disclosure_date < today:
        raise RuleViolation(
            f"{disclosure_date:%d %B %Y} is in the past; agree a date from today ({today:%d %B %Y}) on.",
            field="disclosure_date",
        )
    locked.disclosure_date = disclosure_date
    locked.save(update_fields=["disclosure_date", "updated_at"])
    record_event(
        locked,
        tag="case:disclosure_date_changed",
        actor=actor,
        changes={"disclosure_date": (previous, disclosure_date)},
        rationale=reason,
    )
    announce_disclosure_date_changed(locked, new_date=disclosure_date, previous_date=previous)
    update_public_progress(locked.reports.all(), actor=actor, agreed_disclosure_on=disclosure_date)
    return locked


@transaction.atomic
def mark_case_published(case: Case, *, actor: User | None, reason: str) -> Case:
    """Publication reached the researchers' reports too: they become fixed, and they are told."""
    if case.state != Case.State.PUBLISHED:
        case = change_state(case, Case.State.PUBLISHED, actor=actor, reason=reason)
        _show_fix_in_progress(case, actor=actor)
    # Publication is not triage: whoever may publish moves the case's reports to fixed.
    for report in case.reports.select_for_update().filter(state=Report.State.CONFIRMED):
        _move_report(report, Report.State.FIXED, actor=actor, reason=reason, duplicate_of=None)
    return case


# --- Assignment ---------------------------------------------------------------------------------


class AssignStrategy(StrEnum):
    MANUAL = "manual"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


def _require_triage(actor: User, report: Report | None = None) -> None:
    if not can(actor, Permission.REPORT_TRIAGE, report):
        raise PermissionDenied(f"Your role does not allow this ({Permission.REPORT_TRIAGE}).")


@transaction.atomic
def assign_report(
    report: Report,
    assignee: User | None,
    *,
    actor: User,
    strategy: AssignStrategy = AssignStrategy.MANUAL,
    on: dt.date | None = None,
) -> Report:
    """Give a report to someone who may triage it (or to nobody), or let a strategy pick among those on duty.

    round_robin: the next on-duty analyst after the last one picked this way; least_loaded: the
    on-duty analyst with the fewest open reports. Both raise RuleViolation when nobody is on duty.
    """
    _require_triage(actor, report)
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if strategy != AssignStrategy.MANUAL:
        assignee = _pick(strategy, on=on or timezone.localdate())
    elif assignee is not None and not (assignee.is_active and can(assignee, Permission.REPORT_TRIAGE)):
        raise RuleViolation(f"{assignee} cannot triage reports; pick an analyst or coordinator.", field="assignee_id")
    if locked.assignee_id == (assignee.pk if assignee else None):
        return locked
    before = locked.assignee_id
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    record_event(
        locked,
        tag="report:assigned",
        actor=actor,
        changes={"assignee": (before, assignee.pk if assignee else None)},
        rationale=f"strategy: {strategy}",
    )
    if assignee is not None:
        notify_assignment(locked, assignee=assignee, actor=actor)  # in vulndesk, and by mail per their choice
    return locked


def _pick(strategy: AssignStrategy, *, on: dt.date) -> User:
    candidates = list(on_duty_triagers(on))
    if not candidates:
        raise RuleViolation(
            f"Nobody is on triage duty on {on:%d %b %Y}; add duty periods in the admin or assign someone by hand.",
            field="strategy",
        )
    if strategy == AssignStrategy.LEAST_LOADED:
        open_load = dict(
            Report.objects.filter(assignee__in=candidates)
            .exclude(state__in=Report.CLOSED_STATES | {Report.State.FIXED})
            .values_list("assignee")
            .annotate(count=Count("pk"))
            .values_list("assignee", "count")
        )
        return min(candidates, key=lambda person: (open_load.get(person.pk, 0), person.pk))
    cursor, _ = RoundRobinCursor.objects.select_for_update().get_or_create(pk=1)
    after = [person for person in candidates if cursor.last_assignee_id is None or person.pk > cursor.last_assignee_id]
    chosen = (after or candidates)[0]
    cursor.last_assignee = chosen
    cursor.save(update_fields=["last_assignee"])
    return chosen


# --- Bulk actions -------------------------------------------------------------------------------


class BulkActionFailed(RuleViolation):
    """Some rows of a bulk action failed; none was applied. `failures` maps each report to why."""

    def __init__(self, failures: list[tuple[Report, str]]) -> None:
        self.failures = failures
        listed = "; ".join(f"{report.reference}: {message}" for report, message in failures)
        super().__init__(
            f"Nothing was changed: {len(failures)} of the selected reports cannot take this action ({listed}).",
            field="report_ids",
        )


def _all_or_nothing(reports: Sequence[Report], act: Callable[[Report], object]) -> int:
    """Apply `act` to every report in one transaction; if any fails, roll all back and name each failure.

    All-or-nothing rather than per row: a bulk action is one decision ("these are all spam"),
    and a half-applied one leaves the analyst to work out which half.
    """
    if not reports:
        raise RuleViolation("Select at least one report.", field="report_ids")
    failures: list[tuple[Report, str]] = []
    with transaction.atomic():
        for report in sorted(reports, key=lambda r: r.pk):  # one lock order, so two bulk actions cannot deadlock
            try:
                with transaction.atomic():
                    act(report)
            except (InvalidTransition, RuleViolation, Conflict, PermissionDenied) as error:
                failures.append((report, str(error)))
        if failures:
            raise BulkActionFailed(failures)
    return len(reports)


def bulk_transition_reports(reports: Sequence[Report], to: str, *, actor: User, reason: str, question: str = "") -> int:
    """Move every report to `to` with one reason (and, to Needs info, one question), or none of them."""
    return _all_or_nothing(
        reports, lambda report: transition_report(report, to, actor=actor, reason=reason, question=question)
    )


def bulk_assign_reports(
    reports: Sequence[Report], assignee: User | None, *, actor: User, strategy: AssignStrategy = AssignStrategy.MANUAL
) -> int:
    """Assign every report (to one person, or each by a strategy), or none of them."""
    return _all_or_nothing(reports, lambda report: assign_report(report, assignee, actor=actor, strategy=strategy))


# --- Saved queue views and the duty calendar -----------------------------------------------------


@transaction.atomic
def save_queue_view(*, owner: User, name: str, query: str) -> SavedQueueView:
    """Keep the queue's current filters under a name (saving the same name again replaces them)."""
    name = name.strip()
    if not name:
        raise RuleViolation("Name the view, e.g. 'My breached reports'.", field="name")
    params = QueryDict(query.lstrip("?"), mutable=True)
    params.pop("page", None)  # a view is filters and order, not a position in the list
    view, _ = SavedQueueView.objects.update_or_create(owner=owner, name=name, defaults={"query": params.urlencode()})
    return view


@transaction.atomic
def delete_queue_view(view: SavedQueueView, *, actor: User) -> None:
    if view.owner_id != actor.pk:
        raise PermissionDenied("Only its owner can delete a saved view.")
    view.delete()


@transaction.atomic
def add_duty_period(analyst: User, *, starts_on: dt.date, ends_on: dt.date, actor: User, note: str = "") -> DutyPeriod:
    """Put `analyst` on triage duty from `starts_on` to `ends_on` (inclusive)."""
    _require_triage(actor)
    if not (analyst.is_active and can(analyst, Permission.REPORT_TRIAGE)):
        raise RuleViolation(f"{analyst} cannot triage reports, so cannot be on triage duty.", field="analyst_id")
    if ends_on < starts_on:
        raise RuleViolation("The duty ends before it starts; swap the dates.", field="ends_on")
    period = DutyPeriod.objects.create(analyst=analyst, starts_on=starts_on, ends_on=ends_on, note=note.strip())
    record_event(period, tag="duty:added", actor=actor, changes={"analyst": (None, analyst.pk)})
    return period


# --- Duplicates -----------------------------------------------------------------------------------


@transaction.atomic
def mark_duplicate(
    report: Report,
    original: Report,
    *,
    actor: User,
    reason: str = "",
    expected_state: str | None = None,
    credit_to: Report | None = None,
    credit_note: str = "",
) -> Report:
    """Close `report` as a duplicate of `original` in one action, and record who gets the credit.

    The researcher is told through the usual status change. Credit goes to whichever of the two
    reports came first, unless `credit_to` names the other one with a `credit_note` saying why.
    """
    first = min((original, report), key=lambda candidate: (candidate.created_at, candidate.pk))
    credited = credit_to or first
    if credited.pk not in {original.pk, report.pk}:
        raise RuleViolation(
            f"Credit goes to {original.reference} or {report.reference}, not {credited.reference}.", field="credit_to"
        )
    if credited.pk != first.pk and not credit_note.strip():
        raise RuleViolation(
            f"{first.reference} came first and gets the credit; say why it should go to {credited.reference}.",
            field="credit_note",
        )
    report = transition_report(
        report,
        Report.State.DUPLICATE,
        actor=actor,
        reason=reason.strip() or f"Same finding as {original.reference}.",
        duplicate_of=original,
        expected_state=expected_state,
    )
    DuplicateCredit.objects.update_or_create(
        duplicate=report, defaults={"credited": credited, "decided_by": actor, "note": credit_note.strip()}
    )
    record_event(
        report,
        tag="report:duplicate_credit",
        actor=actor,
        changes={"credited": (None, credited.pk)},
        rationale=credit_note.strip(),
    )
    return report


# --- Validation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationInput:
    environment: str
    version_tried: str
    result: str
    steps: str = ""
    minutes_spent: int = 0
    evidence_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()


@transaction.atomic
def record_validation(report: Report, data: ValidationInput, *, actor: User) -> Validation:
    """Record one reproduction attempt; evidence must be the report's own attachments."""
    _require_triage(actor, report)
    if not data.environment.strip():
        raise RuleViolation("Say where you tried it, e.g. 'Windows Server 2022, default install'.", field="environment")
    if not data.version_tried.strip():
        raise RuleViolation("Say which version or build you tried.", field="version_tried")
    if data.result not in Validation.Result.values:
        raise RuleViolation(f"Result is one of: {', '.join(Validation.Result.values)}.", field="result")
    evidence = list(Attachment.objects.filter(report=report, pk__in=data.evidence_ids))
    if len(evidence) != len(set(data.evidence_ids)):
        raise RuleViolation("Evidence must be attachments of this report.", field="evidence_ids")
    teams = list(Team.objects.filter(pk__in=data.team_ids))
    if len(teams) != len(set(data.team_ids)):
        raise RuleViolation("Unknown team.", field="team_ids")
    validation = Validation.objects.create(
        report=report,
        analyst=actor,
        environment=data.environment.strip(),
        version_tried=data.version_tried.strip(),
        steps=data.steps.strip(),
        result=data.result,
        minutes_spent=data.minutes_spent,
    )
    validation.evidence.set(evidence)
    validation.shared_with.set(teams)
    record_event(report, tag="report:validated", actor=actor, changes={"validation": (None, validation.pk)},
                 rationale=f"{validation.get_result_display()} on {validation.version_tried}")  # fmt: skip
    return validation


@transaction.atomic
def reply_to_validation(
    validation: Validation, *, actor: User, verdict: str, body: str = "", team_id: int | None = None
) -> ValidationReply:
    """An engineering team answers a validation it was asked to confirm; analysts see the answer.

    `actor` must belong to a team the validation is shared with; `team_id` says which when they
    are in several. Anything but a plain confirmation needs `body` (what the team found).
    """
    teams = list(validation.shared_with.filter(members=actor).order_by("name"))
    if not teams:
        raise PermissionDenied("Only members of a team asked to confirm this validation can answer it.")
    if team_id is None and len(teams) > 1:
        names = ", ".join(f"{candidate.name} (id {candidate.pk})" for candidate in teams)
        raise RuleViolation(f"Say which of your teams answers: {names}.", field="team_id")
    team = teams[0] if team_id is None else next((t for t in teams if t.pk == team_id), None)
    if team is None:
        raise RuleViolation(
            f"Team {team_id} was not asked to confirm this validation, or you are not in it.", field="team_id"
        )
    if verdict not in ValidationReply.Verdict.values:
        raise RuleViolation(f"Verdict is one of: {', '.join(ValidationReply.Verdict.values)}.", field="verdict")
    body = body.strip()
    if verdict != ValidationReply.Verdict.CONFIRMED and not body:
        raise RuleViolation("Say what the team found; the analyst reads it.", field="body")
    reply = ValidationReply.objects.create(validation=validation, team=team, author=actor, verdict=verdict, body=body)
    record_event(
        validation.report,
        tag="report:validation_replied",
        actor=actor,
        changes={"validation": (None, validation.pk), "verdict": (None, verdict)},
        rationale=f"{team}: {reply.get_verdict_display()}",
    )
    notify_validation_reply(reply)  # the analyst who asked and the assignee, in vulndesk and by mail per their choice
    return reply


# --- Cases: the servicing decision ----------------------------------------------------------------


@transaction.atomic
def decide_servicing(
    case: Case, *, crosses_security_boundary: bool, meets_servicing_bar: bool, rationale: str, actor: User
) -> Case:
    """Record whether the case is serviced by a security update or fixed in a future version, and why.

    Both must be true for a security update; otherwise the rationale is what the researcher's
    Won't fix tells them.
    """
    if not can(actor, Permission.CASE_MANAGE, case):
        raise PermissionDenied(f"Your role does not allow this ({Permission.CASE_MANAGE}).")
    if not rationale.strip():
        raise RuleViolation("Explain the decision; it is recorded and used for Won't fix.", field="rationale")
    locked = Case.objects.select_for_update().get(pk=case.pk)
    before = (locked.crosses_security_boundary, locked.meets_servicing_bar)
    locked.crosses_security_boundary = crosses_security_boundary
    locked.meets_servicing_bar = meets_servicing_bar
    locked.servicing_rationale = rationale.strip()
    locked.save(update_fields=["crosses_security_boundary", "meets_servicing_bar", "servicing_rationale", "updated_at"])
    record_event(
        locked,
        tag="case:servicing_decided",
        actor=actor,
        changes={
            "crosses_security_boundary": (before[0], crosses_security_boundary),
            "meets_servicing_bar": (before[1], meets_servicing_bar),
        },
        rationale=rationale.strip(),
    )
    return locked
