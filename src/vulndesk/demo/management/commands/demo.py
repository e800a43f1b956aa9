"""`vulndesk demo`: seed the fictional vendor Larkmoor Systems, or whatever part of it is missing."""

from typing import Any

from django.core.management.base import BaseCommand

from vulndesk.demo.data import DEMO_PASSWORD, PEOPLE
from vulndesk.demo.seed import KINDS, seed_demo


class Command(BaseCommand):
    help = (
        "Seed demo data: a fictional vendor with products, researchers, staff logins and months of reports, "
        "cases, releases and advisories. Safe to run again: it only adds what is missing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] >= 1
        summary = seed_demo(progress=self.stdout.write if verbose else None)
        if not verbose:
            return
        self.stdout.write("")
        self.stdout.write(f"{'':18}{'created':>9}{'already there':>15}")
        for kind in KINDS:
            self.stdout.write(f"{kind:18}{summary.created[kind]:>9}{summary.present[kind]:>15}")
        self.stdout.write(
            f"{summary.notifications_suppressed} researcher notifications of past state changes were not sent."
        )
        for problem in summary.problems:
            self.stdout.write(self.style.WARNING(f"Skipped {problem}"))
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for person in PEOPLE:
            self.stdout.write(f"  {person.role.label:16}{person.email:38}{person.display_name}")
