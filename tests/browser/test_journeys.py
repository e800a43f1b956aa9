"""The key journeys of the foundation, in a real browser against the demo data."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from vulndesk.advisories.models import Advisory
from vulndesk.demo.data import DEMO_PASSWORD, EMAIL_DOMAIN
from vulndesk.intake.models import Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server: LiveServer) -> str:
    call_command("demo", stdout=io.StringIO())
    return live_server.url


def sign_in_with_the_keyboard(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email address").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")


def test_demo_analyst_signs_in_and_works_the_queue(page: Page, demo: str) -> None:
    sign_in_with_the_keyboard(page, demo, f"analyst@{EMAIL_DOMAIN}")

    expect(page.get_by_role("heading", name="Report queue")).to_be_visible()
    page.get_by_label("State", exact=True).select_option("confirmed")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(Report.objects.filter(state="confirmed").count())
    rows.first.get_by_role("link").first.click()
    expect(page.get_by_text("Confirmed").first).to_be_visible()


def test_public_advisories_page_lists_the_published_demo_advisories(page: Page, demo: str) -> None:
    published = list(Advisory.objects.published().values_list("identifier", flat=True))
    drafts = list(Advisory.objects.exclude(state=Advisory.State.PUBLISHED).values_list("identifier", flat=True))

    page.goto(f"{demo}/advisories/")

    expect(page.get_by_role("heading", name="Security advisories")).to_be_visible()
    for identifier in published:
        expect(page.get_by_text(identifier).first).to_be_visible()
    for identifier in drafts:
        expect(page.get_by_text(identifier)).to_have_count(0)
    assert published


def test_researcher_sees_only_their_own_reports(page: Page, demo: str) -> None:
    mine = list(Report.objects.filter(researcher__email=f"mira.okonkwo@{EMAIL_DOMAIN}").values_list("title", flat=True))
    someone_elses = Report.objects.exclude(researcher__email=f"mira.okonkwo@{EMAIL_DOMAIN}").first()
    assert someone_elses is not None

    sign_in_with_the_keyboard(page, demo, f"mira.okonkwo@{EMAIL_DOMAIN}")

    expect(page.get_by_role("heading", name="My reports")).to_be_visible()
    expect(page.get_by_text(mine[0]).first).to_be_visible()
    expect(page.get_by_text(someone_elses.title, exact=True)).to_have_count(0)
    response = page.goto(f"{demo}/reports/{someone_elses.pk}/")
    assert response is not None
    assert response.status == 404
