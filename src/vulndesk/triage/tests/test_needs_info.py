"""Moving a report to Needs info sends the analyst's question to the researcher, in their thread."""

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from vulndesk.accounts.models import User
from vulndesk.core.models import StateInterval
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, Message, OutboundMail
from vulndesk.triage.services import bulk_transition_reports, transition_report

Api = Callable[[User | None], ApiClient]
QUESTION = "Which build did you test, and does it need the **admin** role?"


def _triaging(researcher: User) -> Report:
    return ReportFactory.create(state=Report.State.TRIAGING, researcher=researcher)


def test_the_question_is_posted_by_the_analyst_in_the_researcher_thread(researcher: User, analyst: User) -> None:
    report = _triaging(researcher)

    transition_report(report, Report.State.NEEDS_INFO, actor=analyst, question=QUESTION)

    posted = Message.objects.get(report=report, kind=Message.Kind.POST)
    assert (posted.channel, posted.author, posted.body) == (Channel.RESEARCHER, analyst, QUESTION)
    # The status line comes first, then what to reply to.
    events = Message.objects.filter(report=report, kind=Message.Kind.EVENT)
    assert events.get().created_at <= posted.created_at


def test_the_question_is_mailed_to_the_researcher(researcher: User, analyst: User) -> None:
    report = _triaging(researcher)

    transition_report(report, Report.State.NEEDS_INFO, actor=analyst, question=QUESTION)

    queued = OutboundMail.objects.filter(body__contains="Which build did you test")
    assert list(queued.values_list("to_address", flat=True)) == [researcher.email]


def test_the_question_is_the_recorded_reason_when_no_other_is_given(researcher: User, analyst: User) -> None:
    report = _triaging(researcher)

    transition_report(report, Report.State.NEEDS_INFO, actor=analyst, question="Which build?")

    assert StateInterval.objects.get(target_id=report.pk, exited_at__isnull=True).reason == "Which build?"


def test_the_researcher_reads_the_question_and_their_reply_resumes_triage(
    api: Api, researcher: User, analyst: User
) -> None:
    report = _triaging(researcher)
    api(analyst).post(f"/reports/{report.pk}/transitions", {"to": "needs_info", "question": QUESTION})

    thread = api(researcher).get(f"/reports/{report.pk}/messages").json()["items"]
    api(researcher).post(f"/reports/{report.pk}/messages", {"channel": "researcher", "body": "Build 881, any user."})

    assert QUESTION in [message["body"] for message in thread]
    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING


def test_api_needs_info_without_question_is_422_naming_question(api: Api, researcher: User, analyst: User) -> None:
    report = _triaging(researcher)

    response = api(analyst).post(f"/reports/{report.pk}/transitions", {"to": "needs_info", "reason": "Unclear"})

    assert response.status_code == 422
    assert problem_fields(response) == ["question"]
    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING
    assert not Message.objects.filter(report=report).exists()


def test_api_question_with_another_state_is_422_naming_question(api: Api, researcher: User, analyst: User) -> None:
    report = _triaging(researcher)

    response = api(analyst).post(f"/reports/{report.pk}/transitions", {"to": "validating", "question": "Why?"})

    assert response.status_code == 422
    assert problem_fields(response) == ["question"]
    assert not Message.objects.filter(report=report).exists()


def test_portal_asks_the_question(client: Client, researcher: User, analyst: User) -> None:
    report = _triaging(researcher)
    client.force_login(analyst)

    response = client.post(
        reverse("report_transition", args=[report.pk]), {"to": "needs_info", "question": QUESTION}, follow=True
    )

    assert response.status_code == 200
    report.refresh_from_db()
    assert report.state == Report.State.NEEDS_INFO
    assert Message.objects.filter(report=report, author=analyst, body=QUESTION).exists()


def test_portal_without_question_says_so_and_changes_nothing(client: Client, researcher: User, analyst: User) -> None:
    report = _triaging(researcher)
    client.force_login(analyst)

    response = client.post(reverse("report_transition", args=[report.pk]), {"to": "needs_info", "reason": "Unclear"})

    assert response.status_code == 400
    assert b"Write the question for the researcher" in response.content
    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING


def test_bulk_needs_info_sends_each_researcher_the_question(researcher: User, outsider: User, analyst: User) -> None:
    reports = [_triaging(researcher), _triaging(outsider)]

    bulk_transition_reports(reports, Report.State.NEEDS_INFO, actor=analyst, reason="", question="Which build?")

    assert [message.report for message in Message.objects.filter(body="Which build?").order_by("pk")] == reports


def test_a_question_asked_by_the_system_is_posted_as_its_own_note(researcher: User) -> None:
    report = _triaging(researcher)

    transition_report(report, Report.State.NEEDS_INFO, actor=None, question="Is the issue still present in 2.2?")

    posted = Message.objects.filter(report=report, body="Is the issue still present in 2.2?").get()
    assert (posted.kind, posted.author) == (Message.Kind.EVENT, None)


def test_queue_bulk_move_to_needs_info_sends_the_question(client: Client, researcher: User, analyst: User) -> None:
    report = _triaging(researcher)
    client.force_login(analyst)

    client.post(
        reverse("queue_bulk_action"),
        {"report_ids": [report.pk], "action": "transition", "to": "needs_info", "question": "Which build?"},
    )

    report.refresh_from_db()
    assert report.state == Report.State.NEEDS_INFO
    assert Message.objects.filter(report=report, author=analyst, body="Which build?").exists()


def test_queue_bulk_move_to_needs_info_without_question_changes_nothing(
    client: Client, researcher: User, analyst: User
) -> None:
    report = _triaging(researcher)
    client.force_login(analyst)

    response = client.post(
        reverse("queue_bulk_action"),
        {"report_ids": [report.pk], "action": "transition", "to": "needs_info", "reason": "Unclear"},
        follow=True,
    )

    assert b"Write the question for the researcher" in response.content
    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING
