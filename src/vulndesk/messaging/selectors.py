"""Reading threads. Every query here is filtered by the channels the caller may read, first."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Permission, Role, can, role_of
from vulndesk.intake.models import Report
from vulndesk.intake.selectors import get_report_by_tracking_token, get_report_for_user
from vulndesk.messaging.models import (
    CasePartner,
    Channel,
    MailAddress,
    Message,
    MessageAttachment,
    MessageRevision,
    OutboundMail,
    PartnerOrganization,
    PartnerStatus,
    QuarantinedMail,
    SharedVulnerability,
)
from vulndesk.messaging.permissions import (
    Thread,
    partner_on_case,
    partner_organization_of,
    readable_channels,
    sees_outbox,
    sees_report_internals,
)
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case, CaseReport
from vulndesk.triage.selectors import get_case_for_user


def get_report_thread_for_user(user: User, report_id: int) -> Thread:
    """The report's thread if `user` may see the report, else Http404."""
    return Thread(report=get_report_for_user(user, report_id))


def get_case_thread_for_user(user: User, case_id: int) -> Thread:
    """The case's thread if `user` may see the case (staff) or was invited to it (partner), else Http404."""
    if role_of(user) == Role.PARTNER:
        case = Case.objects.filter(pk=case_id).first()
        if case is None or partner_on_case(user, case) is None:
            raise Http404("No such case.")
        return Thread(case=case)
    return Thread(case=get_case_for_user(user, case_id))


def _thread_filter(user: User, thread: Thread, channels: frozenset[str]) -> Q:
    if thread.report is not None:
        return Q(report=thread.report, channel__in=channels)
    if role_of(user) == Role.PARTNER:
        # Only their own organization's channel; `channels` can hold nothing else for a partner.
        return Q(case=thread.case, channel=Channel.PARTNER, partner_organization=partner_organization_of(user))
    # A case's thread is its own notes and partner channels plus, for those who read reports,
    # its reports' threads.
    own = Q(case=thread.case, channel__in=channels & {Channel.INTERNAL, Channel.PARTNER})
    if not sees_report_internals(user):
        return own
    report_ids = CaseReport.objects.filter(case=thread.case).values("report_id")
    return own | Q(report__in=report_ids, channel__in=channels)


def list_messages_for_user(
    user: User, thread: Thread, *, channel: str | None = None, organization: PartnerOrganization | None = None
) -> QuerySet[Message]:
    """The messages of `thread` that `user` may read, oldest first.

    Asking for a channel the caller may not read is refused (PermissionDenied) rather than
    answered with an empty list, so a client cannot mistake "not allowed" for "nothing yet".
    """
    channels = readable_channels(user, thread)
    if not channels:
        raise Http404("No such thread.")
    if channel is not None:
        if channel not in Channel.values:
            raise PermissionDenied(f"Unknown channel {channel!r}; use one of: {', '.join(Channel.values)}.")
        if channel not in channels:
            raise PermissionDenied(f"You cannot read the {Channel(channel).label.lower()} of {thread.reference}.")
        channels = frozenset({channel})
    messages = Message.objects.filter(_thread_filter(user, thread, channels))
    if organization is not None:
        messages = messages.filter(channel=Channel.PARTNER, partner_organization=organization)
    return (
        messages.select_related("author", "reply_to__author", "partner_organization")
        .prefetch_related(
            Prefetch("mentions", queryset=User.objects.only("id", "email", "display_name")),
            Prefetch("attachments", queryset=MessageAttachment.objects.defer("file")),
        )
        .order_by("created_at", "id")
    )


def get_message_for_user(user: User, message_id: int) -> Message:
    """One message if `user` may read its channel, else Http404 (a hidden note is not confirmed to exist)."""
    message = Message.objects.select_related("report", "case", "author").filter(pk=message_id).first()
    if message is None:
        raise Http404("No such message.")
    thread = Thread(report=message.report) if message.report_id else Thread(case=message.case)
    if message.channel not in readable_channels(user, thread):
        raise Http404("No such message.")
    organization = partner_organization_of(user)
    if organization is not None and message.partner_organization_id != organization.pk:
        raise Http404("No such message.")
    return message


def get_message_attachment_for_user(user: User, message_id: int, attachment_id: int) -> MessageAttachment:
    """A file of a message the caller may read (its channel, and for a partner their own organization's), else Http404."""
    message = get_message_for_user(user, message_id)
    attachment = MessageAttachment.objects.filter(message=message, pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    attachment.message = message  # already read, with its report and case
    return attachment


def list_tracked_thread(report: Report) -> QuerySet[Message]:
    """An anonymous report's researcher thread, for whoever holds its tracking link (the caller
    resolved the token with intake's get_report_by_tracking_token). Never another channel."""
    if not report.is_anonymous:
        raise Http404("No such thread.")
    return (
        Message.objects.filter(report=report, channel=Channel.RESEARCHER)
        .select_related("author", "reply_to__author")
        .prefetch_related("mentions", Prefetch("attachments", queryset=MessageAttachment.objects.defer("file")))
        .order_by("created_at", "id")
    )


def get_tracked_message_attachment(token: str, message_id: int, attachment_id: int) -> MessageAttachment:
    """A file in an anonymous report's researcher thread, for the holder of its tracking link; else Http404."""
    report = get_report_by_tracking_token(token)
    attachment = (
        MessageAttachment.objects.select_related("message")
        .filter(pk=attachment_id, message_id=message_id, message__in=list_tracked_thread(report))
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


def list_revisions_for_user(user: User, message_id: int) -> QuerySet[MessageRevision]:
    """Earlier texts of a message the caller may read, oldest first."""
    message = get_message_for_user(user, message_id)
    return MessageRevision.objects.filter(message=message).select_related("replaced_by")


def list_outbound_mail_for_user(user: User, *, status: str = "") -> QuerySet[OutboundMail]:
    """The outbox, newest first, for staff who read reports; PermissionDenied for anyone else."""
    if not sees_outbox(user):
        raise PermissionDenied("The outbox is for the security team members who read reports.")
    mail = OutboundMail.objects.select_related("report").order_by("-created_at", "-id")
    return mail.filter(status=status) if status else mail


def get_outbound_mail_for_user(user: User, mail_id: int) -> OutboundMail:
    if not sees_outbox(user):
        raise Http404("No such mail.")
    mail = OutboundMail.objects.select_related("report").filter(pk=mail_id).first()
    if mail is None:
        raise Http404("No such mail.")
    return mail


def list_bounced_addresses_for_user(user: User) -> QuerySet[MailAddress]:
    if not sees_outbox(user):
        raise PermissionDenied("The outbox is for the security team members who read reports.")
    return MailAddress.objects.filter(bounced_at__isnull=False).order_by("-bounced_at")


@dataclass(frozen=True)
class MailFile:
    """One file the embedded mail backend wrote (one per connection: one or more mails)."""

    name: str
    modified: dt.datetime
    size: int


def _mail_folder() -> Path | None:
    """Where mail is written when no mail server is configured (VULNDESK_EMAIL_URL unset); else None."""
    if settings.EMAIL_BACKEND != "django.core.mail.backends.filebased.EmailBackend":
        return None
    return Path(settings.EMAIL_FILE_PATH)


def list_mail_files_for_user(user: User) -> list[MailFile] | None:
    """The mail files, newest first, for administrators; None when mail goes to a server instead.

    Every mail is here, also what does not pass through the outbox (sign-in links, intake's
    acknowledgments). PermissionDenied for anyone else: the files hold every mail in clear.
    """
    if not can(user, Permission.USER_MANAGE):
        raise PermissionDenied("Mail written to files is shown to administrators only.")
    folder = _mail_folder()
    if folder is None:
        return None
    if not folder.is_dir():
        return []
    files = [
        MailFile(
            name=path.name,
            modified=dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC),
            size=path.stat().st_size,
        )
        for path in folder.iterdir()
        if path.is_file()
    ]
    return sorted(files, key=lambda file: (file.modified, file.name), reverse=True)


def read_mail_file_for_user(user: User, name: str) -> tuple[MailFile, str]:
    """One mail file's text, for administrators; Http404 unless `name` is a file of the folder listing."""
    listed = {file.name: file for file in list_mail_files_for_user(user) or []}
    folder = _mail_folder()
    if name not in listed or folder is None:  # only names from the listing: no path from the request
        raise Http404("No such mail file.")
    return listed[name], (folder / name).read_text(encoding="utf-8", errors="replace")


def list_quarantined_mail_for_user(user: User) -> QuerySet[QuarantinedMail]:
    """Held inbound mail not yet handled, newest first; same audience as the outbox."""
    if not sees_outbox(user):
        raise PermissionDenied("Held mail is for the security team members who read reports.")
    return QuarantinedMail.objects.filter(resolved_at__isnull=True).select_related("report")


def list_partner_cases_for_user(user: User) -> QuerySet[CasePartner]:
    """A partner's open invitations, newest first; nothing for anyone else."""
    organization = partner_organization_of(user)
    if organization is None:
        return CasePartner.objects.none()
    return (
        CasePartner.objects.filter(organization=organization, removed_at__isnull=True)
        .select_related("case")
        .order_by("-invited_at")
    )


def get_case_partner_for_user(user: User, case_id: int) -> CasePartner:
    """The partner's invitation to the case, else Http404 (the case's existence is confidential)."""
    case_partner = list_partner_cases_for_user(user).filter(case_id=case_id).first()
    if case_partner is None:
        raise Http404("No such case.")
    return case_partner


def list_case_partners_for_user(user: User, case: Case) -> QuerySet[CasePartner]:
    """Staff view of who is invited to `case` (the case came through get_case_for_user), with their
    statuses and shared vulnerabilities prefetched: the partners page reads only these (a case may
    have a hundred partners, so nothing per row may query)."""
    return (
        CasePartner.objects.filter(case=case)
        .select_related("organization")
        .prefetch_related(
            Prefetch("statuses", queryset=PartnerStatus.objects.order_by()),
            Prefetch("shared", queryset=SharedVulnerability.objects.only("id", "case_partner_id", "vulnerability_id")),
        )
        .order_by("removed_at", "organization__name")
    )


@dataclass(frozen=True)
class PartnerCell:
    """One organization and one vulnerability on the staff partners page."""

    is_shared: bool
    status: str = ""  # the answer's label; empty before one
    tracking_id: str = ""
    justification: str = ""


@dataclass(frozen=True)
class PartnerRow:
    case_partner: CasePartner
    cells: list[PartnerCell]


def list_partner_matrix_for_user(user: User, case: Case, vulnerabilities: list[Vulnerability]) -> list[PartnerRow]:
    """Staff partners page of `case` (which came through get_case_for_user): each invited organization
    by each vulnerability, whether it is shared and what they answered.

    Three queries whatever the number of partners, and plain tuples rather than model rows for
    the cells: a case may have a hundred partners, and this page must stay fast for them.
    An answer stays visible to staff after its vulnerability is withdrawn from the partner.
    """
    partners = list(
        CasePartner.objects.filter(case=case)
        .select_related("organization")
        .order_by("removed_at", "organization__name")
    )
    answers = {
        (case_partner_id, vulnerability_id): (PartnerStatus.Status(status).label, tracking_id, justification)
        for case_partner_id, vulnerability_id, status, tracking_id, justification in PartnerStatus.objects.filter(
            case_partner__case=case
        ).values_list("case_partner_id", "vulnerability_id", "status", "tracking_id", "justification")
    }
    shared = set(
        SharedVulnerability.objects.filter(case_partner__case=case).values_list("case_partner_id", "vulnerability_id")
    )
    return [
        PartnerRow(
            case_partner=partner,
            cells=[
                PartnerCell((partner.pk, v.pk) in shared, *answers.get((partner.pk, v.pk), ("", "", "")))
                for v in vulnerabilities
            ],
        )
        for partner in partners
    ]


def get_case_partner_for_staff(user: User, case: Case, organization_id: int) -> CasePartner:
    """One organization's invitation to `case` (which came through get_case_for_user), else Http404."""
    if partner_organization_of(user) is not None:
        raise Http404("No such partner.")
    case_partner = list_case_partners_for_user(user, case).filter(organization_id=organization_id).first()
    if case_partner is None:
        raise Http404("No such partner on this case.")
    return case_partner


def list_vulnerabilities_shared_with(case_partner: CasePartner) -> QuerySet[Vulnerability]:
    """The vulnerabilities of the case the organization may see, in the case's order; nothing else of it."""
    return Vulnerability.objects.filter(
        case_id=case_partner.case_id, partner_shares__case_partner=case_partner
    ).order_by("pk")
