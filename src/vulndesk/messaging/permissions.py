"""Which channels of which thread a person may read and write.

This is the one place that decides it; selectors filter with `readable_channels` and services
check `may_post`, so a page or endpoint cannot show a channel by forgetting an `if`.
"""

from dataclasses import dataclass

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Permission, Role, can, is_staff_role, role_of
from vulndesk.intake.models import Report
from vulndesk.messaging.models import CasePartner, Channel, PartnerOrganization
from vulndesk.triage.models import Case


@dataclass(frozen=True)
class Thread:
    """A report's or a case's conversation; exactly one of the two is set."""

    report: Report | None = None
    case: Case | None = None

    def __post_init__(self) -> None:
        if (self.report is None) == (self.case is None):
            raise ValueError("A thread belongs to exactly one report or one case.")

    @property
    def reference(self) -> str:
        return self.report.reference if self.report is not None else self.case.reference  # type: ignore[union-attr]


def sees_report_internals(user: User) -> bool:
    """PSIRT staff who read researchers' reports (analysts, coordinators, admins), not engineers."""
    return is_staff_role(user) and can(user, Permission.REPORT_VIEW)


def partner_organization_of(user: User) -> PartnerOrganization | None:
    """The organization of a partner-role account; None for everyone else (and for a partner without one)."""
    if role_of(user) != Role.PARTNER:
        return None
    membership = getattr(user, "partner_membership", None)
    return membership.organization if membership is not None else None


def partner_on_case(user: User, case: Case) -> CasePartner | None:
    """The invitation that lets a partner-role `user` into `case`, while it lasts."""
    organization = partner_organization_of(user)
    if organization is None:
        return None
    return CasePartner.objects.filter(case=case, organization=organization, removed_at__isnull=True).first()


def readable_channels(user: User, thread: Thread) -> frozenset[str]:
    """The channels of `thread` that `user` may read; empty when they may not see the thread at all.

    A partner reads only the partner channel, and of it only their own organization's part
    (selectors add that filter); staff read every organization's.
    """
    if thread.report is not None:
        return _report_channels(user, thread.report)
    case = thread.case
    if role_of(user) == Role.PARTNER:
        return frozenset({Channel.PARTNER}) if case is not None and partner_on_case(user, case) else frozenset()
    if not can(user, Permission.CASE_VIEW, case):
        return frozenset()
    # Case notes and partner channels are for everyone working the case; its reports' researcher
    # threads only for those who read reports (engineers work from the case, not from raw reports).
    if sees_report_internals(user):
        return frozenset({Channel.RESEARCHER, Channel.INTERNAL, Channel.PARTNER})
    return frozenset({Channel.INTERNAL, Channel.PARTNER})


def _report_channels(user: User, report: Report) -> frozenset[str]:
    if not can(user, Permission.REPORT_VIEW, report):
        return frozenset()
    if sees_report_internals(user):
        return frozenset({Channel.RESEARCHER, Channel.INTERNAL})
    return frozenset({Channel.RESEARCHER})


def writable_channels(user: User, thread: Thread) -> frozenset[str]:
    """The channels of `thread` that `user` may post in."""
    readable = readable_channels(user, thread)
    if thread.case is not None:
        # A case's researcher threads are its reports' threads; one writes to them on the report.
        # Partners write in their channel; of staff, those who manage the case speak for the PSIRT.
        if role_of(user) == Role.PARTNER:
            return readable
        partner = {Channel.PARTNER} if can(user, Permission.CASE_MANAGE, thread.case) else set()
        return readable & ({Channel.INTERNAL} | partner)
    writable = set(readable & {Channel.INTERNAL})
    if Channel.RESEARCHER in readable and (
        can(user, Permission.REPORT_TRIAGE, thread.report) or thread.report.researcher_id == user.pk  # type: ignore[union-attr]
    ):
        writable.add(Channel.RESEARCHER)
    return frozenset(writable)


def sees_outbox(user: User) -> bool:
    """The outbox holds researcher-thread mail, so it is for those who read reports."""
    return sees_report_internals(user)
