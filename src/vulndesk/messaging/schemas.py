"""API shapes of threads."""

import datetime as dt
from typing import Literal

from django.conf import settings
from ninja import Field, Schema

from vulndesk.accounts.models import User
from vulndesk.core.api import Page, PageParams
from vulndesk.core.permissions import is_staff_role
from vulndesk.messaging.models import CasePartner, Message, PartnerStatus
from vulndesk.scoring.models import Vulnerability

ChannelName = Literal["researcher", "internal", "partner"]


class MessageQuery(PageParams):
    channel: ChannelName | None = Field(None, description="Only this channel; omit for every channel you may read.")
    organization: int | None = Field(None, description="Staff: only this partner organization's channel.")


class MessageIn(Schema):
    channel: ChannelName = Field(description="researcher (reports only), internal (staff only) or partner.")
    body: str = Field(description="Markdown. Raw HTML is shown as text; links get rel=nofollow.")
    reply_to: int | None = Field(None, description="Id of a message in the same thread and channel.")
    organization: int | None = Field(None, description="Staff writing in a partner channel: the organization's id.")


class MessageEditIn(Schema):
    body: str


class MessageAttachmentOut(Schema):
    id: int
    name: str = Field(description="The file's name as sent; the stored file has a random name.")
    kind: str = Field(description="What the content is, judged by its bytes: text, pdf, png, zip, …")
    size: int = Field(description="Bytes.")
    sha256: str
    url: str = Field(description="Download (GET, as application/octet-stream) with the same credentials.")


class MessageOut(Schema):
    id: int
    thread: str = Field(description="VD-R… or VD-C…: the report or case the message is on.")
    channel: str
    organization: str | None = Field(description="The partner organization whose channel this is.")
    kind: Literal["post", "event"]
    author: str = Field(description="Who wrote it; the organization's name for vulndesk's own events.")
    author_is_staff: bool
    body: str
    body_html: str = Field(description="The body rendered and sanitised.")
    reply_to: int | None
    mentions: list[str] = Field(description="Staff mentioned (internal notes only).")
    attachments: list[MessageAttachmentOut]
    created_at: dt.datetime
    edited_at: dt.datetime | None

    @staticmethod
    def of(message: Message, viewer: User) -> "MessageOut":
        author = message.author
        return MessageOut(
            id=message.pk,
            thread=message.thread_reference,
            channel=message.channel,
            organization=message.partner_organization.name if message.partner_organization else None,
            kind=message.kind,  # type: ignore[arg-type]
            author=str(author) if author else settings.ORGANIZATION_NAME,
            author_is_staff=author is None or is_staff_role(author),
            body=message.body,
            body_html=message.body_html,
            reply_to=message.reply_to_id,
            # Mentions only ever exist on internal notes, which only staff can read.
            mentions=[str(user) for user in message.mentions.all()] if is_staff_role(viewer) else [],
            attachments=[
                MessageAttachmentOut(
                    id=attachment.pk,
                    name=attachment.original_name,
                    kind=attachment.kind,
                    size=attachment.size,
                    sha256=attachment.sha256,
                    url=f"/api/v1/messages/{message.pk}/attachments/{attachment.pk}",
                )
                for attachment in message.attachments.all()
            ],
            created_at=message.created_at,
            edited_at=message.edited_at,
        )


class MessagePage(Page[MessageOut]):
    pass


class RevisionOut(Schema):
    body: str
    body_html: str
    written_at: dt.datetime
    replaced_at: dt.datetime
    replaced_by: str


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    url: str = Field(description="Path inside vulndesk to open.")
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Page[NotificationOut]):
    unread: int = Field(description="Unread notifications in all.")


class NotificationQuery(PageParams):
    unread: bool = Field(False, description="Only unread ones.")


class MarkedOut(Schema):
    marked: int


class ResponseTemplateOut(Schema):
    key: str
    name: str
    body: str = Field(description="Markdown with {variables}.")
    version: int


class RenderedTemplateOut(Schema):
    key: str
    version: int
    body: str = Field(description="The template filled in for the report: post it as a researcher message.")
    body_html: str


class PartnerVulnerabilityOut(Schema):
    """One vulnerability as a partner may know it, with the partner's answer on it."""

    id: int
    reference: str = Field(description="The CVE id, or VD-V… before one is assigned.")
    title: str
    cve_id: str | None
    status: str | None = Field(description="under_investigation, affected or not_affected; null before an answer.")
    justification: str
    tracking_id: str = Field(description="The partner's own reference.")
    updated_at: dt.datetime | None

    @staticmethod
    def of(vulnerability: Vulnerability, status: PartnerStatus | None) -> "PartnerVulnerabilityOut":
        return PartnerVulnerabilityOut(
            id=vulnerability.pk,
            reference=vulnerability.reference,
            title=vulnerability.title,
            cve_id=vulnerability.cve_id,
            status=status.status if status else None,
            justification=status.justification if status else "",
            tracking_id=status.tracking_id if status else "",
            updated_at=status.updated_at if status else None,
        )


class PartnerCaseOut(Schema):
    """A case as an invited organization sees it: the summary written for it and what is shared."""

    case_id: int
    reference: str
    title: str
    organization: str
    summary: str = Field(description="What the PSIRT shares with you (Markdown).")
    summary_html: str
    invited_at: dt.datetime
    has_responded: bool
    vulnerabilities: list[PartnerVulnerabilityOut] = Field(description="Only those shared with your organization.")


class PartnerStatusIn(Schema):
    status: Literal["under_investigation", "affected", "not_affected"]
    justification: str = Field("", description="Required for not_affected: why you are not affected.")
    tracking_id: str = Field("", max_length=100, description="Your own reference, if any.")


class SharedVulnerabilitiesIn(Schema):
    vulnerabilities: list[int] = Field(
        description="Ids of the case's vulnerabilities the organization may see; the rest are hidden from it."
    )


class CasePartnerOut(Schema):
    """Staff view of one invited organization: what it sees and what it answered."""

    organization_id: int
    organization: str
    kind: str
    invited_at: dt.datetime
    has_responded: bool
    reminders_sent: int
    removed_at: dt.datetime | None
    shared_vulnerabilities: list[int] = Field(description="Ids of the vulnerabilities shared with it.")
    statuses: list[PartnerVulnerabilityOut] = Field(
        description="Its answers, including on vulnerabilities no longer shared."
    )

    @staticmethod
    def of(case_partner: CasePartner, vulnerabilities: dict[int, Vulnerability]) -> "CasePartnerOut":
        return CasePartnerOut(
            organization_id=case_partner.organization_id,
            organization=case_partner.organization.name,
            kind=case_partner.organization.kind,
            invited_at=case_partner.invited_at,
            has_responded=case_partner.has_responded,
            reminders_sent=case_partner.reminders_sent,
            removed_at=case_partner.removed_at,
            shared_vulnerabilities=sorted(share.vulnerability_id for share in case_partner.shared.all()),
            statuses=[
                PartnerVulnerabilityOut.of(vulnerabilities[status.vulnerability_id], status)
                for status in sorted(case_partner.statuses.all(), key=lambda status: status.vulnerability_id)
            ],
        )
