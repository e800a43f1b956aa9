"""The researcher's dashboard: public status words, the agreed disclosure date, the timeline and the credit preview."""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.services import change_state, enter_initial_state
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake.models import CreditPreference, Report, hash_tracking_token
from vulndesk.intake.selectors import public_timeline
from vulndesk.intake.services import update_public_progress

Api = Callable[[User | None], ApiClient]
S = Report.State
DAY = dt.date(2027, 1, 12)
LATER = dt.date(2027, 2, 9)


@pytest.mark.parametrize(
    ("state", "is_fix_in_progress", "words"),
    [
        (S.NEW, False, "Received"),
        (S.TRIAGING, False, "In review"),
        (S.VALIDATING, False, "In review"),
        (S.NEEDS_INFO, False, "In review: waiting for your reply"),
        (S.CONFIRMED, False, "Confirmed"),
        (S.CONFIRMED, True, "Fix in progress"),
        (S.FIXED, True, "Fix released"),
        (S.OUT_OF_SCOPE, False, "Closed: out of scope"),
        (S.SPAM, False, "Closed: marked as spam"),
    ],
)
def test_researcher_status_words(state: str, is_fix_in_progress: bool, words: str) -> None:
    assert Report.researcher_status_of(state, is_fix_in_progress=is_fix_in_progress) == words


def test_every_closed_state_says_why() -> None:
    for state in Report.CLOSED_STATES:
        assert Report.RESEARCHER_STATUS[state].startswith("Closed: ")


def _story(report: Report, staff: User) -> None:
    """Confirmed, fix started with a date, date moved, published: one step per day."""
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), tick=False) as clock:
        for state in (S.TRIAGING, S.VALIDATING, S.CONFIRMED):
            clock.shift(dt.timedelta(days=1))
            change_state(report, state, actor=staff, reason="internal: repro on 4.2")
        clock.shift(dt.timedelta(days=1))
        update_public_progress([report], actor=staff, is_fix_in_progress=True, agreed_disclosure_on=DAY)
        clock.shift(dt.timedelta(days=1))
        update_public_progress([report], actor=staff, agreed_disclosure_on=LATER)
        clock.shift(dt.timedelta(days=1))
        change_state(report, S.FIXED, actor=staff)


def test_timeline_merges_status_and_disclosure_date_events(analyst: User) -> None:
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), tick=False):
        report = ReportFactory.create()
        enter_initial_state(report, actor=None)
    _story(report, analyst)

    timeline = public_timeline(report)

    assert [(entry.at.day, entry.text, entry.disclosure_on) for entry in timeline] == [
        (1, "Received", None),
        (2, "In review", None),
        (4, "Confirmed", None),
        (5, "Disclosure date agreed", DAY),
        (5, "Fix in progress", None),
        (6, "Disclosure date moved", LATER),
        (7, "Fix released", None),
    ]


def test_timeline_says_when_the_date_is_withdrawn(analyst: User) -> None:
    report = ReportFactory.create(agreed_disclosure_on=DAY)

    update_public_progress([report], actor=analyst, agreed_disclosure_on=None)

    assert [entry.text for entry in public_timeline(report)] == ["Disclosure date withdrawn"]


# The researcher's report page


def test_report_page_shows_the_agreed_date_and_fix_in_progress(client: Client, researcher: User) -> None:
    report = ReportFactory.create(
        researcher=researcher, state=S.CONFIRMED, is_fix_in_progress=True, agreed_disclosure_on=DAY
    )
    client.force_login(researcher)

    html = client.get(reverse("report_detail", args=[report.pk])).content.decode()

    assert "<p><strong>Fix in progress</strong></p>" in html
    assert 'Agreed for <time datetime="2027-01-12">12 Jan 2027</time>' in html


def test_report_page_says_when_no_date_is_agreed(client: Client, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client.force_login(researcher)

    html = client.get(reverse("report_detail", args=[report.pk])).content.decode()

    assert "Not agreed yet" in html


def test_tracked_page_shows_the_agreed_date(client: Client, db: None) -> None:
    report = ReportFactory.create(tracking_token_hash=hash_tracking_token("secret-token"), agreed_disclosure_on=DAY)

    html = client.get(reverse("report_tracked", args=["secret-token"])).content.decode()

    assert report.title in html
    assert 'Agreed for <time datetime="2027-01-12">' in html


# My reports


def test_my_reports_lists_status_date_and_credit(client: Client, researcher: User, outsider: User) -> None:
    ReportFactory.create(
        researcher=researcher,
        title="Mine, being fixed",
        state=S.CONFIRMED,
        is_fix_in_progress=True,
        agreed_disclosure_on=DAY,
        credit_name="Mira",
    )
    ReportFactory.create(researcher=researcher, title="Mine, uncredited", credit_preference=CreditPreference.ANONYMOUS)
    ReportFactory.create(researcher=outsider, title="Not mine")
    client.force_login(researcher)

    html = client.get(reverse("home")).content.decode()

    assert "Mine, being fixed" in html
    assert "<td>Fix in progress</td>" in html
    assert '<time datetime="2027-01-12">12 Jan 2027</time>' in html
    assert "<td>Mira</td>" in html
    assert "Not credited" in html
    assert "Not mine" not in html


def test_my_reports_query_count_does_not_grow_with_the_page(
    client: Client, researcher: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ReportFactory.create_batch(20, researcher=researcher, agreed_disclosure_on=DAY)
    client.force_login(researcher)

    # Session, user, count, page: the same for 1 report or a full page.
    with django_assert_max_num_queries(4):
        response = client.get(reverse("home"))

    assert response.content.decode().count('<time datetime="2027-01-12">') == 20


# The researcher's API view


def test_api_researcher_view_carries_date_status_and_credit(api: Api, researcher: User) -> None:
    report = ReportFactory.create(
        researcher=researcher, state=S.CONFIRMED, is_fix_in_progress=True, agreed_disclosure_on=DAY, credit_name="Mira"
    )

    body = api(researcher).get(f"/reports/{report.pk}").json()

    assert (body["status"], body["agreed_disclosure_on"], body["credit_line"]) == (
        "Fix in progress",
        "2027-01-12",
        "Mira",
    )


def test_api_timeline_for_the_researcher(api: Api, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=S.CONFIRMED)
    enter_initial_state(report, actor=analyst)
    update_public_progress([report], actor=analyst, is_fix_in_progress=True, agreed_disclosure_on=DAY)

    body = api(researcher).get(f"/reports/{report.pk}/timeline").json()

    assert [(item["text"], item["disclosure_on"]) for item in body] == [
        ("Confirmed", None),
        ("Disclosure date agreed", "2027-01-12"),
        ("Fix in progress", None),
    ]


def test_api_timeline_for_staff_is_the_same_public_one(api: Api, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    enter_initial_state(report, actor=researcher)
    change_state(report, S.TRIAGING, actor=analyst, reason="internal: looks like VD-R9")

    body = api(analyst).get(f"/reports/{report.pk}/timeline").json()

    assert [item["text"] for item in body] == ["Received", "In review"]
    assert "internal" not in str(body)


def test_api_timeline_outsider_gets_404(api: Api, researcher: User, outsider: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    response = api(outsider).get(f"/reports/{report.pk}/timeline")

    assert response.status_code == 404


def test_api_tracked_timeline_needs_the_right_token(api: Api, db: None) -> None:
    report = ReportFactory.create(tracking_token_hash=hash_tracking_token("secret-token"))
    enter_initial_state(report, actor=None)

    found = api(None).get("/reports/tracked/secret-token/timeline")
    missing = api(None).get("/reports/tracked/wrong-token/timeline")

    assert [item["text"] for item in found.json()] == ["Received"]
    assert missing.status_code == 404
