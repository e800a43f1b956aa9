"""The guided report form: preview, send, acknowledgment, anonymous reports and abuse resistance."""

import re
from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from vulndesk.accounts.models import User
from vulndesk.core.services import change_state
from vulndesk.core.tests.factories import ProductFactory
from vulndesk.intake.models import Report

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db
FORM = {
    "title": "SSRF in webhooks",
    "description": "Point the hook at 169.254.169.254.",
    "steps_to_reproduce": "1. Create a webhook\n2. Trigger it",
    "product_other": "Widget Cloud",
    "credit_preference": "name",
    "credit_name": "Mira",
    "accepts_policy": "on",
}


def _send(client: Client, data: dict[str, str], *, follow: bool = False) -> "Response":
    return client.post(reverse("report_submit"), data | {"action": "send"}, follow=follow)


def test_submit_page_explains_what_a_good_report_contains(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    html = client.get(reverse("report_submit")).content.decode()

    assert "What makes a good report" in html
    assert "within <strong>72 hours</strong>" in html
    assert 'list="cwe-suggestions"' in html
    assert 'name="contact_email"' not in html


def test_preview_shows_the_report_and_saves_nothing(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post(reverse("report_submit"), FORM | {"action": "preview"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Check your report before sending" in html
    assert "Point the hook at 169.254.169.254." in html
    assert 'value="send"' in html
    assert 'type="hidden" name="title" value="SSRF in webhooks"' in html
    assert not Report.objects.exists()


def test_preview_reports_rule_violations_on_the_form(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post(reverse("report_submit"), FORM | {"product_other": "", "action": "preview"})

    assert response.status_code == 400
    assert b"Pick a product" in response.content
    assert not Report.objects.exists()


def test_anonymous_preview_without_a_name_says_not_credited(client: Client, db: None) -> None:
    response = client.post(reverse("report_submit"), FORM | {"credit_name": "", "action": "preview"})

    assert response.status_code == 200
    assert "<dt>Credit</dt><dd>Not credited</dd>" in response.content.decode()


def test_edit_goes_back_to_the_form_with_the_text(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post(reverse("report_submit"), FORM | {"action": "edit"})

    assert b"Report a vulnerability</h1>" in response.content
    assert b"SSRF in webhooks" in response.content


def test_sending_files_the_report_and_shows_the_acknowledgment(
    client: Client, researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    product = ProductFactory.create()
    client.force_login(researcher)

    with django_capture_on_commit_callbacks(execute=True):
        response = _send(client, FORM | {"product": str(product.pk), "product_other": ""}, follow=True)

    report = Report.objects.get()
    html = response.content.decode()
    assert (report.researcher, report.product, report.credit_line) == (researcher, product, "Mira")
    assert response.redirect_chain == [(reverse("report_received", args=[report.pk]), 302)]
    assert report.reference in html
    assert "within <strong>72 hours</strong>" in html
    assert [message.to for message in mail.outbox] == [[researcher.email]]


def test_the_policy_must_be_accepted_on_the_form(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    data = {key: value for key, value in FORM.items() if key != "accepts_policy"}

    response = _send(client, data)

    assert response.status_code == 400
    assert b"accept the disclosure policy" in response.content
    assert not Report.objects.exists()


def test_a_filled_honeypot_is_refused(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = _send(client, FORM | {"website": "http://spam.example"})

    assert response.status_code == 400
    assert not Report.objects.exists()


def test_double_submit_makes_one_report(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    first = _send(client, FORM)
    second = _send(client, FORM)

    assert Report.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_rate_limit_is_explained_on_the_form(client: Client, researcher: User, settings: Settings) -> None:
    settings.INTAKE_SUBMISSIONS_PER_HOUR_PER_ACCOUNT = 1
    client.force_login(researcher)
    _send(client, FORM)

    response = _send(client, FORM | {"title": "Another"})

    assert response.status_code == 429
    assert b"Please wait before sending more" in response.content
    assert Report.objects.count() == 1


def test_script_in_a_field_is_shown_escaped(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    _send(client, FORM | {"steps_to_reproduce": "<script>alert(1)</script>"})

    html = client.get(Report.objects.get().get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_staff_see_the_new_fields(client: Client, researcher: User, analyst: User) -> None:
    client.force_login(researcher)
    _send(client, FORM | {"proof_of_concept": "curl -X POST /hooks", "is_exploited": "on"})
    client.force_login(analyst)

    html = client.get(Report.objects.get().get_absolute_url()).content.decode()

    assert "curl -X POST /hooks" in html
    assert "1. Create a webhook" in html
    assert "Exploited in the wild</dt><dd>Yes" in html


# Anonymous


def test_visitor_sees_the_form_with_a_contact_field(client: Client) -> None:
    html = client.get(reverse("report_submit")).content.decode()

    assert "sent anonymously" in html
    assert 'name="contact_email"' in html


def test_anonymous_report_shows_its_private_link_once_and_it_works(client: Client) -> None:
    response = _send(client, FORM | {"credit_preference": "anonymous", "credit_name": ""}, follow=True)

    html = response.content.decode()
    report = Report.objects.get()
    link = re.search(r'class="tracking-link" href="([^"]+)"', html)
    assert link is not None
    assert report.is_anonymous
    assert report.reference in html
    tracked = Client().get(link.group(1).removeprefix("http://127.0.0.1:8000"))
    assert tracked.status_code == 200
    assert b"SSRF in webhooks" in tracked.content
    assert tracked["Referrer-Policy"] == "same-origin"
    assert b"Back to my reports" not in tracked.content


def test_an_unknown_tracking_link_is_404(client: Client) -> None:
    response = client.get(reverse("report_tracked", args=["guess"]))

    assert response.status_code == 404


def test_acknowledgment_page_without_a_report_in_the_session_is_404(client: Client) -> None:
    response = client.get(reverse("report_received_anonymous"))

    assert response.status_code == 404


def test_another_researchers_acknowledgment_is_404(client: Client, researcher: User, outsider: User) -> None:
    client.force_login(researcher)
    _send(client, FORM)
    client.force_login(outsider)

    response = client.get(reverse("report_received", args=[Report.objects.get().pk]))

    assert response.status_code == 404


def test_staff_cannot_open_the_form(client: Client, coordinator: User) -> None:
    client.force_login(coordinator)

    response = client.get(reverse("report_submit"))

    assert response.status_code == 403


def test_researcher_page_shows_the_public_timeline_without_internal_reasons(
    client: Client, researcher: User, analyst: User
) -> None:
    client.force_login(researcher)
    _send(client, FORM)
    report = Report.objects.get()
    change_state(report, Report.State.TRIAGING, actor=analyst, reason="internal: looks like dup of VD-R9")
    change_state(report, Report.State.VALIDATING, actor=analyst, reason="internal: repro on 4.2")

    html = client.get(report.get_absolute_url()).content.decode()

    assert html.count("<li><strong>") == 2
    assert "<strong>Received</strong>" in html
    assert "<strong>In review</strong>" in html
    assert "internal:" not in html
    assert "The advisory will credit “Mira”." in html


def test_preview_shows_the_score_of_the_suggested_vector(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

    html = client.post(reverse("report_submit"), FORM | {"suggested_cvss_vector": vector}).content.decode()

    assert "9.8 Critical" in html


def test_preview_refuses_a_malformed_vector_on_the_form(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post(reverse("report_submit"), FORM | {"suggested_cvss_vector": "CVSS:3.1/AV:Q"})

    assert response.status_code == 400
    assert b"Invalid CVSS vector" in response.content
