"""Vulnerabilities and their CVSS scores through the API."""

from collections.abc import Callable
from typing import Any

from pytest_django.fixtures import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import CaseFactory, VulnerabilityFactory
from vulndesk.scoring.models import Vulnerability

Api = Callable[[User | None], ApiClient]
VECTOR_HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
VECTOR_LOCAL = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"  # 7.8
DETAILS: dict[str, Any] = {
    "title": "Heap overflow in the image parser",
    "impact_type": "rce",
    "severity": "critical",
    "cve_id": "CVE-2026-31337",
    "cvss_vector": VECTOR_HIGH,
}


def test_analyst_records_a_scored_vulnerability(api: Api, analyst: User) -> None:
    case = CaseFactory.create()

    response = api(analyst).post(f"/cases/{case.pk}/vulnerabilities", DETAILS)

    assert response.status_code == 201
    body = response.json()
    assert (body["cvss_score"], body["cvss_version"], body["cvss_vector"]) == (9.8, "3.1", VECTOR_HIGH)
    assert (body["case_id"], body["reference"]) == (case.pk, "CVE-2026-31337")


def test_invalid_cvss_vector_is_422_naming_cvss_vector(api: Api, analyst: User) -> None:
    case = CaseFactory.create()

    response = api(analyst).post(f"/cases/{case.pk}/vulnerabilities", DETAILS | {"cvss_vector": "CVSS:3.1/AV:Q"})

    assert response.status_code == 422
    assert problem_fields(response) == ["cvss_vector"]


def test_malformed_cve_id_is_422_naming_cve_id(api: Api, analyst: User) -> None:
    case = CaseFactory.create()

    response = api(analyst).post(f"/cases/{case.pk}/vulnerabilities", DETAILS | {"cve_id": "CVE-26-1"})

    assert response.status_code == 422
    assert problem_fields(response) == ["cve_id"]


def test_missing_severity_is_422_naming_severity(api: Api, analyst: User) -> None:
    case = CaseFactory.create()
    details = {key: value for key, value in DETAILS.items() if key != "severity"}

    response = api(analyst).post(f"/cases/{case.pk}/vulnerabilities", details)

    assert response.status_code == 422
    assert problem_fields(response) == ["severity"]


def test_engineer_sees_the_case_but_may_not_add_vulnerabilities(api: Api, engineer: User) -> None:
    case = CaseFactory.create()

    response = api(engineer).post(f"/cases/{case.pk}/vulnerabilities", DETAILS)

    assert response.status_code == 403


def test_researcher_gets_404_adding_a_vulnerability(api: Api, researcher: User) -> None:
    case = CaseFactory.create()

    response = api(researcher).post(f"/cases/{case.pk}/vulnerabilities", DETAILS)

    assert response.status_code == 404
    assert not Vulnerability.objects.exists()


def test_staff_list_vulnerabilities_of_one_case(api: Api, engineer: User) -> None:
    wanted = VulnerabilityFactory.create()
    VulnerabilityFactory.create()

    body = api(engineer).get("/vulnerabilities", {"case_id": wanted.case_id}).json()

    assert [item["id"] for item in body["items"]] == [wanted.pk]


def test_researcher_lists_no_vulnerabilities(api: Api, researcher: User) -> None:
    VulnerabilityFactory.create()

    body = api(researcher).get("/vulnerabilities").json()

    assert body["count"] == 0


def test_vulnerability_list_query_count_is_bounded(
    api: Api, analyst: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    VulnerabilityFactory.create_batch(20)
    client = api(analyst)

    with django_assert_max_num_queries(5):
        response = client.get("/vulnerabilities", {"page_size": 20})

    assert len(response.json()["items"]) == 20


def test_staff_get_a_vulnerability(api: Api, engineer: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    body = api(engineer).get(f"/vulnerabilities/{vulnerability.pk}").json()

    assert body["cve_id"] == vulnerability.cve_id
    assert body["cvss_score"] == 9.8


def test_researcher_gets_404_on_a_vulnerability(api: Api, researcher: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(researcher).get(f"/vulnerabilities/{vulnerability.pk}")

    assert response.status_code == 404


def test_put_replaces_details_and_rescoring_is_audited_with_rationale(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    details = DETAILS | {"cvss_vector": VECTOR_LOCAL, "rationale": "Needs local access"}

    response = api(analyst).put(f"/vulnerabilities/{vulnerability.pk}", details)

    assert response.status_code == 200
    assert response.json()["cvss_score"] == 7.8
    event = AuditEvent.objects.get(tag="vulnerability:updated")
    assert event.rationale == "Needs local access"
    assert event.changes["cvss_vector"] == [VECTOR_HIGH, VECTOR_LOCAL]


def test_put_without_a_required_field_is_422(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(analyst).put(f"/vulnerabilities/{vulnerability.pk}", {"title": "Only a title"})

    assert response.status_code == 422
    assert problem_fields(response) == ["impact_type", "severity"]


def test_patch_changes_only_the_fields_sent(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create(title="Original title")

    response = api(analyst).patch(f"/vulnerabilities/{vulnerability.pk}", {"cvss_vector": VECTOR_LOCAL})

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["cvss_score"]) == ("Original title", 7.8)


def test_patch_with_null_cve_id_removes_it(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    body = api(analyst).patch(f"/vulnerabilities/{vulnerability.pk}", {"cve_id": None}).json()

    assert body["cve_id"] is None
    assert body["reference"] == f"VD-V{vulnerability.pk}"


def test_patch_with_null_title_is_422_naming_title(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(analyst).patch(f"/vulnerabilities/{vulnerability.pk}", {"title": None})

    assert response.status_code == 422
    assert problem_fields(response) == ["title"]


def test_patch_to_a_cve_id_taken_elsewhere_is_422(api: Api, analyst: User) -> None:
    taken = VulnerabilityFactory.create()
    vulnerability = VulnerabilityFactory.create()

    response = api(analyst).patch(f"/vulnerabilities/{vulnerability.pk}", {"cve_id": taken.cve_id})

    assert response.status_code == 422
    assert problem_fields(response) == ["cve_id"]


def test_engineer_may_not_change_a_vulnerability(api: Api, engineer: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(engineer).patch(f"/vulnerabilities/{vulnerability.pk}", {"severity": "low"})

    assert response.status_code == 403


def test_researcher_gets_404_changing_a_vulnerability(api: Api, researcher: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(researcher).put(f"/vulnerabilities/{vulnerability.pk}", DETAILS)

    assert response.status_code == 404


def test_vulnerabilities_without_token_are_401(api: Api, db: None) -> None:
    response = api(None).get("/vulnerabilities")

    assert response.status_code == 401
