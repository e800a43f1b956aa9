"""Reading reports, always through the caller's permissions."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404

from vulndesk.accounts.models import User
from vulndesk.core.models import AuditEvent, StateInterval
from vulndesk.core.permissions import Permission, can, is_staff_role
from vulndesk.intake.models import PUBLIC_PROGRESS_CHANGED, Attachment, Report, hash_tracking_token


@dataclass(frozen=True)
class ReportFilters:
    state: str | None = None
    product: str | None = None  # product slug
    researcher_id: int | None = None
    search: str | None = None


SORTS = {"age": "created_at", "-age": "-created_at", "updated": "-updated_at", "title": "title"}


def list_reports_for_user(user: User, filters: ReportFilters | None = None, *, sort: str = "-age") -> QuerySet[Report]:
    """Reports `user` may see: staff with report access see all, a researcher only their own."""
    if not can(user, Permission.REPORT_VIEW):
        return Report.objects.none()
    reports = Report.objects.select_related("product", "researcher")
    if not is_staff_role(user):
        reports = reports.filter(researcher=user)
    filters = filters or ReportFilters()
    if filters.state:
        reports = reports.filter(state=filters.state)
    if filters.product:
        reports = reports.filter(product__slug=filters.product)
    if filters.researcher_id is not None:
        reports = reports.filter(researcher_id=filters.researcher_id)
    if filters.search:
        reports = reports.filter(title__icontains=filters.search)
    return reports.order_by(SORTS.get(sort, "-created_at"), "-id")


def get_report_for_user(user: User, report_id: int, *, need: Permission = Permission.REPORT_VIEW) -> Report:
    """The report if `user` holds `need` on it, else Http404.

    404 rather than 403: a report's existence is itself confidential.
    """
    report = Report.objects.select_related("product", "researcher").filter(pk=report_id).first()
    if report is None or not can(user, need, report):
        raise Http404("No such report.")
    return report


def get_report_by_tracking_token(token: str) -> Report:
    """The anonymous report whose secret tracking link carries `token`, else Http404."""
    report = (
        Report.objects.select_related("product").filter(tracking_token_hash=hash_tracking_token(token)).first()
        if token
        else None
    )
    if report is None:
        raise Http404("No report has this tracking link.")
    return report


def get_attachment_for_user(user: User, report_id: int, attachment_id: int) -> Attachment:
    """One of a report's attachments, for someone who may see the report; else Http404."""
    report = get_report_for_user(user, report_id)
    return _attachment_of(report, attachment_id)


def get_tracked_attachment(token: str, attachment_id: int) -> Attachment:
    """An anonymous report's attachment, for whoever holds its tracking link; else Http404."""
    return _attachment_of(get_report_by_tracking_token(token), attachment_id)


def _attachment_of(report: Report, attachment_id: int) -> Attachment:
    attachment = report.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    attachment.report = report
    return attachment


@dataclass(frozen=True)
class TimelineEntry:
    """One public event: a new status ("In review"), or the agreed disclosure date set, moved or withdrawn."""

    at: dt.datetime
    text: str
    disclosure_on: dt.date | None = None


def _date_entry(at: dt.datetime, before: object, after: object) -> TimelineEntry:
    # The audit event holds the dates as ISO strings (or None).
    if after is None:
        return TimelineEntry(at=at, text="Disclosure date withdrawn")
    text = "Disclosure date agreed" if before is None else "Disclosure date moved"
    return TimelineEntry(at=at, text=text, disclosure_on=dt.date.fromisoformat(str(after)))


def public_timeline(report: Report) -> list[TimelineEntry]:
    """The report's history as the researcher may see it: status changes and the agreed disclosure date.

    Built from the state history and the audit events of `update_public_progress`. Internal
    steps that look the same from outside (triaging → validating) are one entry, and no reason
    or person is shown: those are written for staff. Two queries, whatever the history's length.
    """
    report_type = ContentType.objects.get_for_model(Report)
    # (when, order at equal times, state or None, changes or None): a state entered before a
    # progress change recorded in the same instant, as the services write them.
    history: list[tuple[dt.datetime, int, str | None, dict[str, list[object]] | None]] = [
        (entered_at, 0, state, None)
        for entered_at, state in StateInterval.objects.filter(target_type=report_type, target_id=report.pk)
        .order_by("entered_at", "id")
        .values_list("entered_at", "state")
    ]
    history += [
        (created_at, 1, None, changes)
        for created_at, changes in AuditEvent.objects.filter(
            target_type=report_type, target_id=str(report.pk), tag=PUBLIC_PROGRESS_CHANGED
        )
        .order_by("created_at", "id")
        .values_list("created_at", "changes")
    ]
    history.sort(key=lambda item: (item[0], item[1]))
    timeline: list[TimelineEntry] = []
    # No status before the first state interval (every report has one from its creation).
    state: str | None = None
    is_fix_in_progress, last_status = False, ""
    for at, _, entered, changes in history:
        if entered is not None:
            state = entered
        if changes:
            if "is_fix_in_progress" in changes:
                is_fix_in_progress = bool(changes["is_fix_in_progress"][1])
            if "agreed_disclosure_on" in changes:
                before, after = changes["agreed_disclosure_on"]
                timeline.append(_date_entry(at, before, after))
        status = Report.researcher_status_of(state, is_fix_in_progress=is_fix_in_progress) if state else ""
        if status != last_status:
            timeline.append(TimelineEntry(at=at, text=status))
            last_status = status
    return timeline
