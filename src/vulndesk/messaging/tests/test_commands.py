"""The `vulndesk outbox` and `vulndesk notifications` commands."""

from io import StringIO

import pytest
from django.core.management import call_command

from vulndesk.accounts.models import User
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.messaging.models import Channel, MailPreference, OutboundMail
from vulndesk.messaging.outbox import queue_mail
from vulndesk.messaging.tests.factories import report_message

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_outbox_send_delivers_due_mail() -> None:
    queue_mail(to="someone@example.test", subject="Hello", body="Hi")  # its task never ran (not committed)

    output = _run("outbox", "send")

    assert output == "1 due mail tried: 1 sent, 0 not sent.\n"
    assert OutboundMail.objects.get().status == OutboundMail.Status.SENT


def test_outbox_status_counts() -> None:
    queue_mail(to="someone@example.test", subject="Hello", body="Hi")

    assert _run("outbox", "status").splitlines() == ["Queued: 1", "Sent: 0", "Bounced: 0", "Failed: 0"]


def test_notifications_digest(analyst: User, coordinator: User) -> None:
    MailPreference.objects.create(user=coordinator, notification_delivery="digest")
    report_message(ReportFactory.create(), analyst, "@coordinator", channel=Channel.INTERNAL)

    assert _run("notifications", "digest") == "1 digest mail queued.\n"


def test_partners_remind(coordinator: User) -> None:
    assert _run("partners", "remind") == "0 organizations reminded.\n"


def test_briefing_send() -> None:
    assert _run("briefing", "send") == "0 briefings queued.\n"
