"""API shapes of threads."""

import datetime as dt
from typing import Literal

from django.conf import settings
from ninja import Field, Schema

from vulndesk.accounts.models import User
from vulndesk.core.api import Page, PageParams
from vulndesk.core.permissions import is_staff_role
from vulndesk.messaging.models import Message

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
