import pytest

from vulndesk.accounts.models import User
from vulndesk.core.errors import InvalidTransition, RuleViolation
from vulndesk.core.tests.factories import (
    CaseFactory,
    FixFactory,
    ProductVersionFactory,
    ReleaseFactory,
    TeamFactory,
    VulnerabilityFactory,
)
from vulndesk.releases.models import Release
from vulndesk.remediation.models import Fix
from vulndesk.remediation.services import create_fix, set_fix_target_release, transition_fix
from vulndesk.triage.models import Case


def test_fix_goes_to_the_products_owning_team_and_starts_remediation(coordinator: User) -> None:
    vulnerability = VulnerabilityFactory.create(case=CaseFactory.create(state=Case.State.OPEN))
    version = ProductVersionFactory.create()

    fix = create_fix(vulnerability, version, actor=coordinator)

    assert fix.team == version.product.owning_team
    assert fix.state == Fix.State.PLANNED
    vulnerability.case.refresh_from_db()
    assert vulnerability.case.state == Case.State.REMEDIATING


def test_another_team_can_take_the_fix(coordinator: User) -> None:
    team = TeamFactory.create()

    fix = create_fix(VulnerabilityFactory.create(), ProductVersionFactory.create(), actor=coordinator, team=team)

    assert fix.team == team


def test_one_fix_per_vulnerability_and_version(coordinator: User) -> None:
    existing = FixFactory.create()

    with pytest.raises(RuleViolation, match="already has a fix"):
        create_fix(existing.vulnerability, existing.product_version, actor=coordinator)


def test_fix_moves_to_ready_with_its_fixed_version(engineer: User) -> None:
    fix = FixFactory.create(state=Fix.State.IN_PROGRESS)

    transition_fix(fix, Fix.State.READY, actor=engineer, fixed_version="10.0.2.41")

    fix.refresh_from_db()
    assert (fix.state, fix.fixed_version) == (Fix.State.READY, "10.0.2.41")


def test_wont_fix_needs_a_rationale(coordinator: User) -> None:
    fix = FixFactory.create()

    with pytest.raises(RuleViolation, match="rationale"):
        transition_fix(fix, Fix.State.WONT_FIX, actor=coordinator)


def test_released_fix_is_final(coordinator: User) -> None:
    fix = FixFactory.create(state=Fix.State.RELEASED)

    with pytest.raises(InvalidTransition):
        transition_fix(fix, Fix.State.IN_PROGRESS, actor=coordinator)


def test_retargeting_a_released_fix_is_refused(release_manager: User) -> None:
    fix = FixFactory.create(state=Fix.State.RELEASED)
    other = ReleaseFactory.create()

    with pytest.raises(RuleViolation):
        set_fix_target_release(fix, other.pk, actor=release_manager)


def test_retargeting_a_fix(release_manager: User) -> None:
    fix = FixFactory.create()
    release = ReleaseFactory.create(state=Release.State.PLANNED)

    set_fix_target_release(fix, release.pk, actor=release_manager)

    fix.refresh_from_db()
    assert fix.target_release == release
