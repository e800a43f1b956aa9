"""SLA clocks from state history on business calendars, with time travel across weekends, holidays and pauses."""

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from pytest_django import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.services import enter_initial_state
from vulndesk.core.taxonomy import Severity
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import ProductFactory, ReportFactory, TeamFactory, VulnerabilityFactory
from vulndesk.intake.models import Report
from vulndesk.lib.calendars import BusinessCalendar, public_holidays
from vulndesk.triage.clocks import Clock, case_clocks, report_clocks
from vulndesk.triage.models import Case, SlaCalendar, SlaClock, SlaHoliday, SlaTarget
from vulndesk.triage.services import create_case, transition_report

Api = Callable[[User | None], ApiClient]
UTC = dt.UTC


def at(day: int, hour: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=UTC)


# --- The calendar arithmetic ------------------------------------------------------------------


def test_one_business_day_from_friday_evening_is_monday_evening() -> None:
    assert BusinessCalendar().add_business_seconds(at(27, 17), 86_400) == at(30, 17)


def test_weekend_hours_do_not_count() -> None:
    assert BusinessCalendar().business_seconds(at(27, 17), at(30, 9)) == (7 + 9) * 3600


def test_a_holiday_counts_like_a_weekend_day() -> None:
    calendar = BusinessCalendar(holidays=frozenset({dt.date(2026, 11, 30)}))

    assert calendar.add_business_seconds(at(27, 17), 86_400) == at(1, 17, month=12)


def test_business_days_follow_the_calendars_time_zone() -> None:
    berlin = BusinessCalendar(timezone=ZoneInfo("Europe/Berlin"))

    # Friday 23:30 UTC is already Saturday in Berlin: nothing counts until Monday 00:00 local.
    assert berlin.business_seconds(at(27, 23) + dt.timedelta(minutes=30), at(29, 23)) == 0
    assert berlin.add_business_seconds(at(28, 12), 3600) == at(29, 23) + dt.timedelta(hours=1)


def test_custom_weekend() -> None:
    friday_saturday_off = BusinessCalendar(weekend=frozenset({4, 5}))

    assert friday_saturday_off.add_business_seconds(at(26, 12), 86_400) == at(29, 12)


def test_public_holidays_by_country() -> None:
    german = public_holidays("de", [2026])

    assert dt.date(2026, 12, 25) in german
    assert dt.date(2026, 12, 24) not in german
    with pytest.raises(ValueError, match="XX"):
        public_holidays("XX", [2026])


def test_a_calendar_without_business_days_is_an_error() -> None:
    with pytest.raises(ValueError, match="no business days"):
        BusinessCalendar(weekend=frozenset(range(7))).add_business_seconds(at(27, 17), 1)


@pytest.mark.django_db
def test_calendar_settings_are_validated_with_how_to_fix_them() -> None:
    calendar = SlaCalendar(name="Bad", timezone="Mars/Olympus", country="XX", weekend_days=[7])

    with pytest.raises(ValidationError) as raised:
        calendar.full_clean()

    assert set(raised.value.message_dict) == {"timezone", "country", "weekend_days"}
    assert "Europe/Berlin" in raised.value.message_dict["timezone"][0]


@pytest.mark.django_db
def test_a_calendar_needs_one_business_day() -> None:
    with pytest.raises(ValidationError, match="business day"):
        SlaCalendar(name="Never", weekend_days=list(range(7))).full_clean()


# --- Report clocks --------------------------------------------------------------------------------


def _submit(researcher: User, when: dt.datetime, **fields: object) -> Report:
    """A report received at `when`, with its first state interval, as submission leaves it."""
    with time_machine.travel(when, tick=False):
        report = ReportFactory.create(researcher=researcher, **fields)
        enter_initial_state(report, actor=researcher)
    return report


def _move(report: Report, to: str, actor: User, when: dt.datetime, reason: str = "Because") -> None:
    with time_machine.travel(when, tick=False):
        if to == Report.State.NEEDS_INFO:
            transition_report(report, to, actor=actor, question=reason)
        else:
            transition_report(report, to, actor=actor, reason=reason)


def _clock(report: Report, name: str, now: dt.datetime) -> Clock:
    report.refresh_from_db()
    return next(clock for clock in report_clocks([report], now=now)[report.pk] if clock.name == name)


def test_first_response_is_on_track_over_the_weekend_and_due_next_business_day(researcher: User) -> None:
    report = _submit(researcher, at(27, 10))  # Friday

    clock = _clock(report, SlaClock.FIRST_RESPONSE, now=at(28, 20))  # Saturday evening

    assert (clock.status, clock.due_at, clock.target) == ("on_track", at(30, 10), "1 business day")
    assert clock.elapsed_seconds == 14 * 3600


def test_first_response_is_at_risk_near_the_due_time(researcher: User) -> None:
    report = _submit(researcher, at(27, 10))

    clock = _clock(report, SlaClock.FIRST_RESPONSE, now=at(30, 8))

    assert (clock.status, clock.due_at) == ("at_risk", at(30, 10))


def test_first_response_is_breached_after_the_due_time(researcher: User) -> None:
    report = _submit(researcher, at(27, 10))

    clock = _clock(report, SlaClock.FIRST_RESPONSE, now=at(30, 11))

    assert (clock.status, clock.due_at) == ("breached", at(30, 10))


def test_first_response_stops_at_the_first_staff_action(researcher: User, analyst: User) -> None:
    report = _submit(researcher, at(27, 10))
    _move(report, Report.State.TRIAGING, analyst, at(30, 9))

    clock = _clock(report, SlaClock.FIRST_RESPONSE, now=at(30, 12))

    assert (clock.status, clock.stopped_at) == ("met", at(30, 9))


def test_a_late_first_response_stays_breached(researcher: User, analyst: User) -> None:
    report = _submit(researcher, at(27, 10))
    _move(report, Report.State.TRIAGING, analyst, at(30, 11))

    clock = _clock(report, SlaClock.FIRST_RESPONSE, now=at(2, 12, month=12))

    assert (clock.status, clock.stopped_at, clock.due_at) == ("breached", at(30, 11), at(30, 10))


def test_country_and_custom_holidays_of_the_default_calendar_move_the_due_time(researcher: User) -> None:
    calendar = SlaCalendar.objects.create(name="Germany", country="DE", is_default=True)
    SlaHoliday.objects.create(calendar=calendar, date=dt.date(2026, 12, 24), name="Christmas Eve shutdown")
    report = _submit(researcher, at(23, 10, month=12))  # Wednesday

    clock = _clock(report, SlaClock.FIRST_RESPONSE, now=at(23, 12, month=12))

    # 24th custom, 25th/26th public holidays, 27th Sunday: due Monday the 28th.
    assert clock.due_at == at(28, 10, month=12)


def test_the_owning_teams_calendar_wins_over_the_default(researcher: User) -> None:
    SlaCalendar.objects.create(name="Default", is_default=True)
    team = TeamFactory.create()
    gulf = SlaCalendar.objects.create(name="Gulf", weekend_days=[4, 5])  # Friday and Saturday off
    gulf.teams.add(team)
    report = _submit(researcher, at(26, 10), product=ProductFactory.create(owning_team=team))  # Thursday

    clock = _clock(report, SlaClock.FIRST_RESPONSE, now=at(26, 12))

    assert clock.due_at == at(29, 10)  # Sunday is a business day there


def test_needs_info_pauses_the_triage_clock_and_the_reply_restarts_it(researcher: User, analyst: User) -> None:
    report = _submit(researcher, at(23, 10))  # Monday
    _move(report, Report.State.TRIAGING, analyst, at(23, 11))
    _move(report, Report.State.NEEDS_INFO, analyst, at(24, 10), reason="Which build did you test?")

    paused = _clock(report, SlaClock.TRIAGE, now=at(26, 10))
    _move(report, Report.State.TRIAGING, analyst, at(30, 10))  # the researcher answered
    running = _clock(report, SlaClock.TRIAGE, now=at(30, 12))

    assert (paused.status, paused.due_at, paused.elapsed_seconds) == ("paused", None, 86_400)
    assert running.status == "on_track"
    assert running.elapsed_seconds == 86_400 + 2 * 3600
    # 5 business days, 1 used before the pause: 4 more from Monday 10:00 → Friday 10:00.
    assert running.due_at == at(4, 10, month=12)


def test_triage_clock_stops_when_the_report_is_confirmed_or_closed(researcher: User, analyst: User) -> None:
    report = _submit(researcher, at(23, 10))
    _move(report, Report.State.TRIAGING, analyst, at(23, 11))
    _move(report, Report.State.NOT_VULNERABILITY, analyst, at(25, 10), reason="By design")

    clock = _clock(report, SlaClock.TRIAGE, now=at(10, 10, month=12))

    assert (clock.status, clock.stopped_at, clock.elapsed_seconds) == ("met", at(25, 10), 2 * 86_400)


def test_configured_targets_override_the_defaults(researcher: User) -> None:
    SlaTarget.objects.create(clock=SlaClock.TRIAGE, amount=2, at_risk_percent=50)
    report = _submit(researcher, at(23, 10))

    clock = _clock(report, SlaClock.TRIAGE, now=at(24, 11))

    assert (clock.target, clock.status, clock.due_at) == ("2 business days", "at_risk", at(25, 10))


def test_clocks_of_many_reports_take_a_fixed_number_of_queries(
    researcher: User, analyst: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    SlaCalendar.objects.create(name="Default", country="US", is_default=True)
    reports = [_submit(researcher, at(23, 10)) for _ in range(12)]

    with django_assert_max_num_queries(6):
        clocks = report_clocks(reports, now=at(24, 10))

    assert len(clocks) == 12


# --- Case clocks ----------------------------------------------------------------------------------


def test_case_fix_clock_uses_the_worst_severity(coordinator: User) -> None:
    with time_machine.travel(at(2, 10), tick=False):
        case = create_case(
            title="Parser", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=coordinator
        )
    VulnerabilityFactory.create(case=case, severity=Severity.LOW)
    VulnerabilityFactory.create(case=case, severity=Severity.IMPORTANT)

    (clock,) = case_clocks([case], now=at(20, 10))[case.pk]

    assert (clock.name, clock.target, clock.due_at, clock.status) == (
        "fix",
        "60 calendar days",
        at(2, 10) + dt.timedelta(days=60),
        "on_track",
    )


def test_case_without_vulnerabilities_uses_the_any_severity_target(coordinator: User) -> None:
    with time_machine.travel(at(2, 10), tick=False):
        case = create_case(
            title="Parser", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=coordinator
        )

    (clock,) = case_clocks([case], now=at(3, 10))[case.pk]

    assert clock.target == "90 calendar days"


def _case_with_reports(coordinator: User, *priorities: int | None) -> Case:
    with time_machine.travel(at(2, 10), tick=False):
        reports = [ReportFactory.create(state=Report.State.CONFIRMED, priority=level) for level in priorities]
        return create_case(title="Parser", reports=reports, actor=coordinator)


@pytest.mark.parametrize(
    ("priority", "days"), [(0, 7), (1, 30), (2, 60), (3, 90), (4, 180)], ids=["P0", "P1", "P2", "P3", "P4"]
)
def test_case_fix_clock_follows_the_priority(coordinator: User, priority: int, days: int) -> None:
    case = _case_with_reports(coordinator, priority)
    VulnerabilityFactory.create(case=case, severity=Severity.MODERATE)  # 90 days by severity: priority wins

    (clock,) = case_clocks([case], now=at(3, 10))[case.pk]

    assert (clock.target, clock.due_at) == (f"{days} calendar days", at(2, 10) + dt.timedelta(days=days))


def test_a_p0_case_breaches_after_seven_days(coordinator: User) -> None:
    case = _case_with_reports(coordinator, 0)
    VulnerabilityFactory.create(case=case, severity=Severity.LOW)

    with time_machine.travel(at(7, 10), tick=False):
        (on_day_five,) = case_clocks([case])[case.pk]
    with time_machine.travel(at(8, 11), tick=False):
        (on_day_six,) = case_clocks([case])[case.pk]
    with time_machine.travel(at(9, 11), tick=False):
        (on_day_seven,) = case_clocks([case])[case.pk]

    assert (on_day_five.status, on_day_six.status, on_day_seven.status) == ("on_track", "at_risk", "breached")
    assert on_day_seven.due_at == at(9, 10)


def test_the_most_urgent_report_sets_the_case_priority(coordinator: User) -> None:
    case = _case_with_reports(coordinator, 3, None, 1)

    (clock,) = case_clocks([case], now=at(3, 10))[case.pk]

    assert clock.target == "30 calendar days"


def test_without_a_priority_the_severity_sets_the_fix_target(coordinator: User) -> None:
    case = _case_with_reports(coordinator, None)
    VulnerabilityFactory.create(case=case, severity=Severity.CRITICAL)

    (clock,) = case_clocks([case], now=at(3, 10))[case.pk]

    assert clock.target == "30 calendar days"


def test_a_priority_recorded_later_moves_the_due_time(coordinator: User) -> None:
    case = _case_with_reports(coordinator, None)
    VulnerabilityFactory.create(case=case, severity=Severity.IMPORTANT)
    (before,) = case_clocks([case], now=at(3, 10))[case.pk]

    Report.objects.filter(case_link__case=case).update(priority=0)  # as scoring sets it
    (after,) = case_clocks([case], now=at(3, 10))[case.pk]

    assert (before.due_at, after.due_at) == (at(2, 10) + dt.timedelta(days=60), at(9, 10))


def test_configured_priority_targets_override_the_defaults(coordinator: User) -> None:
    SlaTarget.objects.create(clock=SlaClock.FIX, priority=0, amount=3, unit=SlaTarget.Unit.CALENDAR_DAYS)
    SlaTarget.objects.create(
        clock=SlaClock.FIX, severity=Severity.CRITICAL, amount=20, unit=SlaTarget.Unit.CALENDAR_DAYS
    )
    urgent, unprioritized = _case_with_reports(coordinator, 0), _case_with_reports(coordinator, None)
    VulnerabilityFactory.create(case=unprioritized, severity=Severity.CRITICAL)

    clocks = case_clocks([urgent, unprioritized], now=at(3, 10))

    assert clocks[urgent.pk][0].target == "3 calendar days"
    assert clocks[unprioritized.pk][0].target == "20 calendar days"


def test_a_priority_target_is_for_the_fix_clock_alone(db: None) -> None:
    with pytest.raises(ValidationError, match="fix clock, without a severity"):
        SlaTarget(clock=SlaClock.FIX, priority=1, severity=Severity.LOW, amount=5).full_clean()
    with pytest.raises(ValidationError, match="fix clock, without a severity"):
        SlaTarget(clock=SlaClock.TRIAGE, priority=1, amount=5).full_clean()
    SlaTarget(clock=SlaClock.FIX, priority=1, amount=5).full_clean()


def test_fix_clocks_of_many_cases_take_a_fixed_number_of_queries(
    coordinator: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    cases = [_case_with_reports(coordinator, level % 5) for level in range(8)]

    with django_assert_max_num_queries(8):
        clocks = case_clocks(cases, now=at(3, 10))

    assert {clocks[case.pk][0].target for case in cases} == {
        "7 calendar days", "30 calendar days", "60 calendar days", "90 calendar days", "180 calendar days"
    }  # fmt: skip


# --- In the API -----------------------------------------------------------------------------------


def test_report_clocks_in_the_api(api: Api, analyst: User, researcher: User) -> None:
    report = _submit(researcher, at(27, 10))

    with time_machine.travel(at(28, 20), tick=False):
        response = api(analyst).get(f"/reports/{report.pk}/clocks")

    assert response.status_code == 200
    first, triage = response.json()
    assert (first["name"], first["status"], first["due_at"]) == ("first_response", "on_track", "2026-11-30T10:00:00Z")
    assert (triage["name"], triage["target"], triage["elapsed_hours"]) == ("triage", "5 business days", 14.0)


@pytest.mark.parametrize("who", ["researcher", "outsider", "engineer"])
def test_report_clocks_are_staff_only(api: Api, researcher: User, who: str, request: pytest.FixtureRequest) -> None:
    report = _submit(researcher, at(27, 10))

    response = api(request.getfixturevalue(who)).get(f"/reports/{report.pk}/clocks")

    assert response.status_code == 404


def test_case_detail_carries_its_clocks(api: Api, coordinator: User) -> None:
    case = create_case(title="Parser", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=coordinator)

    response = api(coordinator).get(f"/cases/{case.pk}")

    assert [clock["name"] for clock in response.json()["clocks"]] == ["fix"]
    assert response.json()["clocks"][0]["status"] == "on_track"
