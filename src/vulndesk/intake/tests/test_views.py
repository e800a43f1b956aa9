"""A report's page (researcher and staff views) and filing a report."""

import pytest
from django.test import Client
from django.urls import reverse

from vulndesk.accounts.models import User
from vulndesk.core.tests.factories import CaseFactory, ReportFactory
from vulndesk.intake.models import Report
from vulndesk.triage.services import add_report_to_case

pytestmark = pytest.mark.django_db


def _detail(report: Report) -> str:
    return reverse("report_detail", args=[report.pk])


# Reading a report


def test_researcher_sees_their_own_report_with_the_public_status(client: Client, researcher: User) -> None:
    report = ReportFactory.create(
        researcher=researcher, state=Report.State.VALIDATING, affected_versions="2.0 to 2.3", cwe="CWE-79"
    )
    client.force_login(researcher)

    response = client.get(_detail(report))

    html = response.content.decode()
    assert response.status_code == 200
    assert report.title in html
    assert report.description in html
    assert report.product is not None
    assert report.product.name in html
    assert "2.0 to 2.3" in html
    assert "CWE-79" in html
    assert "In review" in html


def test_researcher_view_hides_internal_state_and_triage(client: Client, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.VALIDATING)
    client.force_login(researcher)

    html = client.get(_detail(report)).content.decode()

    assert "Validating" not in html
    assert reverse("report_transition", args=[report.pk]) not in html
    assert "Allowed next states" not in html


def test_outsider_gets_404_for_another_researchers_report(client: Client, researcher: User, outsider: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client.force_login(outsider)

    response = client.get(_detail(report))

    assert response.status_code == 404
    assert report.title.encode() not in response.content


def test_missing_report_is_404_like_a_forbidden_one(client: Client, outsider: User) -> None:
    client.force_login(outsider)

    response = client.get(reverse("report_detail", args=[987654]))

    assert response.status_code == 404


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    report = ReportFactory.create()

    response = client.get(_detail(report))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={_detail(report)}"


def test_engineer_without_report_access_gets_404(client: Client, engineer: User) -> None:
    report = ReportFactory.create()
    client.force_login(engineer)

    response = client.get(_detail(report))

    assert response.status_code == 404


def test_analyst_sees_state_next_states_and_the_triage_form(client: Client, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.NEW)
    client.force_login(analyst)

    response = client.get(_detail(report))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="badge badge--new">New</span>' in html
    assert '<option value="triaging">Triaging</option>' in html
    assert '<option value="confirmed">' not in html  # not allowed from new
    assert f'action="{reverse("report_transition", args=[report.pk])}"' in html
    assert str(report.researcher) in html


def test_staff_view_links_the_case_the_report_is_in(client: Client, coordinator: User) -> None:
    report = ReportFactory.create(state=Report.State.CONFIRMED)
    case = CaseFactory.create(title="Parser memory corruption")
    add_report_to_case(case, report, actor=coordinator)
    client.force_login(coordinator)

    html = client.get(_detail(report)).content.decode()

    assert case.reference in html
    assert "Parser memory corruption" in html


def test_final_state_offers_no_form(client: Client, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.SPAM)
    client.force_login(analyst)

    html = client.get(_detail(report)).content.decode()

    assert "final state" in html
    assert reverse("report_transition", args=[report.pk]) not in html


# Filing a report


def test_submit_page_shows_the_form_to_a_researcher(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.get(reverse("report_submit"))

    assert response.status_code == 200
    assert b'<label for="id_title">Title</label>' in response.content
    assert b'<label for="id_description">Description</label>' in response.content


def test_submission_needs_a_description(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post(
        reverse("report_submit"), {"title": "Only a title", "product_other": "Thing", "accepts_policy": "on"}
    )

    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.content
    assert not Report.objects.exists()


def test_staff_cannot_file_reports(client: Client, analyst: User) -> None:
    client.force_login(analyst)

    response = client.get(reverse("report_submit"))

    assert response.status_code == 403


def test_submission_is_csrf_protected(researcher: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher)

    response = client.post(reverse("report_submit"), {"title": "T", "description": "D", "product_other": "P"})

    assert response.status_code == 403
    assert not Report.objects.exists()
