"""Drafting, approving and publishing advisories."""

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.advisories.models import Advisory
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import change_state, enter_initial_state, record_event
from vulndesk.releases.models import Release
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case
from vulndesk.triage.services import mark_case_published


def next_advisory_identifier(year: int) -> str:
    prefix = f"VDSA-{year}-"
    last = (
        Advisory.objects.filter(identifier__startswith=prefix)
        .order_by("-identifier")
        .values_list("identifier", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


@transaction.atomic
def create_advisory(
    *,
    title: str,
    summary: str,
    vulnerabilities: Sequence[Vulnerability],
    actor: User,
    release: Release | None = None,
) -> Advisory:
    if not title.strip():
        raise RuleViolation("Give the advisory a title.", field="title")
    if not summary.strip():
        raise RuleViolation("Write a summary; it is the first thing readers see.", field="summary")
    if not vulnerabilities:
        raise RuleViolation("An advisory covers at least one vulnerability.", field="vulnerability_ids")
    advisory = Advisory.objects.create(
        identifier=next_advisory_identifier(timezone.now().year),
        title=title.strip(),
        summary=summary.strip(),
        release=release,
    )
    advisory.vulnerabilities.set(vulnerabilities)
    enter_initial_state(advisory, actor=actor)
    record_event(
        advisory,
        tag="advisory:vulnerabilities_set",
        actor=actor,
        changes={"vulnerabilities": (None, [v.pk for v in vulnerabilities])},
    )
    return advisory


@transaction.atomic
def transition_advisory(advisory: Advisory, to: str, *, actor: User, reason: str = "") -> Advisory:
    if to == Advisory.State.PUBLISHED:
        return publish_advisory(advisory, actor=actor, reason=reason)
    return change_state(advisory, to, actor=actor, reason=reason)


@transaction.atomic
def publish_advisory(advisory: Advisory, *, actor: User, reason: str = "") -> Advisory:
    """Make an approved advisory public once its release has shipped.

    Its cases become published and their confirmed reports fixed, so researchers see the outcome.
    """
    release = advisory.release
    if release is not None and release.state != Release.State.RELEASED:
        raise RuleViolation(
            f"The advisory ships with {release.name}, which is {release.get_state_display().lower()}; "
            "release it first.",
            field="to",
        )
    advisory = change_state(
        advisory, Advisory.State.PUBLISHED, actor=actor, reason=reason, changes={"published_at": timezone.now()}
    )
    cases = Case.objects.filter(vulnerabilities__advisories=advisory).distinct()
    for case in cases:
        mark_case_published(case, actor=actor, reason=f"Published in {advisory.identifier}")
    return advisory
