"""`vulndesk scoring msrc-agreement FILE...`: how often the bug bar proposes MSRC's published severity."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vulndesk.scoring.bug_bar import DEFAULT_RULES
from vulndesk.scoring.msrc import measure_agreement
from vulndesk.scoring.services import (
    active_bug_bar,
    load_default_bug_bar,
    set_preliminary_report_priorities,
    sync_case_report_priorities,
)


class Command(BaseCommand):
    help = "Scoring tools: the bug bar, its agreement with MSRC's published ratings, preliminary report priorities."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        agreement = actions.add_parser(
            "msrc-agreement",
            help="Compare the bug bar's proposals with MSRC's severities "
            "(e.g. ../shared/standards/msrc/msrc_2024-Jun_cves.csv).",
        )
        agreement.add_argument("files", nargs="+", type=Path)
        agreement.add_argument(
            "--configured",
            action="store_true",
            help="Measure the bug bar configured in the database instead of the built-in MSRC-style defaults.",
        )
        actions.add_parser(
            "prioritize-reports",
            help="Give reports in cases their case's priority, and open reports not in a case a first priority "
            "from the researcher's impact type and CVSS vector (run it from cron).",
        )
        bug_bar = actions.add_parser("bug-bar", help="Show the active bug bar rules, or load the defaults to edit.")
        bug_bar.add_argument(
            "--load-defaults",
            action="store_true",
            help="Replace the configured rules by the built-in defaults (then edit them in the admin).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "bug-bar":
            self._bug_bar(load_defaults=options["load_defaults"])
            return
        if options["action"] == "prioritize-reports":
            synced = sync_case_report_priorities()
            count = set_preliminary_report_priorities()
            self.stdout.write(f"Gave {synced} reports in cases their case's priority.")
            self.stdout.write(f"Gave {count} reports a preliminary priority.")
            return
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
        try:
            rules = active_bug_bar() if options["configured"] else DEFAULT_RULES
            result = measure_agreement(options["files"], rules)
        except ValueError as error:
            raise CommandError(str(error)) from None
        for label, microsoft_only in (("Microsoft-assigned CVEs", True), ("all rated CVEs", False)):
            agreeing, total = result.share(microsoft_only=microsoft_only)
            percent = 100 * agreeing / total if total else 0.0
            self.stdout.write(f"{label}: {agreeing} of {total} agree ({percent:.1f}%)")
        self.stdout.write(f"Skipped {len(result.skipped)} CVEs without an MSRC rating, impact type or vector.")
        if result.disagreements:
            self.stdout.write("\nDisagreements (published → proposed, rule, vector):")
        for row in result.disagreements:
            source = "" if row.is_microsoft_assigned else "  [not assigned by Microsoft]"
            self.stdout.write(
                f"  {row.cve}  {row.impact:9}  {row.published} → {row.proposed}  {row.rule}  {row.vector}{source}"
            )
            if row.title:
                self.stdout.write(f"      {row.title}")

    def _bug_bar(self, *, load_defaults: bool) -> None:
        if load_defaults:
            count = load_default_bug_bar(actor=None)
            self.stdout.write(f"Loaded {count} default rules; edit them in the admin under Scoring → Bug bar rules.")
        for position, rule in enumerate(active_bug_bar(), start=1):
            conditions = {
                "impact": rule.impact_type,
                "attack": rule.attack_vector,
                "authentication": rule.requires_authentication,
                "user interaction": rule.requires_user_interaction,
                "default config": rule.is_default_configuration,
                "product": rule.product_kind,
            }
            written = ", ".join(f"{key}={value}" for key, value in conditions.items() if value is not None)
            self.stdout.write(f"{position:3}. {rule.name:30} {rule.severity:9} if {written or 'always'}")
