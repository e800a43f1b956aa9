"""Assigning reports (by hand, round robin, least loaded, on-duty calendar), bulk actions and saved views."""

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.permissions import Role
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import ReportFactory, UserFactory
from vulndesk.intake.models import Report
from vulndesk.triage.models import DutyPeriod, SavedQueueView
from vulndesk.triage.services import (
    AssignStrategy,
    BulkActionFailed,
    add_duty_period,
    assign_report,
    bulk_assign_reports,
    bulk_transition_reports,
    save_queue_view,
)

Api = Callable[[User | None], ApiClient]
TODAY = dt.date(2026, 11, 23)


def _on_duty(*people: User, on: dt.date = TODAY) -> None:
    for person in people:
        DutyPeriod.objects.create(analyst=person, starts_on=on, ends_on=on)


def _analysts(count: int) -> list[User]:
    return [UserFactory.create(role=Role.ANALYST) for _ in range(count)]


# --- One report -------------------------------------------------------------------------------


def test_manual_assignment_is_audited(analyst: User, coordinator: User) -> None:
    report = ReportFactory.create()

    assign_report(report, coordinator, actor=analyst)

    report.refresh_from_db()
    assert report.assignee == coordinator
    event = AuditEvent.objects.get(tag="report:assigned")
    assert (event.actor, event.changes["assignee"]) == (analyst, [None, coordinator.pk])


def test_only_people_who_triage_can_be_assignees(analyst: User, engineer: User) -> None:
    with pytest.raises(RuleViolation, match="cannot triage"):
        assign_report(ReportFactory.create(), engineer, actor=analyst)


def test_people_without_triage_cannot_assign(engineer: User, analyst: User) -> None:
    with pytest.raises(PermissionDenied):
        assign_report(ReportFactory.create(), analyst, actor=engineer)


def test_round_robin_cycles_through_analysts_on_duty(analyst: User) -> None:
    first, second, off_duty = _analysts(3)
    _on_duty(first, second)
    reports = ReportFactory.create_batch(3)

    picked = [
        assign_report(report, None, actor=analyst, strategy=AssignStrategy.ROUND_ROBIN, on=TODAY).assignee
        for report in reports
    ]

    assert picked == [first, second, first]
    assert off_duty not in picked


def test_least_loaded_picks_the_analyst_with_fewest_open_reports(analyst: User) -> None:
    busy, idle = _analysts(2)
    _on_duty(busy, idle)
    ReportFactory.create_batch(2, assignee=busy)
    ReportFactory.create_batch(3, assignee=idle, state=Report.State.SPAM)  # closed reports are no load

    report = assign_report(ReportFactory.create(), None, actor=analyst, strategy=AssignStrategy.LEAST_LOADED, on=TODAY)

    assert report.assignee == idle


def test_automatic_assignment_needs_someone_on_duty(analyst: User) -> None:
    _on_duty(analyst, on=TODAY - dt.timedelta(days=1))

    with pytest.raises(RuleViolation, match="Nobody is on triage duty"):
        assign_report(ReportFactory.create(), None, actor=analyst, strategy=AssignStrategy.ROUND_ROBIN, on=TODAY)


def test_duty_periods_are_checked(analyst: User, engineer: User) -> None:
    with pytest.raises(RuleViolation, match="swap"):
        add_duty_period(analyst, starts_on=TODAY, ends_on=TODAY - dt.timedelta(days=1), actor=analyst)
    with pytest.raises(RuleViolation, match="cannot triage"):
        add_duty_period(engineer, starts_on=TODAY, ends_on=TODAY, actor=analyst)


# --- Bulk actions: all or nothing ------------------------------------------------------------------


def test_bulk_transition_moves_every_report_with_one_reason(analyst: User) -> None:
    reports = ReportFactory.create_batch(3, state=Report.State.TRIAGING)

    changed = bulk_transition_reports(reports, Report.State.SPAM, actor=analyst, reason="Advertising")

    assert changed == 3
    assert set(Report.objects.values_list("state", flat=True)) == {"spam"}
    assert set(AuditEvent.objects.filter(tag="report:spam").values_list("rationale", flat=True)) == {"Advertising"}


def test_bulk_transition_with_one_bad_row_changes_nothing_and_names_it(analyst: User) -> None:
    good = ReportFactory.create_batch(2, state=Report.State.TRIAGING)
    bad = ReportFactory.create(state=Report.State.FIXED)

    with pytest.raises(BulkActionFailed) as raised:
        bulk_transition_reports([*good, bad], Report.State.NOT_VULNERABILITY, actor=analyst, reason="By design")

    assert [report for report, _ in raised.value.failures] == [bad]
    assert bad.reference in str(raised.value)
    assert set(Report.objects.values_list("state", flat=True)) == {"triaging", "fixed"}
    assert not AuditEvent.objects.filter(tag="report:not_vulnerability").exists()


def test_bulk_assign_round_robin_spreads_the_reports(analyst: User) -> None:
    first, second = _analysts(2)
    _on_duty(first, second, on=timezone.localdate())
    reports = ReportFactory.create_batch(4)

    bulk_assign_reports(reports, None, actor=analyst, strategy=AssignStrategy.ROUND_ROBIN)

    assert sorted(Report.objects.values_list("assignee", flat=True)) == sorted([first.pk, second.pk] * 2)


# --- API --------------------------------------------------------------------------------------


def test_api_assigns_a_report(api: Api, analyst: User, coordinator: User) -> None:
    report = ReportFactory.create()

    response = api(analyst).post(f"/reports/{report.pk}/assignment", {"assignee_id": coordinator.pk})

    assert response.status_code == 200
    report.refresh_from_db()
    assert report.assignee == coordinator


def test_api_assignment_to_someone_who_cannot_triage_is_422(api: Api, analyst: User, engineer: User) -> None:
    response = api(analyst).post(f"/reports/{ReportFactory.create().pk}/assignment", {"assignee_id": engineer.pk})

    assert response.status_code == 422
    assert problem_fields(response) == ["assignee_id"]


def test_api_bulk_transition_reports_each_failure_and_changes_nothing(api: Api, analyst: User) -> None:
    good = ReportFactory.create(state=Report.State.TRIAGING)
    bad = ReportFactory.create(state=Report.State.SPAM)

    response = api(analyst).post(
        "/bulk/reports/transitions", {"report_ids": [good.pk, bad.pk], "to": "out_of_scope", "reason": "Third party"}
    )

    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:vulndesk:problem:bulk-action-failed"
    assert [failure["id"] for failure in body["failed"]] == [bad.pk]
    good.refresh_from_db()
    assert good.state == Report.State.TRIAGING


def test_api_bulk_transition_and_assignment_succeed(api: Api, analyst: User) -> None:
    reports = ReportFactory.create_batch(2, state=Report.State.TRIAGING)
    ids = [report.pk for report in reports]

    moved = api(analyst).post("/bulk/reports/transitions", {"report_ids": ids, "to": "validating"})
    assigned = api(analyst).post("/bulk/reports/assignments", {"report_ids": ids, "assignee_id": analyst.pk})

    assert moved.json() == {"changed": 2}
    assert assigned.json() == {"changed": 2}
    assert set(Report.objects.values_list("state", "assignee")) == {("validating", analyst.pk)}


@pytest.mark.parametrize("who", ["researcher", "engineer"])
def test_api_bulk_actions_need_triage(api: Api, request: pytest.FixtureRequest, who: str) -> None:
    report = ReportFactory.create()

    response = api(request.getfixturevalue(who)).post(
        "/bulk/reports/transitions", {"report_ids": [report.pk], "to": "triaging"}
    )

    assert response.status_code == 403


def test_api_bulk_with_an_invisible_report_is_422(api: Api, analyst: User) -> None:
    response = api(analyst).post("/bulk/reports/transitions", {"report_ids": [999999], "to": "triaging"})

    assert response.status_code == 422
    assert problem_fields(response) == ["report_ids"]


def test_api_duty_calendar(api: Api, coordinator: User, analyst: User) -> None:
    created = api(coordinator).post(
        "/duty-periods", {"analyst_id": analyst.pk, "starts_on": "2026-11-23", "ends_on": "2026-11-27"}
    )
    listed = api(coordinator).get("/duty-periods", {"on": "2026-11-25"})
    outside = api(coordinator).get("/duty-periods", {"on": "2026-11-28"})

    assert created.status_code == 201
    assert [period["analyst_id"] for period in listed.json()] == [analyst.pk]
    assert outside.json() == []


def test_api_saved_views_are_private(api: Api, analyst: User, coordinator: User) -> None:
    created = api(analyst).post("/queue/views", {"name": "Breached", "query": "sla=breached&page=3"})
    view_id = created.json()["id"]

    mine = api(analyst).get("/queue/views").json()
    theirs = api(coordinator).get("/queue/views").json()
    deleted_by_other = api(coordinator)._client.delete(
        f"/api/v1/queue/views/{view_id}", headers=api(coordinator)._headers
    )

    assert created.status_code == 201
    assert [view["query"] for view in mine] == ["sla=breached"]
    assert theirs == []
    assert deleted_by_other.status_code == 404
    assert SavedQueueView.objects.filter(pk=view_id).exists()


def test_researchers_cannot_save_queue_views(api: Api, researcher: User) -> None:
    assert api(researcher).post("/queue/views", {"name": "Mine"}).status_code == 403


# --- Portal -----------------------------------------------------------------------------------


def test_portal_bulk_move_with_one_reason(client: Client, analyst: User) -> None:
    reports = ReportFactory.create_batch(2, state=Report.State.TRIAGING)
    client.force_login(analyst)

    response = client.post(
        reverse("queue_bulk_action"),
        {
            "report_ids": [r.pk for r in reports],
            "action": "transition",
            "to": "spam",
            "reason": "Ads",
            "next_query": "state=triaging",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/queue/?state=triaging"
    assert "Moved 2 reports to Spam." in response.content.decode()
    assert set(Report.objects.values_list("state", flat=True)) == {"spam"}


def test_portal_bulk_failure_names_the_rows_and_changes_nothing(client: Client, analyst: User) -> None:
    good = ReportFactory.create(state=Report.State.TRIAGING)
    bad = ReportFactory.create(state=Report.State.FIXED)
    client.force_login(analyst)

    response = client.post(
        reverse("queue_bulk_action"),
        {"report_ids": [good.pk, bad.pk], "action": "transition", "to": "spam", "reason": "Ads"},
        follow=True,
    )

    assert "Nothing was changed: 1 of the selected reports" in response.content.decode()
    assert bad.reference in response.content.decode()
    good.refresh_from_db()
    assert good.state == Report.State.TRIAGING


def test_portal_bulk_without_a_selection_says_so(client: Client, analyst: User) -> None:
    client.force_login(analyst)

    response = client.post(reverse("queue_bulk_action"), {"action": "assign", "assignee": "none"}, follow=True)

    assert "Tick at least one report first." in response.content.decode()


def test_portal_bulk_round_robin_assignment(client: Client, analyst: User) -> None:
    _on_duty(analyst, on=timezone.localdate())
    report = ReportFactory.create()
    client.force_login(analyst)

    client.post(
        reverse("queue_bulk_action"), {"report_ids": [report.pk], "action": "assign", "assignee": "round_robin"}
    )

    report.refresh_from_db()
    assert report.assignee == analyst


def test_portal_saves_and_deletes_views(client: Client, analyst: User) -> None:
    client.force_login(analyst)

    saved = client.post(reverse("queue_view_save"), {"name": "New browser", "query": "state=new&product=browser"})
    view = SavedQueueView.objects.get(owner=analyst)
    queue = client.get(reverse("report_queue")).content.decode()
    client.post(reverse("queue_view_delete", args=[view.pk]))

    assert saved["Location"] == "/queue/?state=new&product=browser"
    assert "New browser" in queue
    assert not SavedQueueView.objects.exists()


def test_portal_bulk_is_forbidden_for_researchers(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post(reverse("queue_bulk_action"), {"action": "assign"})

    assert response.status_code == 403


def test_saving_a_view_needs_a_name(analyst: User) -> None:
    with pytest.raises(RuleViolation, match="Name the view"):
        save_queue_view(owner=analyst, name="  ", query="")
