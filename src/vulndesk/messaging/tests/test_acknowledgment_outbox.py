"""Intake's acknowledgment to an account holder goes through the outbox: retried, never lost."""

import dataclasses
import datetime as dt

import pytest
import time_machine
from django.core import mail as django_mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks

from vulndesk.accounts.models import User
from vulndesk.intake.services import ReportSubmission, submit_report
from vulndesk.messaging.models import MailPreference, OutboundMail
from vulndesk.messaging.outbox import send_due_mail
from vulndesk.messaging.tests.conftest import GpgIdentity, SmtpServer

pytestmark = pytest.mark.django_db
SUBMISSION = ReportSubmission(
    title="Heap overflow in the parser",
    description="A crafted file overflows the header buffer.",
    product_other="Parser 2",
    accepts_policy=True,
)


def test_the_acknowledgment_is_in_the_outbox_and_sent(
    researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = submit_report(SUBMISSION, actor=researcher).report

    queued = OutboundMail.objects.get()
    (sent,) = django_mail.outbox
    assert (queued.report, queued.status, queued.to_address) == (report, OutboundMail.Status.SENT, researcher.email)
    assert sent.subject == f"[{report.reference}] We received your report: {report.title}"
    assert f"/reports/{report.pk}/" in sent.body
    assert sent.extra_headers["References"] == f"<vulndesk.report.{report.pk}@example.com>"


def test_a_mail_server_outage_keeps_the_acknowledgment_until_it_is_back(
    researcher: User, smtp_port: int, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = submit_report(SUBMISSION, actor=researcher).report  # nothing listens on smtp_port

    waiting = OutboundMail.objects.get(report=report)
    assert waiting.status == OutboundMail.Status.QUEUED
    server = SmtpServer(smtp_port)
    server.start()
    try:
        with time_machine.travel(waiting.next_attempt_at + dt.timedelta(seconds=1)):
            (retried,) = send_due_mail()
    finally:
        server.stop()
    assert retried.status == OutboundMail.Status.SENT
    (received,) = server.mailbox.received
    assert report.reference in received["Subject"]


def test_a_researcher_who_opted_out_gets_no_acknowledgment(
    researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    MailPreference.objects.create(user=researcher, is_report_mail_off=True)

    with django_capture_on_commit_callbacks(execute=True):
        submit_report(SUBMISSION, actor=researcher)

    assert not OutboundMail.objects.exists()
    assert django_mail.outbox == []


def test_an_encrypted_acknowledgment_does_not_name_the_title_in_its_subject(
    researcher: User,
    researcher_gpg: GpgIdentity,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    MailPreference.objects.create(user=researcher, openpgp_public_key=researcher_gpg.public_key)

    with django_capture_on_commit_callbacks(execute=True):
        report = submit_report(SUBMISSION, actor=researcher).report

    (sent,) = django_mail.outbox
    assert sent.subject == f"[{report.reference}] We received your report"
    assert "BEGIN PGP MESSAGE" in sent.body
    assert report.title not in sent.body
    assert "Heap overflow" in str(researcher_gpg.gpg.decrypt(sent.body))


def test_an_anonymous_acknowledgment_never_waits_in_the_outbox(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    submission = dataclasses.replace(SUBMISSION, contact_email="anon@researcher.example")

    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit_report(submission, actor=None)

    (sent,) = django_mail.outbox
    assert receipt.tracking_token in sent.body
    assert not OutboundMail.objects.exists()  # the tracking secret is stored nowhere


@pytest.mark.usefixtures("database_task_queue")
def test_with_the_database_queue_the_worker_writes_and_sends_the_acknowledgment(researcher: User) -> None:
    report = submit_report(SUBMISSION, actor=researcher).report  # no commit needed: the task row is in it

    assert DBTaskResult.objects.filter(task_path__endswith="acknowledge_report").count() == 1
    assert not OutboundMail.objects.exists()  # the request only left the task

    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    assert OutboundMail.objects.get(report=report).status == OutboundMail.Status.SENT
    assert len(django_mail.outbox) == 1
