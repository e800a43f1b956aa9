"""`{% load messaging %}{% report_thread report %}`: a report's thread where the report page wants it."""

from typing import Any

from django import template
from django.http import Http404

from vulndesk.accounts.models import User
from vulndesk.core.permissions import is_staff_role
from vulndesk.intake.models import Report
from vulndesk.messaging.notifications import unread_count
from vulndesk.messaging.permissions import Thread
from vulndesk.messaging.views import thread_context

register = template.Library()


@register.inclusion_tag("messaging/_thread.html", takes_context=True)
def report_thread(context: dict[str, Any], report: Report) -> dict[str, Any]:
    """The thread as the signed-in viewer may read it; nothing for anyone the selectors refuse."""
    request = context["request"]
    if not isinstance(request.user, User):
        return {}
    try:
        thread = thread_context(request, request.user, Thread(report=report))
    except Http404:
        return {}
    return thread | {"request": request, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("messaging/_notification_badge.html", takes_context=True)
def notification_badge(context: dict[str, Any]) -> dict[str, Any]:
    """The header's link to the notifications with the unread count (staff only)."""
    user = context["request"].user
    if not isinstance(user, User) or not is_staff_role(user):
        return {"show": False}
    return {"show": True, "unread": unread_count(user)}
