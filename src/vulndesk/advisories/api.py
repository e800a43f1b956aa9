"""Advisories: drafted and approved by staff, readable by anyone once published."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from vulndesk.advisories.models import Advisory
from vulndesk.advisories.schemas import AdvisoryIn, AdvisoryOut, AdvisoryPage, AdvisoryQuery, AdvisoryTransitionIn
from vulndesk.advisories.selectors import get_advisory_for_user, list_advisories_for_user
from vulndesk.advisories.services import create_advisory, transition_advisory
from vulndesk.core.api import PUBLIC, caller, paginate, problem_responses, referenced, require, viewer
from vulndesk.core.permissions import Permission
from vulndesk.releases.selectors import get_release_for_user
from vulndesk.scoring.selectors import get_vulnerability_for_user

router = Router(tags=["advisories"])

# Who may move an advisory into each state: approval and publication are separate duties.
_TRANSITION_PERMISSION = {
    Advisory.State.DRAFT: Permission.ADVISORY_EDIT,
    Advisory.State.APPROVED: Permission.ADVISORY_APPROVE,
    Advisory.State.PUBLISHED: Permission.ADVISORY_PUBLISH,
}


@router.post(
    "/advisories",
    response={201: AdvisoryOut},
    summary="Draft an advisory",
    openapi_extra=problem_responses(401, 403, 422),
)
def post_advisory(request: HttpRequest, payload: AdvisoryIn) -> Advisory:
    user = caller(request)
    require(user, Permission.ADVISORY_EDIT)
    vulnerabilities = [
        referenced("vulnerability_ids", get_vulnerability_for_user, user, vulnerability_id)
        for vulnerability_id in payload.vulnerability_ids
    ]
    release = referenced("release_id", get_release_for_user, user, payload.release_id) if payload.release_id else None
    return create_advisory(
        title=payload.title, summary=payload.summary, vulnerabilities=vulnerabilities, release=release, actor=user
    )


@router.get(
    "/advisories",
    response=AdvisoryPage,
    auth=PUBLIC,
    summary="List advisories (public)",
    openapi_extra=problem_responses(401, 422, public=True),
)
def list_advisories(request: HttpRequest, query: Query[AdvisoryQuery]) -> dict[str, Any]:
    """Published advisories, newest first, for anyone. Staff who may see drafts get those too."""
    return paginate(list_advisories_for_user(viewer(request), state=query.state), query)


@router.get(
    "/advisories/{identifier}",
    response=AdvisoryOut,
    auth=PUBLIC,
    summary="Get an advisory (public once published)",
    openapi_extra=problem_responses(401, 404, public=True),
)
def get_advisory(request: HttpRequest, identifier: str) -> Advisory:
    return get_advisory_for_user(viewer(request), identifier)


@router.post(
    "/advisories/{identifier}/transitions",
    response=AdvisoryOut,
    summary="Approve, publish or return an advisory to draft",
    openapi_extra=problem_responses(401, 403, 404, 409, 422),
)
def post_advisory_transition(request: HttpRequest, identifier: str, payload: AdvisoryTransitionIn) -> Advisory:
    """Publishing needs the advisory's release to have shipped; it marks the researchers' reports fixed."""
    user = caller(request)
    advisory = get_advisory_for_user(user, identifier)
    require(user, _TRANSITION_PERMISSION[payload.to], advisory)
    return transition_advisory(advisory, payload.to, actor=user, reason=payload.reason)
