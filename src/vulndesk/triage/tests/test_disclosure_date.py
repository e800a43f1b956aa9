"""The case's agreed disclosure date, and what the researchers of its reports see of the case."""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, Message
from vulndesk.triage.models import Case
from vulndesk.triage.services import add_report_to_case, create_case, set_disclosure_date, transition_case

Api = Callable[[User | None], ApiClient]
TODAY = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
LATER = dt.date(2027, 1, 12)


@pytest.fixture(autouse=True)
def _today() -> object:
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def _case(coordinator: User, *researchers: User) -> Case:
    reports = [ReportFactory.create(state=Report.State.CONFIRMED, researcher=person) for person in researchers]
    return create_case(title="Parser overflow", reports=reports, actor=coordinator)


def _researcher_events(report: Report) -> list[str]:
    messages = Message.objects.filter(report=report, channel=Channel.RESEARCHER, kind=Message.Kind.EVENT)
    return list(messages.order_by("pk").values_list("body", flat=True))


# --- The service ------------------------------------------------------------------------------------


def test_setting_the_date_records_it_with_the_reason(coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)

    set_disclosure_date(case, LATER, actor=coordinator, reason="Agreed by mail on 1 Dec")

    case.refresh_from_db()
    assert case.disclosure_date == LATER
    event = AuditEvent.objects.get(tag="case:disclosure_date_changed")
    assert (event.actor, event.rationale, event.changes["disclosure_date"]) == (
        coordinator,
        "Agreed by mail on 1 Dec",
        [None, "2027-01-12"],
    )


def test_every_researcher_of_the_case_is_told_and_sees_the_date(
    coordinator: User, researcher: User, outsider: User
) -> None:
    case = _case(coordinator, researcher, outsider)

    set_disclosure_date(case, LATER, actor=coordinator, reason="Agreed")

    for report in case.reports.all():
        assert report.agreed_disclosure_on == LATER
        assert _researcher_events(report)[-1] == "The coordinated disclosure date is set to **12 January 2027**."


def test_moving_the_date_says_from_when_to_when(coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)
    set_disclosure_date(case, LATER, actor=coordinator, reason="Agreed")

    set_disclosure_date(case, dt.date(2027, 2, 9), actor=coordinator, reason="The fix needs another train")

    report = case.reports.get()
    assert report.agreed_disclosure_on == dt.date(2027, 2, 9)
    assert "moved to **09 February 2027** (it was 12 January 2027)" in _researcher_events(report)[-1]


def test_clearing_the_date_withdraws_it(coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)
    set_disclosure_date(case, LATER, actor=coordinator, reason="Agreed")

    set_disclosure_date(case, None, actor=coordinator, reason="The researcher asked to wait for the fix")

    report = case.reports.get()
    assert report.agreed_disclosure_on is None
    assert "has been withdrawn" in _researcher_events(report)[-1]


def test_the_same_date_again_changes_and_posts_nothing(coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)
    set_disclosure_date(case, LATER, actor=coordinator, reason="Agreed")
    posted = Message.objects.count()

    set_disclosure_date(case, LATER, actor=coordinator, reason="Agreed again")

    assert Message.objects.count() == posted
    assert AuditEvent.objects.filter(tag="case:disclosure_date_changed").count() == 1


def test_today_is_allowed(coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)

    set_disclosure_date(case, TODAY.date(), actor=coordinator, reason="Publishing today")

    case.refresh_from_db()
    assert case.disclosure_date == TODAY.date()


def test_a_past_date_is_refused_and_changes_nothing(coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)

    with pytest.raises(RuleViolation, match="is in the past") as raised:
        set_disclosure_date(case, dt.date(2026, 11, 30), actor=coordinator, reason="Oops")

    assert raised.value.field == "disclosure_date"
    case.refresh_from_db()
    assert case.disclosure_date is None
    assert case.reports.get().agreed_disclosure_on is None


def test_a_reason_is_required(coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)

    with pytest.raises(RuleViolation) as raised:
        set_disclosure_date(case, LATER, actor=coordinator, reason=" ")

    assert raised.value.field == "reason"
    case.refresh_from_db()
    assert case.disclosure_date is None


@pytest.mark.parametrize("role_fixture", ["researcher", "engineer", "release_manager"])
def test_only_case_managers_set_the_date(coordinator: User, request: pytest.FixtureRequest, role_fixture: str) -> None:
    case = _case(coordinator, request.getfixturevalue("outsider"))

    with pytest.raises(PermissionDenied):
        set_disclosure_date(case, LATER, actor=request.getfixturevalue(role_fixture), reason="Mine now")

    case.refresh_from_db()
    assert case.disclosure_date is None


def test_analyst_may_set_the_date(coordinator: User, analyst: User, researcher: User) -> None:
    case = _case(coordinator, researcher)

    set_disclosure_date(case, LATER, actor=analyst, reason="Agreed")

    case.refresh_from_db()
    assert case.disclosure_date == LATER


# --- What a report that joins, and a case that moves, shows its researcher ------------------------


def test_a_report_joining_the_case_takes_its_date_and_fix_status(
    coordinator: User, researcher: User, outsider: User
) -> None:
    case = _case(coordinator, researcher)
    set_disclosure_date(case, LATER, actor=coordinator, reason="Agreed")
    transition_case(case, Case.State.REMEDIATING, actor=coordinator)
    variant = ReportFactory.create(state=Report.State.CONFIRMED, researcher=outsider)

    add_report_to_case(case, variant, actor=coordinator)

    variant.refresh_from_db()
    assert (variant.agreed_disclosure_on, variant.is_fix_in_progress) == (LATER, True)


def test_fix_in_progress_follows_the_case_into_and_out_of_remediation(coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)

    transition_case(case, Case.State.REMEDIATING, actor=coordinator)
    during = case.reports.get().is_fix_in_progress
    transition_case(case, Case.State.OPEN, actor=coordinator, reason="The fix was rejected")
    after = case.reports.get().is_fix_in_progress

    assert (during, after) == (True, False)


def test_researchers_are_told_when_a_fix_starts_and_stops(coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)
    report = case.reports.get()

    transition_case(case, Case.State.REMEDIATING, actor=coordinator)
    transition_case(case, Case.State.OPEN, actor=coordinator, reason="The fix was rejected")

    assert _researcher_events(report)[-2:] == [
        "Status changed to **Fix in progress**.",
        "Status changed to **Confirmed**.",
    ]


def test_a_report_joining_a_case_under_remediation_is_told_the_fix_is_in_progress(
    coordinator: User, researcher: User, outsider: User
) -> None:
    case = _case(coordinator, researcher)
    transition_case(case, Case.State.REMEDIATING, actor=coordinator)
    variant = ReportFactory.create(state=Report.State.CONFIRMED, researcher=outsider)
    joining_open_case = ReportFactory.create(state=Report.State.CONFIRMED, researcher=outsider)

    add_report_to_case(case, variant, actor=coordinator)
    add_report_to_case(_case(coordinator, researcher), joining_open_case, actor=coordinator)

    assert _researcher_events(variant) == ["Status changed to **Fix in progress**."]
    assert _researcher_events(joining_open_case) == []


# --- API ------------------------------------------------------------------------------------------


def test_api_sets_the_date_and_the_case_carries_it(api: Api, coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)

    response = api(coordinator).post(
        f"/cases/{case.pk}/disclosure-date", {"disclosure_date": "2027-01-12", "reason": "Agreed"}
    )

    assert response.status_code == 200
    assert response.json()["disclosure_date"] == "2027-01-12"
    assert api(coordinator).get(f"/cases/{case.pk}").json()["disclosure_date"] == "2027-01-12"


def test_api_null_clears_the_date(api: Api, coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)
    set_disclosure_date(case, LATER, actor=coordinator, reason="Agreed")

    response = api(coordinator).post(f"/cases/{case.pk}/disclosure-date", {"disclosure_date": None, "reason": "Wait"})

    assert response.json()["disclosure_date"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"disclosure_date": "2026-11-30", "reason": "Late"}, "disclosure_date"),
        ({"disclosure_date": "12/01/2027", "reason": "US style"}, "disclosure_date"),
        ({"disclosure_date": "2027-01-12", "reason": ""}, "reason"),
        ({"reason": "No date given"}, "disclosure_date"),
    ],
)
def test_api_bad_input_is_422_naming_the_field(
    api: Api, coordinator: User, researcher: User, body: dict[str, object], field: str
) -> None:
    case = _case(coordinator, researcher)

    response = api(coordinator).post(f"/cases/{case.pk}/disclosure-date", body)

    assert response.status_code == 422
    assert problem_fields(response) == [field]
    case.refresh_from_db()
    assert case.disclosure_date is None


def test_api_researcher_gets_404(api: Api, coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)

    response = api(researcher).post(f"/cases/{case.pk}/disclosure-date", {"disclosure_date": None, "reason": "x"})

    assert response.status_code == 404


def test_api_engineer_gets_403(api: Api, coordinator: User, researcher: User, engineer: User) -> None:
    case = _case(coordinator, researcher)

    response = api(engineer).post(f"/cases/{case.pk}/disclosure-date", {"disclosure_date": "2027-01-12", "reason": "x"})

    assert response.status_code == 403


def test_the_researcher_sees_the_date_on_their_report(api: Api, coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)
    set_disclosure_date(case, LATER, actor=coordinator, reason="Agreed")

    body = api(researcher).get(f"/reports/{case.reports.get().pk}").json()

    assert body["agreed_disclosure_on"] == "2027-01-12"


# --- The case page ------------------------------------------------------------------------------


def test_case_page_sets_the_date(client: Client, coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)
    client.force_login(coordinator)

    response = client.post(
        reverse("case_disclosure_date", args=[case.pk]),
        {"disclosure_date": "2027-01-12", "reason": "Agreed"},
        follow=True,
    )

    assert b"The disclosure date is 12 January 2027." in response.content
    assert b'datetime="2027-01-12"' in response.content
    case.refresh_from_db()
    assert case.disclosure_date == LATER


def test_case_page_shows_why_a_past_date_is_refused(client: Client, coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)
    client.force_login(coordinator)

    response = client.post(
        reverse("case_disclosure_date", args=[case.pk]), {"disclosure_date": "2026-11-02", "reason": "Late"}
    )

    assert response.status_code == 400
    assert b"02 November 2026 is in the past" in response.content
    case.refresh_from_db()
    assert case.disclosure_date is None


def test_case_page_without_the_right_gets_no_form_and_403(client: Client, coordinator: User, engineer: User) -> None:
    case = _case(coordinator, ReportFactory.create().researcher)
    client.force_login(engineer)

    form_url = reverse("case_disclosure_date", args=[case.pk])
    page = client.get(reverse("case_detail", args=[case.pk]))
    posted = client.post(form_url, {"disclosure_date": "", "reason": "x"})

    assert page.status_code == 200
    assert form_url not in page.content.decode()
    assert posted.status_code == 403


def test_case_page_is_404_for_a_researcher(client: Client, coordinator: User, researcher: User) -> None:
    case = _case(coordinator, researcher)
    client.force_login(researcher)

    response = client.post(reverse("case_disclosure_date", args=[case.pk]), {"disclosure_date": "", "reason": "x"})

    assert response.status_code == 404
