"""Releases through the API: planning on the second Tuesday, the readiness gate."""

import datetime as dt
from collections.abc import Callable

from pytest_django.fixtures import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import FixFactory, ReleaseFactory
from vulndesk.lib.calendars import second_tuesday
from vulndesk.releases.models import Release
from vulndesk.remediation.models import Fix

Api = Callable[[User | None], ApiClient]
PATCH_TUESDAY = second_tuesday(2027, 1)


def test_release_manager_plans_a_scheduled_release_on_the_second_tuesday(api: Api, release_manager: User) -> None:
    body = {"name": "2027-01 Security Updates", "release_date": PATCH_TUESDAY.isoformat()}

    response = api(release_manager).post("/releases", body)

    assert response.status_code == 201
    assert response.json()["state"] == "planned"
    assert response.json()["kind"] == "scheduled"
    assert response.json()["fixes"] == []


def test_scheduled_release_on_another_day_is_422_naming_release_date(api: Api, release_manager: User) -> None:
    body = {"name": "2027-01 Security Updates", "release_date": (PATCH_TUESDAY + dt.timedelta(days=1)).isoformat()}

    response = api(release_manager).post("/releases", body)

    assert response.status_code == 422
    assert problem_fields(response) == ["release_date"]


def test_out_of_band_release_may_ship_any_day(api: Api, release_manager: User) -> None:
    body = {"name": "OOB for CVE-2027-1", "release_date": "2027-01-06", "kind": "out_of_band"}

    response = api(release_manager).post("/releases", body)

    assert response.status_code == 201


def test_unknown_release_kind_is_422_naming_kind(api: Api, release_manager: User) -> None:
    body = {"name": "Whenever", "release_date": PATCH_TUESDAY.isoformat(), "kind": "someday"}

    response = api(release_manager).post("/releases", body)

    assert response.status_code == 422
    assert problem_fields(response) == ["kind"]


def test_analyst_may_not_plan_releases(api: Api, analyst: User) -> None:
    response = api(analyst).post("/releases", {"name": "2027-01", "release_date": PATCH_TUESDAY.isoformat()})

    assert response.status_code == 403


def test_staff_list_releases_filtered_by_state(api: Api, engineer: User) -> None:
    frozen = ReleaseFactory.create(state=Release.State.FROZEN)
    ReleaseFactory.create()

    body = api(engineer).get("/releases", {"state": "frozen"}).json()

    assert [item["id"] for item in body["items"]] == [frozen.pk]


def test_researcher_lists_no_releases(api: Api, researcher: User) -> None:
    ReleaseFactory.create()

    body = api(researcher).get("/releases").json()

    assert body["count"] == 0


def test_release_list_query_count_is_bounded(
    api: Api, engineer: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ReleaseFactory.create_batch(20)
    client = api(engineer)

    with django_assert_max_num_queries(5):
        response = client.get("/releases", {"page_size": 20})

    assert len(response.json()["items"]) == 20


def test_release_detail_lists_its_fixes(api: Api, engineer: User) -> None:
    release = ReleaseFactory.create()
    fix = FixFactory.create(target_release=release)

    body = api(engineer).get(f"/releases/{release.pk}").json()

    assert [(f["id"], f["vulnerability"], f["state"]) for f in body["fixes"]] == [
        (fix.pk, fix.vulnerability.cve_id, "planned")
    ]


def test_researcher_gets_404_on_a_release(api: Api, researcher: User) -> None:
    release = ReleaseFactory.create()

    response = api(researcher).get(f"/releases/{release.pk}")

    assert response.status_code == 404


def test_release_manager_freezes_a_release(api: Api, release_manager: User) -> None:
    release = ReleaseFactory.create()

    response = api(release_manager).post(f"/releases/{release.pk}/transitions", {"to": "frozen"})

    assert response.status_code == 200
    assert response.json()["state"] == "frozen"


def test_shipping_releases_its_ready_fixes(api: Api, release_manager: User) -> None:
    release = ReleaseFactory.create(state=Release.State.FROZEN)
    fix = FixFactory.create(target_release=release, state=Fix.State.READY)

    response = api(release_manager).post(f"/releases/{release.pk}/transitions", {"to": "released"})

    assert response.status_code == 200
    assert response.json()["released_at"] is not None
    fix.refresh_from_db()
    assert fix.state == Fix.State.RELEASED


def test_shipping_with_an_unready_fix_is_422_naming_it(api: Api, release_manager: User) -> None:
    release = ReleaseFactory.create(state=Release.State.FROZEN)
    fix = FixFactory.create(target_release=release, state=Fix.State.IN_PROGRESS)

    response = api(release_manager).post(f"/releases/{release.pk}/transitions", {"to": "released"})

    assert response.status_code == 422
    assert problem_fields(response) == ["to"]
    assert str(fix) in response.json()["detail"]
    release.refresh_from_db()
    assert release.state == Release.State.FROZEN


def test_shipping_an_unfrozen_release_is_409(api: Api, release_manager: User) -> None:
    release = ReleaseFactory.create()

    response = api(release_manager).post(f"/releases/{release.pk}/transitions", {"to": "released"})

    assert response.status_code == 409
    assert response.json()["allowed"] == ["cancelled", "frozen"]


def test_engineer_sees_a_release_but_may_not_move_it(api: Api, engineer: User) -> None:
    release = ReleaseFactory.create()

    response = api(engineer).post(f"/releases/{release.pk}/transitions", {"to": "frozen"})

    assert response.status_code == 403


def test_researcher_gets_404_moving_a_release(api: Api, researcher: User) -> None:
    release = ReleaseFactory.create()

    response = api(researcher).post(f"/releases/{release.pk}/transitions", {"to": "frozen"})

    assert response.status_code == 404


def test_releases_without_token_are_401(api: Api, db: None) -> None:
    response = api(None).get("/releases")

    assert response.status_code == 401
