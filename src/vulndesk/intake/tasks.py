"""Background work of intake."""

from django_tasks import task

from vulndesk.intake.models import Report
from vulndesk.intake.notifications import send_acknowledgment


@task()
def acknowledge_report(report_id: int) -> None:
    """Mail a researcher's acknowledgment for a report filed from their account."""
    report = Report.objects.select_related("researcher").filter(pk=report_id).first()
    if report is None or report.is_anonymous:
        return
    send_acknowledgment(report, recipient=report.researcher.email)
