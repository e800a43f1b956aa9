"""scoring's answers to what triage does but cannot tell scoring by a call (dependencies run one way).

Connected in `ScoringConfig.ready`; see docs/scoring.md ("Reports" and "Priority").
"""

from typing import Any

from django.db import transaction

from vulndesk.intake.models import Report
from vulndesk.scoring.models import BugBarRule
from vulndesk.scoring.services import forget_cached_bug_bar, set_joined_report_priority, set_new_report_priority
from vulndesk.scoring.tasks import refresh_priority_explanations
from vulndesk.triage.models import CaseReport, SlaClock, SlaTarget


def report_joined_case(sender: type[CaseReport], *, link: CaseReport, **kwargs: Any) -> None:
    # In triage's transaction: the report has its priority as soon as the link is committed.
    set_joined_report_priority(link)


def report_prepared(sender: type[Report], *, report: Report, **kwargs: Any) -> None:
    # Before intake saves it: a new report enters the queue already ordered by its preliminary priority.
    set_new_report_priority(report)


def fix_target_changed(sender: type[SlaTarget], *, instance: SlaTarget, **kwargs: Any) -> None:
    # Every stored explanation names its fix target; recomputing them all is for the worker.
    if instance.clock == SlaClock.FIX:
        transaction.on_commit(refresh_priority_explanations.enqueue)


def bug_bar_changed(sender: type[BugBarRule], **kwargs: Any) -> None:
    # Saved or deleted anywhere (the admin included): submissions must not keep using the cached rules.
    forget_cached_bug_bar()
