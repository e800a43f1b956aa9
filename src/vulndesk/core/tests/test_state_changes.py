import pytest
from django.contrib.contenttypes.models import ContentType

from vulndesk.accounts.models import User
from vulndesk.core.errors import InvalidTransition
from vulndesk.core.models import AuditEvent, StateInterval
from vulndesk.core.services import change_state, enter_initial_state
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake.models import Report


def _intervals(report: Report) -> list[StateInterval]:
    return list(
        StateInterval.objects.filter(target_type=ContentType.objects.get_for_model(Report), target_id=report.pk)
    )


def test_state_change_closes_the_old_interval_and_opens_a_new_one(analyst: User) -> None:
    report = ReportFactory.create()
    enter_initial_state(report, actor=report.researcher)

    change_state(report, Report.State.TRIAGING, actor=analyst, reason="Looking at it")

    first, second = _intervals(report)
    assert (first.state, second.state) == ("new", "triaging")
    assert first.exited_at == second.entered_at
    assert second.exited_at is None
    assert second.entered_by == analyst


def test_state_change_is_audited_with_before_and_after(analyst: User) -> None:
    report = ReportFactory.create()

    change_state(report, Report.State.TRIAGING, actor=analyst, reason="Looking at it")

    event = AuditEvent.objects.get(tag="report:triaging")
    assert event.changes == {"state": ["new", "triaging"]}
    assert event.actor == analyst
    assert event.rationale == "Looking at it"


def test_illegal_transition_raises_and_saves_nothing(analyst: User) -> None:
    report = ReportFactory.create()

    with pytest.raises(InvalidTransition) as raised:
        change_state(report, Report.State.FIXED, actor=analyst)

    report.refresh_from_db()
    assert report.state == Report.State.NEW
    assert "triaging" in raised.value.allowed
    assert not AuditEvent.objects.filter(tag="report:fixed").exists()


def test_audit_events_cannot_be_changed_or_deleted(analyst: User) -> None:
    report = ReportFactory.create()
    change_state(report, Report.State.TRIAGING, actor=analyst)
    event = AuditEvent.objects.get()

    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(tag="x")
