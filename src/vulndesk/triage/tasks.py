"""Background work of triage."""

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from vulndesk.intake.models import Report
from vulndesk.triage import sla


@task()
def notify_researcher_of_status(report_id: int, state: str) -> None:
    """Tell the researcher their report's public status changed.

    Takes the state it was enqueued for, so a retry after a later change does not
    announce a status twice or out of order.
    """
    report = Report.objects.select_related("researcher").filter(pk=report_id).first()
    if report is None or report.state != state:
        return
    send_mail(
        subject=f"[{report.reference}] {report.researcher_status}",
        message=(
            f"Your report {report.reference} ({report.title}) is now: {report.researcher_status}.\n\n"
            f"Follow it at {settings.BASE_URL}/reports/{report.pk}/\n\n"
            f"— {settings.ORGANIZATION_NAME}"
        ),
        from_email=None,
        recipient_list=[report.researcher.email],
    )


@task()
def warn_before_breaches() -> int:
    """Warn owners of clocks at risk or breached; idempotent (see triage.sla).

    Scheduled from outside, as the database task backend has no scheduler: run
    `vulndesk triage warn-breaches` every 15 minutes from cron or a systemd timer, or enqueue
    this task from one. Returns the number of warnings sent.
    """
    return len(sla.warn_before_breaches())
