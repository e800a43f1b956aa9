"""Calling the API in tests as a named person, with a real bearer token."""

from typing import TYPE_CHECKING, Any

from django.test import Client

from vulndesk.accounts.models import User
from vulndesk.accounts.services import issue_token

if TYPE_CHECKING:
    # django-stubs' name for what the test client returns (an HttpResponse with .json()).
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

API_ROOT = "/api/v1"


class ApiClient:
    """JSON in, JSON out, paths relative to /api/v1. `ApiClient(None)` calls anonymously."""

    def __init__(self, user: User | None) -> None:
        self.user = user
        self._client = Client()
        self._headers: dict[str, str] = {}
        if user is not None:
            secret = issue_token(user, name="tests", actor=user).secret
            self._headers["Authorization"] = f"Bearer {secret}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> "Response":
        return self._client.get(API_ROOT + path, params or {}, headers=self._headers)

    def post(self, path: str, body: Any = None) -> "Response":
        return self._client.post(API_ROOT + path, body or {}, content_type="application/json", headers=self._headers)

    def post_raw(self, path: str, content: str) -> "Response":
        """POST `content` as it is, e.g. to send JSON that does not parse."""
        return self._client.post(API_ROOT + path, content, content_type="application/json", headers=self._headers)

    def post_multipart(self, path: str, data: dict[str, Any]) -> "Response":
        """POST a multipart form, e.g. `{"files": [SimpleUploadedFile(...)]}` for uploads."""
        return self._client.post(API_ROOT + path, data, headers=self._headers)

    def put(self, path: str, body: Any) -> "Response":
        return self._client.put(API_ROOT + path, body, content_type="application/json", headers=self._headers)

    def patch(self, path: str, body: Any) -> "Response":
        return self._client.patch(API_ROOT + path, body, content_type="application/json", headers=self._headers)


def problem_fields(response: "Response") -> list[str]:
    """The field names a problem+json response blames, after checking it is one."""
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    assert body["status"] == response.status_code
    return [error["field"] for error in body.get("errors", [])]
