"""`{% load dates %}` … `{{ report.created_at|day }}`: dates as <time> elements, for long lists.

The same markup as the `core/_date.html` and `triage/_when.html` includes, without an include
per value: a queue page shows a few hundred of them.
"""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
_NO_DATE = mark_safe('<span class="muted">—</span>')


def _time(value: dt.datetime | dt.date, shown: str) -> SafeString:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return format_html('<time datetime="{}">{}</time>', format_date(value, "c"), format_date(value, shown))


@register.filter
def day(value: dt.datetime | dt.date | None) -> SafeString:
    """ "3 Mar 2026", or a muted dash when there is no date."""
    return _time(value, "j M Y") if value else _NO_DATE


@register.filter
def moment(value: dt.datetime) -> SafeString:
    """ "Tue 3 Mar, 14:00 UTC": a due time, to the minute."""
    return _time(value, "D j M, H:i T")
