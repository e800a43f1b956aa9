"""`vulndesk schedule`: run the periodic jobs (SLA warnings, mail retries, …) until stopped."""

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vulndesk.core.schedule import PERIODIC_JOBS, Scheduler


class Command(BaseCommand):
    help = "Run the periodic jobs in this process; Ctrl-C stops it. --list shows them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", action="store_true", help="List the jobs and their intervals, then exit.")
        parser.add_argument("--once", action="store_true", help="Run every job once, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in PERIODIC_JOBS:
                self.stdout.write(f"every {job.every}  vulndesk {' '.join(job.command)}  ({job.description})")
            return
        scheduler = Scheduler()
        if options["once"]:
            ran = scheduler.run_due_jobs()
            self.stdout.write(f"Ran {len(ran)} periodic jobs.")
            return
        stopping = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Scheduler running {len(PERIODIC_JOBS)} periodic jobs.")
        while not stopping.is_set():
            scheduler.run_due_jobs()
            stopping.wait(min(scheduler.seconds_until_next_job(), 60))
        self.stdout.write("Scheduler stopped.")
