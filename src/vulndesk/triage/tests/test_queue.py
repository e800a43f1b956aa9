"""The analyst queue: every filter, the orders, search on both databases, and who may see it."""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.services import enter_initial_state
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import (
    CaseFactory,
    ProductFactory,
    ReportFactory,
    TeamFactory,
    VulnerabilityFactory,
)
from vulndesk.intake.models import Attachment, Report
from vulndesk.triage.models import CaseReport
from vulndesk.triage.selectors import QueueFilters, list_queue_for_user
from vulndesk.triage.services import transition_report
from vulndesk.triage.sla import refresh_missing_report_slas

Api = Callable[[User | None], ApiClient]
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
TUESDAY_10 = MONDAY_10 + dt.timedelta(days=1)


def _ids(user: User, **filters: object) -> set[int]:
    return {report.pk for report in list_queue_for_user(user, QueueFilters(**filters))}  # type: ignore[arg-type]


def _received(when: dt.datetime = MONDAY_10, **fields: object) -> Report:
    with time_machine.travel(when, tick=False):
        report = ReportFactory.create(**fields)
        enter_initial_state(report, actor=report.researcher)
    return report


# --- Filters ----------------------------------------------------------------------------------


def test_filters_by_state_product_team_and_impact(analyst: User) -> None:
    team = TeamFactory.create(slug="browser-team")
    browser = ProductFactory.create(slug="browser", owning_team=team)
    match = ReportFactory.create(state=Report.State.TRIAGING, product=browser, impact_type=ImpactType.SPOOFING)
    ReportFactory.create(state=Report.State.NEW, product=browser)
    ReportFactory.create(state=Report.State.TRIAGING, impact_type=ImpactType.SPOOFING)

    assert _ids(analyst, states=("triaging",), team="browser-team", impact_type="spoofing") == {match.pk}
    assert _ids(analyst, product="browser", states=("triaging", "new")) == {match.pk, match.pk + 1}


def test_filters_by_assignee_me_none_or_someone(analyst: User, coordinator: User) -> None:
    mine = ReportFactory.create(assignee=analyst)
    theirs = ReportFactory.create(assignee=coordinator)
    nobodys = ReportFactory.create()

    assert _ids(analyst, assignee="me") == {mine.pk}
    assert _ids(analyst, assignee="none") == {nobodys.pk}
    assert _ids(analyst, assignee=str(coordinator.pk)) == {theirs.pk}


def test_filters_by_age(analyst: User) -> None:
    old = ReportFactory.create()
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=20))
    new = ReportFactory.create()

    assert _ids(analyst, older_than_days=14) == {old.pk}
    assert _ids(analyst, newer_than_days=14) == {new.pk}


def test_filters_by_low_signal(analyst: User) -> None:
    noise = ReportFactory.create(is_low_signal=True)
    signal = ReportFactory.create()

    assert _ids(analyst, is_low_signal=True) == {noise.pk}
    assert _ids(analyst, is_low_signal=False) == {signal.pk}


def test_filters_by_severity_once_known(analyst: User) -> None:
    report, unscored = ReportFactory.create(state=Report.State.CONFIRMED), ReportFactory.create()
    case = CaseFactory.create()
    CaseReport.objects.create(case=case, report=report)
    VulnerabilityFactory.create(case=case, severity=Severity.CRITICAL)
    VulnerabilityFactory.create(case=case, severity=Severity.CRITICAL)

    assert list(list_queue_for_user(analyst, QueueFilters(severity="critical"))) == [report]
    assert _ids(analyst, severity="low") == set()
    assert unscored.pk in _ids(analyst)


def test_filters_by_sla_status(analyst: User) -> None:
    breached = _received(TUESDAY_10 - dt.timedelta(days=7))
    at_risk = _received(TUESDAY_10 - dt.timedelta(hours=20))
    on_track = _received(TUESDAY_10 - dt.timedelta(hours=1))
    paused = _received(TUESDAY_10 - dt.timedelta(hours=2))
    stopped = _received(TUESDAY_10 - dt.timedelta(hours=2))
    with time_machine.travel(TUESDAY_10 - dt.timedelta(hours=1), tick=False):
        transition_report(paused, Report.State.TRIAGING, actor=analyst)
        transition_report(paused, Report.State.NEEDS_INFO, actor=analyst, question="Which version?")
        transition_report(stopped, Report.State.SPAM, actor=analyst, reason="Advert")
    refresh_missing_report_slas()

    with time_machine.travel(TUESDAY_10, tick=False):
        found = {
            status: _ids(analyst, sla=status) for status in ["breached", "at_risk", "on_track", "paused", "stopped"]
        }

    assert found == {
        "breached": {breached.pk},
        "at_risk": {at_risk.pk},
        "on_track": {on_track.pk},
        "paused": {paused.pk},
        "stopped": {stopped.pk},
    }


def test_a_running_clock_filter_within_closed_states_finds_nothing_without_asking_the_database(
    analyst: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    _received(TUESDAY_10 - dt.timedelta(days=7))
    refresh_missing_report_slas()

    with time_machine.travel(TUESDAY_10, tick=False), django_assert_num_queries(0):
        assert _ids(analyst, sla="breached", states=("spam", "duplicate")) == set()
    with time_machine.travel(TUESDAY_10, tick=False):
        assert _ids(analyst, sla="breached", states=("spam", "new")) != set()


# --- Search -----------------------------------------------------------------------------------


def test_search_finds_words_in_title_and_description(analyst: User) -> None:
    title = ReportFactory.create(title="Heap overflow in PNG decoder", description="Crash.")
    body = ReportFactory.create(title="Crash", description="The png chunk length is trusted.")
    ReportFactory.create(title="Stored XSS", description="Script in a comment.")

    assert _ids(analyst, q="png") == {title.pk, body.pk}
    assert _ids(analyst, q="png overflow") == {title.pk}


def test_search_by_reference(analyst: User) -> None:
    report = ReportFactory.create(title="Anything")
    ReportFactory.create()

    assert _ids(analyst, q=report.reference) == {report.pk}
    assert _ids(analyst, q=f" {report.pk} ") == {report.pk}


# --- Order ------------------------------------------------------------------------------------


def test_priority_order_puts_unscored_last_then_oldest_first(analyst: User) -> None:
    unscored = _received(MONDAY_10 - dt.timedelta(days=3))
    p2_old = _received(MONDAY_10 - dt.timedelta(days=2), priority=2)
    p2_new = _received(MONDAY_10 - dt.timedelta(days=1), priority=2)
    p0 = _received(MONDAY_10, priority=0)

    ordered = list(list_queue_for_user(analyst, sort="priority"))

    assert ordered == [p0, p2_old, p2_new, unscored]


def test_sla_due_order_puts_soonest_first_and_stopped_last(analyst: User) -> None:
    late = _received(MONDAY_10 - dt.timedelta(hours=1))
    early = _received(MONDAY_10 - dt.timedelta(hours=5))
    closed = _received(MONDAY_10 - dt.timedelta(hours=9), state=Report.State.SPAM)
    refresh_missing_report_slas()

    ordered = list(list_queue_for_user(analyst, sort="sla_due"))

    assert ordered[:2] == [early, late]
    assert ordered[2] == closed


# --- Who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["researcher", "outsider", "engineer", "release_manager"])
def test_only_the_response_team_sees_the_queue(request: pytest.FixtureRequest, who: str, researcher: User) -> None:
    ReportFactory.create(researcher=researcher)

    assert _ids(request.getfixturevalue(who)) == set()


# --- GET /queue -------------------------------------------------------------------------------


def test_queue_api_filters_orders_and_counts(api: Api, analyst: User) -> None:
    browser = ProductFactory.create(slug="browser")
    first = _received(MONDAY_10 - dt.timedelta(days=1), product=browser, priority=1, assignee=analyst)
    _received(MONDAY_10, product=browser, priority=0, state=Report.State.TRIAGING)
    _received(MONDAY_10, priority=0)

    response = api(analyst).get(
        "/queue", {"product": "browser", "state": ["new"], "sort": "priority", "with_counts": "true"}
    )

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [first.pk]
    item = body["items"][0]
    assert (item["assignee_id"], item["priority"], item["view"]) == (analyst.pk, 1, "staff")
    assert item["sla"]["clock"] == "first_response"
    assert body["state_counts"] == {"new": 1, "triaging": 1}


def test_queue_api_sla_filter_and_search(api: Api, analyst: User) -> None:
    _received(MONDAY_10 - dt.timedelta(days=7), title="Old PNG crash")
    _received(title="New PNG crash")

    with time_machine.travel(MONDAY_10 + dt.timedelta(hours=1), tick=False):
        response = api(analyst).get("/queue", {"sla": "breached", "q": "png"})

    assert [item["title"] for item in response.json()["items"]] == ["Old PNG crash"]


def test_queue_api_refuses_bad_filters_naming_them(api: Api, analyst: User) -> None:
    response = api(analyst).get("/queue", {"assignee": "bob", "sort": "random", "sla": "late"})

    assert response.status_code == 422
    assert set(problem_fields(response)) == {"assignee", "sort", "sla"}


@pytest.mark.parametrize("who", ["researcher", "engineer"])
def test_queue_api_is_forbidden_outside_the_response_team(api: Api, request: pytest.FixtureRequest, who: str) -> None:
    response = api(request.getfixturevalue(who)).get("/queue")

    assert response.status_code == 403


def test_queue_api_query_count_does_not_grow(
    api: Api, analyst: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(30):
        _received(assignee=analyst)
    client = api(analyst)
    client.get("/queue")  # computes the SLA snapshots once

    # token (2: lookup, last use), newest snapshot, reports after it, count, page
    with django_assert_max_num_queries(6):
        response = client.get("/queue", {"page_size": 25})

    assert len(response.json()["items"]) == 25


def test_a_move_refreshes_the_reports_sla_snapshot(analyst: User) -> None:
    report = _received()
    refresh_missing_report_slas()

    transition_report(report, Report.State.TRIAGING, actor=analyst)
    transition_report(report, Report.State.NEEDS_INFO, actor=analyst, question="Which build?")

    assert _ids(analyst, sla="paused") == {report.pk}


def test_filters_by_attachments(analyst: User) -> None:
    with_file, without = ReportFactory.create(), ReportFactory.create()
    Attachment.objects.create(
        report=with_file,
        file="attachments/aa/x",
        original_name="poc.png",
        kind="png",
        media_type="image/png",
        size=10,
        sha256="a" * 64,
    )

    assert _ids(analyst, has_attachments=True) == {with_file.pk}
    assert _ids(analyst, has_attachments=False) == {without.pk}


def test_search_covers_the_steps_to_reproduce(analyst: User) -> None:
    report = ReportFactory.create(title="Crash", description="It crashes.", steps_to_reproduce="Upload a crafted TIFF")
    ReportFactory.create(title="Other", description="Nothing here.")

    assert _ids(analyst, q="tiff") == {report.pk}
