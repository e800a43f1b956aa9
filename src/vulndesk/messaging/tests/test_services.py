"""Posting, routing, mentions, edits and the events vulndesk posts in researcher threads."""

import pytest
from django.core.exceptions import PermissionDenied

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.permissions import Role
from vulndesk.core.services import enter_initial_state
from vulndesk.core.tests.factories import CaseFactory, ReportFactory, UserFactory
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, Message
from vulndesk.messaging.permissions import Thread
from vulndesk.messaging.services import edit_message, post_message
from vulndesk.messaging.tests.factories import report_message
from vulndesk.triage.services import transition_report

pytestmark = pytest.mark.django_db


def _new_report(researcher: User) -> Report:
    report = ReportFactory.create(researcher=researcher)
    enter_initial_state(report, actor=researcher)
    return report


def test_status_change_appears_in_the_researcher_thread(researcher: User, analyst: User) -> None:
    report = _new_report(researcher)

    transition_report(report, Report.State.TRIAGING, actor=analyst)

    event = Message.objects.get()
    assert (event.channel, event.kind, event.author) == (Channel.RESEARCHER, Message.Kind.EVENT, None)
    assert event.body == "Status changed to **In review**."


def test_internal_step_with_the_same_public_wording_posts_nothing(researcher: User, analyst: User) -> None:
    report = _new_report(researcher)
    report = transition_report(report, Report.State.TRIAGING, actor=analyst)

    transition_report(report, Report.State.VALIDATING, actor=analyst)

    assert Message.objects.count() == 1


def test_closing_reason_stays_internal(researcher: User, analyst: User) -> None:
    report = _new_report(researcher)
    report = transition_report(report, Report.State.TRIAGING, actor=analyst)

    transition_report(report, Report.State.NOT_VULNERABILITY, actor=analyst, reason="Reporter is clueless")

    assert "clueless" not in "".join(Message.objects.values_list("body", flat=True))


def test_message_is_audited(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    message = report_message(report, researcher)

    assert AuditEvent.objects.filter(tag="message:posted", target_id=str(message.pk), actor=researcher).exists()


def test_duplicate_of_own_report_routes_to_the_original(researcher: User) -> None:
    original = ReportFactory.create(researcher=researcher)
    duplicate = ReportFactory.create(researcher=researcher, state=Report.State.DUPLICATE, duplicate_of=original)

    message = report_message(duplicate, researcher, "more detail")

    assert message.report == original


def test_duplicate_of_someone_elses_report_is_refused_with_the_reason(researcher: User, outsider: User) -> None:
    original = ReportFactory.create(researcher=outsider)
    duplicate = ReportFactory.create(researcher=researcher, state=Report.State.DUPLICATE, duplicate_of=original)

    with pytest.raises(RuleViolation, match="submit it as a new report"):
        report_message(duplicate, researcher, "more detail")

    assert not Message.objects.exists()


def test_staff_are_told_why_a_duplicate_thread_is_closed(researcher: User, outsider: User, analyst: User) -> None:
    original = ReportFactory.create(researcher=outsider)
    duplicate = ReportFactory.create(researcher=researcher, state=Report.State.DUPLICATE, duplicate_of=original)

    with pytest.raises(RuleViolation, match=f"duplicate of {original.reference}"):
        report_message(duplicate, analyst, "thanks")


def test_internal_notes_on_a_duplicate_stay_on_it(researcher: User, outsider: User, analyst: User) -> None:
    original = ReportFactory.create(researcher=outsider)
    duplicate = ReportFactory.create(researcher=researcher, state=Report.State.DUPLICATE, duplicate_of=original)

    note = report_message(duplicate, analyst, "same root cause", channel=Channel.INTERNAL)

    assert note.report == duplicate


def test_spam_report_thread_is_closed(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.SPAM)

    with pytest.raises(RuleViolation, match="spam"):
        report_message(report, researcher)


def test_closed_report_still_takes_the_researchers_reply(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.NOT_VULNERABILITY)

    message = report_message(report, researcher, "I disagree, here is why")

    assert message.report == report


def test_engineer_cannot_write_on_reports(engineer: User) -> None:
    report = ReportFactory.create()

    with pytest.raises(PermissionDenied):
        report_message(report, engineer, "x", channel=Channel.INTERNAL)


def test_mention_by_local_part_and_by_email(analyst: User, coordinator: User, admin_user: User) -> None:
    report = ReportFactory.create()

    note = report_message(report, analyst, "@coordinator and @admin@example.test", channel=Channel.INTERNAL)

    assert set(note.mentions.all()) == {coordinator, admin_user}


def test_ambiguous_mention_names_nobody(analyst: User) -> None:
    UserFactory.create(role=Role.ANALYST, email="ana@one.test")
    UserFactory.create(role=Role.ANALYST, email="ana@two.test")
    report = ReportFactory.create()

    note = report_message(report, analyst, "@ana", channel=Channel.INTERNAL)

    assert not note.mentions.exists()


def test_researchers_and_engineers_on_reports_cannot_be_mentioned(
    analyst: User, researcher: User, engineer: User
) -> None:
    report = ReportFactory.create()

    note = report_message(report, analyst, "@researcher @engineer", channel=Channel.INTERNAL)

    assert not note.mentions.exists()


def test_mentions_in_the_researcher_thread_notify_nobody(researcher: User, coordinator: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    message = report_message(report, researcher, "@coordinator hello")

    assert not message.mentions.exists()


def test_edit_keeps_every_earlier_text(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    message = report_message(report, researcher, "one")

    edit_message(message, body="two", actor=researcher)
    edit_message(message, body="three", actor=researcher)

    message.refresh_from_db()
    assert message.body == "three"
    assert list(message.revisions.values_list("body", flat=True)) == ["one", "two"]


def test_events_cannot_be_edited(researcher: User, analyst: User) -> None:
    report = _new_report(researcher)
    transition_report(report, Report.State.TRIAGING, actor=analyst)

    with pytest.raises(PermissionDenied):
        edit_message(Message.objects.get(), body="x", actor=analyst)


def test_reply_to_own_message(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    first = report_message(report, researcher, "one")

    second = post_message(
        Thread(report=report), channel=Channel.RESEARCHER, body="and also", actor=researcher, reply_to=first
    )

    assert second.reply_to == first


def test_reply_across_threads_is_refused(researcher: User, analyst: User) -> None:
    first = report_message(ReportFactory.create(researcher=researcher), researcher, "one")

    with pytest.raises(RuleViolation, match="same thread"):
        post_message(
            Thread(report=ReportFactory.create(researcher=researcher)),
            channel=Channel.RESEARCHER,
            body="x",
            actor=researcher,
            reply_to=first,
        )


def test_oversized_message_is_refused(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    with pytest.raises(RuleViolation, match="limit is 50,000"):
        report_message(report, researcher, "x" * 50_001)


def test_case_thread_takes_notes_from_every_staff_role(engineer: User) -> None:
    case = CaseFactory.create()

    note = post_message(Thread(case=case), channel=Channel.INTERNAL, body="ready", actor=engineer)

    assert note.case == case


def test_thread_must_name_one_target() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Thread()


def test_researchers_answer_resumes_triage(researcher: User, analyst: User) -> None:
    report = _new_report(researcher)
    report = transition_report(report, Report.State.TRIAGING, actor=analyst)
    report = transition_report(report, Report.State.NEEDS_INFO, actor=analyst, question="Which version?")

    report_message(report, researcher, "Version 4.2")

    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING
    assert Message.objects.order_by("pk").last().body == "Status changed to **In review**."  # type: ignore[union-attr]


def test_staff_message_on_needs_info_does_not_resume(researcher: User, analyst: User) -> None:
    report = _new_report(researcher)
    report = transition_report(report, Report.State.TRIAGING, actor=analyst)
    report = transition_report(report, Report.State.NEEDS_INFO, actor=analyst, question="Which version?")

    report_message(report, analyst, "Any news?")

    report.refresh_from_db()
    assert report.state == Report.State.NEEDS_INFO
