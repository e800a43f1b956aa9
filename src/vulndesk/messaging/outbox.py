"""Outbound mail: written to the outbox table first, delivered by a task, retried, never lost.

`queue_mail` stores the mail and its delivery task (in the same transaction with the database
task backend, after commit with any other). `deliver_outbound_mail`
claims the row, talks to the mail server outside any transaction, and records the outcome:
sent; bounced (the server refused the address for good, which marks the address); or, for
anything temporary (server down, timeout), queued again with exponential backoff until
MAX_ATTEMPTS, then failed. Staff see every row's status and can send a failed one again.
"""

import datetime as dt
import logging
import secrets
import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import record_event
from vulndesk.core.tasks import enqueue_with_transaction
from vulndesk.intake.models import Report
from vulndesk.intake.notifications import acknowledgment
from vulndesk.messaging.models import Channel, MailAddress, MailPreference, Message, OutboundMail
from vulndesk.messaging.openpgp import OpenPgpError, encrypt

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # about 5 hours of retries with the backoff below
CLAIM_DURATION = dt.timedelta(minutes=5)
_REPLY_SALT = "vulndesk.messaging.reply-address"


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after each failed attempt, at most an hour."""
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def _mail_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1]


def report_thread_id(report: Report) -> str:
    """The Message-ID every mail about `report` refers to, so mail clients keep one thread."""
    return f"vulndesk.report.{report.pk}@{_mail_domain()}"


def _reply_signature(report_id: int) -> str:
    return salted_hmac(_REPLY_SALT, str(report_id)).hexdigest()[:12]


def reply_address(report: Report) -> str:
    """security+r<id>-<signature>@domain: replies to it land in the report's thread.

    The signature stops anyone from writing into a report's thread by guessing its number.
    """
    local, _, domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")
    return f"{local}+r{report.pk}-{_reply_signature(report.pk)}@{domain}"


def report_id_from_reply_address(address: str) -> int | None:
    """The report a reply address names, when its signature is right; None otherwise."""
    local = address.strip().strip("<>").rsplit("@", 1)[0]
    _, _, tag = local.partition("+r")
    number, _, signature = tag.partition("-")
    if not number.isdigit() or not constant_time_compare(signature, _reply_signature(int(number))):
        return None
    return int(number)


def researcher_address(report: Report) -> str:
    """Where mail about `report` goes (an anonymous reporter may have left a contact address or none)."""
    address = getattr(report, "reply_address", None)  # intake's contact rules, where that model has them
    return str(address) if address is not None else report.researcher.email


def queue_mail(
    *,
    to: str,
    subject: str,
    body: str,
    report: Report | None = None,
    thread_message: Message | None = None,
    openpgp_key: str = "",
) -> OutboundMail:
    """Store one mail in the outbox; a task delivers it once the transaction commits.

    Mail to an address that bounced before is stored as bounced and not sent; mail that should
    be encrypted but cannot be is stored as failed with the reason, never sent in clear.
    """
    now = timezone.now()
    mail = OutboundMail(
        to_address=to,
        subject=subject,
        body=body,
        report=report,
        thread_message=thread_message,
        message_id=make_msgid(idstring=secrets.token_hex(4), domain=_mail_domain()).strip("<>"),
        next_attempt_at=now,
    )
    if report is not None:
        mail.in_reply_to = mail.references = report_thread_id(report)
        mail.reply_to_address = reply_address(report)
    if openpgp_key:
        try:
            mail.body, mail.is_encrypted = encrypt(body, openpgp_key), True
        except OpenPgpError as error:
            mail.status, mail.last_error = OutboundMail.Status.FAILED, f"Not sent, to avoid sending in clear: {error}"
    bounced = MailAddress.objects.filter(email__iexact=to, bounced_at__isnull=False).first()
    if bounced is not None and mail.status == OutboundMail.Status.QUEUED:
        mail.status = OutboundMail.Status.BOUNCED
        mail.last_error = f"Not sent: {to} bounced on {bounced.bounced_at:%Y-%m-%d} ({bounced.bounce_reason})."
    mail.save()
    if mail.status == OutboundMail.Status.QUEUED:
        _enqueue_delivery(mail.pk)
    return mail


def _enqueue_delivery(mail_id: int, *, run_after: dt.datetime | None = None) -> None:
    from vulndesk.messaging.tasks import deliver_mail  # noqa: PLC0415  # tasks.py imports this module

    # Without deferral (the immediate backend) a retry waits for `send_due_mail`.
    enqueue_with_transaction(deliver_mail, mail_id, run_after=run_after)


def queue_acknowledgment(report: Report) -> OutboundMail | None:
    """Queue intake's acknowledgment of a report filed from an account, unless its researcher opted out.

    Anonymous reporters' acknowledgments carry their tracking secret and are mailed by intake
    directly (`send_anonymous_acknowledgment`), so the secret is stored nowhere.
    """
    preference = MailPreference.objects.filter(user_id=report.researcher_id).first()
    if report.is_anonymous or (preference is not None and preference.is_report_mail_off):
        return None
    key = preference.openpgp_public_key if preference is not None else ""
    subject, body = acknowledgment(report, subject_may_name_title=not key)
    return queue_mail(to=report.researcher.email, subject=subject, body=body, report=report, openpgp_key=key)


def mail_researcher(message: Message) -> OutboundMail | None:
    """Email a researcher-thread message to the report's researcher, unless it is theirs or they opted out."""
    report = message.report
    if message.channel != Channel.RESEARCHER or report is None or message.author_id == report.researcher_id:
        return None
    address = researcher_address(report)
    preference = MailPreference.objects.filter(user_id=report.researcher_id).first()
    if not address or (preference is not None and preference.is_report_mail_off):
        return None
    url = f"{settings.BASE_URL}{reverse('report_detail', args=[report.pk])}"
    sender = (
        settings.ORGANIZATION_NAME if message.author is None else f"{message.author} ({settings.ORGANIZATION_NAME})"
    )
    # Files are linked, not attached: a download checks who asks, a mail attachment would not
    # (and a forwarded mail would carry it on).
    # An anonymous reporter cannot sign in: their files are on the page of the tracking link we
    # mailed them once (the link's secret is not stored, so it cannot be repeated here).
    anonymous = report.is_anonymous
    files = "".join(
        f"\n- {attachment.original_name} ({attachment.size:,} bytes, SHA-256 {attachment.sha256})"
        + (
            ""
            if anonymous
            else f": {settings.BASE_URL}{reverse('message_attachment', args=[message.pk, attachment.pk])}"
        )
        for attachment in message.attachments.all()
    )
    where = "open the tracking link from our first email to download them" if anonymous else "sign in to download"
    files = f"Files ({where}):{files}\n\n" if files else ""
    body = (
        f"{sender} wrote on your report {report.reference}:\n\n{message.body}\n\n{files}"
        f"-- \nReply to this email, or on {url}\n"
        f"Your reply reaches the security team only. To stop these emails, change your mail settings at "
        f"{settings.BASE_URL}{reverse('mail_preferences')}\n"
    )
    key = preference.openpgp_public_key if preference is not None else ""
    # An event's first line says what happened ("Status changed to In review."); but the
    # subject travels unencrypted even in an encrypted mail, so then it names only the reference.
    headline = message.body.splitlines()[0].replace("**", "")[:150] if message.is_event else ""
    subject = f"[{report.reference}] {headline if headline and not key else 'New message on your report'}"
    return queue_mail(to=address, subject=subject, body=body, report=report, thread_message=message, openpgp_key=key)


def _claim(mail_id: int, now: dt.datetime) -> OutboundMail | None:
    with transaction.atomic():
        mail = OutboundMail.objects.select_for_update().filter(pk=mail_id).first()
        if (
            mail is None
            or mail.status != OutboundMail.Status.QUEUED
            or mail.next_attempt_at > now
            or (mail.claimed_until is not None and mail.claimed_until > now)
        ):
            return None
        mail.claimed_until, mail.attempts = now + CLAIM_DURATION, mail.attempts + 1
        mail.save(update_fields=["claimed_until", "attempts"])
        return mail


def _email(mail: OutboundMail) -> EmailMessage:
    headers = {"Message-ID": f"<{mail.message_id}>", "Auto-Submitted": "auto-generated"}
    if mail.in_reply_to:
        headers |= {"In-Reply-To": f"<{mail.in_reply_to}>", "References": f"<{mail.references}>"}
    return EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=f"{settings.ORGANIZATION_NAME} <{settings.DEFAULT_FROM_EMAIL}>",
        to=[mail.to_address],
        reply_to=[mail.reply_to_address] if mail.reply_to_address else None,
        headers=headers,
    )


def _is_permanent_refusal(error: Exception) -> bool:
    """The server refused the recipient for good (5xx on RCPT), as opposed to being unreachable or busy."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        500 <= code < 600 for code, _ in error.recipients.values()
    )


def deliver_outbound_mail(mail_id: int, *, now: dt.datetime | None = None) -> OutboundMail | None:
    """Try to send one queued mail that is due; None when there was nothing to do."""
    now = now or timezone.now()
    mail = _claim(mail_id, now)
    if mail is None:
        return None
    try:
        get_connection(fail_silently=False).send_messages([_email(mail)])
    except (smtplib.SMTPException, OSError) as error:
        return _record_failure(mail, error, now)
    mail.status, mail.sent_at, mail.claimed_until, mail.last_error = OutboundMail.Status.SENT, now, None, ""
    mail.save(update_fields=["status", "sent_at", "claimed_until", "last_error"])
    return mail


def _record_failure(mail: OutboundMail, error: Exception, now: dt.datetime) -> OutboundMail:
    reason = f"{type(error).__name__}: {error}"[:2000]
    mail.claimed_until, mail.last_error = None, reason
    if _is_permanent_refusal(error):
        mail.status = OutboundMail.Status.BOUNCED
        mail.save(update_fields=["status", "claimed_until", "last_error"])
        record_bounce(mail.to_address, reason=reason)
        return mail
    if mail.attempts >= MAX_ATTEMPTS:
        mail.status = OutboundMail.Status.FAILED
        logger.error(
            "Giving up on mail %s to %s after %s attempts: %s", mail.pk, mail.to_address, mail.attempts, reason
        )
    else:
        mail.next_attempt_at = now + retry_delay(mail.attempts)
        logger.warning(
            "Mail %s to %s not sent (%s); retrying at %s", mail.pk, mail.to_address, reason, mail.next_attempt_at
        )
    mail.save(update_fields=["status", "claimed_until", "last_error", "next_attempt_at"])
    if mail.status == OutboundMail.Status.QUEUED:
        _enqueue_delivery(mail.pk, run_after=mail.next_attempt_at)
    return mail


@transaction.atomic
def record_bounce(address: str, *, reason: str) -> MailAddress:
    """Mark `address` as bouncing (from an SMTP refusal or a bounce report) and hold mail queued to it."""
    entry, _ = MailAddress.objects.get_or_create(email=address.lower())
    entry.bounced_at, entry.bounce_reason = timezone.now(), reason[:2000]
    entry.save(update_fields=["bounced_at", "bounce_reason"])
    OutboundMail.objects.filter(to_address__iexact=address, status=OutboundMail.Status.QUEUED).update(
        status=OutboundMail.Status.BOUNCED, last_error=f"Not sent: the address bounced ({reason[:200]})."
    )
    record_event(entry, tag="mail:bounced", actor=None, rationale=reason[:2000])
    return entry


@transaction.atomic
def clear_bounce(entry: MailAddress, *, actor: User) -> MailAddress:
    """Staff confirmed the address works again (or was corrected): mail may go to it again."""
    entry.bounced_at, entry.bounce_reason = None, ""
    entry.save(update_fields=["bounced_at", "bounce_reason"])
    record_event(entry, tag="mail:bounce_cleared", actor=actor)
    return entry


@transaction.atomic
def resend_mail(mail: OutboundMail, *, actor: User) -> OutboundMail:
    """Put a failed or bounced mail back in the queue (after the cause was fixed)."""
    mail = OutboundMail.objects.select_for_update().get(pk=mail.pk)
    if mail.status not in {OutboundMail.Status.FAILED, OutboundMail.Status.BOUNCED}:
        raise RuleViolation(f"This mail is {mail.get_status_display().lower()}; only failed or bounced mail is resent.")
    if MailAddress.objects.filter(email__iexact=mail.to_address, bounced_at__isnull=False).exists():
        raise RuleViolation(f"{mail.to_address} is marked as bouncing; clear the bounce first if it works again.")
    mail.status, mail.attempts, mail.next_attempt_at, mail.claimed_until = (
        OutboundMail.Status.QUEUED,
        0,
        timezone.now(),
        None,
    )
    mail.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_until"])
    record_event(mail, tag="mail:resent", actor=actor)
    _enqueue_delivery(mail.pk)
    return mail


def due_mail_ids(now: dt.datetime | None = None, *, overdue_by: dt.timedelta = dt.timedelta(0)) -> list[int]:
    """Queued mail whose next attempt is due and that no live worker holds (including a crashed worker's).

    `overdue_by` picks only mail due for at least that long: mail whose own task should
    already have run and evidently did not (a worker died, a task row was lost).
    """
    now = now or timezone.now()
    due = OutboundMail.objects.filter(status=OutboundMail.Status.QUEUED, next_attempt_at__lte=now - overdue_by).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )
    return list(due.order_by("next_attempt_at", "id").values_list("id", flat=True))


def send_due_mail(now: dt.datetime | None = None) -> list[OutboundMail]:
    """Deliver every due mail now, in this process (`vulndesk outbox send`, the worker's sweep)."""
    results = [deliver_outbound_mail(mail_id, now=now) for mail_id in due_mail_ids(now)]
    return [mail for mail in results if mail is not None]
