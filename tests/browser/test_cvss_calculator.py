"""The CVSS calculator in a real browser: pickers and vector follow each other, the score is live."""

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Role
from vulndesk.core.tests.factories import TEST_PASSWORD, UserFactory, VulnerabilityFactory
from vulndesk.scoring.models import Vulnerability

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in_analyst(page: Page, live_server: LiveServer) -> User:
    analyst = UserFactory.create(role=Role.ANALYST, email="calc.analyst@example.test")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill(analyst.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return analyst


def test_pickers_write_the_vector_and_the_score_follows(
    page: Page, live_server: LiveServer, signed_in_analyst: User
) -> None:
    vulnerability = VulnerabilityFactory.create(cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    page.goto(f"{live_server.url}/vulnerabilities/{vulnerability.pk}/")
    result = page.locator("[data-cvss-result]")
    expect(result).to_contain_text("9.8 Critical")

    page.get_by_label("Attack Vector AV").first.select_option("L")

    expect(page.get_by_label("Vector string")).to_have_value("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    expect(result).to_contain_text("8.4 High")


def test_typed_vector_sets_the_pickers_and_switches_version(
    page: Page, live_server: LiveServer, signed_in_analyst: User
) -> None:
    page.goto(f"{live_server.url}/scoring/cvss/")

    page.get_by_label("Vector string").fill("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U")

    expect(page.get_by_label("CVSS version")).to_have_value("4.0")
    expect(page.locator("#cvss_40_E")).to_have_value("U")
    expect(page.locator("[data-cvss-result]")).to_contain_text("8.1 High")
    expect(page.locator("[data-cvss-result]")).to_contain_text("CVSS-BT")


def test_a_bad_vector_names_the_metric(page: Page, live_server: LiveServer, signed_in_analyst: User) -> None:
    page.goto(f"{live_server.url}/scoring/cvss/")

    page.get_by_label("Vector string").fill("CVSS:3.1/AV:N/AC:Q/PR:N/UI:N/S:U/C:H/I:H/A:H")

    expect(page.locator("[data-cvss-result]")).to_contain_text("AC:")


def test_keyboard_only_scoring_is_saved(page: Page, live_server: LiveServer, signed_in_analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    page.goto(f"{live_server.url}/vulnerabilities/{vulnerability.pk}/")

    page.locator("#cvss_31_PR").focus()
    page.keyboard.press("ArrowDown")  # None → Low
    expect(page.locator("[data-cvss-result]")).to_contain_text("8.8 High")
    page.locator("#id_score-rationale").fill("Needs an account")
    page.get_by_role("button", name="Save score").click()

    expect(page.get_by_text("Score saved")).to_be_visible()
    assert Vulnerability.objects.get(pk=vulnerability.pk).cvss_vector == "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"


def test_visitors_use_the_calculator_without_signing_in(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/scoring/cvss/")

    page.get_by_label("Vector string").fill("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")

    expect(page.locator("[data-cvss-result]")).to_contain_text("6.1 Medium")
