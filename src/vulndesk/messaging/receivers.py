"""messaging's answers to what intake does but cannot tell messaging by a call (intake comes first).

Connected in `MessagingConfig.ready`; see docs/decisions/0006 ("Who calls messaging").
"""

from typing import Any

from vulndesk.intake.models import Report
from vulndesk.messaging.outbox import queue_acknowledgment


def report_submitted(sender: type[Report], *, report: Report, **kwargs: Any) -> None:
    # In intake's transaction: the acknowledgment is in the outbox exactly when the report is saved.
    queue_acknowledgment(report)
