"""The release clock: from every fix of a case ready to every fix shipped, measured from the fixes' state history."""

import datetime as dt
from collections.abc import Callable

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vulndesk.accounts.models import User
from vulndesk.core.taxonomy import Severity
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import FixFactory, ProductVersionFactory, ReportFactory, VulnerabilityFactory
from vulndesk.intake.models import Report
from vulndesk.releases.services import create_release, transition_release
from vulndesk.remediation.models import Fix
from vulndesk.remediation.services import create_fix, set_fix_target_release, transition_fix
from vulndesk.triage.clocks import Clock, case_clocks
from vulndesk.triage.models import Case, SlaClock, SlaTarget
from vulndesk.triage.services import create_case, transition_case
from vulndesk.triage.sla import warn_before_breaches

Api = Callable[[User | None], ApiClient]


def at(day: int, hour: int = 10, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def _case(coordinator: User, severity: str = Severity.IMPORTANT) -> Case:
    with time_machine.travel(at(2), tick=False):
        case = create_case(
            title="Parser", reports=[ReportFactory.create(state=Report.State.CONFIRMED)], actor=coordinator
        )
        VulnerabilityFactory.create(case=case, severity=severity)
    return case


def _fix(case: Case, actor: User) -> Fix:
    fresh = Case.objects.get(pk=case.pk)  # the first fix moved the case to remediating
    with time_machine.travel(at(3), tick=False):
        return create_fix(fresh.vulnerabilities.get(), ProductVersionFactory.create(), actor=actor)


def _move(fix: Fix, when: dt.datetime, *states: str, actor: User) -> Fix:
    with time_machine.travel(when, tick=False):
        for state in states:
            fix = transition_fix(fix, state, actor=actor, reason="Not affected" if state == Fix.State.WONT_FIX else "")
    return fix


def _release_clock(case: Case, now: dt.datetime) -> Clock | None:
    return next((clock for clock in case_clocks([case], now=now)[case.pk] if clock.name == SlaClock.RELEASE), None)


def test_no_release_clock_before_every_fix_is_ready(coordinator: User) -> None:
    case = _case(coordinator)
    ready, pending = _fix(case, coordinator), _fix(case, coordinator)
    _move(ready, at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)
    _move(pending, at(10), Fix.State.IN_PROGRESS, actor=coordinator)

    assert _release_clock(case, at(12)) is None
    assert [clock.name for clock in case_clocks([case], now=at(12))[case.pk]] == ["fix"]


def test_no_release_clock_without_fixes(coordinator: User) -> None:
    case = _case(coordinator)

    assert _release_clock(case, at(12)) is None


def test_release_clock_starts_when_the_last_fix_is_ready(coordinator: User) -> None:
    case = _case(coordinator)
    first, last = _fix(case, coordinator), _fix(case, coordinator)
    _move(first, at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)
    _move(last, at(16), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)

    clock = _release_clock(case, at(20))

    assert clock is not None
    assert (clock.started_at, clock.target, clock.due_at, clock.status) == (
        at(16),
        "35 calendar days",
        at(16) + dt.timedelta(days=35),
        "on_track",
    )
    # The fix clock stays first: scoring reads it as case_clocks(...)[0].
    assert case_clocks([case], now=at(20))[case.pk][0].name == "fix"


def test_a_critical_case_has_fourteen_days(coordinator: User) -> None:
    case = _case(coordinator, severity=Severity.CRITICAL)
    _move(_fix(case, coordinator), at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)

    clock = _release_clock(case, at(12))

    assert clock is not None
    assert (clock.target, clock.due_at) == ("14 calendar days", at(24))


def test_a_target_row_overrides_the_default(coordinator: User) -> None:
    SlaTarget.objects.create(clock=SlaClock.RELEASE, amount=10, unit=SlaTarget.Unit.BUSINESS_DAYS)
    case = _case(coordinator)
    _move(_fix(case, coordinator), at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)

    clock = _release_clock(case, at(12))

    assert clock is not None
    assert clock.target == "10 business days"


def test_at_risk_then_breached_while_waiting_for_a_release(coordinator: User) -> None:
    case = _case(coordinator)
    _move(_fix(case, coordinator), at(4), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)

    at_risk, breached = _release_clock(case, at(4, month=12)), _release_clock(case, at(10, month=12))

    assert (at_risk and at_risk.status, breached and breached.status) == ("at_risk", "breached")


def test_shipping_the_release_stops_the_clock(coordinator: User, release_manager: User) -> None:
    case = _case(coordinator)
    fix = _fix(case, coordinator)
    with time_machine.travel(at(4), tick=False):
        release = create_release(
            name="December", release_date=dt.date(2026, 12, 8), kind="scheduled", actor=coordinator
        )
        set_fix_target_release(fix, release.pk, actor=coordinator)
    _move(fix, at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)
    with time_machine.travel(at(8, month=12), tick=False):
        transition_release(release, "frozen", actor=release_manager)
        transition_release(release, "released", actor=release_manager)

    clock = _release_clock(case, at(20, month=12))

    assert clock is not None
    assert (clock.started_at, clock.stopped_at, clock.status) == (at(10), at(8, month=12), "met")


def test_a_fix_that_will_not_be_made_does_not_hold_the_clock(coordinator: User) -> None:
    case = _case(coordinator)
    ready, dropped = _fix(case, coordinator), _fix(case, coordinator)
    _move(ready, at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)
    _move(dropped, at(11), Fix.State.WONT_FIX, actor=coordinator)

    clock = _release_clock(case, at(12))

    assert clock is not None
    assert clock.started_at == at(10)


def test_a_fix_taken_back_from_ready_stops_counting_until_ready_again(coordinator: User) -> None:
    case = _case(coordinator)
    fix = _move(_fix(case, coordinator), at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)
    fix = _move(fix, at(11), Fix.State.IN_PROGRESS, actor=coordinator)

    before = _release_clock(case, at(12))
    _move(fix, at(14), Fix.State.READY, actor=coordinator)
    after = _release_clock(case, at(15))

    assert before is None
    assert after is not None
    assert after.started_at == at(14)


def test_closing_the_case_stops_the_release_clock(coordinator: User) -> None:
    case = _case(coordinator)
    _move(_fix(case, coordinator), at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)
    with time_machine.travel(at(12), tick=False):
        transition_case(case, Case.State.CLOSED, actor=coordinator, reason="Shipped with the product rewrite")

    clock = _release_clock(case, at(20))

    assert clock is not None
    assert (clock.stopped_at, clock.status) == (at(12), "met")


def test_case_clocks_take_a_fixed_number_of_queries(coordinator: User) -> None:
    cases = [_case(coordinator) for _ in range(4)]
    for case in cases:
        _move(_fix(case, coordinator), at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)

    with CaptureQueriesContext(connection) as one:
        case_clocks(cases[:1], now=at(12))
    with CaptureQueriesContext(connection) as four:
        clocks = case_clocks(cases, now=at(12))

    assert len(four) == len(one)
    assert all(len(case_list) == 2 for case_list in clocks.values())


# --- Where people see it --------------------------------------------------------------------------


def test_case_api_carries_the_release_clock(api: Api, coordinator: User) -> None:
    case = _case(coordinator)
    _move(_fix(case, coordinator), at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)

    with time_machine.travel(at(12), tick=False):
        clocks = api(coordinator).get(f"/cases/{case.pk}").json()["clocks"]

    release = next(clock for clock in clocks if clock["name"] == "release")
    assert (release["status"], release["target"]) == ("on_track", "35 calendar days")
    assert release["due_at"].startswith("2026-12-15T10:00:00")


def test_report_clocks_api_adds_its_case_clocks(api: Api, coordinator: User, analyst: User) -> None:
    case = _case(coordinator)
    _move(_fix(case, coordinator), at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)

    with time_machine.travel(at(12), tick=False):
        clocks = api(analyst).get(f"/reports/{case.reports.get().pk}/clocks").json()

    assert [clock["name"] for clock in clocks] == ["first_response", "triage", "fix", "release"]


def test_report_clocks_api_stays_hidden_from_the_researcher(api: Api, coordinator: User) -> None:
    case = _case(coordinator)
    report = case.reports.get()

    assert api(report.researcher).get(f"/reports/{report.pk}/clocks").status_code == 404


def test_report_and_case_pages_show_the_release_clock(client: Client, coordinator: User) -> None:
    case = _case(coordinator)
    _move(_fix(case, coordinator), at(10), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)
    client.force_login(coordinator)

    with time_machine.travel(at(12), tick=False):
        pages = [
            client.get(reverse("case_detail", args=[case.pk])).content.decode(),
            client.get(reverse("report_transition", args=[case.reports.get().pk])).content.decode(),
        ]

    for html in pages:
        assert '<th scope="row">Release</th>' in html
        assert "35 calendar days" in html


def test_the_case_owner_is_warned_when_the_release_clock_breaches(coordinator: User) -> None:
    case = _case(coordinator)
    _move(_fix(case, coordinator), at(4), Fix.State.IN_PROGRESS, Fix.State.READY, actor=coordinator)

    warned = warn_before_breaches(now=at(10, month=12))

    assert [(w.clock, w.status, w.recipients) for w in warned if w.kind == "case"] == [
        ("release", "breached", [coordinator.email])
    ]


def test_a_fix_without_readiness_in_its_history_gives_no_start(coordinator: User) -> None:
    case = _case(coordinator)
    # Entered by hand (admin, import): state ready, but no history saying since when.
    FixFactory.create(vulnerability=case.vulnerabilities.get(), state=Fix.State.READY)

    assert _release_clock(case, at(12)) is None
