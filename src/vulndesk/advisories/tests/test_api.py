"""Advisories through the API: drafts stay internal, published ones are public."""

from collections.abc import Callable

from django.test import Client
from pytest_django.fixtures import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.advisories.models import Advisory
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import AdvisoryFactory, ReleaseFactory, VulnerabilityFactory, published
from vulndesk.releases.models import Release

Api = Callable[[User | None], ApiClient]


def test_analyst_drafts_an_advisory(api: Api, analyst: User) -> None:
    vulnerability, release = VulnerabilityFactory.create(), ReleaseFactory.create()
    body = {
        "title": "Remote code execution in the parser",
        "summary": "Update to 2.4.1.",
        "vulnerability_ids": [vulnerability.pk],
        "release_id": release.pk,
    }

    response = api(analyst).post("/advisories", body)

    assert response.status_code == 201
    advisory = response.json()
    assert advisory["state"] == "draft"
    assert advisory["identifier"].startswith("VDSA-")
    assert advisory["release"] == release.name
    assert [v["cve_id"] for v in advisory["vulnerabilities"]] == [vulnerability.cve_id]


def test_advisory_without_vulnerabilities_is_422_naming_vulnerability_ids(api: Api, analyst: User) -> None:
    response = api(analyst).post("/advisories", {"title": "T", "summary": "S", "vulnerability_ids": []})

    assert response.status_code == 422
    assert problem_fields(response) == ["vulnerability_ids"]


def test_advisory_for_an_unknown_vulnerability_is_422_naming_vulnerability_ids(api: Api, analyst: User) -> None:
    response = api(analyst).post("/advisories", {"title": "T", "summary": "S", "vulnerability_ids": [999999]})

    assert response.status_code == 422
    assert problem_fields(response) == ["vulnerability_ids"]


def test_advisory_for_an_unknown_release_is_422_naming_release_id(api: Api, analyst: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    body = {"title": "T", "summary": "S", "vulnerability_ids": [vulnerability.pk], "release_id": 999999}

    response = api(analyst).post("/advisories", body)

    assert response.status_code == 422
    assert problem_fields(response) == ["release_id"]


def test_researcher_may_not_draft_advisories(api: Api, researcher: User) -> None:
    vulnerability = VulnerabilityFactory.create()

    response = api(researcher).post(
        "/advisories", {"title": "T", "summary": "S", "vulnerability_ids": [vulnerability.pk]}
    )

    assert response.status_code == 403


def test_anonymous_list_shows_only_published_advisories(api: Api, db: None) -> None:
    public = published(AdvisoryFactory.create(vulnerabilities=[VulnerabilityFactory.create()]))
    AdvisoryFactory.create()

    body = api(None).get("/advisories").json()

    assert [item["identifier"] for item in body["items"]] == [public.identifier]
    assert body["items"][0]["vulnerabilities"][0]["cvss_score"] == 9.8


def test_researcher_list_shows_only_published_advisories(api: Api, researcher: User) -> None:
    public = published(AdvisoryFactory.create())
    AdvisoryFactory.create()

    body = api(researcher).get("/advisories").json()

    assert [item["identifier"] for item in body["items"]] == [public.identifier]


def test_anonymous_asking_for_drafts_gets_none(api: Api, db: None) -> None:
    AdvisoryFactory.create()

    body = api(None).get("/advisories", {"state": "draft"}).json()

    assert body["count"] == 0


def test_staff_filter_advisories_by_state(api: Api, coordinator: User) -> None:
    draft = AdvisoryFactory.create()
    published(AdvisoryFactory.create())

    body = api(coordinator).get("/advisories", {"state": "draft"}).json()

    assert [item["identifier"] for item in body["items"]] == [draft.identifier]


def test_public_list_with_a_bad_token_is_401(client: Client, db: None) -> None:
    response = client.get("/api/v1/advisories", headers={"Authorization": "Bearer vd_expired"})

    assert response.status_code == 401


def test_public_list_query_count_is_bounded(
    api: Api, db: None, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    release = ReleaseFactory.create()
    for _ in range(15):
        published(AdvisoryFactory.create(release=release, vulnerabilities=VulnerabilityFactory.create_batch(2)))
    client = api(None)

    with django_assert_max_num_queries(3):  # count, page, vulnerabilities
        response = client.get("/advisories", {"page_size": 15})

    assert len(response.json()["items"]) == 15


def test_anyone_reads_a_published_advisory(api: Api, db: None) -> None:
    advisory = published(AdvisoryFactory.create())

    response = api(None).get(f"/advisories/{advisory.identifier}")

    assert response.status_code == 200
    assert response.json()["state"] == "published"


def test_anonymous_gets_404_on_a_draft(api: Api, db: None) -> None:
    advisory = AdvisoryFactory.create()

    response = api(None).get(f"/advisories/{advisory.identifier}")

    assert response.status_code == 404


def test_researcher_gets_404_on_a_draft(api: Api, researcher: User) -> None:
    advisory = AdvisoryFactory.create()

    response = api(researcher).get(f"/advisories/{advisory.identifier}")

    assert response.status_code == 404


def test_staff_read_a_draft(api: Api, engineer: User) -> None:
    advisory = AdvisoryFactory.create()

    response = api(engineer).get(f"/advisories/{advisory.identifier}")

    assert response.status_code == 200
    assert response.json()["state"] == "draft"


def test_coordinator_approves_a_draft(api: Api, coordinator: User) -> None:
    advisory = AdvisoryFactory.create()

    response = api(coordinator).post(f"/advisories/{advisory.identifier}/transitions", {"to": "approved"})

    assert response.status_code == 200
    assert response.json()["state"] == "approved"


def test_analyst_sees_the_draft_but_may_not_approve_it(api: Api, analyst: User) -> None:
    advisory = AdvisoryFactory.create()

    response = api(analyst).post(f"/advisories/{advisory.identifier}/transitions", {"to": "approved"})

    assert response.status_code == 403


def test_analyst_may_send_an_approved_advisory_back_to_draft(api: Api, analyst: User) -> None:
    advisory = AdvisoryFactory.create(state=Advisory.State.APPROVED)

    response = api(analyst).post(f"/advisories/{advisory.identifier}/transitions", {"to": "draft", "reason": "Typo"})

    assert response.status_code == 200


def test_publishing_a_draft_is_409(api: Api, coordinator: User) -> None:
    advisory = AdvisoryFactory.create()

    response = api(coordinator).post(f"/advisories/{advisory.identifier}/transitions", {"to": "published"})

    assert response.status_code == 409
    assert response.json()["allowed"] == ["approved"]


def test_publishing_before_the_release_ships_is_422(api: Api, release_manager: User) -> None:
    release = ReleaseFactory.create(state=Release.State.FROZEN)
    advisory = AdvisoryFactory.create(state=Advisory.State.APPROVED, release=release)

    response = api(release_manager).post(f"/advisories/{advisory.identifier}/transitions", {"to": "published"})

    assert response.status_code == 422
    assert problem_fields(response) == ["to"]


def test_release_manager_publishes_once_the_release_shipped(api: Api, release_manager: User) -> None:
    release = ReleaseFactory.create(state=Release.State.RELEASED)
    advisory = AdvisoryFactory.create(state=Advisory.State.APPROVED, release=release)

    response = api(release_manager).post(f"/advisories/{advisory.identifier}/transitions", {"to": "published"})

    assert response.status_code == 200
    assert response.json()["published_at"] is not None


def test_researcher_gets_404_moving_a_draft(api: Api, researcher: User) -> None:
    advisory = AdvisoryFactory.create()

    response = api(researcher).post(f"/advisories/{advisory.identifier}/transitions", {"to": "approved"})

    assert response.status_code == 404


def test_advisory_transitions_without_token_are_401(api: Api, db: None) -> None:
    advisory = AdvisoryFactory.create()

    response = api(None).post(f"/advisories/{advisory.identifier}/transitions", {"to": "approved"})

    assert response.status_code == 401
