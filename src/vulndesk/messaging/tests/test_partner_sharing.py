"""Per-vulnerability sharing: an invited organization sees only the vulnerabilities shared with it."""

from collections.abc import Sequence

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import CaseFactory, VulnerabilityFactory
from vulndesk.messaging.models import CasePartner, OutboundMail, PartnerStatus, SharedVulnerability
from vulndesk.messaging.partners import (
    add_partner_member,
    get_or_create_organization,
    invite_partner,
    remove_partner,
    set_partner_status,
    set_shared_vulnerabilities,
)
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case

pytestmark = pytest.mark.django_db


def _invite(
    case: Case, name: str, coordinator: User, *, sharing: Sequence[Vulnerability] = ()
) -> tuple[CasePartner, User]:
    organization = get_or_create_organization(name=name, kind="vendor", contact_email="", actor=coordinator)
    domain = "".join(character for character in name.lower() if character.isalnum())
    member = add_partner_member(organization, email=f"psirt@{domain}.test", display_name="", actor=coordinator)
    case_partner = invite_partner(
        case, organization, shared_summary=f"Summary for {name}", actor=coordinator, vulnerabilities=sharing
    )
    return case_partner, member


def _shared_ids(case_partner: CasePartner) -> set[int]:
    return set(SharedVulnerability.objects.filter(case_partner=case_partner).values_list("vulnerability_id", flat=True))


@pytest.fixture
def case() -> Case:
    return CaseFactory.create(title="Multi-vendor parser flaws")


@pytest.fixture
def shared(case: Case) -> Vulnerability:
    return VulnerabilityFactory.create(case=case, title="Shared parser overflow")


@pytest.fixture
def hidden(case: Case) -> Vulnerability:
    return VulnerabilityFactory.create(case=case, title="Hidden signing bypass")


# Services


def test_invitation_shares_only_the_named_vulnerabilities(
    case: Case, shared: Vulnerability, hidden: Vulnerability, coordinator: User
) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator, sharing=[shared])

    assert _shared_ids(case_partner) == {shared.pk}
    event = AuditEvent.objects.get(tag="case:partner_sharing_changed")
    assert (event.changes["shared_vulnerabilities"], event.rationale) == (["", shared.reference], "Acme")


def test_invitation_without_vulnerabilities_shares_none(case: Case, shared: Vulnerability, coordinator: User) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator)

    assert _shared_ids(case_partner) == set()


def test_invitation_naming_another_cases_vulnerability_saves_nothing(case: Case, coordinator: User) -> None:
    foreign = VulnerabilityFactory.create()
    organization = get_or_create_organization(name="Acme", kind="vendor", contact_email="", actor=coordinator)

    with pytest.raises(RuleViolation, match="not part of"):
        invite_partner(case, organization, shared_summary="x", actor=coordinator, vulnerabilities=[foreign])

    assert not CasePartner.objects.exists()
    assert not OutboundMail.objects.exists()


def test_sharing_more_and_withdrawing_is_audited_with_before_and_after(
    case: Case, shared: Vulnerability, hidden: Vulnerability, coordinator: User
) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator, sharing=[shared])

    set_shared_vulnerabilities(case_partner, [hidden], actor=coordinator)

    assert _shared_ids(case_partner) == {hidden.pk}
    event = AuditEvent.objects.filter(tag="case:partner_sharing_changed").latest("pk")
    assert event.changes["shared_vulnerabilities"] == [shared.reference, hidden.reference]
    assert event.actor == coordinator


def test_newly_shared_vulnerabilities_are_announced_without_details(
    case: Case, shared: Vulnerability, hidden: Vulnerability, coordinator: User
) -> None:
    case_partner, member = _invite(case, "Acme", coordinator, sharing=[shared])

    set_shared_vulnerabilities(case_partner, [shared, hidden], actor=coordinator)

    mail = OutboundMail.objects.filter(to_address=member.email).latest("pk")
    assert "shares more" in mail.subject
    assert hidden.title not in mail.body
    assert hidden.reference not in mail.body


def test_withdrawing_alone_sends_no_mail_and_an_unchanged_set_records_nothing(
    case: Case, shared: Vulnerability, coordinator: User
) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator, sharing=[shared])
    mails, events = OutboundMail.objects.count(), AuditEvent.objects.filter(tag="case:partner_sharing_changed").count()

    set_shared_vulnerabilities(case_partner, [], actor=coordinator)
    set_shared_vulnerabilities(case_partner, [], actor=coordinator)

    assert OutboundMail.objects.count() == mails
    assert AuditEvent.objects.filter(tag="case:partner_sharing_changed").count() == events + 1


def test_only_case_managers_change_sharing(
    case: Case, shared: Vulnerability, coordinator: User, engineer: User
) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator)

    with pytest.raises(PermissionDenied):
        set_shared_vulnerabilities(case_partner, [shared], actor=engineer)

    assert _shared_ids(case_partner) == set()


def test_sharing_with_a_removed_partner_is_refused(case: Case, shared: Vulnerability, coordinator: User) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator)
    remove_partner(case_partner, actor=coordinator)

    with pytest.raises(RuleViolation, match="no longer has access"):
        set_shared_vulnerabilities(case_partner, [shared], actor=coordinator)


def test_no_status_on_a_vulnerability_not_shared(case: Case, hidden: Vulnerability, coordinator: User) -> None:
    case_partner, member = _invite(case, "Acme", coordinator)

    with pytest.raises(RuleViolation, match="not shared with you"):
        set_partner_status(case_partner, hidden, status="affected", actor=member)

    assert not PartnerStatus.objects.exists()


# Pages


def test_partner_page_shows_only_shared_vulnerabilities(
    client: Client, case: Case, shared: Vulnerability, hidden: Vulnerability, coordinator: User
) -> None:
    _, member = _invite(case, "Acme", coordinator, sharing=[shared])
    client.force_login(member)

    page = client.get(f"/partner/cases/{case.pk}/").content.decode()

    assert shared.title in page
    assert hidden.title not in page
    assert hidden.reference not in page


def test_withdrawn_vulnerability_and_the_partners_answer_disappear_from_their_page(
    client: Client, case: Case, shared: Vulnerability, coordinator: User
) -> None:
    case_partner, member = _invite(case, "Acme", coordinator, sharing=[shared])
    set_partner_status(case_partner, shared, status="affected", tracking_id="ACME-77", actor=member)
    set_shared_vulnerabilities(case_partner, [], actor=coordinator)
    client.force_login(member)

    page = client.get(f"/partner/cases/{case.pk}/").content.decode()

    assert shared.title not in page
    assert "ACME-77" not in page
    assert "No vulnerability of this case is shared with Acme yet" in page


def test_partner_cannot_post_a_status_for_an_unshared_vulnerability(
    client: Client, case: Case, hidden: Vulnerability, coordinator: User
) -> None:
    _, member = _invite(case, "Acme", coordinator)
    client.force_login(member)

    response = client.post(f"/partner/cases/{case.pk}/", {"vulnerability": hidden.pk, "status": "affected"})

    assert response.status_code == 400
    assert b"not shared with you" in response.content
    assert not PartnerStatus.objects.exists()


def test_staff_partners_page_shows_what_each_partner_sees(
    client: Client, case: Case, shared: Vulnerability, hidden: Vulnerability, coordinator: User
) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator, sharing=[shared])
    client.force_login(coordinator)

    page = client.get(f"/cases/{case.pk}/partners/").content.decode()

    assert "Shared, no answer" in page
    assert "Not shared" in page
    assert f"/cases/{case.pk}/partners/{case_partner.organization_id}/sharing/" in page


@pytest.mark.usefixtures("hidden")
def test_staff_partners_page_queries_do_not_grow_with_partners(
    client: Client,
    case: Case,
    shared: Vulnerability,
    coordinator: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for number in range(30):
        case_partner, member = _invite(case, f"Vendor{number}", coordinator, sharing=[shared])
        set_partner_status(case_partner, shared, status="affected", actor=member)
    client.force_login(coordinator)
    client.get(f"/cases/{case.pk}/partners/")  # warm the session and content-type caches

    # 8 today (session, user, case, vulnerabilities, partners, statuses, shares, unread badge); a query per row would add 30.
    with django_assert_max_num_queries(10):
        response = client.get(f"/cases/{case.pk}/partners/")

    assert response.content.decode().count("Affected") == 30


def test_invite_form_shares_the_ticked_vulnerabilities(
    client: Client, case: Case, shared: Vulnerability, hidden: Vulnerability, coordinator: User
) -> None:
    client.force_login(coordinator)

    response = client.post(
        f"/cases/{case.pk}/partners/",
        {
            "organization_name": "CERT-XY",
            "kind": "cert",
            "shared_summary": "Parser flaw.",
            "vulnerabilities": [shared.pk],
        },
    )

    assert response.status_code == 302
    assert _shared_ids(CasePartner.objects.get()) == {shared.pk}


def test_invite_form_refuses_a_vulnerability_of_another_case(client: Client, case: Case, coordinator: User) -> None:
    foreign = VulnerabilityFactory.create()
    client.force_login(coordinator)

    response = client.post(
        f"/cases/{case.pk}/partners/",
        {"organization_name": "CERT-XY", "kind": "cert", "shared_summary": "x", "vulnerabilities": [foreign.pk]},
    )

    assert response.status_code == 400
    assert not CasePartner.objects.exists()


def test_sharing_page_changes_what_the_partner_sees(
    client: Client, case: Case, shared: Vulnerability, hidden: Vulnerability, coordinator: User
) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator, sharing=[shared])
    url = f"/cases/{case.pk}/partners/{case_partner.organization_id}/sharing/"
    client.force_login(coordinator)

    form = client.get(url).content.decode()
    response = client.post(url, {"vulnerabilities": [shared.pk, hidden.pk]})

    assert hidden.title in form
    assert response.status_code == 302
    assert _shared_ids(case_partner) == {shared.pk, hidden.pk}


def test_sharing_page_is_read_only_for_staff_who_do_not_manage_cases(
    client: Client, case: Case, shared: Vulnerability, coordinator: User, engineer: User
) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator)
    url = f"/cases/{case.pk}/partners/{case_partner.organization_id}/sharing/"
    client.force_login(engineer)

    page = client.get(url)
    refused = client.post(url, {"vulnerabilities": [shared.pk]})

    assert page.status_code == 200
    assert b"Only the case's coordinators" in page.content
    assert refused.status_code == 403
    assert _shared_ids(case_partner) == set()


def test_sharing_page_is_hidden_from_researchers_and_partners(
    client: Client, case: Case, coordinator: User, researcher: User
) -> None:
    case_partner, member = _invite(case, "Acme", coordinator)
    url = f"/cases/{case.pk}/partners/{case_partner.organization_id}/sharing/"

    for person in (researcher, member):
        client.force_login(person)
        assert client.get(url).status_code == 404


def test_sharing_page_for_an_organization_not_invited_is_404(client: Client, case: Case, coordinator: User) -> None:
    other_case = CaseFactory.create()
    elsewhere, _ = _invite(other_case, "Elsewhere", coordinator)
    client.force_login(coordinator)

    assert client.get(f"/cases/{case.pk}/partners/{elsewhere.organization_id}/sharing/").status_code == 404


# API


def test_api_partner_sees_only_shared_vulnerabilities_and_the_view_is_logged(
    case: Case, shared: Vulnerability, hidden: Vulnerability, coordinator: User
) -> None:
    _, member = _invite(case, "Acme", coordinator, sharing=[shared])

    body = ApiClient(member).get(f"/partner/cases/{case.pk}").json()

    assert [item["id"] for item in body["vulnerabilities"]] == [shared.pk]
    assert body["summary"] == "Summary for Acme"
    assert AuditEvent.objects.filter(tag="partner:viewed", actor=member, rationale__contains="(API)").exists()


def test_api_partner_lists_only_their_cases(case: Case, shared: Vulnerability, coordinator: User) -> None:
    _, member = _invite(case, "Acme", coordinator, sharing=[shared])
    _invite(CaseFactory.create(), "Other", coordinator)

    body = ApiClient(member).get("/partner/cases").json()

    assert [item["case_id"] for item in body] == [case.pk]


def test_api_partner_sets_a_status_on_a_shared_vulnerability(
    case: Case, shared: Vulnerability, coordinator: User
) -> None:
    _, member = _invite(case, "Acme", coordinator, sharing=[shared])

    response = ApiClient(member).put(
        f"/partner/cases/{case.pk}/vulnerabilities/{shared.pk}/status",
        {"status": "not_affected", "justification": "Not shipped", "tracking_id": "ACME-1"},
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["tracking_id"]) == ("not_affected", "ACME-1")


def test_api_partner_status_without_justification_is_422(case: Case, shared: Vulnerability, coordinator: User) -> None:
    _, member = _invite(case, "Acme", coordinator, sharing=[shared])

    response = ApiClient(member).put(
        f"/partner/cases/{case.pk}/vulnerabilities/{shared.pk}/status", {"status": "not_affected"}
    )

    assert response.status_code == 422
    assert problem_fields(response) == ["justification"]
    assert not PartnerStatus.objects.exists()


def test_api_partner_cannot_answer_on_unshared_or_foreign_vulnerabilities(
    case: Case, hidden: Vulnerability, coordinator: User
) -> None:
    _, member = _invite(case, "Acme", coordinator)
    other_case = CaseFactory.create()
    foreign = VulnerabilityFactory.create(case=other_case)
    api = ApiClient(member)

    unshared = api.put(f"/partner/cases/{case.pk}/vulnerabilities/{hidden.pk}/status", {"status": "affected"})
    not_invited = api.put(f"/partner/cases/{other_case.pk}/vulnerabilities/{foreign.pk}/status", {"status": "affected"})

    assert (unshared.status_code, not_invited.status_code) == (404, 404)
    assert not PartnerStatus.objects.exists()


def test_api_partner_case_of_another_organization_is_404(case: Case, coordinator: User) -> None:
    _, member = _invite(case, "Acme", coordinator)
    other_case = CaseFactory.create()
    _invite(other_case, "Other", coordinator)

    assert ApiClient(member).get(f"/partner/cases/{other_case.pk}").status_code == 404


def test_api_non_partners_have_no_partner_cases(case: Case, coordinator: User, researcher: User) -> None:
    _invite(case, "Acme", coordinator)

    assert ApiClient(researcher).get("/partner/cases").json() == []
    assert ApiClient(coordinator).get(f"/partner/cases/{case.pk}").status_code == 404


def test_api_staff_list_partners_with_sharing_and_answers(
    case: Case, shared: Vulnerability, hidden: Vulnerability, coordinator: User
) -> None:
    case_partner, member = _invite(case, "Acme", coordinator, sharing=[shared])
    set_partner_status(case_partner, shared, status="affected", actor=member)

    (item,) = ApiClient(coordinator).get(f"/cases/{case.pk}/partners").json()

    assert item["organization"] == "Acme"
    assert item["shared_vulnerabilities"] == [shared.pk]
    assert [(s["id"], s["status"]) for s in item["statuses"]] == [(shared.pk, "affected")]


def test_api_staff_partner_list_is_hidden_from_researchers_and_partners(
    case: Case, coordinator: User, researcher: User
) -> None:
    _, member = _invite(case, "Acme", coordinator)

    assert ApiClient(researcher).get(f"/cases/{case.pk}/partners").status_code == 404
    assert ApiClient(member).get(f"/cases/{case.pk}/partners").status_code == 404


def test_api_staff_set_shared_vulnerabilities(
    case: Case, shared: Vulnerability, hidden: Vulnerability, coordinator: User
) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator)

    response = ApiClient(coordinator).put(
        f"/cases/{case.pk}/partners/{case_partner.organization_id}/shared-vulnerabilities",
        {"vulnerabilities": [hidden.pk, shared.pk]},
    )

    assert response.status_code == 200
    assert response.json()["shared_vulnerabilities"] == sorted([shared.pk, hidden.pk])
    assert _shared_ids(case_partner) == {shared.pk, hidden.pk}


def test_api_sharing_an_unknown_vulnerability_is_422_and_changes_nothing(
    case: Case, shared: Vulnerability, coordinator: User
) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator, sharing=[shared])
    foreign = VulnerabilityFactory.create()

    response = ApiClient(coordinator).put(
        f"/cases/{case.pk}/partners/{case_partner.organization_id}/shared-vulnerabilities",
        {"vulnerabilities": [foreign.pk]},
    )

    assert response.status_code == 422
    assert problem_fields(response) == ["vulnerabilities"]
    assert _shared_ids(case_partner) == {shared.pk}


def test_api_sharing_is_refused_to_staff_who_do_not_manage_cases(
    case: Case, shared: Vulnerability, coordinator: User, engineer: User
) -> None:
    case_partner, _ = _invite(case, "Acme", coordinator)

    response = ApiClient(engineer).put(
        f"/cases/{case.pk}/partners/{case_partner.organization_id}/shared-vulnerabilities",
        {"vulnerabilities": [shared.pk]},
    )

    assert response.status_code == 403
    assert _shared_ids(case_partner) == set()


def test_api_partners_cannot_change_sharing(case: Case, shared: Vulnerability, coordinator: User) -> None:
    case_partner, member = _invite(case, "Acme", coordinator)

    response = ApiClient(member).put(
        f"/cases/{case.pk}/partners/{case_partner.organization_id}/shared-vulnerabilities",
        {"vulnerabilities": [shared.pk]},
    )

    assert response.status_code == 404
    assert _shared_ids(case_partner) == set()


def test_staff_partners_page_escapes_what_partners_wrote(
    client: Client, case: Case, shared: Vulnerability, coordinator: User
) -> None:
    case_partner, member = _invite(case, "<b>Evil</b> Corp", coordinator, sharing=[shared])
    set_partner_status(
        case_partner,
        shared,
        status="not_affected",
        justification="<script>alert(1)</script>",
        tracking_id="<img src=x>",
        actor=member,
    )
    client.force_login(coordinator)

    page = client.get(f"/cases/{case.pk}/partners/").content.decode()

    assert "<script>alert(1)" not in page
    assert "<img src=x>" not in page
    assert "<b>Evil</b>" not in page
    assert "&lt;b&gt;Evil&lt;/b&gt; Corp" in page
    assert "&lt;img src=x&gt;" in page


def test_a_member_address_that_is_not_an_email_is_refused(client: Client, case: Case, coordinator: User) -> None:
    client.force_login(coordinator)

    response = client.post(
        f"/cases/{case.pk}/partners/",
        {"organization_name": "CERT-XY", "kind": "cert", "shared_summary": "x", "member_emails": "not-an-address"},
    )

    assert response.status_code == 400
    assert b"not-an-address is not an email address" in response.content
    assert not CasePartner.objects.exists()
