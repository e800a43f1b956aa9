"""Stakeholder subscriptions and the release-day briefing."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from vulndesk.accounts.models import User
from vulndesk.advisories.models import Advisory
from vulndesk.core.errors import RuleViolation
from vulndesk.core.tests.factories import (
    AdvisoryFactory,
    CaseFactory,
    FixFactory,
    ProductFactory,
    ReleaseFactory,
    TeamFactory,
)
from vulndesk.messaging.models import BriefingSent, OutboundMail, Subscription
from vulndesk.messaging.subscriptions import followed_cases, send_release_briefings, subscribe
from vulndesk.releases.models import Release
from vulndesk.remediation.models import Fix

pytestmark = pytest.mark.django_db


def _release_with_advisory() -> tuple[Release, Advisory, Fix]:
    release = ReleaseFactory.create()
    fix = FixFactory.create(target_release=release)
    advisory = AdvisoryFactory.create(release=release, vulnerabilities=[fix.vulnerability], summary="Update now.")
    return release, advisory, fix


def test_briefing_goes_to_subscribers_of_touched_products_once(release_manager: User, engineer: User) -> None:
    release, advisory, fix = _release_with_advisory()
    subscribe(release_manager, product=fix.product_version.product, wants_briefing=True)
    subscribe(engineer, product=ProductFactory.create(), wants_briefing=True)  # another product: not briefed

    first = send_release_briefings(today=release.release_date)
    again = send_release_briefings(today=release.release_date)

    mail = OutboundMail.objects.get()
    assert [record.user for record in first] == [release_manager]
    assert again == []
    assert mail.to_address == release_manager.email
    assert advisory.identifier in mail.body
    assert "Talking points" in mail.body
    assert str(fix.vulnerability.cve_id) in mail.body


def test_briefing_reaches_team_case_and_everything_subscribers(
    coordinator: User, engineer: User, analyst: User
) -> None:
    release, _advisory, fix = _release_with_advisory()
    subscribe(coordinator, wants_briefing=True)
    subscribe(engineer, team=fix.team, wants_briefing=True)
    subscribe(analyst, case=fix.vulnerability.case, wants_briefing=True)

    sent = send_release_briefings(today=release.release_date)

    assert {record.user for record in sent} == {coordinator, engineer, analyst}


def test_followers_without_the_briefing_get_none(engineer: User) -> None:
    release, _advisory, fix = _release_with_advisory()
    subscribe(engineer, team=fix.team)

    assert send_release_briefings(today=release.release_date) == []


def test_no_briefing_on_other_days(coordinator: User) -> None:
    release, _, _ = _release_with_advisory()
    subscribe(coordinator, wants_briefing=True)

    assert send_release_briefings(today=release.release_date.replace(year=2000)) == []
    assert not BriefingSent.objects.exists()


def test_followed_cases_through_team_product_or_case(engineer: User) -> None:
    team = TeamFactory.create()
    by_team = CaseFactory.create(title="Team case")
    by_team.teams.add(team)
    direct = CaseFactory.create(title="Direct case")
    CaseFactory.create(title="Unrelated case")
    subscribe(engineer, team=team)
    subscribe(engineer, case=direct)

    assert set(followed_cases(engineer)) == {by_team, direct}


def test_researchers_cannot_subscribe(researcher: User) -> None:
    with pytest.raises(PermissionDenied):
        subscribe(researcher)


def test_one_scope_at_a_time(engineer: User) -> None:
    with pytest.raises(RuleViolation):
        subscribe(engineer, team=TeamFactory.create(), case=CaseFactory.create())


def test_subscribing_twice_updates_the_briefing_choice(engineer: User) -> None:
    team = TeamFactory.create()
    subscribe(engineer, team=team)

    subscribe(engineer, team=team, wants_briefing=True)

    assert Subscription.objects.get().wants_briefing


def test_subscriptions_page(client: Client, engineer: User) -> None:
    case = CaseFactory.create(title="Parser overflow")
    client.force_login(engineer)

    client.post("/subscriptions/", {"scope": f"case:{case.pk}", "wants_briefing": "on"})
    page = client.get("/subscriptions/")
    client.post("/subscriptions/", {"remove": Subscription.objects.get().pk})

    assert b"Parser overflow" in page.content
    assert not Subscription.objects.exists()


def test_subscriptions_page_is_for_staff(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    assert client.get("/subscriptions/").status_code == 403


def test_unknown_scope_is_404(client: Client, engineer: User) -> None:
    client.force_login(engineer)

    assert client.post("/subscriptions/", {"scope": "case:999999"}).status_code == 404
