"""Coordinating with outside organizations on a case (multi-party disclosure).

A coordinator invites an organization to a case with a summary of what it may know and the
vulnerabilities of the case it may know of; its members (partner-role accounts) then see that
summary, those vulnerabilities (never the others of the case) and their own channel, and state
per shared vulnerability whether they are affected. Organizations that have
not answered show as "no response" and are reminded. Every page or API read by a partner is
recorded in the audit trail (`partner:viewed`).
"""

import datetime as dt
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Permission, Role, can
from vulndesk.core.services import record_event
from vulndesk.messaging.models import (
    CasePartner,
    PartnerMember,
    PartnerOrganization,
    PartnerStatus,
    SharedVulnerability,
)
from vulndesk.messaging.outbox import queue_mail
from vulndesk.messaging.permissions import partner_on_case
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case

REMIND_AFTER = dt.timedelta(days=3)
MAX_REMINDERS = 5


def _require_case_manager(actor: User, case: Case) -> None:
    if not can(actor, Permission.CASE_MANAGE, case):
        raise PermissionDenied(f"Your role does not allow this ({Permission.CASE_MANAGE}).")


def _mail_members(organization: PartnerOrganization, *, subject: str, body: str) -> None:
    addresses = {member.user.email for member in organization.members.select_related("user") if member.user.is_active}
    if organization.contact_email:
        addresses.add(organization.contact_email)
    for address in sorted(addresses):
        queue_mail(to=address, subject=subject, body=body)


def _case_url(case: Case) -> str:
    return f"{settings.BASE_URL}{reverse('partner_case', args=[case.pk])}"


@transaction.atomic
def get_or_create_organization(*, name: str, kind: str, contact_email: str, actor: User) -> PartnerOrganization:
    name = name.strip()
    if not name:
        raise RuleViolation("Name the organization.", field="organization_name")
    if kind not in PartnerOrganization.Kind.values:
        raise RuleViolation(f"Unknown kind {kind!r}.", field="kind")
    organization, created = PartnerOrganization.objects.get_or_create(
        name__iexact=name, defaults={"name": name, "kind": kind, "contact_email": contact_email.strip()}
    )
    if created:
        record_event(organization, tag="partner:organization_created", actor=actor)
    return organization


def _case_vulnerabilities(case: Case, vulnerabilities: Iterable[Vulnerability]) -> list[Vulnerability]:
    chosen = {vulnerability.pk: vulnerability for vulnerability in vulnerabilities}
    foreign = [vulnerability for vulnerability in chosen.values() if vulnerability.case_id != case.pk]
    if foreign:
        raise RuleViolation(
            f"{', '.join(v.reference for v in foreign)} {'is' if len(foreign) == 1 else 'are'} not part of "
            f"{case.reference}; share only the case's own vulnerabilities.",
            field="vulnerabilities",
        )
    return sorted(chosen.values(), key=lambda vulnerability: vulnerability.pk)


@transaction.atomic
def invite_partner(
    case: Case,
    organization: PartnerOrganization,
    *,
    shared_summary: str,
    actor: User,
    vulnerabilities: Iterable[Vulnerability] = (),
) -> CasePartner:
    """Give `organization` access to `case`'s shared part and its own channel; its members are mailed.

    It sees only the `vulnerabilities` named here (or shared later), not the rest of the case.
    """
    _require_case_manager(actor, case)
    shared = _case_vulnerabilities(case, vulnerabilities)
    summary = shared_summary.strip()
    if not summary:
        raise RuleViolation(
            "Write what the partner may know of the case; nothing else is shown to them.", field="shared_summary"
        )
    existing = CasePartner.objects.filter(case=case, organization=organization).first()
    if existing is not None and existing.removed_at is None:
        raise RuleViolation(f"{organization} is already invited to {case.reference}.", field="organization_name")
    if existing is not None:  # invited again after being removed: the history stays on the same row
        existing.removed_at, existing.shared_summary, existing.invited_by = None, summary, actor
        existing.save(update_fields=["removed_at", "shared_summary", "invited_by"])
        case_partner = existing
    else:
        case_partner = CasePartner.objects.create(
            case=case, organization=organization, shared_summary=summary, invited_by=actor
        )
    record_event(case, tag="case:partner_invited", actor=actor, changes={"partners": (None, organization.name)})
    _set_shared(case_partner, shared, actor=actor, is_invitation=True)
    _mail_members(
        organization,
        subject=f"[{case.reference}] {settings.ORGANIZATION_NAME} invites {organization} to coordinate a vulnerability",
        body=f"{settings.ORGANIZATION_NAME} asks {organization} to coordinate on {case.reference}.\n\n"
        f"Sign in to read what is shared and answer: {_case_url(case)}\n"
        f"First time? Set your password at {settings.BASE_URL}{reverse('password_reset')}\n",
    )
    return case_partner


def _set_shared(
    case_partner: CasePartner, vulnerabilities: list[Vulnerability], *, actor: User, is_invitation: bool = False
) -> tuple[list[Vulnerability], list[Vulnerability]]:
    """Make exactly `vulnerabilities` shared; (added, withdrawn). The caller checked case and actor."""
    current = {
        share.vulnerability_id: share.vulnerability
        for share in SharedVulnerability.objects.filter(case_partner=case_partner).select_related("vulnerability")
    }
    wanted = {vulnerability.pk: vulnerability for vulnerability in vulnerabilities}
    added = [vulnerability for pk, vulnerability in wanted.items() if pk not in current]
    withdrawn = [vulnerability for pk, vulnerability in current.items() if pk not in wanted]
    SharedVulnerability.objects.bulk_create(
        [SharedVulnerability(case_partner=case_partner, vulnerability=v, shared_by=actor) for v in added]
    )
    SharedVulnerability.objects.filter(case_partner=case_partner, vulnerability__in=[v.pk for v in withdrawn]).delete()
    if added or withdrawn:
        record_event(
            case_partner.case,
            tag="case:partner_sharing_changed",
            actor=actor,
            changes={
                "shared_vulnerabilities": (
                    ", ".join(sorted(vulnerability.reference for vulnerability in current.values())),
                    ", ".join(sorted(vulnerability.reference for vulnerability in wanted.values())),
                )
            },
            rationale=str(case_partner.organization),
        )
    if added and not is_invitation:
        _mail_members(
            case_partner.organization,
            subject=f"[{case_partner.case.reference}] {settings.ORGANIZATION_NAME} shares more with {case_partner.organization}",
            body=f"{settings.ORGANIZATION_NAME} shared {len(added)} more vulnerabilit{'y' if len(added) == 1 else 'ies'} "
            f"of {case_partner.case.reference} with {case_partner.organization}. Sign in to read them and tell us "
            f"whether you are affected: {_case_url(case_partner.case)}\n",
        )
    return added, withdrawn


@transaction.atomic
def set_shared_vulnerabilities(
    case_partner: CasePartner, vulnerabilities: Iterable[Vulnerability], *, actor: User
) -> list[Vulnerability]:
    """Share exactly `vulnerabilities` of the case with the invited organization; the rest are hidden from it.

    Withdrawing one hides it and the partner's answer on it from the partner (staff keep seeing
    the answer). Newly shared ones are announced to the members by mail, without details.
    Returns the vulnerabilities now shared.
    """
    _require_case_manager(actor, case_partner.case)
    # Lock the invitation so two coordinators saving at once cannot both add the same share.
    case_partner = (
        CasePartner.objects.select_for_update(of=("self",))
        .select_related("case", "organization")
        .get(pk=case_partner.pk)
    )
    if case_partner.removed_at is not None:
        raise RuleViolation(
            f"{case_partner.organization} no longer has access to {case_partner.case.reference}; invite it again first."
        )
    shared = _case_vulnerabilities(case_partner.case, vulnerabilities)
    _set_shared(case_partner, shared, actor=actor)
    return shared


@transaction.atomic
def remove_partner(case_partner: CasePartner, *, actor: User) -> CasePartner:
    _require_case_manager(actor, case_partner.case)
    case_partner.removed_at = timezone.now()
    case_partner.save(update_fields=["removed_at"])
    record_event(
        case_partner.case,
        tag="case:partner_removed",
        actor=actor,
        changes={"partners": (case_partner.organization.name, None)},
    )
    return case_partner


@transaction.atomic
def add_partner_member(organization: PartnerOrganization, *, email: str, display_name: str, actor: User) -> User:
    """A partner-role account for `email` in `organization`; they set a password through the reset link."""
    email = email.strip().lower()
    if not email:
        raise RuleViolation("Give the member's email address.", field="email")
    try:
        validate_email(email)
    except ValidationError:
        raise RuleViolation(f"{email} is not an email address.", field="email") from None
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email, password=secrets.token_urlsafe(32), role=Role.PARTNER, display_name=display_name.strip()
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.role != Role.PARTNER:
        raise RuleViolation(
            f"{email} already has a {user.get_role_display().lower()} account; partners need their own.", field="email"
        )
    membership = PartnerMember.objects.filter(user=user).first()
    if membership is not None and membership.organization_id != organization.pk:
        raise RuleViolation(f"{email} is a member of {membership.organization}.", field="email")
    if membership is None:
        PartnerMember.objects.create(user=user, organization=organization)
        record_event(organization, tag="partner:member_added", actor=actor, changes={"members": (None, email)})
    return user


def _mark_responded(case_partner: CasePartner) -> None:
    if case_partner.first_response_at is None:
        case_partner.first_response_at = timezone.now()
        case_partner.save(update_fields=["first_response_at"])


@transaction.atomic
def set_partner_status(
    case_partner: CasePartner,
    vulnerability: Vulnerability,
    *,
    status: str,
    justification: str = "",
    tracking_id: str = "",
    actor: User,
) -> PartnerStatus:
    """A partner (or the PSIRT on their behalf) records whether they are affected by one shared vulnerability."""
    # One answer for "another case's" and "not shared with you", so a partner learns nothing from it.
    if (
        vulnerability.case_id != case_partner.case_id
        or not SharedVulnerability.objects.filter(case_partner=case_partner, vulnerability=vulnerability).exists()
    ):
        raise RuleViolation("That vulnerability is not shared with you on this case.", field="vulnerability")
    if status not in PartnerStatus.Status.values:
        raise RuleViolation("Choose affected, not affected or under investigation.", field="status")
    justification = justification.strip()
    if status == PartnerStatus.Status.NOT_AFFECTED and not justification:
        raise RuleViolation("Say why you are not affected (e.g. the component is not shipped).", field="justification")
    entry, _ = PartnerStatus.objects.update_or_create(
        case_partner=case_partner,
        vulnerability=vulnerability,
        defaults={
            "status": status,
            "justification": justification,
            "tracking_id": tracking_id.strip()[:100],
            "updated_by": actor,
        },
    )
    if actor.role == Role.PARTNER:
        _mark_responded(case_partner)
    record_event(
        case_partner.case,
        tag="case:partner_status",
        actor=actor,
        changes={"partner_status": (None, f"{case_partner.organization}: {vulnerability.reference} {status}")},
    )
    return entry


def log_partner_view(case_partner: CasePartner, *, actor: User, what: str) -> None:
    """Everything a partner sees is recorded: which case, what, when, who."""
    record_event(case_partner.case, tag="partner:viewed", actor=actor, rationale=f"{case_partner.organization}: {what}")


def log_if_partner(user: User, case: Case | None, *, what: str) -> None:
    """Record what a partner opened on `case` (a thread page, a file); nothing for anyone else."""
    if case is None or user.role != Role.PARTNER:
        return
    case_partner = partner_on_case(user, case)
    if case_partner is not None:
        log_partner_view(case_partner, actor=user, what=what)


def silent_partners(case: Case) -> QuerySet[CasePartner]:
    return CasePartner.objects.filter(case=case, removed_at__isnull=True, first_response_at__isnull=True)


def remind_silent_partners(*, now: dt.datetime | None = None) -> list[CasePartner]:
    """Remind each invited organization that has not answered, every REMIND_AFTER, at most MAX_REMINDERS times."""
    now = now or timezone.now()
    due = CasePartner.objects.filter(
        removed_at__isnull=True,
        first_response_at__isnull=True,
        invited_at__lte=now - REMIND_AFTER,
        reminders_sent__lt=MAX_REMINDERS,
    ).select_related("case", "organization")
    reminded = []
    for case_partner in due:
        if case_partner.last_reminded_at is not None and case_partner.last_reminded_at > now - REMIND_AFTER:
            continue
        with transaction.atomic():
            _mail_members(
                case_partner.organization,
                subject=f"[{case_partner.case.reference}] Reminder: {settings.ORGANIZATION_NAME} is waiting for your answer",
                body=f"{case_partner.organization} has not answered on {case_partner.case.reference} yet. "
                f"Please tell us whether you are affected: {_case_url(case_partner.case)}\n",
            )
            case_partner.last_reminded_at, case_partner.reminders_sent = now, case_partner.reminders_sent + 1
            case_partner.save(update_fields=["last_reminded_at", "reminders_sent"])
            record_event(
                case_partner.case, tag="case:partner_reminded", actor=None, rationale=str(case_partner.organization)
            )
        reminded.append(case_partner)
    return reminded


def notify_partner_of_message(case_partner: CasePartner, *, author: User) -> None:
    """A PSIRT message in a partner's channel is mailed to its members (without the text: they sign in)."""
    _mail_members(
        case_partner.organization,
        subject=f"[{case_partner.case.reference}] New message from {settings.ORGANIZATION_NAME}",
        body=f"{author} wrote to {case_partner.organization} on {case_partner.case.reference}. Read and answer: "
        f"{_case_url(case_partner.case)}\n",
    )
