"""Which channels of which thread a person may read and write.

This is the one place that decides it; selectors filter with `readable_channels` and services
check `may_post`, so a page or endpoint cannot show a channel by forgetting an `if`.
"""

from dataclasses import dataclass

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Permission, can, is_staff_role
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel
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


def readable_channels(user: User, thread: Thread) -> frozenset[str]:
    """The channels of `thread` that `user` may read; empty when they may not see the thread at all."""
    if thread.report is not None:
        if not can(user, Permission.REPORT_VIEW, thread.report):
            return frozenset()
        if sees_report_internals(user):
            return frozenset({Channel.RESEARCHER, Channel.INTERNAL})
        return frozenset({Channel.RESEARCHER})
    if not can(user, Permission.CASE_VIEW, thread.case):
        return frozenset()
    # Case notes are for everyone working the case; its reports' researcher threads only for
    # those who read reports (engineers work from the case, not from raw reports).
    if sees_report_internals(user):
        return frozenset({Channel.RESEARCHER, Channel.INTERNAL})
    return frozenset({Channel.INTERNAL})


def writable_channels(user: User, thread: Thread) -> frozenset[str]:
    """The channels of `thread` that `user` may post in."""
    readable = readable_channels(user, thread)
    if thread.case is not None:
        # A case's researcher threads are its reports' threads; one writes to them on the report.
        return readable & {Channel.INTERNAL}
    writable = set(readable & {Channel.INTERNAL})
    if Channel.RESEARCHER in readable and (
        can(user, Permission.REPORT_TRIAGE, thread.report) or thread.report.researcher_id == user.pk  # type: ignore[union-attr]
    ):
        writable.add(Channel.RESEARCHER)
    return frozenset(writable)


def sees_outbox(user: User) -> bool:
    """The outbox holds researcher-thread mail, so it is for those who read reports."""
    return sees_report_internals(user)
