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


def acknowledgment(report: Report, *, tracking_token: str = "", subject_may_name_title: bool = True) -> tuple[str, str]:
    """The acknowledgment's subject and body: the reference, the response target, where to follow the report.

    A subject travels unencrypted even when the body is encrypted, so an encrypted mail's subject
    names only the reference (`subject_may_name_title=False`).
    """
    context = {
        "report": report,
        "organization_name": settings.ORGANIZATION_NAME,
        "response_target_hours": settings.INTAKE_RESPONSE_TARGET_HOURS,
        "report_url": f"{settings.BASE_URL}/reports/{report.pk}/",
        "policy_url": f"{settings.BASE_URL}/policy/",
        "tracking_url": tracking_url(tracking_token) if tracking_token else "",
    }
    title = f": {report.title}" if subject_may_name_title else ""
    return f"[{report.reference}] We received your report{title}", render_to_string(
        "intake/acknowledgment_email.txt", context
    )


def send_anonymous_acknowledgment(report: Report, *, recipient: str, tracking_token: str) -> None:
    """Mail an anonymous reporter the acknowledgment with their tracking link, straight away.

    Account holders' acknowledgments go through messaging's outbox (retried until delivered);
    this one cannot: it carries the tracking link's secret, which is stored nowhere, the outbox
    included. The reporter saw the link on the acknowledgment page already; a failure is logged
    and never undoes the report.
    """
    subject, body = acknowledgment(report, tracking_token=tracking_token)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "vulndesk.invalid"
    message = EmailMessage(
        subject=subject,
        body=body,
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
    except OSError:  # SMTPException is an OSError
        logger.exception("Could not send the acknowledgment for %s", report.reference)
