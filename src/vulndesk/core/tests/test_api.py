"""The API's plumbing: OpenAPI document, authentication, problem+json errors, pagination."""

import datetime as dt
import json
from collections.abc import Callable

import pytest
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.utils.translation import gettext_lazy
from ninja.errors import AuthenticationError, HttpError
from openapi_spec_validator import validate
from pydantic_core import PydanticSerializationError

from vulndesk.accounts.models import User
from vulndesk.accounts.services import issue_token, revoke_token
from vulndesk.config.api import api as api_v1
from vulndesk.core.api import JsonRenderer, caller
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import ProductFactory, ReportFactory

Api = Callable[[User | None], ApiClient]


def test_openapi_document_is_valid_openapi_3(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.")


def test_openapi_operation_ids_are_unique_handler_names(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()

    operation_ids = [operation["operationId"] for path in document["paths"].values() for operation in path.values()]

    assert len(operation_ids) == len(set(operation_ids))
    assert "list_reports" in operation_ids


def test_openapi_marks_public_endpoints_as_needing_no_credentials(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()

    assert {} in document["paths"]["/api/v1/advisories"]["get"]["security"]
    assert {} not in document["paths"]["/api/v1/reports"]["get"]["security"]


def test_interactive_docs_are_served(client: Client) -> None:
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_no_token_gets_401_problem_with_bearer_challenge(api: Api) -> None:
    response = api(None).get("/reports")

    assert response.status_code == 401
    assert problem_fields(response) == []
    assert response.json()["type"] == "urn:vulndesk:problem:unauthenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="vulndesk"'


def test_unknown_token_gets_401_naming_the_token_as_the_problem(client: Client, db: None) -> None:
    response = client.get("/api/v1/reports", headers={"Authorization": "Bearer vd_not-a-real-token"})

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_revoked_token_gets_401(client: Client, analyst: User) -> None:
    issued = issue_token(analyst, name="ci", actor=analyst)
    revoke_token(issued.token, actor=analyst)

    response = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {issued.secret}"})

    assert response.status_code == 401


def test_expired_token_gets_401(client: Client, analyst: User) -> None:
    issued = issue_token(analyst, name="ci", actor=analyst, lifetime=dt.timedelta(seconds=-1))

    response = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {issued.secret}"})

    assert response.status_code == 401


def test_token_of_deactivated_user_gets_401(api: Api, analyst: User) -> None:
    client = api(analyst)
    analyst.is_active = False
    analyst.save()

    response = client.get("/reports")

    assert response.status_code == 401


def test_logged_in_session_is_accepted_for_reads(client: Client, analyst: User) -> None:
    client.force_login(analyst)

    response = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["email"] == analyst.email


def test_session_write_without_csrf_token_gets_403(researcher: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher)
    body = {"title": "XSS", "description": "Script runs.", "product_other": "Widget"}

    response = client.post("/api/v1/reports", body, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_session_write_with_csrf_token_is_accepted(researcher: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher)
    token = "a" * 32  # Django accepts an unmasked secret when cookie and header agree
    client.cookies["csrftoken"] = token
    body = {"title": "XSS", "description": "Script runs.", "product_other": "Widget", "accepts_policy": True}

    response = client.post("/api/v1/reports", body, content_type="application/json", headers={"X-CSRFToken": token})

    assert response.status_code == 201


def test_anonymous_write_is_401_not_a_csrf_403(db: None) -> None:
    client = Client(enforce_csrf_checks=True)

    # POST /reports takes anonymous reports, so another write stands in for "needs an account".
    response = client.post("/api/v1/cases", {}, content_type="application/json")

    assert response.status_code == 401


def test_malformed_json_is_422_on_the_body(api: Api, researcher: User) -> None:
    response = api(researcher).post_raw("/reports", "{not json")

    assert response.status_code == 422
    assert problem_fields(response) == ["body"]


def test_validation_errors_name_each_field_plainly(api: Api, researcher: User) -> None:
    response = api(researcher).post("/reports", {"product_other": "Widget"})

    assert response.status_code == 422
    assert problem_fields(response) == ["title", "description"]
    assert response.json()["type"] == "urn:vulndesk:problem:invalid-input"


def test_rule_violation_is_422_naming_its_field(api: Api, researcher: User) -> None:
    response = api(researcher).post("/reports", {"title": "XSS", "description": "Script runs."})

    assert response.status_code == 422
    assert problem_fields(response) == ["product"]
    assert response.json()["type"] == "urn:vulndesk:problem:rule-violation"


def test_page_size_above_100_is_422(api: Api, analyst: User) -> None:
    response = api(analyst).get("/reports", {"page_size": 101})

    assert response.status_code == 422
    assert problem_fields(response) == ["page_size"]


def test_pages_carry_the_total_count(api: Api, analyst: User) -> None:
    product = ProductFactory.create()
    ReportFactory.create_batch(5, product=product)

    body = api(analyst).get("/reports", {"page": 2, "page_size": 2}).json()

    assert (body["count"], body["page"], body["page_size"], body["pages"]) == (5, 2, 2, 3)
    assert len(body["items"]) == 2


def test_page_past_the_end_is_empty(api: Api, analyst: User) -> None:
    ReportFactory.create()

    body = api(analyst).get("/reports", {"page": 3}).json()

    assert body["items"] == []
    assert body["count"] == 1


def test_other_http_errors_are_problems_too(rf: RequestFactory) -> None:
    response = api_v1.on_exception(rf.get("/api/v1/reports"), HttpError(429, "Slow down."))

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["title"] == "Too Many Requests"


def test_caller_refuses_a_request_that_skipped_authentication(rf: RequestFactory) -> None:
    with pytest.raises(AuthenticationError):
        caller(rf.get("/api/v1/reports"))


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/reports/1/no-such-action", "/api/v1/v2/reports"])
def test_unknown_api_path_gets_a_404_problem(client: Client, db: None, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:vulndesk:problem:not-found"
    assert "/api/v1/docs" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/reports/abc", "/reports/1.5", "/reports/99999999999999999999999"])
def test_a_path_id_that_is_not_an_id_gets_the_same_404_as_a_missing_one(api: Api, analyst: User, path: str) -> None:
    response = api(analyst).get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:vulndesk:problem:not-found"


def test_json_bodies_carry_times_in_rfc3339_utc_and_lazy_texts_as_text() -> None:
    when = dt.datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=dt.UTC)
    body = JsonRenderer().render(HttpRequest(), {"at": when, "label": gettext_lazy("Closed")}, response_status=200)
    assert json.loads(body) == {"at": "2026-11-28T09:30:15.123456Z", "label": "Closed"}


def test_json_bodies_refuse_objects_they_cannot_represent() -> None:
    with pytest.raises(PydanticSerializationError, match="object is not JSON serializable"):
        JsonRenderer().render(HttpRequest(), {"thing": object()}, response_status=200)
