"""Reports: researchers submit and follow them; staff with report access read them all.

GET /reports itself is triage's (`vulndesk.triage.api.list_reports`, joined to this router in
config/api.py): the response team's list takes the queue's filters, which need triage.
"""

from django.conf import settings
from django.http import FileResponse, HttpRequest
from ninja import File, Router, Status
from ninja.files import UploadedFile

from vulndesk.accounts.models import User
from vulndesk.catalog.selectors import get_product
from vulndesk.core.api import PUBLIC, caller, problem_responses, referenced, require, viewer
from vulndesk.core.permissions import Permission, is_staff_role
from vulndesk.core.ratelimit import client_address
from vulndesk.intake.downloads import attachment_response
from vulndesk.intake.models import Attachment, Report, Source
from vulndesk.intake.notifications import tracking_url
from vulndesk.intake.schemas import (
    AnyReportOut,
    AttachmentOut,
    ReportIn,
    ReportOut,
    ReportReceiptOut,
    ResearcherReportOut,
    TimelineEntryOut,
)
from vulndesk.intake.selectors import (
    TimelineEntry,
    get_attachment_for_user,
    get_report_by_tracking_token,
    get_report_for_user,
    public_timeline,
)
from vulndesk.intake.services import Receipt, ReportSubmission, add_attachments, submit_report

router = Router(tags=["reports"])


def report_view(report: Report, user: User) -> ReportOut | ResearcherReportOut:
    """The report as `user` may see it: staff get the internal view, researchers their own."""
    return ReportOut.of(report) if is_staff_role(user) else ResearcherReportOut.of(report)


def receipt_view(receipt: Receipt) -> ReportReceiptOut:
    report = receipt.report
    return ReportReceiptOut(
        id=report.pk,
        reference=report.reference,
        state=report.state,
        status=report.researcher_status,
        title=report.title,
        created_at=report.created_at,
        is_new=receipt.is_new,
        response_target_hours=settings.INTAKE_RESPONSE_TARGET_HOURS,
        tracking_url=tracking_url(receipt.tracking_token) if receipt.tracking_token else None,
    )


@router.post(
    "/reports",
    auth=PUBLIC,
    response={200: ReportReceiptOut, 201: ReportReceiptOut},
    summary="Submit a report",
    openapi_extra=problem_responses(401, 403, 422, 429, public=True),
)
def post_report(request: HttpRequest, payload: ReportIn) -> Status[ReportReceiptOut]:
    """A researcher files a vulnerability report; without credentials it is filed anonymously.

    Name a catalog `product` by slug, or `product_other`. `accepts_policy` must be true. An
    anonymous submission's receipt carries its secret `tracking_url`. The same report sent again
    within minutes answers 200 with the earlier report instead of 201 with a new one.
    """
    user = viewer(request)
    if user is not None:
        require(user, Permission.REPORT_SUBMIT)
    product = referenced("product", get_product, payload.product) if payload.product else None
    submission = ReportSubmission(product=product, source=Source.API, **payload.dict(exclude={"product"}))
    receipt = submit_report(submission, actor=user, client_ip=client_address(request))
    return Status(201 if receipt.is_new else 200, receipt_view(receipt))


@router.get(
    "/reports/tracked/{token}",
    auth=PUBLIC,
    response=ResearcherReportOut,
    summary="Follow an anonymous report by its tracking token",
    openapi_extra=problem_responses(404, public=True),
)
def get_tracked_report(request: HttpRequest, token: str) -> ResearcherReportOut:
    """The token is the last part of the receipt's `tracking_url`."""
    return ResearcherReportOut.of(get_report_by_tracking_token(token))


@router.get(
    "/reports/{report_id}", response=AnyReportOut, summary="Get a report", openapi_extra=problem_responses(401, 404)
)
def get_report(request: HttpRequest, report_id: int) -> ReportOut | ResearcherReportOut:
    user = caller(request)
    return report_view(get_report_for_user(user, report_id), user)


@router.get(
    "/reports/{report_id}/timeline",
    response=list[TimelineEntryOut],
    summary="A report's public timeline",
    openapi_extra=problem_responses(401, 404),
)
def get_report_timeline(request: HttpRequest, report_id: int) -> list[TimelineEntry]:
    """What the researcher sees of the report's history, oldest first: status changes and the agreed disclosure date."""
    return public_timeline(get_report_for_user(caller(request), report_id))


@router.get(
    "/reports/tracked/{token}/timeline",
    auth=PUBLIC,
    response=list[TimelineEntryOut],
    summary="An anonymous report's public timeline",
    openapi_extra=problem_responses(404, public=True),
)
def get_tracked_report_timeline(request: HttpRequest, token: str) -> list[TimelineEntry]:
    return public_timeline(get_report_by_tracking_token(token))


@router.post(
    "/reports/{report_id}/attachments",
    response={201: list[AttachmentOut]},
    summary="Attach files to a report",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_report_attachments(
    request: HttpRequest, report_id: int, files: File[list[UploadedFile]]
) -> Status[list[Attachment]]:
    """The report's researcher adds files (multipart, field `files`, repeatable): all are stored or none.

    Types are judged by content; limits per file, per report and on the count are in the error's detail.
    """
    user = caller(request)
    report = get_report_for_user(user, report_id)
    require(user, Permission.REPORT_SUBMIT, report)
    return Status(201, add_attachments(report, files, actor=user))


@router.get(
    "/reports/{report_id}/attachments",
    response=list[AttachmentOut],
    summary="List a report's attachments",
    openapi_extra=problem_responses(401, 404),
)
def list_report_attachments(request: HttpRequest, report_id: int) -> list[Attachment]:
    return list(get_report_for_user(caller(request), report_id).attachments.all())


@router.get(
    "/reports/{report_id}/attachments/{attachment_id}",
    summary="Download an attachment",
    openapi_extra=problem_responses(401, 404)
    | {"responses": {"200": {"description": "The file, always as application/octet-stream download."}}},
)
def get_report_attachment(request: HttpRequest, report_id: int, attachment_id: int) -> FileResponse:
    return attachment_response(get_attachment_for_user(caller(request), report_id, attachment_id))


@router.post(
    "/reports/tracked/{token}/attachments",
    auth=PUBLIC,
    response={201: list[AttachmentOut]},
    summary="Attach files to an anonymous report",
    openapi_extra=problem_responses(404, 422, public=True),
)
def post_tracked_attachments(
    request: HttpRequest, token: str, files: File[list[UploadedFile]]
) -> Status[list[Attachment]]:
    """The holder of an anonymous report's tracking token adds files, under the same rules."""
    return Status(201, add_attachments(get_report_by_tracking_token(token), files, actor=None))
