"""Outbound mail: through the outbox, to a real SMTP server on loopback, retried, never lost."""

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
import time_machine
from django.core import mail as django_mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from vulndesk.accounts.models import User
from vulndesk.core.services import enter_initial_state
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, MailAddress, MailPreference, OutboundMail
from vulndesk.messaging.outbox import (
    MAX_ATTEMPTS,
    deliver_outbound_mail,
    record_bounce,
    reply_address,
    report_id_from_reply_address,
    resend_mail,
    retry_delay,
    send_due_mail,
)
from vulndesk.messaging.tests.conftest import GpgIdentity, SmtpServer
from vulndesk.messaging.tests.factories import report_message
from vulndesk.triage.services import transition_report

pytestmark = pytest.mark.django_db
Commit = Callable[..., AbstractContextManager[object]]
Committed = Callable[[], AbstractContextManager[object]]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Commit) -> Committed:
    """`with committed(): …` runs what the code deferred to commit (mail delivery) as the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_staff_message_is_mailed_to_the_researcher_with_threading_headers(
    committed: Committed, researcher: User, analyst: User
) -> None:
    report = ReportFactory.create(researcher=researcher)

    with committed():
        report_message(report, analyst, "Which version did you test?")

    (sent,) = django_mail.outbox
    mail = OutboundMail.objects.get()
    assert mail.status == OutboundMail.Status.SENT
    assert sent.to == [researcher.email]
    assert sent.subject == f"[{report.reference}] New message on your report"
    assert "Which version did you test?" in sent.body
    assert sent.reply_to == [reply_address(report)]
    assert sent.extra_headers["In-Reply-To"] == f"<vulndesk.report.{report.pk}@example.com>"
    assert sent.extra_headers["Message-ID"] == f"<{mail.message_id}>"


def test_status_change_is_mailed(committed: Committed, researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    enter_initial_state(report, actor=researcher)

    with committed():
        transition_report(report, Report.State.TRIAGING, actor=analyst)

    assert [sent.subject for sent in django_mail.outbox] == [f"[{report.reference}] Status changed to In review."]
    assert "In review" in django_mail.outbox[0].body


def test_researchers_own_message_and_internal_notes_are_not_mailed(
    committed: Committed, researcher: User, analyst: User
) -> None:
    report = ReportFactory.create(researcher=researcher)

    with committed():
        report_message(report, researcher, "Here is more detail")
    with committed():
        report_message(report, analyst, "Internal only", channel=Channel.INTERNAL)

    assert django_mail.outbox == []
    assert not OutboundMail.objects.exists()


def test_opted_out_researcher_gets_no_mail(committed: Committed, researcher: User, analyst: User) -> None:
    MailPreference.objects.create(user=researcher, is_report_mail_off=True)
    report = ReportFactory.create(researcher=researcher)

    with committed():
        report_message(report, analyst, "Thanks")

    assert django_mail.outbox == []


def test_bounced_address_is_not_mailed_and_the_mail_says_why(
    committed: Committed, researcher: User, analyst: User
) -> None:
    record_bounce(researcher.email, reason="550 No such user")
    report = ReportFactory.create(researcher=researcher)

    with committed():
        report_message(report, analyst, "Thanks")

    mail = OutboundMail.objects.get()
    assert mail.status == OutboundMail.Status.BOUNCED
    assert "bounced" in mail.last_error
    assert django_mail.outbox == []


def test_reply_address_names_the_report_only_with_its_signature(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    address = reply_address(report)

    assert report_id_from_reply_address(address) == report.pk
    assert report_id_from_reply_address(address.replace(f"+r{report.pk}-", f"+r{report.pk + 1}-")) is None
    assert report_id_from_reply_address("security@example.com") is None


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [retry_delay(attempt).total_seconds() for attempt in (1, 2, 3, 7, 8, 20)] == [60, 120, 240, 3600, 3600, 3600]


# Against a real SMTP server on loopback


def test_round_trip_through_smtp(
    committed: Committed, smtp_server: SmtpServer, researcher: User, analyst: User
) -> None:
    report = ReportFactory.create(researcher=researcher)

    with committed():
        report_message(report, analyst, "Confirmed, thank you!")

    (received,) = smtp_server.mailbox.received
    assert received["To"] == researcher.email
    assert received["Reply-To"] == reply_address(report)
    assert "Confirmed, thank you!" in received.get_payload()
    assert OutboundMail.objects.get().status == OutboundMail.Status.SENT


def test_smtp_outage_keeps_the_mail_queued_and_a_retry_sends_it(
    committed: Committed, smtp_port: int, researcher: User, analyst: User
) -> None:
    report = ReportFactory.create(researcher=researcher)

    with committed():
        report_message(report, analyst, "Sent while the server is down")  # nothing listens on smtp_port

    mail = OutboundMail.objects.get()
    assert (mail.status, mail.attempts) == (OutboundMail.Status.QUEUED, 1)
    assert "Connection refused" in mail.last_error or "Errno" in mail.last_error
    assert send_due_mail() == []  # not due yet: it waits for its backoff
    server = SmtpServer(smtp_port)
    server.start()
    try:
        with time_machine.travel(mail.next_attempt_at + dt.timedelta(seconds=1)):
            (retried,) = send_due_mail()
    finally:
        server.stop()
    assert retried.status == OutboundMail.Status.SENT
    assert retried.attempts == 2
    assert len(server.mailbox.received) == 1


def test_permanent_refusal_bounces_and_marks_the_address(
    committed: Committed, smtp_server: SmtpServer, researcher: User, analyst: User
) -> None:
    smtp_server.mailbox.refuse.add(researcher.email)
    report = ReportFactory.create(researcher=researcher)

    with committed():
        report_message(report, analyst, "Hello?")

    assert OutboundMail.objects.get().status == OutboundMail.Status.BOUNCED
    assert MailAddress.objects.get(email=researcher.email).bounced_at is not None


def test_gives_up_after_max_attempts_and_can_be_resent(
    committed: Committed, smtp_port: int, researcher: User, analyst: User
) -> None:
    report = ReportFactory.create(researcher=researcher)
    with committed():
        report_message(report, analyst, "Hello")
    mail = OutboundMail.objects.get()
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS - 1):
        now += dt.timedelta(hours=2)
        deliver_outbound_mail(mail.pk, now=now)
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (OutboundMail.Status.FAILED, MAX_ATTEMPTS)

    with committed():
        resend_mail(mail, actor=analyst)

    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (OutboundMail.Status.QUEUED, 1)  # resent: the immediate backend tried again


@pytest.mark.usefixtures("database_task_queue")
def test_worker_restart_loses_nothing(
    smtp_server: SmtpServer, researcher: User, analyst: User, django_capture_on_commit_callbacks: Commit
) -> None:
    report = ReportFactory.create(researcher=researcher)
    with django_capture_on_commit_callbacks(execute=True):
        report_message(report, analyst, "first")
        report_message(report, analyst, "second")
    # A worker claimed the first mail and died mid-send: the row is claimed, nothing went out.
    first = OutboundMail.objects.order_by("pk").first()
    assert first is not None
    OutboundMail.objects.filter(pk=first.pk).update(claimed_until=timezone.now() + dt.timedelta(minutes=5), attempts=1)

    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)  # a new worker starts

    assert sorted(OutboundMail.objects.values_list("status", flat=True)) == ["queued", "sent"]
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        call_command("outbox", "send", verbosity=0)  # the claim has expired: the sweep sends it
    assert set(OutboundMail.objects.values_list("status", flat=True)) == {"sent"}
    assert len(smtp_server.mailbox.received) == 2


@pytest.mark.usefixtures("database_task_queue")
def test_with_the_database_queue_the_delivery_task_commits_with_the_mail(researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    report_message(report, analyst, "Queued together")  # no commit happened yet

    mail = OutboundMail.objects.get()
    assert DBTaskResult.objects.get().args_kwargs == {"args": [mail.pk], "kwargs": {}}


@pytest.mark.usefixtures("database_task_queue")
def test_with_the_database_queue_a_rolled_back_mail_leaves_no_task(researcher: User, analyst: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    @transaction.atomic
    def post_then_fail() -> None:
        report_message(report, analyst, "Never sent")
        raise RuntimeError

    with pytest.raises(RuntimeError):
        post_then_fail()

    assert not OutboundMail.objects.exists()
    assert not DBTaskResult.objects.exists()


# OpenPGP


def test_mail_is_encrypted_to_the_researchers_key(
    committed: Committed, smtp_server: SmtpServer, researcher_gpg: GpgIdentity, researcher: User, analyst: User
) -> None:
    MailPreference.objects.create(user=researcher, openpgp_public_key=researcher_gpg.public_key)
    report = ReportFactory.create(researcher=researcher)

    with committed():
        report_message(report, analyst, "The fix ships on Tuesday.")

    (received,) = smtp_server.mailbox.received
    payload = str(received.get_payload())
    assert "The fix ships on Tuesday." not in payload
    assert payload.startswith("-----BEGIN PGP MESSAGE-----")
    assert "The fix ships on Tuesday." in str(researcher_gpg.gpg.decrypt(payload))
    assert OutboundMail.objects.get().is_encrypted


def test_unusable_key_fails_the_mail_rather_than_sending_it_in_clear(
    committed: Committed, researcher: User, analyst: User
) -> None:
    MailPreference.objects.create(user=researcher, openpgp_public_key="not a key")
    report = ReportFactory.create(researcher=researcher)

    with committed():
        report_message(report, analyst, "Secret details")

    mail = OutboundMail.objects.get()
    assert mail.status == OutboundMail.Status.FAILED
    assert "in clear" in mail.last_error
    assert django_mail.outbox == []
