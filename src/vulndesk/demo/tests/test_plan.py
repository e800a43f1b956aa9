import dataclasses
import datetime as dt
from collections import Counter

import pytest

from vulndesk.demo.plan import Move, build_plan, check_plan, previous_second_tuesday
from vulndesk.intake.models import Report
from vulndesk.lib.calendars import second_tuesday

TODAY = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
# A year and a bit of "todays", every 4 days: month and year ends, second Tuesdays themselves.
TODAYS = [TODAY + dt.timedelta(days=4 * n, hours=n % 24) for n in range(100)]


def test_the_same_day_gives_the_same_plan() -> None:
    assert build_plan(TODAY) == build_plan(TODAY)


@pytest.mark.parametrize("today", TODAYS, ids=lambda today: f"{today:%Y-%m-%d}")
def test_plan_is_consistent_whatever_the_day(today: dt.datetime) -> None:
    plan = build_plan(today)  # runs check_plan

    shipped, shipped_later, upcoming = sorted(release.release_date for release in plan.releases)
    assert shipped_later < today.date() <= upcoming
    assert all(day == second_tuesday(day.year, day.month) for day in (shipped, shipped_later, upcoming))
    assert set(Counter(report.final_state for report in plan.reports)) == set(Report.State.values) - {"fixed"}


def test_every_release_moment_is_in_the_past() -> None:
    plan = build_plan(dt.datetime(2026, 12, 8, 6, 0, tzinfo=dt.UTC))  # a release day, before publishing

    moments = [move.at for release in plan.releases for move in release.moves]
    moments += [move.at for advisory in plan.advisories for move in advisory.moves]
    assert max(moments) < plan.today


def test_previous_second_tuesday_is_strictly_before() -> None:
    assert previous_second_tuesday(dt.date(2026, 11, 10)) == dt.date(2026, 10, 13)
    assert previous_second_tuesday(dt.date(2026, 11, 11)) == dt.date(2026, 11, 10)
    assert previous_second_tuesday(dt.date(2027, 1, 5)) == dt.date(2026, 12, 8)


def test_check_plan_refuses_history_that_goes_back_in_time() -> None:
    plan = build_plan(TODAY)
    report = plan.reports[-1]
    plan.reports[-1] = dataclasses.replace(report, moves=[Move(report.submitted_at - dt.timedelta(days=1), "triaging")])

    with pytest.raises(ValueError, match="Inconsistent demo plan"):
        check_plan(plan)
