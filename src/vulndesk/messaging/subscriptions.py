"""Stakeholder subscriptions and the release-day briefing.

Engineering teams, release managers and communications staff follow a product, a team or a
case (or every release). Their subscriptions page lists the followed cases and where they
stand. On the day of a release, those who asked for it get one briefing per release listing
the advisories that go public and talking points for customers and the press (`vulndesk
briefing send`, run each morning from cron; it never sends a briefing twice).
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.advisories.models import Advisory
from vulndesk.catalog.models import Product, Team
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Permission, can, is_staff_role
from vulndesk.core.services import record_event
from vulndesk.intake.models import Report
from vulndesk.messaging.models import BriefingSent, Subscription
from vulndesk.messaging.outbox import queue_mail
from vulndesk.releases.models import Release
from vulndesk.remediation.models import Fix
from vulndesk.scoring.models import ProductSeverity, Vulnerability
from vulndesk.triage.models import Case


@transaction.atomic
def subscribe(
    user: User,
    *,
    product: Product | None = None,
    team: Team | None = None,
    case: Case | None = None,
    wants_briefing: bool = False,
) -> Subscription:
    """Follow one product, team or case (or, with none, every release). Staff only."""
    if not is_staff_role(user):
        raise PermissionDenied("Subscriptions are for the security team and its colleagues.")
    if sum(scope is not None for scope in (product, team, case)) > 1:
        raise RuleViolation("Follow one product, one team or one case at a time.", field="scope")
    existing = Subscription.objects.filter(user=user, product=product, team=team, case=case).first()
    if existing is not None:
        existing.wants_briefing = wants_briefing
        existing.save(update_fields=["wants_briefing"])
        return existing
    subscription = Subscription.objects.create(
        user=user, product=product, team=team, case=case, wants_briefing=wants_briefing
    )
    record_event(subscription, tag="subscription:created", actor=user)
    return subscription


@transaction.atomic
def unsubscribe(subscription: Subscription, *, actor: User) -> None:
    if subscription.user_id != actor.pk:
        raise PermissionDenied("You can only end your own subscriptions.")
    record_event(subscription, tag="subscription:deleted", actor=actor)
    subscription.delete()


def followed_cases(user: User) -> QuerySet[Case]:
    """Cases the user follows directly or through a product or team they follow, newest first."""
    subscriptions = Subscription.objects.filter(user=user)
    if not subscriptions.exists():
        return Case.objects.none()
    if subscriptions.filter(product__isnull=True, team__isnull=True, case__isnull=True).exists():
        return Case.objects.all().select_related("owner")
    matches = Q(pk__in=subscriptions.exclude(case=None).values("case_id"))
    matches |= Q(teams__in=subscriptions.exclude(team=None).values("team_id"))
    matches |= Q(reports__product__in=subscriptions.exclude(product=None).values("product_id"))
    return Case.objects.filter(matches).distinct().select_related("owner")


def followers_of_vulnerability(vulnerability: Vulnerability) -> list[User]:
    """Active staff who follow a vulnerability, in a fixed number of queries.

    Its case's owner and the members of the case's teams, and whoever subscribed to the case,
    to one of its teams, to a product of its reports or rated for it, or to everything (the
    same reading of a subscription as `followed_cases`). Only people who may view the
    vulnerability: researchers and partners never follow one, whatever their subscriptions say.
    """
    case = vulnerability.case
    teams = case.teams.values("pk")
    products = Report.objects.filter(case_link__case=case).exclude(product=None).values("product_id")
    rated = ProductSeverity.objects.filter(vulnerability=vulnerability).values("product_id")
    scope = (
        Q(case=case)
        | Q(team__in=teams)
        | Q(product__in=products)
        | Q(product__in=rated)
        | Q(product__isnull=True, team__isnull=True, case__isnull=True)
    )
    subscribers = Subscription.objects.filter(scope).values("user_id")
    people = Q(pk__in=subscribers) | Q(teams__in=teams) | Q(pk=case.owner_id)
    candidates = User.objects.filter(people, is_active=True).distinct().order_by("email")
    return [user for user in candidates if can(user, Permission.VULNERABILITY_VIEW, vulnerability)]


def _briefing_text(release: Release, advisories: list[Advisory]) -> str:
    lines = [
        f"Release-day briefing: {release.name}, {release.release_date:%A %d %B %Y}",
        "",
        f"{len(advisories)} advisor{'y goes' if len(advisories) == 1 else 'ies go'} public today:",
        "",
    ]
    for advisory in advisories:
        vulnerabilities = list(advisory.vulnerabilities.all())
        cves = ", ".join(v.cve_id for v in vulnerabilities if v.cve_id) or "no CVE"
        severities = sorted({v.get_severity_display() for v in vulnerabilities})
        lines += [
            f"* {advisory.identifier} {advisory.title} ({cves}; {', '.join(severities) or 'severity not set'})",
            f"  {advisory.summary}",
            "",
        ]
    lines += [
        "Talking points:",
        f"- {settings.ORGANIZATION_NAME} fixed these vulnerabilities in {release.name}; customers should install it.",
        "- They were reported to us privately and fixed before publication (coordinated disclosure).",
        "- Details for customers are in the advisories above once they are published.",
        "",
        "Confidential until the advisories are public.",
    ]
    return "\n".join(lines)


def _briefing_audience(release: Release, advisories: list[Advisory]) -> QuerySet[User]:
    vulnerability_ids = [v.pk for advisory in advisories for v in advisory.vulnerabilities.all()]
    fixes = Fix.objects.filter(vulnerability_id__in=vulnerability_ids)
    products = fixes.values("product_version__product_id")
    teams = fixes.values("team_id")
    cases = Advisory.objects.filter(pk__in=[a.pk for a in advisories]).values("vulnerabilities__case_id")
    scope = (
        Q(product__isnull=True, team__isnull=True, case__isnull=True)
        | Q(product__in=products)
        | Q(team__in=teams)
        | Q(case__in=cases)
    )
    subscribers = Subscription.objects.filter(scope, wants_briefing=True).values("user_id")
    return User.objects.filter(pk__in=subscribers, is_active=True)


def send_release_briefings(*, today: dt.date | None = None) -> list[BriefingSent]:
    """Mail today's briefing for each release dated today (not cancelled) to its audience, once per person."""
    today = today or timezone.localdate()
    sent: list[BriefingSent] = []
    for release in Release.objects.filter(release_date=today).exclude(state=Release.State.CANCELLED):
        advisories = list(
            Advisory.objects.filter(release=release).prefetch_related("vulnerabilities").order_by("identifier")
        )
        if not advisories:
            continue
        text = _briefing_text(release, advisories)
        for user in _briefing_audience(release, advisories):
            try:
                with transaction.atomic():
                    record = BriefingSent.objects.create(release=release, user=user)
                    queue_mail(
                        to=user.email,
                        subject=f"[{settings.ORGANIZATION_NAME}] Release-day briefing: {release.name}",
                        body=text,
                    )
            except IntegrityError:
                continue  # briefed already (an earlier run today)
            sent.append(record)
    return sent
