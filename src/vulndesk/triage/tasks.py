"""Background work of triage."""

from django_tasks import task

from vulndesk.triage import sla


@task()
def warn_before_breaches() -> int:
    """Warn owners of clocks at risk or breached; idempotent (see triage.sla).

    The database task backend has no scheduler: `vulndesk schedule` (core/schedule.py) runs
    `vulndesk triage warn-breaches` every 15 minutes, or cron can. Returns the warnings sent.
    """
    return len(sla.warn_before_breaches())
