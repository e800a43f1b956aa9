"""Mail to researchers about their reports."""

import logging
import secrets

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from vulndesk.intake.models import Report

logger = logging.getLogger(__name__)


def tracking_url(token: str) -> str:
    return f"{settings.BASE_URL}/reports/track/{token}/"


def thread_id(report: Report) -> str:
    """The Message-ID every mail about `report` refers to (References), so replies find their report.

    The messaging app's inbound router reads the same form (<vulndesk.report.N@domain>).
    """
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "vulndesk.invalid"
    return f"<vulndesk.report.{report.pk}@{domain}>"


def send_acknowledgment(report: Report, *, recipient: str, tracking_token: str = "") -> None:
    """Mail the acknowledgment. A mail failure is logged, never lost silently, and never undoes the report."""
    context = {
        "report": report,
        "organization_name": settings.ORGANIZATION_NAME,
        "response_target_hours": settings.INTAKE_RESPONSE_TARGET_HOURS,
        "report_url": f"{settings.BASE_URL}/reports/{report.pk}/",
        "policy_url": f"{settings.BASE_URL}/policy/",
        "tracking_url": tracking_url(tracking_token) if tracking_token else "",
    }
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "vulndesk.invalid"
    message = EmailMessage(
        subject=f"[{report.reference}] We received your report: {report.title}",
        body=render_to_string("intake/acknowledgment_email.txt", context),
        to=[recipient],
        headers={
            # Starts like the thread id, so a reply naming only this mail (In-Reply-To, no
            # References) still finds its report in messaging's inbound router.
            "Message-ID": f"<vulndesk.report.{report.pk}.ack.{secrets.token_hex(8)}@{domain}>",
            "References": thread_id(report),
        },
    )
    try:
        message.send()
    except OSError:  # SMTPException is an OSError; the report is saved, the staff page shows it anyway
        logger.exception("Could not send the acknowledgment for %s", report.reference)
