"""Threads in the portal: the report's and the case's conversation, writing and editing."""

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Product, Team
from vulndesk.core.errors import RateLimited, RuleViolation
from vulndesk.core.permissions import Permission, Role, can, is_staff_role, role_of
from vulndesk.core.portal import paginate, signed_in_user
from vulndesk.core.ratelimit import count_attempt
from vulndesk.intake.downloads import attachment_response
from vulndesk.intake.filetypes import KINDS
from vulndesk.intake.models import Report
from vulndesk.intake.selectors import get_report_by_tracking_token
from vulndesk.messaging.forms import (
    MailPreferenceForm,
    MessageEditForm,
    MessageForm,
    OutboxFilterForm,
    PartnerInviteForm,
    PartnerStatusForm,
    ResponseTemplateEditForm,
    SharedVulnerabilitiesForm,
    StaffMailPreferenceForm,
)
from vulndesk.messaging.inbound import discard_quarantined_mail, release_quarantined_mail
from vulndesk.messaging.models import (
    AutomaticMessage,
    Channel,
    MailPreference,
    Message,
    OutboundMail,
    PartnerOrganization,
    PartnerStatus,
    ResponseTemplate,
    Subscription,
)
from vulndesk.messaging.notifications import list_notifications_for_user, mark_read, unread_count
from vulndesk.messaging.outbox import clear_bounce, resend_mail
from vulndesk.messaging.partners import (
    add_partner_member,
    get_or_create_organization,
    invite_partner,
    log_if_partner,
    log_partner_view,
    set_partner_status,
    set_shared_vulnerabilities,
)
from vulndesk.messaging.permissions import Thread, partner_organization_of, writable_channels
from vulndesk.messaging.rendering import render_markdown
from vulndesk.messaging.responses import (
    EXAMPLE_VALUES,
    VARIABLES,
    active_templates,
    preview_body,
    render_template,
    save_template,
    set_automatic_message,
)
from vulndesk.messaging.selectors import (
    get_case_partner_for_staff,
    get_case_partner_for_user,
    get_case_thread_for_user,
    get_message_attachment_for_user,
    get_message_for_user,
    get_outbound_mail_for_user,
    get_report_thread_for_user,
    get_tracked_message_attachment,
    list_bounced_addresses_for_user,
    list_mail_files_for_user,
    list_messages_for_user,
    list_outbound_mail_for_user,
    list_partner_cases_for_user,
    list_partner_matrix_for_user,
    list_quarantined_mail_for_user,
    list_revisions_for_user,
    list_tracked_thread,
    list_vulnerabilities_shared_with,
    read_mail_file_for_user,
)
from vulndesk.messaging.services import MAX_ATTACHMENTS, edit_message, post_message, update_mail_preferences
from vulndesk.messaging.subscriptions import followed_cases, subscribe, unsubscribe
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case
from vulndesk.triage.selectors import list_cases_for_user

THREAD_PAGE_SIZE = 50


def thread_url(thread: Thread) -> str:
    if thread.report is not None:
        return reverse("report_detail", args=[thread.report.pk])
    return reverse("case_messages", args=[thread.case.pk])  # type: ignore[union-attr]


def _partner_organizations(user: User, thread: Thread) -> list[PartnerOrganization]:
    """Staff writing on a case choose among the organizations invited to it; nobody else chooses."""
    if thread.case is None or partner_organization_of(user) is not None or not is_staff_role(user):
        return []
    # Names and ids only: a case may have a hundred partners, and this runs on every thread page.
    invited = PartnerOrganization.objects.filter(cases__case=thread.case, cases__removed_at__isnull=True)
    return list(invited.only("id", "name").order_by("name"))


def _case_of(thread: Thread, user: User) -> Case | None:
    """The case a report belongs to, for staff who may open its thread (a link from the report's thread)."""
    link = getattr(thread.report, "case_link", None) if thread.report is not None else None
    return link.case if link is not None and can(user, Permission.CASE_VIEW, link.case) else None


def thread_context(
    request: HttpRequest, user: User, thread: Thread, form: MessageForm | None = None
) -> dict[str, object]:
    """What `messaging/_thread.html` needs; the report page's include and the thread pages share it."""
    channels = writable_channels(user, thread)
    # Canned responses are for staff writing to a researcher: the chosen one is rendered for this
    # report into the form (and previewed), so it can be edited before it is sent.
    templates = (
        list(active_templates()) if thread.report and Channel.RESEARCHER in channels and is_staff_role(user) else []
    )
    chosen = next((t for t in templates if t.key == request.GET.get("template")), None)
    if form is None:
        initial: dict[str, object] = (
            {"reply_to": request.GET.get("reply_to")} if request.GET.get("reply_to", "").isdigit() else {}
        )
        if chosen is not None and thread.report is not None:
            initial |= {"body": render_template(chosen, thread.report), "channel": Channel.RESEARCHER.value}
        form = MessageForm(channels=channels, organizations=_partner_organizations(user, thread), initial=initial)
    # Long threads are shown a page at a time, the latest page first (a case with thousands of
    # messages must still open at once); the API pages the same way.
    messages = list_messages_for_user(user, thread)
    # Page through ids: sorting and skipping thousands of rows is cheap without their text and
    # joins, and only the page's rows are then read in full (with authors, files, mentions).
    paginator = Paginator(messages.prefetch_related(None).values_list("pk", flat=True), THREAD_PAGE_SIZE)
    requested = request.GET.get("page", "")
    page = paginator.get_page(requested if requested.isdigit() else paginator.num_pages)
    thread_messages = list(messages.filter(pk__in=list(page.object_list)))
    reply_to_id = str(form["reply_to"].value() or "")
    replying_to = next((m for m in thread_messages if str(m.pk) == reply_to_id), None)
    if replying_to is None and reply_to_id.isdigit():
        replying_to = list_messages_for_user(user, thread).filter(pk=int(reply_to_id)).first()
    return {
        "thread": thread,
        "thread_messages": thread_messages,
        "thread_page": page,
        "message_form": form if channels else None,
        "post_url": reverse(
            "report_messages" if thread.report else "case_messages",
            args=[thread.report.pk if thread.report else thread.case.pk],  # type: ignore[union-attr]
        ),
        "replying_to": replying_to,
        "viewer": user,
        "report_case": _case_of(thread, user),
        "writable": channels,
        "templates": templates,
        "can_manage_templates": can(user, Permission.RESPONSE_TEMPLATE_MANAGE),
        "chosen_template": chosen,
        "template_preview": render_markdown(str(form["body"].value() or "")) if chosen else "",
        "organization_name": settings.ORGANIZATION_NAME,
        "attachment_hint": _attachment_hint(),
    }


def _attachment_hint() -> str:
    """The file rules as people read them (the same as for report attachments)."""
    kinds = ", ".join(KINDS[name].label for name in settings.INTAKE_ATTACHMENT_KINDS if name in KINDS)
    return (
        f"Up to {MAX_ATTACHMENTS} files, {filesizeformat(settings.INTAKE_ATTACHMENT_MAX_BYTES)} each and "
        f"{filesizeformat(settings.INTAKE_REPORT_ATTACHMENTS_MAX_BYTES)} together. We accept: {kinds}. "
        "Files are checked by their content; only those who can read this message can download them."
    )


@require_safe
def tracked_message_attachment(request: HttpRequest, token: str, message_id: int, attachment_id: int) -> FileResponse:
    """A file of an anonymous report's researcher thread, for whoever holds its tracking link."""
    response = attachment_response(get_tracked_message_attachment(token, message_id, attachment_id))
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


@login_required
@require_safe
def message_attachment(request: HttpRequest, message_id: int, attachment_id: int) -> FileResponse:
    """A message's file, as a download, for whoever may read the message (404 for anyone else)."""
    user = signed_in_user(request)
    attachment = get_message_attachment_for_user(user, message_id, attachment_id)
    log_if_partner(user, attachment.message.case, what=f"file {attachment.original_name} of message #{message_id}")
    return attachment_response(attachment)


def tracked_thread_context(
    request: HttpRequest, report: Report, token: str, form: MessageForm | None = None
) -> dict[str, object]:
    """`messaging/_thread.html` for the holder of an anonymous report's tracking link: the
    researcher thread, files through the link, and a form to write in it (the link is their
    sign-in; they may also reply to our mail)."""
    paginator = Paginator(list_tracked_thread(report), THREAD_PAGE_SIZE)
    requested = request.GET.get("page", "")
    page = paginator.get_page(requested if requested.isdigit() else paginator.num_pages)
    is_open = report.state != Report.State.SPAM
    return {
        "thread": Thread(report=report),
        "thread_messages": list(page.object_list),
        "thread_page": page,
        "post_url": reverse("report_tracked", args=[token]),
        "form_url": reverse("tracked_message_post", args=[token]),
        "message_form": (form or MessageForm(channels=_REPORTER_CHANNELS)) if is_open else None,
        "attachment_hint": _attachment_hint(),
        "tracking_token": token,
        "organization_name": settings.ORGANIZATION_NAME,
    }


_REPORTER_CHANNELS = frozenset({Channel.RESEARCHER.value})
# Whoever holds a tracking link may write with it; this bounds what a leaked link can flood.
TRACKED_MESSAGES_PER_HOUR = 30


@require_POST
def tracked_message_post(request: HttpRequest, token: str) -> HttpResponse:
    """The holder of an anonymous report's tracking link writes in its researcher thread.

    The link's secret identifies the reporter, as their mail address does for a mailed reply.
    On success back to the report's page; on bad input this page again, with the text kept.
    """
    report = get_report_by_tracking_token(token)
    files = request.FILES.getlist("attachments")
    form = MessageForm(request.POST, channels=_REPORTER_CHANNELS, has_files=bool(files))
    try:
        count_attempt(
            "tracked-message",
            str(report.pk),
            limit=TRACKED_MESSAGES_PER_HOUR,
            window_seconds=3600,
            message="Too many messages on this report in one hour; wait a while, or reply by email.",
        )
        if form.is_valid():
            post_message(
                Thread(report=report),
                channel=Channel.RESEARCHER,
                body=form.cleaned_data["body"],
                actor=report.researcher,
                is_verified_reporter=True,
                attachments=files,
            )
            flash.success(request, "Your message was sent to the security team.")
            posted = redirect(f"{reverse('report_tracked', args=[token])}#message-form")
            posted["Referrer-Policy"] = "same-origin"  # the token is in the URL; the page's form needs its Origin
            return posted
    except (RuleViolation, RateLimited) as error:
        form.add_error(None, str(error))
    context = tracked_thread_context(request, report, token, form) | {"report": report}
    response = render(request, "messaging/tracked_message.html", context, status=400)
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def _post(request: HttpRequest, user: User, thread: Thread) -> HttpResponse | MessageForm:
    """Handle the form; a redirect on success, else the bound form with its errors."""
    organizations = _partner_organizations(user, thread)
    files = request.FILES.getlist("attachments")
    form = MessageForm(
        request.POST, channels=writable_channels(user, thread), organizations=organizations, has_files=bool(files)
    )
    if form.is_valid():
        try:
            reply_to_id = form.cleaned_data["reply_to"]
            reply_to = get_message_for_user(user, reply_to_id) if reply_to_id else None
            chosen = form.cleaned_data.get("organization") or ""
            message = post_message(
                thread,
                channel=form.cleaned_data["channel"],
                body=form.cleaned_data["body"],
                actor=user,
                reply_to=reply_to,
                # The form offers only organizations invited to this case (staff); partners write in their own.
                organization=next((o for o in organizations if str(o.pk) == chosen), None),
                attachments=files,
            )
        except Http404:
            form.add_error(None, "The message you replied to is not in this thread; write without replying.")
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            flash.success(request, "Message posted.")
            posted_in = Thread(report=message.report) if message.report_id else thread
            return redirect(f"{thread_url(posted_in)}#message-{message.pk}")
    return form


def _thread_page(request: HttpRequest, user: User, thread: Thread) -> HttpResponse:
    """Show the thread, or post to it; a refused post comes back on this page with its errors."""
    form = None
    if request.method == "POST":
        outcome = _post(request, user, thread)
        if isinstance(outcome, HttpResponse):
            return outcome
        form = outcome
    context = thread_context(request, user, thread, form)
    return render(request, "messaging/thread_page.html", context, status=400 if form else 200)


@login_required
@require_http_methods(["GET", "POST"])
def report_messages(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report page shows the thread and posts here; errors come back on this page."""
    user = signed_in_user(request)
    return _thread_page(request, user, get_report_thread_for_user(user, report_id))


@login_required
@require_http_methods(["GET", "POST"])
def case_messages(request: HttpRequest, case_id: int) -> HttpResponse:
    user = signed_in_user(request)
    thread = get_case_thread_for_user(user, case_id)
    log_if_partner(user, thread.case, what="conversation page")
    return _thread_page(request, user, thread)


@login_required
@require_http_methods(["GET", "POST"])
def message_edit(request: HttpRequest, message_id: int) -> HttpResponse:
    """Edit one's own message; the page also lists every earlier text."""
    user = signed_in_user(request)
    message: Message = get_message_for_user(user, message_id)
    if message.is_event or message.author_id != user.pk:
        raise PermissionDenied("Only the author can edit a message.")
    log_if_partner(user, message.case, what=f"message #{message.pk} and its earlier texts")
    form = MessageEditForm(request.POST if request.method == "POST" else None, initial={"body": message.body})
    if form.is_bound and form.is_valid():
        try:
            message = edit_message(message, body=form.cleaned_data["body"], actor=user)
        except RuleViolation as error:
            form.add_error("body", str(error))
        else:
            flash.success(request, "Message updated; the earlier text is kept in its history.")
            thread = Thread(report=message.report) if message.report_id else Thread(case=message.case)
            return redirect(f"{thread_url(thread)}#message-{message.pk}")
    context = {"message": message, "form": form, "revisions": list_revisions_for_user(user, message.pk)}
    return render(request, "messaging/message_edit.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def mail_preferences(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    current = MailPreference.objects.filter(user=user).first()
    initial = {
        "is_report_mail_off": current.is_report_mail_off if current else False,
        "openpgp_public_key": current.openpgp_public_key if current else "",
        "notification_delivery": current.notification_delivery if current else "immediately",
    }
    form_class = StaffMailPreferenceForm if is_staff_role(user) else MailPreferenceForm
    form = form_class(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            update_mail_preferences(
                user,
                is_report_mail_off=form.cleaned_data["is_report_mail_off"],
                openpgp_public_key=form.cleaned_data["openpgp_public_key"],
                notification_delivery=form.cleaned_data.get("notification_delivery", initial["notification_delivery"]),
            )
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            flash.success(request, "Your mail settings are saved.")
            return redirect("mail_preferences")
    context = {"form": form, "preference": current}
    return render(request, "messaging/mail_preferences.html", context, status=400 if form.errors else 200)


@login_required
@require_safe
def outbox(request: HttpRequest) -> HttpResponse:
    """Every outgoing mail and its status; bounced addresses and what to do about them."""
    user = signed_in_user(request)
    form = OutboxFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = paginate(request, list_outbound_mail_for_user(user, status=status))
    counts = dict(
        OutboundMail.objects.order_by().values_list("status").annotate(count=Count("pk")).values_list("status", "count")
    )
    context = {
        "form": form,
        "page": page,
        "status": status,
        "counts": [(value, label, counts.get(value, 0)) for value, label in OutboundMail.Status.choices],
        "bounced": list_bounced_addresses_for_user(user)[:50],
        "held_count": list_quarantined_mail_for_user(user).count(),
        "shows_mail_files": can(user, Permission.USER_MANAGE)
        and settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend",
    }
    return render(request, "messaging/outbox.html", context)


@login_required
@require_safe
def outbox_mail(request: HttpRequest, mail_id: int) -> HttpResponse:
    mail = get_outbound_mail_for_user(signed_in_user(request), mail_id)
    return render(request, "messaging/outbox_mail.html", {"mail": mail})


@login_required
@require_POST
def outbox_resend(request: HttpRequest, mail_id: int) -> HttpResponse:
    user = signed_in_user(request)
    mail = get_outbound_mail_for_user(user, mail_id)
    try:
        resend_mail(mail, actor=user)
    except RuleViolation as error:
        flash.error(request, str(error))
    else:
        flash.success(request, f"The mail to {mail.to_address} is queued again.")
    return redirect("outbox_mail", mail.pk)


@login_required
@require_POST
def outbox_clear_bounce(request: HttpRequest, address_id: int) -> HttpResponse:
    user = signed_in_user(request)
    entry = list_bounced_addresses_for_user(user).filter(pk=address_id).first()
    if entry is None:
        raise Http404("No such bounced address.")
    clear_bounce(entry, actor=user)
    flash.success(request, f"{entry.email} may receive mail again; resend the mail it missed from its page.")
    return redirect("outbox")


@login_required
@require_safe
def mail_files(request: HttpRequest) -> HttpResponse:
    """Administrators: the mail written to files because no mail server is configured (embedded mode)."""
    files = list_mail_files_for_user(signed_in_user(request))
    context = {"files": files[:200] if files is not None else None, "count": len(files or [])}
    return render(request, "messaging/mail_files.html", context)


@login_required
@require_safe
def mail_file(request: HttpRequest, name: str) -> HttpResponse:
    file, text = read_mail_file_for_user(signed_in_user(request), name)
    return render(request, "messaging/mail_file.html", {"file": file, "text": text})


@login_required
@require_safe
def quarantine(request: HttpRequest) -> HttpResponse:
    """Inbound mail that named a report but was not attached to it; staff keep or discard each."""
    held = list_quarantined_mail_for_user(signed_in_user(request))
    return render(request, "messaging/quarantine.html", {"page": paginate(request, held)})


@login_required
@require_POST
def quarantine_decide(request: HttpRequest, held_id: int) -> HttpResponse:
    user = signed_in_user(request)
    held = list_quarantined_mail_for_user(user).filter(pk=held_id).first()
    if held is None:
        raise Http404("No such held mail.")
    try:
        if request.POST.get("decision") == "release":
            note = release_quarantined_mail(held, actor=user)
            flash.success(request, f"Added to {held.report.reference if held.report else ''} as an internal note.")
            return redirect(f"{reverse('report_detail', args=[note.report_id])}#message-{note.pk}")
        discard_quarantined_mail(held, actor=user)
    except RuleViolation as error:
        flash.error(request, str(error))
    else:
        flash.success(request, f"The mail from {held.from_address} was discarded.")
    return redirect("quarantine")


@login_required
@require_safe
def notifications(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    page = paginate(request, list_notifications_for_user(user))
    context = {"page": page, "unread": unread_count(user), "handle": user.email.split("@", 1)[0]}
    return render(request, "messaging/notifications.html", context)


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read and open it (`id`), or all of them (no `id`)."""
    user = signed_in_user(request)
    raw_id = request.POST.get("id", "")
    if raw_id.isdigit():
        notification = list_notifications_for_user(user).filter(pk=int(raw_id)).first()
        if notification is None:
            raise Http404("No such notification.")
        mark_read(user, notification_id=notification.pk)
        return redirect(notification.url)
    count = mark_read(user)
    flash.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("notifications")


def _require_template_manager(user: User) -> None:
    if not can(user, Permission.RESPONSE_TEMPLATE_MANAGE):
        raise PermissionDenied("Canned responses are managed by administrators.")


@login_required
@require_http_methods(["GET", "POST"])
def response_templates(request: HttpRequest) -> HttpResponse:
    """The library of canned responses, and which state changes send one automatically."""
    user = signed_in_user(request)
    _require_template_manager(user)
    if request.method == "POST":
        automatic = AutomaticMessage.objects.filter(pk=request.POST.get("automatic", "")).first()
        if automatic is None:
            raise Http404("No such automatic message.")
        set_automatic_message(automatic, is_enabled=request.POST.get("is_enabled") == "on", actor=user)
        state = Report.State(automatic.state).label
        flash.success(request, f"Automatic message on “{state}” is {'on' if automatic.is_enabled else 'off'}.")
        return redirect("response_templates")
    context = {
        "templates": ResponseTemplate.objects.order_by("name"),
        "automatic": AutomaticMessage.objects.select_related("template").order_by("state"),
        "variables": VARIABLES,
    }
    return render(request, "messaging/response_templates.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def response_template_edit(request: HttpRequest, key: str | None = None) -> HttpResponse:
    """Edit (or add) a canned response; "Preview" shows it filled with example values, "Save" makes a new version."""
    user = signed_in_user(request)
    _require_template_manager(user)
    template = ResponseTemplate.objects.filter(key=key).first() if key else ResponseTemplate(is_active=True)
    if template is None:
        raise Http404("No such canned response.")
    initial = {"name": template.name, "key": template.key, "body": template.body, "is_active": template.is_active}
    form = ResponseTemplateEditForm(request.POST if request.method == "POST" else None, initial=initial)
    preview = ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            preview = render_markdown(preview_body(data["body"]))
            if request.POST.get("action") == "save":
                if ResponseTemplate.objects.filter(key=data["key"]).exclude(pk=template.pk).exists():
                    raise RuleViolation(f"Another canned response already uses the key {data['key']!r}.", field="key")
                template = save_template(
                    template,
                    body=data["body"],
                    actor=user,
                    name=data["name"],
                    key=data["key"],
                    is_active=data["is_active"],
                )
                flash.success(request, f"“{template.name}” saved as version {template.version}.")
                return redirect("response_template_edit", template.key)
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
    elif template.pk:
        preview = render_markdown(template.body.format_map(EXAMPLE_VALUES))
    context = {
        "template": template,
        "form": form,
        "preview": preview,
        "variables": VARIABLES,
        "versions": template.versions.select_related("created_by") if template.pk else [],
    }
    return render(request, "messaging/response_template_edit.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def case_partners(request: HttpRequest, case_id: int) -> HttpResponse:
    """Staff: who is invited to the case, what each said per vulnerability, who is silent; invite another."""
    user = signed_in_user(request)
    thread = get_case_thread_for_user(user, case_id)
    case = thread.case
    assert case is not None
    if role_of(user) == Role.PARTNER:
        raise Http404("No such case.")
    vulnerabilities = list(Vulnerability.objects.filter(case=case).order_by("pk"))
    form = PartnerInviteForm(request.POST if request.method == "POST" else None, vulnerabilities=vulnerabilities)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        chosen = set(data["vulnerabilities"])
        try:
            with transaction.atomic():
                organization = get_or_create_organization(
                    name=data["organization_name"], kind=data["kind"], contact_email=data["contact_email"], actor=user
                )
                for email in data["member_emails"].split():
                    add_partner_member(organization, email=email, display_name="", actor=user)
                invite_partner(
                    case,
                    organization,
                    shared_summary=data["shared_summary"],
                    actor=user,
                    vulnerabilities=[v for v in vulnerabilities if v.pk in chosen],
                )
        except RuleViolation as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            flash.success(request, f"{organization} is invited to {case.reference}; its members were mailed.")
            return redirect("case_partners", case.pk)
    context = {
        "case": case,
        "form": form,
        "rows": list_partner_matrix_for_user(user, case, vulnerabilities),
        "vulnerabilities": vulnerabilities,
        "can_manage": can(user, Permission.CASE_MANAGE, case),
        "can_share": can(user, Permission.CASE_MANAGE, case) and bool(vulnerabilities),
    }
    return render(request, "messaging/case_partners.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def case_partner_sharing(request: HttpRequest, case_id: int, organization_id: int) -> HttpResponse:
    """Staff: choose which of the case's vulnerabilities one invited organization may see."""
    user = signed_in_user(request)
    if role_of(user) == Role.PARTNER:
        raise Http404("No such case.")
    case = get_case_thread_for_user(user, case_id).case
    assert case is not None
    case_partner = get_case_partner_for_staff(user, case, organization_id)
    vulnerabilities = list(Vulnerability.objects.filter(case=case).order_by("pk"))
    shared = [share.vulnerability_id for share in case_partner.shared.all()]
    form = SharedVulnerabilitiesForm(
        request.POST if request.method == "POST" else None,
        vulnerabilities=vulnerabilities,
        initial={"vulnerabilities": shared},
    )
    if form.is_bound and form.is_valid():
        chosen = set(form.cleaned_data["vulnerabilities"])
        try:
            set_shared_vulnerabilities(case_partner, [v for v in vulnerabilities if v.pk in chosen], actor=user)
        except RuleViolation as error:
            form.add_error(None, str(error))
        else:
            flash.success(
                request,
                f"{case_partner.organization} now sees {len(chosen)} of {len(vulnerabilities)} vulnerabilities.",
            )
            return redirect("case_partners", case.pk)
    context = {
        "case": case,
        "case_partner": case_partner,
        "form": form,
        "has_vulnerabilities": bool(vulnerabilities),
        "can_manage": can(user, Permission.CASE_MANAGE, case),
    }
    return render(request, "messaging/case_partner_sharing.html", context, status=400 if form.errors else 200)


@login_required
@require_safe
def partner_cases(request: HttpRequest) -> HttpResponse:
    """A partner's start page: the cases their organization is invited to."""
    user = signed_in_user(request)
    organization = partner_organization_of(user)
    if organization is None:
        raise PermissionDenied("This page is for members of partner organizations.")
    invitations = list(list_partner_cases_for_user(user))
    for invitation in invitations:
        log_partner_view(invitation, actor=user, what="case list")
    return render(request, "messaging/partner_cases.html", {"organization": organization, "invitations": invitations})


@login_required
@require_http_methods(["GET", "POST"])
def partner_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """What a partner sees of a case: the shared summary, the vulnerabilities with their status, their channel."""
    user = signed_in_user(request)
    case_partner = get_case_partner_for_user(user, case_id)
    vulnerabilities = list(list_vulnerabilities_shared_with(case_partner))
    status_form = PartnerStatusForm(request.POST if request.method == "POST" else None)
    if status_form.is_bound and status_form.is_valid():
        data = status_form.cleaned_data
        vulnerability = next((v for v in vulnerabilities if v.pk == data["vulnerability"]), None)
        try:
            if vulnerability is None:
                raise RuleViolation("That vulnerability is not shared with you on this case.", field="vulnerability")
            set_partner_status(
                case_partner,
                vulnerability,
                status=data["status"],
                justification=data["justification"],
                tracking_id=data["tracking_id"],
                actor=user,
            )
        except RuleViolation as error:
            status_form.add_error(error.field if error.field in status_form.fields else None, str(error))
        else:
            flash.success(request, f"Your status for {vulnerability.reference} is saved.")
            return redirect("partner_case", case_id)
    log_partner_view(case_partner, actor=user, what="case page")
    # Only answers on vulnerabilities still shared: one withdrawn from them is not shown again.
    statuses = {s.vulnerability_id: s for s in case_partner.statuses.filter(vulnerability__in=vulnerabilities)}
    context = thread_context(request, user, Thread(case=case_partner.case)) | {
        "case_partner": case_partner,
        "summary_html": render_markdown(case_partner.shared_summary),
        "rows": [(v, statuses.get(v.pk)) for v in vulnerabilities],
        "status_form": status_form,
        "status_choices": PartnerStatus.Status.choices,
    }
    return render(request, "messaging/partner_case.html", context, status=400 if status_form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    """Follow products, teams or cases; see the followed cases; opt in to release-day briefings."""
    user = signed_in_user(request)
    if not is_staff_role(user):
        raise PermissionDenied("Subscriptions are for the security team and its colleagues.")
    if request.method == "POST":
        if request.POST.get("remove", "").isdigit():
            subscription = Subscription.objects.filter(user=user, pk=int(request.POST["remove"])).first()
            if subscription is None:
                raise Http404("No such subscription.")
            unsubscribe(subscription, actor=user)
            flash.success(request, f"You no longer follow {subscription.scope_label}.")
            return redirect("subscriptions")
        scope, _, raw_id = request.POST.get("scope", "").partition(":")
        target: dict[str, Any] = {}
        if raw_id.isdigit():
            lookups: dict[str, Any] = {
                "product": Product.objects,
                "team": Team.objects,
                "case": list_cases_for_user(user),
            }
            found = lookups[scope].filter(pk=int(raw_id)).first() if scope in lookups else None
            if found is None:
                raise Http404("No such product, team or case.")
            target = {scope: found}
        subscription = subscribe(user, wants_briefing=request.POST.get("wants_briefing") == "on", **target)
        flash.success(request, f"You follow {subscription.scope_label}.")
        return redirect("subscriptions")
    context = {
        "subscriptions": Subscription.objects.filter(user=user).select_related("product", "team", "case"),
        "cases": followed_cases(user)[:100],
        "products": Product.objects.order_by("name"),
        "teams": Team.objects.order_by("name"),
        "open_cases": list_cases_for_user(user).exclude(state="closed").order_by("-created_at")[:200],
    }
    return render(request, "messaging/subscriptions.html", context)
