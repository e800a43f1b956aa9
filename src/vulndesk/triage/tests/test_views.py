"""The report queue and moving a report to another state from the portal."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.models import AuditEvent
from vulndesk.core.services import enter_initial_state
from vulndesk.core.tests.factories import ProductFactory, ReportFactory
from vulndesk.intake.models import Report
from vulndesk.triage.forms import ReportTransitionForm

pytestmark = pytest.mark.django_db
QUEUE = reverse("report_queue")


def _rows(content: bytes) -> int:
    return content.count(b'<td class="ref">VD-R')


# Who may see the queue


@pytest.mark.parametrize("role_fixture", ["analyst", "coordinator", "admin_user"])
def test_staff_with_report_access_see_every_report(
    client: Client, request: pytest.FixtureRequest, role_fixture: str, researcher: User, outsider: User
) -> None:
    ReportFactory.create(researcher=researcher, title="First researcher's report")
    ReportFactory.create(researcher=outsider, title="Second researcher's report")
    client.force_login(request.getfixturevalue(role_fixture))

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert _rows(response.content) == 2


@pytest.mark.parametrize("role_fixture", ["researcher", "engineer", "release_manager"])
def test_queue_is_forbidden_without_staff_report_access(
    client: Client, request: pytest.FixtureRequest, role_fixture: str
) -> None:
    ReportFactory.create(title="Confidential finding")
    client.force_login(request.getfixturevalue(role_fixture))

    response = client.get(QUEUE)

    assert response.status_code == 403
    assert b"Confidential finding" not in response.content


def test_anonymous_is_sent_to_sign_in_from_the_queue(client: Client) -> None:
    response = client.get(QUEUE)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={QUEUE}"


# Filters, counts, sorting and pages


def test_queue_filters_by_state(client: Client, analyst: User) -> None:
    ReportFactory.create(state=Report.State.NEW, title="Fresh")
    ReportFactory.create(state=Report.State.TRIAGING, title="Being looked at")
    client.force_login(analyst)

    response = client.get(QUEUE, {"state": "triaging"})

    assert _rows(response.content) == 1
    assert b"Being looked at" in response.content


def test_queue_filters_by_product(client: Client, analyst: User) -> None:
    browser = ProductFactory.create(slug="browser")
    ReportFactory.create(product=browser, title="Browser bug")
    ReportFactory.create(title="Server bug")
    client.force_login(analyst)

    response = client.get(QUEUE, {"product": "browser"})

    assert _rows(response.content) == 1
    assert b"Browser bug" in response.content


def test_queue_searches_titles(client: Client, analyst: User) -> None:
    ReportFactory.create(title="Heap overflow in PNG decoder")
    ReportFactory.create(title="Open redirect after login")
    client.force_login(analyst)

    response = client.get(QUEUE, {"q": "png"})

    assert _rows(response.content) == 1
    assert b"Heap overflow in PNG decoder" in response.content


def test_queue_rows_escape_what_researchers_wrote(client: Client, analyst: User) -> None:
    ReportFactory.create(title='<script>alert("title")</script>', product=None, product_other="<b>Widget</b>")
    client.force_login(analyst)

    html = client.get(QUEUE).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in html
    assert '&lt;b&gt;Widget&lt;/b&gt; <span class="muted">(not in catalog)</span>' in html


def test_queue_ignores_invalid_filter_values(client: Client, analyst: User) -> None:
    ReportFactory.create_batch(2)
    client.force_login(analyst)

    response = client.get(QUEUE, {"state": "bogus", "product": "no-such-product", "sort": "drop table"})

    assert response.status_code == 200
    assert _rows(response.content) == 2


def test_queue_counts_reports_per_state_under_the_other_filters(client: Client, analyst: User) -> None:
    ReportFactory.create_batch(2, state=Report.State.NEW, title="XSS somewhere")
    ReportFactory.create(state=Report.State.TRIAGING, title="XSS elsewhere")
    ReportFactory.create(state=Report.State.TRIAGING, title="CSRF")
    client.force_login(analyst)

    response = client.get(QUEUE, {"q": "xss", "state": "new"})

    html = response.content.decode()
    assert 'New <span class="count">2</span>' in html
    assert 'Triaging <span class="count">1</span>' in html
    assert 'All <span class="count">3</span>' in html


def test_queue_sorts_by_priority_by_default_then_by_age_on_request(client: Client, analyst: User) -> None:
    old = ReportFactory.create(title="Old report", priority=3)
    new = ReportFactory.create(title="New report", priority=1)
    unscored = ReportFactory.create(title="Not scored yet")
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    client.force_login(analyst)

    by_priority = client.get(QUEUE).content.decode()
    newest = client.get(QUEUE, {"sort": "-age"}).content.decode()
    oldest = client.get(QUEUE, {"sort": "age"}).content.decode()

    def row(report: Report) -> str:
        return f'<td class="ref">{report.reference}<br>'

    assert by_priority.index(row(new)) < by_priority.index(row(old)) < by_priority.index(row(unscored))
    assert newest.index(row(new)) < newest.index(row(old))
    assert oldest.index(row(old)) < oldest.index(row(new))


def test_queue_pages_by_fifty_keeping_the_filters(client: Client, analyst: User) -> None:
    ReportFactory.create_batch(55, state=Report.State.NEW)
    client.force_login(analyst)

    first = client.get(QUEUE, {"state": "new"})
    second = client.get(QUEUE, {"state": "new", "page": "2"})

    assert _rows(first.content) == 50
    assert _rows(second.content) == 5
    assert b'href="?state=new&amp;page=2"' in first.content


@pytest.mark.parametrize("filters", [{"sort": "age"}, {"sort": "sla_due", "product": "browser"}])
def test_queue_query_count_does_not_grow_with_reports(
    client: Client, analyst: User, django_assert_max_num_queries: DjangoAssertNumQueries, filters: dict[str, str]
) -> None:
    ReportFactory.create_batch(60, product=ProductFactory.create(slug="browser"))
    client.force_login(analyst)
    client.get(QUEUE)  # the first look gives the new reports their SLA snapshots (a fixed number of queries)

    # session, user; SLA sweep mark and reports after it; product (with ids: no lookup of the
    # filtered one), team and assignee choices; state counts (which give the page count when they
    # are exact), the page with product, researcher, assignee and SLA; saved views, who is on
    # duty, people to assign to; the header's notification count
    with django_assert_max_num_queries(12):
        response = client.get(QUEUE, filters)

    assert _rows(response.content) == 50


def test_queue_search_box_has_a_label_and_an_access_key(client: Client, analyst: User) -> None:
    client.force_login(analyst)

    html = client.get(QUEUE).content.decode()

    assert '<label for="id_q">' in html
    assert '<input type="search" name="q" accesskey="s"' in html
    assert 'role="search"' in html


# Moving a report


def _transition(report: Report) -> str:
    return reverse("report_transition", args=[report.pk])


def test_analyst_moves_a_report_with_a_reason(client: Client, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.NEW)
    client.force_login(analyst)

    response = client.post(_transition(report), {"to": "triaging", "reason": "Reproducing now"}, follow=True)

    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING
    assert response.redirect_chain == [(reverse("report_detail", args=[report.pk]), 302)]
    assert f"{report.reference} is now Triaging.".encode() in response.content
    assert AuditEvent.objects.filter(tag="report:triaging", actor=analyst, rationale="Reproducing now").exists()


def test_disallowed_transition_shows_the_message_and_changes_nothing(client: Client, coordinator: User) -> None:
    report = ReportFactory.create(state=Report.State.NEW)
    client.force_login(coordinator)

    response = client.post(_transition(report), {"to": "fixed", "reason": "Shipped"})

    report.refresh_from_db()
    assert response.status_code == 400
    assert b"cannot move to &#x27;fixed&#x27;" in response.content
    assert report.state == Report.State.NEW


def test_rule_violation_shows_the_message_and_changes_nothing(client: Client, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)
    client.force_login(analyst)

    response = client.post(_transition(report), {"to": "spam", "reason": "  "})

    report.refresh_from_db()
    assert response.status_code == 400
    assert b"Say why the report moves to" in response.content
    assert report.state == Report.State.TRIAGING


def test_unknown_state_is_refused_by_the_form(client: Client, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.NEW)
    client.force_login(analyst)

    response = client.post(_transition(report), {"to": "launched"})

    report.refresh_from_db()
    assert response.status_code == 400
    assert b"is not a report state" in response.content
    assert report.state == Report.State.NEW


def test_marking_a_duplicate_names_the_original_by_reference(client: Client, analyst: User) -> None:
    original = ReportFactory.create()
    report = ReportFactory.create(state=Report.State.NEW)
    client.force_login(analyst)

    client.post(_transition(report), {"to": "duplicate", "reason": "Same bug", "duplicate_of": original.reference})

    report.refresh_from_db()
    assert report.state == Report.State.DUPLICATE
    assert report.duplicate_of == original


def test_unknown_original_report_is_a_form_error(client: Client, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.NEW)
    client.force_login(analyst)

    response = client.post(_transition(report), {"to": "duplicate", "reason": "Same", "duplicate_of": "VD-R999999"})

    report.refresh_from_db()
    assert response.status_code == 400
    assert b"There is no report VD-R999999." in response.content
    assert report.state == Report.State.NEW


def test_duplicate_reference_must_look_like_one(analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.NEW)
    form = ReportTransitionForm({"to": "duplicate", "duplicate_of": "the other one"}, report=report, user=analyst)

    assert not form.is_valid()
    assert form.errors["duplicate_of"] == ["Write the original report's reference, e.g. VD-R12."]


def test_transition_page_offers_allowed_states(client: Client, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.NEW)
    client.force_login(analyst)

    response = client.get(_transition(report))

    assert response.status_code == 200
    assert b'<option value="triaging">Triaging</option>' in response.content


def test_researcher_cannot_move_their_own_report(client: Client, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.NEW)
    client.force_login(researcher)

    response = client.post(_transition(report), {"to": "triaging", "reason": "Please look"})

    report.refresh_from_db()
    assert response.status_code == 404
    assert report.state == Report.State.NEW


def test_engineer_cannot_move_a_report(client: Client, engineer: User) -> None:
    report = ReportFactory.create(state=Report.State.NEW)
    client.force_login(engineer)

    response = client.post(_transition(report), {"to": "triaging", "reason": "Looks real"})

    report.refresh_from_db()
    assert response.status_code == 404
    assert report.state == Report.State.NEW


def test_transition_is_csrf_protected(analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.NEW)
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)

    response = client.post(_transition(report), {"to": "triaging"})

    report.refresh_from_db()
    assert response.status_code == 403
    assert report.state == Report.State.NEW


def test_anonymous_transition_goes_to_sign_in(client: Client) -> None:
    report = ReportFactory.create(state=Report.State.NEW)

    response = client.post(_transition(report), {"to": "triaging"})

    report.refresh_from_db()
    assert response.status_code == 302
    assert report.state == Report.State.NEW


def test_transition_page_refuses_a_move_someone_else_overtook(client: Client, analyst: User, coordinator: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)
    client.force_login(analyst)
    url = reverse("report_transition", args=[report.pk])
    assert 'name="expected_state" value="triaging"' in client.get(url).content.decode()
    client.force_login(coordinator)
    client.post(url, {"to": "validating", "expected_state": "triaging"})
    client.force_login(analyst)

    response = client.post(url, {"to": "spam", "reason": "Junk", "expected_state": "triaging"}, follow=True)

    assert "moved to &#x27;validating&#x27; by someone else" in response.content.decode()
    report.refresh_from_db()
    assert report.state == Report.State.VALIDATING


def test_queue_shows_each_reports_running_sla_clock(client: Client, analyst: User) -> None:
    report = ReportFactory.create()
    enter_initial_state(report, actor=report.researcher)
    client.force_login(analyst)

    html = client.get(QUEUE).content.decode()

    assert '<span class="clock clock--on_track" title="First response clock">First response · On track</span>' in html
    assert "due " in html


def test_transition_page_shows_the_clocks(client: Client, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.NEEDS_INFO)
    enter_initial_state(report, actor=report.researcher)
    client.force_login(analyst)

    html = client.get(reverse("report_transition", args=[report.pk])).content.decode()

    assert "SLA clocks" in html
    assert "when the researcher answers" in html


def test_queue_filters_by_assignee_low_signal_and_sla_from_the_form(client: Client, analyst: User) -> None:
    wanted = ReportFactory.create(title="Wanted report")
    enter_initial_state(wanted, actor=wanted.researcher)
    ReportFactory.create(title="Someone else's", assignee=analyst)
    ReportFactory.create(title="Noise", is_low_signal=True)
    client.force_login(analyst)

    response = client.get(QUEUE, {"assignee": "none", "low_signal": "no", "sla": "on_track"})

    assert _rows(response.content) == 1
    assert b"Wanted report" in response.content
    assert b"1 report matches these filters" in response.content
