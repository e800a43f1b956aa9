"""API plumbing shared by every router: authentication, problem+json errors, pagination.

Handlers stay thin because everything generic happens here: they read the caller with
`caller(request)`, check a write permission with `require(...)`, and let domain errors
propagate; `install_problem_handlers` turns each into an RFC 9457 problem document.
"""

import json
import math
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from typing import Any, Generic, ParamSpec, TypeVar

import pydantic_core
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation
from ninja.renderers import BaseRenderer
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from vulndesk.accounts.models import User
from vulndesk.accounts.services import authenticate_token
from vulndesk.core.errors import Conflict, InvalidTransition, RateLimited, RuleViolation
from vulndesk.core.permissions import Permission, can

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:vulndesk:problem:"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

ItemT = TypeVar("ItemT")
P = ParamSpec("P")
ModelT = TypeVar("ModelT", bound=Model)


class JsonRenderer(BaseRenderer):
    """Response bodies through pydantic's compiled serializer.

    The standard library's encoder (ninja's default) took 1.5 ms of a 50-report queue page,
    more than PostgreSQL took for the page; this takes a tenth of it (bench/README.md). Times go
    out in RFC 3339 with microseconds and `Z` for UTC.
    """

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return _json(data)


def json_response(data: Any, *, status: int = 200) -> HttpResponse:
    """`data` as the JSON body of a response, for a handler that built its answer in the shape its
    operation declares and wants it sent without ninja validating it again (decision 0007)."""
    return HttpResponse(_json(data), status=status, content_type="application/json; charset=utf-8")


def _json(data: Any) -> bytes:
    return pydantic_core.to_json(data, fallback=_json_fallback)


def _json_fallback(value: Any) -> Any:
    if isinstance(value, Promise):
        return str(value)  # a lazily translated text
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class VulndeskAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI operation ids are the handler names (`list_reports`), unique by convention."""

    def __init__(self, **options: Any) -> None:
        super().__init__(renderer=JsonRenderer(), **options)

    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__


# --- Authentication --------------------------------------------------------------------------


class BearerAuth(HttpBearer):
    """`Authorization: Bearer vd_…`, for scripts and integrations."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return authenticate_token(token)


class SessionAuth(APIKeyCookie):
    """The web UI's logged-in session. Unsafe methods must carry Django's CSRF token.

    Unlike ninja's `django_auth`, an anonymous request is not CSRF-checked: it simply has no
    session, so it gets the 401 that tells the client to authenticate, not a confusing 403.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise PermissionDenied("CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header.")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        return user if isinstance(user, User) and user.is_active else None


def anonymous(request: HttpRequest) -> AnonymousUser | None:
    """Let public endpoints through without credentials.

    Credentials that were sent but failed are refused (None → 401) rather than quietly
    downgraded to anonymous, so a client with an expired token finds out.
    """
    if "Authorization" in request.headers:
        return None
    return AnonymousUser()


AUTHENTICATED: list[Callable[[HttpRequest], Any]] = [BearerAuth(), SessionAuth()]
PUBLIC: list[Callable[[HttpRequest], Any]] = [*AUTHENTICATED, anonymous]
# OpenAPI: ninja derives the bearer and session requirements from PUBLIC and extends them with
# this empty one, which means "or no credentials at all".
PUBLIC_OPENAPI: dict[str, Any] = {"security": [{}]}


def caller(request: HttpRequest) -> User:
    """The authenticated user of a request that passed `AUTHENTICATED`."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError
    return user


def viewer(request: HttpRequest) -> User | None:
    """The user behind a request to a public endpoint, or None when anonymous."""
    user = getattr(request, "auth", None)
    return user if isinstance(user, User) else None


def require(user: User, permission: Permission, obj: object = None) -> None:
    """Raise PermissionDenied (403) unless `user` holds `permission` (on `obj`, if given).

    Call it only once the caller is known to see the object (it came through a selector);
    otherwise the 403 would confirm that something exists. Selectors answer 404 instead.
    """
    if not can(user, permission, obj):
        raise PermissionDenied(f"Your role does not allow this ({permission}).")


# --- Errors as RFC 9457 problem documents ----------------------------------------------------


# Problem documents are written by hand (problem_response), so OpenAPI gets their schema by hand.
_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "current": {"type": "string"},
        "requested": {"type": "string"},
        "allowed": {"type": "array", "items": {"type": "string"}},
        "expected": {"type": "string"},
        "retry_after": {"type": "integer"},
    },
}
_PROBLEM_DESCRIPTIONS = {
    401: "No or invalid credentials",
    403: "Your role may not do this to an object you can see",
    404: "No such object, or you may not see it",
    409: "The object's state does not allow this transition, or someone else changed it first",
    429: "Too many attempts; wait the number of seconds in Retry-After",
    422: "Invalid input or a broken business rule; `errors` names the fields",
}


def problem_responses(*statuses: int, public: bool = False) -> dict[str, Any]:
    """`openapi_extra` documenting an operation's problem responses (and public access)."""
    responses = {
        str(status): {
            "description": _PROBLEM_DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in statuses
    }
    return {"responses": responses} | (PUBLIC_OPENAPI if public else {})


def problem_response(
    *,
    status: int,
    kind: str,
    title: str,
    detail: str,
    errors: Iterable[tuple[str, str]] = (),
    **extensions: Any,
) -> HttpResponse:
    body: dict[str, Any] = {"type": PROBLEM_TYPE_PREFIX + kind, "title": title, "status": status, "detail": detail}
    field_errors = [{"field": field, "message": message} for field, message in errors]
    if field_errors:
        body["errors"] = field_errors
    body |= extensions
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=PROBLEM_MEDIA_TYPE)


def _field_name(loc: Sequence[Any]) -> str:
    """A client-facing field name from ninja's error location, e.g. ("body", "payload", "title") → "title"."""
    source, *path = loc
    if source == "body":
        path = path[1:]  # the handler's parameter name, which clients never see
    return ".".join(str(part) for part in path) or str(source)


def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    path_errors = [error["loc"] for error in exc.errors if error.get("loc", ("body",))[0] == "path"]
    if path_errors:
        # /reports/abc names no report, just as /reports/999999 does: the same 404, not a form error.
        detail = f"Nothing is at this address: {_field_name(path_errors[0])} must be the id of an existing record."
        return problem_response(status=404, kind="not-found", title="Not found", detail=detail)
    errors = [
        (_field_name(error.get("loc", ("body",))), str(error.get("msg", "Invalid value."))) for error in exc.errors
    ]
    return problem_response(
        status=422,
        kind="invalid-input",
        title="Invalid input",
        detail="; ".join(f"{field}: {message}" for field, message in errors),
        errors=errors,
    )


def _rule_violation(request: HttpRequest, exc: RuleViolation) -> HttpResponse:
    return problem_response(
        status=422,
        kind="rule-violation",
        title="The request breaks a rule",
        detail=str(exc),
        errors=[(exc.field, str(exc))] if exc.field else [],
    )


def _invalid_transition(request: HttpRequest, exc: InvalidTransition) -> HttpResponse:
    return problem_response(
        status=409,
        kind="invalid-transition",
        title="Invalid state transition",
        detail=str(exc),
        current=exc.current,
        requested=exc.requested,
        allowed=exc.allowed,
    )


def _conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return problem_response(
        status=409,
        kind="conflict",
        title="Changed by someone else",
        detail=str(exc),
        current=exc.current,
        expected=exc.expected,
    )


def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = problem_response(
        status=429, kind="rate-limited", title="Too many requests", detail=str(exc), retry_after=exc.retry_after
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Selectors' messages ("No such report.") are the same whether it is missing or hidden.
    return problem_response(status=404, kind="not-found", title="Not found", detail=str(exc) or "Not found.")


def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem_response(
        status=403, kind="forbidden", title="Permission denied", detail=str(exc) or "Permission denied."
    )


def _authentication_failed(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    sent_credentials = "Authorization" in request.headers
    response = problem_response(
        status=401,
        kind="unauthenticated",
        title="Authentication required",
        detail="The token is unknown, revoked or expired."
        if sent_credentials
        else "Send 'Authorization: Bearer <token>' or log in.",
    )
    # RFC 6750 §3: say which scheme, and whether the token itself was the problem.
    response["WWW-Authenticate"] = 'Bearer realm="vulndesk"' + (', error="invalid_token"' if sent_credentials else "")
    return response


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja answers 400 for a body it cannot parse; to a client that is invalid input like any other.
        return problem_response(
            status=422,
            kind="invalid-input",
            title="Invalid input",
            detail="The request body is not valid JSON.",
            errors=[("body", "The request body is not valid JSON.")],
        )
    status = HTTPStatus(exc.status_code)
    return problem_response(
        status=status.value, kind=status.phrase.lower().replace(" ", "-"), title=status.phrase, detail=str(exc)
    )


def install_problem_handlers(api: NinjaAPI) -> None:
    """Answer every error the API expects with application/problem+json."""
    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (ValidationError, _validation_error),
        (RuleViolation, _rule_violation),
        (InvalidTransition, _invalid_transition),
        (RateLimited, _rate_limited),
        (Conflict, _conflict),
        (Http404, _not_found),
        (PermissionDenied, _permission_denied),
        (AuthenticationError, _authentication_failed),
        (HttpError, _http_error),
    ]
    for exception_class, handler in handlers:
        api.exception_handler(exception_class)(handler)


def unknown_endpoint(request: HttpRequest, path: str = "") -> HttpResponse:
    """Paths under /api/v1/ that no endpoint serves: a problem document, never the portal's HTML page."""
    return problem_response(
        status=404,
        kind="not-found",
        title="Not found",
        detail=f"No API endpoint at {request.path}; the endpoints are listed at /api/v1/docs.",
    )


def referenced(field: str, lookup: Callable[P, ModelT], *args: P.args, **kwargs: P.kwargs) -> ModelT:
    """`lookup(*args, **kwargs)` for an object named in a request body; missing or hidden is a 422 on `field`.

    A path id that does not resolve is a 404 (the resource is not there); an id inside a body
    is input that names nothing the caller can use, so the client is told which field.
    """
    try:
        return lookup(*args, **kwargs)
    except Http404 as error:
        raise RuleViolation(str(error) or "No such object.", field=field) from None


# --- Pagination ------------------------------------------------------------------------------


class PageParams(Schema):
    page: int = Field(1, ge=1, description="1-based page number.")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page, at most 100.")


class Page(Schema, Generic[ItemT]):
    items: list[ItemT]
    count: int = Field(description="Items on all pages together.")
    page: int
    page_size: int
    pages: int


def paginate(
    queryset: QuerySet[ModelT], params: PageParams, render: Callable[[ModelT], Any] | None = None
) -> dict[str, Any]:
    """One page of `queryset` in the shape of `Page`; `render` turns each object into its schema.

    Without `render` the objects go out as they are and the operation's response schema reads them.
    """
    count = queryset.count()
    start = (params.page - 1) * params.page_size
    objects = list(queryset[start : start + params.page_size])
    return {
        "items": [render(obj) for obj in objects] if render else objects,
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "pages": math.ceil(count / params.page_size),
    }
