"""Researcher intake in a real browser: sign up → report with a file → acknowledgment → My reports,
and an anonymous report followed through its private link."""

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from vulndesk.catalog.models import Product
from vulndesk.core.tests.factories import ProductFactory
from vulndesk.intake.models import Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long browser passphrase 7"


@pytest.fixture
def product(live_server: LiveServer) -> Product:
    ProductFactory.create(name="Gadget Cloud")  # first in the list: the search must pass it over
    return ProductFactory.create(name="Widget Server")


def fill_the_report(page: Page, *, title: str) -> None:
    page.get_by_label("Title").fill(title)
    page.get_by_label("Search products").fill("widget serv")
    expect(page.locator("#id_product")).to_have_value(str(Product.objects.get(name="Widget Server").pk))
    page.locator("#id_affected_versions").fill("4.0 to 4.2")
    page.get_by_label("Description").fill("The import endpoint writes outside its folder.")
    page.locator("#id_steps_to_reproduce").fill("1. Sign in\n2. Upload the attached archive")
    page.get_by_label("I have read the disclosure policy and accept it").check()


def test_sign_up_report_with_a_file_and_find_it_in_my_reports(
    page: Page, live_server: LiveServer, product: Product, tmp_path: Path
) -> None:
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Email address").fill("new.researcher@example.test")
    page.get_by_label("Your name").fill("New Researcher")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    link = re.search(r"http://\S+/signup/verify/\S+", str(mail.outbox[-1].body))
    assert link is not None
    page.goto(live_server.url + "/signup/" + link.group(0).split("/signup/", 1)[1])
    expect(page.get_by_role("heading", name="My reports")).to_be_visible()

    page.get_by_role("link", name="Report a vulnerability").first.click()
    fill_the_report(page, title="Path traversal in archive import")
    page.get_by_role("button", name="Preview report").click()
    expect(page.get_by_role("heading", name="Check your report before sending")).to_be_visible()
    proof = tmp_path / "proof.txt"
    proof.write_text("curl -F file=@evil.zip https://widget/import\n")
    page.get_by_label("Attach files").set_input_files(str(proof))
    page.get_by_role("button", name="Send report").click()

    report = Report.objects.get()
    expect(page.get_by_role("heading", name="Thank you. We received your report.")).to_be_visible()
    expect(page.get_by_text(report.reference).first).to_be_visible()
    assert report.attachments.get().original_name == "proof.txt"
    page.get_by_role("link", name="My reports").first.click()
    expect(page.get_by_role("link", name="Path traversal in archive import")).to_be_visible()


def test_anonymous_report_and_its_private_link(
    page: Page, live_server: LiveServer, product: Product, settings: Settings
) -> None:
    settings.BASE_URL = live_server.url  # the private link is absolute, built from the public address
    page.goto(live_server.url)
    page.get_by_role("link", name="Report a vulnerability").first.click()
    fill_the_report(page, title="Anonymous finding in Widget Server")
    page.get_by_label("Vector string").fill("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    expect(page.locator("[data-cvss-result]")).to_contain_text("9.8 Critical")
    expect(page.locator("#suggested_cvss_31_AV")).to_have_value("N")  # the pickers follow the pasted vector
    page.get_by_role("radio", name="Do not credit me").check()
    page.get_by_role("button", name="Preview report").click()
    page.get_by_role("button", name="Send report").click()

    expect(page.get_by_role("heading", name="Your private link")).to_be_visible()
    link = page.locator("a.tracking-link").get_attribute("href")
    assert link is not None
    other = page.context.browser.new_context() if page.context.browser else None
    assert other is not None
    visitor = other.new_page()
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="Anonymous finding in Widget Server")).to_be_visible()
    expect(visitor.get_by_text("Received").first).to_be_visible()
    # The link is the reporter's sign-in: they write to the team from the page.
    visitor.get_by_label("Message").fill("The proof of concept also works on 2.3.")
    visitor.get_by_role("button", name="Post message").click()
    expect(visitor.get_by_text("Your message was sent to the security team.")).to_be_visible()
    expect(visitor.get_by_text("The proof of concept also works on 2.3.")).to_be_visible()
    other.close()


def test_cvss_pickers_on_the_report_form_build_the_vector_and_its_score(
    page: Page, live_server: LiveServer, product: Product
) -> None:
    page.goto(f"{live_server.url}/reports/new/")
    fill_the_report(page, title="Scored with the pickers")
    picks = {"AV": "N", "AC": "L", "PR": "L", "UI": "N", "S": "U", "C": "H", "I": "H", "A": "H"}
    for key, value in picks.items():
        page.locator(f"#suggested_cvss_31_{key}").select_option(value)
    result = page.locator("[data-cvss-result]")
    expect(page.get_by_label("Vector string")).to_have_value("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H")
    expect(result).to_contain_text("8.8 High")

    # With the keyboard only: Privileges Required Low → High lowers the score at once.
    page.locator("#suggested_cvss_31_PR").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Vector string")).to_have_value("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H")
    expect(result).to_contain_text("7.2 High")

    # CVSS 4.0 has its own pickers; the vector and score follow the version.
    page.get_by_label("CVSS version").select_option("4.0")
    picks40 = {"AV": "N", "AC": "L", "AT": "N", "PR": "N", "UI": "N", "VC": "H", "VI": "H", "VA": "H"}
    for key, value in (picks40 | {"SC": "N", "SI": "N", "SA": "N"}).items():
        page.locator(f"#suggested_cvss_40_{key}").select_option(value)
    vector40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    expect(page.get_by_label("Vector string")).to_have_value(vector40)
    expect(result).to_contain_text("9.3 Critical")

    page.get_by_role("button", name="Preview report").click()
    expect(page.get_by_role("heading", name="Check your report before sending")).to_be_visible()
    expect(page.get_by_text(vector40)).to_be_visible()
