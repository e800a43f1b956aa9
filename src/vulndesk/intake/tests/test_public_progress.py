"""The researcher-facing projection of a report's case: fix in progress and the agreed disclosure date."""

import datetime as dt

import pytest

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake.models import PUBLIC_PROGRESS_CHANGED, Report
from vulndesk.intake.services import update_public_progress

DAY = dt.date(2027, 1, 12)


def test_marks_every_report_and_audits_each(coordinator: User) -> None:
    reports = ReportFactory.create_batch(2, state=Report.State.CONFIRMED)

    changed = update_public_progress(reports, actor=coordinator, is_fix_in_progress=True, agreed_disclosure_on=DAY)

    assert {report.pk for report in changed} == {report.pk for report in reports}
    for report in reports:
        report.refresh_from_db()
        assert (report.is_fix_in_progress, report.agreed_disclosure_on) == (True, DAY)
    events = AuditEvent.objects.filter(tag=PUBLIC_PROGRESS_CHANGED).order_by("target_id")
    assert [event.actor for event in events] == [coordinator, coordinator]
    assert events[0].changes == {"is_fix_in_progress": [False, True], "agreed_disclosure_on": [None, "2027-01-12"]}


def test_leaves_the_date_alone_unless_given(coordinator: User) -> None:
    report = ReportFactory.create(agreed_disclosure_on=DAY)

    update_public_progress([report], actor=coordinator, is_fix_in_progress=True)

    report.refresh_from_db()
    assert (report.is_fix_in_progress, report.agreed_disclosure_on) == (True, DAY)


def test_none_clears_the_date(coordinator: User) -> None:
    report = ReportFactory.create(agreed_disclosure_on=DAY, is_fix_in_progress=True)

    update_public_progress([report], actor=coordinator, agreed_disclosure_on=None)

    report.refresh_from_db()
    assert (report.is_fix_in_progress, report.agreed_disclosure_on) == (True, None)


def test_reports_already_up_to_date_are_neither_saved_nor_audited(coordinator: User) -> None:
    current, behind = ReportFactory.create(is_fix_in_progress=True), ReportFactory.create()

    changed = update_public_progress([current, behind], actor=coordinator, is_fix_in_progress=True)

    assert changed == [behind]
    assert list(AuditEvent.objects.filter(tag=PUBLIC_PROGRESS_CHANGED).values_list("target_id", flat=True)) == [
        str(behind.pk)
    ]


def test_a_value_that_is_not_a_date_changes_nothing(coordinator: User) -> None:
    report = ReportFactory.create()

    with pytest.raises(RuleViolation, match="must be a date"):
        update_public_progress([report], actor=coordinator, is_fix_in_progress=True, agreed_disclosure_on="soon")  # type: ignore[arg-type]

    report.refresh_from_db()
    assert not report.is_fix_in_progress
    assert not AuditEvent.objects.filter(tag=PUBLIC_PROGRESS_CHANGED).exists()
