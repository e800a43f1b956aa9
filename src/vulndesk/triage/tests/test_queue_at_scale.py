"""What keeps the queue fast at a million reports without changing its answers: bounded counts and plan-friendly queries."""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.services import enter_initial_state
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import ProductFactory, ReportFactory
from vulndesk.intake.models import Report
from vulndesk.triage import selectors
from vulndesk.triage.selectors import QueueFilters, count_queue, list_queue_for_user, queue_page
from vulndesk.triage.sla import refresh_missing_report_slas

Api = Callable[[User | None], ApiClient]
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
OPEN = ("new", "triaging", "needs_info", "validating")


def _received(when: dt.datetime, **fields: object) -> Report:
    with time_machine.travel(when, tick=False):
        report = ReportFactory.create(**fields)
        enter_initial_state(report, actor=report.researcher)
    return report


def test_count_is_exact_up_to_the_limit_and_says_so_past_it(analyst: User) -> None:
    ReportFactory.create_batch(4)
    reports = list_queue_for_user(analyst)

    assert count_queue(reports, limit=4) == (4, True)
    assert count_queue(reports, limit=3) == (3, False)


def test_api_says_when_the_count_stopped_and_later_pages_still_load(
    api: Api, analyst: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ReportFactory.create_batch(5)
    monkeypatch.setattr(selectors, "QUEUE_COUNT_LIMIT", 3)

    first = api(analyst).get("/queue", {"page_size": 2}).json()
    third = api(analyst).get("/queue", {"page_size": 2, "page": 3}).json()

    assert (first["count"], first["count_is_exact"], first["pages"]) == (3, False, 2)
    assert len(third["items"]) == 1


def test_api_count_is_exact_under_the_limit(api: Api, analyst: User) -> None:
    ReportFactory.create_batch(2)

    body = api(analyst).get("/queue").json()

    assert (body["count"], body["count_is_exact"]) == (2, True)


def test_product_filter_of_an_unknown_slug_finds_nothing(analyst: User) -> None:
    ReportFactory.create(product=ProductFactory.create(slug="forms"))

    assert not list_queue_for_user(analyst, QueueFilters(product="no-such-product")).exists()
    assert selectors.queue_state_counts(analyst, QueueFilters(product="no-such-product")) == {}


def test_product_filter_looks_up_the_slug_unless_the_caller_gives_the_id(
    analyst: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    forms = ProductFactory.create(slug="forms")
    report = ReportFactory.create(product=forms)
    ReportFactory.create(product=ProductFactory.create(slug="mail"))

    with django_assert_num_queries(2):  # the product's id, then the reports
        looked_up = list(list_queue_for_user(analyst, QueueFilters(product="forms")))
    with django_assert_num_queries(1):
        given = list(list_queue_for_user(analyst, QueueFilters(product="forms", product_id=forms.pk)))

    assert looked_up == given == [report]
    assert selectors.with_product_id(QueueFilters(product="forms")).product_id == forms.pk
    assert selectors.with_product_id(QueueFilters(product="no-such-product")).product_id is None


def test_api_page_with_state_counts_looks_the_product_up_once(
    api: Api, analyst: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ReportFactory.create_batch(3, product=ProductFactory.create(slug="forms"))
    client = api(analyst)
    client.get("/queue")  # the first call gives the new reports their SLA snapshots

    # token, SLA sweep mark, the product's id, count, page, state counts
    with django_assert_max_num_queries(6):
        body = client.get("/queue", {"product": "forms", "with_counts": "true"}).json()

    assert (body["count"], body["state_counts"]) == (3, {"new": 3})


def test_open_reports_by_sla_due_time_are_ordered_by_their_snapshots(analyst: User) -> None:
    late = _received(MONDAY_10 - dt.timedelta(hours=1))
    early = _received(MONDAY_10 - dt.timedelta(hours=5), state=Report.State.TRIAGING)
    _received(MONDAY_10 - dt.timedelta(hours=9), state=Report.State.SPAM)
    refresh_missing_report_slas()

    ordered = list(list_queue_for_user(analyst, QueueFilters(states=OPEN), sort="sla_due"))

    assert ordered == [early, late]


@pytest.mark.parametrize("sla", [None, "breached"])
@pytest.mark.parametrize("states", [(), OPEN, ("new", "spam"), ("spam", "confirmed")])
@pytest.mark.parametrize("sort", ["sla_due", "priority", "age"])
def test_every_page_window_holds_the_rows_of_the_one_ordered_query(
    analyst: User, states: tuple[str, ...], sort: str, sla: str | None
) -> None:
    # Due times, paused and stopped clocks, reports never swept: queue_page reads an SLA-due page in two parts.
    for hours, state in enumerate(["new", "spam", "triaging", "confirmed", "new", "needs_info", "spam", "new"]):
        _received(MONDAY_10 - dt.timedelta(hours=3 * hours), state=state)
    refresh_missing_report_slas()
    _received(MONDAY_10, state="spam")  # no snapshot yet
    filters = QueueFilters(states=states, sla=sla)
    reports = list_queue_for_user(analyst, filters, sort=sort)
    ordered = list(reports)
    assert ordered or (sla and set(states) <= {"spam", "confirmed"})  # some rows, unless none can match

    for start, stop in [(0, 3), (2, 5), (3, 7), (5, 9), (7, 12), (0, 20)]:
        assert queue_page(reports, filters, sort=sort, start=start, stop=stop) == ordered[start:stop]


def test_search_sorted_by_priority_keeps_unscored_last(analyst: User) -> None:
    unscored = ReportFactory.create(title="Heap overflow in the PNG decoder")
    p3 = ReportFactory.create(title="PNG chunk overflow", priority=3)
    p0 = ReportFactory.create(title="Overflow in PNG metadata", priority=0)
    ReportFactory.create(title="Stored XSS", priority=0)

    ordered = list(list_queue_for_user(analyst, QueueFilters(q="overflow", states=OPEN), sort="priority"))

    assert ordered == [p0, p3, unscored]


def test_past_the_limit_state_counts_are_lower_bounds_from_the_first_matches(
    api: Api, analyst: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ReportFactory.create_batch(4)
    ReportFactory.create_batch(2, state=Report.State.SPAM)
    monkeypatch.setattr(selectors, "QUEUE_COUNT_LIMIT", 3)

    body = api(analyst).get("/queue", {"with_counts": "true"}).json()

    assert body["state_counts_are_exact"] is False
    assert sum(body["state_counts"].values()) == 4  # the first limit + 1 matches
    assert body["state_counts"].get("new", 0) <= 4
    assert body["state_counts"].get("spam", 0) <= 2


def test_state_counts_under_the_limit_are_exact(api: Api, analyst: User) -> None:
    ReportFactory.create_batch(2)

    body = api(analyst).get("/queue", {"with_counts": "true"}).json()

    assert (body["state_counts"], body["state_counts_are_exact"]) == ({"new": 2}, True)


def test_the_queue_page_says_where_counting_stopped(
    client: Client, analyst: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ReportFactory.create_batch(4)
    ReportFactory.create(state=Report.State.SPAM)
    monkeypatch.setattr(selectors, "QUEUE_COUNT_LIMIT", 3)
    client.force_login(analyst)

    page = client.get(reverse("report_queue")).content.decode()

    assert "4+ reports" in page  # the first limit + 1 matches were counted, and they are not all
    assert "of 3+." in page
    assert "narrow the filters or search to reach the others" in page


def test_the_queue_page_counts_exactly_under_the_limit(client: Client, analyst: User) -> None:
    ReportFactory.create_batch(2)
    client.force_login(analyst)

    page = client.get(reverse("report_queue")).content.decode()

    assert "2 reports" in page
    assert "of 2." in page
    assert "narrow the filters" not in page
