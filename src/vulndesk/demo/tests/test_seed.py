import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.advisories.models import Advisory
from vulndesk.advisories.selectors import list_published_advisories
from vulndesk.catalog.models import Product, ProductVersion, Team
from vulndesk.core.models import AuditEvent, StateInterval
from vulndesk.core.permissions import STAFF_ROLES, Role
from vulndesk.demo.data import DEMO_PASSWORD, PEOPLE
from vulndesk.demo.seed import KINDS, demo_today, seed_demo
from vulndesk.intake.models import Report
from vulndesk.lib.calendars import second_tuesday
from vulndesk.releases.models import Release
from vulndesk.remediation.models import Fix
from vulndesk.scoring.models import (
    EpssScore,
    ExploitabilityAssessment,
    KnownExploitedVulnerability,
    ProductSeverity,
    ScoreChange,
    SsvcAssessment,
    ThreatImport,
    Vulnerability,
)
from vulndesk.triage.models import Case

TODAY = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
_COUNTED = (User, Team, Product, ProductVersion, Report, Case, Vulnerability, Fix, Release, Advisory)
_SCORING = (
    ProductSeverity,
    ExploitabilityAssessment,
    SsvcAssessment,
    ScoreChange,
    KnownExploitedVulnerability,
    EpssScore,
    ThreatImport,
)


def _counts() -> dict[str, int]:
    models = (*_COUNTED, *_SCORING, StateInterval, AuditEvent)
    return {model.__name__: model._default_manager.count() for model in models}


@pytest.fixture
def seeded(db: None) -> None:
    summary = seed_demo(today=TODAY)
    assert summary.problems == []


def test_demo_seeds_the_catalog_it_promises(seeded: None) -> None:
    products = list(Product.objects.prefetch_related("versions"))

    assert Team.objects.count() == 3
    assert len(products) >= 10
    assert all(2 <= len(product.versions.all()) <= 4 for product in products)
    assert not ProductVersion.objects.filter(end_of_support__isnull=True).exists()


def test_demo_seeds_named_researchers_and_one_login_per_staff_role(seeded: None) -> None:
    researchers = User.objects.filter(role=Role.RESEARCHER)
    staff_roles = sorted(User.objects.exclude(role=Role.RESEARCHER).values_list("role", flat=True))
    engineer = User.objects.get(role=Role.ENGINEER)

    assert researchers.count() == 5
    assert all(researcher.display_name for researcher in researchers)
    assert staff_roles == sorted(STAFF_ROLES)
    assert engineer.teams.exists()


def test_demo_reports_cover_every_state(seeded: None) -> None:
    states = set(Report.objects.values_list("state", flat=True))

    assert 55 <= Report.objects.count() <= 65
    assert states == set(Report.State.values)


def test_report_history_ends_in_the_report_state_and_lies_in_the_past(seeded: None) -> None:
    report_type = ContentType.objects.get_for_model(Report)

    for report in Report.objects.all():
        intervals = list(StateInterval.objects.filter(target_type=report_type, target_id=report.pk))
        assert intervals[-1].state == report.state
        assert intervals[-1].exited_at is None
        assert intervals[0].entered_at == report.created_at
        assert report.created_at < TODAY - dt.timedelta(hours=1)
    assert Report.objects.filter(created_at__lt=TODAY - dt.timedelta(days=60)).exists()


def test_confirmed_reports_become_cases_with_scored_cves(seeded: None) -> None:
    vulnerabilities = Vulnerability.objects.all()

    assert Case.objects.count() >= 10
    assert all(v.cve_id and v.cve_id.startswith("CVE-") for v in vulnerabilities)
    assert {v.cvss_version for v in vulnerabilities} == {"3.1", "4.0"}
    assert vulnerabilities.filter(cvss_version="4.0").count() >= 2
    assert Fix.objects.filter(state=Fix.State.RELEASED).exists()


def test_two_past_releases_shipped_on_second_tuesdays_with_published_advisories(seeded: None) -> None:
    shipped = list(Release.objects.filter(state=Release.State.RELEASED))

    assert len(shipped) == 2
    for release in shipped:
        assert release.release_date == second_tuesday(release.release_date.year, release.release_date.month)
        assert release.released_at is not None
        assert release.released_at.date() == release.release_date
        advisories = list(release.advisories.all())
        assert advisories
        assert all(advisory.is_published for advisory in advisories)
    assert list_published_advisories().count() == sum(release.advisories.count() for release in shipped)


def test_the_upcoming_release_is_planned_and_its_advisories_are_not_public(seeded: None) -> None:
    upcoming = Release.objects.get(state=Release.State.PLANNED)
    advisories = upcoming.advisories.all()

    assert upcoming.release_date > TODAY.date()
    assert {advisory.state for advisory in advisories} == {Advisory.State.DRAFT, Advisory.State.APPROVED}
    assert not list_published_advisories().filter(release=upcoming).exists()


def test_open_vulnerabilities_carry_scoring_examples(seeded: None) -> None:
    exploited = Vulnerability.objects.get(exploitability__is_exploited=True)
    decisions = {(d.tree, d.outcome) for d in SsvcAssessment.objects.filter(vulnerability=exploited)}
    kev = KnownExploitedVulnerability.objects.get()

    assert ExploitabilityAssessment.objects.count() == 4
    assert ProductSeverity.objects.count() == 4
    assert decisions == {("supplier", "immediate"), ("deployer", "immediate")}
    assert SsvcAssessment.objects.get(vulnerability=exploited, tree="deployer").rationale.startswith("We run it")
    assert kev.cve_id == exploited.cve_id
    assert EpssScore.objects.count() == 3
    assert {s.outcome for s in SsvcAssessment.objects.filter(tree="supplier")} >= {"immediate", "scheduled", "defer"}
    assert ThreatImport.objects.count() == 2
    assert exploited.priority == 0
    assert "CISA KEV" in exploited.priority_explanation
    # The case's reports follow their vulnerability's priority, for the triage queue and the fix clock.
    assert set(Report.objects.filter(case_link__case=exploited.case).values_list("priority", flat=True)) == {0}
    assert Vulnerability.objects.filter(priority__isnull=False).count() == Vulnerability.objects.count()


def test_scoring_history_is_dated_in_the_story(seeded: None) -> None:
    for assessment in ExploitabilityAssessment.objects.select_related("vulnerability"):
        assert assessment.vulnerability.created_at < assessment.assessed_at < TODAY
    for decision in SsvcAssessment.objects.select_related("vulnerability"):
        assert decision.vulnerability.created_at < decision.decided_at < TODAY
    kev = KnownExploitedVulnerability.objects.get()
    assert kev.date_added < TODAY.date()
    assert kev.imported_at < TODAY
    assert ThreatImport.objects.filter(imported_at__gte=TODAY).count() == 0


def test_the_scoring_page_shows_the_examples(seeded: None) -> None:
    exploited = Vulnerability.objects.get(exploitability__is_exploited=True)
    client = Client()
    client.force_login(User.objects.get(role=Role.ANALYST))

    content = client.get(f"/vulnerabilities/{exploited.pk}/").content.decode()

    assert "Priority P0" in content
    assert "Exploitation Detected" in content
    assert "CISA KEV" in content
    assert "EPSS 0.412" in content
    assert "No deployer decision yet" not in content


def test_demo_logins_authenticate(seeded: None) -> None:
    for person in PEOPLE:
        user = authenticate(username=person.email, password=DEMO_PASSWORD)

        assert user is not None
        assert user.email == person.email


def test_a_second_run_adds_nothing(seeded: None) -> None:
    before = _counts()

    summary = seed_demo(today=TODAY)

    assert _counts() == before
    assert sum(summary.created.values()) == 0
    assert summary.present["reports"] == before["Report"]


def test_a_run_next_month_finds_the_same_releases(db: None) -> None:
    # The clock must tick: the seeder dates each row by the real moment it was written.
    with time_machine.travel(TODAY):
        seed_demo()
    before = _counts()

    with time_machine.travel(TODAY + dt.timedelta(days=40)):
        assert demo_today() == TODAY
        summary = seed_demo()

    assert _counts() == before
    assert sum(summary.created.values()) == 0


def test_a_missing_object_is_seeded_again_and_nothing_else(seeded: None) -> None:
    Release.objects.filter(state=Release.State.PLANNED).update(name="Renamed by hand")

    summary = seed_demo(today=TODAY)

    assert summary.created == {"releases": 1}
    assert summary.problems == []
    assert Release.objects.filter(state=Release.State.PLANNED).count() == 2


def test_a_step_that_breaks_a_rule_is_skipped_and_reported(seeded: None) -> None:
    # A renamed case is "missing", but its reports already belong to the original case.
    case = Case.objects.filter(state=Case.State.OPEN).get()
    Case.objects.filter(pk=case.pk).update(title="Renamed by hand")

    summary = seed_demo(today=TODAY)

    assert len(summary.problems) == 1
    assert "already part of a case" in summary.problems[0]
    assert Case.objects.filter(title="Renamed by hand").exists()


def test_command_lists_skipped_steps(seeded: None) -> None:
    Case.objects.filter(state=Case.State.OPEN).update(title="Renamed by hand")
    out = StringIO()

    with time_machine.travel(TODAY):
        call_command("demo", stdout=out)

    assert "Skipped case" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_seeding_sends_no_notifications_and_queues_none() -> None:
    summary = seed_demo(today=TODAY)

    assert summary.notifications_suppressed > 0
    assert mail.outbox == []


def test_command_prints_the_summary_and_the_logins(db: None) -> None:
    out = StringIO()

    with time_machine.travel(TODAY):
        call_command("demo", stdout=out)

    text = out.getvalue()
    assert "100%" in text
    assert all(kind in text for kind in KINDS)
    assert f"password for all: {DEMO_PASSWORD}" in text
    assert "analyst@demo.vulndesk.test" in text


def test_command_is_silent_at_verbosity_zero(db: None) -> None:
    out = StringIO()

    call_command("demo", verbosity=0, stdout=out)

    assert out.getvalue() == ""
    assert Report.objects.exists()


def test_demo_today_is_now_before_the_first_run(db: None) -> None:
    with time_machine.travel(TODAY, tick=False):
        assert demo_today() == timezone.now()
