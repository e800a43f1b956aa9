"""`vulndesk outbox send` delivers every due mail now; `vulndesk outbox status` counts mail by status.

The worker delivers mail on its own; `send` is for a cron job or an operator after an outage
(it also picks up mail a crashed worker had claimed once the claim expires).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count

from vulndesk.messaging.models import OutboundMail
from vulndesk.messaging.outbox import send_due_mail


class Command(BaseCommand):
    help = "Deliver due outbox mail now (send), or count outbox mail by status (status)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send", "status"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "send":
            results = send_due_mail()
            sent = sum(mail.status == OutboundMail.Status.SENT for mail in results)
            self.stdout.write(f"{len(results)} due mail tried: {sent} sent, {len(results) - sent} not sent.")
            return
        counts = dict(OutboundMail.objects.order_by().values_list("status").annotate(count=Count("pk")))
        for value, label in OutboundMail.Status.choices:
            self.stdout.write(f"{label}: {counts.get(value, 0)}")
