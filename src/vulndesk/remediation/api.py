"""Fixes: one per vulnerability and affected product version, shipped in a release."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from vulndesk.accounts.models import User
from vulndesk.catalog.selectors import get_product_version, get_team
from vulndesk.core.api import caller, paginate, problem_responses, referenced, require
from vulndesk.core.permissions import Permission
from vulndesk.releases.selectors import get_release_for_user
from vulndesk.remediation.models import Fix
from vulndesk.remediation.schemas import FixIn, FixOut, FixPage, FixQuery, FixRetargetIn, FixTransitionIn
from vulndesk.remediation.selectors import get_fix_for_user, list_fixes_for_user
from vulndesk.remediation.services import create_fix, set_fix_target_release, transition_fix
from vulndesk.scoring.selectors import get_vulnerability_for_user

router = Router(tags=["fixes"])


@router.post(
    "/fixes",
    response={201: FixOut},
    summary="Plan a fix for one product version",
    openapi_extra=problem_responses(401, 403, 422),
)
def post_fix(request: HttpRequest, payload: FixIn) -> Fix:
    user = caller(request)
    require(user, Permission.FIX_MANAGE)
    vulnerability = referenced("vulnerability_id", get_vulnerability_for_user, user, payload.vulnerability_id)
    product_version = referenced("product_version_id", get_product_version, payload.product_version_id)
    team = referenced("team", get_team, payload.team) if payload.team else None
    target_release_id = _visible_release_id(user, payload.target_release_id)
    return create_fix(vulnerability, product_version, actor=user, team=team, target_release_id=target_release_id)


@router.get("/fixes", response=FixPage, summary="List fixes", openapi_extra=problem_responses(401, 422))
def list_fixes(request: HttpRequest, query: Query[FixQuery]) -> dict[str, Any]:
    fixes = list_fixes_for_user(
        caller(request), vulnerability_id=query.vulnerability_id, release_id=query.release_id, state=query.state
    )
    return paginate(fixes, query)


@router.get("/fixes/{fix_id}", response=FixOut, summary="Get a fix", openapi_extra=problem_responses(401, 404))
def get_fix(request: HttpRequest, fix_id: int) -> Fix:
    return get_fix_for_user(caller(request), fix_id)


@router.post(
    "/fixes/{fix_id}/transitions",
    response=FixOut,
    summary="Move a fix to another state",
    openapi_extra=problem_responses(401, 403, 404, 409, 422),
)
def post_fix_transition(request: HttpRequest, fix_id: int, payload: FixTransitionIn) -> Fix:
    """Engineers move their own teams' fixes; release managers and coordinators any fix."""
    user = caller(request)
    fix = get_fix_for_user(user, fix_id)
    require(user, Permission.FIX_UPDATE, fix)
    return transition_fix(fix, payload.to, actor=user, reason=payload.reason, fixed_version=payload.fixed_version)


@router.post(
    "/fixes/{fix_id}/retarget",
    response=FixOut,
    summary="Move a fix to another release",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_fix_retarget(request: HttpRequest, fix_id: int, payload: FixRetargetIn) -> Fix:
    user = caller(request)
    fix = get_fix_for_user(user, fix_id)
    require(user, Permission.FIX_MANAGE, fix)
    return set_fix_target_release(fix, _visible_release_id(user, payload.target_release_id), actor=user)


def _visible_release_id(user: User, release_id: int | None) -> int | None:
    if release_id is None:
        return None
    return referenced("target_release_id", get_release_for_user, user, release_id).pk
