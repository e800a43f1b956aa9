"""Release trains: planning, freezing, and shipping the fixes they carry."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import change_state, enter_initial_state
from vulndesk.lib.calendars import second_tuesday
from vulndesk.releases.models import Release
from vulndesk.remediation.models import Fix
from vulndesk.remediation.services import transition_fix


@transaction.atomic
def create_release(*, name: str, release_date: dt.date, kind: str, actor: User) -> Release:
    if not name.strip():
        raise RuleViolation("Give the release a name, e.g. '2026-12 Security Updates'.", field="name")
    if kind not in Release.Kind.values:
        raise RuleViolation(f"Unknown release kind {kind!r}; use scheduled or out_of_band.", field="kind")
    if Release.objects.filter(name=name.strip()).exists():
        raise RuleViolation(f"A release named {name.strip()!r} already exists.", field="name")
    expected = second_tuesday(release_date.year, release_date.month)
    if kind == Release.Kind.SCHEDULED and release_date != expected:
        raise RuleViolation(
            f"Scheduled releases ship on the second Tuesday; in that month it is {expected:%Y-%m-%d}. "
            "Use kind out_of_band for another date.",
            field="release_date",
        )
    release = Release.objects.create(name=name.strip(), release_date=release_date, kind=kind)
    enter_initial_state(release, actor=actor)
    return release


@transaction.atomic
def transition_release(release: Release, to: str, *, actor: User, reason: str = "") -> Release:
    """Move a release; shipping it requires every fix it carries to be ready, and releases them."""
    if to != Release.State.RELEASED:
        return change_state(release, to, actor=actor, reason=reason)
    fixes = list(Fix.objects.select_related("vulnerability", "product_version__product").filter(target_release=release))
    not_ready = [fix for fix in fixes if fix.state not in {Fix.State.READY, Fix.State.RELEASED}]
    if not_ready:
        names = "; ".join(f"{fix} is {fix.get_state_display().lower()}" for fix in not_ready[:10])
        raise RuleViolation(f"The release is not ready: {names}.", field="to")
    release = change_state(release, to, actor=actor, reason=reason, changes={"released_at": timezone.now()})
    for fix in fixes:
        if fix.state == Fix.State.READY:
            transition_fix(fix, Fix.State.RELEASED, actor=actor, reason=f"Shipped in {release.name}")
    return release
