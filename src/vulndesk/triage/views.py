"""The security response team's triage pages: the report queue and moving a report along."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from vulndesk.accounts.models import User
from vulndesk.core.errors import Conflict, InvalidTransition, RuleViolation
from vulndesk.core.permissions import Permission, can
from vulndesk.core.portal import PAGE_SIZE, signed_in_user
from vulndesk.intake.models import Report
from vulndesk.intake.selectors import get_report_for_user
from vulndesk.triage.clocks import case_clocks, report_page_clocks
from vulndesk.triage.duplicates import find_duplicate_candidates
from vulndesk.triage.forms import (
    BulkActionForm,
    CaseFromReportForm,
    DisclosureDateForm,
    QueueFilterForm,
    ReportTransitionForm,
    SavedViewForm,
    ServicingForm,
    ValidationReplyForm,
    triager_choices,
)
from vulndesk.triage.models import Case, CaseReport, ReportSla
from vulndesk.triage.selectors import (
    QueueCount,
    QueueFilters,
    can_see_queue,
    case_timeline,
    count_queue,
    get_case_for_user,
    get_saved_view_for_user,
    get_shared_validation_for_user,
    list_duty_periods_for_user,
    list_queue_for_user,
    list_saved_views_for_user,
    list_validations_for_report,
    list_validations_shared_with_user,
    queue_page,
    queue_state_counts,
    triagers,
)
from vulndesk.triage.services import (
    AssignStrategy,
    add_report_to_case,
    bulk_assign_reports,
    bulk_transition_reports,
    create_case,
    decide_servicing,
    delete_queue_view,
    mark_duplicate,
    reply_to_validation,
    save_queue_view,
    set_disclosure_date,
    transition_report,
)
from vulndesk.triage.sla import refresh_missing_report_slas

_LONG_TEXTS = ("description", "steps_to_reproduce", "proof_of_concept", "disclosure_plans")
# A row names its assignee (User.__str__: display name, else email); nothing else of the account.
_UNSHOWN_OF_ASSIGNEE = tuple(
    f"assignee__{field.name}"
    for field in User._meta.concrete_fields
    if field.name not in {User._meta.pk.name, "display_name", "email"}
)


@login_required
@require_safe
def report_queue(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    # 403, not 404: that a queue exists is no secret, and the reason helps the person.
    if not can_see_queue(user):
        raise PermissionDenied
    refresh_missing_report_slas()  # reports received since the last periodic run
    people = triager_choices()  # for the filter's and the bulk form's assignee lists
    form = QueueFilterForm(request.GET, user=user, people=people)
    filters = form.queue_filters()
    now = timezone.now()
    counts = queue_state_counts(user, filters, now=now)
    selected_state = filters.states[0] if filters.states else ""
    states = [(state.value, state.label, counts.get(state, QueueCount(0, is_exact=True))) for state in Report.State]
    total = QueueCount(
        sum(count.count for count in counts.values()), is_exact=all(count.is_exact for count in counts.values())
    )
    # Exact state counts already say how many the page's filters match: no second count.
    known = (
        (counts.get(selected_state, QueueCount(0, is_exact=True)) if selected_state else total)
        if total.is_exact
        else None
    )
    # The rows show the assignee's name but none of a report's long texts.
    sort = form.sort_order()
    reports = list_queue_for_user(user, filters, sort=sort, now=now).select_related("assignee")
    paginator = QueuePaginator(reports.defer(*_LONG_TEXTS, *_UNSHOWN_OF_ASSIGNEE), filters, sort=sort, known=known)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "matched": QueueCount(paginator.count, is_exact=paginator.is_exact),
        "rows": [(report, _sla_of(report), _sla_status(report, now)) for report in page.object_list],
        "selected_state": selected_state,
        "state_counts": [entry for entry in states if entry[2].count or entry[0] == selected_state],
        "total": total,
        "is_filtered": any(value for name, value in form.cleaned_data.items() if name not in {"state", "sort"}),
        "bulk_form": BulkActionForm(people=people),
        "saved_views": list_saved_views_for_user(user),
        "save_form": SavedViewForm(initial={"query": request.GET.urlencode()}),
        "on_duty": list_duty_periods_for_user(user, on=timezone.localdate()),
        "query": request.GET.urlencode(),
    }
    return render(request, "triage/report_queue.html", context)


class QueuePaginator(Paginator[Report]):
    """Pages of the queue whose count stops at QUEUE_COUNT_LIMIT (count_queue), like the API's.

    The pages it offers cover those first 1,000 reports; an analyst narrows the filters to reach
    others, as with any search that finds more than anyone reads.
    """

    def __init__(
        self, reports: QuerySet[Report], filters: QueueFilters, *, sort: str, known: QueueCount | None = None
    ) -> None:
        super().__init__(reports, PAGE_SIZE)
        self.reports, self.filters, self.sort, self.known = reports, filters, sort, known

    def page(self, number: int | str) -> Page[Report]:
        """Django's page, its rows read by `queue_page` (two queries when sorted by SLA due time)."""
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        stop = min(start + self.per_page, self.count)
        rows = queue_page(self.reports, self.filters, sort=self.sort, start=start, stop=stop)
        return Page(rows, number, self)

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        if self.known is not None:
            return self.known.count, self.known.is_exact
        return count_queue(self.reports)

    @cached_property
    def count(self) -> int:
        return self._counted[0]

    @property
    def is_exact(self) -> bool:
        return self._counted[1]


def _sla_of(report: Report) -> ReportSla | None:
    try:
        return report.sla
    except ReportSla.DoesNotExist:
        return None


def _sla_status(report: Report, now: dt.datetime) -> str:
    sla = _sla_of(report)
    return sla.status_at(now) if sla else ""


@login_required
@require_http_methods(["GET", "POST"])
def report_transition(request: HttpRequest, report_id: int) -> HttpResponse:
    """Move a report to another state. The report page posts here; errors come back to this page."""
    user = signed_in_user(request)
    report = get_report_for_user(user, report_id, need=Permission.REPORT_TRIAGE)
    data = request.POST if request.method == "POST" else None
    form = ReportTransitionForm(data, report=report, user=user)
    if form.is_bound and form.is_valid():
        try:
            report = transition_report(
                report,
                form.cleaned_data["to"],
                actor=user,
                reason=form.cleaned_data["reason"],
                duplicate_of=form.cleaned_data["duplicate_of"],
                expected_state=form.cleaned_data["expected_state"] or None,
                question=form.cleaned_data["question"],
            )
        except Conflict as error:
            # Start again from the state as it is now, with the reason why.
            messages.error(request, str(error))
            return redirect("report_transition", report.pk)
        except InvalidTransition as error:
            form.add_error("to", str(error))
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, f"{report.reference} is now {report.get_state_display()}.")
            return redirect("report_detail", report.pk)
    status = 400 if form.errors else 200
    context = {
        "report": report,
        "form": form,
        "clocks": report_page_clocks(report),
        "candidates": find_duplicate_candidates(report, limit=5) if not report.is_closed else [],
        "validations": list_validations_for_report(report),
        "case_form": CaseFromReportForm() if report.state == Report.State.CONFIRMED else None,
        "case_link": CaseReport.objects.filter(report=report).select_related("case").first(),
    }
    return render(request, "triage/report_transition.html", context, status=status)


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("next_query", "")
    return redirect(f"{reverse('report_queue')}?{query}" if query else reverse("report_queue"))


@login_required
@require_POST
def queue_bulk_action(request: HttpRequest) -> HttpResponse:
    """Assign or move the reports ticked in the queue: all of them or, if any cannot, none (see services)."""
    user = signed_in_user(request)
    if not can_see_queue(user):
        raise PermissionDenied
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return _back_to_queue(request)
    data = form.cleaned_data
    reports = [get_report_for_user(user, report_id, need=Permission.REPORT_TRIAGE) for report_id in data["report_ids"]]
    try:
        if data["action"] == "assign":
            choice = data["assignee"]
            strategy = AssignStrategy(choice) if choice in {"round_robin", "least_loaded"} else AssignStrategy.MANUAL
            assignee = triagers().get(pk=int(choice)) if choice.isdigit() else None
            changed = bulk_assign_reports(reports, assignee, actor=user, strategy=strategy)
            messages.success(request, f"Assigned {changed} report{'s' if changed != 1 else ''}.")
        else:
            changed = bulk_transition_reports(
                reports, data["to"], actor=user, reason=data["reason"], question=data["question"]
            )
            label = Report.State(data["to"]).label
            messages.success(request, f"Moved {changed} report{'s' if changed != 1 else ''} to {label}.")
    except RuleViolation as error:
        messages.error(request, str(error))
    return _back_to_queue(request)


@login_required
@require_POST
def queue_view_save(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not can_see_queue(user):
        raise PermissionDenied
    form = SavedViewForm(request.POST)
    if form.is_valid():
        try:
            view = save_queue_view(owner=user, name=form.cleaned_data["name"], query=form.cleaned_data["query"])
        except RuleViolation as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Saved the view “{view.name}”.")
            return redirect(f"{reverse('report_queue')}?{view.query}")
    else:
        messages.error(request, "Give the view a name (up to 80 characters) to save it.")
    return _back_to_queue(request)


@login_required
@require_POST
def queue_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    user = signed_in_user(request)
    view = get_saved_view_for_user(user, view_id)
    delete_queue_view(view, actor=user)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("report_queue")


@login_required
@require_POST
def report_case(request: HttpRequest, report_id: int) -> HttpResponse:
    """A confirmed report joins an open case, or opens a new one; then the case page."""
    user = signed_in_user(request)
    report = get_report_for_user(user, report_id, need=Permission.REPORT_TRIAGE)
    if not can(user, Permission.CASE_MANAGE):
        raise PermissionDenied
    form = CaseFromReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("report_transition", report.pk)
    try:
        if form.cleaned_data["case"]:
            case = get_case_for_user(user, int(form.cleaned_data["case"]), need=Permission.CASE_MANAGE)
            add_report_to_case(case, report, actor=user)
        else:
            case = create_case(title=form.cleaned_data["title"], reports=[report], actor=user)
    except RuleViolation as error:
        messages.error(request, str(error))
        return redirect("report_transition", report.pk)
    messages.success(request, f"{report.reference} is part of {case.reference}.")
    return redirect("case_detail", case.pk)


@login_required
@require_POST
def report_mark_duplicate(request: HttpRequest, report_id: int, original_id: int) -> HttpResponse:
    """One click from the candidate list: close as a duplicate of that report (credit to the first)."""
    user = signed_in_user(request)
    report = get_report_for_user(user, report_id, need=Permission.REPORT_TRIAGE)
    original = get_report_for_user(user, original_id, need=Permission.REPORT_TRIAGE)
    try:
        report = mark_duplicate(report, original, actor=user, expected_state=request.POST.get("expected_state") or None)
    except (InvalidTransition, RuleViolation, Conflict) as error:
        messages.error(request, str(error))
        return redirect("report_transition", report.pk)
    messages.success(request, f"{report.reference} is closed as a duplicate of {original.reference}.")
    return redirect("report_detail", report.pk)


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """A case: its reports, clocks, disclosure date and servicing decision (both editable) and timeline."""
    user = signed_in_user(request)
    case = get_case_for_user(user, case_id)
    form = ServicingForm(request.POST or None)
    if request.method == "POST":
        if not can(user, Permission.CASE_MANAGE, case):
            raise PermissionDenied
        if form.is_valid():
            try:
                decide_servicing(case, actor=user, **form.cleaned_data)
            except RuleViolation as error:
                form.add_error("rationale", str(error))
            else:
                messages.success(request, "The servicing decision is recorded.")
                return redirect("case_detail", case.pk)
    return _case_page(request, case, servicing_form=form)


@login_required
@require_POST
def case_disclosure_date(request: HttpRequest, case_id: int) -> HttpResponse:
    """Set, move or withdraw the case's agreed disclosure date; errors come back on the case page."""
    user = signed_in_user(request)
    case = get_case_for_user(user, case_id)
    if not can(user, Permission.CASE_MANAGE, case):
        raise PermissionDenied
    form = DisclosureDateForm(request.POST)
    if form.is_valid():
        date = form.cleaned_data["disclosure_date"]
        try:
            set_disclosure_date(case, date, actor=user, reason=form.cleaned_data["reason"])
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(
                request, f"The disclosure date is {date:%d %B %Y}." if date else "The disclosure date is withdrawn."
            )
            return redirect("case_detail", case.pk)
    return _case_page(request, case, disclosure_form=form)


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    servicing_form: ServicingForm | None = None,
    disclosure_form: DisclosureDateForm | None = None,
) -> HttpResponse:
    user = signed_in_user(request)
    servicing_form = servicing_form or ServicingForm()
    disclosure_form = disclosure_form or DisclosureDateForm(initial={"disclosure_date": case.disclosure_date})
    context = {
        "case": case,
        "reports": case.reports.select_related("product").order_by("pk"),
        "clocks": case_clocks([case])[case.pk],
        "timeline": case_timeline(case),
        "form": servicing_form,
        "disclosure_form": disclosure_form,
        "can_manage": can(user, Permission.CASE_MANAGE, case),
    }
    is_invalid = servicing_form.errors or disclosure_form.errors
    return render(request, "triage/case_detail.html", context, status=400 if is_invalid else 200)


@login_required
@require_safe
def shared_validations(request: HttpRequest) -> HttpResponse:
    """Validations an engineering team of the user's was asked to confirm, each with a form to answer."""
    return _shared_validations_page(request)


@login_required
@require_POST
def shared_validation_reply(request: HttpRequest, validation_id: int) -> HttpResponse:
    user = signed_in_user(request)
    validation = get_shared_validation_for_user(user, validation_id)
    form = ValidationReplyForm(request.POST, validation=validation)
    if form.is_valid():
        try:
            reply_to_validation(
                validation,
                actor=user,
                verdict=form.cleaned_data["verdict"],
                body=form.cleaned_data["body"],
                team_id=form.cleaned_data.get("team_id"),
            )
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, f"Your answer on {validation.report.reference} is recorded; the analysts see it.")
            return redirect("shared_validations")
    return _shared_validations_page(request, bound=form, bound_id=validation.pk)


def _shared_validations_page(
    request: HttpRequest, *, bound: ValidationReplyForm | None = None, bound_id: int | None = None
) -> HttpResponse:
    validations = list(list_validations_shared_with_user(signed_in_user(request))[:100])
    items = [
        (validation, bound if validation.pk == bound_id and bound else ValidationReplyForm(validation=validation))
        for validation in validations
    ]
    return render(request, "triage/shared_validations.html", {"items": items}, status=400 if bound is not None else 200)
