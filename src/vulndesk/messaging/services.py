"""Writing to threads: posting, replying, editing, and the events vulndesk posts itself."""

from collections.abc import Iterable, Sequence
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import StateInterval
from vulndesk.core.permissions import STAFF_ROLES
from vulndesk.core.services import record_event
from vulndesk.intake.models import Report
from vulndesk.intake.services import CheckedFile, Upload, check_upload, delete_stored_files, store_checked_files
from vulndesk.messaging.models import (
    CasePartner,
    Channel,
    MailPreference,
    Message,
    MessageAttachment,
    MessageRevision,
    PartnerOrganization,
)
from vulndesk.messaging.notifications import notify_about_message
from vulndesk.messaging.openpgp import OpenPgpError, inspect_public_key
from vulndesk.messaging.outbox import mail_researcher
from vulndesk.messaging.partners import notify_partner_of_message
from vulndesk.messaging.permissions import Thread, partner_organization_of, readable_channels, writable_channels
from vulndesk.messaging.rendering import mentioned_handles, render_markdown
from vulndesk.messaging.responses import automatic_message_for

MAX_BODY_LENGTH = 50_000
MAX_ATTACHMENTS = 10  # per message; more belongs in one ZIP archive


def _clean_body(body: str, *, has_attachments: bool = False) -> str:
    body = body.strip()
    if not body and not has_attachments:
        raise RuleViolation("Write a message; it is empty.", field="body")
    if len(body) > MAX_BODY_LENGTH:
        raise RuleViolation(
            f"The message has {len(body):,} characters; the limit is {MAX_BODY_LENGTH:,}. "
            "Split it, or attach the long part as a file.",
            field="body",
        )
    return body


def _surviving_thread(thread: Thread, channel: str, actor: User) -> Thread:
    """Where a message to `thread` goes: the thread itself, the report it was merged into, or nowhere.

    A duplicate's researcher thread continues on the original only when the same researcher
    filed both; otherwise the original belongs to someone else and the message is refused.
    """
    report = thread.report
    if report is None or channel != Channel.RESEARCHER:
        return thread
    if report.state == Report.State.SPAM:
        raise RuleViolation(f"{report.reference} was closed as spam; its thread takes no more messages.")
    seen: set[int] = set()
    while report.state == Report.State.DUPLICATE and report.duplicate_of_id and report.pk not in seen:
        seen.add(report.pk)
        original = Report.objects.select_related("researcher").get(pk=report.duplicate_of_id)
        # Anonymous reports share one placeholder account; their contact address tells people apart.
        if original.researcher_id != report.researcher_id or original.reply_address != report.reply_address:
            if actor.pk == report.researcher_id:
                raise RuleViolation(
                    f"{report.reference} was closed as a duplicate of an earlier report by someone else, so its "
                    "thread is closed. If you have new information, submit it as a new report."
                )
            raise RuleViolation(
                f"{report.reference} is a duplicate of {original.reference}, which another researcher filed; "
                f"this thread is closed. Write an internal note, or reopen {report.reference} first."
            )
        report = original
    return Thread(report=report)


def _checked_attachments(uploads: Sequence[Upload]) -> list[CheckedFile]:
    """Every file checked by the report-attachment rules before anything is stored."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise RuleViolation(
            f"A message can carry at most {MAX_ATTACHMENTS} files; put several in one ZIP archive.",
            field="attachments",
        )
    checked = [check_upload(upload) for upload in uploads]
    total = sum(file.size for file in checked)
    if total > settings.INTAKE_REPORT_ATTACHMENTS_MAX_BYTES:
        limit = settings.INTAKE_REPORT_ATTACHMENTS_MAX_BYTES / 1024 / 1024
        raise RuleViolation(
            f"Together the files are {total / 1024 / 1024:.1f} MB; a message may carry at most {limit:.1f} MB.",
            field="attachments",
        )
    return checked


def _resolve_mentions(body: str, thread: Thread) -> list[User]:
    """Staff named by @handle who can read the thread's internal notes; unknown handles stay plain text.

    A handle is a whole email address or its local part; an ambiguous local part (two staff
    called ana@…) mentions nobody rather than guessing.
    """
    handles = mentioned_handles(body)
    if not handles:
        return []
    matches = Q()
    for handle in handles:
        matches |= Q(email__iexact=handle) if "@" in handle else Q(email__istartswith=f"{handle}@")
    staff = list(User.objects.filter(matches, is_active=True, role__in=STAFF_ROLES))
    mentioned: list[User] = []
    for handle in handles:
        candidates = [user for user in staff if handle in (user.email.lower(), user.email.lower().split("@", 1)[0])]
        if len(candidates) == 1 and Channel.INTERNAL in readable_channels(candidates[0], thread):
            mentioned.append(candidates[0])
    return mentioned


def _partner_for_post(thread: Thread, actor: User, organization: PartnerOrganization | None) -> CasePartner:
    """The invitation a partner-channel message belongs to: the actor's own, or the one staff named."""
    if thread.case is None:
        raise RuleViolation("Partner channels are on cases; write on the case.", field="channel")
    own = partner_organization_of(actor)
    if own is not None:
        organization = own
    elif organization is None:
        raise RuleViolation("Name the partner organization this message is for.", field="organization")
    case_partner = CasePartner.objects.filter(
        case=thread.case, organization=organization, removed_at__isnull=True
    ).first()
    if case_partner is None:
        raise RuleViolation(f"{organization} is not invited to {thread.reference}.", field="organization")
    return case_partner


@transaction.atomic
def post_message(
    thread: Thread,
    *,
    channel: str,
    body: str,
    actor: User,
    reply_to: Message | None = None,
    organization: PartnerOrganization | None = None,
    is_verified_reporter: bool = False,
    attachments: Sequence[Upload] = (),
) -> Message:
    """Post `body` (Markdown) in `channel` of `thread` as `actor`, with `attachments` (files).

    Raises PermissionDenied when the actor may not write there, RuleViolation for bad input, a
    refused file (the report-attachment rules) or a closed thread; nothing is saved then, no
    file either. A message with files may have no text. A message to a merged duplicate lands
    on the original report when the same researcher filed both.

    `is_verified_reporter`: the caller checked that the message comes from the report's reporter:
    the inbound router by the address the report's mail goes to, the tracking-link page by the
    link's secret. That identifies the researcher of an anonymous report (its placeholder account
    cannot sign in, so holds no role). Only the report's own researcher thread accepts that.
    """
    if channel not in Channel.values:
        raise RuleViolation(f"Unknown channel {channel!r}; use one of: {', '.join(Channel.values)}.", field="channel")
    if thread.case is not None and channel == Channel.RESEARCHER:
        references = ", ".join(report.reference for report in thread.case.reports.order_by("pk")) or "none yet"
        raise RuleViolation(
            f"Researcher threads belong to reports; write on the report (reports of {thread.reference}: {references}).",
            field="channel",
        )
    if thread.report is not None and channel == Channel.PARTNER:
        raise RuleViolation("Partner channels are on cases; write on the report's case.", field="channel")
    is_own_reporter_message = (
        is_verified_reporter
        and channel == Channel.RESEARCHER
        and thread.report is not None
        and thread.report.researcher_id == actor.pk
        and (actor.is_active or thread.report.is_anonymous)
    )
    if not is_own_reporter_message and channel not in writable_channels(actor, thread):
        raise PermissionDenied(f"You cannot write in the {Channel(channel).label.lower()} of {thread.reference}.")
    body = _clean_body(body, has_attachments=bool(attachments))
    files = _checked_attachments(attachments)
    thread = _surviving_thread(thread, channel, actor)
    case_partner = _partner_for_post(thread, actor, organization) if channel == Channel.PARTNER else None
    if reply_to is not None and (
        reply_to.partner_organization_id != (case_partner.organization_id if case_partner else None)
        or reply_to.channel != channel
        or reply_to.report_id != (thread.report.pk if thread.report else None)
        or reply_to.case_id != (thread.case.pk if thread.case else None)
    ):
        raise RuleViolation("You can only reply to a message in the same thread and channel.", field="reply_to")

    message = Message.objects.create(
        report=thread.report,
        case=thread.case,
        channel=channel,
        author=actor,
        body=body,
        body_html=render_markdown(body),
        reply_to=reply_to,
        partner_organization=case_partner.organization if case_partner else None,
    )
    stored = store_checked_files(files, partial(MessageAttachment, message=message))
    try:
        _after_posting(message, thread, actor, case_partner, stored)
    except BaseException:
        delete_stored_files(stored)
        raise
    return message


def _after_posting(
    message: Message,
    thread: Thread,
    actor: User,
    case_partner: CasePartner | None,
    stored: list[MessageAttachment],
) -> None:
    """Mentions, the audit event, mail and notifications of a message just saved (same transaction)."""
    channel = message.channel
    mentioned = _resolve_mentions(message.body, thread) if channel == Channel.INTERNAL else []
    message.mentions.set(mentioned)
    changes: dict[str, tuple[object, object]] = {"channel": (None, channel)}
    if stored:
        changes["attachments"] = (None, ", ".join(f"{a.original_name} sha256:{a.sha256}" for a in stored))
    record_event(message, tag="message:posted", actor=actor, changes=changes)
    mail_researcher(message)
    report = thread.report
    if report is not None and actor.pk == report.researcher_id and report.state == Report.State.NEEDS_INFO:
        # The answer the team waited for: triage resumes and its clocks run again.
        from vulndesk.triage.services import resume_triage_on_reply  # noqa: PLC0415  # triage.services imports this module

        resume_triage_on_reply(report)
    if case_partner is not None:
        if partner_organization_of(actor) is not None:
            case_partner.first_response_at = case_partner.first_response_at or timezone.now()
            case_partner.save(update_fields=["first_response_at"])
        else:
            notify_partner_of_message(case_partner, author=actor)
    notify_about_message(message, mentioned=mentioned)


@transaction.atomic
def edit_message(message: Message, *, body: str, actor: User) -> Message:
    """Replace a message's text, keeping the old text as a revision. Only its author may."""
    if message.is_event or message.author_id != actor.pk:
        raise PermissionDenied("Only the author can edit a message.")
    message = Message.objects.select_for_update().get(pk=message.pk)
    body = _clean_body(body, has_attachments=message.attachments.exists())
    if body == message.body:
        return message
    MessageRevision.objects.create(
        message=message,
        body=message.body,
        body_html=message.body_html,
        written_at=message.edited_at or message.created_at,
        replaced_by=actor,
    )
    message.body, message.body_html, message.edited_at = body, render_markdown(body), timezone.now()
    message.save(update_fields=["body", "body_html", "edited_at"])
    if message.channel == Channel.INTERNAL:
        thread = Thread(report=message.report) if message.report_id else Thread(case=message.case)
        before = set(message.mentions.values_list("pk", flat=True))
        mentioned = _resolve_mentions(body, thread)
        message.mentions.set(mentioned)
        # Only people newly named by the edit hear about it; the others were told already.
        notify_about_message(message, mentioned=[user for user in mentioned if user.pk not in before], owners=False)
    record_event(message, tag="message:edited", actor=actor)
    return message


@transaction.atomic
def post_report_event(report: Report, *, body: str) -> Message:
    """vulndesk's own note in the researcher thread (a status change, a CVE, a publication)."""
    message = Message.objects.create(
        report=report,
        channel=Channel.RESEARCHER,
        kind=Message.Kind.EVENT,
        body=body,
        body_html=render_markdown(body),
    )
    record_event(message, tag="message:event_posted", actor=None)
    mail_researcher(message)
    return message


def announce_report_status(report: Report) -> Message | None:
    """Tell the researcher their report's public status, when it changed in words they can see.

    Call it right after the state change, in the same transaction. An enabled automatic
    message for the new state (see responses.py) follows the status line. Internal steps that
    look the same from outside (triaging → validating are both "Under review") post nothing
    unless such a message is set up for them, so the researcher is not told twice.
    """
    intervals = StateInterval.objects.filter(
        target_type=ContentType.objects.get_for_model(Report), target_id=report.pk
    ).order_by("-entered_at", "-id")
    previous = [interval.state for interval in intervals[:2]][1:]
    wording = Report.RESEARCHER_STATUS.get(report.state)
    automatic = automatic_message_for(report)
    if not wording or (previous and wording == Report.RESEARCHER_STATUS.get(previous[0]) and automatic is None):
        return None
    body = f"Status changed to **{wording}**."
    return post_report_event(report, body=f"{body}\n\n{automatic}" if automatic else body)


def announce_fix_progress(reports: Iterable[Report]) -> list[Message]:
    """Tell researchers that a fix for their confirmed report is (no longer) in progress.

    Call it with the reports whose `is_fix_in_progress` intake's `update_public_progress` just
    changed; only a confirmed report's words depend on it ("Confirmed" ↔ "Fix in progress").
    """
    return [
        post_report_event(report, body=f"Status changed to **{report.researcher_status}**.")
        for report in reports
        if report.state == Report.State.CONFIRMED
    ]


@transaction.atomic
def update_mail_preferences(
    user: User, *, is_report_mail_off: bool, openpgp_public_key: str, notification_delivery: str = "immediately"
) -> MailPreference:
    """Save how `user` wants mail; an OpenPGP key must be exactly one usable public key."""
    key = openpgp_public_key.strip()
    fingerprint = ""
    if key:
        try:
            fingerprint = inspect_public_key(key).fingerprint
        except OpenPgpError as error:
            raise RuleViolation(str(error), field="openpgp_public_key") from None
    preference, _ = MailPreference.objects.get_or_create(user=user)
    before = (preference.is_report_mail_off, preference.openpgp_fingerprint)
    preference.is_report_mail_off, preference.openpgp_public_key = is_report_mail_off, key
    preference.openpgp_fingerprint = fingerprint
    if notification_delivery not in {"immediately", "digest", "off"}:
        raise RuleViolation("Choose immediately, digest or off.", field="notification_delivery")
    preference.notification_delivery = notification_delivery
    preference.save()
    record_event(
        preference,
        tag="mail:preferences_changed",
        actor=user,
        changes={
            "is_report_mail_off": (before[0], is_report_mail_off),
            "openpgp_fingerprint": (before[1], fingerprint),
        },
    )
    return preference
