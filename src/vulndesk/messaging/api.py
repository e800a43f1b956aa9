"""Threads on reports and cases. Callers only ever see the channels they may read."""

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router

from vulndesk.core.api import caller, paginate, problem_responses, referenced, require
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Permission
from vulndesk.intake.selectors import get_report_for_user
from vulndesk.messaging.models import Message, PartnerOrganization, ResponseTemplate
from vulndesk.messaging.notifications import list_notifications_for_user, mark_read, unread_count
from vulndesk.messaging.partners import log_partner_view
from vulndesk.messaging.permissions import Thread, partner_on_case
from vulndesk.messaging.rendering import render_markdown
from vulndesk.messaging.responses import active_templates, render_template
from vulndesk.messaging.schemas import (
    MarkedOut,
    MessageEditIn,
    MessageIn,
    MessageOut,
    MessagePage,
    MessageQuery,
    NotificationPage,
    NotificationQuery,
    RenderedTemplateOut,
    ResponseTemplateOut,
    RevisionOut,
)
from vulndesk.messaging.selectors import (
    get_case_thread_for_user,
    get_message_for_user,
    get_report_thread_for_user,
    list_messages_for_user,
    list_revisions_for_user,
)
from vulndesk.messaging.services import edit_message, post_message

router = Router(tags=["messages"])


def _post(request: HttpRequest, thread: Thread, payload: MessageIn) -> MessageOut:
    user = caller(request)
    reply_to = referenced("reply_to", get_message_for_user, user, payload.reply_to) if payload.reply_to else None
    organization = PartnerOrganization.objects.filter(pk=payload.organization).first() if payload.organization else None
    if payload.organization and organization is None:
        raise RuleViolation("No such partner organization.", field="organization")
    message = post_message(
        thread, channel=payload.channel, body=payload.body, actor=user, reply_to=reply_to, organization=organization
    )
    return MessageOut.of(message, user)


def _list(request: HttpRequest, thread: Thread, query: MessageQuery) -> dict[str, Any]:
    user = caller(request)
    organization = PartnerOrganization.objects.filter(pk=query.organization).first() if query.organization else None
    messages = list_messages_for_user(user, thread, channel=query.channel, organization=organization)
    case_partner = partner_on_case(user, thread.case) if thread.case is not None else None
    if case_partner is not None:
        log_partner_view(case_partner, actor=user, what=f"messages, page {query.page} (API)")
    return paginate(messages, query, lambda message: MessageOut.of(message, user))


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
    return [
        RevisionOut(
            body=revision.body,
            body_html=revision.body_html,
            written_at=revision.written_at,
            replaced_at=revision.replaced_at,
            replaced_by=str(revision.replaced_by),
        )
        for revision in list_revisions_for_user(caller(request), message_id)
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
