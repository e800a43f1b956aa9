"""`vulndesk notifications digest`: mail each digest subscriber what they were notified of (run daily from cron)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vulndesk.messaging.notifications import send_notification_digests


class Command(BaseCommand):
    help = (
        "Queue one digest mail per person who chose the daily digest (safe to run more often: nothing is sent twice)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["digest"])

    def handle(self, *args: Any, **options: Any) -> None:
        count = send_notification_digests()
        self.stdout.write(f"{count} digest mail{'s' if count != 1 else ''} queued.")
