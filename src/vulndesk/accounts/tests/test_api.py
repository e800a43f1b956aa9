"""GET /api/v1/me."""

from collections.abc import Callable

from vulndesk.accounts.models import User
from vulndesk.core.tests.api_client import ApiClient

Api = Callable[[User | None], ApiClient]


def test_me_says_who_the_token_belongs_to(api: Api, analyst: User) -> None:
    body = api(analyst).get("/me").json()

    assert (body["email"], body["role"], body["is_psirt_staff"]) == (analyst.email, "analyst", True)
    assert "report:triage" in body["permissions"]


def test_researcher_permissions_are_only_their_own(api: Api, researcher: User) -> None:
    body = api(researcher).get("/me").json()

    assert body["permissions"] == ["report:submit", "report:view"]
    assert body["is_psirt_staff"] is False


def test_me_without_token_is_401(api: Api, db: None) -> None:
    response = api(None).get("/me")

    assert response.status_code == 401
