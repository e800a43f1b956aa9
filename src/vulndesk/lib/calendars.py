"""Calendar arithmetic: release days and business-day calendars for SLA clocks."""

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays


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


# --- Business calendars for SLA clocks ---------------------------------------------------------

_DAY = dt.timedelta(days=1)
SECONDS_PER_BUSINESS_DAY = 86_400


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days count as business days, in one time zone.

    A business day counts whole (midnight to midnight, local time): a target of one business
    day from Friday 17:00 falls due on Monday 17:00. Working hours are deliberately not
    modelled: response teams promise "within one business day", not "within eight hours".
    """

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    weekend: frozenset[int] = frozenset({calendar.SATURDAY, calendar.SUNDAY})
    holidays: frozenset[dt.date] = frozenset()

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def business_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        """Seconds between two aware datetimes that fall on business days."""
        if end <= start:
            return 0.0
        start, end = start.astimezone(self.timezone), end.astimezone(self.timezone)
        total = 0.0
        day = start.date()
        while day <= end.date():
            if self.is_business_day(day):
                day_start = _local_midnight(day, self.timezone)
                day_end = _local_midnight(day + _DAY, self.timezone)
                total += (min(end, day_end) - max(start, day_start)).total_seconds()
            day += _DAY
        return total

    def add_business_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The moment `seconds` of business time after `start` (aware, in UTC)."""
        moment = start.astimezone(self.timezone)
        remaining = seconds
        # Bounded: a calendar with no business day in ten years is a configuration error.
        for _ in range(3660):
            day = moment.date()
            day_end = _local_midnight(day + _DAY, self.timezone)
            if self.is_business_day(day):
                available = (day_end - moment).total_seconds()
                if remaining <= available:
                    return (moment + dt.timedelta(seconds=remaining)).astimezone(dt.UTC)
                remaining -= available
            moment = day_end
        raise ValueError("The calendar has no business days.")


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def public_holidays(country: str, years: Iterable[int], *, subdivision: str = "") -> frozenset[dt.date]:
    """Public holidays of `country` (ISO 3166-1 alpha-2) in `years`; ValueError for an unknown country."""
    try:
        found = holidays.country_holidays(country.upper(), subdiv=subdivision or None, years=list(years))
    except NotImplementedError as error:
        raise ValueError(f"No public holiday data for country {country!r}.") from error
    return frozenset(found)


def is_known_country(country: str) -> bool:
    return country.upper() in holidays.list_supported_countries()
