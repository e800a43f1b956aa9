"""Researchers' reports in the portal: filing one, and reading one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Permission, can, is_staff_role
from vulndesk.core.portal import signed_in_user
from vulndesk.intake.forms import ReportSubmissionForm
from vulndesk.intake.models import Report
from vulndesk.intake.selectors import get_report_for_user
from vulndesk.intake.services import submit_report


@login_required
@require_safe
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    user = signed_in_user(request)
    report = get_report_for_user(user, report_id)
    if not is_staff_role(user):
        # A separate template, so internal detail cannot leak into the researcher's page by a missed `if`.
        return render(request, "intake/report_detail_researcher.html", {"report": report})
    allowed = report.allowed_next_states()
    case_link = getattr(report, "case_link", None)  # reverse one-to-one: None when in no case
    context = {
        "report": report,
        "case": case_link.case if case_link else None,
        "next_states": [(state.value, state.label) for state in Report.State if state in allowed],
        "can_mark_duplicate": Report.State.DUPLICATE in allowed,
        "can_triage": can(user, Permission.REPORT_TRIAGE, report),
    }
    return render(request, "intake/report_detail_staff.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def report_submit(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not can(user, Permission.REPORT_SUBMIT):
        # Staff accounts cannot file reports; nothing confidential here, so say so plainly.
        raise PermissionDenied
    form = ReportSubmissionForm(request.POST) if request.method == "POST" else ReportSubmissionForm()
    if request.method == "POST" and form.is_valid():
        try:
            report = submit_report(form.submission(), actor=user)
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, f"Thank you. We received your report; its reference is {report.reference}.")
            return redirect("report_detail", report.pk)
    return render(request, "intake/report_submit.html", {"form": form}, status=400 if form.errors else 200)
