"""Reproduction records, sharing them with engineering, close proposals after silence, and case decisions."""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.core import mail

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.services import enter_initial_state
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import ReportFactory, TeamFactory
from vulndesk.intake.models import Attachment, Report
from vulndesk.triage.models import Case
from vulndesk.triage.selectors import QueueFilters, close_proposals, list_queue_for_user
from vulndesk.triage.services import ValidationInput, create_case, record_validation, transition_report
from vulndesk.triage.sla import warn_before_breaches

Api = Callable[[User | None], ApiClient]
BODY = {"environment": "Ubuntu 24.04, default install", "version_tried": "2.1.4", "result": "reproduced"}


def _attempt(*, minutes_spent: int = 0, evidence_ids: tuple[int, ...] = ()) -> ValidationInput:
    return ValidationInput(
        environment=BODY["environment"],
        version_tried=BODY["version_tried"],
        result="reproduced",
        minutes_spent=minutes_spent,
        evidence_ids=evidence_ids,
    )


# --- Validation -------------------------------------------------------------------------------------


def test_validation_is_recorded_with_evidence_and_audited(analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.VALIDATING)
    video = Attachment.objects.create(
        report=report, file="a/x", original_name="poc.mp4", kind="mp4", media_type="video/mp4", size=1, sha256="c" * 64
    )

    validation = record_validation(report, _attempt(minutes_spent=45, evidence_ids=(video.pk,)), actor=analyst)

    assert (validation.result, validation.minutes_spent, list(validation.evidence.all())) == ("reproduced", 45, [video])
    assert AuditEvent.objects.get(tag="report:validated").rationale == "Reproduced on 2.1.4"


def test_evidence_must_belong_to_the_report(analyst: User) -> None:
    other = ReportFactory.create()
    foreign = Attachment.objects.create(
        report=other, file="a/y", original_name="x.png", kind="png", media_type="image/png", size=1, sha256="d" * 64
    )

    with pytest.raises(RuleViolation) as raised:
        record_validation(ReportFactory.create(), _attempt(evidence_ids=(foreign.pk,)), actor=analyst)

    assert raised.value.field == "evidence_ids"


def test_api_records_and_lists_validations(api: Api, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.VALIDATING)

    created = api(analyst).post(f"/reports/{report.pk}/validations", BODY | {"minutes_spent": 30})
    listed = api(analyst).get(f"/reports/{report.pk}/validations")

    assert created.status_code == 201
    assert [(v["result"], v["version_tried"], v["minutes_spent"]) for v in listed.json()] == [
        ("reproduced", "2.1.4", 30)
    ]


def test_api_validation_needs_environment_and_a_known_result(api: Api, analyst: User) -> None:
    report = ReportFactory.create()

    missing = api(analyst).post(f"/reports/{report.pk}/validations", BODY | {"environment": " "})
    unknown = api(analyst).post(f"/reports/{report.pk}/validations", BODY | {"result": "maybe"})

    assert problem_fields(missing) == ["environment"]
    assert problem_fields(unknown) == ["result"]


@pytest.mark.parametrize("who", ["researcher", "engineer"])
def test_validations_are_hidden_outside_triage(
    api: Api, request: pytest.FixtureRequest, researcher: User, who: str
) -> None:
    report = ReportFactory.create(researcher=researcher)

    assert api(request.getfixturevalue(who)).get(f"/reports/{report.pk}/validations").status_code == 404
    assert api(request.getfixturevalue(who)).post(f"/reports/{report.pk}/validations", BODY).status_code == 404


def test_engineering_team_sees_only_what_is_shared_with_it(api: Api, analyst: User, engineer: User) -> None:
    team, other_team = TeamFactory.create(), TeamFactory.create()
    team.members.add(engineer)
    report = ReportFactory.create(title="Heap overflow in the PNG decoder", description="Secret researcher detail")
    api(analyst).post(f"/reports/{report.pk}/validations", BODY | {"team_ids": [team.pk]})
    api(analyst).post(f"/reports/{report.pk}/validations", BODY | {"team_ids": [other_team.pk], "version_tried": "3.0"})

    shared = api(engineer).get("/shared-validations").json()

    assert [(item["report_reference"], item["version_tried"]) for item in shared] == [(report.reference, "2.1.4")]
    assert "Secret researcher detail" not in str(shared)
    assert api(engineer).get(f"/reports/{report.pk}").status_code == 404


# --- Needs info: close proposals --------------------------------------------------------------------

START = dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC)


def _waiting(analyst: User, since: dt.datetime) -> Report:
    with time_machine.travel(since - dt.timedelta(hours=1), tick=False):
        report = ReportFactory.create(assignee=analyst)
        enter_initial_state(report, actor=report.researcher)
        transition_report(report, Report.State.TRIAGING, actor=analyst)
    with time_machine.travel(since, tick=False):
        transition_report(report, Report.State.NEEDS_INFO, actor=analyst, question="Which build?")
    return report


def test_closing_is_proposed_after_the_configured_silence(analyst: User) -> None:
    silent = _waiting(analyst, START)
    recent = _waiting(analyst, START + dt.timedelta(days=25))

    proposals = set(close_proposals(START + dt.timedelta(days=31)))
    queue = set(list_queue_for_user(analyst, QueueFilters(is_close_proposed=True), now=START + dt.timedelta(days=31)))

    assert proposals == queue == {silent}
    assert recent not in proposals


def test_the_periodic_run_proposes_closing_once(analyst: User) -> None:
    report = _waiting(analyst, START)

    with time_machine.travel(START + dt.timedelta(days=31), tick=False):
        first = warn_before_breaches()
        again = warn_before_breaches()

    assert [(w.reference, w.status) for w in first if w.clock == "needs_info_silence"] == [
        (report.reference, "close_proposed")
    ]
    assert [w for w in again if w.clock == "needs_info_silence"] == []
    assert any("close it?" in message.subject for message in mail.outbox)


# --- Cases --------------------------------------------------------------------------------------------


def _case(coordinator: User) -> Case:
    return create_case(title="Parser", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=coordinator)


def test_api_records_the_servicing_decision(api: Api, coordinator: User) -> None:
    case = _case(coordinator)

    response = api(coordinator).post(
        f"/cases/{case.pk}/servicing",
        {"crosses_security_boundary": True, "meets_servicing_bar": False, "rationale": "Low impact: next version."},
    )

    assert response.status_code == 200
    assert (response.json()["crosses_security_boundary"], response.json()["meets_servicing_bar"]) == (True, False)


def test_servicing_decision_needs_a_rationale(api: Api, coordinator: User) -> None:
    case = _case(coordinator)

    response = api(coordinator).post(
        f"/cases/{case.pk}/servicing",
        {"crosses_security_boundary": True, "meets_servicing_bar": True, "rationale": " "},
    )

    assert problem_fields(response) == ["rationale"]


def test_engineers_cannot_decide_servicing(api: Api, coordinator: User, engineer: User) -> None:
    case = _case(coordinator)

    response = api(engineer).post(
        f"/cases/{case.pk}/servicing",
        {"crosses_security_boundary": True, "meets_servicing_bar": True, "rationale": "x"},
    )

    assert response.status_code == 403


def test_case_timeline_covers_the_case_and_its_reports(api: Api, coordinator: User, analyst: User) -> None:
    report = ReportFactory.create()
    enter_initial_state(report, actor=report.researcher)
    for state in (Report.State.TRIAGING, Report.State.VALIDATING, Report.State.CONFIRMED):
        report = transition_report(report, state, actor=analyst)
    case = create_case(title="Parser", reports=[report], actor=coordinator)

    response = api(coordinator).get(f"/cases/{case.pk}/timeline")

    tags = [entry["tag"] for entry in response.json()]
    assert tags[:4] == ["report:created", "report:triaging", "report:validating", "report:confirmed"]
    assert "case:created" in tags
    assert "case:report_added" in tags


def test_researchers_get_404_for_case_timelines(api: Api, coordinator: User, researcher: User) -> None:
    case = _case(coordinator)

    assert api(researcher).get(f"/cases/{case.pk}/timeline").status_code == 404
