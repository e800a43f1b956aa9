"""Mail intake: plain, HTML-only, multipart, PGP/MIME and inline PGP, replies, bad mail, the commands."""

import io
import smtplib
import socket
import tempfile
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import gnupg
import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from vulndesk.accounts.models import User
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake import orgkey
from vulndesk.intake.mail import ingest_mail
from vulndesk.intake.management.commands.mail import serve
from vulndesk.intake.models import Attachment, InboundMail, Report, Source

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SECRET_TEXT = "Heap overflow in the RTSP parser; PoC attached."


def _message(
    subject: str = "RCE in Widget Server", body: str | None = "Send a long header and it crashes."
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ana Researcher <ana@example.test>"
    message["To"] = "security@example.com"
    message["Subject"] = subject
    message["Message-ID"] = "<m1@example.test>"
    if body is not None:
        message.set_content(body)
    return message


# Plain, HTML, multipart


def test_a_plain_message_becomes_an_anonymous_report_with_the_sender_as_contact(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        inbound = ingest_mail(_message().as_bytes())

    report = Report.objects.get()
    assert inbound.status == InboundMail.Status.REPORT
    assert inbound.report == report
    assert (report.title, report.description) == ("RCE in Widget Server", "Send a long header and it crashes.")
    assert (report.source, report.contact_email, report.is_anonymous) == (Source.MAIL, "ana@example.test", True)
    (ack,) = mail.outbox
    assert ack.to == ["ana@example.test"]
    assert "/reports/track/" in ack.body
    assert f"<vulndesk.report.{report.pk}@example.com>" in ack.extra_headers["References"]


def test_an_html_only_message_is_read_as_text_without_its_script() -> None:
    message = _message(body=None)
    message.set_content(
        "<html><body><p>Stored XSS in <b>comments</b>.</p><script>steal()</script><p>Step 2 &amp; 3</p></body></html>",
        subtype="html",
    )

    ingest_mail(message.as_bytes())

    description = Report.objects.get().description
    assert "Stored XSS in comments." in description
    assert "Step 2 & 3" in description
    assert "steal" not in description
    assert "<p>" not in description


def test_a_multipart_message_keeps_its_attachments() -> None:
    message = _message()
    message.add_attachment(PNG, maintype="image", subtype="png", filename="crash.png")
    message.add_attachment(b"GET / HTTP/1.1\r\n", maintype="text", subtype="plain", filename="request.txt")

    ingest_mail(message.as_bytes())

    names = sorted(Attachment.objects.values_list("original_name", flat=True))
    assert names == ["crash.png", "request.txt"]
    assert Report.objects.get().description == "Send a long header and it crashes."


def test_a_refused_attachment_quarantines_the_whole_message() -> None:
    message = _message()
    message.add_attachment(
        b"MZ\x90\x00" + b"\x00" * 60, maintype="application", subtype="octet-stream", filename="x.exe"
    )

    inbound = ingest_mail(message.as_bytes())

    assert inbound.status == InboundMail.Status.QUARANTINED
    assert "x.exe is not a type of file we accept" in inbound.reason
    assert not Report.objects.exists()
    assert bytes(inbound.raw) == message.as_bytes()


def test_a_wrong_charset_keeps_the_text_readable() -> None:
    raw = (
        b"From: ana@example.test\r\nSubject: Charset\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"\r\nBroken \xff\xfe bytes but a real report.\r\n"
    )

    inbound = ingest_mail(raw)

    assert inbound.status == InboundMail.Status.REPORT
    assert "a real report." in Report.objects.get().description


# Malformed and empty


def test_garbage_is_quarantined_never_dropped() -> None:
    inbound = ingest_mail(b"\x00\x01\x02 not an email at all")

    assert inbound.status == InboundMail.Status.QUARANTINED
    assert "no headers" in inbound.reason
    assert InboundMail.objects.count() == 1


def test_a_message_with_nothing_in_it_is_quarantined() -> None:
    inbound = ingest_mail(_message(body="   ").as_bytes())

    assert inbound.status == InboundMail.Status.QUARANTINED
    assert "no text and no attachments" in inbound.reason


def test_a_message_without_sender_is_quarantined() -> None:
    message = _message()
    del message["From"]

    inbound = ingest_mail(message.as_bytes())

    assert inbound.status == InboundMail.Status.QUARANTINED
    assert "no sender address" in inbound.reason


def test_the_same_mail_twice_is_one_report() -> None:
    ingest_mail(_message().as_bytes())

    ingest_mail(_message().as_bytes())

    assert Report.objects.count() == 1
    assert InboundMail.objects.filter(status=InboundMail.Status.REPORT).count() == 2


# Replies


def test_a_reply_is_kept_beside_its_report_when_no_handler_threads_it(settings: Settings) -> None:
    settings.INTAKE_MAIL_REPLY_HANDLER = ""  # messaging's default handler would thread (or hold) it itself
    report = ReportFactory.create()
    message = _message(subject="Re: [VD-R1] We received your report")
    message["In-Reply-To"] = f"<vulndesk.report.{report.pk}.ack.123@example.com>"

    inbound = ingest_mail(message.as_bytes())

    assert inbound.status == InboundMail.Status.QUARANTINED
    assert inbound.report == report
    assert Report.objects.count() == 1


def reply_handler(message: EmailMessage) -> bool:
    return "Re:" in str(message["Subject"]) and message.get_content().strip() == "Thanks!"


def test_the_reply_handler_gets_first_say(settings: Settings) -> None:
    settings.INTAKE_MAIL_REPLY_HANDLER = f"{__name__}.reply_handler"

    inbound = ingest_mail(_message(subject="Re: your report", body="Thanks!").as_bytes())

    assert inbound.status == InboundMail.Status.REPLY
    assert not Report.objects.exists()


# OpenPGP


@pytest.fixture(scope="session")
def researcher_key() -> Iterator[Any]:
    """A researcher's throw-away key pair (gnupg.GPG with one key), generated once per session."""
    with tempfile.TemporaryDirectory(prefix="vd-res-") as home:
        gpg = gnupg.GPG(gnupghome=home)
        key_input = gpg.gen_key_input(
            name_email="ana@example.test",
            key_type="EDDSA",
            key_curve="ed25519",
            subkey_type="ECDH",
            subkey_curve="cv25519",
            no_protection=True,
        )
        key = gpg.gen_key(key_input)
        assert key.fingerprint, key.stderr
        gpg.fingerprint = key.fingerprint
        yield gpg


def _encrypted_to_org(researcher_key: Any, text: str, *, sign: bool) -> str:
    researcher_key.import_keys(orgkey.public_key())
    result = researcher_key.encrypt(
        text,
        orgkey.fingerprint(),
        sign=researcher_key.fingerprint if sign else None,
        always_trust=True,
        armor=True,
    )
    assert result.ok, result.status
    return str(result)


def _pgp_mime(armored: str) -> EmailMessage:
    message = _message(body=None)
    message.set_type("multipart/encrypted")
    message.set_param("protocol", "application/pgp-encrypted")
    control = EmailMessage()
    control.set_content(b"Version: 1\n", maintype="application", subtype="pgp-encrypted", cte="7bit")
    data = EmailMessage()
    data.set_content(armored.encode(), maintype="application", subtype="octet-stream", cte="7bit")
    message.attach(control)
    message.attach(data)
    return message


def test_pgp_mime_encrypted_and_signed_is_decrypted_and_the_signature_verified(
    org_key: str, researcher_key: Any
) -> None:
    inner = EmailMessage()
    inner.set_content(SECRET_TEXT)
    inner.add_attachment(PNG, maintype="image", subtype="png", filename="poc.png")
    armored = _encrypted_to_org(researcher_key, inner.as_string(), sign=True)
    orgkey._gpg().import_keys(researcher_key.export_keys(researcher_key.fingerprint))

    inbound = ingest_mail(_pgp_mime(armored).as_bytes())

    report = Report.objects.get()
    assert inbound.status == InboundMail.Status.REPORT
    assert report.description == SECRET_TEXT
    assert report.attachments.get().original_name == "poc.png"
    assert (inbound.was_encrypted, inbound.signature) == (True, InboundMail.Signature.VALID)
    assert inbound.signer == researcher_key.fingerprint


def test_a_signature_by_an_unknown_key_is_recorded_as_such(org_key: str, researcher_key: Any) -> None:
    fresh = tempfile.mkdtemp(prefix="vd-o2-")
    signer = gnupg.GPG(gnupghome=fresh)
    key = signer.gen_key(
        signer.gen_key_input(name_email="eve@example.test", key_type="EDDSA", key_curve="ed25519", no_protection=True)
    )
    signer.import_keys(orgkey.public_key())
    armored = str(signer.encrypt(SECRET_TEXT, orgkey.fingerprint(), sign=key.fingerprint, always_trust=True))

    inbound = ingest_mail(_pgp_mime(armored).as_bytes())

    assert inbound.status == InboundMail.Status.REPORT
    assert inbound.signature == InboundMail.Signature.UNKNOWN_KEY


def test_inline_pgp_is_decrypted_in_place(org_key: str, researcher_key: Any) -> None:
    armored = _encrypted_to_org(researcher_key, SECRET_TEXT, sign=False)

    inbound = ingest_mail(_message(body=f"Hello,\n\n{armored}\n").as_bytes())

    description = Report.objects.get().description
    assert SECRET_TEXT in description
    assert "BEGIN PGP MESSAGE" not in description
    assert (inbound.was_encrypted, inbound.signature) == (True, InboundMail.Signature.UNSIGNED)


def test_a_message_encrypted_to_another_key_is_quarantined(org_key: str, researcher_key: Any) -> None:
    armored = str(researcher_key.encrypt(SECRET_TEXT, researcher_key.fingerprint, always_trust=True))

    inbound = ingest_mail(_pgp_mime(armored).as_bytes())

    assert inbound.status == InboundMail.Status.QUARANTINED
    assert "could not be decrypted" in inbound.reason
    assert not Report.objects.exists()


def test_a_broken_pgp_block_is_quarantined(org_key: str) -> None:
    armored = "-----BEGIN PGP MESSAGE-----\n\nbm90IHJlYWxseQ==\n-----END PGP MESSAGE-----\n"

    inbound = ingest_mail(_pgp_mime(armored).as_bytes())

    assert inbound.status == InboundMail.Status.QUARANTINED
    assert "could not be decrypted" in inbound.reason


def test_encrypted_mail_without_an_organisation_key_is_quarantined() -> None:
    armored = "-----BEGIN PGP MESSAGE-----\n\nhQEMA==\n-----END PGP MESSAGE-----\n"

    inbound = ingest_mail(_pgp_mime(armored).as_bytes())

    assert inbound.status == InboundMail.Status.QUARANTINED
    assert "vulndesk pgp init" in inbound.reason


# The commands


def test_mail_ingest_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(_message().as_bytes()))
    monkeypatch.setattr("sys.stdin", stdin)
    out = io.StringIO()

    call_command("mail", "ingest", stdout=out)

    assert "Filed as a report" in out.getvalue()
    assert Report.objects.get().source == Source.MAIL


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_mail_serve_accepts_a_message_over_smtp() -> None:
    port, stopped, ready = _free_port(), threading.Event(), threading.Event()
    server = threading.Thread(target=serve, args=("127.0.0.1", port), kwargs={"stopped": stopped, "ready": ready})
    server.start()
    try:
        assert ready.wait(10)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(_message())
    finally:
        stopped.set()
        server.join(10)

    assert Report.objects.get().title == "RCE in Widget Server"


def test_mail_serve_refuses_a_public_address() -> None:
    with pytest.raises(CommandError, match="loopback only"):
        call_command("mail", "serve", "--host", "0.0.0.0")  # noqa: S104 -- the address being refused


# The quarantine page


def test_staff_see_quarantined_mail_and_can_download_it(client: Client, analyst: User) -> None:
    inbound = ingest_mail(b"garbage")
    client.force_login(analyst)

    page = client.get(reverse("mail_quarantine"))
    raw = client.get(reverse("mail_raw", args=[inbound.pk]))

    assert b"it has no headers" in page.content
    assert raw["Content-Disposition"] == f'attachment; filename="vulndesk-mail-{inbound.pk}.eml"'
    assert raw.content == b"garbage"


def test_an_empty_quarantine_says_so(client: Client, analyst: User) -> None:
    client.force_login(analyst)

    assert b"No mail is waiting" in client.get(reverse("mail_quarantine")).content


@pytest.mark.parametrize("person", ["researcher", "engineer", "release_manager"])
def test_others_cannot_see_the_quarantine(client: Client, person: str, request: pytest.FixtureRequest) -> None:
    inbound = ingest_mail(b"garbage")
    client.force_login(request.getfixturevalue(person))

    assert client.get(reverse("mail_quarantine")).status_code == 403
    assert client.get(reverse("mail_raw", args=[inbound.pk])).status_code == 403


def test_staff_report_page_shows_how_the_mail_came(
    client: Client, analyst: User, org_key: str, researcher_key: Any
) -> None:
    armored = _encrypted_to_org(researcher_key, SECRET_TEXT, sign=False)
    ingest_mail(_pgp_mime(armored).as_bytes())
    client.force_login(analyst)

    html = client.get(Report.objects.get().get_absolute_url()).content.decode()

    assert "Received via</dt><dd>Email" in html
    assert "Filed as a report, encrypted" in html
