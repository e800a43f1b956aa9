"""Warning owners before SLA clocks breach: once per clock and due time, to the right people."""

import datetime as dt
from io import StringIO

import time_machine
from django.core import mail
from django.core.management import call_command

from vulndesk.accounts.models import User
from vulndesk.core.services import enter_initial_state
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake.models import Report
from vulndesk.triage.models import SlaWarning
from vulndesk.triage.services import create_case
from vulndesk.triage.sla import warn_before_breaches
from vulndesk.triage.tasks import warn_before_breaches as warn_task

FRIDAY_10 = dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC)
MONDAY_08 = dt.datetime(2026, 11, 30, 8, tzinfo=dt.UTC)


def _received(when: dt.datetime, **fields: object) -> Report:
    with time_machine.travel(when, tick=False):
        report = ReportFactory.create(**fields)
        enter_initial_state(report, actor=report.researcher)
    return report


def test_at_risk_report_warns_its_assignee_once(analyst: User) -> None:
    report = _received(FRIDAY_10, assignee=analyst)

    first = warn_before_breaches(now=MONDAY_08)
    again = warn_before_breaches(now=MONDAY_08 + dt.timedelta(minutes=15))

    assert [(w.reference, w.clock, w.status) for w in first] == [(report.reference, "first_response", "at_risk")]
    assert again == []
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [analyst.email]
    assert "First response is due Mon 30 Nov 10:00 UTC" in mail.outbox[0].subject


def test_unassigned_report_warns_the_triage_team(analyst: User, coordinator: User, engineer: User) -> None:
    _received(FRIDAY_10)

    warn_before_breaches(now=MONDAY_08)

    assert sorted(mail.outbox[0].to) == sorted([analyst.email, coordinator.email])


def test_on_track_paused_and_closed_reports_are_left_alone(analyst: User) -> None:
    _received(MONDAY_08)  # just arrived
    _received(FRIDAY_10, state=Report.State.SPAM)

    assert warn_before_breaches(now=MONDAY_08 + dt.timedelta(hours=1)) == []
    assert mail.outbox == []


def test_breached_clock_warns_once_more_for_its_due_time(analyst: User) -> None:
    _received(FRIDAY_10, assignee=analyst)
    warn_before_breaches(now=MONDAY_08)

    warned = warn_before_breaches(now=MONDAY_08 + dt.timedelta(hours=3))

    # Same due time: the at-risk warning already covered it.
    assert warned == []
    assert SlaWarning.objects.count() == 1


def test_case_fix_clock_warns_the_owner(coordinator: User) -> None:
    with time_machine.travel(FRIDAY_10, tick=False):
        case = create_case(
            title="Parser", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=coordinator
        )

    warned = warn_before_breaches(now=FRIDAY_10 + dt.timedelta(days=80))

    (warning,) = [w for w in warned if w.kind == "case"]
    assert (warning.reference, warning.clock, warning.status) == (case.reference, "fix", "at_risk")
    assert warning.recipients == [coordinator.email]


def test_the_command_and_the_task_send_the_warnings(analyst: User) -> None:
    _received(FRIDAY_10, assignee=analyst)
    out, err = StringIO(), StringIO()

    with time_machine.travel(MONDAY_08, tick=False):
        call_command("triage", "warn-breaches", stdout=out, stderr=err)
        result = warn_task.enqueue()

    assert "first_response at_risk" in out.getvalue()
    assert "1 warning sent." in err.getvalue()
    assert result.return_value == 0  # already warned by the command
