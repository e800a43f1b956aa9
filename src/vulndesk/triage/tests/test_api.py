"""Report transitions and cases through the API."""

from collections.abc import Callable

from pytest_django.fixtures import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import CaseFactory, ReportFactory, VulnerabilityFactory
from vulndesk.intake.models import Report
from vulndesk.triage.models import Case
from vulndesk.triage.services import create_case

Api = Callable[[User | None], ApiClient]


def _case_with_report(actor: User) -> Case:
    return create_case(
        title="Parser overflow", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=actor
    )


# --- POST /reports/{id}/transitions ----------------------------------------------------------


def test_analyst_moves_a_report_into_triage(api: Api, analyst: User) -> None:
    report = ReportFactory.create()

    response = api(analyst).post(f"/reports/{report.pk}/transitions", {"to": "triaging", "reason": "Looking"})

    assert response.status_code == 200
    assert response.json()["state"] == "triaging"
    report.refresh_from_db()
    assert report.state == Report.State.TRIAGING
    assert AuditEvent.objects.get(tag="report:triaging").actor == analyst


def test_illegal_report_transition_is_409_naming_current_and_allowed_states(api: Api, analyst: User) -> None:
    report = ReportFactory.create()

    response = api(analyst).post(f"/reports/{report.pk}/transitions", {"to": "confirmed"})

    assert response.status_code == 409
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert (body["current"], body["requested"]) == ("new", "confirmed")
    assert body["allowed"] == ["duplicate", "out_of_scope", "spam", "triaging"]
    assert "new" in body["detail"]


def test_closing_without_reason_is_422_naming_reason(api: Api, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)

    response = api(analyst).post(f"/reports/{report.pk}/transitions", {"to": "not_vulnerability"})

    assert response.status_code == 422
    assert problem_fields(response) == ["reason"]


def test_unknown_target_state_is_422_naming_to(api: Api, analyst: User) -> None:
    report = ReportFactory.create()

    response = api(analyst).post(f"/reports/{report.pk}/transitions", {"to": "solved"})

    assert response.status_code == 422
    assert problem_fields(response) == ["to"]


def test_marking_a_duplicate_links_the_original(api: Api, analyst: User) -> None:
    original, report = ReportFactory.create(), ReportFactory.create()
    body = {"to": "duplicate", "reason": "Same bug", "duplicate_of": original.pk}

    response = api(analyst).post(f"/reports/{report.pk}/transitions", body)

    assert response.status_code == 200
    assert response.json()["duplicate_of_id"] == original.pk


def test_unknown_duplicate_original_is_422_naming_duplicate_of(api: Api, analyst: User) -> None:
    report = ReportFactory.create()
    body = {"to": "duplicate", "reason": "Same bug", "duplicate_of": 999999}

    response = api(analyst).post(f"/reports/{report.pk}/transitions", body)

    assert response.status_code == 422
    assert problem_fields(response) == ["duplicate_of"]


def test_researcher_cannot_triage_their_own_report(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    response = api(researcher).post(f"/reports/{report.pk}/transitions", {"to": "triaging"})

    assert response.status_code == 403
    report.refresh_from_db()
    assert report.state == Report.State.NEW


def test_outsider_gets_404_transitioning_someone_elses_report(api: Api, researcher: User, outsider: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    response = api(outsider).post(f"/reports/{report.pk}/transitions", {"to": "triaging"})

    assert response.status_code == 404


def test_engineer_gets_404_transitioning_a_report(api: Api, engineer: User) -> None:
    report = ReportFactory.create()

    response = api(engineer).post(f"/reports/{report.pk}/transitions", {"to": "triaging"})

    assert response.status_code == 404


def test_transition_without_token_is_401(api: Api, db: None) -> None:
    report = ReportFactory.create()

    response = api(None).post(f"/reports/{report.pk}/transitions", {"to": "triaging"})

    assert response.status_code == 401


# --- Cases ----------------------------------------------------------------------------------


def test_analyst_opens_a_case_from_confirmed_reports(api: Api, analyst: User) -> None:
    reports = ReportFactory.create_batch(2, state=Report.State.CONFIRMED)

    response = api(analyst).post("/cases", {"title": "Parser overflow", "report_ids": [r.pk for r in reports]})

    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "open"
    assert body["report_ids"] == sorted(r.pk for r in reports)
    assert body["owner_id"] == analyst.pk
    assert body["vulnerabilities"] == []


def test_case_from_an_unconfirmed_report_is_422_naming_report_ids(api: Api, analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)

    response = api(analyst).post("/cases", {"title": "Parser overflow", "report_ids": [report.pk]})

    assert response.status_code == 422
    assert problem_fields(response) == ["report_ids"]
    assert not Case.objects.exists()


def test_case_from_an_unknown_report_is_422_naming_report_ids(api: Api, analyst: User) -> None:
    response = api(analyst).post("/cases", {"title": "Parser overflow", "report_ids": [999999]})

    assert response.status_code == 422
    assert problem_fields(response) == ["report_ids"]


def test_case_without_reports_is_422_naming_report_ids(api: Api, analyst: User) -> None:
    response = api(analyst).post("/cases", {"title": "Parser overflow", "report_ids": []})

    assert response.status_code == 422
    assert problem_fields(response) == ["report_ids"]


def test_engineer_cannot_open_cases(api: Api, engineer: User) -> None:
    report = ReportFactory.create(state=Report.State.CONFIRMED)

    response = api(engineer).post("/cases", {"title": "Parser overflow", "report_ids": [report.pk]})

    assert response.status_code == 403


def test_researcher_cannot_open_cases(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.CONFIRMED)

    response = api(researcher).post("/cases", {"title": "Mine", "report_ids": [report.pk]})

    assert response.status_code == 403


def test_staff_list_cases_filtered_by_state(api: Api, engineer: User) -> None:
    open_case = CaseFactory.create()
    CaseFactory.create(state=Case.State.CLOSED)

    body = api(engineer).get("/cases", {"state": "open"}).json()

    assert [item["id"] for item in body["items"]] == [open_case.pk]


def test_researcher_lists_no_cases(api: Api, researcher: User) -> None:
    CaseFactory.create()

    body = api(researcher).get("/cases").json()

    assert body["count"] == 0


def test_case_list_query_count_is_bounded(
    api: Api, analyst: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    CaseFactory.create_batch(20, owner=analyst)
    client = api(analyst)

    with django_assert_max_num_queries(5):
        response = client.get("/cases", {"page_size": 20})

    assert len(response.json()["items"]) == 20


def test_case_detail_lists_reports_and_vulnerabilities(api: Api, analyst: User) -> None:
    case = _case_with_report(analyst)
    vulnerability = VulnerabilityFactory.create(case=case, cve_id="CVE-2026-4242")

    body = api(analyst).get(f"/cases/{case.pk}").json()

    assert body["report_ids"] == [case.reports.get().pk]
    assert [v["cve_id"] for v in body["vulnerabilities"]] == [vulnerability.cve_id]
    assert body["vulnerabilities"][0]["cvss_score"] == 9.8
    assert len(body["teams"]) == 1


def test_researcher_gets_404_on_a_case_holding_their_report(api: Api, analyst: User) -> None:
    case = _case_with_report(analyst)
    researcher = case.reports.get().researcher

    response = api(researcher).get(f"/cases/{case.pk}")

    assert response.status_code == 404


def test_unknown_case_is_404(api: Api, analyst: User) -> None:
    response = api(analyst).get("/cases/999999")

    assert response.status_code == 404


def test_coordinator_closes_a_case_with_a_reason(api: Api, coordinator: User) -> None:
    case = CaseFactory.create()

    response = api(coordinator).post(f"/cases/{case.pk}/transitions", {"to": "closed", "reason": "Not serviced"})

    assert response.status_code == 200
    assert response.json()["state"] == "closed"


def test_illegal_case_transition_is_409(api: Api, coordinator: User) -> None:
    case = CaseFactory.create()

    response = api(coordinator).post(f"/cases/{case.pk}/transitions", {"to": "published"})

    assert response.status_code == 409
    assert response.json()["allowed"] == ["closed", "remediating"]


def test_engineer_sees_a_case_but_may_not_move_it(api: Api, engineer: User) -> None:
    case = CaseFactory.create()

    response = api(engineer).post(f"/cases/{case.pk}/transitions", {"to": "remediating"})

    assert response.status_code == 403


def test_researcher_gets_404_moving_a_case(api: Api, researcher: User) -> None:
    case = CaseFactory.create()

    response = api(researcher).post(f"/cases/{case.pk}/transitions", {"to": "remediating"})

    assert response.status_code == 404


def test_analyst_adds_a_confirmed_report_to_a_case(api: Api, analyst: User) -> None:
    case = _case_with_report(analyst)
    report = ReportFactory.create(state=Report.State.CONFIRMED)

    response = api(analyst).post(f"/cases/{case.pk}/reports", {"report_ids": [report.pk]})

    assert response.status_code == 200
    assert report.pk in response.json()["report_ids"]


def test_adding_a_report_already_in_a_case_is_422_and_adds_none(api: Api, analyst: User) -> None:
    case, other = _case_with_report(analyst), _case_with_report(analyst)
    free = ReportFactory.create(state=Report.State.CONFIRMED)

    response = api(analyst).post(f"/cases/{case.pk}/reports", {"report_ids": [free.pk, other.reports.get().pk]})

    assert response.status_code == 422
    assert problem_fields(response) == ["report_ids"]
    assert case.reports.count() == 1


def test_researcher_gets_404_adding_to_a_case(api: Api, researcher: User) -> None:
    case = CaseFactory.create()
    report = ReportFactory.create(researcher=researcher, state=Report.State.CONFIRMED)

    response = api(researcher).post(f"/cases/{case.pk}/reports", {"report_ids": [report.pk]})

    assert response.status_code == 404


def test_cases_without_token_are_401(api: Api, db: None) -> None:
    response = api(None).get("/cases")

    assert response.status_code == 401


def test_second_analyst_acting_on_a_stale_state_gets_a_409_conflict(api: Api, analyst: User, coordinator: User) -> None:
    report = ReportFactory.create(state=Report.State.TRIAGING)
    api(coordinator).post(f"/reports/{report.pk}/transitions", {"to": "validating", "expected_state": "triaging"})

    response = api(analyst).post(
        f"/reports/{report.pk}/transitions",
        {"to": "not_vulnerability", "reason": "By design", "expected_state": "triaging"},
    )

    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "urn:vulndesk:problem:conflict"
    assert (body["current"], body["expected"]) == ("validating", "triaging")
    report.refresh_from_db()
    assert report.state == Report.State.VALIDATING


def test_duplicate_of_a_duplicate_is_422_naming_the_root(api: Api, analyst: User) -> None:
    root = ReportFactory.create()
    middle = ReportFactory.create(state=Report.State.DUPLICATE, duplicate_of=root)
    report = ReportFactory.create(state=Report.State.TRIAGING)

    response = api(analyst).post(
        f"/reports/{report.pk}/transitions", {"to": "duplicate", "reason": "Same", "duplicate_of": middle.pk}
    )

    assert response.status_code == 422
    assert problem_fields(response) == ["duplicate_of"]
    assert root.reference in response.json()["detail"]
