"""Warning people before an SLA clock breaches: the write side of the clocks (see clocks.py).

Run periodically (`vulndesk triage warn-breaches` from cron or a systemd timer, or the
`warn_before_breaches` task). It also refreshes the queue's `ReportSla` snapshots. Each warning is recorded in `SlaWarning` once per clock and
due time, so running it often, or twice at once, never sends the same warning twice.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Role
from vulndesk.intake.models import Report
from vulndesk.messaging.notifications import notify_sla_warning
from vulndesk.triage.clocks import Clock, ClockStatus, case_clocks, headline, report_clocks
from vulndesk.triage.models import Case, ReportSla, SlaSweep, SlaWarning
from vulndesk.triage.selectors import close_proposals

_WARN = {ClockStatus.AT_RISK, ClockStatus.BREACHED}
CLOSE_PROPOSAL = "needs_info_silence"
_BATCH = 500


@dataclass(frozen=True)
class Warned:
    kind: str
    object_id: int
    reference: str
    clock: str
    status: str
    due_at: dt.datetime
    recipients: list[str]


def _triage_team() -> list[str]:
    return list(
        User.objects.filter(is_active=True, role__in=[Role.ANALYST, Role.COORDINATOR])
        .order_by("email")
        .values_list("email", flat=True)
    )


def _batches(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _BATCH):
        yield ids[start : start + _BATCH]


def warn_before_breaches(*, now: dt.datetime | None = None) -> list[Warned]:
    """Email whoever owns each open report (its assignee, else the triage team) and each open case
    (its owner) whose clock is at risk or breached and was not yet warned for this due time."""
    now = now or timezone.now()
    refresh_open_report_slas()
    warned: list[Warned] = []
    team: list[str] | None = None
    open_reports = list(
        Report.objects.exclude(state__in=Report.CLOSED_STATES | {Report.State.FIXED}).values_list("pk", flat=True)
    )
    for ids in _batches(open_reports):
        reports = list(Report.objects.filter(pk__in=ids).select_related("product", "assignee"))
        clocks = report_clocks(reports, now=now)
        for report in reports:
            if report.assignee is not None:
                recipients = [report.assignee.email]
            else:
                team = team if team is not None else _triage_team()
                recipients = team
            warned += _warn(
                "report", report.pk, report.reference, report.title, clocks=clocks[report.pk], recipients=recipients
            )
    for report in close_proposals(now).select_related("assignee"):
        team = team if team is not None else _triage_team()
        recipients = [report.assignee.email] if report.assignee else team
        warned += _propose_closing(report, recipients, now=now)
    open_cases = list(
        Case.objects.filter(state__in=[Case.State.OPEN, Case.State.REMEDIATING]).values_list("pk", flat=True)
    )
    for ids in _batches(open_cases):
        cases = list(Case.objects.filter(pk__in=ids).select_related("owner"))
        clocks = case_clocks(cases, now=now)
        for case in cases:
            recipients = [case.owner.email] if case.owner is not None else _triage_team()
            warned += _warn("case", case.pk, case.reference, case.title, clocks=clocks[case.pk], recipients=recipients)
    return warned


def _warn(
    kind: str, object_id: int, reference: str, title: str, *, clocks: list[Clock], recipients: list[str]
) -> list[Warned]:
    sent = []
    for clock in clocks:
        if clock.status not in _WARN or clock.due_at is None or clock.stopped_at is not None or not recipients:
            continue
        try:
            with transaction.atomic():
                SlaWarning.objects.create(
                    content_type=kind, object_id=object_id, clock=clock.name, due_at=clock.due_at, recipients=recipients
                )
        except IntegrityError:
            continue  # warned already for this due time (by an earlier run, or one running right now)
        verb = "was due" if clock.status == ClockStatus.BREACHED else "is due"
        path = f"/reports/{object_id}/" if kind == "report" else f"/api/v1/cases/{object_id}"
        send_mail(
            subject=f"[{reference}] {clock.label} {verb} {clock.due_at:%a %d %b %H:%M} UTC",
            message=(
                f"{reference} ({title}): the {clock.label.lower()} clock ({clock.target}) "
                f"is {clock.status_label.lower()}; it {verb} {clock.due_at:%Y-%m-%d %H:%M} UTC.\n\n"
                f"{settings.BASE_URL}{path}\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
        for person in User.objects.filter(email__in=recipients, is_active=True):  # in vulndesk too (messaging)
            text = f"{clock.label} {verb} {clock.due_at:%d %b %H:%M} UTC"
            notify_sla_warning(person, reference=reference, text=text, url=path, already_mailed=True)
        sent.append(Warned(kind, object_id, reference, clock.name, clock.status, clock.due_at, recipients))
    return sent


def refresh_report_slas(reports: Sequence[Report], *, now: dt.datetime | None = None) -> None:
    """Store where each report's most pressing running clock stands (see `ReportSla`)."""
    if not reports:
        return
    clocks = report_clocks(reports, now=now)
    rows = []
    for report in reports:
        running = headline(clocks[report.pk])
        rows.append(
            ReportSla(
                report=report,
                clock=running.name if running else "",
                at_risk_at=running.at_risk_at if running else None,
                due_at=running.due_at if running else None,
                is_paused=running is not None and running.status == ClockStatus.PAUSED,
            )
        )
    ReportSla.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["report"],
        update_fields=["clock", "at_risk_at", "due_at", "is_paused", "refreshed_at"],
    )


def refresh_missing_report_slas() -> int:
    """Snapshots for reports received since the last sweep; returns how many.

    One indexed lookup when nothing is new, so the queue calls it on every request. Reports
    from before the first sweep (an upgrade, a bulk import) are caught up 500 per call, and
    open ones by the periodic run too.
    """
    if not _has_unswept_reports():
        return 0
    last = SlaSweep.objects.filter(pk=1).values_list("last_report_id", flat=True).first() or 0
    reports = list(Report.objects.filter(pk__gt=last).select_related("product").order_by("pk")[:_BATCH])
    if reports:
        refresh_report_slas(reports)
        _advance_sweep(reports[-1].pk)
    return len(reports)


def _has_unswept_reports() -> bool:
    # Plain SQL: every queue request asks, and the ORM took ten times as long to build this query as
    # PostgreSQL to answer it (bench/README.md).
    with connection.cursor() as cursor:
        # The newest id, not "any id past the mark": PostgreSQL may answer that with a scan of
        # every report (half a second at a million), MAX(id) always from the primary key's end.
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {Report._meta.db_table}) > "  # noqa: S608  # table names from the models
            f"COALESCE((SELECT last_report_id FROM {SlaSweep._meta.db_table} WHERE id = 1), 0)"
        )
        row = cursor.fetchone()
        return bool(row and row[0])


def refresh_open_report_slas() -> None:
    """Re-compute every open report's snapshot: picks up calendar and target changes.

    Also moves the sweep mark past every report that exists now: closed reports need no
    snapshot (the queue counts them as stopped), so the queue's own sweep starts from here.
    """
    newest = Report.objects.aggregate(newest=Max("pk"))["newest"] or 0
    open_reports = list(
        Report.objects.exclude(state__in=Report.CLOSED_STATES | {Report.State.FIXED}).values_list("pk", flat=True)
    )
    for ids in _batches(open_reports):
        refresh_report_slas(list(Report.objects.filter(pk__in=ids).select_related("product")))
    _advance_sweep(newest)


def _advance_sweep(newest: int) -> None:
    # Greatest: two sweeps at once must not move the mark backwards.
    if not SlaSweep.objects.filter(pk=1).update(last_report_id=Greatest("last_report_id", Value(newest))):
        SlaSweep.objects.get_or_create(pk=1, defaults={"last_report_id": newest})


def _propose_closing(report: Report, recipients: list[str], *, now: dt.datetime) -> list[Warned]:
    """Once per stay in Needs info: the researcher has been silent long enough to consider closing."""
    days = settings.TRIAGE_NEEDS_INFO_CLOSE_AFTER_DAYS
    try:
        with transaction.atomic():
            SlaWarning.objects.create(
                content_type="report",
                object_id=report.pk,
                clock=CLOSE_PROPOSAL,
                due_at=report.waiting_since,  # type: ignore[attr-defined]  # annotated; a later stay is proposed again
                recipients=recipients,
            )
    except IntegrityError:
        return []
    send_mail(
        subject=f"[{report.reference}] No answer for {days} days: close it?",
        message=(
            f"{report.reference} ({report.title}) has waited more than {days} days for the researcher's answer.\n"
            f"Consider closing it (e.g. as not reproducible), or ask again.\n\n"
            f"{settings.BASE_URL}/reports/{report.pk}/\n"
        ),
        from_email=None,
        recipient_list=recipients,
    )
    return [Warned("report", report.pk, report.reference, CLOSE_PROPOSAL, "close_proposed", now, recipients)]
