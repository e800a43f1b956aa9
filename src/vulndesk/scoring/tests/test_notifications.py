"""Who hears of a vulnerability's exploitability or priority change, and how (messaging's notifications)."""

import datetime as dt
from typing import Any

import pytest
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Role
from vulndesk.core.tests.factories import (
    CaseFactory,
    ProductFactory,
    ReportFactory,
    TeamFactory,
    UserFactory,
    VulnerabilityFactory,
)
from vulndesk.messaging.models import MailPreference, Notification, OutboundMail, Subscription
from vulndesk.messaging.subscriptions import subscribe
from vulndesk.scoring.bug_bar import Conditions
from vulndesk.scoring.models import ScoreChange, Vulnerability
from vulndesk.scoring.services import (
    assess_exploitability,
    assess_product_severity,
    import_kev,
    override_priority,
    recompute_priorities,
)
from vulndesk.scoring.tasks import notify_priority_raised
from vulndesk.scoring.threat_files import KevCatalog
from vulndesk.triage.models import CaseReport

pytestmark = pytest.mark.django_db

LIKELY: dict[str, Any] = {"latest_release": "more_likely", "older_releases": "less_likely", "is_publicly_disclosed": False,
          "is_exploited": False}  # fmt: skip
DETECTED = LIKELY | {"latest_release": "detected", "is_exploited": True}


def _staff(email: str, role: str = Role.ENGINEER) -> User:
    return UserFactory.create(role=role, email=email)


def _vulnerability(owner: User | None = None) -> Vulnerability:
    """An important vulnerability (P2 once computed) in a case with one report."""
    vulnerability = VulnerabilityFactory.create(case=CaseFactory.create(owner=owner), severity="important")
    CaseReport.objects.create(case=vulnerability.case, report=ReportFactory.create(state="confirmed"))
    recompute_priorities([vulnerability.pk], actor=None, reason="Recorded")
    vulnerability.refresh_from_db()
    return vulnerability


def _kev(cve_id: str) -> KevCatalog:
    entry = {
        "cve_id": cve_id,
        "vendor_project": "Example",
        "product": "Parser",
        "vulnerability_name": "Parser RCE",
        "date_added": dt.date(2026, 11, 20),
        "due_date": None,
        "short_description": "",
        "required_action": "",
        "known_ransomware_campaign_use": "Unknown",
    }
    return KevCatalog("2026.11.20", dt.date(2026, 11, 20), [entry])


def _recipients() -> set[str]:
    return set(Notification.objects.values_list("recipient__email", flat=True))


def test_every_kind_of_follower_is_notified_once(
    analyst: User, coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    vulnerability = _vulnerability(owner=coordinator)
    team = TeamFactory.create()
    team.members.add(member := _staff("member@example.test"))
    vulnerability.case.teams.add(team)
    report_product = vulnerability.case.reports.get().product
    assert report_product is not None
    rated_product = ProductFactory.create()
    assess_product_severity(vulnerability, rated_product, Conditions("rce", "network", True, True), actor=analyst)
    subscribe(_staff("case@example.test"), case=vulnerability.case)
    subscribe(_staff("team@example.test"), team=team)
    subscribe(_staff("product@example.test"), product=report_product)
    subscribe(_staff("rated@example.test"), product=rated_product)
    subscribe(_staff("everything@example.test", Role.RELEASE_MANAGER))
    subscribe(_staff("other@example.test"), product=ProductFactory.create())  # not this vulnerability's
    subscribe(member, case=vulnerability.case)  # a team member who also follows the case: told once

    with django_capture_on_commit_callbacks(execute=True):
        assess_exploitability(vulnerability, actor=analyst, **LIKELY)

    assert _recipients() == {
        coordinator.email,
        member.email,
        "case@example.test",
        "team@example.test",
        "product@example.test",
        "rated@example.test",
        "everything@example.test",
    }
    notification = Notification.objects.get(recipient=member)
    assert notification.kind == Notification.Kind.VULNERABILITY
    assert notification.url == f"/vulnerabilities/{vulnerability.pk}/"
    assert notification.text == (
        f"{analyst} reassessed {vulnerability.reference} in {vulnerability.case.reference}: "
        "Exploitation More Likely (latest release), exploited: no"
    )


def test_the_assessor_is_not_notified_of_their_own_change(
    analyst: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    vulnerability = _vulnerability(owner=analyst)
    subscribe(analyst, case=vulnerability.case)

    with django_capture_on_commit_callbacks(execute=True):
        assess_exploitability(vulnerability, actor=analyst, **LIKELY)

    assert not Notification.objects.exists()


def test_researchers_partners_and_inactive_staff_never_hear_of_it(
    analyst: User, researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    vulnerability = _vulnerability()
    partner = UserFactory.create(role=Role.PARTNER, email="partner@cert.example")
    former = _staff("former@example.test")
    former.is_active = False
    former.save()
    team = TeamFactory.create()
    team.members.add(researcher, partner, former)
    vulnerability.case.teams.add(team)
    vulnerability.case.reports.update(researcher=researcher)
    # subscribe() refuses them; rows written another way (or a role changed since) must not leak either.
    for person in (researcher, partner, former):
        Subscription.objects.create(user=person, case=vulnerability.case)

    with django_capture_on_commit_callbacks(execute=True):
        assess_exploitability(vulnerability, actor=analyst, **LIKELY)

    assert not Notification.objects.exists()
    assert not OutboundMail.objects.exists()


@pytest.mark.parametrize(
    ("delivery", "is_mailed"), [(None, True), ("immediately", True), ("digest", False), ("off", False)]
)
def test_mail_follows_the_notification_preference(
    analyst: User,
    coordinator: User,
    delivery: str | None,
    is_mailed: bool,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    vulnerability = _vulnerability(owner=coordinator)
    if delivery is not None:
        MailPreference.objects.create(user=coordinator, notification_delivery=delivery)

    with django_capture_on_commit_callbacks(execute=True):
        assess_exploitability(vulnerability, actor=analyst, **LIKELY)

    notification = Notification.objects.get(recipient=coordinator)
    assert notification.read_at is None  # the unread badge counts it whatever the mail preference
    mails = OutboundMail.objects.filter(to_address=coordinator.email)
    assert mails.exists() is is_mailed
    assert (notification.emailed_at is not None) is is_mailed
    if is_mailed:
        assert "Exploitation More Likely" in mails.get().subject


def test_a_priority_jump_from_an_assessment_is_in_the_same_notification(
    analyst: User, coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    vulnerability = _vulnerability(owner=coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        assess_exploitability(vulnerability, actor=analyst, **DETECTED)

    notification = Notification.objects.get()
    assert notification.text.endswith(
        "Exploitation Detected (latest release), exploited: yes; priority now P0 (was P2)"
    )


def test_a_kev_listing_that_raises_the_priority_notifies_the_followers(
    coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    vulnerability = _vulnerability(owner=coordinator)
    assert vulnerability.cve_id is not None

    with django_capture_on_commit_callbacks(execute=True):
        import_kev(_kev(vulnerability.cve_id), file_name="kev.json", actor=None)

    notification = Notification.objects.get()
    assert notification.recipient == coordinator
    assert notification.kind == Notification.Kind.VULNERABILITY
    assert notification.text.startswith(
        f"{vulnerability.reference} in {vulnerability.case.reference} is now P0 (was P2): "
        "CISA KEV catalog import: Important RCE, in CISA KEV since 2026-11-20 → P0"
    )


def test_a_lower_or_first_priority_is_not_announced(
    analyst: User, coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        vulnerability = _vulnerability(owner=coordinator)  # first priority: P2

    with django_capture_on_commit_callbacks(execute=True):
        override_priority(vulnerability, 4, actor=analyst, rationale="Only a lab build is affected.")

    assert not Notification.objects.exists()


def test_an_override_to_a_more_urgent_priority_is_announced_to_everyone_but_its_author(
    analyst: User, coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    vulnerability = _vulnerability(owner=coordinator)
    subscribe(analyst, case=vulnerability.case)

    with django_capture_on_commit_callbacks(execute=True):
        override_priority(vulnerability, 0, actor=analyst, rationale="Worm seen.")

    assert _recipients() == {coordinator.email}
    assert "is now P0 (was P2)" in Notification.objects.get().text


def test_a_priority_change_overtaken_by_another_is_not_announced(analyst: User, coordinator: User) -> None:
    vulnerability = _vulnerability(owner=coordinator)
    override_priority(vulnerability, 0, actor=analyst, rationale="Worm seen.")
    raised = ScoreChange.objects.get(kind=ScoreChange.Kind.PRIORITY, new_value="P0")
    override_priority(vulnerability, None, actor=analyst, rationale="No worm after all.")

    notify_priority_raised.call(score_change_ids=[raised.pk])

    assert not Notification.objects.exists()
