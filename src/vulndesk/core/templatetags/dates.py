"""`{% load dates %}` … `{{ report.created_at|day }}`: dates as <time> elements, for long lists.

The same markup as the `core/_date.html` and `triage/_when.html` includes, without an include
per value: a queue page shows a few hundred of them.
"""

import datetime as dt
from html import escape

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
_NO_DATE = mark_safe('<span class="muted">—</span>')


def _time(value: dt.datetime | dt.date, *, to_the_minute: bool) -> SafeString:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    # What Django's date filter writes for "j M Y" and "D j M, H:i T", built directly: the format
    # machinery took a tenth of a queue page's time for its few hundred dates (bench/README.md).
    month = MONTHS_3[value.month].title()
    if to_the_minute and isinstance(value, dt.datetime):
        zone = value.tzinfo or timezone.get_default_timezone()
        shown = f"{WEEKDAYS_ABBR[value.weekday()]} {value.day} {month}, {value:%H:%M} {zone.tzname(value)}"
    else:
        shown = f"{value.day} {month} {value.year:04d}"
    return mark_safe(f'<time datetime="{escape(value.isoformat())}">{escape(shown)}</time>')  # noqa: S308  # escaped


@register.filter
def day(value: dt.datetime | dt.date | None) -> SafeString:
    """ "3 Mar 2026", or a muted dash when there is no date."""
    return _time(value, to_the_minute=False) if value else _NO_DATE


@register.filter
def moment(value: dt.datetime) -> SafeString:
    """ "Tue 3 Mar, 14:00 UTC": a due time, to the minute."""
    return _time(value, to_the_minute=True)
