"""No page and no endpoint shows an internal note to anyone outside the PSIRT.

One fixture thread holds internal notes (on the report, on its case, and an edited one whose
earlier text is a revision), each carrying a marker. Every message-bearing URL is fetched as
every kind of outside viewer, and the marker must never appear in the response.
"""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from vulndesk.accounts.models import User
from vulndesk.accounts.services import issue_token
from vulndesk.core.tests.factories import CaseFactory, ReportFactory
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel
from vulndesk.messaging.partners import add_partner_member, get_or_create_organization, invite_partner
from vulndesk.messaging.permissions import Thread
from vulndesk.messaging.services import edit_message, post_message
from vulndesk.messaging.tests.factories import case_note, report_message
from vulndesk.triage.models import CaseReport

pytestmark = pytest.mark.django_db
MARKER = "INTERNAL-ONLY-7f3a"  # in report notes and case notes: no one outside the PSIRT sees it
REPORT_MARKER = "REPORT-NOTE-9c1e"  # in report notes only: engineers and release managers don't read reports
BETA_MARKER = "PARTNER-BETA-4d2b"  # in partner Beta's channel: Acme's members never see it


@dataclass
class World:
    report: Report
    note_id: int
    researcher_message_id: int
    case_id: int
    acme_member: User
    note_file: str  # download paths of files whose content carries the markers
    beta_file: str


@pytest.fixture
def world(researcher: User, analyst: User, coordinator: User) -> World:
    report = ReportFactory.create(researcher=researcher, state=Report.State.CONFIRMED)
    case = CaseFactory.create()
    CaseReport.objects.create(case=case, report=report)
    public = report_message(report, researcher, "Public question from the researcher")
    noted = post_message(
        Thread(report=report),
        channel=Channel.INTERNAL,
        body=f"{MARKER} {REPORT_MARKER} on the report",
        actor=analyst,
        attachments=[SimpleUploadedFile("note.txt", f"{MARKER} {REPORT_MARKER} in a file".encode())],
    )
    note = report_message(report, analyst, f"{MARKER} {REPORT_MARKER} first text", channel=Channel.INTERNAL)
    edit_message(note, body="Edited note, earlier text kept", actor=analyst)
    case_note(case, coordinator, f"{MARKER} on the case")
    members = {}
    for name in ("Acme", "Beta"):
        organization = get_or_create_organization(name=name, kind="vendor", contact_email="", actor=coordinator)
        members[name] = add_partner_member(
            organization, email=f"m@{name.lower()}.test", display_name="", actor=coordinator
        )
        invite_partner(case, organization, shared_summary=f"{name} summary", actor=coordinator)
    beta = post_message(
        Thread(case=case),
        channel=Channel.PARTNER,
        body=f"{BETA_MARKER} from Beta",
        actor=members["Beta"],
        attachments=[SimpleUploadedFile("beta.txt", f"{BETA_MARKER} in a file".encode())],
    )
    post_message(
        Thread(case=case),
        channel=Channel.PARTNER,
        body=f"{BETA_MARKER} to Beta",
        actor=coordinator,
        organization=beta.partner_organization,
    )
    post_message(Thread(case=case), channel=Channel.PARTNER, body="Acme question", actor=members["Acme"])
    return World(
        report=report,
        note_id=note.pk,
        researcher_message_id=public.pk,
        case_id=case.pk,
        acme_member=members["Acme"],
        note_file=f"messages/{noted.pk}/attachments/{noted.attachments.get().pk}",
        beta_file=f"messages/{beta.pk}/attachments/{beta.attachments.get().pk}",
    )


def _urls(world: World) -> list[tuple[str, str]]:
    report, case = world.report.pk, world.case_id
    return [
        ("api", f"/api/v1/reports/{report}/messages"),
        ("api", f"/api/v1/reports/{report}/messages?channel=researcher"),
        ("api", f"/api/v1/reports/{report}/messages?channel=internal"),
        ("api", f"/api/v1/cases/{case}/messages"),
        ("api", f"/api/v1/cases/{case}/messages?channel=internal"),
        ("api", f"/api/v1/messages/{world.note_id}/revisions"),
        ("page", f"/reports/{report}/"),
        ("page", f"/reports/{report}/messages/"),
        ("page", f"/reports/{report}/messages/?reply_to={world.note_id}"),
        ("page", f"/cases/{case}/messages/"),
        ("page", f"/messages/{world.note_id}/edit/"),
        ("page", f"/cases/{case}/partners/"),
        ("page", "/partner/"),
        ("page", f"/partner/cases/{case}/"),
        ("api", f"/api/v1/cases/{case}/messages?channel=partner"),
        ("api", f"/api/v1/{world.note_file}"),
        ("page", f"/{world.note_file}/"),
        ("api", f"/api/v1/{world.beta_file}"),
        ("page", f"/{world.beta_file}/"),
        ("api", f"/api/v1/cases/{case}/partners"),
        ("api", "/api/v1/partner/cases"),
        ("api", f"/api/v1/partner/cases/{case}"),
    ]


def _fetch(kind: str, url: str, user: User | None) -> bytes:
    client = Client()
    headers = {}
    if user is not None and kind == "api":
        headers["Authorization"] = f"Bearer {issue_token(user, name='isolation', actor=user).secret}"
    elif user is not None:
        client.force_login(user)
    response = client.get(url, headers=headers, follow=True)
    # A download streams; the markers are in the files' content too.
    return b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]


@pytest.mark.parametrize("viewer", ["researcher", "outsider", None])
def test_no_internal_note_reaches_anyone_outside(
    world: World, request: pytest.FixtureRequest, viewer: str | None
) -> None:
    user = request.getfixturevalue(viewer) if viewer else None

    pages = [(url, _fetch(kind, url, user)) for kind, url in _urls(world)]

    leaks = [url for url, page in pages for marker in (MARKER, BETA_MARKER) if marker.encode() in page]

    assert leaks == []


@pytest.mark.parametrize("viewer", ["engineer", "release_manager"])
def test_staff_who_do_not_read_reports_see_no_report_notes(
    world: World, request: pytest.FixtureRequest, viewer: str
) -> None:
    user = request.getfixturevalue(viewer)

    leaks = [url for kind, url in _urls(world) if REPORT_MARKER.encode() in _fetch(kind, url, user)]

    assert leaks == []
    assert MARKER.encode() in _fetch("page", f"/cases/{world.case_id}/messages/", user)


def test_the_owner_still_sees_their_thread(world: World, researcher: User) -> None:
    pages = [_fetch(kind, url, researcher) for kind, url in _urls(world)]

    assert sum(b"Public question from the researcher" in page for page in pages) >= 4


def test_the_marker_is_visible_to_staff_so_the_matrix_can_fail(world: World, analyst: User) -> None:
    leaks = [url for kind, url in _urls(world) if MARKER.encode() in _fetch(kind, url, analyst)]

    assert len(leaks) >= 6


def test_a_partner_sees_only_its_own_channel(world: World) -> None:
    pages = {url: _fetch(kind, url, world.acme_member) for kind, url in _urls(world)}

    leaks = [url for url, page in pages.items() for marker in (MARKER, BETA_MARKER) if marker.encode() in page]

    assert leaks == []
    assert not any(b"Public question from the researcher" in page for page in pages.values())
    assert b"Acme question" in pages[f"/partner/cases/{world.case_id}/"]
