"""The thread on report pages, the case thread page, and editing in the portal."""

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.tests.factories import CaseFactory, ReportFactory
from vulndesk.messaging.models import Channel, Message
from vulndesk.messaging.tests.factories import case_note, report_message
from vulndesk.triage.models import CaseReport

pytestmark = pytest.mark.django_db


def test_report_page_shows_the_thread_and_a_form(client: Client, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    report_message(report, analyst, "Which **version**?")
    client.force_login(researcher)

    response = client.get(f"/reports/{report.pk}/")

    assert b"Which <strong>version</strong>?" in response.content
    assert b'id="message-form"' in response.content


def test_researcher_posts_from_the_report_page(client: Client, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client.force_login(researcher)

    response = client.post(f"/reports/{report.pk}/messages/", {"channel": "researcher", "body": "Version 4.2"})

    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.pk}/#message-{message.pk}"
    assert (message.channel, message.author) == (Channel.RESEARCHER, researcher)


def test_researcher_form_offers_no_internal_channel(client: Client, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client.force_login(researcher)

    response = client.get(f"/reports/{report.pk}/")

    assert b'value="internal"' not in response.content


def test_staff_form_preselects_internal_notes(client: Client, analyst: User) -> None:
    report = ReportFactory.create()
    client.force_login(analyst)

    response = client.get(f"/reports/{report.pk}/")

    assert b'value="internal" id="id_channel_0" required checked' in response.content


def test_researcher_forging_the_internal_channel_is_refused(client: Client, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client.force_login(researcher)

    response = client.post(f"/reports/{report.pk}/messages/", {"channel": "internal", "body": "x"})

    assert response.status_code == 400
    assert not Message.objects.exists()


def test_empty_message_comes_back_with_the_reason(client: Client, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client.force_login(researcher)

    response = client.post(f"/reports/{report.pk}/messages/", {"channel": "researcher", "body": ""})

    assert response.status_code == 400
    assert b"Write a message, or add a file." in response.content


def test_rule_violation_is_shown_on_the_form(client: Client, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state="spam")
    client.force_login(researcher)

    response = client.post(f"/reports/{report.pk}/messages/", {"channel": "researcher", "body": "hello"})

    assert response.status_code == 400
    assert b"closed as spam" in response.content


def test_reply_link_prefills_the_form(client: Client, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    question = report_message(report, analyst, "Which version?")
    client.force_login(researcher)

    response = client.get(f"/reports/{report.pk}/messages/?reply_to={question.pk}")

    assert f'name="reply_to" value="{question.pk}"'.encode() in response.content
    assert b"Reply to" in response.content


def test_outsider_gets_404_on_thread_pages(client: Client, researcher: User, outsider: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client.force_login(outsider)

    assert client.get(f"/reports/{report.pk}/messages/").status_code == 404
    assert client.post(f"/reports/{report.pk}/messages/", {"channel": "researcher", "body": "x"}).status_code == 404


def test_case_page_posts_notes(client: Client, engineer: User) -> None:
    case = CaseFactory.create()
    client.force_login(engineer)

    response = client.post(f"/cases/{case.pk}/messages/", {"channel": "internal", "body": "Patch ready"}, follow=True)

    assert b"Patch ready" in response.content


def test_case_page_is_404_for_researchers(client: Client, researcher: User) -> None:
    case = CaseFactory.create()
    client.force_login(researcher)

    assert client.get(f"/cases/{case.pk}/messages/").status_code == 404


def test_empty_case_thread_says_what_to_do(client: Client, coordinator: User) -> None:
    case = CaseFactory.create()
    client.force_login(coordinator)

    response = client.get(f"/cases/{case.pk}/messages/")

    assert b"No messages yet. Write the first one below." in response.content


def test_author_edits_from_the_portal_and_sees_history(client: Client, coordinator: User) -> None:
    note = case_note(CaseFactory.create(), coordinator, "first")
    client.force_login(coordinator)

    client.post(f"/messages/{note.pk}/edit/", {"body": "second"})
    page = client.get(f"/messages/{note.pk}/edit/")

    note.refresh_from_db()
    assert note.body == "second"
    assert b"<p>first</p>" in page.content


def test_someone_else_cannot_open_the_edit_page(client: Client, coordinator: User, analyst: User) -> None:
    note = case_note(CaseFactory.create(), coordinator, "first")
    client.force_login(analyst)

    assert client.get(f"/messages/{note.pk}/edit/").status_code == 403


def test_empty_edit_is_refused(client: Client, coordinator: User) -> None:
    note = case_note(CaseFactory.create(), coordinator, "first")
    client.force_login(coordinator)

    response = client.post(f"/messages/{note.pk}/edit/", {"body": " "})

    assert response.status_code == 400
    note.refresh_from_db()
    assert note.body == "first"


def test_long_thread_opens_on_its_latest_page_with_bounded_queries(
    client: Client, coordinator: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    case = CaseFactory.create()
    for number in range(130):
        case_note(case, coordinator, f"note number {number:03d}")
    client.force_login(coordinator)

    with django_assert_max_num_queries(25):
        latest = client.get(f"/cases/{case.pk}/messages/")
    first = client.get(f"/cases/{case.pk}/messages/?page=1")

    assert b"note number 129" in latest.content
    assert b"note number 000" not in latest.content
    assert b"Earlier messages" in latest.content
    assert b"note number 000" in first.content


def test_report_thread_links_to_its_case_for_staff(client: Client, analyst: User, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state="confirmed")
    case = CaseFactory.create()
    CaseReport.objects.create(case=case, report=report)

    client.force_login(analyst)
    staff_page = client.get(f"/reports/{report.pk}/")
    client.force_login(researcher)
    researcher_page = client.get(f"/reports/{report.pk}/")

    assert f'href="/cases/{case.pk}/messages/"'.encode() in staff_page.content
    assert f"/cases/{case.pk}/".encode() not in researcher_page.content


def test_notifications_page_links_to_the_staff_tools(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)

    page = client.get("/notifications/").content

    assert b'href="/outbox/"' in page
    assert b'href="/subscriptions/"' in page
    assert b'href="/responses/"' in page
