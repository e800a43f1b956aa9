"""`{% load queue %}` … `{% queue_row report sla sla_status %}`: one row of the queue table.

Written in Python rather than as template markup, with the standard library's `escape`: the
template language resolved some 2,000 variables for a page of 50 rows, and Django's lazy-aware
escaping was still half of the Python version's time (bench/README.md).
"""

import functools
from html import escape

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe

from vulndesk.core.templatetags.dates import age, day, moment
from vulndesk.intake.models import Report
from vulndesk.triage.models import ReportSla

register = template.Library()
_MUTED_DASH = '<span class="muted">—</span>'
_PLACEHOLDER_ID = 918273645
_SLA_WORDS = {"on_track": "On track", "at_risk": "At risk", "breached": "Breached"}
# Each state's badge, escaped once: `get_state_display` rebuilt a dict of the field's choices per row.
_STATE_BADGES = {
    state.value: f'<span class="badge badge--{escape(state.value)}">{escape(str(state.label))}</span>'
    for state in Report.State
}


@register.simple_tag
def queue_row(report: Report, sla: ReportSla | None, sla_status: str) -> SafeString:
    pk, reference = report.pk, escape(report.reference)
    low_signal = ' <span class="badge">low signal</span>' if report.is_low_signal else ""
    priority = f"P{report.priority}" if report.priority is not None else _MUTED_DASH
    assignee = escape(str(report.assignee)) if report.assignee else '<span class="muted">Unassigned</span>'
    return mark_safe(  # noqa: S308  # every value below is escaped or our own markup
        "<tr>"
        f'<td><input type="checkbox" name="report_ids" value="{pk}" form="bulk" aria-label="Select {reference}"></td>'
        f'<td class="ref">{reference}<br><a href="{_report_url("report_transition", pk)}" class="small" '
        f'aria-label="Triage {reference}: clocks, duplicates, state, case">triage</a></td>'
        f'<th scope="row"><a href="{_report_url("report_detail", pk)}">{escape(report.title)}</a>{low_signal}</th>'
        f"<td>{_product(report)}</td>"
        f"<td>{_state_badge(report.state)}</td>"
        f"<td>{priority}</td>"
        f'<td class="nowrap">{_sla(sla, sla_status)}</td>'
        f"<td>{assignee}</td>"
        f'<td class="nowrap">{day(report.created_at)}<br><span class="muted">{age(report.created_at)} ago</span></td>'
        "</tr>"
    )


def _state_badge(state: str) -> str:
    known = _STATE_BADGES.get(state)
    # A value outside the choices shows as itself, as get_state_display shows it.
    return known if known is not None else f'<span class="badge badge--{escape(state)}">{escape(state)}</span>'


def _report_url(name: str, pk: int) -> str:
    return _url_pattern(name, get_script_prefix()).format(pk)


@functools.cache
def _url_pattern(name: str, prefix: str) -> str:
    # Reversed once per URL name and script prefix, not twice per row: a report's id is its only part.
    return reverse(name, args=[_PLACEHOLDER_ID]).replace(str(_PLACEHOLDER_ID), "{}")


def _product(report: Report) -> str:
    if report.product:
        return escape(report.product.name)
    if report.product_other:
        return f'{escape(report.product_other)} <span class="muted">(not in catalog)</span>'
    return _MUTED_DASH


def _sla(sla: ReportSla | None, status: str) -> str:
    if sla is None:
        return _MUTED_DASH
    if not sla.clock:
        return '<span class="muted">Clocks stopped</span>'
    label = escape(sla.clock_label)
    badge = (
        f'<span class="clock clock--{escape(status)}" title="{label} clock">{label} · '
        f"{_SLA_WORDS.get(status, 'Paused')}</span>"
    )
    if sla.due_at and not sla.is_paused:
        return f'{badge}<br><span class="muted">due {moment(sla.due_at)}</span>'
    return badge
