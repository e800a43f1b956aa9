"""The security response team's triage pages: the report queue and moving a report along."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from vulndesk.core.errors import Conflict, InvalidTransition, RuleViolation
from vulndesk.core.permissions import Permission
from vulndesk.core.portal import paginate, signed_in_user
from vulndesk.intake.models import Report
from vulndesk.intake.selectors import get_report_for_user
from vulndesk.triage.clocks import report_clocks
from vulndesk.triage.forms import QueueFilterForm, ReportTransitionForm
from vulndesk.triage.models import ReportSla
from vulndesk.triage.selectors import can_see_queue, list_queue_for_user, queue_state_counts
from vulndesk.triage.services import transition_report
from vulndesk.triage.sla import refresh_missing_report_slas


@login_required
@require_safe
def report_queue(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    # 403, not 404: that a queue exists is no secret, and the reason helps the person.
    if not can_see_queue(user):
        raise PermissionDenied
    refresh_missing_report_slas()  # reports received since the last periodic run
    form = QueueFilterForm(request.GET, user=user)
    filters = form.queue_filters()
    now = timezone.now()
    page = paginate(request, list_queue_for_user(user, filters, sort=form.sort_order(), now=now))
    counts = queue_state_counts(user, filters, now=now)
    selected_state = filters.states[0] if filters.states else ""
    states = [(state.value, state.label, counts.get(state, 0)) for state in Report.State]
    context = {
        "form": form,
        "page": page,
        "rows": [(report, _sla_of(report), _sla_status(report, now)) for report in page.object_list],
        "selected_state": selected_state,
        "state_counts": [entry for entry in states if entry[2] or entry[0] == selected_state],
        "total": sum(counts.values()),
        "is_filtered": any(value for name, value in form.cleaned_data.items() if name not in {"state", "sort"}),
    }
    return render(request, "triage/report_queue.html", context)


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
