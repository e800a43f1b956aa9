"""The role-by-action matrix, written out so a change of policy is a visible change of this table."""

import pytest
from django.contrib.auth.models import AnonymousUser

from vulndesk.accounts.models import User
from vulndesk.core.permissions import ROLE_PERMISSIONS, Permission, Role, can
from vulndesk.core.tests.factories import FixFactory, ReportFactory, TeamFactory, UserFactory

P = Permission
R, A, E, M, C, D = (
    Role.RESEARCHER,
    Role.ANALYST,
    Role.ENGINEER,
    Role.RELEASE_MANAGER,
    Role.COORDINATOR,
    Role.ADMIN,
)

# permission -> the roles that hold it; every other role must not.
EXPECTED: dict[Permission, set[Role]] = {
    P.REPORT_SUBMIT: {R},
    P.REPORT_VIEW: {R, A, C, D},
    P.REPORT_TRIAGE: {A, C, D},
    P.CASE_VIEW: {A, E, M, C, D},
    P.CASE_MANAGE: {A, C, D},
    P.VULNERABILITY_VIEW: {A, E, M, C, D},
    P.VULNERABILITY_MANAGE: {A, C, D},
    P.FIX_VIEW: {A, E, M, C, D},
    P.FIX_MANAGE: {M, C, D},
    P.FIX_UPDATE: {E, M, C, D},
    P.RELEASE_VIEW: {A, E, M, C, D},
    P.RELEASE_MANAGE: {M, C, D},
    P.ADVISORY_VIEW_DRAFT: {A, E, M, C, D},
    P.ADVISORY_EDIT: {A, C, D},
    P.ADVISORY_APPROVE: {C, D},
    P.ADVISORY_PUBLISH: {M, C, D},
    P.CATALOG_MANAGE: {D},
    P.USER_MANAGE: {D},
    P.AUDIT_VIEW: {C, D},
    P.POLICY_EDIT: {D},
    P.RESPONSE_TEMPLATE_MANAGE: {D},
}


def test_matrix_covers_every_permission() -> None:
    assert set(EXPECTED) == set(Permission)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_role_grants_exactly_the_expected_permissions(role: Role, permission: Permission) -> None:
    user = User(email="someone@example.test", role=role)

    assert can(user, permission) is (role in EXPECTED[permission])


@pytest.mark.parametrize("permission", list(Permission))
def test_anonymous_can_do_nothing(permission: Permission) -> None:
    assert can(AnonymousUser(), permission) is False
    assert can(None, permission) is False


def test_deactivated_user_loses_every_permission() -> None:
    user = User(email="gone@example.test", role=Role.ADMIN, is_active=False)

    assert not any(can(user, permission) for permission in Permission)


def test_every_role_has_an_entry() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_researcher_sees_only_their_own_report(researcher: User, outsider: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    assert can(researcher, P.REPORT_VIEW, report)
    assert not can(outsider, P.REPORT_VIEW, report)
    assert can(analyst, P.REPORT_VIEW, report)


def test_researcher_cannot_triage_even_their_own_report(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    assert not can(researcher, P.REPORT_TRIAGE, report)


def test_engineer_updates_only_their_own_teams_fixes(engineer: User) -> None:
    own_team = TeamFactory.create()
    own_team.members.add(engineer)
    own_fix = FixFactory.create(team=own_team)
    other_fix = FixFactory.create()

    assert can(engineer, P.FIX_UPDATE, own_fix)
    assert not can(engineer, P.FIX_UPDATE, other_fix)
    assert can(engineer, P.FIX_VIEW, other_fix)


def test_release_manager_updates_any_fix(release_manager: User) -> None:
    fix = FixFactory.create()

    assert can(release_manager, P.FIX_UPDATE, fix)


def test_researcher_cannot_view_a_fix_even_with_an_object() -> None:
    researcher = UserFactory.build(role=Role.RESEARCHER)

    assert not can(researcher, P.FIX_VIEW, FixFactory.build())
