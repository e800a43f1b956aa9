"""A researcher and an analyst talk about a report in a real browser; the internal note stays internal."""

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from vulndesk.core.permissions import Role
from vulndesk.core.tests.factories import TEST_PASSWORD, ReportFactory, UserFactory
from vulndesk.messaging.models import Channel, Message, OutboundMail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_researcher_and_analyst_exchange_messages(page: Page, live_server: LiveServer) -> None:
    researcher = UserFactory.create(role=Role.RESEARCHER, email="mira@example.test", display_name="Mira")
    UserFactory.create(role=Role.ANALYST, email="ana@example.test", display_name="Ana Analyst")
    report = ReportFactory.create(researcher=researcher, title="Token leak in export")
    url = f"{live_server.url}/reports/{report.pk}/"

    # The researcher writes first, with the keyboard only (the file comes from the file chooser).
    sign_in(page, live_server.url, researcher.email)
    page.goto(url)
    expect(page.get_by_role("heading", name="Conversation")).to_be_visible()
    page.get_by_label("Message").focus()
    page.keyboard.type("The token is in **every** export, see step 3.")
    page.get_by_label("Add files").set_input_files(
        files=[{"name": "steps.txt", "mimeType": "text/plain", "buffer": b"1. export\n2. open\n3. read the token\n"}]
    )
    page.get_by_label("Message").focus()
    page.keyboard.press("Tab")  # the file field
    page.keyboard.press("Tab")  # the button
    page.keyboard.press("Enter")
    posted = page.locator(".thread-message").filter(has_text="The token is in every export")
    expect(posted).to_be_visible()
    expect(posted.get_by_role("link", name="steps.txt")).to_be_visible()
    sign_out(page)

    # The analyst notes something for the team, then answers the researcher.
    sign_in(page, live_server.url, "ana@example.test")
    page.goto(url)
    expect(page.get_by_text("The token is in every export")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="steps.txt").click()
    assert download.value.suggested_filename == "steps.txt"
    expect(page.get_by_label("Internal note (staff only, never shown to the researcher)")).to_be_checked()
    page.get_by_label("Message").fill("Looks like the serializer; do not promise a date yet.")
    page.get_by_role("button", name="Post message").click()
    expect(page.locator(".thread-message--internal")).to_contain_text("do not promise a date")
    page.get_by_role("link", name="Reply").first.click()
    page.get_by_label("To the researcher (shown in their thread)").check()
    page.get_by_label("Message").fill("Thanks Mira, we reproduced it and are working on a fix.")
    page.get_by_role("button", name="Post message").click()
    expect(page.get_by_text("we reproduced it")).to_be_visible()
    sign_out(page)

    # The researcher sees the answer as a reply to their message, and never the internal note.
    sign_in(page, live_server.url, researcher.email)
    page.goto(url)
    answer = page.locator(".thread-message").filter(has_text="we reproduced it")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("In reply to Mira")
    expect(page.get_by_text("do not promise a date")).to_have_count(0)
    expect(page.get_by_text("Internal note")).to_have_count(0)

    assert Message.objects.filter(report=report, channel=Channel.INTERNAL).count() == 1
    assert OutboundMail.objects.filter(to_address=researcher.email, status=OutboundMail.Status.SENT).count() == 1


def test_empty_thread_says_what_to_do(page: Page, live_server: LiveServer) -> None:
    analyst = UserFactory.create(role=Role.ANALYST, email="ana@example.test", display_name="Ana Analyst")
    report = ReportFactory.create(title="Token leak in export")
    sign_in(page, live_server.url, analyst.email)

    page.goto(f"{live_server.url}/reports/{report.pk}/messages/")

    expect(page.get_by_text("No messages yet. Write the first one below.")).to_be_visible()
