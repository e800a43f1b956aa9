"""The report workbench page (duplicates, validations, case) and the case page."""

from django.test import Client
from django.urls import reverse

from vulndesk.accounts.models import User
from vulndesk.core.tests.factories import ProductFactory, ReportFactory
from vulndesk.intake.models import Report
from vulndesk.triage.models import Case
from vulndesk.triage.services import create_case


def test_workbench_lists_duplicate_candidates_and_marks_one(client: Client, analyst: User) -> None:
    product = ProductFactory.create()
    original = ReportFactory.create(product=product, title="SSRF in webhook tester", description="/hooks/test")
    report = ReportFactory.create(product=product, state=Report.State.TRIAGING, title="SSRF via the webhook tester")
    client.force_login(analyst)

    page = client.get(reverse("report_transition", args=[report.pk])).content.decode()
    response = client.post(
        reverse("report_mark_duplicate", args=[report.pk, original.pk]), {"expected_state": "triaging"}
    )

    assert "Possible duplicates" in page
    assert original.reference in page
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.duplicate_of == original


def test_marking_a_duplicate_of_a_duplicate_explains_the_root(client: Client, analyst: User) -> None:
    root = ReportFactory.create()
    middle = ReportFactory.create(state=Report.State.DUPLICATE, duplicate_of=root)
    report = ReportFactory.create(state=Report.State.TRIAGING)
    client.force_login(analyst)

    response = client.post(reverse("report_mark_duplicate", args=[report.pk, middle.pk]), follow=True)

    assert f"name {root.reference} as the original" in response.content.decode()


def test_confirmed_report_opens_a_case_from_the_workbench(client: Client, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.CONFIRMED)
    client.force_login(analyst)

    response = client.post(reverse("report_case", args=[report.pk]), {"title": "Webhook SSRF"}, follow=True)

    case = Case.objects.get()
    assert list(case.reports.all()) == [report]
    assert response.redirect_chain[-1][0] == reverse("case_detail", args=[case.pk])
    assert "Webhook SSRF" in response.content.decode()


def test_confirmed_report_joins_an_existing_case(client: Client, analyst: User) -> None:
    case = create_case(title="Parser", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=analyst)
    report = ReportFactory.create(state=Report.State.CONFIRMED)
    client.force_login(analyst)

    client.post(reverse("report_case", args=[report.pk]), {"case": str(case.pk)})

    assert report in case.reports.all()


def test_case_form_needs_a_case_or_a_title(client: Client, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.CONFIRMED)
    client.force_login(analyst)

    response = client.post(reverse("report_case", args=[report.pk]), {}, follow=True)

    assert "Pick an open case, or give the new case a title." in response.content.decode()
    assert not Case.objects.exists()


def test_case_page_records_the_servicing_decision(client: Client, coordinator: User) -> None:
    case = create_case(title="Parser", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=coordinator)
    client.force_login(coordinator)

    response = client.post(
        reverse("case_detail", args=[case.pk]),
        {"crosses_security_boundary": "yes", "meets_servicing_bar": "no", "rationale": "Needs admin rights."},
        follow=True,
    )

    case.refresh_from_db()
    assert (case.crosses_security_boundary, case.meets_servicing_bar) == (True, False)
    html = response.content.decode()
    assert "fixed in a future version" in html
    assert "case:servicing_decided" in html


def test_case_page_is_404_for_researchers(client: Client, coordinator: User, researcher: User) -> None:
    case = create_case(title="Parser", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=coordinator)
    client.force_login(researcher)

    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404


def test_engineers_see_the_case_but_cannot_decide(client: Client, coordinator: User, engineer: User) -> None:
    case = create_case(title="Parser", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=coordinator)
    client.force_login(engineer)

    page = client.get(reverse("case_detail", args=[case.pk]))
    post = client.post(
        reverse("case_detail", args=[case.pk]),
        {"crosses_security_boundary": "yes", "meets_servicing_bar": "yes", "rationale": "x"},
    )

    assert page.status_code == 200
    assert "Record the decision" not in page.content.decode()
    assert post.status_code == 403
