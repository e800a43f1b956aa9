"""Replies by email: the round trip through a real SMTP server, quarantine, bounce reports."""

import os
import tempfile
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.message import Message as ReceivedMail
from pathlib import Path

import pytest
from django.test import override_settings
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from vulndesk.accounts.models import User
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake import orgkey
from vulndesk.intake.mail import ingest_mail
from vulndesk.intake.models import InboundMail, Report
from vulndesk.messaging.inbound import (
    discard_quarantined_mail,
    release_quarantined_mail,
    route_inbound_email,
    strip_quoted_reply,
)
from vulndesk.messaging.models import Channel, MailAddress, MailPreference, Message, QuarantinedMail
from vulndesk.messaging.outbox import reply_address
from vulndesk.messaging.tests.conftest import GpgIdentity, SmtpServer
from vulndesk.messaging.tests.factories import report_message

pytestmark = pytest.mark.django_db


def _reply_to(received: ReceivedMail, *, sender: str, text: str) -> EmailMessage:
    """What a mail client sends when the researcher presses Reply on `received`."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(received["Reply-To"])
    reply["Subject"] = f"Re: {received['Subject']}"
    reply["In-Reply-To"] = str(received["Message-ID"])
    reply["References"] = f"{received['References']} {received['Message-ID']}"
    reply.set_content(text)
    return _parsed(reply)


def _parsed(mail: EmailMessage) -> EmailMessage:
    # As the mail intake sees it: bytes off the wire, parsed with the modern policy.
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _mail(**headers: str) -> EmailMessage:
    mail = EmailMessage()
    for name, value in headers.items():
        if name != "body":
            mail[name.replace("_", "-")] = value
    mail.set_content(headers.get("body", "Hello"))
    return _parsed(mail)


def test_round_trip_reply_lands_in_the_thread(
    smtp_server: SmtpServer,
    researcher: User,
    analyst: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    report = ReportFactory.create(researcher=researcher)
    with django_capture_on_commit_callbacks(execute=True):
        question = report_message(report, analyst, "Which version did you test?")
    (received,) = smtp_server.mailbox.received
    reply = _reply_to(
        received,
        sender=f"Res Earcher <{researcher.email}>",
        text="Version 4.2.1, default config.\n\nOn Tue, 3 Mar 2026, PSIRT <security@example.com> wrote:\n> Which version?",
    )

    routed = route_inbound_email(reply)

    assert routed.message is not None
    assert routed.message.report == report
    assert (routed.message.channel, routed.message.author) == (Channel.RESEARCHER, researcher)
    assert routed.message.body == "Version 4.2.1, default config."
    assert question.pk != routed.message.pk


def test_reply_found_by_thread_headers_alone(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    mail = _mail(
        From=researcher.email,
        To="security@example.com",
        In_Reply_To=f"<vulndesk.report.{report.pk}@example.com>",
        body="More detail",
    )

    routed = route_inbound_email(mail)

    assert routed.message is not None
    assert routed.message.body == "More detail"


def test_reply_from_an_unknown_address_is_quarantined(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    mail = _mail(From="mallory@evil.test", To=reply_address(report), body="I am the researcher, honest")

    routed = route_inbound_email(mail)

    assert routed.quarantined is not None
    assert "mallory@evil.test is not the address" in routed.quarantined.reason
    assert not Message.objects.exists()


def test_forged_reply_address_is_not_a_reply(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    forged = reply_address(report).replace(f"+r{report.pk}-", f"+r{report.pk}-0")

    routed = route_inbound_email(_mail(From=researcher.email, To=forged))

    assert routed == route_inbound_email(_mail(From=researcher.email, To="security@example.com"))
    assert not Message.objects.exists()


def test_reply_to_a_spam_report_is_quarantined_with_the_reason(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.SPAM)

    routed = route_inbound_email(_mail(From=researcher.email, To=reply_address(report)))

    assert routed.quarantined is not None
    assert "spam" in routed.quarantined.reason


def test_html_only_reply_is_posted_as_text(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    mail = EmailMessage()
    mail["From"], mail["To"] = researcher.email, reply_address(report)
    mail.set_content("<p>Hello<script>alert(1)</script></p><p>again</p>", subtype="html")

    routed = route_inbound_email(_parsed(mail))

    assert routed.message is not None
    assert "<script" not in routed.message.body_html
    assert routed.message.body.startswith("Hello")


def test_encrypted_reply_is_held_for_staff(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    body = "-----BEGIN PGP MESSAGE-----\n\nhQEMA...\n-----END PGP MESSAGE-----"

    routed = route_inbound_email(_mail(From=researcher.email, To=reply_address(report), body=body))

    assert routed.quarantined is not None
    assert "encrypted" in routed.quarantined.reason


BOUNCE = b"""From: MAILER-DAEMON@mx.example.test
To: security@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Delivery to gone@example.test failed.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test

Final-Recipient: rfc822; gone@example.test
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--b1--
"""


def test_bounce_report_marks_the_address() -> None:
    bounce = message_from_bytes(BOUNCE, policy=policy.default)
    assert isinstance(bounce, EmailMessage)

    routed = route_inbound_email(bounce)

    assert routed.bounced_address == "gone@example.test"
    assert "550 5.1.1" in MailAddress.objects.get(email="gone@example.test").bounce_reason


def test_mail_naming_no_report_is_left_to_intake() -> None:
    assert route_inbound_email(_mail(From="new@example.test", To="security@example.com")).message is None


def test_staff_release_a_held_mail_as_an_internal_note(researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    held = route_inbound_email(
        _mail(From="colleague@example.test", To=reply_address(report), body="PoC v2")
    ).quarantined
    assert held is not None

    note = release_quarantined_mail(held, actor=analyst)

    assert (note.channel, note.report) == (Channel.INTERNAL, report)
    assert "PoC v2" in note.body
    assert QuarantinedMail.objects.get().resolved_by == analyst


def test_discarded_mail_cannot_be_released(researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    held = route_inbound_email(_mail(From="spam@example.test", To=reply_address(report))).quarantined
    assert held is not None
    discard_quarantined_mail(held, actor=analyst)

    with pytest.raises(Exception, match="already handled"):
        release_quarantined_mail(held, actor=analyst)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks!\n\nOn Mon, 2 Mar 2026 Someone wrote:\n> old", "Thanks!"),
        ("Top\n> quoted", "Top"),
        ("New\n\n-- \nReply to this email, or on https://x", "New"),
        ("Only new text", "Only new text"),
    ],
)
def test_quoted_text_is_dropped(text: str, expected: str) -> None:
    assert strip_quoted_reply(text) == expected


# Through the mail intake (vulndesk mail ingest), including an OpenPGP-encrypted reply


@pytest.fixture(scope="module")
def org_key_dir() -> Iterator[Path]:
    if not orgkey.gpg_available():
        if os.environ.get("VULNDESK_REQUIRE_GNUPG"):
            pytest.fail("gpg not found; install Debian's gnupg package (apt-get install gnupg).")
        pytest.skip("OpenPGP tests need GnuPG (apt-get install gnupg).")
    # A short path: gpg-agent's socket path must stay under the Unix limit of ~100 bytes.
    with tempfile.TemporaryDirectory(prefix="vd-msg-") as data_dir, override_settings(DATA_DIR=Path(data_dir)):
        orgkey.create_key(name="Test PSIRT", email="security@example.com")
        yield Path(data_dir)


@pytest.fixture
def org_keyring(org_key_dir: Path, settings: Settings) -> None:
    """The organisation's key pair (made by `vulndesk pgp init` in real life) in the data folder."""
    settings.DATA_DIR = org_key_dir


def test_reply_through_the_mail_intake_lands_in_the_thread(
    researcher: User, settings: Settings, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    report = ReportFactory.create(researcher=researcher)
    reply = _mail(From=researcher.email, To=reply_address(report), Subject="Re: [VD-R1]", body="Still happens in 4.3")

    inbound = ingest_mail(reply.as_bytes())

    assert inbound.status == InboundMail.Status.REPLY
    assert Message.objects.get(report=report).body == "Still happens in 4.3"


@pytest.mark.usefixtures("org_keyring")
def test_encrypted_reply_round_trip(
    smtp_server: SmtpServer,
    researcher_gpg: GpgIdentity,
    researcher: User,
    analyst: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    MailPreference.objects.create(user=researcher, openpgp_public_key=researcher_gpg.public_key)
    report = ReportFactory.create(researcher=researcher)
    with django_capture_on_commit_callbacks(execute=True):
        report_message(report, analyst, "Can you share the crash log?")
    (received,) = smtp_server.mailbox.received
    question = str(researcher_gpg.gpg.decrypt(str(received.get_payload())))
    researcher_gpg.gpg.import_keys(orgkey.public_key())
    answer = researcher_gpg.gpg.encrypt(
        "Here it is: SIGSEGV in parse_header()", orgkey.fingerprint(), always_trust=True, armor=True
    )
    reply = _reply_to(received, sender=researcher.email, text=str(answer))

    inbound = ingest_mail(reply.as_bytes())

    assert "Can you share the crash log?" in question
    assert inbound.status == InboundMail.Status.REPLY
    assert (
        Message.objects.filter(report=report, author=researcher).get().body == "Here it is: SIGSEGV in parse_header()"
    )
