import dataclasses
import datetime as dt
from collections import Counter

import pytest

from vulndesk.core.taxonomy import Severity
from vulndesk.demo.data import PRODUCTS
from vulndesk.demo.plan import (
    Move,
    _Planner,
    build_plan,
    check_plan,
    end_of_support,
    previous_second_tuesday,
    severity_for,
)
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


def test_check_plan_refuses_a_fix_ready_before_it_was_planned() -> None:
    plan = build_plan(TODAY)
    fix = next(fix for case in plan.cases for v in case.vulnerabilities for fix in v.fixes if fix.moves)
    fix.moves[-1] = dataclasses.replace(fix.moves[-1], at=fix.created_at - dt.timedelta(hours=1))

    with pytest.raises(ValueError, match="fix for CVE-"):
        check_plan(plan)


@pytest.mark.parametrize(
    ("vector", "severity"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Severity.CRITICAL),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", Severity.MODERATE),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Severity.IMPORTANT),
        ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", Severity.LOW),
    ],
)
def test_severity_follows_the_cvss_score(vector: str, severity: Severity) -> None:
    assert severity_for(vector) == severity


def test_end_of_support_falls_on_a_release_day() -> None:
    assert end_of_support(None, TODAY.date()) is None
    assert end_of_support(2, TODAY.date()) == dt.date(2027, 1, 12)
    assert end_of_support(-11, TODAY.date()) == dt.date(2025, 12, 9)


def test_planner_says_when_it_runs_out_of_distinct_flaws() -> None:
    planner = _Planner(TODAY)
    components = sum(len(product.components) for product in PRODUCTS)
    for _ in range(components):
        planner.take_flaw()

    with pytest.raises(LookupError, match="ran out of distinct flaws"):
        planner.take_flaw()


@pytest.mark.parametrize("today", TODAYS[::10], ids=lambda today: f"{today:%Y-%m-%d}")
def test_four_unshipped_vulnerabilities_get_a_scoring_story_whatever_the_day(today: dt.datetime) -> None:
    plan = build_plan(today)
    shipped = {release.name for release in plan.releases if release.moves}
    scored = [v for case in plan.cases for v in case.vulnerabilities if v.scoring]

    assert len(scored) == 4
    assert sum(1 for v in scored if v.scoring and v.scoring.is_exploited and v.scoring.in_kev) == 1
    for vulnerability in scored:
        assert not any(fix.release in shipped for fix in vulnerability.fixes)
        assert vulnerability.scoring
        assert vulnerability.created_at < vulnerability.scoring.at < today


def test_a_scoring_story_after_today_is_refused() -> None:
    plan = build_plan(TODAY)
    vulnerability = next(v for case in plan.cases for v in case.vulnerabilities if v.scoring)
    assert vulnerability.scoring
    vulnerability.scoring = dataclasses.replace(vulnerability.scoring, at=TODAY + dt.timedelta(hours=1))

    with pytest.raises(ValueError, match=f"scoring of {vulnerability.cve_id}"):
        check_plan(plan)
