"""Researchers' reports in the portal: filing one (with or without an account), and reading one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from vulndesk.accounts.models import User
from vulndesk.core.errors import RateLimited, RuleViolation
from vulndesk.core.permissions import Permission, can, is_staff_role
from vulndesk.core.portal import paginate, signed_in_user
from vulndesk.core.ratelimit import client_address
from vulndesk.intake import orgkey
from vulndesk.intake.downloads import attachment_response
from vulndesk.intake.filetypes import KINDS
from vulndesk.intake.forms import COMMON_CWES, PolicyForm, ReportSubmissionForm
from vulndesk.intake.models import DisclosurePolicy, InboundMail, Report
from vulndesk.intake.notifications import tracking_url
from vulndesk.intake.policy import current_policy, default_policy_text, render_markdown
from vulndesk.intake.securitytxt import render_security_txt
from vulndesk.intake.selectors import (
    get_attachment_for_user,
    get_report_by_tracking_token,
    get_report_for_user,
    get_tracked_attachment,
    public_timeline,
)
from vulndesk.intake.services import add_attachments, check_submission, publish_policy, submit_report
from vulndesk.lib.cvss_calculator import calculator_from_form
from vulndesk.lib.cvss_vectors import CvssScore, InvalidCvssVector, score_cvss_vector

# The anonymous submitter's tracking token, kept in their session so the acknowledgment page
# can show the link after the redirect (it is never stored anywhere else in clear).
TRACKING_SESSION_KEY = "intake_tracking_token"
# The CVSS calculator's inputs are named suggested_cvss_…; its vector input is the form's field.
CVSS_PREFIX = "suggested_cvss"


@login_required
@require_safe
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    user = signed_in_user(request)
    report = get_report_for_user(user, report_id)
    if not is_staff_role(user):
        # A separate template, so internal detail cannot leak into the researcher's page by a missed `if`.
        return render(request, "intake/report_detail_researcher.html", _researcher_context(report, is_owner=True))
    allowed = report.allowed_next_states()
    case_link = getattr(report, "case_link", None)  # reverse one-to-one: None when in no case
    context = {
        "report": report,
        "attachments": report.attachments.all(),
        "inbound_mail": report.inbound_mail.defer("raw"),
        "case": case_link.case if case_link else None,
        "next_states": [(state.value, state.label) for state in Report.State if state in allowed],
        "can_mark_duplicate": Report.State.DUPLICATE in allowed,
        "can_triage": can(user, Permission.REPORT_TRIAGE, report),
    }
    return render(request, "intake/report_detail_staff.html", context)


def _researcher_context(report: Report, *, is_owner: bool) -> dict[str, object]:
    return {
        "report": report,
        "is_owner": is_owner,
        "attachments": report.attachments.all(),
        "timeline": public_timeline(report),
        "can_attach": is_owner and not report.is_closed,
        "limits": attachment_limits(),
    }


def attachment_limits() -> dict[str, object]:
    """The limits as people read them, for the upload hints."""
    return {
        "file_mb": settings.INTAKE_ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "report_mb": settings.INTAKE_REPORT_ATTACHMENTS_MAX_BYTES // (1024 * 1024),
        "count": settings.INTAKE_ATTACHMENTS_PER_REPORT,
        "kinds": ", ".join(KINDS[kind].label for kind in settings.INTAKE_ATTACHMENT_KINDS if kind in KINDS),
    }


def _submitter(request: HttpRequest) -> User | None:
    """The signed-in researcher, or None for an anonymous visitor; staff may not file reports."""
    user = request.user
    if not isinstance(user, User):
        return None
    if not can(user, Permission.REPORT_SUBMIT):
        # Staff accounts cannot file reports; nothing confidential here, so say so plainly.
        raise PermissionDenied
    return user


@require_http_methods(["GET", "POST"])
def report_submit(request: HttpRequest) -> HttpResponse:
    """Write → preview → send. Nothing is stored until the researcher sends from the preview.

    The CVSS calculator's pickers build the suggested vector: in the browser with JavaScript, or
    here (its "Calculate" and "Read vector" buttons re-show the form, computed by the server).
    """
    user = _submitter(request)
    anonymous = user is None
    action = request.POST.get("action", "preview")
    data = request.POST.copy()
    calc = calculator_from_form(data, field_prefix=CVSS_PREFIX)  # empty pickers on GET
    if calc.is_from_pickers and not calc.error:
        # The pickers win over the typed vector, as in the browser, where they keep it in step.
        data[f"{CVSS_PREFIX}_vector"] = calc.vector
    if request.method == "GET":
        form = ReportSubmissionForm(anonymous=anonymous, initial={"credit_name": user.display_name if user else ""})
    elif data.get(f"{CVSS_PREFIX}_action"):
        # Calculating is not submitting: show the text as typed, without "this field is required" yet.
        form = ReportSubmissionForm(anonymous=anonymous, initial=data.dict())
    else:
        form = ReportSubmissionForm(data, anonymous=anonymous)
    if calc.error and not calc.vector:
        calc.vector = data.get(f"{CVSS_PREFIX}_vector", "")  # keep what was typed while the pickers are fixed
    context = {
        "form": form,
        "calc": calc,
        "anonymous": anonymous,
        "common_cwes": COMMON_CWES,
        "response_target_hours": settings.INTAKE_RESPONSE_TARGET_HOURS,
    }
    if not form.is_bound or action == "edit":
        return render(request, "intake/report_submit.html", context, status=400 if form.errors else 200)
    if calc.is_from_pickers and calc.error:
        form.add_error("suggested_cvss_vector", calc.error)
    if not form.is_valid():
        return render(request, "intake/report_submit.html", context, status=400)
    preview = context | {
        "preview": form.submission(),
        "limits": attachment_limits(),
        "cvss": _cvss_preview(form.cleaned_data["suggested_cvss_vector"]),
    }
    try:
        if action != "send":
            check_submission(form.submission(), actor=user)
            return render(request, "intake/report_preview.html", preview)
        receipt = submit_report(
            form.submission(),
            actor=user,
            client_ip=client_address(request),
            attachments=request.FILES.getlist("attachments"),
        )
    except (RateLimited, RuleViolation) as error:
        return _refused(request, error, form=form, context=context, preview=preview)
    if receipt.tracking_token:
        request.session[TRACKING_SESSION_KEY] = receipt.tracking_token
        return redirect("report_received_anonymous")
    return redirect("report_received", receipt.report.pk)


def _cvss_preview(vector: str) -> CvssScore | None:
    """The suggested vector's score for the preview; a bad vector is reported by check_submission."""
    try:
        return score_cvss_vector(vector) if vector.strip() else None
    except InvalidCvssVector:
        return None


def _refused(
    request: HttpRequest,
    error: RateLimited | RuleViolation,
    *,
    form: ReportSubmissionForm,
    context: dict[str, object],
    preview: dict[str, object],
) -> HttpResponse:
    """Show why the service refused the report, on the page where it can be fixed."""
    if isinstance(error, RuleViolation) and error.field == "attachments":
        # The text was fine: stay on the preview, where the files are chosen.
        return render(request, "intake/report_preview.html", preview | {"attachment_error": error}, status=400)
    field = error.field if isinstance(error, RuleViolation) and error.field in form.fields else None
    form.add_error(field, str(error))
    status = 429 if isinstance(error, RateLimited) else 400
    return render(request, "intake/report_submit.html", context, status=status)


def _acknowledgment(request: HttpRequest, report: Report, *, link: str) -> HttpResponse:
    context = {"report": report, "link": link, "response_target_hours": settings.INTAKE_RESPONSE_TARGET_HOURS}
    return render(request, "intake/report_received.html", context)


@login_required
@require_safe
def report_received(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_report_for_user(signed_in_user(request), report_id)
    return _acknowledgment(request, report, link=request.build_absolute_uri(report.get_absolute_url()))


@require_safe
def report_received_anonymous(request: HttpRequest) -> HttpResponse:
    token = request.session.get(TRACKING_SESSION_KEY, "")
    report = get_report_by_tracking_token(token)
    return _acknowledgment(request, report, link=tracking_url(token))


@require_safe
def report_tracked(request: HttpRequest, token: str) -> HttpResponse:
    """An anonymous report, for whoever holds its secret link: the researcher's view, nothing internal."""
    report = get_report_by_tracking_token(token)
    context = _researcher_context(report, is_owner=False) | {"token": token}
    response = render(request, "intake/report_detail_researcher.html", context)
    # The token is in the URL: keep it out of other sites' Referer headers and shared caches.
    # (same-origin, not no-referrer: the page's own forms must still send their Origin for CSRF.)
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def report_attach(request: HttpRequest, report_id: int) -> HttpResponse:
    """The researcher adds files to their report from its page."""
    user = signed_in_user(request)
    report = get_report_for_user(user, report_id)
    try:
        added = add_attachments(report, request.FILES.getlist("attachments"), actor=user)
    except RuleViolation as error:
        context = _researcher_context(report, is_owner=True) | {"attachment_error": error}
        return render(request, "intake/report_detail_researcher.html", context, status=400)
    messages.success(request, f"Added {len(added)} file{pluralize(len(added))} to {report.reference}.")
    return redirect(report)


@login_required
@require_safe
def report_attachment(request: HttpRequest, report_id: int, attachment_id: int) -> FileResponse:
    return attachment_response(get_attachment_for_user(signed_in_user(request), report_id, attachment_id))


@require_safe
def tracked_attachment(request: HttpRequest, token: str, attachment_id: int) -> FileResponse:
    response = attachment_response(get_tracked_attachment(token, attachment_id))
    response["Referrer-Policy"] = "no-referrer"
    return response


# The public face: disclosure policy and security.txt ---------------------------------------


@require_safe
def policy(request: HttpRequest) -> HttpResponse:
    current = current_policy()
    body = current.body if current else default_policy_text()
    context = {"policy": current, "html": render_markdown(body), "can_edit": can(request.user, Permission.POLICY_EDIT)}
    return render(request, "intake/policy.html", context)


@require_safe
def policy_history(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/policy_history.html", {"versions": DisclosurePolicy.objects.all()})


@require_safe
def policy_version(request: HttpRequest, policy_id: int) -> HttpResponse:
    version = get_object_or_404(DisclosurePolicy, pk=policy_id)  # every version is public
    context = {"policy": version, "html": render_markdown(version.body), "is_old_version": True}
    return render(request, "intake/policy.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not can(user, Permission.POLICY_EDIT):
        raise PermissionDenied
    current = current_policy()
    form = PolicyForm(request.POST or None, initial={"body": current.body if current else default_policy_text()})
    if request.method == "POST" and form.is_valid():
        try:
            publish_policy(actor=user, **form.cleaned_data)
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, "The new disclosure policy is published.")
            return redirect("policy")
    return render(request, "intake/policy_edit.html", {"form": form}, status=400 if form.errors else 200)


@require_safe
def security_txt(request: HttpRequest) -> HttpResponse:
    """RFC 9116. Expires is always SECURITY_TXT_LIFETIME ahead, so the file never goes stale."""
    response = HttpResponse(render_security_txt(), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def organization_key(request: HttpRequest) -> HttpResponse:
    """The organisation's OpenPGP public key, at the stable address security.txt names."""
    if orgkey.fingerprint() is None:
        raise Http404("No OpenPGP key has been set up yet.")
    response = HttpResponse(orgkey.public_key(), content_type="application/pgp-keys; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


# Mail quarantine (staff) -----------------------------------------------------------------------


def _mail_staff(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not can(user, Permission.REPORT_TRIAGE):
        raise PermissionDenied
    return user


@login_required
@require_safe
def mail_quarantine(request: HttpRequest) -> HttpResponse:
    """Mail that could not be filed on its own, newest first, with the reason."""
    _mail_staff(request)
    held = InboundMail.objects.filter(status=InboundMail.Status.QUARANTINED).select_related("report").defer("raw")
    return render(request, "intake/mail_quarantine.html", {"page": paginate(request, held)})


@login_required
@require_safe
def mail_raw(request: HttpRequest, mail_id: int) -> HttpResponse:
    """The message exactly as received, as a download (.eml) for a mail client or forensics."""
    _mail_staff(request)
    inbound = get_object_or_404(InboundMail, pk=mail_id)
    response = HttpResponse(bytes(inbound.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="vulndesk-mail-{inbound.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
