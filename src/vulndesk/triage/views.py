"""The security response team's triage pages: the report queue and moving a report along."""

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from vulndesk.core.errors import Conflict, InvalidTransition, RuleViolation
from vulndesk.core.permissions import Permission, can, is_staff_role
from vulndesk.core.portal import paginate, signed_in_user
from vulndesk.intake.models import Report
from vulndesk.intake.selectors import get_report_for_user, list_reports_for_user
from vulndesk.triage.clocks import headline, report_clocks
from vulndesk.triage.forms import QueueFilterForm, ReportTransitionForm
from vulndesk.triage.services import transition_report


@login_required
@require_safe
def report_queue(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    # Researchers also hold report:view (for their own reports); the queue is the team's.
    # 403, not 404: that a queue exists is no secret, and the reason helps the person.
    if not (is_staff_role(user) and can(user, Permission.REPORT_VIEW)):
        raise PermissionDenied
    form = QueueFilterForm(request.GET)
    filters = form.report_filters()
    page = paginate(request, list_reports_for_user(user, filters, sort=form.sort_order()))
    reports: list[Report] = list(page.object_list)
    clocks = report_clocks(reports)
    # Counts per state under the other filters, so each state link says what it would show.
    counted = list_reports_for_user(user, replace(filters, state=None)).order_by().values_list("state")
    counts = dict(counted.annotate(count=Count("pk")))
    states = [(state.value, state.label, counts.get(state, 0)) for state in Report.State]
    context = {
        "form": form,
        "page": page,
        "rows": [(report, headline(clocks[report.pk])) for report in reports],
        "selected_state": filters.state or "",
        "state_counts": [entry for entry in states if entry[2] or entry[0] == filters.state],
        "total": sum(counts.values()),
    }
    return render(request, "triage/report_queue.html", context)


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
    context = {"report": report, "form": form, "clocks": report_clocks([report])[report.pk]}
    return render(request, "triage/report_transition.html", context, status=status)
