"""Threads in the portal: the report's and the case's conversation, writing and editing."""

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.portal import signed_in_user
from vulndesk.messaging.forms import MessageEditForm, MessageForm
from vulndesk.messaging.models import Message
from vulndesk.messaging.permissions import Thread, writable_channels
from vulndesk.messaging.selectors import (
    get_case_thread_for_user,
    get_message_for_user,
    get_report_thread_for_user,
    list_messages_for_user,
    list_revisions_for_user,
)
from vulndesk.messaging.services import edit_message, post_message


def thread_url(thread: Thread) -> str:
    if thread.report is not None:
        return reverse("report_detail", args=[thread.report.pk])
    return reverse("case_messages", args=[thread.case.pk])  # type: ignore[union-attr]


def thread_context(
    request: HttpRequest, user: User, thread: Thread, form: MessageForm | None = None
) -> dict[str, object]:
    """What `messaging/_thread.html` needs; the report page's include and the thread pages share it."""
    channels = writable_channels(user, thread)
    if form is None:
        initial = {"reply_to": request.GET.get("reply_to")} if request.GET.get("reply_to", "").isdigit() else {}
        form = MessageForm(channels=channels, initial=initial)
    thread_messages = list(list_messages_for_user(user, thread))
    replying_to = next((m for m in thread_messages if str(m.pk) == str(form["reply_to"].value())), None)
    return {
        "thread": thread,
        "thread_messages": thread_messages,
        "message_form": form if channels else None,
        "post_url": reverse(
            "report_messages" if thread.report else "case_messages",
            args=[thread.report.pk if thread.report else thread.case.pk],  # type: ignore[union-attr]
        ),
        "replying_to": replying_to,
        "viewer": user,
        "writable": channels,
        "organization_name": settings.ORGANIZATION_NAME,
    }


def _post(request: HttpRequest, user: User, thread: Thread) -> HttpResponse | MessageForm:
    """Handle the form; a redirect on success, else the bound form with its errors."""
    form = MessageForm(request.POST, channels=writable_channels(user, thread))
    if form.is_valid():
        try:
            reply_to_id = form.cleaned_data["reply_to"]
            reply_to = get_message_for_user(user, reply_to_id) if reply_to_id else None
            message = post_message(
                thread,
                channel=form.cleaned_data["channel"],
                body=form.cleaned_data["body"],
                actor=user,
                reply_to=reply_to,
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


@login_required
@require_http_methods(["GET", "POST"])
def report_messages(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report page shows the thread and posts here; errors come back on this page."""
    user = signed_in_user(request)
    thread = get_report_thread_for_user(user, report_id)
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
def case_messages(request: HttpRequest, case_id: int) -> HttpResponse:
    user = signed_in_user(request)
    thread = get_case_thread_for_user(user, case_id)
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
def message_edit(request: HttpRequest, message_id: int) -> HttpResponse:
    """Edit one's own message; the page also lists every earlier text."""
    user = signed_in_user(request)
    message: Message = get_message_for_user(user, message_id)
    if message.is_event or message.author_id != user.pk:
        raise PermissionDenied("Only the author can edit a message.")
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
