import pytest
from django.core import mail
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from vulndesk.accounts.models import User
from vulndesk.core.errors import InvalidTransition, RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake.models import Report
from vulndesk.triage.models import Case
from vulndesk.triage.services import add_report_to_case, create_case, transition_case, transition_report


def confirmed_report(**fields: object) -> Report:
    return ReportFactory.create(state=Report.State.CONFIRMED, **fields)


def test_transition_moves_the_report_and_tells_the_researcher(
    analyst: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    report = ReportFactory.create()

    with django_capture_on_commit_callbacks(execute=True):
        transition_report(report, Report.State.TRIAGING, actor=analyst)

    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [report.researcher.email]
    assert "In review" in mail.outbox[0].subject


def test_closing_without_a_reason_is_refused(analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)

    with pytest.raises(RuleViolation) as raised:
        transition_report(report, Report.State.NOT_VULNERABILITY, actor=analyst, reason="  ")

    assert raised.value.field == "reason"
    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING


def test_duplicate_must_name_the_original(analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)

    with pytest.raises(RuleViolation, match="original"):
        transition_report(report, Report.State.DUPLICATE, actor=analyst, reason="Seen before")


def test_duplicate_links_to_the_original(analyst: User) -> None:
    original = ReportFactory.create()
    report = ReportFactory.create(state=Report.State.TRIAGING)

    transition_report(report, Report.State.DUPLICATE, actor=analyst, reason="Seen before", duplicate_of=original)

    report.refresh_from_db()
    assert report.duplicate_of == original
    assert AuditEvent.objects.get(tag="report:duplicate").changes["duplicate_of"] == [None, original.pk]


def test_a_report_cannot_duplicate_itself(analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)

    with pytest.raises(RuleViolation, match="itself"):
        transition_report(report, Report.State.DUPLICATE, actor=analyst, reason="x", duplicate_of=report)


def test_illegal_transition_names_the_allowed_states(analyst: User) -> None:
    report = ReportFactory.create()

    with pytest.raises(InvalidTransition) as raised:
        transition_report(report, Report.State.CONFIRMED, actor=analyst)

    assert raised.value.current == "new"
    assert raised.value.allowed == ["duplicate", "out_of_scope", "spam", "triaging"]


def test_closed_report_can_be_reopened(analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.NOT_REPRODUCIBLE)

    transition_report(report, Report.State.TRIAGING, actor=analyst, reason="Researcher sent a video")

    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING


def test_case_groups_confirmed_reports_and_involves_their_teams(coordinator: User) -> None:
    first, second = confirmed_report(), confirmed_report()

    case = create_case(title="Parser RCE", reports=[first, second], actor=coordinator)

    assert set(case.reports.all()) == {first, second}
    assert case.owner == coordinator
    assert set(case.teams.all()) == {first.product.owning_team, second.product.owning_team}  # type: ignore[union-attr]


def test_unconfirmed_report_cannot_join_a_case(coordinator: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)

    with pytest.raises(RuleViolation, match="only confirmed"):
        create_case(title="Parser RCE", reports=[report], actor=coordinator)

    assert not Case.objects.exists()


def test_report_belongs_to_one_case_only(coordinator: User) -> None:
    report = confirmed_report()
    case = create_case(title="First", reports=[report], actor=coordinator)

    with pytest.raises(RuleViolation, match="already part of a case"):
        add_report_to_case(case, report, actor=coordinator)


def test_case_needs_a_title_and_a_report(coordinator: User) -> None:
    with pytest.raises(RuleViolation):
        create_case(title=" ", reports=[confirmed_report()], actor=coordinator)
    with pytest.raises(RuleViolation):
        create_case(title="Empty", reports=[], actor=coordinator)


def test_closing_a_case_needs_a_reason(coordinator: User) -> None:
    case = create_case(title="Parser RCE", reports=[confirmed_report()], actor=coordinator)

    with pytest.raises(RuleViolation):
        transition_case(case, Case.State.CLOSED, actor=coordinator)
    transition_case(case, Case.State.CLOSED, actor=coordinator, reason="Fixed in next major version")

    case.refresh_from_db()
    assert case.state == Case.State.CLOSED
