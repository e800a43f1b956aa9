"""Every (from, to) pair of the report state machine, who may make each move, and what it records."""

import itertools
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from vulndesk.accounts.models import User
from vulndesk.core.errors import Conflict, InvalidTransition, RuleViolation
from vulndesk.core.models import AuditEvent, StateInterval
from vulndesk.core.permissions import Role
from vulndesk.core.tests.factories import ReportFactory, UserFactory
from vulndesk.intake.models import Report
from vulndesk.triage.services import resume_triage_on_reply, transition_report

S = Report.State
ALL_PAIRS = list(itertools.product(S.values, S.values))
LEGAL = [(current, to) for current, to in ALL_PAIRS if to in Report.TRANSITIONS[current]]
ILLEGAL = [(current, to) for current, to in ALL_PAIRS if to not in Report.TRANSITIONS[current]]


def _report_in(state: str) -> Report:
    report = ReportFactory.create(state=state)
    if state == S.DUPLICATE:
        report.duplicate_of = ReportFactory.create()
        report.save()
    return report


def test_the_table_covers_every_state() -> None:
    assert set(Report.TRANSITIONS) == set(S.values)
    assert len(LEGAL) + len(ILLEGAL) == len(S.values) ** 2


@pytest.mark.parametrize(("current", "to"), LEGAL)
def test_legal_move_records_who_when_and_why(analyst: User, current: str, to: str) -> None:
    report = _report_in(current)
    original = ReportFactory.create() if to == S.DUPLICATE else None
    question = "Which build did you test?" if to == S.NEEDS_INFO else ""

    transition_report(
        report, to, actor=analyst, reason="Checked the proof of concept", duplicate_of=original, question=question
    )

    report.refresh_from_db()
    assert report.state == to
    interval = StateInterval.objects.get(target_id=report.pk, exited_at__isnull=True)
    assert (interval.state, interval.entered_by, interval.reason) == (to, analyst, "Checked the proof of concept")
    event = AuditEvent.objects.get(tag=f"report:{to}", target_id=str(report.pk))
    assert event.actor == analyst
    assert event.changes["state"] == [current, to]
    assert report.researcher_status == Report.RESEARCHER_STATUS[to]


@pytest.mark.parametrize(("current", "to"), ILLEGAL)
def test_illegal_move_is_refused_and_changes_nothing(analyst: User, current: str, to: str) -> None:
    report = _report_in(current)
    original = ReportFactory.create() if to == S.DUPLICATE else None

    with pytest.raises(InvalidTransition) as raised:
        transition_report(report, to, actor=analyst, reason="Trying", duplicate_of=original)

    assert raised.value.current == current
    report.refresh_from_db()
    assert report.state == current
    assert not AuditEvent.objects.filter(target_id=str(report.pk)).exists()


NEEDS_A_REASON = [(current, to) for current, to in LEGAL if to in Report.CLOSED_STATES]
REOPENS = [(current, to) for current, to in LEGAL if current in Report.CLOSED_STATES]
ASKS = [(current, to) for current, to in LEGAL if to == S.NEEDS_INFO]


@pytest.mark.parametrize(("current", "to"), NEEDS_A_REASON + REOPENS)
def test_closing_and_reopening_need_a_reason(analyst: User, current: str, to: str) -> None:
    report = _report_in(current)
    original = ReportFactory.create() if to == S.DUPLICATE else None

    with pytest.raises(RuleViolation) as raised:
        transition_report(report, to, actor=analyst, reason="  ", duplicate_of=original)

    assert raised.value.field == "reason"
    report.refresh_from_db()
    assert report.state == current


@pytest.mark.parametrize(("current", "to"), ASKS)
def test_asking_for_info_needs_the_question(analyst: User, current: str, to: str) -> None:
    report = _report_in(current)

    with pytest.raises(RuleViolation) as raised:
        transition_report(report, to, actor=analyst, reason="Unclear which build", question="  ")

    assert raised.value.field == "question"
    report.refresh_from_db()
    assert report.state == current


def test_a_question_goes_only_with_needs_info(analyst: User) -> None:
    report = _report_in(S.TRIAGING)

    with pytest.raises(RuleViolation) as raised:
        transition_report(report, S.VALIDATING, actor=analyst, question="Which build?")

    assert raised.value.field == "question"
    report.refresh_from_db()
    assert report.state == S.TRIAGING


def test_disputed_needs_a_reason_and_the_researcher_sees_the_disagreement(analyst: User) -> None:
    report = _report_in(S.TRIAGING)

    with pytest.raises(RuleViolation, match="disputed"):
        transition_report(report, S.DISPUTED, actor=analyst)
    transition_report(report, S.DISPUTED, actor=analyst, reason="The header is set by the proxy, not the app")

    report.refresh_from_db()
    assert report.researcher_status.startswith("Closed: we disagree")


def test_spam_and_fixed_are_final() -> None:
    assert Report.TRANSITIONS[S.SPAM] == frozenset()
    assert Report.TRANSITIONS[S.FIXED] == frozenset()


@pytest.mark.parametrize("role", [Role.RESEARCHER, Role.ENGINEER, Role.RELEASE_MANAGER])
def test_roles_without_triage_cannot_move_reports(db: None, role: Role) -> None:
    report = _report_in(S.NEW)

    with pytest.raises(PermissionDenied):
        transition_report(report, S.TRIAGING, actor=UserFactory.create(role=role))

    report.refresh_from_db()
    assert report.state == S.NEW


@pytest.mark.parametrize("role", [Role.ANALYST, Role.COORDINATOR, Role.ADMIN])
def test_roles_with_triage_can_move_reports(db: None, role: Role) -> None:
    report = _report_in(S.NEW)

    transition_report(report, S.TRIAGING, actor=UserFactory.create(role=role))

    report.refresh_from_db()
    assert report.state == S.TRIAGING


def test_the_system_may_move_reports(db: None) -> None:
    report = _report_in(S.NEW)

    transition_report(report, S.TRIAGING, actor=None)

    assert AuditEvent.objects.get(tag="report:triaging").actor is None


def test_a_stale_expected_state_is_a_conflict_and_changes_nothing(analyst: User, coordinator: User) -> None:
    report = _report_in(S.TRIAGING)
    seen_by_both = report.state
    transition_report(report, S.VALIDATING, actor=coordinator, expected_state=seen_by_both)

    with pytest.raises(Conflict) as raised:
        transition_report(report, S.NEEDS_INFO, actor=analyst, question="Which build?", expected_state=seen_by_both)

    assert (raised.value.current, raised.value.expected) == (S.VALIDATING, S.TRIAGING)
    report.refresh_from_db()
    assert report.state == S.VALIDATING


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Row locks between connections need PostgreSQL.")
@pytest.mark.django_db(transaction=True)
def test_two_analysts_at_once_one_wins_the_other_gets_a_conflict() -> None:
    report = _report_in(S.TRIAGING)
    first, second = UserFactory.create(role=Role.ANALYST), UserFactory.create(role=Role.ANALYST)
    outcomes: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def act(name: str, actor: User, to: str) -> None:
        barrier.wait()
        try:
            transition_report(report, to, actor=actor, reason="Decided", expected_state=S.TRIAGING)
            outcomes[name] = "moved"
        except Conflict:
            outcomes[name] = "conflict"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=("first", first, S.VALIDATING)),
        threading.Thread(target=act, args=("second", second, S.NOT_VULNERABILITY)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == ["conflict", "moved"]
    report.refresh_from_db()
    assert report.state in {S.VALIDATING, S.NOT_VULNERABILITY}
    assert AuditEvent.objects.filter(target_id=str(report.pk), tag__startswith="report:").count() == 1


def test_duplicate_of_a_duplicate_names_the_root(analyst: User) -> None:
    root = _report_in(S.TRIAGING)
    middle = _report_in(S.TRIAGING)
    transition_report(middle, S.DUPLICATE, actor=analyst, reason="Same flaw", duplicate_of=root)
    report = _report_in(S.TRIAGING)

    with pytest.raises(RuleViolation, match=f"name {root.reference}"):
        transition_report(report, S.DUPLICATE, actor=analyst, reason="Same flaw", duplicate_of=middle)

    report.refresh_from_db()
    assert (report.state, report.duplicate_of) == (S.TRIAGING, None)


def test_spam_cannot_be_an_original(analyst: User) -> None:
    spam = _report_in(S.SPAM)

    with pytest.raises(RuleViolation, match="spam"):
        transition_report(_report_in(S.TRIAGING), S.DUPLICATE, actor=analyst, reason="x", duplicate_of=spam)


def test_an_original_that_becomes_a_duplicate_hands_its_duplicates_to_the_root(analyst: User) -> None:
    root, original, follower = _report_in(S.TRIAGING), _report_in(S.TRIAGING), _report_in(S.TRIAGING)
    transition_report(follower, S.DUPLICATE, actor=analyst, reason="Same", duplicate_of=original)

    transition_report(original, S.DUPLICATE, actor=analyst, reason="Reported earlier", duplicate_of=root)

    follower.refresh_from_db()
    assert follower.duplicate_of == root
    assert AuditEvent.objects.get(tag="report:duplicate_repointed").changes["duplicate_of"] == [original.pk, root.pk]


def test_reopening_a_duplicate_unlinks_it(analyst: User) -> None:
    report = _report_in(S.DUPLICATE)

    transition_report(report, S.TRIAGING, actor=analyst, reason="Different root cause after all")

    report.refresh_from_db()
    assert (report.state, report.duplicate_of) == (S.TRIAGING, None)


def test_the_researchers_answer_moves_needs_info_back_to_triaging(analyst: User) -> None:
    waiting, busy = _report_in(S.NEEDS_INFO), _report_in(S.VALIDATING)

    resumed = resume_triage_on_reply(waiting)
    untouched = resume_triage_on_reply(busy)

    assert resumed is not None
    assert resumed.state == S.TRIAGING
    assert untouched is None
    assert (
        AuditEvent.objects.get(tag="report:triaging", target_id=str(waiting.pk)).rationale == "The researcher answered."
    )
