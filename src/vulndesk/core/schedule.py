"""The periodic jobs, and a small scheduler that runs them.

Each job is one of the project's idempotent management commands, so cron, a systemd timer
or `vulndesk schedule` (which `vulndesk serve` starts beside the web server and the worker)
can run it, and running it twice does no harm.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.management import call_command

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    description: str
    command: tuple[str, ...]
    every: dt.timedelta


PERIODIC_JOBS = (
    # Warn owners before SLA breaches, propose closing silent Needs-info reports, refresh queue clocks.
    PeriodicJob("SLA warnings", ("triage", "warn-breaches"), dt.timedelta(minutes=15)),
    # Mail the worker could not deliver yet (server outage, crashed worker) is retried when due.
    PeriodicJob("Outbox retries", ("outbox", "send"), dt.timedelta(minutes=5)),
    # Reports that joined a case later, and new reports, get their priority.
    PeriodicJob("Report priorities", ("scoring", "prioritize-reports"), dt.timedelta(hours=1)),
    # Release-day briefings go out once per person; hourly so a restart never skips a day.
    PeriodicJob("Release-day briefings", ("briefing", "send"), dt.timedelta(hours=1)),
    # Daily digests and partner reminders are sent at most once a day per person.
    PeriodicJob("Notification digests", ("notifications", "digest"), dt.timedelta(hours=1)),
    PeriodicJob("Partner reminders", ("partners", "remind"), dt.timedelta(hours=6)),
)


class Scheduler:
    """Runs each job when it is due; a failing job is logged and retried at its next turn."""

    def __init__(
        self,
        jobs: Iterable[PeriodicJob] = PERIODIC_JOBS,
        *,
        run: Callable[..., object] = call_command,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jobs = tuple(jobs)
        self.run = run
        self.clock = clock
        # Everything runs once at start: after downtime, overdue work is done first.
        self.next_run = dict.fromkeys(self.jobs, self.clock())

    def run_due_jobs(self) -> list[PeriodicJob]:
        ran = []
        for job in self.jobs:
            if self.clock() < self.next_run[job]:
                continue
            try:
                self.run(*job.command)
            except Exception:  # One broken job must not stop the others.
                logger.exception("Periodic job %r failed; it runs again in %s.", job.description, job.every)
            self.next_run[job] = self.clock() + job.every.total_seconds()
            ran.append(job)
        return ran

    def seconds_until_next_job(self) -> float:
        return max(0.0, min(self.next_run.values()) - self.clock())
