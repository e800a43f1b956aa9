"""Partner coordination: invitations, scoped accounts, their own channel, statuses, silence and reminders."""

import datetime as dt
from collections.abc import Sequence

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.permissions import Role
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import CaseFactory, VulnerabilityFactory
from vulndesk.messaging.models import CasePartner, Channel, Message, OutboundMail, PartnerOrganization, PartnerStatus
from vulndesk.messaging.partners import (
    MAX_REMINDERS,
    add_partner_member,
    get_or_create_organization,
    invite_partner,
    remind_silent_partners,
    remove_partner,
    set_partner_status,
)
from vulndesk.messaging.permissions import Thread
from vulndesk.messaging.services import post_message
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case

pytestmark = pytest.mark.django_db


def _organization(name: str, coordinator: User) -> PartnerOrganization:
    return get_or_create_organization(name=name, kind="vendor", contact_email="", actor=coordinator)


def _invite(
    case: Case, name: str, coordinator: User, *, sharing: Sequence[Vulnerability] = ()
) -> tuple[CasePartner, User]:
    organization = _organization(name, coordinator)
    member = add_partner_member(
        organization, email=f"psirt@{name.lower()}.test", display_name=f"{name} PSIRT", actor=coordinator
    )
    case_partner = invite_partner(
        case, organization, shared_summary=f"Summary for {name}", actor=coordinator, vulnerabilities=sharing
    )
    return case_partner, member


def test_invitation_creates_scoped_accounts_and_mails_them(coordinator: User) -> None:
    case = CaseFactory.create()

    case_partner, member = _invite(case, "Acme", coordinator)

    assert member.role == Role.PARTNER
    assert not member.has_usable_password()
    assert OutboundMail.objects.filter(to_address=member.email, subject__contains="invites Acme").exists()
    assert AuditEvent.objects.filter(tag="case:partner_invited").exists()
    assert case_partner.has_responded is False


def test_only_case_managers_invite(engineer: User, coordinator: User) -> None:
    organization = _organization("Acme", coordinator)

    with pytest.raises(PermissionDenied):
        invite_partner(CaseFactory.create(), organization, shared_summary="x", actor=engineer)


def test_staff_accounts_cannot_become_partners(coordinator: User, analyst: User) -> None:
    with pytest.raises(RuleViolation, match="already has a analyst account"):
        add_partner_member(_organization("Acme", coordinator), email=analyst.email, display_name="", actor=coordinator)


def test_partner_posts_in_their_channel_and_that_counts_as_a_response(coordinator: User) -> None:
    case = CaseFactory.create()
    case_partner, member = _invite(case, "Acme", coordinator)

    message = post_message(Thread(case=case), channel=Channel.PARTNER, body="We are looking", actor=member)

    assert message.partner_organization == case_partner.organization
    case_partner.refresh_from_db()
    assert case_partner.has_responded


def test_partner_cannot_write_internal_notes(coordinator: User) -> None:
    case = CaseFactory.create()
    _, member = _invite(case, "Acme", coordinator)

    with pytest.raises(PermissionDenied):
        post_message(Thread(case=case), channel=Channel.INTERNAL, body="x", actor=member)


def test_staff_must_name_an_invited_organization(coordinator: User) -> None:
    case = CaseFactory.create()
    _invite(case, "Acme", coordinator)
    stranger = _organization("Stranger", coordinator)

    with pytest.raises(RuleViolation, match="Name the partner"):
        post_message(Thread(case=case), channel=Channel.PARTNER, body="x", actor=coordinator)
    with pytest.raises(RuleViolation, match="Stranger is not invited"):
        post_message(Thread(case=case), channel=Channel.PARTNER, body="x", actor=coordinator, organization=stranger)


def test_staff_message_to_a_partner_is_mailed_to_its_members_without_the_text(coordinator: User) -> None:
    case = CaseFactory.create()
    case_partner, member = _invite(case, "Acme", coordinator)

    post_message(
        Thread(case=case),
        channel=Channel.PARTNER,
        body="Embargo ends 14 July",
        actor=coordinator,
        organization=case_partner.organization,
    )

    mail = OutboundMail.objects.filter(to_address=member.email).latest("pk")
    assert "New message" in mail.subject
    assert "Embargo" not in mail.body


def test_not_affected_needs_a_justification(coordinator: User) -> None:
    case = CaseFactory.create()
    vulnerability = VulnerabilityFactory.create(case=case)
    case_partner, member = _invite(case, "Acme", coordinator, sharing=[vulnerability])

    with pytest.raises(RuleViolation, match="Say why"):
        set_partner_status(case_partner, vulnerability, status="not_affected", actor=member)
    status = set_partner_status(
        case_partner,
        vulnerability,
        status="not_affected",
        justification="We do not ship the parser",
        tracking_id="ACME-1",
        actor=member,
    )

    assert (status.status, status.tracking_id) == (PartnerStatus.Status.NOT_AFFECTED, "ACME-1")


def test_status_for_another_cases_vulnerability_is_refused(coordinator: User) -> None:
    case_partner, member = _invite(CaseFactory.create(), "Acme", coordinator)

    with pytest.raises(RuleViolation, match="not shared with you"):
        set_partner_status(case_partner, VulnerabilityFactory.create(), status="affected", actor=member)


def test_silent_partners_are_reminded_at_intervals_up_to_a_limit(coordinator: User) -> None:
    case = CaseFactory.create()
    silent, _ = _invite(case, "Silent", coordinator)
    answered, member = _invite(case, "Answered", coordinator)
    post_message(Thread(case=case), channel=Channel.PARTNER, body="ok", actor=member)
    start = timezone.now()

    first = remind_silent_partners(now=start + dt.timedelta(days=4))
    again_too_soon = remind_silent_partners(now=start + dt.timedelta(days=5))
    for day in range(8, 40, 4):
        remind_silent_partners(now=start + dt.timedelta(days=day))

    assert first == [silent]
    assert again_too_soon == []
    silent.refresh_from_db()
    assert silent.reminders_sent == MAX_REMINDERS
    answered.refresh_from_db()
    assert answered.reminders_sent == 0


def test_removed_partner_loses_access(client: Client, coordinator: User) -> None:
    case = CaseFactory.create()
    case_partner, member = _invite(case, "Acme", coordinator)
    remove_partner(case_partner, actor=coordinator)
    client.force_login(member)

    assert client.get(f"/partner/cases/{case.pk}/").status_code == 404
    assert ApiClient(member).get(f"/cases/{case.pk}/messages").status_code == 404


def test_partner_page_shows_the_summary_and_logs_the_view(client: Client, coordinator: User) -> None:
    case = CaseFactory.create()
    shared = VulnerabilityFactory.create(case=case, title="Parser overflow")
    _, member = _invite(case, "Acme", coordinator, sharing=[shared])
    client.force_login(member)

    response = client.get(f"/partner/cases/{case.pk}/")

    assert b"Summary for Acme" in response.content
    assert b"Parser overflow" in response.content
    assert AuditEvent.objects.filter(tag="partner:viewed", actor=member).exists()


def test_partner_saves_a_status_from_the_page(client: Client, coordinator: User) -> None:
    case = CaseFactory.create()
    vulnerability = VulnerabilityFactory.create(case=case)
    _, member = _invite(case, "Acme", coordinator, sharing=[vulnerability])
    client.force_login(member)

    response = client.post(
        f"/partner/cases/{case.pk}/", {"vulnerability": vulnerability.pk, "status": "affected", "tracking_id": "A-9"}
    )

    assert response.status_code == 302
    assert PartnerStatus.objects.get().tracking_id == "A-9"


def test_partner_page_refuses_not_affected_without_reason(client: Client, coordinator: User) -> None:
    case = CaseFactory.create()
    vulnerability = VulnerabilityFactory.create(case=case)
    _, member = _invite(case, "Acme", coordinator, sharing=[vulnerability])
    client.force_login(member)

    response = client.post(f"/partner/cases/{case.pk}/", {"vulnerability": vulnerability.pk, "status": "not_affected"})

    assert response.status_code == 400
    assert b"Say why you are not affected" in response.content


def test_partner_start_page_lists_only_their_cases(client: Client, coordinator: User) -> None:
    mine, other = CaseFactory.create(title="Shared case"), CaseFactory.create(title="Someone else's case")
    _, member = _invite(mine, "Acme", coordinator)
    _invite(other, "Other", coordinator)
    client.force_login(member)

    response = client.get("/partner/")

    assert b"Shared case" in response.content
    assert b"Someone else" not in response.content


def test_staff_see_no_response_and_statuses_on_the_partners_page(client: Client, coordinator: User) -> None:
    case = CaseFactory.create()
    VulnerabilityFactory.create(case=case)
    _invite(case, "Silent", coordinator)
    client.force_login(coordinator)

    response = client.get(f"/cases/{case.pk}/partners/")

    assert b"No response" in response.content


def test_staff_invite_from_the_partners_page(client: Client, coordinator: User) -> None:
    case = CaseFactory.create()
    client.force_login(coordinator)

    response = client.post(
        f"/cases/{case.pk}/partners/",
        {
            "organization_name": "CERT-XY",
            "kind": "cert",
            "member_emails": "a@cert.test\nb@cert.test",
            "shared_summary": "Heap overflow in the parser; embargo to 14 July.",
        },
    )

    assert response.status_code == 302
    assert CasePartner.objects.get().organization.members.count() == 2


def test_researchers_and_partners_cannot_open_the_staff_partners_page(
    client: Client, coordinator: User, researcher: User
) -> None:
    case = CaseFactory.create()
    _, member = _invite(case, "Acme", coordinator)

    for person in (researcher, member):
        client.force_login(person)
        assert client.get(f"/cases/{case.pk}/partners/").status_code == 404


def test_api_partner_reads_and_writes_only_their_channel(coordinator: User) -> None:
    case = CaseFactory.create()
    acme, acme_member = _invite(case, "Acme", coordinator)
    _, beta_member = _invite(case, "Beta", coordinator)
    post_message(Thread(case=case), channel=Channel.PARTNER, body="for beta", actor=beta_member)

    created = ApiClient(acme_member).post(f"/cases/{case.pk}/messages", {"channel": "partner", "body": "from acme"})
    listed = ApiClient(acme_member).get(f"/cases/{case.pk}/messages").json()

    assert created.status_code == 201
    assert [item["body"] for item in listed["items"]] == ["from acme"]
    assert Message.objects.get(body="from acme").partner_organization == acme.organization


def test_api_staff_write_to_a_named_partner(coordinator: User) -> None:
    case = CaseFactory.create()
    acme, _ = _invite(case, "Acme", coordinator)

    response = ApiClient(coordinator).post(
        f"/cases/{case.pk}/messages", {"channel": "partner", "body": "hello", "organization": acme.organization_id}
    )
    listed = ApiClient(coordinator).get(f"/cases/{case.pk}/messages", {"organization": acme.organization_id}).json()

    assert response.json()["organization"] == "Acme"
    assert [item["body"] for item in listed["items"]] == ["hello"]


def test_reminders_follow_the_clock(coordinator: User) -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(days=10)):
        _invite(CaseFactory.create(), "Slow", coordinator)

    assert len(remind_silent_partners()) == 1


def test_partner_home_is_their_case_list(client: Client, coordinator: User) -> None:
    _, member = _invite(CaseFactory.create(), "Acme", coordinator)
    client.force_login(member)

    assert client.get("/")["Location"] == "/partner/"


def test_partner_navigation_names_their_shared_cases(client: Client, coordinator: User) -> None:
    _, member = _invite(CaseFactory.create(), "Acme", coordinator)
    client.force_login(member)

    page = client.get("/partner/").content

    assert b"Shared cases" in page
    assert b"My reports" not in page


def test_a_partner_reading_the_history_of_their_message_is_recorded(client: Client, coordinator: User) -> None:
    case = CaseFactory.create()
    _, member = _invite(case, "Acme", coordinator)
    message = post_message(Thread(case=case), channel=Channel.PARTNER, body="first", actor=member)
    client.force_login(member)

    client.get(f"/messages/{message.pk}/edit/")
    ApiClient(member).get(f"/messages/{message.pk}/revisions")

    rationales = list(AuditEvent.objects.filter(tag="partner:viewed", actor=member).values_list("rationale", flat=True))
    assert f"Acme: message #{message.pk} and its earlier texts" in rationales
    assert f"Acme: earlier texts of message #{message.pk} (API)" in rationales
