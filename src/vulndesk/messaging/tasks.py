"""Background work of messaging: delivering the outbox, acknowledging new reports."""

from django_tasks import task

from vulndesk.intake.models import Report
from vulndesk.messaging.outbox import CLAIM_DURATION, deliver_outbound_mail, due_mail_ids, queue_acknowledgment


@task()
def acknowledge_report(report_id: int) -> None:
    """Put a new report's acknowledgment in the outbox, which delivers it like every mail."""
    report = Report.objects.select_related("researcher").filter(pk=report_id).first()
    if report is not None:
        queue_acknowledgment(report)


@task()
def deliver_mail(mail_id: int) -> None:
    """Send one outbox mail if it is still queued and due; idempotent, so a duplicate enqueue is harmless.

    Also enqueues mail that has been due for a while without being sent (its worker died
    mid-send, or its task was lost), so every delivery doubles as a sweep for orphans.
    """
    deliver_outbound_mail(mail_id)
    for overdue_id in due_mail_ids(overdue_by=CLAIM_DURATION):
        if overdue_id != mail_id:
            deliver_mail.enqueue(overdue_id)
