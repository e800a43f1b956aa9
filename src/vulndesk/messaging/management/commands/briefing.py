"""`vulndesk briefing send`: mail today's release-day briefings (run each morning from cron; never sends twice)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vulndesk.messaging.subscriptions import send_release_briefings


class Command(BaseCommand):
    help = "Mail the release-day briefing for releases dated today to those who asked for it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send"])

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_release_briefings()
        self.stdout.write(f"{len(sent)} briefing{'s' if len(sent) != 1 else ''} queued.")
