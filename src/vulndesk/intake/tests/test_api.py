"""POST/GET /api/v1/reports: submitting and reading reports."""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client
from pytest_django.fixtures import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import ProductFactory, ReportFactory
from vulndesk.intake.models import Report

Api = Callable[[User | None], ApiClient]
SUBMISSION = {
    "title": "Stored XSS in profile",
    "description": "A script in the display name runs for admins.",
    "accepts_policy": True,
}


def test_researcher_submits_a_report_for_a_catalog_product(api: Api, researcher: User) -> None:
    product = ProductFactory.create(slug="widget-server")

    response = api(researcher).post("/reports", SUBMISSION | {"product": "widget-server", "cwe": "cwe-79"})

    assert response.status_code == 201
    body = response.json()
    report = Report.objects.get(pk=body["id"])
    assert (body["state"], body["reference"], body["status"]) == ("new", f"VD-R{report.pk}", "Received")
    assert (report.researcher, report.product, report.cwe) == (researcher, product, "CWE-79")
    assert AuditEvent.objects.filter(tag="report:created", actor=researcher, target_id=str(report.pk)).exists()


def test_researcher_submits_a_report_for_a_product_not_in_the_catalog(api: Api, researcher: User) -> None:
    response = api(researcher).post("/reports", SUBMISSION | {"product_other": "Widget Desktop 2"})

    assert response.status_code == 201
    assert Report.objects.get().product_other == "Widget Desktop 2"


def test_unknown_product_slug_is_422_naming_product(api: Api, researcher: User) -> None:
    response = api(researcher).post("/reports", SUBMISSION | {"product": "no-such-product"})

    assert response.status_code == 422
    assert problem_fields(response) == ["product"]
    assert not Report.objects.exists()


def test_missing_title_is_422_naming_title(api: Api, researcher: User) -> None:
    response = api(researcher).post("/reports", {"description": "x", "product_other": "Widget"})

    assert response.status_code == 422
    assert problem_fields(response) == ["title"]


def test_invalid_cvss_suggestion_is_422_naming_it(api: Api, researcher: User) -> None:
    body = SUBMISSION | {"product_other": "Widget", "suggested_cvss_vector": "CVSS:3.1/AV:X"}

    response = api(researcher).post("/reports", body)

    assert response.status_code == 422
    assert problem_fields(response) == ["suggested_cvss_vector"]


def test_staff_cannot_submit_reports(api: Api, analyst: User) -> None:
    response = api(analyst).post("/reports", SUBMISSION | {"product_other": "Widget"})

    assert response.status_code == 403


def test_submitting_with_a_bad_token_is_401_not_anonymous(db: None) -> None:
    client = Client()

    response = client.post(
        "/api/v1/reports",
        SUBMISSION | {"product_other": "Widget"},
        content_type="application/json",
        headers={"Authorization": "Bearer vd_revoked"},
    )

    assert response.status_code == 401
    assert not Report.objects.exists()


def test_researcher_lists_only_their_own_reports(api: Api, researcher: User, outsider: User) -> None:
    own = ReportFactory.create(researcher=researcher)
    ReportFactory.create(researcher=outsider)

    body = api(researcher).get("/reports").json()

    assert [item["id"] for item in body["items"]] == [own.pk]
    assert body["count"] == 1


def test_researcher_list_is_the_researcher_view(api: Api, researcher: User) -> None:
    ReportFactory.create(researcher=researcher, state=Report.State.VALIDATING)

    (item,) = api(researcher).get("/reports").json()["items"]

    assert item["view"] == "researcher"
    assert item["status"] == "In review"
    assert "state" not in item
    assert "researcher_id" not in item


def test_staff_list_every_report_with_internal_state(api: Api, analyst: User, researcher: User, outsider: User) -> None:
    ReportFactory.create(researcher=researcher)
    ReportFactory.create(researcher=outsider, state=Report.State.TRIAGING)

    body = api(analyst).get("/reports").json()

    assert body["count"] == 2
    assert {item["view"] for item in body["items"]} == {"staff"}
    assert {item["state"] for item in body["items"]} == {"new", "triaging"}


def test_engineer_without_report_access_lists_nothing(api: Api, engineer: User) -> None:
    ReportFactory.create()

    body = api(engineer).get("/reports").json()

    assert body["count"] == 0


def test_list_filters_by_state_and_product_slug(api: Api, analyst: User) -> None:
    widget, gadget = ProductFactory.create(slug="widget"), ProductFactory.create(slug="gadget")
    wanted = ReportFactory.create(product=widget, state=Report.State.TRIAGING)
    ReportFactory.create(product=widget, state=Report.State.NEW)
    ReportFactory.create(product=gadget, state=Report.State.TRIAGING)

    body = api(analyst).get("/reports", {"state": "triaging", "product": "widget"}).json()

    assert [item["id"] for item in body["items"]] == [wanted.pk]


def test_unknown_state_filter_is_422_naming_state(api: Api, analyst: User) -> None:
    response = api(analyst).get("/reports", {"state": "lost"})

    assert response.status_code == 422
    assert problem_fields(response) == ["state"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("age", ["old", "mid", "new"]), ("-age", ["new", "mid", "old"]), ("title", ["mid", "new", "old"])],
)
def test_list_sorts(api: Api, analyst: User, sort: str, expected: list[str]) -> None:
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    for days, title in enumerate(["old", "mid", "new"]):
        with time_machine.travel(start + dt.timedelta(days=days), tick=False):
            ReportFactory.create(title=title)

    body = api(analyst).get("/reports", {"sort": sort}).json()

    assert [item["title"] for item in body["items"]] == expected


def test_list_sorts_by_last_update(api: Api, analyst: User) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), tick=False):
        stale, fresh = ReportFactory.create(title="stale"), ReportFactory.create(title="fresh")
    with time_machine.travel(dt.datetime(2026, 3, 5, tzinfo=dt.UTC), tick=False):
        fresh.save()

    body = api(analyst).get("/reports", {"sort": "updated"}).json()

    assert [item["id"] for item in body["items"]] == [fresh.pk, stale.pk]


def test_unknown_sort_is_422_naming_sort(api: Api, analyst: User) -> None:
    response = api(analyst).get("/reports", {"sort": "severity"})

    assert response.status_code == 422
    assert problem_fields(response) == ["sort"]


def test_list_query_count_does_not_grow_with_the_page(
    api: Api, analyst: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ReportFactory.create_batch(30)
    client = api(analyst)

    # Token lookup, last-used update, count, page: the page size must not matter.
    with django_assert_max_num_queries(5):
        response = client.get("/reports", {"page_size": 30})

    assert len(response.json()["items"]) == 30


def test_researcher_gets_their_report_in_the_researcher_view(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.CONFIRMED)

    body = api(researcher).get(f"/reports/{report.pk}").json()

    assert body["view"] == "researcher"
    assert body["status"] == "Confirmed"
    assert "state" not in body
    assert "allowed_next_states" not in body


def test_staff_get_the_staff_view(api: Api, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)

    body = api(analyst).get(f"/reports/{report.pk}").json()

    assert body["view"] == "staff"
    assert body["state"] == "triaging"
    assert "validating" in body["allowed_next_states"]
    assert body["researcher_id"] == report.researcher_id


def test_outsider_gets_404_on_someone_elses_report(api: Api, researcher: User, outsider: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    response = api(outsider).get(f"/reports/{report.pk}")

    assert response.status_code == 404
    assert problem_fields(response) == []


def test_engineer_gets_404_on_reports(api: Api, engineer: User) -> None:
    report = ReportFactory.create()

    response = api(engineer).get(f"/reports/{report.pk}")

    assert response.status_code == 404


def test_unknown_report_is_404(api: Api, analyst: User) -> None:
    response = api(analyst).get("/reports/999999")

    assert response.status_code == 404


def test_getting_a_report_without_token_is_401(api: Api, db: None) -> None:
    report = ReportFactory.create()

    response = api(None).get(f"/reports/{report.pk}")

    assert response.status_code == 401
