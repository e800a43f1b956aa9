"""Mail to researchers about their reports."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from vulndesk.intake.models import Report

logger = logging.getLogger(__name__)


def tracking_url(token: str) -> str:
    return f"{settings.BASE_URL}/reports/track/{token}/"


def send_acknowledgment(report: Report, *, recipient: str, tracking_token: str = "") -> None:
    """Mail the acknowledgment. A mail failure is logged, never lost silently, and never undoes the report."""
    context = {
        "report": report,
        "organization_name": settings.ORGANIZATION_NAME,
        "response_target_hours": settings.INTAKE_RESPONSE_TARGET_HOURS,
        "report_url": f"{settings.BASE_URL}/reports/{report.pk}/",
        "tracking_url": tracking_url(tracking_token) if tracking_token else "",
    }
    try:
        send_mail(
            subject=f"[{report.reference}] We received your report: {report.title}",
            message=render_to_string("intake/acknowledgment_email.txt", context),
            from_email=None,
            recipient_list=[recipient],
        )
    except OSError:  # SMTPException is an OSError; the report is saved, the staff page shows it anyway
        logger.exception("Could not send the acknowledgment for %s", report.reference)
