"""`vulndesk triage warn-breaches`: warn owners before SLA clocks breach (run it from cron)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vulndesk.triage.sla import warn_before_breaches


class Command(BaseCommand):
    help = "Triage chores. warn-breaches: email the owners of SLA clocks that are at risk or breached."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "warn-breaches",
            help="Warn once per clock and due time; safe to run every few minutes (e.g. */15 in cron).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        warned = warn_before_breaches()
        for warning in warned:
            self.stdout.write(
                f"{warning.reference} {warning.clock} {warning.status}, due {warning.due_at:%Y-%m-%d %H:%M} UTC "
                f"→ {', '.join(warning.recipients)}"
            )
        self.stderr.write(f"{len(warned)} warning{'s' if len(warned) != 1 else ''} sent.")
