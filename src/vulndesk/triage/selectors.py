"""Reading the queue and cases through the caller's permissions."""

import datetime as dt
import re
from dataclasses import dataclass, replace
from enum import StrEnum

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import OrderBy
from django.http import Http404
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Product, Team
from vulndesk.core.models import AuditEvent, StateInterval
from vulndesk.core.permissions import ROLE_PERMISSIONS, Permission, can, is_staff_role
from vulndesk.intake.models import Attachment, Report
from vulndesk.triage.models import Case, DutyPeriod, SavedQueueView, Validation, ValidationReply
from vulndesk.triage.search import matching


def list_cases_for_user(user: User, *, state: str | None = None) -> QuerySet[Case]:
    if not can(user, Permission.CASE_VIEW):
        return Case.objects.none()
    cases = Case.objects.select_related("owner")
    if state:
        cases = cases.filter(state=state)
    return cases


def get_case_for_user(user: User, case_id: int, *, need: Permission = Permission.CASE_VIEW) -> Case:
    case = Case.objects.select_related("owner").filter(pk=case_id).first()
    if case is None or not can(user, need, case):
        raise Http404("No such case.")
    return case


# --- The analyst queue ------------------------------------------------------------------------


class SlaFilter(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class QueueFilters:
    """What the queue can be narrowed by; the portal form and GET /queue both build one."""

    states: tuple[str, ...] = ()
    product: str | None = None  # product slug
    team: str | None = None  # owning team slug
    impact_type: str | None = None
    severity: str | None = None  # known once a vulnerability of the report's case is scored
    assignee: str | None = None  # a user id, "me" or "none"
    older_than_days: int | None = None
    newer_than_days: int | None = None
    sla: str | None = None  # SlaFilter
    is_low_signal: bool | None = None
    has_attachments: bool | None = None
    is_close_proposed: bool = False  # waiting on the researcher longer than TRIAGE_NEEDS_INFO_CLOSE_AFTER_DAYS
    q: str | None = None
    product_id: int | None = None  # `product`'s id when the caller has read the catalog anyway; else looked up


# Every order ends in id so pages are stable; priority and due time put unknowns last.
QUEUE_ORDERS: dict[str, tuple[OrderBy | str, ...]] = {
    "priority": (F("priority").asc(nulls_last=True), "created_at", "id"),
    "age": ("created_at", "id"),
    "-age": ("-created_at", "-id"),
    "sla_due": (F("sla__due_at").asc(nulls_last=True), "created_at", "id"),
    "updated": ("-updated_at", "-id"),
    "title": ("title", "id"),
}
DEFAULT_QUEUE_SORT = "priority"
# Reports waiting on the response team or the researcher: the only ones whose clocks run (sla.py).
_OPEN_STATES = (Report.State.NEW, Report.State.TRIAGING, Report.State.NEEDS_INFO, Report.State.VALIDATING)
# Counting stops here: past it the exact number costs a scan of every match (a million reports
# unfiltered; 10,000 through a join already took 15-45 ms) and tells an analyst, who works the
# first pages, nothing a "1,000+" does not.
QUEUE_COUNT_LIMIT = 1_000
_UNSHOWN_IN_ROWS = (
    "product__created_at",
    "product__updated_at",
    "product__family",
    "product__owning_team",
    "sla__refreshed_at",
)
_REFERENCE = re.compile(r"^(?:VD-R)?(\d{1,18})$", re.IGNORECASE)


def can_see_queue(user: User) -> bool:
    # Researchers hold report:view for their own reports; the queue is the response team's.
    return is_staff_role(user) and can(user, Permission.REPORT_VIEW)


def list_queue_for_user(
    user: User, filters: QueueFilters | None = None, *, sort: str = DEFAULT_QUEUE_SORT, now: dt.datetime | None = None
) -> QuerySet[Report]:
    """The triage queue as `user` may see it (staff only; nothing for anyone else), filtered and ordered."""
    if not can_see_queue(user):
        return Report.objects.none()
    filters = filters or QueueFilters()
    # A queue row shows its product's slug and name and its clocks: the rest of those rows stays
    # in the database (a page of 50 read 150 timestamps it never showed; 0.8 ms of its 4).
    reports = Report.objects.select_related("product", "sla").defer(*_UNSHOWN_IN_ROWS)
    sort = sort if sort in QUEUE_ORDERS else DEFAULT_QUEUE_SORT
    if _needs_a_running_clock(filters) and filters.states:
        # Only an open report's clocks run: closed states cannot match (see queue_page for the rest).
        filters = replace(filters, states=tuple(state for state in filters.states if state in _OPEN_STATES))
        if not filters.states:
            return Report.objects.none()
    reports = _filter_queue(reports, filters, user=user, now=now or timezone.now())
    return reports.order_by(*QUEUE_ORDERS[sort])


def queue_page(reports: QuerySet[Report], filters: QueueFilters, *, sort: str, start: int, stop: int) -> list[Report]:
    """Reports `start` to `stop` of `reports`, the queue `list_queue_for_user` returned for `filters` and `sort`.

    The same rows as slicing `reports`. By SLA due time, though, one query would join every
    report to its snapshot and sort them all (1.5 s at a million reports, any state): instead the
    reports with a due time come first, from the due-time index, and those without one (closed,
    confirmed, paused) after them, from the age index, each part a query of its own.
    """
    if sort != "sla_due":
        if _needs_a_running_clock(filters) and not filters.states:
            # Said outright for the page only: it then walks the open reports' index in its order
            # instead of every closed report (breached by age: 1.6 s → 20 ms at a million
            # reports), while the count keeps its plan from the due index (with the list it hashed
            # every breached report: 3 → 45 ms).
            reports = reports.filter(state__in=_OPEN_STATES)
        return list(reports[start:stop])
    may_have_due = not filters.states or any(state in _OPEN_STATES for state in filters.states)
    due = reports.filter(sla__due_at__isnull=False)
    rows = list(due[start:stop]) if may_have_due else []
    if len(rows) == stop - start:
        return rows
    # The reports with a due time end on this page or before it: count them to know where the rest start.
    if not may_have_due:
        due_count = 0
    elif rows or not start:
        due_count = start + len(rows)
    else:
        due_count = due.order_by().count()
    undue = reports.filter(Q(sla__isnull=True) | Q(sla__due_at__isnull=True)).order_by("created_at", "id")
    return rows + list(undue[max(0, start - due_count) : stop - due_count])


def count_queue(reports: QuerySet[Report], *, limit: int | None = None) -> tuple[int, bool]:
    """How many reports match, counted up to `limit` (QUEUE_COUNT_LIMIT); and whether that is the exact number.

    One query either way: a count over the first `limit` + 1 matching ids.
    """
    limit = QUEUE_COUNT_LIMIT if limit is None else limit
    count = reports.order_by().values("pk")[: limit + 1].count()
    return min(count, limit), count <= limit


def with_product_id(filters: QueueFilters) -> QueueFilters:
    """`filters` with its product's id, looked up once for a caller that reads the queue twice
    (its page and its state counts); unchanged without a product, or for an unknown one."""
    if filters.product is None or filters.product_id is not None:
        return filters
    return replace(filters, product_id=_product_id(filters.product))


def _product_id(slug: str) -> int | None:
    return Product.objects.filter(slug=slug).values_list("pk", flat=True).first()


def _needs_a_running_clock(filters: QueueFilters) -> bool:
    """Whether the SLA filter asks for a clock that runs or waits, which only open reports have (sla.py)."""
    return bool(filters.sla) and filters.sla != SlaFilter.STOPPED


def _filter_queue(reports: QuerySet[Report], f: QueueFilters, *, user: User, now: dt.datetime) -> QuerySet[Report]:
    plain = {
        "state__in": f.states or None,
        "product__owning_team__slug": f.team,
        "impact_type": f.impact_type,
        "is_low_signal": f.is_low_signal,
        "created_at__lte": now - dt.timedelta(days=f.older_than_days) if f.older_than_days is not None else None,
        "created_at__gte": now - dt.timedelta(days=f.newer_than_days) if f.newer_than_days is not None else None,
    }
    reports = reports.filter(**{lookup: value for lookup, value in plain.items() if value is not None})
    if f.product is not None:
        # The product's id as a value, neither a join on its slug nor a subquery: PostgreSQL then
        # plans with that product's share of the reports. Through a subquery it assumed an average
        # product: a large one's open reports by SLA due time were all joined and sorted (170 ms
        # at a million reports, 5 ms now), a small one's by title read the title index (105 → 6 ms).
        product_id = f.product_id if f.product_id is not None else _product_id(f.product)
        if product_id is None:
            return reports.none()
        reports = reports.filter(product_id=product_id)
    if f.severity:
        # Through the case's vulnerabilities, by relation name: triage never imports scoring.
        reports = reports.filter(case_link__case__in=Case.objects.filter(vulnerabilities__severity=f.severity))
    if f.has_attachments is not None:
        with_files = Exists(Attachment.objects.filter(report=OuterRef("pk")))
        reports = reports.filter(with_files if f.has_attachments else ~with_files)
    if f.is_close_proposed:
        reports = reports.filter(pk__in=close_proposals(now))
    if f.assignee:
        reports = reports.filter(_assignee_condition(f.assignee, user))
    if f.sla:
        reports = reports.filter(_sla_condition(f.sla, now))
    if f.q and f.q.strip():
        reports = _search(reports, f.q.strip())
    return reports


def _assignee_condition(assignee: str, user: User) -> Q:
    if assignee == "me":
        return Q(assignee=user)
    if assignee == "none":
        return Q(assignee__isnull=True)
    return Q(assignee_id=int(assignee)) if assignee.isdigit() else Q()


def _sla_condition(status: str, now: dt.datetime) -> Q:
    running = Q(sla__clock__gt="", sla__is_paused=False)
    return {
        # No snapshot yet: closed before snapshots existed (open ones get theirs from the periodic run).
        SlaFilter.STOPPED: Q(sla__clock="") | Q(sla__isnull=True),
        SlaFilter.PAUSED: Q(sla__clock__gt="", sla__is_paused=True),
        SlaFilter.BREACHED: running & Q(sla__due_at__lte=now),
        SlaFilter.AT_RISK: running & Q(sla__at_risk_at__lte=now, sla__due_at__gt=now),
        SlaFilter.ON_TRACK: running & Q(sla__at_risk_at__gt=now),
    }.get(SlaFilter(status), Q())


def _search(reports: QuerySet[Report], text: str) -> QuerySet[Report]:
    """Search title, description and steps to reproduce (triage.search: full-text with websearch
    syntax on PostgreSQL, "quoted phrase", -excluded, or; substrings elsewhere).

    A report reference ("VD-R12" or just "12") finds that report alone.
    """
    if match := _REFERENCE.match(text):
        return reports.filter(pk=int(match[1]))
    return matching(reports, text)


@dataclass(frozen=True)
class QueueCount:
    """A number of matching reports, counted up to QUEUE_COUNT_LIMIT; `is_exact` is false when counting stopped."""

    count: int
    is_exact: bool

    def __str__(self) -> str:
        return f"{self.count:,}" if self.is_exact else f"{self.count:,}+"


def queue_state_counts(user: User, filters: QueueFilters, *, now: dt.datetime | None = None) -> dict[str, QueueCount]:
    """Reports per state under every filter but the state one, so each state tab says what it would show.

    One query groups the first QUEUE_COUNT_LIMIT + 1 matches by state. When no more match, those
    are the exact counts; otherwise each is what the first matches hold, a lower bound ("312+"),
    and a state with none among them is left out. Counting each state in full would cost a scan
    of every match per state: at a million reports, seconds for a search.
    """
    reports = list_queue_for_user(user, replace(filters, states=()), now=now).order_by()
    if reports.query.is_empty():  # no such product, or not the queue's user
        return {}
    first = reports.values_list("state", flat=True)[: QUEUE_COUNT_LIMIT + 1]
    sql, params = first.query.sql_with_params()
    with connection.cursor() as cursor:
        # Django cannot group a sliced query; the inner SQL is its own, with its parameters.
        cursor.execute(f"SELECT matched.state, COUNT(*) FROM ({sql}) AS matched GROUP BY matched.state", params)  # noqa: S608
        grouped: dict[str, int] = dict(cursor.fetchall())
    is_exact = sum(grouped.values()) <= QUEUE_COUNT_LIMIT
    return {state: QueueCount(count, is_exact=is_exact) for state, count in grouped.items()}


def triagers() -> QuerySet[User]:
    """Active people who may triage reports: the choices for assigning one."""
    roles = [role for role, granted in ROLE_PERMISSIONS.items() if Permission.REPORT_TRIAGE in granted]
    return User.objects.filter(is_active=True, role__in=roles).order_by("display_name", "email")


def on_duty_triagers(on: dt.date) -> QuerySet[User]:
    """People who may triage and are on duty on day `on`, in a stable order (by id) for round robin."""
    return triagers().filter(duty_periods__starts_on__lte=on, duty_periods__ends_on__gte=on).distinct().order_by("pk")


def list_saved_views_for_user(user: User) -> QuerySet[SavedQueueView]:
    """A person's own saved queue views; nobody sees anyone else's."""
    return SavedQueueView.objects.filter(owner=user) if can_see_queue(user) else SavedQueueView.objects.none()


def get_saved_view_for_user(user: User, view_id: int) -> SavedQueueView:
    view = list_saved_views_for_user(user).filter(pk=view_id).first()
    if view is None:
        raise Http404("No such saved view.")
    return view


def list_duty_periods_for_user(user: User, *, on: dt.date | None = None) -> QuerySet[DutyPeriod]:
    if not can_see_queue(user):
        return DutyPeriod.objects.none()
    periods = DutyPeriod.objects.select_related("analyst")
    if on is not None:
        periods = periods.filter(starts_on__lte=on, ends_on__gte=on)
    return periods


def list_validations_for_report(report: Report) -> QuerySet[Validation]:
    """A report's reproduction attempts with every team's replies; fetch the report with report:triage first."""
    replies = ValidationReply.objects.select_related("team", "author")
    return (
        Validation.objects.filter(report=report)
        .select_related("analyst")
        .prefetch_related("evidence", "shared_with", Prefetch("replies", queryset=replies))
    )


def list_validations_shared_with_user(user: User) -> QuerySet[Validation]:
    """Validations shared with a team `user` belongs to: what an engineering team was asked to confirm.

    Each carries `team_replies` and `my_teams`: only the replies and teams of `user`'s own teams,
    since a team sees only what was shared with it, not what other teams answered.
    """
    own_teams = Team.objects.filter(members=user).order_by("name")
    return (
        Validation.objects.filter(shared_with__members=user)
        .distinct()
        .select_related("report", "report__product")
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=ValidationReply.objects.filter(team__in=own_teams).select_related("team", "author"),
                to_attr="team_replies",
            ),
            Prefetch("shared_with", queryset=own_teams, to_attr="my_teams"),
        )
        .order_by("-created_at", "-id")
    )


def get_shared_validation_for_user(user: User, validation_id: int) -> Validation:
    """A validation shared with one of `user`'s teams, else Http404 (whether it exists is not theirs to know)."""
    validation = list_validations_shared_with_user(user).filter(pk=validation_id).first()
    if validation is None:
        raise Http404("No such validation shared with your teams.")
    return validation


def close_proposals(now: dt.datetime | None = None) -> QuerySet[Report]:
    """Reports waiting on the researcher (Needs info) for longer than the configured silence: closing is proposed.

    Each carries `waiting_since`, when it entered Needs info.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.TRIAGE_NEEDS_INFO_CLOSE_AFTER_DAYS)
    stays = StateInterval.objects.filter(
        target_type=ContentType.objects.get_for_model(Report), state=Report.State.NEEDS_INFO, exited_at__isnull=True
    )
    waiting_since = stays.filter(target_id=OuterRef("pk")).values("entered_at")[:1]
    return Report.objects.filter(
        state=Report.State.NEEDS_INFO, pk__in=stays.filter(entered_at__lte=cutoff).values("target_id")
    ).annotate(waiting_since=Subquery(waiting_since))


def case_timeline(case: Case) -> QuerySet[AuditEvent]:
    """Everything that happened to a case and to its reports, oldest first."""
    report_ids = [str(pk) for pk in case.case_reports.values_list("report_id", flat=True)]
    case_events = Q(target_type=ContentType.objects.get_for_model(Case), target_id=str(case.pk))
    report_events = Q(target_type=ContentType.objects.get_for_model(Report), target_id__in=report_ids)
    return AuditEvent.objects.filter(case_events | report_events).select_related("actor").order_by("created_at", "id")
