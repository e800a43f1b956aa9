"""Releases: the monthly security-update train and out-of-band releases."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from vulndesk.core.api import caller, paginate, problem_responses, require
from vulndesk.core.permissions import Permission
from vulndesk.releases.models import Release
from vulndesk.releases.schemas import ReleaseDetailOut, ReleaseIn, ReleasePage, ReleaseQuery, ReleaseTransitionIn
from vulndesk.releases.selectors import get_release_for_user, list_releases_for_user
from vulndesk.releases.services import create_release, transition_release

router = Router(tags=["releases"])


@router.post(
    "/releases",
    response={201: ReleaseDetailOut},
    summary="Plan a release",
    openapi_extra=problem_responses(401, 403, 422),
)
def post_release(request: HttpRequest, payload: ReleaseIn) -> Release:
    user = caller(request)
    require(user, Permission.RELEASE_MANAGE)
    return create_release(name=payload.name, release_date=payload.release_date, kind=payload.kind, actor=user)


@router.get("/releases", response=ReleasePage, summary="List releases", openapi_extra=problem_responses(401, 422))
def list_releases(request: HttpRequest, query: Query[ReleaseQuery]) -> dict[str, Any]:
    return paginate(list_releases_for_user(caller(request), state=query.state), query)


@router.get(
    "/releases/{release_id}",
    response=ReleaseDetailOut,
    summary="Get a release and the fixes it carries",
    openapi_extra=problem_responses(401, 404),
)
def get_release(request: HttpRequest, release_id: int) -> Release:
    return get_release_for_user(caller(request), release_id)


@router.post(
    "/releases/{release_id}/transitions",
    response=ReleaseDetailOut,
    summary="Freeze, ship or cancel a release",
    openapi_extra=problem_responses(401, 403, 404, 409, 422),
)
def post_release_transition(request: HttpRequest, release_id: int, payload: ReleaseTransitionIn) -> Release:
    """Shipping (to=released) needs every fix it carries to be ready, and marks them released."""
    user = caller(request)
    release = get_release_for_user(user, release_id)
    require(user, Permission.RELEASE_MANAGE, release)
    return transition_release(release, payload.to, actor=user, reason=payload.reason)
