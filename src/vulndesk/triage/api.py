"""Triage: moving reports through their states, and cases grouping confirmed reports."""

import datetime as dt
import math
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router
from ninja.errors import ValidationError

from vulndesk.accounts.models import User
from vulndesk.core.api import caller, json_response, paginate, problem_response, problem_responses, referenced, require
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.permissions import Permission
from vulndesk.intake.models import Report
from vulndesk.intake.schemas import ReportOut, ResearcherReportOut
from vulndesk.intake.selectors import ReportFilters, get_report_for_user, list_reports_for_user
from vulndesk.triage.clocks import Clock, report_page_clocks
from vulndesk.triage.duplicates import KnownVulnerability, find_duplicate_candidates, known_vulnerabilities
from vulndesk.triage.models import Case, DutyPeriod, SavedQueueView, Validation, ValidationReply
from vulndesk.triage.schemas import (
    AssignmentIn,
    BulkAssignmentIn,
    BulkResultOut,
    BulkTransitionIn,
    CaseDetailOut,
    CaseIn,
    CasePage,
    CaseQuery,
    CaseReportsIn,
    CaseTransitionIn,
    ClockOut,
    DisclosureDateIn,
    DuplicateCandidateOut,
    DuplicateOfIn,
    DutyPeriodIn,
    DutyPeriodOut,
    KnownVulnerabilityOut,
    QueueItemOut,
    QueuePage,
    QueueQuery,
    ReportListPage,
    ReportListQuery,
    ReportTransitionIn,
    SavedQueueViewIn,
    SavedQueueViewOut,
    ServicingIn,
    SharedValidationOut,
    TimelineEntryOut,
    ValidationIn,
    ValidationOut,
    ValidationReplyIn,
    ValidationReplyOut,
)
from vulndesk.triage.selectors import (
    can_see_queue,
    case_timeline,
    count_queue,
    get_case_for_user,
    get_saved_view_for_user,
    get_shared_validation_for_user,
    list_cases_for_user,
    list_duty_periods_for_user,
    list_queue_for_user,
    list_saved_views_for_user,
    list_validations_for_report,
    list_validations_shared_with_user,
    queue_page,
    queue_state_counts,
    triagers,
    with_product_id,
)
from vulndesk.triage.services import (
    AssignStrategy,
    BulkActionFailed,
    ValidationInput,
    add_duty_period,
    add_report_to_case,
    assign_report,
    bulk_assign_reports,
    bulk_transition_reports,
    create_case,
    decide_servicing,
    delete_queue_view,
    mark_duplicate,
    record_validation,
    reply_to_validation,
    save_queue_view,
    set_disclosure_date,
    transition_case,
    transition_report,
)
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
    since `expected_state`. Closing and reopening need a `reason`; asking for info needs the
    `question`, which the researcher gets in their thread.
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
        question=payload.question,
    )
    return ReportOut.of(report)


def _queue_page(user: User, query: QueueQuery) -> HttpResponse:
    """One page of the queue as `user` (who may see it) asked for it: GET /reports and GET /queue both answer with it.

    Sent as built, in the shape of QueuePage (decision 0007: validating 50 reports cost more
    than the page's SQL); tests check the pages against the schema.
    """
    now = timezone.now()
    filters = with_product_id(query.filters())  # once, for the page and the state counts
    reports = list_queue_for_user(user, filters, sort=query.sort, now=now)
    # Counted up to a limit (see count_queue): an exact count of a million reports costs more than the page.
    count, is_exact = count_queue(reports)
    start = (query.page - 1) * query.page_size
    page: dict[str, Any] = {
        "items": [
            QueueItemOut.values_of_queue(report, now)
            for report in queue_page(reports, filters, sort=query.sort, start=start, stop=start + query.page_size)
        ],
        "count": count,
        "count_is_exact": is_exact,
        "page": query.page,
        "page_size": query.page_size,
        "pages": math.ceil(count / query.page_size),
        "state_counts": None,
        "state_counts_are_exact": None,
    }
    if query.with_counts:
        counts = queue_state_counts(user, filters, now=now)
        page["state_counts"] = {state: count.count for state, count in counts.items()}
        page["state_counts_are_exact"] = all(count.is_exact for count in counts.values())
    return json_response(page)


@router.get(
    "/queue",
    response=QueuePage,
    summary="The triage queue: reports filtered, searched and ordered",
    openapi_extra=problem_responses(401, 403, 422),
)
def list_queue(request: HttpRequest, query: Query[QueueQuery]) -> HttpResponse:
    """GET /reports for the response team, ordered by priority unless `sort` says otherwise.

    Researchers get 403: the queue is not theirs. Every call first gives newly arrived reports
    their SLA snapshot, so `sla` is never null for an open report here.
    """
    user = caller(request)
    if not can_see_queue(user):
        raise PermissionDenied("The queue is the security response team's.")
    refresh_missing_report_slas()
    return _queue_page(user, query)


def list_reports(request: HttpRequest, query: Query[ReportListQuery]) -> HttpResponse | dict[str, Any]:
    """The response team gets the queue's filters, search and orders; a researcher only their own reports.

    A researcher's list is the researcher view (a public status, nothing internal) and takes only
    `state`, `product` and `sort` (age, -age, updated, title); any other filter is 422, naming it.
    """
    user = caller(request)
    if can_see_queue(user):
        if query.sla or query.sort == "sla_due":
            refresh_missing_report_slas()  # the answer depends on every report having its snapshot
        return _queue_page(user, query)
    if staff_only := query.staff_only_parameters():
        message = "Only the security response team filters or sorts by this."
        raise ValidationError([{"loc": ("query", name), "msg": message} for name in staff_only])
    reports = list_reports_for_user(user, ReportFilters(product=query.product), sort=query.sort)
    if query.state:
        reports = reports.filter(state__in=query.state)
    return paginate(reports, query, ResearcherReportOut.of)


def add_report_list(reports_router: Router) -> None:
    """Serve GET /reports on the router that owns the /reports path (intake's; see config/api.py).

    The list needs triage's queue (SLA snapshots, cases' severities) and intake may not import
    triage, while ninja lets only one router answer a path: so triage lends the operation.
    """
    reports_router.add_api_operation(
        "/reports",
        ["GET"],
        list_reports,
        response=ReportListPage,
        summary="List reports (the response team: with the queue's filters)",
        openapi_extra=problem_responses(401, 422),
    )


@router.get(
    "/reports/{report_id}/clocks",
    response=list[ClockOut],
    summary="A report's SLA clocks",
    openapi_extra=problem_responses(401, 404),
)
def get_report_clocks(request: HttpRequest, report_id: int) -> list[Clock]:
    """First response and triage clocks with status and due time, then (once the report is in a case) the
    case's fix and release clocks. Staff only: researchers get 404."""
    report = get_report_for_user(caller(request), report_id, need=Permission.REPORT_TRIAGE)
    return report_page_clocks(report)


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


# --- Assignment and bulk actions ------------------------------------------------------------------


def _triager_in_body(user: User, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    person = triagers().filter(pk=user_id).first()
    if person is None:
        raise RuleViolation(f"No analyst or coordinator with id {user_id}.", field="assignee_id")
    return person


@router.post(
    "/reports/{report_id}/assignment",
    response=ReportOut,
    summary="Assign a report (by hand, round robin or least loaded)",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_report_assignment(request: HttpRequest, report_id: int, payload: AssignmentIn) -> ReportOut:
    """Round robin and least loaded pick among analysts on duty today (see /duty-periods)."""
    user = caller(request)
    report = get_report_for_user(user, report_id)
    require(user, Permission.REPORT_TRIAGE, report)
    assignee = _triager_in_body(user, payload.assignee_id)
    report = assign_report(report, assignee, actor=user, strategy=AssignStrategy(payload.strategy))
    return ReportOut.of(report)


def _bulk_reports(user: User, report_ids: list[int]) -> list[Report]:
    require(user, Permission.REPORT_TRIAGE)
    return [_report_in_body(user, report_id) for report_id in dict.fromkeys(report_ids)]


def _bulk_failed(error: BulkActionFailed) -> HttpResponse:
    return problem_response(
        status=422,
        kind="bulk-action-failed",
        title="Nothing was changed",
        detail=str(error),
        errors=[("report_ids", f"{report.reference}: {message}") for report, message in error.failures],
        failed=[
            {"id": report.pk, "reference": report.reference, "detail": message} for report, message in error.failures
        ],
    )


@router.post(
    "/bulk/reports/assignments",
    response=BulkResultOut,
    summary="Assign many reports at once (all or none)",
    openapi_extra=problem_responses(401, 403, 422),
)
def post_bulk_assignment(request: HttpRequest, payload: BulkAssignmentIn) -> dict[str, int] | HttpResponse:
    """All or nothing: if any report cannot be assigned, none is, and `failed` lists each one and why."""
    user = caller(request)
    reports = _bulk_reports(user, payload.report_ids)
    assignee = _triager_in_body(user, payload.assignee_id)
    try:
        changed = bulk_assign_reports(reports, assignee, actor=user, strategy=AssignStrategy(payload.strategy))
    except BulkActionFailed as error:
        return _bulk_failed(error)
    return {"changed": changed}


@router.post(
    "/bulk/reports/transitions",
    response=BulkResultOut,
    summary="Move many reports to one state with one reason (all or none)",
    openapi_extra=problem_responses(401, 403, 422),
)
def post_bulk_transition(request: HttpRequest, payload: BulkTransitionIn) -> dict[str, int] | HttpResponse:
    """All or nothing: if any report cannot make the move, none does, and `failed` lists each one and why."""
    user = caller(request)
    reports = _bulk_reports(user, payload.report_ids)
    try:
        changed = bulk_transition_reports(
            reports, payload.to, actor=user, reason=payload.reason, question=payload.question
        )
    except BulkActionFailed as error:
        return _bulk_failed(error)
    return {"changed": changed}


# --- Saved queue views and the duty calendar -----------------------------------------------------


@router.get("/queue/views", response=list[SavedQueueViewOut], summary="My saved queue views")
def list_queue_views(request: HttpRequest) -> QuerySet[SavedQueueView]:
    return list_saved_views_for_user(caller(request))


@router.post(
    "/queue/views",
    response={201: SavedQueueViewOut},
    summary="Save queue filters under a name (same name: replaced)",
    openapi_extra=problem_responses(401, 403, 422),
)
def post_queue_view(request: HttpRequest, payload: SavedQueueViewIn) -> SavedQueueView:
    user = caller(request)
    if not can_see_queue(user):
        raise PermissionDenied("The queue is the security response team's.")
    return save_queue_view(owner=user, name=payload.name, query=payload.query)


@router.delete(
    "/queue/views/{view_id}",
    response={204: None},
    summary="Delete one of my saved queue views",
    openapi_extra=problem_responses(401, 404),
)
def delete_queue_view_endpoint(request: HttpRequest, view_id: int) -> tuple[int, None]:
    user = caller(request)
    delete_queue_view(get_saved_view_for_user(user, view_id), actor=user)
    return 204, None


@router.get("/duty-periods", response=list[DutyPeriodOut], summary="The triage duty calendar")
def list_duty_periods(request: HttpRequest, on: dt.date | None = None) -> QuerySet[DutyPeriod]:
    """Every duty period, or only those covering day `on`."""
    return list_duty_periods_for_user(caller(request), on=on)


@router.post(
    "/duty-periods",
    response={201: DutyPeriodOut},
    summary="Put an analyst on triage duty",
    openapi_extra=problem_responses(401, 403, 422),
)
def post_duty_period(request: HttpRequest, payload: DutyPeriodIn) -> DutyPeriod:
    user = caller(request)
    require(user, Permission.REPORT_TRIAGE)
    analyst = _triager_in_body(user, payload.analyst_id)
    if analyst is None:  # pragma: no cover - analyst_id is required by the schema
        raise RuleViolation("Name the analyst.", field="analyst_id")
    return add_duty_period(analyst, starts_on=payload.starts_on, ends_on=payload.ends_on, actor=user, note=payload.note)


# --- Duplicates -----------------------------------------------------------------------------------


@router.get(
    "/reports/{report_id}/duplicates",
    response=list[DuplicateCandidateOut],
    summary="Earlier reports this one may duplicate, with a score and the reasons",
    openapi_extra=problem_responses(401, 404),
)
def list_duplicate_candidates(request: HttpRequest, report_id: int, limit: int = 10) -> list[DuplicateCandidateOut]:
    """Top candidates, open and closed (spam left out). Staff who triage only: others get 404."""
    report = get_report_for_user(caller(request), report_id, need=Permission.REPORT_TRIAGE)
    return [
        DuplicateCandidateOut.of(candidate) for candidate in find_duplicate_candidates(report, limit=min(limit, 50))
    ]


@router.get(
    "/reports/{report_id}/known-vulnerabilities",
    response=list[KnownVulnerabilityOut],
    summary="Vulnerabilities already known in the report's product, most similar first",
    openapi_extra=problem_responses(401, 404),
)
def list_known_vulnerabilities(request: HttpRequest, report_id: int, limit: int = 10) -> list[KnownVulnerability]:
    """A report may describe a vulnerability already in a case: then it joins that case rather than a new one."""
    report = get_report_for_user(caller(request), report_id, need=Permission.REPORT_TRIAGE)
    return known_vulnerabilities(report, limit=min(limit, 50))


@router.post(
    "/reports/{report_id}/duplicate-of",
    response=ReportOut,
    summary="Close a report as a duplicate of another, in one action",
    openapi_extra=problem_responses(401, 403, 404, 409, 422),
)
def post_duplicate_of(request: HttpRequest, report_id: int, payload: DuplicateOfIn) -> ReportOut:
    """The researcher is told; the credit goes to the first valid report unless `credit_to_id` says otherwise.

    422 when the original is the report itself, is itself a duplicate (the message names its root),
    or is spam; 409 when the report cannot move to duplicate from its state or moved meanwhile.
    """
    user = caller(request)
    report = get_report_for_user(user, report_id)
    require(user, Permission.REPORT_TRIAGE, report)
    original = referenced("original_id", get_report_for_user, user, payload.original_id)
    credit_to = (
        referenced("credit_to_id", get_report_for_user, user, payload.credit_to_id) if payload.credit_to_id else None
    )
    report = mark_duplicate(
        report,
        original,
        actor=user,
        reason=payload.reason,
        expected_state=payload.expected_state,
        credit_to=credit_to,
        credit_note=payload.credit_note,
    )
    return ReportOut.of(report)


# --- Validation -------------------------------------------------------------------------------------


@router.get(
    "/reports/{report_id}/validations",
    response=list[ValidationOut],
    summary="A report's reproduction attempts",
    openapi_extra=problem_responses(401, 404),
)
def list_validations(request: HttpRequest, report_id: int) -> QuerySet[Validation]:
    report = get_report_for_user(caller(request), report_id, need=Permission.REPORT_TRIAGE)
    return list_validations_for_report(report)


@router.post(
    "/reports/{report_id}/validations",
    response={201: ValidationOut},
    summary="Record a reproduction attempt",
    openapi_extra=problem_responses(401, 404, 422),
)
def post_validation(request: HttpRequest, report_id: int, payload: ValidationIn) -> Validation:
    """`team_ids` asks engineering teams to confirm: their members see this record (GET /shared-validations)."""
    user = caller(request)
    report = get_report_for_user(user, report_id, need=Permission.REPORT_TRIAGE)
    data = ValidationInput(
        environment=payload.environment,
        version_tried=payload.version_tried,
        result=payload.result,
        steps=payload.steps,
        minutes_spent=payload.minutes_spent,
        evidence_ids=tuple(payload.evidence_ids),
        team_ids=tuple(payload.team_ids),
    )
    return record_validation(report, data, actor=user)


@router.get(
    "/shared-validations",
    response=list[SharedValidationOut],
    summary="Validations shared with my teams for confirmation",
)
def list_shared_validations(request: HttpRequest) -> QuerySet[Validation]:
    """Only what was shared with a team you belong to; never the researcher or the report's text."""
    return list_validations_shared_with_user(caller(request))


@router.get(
    "/shared-validations/{validation_id}",
    response=SharedValidationOut,
    summary="A validation shared with my teams, with my teams' replies",
    openapi_extra=problem_responses(401, 404),
)
def get_shared_validation(request: HttpRequest, validation_id: int) -> Validation:
    """404 unless it was shared with a team you belong to."""
    return get_shared_validation_for_user(caller(request), validation_id)


@router.post(
    "/shared-validations/{validation_id}/replies",
    response={201: ValidationReplyOut},
    summary="Answer a validation my team was asked to confirm",
    openapi_extra=problem_responses(401, 404, 422),
)
def post_validation_reply(request: HttpRequest, validation_id: int, payload: ValidationReplyIn) -> ValidationReply:
    """Confirm it, say you could not, or comment; the analysts see it on the report (the researcher never does)."""
    user = caller(request)
    validation = get_shared_validation_for_user(user, validation_id)
    return reply_to_validation(
        validation, actor=user, verdict=payload.verdict, body=payload.body, team_id=payload.team_id
    )


# --- Cases: servicing decision and timeline ------------------------------------------------------


@router.post(
    "/cases/{case_id}/servicing",
    response=CaseDetailOut,
    summary="Record the servicing decision of a case",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_case_servicing(request: HttpRequest, case_id: int, payload: ServicingIn) -> Case:
    """Does it cross a security boundary, and does its severity meet the bar for a security update?"""
    user = caller(request)
    case = get_case_for_user(user, case_id)
    require(user, Permission.CASE_MANAGE, case)
    return decide_servicing(
        case,
        crosses_security_boundary=payload.crosses_security_boundary,
        meets_servicing_bar=payload.meets_servicing_bar,
        rationale=payload.rationale,
        actor=user,
    )


@router.post(
    "/cases/{case_id}/disclosure-date",
    response=CaseDetailOut,
    summary="Set, move or clear the case's agreed disclosure date",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_case_disclosure_date(request: HttpRequest, case_id: int, payload: DisclosureDateIn) -> Case:
    """The date agreed with the researchers (null clears it); not in the past. Each report's researcher
    is told in their thread and sees it on their report. The same date again changes nothing."""
    user = caller(request)
    case = get_case_for_user(user, case_id)
    require(user, Permission.CASE_MANAGE, case)
    return set_disclosure_date(case, payload.disclosure_date, actor=user, reason=payload.reason)


@router.get(
    "/cases/{case_id}/timeline",
    response=list[TimelineEntryOut],
    summary="Everything that happened to a case and its reports",
    openapi_extra=problem_responses(401, 404),
)
def get_case_timeline(request: HttpRequest, case_id: int) -> QuerySet[AuditEvent]:
    return case_timeline(get_case_for_user(caller(request), case_id))
