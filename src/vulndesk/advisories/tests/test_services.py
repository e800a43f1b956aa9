import pytest
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.advisories.models import Advisory
from vulndesk.advisories.selectors import get_advisory_for_user, list_advisories_for_user, list_published_advisories
from vulndesk.advisories.services import create_advisory, next_advisory_identifier, transition_advisory
from vulndesk.core.errors import InvalidTransition, RuleViolation
from vulndesk.core.tests.factories import AdvisoryFactory, ReleaseFactory, ReportFactory, VulnerabilityFactory
from vulndesk.intake.models import Report
from vulndesk.releases.models import Release
from vulndesk.triage.models import Case
from vulndesk.triage.services import create_case


def test_identifiers_count_up_per_year(analyst: User) -> None:
    first = create_advisory(title="A", summary="s", vulnerabilities=[VulnerabilityFactory.create()], actor=analyst)

    assert first.identifier == f"VDSA-{timezone.now().year}-0001"
    assert next_advisory_identifier(timezone.now().year).endswith("-0002")


def test_advisory_needs_a_vulnerability(analyst: User) -> None:
    with pytest.raises(RuleViolation, match="at least one"):
        create_advisory(title="A", summary="s", vulnerabilities=[], actor=analyst)


def test_draft_cannot_be_published_without_approval(coordinator: User) -> None:
    advisory = AdvisoryFactory.create(vulnerabilities=[VulnerabilityFactory.create()])

    with pytest.raises(InvalidTransition):
        transition_advisory(advisory, Advisory.State.PUBLISHED, actor=coordinator)


def test_advisory_waits_for_its_release(coordinator: User) -> None:
    release = ReleaseFactory.create(state=Release.State.FROZEN)
    advisory = AdvisoryFactory.create(
        release=release, state=Advisory.State.APPROVED, vulnerabilities=[VulnerabilityFactory.create()]
    )

    with pytest.raises(RuleViolation, match="release it first"):
        transition_advisory(advisory, Advisory.State.PUBLISHED, actor=coordinator)

    advisory.refresh_from_db()
    assert advisory.published_at is None


def test_publishing_fixes_the_reports_and_publishes_the_case(coordinator: User) -> None:
    report = ReportFactory.create(state=Report.State.CONFIRMED)
    case = create_case(title="Parser RCE", reports=[report], actor=coordinator)
    Case.objects.filter(pk=case.pk).update(state=Case.State.REMEDIATING)
    vulnerability = VulnerabilityFactory.create(case=case)
    release = ReleaseFactory.create(state=Release.State.RELEASED)
    advisory = AdvisoryFactory.create(release=release, state=Advisory.State.APPROVED, vulnerabilities=[vulnerability])

    transition_advisory(advisory, Advisory.State.PUBLISHED, actor=coordinator)

    advisory.refresh_from_db()
    report.refresh_from_db()
    case.refresh_from_db()
    assert advisory.published_at is not None
    assert report.state == Report.State.FIXED
    assert report.researcher_status == "Fix released"
    assert case.state == Case.State.PUBLISHED


def test_drafts_are_invisible_to_the_public(researcher: User, analyst: User) -> None:
    draft = AdvisoryFactory.create(vulnerabilities=[VulnerabilityFactory.create()])

    assert draft not in list_published_advisories()
    assert draft not in list_advisories_for_user(researcher)
    assert draft in list_advisories_for_user(analyst)
    with pytest.raises(Exception, match="No such advisory"):
        get_advisory_for_user(researcher, draft.identifier)
    with pytest.raises(Exception, match="No such advisory"):
        get_advisory_for_user(None, draft.identifier)
    assert get_advisory_for_user(analyst, draft.identifier) == draft
