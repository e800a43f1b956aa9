"""An analyst triages a new report from the queue into a case, in a real browser."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from vulndesk.core.permissions import Role
from vulndesk.core.services import enter_initial_state
from vulndesk.core.tests.factories import TEST_PASSWORD, ProductFactory, ReportFactory, UserFactory
from vulndesk.intake.models import Report
from vulndesk.triage.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_analyst_triages_a_report_from_the_queue_to_a_case(page: Page, live_server: LiveServer) -> None:
    UserFactory.create(role=Role.ANALYST, email="ana@example.test")
    report = ReportFactory.create(
        title="SSRF through the webhook tester", product=ProductFactory.create(name="Larkmoor Chat")
    )
    enter_initial_state(report, actor=report.researcher)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill("ana@example.test")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{live_server.url}/queue/")
    page.get_by_label("Search").fill("webhook")
    page.keyboard.press("Enter")
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.get_by_text("First response · On track")).to_be_visible()
    page.get_by_role("link", name=f"Triage {report.reference}").click()

    for state in ("Triaging", "Validating", "Confirmed"):
        expect(page.get_by_role("heading", name="SLA clocks")).to_be_visible()
        page.get_by_label("Move to").select_option(label=state)
        page.get_by_role("button", name="Change state").click()
        expect(page.get_by_text(f"{report.reference} is now {state}.")).to_be_visible()
        page.goto(f"{live_server.url}/reports/{report.pk}/transition/")

    page.get_by_label("Or open a new case titled").fill("Webhook SSRF")
    page.get_by_role("button", name="Add to case").click()

    expect(page.get_by_role("heading", name="Webhook SSRF")).to_be_visible()
    expect(page.get_by_text(f"{report.reference} is part of")).to_be_visible()
    case = Case.objects.get()
    assert list(case.reports.all()) == [report]
    assert Report.objects.get(pk=report.pk).state == Report.State.CONFIRMED

    # The disclosure date agreed with the researcher, entered on the case page.
    agreed = timezone.localdate() + dt.timedelta(days=60)
    page.get_by_label("Agreed disclosure date").fill(agreed.isoformat())
    page.get_by_label("Why it is set, moved or withdrawn").fill("Agreed with the researcher by mail")
    page.get_by_role("button", name="Save the date").click()

    expect(page.get_by_text(f"The disclosure date is {agreed:%d %B %Y}.")).to_be_visible()
    assert Report.objects.get(pk=report.pk).agreed_disclosure_on == agreed
