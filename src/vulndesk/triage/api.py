"""Triage: moving reports through their states, and cases grouping confirmed reports."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from vulndesk.accounts.models import User
from vulndesk.core.api import caller, paginate, problem_responses, referenced, require
from vulndesk.core.permissions import Permission
from vulndesk.intake.models import Report
from vulndesk.intake.schemas import ReportOut
from vulndesk.intake.selectors import get_report_for_user
from vulndesk.triage.clocks import Clock, report_clocks
from vulndesk.triage.models import Case
from vulndesk.triage.schemas import (
    CaseDetailOut,
    CaseIn,
    CasePage,
    CaseQuery,
    CaseReportsIn,
    CaseTransitionIn,
    ClockOut,
    QueueItemOut,
    QueuePage,
    QueueQuery,
    ReportTransitionIn,
)
from vulndesk.triage.selectors import (
    can_see_queue,
    get_case_for_user,
    list_cases_for_user,
    list_queue_for_user,
    queue_state_counts,
)
from vulndesk.triage.services import add_report_to_case, create_case, transition_case, transition_report
from vulndesk.triage.sla import refresh_missing_report_slas

router = Router(tags=["triage"])


@router.post(
    "/reports/{report_id}/transitions",
    response=ReportOut,
    summary="Move a report to another state",
    openapi_extra=problem_responses(401, 403, 404, 409, 422),
)
def post_report_transition(request: HttpRequest, report_id: int, payload: ReportTransitionIn) -> ReportOut:
    """Triage, validate, confirm, close or reopen a report.

    409 names the states it may move to, or (kind conflict) says that someone else moved it
    since `expected_state`. Closing, asking for info and reopening need a `reason`.
    """
    user = caller(request)
    report = get_report_for_user(user, report_id)
    require(user, Permission.REPORT_TRIAGE, report)
    original = (
        referenced("duplicate_of", get_report_for_user, user, payload.duplicate_of) if payload.duplicate_of else None
    )
    report = transition_report(
        report,
        payload.to,
        actor=user,
        reason=payload.reason,
        duplicate_of=original,
        expected_state=payload.expected_state,
    )
    return ReportOut.of(report)


@router.get(
    "/queue",
    response=QueuePage,
    summary="The triage queue: reports filtered, searched and ordered",
    openapi_extra=problem_responses(401, 403, 422),
)
def list_queue(request: HttpRequest, query: Query[QueueQuery]) -> dict[str, Any]:
    """The response team's queue, with the portal queue's filters. Researchers get 403: it is not theirs."""
    user = caller(request)
    if not can_see_queue(user):
        raise PermissionDenied("The queue is the security response team's.")
    refresh_missing_report_slas()
    now = timezone.now()
    filters = query.filters()
    page = paginate(
        list_queue_for_user(user, filters, sort=query.sort, now=now),
        query,
        lambda report: QueueItemOut.of_queue(report, now),
    )
    return page | {"state_counts": queue_state_counts(user, filters, now=now)}


@router.get(
    "/reports/{report_id}/clocks",
    response=list[ClockOut],
    summary="A report's SLA clocks",
    openapi_extra=problem_responses(401, 404),
)
def get_report_clocks(request: HttpRequest, report_id: int) -> list[Clock]:
    """First response and triage clocks with status and due time. Staff only: researchers get 404."""
    report = get_report_for_user(caller(request), report_id, need=Permission.REPORT_TRIAGE)
    return report_clocks([report])[report.pk]


@router.post(
    "/cases",
    response={201: CaseDetailOut},
    summary="Open a case from confirmed reports",
    openapi_extra=problem_responses(401, 403, 422),
)
def post_case(request: HttpRequest, payload: CaseIn) -> Case:
    user = caller(request)
    require(user, Permission.CASE_MANAGE)
    reports = [_report_in_body(user, report_id) for report_id in payload.report_ids]
    return create_case(title=payload.title, summary=payload.summary, reports=reports, actor=user)


@router.get("/cases", response=CasePage, summary="List cases", openapi_extra=problem_responses(401, 422))
def list_cases(request: HttpRequest, query: Query[CaseQuery]) -> dict[str, Any]:
    return paginate(list_cases_for_user(caller(request), state=query.state), query)


@router.get(
    "/cases/{case_id}",
    response=CaseDetailOut,
    summary="Get a case with its reports and vulnerabilities",
    openapi_extra=problem_responses(401, 404),
)
def get_case(request: HttpRequest, case_id: int) -> Case:
    return get_case_for_user(caller(request), case_id)


@router.post(
    "/cases/{case_id}/transitions",
    response=CaseDetailOut,
    summary="Move a case to another state",
    openapi_extra=problem_responses(401, 403, 404, 409, 422),
)
def post_case_transition(request: HttpRequest, case_id: int, payload: CaseTransitionIn) -> Case:
    user = caller(request)
    case = get_case_for_user(user, case_id)
    require(user, Permission.CASE_MANAGE, case)
    return transition_case(case, payload.to, actor=user, reason=payload.reason)


@router.post(
    "/cases/{case_id}/reports",
    response=CaseDetailOut,
    summary="Add confirmed reports to a case",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_case_reports(request: HttpRequest, case_id: int, payload: CaseReportsIn) -> Case:
    user = caller(request)
    case = get_case_for_user(user, case_id)
    require(user, Permission.CASE_MANAGE, case)
    reports = [_report_in_body(user, report_id) for report_id in payload.report_ids]
    with transaction.atomic():  # all or none, like create_case
        for report in reports:
            add_report_to_case(case, report, actor=user)
    return case


def _report_in_body(user: User, report_id: int) -> Report:
    # Only "exists and visible" here; the service checks that it is confirmed and caseless.
    return referenced("report_ids", get_report_for_user, user, report_id)
