"""GET /reports: the queue's filters, search and orders for the response team; a researcher's own list."""

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
import time_machine
from pytest_django import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.services import enter_initial_state
from vulndesk.core.taxonomy import Severity
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import CaseFactory, ProductFactory, ReportFactory, TeamFactory, VulnerabilityFactory
from vulndesk.intake.models import Report
from vulndesk.triage.models import CaseReport
from vulndesk.triage.schemas import QueuePage, ReportListPage

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

Api = Callable[[User | None], ApiClient]
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


def _ids(response: "Response") -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# --- The response team --------------------------------------------------------------------------


def test_staff_filter_by_the_queue_filters(api: Api, analyst: User, coordinator: User) -> None:
    team = TeamFactory.create(slug="mail-team")
    mail = ProductFactory.create(slug="mail", owning_team=team)
    wanted = ReportFactory.create(product=mail, state=Report.State.TRIAGING, assignee=coordinator)
    ReportFactory.create(product=mail, state=Report.State.TRIAGING)
    ReportFactory.create(state=Report.State.TRIAGING, assignee=coordinator)

    response = api(analyst).get("/reports", {"team": "mail-team", "assignee": coordinator.pk, "state": "triaging"})

    assert _ids(response) == [wanted.pk]


def test_staff_filter_by_several_states(api: Api, analyst: User) -> None:
    new, triaging = ReportFactory.create(), ReportFactory.create(state=Report.State.TRIAGING)
    ReportFactory.create(state=Report.State.SPAM)

    response = api(analyst).get("/reports?state=new&state=triaging&sort=age")

    assert _ids(response) == [new.pk, triaging.pk]


def test_staff_filter_by_severity_of_the_case(api: Api, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.CONFIRMED)
    ReportFactory.create(state=Report.State.CONFIRMED)
    case = CaseFactory.create()
    CaseReport.objects.create(case=case, report=report)
    VulnerabilityFactory.create(case=case, severity=Severity.IMPORTANT)

    response = api(analyst).get("/reports", {"severity": "important"})

    assert _ids(response) == [report.pk]


def test_staff_search_title_description_and_steps(api: Api, analyst: User) -> None:
    wanted = ReportFactory.create(title="Crash", steps_to_reproduce="Send an oversized multipart boundary")
    ReportFactory.create(title="Other")

    response = api(analyst).get("/reports", {"q": "multipart"})

    assert _ids(response) == [wanted.pk]


def test_staff_sort_by_priority_puts_unscored_last(api: Api, analyst: User) -> None:
    unscored = ReportFactory.create()
    low, urgent = ReportFactory.create(priority=3), ReportFactory.create(priority=0)

    response = api(analyst).get("/reports", {"sort": "priority"})

    assert _ids(response) == [urgent.pk, low.pk, unscored.pk]


def test_staff_filter_by_sla_status_computes_missing_snapshots_first(api: Api, analyst: User) -> None:
    with time_machine.travel(MONDAY_10 - dt.timedelta(days=7), tick=False):
        breached = ReportFactory.create()
        enter_initial_state(breached, actor=breached.researcher)
    with time_machine.travel(MONDAY_10, tick=False):
        fresh = ReportFactory.create()
        enter_initial_state(fresh, actor=fresh.researcher)

        response = api(analyst).get("/reports", {"sla": "breached"})

    assert _ids(response) == [breached.pk]
    assert response.json()["items"][0]["sla"]["status"] == "breached"
    assert fresh.pk not in _ids(response)


def test_staff_items_carry_triage_bookkeeping(api: Api, analyst: User) -> None:
    ReportFactory.create(priority=2, assignee=analyst)

    (item,) = api(analyst).get("/reports").json()["items"]

    assert (item["view"], item["priority"], item["assignee_id"]) == ("staff", 2, analyst.pk)


def test_staff_state_counts_on_request(api: Api, analyst: User) -> None:
    ReportFactory.create_batch(2)
    ReportFactory.create(state=Report.State.SPAM)

    body = api(analyst).get("/reports", {"state": "new", "with_counts": "true"}).json()

    assert body["count"] == 2
    assert body["state_counts"] == {"new": 2, "spam": 1}


def test_default_order_is_newest_first(api: Api, analyst: User) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        older = ReportFactory.create()
    newer = ReportFactory.create()

    assert _ids(api(analyst).get("/reports")) == [newer.pk, older.pk]


def test_queue_is_the_same_list_ordered_by_priority(api: Api, analyst: User) -> None:
    unscored, urgent = ReportFactory.create(), ReportFactory.create(priority=0)

    assert _ids(api(analyst).get("/queue")) == [urgent.pk, unscored.pk]
    assert _ids(api(analyst).get("/reports", {"sort": "priority"})) == [urgent.pk, unscored.pk]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"state": "lost"}, ["state"]),
        ({"state": ["new", "lost"]}, ["state"]),
        ({"sort": "random"}, ["sort"]),
        ({"assignee": "bob", "sla": "late"}, ["assignee", "sla"]),
        ({"severity": "huge"}, ["severity"]),
        ({"older_than_days": -1}, ["older_than_days"]),
        ({"low_signal": "perhaps"}, ["low_signal"]),
        ({"q": "x" * 201}, ["q"]),
    ],
)
def test_bad_filter_values_are_422_naming_the_parameter(
    api: Api, analyst: User, params: dict[str, object], named: list[str]
) -> None:
    response = api(analyst).get("/reports", params)

    assert response.status_code == 422
    assert sorted(problem_fields(response)) == named


def test_staff_list_query_count_does_not_grow_with_the_page(
    api: Api, analyst: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ReportFactory.create_batch(30, assignee=analyst)
    client = api(analyst)

    # Token lookup, last-used update, count, page (with product, researcher, assignee and SLA joined).
    with django_assert_max_num_queries(5):
        response = client.get("/reports", {"page_size": 30, "sort": "priority", "state": "new"})

    assert len(response.json()["items"]) == 30


# --- Researchers and other roles ----------------------------------------------------------------


def test_researcher_sees_only_their_own_reports(api: Api, researcher: User, outsider: User) -> None:
    own = ReportFactory.create(researcher=researcher)
    ReportFactory.create(researcher=outsider)

    assert _ids(api(researcher).get("/reports")) == [own.pk]


def test_researcher_filters_their_own_by_state_product_and_sort(api: Api, researcher: User, outsider: User) -> None:
    mail = ProductFactory.create(slug="mail")
    wanted = ReportFactory.create(researcher=researcher, product=mail, state=Report.State.TRIAGING, title="b")
    ReportFactory.create(researcher=researcher, product=mail, state=Report.State.NEW, title="a")
    ReportFactory.create(researcher=outsider, product=mail, state=Report.State.TRIAGING, title="a")

    response = api(researcher).get("/reports", {"state": "triaging", "product": "mail", "sort": "title"})

    assert _ids(response) == [wanted.pk]


def test_researcher_list_carries_nothing_internal(api: Api, researcher: User) -> None:
    ReportFactory.create(researcher=researcher, priority=1, is_low_signal=True)

    (item,) = api(researcher).get("/reports").json()["items"]

    assert item["view"] == "researcher"
    assert not {"state", "sla", "priority", "assignee_id", "is_low_signal", "score"} & item.keys()


@pytest.mark.parametrize(
    "params",
    [
        {"sla": "breached"},
        {"assignee": "none"},
        {"team": "mail-team"},
        {"severity": "critical"},
        {"q": "xss"},
        {"sort": "priority"},
        {"sort": "sla_due"},
        {"with_counts": "true"},
    ],
)
def test_researcher_gets_422_for_the_response_teams_filters(api: Api, researcher: User, params: dict[str, str]) -> None:
    ReportFactory.create(researcher=researcher)

    response = api(researcher).get("/reports", params)

    assert response.status_code == 422
    assert problem_fields(response) == list(params)


def test_engineer_without_report_access_lists_nothing(api: Api, engineer: User) -> None:
    ReportFactory.create()

    assert api(engineer).get("/reports").json()["count"] == 0


def test_researcher_still_gets_403_from_the_queue(api: Api, researcher: User) -> None:
    assert api(researcher).get("/queue").status_code == 403


def test_anonymous_caller_gets_401(api: Api) -> None:
    assert api(None).get("/reports").status_code == 401


@pytest.mark.parametrize(("path", "page_schema"), [("/queue", QueuePage), ("/reports", ReportListPage)])
def test_staff_pages_are_exactly_their_declared_schema(
    api: Api, analyst: User, path: str, page_schema: type[QueuePage | ReportListPage]
) -> None:
    """The pages are sent as built, not validated (decision 0007): this is the check instead."""
    anonymous = ReportFactory.create(tracking_token_hash="x" * 64, contact_email="someone@example.test", product=None)
    enter_initial_state(anonymous, actor=None)  # with an SLA snapshot
    ReportFactory.create(priority=1, assignee=analyst, state=Report.State.TRIAGING)

    body = api(analyst).get(path, params={"with_counts": "true", "sort": "sla_due"}).json()

    validated = page_schema.model_validate(body)
    assert validated.model_dump(mode="json") == body
    assert {item["view"] for item in body["items"]} == {"staff"}
    assert any(item["sla"] and item["sla"]["due_at"] for item in body["items"])
