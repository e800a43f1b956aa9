"""Staff notifications: mentions, assignments, replies on their reports and cases, engineering
teams' answers to their validations, SLA warnings, and exploitability or priority changes of the
vulnerabilities they follow.

Every notification is shown in vulndesk (with an unread count in the header). By email it goes
according to the person's preference: at once, in a daily digest (`vulndesk notifications
digest`, run daily from cron), or not at all. Mail goes through the outbox like all mail.
"""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Permission, can, is_staff_role
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, MailPreference, Message, Notification
from vulndesk.messaging.outbox import queue_mail
from vulndesk.messaging.permissions import Thread, readable_channels
from vulndesk.messaging.subscriptions import followers_of_vulnerability
from vulndesk.scoring.models import ExploitabilityAssessment, Vulnerability
from vulndesk.triage.models import CaseReport, ValidationReply

IMMEDIATELY, DIGEST, OFF = "immediately", "digest", "off"


def _delivery(user: User) -> str:
    preference = MailPreference.objects.filter(user=user).only("notification_delivery").first()
    return preference.notification_delivery if preference else IMMEDIATELY


def notify(
    recipient: User, *, kind: str, text: str, url: str, message: Message | None = None, may_mail: bool = True
) -> Notification | None:
    """Record one notification for a staff member and mail it now if that is their preference.

    Researchers and inactive accounts get none: their channel is the researcher thread.
    """
    if not recipient.is_active or not is_staff_role(recipient):
        return None
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, text=text[:300], url=url, message=message
    )
    if may_mail and _delivery(recipient) == IMMEDIATELY:
        queue_mail(
            to=recipient.email,
            subject=f"[{settings.ORGANIZATION_NAME}] {notification.text}"[:300],
            body=f"{notification.text}\n\n{settings.BASE_URL}{url}\n\n-- \nChange how you are notified: "
            f"{settings.BASE_URL}{reverse('mail_preferences')}\n",
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return notification


def _message_url(message: Message) -> str:
    if message.report_id:
        return f"{reverse('report_detail', args=[message.report_id])}#message-{message.pk}"
    return f"{reverse('case_messages', args=[message.case_id])}#message-{message.pk}"


def _thread_owners(message: Message) -> list[User]:
    """Who a message on this thread concerns: the report's assignee and its case's owner, or the case's owner."""
    owners: list[User | None] = []
    if message.report_id:
        report = Report.objects.select_related("assignee").get(pk=message.report_id)
        owners.append(report.assignee)
        link = CaseReport.objects.select_related("case__owner").filter(report_id=report.pk).first()
        owners.append(link.case.owner if link else None)
    elif message.case is not None:
        owners.append(message.case.owner)
    unique: dict[int, User] = {owner.pk: owner for owner in owners if owner is not None}
    return list(unique.values())


def notify_about_message(message: Message, *, mentioned: list[User], owners: bool = True) -> list[Notification]:
    """Mentions first; then (with `owners`) the thread's owners, each once, when they can read the channel and did not write it."""
    thread = Thread(report=message.report) if message.report_id else Thread(case=message.case)
    author = str(message.author) if message.author else settings.ORGANIZATION_NAME
    where = message.thread_reference
    channel = Channel(message.channel).label.lower()
    url = _message_url(message)
    sent: list[Notification] = []
    notified: set[int] = {message.author_id} if message.author_id else set()
    for user in mentioned:
        if user.pk not in notified:
            notified.add(user.pk)
            made = notify(
                user,
                kind=Notification.Kind.MENTION,
                text=f"{author} mentioned you in the {channel} of {where}",
                url=url,
                message=message,
            )
            sent += [made] if made else []
    if message.is_event or not owners:
        return sent
    for owner in _thread_owners(message):
        if owner.pk not in notified and message.channel in readable_channels(owner, thread):
            notified.add(owner.pk)
            made = notify(
                owner,
                kind=Notification.Kind.REPLY,
                text=f"{author} wrote in the {channel} of {where}",
                url=url,
                message=message,
            )
            sent += [made] if made else []
    return sent


def notify_assignment(report: Report, *, assignee: User, actor: User | None) -> Notification | None:
    """Tell `assignee` that `report` is theirs now (not when they took it themselves)."""
    if actor is not None and actor.pk == assignee.pk:
        return None
    who = str(actor) if actor else "vulndesk"
    return notify(
        assignee,
        kind=Notification.Kind.ASSIGNMENT,
        text=f"{who} assigned {report.reference} to you",
        url=reverse("report_detail", args=[report.pk]),
    )


def notify_validation_reply(reply: ValidationReply) -> list[Notification]:
    """An engineering team answered a validation: tell the analyst who recorded it and the report's assignee.

    Each once, never the one who answered. The link opens the report's triage page, where the
    answer is shown, so only those who may triage the report are told (an analyst who has since
    become an engineer is not). The text names the team and its verdict, never what the team
    wrote: the mail travels in clear.
    """
    validation = reply.validation
    report = validation.report
    verdict = reply.get_verdict_display()
    url = f"{reverse('report_transition', args=[report.pk])}#validations-title"
    candidates = [(validation.analyst, "your"), (report.assignee, f"{validation.analyst}'s")]
    sent: list[Notification] = []
    told: set[int] = {reply.author_id}
    for recipient, whose in candidates:
        if recipient is None or recipient.pk in told or not can(recipient, Permission.REPORT_TRIAGE, report):
            continue
        told.add(recipient.pk)
        text = f"{reply.team} answered {whose} validation of {report.reference}: {verdict}"
        made = notify(recipient, kind=Notification.Kind.VALIDATION_REPLY, text=text, url=url)
        sent += [made] if made else []
    return sent


def notify_sla_warning(
    recipient: User, *, reference: str, text: str, url: str, already_mailed: bool = False
) -> Notification | None:
    """An SLA clock of `reference` is at risk or breached (triage decides when, and whom).

    `already_mailed`: the caller sent its own mail, so this only adds the in-app notification.
    """
    return notify(
        recipient, kind=Notification.Kind.SLA_WARNING, text=f"{reference}: {text}", url=url, may_mail=not already_mailed
    )


def _notify_followers(vulnerability: Vulnerability, *, text: str, actor_id: int | None) -> list[Notification]:
    """Each follower of the vulnerability but the one who made the change, per their mail preference."""
    url = reverse("vulnerability_detail", args=[vulnerability.pk])
    sent: list[Notification] = []
    for user in followers_of_vulnerability(vulnerability):
        if user.pk != actor_id:
            made = notify(user, kind=Notification.Kind.VULNERABILITY, text=text, url=url)
            sent += [made] if made else []
    return sent


def announce_exploitability_change(
    assessment: ExploitabilityAssessment, *, previous_priority: int | None
) -> list[Notification]:
    """A vulnerability was reassessed (MSRC Exploitability Index): tell its followers.

    Called by scoring after commit (see decisions/0006). The priority it led to is part of the
    same news, so a jump it caused is said here rather than in a second notification.
    """
    vulnerability = assessment.vulnerability
    text = (
        f"{assessment.assessed_by} reassessed {vulnerability.reference} in {vulnerability.case.reference}: "
        f"{assessment.get_latest_release_display()} (latest release), "
        f"exploited: {'yes' if assessment.is_exploited else 'no'}"
    )
    if vulnerability.priority is not None and vulnerability.priority != previous_priority:
        was = f" (was P{previous_priority})" if previous_priority is not None else ""
        text += f"; priority now P{vulnerability.priority}{was}"
    return _notify_followers(vulnerability, text=text, actor_id=assessment.assessed_by_id)


def announce_priority_raised(
    vulnerability: Vulnerability, *, previous: int, reason: str, actor: User | None
) -> list[Notification]:
    """The vulnerability became more urgent (a KEV listing, a new severity, …): tell its followers.

    `reason` is the scoring history's rationale (what changed and the explanation).
    """
    text = (
        f"{vulnerability.reference} in {vulnerability.case.reference} is now P{vulnerability.priority} "
        f"(was P{previous}): {reason}"
    )
    return _notify_followers(vulnerability, text=text, actor_id=actor.pk if actor else None)


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def list_notifications_for_user(user: User) -> QuerySet[Notification]:
    """The caller's own notifications, newest first (nobody reads anyone else's)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


@transaction.atomic
def mark_read(user: User, *, notification_id: int | None = None) -> int:
    """Mark one of the caller's notifications (or all of them) read; returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def send_notification_digests(*, now: dt.datetime | None = None) -> int:
    """One mail per digest subscriber listing what they were notified of and not yet mailed; returns mails queued."""
    now = now or timezone.now()
    digest_users = MailPreference.objects.filter(notification_delivery=DIGEST).values("user_id")
    pending = (
        Notification.objects.filter(recipient_id__in=digest_users, emailed_at__isnull=True)
        .select_related("recipient")
        .order_by("created_at", "id")
    )
    by_user: dict[User, list[Notification]] = defaultdict(list)
    for notification in pending:
        by_user[notification.recipient].append(notification)
    for user, items in by_user.items():
        with transaction.atomic():
            lines = [
                f"- {item.created_at:%d %b %H:%M} UTC  {item.text}\n  {settings.BASE_URL}{item.url}" for item in items
            ]
            queue_mail(
                to=user.email,
                subject=f"[{settings.ORGANIZATION_NAME}] {len(items)} notification{'s' if len(items) != 1 else ''} since your last digest",
                body="\n".join(lines)
                + f"\n\n-- \nChange how you are notified: {settings.BASE_URL}{reverse('mail_preferences')}\n",
            )
            Notification.objects.filter(pk__in=[item.pk for item in items]).update(emailed_at=now)
    return len(by_user)
