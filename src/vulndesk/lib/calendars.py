"""Release calendar arithmetic."""

import calendar
import datetime as dt


def second_tuesday(year: int, month: int) -> dt.date:
    """The monthly security-update day ("Patch Tuesday")."""
    first_weekday = dt.date(year, month, 1).weekday()
    first_tuesday = 1 + (calendar.TUESDAY - first_weekday) % 7
    return dt.date(year, month, first_tuesday + 7)


def next_second_tuesday(after: dt.date) -> dt.date:
    """The first monthly release day strictly after `after`."""
    candidate = second_tuesday(after.year, after.month)
    if candidate > after:
        return candidate
    year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
    return second_tuesday(year, month)
