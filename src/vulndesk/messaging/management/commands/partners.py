"""`vulndesk partners remind`: remind invited organizations that have not answered (run daily from cron)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vulndesk.messaging.partners import MAX_REMINDERS, REMIND_AFTER, remind_silent_partners


class Command(BaseCommand):
    help = f"Remind silent partner organizations every {REMIND_AFTER.days} days, at most {MAX_REMINDERS} times."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["remind"])

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = remind_silent_partners()
        self.stdout.write(f"{len(reminded)} organization{'s' if len(reminded) != 1 else ''} reminded.")
