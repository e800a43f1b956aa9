"""Fixes per product version through the API."""

from collections.abc import Callable

import pytest
from pytest_django.fixtures import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import (
    FixFactory,
    ProductVersionFactory,
    ReleaseFactory,
    TeamFactory,
    VulnerabilityFactory,
)
from vulndesk.remediation.models import Fix
from vulndesk.triage.models import Case

Api = Callable[[User | None], ApiClient]


def test_release_manager_plans_a_fix_owned_by_the_products_team(api: Api, release_manager: User) -> None:
    vulnerability = VulnerabilityFactory.create()
    version = ProductVersionFactory.create(version="2.4")

    response = api(release_manager).post(
        "/fixes", {"vulnerability_id": vulnerability.pk, "product_version_id": version.pk}
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["state"], body["version"], body["product"]) == ("planned", "2.4", version.product.slug)
    assert body["team"] == version.product.owning_team.slug
    assert body["vulnerability"] == vulnerability.cve_id
    vulnerability.case.refresh_from_db()
    assert vulnerability.case.state == Case.State.REMEDIATING  # the first fix starts remediation


def test_fix_for_a_named_team_and_release(api: Api, coordinator: User) -> None:
    vulnerability, version = VulnerabilityFactory.create(), ProductVersionFactory.create()
    team, release = TeamFactory.create(slug="kernel"), ReleaseFactory.create()
    body = {
        "vulnerability_id": vulnerability.pk,
        "product_version_id": version.pk,
        "team": "kernel",
        "target_release_id": release.pk,
    }

    response = api(coordinator).post("/fixes", body)

    assert response.status_code == 201
    fix = Fix.objects.get()
    assert (fix.team, fix.target_release) == (team, release)


def test_second_fix_for_the_same_version_is_422_naming_product_version_id(api: Api, release_manager: User) -> None:
    fix = FixFactory.create()
    body = {"vulnerability_id": fix.vulnerability_id, "product_version_id": fix.product_version_id}

    response = api(release_manager).post("/fixes", body)

    assert response.status_code == 422
    assert problem_fields(response) == ["product_version_id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vulnerability_id", 999999),
        ("product_version_id", 999999),
        ("team", "no-such-team"),
        ("target_release_id", 999999),
    ],
)
def test_fix_naming_an_unknown_object_is_422_naming_the_field(
    api: Api, release_manager: User, field: str, value: object
) -> None:
    vulnerability, version = VulnerabilityFactory.create(), ProductVersionFactory.create()
    body = {"vulnerability_id": vulnerability.pk, "product_version_id": version.pk} | {field: value}

    response = api(release_manager).post("/fixes", body)

    assert response.status_code == 422
    assert problem_fields(response) == [field]


def test_engineer_may_not_plan_fixes(api: Api, engineer: User) -> None:
    vulnerability, version = VulnerabilityFactory.create(), ProductVersionFactory.create()

    response = api(engineer).post("/fixes", {"vulnerability_id": vulnerability.pk, "product_version_id": version.pk})

    assert response.status_code == 403


def test_researcher_may_not_plan_fixes(api: Api, researcher: User) -> None:
    vulnerability, version = VulnerabilityFactory.create(), ProductVersionFactory.create()

    response = api(researcher).post("/fixes", {"vulnerability_id": vulnerability.pk, "product_version_id": version.pk})

    assert response.status_code == 403


def test_list_fixes_filtered_by_vulnerability_release_and_state(api: Api, engineer: User) -> None:
    release = ReleaseFactory.create()
    wanted = FixFactory.create(target_release=release, state=Fix.State.READY)
    FixFactory.create(vulnerability=wanted.vulnerability, target_release=release)
    FixFactory.create(target_release=release, state=Fix.State.READY)
    params = {"vulnerability_id": wanted.vulnerability_id, "release_id": release.pk, "state": "ready"}

    body = api(engineer).get("/fixes", params).json()

    assert [item["id"] for item in body["items"]] == [wanted.pk]


def test_researcher_lists_no_fixes(api: Api, researcher: User) -> None:
    FixFactory.create()

    body = api(researcher).get("/fixes").json()

    assert body["count"] == 0


def test_fix_list_query_count_is_bounded(
    api: Api, engineer: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    FixFactory.create_batch(20)
    client = api(engineer)

    with django_assert_max_num_queries(5):
        response = client.get("/fixes", {"page_size": 20})

    assert len(response.json()["items"]) == 20


def test_staff_get_a_fix(api: Api, engineer: User) -> None:
    fix = FixFactory.create()

    body = api(engineer).get(f"/fixes/{fix.pk}").json()

    assert body["id"] == fix.pk
    assert body["allowed_next_states"] == ["in_progress", "wont_fix"]


def test_researcher_gets_404_on_a_fix(api: Api, researcher: User) -> None:
    fix = FixFactory.create()

    response = api(researcher).get(f"/fixes/{fix.pk}")

    assert response.status_code == 404


def test_engineer_of_the_owning_team_moves_the_fix(api: Api, engineer: User) -> None:
    fix = FixFactory.create(state=Fix.State.IN_PROGRESS)
    fix.team.members.add(engineer)

    response = api(engineer).post(f"/fixes/{fix.pk}/transitions", {"to": "ready", "fixed_version": "2.4.1"})

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["fixed_version"]) == ("ready", "2.4.1")


def test_engineer_of_another_team_gets_403(api: Api, engineer: User) -> None:
    fix = FixFactory.create()

    response = api(engineer).post(f"/fixes/{fix.pk}/transitions", {"to": "in_progress"})

    assert response.status_code == 403


def test_illegal_fix_transition_is_409(api: Api, release_manager: User) -> None:
    fix = FixFactory.create()

    response = api(release_manager).post(f"/fixes/{fix.pk}/transitions", {"to": "released"})

    assert response.status_code == 409
    assert response.json()["current"] == "planned"
    assert response.json()["allowed"] == ["in_progress", "wont_fix"]


def test_wont_fix_without_reason_is_422_naming_reason(api: Api, release_manager: User) -> None:
    fix = FixFactory.create()

    response = api(release_manager).post(f"/fixes/{fix.pk}/transitions", {"to": "wont_fix"})

    assert response.status_code == 422
    assert problem_fields(response) == ["reason"]


def test_researcher_gets_404_moving_a_fix(api: Api, researcher: User) -> None:
    fix = FixFactory.create()

    response = api(researcher).post(f"/fixes/{fix.pk}/transitions", {"to": "in_progress"})

    assert response.status_code == 404


def test_release_manager_retargets_a_fix(api: Api, release_manager: User) -> None:
    fix, release = FixFactory.create(), ReleaseFactory.create()

    response = api(release_manager).post(f"/fixes/{fix.pk}/retarget", {"target_release_id": release.pk})

    assert response.status_code == 200
    assert response.json()["target_release_id"] == release.pk


def test_retargeting_to_no_release(api: Api, release_manager: User) -> None:
    fix = FixFactory.create(target_release=ReleaseFactory.create())

    response = api(release_manager).post(f"/fixes/{fix.pk}/retarget", {"target_release_id": None})

    assert response.json()["target_release_id"] is None


def test_retargeting_a_released_fix_is_422(api: Api, release_manager: User) -> None:
    fix = FixFactory.create(state=Fix.State.RELEASED)

    response = api(release_manager).post(f"/fixes/{fix.pk}/retarget", {"target_release_id": None})

    assert response.status_code == 422
    assert problem_fields(response) == ["target_release_id"]


def test_engineer_may_not_retarget(api: Api, engineer: User) -> None:
    fix = FixFactory.create()
    fix.team.members.add(engineer)

    response = api(engineer).post(f"/fixes/{fix.pk}/retarget", {"target_release_id": None})

    assert response.status_code == 403


def test_researcher_gets_404_retargeting(api: Api, researcher: User) -> None:
    fix = FixFactory.create()

    response = api(researcher).post(f"/fixes/{fix.pk}/retarget", {"target_release_id": None})

    assert response.status_code == 404


def test_fixes_without_token_are_401(api: Api, db: None) -> None:
    response = api(None).get("/fixes")

    assert response.status_code == 401
