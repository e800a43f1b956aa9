"""Replies by email: into the right thread when vulndesk is sure who wrote, else to staff.

The mail intake (`vulndesk mail ingest`, intake app) hands every inbound message to
`route_inbound_email` first. A reply names its report by the signed per-report reply
address (security+r12-<signature>@…) or by the thread's Message-ID in In-Reply-To or
References; it is posted in the researcher thread only when it comes from the address the
report's mail goes to. Anything else that names a report is quarantined for staff, never
attached blindly. Delivery-status reports (bounces) mark the address. Mail that names no
report is not a reply: the intake treats it as a new report.
"""

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.message import Message as EmailMessageBase
from email.utils import getaddresses, parseaddr

import nh3
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import record_event
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, Message, QuarantinedMail
from vulndesk.messaging.outbox import record_bounce, report_id_from_reply_address, researcher_address
from vulndesk.messaging.permissions import Thread
from vulndesk.messaging.services import post_message

# The thread id <vulndesk.report.12@…>, or a mail of that thread such as intake's
# acknowledgment <vulndesk.report.12.ack.…@…>, which a client may name alone in In-Reply-To.
_THREAD_ID = re.compile(r"<vulndesk\.report\.(\d+)[@.][^>]*>")
# "On Tue, 3 Mar 2026 at 10:00, PSIRT <security@…> wrote:" and common variants.
_QUOTE_HEADER = re.compile(r"^(On .+wrote:|-----Original Message-----|From: .+)$", re.IGNORECASE)
_OUR_FOOTER = "-- \nReply to this email, or on "


@dataclass(frozen=True)
class Routed:
    """What became of one inbound message; exactly one of the three is set, or none (not a reply)."""

    message: Message | None = None
    quarantined: QuarantinedMail | None = None
    bounced_address: str | None = None


def _text_body(mail: EmailMessage) -> str:
    """The message's readable text: the plain part, else the HTML part reduced to text."""
    part = mail.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    payload = part.get_payload(decode=True)
    text = payload.decode(part.get_content_charset() or "utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if part.get_content_type() == "text/html":
        text = nh3.clean(re.sub(r"(?i)<br\s*/?>|</p>", "\n", text), tags=set())
    return text.replace("\r\n", "\n")


def strip_quoted_reply(text: str) -> str:
    """The new part of a reply: up to the quoted earlier mail or vulndesk's own footer."""
    text = text.split(_OUR_FOOTER, 1)[0]
    kept: list[str] = []
    for line in text.split("\n"):
        if _QUOTE_HEADER.match(line.strip()) or line.startswith(">"):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _named_report_id(mail: EmailMessage) -> int | None:
    recipients = getaddresses(mail.get_all("To", []) + mail.get_all("Cc", []) + mail.get_all("Delivered-To", []))
    for _, address in recipients:
        report_id = report_id_from_reply_address(address)
        if report_id is not None:
            return report_id
    for header in ("In-Reply-To", "References"):
        match = _THREAD_ID.search(str(mail.get(header, "")))
        if match:
            return int(match.group(1))
    return None


def _failed_recipients(mail: EmailMessage) -> list[tuple[str, str]]:
    """(address, diagnostic) for each permanently failed recipient of an RFC 3464 delivery report."""
    if mail.get_content_type() != "multipart/report" or mail.get_param("report-type") != "delivery-status":
        return []
    failed: list[tuple[str, str]] = []
    for part in mail.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for fields in part.get_payload():
            if isinstance(fields, EmailMessageBase) and str(fields.get("Action", "")).lower() == "failed":
                recipient = str(fields.get("Final-Recipient", "")).split(";", 1)[-1].strip()
                diagnostic = str(fields.get("Diagnostic-Code", fields.get("Status", "")))
                if recipient:
                    failed.append((recipient, diagnostic))
    return failed


def route_inbound_email(mail: EmailMessage) -> Routed:
    """Post, quarantine or record one inbound message; `Routed()` when it is not a reply at all.

    Parse the raw mail with `email.message_from_bytes(raw, policy=email.policy.default)`.
    """
    failed = _failed_recipients(mail)
    if failed:
        for address, diagnostic in failed:
            record_bounce(address, reason=diagnostic or "delivery failed (bounce report)")
        return Routed(bounced_address=failed[0][0])
    report_id = _named_report_id(mail)
    if report_id is None:
        return Routed()
    report = Report.objects.select_related("researcher").filter(pk=report_id).first()
    if report is None:
        return Routed(
            quarantined=_quarantine(None, mail, reason=f"It names report VD-R{report_id}, which does not exist.")
        )
    return receive_email_reply(report, mail)


def receive_email_reply(report: Report, mail: EmailMessage) -> Routed:
    """Post a reply by email into `report`'s researcher thread, or quarantine it with the reason."""
    _, sender = parseaddr(str(mail.get("From", "")))
    expected = researcher_address(report)
    if not expected or sender.lower() != expected.lower():
        return Routed(
            quarantined=_quarantine(
                report, mail, reason=f"The sender {sender or '(none)'} is not the address this report's mail goes to."
            )
        )
    body = strip_quoted_reply(_text_body(mail))
    files = _attached_files(mail)
    if "-----BEGIN PGP MESSAGE-----" in body:
        return Routed(
            quarantined=_quarantine(
                report, mail, reason="The reply is OpenPGP-encrypted; vulndesk cannot decrypt mail yet."
            )
        )
    if not body and not files:
        return Routed(quarantined=_quarantine(report, mail, reason="The reply has no new text (only quoted mail)."))
    try:
        message = post_message(
            Thread(report=report),
            channel=Channel.RESEARCHER,
            body=body,
            actor=report.researcher,
            is_verified_reporter=True,
            attachments=files,
        )
    except (RuleViolation, PermissionDenied) as error:
        return Routed(quarantined=_quarantine(report, mail, reason=str(error)))
    return Routed(message=message)


def _attached_files(mail: EmailMessage) -> list[SimpleUploadedFile]:
    """The reply's attachments as uploads; post_message checks them like any other file (a refused
    one holds the whole reply for staff, with the reason)."""
    files = []
    for part in mail.iter_attachments():
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            files.append(SimpleUploadedFile(part.get_filename() or "attachment", data))
    return files


def _quarantine(report: Report | None, mail: EmailMessage, *, reason: str) -> QuarantinedMail:
    held = QuarantinedMail.objects.create(
        report=report,
        from_address=str(mail.get("From", ""))[:300],
        subject=str(mail.get("Subject", ""))[:300],
        body=_text_body(mail)[:100_000],
        reason=reason,
    )
    record_event(held, tag="mail:quarantined", actor=None, rationale=reason)
    return held


@transaction.atomic
def release_quarantined_mail(held: QuarantinedMail, *, actor: User) -> Message:
    """Staff looked at a held mail and keep it: it becomes an internal note on its report."""
    held = QuarantinedMail.objects.select_for_update(of=("self",)).select_related("report").get(pk=held.pk)
    if held.resolved_at is not None or held.report is None:
        raise RuleViolation("This mail was already handled, or names no report to add it to.")
    note = post_message(
        Thread(report=held.report),
        channel=Channel.INTERNAL,
        body=f"Email from {held.from_address} (held because: {held.reason})\n\n{held.body}",
        actor=actor,
    )
    held.released_as, held.resolved_at, held.resolved_by = note, timezone.now(), actor
    held.save(update_fields=["released_as", "resolved_at", "resolved_by"])
    record_event(held, tag="mail:released", actor=actor)
    return note


@transaction.atomic
def discard_quarantined_mail(held: QuarantinedMail, *, actor: User) -> QuarantinedMail:
    held = QuarantinedMail.objects.select_for_update().get(pk=held.pk)
    if held.resolved_at is not None:
        raise RuleViolation("This mail was already handled.")
    held.resolved_at, held.resolved_by = timezone.now(), actor
    held.save(update_fields=["resolved_at", "resolved_by"])
    record_event(held, tag="mail:discarded", actor=actor)
    return held


def handle_reply(mail: EmailMessage) -> bool:
    """The mail intake's reply hook (settings.INTAKE_MAIL_REPLY_HANDLER): True when the message was ours to handle.

    The intake has already decrypted an OpenPGP reply and passes its readable text as the body,
    so an encrypted reply from the researcher lands in the thread like any other.
    """
    routed = route_inbound_email(mail)
    return routed != Routed()
