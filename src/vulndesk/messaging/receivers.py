"""messaging's answers to what intake does but cannot tell messaging by a call (intake comes first).

Connected in `MessagingConfig.ready`; see docs/decisions/0006 ("Who calls messaging").
"""

from typing import Any

from vulndesk.core.tasks import enqueue_with_transaction
from vulndesk.intake.models import Report
from vulndesk.messaging.tasks import acknowledge_report


def report_submitted(sender: type[Report], *, report: Report, **kwargs: Any) -> None:
    # A task row rather than the mail itself: one insert in the submission's transaction, and the
    # worker writes the outbox row (anonymous reporters' acknowledgments intake mails itself).
    if not report.is_anonymous:
        enqueue_with_transaction(acknowledge_report, report.pk)
