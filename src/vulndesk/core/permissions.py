"""Who may do what: one Permission enum, one role table, one `can` function.

Role grants say what a role may do at all; object rules (a model's `permits` method) narrow
it per object, e.g. a researcher may view a report only when it is their own.
"""

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from vulndesk.accounts.models import User


class Role(models.TextChoices):
    RESEARCHER = "researcher", "Researcher"
    ANALYST = "analyst", "Analyst"
    ENGINEER = "engineer", "Engineer"
    RELEASE_MANAGER = "release_manager", "Release manager"
    COORDINATOR = "coordinator", "Coordinator"
    ADMIN = "admin", "Administrator"
    # Someone at an outside organization invited to a case (another vendor, a CERT): sees only that
    # case's shared part, through messaging's partner selectors; no role-wide permission at all.
    PARTNER = "partner", "Partner"


STAFF_ROLES = frozenset({Role.ANALYST, Role.ENGINEER, Role.RELEASE_MANAGER, Role.COORDINATOR, Role.ADMIN})


class Permission(StrEnum):
    REPORT_SUBMIT = "report:submit"
    REPORT_VIEW = "report:view"
    REPORT_TRIAGE = "report:triage"
    CASE_VIEW = "case:view"
    CASE_MANAGE = "case:manage"
    VULNERABILITY_VIEW = "vulnerability:view"
    VULNERABILITY_MANAGE = "vulnerability:manage"
    FIX_VIEW = "fix:view"
    FIX_MANAGE = "fix:manage"
    FIX_UPDATE = "fix:update"
    RELEASE_VIEW = "release:view"
    RELEASE_MANAGE = "release:manage"
    ADVISORY_VIEW_DRAFT = "advisory:view_draft"
    ADVISORY_EDIT = "advisory:edit"
    ADVISORY_APPROVE = "advisory:approve"
    ADVISORY_PUBLISH = "advisory:publish"
    CATALOG_MANAGE = "catalog:manage"
    USER_MANAGE = "user:manage"
    AUDIT_VIEW = "audit:view"
    POLICY_EDIT = "policy:edit"  # the public disclosure policy
    RESPONSE_TEMPLATE_MANAGE = "response_template:manage"  # canned responses, automatic messages


P = Permission
_STAFF_READ = {P.CASE_VIEW, P.VULNERABILITY_VIEW, P.FIX_VIEW, P.RELEASE_VIEW, P.ADVISORY_VIEW_DRAFT}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # A researcher submits and follows their own reports; nothing internal.
    Role.RESEARCHER: frozenset({P.REPORT_SUBMIT, P.REPORT_VIEW}),
    Role.ANALYST: frozenset(
        _STAFF_READ | {P.REPORT_VIEW, P.REPORT_TRIAGE, P.CASE_MANAGE, P.VULNERABILITY_MANAGE, P.ADVISORY_EDIT}
    ),
    # Engineers work on fixes for their own teams; raw researcher reports stay with the PSIRT.
    Role.ENGINEER: frozenset(_STAFF_READ | {P.FIX_UPDATE}),
    Role.RELEASE_MANAGER: frozenset(_STAFF_READ | {P.FIX_MANAGE, P.FIX_UPDATE, P.RELEASE_MANAGE, P.ADVISORY_PUBLISH}),
    Role.COORDINATOR: frozenset(
        _STAFF_READ
        | {
            P.REPORT_VIEW,
            P.REPORT_TRIAGE,
            P.CASE_MANAGE,
            P.VULNERABILITY_MANAGE,
            P.FIX_MANAGE,
            P.FIX_UPDATE,
            P.RELEASE_MANAGE,
            P.ADVISORY_EDIT,
            P.ADVISORY_APPROVE,
            P.ADVISORY_PUBLISH,
            P.AUDIT_VIEW,
        }
    ),
    Role.ADMIN: frozenset(Permission) - {P.REPORT_SUBMIT},
    Role.PARTNER: frozenset(),
}


class GuardedObject(Protocol):
    def permits(self, user: "User", permission: Permission) -> bool: ...


def role_of(user: "User | AnonymousUser | None") -> Role | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Role(user.role)


def can(user: "User | AnonymousUser | None", permission: Permission, obj: Any = None) -> bool:
    """True when `user`'s role grants `permission` and `obj` (if given) does not refuse it."""
    role = role_of(user)
    if role is None or permission not in ROLE_PERMISSIONS[role]:
        return False
    permits = getattr(obj, "permits", None)
    if permits is None:
        return True
    return bool(permits(user, permission))


def is_staff_role(user: "User | AnonymousUser | None") -> bool:
    return role_of(user) in STAFF_ROLES
