"""SLA clocks measured from state history (`core.StateInterval`) on business calendars.

Never "modified - created": each clock starts and stops at real state timestamps, and the time
a report waits in Needs info (on the researcher) does not count. The arithmetic is pure
(`measure`); `report_clocks`/`case_clocks` gather the history, calendars and targets for many
objects in a fixed number of queries so lists do not query per row.
"""

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from vulndesk.core.models import StateInterval
from vulndesk.core.permissions import Role
from vulndesk.core.taxonomy import Severity
from vulndesk.intake.models import Report
from vulndesk.lib.calendars import SECONDS_PER_BUSINESS_DAY, BusinessCalendar, public_holidays
from vulndesk.triage.models import Case, SlaCalendar, SlaClock, SlaTarget


class ClockStatus(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    PAUSED = "paused", "Paused (waiting on the researcher)"
    MET = "met", "Met"


@dataclass(frozen=True)
class Target:
    amount: int
    unit: str  # SlaTarget.Unit
    at_risk_percent: int = 75

    @property
    def seconds(self) -> float:
        return float(self.amount * SECONDS_PER_BUSINESS_DAY)

    def __str__(self) -> str:
        label = SlaTarget.Unit(self.unit).label
        return f"{self.amount} {label[:-1] if self.amount == 1 else label}"


# The defaults; SlaTarget rows override them. Fix targets are calendar days per priority
# (keys "P0".."P4", when the case's priority is known) or else per severity.
_B, _C = SlaTarget.Unit.BUSINESS_DAYS, SlaTarget.Unit.CALENDAR_DAYS
DEFAULT_TARGETS: dict[tuple[str, str], Target] = {
    (SlaClock.FIRST_RESPONSE, ""): Target(1, _B),
    (SlaClock.TRIAGE, ""): Target(5, _B),
    (SlaClock.FIX, Severity.CRITICAL): Target(30, _C),
    (SlaClock.FIX, Severity.IMPORTANT): Target(60, _C),
    (SlaClock.FIX, Severity.MODERATE): Target(90, _C),
    (SlaClock.FIX, Severity.LOW): Target(180, _C),
    (SlaClock.FIX, ""): Target(90, _C),
    (SlaClock.FIX, "P0"): Target(7, _C),
    (SlaClock.FIX, "P1"): Target(30, _C),
    (SlaClock.FIX, "P2"): Target(60, _C),
    (SlaClock.FIX, "P3"): Target(90, _C),
    (SlaClock.FIX, "P4"): Target(180, _C),
    # From every fix ready to every fix shipped: the next monthly train is at most five weeks away;
    # a critical one should not wait for it.
    (SlaClock.RELEASE, Severity.CRITICAL): Target(14, _C),
    (SlaClock.RELEASE, ""): Target(35, _C),
}


def priority_key(priority: int) -> str:
    """The targets' key for a priority level: 0 → "P0"."""
    return f"P{priority}"


EVERY_DAY = BusinessCalendar(weekend=frozenset())
WEEKDAYS_UTC = BusinessCalendar()


@dataclass(frozen=True)
class Clock:
    name: str
    status: str
    target: str
    started_at: dt.datetime
    stopped_at: dt.datetime | None
    due_at: dt.datetime | None
    at_risk_at: dt.datetime | None
    elapsed_seconds: float

    @property
    def label(self) -> str:
        return SlaClock(self.name).label

    @property
    def status_label(self) -> str:
        return ClockStatus(self.status).label


Span = tuple[dt.datetime, dt.datetime | None]


def measure(
    *,
    name: str,
    target: Target,
    calendar: BusinessCalendar,
    started_at: dt.datetime,
    stopped_at: dt.datetime | None,
    pauses: Sequence[Span] = (),
    now: dt.datetime,
) -> Clock:
    """Where a clock stands at `now`: elapsed business time outside `pauses`, status and due time.

    The due time is when the target is (or was) reached; while paused it is unknown (None),
    since it moves with every paused day.
    """
    days = calendar if target.unit == SlaTarget.Unit.BUSINESS_DAYS else EVERY_DAY
    end = stopped_at or now
    running_spans = _subtract(started_at, end, pauses)
    is_paused = stopped_at is None and any(start <= now and (stop is None or stop > now) for start, stop in pauses)
    elapsed = sum(days.business_seconds(span_start, span_end) for span_start, span_end in running_spans)
    at_risk_seconds = target.seconds * target.at_risk_percent / 100

    def reached(threshold: float) -> dt.datetime | None:
        """When the counted time reaches `threshold`; projected past `now` if the clock still runs."""
        counted = 0.0
        for span_start, span_end in running_spans:
            seconds = days.business_seconds(span_start, span_end)
            if counted + seconds >= threshold:
                return days.add_business_seconds(span_start, threshold - counted)
            counted += seconds
        if stopped_at is None and not is_paused:
            return days.add_business_seconds(end, threshold - counted)
        return None

    due_at, at_risk_at = reached(target.seconds), reached(at_risk_seconds)
    if elapsed >= target.seconds and (stopped_at is None or elapsed > target.seconds):
        status = ClockStatus.BREACHED
    elif stopped_at is not None:
        status = ClockStatus.MET
    elif is_paused:
        status = ClockStatus.PAUSED
    elif elapsed >= at_risk_seconds:
        status = ClockStatus.AT_RISK
    else:
        status = ClockStatus.ON_TRACK
    return Clock(
        name=name,
        status=status,
        target=str(target),
        started_at=started_at,
        stopped_at=stopped_at,
        due_at=due_at,
        at_risk_at=at_risk_at,
        elapsed_seconds=elapsed,
    )


def _subtract(start: dt.datetime, end: dt.datetime, pauses: Sequence[Span]) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) without the paused spans, in order."""
    spans, cursor = [], start
    for pause_start, pause_end in sorted(pauses, key=lambda span: span[0]):
        pause_stop = pause_end or end
        if pause_stop <= cursor or pause_start >= end:
            continue
        if pause_start > cursor:
            spans.append((cursor, pause_start))
        cursor = max(cursor, pause_stop)
    if cursor < end:
        spans.append((cursor, end))
    return spans


# --- Gathering history, calendars and targets ---------------------------------------------------


class _Calendars:
    """Calendars by team, built once per call with their holidays for the years needed."""

    def __init__(self, since: Iterable[dt.datetime]) -> None:
        self._by_team: dict[int, BusinessCalendar] = {}
        self._default = WEEKDAYS_UTC
        # Holidays from the oldest clock's start to next year (a due time may fall into it).
        this_year = timezone.now().year
        years = range(min((moment.year for moment in since), default=this_year), this_year + 2)
        for calendar in SlaCalendar.objects.prefetch_related("holidays", "teams").order_by("-name"):
            business = to_business_calendar(calendar, years)
            if calendar.is_default:
                self._default = business
            for team in calendar.teams.all():
                self._by_team[team.pk] = business  # by name: the first calendar of a team wins

    def for_team(self, team_id: int | None) -> BusinessCalendar:
        return self._by_team.get(team_id, self._default) if team_id is not None else self._default


def to_business_calendar(calendar: SlaCalendar, years: Iterable[int]) -> BusinessCalendar:
    try:
        zone = ZoneInfo(calendar.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")  # validated on save; an old bad row must not break every page
    days_off = {holiday.date for holiday in calendar.holidays.all()}
    if calendar.country:
        with contextlib.suppress(ValueError):  # validated on save, like the time zone
            days_off |= public_holidays(calendar.country, years, subdivision=calendar.subdivision)
    return BusinessCalendar(timezone=zone, weekend=frozenset(calendar.weekend_days), holidays=frozenset(days_off))


def load_targets() -> dict[tuple[str, str], Target]:
    targets = dict(DEFAULT_TARGETS)
    for row in SlaTarget.objects.all():
        key = priority_key(row.priority) if row.priority is not None else row.severity
        targets[(row.clock, key)] = Target(row.amount, row.unit, row.at_risk_percent)
    return targets


def _target(targets: dict[tuple[str, str], Target], clock: str, severity: str = "") -> Target:
    return targets.get((clock, severity)) or targets[(clock, "")]


@dataclass(frozen=True)
class _Stay:
    state: str
    entered_at: dt.datetime
    exited_at: dt.datetime | None
    entered_by_role: str | None


def _history(model: type[models.Model], ids: Iterable[int]) -> dict[int, list[_Stay]]:
    rows = (
        StateInterval.objects.filter(target_type=ContentType.objects.get_for_model(model), target_id__in=list(ids))
        .order_by("entered_at", "id")
        .values_list("target_id", "state", "entered_at", "exited_at", "entered_by__role")
    )
    history: dict[int, list[_Stay]] = defaultdict(list)
    for target_id, state, entered_at, exited_at, role in rows:
        history[target_id].append(_Stay(state, entered_at, exited_at, role))
    return history


_TRIAGE_DONE = Report.CLOSED_STATES | {Report.State.CONFIRMED, Report.State.FIXED}


def report_clocks(reports: Sequence[Report], *, now: dt.datetime | None = None) -> dict[int, list[Clock]]:
    """First response and triage clocks of each report, in four queries whatever the number of reports.

    First response stops at the first state change made by staff (a researcher-visible action);
    triage stops when the report is first confirmed or closed. Both pause in Needs info.
    """
    now = now or timezone.now()
    calendars, targets = _Calendars(report.created_at for report in reports), load_targets()
    history = _history(Report, [report.pk for report in reports])
    clocks = {}
    for report in reports:
        intervals = history.get(report.pk, [])
        started_at = report.created_at
        pauses = [(stay.entered_at, stay.exited_at) for stay in intervals if stay.state == Report.State.NEEDS_INFO]
        triaged = next((stay.entered_at for stay in intervals if stay.state in _TRIAGE_DONE), None)
        staff_acted = next(
            (stay.entered_at for stay in intervals[1:] if stay.entered_by_role not in (None, Role.RESEARCHER)), None
        )
        # Closing a report (even by the system) answers it too.
        responded = min((moment for moment in (staff_acted, triaged) if moment is not None), default=None)
        team_id = report.product.owning_team_id if report.product else None
        calendar = calendars.for_team(team_id)
        clocks[report.pk] = [
            measure(
                name=SlaClock.FIRST_RESPONSE,
                target=_target(targets, SlaClock.FIRST_RESPONSE),
                calendar=calendar,
                started_at=started_at,
                stopped_at=responded,
                pauses=pauses,
                now=now,
            ),
            measure(
                name=SlaClock.TRIAGE,
                target=_target(targets, SlaClock.TRIAGE),
                calendar=calendar,
                started_at=started_at,
                stopped_at=triaged,
                pauses=pauses,
                now=now,
            ),
        ]
    return clocks


_SEVERITY_ORDER = list(Severity.values)  # most severe first


def case_clocks(cases: Sequence[Case], *, now: dt.datetime | None = None) -> dict[int, list[Clock]]:
    """The fix clock of each case, then (once it starts) its release clock.

    Fix runs from opening to publication (or closing). Its target follows the case's priority —
    the most urgent `Report.priority` of its reports, which scoring sets from the case's
    vulnerabilities — and, while no report has one, the worst severity of its vulnerabilities.
    Release runs from the moment every fix of the case is ready until every one has shipped
    (see `_release_spans`); its target follows the worst severity.
    """
    now = now or timezone.now()
    calendars, targets = _Calendars(case.created_at for case in cases), load_targets()
    ids = [case.pk for case in cases]
    history = _history(Case, ids)
    releases = _release_spans(ids)
    severities: dict[int, list[str]] = defaultdict(list)
    teams: dict[int, int] = {}
    # Read through the reverse relations so triage never imports the scoring app.
    for case_id, severity in Case.objects.filter(pk__in=ids).values_list("pk", "vulnerabilities__severity"):
        if severity:
            severities[case_id].append(severity)
    priorities = dict(
        Case.objects.filter(pk__in=ids, reports__priority__isnull=False)
        .values("pk")
        .annotate(priority=models.Min("reports__priority"))
        .values_list("pk", "priority")
    )
    for case_id, team_id in Case.objects.filter(pk__in=ids).order_by("teams__name").values_list("pk", "teams"):
        if team_id is not None:
            teams.setdefault(case_id, team_id)
    clocks = {}
    for case in cases:
        priority = priorities.get(case.pk)
        worst = min(severities.get(case.pk, []), key=_SEVERITY_ORDER.index, default="")
        if priority is not None:
            target = _target(targets, SlaClock.FIX, priority_key(priority))
        else:
            target = _target(targets, SlaClock.FIX, worst)
        ended = [
            stay.entered_at
            for stay in history.get(case.pk, [])
            if stay.state in (Case.State.PUBLISHED, Case.State.CLOSED)
        ]
        calendar = calendars.for_team(teams.get(case.pk))
        clocks[case.pk] = [
            measure(
                name=SlaClock.FIX,
                target=target,
                calendar=calendar,
                started_at=case.created_at,
                stopped_at=next(iter(ended), None),
                now=now,
            )
        ]
        if (release := releases.get(case.pk)) is not None:
            ready_at, shipped_at = release
            # A case closed or published before its fixes shipped stops waiting for a release then.
            stopped = shipped_at or next((moment for moment in ended if moment >= ready_at), None)
            clocks[case.pk].append(
                measure(
                    name=SlaClock.RELEASE,
                    target=_target(targets, SlaClock.RELEASE, worst),
                    calendar=calendar,
                    started_at=ready_at,
                    stopped_at=stopped,
                    now=now,
                )
            )
    return clocks


# remediation's Fix states, by value: triage reads remediation's history but never imports it.
_FIX_READY, _FIX_RELEASED, _FIX_WONT_FIX = "ready", "released", "wont_fix"


def _last_entry(stays: list[_Stay], state: str) -> dt.datetime | None:
    return max((stay.entered_at for stay in stays if stay.state == state), default=None)


def _release_spans(case_ids: list[int]) -> dict[int, tuple[dt.datetime, dt.datetime | None]]:
    """For each case whose fixes are all ready: (when the last became ready, when the last shipped or None).

    From the fixes' own state history (`StateInterval`), two queries. Fixes marked won't fix do
    not count; a case with none left, or with one not (or no longer) ready, has no release clock.
    A fix that went back from ready counts from its latest readiness.
    """
    rows = Case.objects.filter(pk__in=case_ids).values_list(
        "pk", "vulnerabilities__fixes__pk", "vulnerabilities__fixes__state"
    )
    by_case: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for case_id, fix_id, state in rows:
        if fix_id is not None and state != _FIX_WONT_FIX:
            by_case[case_id].append((fix_id, state))
    waiting = {
        case_id: [fix_id for fix_id, _ in case_fixes]
        for case_id, case_fixes in by_case.items()
        if all(state in (_FIX_READY, _FIX_RELEASED) for _, state in case_fixes)
    }
    # By app label and name, as Fix's own foreign keys name releases: no import of a later app.
    history = _history(apps.get_model("remediation", "Fix"), [fix for ids in waiting.values() for fix in ids])
    spans = {}
    for case_id, fix_ids in waiting.items():
        ready = [_last_entry(history[fix], _FIX_READY) for fix in fix_ids]
        shipped = [_last_entry(history[fix], _FIX_RELEASED) for fix in fix_ids]
        ready_moments = [moment for moment in ready if moment is not None]
        if len(ready_moments) < len(fix_ids):
            continue  # a fix without readiness in its history (entered by hand) gives the clock no start
        shipped_moments = [moment for moment in shipped if moment is not None]
        spans[case_id] = (max(ready_moments), max(shipped_moments) if len(shipped_moments) == len(fix_ids) else None)
    return spans


def report_page_clocks(report: Report, *, now: dt.datetime | None = None) -> list[Clock]:
    """A report's own clocks, then its case's fix and release clocks once it is in a case."""
    now = now or timezone.now()
    case = Case.objects.filter(case_reports__report=report).first()
    return report_clocks([report], now=now)[report.pk] + (case_clocks([case], now=now)[case.pk] if case else [])


def headline(clocks: Sequence[Clock]) -> Clock | None:
    """The clock an analyst should look at: the first still running (or paused), else none."""
    return next((clock for clock in clocks if clock.stopped_at is None), None)
