"""Reports by email: one RFC 5322 message in, a report (or a reply, or a quarantined message) out.

`ingest_mail` first stores the raw message in its own transaction, so that whatever happens
next it is never lost; then it reads it (plain, HTML-only, multipart, PGP/MIME or inline
PGP), offers it to the reply handler (messaging threads replies), and otherwise files it as
an anonymous report from the sender's address. Anything it cannot read, decrypt or file is
quarantined with the reason, for staff.

Reply hook: settings.INTAKE_MAIL_REPLY_HANDLER names a callable `(EmailMessage) -> bool` that
returns True when the message was a reply and it dealt with it. It receives the message with
its original headers, the decrypted text as its body and the attachments as attachments.
"""

import logging
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from html import unescape

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.module_loading import import_string

from vulndesk.core.errors import RuleViolation
from vulndesk.intake import orgkey
from vulndesk.intake.models import InboundMail, Report, Source
from vulndesk.intake.services import ReportSubmission, Upload, submit_report

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 50 * 1024 * 1024
_THREAD_REFERENCE = re.compile(r"<vulndesk\.report\.(\d+)[@.]")
_PGP_MESSAGE = re.compile(rb"-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----", re.DOTALL)
_PGP_SIGNED = b"-----BEGIN PGP SIGNED MESSAGE-----"


class Unreadable(Exception):
    """The message cannot be turned into a report; the text is the reason staff see."""


@dataclass
class _Reading:
    text: str = ""
    files: list[Upload] = field(default_factory=list)
    was_encrypted: bool = False
    signature: str = InboundMail.Signature.UNSIGNED
    signer: str = ""


def ingest_mail(raw: bytes) -> InboundMail:
    """Store, read and file one message. Never raises for a bad message: it is quarantined instead."""
    inbound = InboundMail.objects.create(raw=raw[:MAX_MESSAGE_BYTES])
    try:
        if len(raw) > MAX_MESSAGE_BYTES:
            raise Unreadable(f"The message is larger than {MAX_MESSAGE_BYTES // 1024 // 1024} MB.")
        message = message_from_bytes(raw, policy=policy.default)
        if not isinstance(message, EmailMessage) or not message.keys():
            raise Unreadable("This is not an email message: it has no headers.")
        inbound.message_id = str(message.get("Message-ID", ""))[:998]
        inbound.from_address = parseaddr(str(message.get("From", "")))[1][:320]
        inbound.subject = " ".join(str(message.get("Subject", "")).split())[:300]
        reading = _read(message)
        inbound.was_encrypted, inbound.signature, inbound.signer = (
            reading.was_encrypted,
            reading.signature,
            reading.signer[:100],
        )
        _file(inbound, message, reading)
    except Unreadable as error:
        _quarantine(inbound, str(error))
    except Exception as error:  # a bug must not lose the mail either; it stays for staff, logged
        logger.exception("Mail intake failed on message %s", inbound.pk)
        _quarantine(inbound, f"Internal error while reading the message ({type(error).__name__}).")
    return inbound


def _quarantine(inbound: InboundMail, reason: str) -> None:
    inbound.status, inbound.reason = InboundMail.Status.QUARANTINED, reason
    inbound.save()


# Reading ---------------------------------------------------------------------------------------


def _read(message: EmailMessage) -> _Reading:
    reading = _Reading()
    if message.get_content_type() == "multipart/encrypted":
        message = _decrypt_pgp_mime(message, reading)
    _collect(message, reading)
    if not reading.text.strip() and not reading.files:
        raise Unreadable("The message has no text and no attachments.")
    return reading


def _decrypt_pgp_mime(message: EmailMessage, reading: _Reading) -> EmailMessage:
    """RFC 3156: the second part holds the encrypted MIME entity."""
    parts = list(message.iter_parts())
    if len(parts) != 2:
        raise Unreadable("A PGP/MIME message must have two parts; this one does not.")
    payload = parts[1].get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload.strip():
        raise Unreadable("The PGP/MIME message has no encrypted data.")
    decrypted = _decrypt(payload, reading)
    inner = message_from_bytes(decrypted, policy=policy.default)
    if not isinstance(inner, EmailMessage):
        raise Unreadable("The decrypted PGP/MIME content is not a MIME entity.")
    return inner


def _decrypt(armored: bytes, reading: _Reading) -> bytes:
    try:
        result = orgkey.decrypt(armored)
    except orgkey.OrgKeyError as error:
        raise Unreadable(f"The encrypted message could not be decrypted with our key: {error}") from None
    reading.was_encrypted = True
    reading.signature, reading.signer = result.signature, result.signer
    return result.data


def _collect(message: EmailMessage, reading: _Reading) -> None:
    """The best text body and every attachment (parts with a file name, or non-text parts)."""
    texts: list[str] = []
    htmls: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        content_type = part.get_content_type()
        if filename or not content_type.startswith("text/"):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                reading.files.append(ContentFile(data, name=filename or "attachment"))
            continue
        body = _part_text(part)
        (htmls if content_type == "text/html" else texts).append(body)
    text = "\n\n".join(texts) if texts else "\n\n".join(_html_to_text(body) for body in htmls)
    reading.text = _inline_pgp(text, reading)


def _part_text(part: EmailMessage) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        # A wrong or unknown charset: keep every byte readable rather than refuse the report.
        return data.decode("utf-8", errors="replace")


def _html_to_text(html: str) -> str:
    for block in ("</p>", "<br>", "<br/>", "<br />", "</div>", "</li>", "</tr>", "</h1>", "</h2>", "</h3>"):
        html = html.replace(block, block + "\n")
    text = nh3.clean(html, tags=set(), clean_content_tags={"script", "style"})
    return re.sub(r"\n{3,}", "\n\n", unescape(text)).strip()


def _inline_pgp(text: str, reading: _Reading) -> str:
    """Decrypt an inline PGP block, or verify a clear-signed text, in place."""
    data = text.encode()
    block = _PGP_MESSAGE.search(data)
    if block:
        plain = _decrypt(block.group(0), reading).decode("utf-8", errors="replace")
        return (data[: block.start()].decode() + plain + data[block.end() :].decode()).strip()
    if _PGP_SIGNED in data:
        reading.signature, reading.signer = orgkey.verify_clearsigned(data)
    return text


# Filing ----------------------------------------------------------------------------------------


def _as_reply(message: EmailMessage, reading: _Reading) -> EmailMessage:
    """The message as a reply handler sees it: the original headers, the readable text as body,
    and the attachments found (decrypted, when the mail was) as attachments."""
    reply = EmailMessage()
    for name, value in message.items():
        if name.lower() not in {"content-type", "content-transfer-encoding", "mime-version"}:
            reply[name] = value
    reply.set_content(reading.text)
    for upload in reading.files:
        upload.seek(0)
        reply.add_attachment(upload.read(), maintype="application", subtype="octet-stream", filename=upload.name)
        upload.seek(0)  # filed as a report's attachment if no handler takes the reply
    return reply


def _replied_report(message: EmailMessage) -> Report | None:
    references = f"{message.get('In-Reply-To', '')} {message.get('References', '')}"
    found = _THREAD_REFERENCE.search(references)
    return Report.objects.filter(pk=int(found.group(1))).first() if found else None


def _file(inbound: InboundMail, message: EmailMessage, reading: _Reading) -> None:
    handler_path = settings.INTAKE_MAIL_REPLY_HANDLER
    if handler_path and import_string(handler_path)(_as_reply(message, reading)):
        inbound.status = InboundMail.Status.REPLY
        inbound.save()
        return
    replied = _replied_report(message)
    if replied is not None:
        # A reply no handler took: keep it beside its report for staff rather than file a new report.
        inbound.report = replied
        _quarantine(inbound, f"A reply about {replied.reference}; it was not threaded automatically.")
        return
    if not inbound.from_address:
        raise Unreadable("The message has no sender address to answer.")
    submission = ReportSubmission(
        title=inbound.subject or "(no subject)",
        description=reading.text.strip() or "(The message had attachments only.)",
        product_other="Not stated (reported by email)",
        contact_email=inbound.from_address,
        credit_preference="anonymous",
        source=Source.MAIL,
    )
    try:
        with transaction.atomic():
            receipt = submit_report(submission, actor=None, attachments=reading.files)
            inbound.status, inbound.report = InboundMail.Status.REPORT, receipt.report
            inbound.save()
    except RuleViolation as error:
        raise Unreadable(f"It could not be filed as a report: {error}") from None
