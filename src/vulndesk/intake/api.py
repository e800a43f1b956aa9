"""Reports: researchers submit and follow them; staff with report access read them all."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from vulndesk.accounts.models import User
from vulndesk.catalog.selectors import get_product
from vulndesk.core.api import caller, paginate, problem_responses, referenced, require
from vulndesk.core.permissions import Permission, is_staff_role
from vulndesk.intake.models import Report
from vulndesk.intake.schemas import (
    AnyReportOut,
    ReportIn,
    ReportOut,
    ReportPage,
    ReportQuery,
    ReportReceiptOut,
    ResearcherReportOut,
)
from vulndesk.intake.selectors import ReportFilters, get_report_for_user, list_reports_for_user
from vulndesk.intake.services import ReportSubmission, submit_report

router = Router(tags=["reports"])


def report_view(report: Report, user: User) -> ReportOut | ResearcherReportOut:
    """The report as `user` may see it: staff get the internal view, researchers their own."""
    return ReportOut.of(report) if is_staff_role(user) else ResearcherReportOut.of(report)


@router.post(
    "/reports",
    response={201: ReportReceiptOut},
    summary="Submit a report",
    openapi_extra=problem_responses(401, 422),
)
def post_report(request: HttpRequest, payload: ReportIn) -> Report:
    """A researcher files a vulnerability report. Name a catalog `product` by slug, or `product_other`."""
    user = caller(request)
    require(user, Permission.REPORT_SUBMIT)
    product = referenced("product", get_product, payload.product) if payload.product else None
    submission = ReportSubmission(
        title=payload.title,
        description=payload.description,
        product=product,
        product_other=payload.product_other,
        affected_versions=payload.affected_versions,
        impact_type=payload.impact_type,
        cwe=payload.cwe,
        suggested_cvss_vector=payload.suggested_cvss_vector,
    )
    return submit_report(submission, actor=user)


@router.get("/reports", response=ReportPage, summary="List reports", openapi_extra=problem_responses(401, 422))
def list_reports(request: HttpRequest, query: Query[ReportQuery]) -> dict[str, Any]:
    """Staff with report access see every report; a researcher sees only their own."""
    user = caller(request)
    filters = ReportFilters(state=query.state, product=query.product)
    reports = list_reports_for_user(user, filters, sort=query.sort)
    return paginate(reports, query, lambda report: report_view(report, user))


@router.get(
    "/reports/{report_id}", response=AnyReportOut, summary="Get a report", openapi_extra=problem_responses(401, 404)
)
def get_report(request: HttpRequest, report_id: int) -> ReportOut | ResearcherReportOut:
    user = caller(request)
    return report_view(get_report_for_user(user, report_id), user)
