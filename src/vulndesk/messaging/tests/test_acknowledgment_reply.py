"""A reply to intake's acknowledgment mail threads into the report (it is the first mail researchers get)."""

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.core import mail
from django.core.mail import EmailMessage as SentMail
from pytest_django import DjangoCaptureOnCommitCallbacks

from vulndesk.accounts.models import User
from vulndesk.intake.mail import ingest_mail
from vulndesk.intake.models import InboundMail, Report
from vulndesk.intake.services import ReportSubmission, submit_report
from vulndesk.messaging.models import Channel, Message, QuarantinedMail

pytestmark = pytest.mark.django_db


def _submission(*, title: str = "Heap overflow in the parser", contact_email: str = "") -> ReportSubmission:
    return ReportSubmission(
        title=title,
        description="A crafted file overflows the header buffer.",
        product_other="Parser 2",
        accepts_policy=True,
        contact_email=contact_email,
    )


def _reply_bytes(acknowledgment: SentMail, *, sender: str, text: str) -> bytes:
    """The RFC 5322 bytes a mail client sends when the researcher presses Reply on the acknowledgment."""
    received = message_from_bytes(acknowledgment.message().as_bytes(), policy=policy.default)
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(received.get("Reply-To") or received["From"])
    reply["Subject"] = f"Re: {received['Subject']}"
    reply["Message-ID"] = "<reply-1@researcher.example>"
    reply["In-Reply-To"] = str(received["Message-ID"])
    reply["References"] = f"{received['References']} {received['Message-ID']}"
    reply.set_content(f"{text}\n\nOn Mon, 2 Mar 2026, PSIRT wrote:\n> We received your report")
    return reply.as_bytes()


def test_account_holders_reply_to_the_acknowledgment_lands_in_the_thread(
    researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = submit_report(_submission(), actor=researcher).report
    (acknowledgment,) = mail.outbox

    inbound = ingest_mail(_reply_bytes(acknowledgment, sender=researcher.email, text="Also affects 2.1."))

    assert inbound.status == InboundMail.Status.REPLY
    message = Message.objects.get(report=report, channel=Channel.RESEARCHER, kind=Message.Kind.POST)
    assert (message.author, message.body) == (researcher, "Also affects 2.1.")
    assert not QuarantinedMail.objects.exists()


def test_anonymous_reporters_reply_to_the_acknowledgment_lands_in_the_thread(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = submit_report(_submission(contact_email="anon@researcher.example"), actor=None).report
    (acknowledgment,) = mail.outbox

    inbound = ingest_mail(_reply_bytes(acknowledgment, sender="anon@researcher.example", text="Here is a PoC."))

    assert inbound.status == InboundMail.Status.REPLY
    assert Message.objects.get(report=report, kind=Message.Kind.POST).body == "Here is a PoC."


def test_a_stranger_replying_to_the_acknowledgment_is_held_for_staff(
    researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = submit_report(_submission(), actor=researcher).report
    (acknowledgment,) = mail.outbox

    ingest_mail(_reply_bytes(acknowledgment, sender="someone@else.example", text="Me too"))

    assert not Message.objects.filter(report=report, kind=Message.Kind.POST).exists()
    assert QuarantinedMail.objects.get().report == report


def test_a_reply_naming_only_the_acknowledgment_lands_in_the_thread(
    researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = submit_report(_submission(), actor=researcher).report
    (acknowledgment,) = mail.outbox
    reply = message_from_bytes(
        _reply_bytes(acknowledgment, sender=researcher.email, text="Only In-Reply-To."), policy=policy.default
    )
    del reply["References"]  # some clients keep only the message they answer

    ingest_mail(reply.as_bytes())

    assert Message.objects.get(report=report, kind=Message.Kind.POST).body == "Only In-Reply-To."


def test_a_deactivated_researchers_reply_is_held_not_lost(
    researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = submit_report(_submission(), actor=researcher).report
    (acknowledgment,) = mail.outbox
    User.objects.filter(pk=researcher.pk).update(is_active=False)

    ingest_mail(_reply_bytes(acknowledgment, sender=researcher.email, text="Still there?"))

    assert not Message.objects.filter(report=report, kind=Message.Kind.POST).exists()
    assert "cannot write" in QuarantinedMail.objects.get(report=report).reason


def test_an_anonymous_reply_on_a_duplicate_never_lands_on_another_anonymous_reporters_report(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    original = submit_report(_submission(contact_email="first@researcher.example"), actor=None).report
    with django_capture_on_commit_callbacks(execute=True):
        duplicate = submit_report(
            _submission(title="Same overflow", contact_email="second@researcher.example"), actor=None
        ).report
    (acknowledgment,) = mail.outbox
    Report.objects.filter(pk=duplicate.pk).update(state=Report.State.DUPLICATE, duplicate_of=original)

    ingest_mail(_reply_bytes(acknowledgment, sender="second@researcher.example", text="More detail."))

    assert not Message.objects.filter(kind=Message.Kind.POST).exists()
    assert "someone else" in QuarantinedMail.objects.get(report=duplicate).reason
