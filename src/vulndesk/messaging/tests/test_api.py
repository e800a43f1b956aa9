"""GET/POST /reports/{id}/messages and /cases/{id}/messages, edits and revisions."""

from collections.abc import Callable

import pytest
from pytest_django import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import CaseFactory, ReportFactory
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, Message
from vulndesk.messaging.tests.factories import case_note, report_message
from vulndesk.triage.models import CaseReport

pytestmark = pytest.mark.django_db
Api = Callable[[User | None], ApiClient]


def test_researcher_writes_and_reads_their_thread(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    created = api(researcher).post(
        f"/reports/{report.pk}/messages", {"channel": "researcher", "body": "PoC *attached*"}
    )
    listed = api(researcher).get(f"/reports/{report.pk}/messages")

    assert created.status_code == 201, created.content
    assert created.json()["body_html"] == "<p>PoC <em>attached</em></p>\n"
    assert [item["body"] for item in listed.json()["items"]] == ["PoC *attached*"]


def test_staff_see_both_channels_in_order(api: Api, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    report_message(report, researcher, "first")
    report_message(report, analyst, "second", channel=Channel.INTERNAL)

    response = api(analyst).get(f"/reports/{report.pk}/messages")

    assert [(item["body"], item["channel"]) for item in response.json()["items"]] == [
        ("first", "researcher"),
        ("second", "internal"),
    ]


def test_channel_filter(api: Api, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    report_message(report, researcher, "to the team")
    report_message(report, analyst, "note", channel=Channel.INTERNAL)

    response = api(analyst).get(f"/reports/{report.pk}/messages", {"channel": "internal"})

    assert [item["body"] for item in response.json()["items"]] == ["note"]


def test_researcher_asking_for_internal_notes_is_refused(api: Api, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    report_message(report, analyst, "secret", channel=Channel.INTERNAL)

    response = api(researcher).get(f"/reports/{report.pk}/messages", {"channel": "internal"})

    assert response.status_code == 403
    assert b"secret" not in response.content


def test_researcher_cannot_post_internal_notes(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    response = api(researcher).post(f"/reports/{report.pk}/messages", {"channel": "internal", "body": "x"})

    assert response.status_code == 403
    assert not Message.objects.exists()


def test_outsider_gets_404(api: Api, researcher: User, outsider: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    report_message(report, researcher, "mine")

    read = api(outsider).get(f"/reports/{report.pk}/messages")
    write = api(outsider).post(f"/reports/{report.pk}/messages", {"channel": "researcher", "body": "x"})

    assert (read.status_code, write.status_code) == (404, 404)
    assert Message.objects.count() == 1


def test_anonymous_gets_401(api: Api) -> None:
    report = ReportFactory.create()

    assert api(None).get(f"/reports/{report.pk}/messages").status_code == 401


def test_empty_message_is_refused_with_the_field(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    response = api(researcher).post(f"/reports/{report.pk}/messages", {"channel": "researcher", "body": "  "})

    assert response.status_code == 422
    assert problem_fields(response) == ["body"]


def test_partner_channel_on_a_report_is_refused(api: Api, analyst: User) -> None:
    report = ReportFactory.create()

    response = api(analyst).post(f"/reports/{report.pk}/messages", {"channel": "partner", "body": "x"})

    assert response.status_code == 422
    assert problem_fields(response) == ["channel"]


def test_script_is_rendered_as_text(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    response = api(researcher).post(
        f"/reports/{report.pk}/messages",
        {"channel": "researcher", "body": "<script>alert(1)</script> [x](javascript:alert(1))"},
    )

    assert "<script" not in response.json()["body_html"]
    assert "href" not in response.json()["body_html"]


def test_reply_to_a_message_in_the_thread(api: Api, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    question = report_message(report, analyst, "Which version?")

    response = api(researcher).post(
        f"/reports/{report.pk}/messages", {"channel": "researcher", "body": "4.2", "reply_to": question.pk}
    )

    assert response.json()["reply_to"] == question.pk


def test_researcher_cannot_reply_to_an_internal_note(api: Api, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    note = report_message(report, analyst, "internal", channel=Channel.INTERNAL)

    response = api(researcher).post(
        f"/reports/{report.pk}/messages", {"channel": "researcher", "body": "x", "reply_to": note.pk}
    )

    assert response.status_code == 422
    assert problem_fields(response) == ["reply_to"]
    assert response.json()["detail"] == "No such message."


def test_author_edits_and_history_is_kept(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    message = report_message(report, researcher, "Version 4.1")

    edited = api(researcher).patch(f"/messages/{message.pk}", {"body": "Version 4.2"})
    history = api(researcher).get(f"/messages/{message.pk}/revisions")

    assert edited.json()["body"] == "Version 4.2"
    assert edited.json()["edited_at"] is not None
    assert [revision["body"] for revision in history.json()] == ["Version 4.1"]


def test_only_the_author_edits(api: Api, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    message = report_message(report, researcher, "Version 4.1")

    response = api(analyst).patch(f"/messages/{message.pk}", {"body": "changed"})

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.body == "Version 4.1"


def test_case_thread_gathers_case_notes_and_report_threads(
    api: Api, researcher: User, analyst: User, coordinator: User
) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.CONFIRMED)
    case = CaseFactory.create()
    CaseReport.objects.create(case=case, report=report)
    report_message(report, researcher, "from the researcher")
    case_note(case, coordinator, "plan")

    response = api(analyst).get(f"/cases/{case.pk}/messages")

    assert [(item["thread"], item["body"]) for item in response.json()["items"]] == [
        (report.reference, "from the researcher"),
        (case.reference, "plan"),
    ]


def test_engineer_reads_case_notes_but_not_report_threads(api: Api, researcher: User, engineer: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.CONFIRMED)
    case = CaseFactory.create()
    CaseReport.objects.create(case=case, report=report)
    report_message(report, researcher, "raw report detail")
    case_note(case, engineer, "patch is ready")

    response = api(engineer).get(f"/cases/{case.pk}/messages")

    assert [item["body"] for item in response.json()["items"]] == ["patch is ready"]


def test_researcher_channel_on_a_case_points_to_the_reports(api: Api, analyst: User) -> None:
    case = CaseFactory.create()

    response = api(analyst).post(f"/cases/{case.pk}/messages", {"channel": "researcher", "body": "x"})

    assert response.status_code == 422
    assert "write on the report" in response.json()["detail"]


def test_researcher_cannot_see_case_threads(api: Api, researcher: User) -> None:
    case = CaseFactory.create()

    assert api(researcher).get(f"/cases/{case.pk}/messages").status_code == 404


def test_mentions_are_listed_for_staff(api: Api, analyst: User, coordinator: User) -> None:
    report = ReportFactory.create()

    response = api(analyst).post(
        f"/reports/{report.pk}/messages", {"channel": "internal", "body": "@coordinator please look"}
    )

    assert response.json()["mentions"] == [str(coordinator)]


def test_thread_list_query_count_is_bounded(
    api: Api, researcher: User, analyst: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    report = ReportFactory.create(researcher=researcher)
    for number in range(10):
        report_message(report, researcher if number % 2 else analyst, f"message {number}")
    client = api(analyst)

    with django_assert_max_num_queries(8):
        response = client.get(f"/reports/{report.pk}/messages")

    assert response.json()["count"] == 10
