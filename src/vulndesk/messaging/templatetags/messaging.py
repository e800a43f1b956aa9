"""`{% load messaging %}{% report_thread report %}`: a report's thread where the report page wants it; and
`{% partner_row row can_share=… %}` for the staff partners matrix."""

from typing import Any

from django import template
from django.http import Http404
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince

from vulndesk.accounts.models import User
from vulndesk.core.permissions import is_staff_role
from vulndesk.intake.models import Report
from vulndesk.messaging.notifications import unread_count
from vulndesk.messaging.permissions import Thread
from vulndesk.messaging.selectors import PartnerCell, PartnerRow
from vulndesk.messaging.views import thread_context, tracked_thread_context

register = template.Library()


@register.inclusion_tag("messaging/_thread.html", takes_context=True)
def report_thread(context: dict[str, Any], report: Report, token: str = "") -> dict[str, Any]:
    """The thread as the signed-in viewer may read it; nothing for anyone the selectors refuse.

    With `token` (an anonymous report's page reached through its tracking link, which the page
    has resolved), the researcher thread read-only, whoever is signed in.
    """
    request = context["request"]
    if token:
        try:
            return tracked_thread_context(request, report, token) | {
                "request": request,
                "csrf_token": context.get("csrf_token"),
            }
        except Http404:
            return {}
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


# The staff partners matrix is built in Python rather than in template tags: a case may have a
# hundred partners by several vulnerabilities, and the template engine's cost per node made the
# rows the slowest part of the page (bench/messaging.py times it).


@register.simple_tag
def partner_row(row: PartnerRow, *, can_share: bool) -> str:
    """One organization's row: who, whether they answered, and one cell per vulnerability.

    Every value from the database goes through `escape`; the rest is literal markup.
    """
    partner = row.case_partner
    name = escape(partner.organization.name)
    kind = escape(partner.organization.get_kind_display()) + (", access ended" if partner.removed_at else "")
    sharing = ""
    if can_share and partner.removed_at is None:
        url = escape(reverse("case_partner_sharing", args=[partner.case_id, partner.organization_id]))
        sharing = f'<br><a href="{url}">Shared vulnerabilities<span class="visually-hidden"> with {name}</span></a>'
    if partner.has_responded:
        answer = '<span class="badge badge--mail-sent">Responded</span>'
    else:
        reminders = partner.reminders_sent
        answer = (
            '<span class="badge badge--mail-failed">No response</span><br><span class="muted">'
            f"invited {escape(timesince(partner.invited_at))} ago; {reminders} reminder{pluralize(reminders)}</span>"
        )
    cells = "".join(f"<td>{_partner_cell(cell)}</td>" for cell in row.cells)
    row_class = ' class="muted"' if partner.removed_at else ""
    html = f'<tr{row_class}><th scope="row">{name}<br><span class="muted">{kind}</span>{sharing}</th><td>{answer}</td>{cells}</tr>'
    return mark_safe(html)  # noqa: S308  # built above from literals and escaped values only


def _partner_cell(cell: PartnerCell) -> str:
    if not cell.status:
        return f'<span class="muted">{"Shared, no answer" if cell.is_shared else "Not shared"}</span>'
    html = f"<strong>{escape(cell.status)}</strong>"
    if cell.tracking_id:
        html += f'<br><span class="mono">{escape(cell.tracking_id)}</span>'
    if cell.justification:
        html += f'<br><span class="muted">{escape(Truncator(cell.justification).chars(120))}</span>'
    if not cell.is_shared:
        html += '<br><span class="muted">no longer shared</span>'
    return html
