"""Threads on reports and cases. Callers only ever see the channels they may read."""

from collections.abc import Sequence
from typing import Any

from django.http import FileResponse, Http404, HttpRequest
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from vulndesk.accounts.models import User
from vulndesk.core.api import caller, paginate, problem_responses, referenced, require
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Permission
from vulndesk.intake.downloads import attachment_response
from vulndesk.intake.selectors import get_report_for_user
from vulndesk.messaging.models import CasePartner, Message, PartnerOrganization, ResponseTemplate
from vulndesk.messaging.notifications import list_notifications_for_user, mark_read, unread_count
from vulndesk.messaging.partners import (
    log_if_partner,
    log_partner_view,
    set_partner_status,
    set_shared_vulnerabilities,
)
from vulndesk.messaging.permissions import Thread, partner_on_case, partner_organization_of
from vulndesk.messaging.rendering import render_markdown
from vulndesk.messaging.responses import active_templates, render_template
from vulndesk.messaging.schemas import (
    CasePartnerOut,
    MarkedOut,
    MessageEditIn,
    MessageIn,
    MessageOut,
    MessagePage,
    MessageQuery,
    NotificationPage,
    NotificationQuery,
    PartnerCaseOut,
    PartnerStatusIn,
    PartnerVulnerabilityOut,
    RenderedTemplateOut,
    ResponseTemplateOut,
    RevisionOut,
    SharedVulnerabilitiesIn,
)
from vulndesk.messaging.selectors import (
    get_case_partner_for_staff,
    get_case_partner_for_user,
    get_case_thread_for_user,
    get_message_attachment_for_user,
    get_message_for_user,
    get_report_thread_for_user,
    list_case_partners_for_user,
    list_messages_for_user,
    list_partner_cases_for_user,
    list_revisions_for_user,
    list_vulnerabilities_shared_with,
)
from vulndesk.messaging.services import edit_message, post_message
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case

router = Router(tags=["messages"])


def _post(request: HttpRequest, thread: Thread, payload: MessageIn, files: Sequence[UploadedFile] = ()) -> MessageOut:
    user = caller(request)
    reply_to = referenced("reply_to", get_message_for_user, user, payload.reply_to) if payload.reply_to else None
    organization = PartnerOrganization.objects.filter(pk=payload.organization).first() if payload.organization else None
    if payload.organization and organization is None:
        raise RuleViolation("No such partner organization.", field="organization")
    message = post_message(
        thread,
        channel=payload.channel,
        body=payload.body,
        actor=user,
        reply_to=reply_to,
        organization=organization,
        attachments=files,
    )
    return MessageOut.of(message, user)


def _list(request: HttpRequest, thread: Thread, query: MessageQuery) -> dict[str, Any]:
    user = caller(request)
    organization = PartnerOrganization.objects.filter(pk=query.organization).first() if query.organization else None
    messages = list_messages_for_user(user, thread, channel=query.channel, organization=organization)
    case_partner = partner_on_case(user, thread.case) if thread.case is not None else None
    if case_partner is not None:
        log_partner_view(case_partner, actor=user, what=f"messages, page {query.page} (API)")
    # Page through ids, then read the page's rows in full: ordering thousands of messages is cheap
    # without their text and joins (as on the thread pages).
    page = paginate(messages.select_related(None).prefetch_related(None).only("pk"), query)
    ids = [message.pk for message in page["items"]]
    by_id = {message.pk: message for message in messages.filter(pk__in=ids)}
    return page | {"items": [MessageOut.of(by_id[pk], user) for pk in ids]}


@router.get(
    "/reports/{report_id}/messages",
    response=MessagePage,
    summary="Read a report's thread",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def list_report_messages(request: HttpRequest, report_id: int, query: Query[MessageQuery]) -> dict[str, Any]:
    """Oldest first. Researchers get their report's researcher thread; staff who read reports also its internal notes."""
    return _list(request, get_report_thread_for_user(caller(request), report_id), query)


@router.post(
    "/reports/{report_id}/messages",
    response={201: MessageOut},
    summary="Write on a report's thread",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_report_message(request: HttpRequest, report_id: int, payload: MessageIn) -> MessageOut:
    """The researcher and triage staff write in `researcher`; staff who read reports in `internal`."""
    return _post(request, get_report_thread_for_user(caller(request), report_id), payload)


@router.post(
    "/reports/{report_id}/messages/multipart",
    response={201: MessageOut},
    summary="Write on a report's thread, with files",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_report_message_with_files(
    request: HttpRequest,
    report_id: int,
    payload: Form[MessageIn],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]  # ninja's way to make a file list optional
) -> MessageOut:
    """As `POST /reports/{id}/messages`, as multipart/form-data: the same fields, and files in `files` (repeatable).

    The files meet the report-attachment rules (type by content, size per file and together, at
    most 10); one refused file refuses the message and nothing is saved. Text may be empty when
    files are attached.
    """
    return _post(request, get_report_thread_for_user(caller(request), report_id), payload, files or [])


@router.get(
    "/cases/{case_id}/messages",
    response=MessagePage,
    summary="Read a case's thread",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def list_case_messages(request: HttpRequest, case_id: int, query: Query[MessageQuery]) -> dict[str, Any]:
    """The case's internal notes, plus its reports' threads for staff who read reports."""
    return _list(request, get_case_thread_for_user(caller(request), case_id), query)


@router.post(
    "/cases/{case_id}/messages",
    response={201: MessageOut},
    summary="Write on a case's thread",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_case_message(request: HttpRequest, case_id: int, payload: MessageIn) -> MessageOut:
    """Staff write `internal` notes on a case; researcher threads are written on the case's reports."""
    return _post(request, get_case_thread_for_user(caller(request), case_id), payload)


@router.post(
    "/cases/{case_id}/messages/multipart",
    response={201: MessageOut},
    summary="Write on a case's thread, with files",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_case_message_with_files(
    request: HttpRequest,
    case_id: int,
    payload: Form[MessageIn],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]  # ninja's way to make a file list optional
) -> MessageOut:
    """As `POST /cases/{id}/messages`, as multipart/form-data with files in `files` (the same rules as on reports)."""
    return _post(request, get_case_thread_for_user(caller(request), case_id), payload, files or [])


@router.get(
    "/messages/{message_id}/attachments/{attachment_id}",
    summary="Download a message's file",
    openapi_extra=problem_responses(401, 404)
    | {"responses": {"200": {"description": "The file, always as an application/octet-stream download."}}},
)
def get_message_attachment(request: HttpRequest, message_id: int, attachment_id: int) -> FileResponse:
    """For whoever may read the message's channel (a partner: only their own organization's); 404 for anyone else."""
    user = caller(request)
    attachment = get_message_attachment_for_user(user, message_id, attachment_id)
    log_if_partner(
        user, attachment.message.case, what=f"file {attachment.original_name} of message #{message_id} (API)"
    )
    return attachment_response(attachment)


@router.patch(
    "/messages/{message_id}",
    response=MessageOut,
    summary="Edit your message",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def patch_message(request: HttpRequest, message_id: int, payload: MessageEditIn) -> MessageOut:
    """Only the author edits; the earlier text is kept (GET /messages/{id}/revisions)."""
    user = caller(request)
    message: Message = edit_message(get_message_for_user(user, message_id), body=payload.body, actor=user)
    return MessageOut.of(message, user)


@router.get(
    "/messages/{message_id}/revisions",
    response=list[RevisionOut],
    summary="Earlier texts of a message",
    openapi_extra=problem_responses(401, 404),
)
def list_message_revisions(request: HttpRequest, message_id: int) -> list[RevisionOut]:
    user = caller(request)
    log_if_partner(
        user, get_message_for_user(user, message_id).case, what=f"earlier texts of message #{message_id} (API)"
    )
    return [
        RevisionOut(
            body=revision.body,
            body_html=revision.body_html,
            written_at=revision.written_at,
            replaced_at=revision.replaced_at,
            replaced_by=str(revision.replaced_by),
        )
        for revision in list_revisions_for_user(user, message_id)
    ]


@router.get(
    "/notifications", response=NotificationPage, summary="Your notifications", openapi_extra=problem_responses(401)
)
def list_notifications(request: HttpRequest, query: Query[NotificationQuery]) -> dict[str, Any]:
    """Newest first; `unread` counts every unread one."""
    user = caller(request)
    notifications = list_notifications_for_user(user)
    if query.unread:
        notifications = notifications.filter(read_at__isnull=True)
    return paginate(notifications, query) | {"unread": unread_count(user)}


@router.post(
    "/notifications/{notification_id}/read",
    response=MarkedOut,
    summary="Mark a notification read",
    openapi_extra=problem_responses(401, 404),
)
def post_notification_read(request: HttpRequest, notification_id: int) -> MarkedOut:
    user = caller(request)
    if not list_notifications_for_user(user).filter(pk=notification_id).exists():
        raise Http404("No such notification.")
    return MarkedOut(marked=mark_read(user, notification_id=notification_id))


@router.post(
    "/notifications/read",
    response=MarkedOut,
    summary="Mark all notifications read",
    openapi_extra=problem_responses(401),
)
def post_notifications_read(request: HttpRequest) -> MarkedOut:
    return MarkedOut(marked=mark_read(caller(request)))


@router.get(
    "/response-templates",
    response=list[ResponseTemplateOut],
    summary="Canned responses",
    openapi_extra=problem_responses(401, 403),
)
def list_response_templates(request: HttpRequest) -> list[ResponseTemplate]:
    require(caller(request), Permission.REPORT_TRIAGE)
    return list(active_templates())


@router.get(
    "/reports/{report_id}/response-templates/{key}",
    response=RenderedTemplateOut,
    summary="Preview a canned response for a report",
    openapi_extra=problem_responses(401, 403, 404),
)
def preview_response_template(request: HttpRequest, report_id: int, key: str) -> RenderedTemplateOut:
    """The template with the report's variables filled in; nothing is sent."""
    user = caller(request)
    report = get_report_for_user(user, report_id)
    require(user, Permission.REPORT_TRIAGE, report)
    template = active_templates().filter(key=key).first()
    if template is None:
        raise Http404("No such canned response.")
    body = render_template(template, report)
    return RenderedTemplateOut(key=template.key, version=template.version, body=body, body_html=render_markdown(body))


# --- Partner coordination ------------------------------------------------------------------


def _staff_case(user: User, case_id: int) -> Case:
    """The case for staff who may see it; a partner gets 404 here (their view is /partner/cases)."""
    if partner_organization_of(user) is not None:
        raise Http404("No such case.")
    case = get_case_thread_for_user(user, case_id).case
    assert case is not None  # a case thread always has its case
    return case


def _case_partner_out(case_partner: CasePartner) -> CasePartnerOut:
    vulnerabilities = {v.pk: v for v in Vulnerability.objects.filter(case_id=case_partner.case_id)}
    return CasePartnerOut.of(case_partner, vulnerabilities)


@router.get(
    "/cases/{case_id}/partners",
    response=list[CasePartnerOut],
    tags=["partners"],
    summary="Organizations invited to a case",
    openapi_extra=problem_responses(401, 404),
)
def list_case_partners(request: HttpRequest, case_id: int) -> list[CasePartnerOut]:
    """Staff: each invited organization, the vulnerabilities shared with it and its answers."""
    user = caller(request)
    case = _staff_case(user, case_id)
    vulnerabilities = {v.pk: v for v in Vulnerability.objects.filter(case=case)}
    return [CasePartnerOut.of(partner, vulnerabilities) for partner in list_case_partners_for_user(user, case)]


@router.put(
    "/cases/{case_id}/partners/{organization_id}/shared-vulnerabilities",
    response=CasePartnerOut,
    tags=["partners"],
    summary="Choose what an invited organization sees",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def put_shared_vulnerabilities(
    request: HttpRequest, case_id: int, organization_id: int, payload: SharedVulnerabilitiesIn
) -> CasePartnerOut:
    """Case managers: share exactly these vulnerabilities of the case with the organization (others are hidden)."""
    user = caller(request)
    case = _staff_case(user, case_id)
    case_partner = get_case_partner_for_staff(user, case, organization_id)
    wanted = set(payload.vulnerabilities)
    found = list(Vulnerability.objects.filter(case=case, pk__in=wanted))
    missing = sorted(wanted - {v.pk for v in found})
    if missing:
        raise RuleViolation(
            f"{case.reference} has no vulnerability with id {', '.join(map(str, missing))}.", field="vulnerabilities"
        )
    set_shared_vulnerabilities(case_partner, found, actor=user)
    return _case_partner_out(get_case_partner_for_staff(user, case, organization_id))


def _partner_case_out(case_partner: CasePartner) -> PartnerCaseOut:
    vulnerabilities = list(list_vulnerabilities_shared_with(case_partner))
    statuses = {s.vulnerability_id: s for s in case_partner.statuses.filter(vulnerability__in=vulnerabilities)}
    return PartnerCaseOut(
        case_id=case_partner.case_id,
        reference=case_partner.case.reference,
        title=case_partner.case.title,
        organization=str(case_partner.organization),
        summary=case_partner.shared_summary,
        summary_html=render_markdown(case_partner.shared_summary),
        invited_at=case_partner.invited_at,
        has_responded=case_partner.has_responded,
        vulnerabilities=[PartnerVulnerabilityOut.of(v, statuses.get(v.pk)) for v in vulnerabilities],
    )


@router.get(
    "/partner/cases",
    response=list[PartnerCaseOut],
    tags=["partners"],
    summary="Cases shared with your organization",
    openapi_extra=problem_responses(401),
)
def list_partner_cases(request: HttpRequest) -> list[PartnerCaseOut]:
    """Partners: every case your organization is invited to, with what is shared; empty for everyone else."""
    user = caller(request)
    invitations = list(list_partner_cases_for_user(user).select_related("organization"))
    for invitation in invitations:
        log_partner_view(invitation, actor=user, what="case list (API)")
    return [_partner_case_out(invitation) for invitation in invitations]


@router.get(
    "/partner/cases/{case_id}",
    response=PartnerCaseOut,
    tags=["partners"],
    summary="A case shared with your organization",
    openapi_extra=problem_responses(401, 404),
)
def get_partner_case(request: HttpRequest, case_id: int) -> PartnerCaseOut:
    user = caller(request)
    case_partner = get_case_partner_for_user(user, case_id)
    log_partner_view(case_partner, actor=user, what="case (API)")
    return _partner_case_out(case_partner)


@router.put(
    "/partner/cases/{case_id}/vulnerabilities/{vulnerability_id}/status",
    response=PartnerVulnerabilityOut,
    tags=["partners"],
    summary="Say whether your organization is affected",
    openapi_extra=problem_responses(401, 404, 422),
)
def put_partner_status(
    request: HttpRequest, case_id: int, vulnerability_id: int, payload: PartnerStatusIn
) -> PartnerVulnerabilityOut:
    """Partners: your status on one vulnerability shared with you, with your own tracking id."""
    user = caller(request)
    case_partner = get_case_partner_for_user(user, case_id)
    vulnerability = list_vulnerabilities_shared_with(case_partner).filter(pk=vulnerability_id).first()
    if vulnerability is None:
        raise Http404("No such vulnerability shared with you.")
    status = set_partner_status(
        case_partner,
        vulnerability,
        status=payload.status,
        justification=payload.justification,
        tracking_id=payload.tracking_id,
        actor=user,
    )
    return PartnerVulnerabilityOut.of(vulnerability, status)
