"""`{% load dates %}` … `{{ report.created_at|day }}`: dates as <time> elements, for long lists.

The same markup as the `core/_date.html` and `triage/_when.html` includes, without an include
per value: a queue page shows a few hundred of them.
"""

import datetime as dt
import functools
from html import escape

from django import template
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

register = template.Library()
_NO_DATE = mark_safe('<span class="muted">—</span>')


@functools.lru_cache(maxsize=16)
def _names(language: str | None) -> tuple[dict[int, str], dict[int, str]]:
    """Month and weekday abbreviations in `language`, escaped: translated once, not once per date."""
    with translation.override(language):
        return {number: escape(str(name).title()) for number, name in MONTHS_3.items()}, {
            number: escape(str(name)) for number, name in WEEKDAYS_ABBR.items()
        }


def _time(value: dt.datetime | dt.date, *, to_the_minute: bool) -> SafeString:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    # What Django's date filter writes for "j M Y" and "D j M, H:i T", built directly: the format
    # machinery took a tenth of a queue page's time for its few hundred dates (bench/README.md).
    months, weekdays = _names(translation.get_language())
    month = months[value.month]
    if to_the_minute and isinstance(value, dt.datetime):
        zone = value.tzinfo or timezone.get_default_timezone()
        shown = f"{weekdays[value.weekday()]} {value.day} {month}, {value:%H:%M} {escape(zone.tzname(value) or '')}"
    else:
        shown = f"{value.day} {month} {value.year:04d}"
    # The names are escaped (_names); an ISO date and the numbers hold nothing to escape.
    return mark_safe(f'<time datetime="{value.isoformat()}">{shown}</time>')  # noqa: S308


@register.filter
def day(value: dt.datetime | dt.date | None) -> SafeString:
    """ "3 Mar 2026", or a muted dash when there is no date."""
    return _time(value, to_the_minute=False) if value else _NO_DATE


@register.filter
def moment(value: dt.datetime) -> SafeString:
    """ "Tue 3 Mar, 14:00 UTC": a due time, to the minute."""
    return _time(value, to_the_minute=True)


_AGE_UNITS = (
    (7 * 24 * 3600, "week", "weeks"),
    (24 * 3600, "day", "days"),
    (3600, "hour", "hours"),
    (60, "minute", "minutes"),
)
_FOUR_WEEKS = 4 * 7 * 24 * 3600


def age(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long before `now` `value` was, as Django's timesince says it ("2 weeks, 3 days"): its
    two largest adjacent units, "0 minutes" under one, a no-break space in each.

    Under four weeks, built here in English without timesince's translation lookups (70 µs a
    call; a queue of open reports has 50 such ages a page); from four weeks on, timesince
    itself, whose months follow the calendar.
    """
    now = now or timezone.now()
    seconds = int((now - value).total_seconds())
    if seconds >= _FOUR_WEEKS:
        return timesince(value, now)
    if seconds < 60:
        return "0\xa0minutes"
    first = next(index for index, (size, _one, _many) in enumerate(_AGE_UNITS) if seconds >= size)
    parts = []
    for size, one, many in _AGE_UNITS[first : first + 2]:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}\xa0{one if count == 1 else many}")
        else:
            break  # adjacent units only: "1 week" rather than "1 week, 3 hours"
    return ", ".join(parts)
