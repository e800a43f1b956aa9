"""Files on messages: the report-attachment rules, all-or-nothing, and downloads only for readers of the channel."""

import hashlib
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from vulndesk.accounts.models import User
from vulndesk.accounts.services import issue_token
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import CaseFactory, ReportFactory
from vulndesk.intake.mail import ingest_mail
from vulndesk.intake.models import Report
from vulndesk.intake.services import ReportSubmission, submit_report
from vulndesk.messaging.inbound import route_inbound_email
from vulndesk.messaging.models import (
    CasePartner,
    Channel,
    Message,
    MessageAttachment,
    OutboundMail,
    QuarantinedMail,
)
from vulndesk.messaging.outbox import reply_address
from vulndesk.messaging.partners import (
    add_partner_member,
    get_or_create_organization,
    invite_partner,
    remove_partner,
)
from vulndesk.messaging.permissions import Thread
from vulndesk.messaging.services import MAX_ATTACHMENTS, post_message
from vulndesk.triage.models import Case, CaseReport

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TEXT = b"GET /admin HTTP/1.1\nHost: example\n"
EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The declared content type is deliberately wrong: only the bytes decide.
    return SimpleUploadedFile(name, content, content_type="image/png")


def stored_files() -> list[str]:
    if not default_storage.exists("message-attachments"):
        return []
    folders, _ = default_storage.listdir("message-attachments")
    return [name for folder in folders for name in default_storage.listdir(f"message-attachments/{folder}")[1]]


def _report(researcher: User) -> Report:
    return ReportFactory.create(researcher=researcher, state=Report.State.CONFIRMED)


# Posting


def test_a_message_keeps_its_files_with_their_hash(researcher: User) -> None:
    report = _report(researcher)

    message = post_message(
        Thread(report=report),
        channel=Channel.RESEARCHER,
        body="Proof of concept attached.",
        actor=researcher,
        attachments=[upload("poc.txt", TEXT), upload("crash.png", PNG)],
    )

    files = list(message.attachments.order_by("pk"))
    assert [(f.original_name, f.kind, f.size) for f in files] == [
        ("poc.txt", "text", len(TEXT)),
        ("crash.png", "png", len(PNG)),
    ]
    assert files[0].sha256 == hashlib.sha256(TEXT).hexdigest()
    assert files[0].file.read() == TEXT
    event = AuditEvent.objects.get(tag="message:posted")
    assert f"poc.txt sha256:{files[0].sha256}" in event.changes["attachments"][1]


def test_files_are_stored_under_random_names(researcher: User) -> None:
    message = post_message(
        Thread(report=_report(researcher)),
        channel=Channel.RESEARCHER,
        body="x",
        actor=researcher,
        attachments=[upload("../../etc/passwd.txt", TEXT)],
    )

    attachment = message.attachments.get()
    assert attachment.original_name == "passwd.txt"
    assert attachment.file.name.startswith("message-attachments/")
    assert "passwd" not in attachment.file.name


def test_a_message_with_files_may_have_no_text(researcher: User) -> None:
    message = post_message(
        Thread(report=_report(researcher)),
        channel=Channel.RESEARCHER,
        body="  ",
        actor=researcher,
        attachments=[upload("poc.txt", TEXT)],
    )

    assert message.body == ""
    assert message.attachments.count() == 1


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ([upload("poc.txt", TEXT), upload("tool.elf", EXECUTABLE)], "not a type of file we accept"),
        ([upload("shot.png", TEXT)], "named like a PNG image"),
        ([upload("empty.txt", b"")], "is empty"),
        ([upload(f"f{n}.txt", TEXT) for n in range(MAX_ATTACHMENTS + 1)], "at most 10 files"),
    ],
)
def test_a_refused_file_refuses_the_message_and_saves_nothing(
    researcher: User, files: list[SimpleUploadedFile], reason: str
) -> None:
    report = _report(researcher)

    with pytest.raises(RuleViolation, match=reason) as refused:
        post_message(Thread(report=report), channel=Channel.RESEARCHER, body="x", actor=researcher, attachments=files)

    assert refused.value.field == "attachments"
    assert not Message.objects.exists()
    assert not MessageAttachment.objects.exists()
    assert stored_files() == []
    assert not OutboundMail.objects.exists()


def test_files_too_large_together_are_refused(researcher: User, settings: Settings) -> None:
    settings.INTAKE_REPORT_ATTACHMENTS_MAX_BYTES = 100

    with pytest.raises(RuleViolation, match="Together the files are"):
        post_message(
            Thread(report=_report(researcher)),
            channel=Channel.RESEARCHER,
            body="x",
            actor=researcher,
            attachments=[upload("a.png", PNG), upload("b.png", PNG)],
        )

    assert stored_files() == []


def test_a_failure_after_the_files_are_written_removes_them(researcher: User, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_mail(message: Message) -> None:
        raise RuntimeError("mail server configuration broken")

    monkeypatch.setattr("vulndesk.messaging.services.mail_researcher", broken_mail)

    with pytest.raises(RuntimeError):
        post_message(
            Thread(report=_report(researcher)),
            channel=Channel.RESEARCHER,
            body="x",
            actor=researcher,
            attachments=[upload("poc.txt", TEXT)],
        )

    assert not MessageAttachment.objects.exists()
    assert stored_files() == []


def test_a_writer_who_may_not_post_there_stores_no_file(researcher: User, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        post_message(
            Thread(report=_report(researcher)),
            channel=Channel.RESEARCHER,
            body="x",
            actor=outsider,
            attachments=[upload("poc.txt", TEXT)],
        )

    assert stored_files() == []


# Mail


def test_mail_to_the_researcher_links_the_files_rather_than_attaching_them(researcher: User, analyst: User) -> None:
    report = _report(researcher)

    message = post_message(
        Thread(report=report),
        channel=Channel.RESEARCHER,
        body="Our patch, for you to test.",
        actor=analyst,
        attachments=[upload("patch.txt", TEXT)],
    )

    mail = OutboundMail.objects.get(to_address=researcher.email)
    attachment = message.attachments.get()
    assert f"/messages/{message.pk}/attachments/{attachment.pk}/" in mail.body
    assert f"patch.txt ({len(TEXT)} bytes, SHA-256 {attachment.sha256})" in mail.body
    assert TEXT.decode() not in mail.body


def test_a_mailed_reply_keeps_its_files(
    researcher: User, analyst: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    report = _report(researcher)
    reply = EmailMessage()
    reply["From"] = researcher.email
    reply["To"] = reply_address(report)
    reply["Subject"] = f"Re: [{report.reference}] New message on your report"
    reply["Message-ID"] = "<reply-2@researcher.example>"
    reply.set_content("The crash dump is attached.")
    reply.add_attachment(PNG, maintype="image", subtype="png", filename="dump.png")

    ingest_mail(reply.as_bytes())

    message = Message.objects.get(report=report, kind=Message.Kind.POST)
    assert message.body == "The crash dump is attached."
    assert [(a.original_name, a.kind) for a in message.attachments.all()] == [("dump.png", "png")]


def test_a_mailed_reply_with_a_refused_file_is_held_for_staff(researcher: User) -> None:
    report = _report(researcher)
    reply = EmailMessage()
    reply["From"] = researcher.email
    reply["To"] = reply_address(report)
    reply["Subject"] = "Re: your report"
    reply.set_content("Here is my tool.")
    reply.add_attachment(EXECUTABLE, maintype="application", subtype="octet-stream", filename="tool")
    parsed = message_from_bytes(reply.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)

    routed = route_inbound_email(parsed)

    assert routed.quarantined is not None
    assert "not a type of file we accept" in routed.quarantined.reason
    assert not Message.objects.filter(kind=Message.Kind.POST).exists()
    assert stored_files() == []
    assert QuarantinedMail.objects.get().report == report


# Web form and API


def test_the_web_form_posts_files(client: Client, researcher: User) -> None:
    report = _report(researcher)
    client.force_login(researcher)

    response = client.post(
        f"/reports/{report.pk}/messages/",
        {"channel": "researcher", "body": "See attached", "attachments": [upload("poc.txt", TEXT)]},
    )
    page = client.get(f"/reports/{report.pk}/messages/").content.decode()

    assert response.status_code == 302
    attachment = MessageAttachment.objects.get()
    assert f"/messages/{attachment.message_id}/attachments/{attachment.pk}/" in page
    assert f"sha256:{attachment.sha256}" in page


def test_the_web_form_shows_why_a_file_was_refused_and_saves_nothing(client: Client, researcher: User) -> None:
    report = _report(researcher)
    client.force_login(researcher)

    response = client.post(
        f"/reports/{report.pk}/messages/",
        {"channel": "researcher", "body": "See attached", "attachments": [upload("tool.elf", EXECUTABLE)]},
    )

    assert response.status_code == 400
    assert b"tool.elf is not a type of file we accept" in response.content
    assert not Message.objects.exists()
    assert stored_files() == []


def test_staff_write_to_a_partner_from_the_web_form(client: Client, coordinator: User) -> None:
    case = CaseFactory.create()
    organization = get_or_create_organization(name="Acme", kind="vendor", contact_email="", actor=coordinator)
    invite_partner(case, organization, shared_summary="x", actor=coordinator)
    client.force_login(coordinator)

    response = client.post(
        f"/cases/{case.pk}/messages/",
        {
            "channel": "partner",
            "organization": str(organization.pk),
            "body": "Embargo holds",
            "attachments": [upload("plan.txt", TEXT)],
        },
    )

    assert response.status_code == 302
    message = Message.objects.get(channel=Channel.PARTNER)
    assert message.partner_organization == organization
    assert message.attachments.count() == 1


def test_the_api_takes_multipart_with_files(researcher: User) -> None:
    report = _report(researcher)

    response = ApiClient(researcher).post_multipart(
        f"/reports/{report.pk}/messages/multipart",
        {"channel": "researcher", "body": "PoC", "files": [upload("poc.txt", TEXT), upload("crash.png", PNG)]},
    )

    assert response.status_code == 201, response.content
    files = response.json()["attachments"]
    assert [f["name"] for f in files] == ["poc.txt", "crash.png"]
    assert files[0]["sha256"] == hashlib.sha256(TEXT).hexdigest()
    downloaded = ApiClient(researcher).get(files[0]["url"].removeprefix("/api/v1"))
    assert b"".join(downloaded.streaming_content) == TEXT  # type: ignore[attr-defined]


def test_the_api_multipart_without_files_posts_text(researcher: User) -> None:
    report = _report(researcher)

    response = ApiClient(researcher).post_multipart(
        f"/reports/{report.pk}/messages/multipart", {"channel": "researcher", "body": "Just text"}
    )

    assert response.status_code == 201
    assert response.json()["attachments"] == []


def test_the_api_refuses_a_bad_file_with_422_and_saves_nothing(researcher: User) -> None:
    report = _report(researcher)

    response = ApiClient(researcher).post_multipart(
        f"/reports/{report.pk}/messages/multipart",
        {"channel": "researcher", "body": "x", "files": [upload("poc.txt", TEXT), upload("tool.elf", EXECUTABLE)]},
    )

    assert response.status_code == 422
    assert problem_fields(response) == ["attachments"]
    assert not Message.objects.exists()
    assert stored_files() == []


def test_the_api_case_multipart_endpoint_posts_internal_notes_with_files(analyst: User) -> None:
    case = CaseFactory.create()

    response = ApiClient(analyst).post_multipart(
        f"/cases/{case.pk}/messages/multipart",
        {"channel": "internal", "body": "Triage notes", "files": [upload("notes.txt", TEXT)]},
    )

    assert response.status_code == 201
    assert Message.objects.get().attachments.count() == 1


# Who may download: every channel by every role


@dataclass
class Files:
    researcher_thread: MessageAttachment
    report_note: MessageAttachment
    case_note: MessageAttachment
    acme_channel: MessageAttachment
    acme_member: User
    beta_member: User


@pytest.fixture
def files(researcher: User, analyst: User, coordinator: User) -> Files:
    report = _report(researcher)
    case: Case = CaseFactory.create()
    CaseReport.objects.create(case=case, report=report)
    members = {}
    for name in ("Acme", "Beta"):
        organization = get_or_create_organization(name=name, kind="vendor", contact_email="", actor=coordinator)
        members[name] = add_partner_member(
            organization, email=f"m@{name.lower()}.test", display_name="", actor=coordinator
        )
        invite_partner(case, organization, shared_summary=name, actor=coordinator)

    def attach(thread: Thread, channel: str, actor: User, name: str) -> MessageAttachment:
        message = post_message(
            thread, channel=channel, body=name, actor=actor, attachments=[upload(f"{name}.txt", TEXT)]
        )
        return message.attachments.get()

    return Files(
        researcher_thread=attach(Thread(report=report), Channel.RESEARCHER, researcher, "thread"),
        report_note=attach(Thread(report=report), Channel.INTERNAL, analyst, "report-note"),
        case_note=attach(Thread(case=case), Channel.INTERNAL, coordinator, "case-note"),
        acme_channel=attach(Thread(case=case), Channel.PARTNER, members["Acme"], "acme"),
        acme_member=members["Acme"],
        beta_member=members["Beta"],
    )


# Which of the four files each viewer may download.
ACCESS = {
    "researcher": {"researcher_thread"},
    "outsider": set(),
    "analyst": {"researcher_thread", "report_note", "case_note", "acme_channel"},
    "coordinator": {"researcher_thread", "report_note", "case_note", "acme_channel"},
    "engineer": {"case_note", "acme_channel"},
    "release_manager": {"case_note", "acme_channel"},
    "acme": {"acme_channel"},
    "beta": set(),
}


def _viewer(name: str, files: Files, request: pytest.FixtureRequest) -> User:
    if name == "acme":
        return files.acme_member
    if name == "beta":
        return files.beta_member
    user: User = request.getfixturevalue(name)
    return user


def _download(attachment: MessageAttachment, user: User | None, *, api: bool) -> int:
    client = Client()
    headers = {}
    if user is not None and api:
        headers["Authorization"] = f"Bearer {issue_token(user, name='t', actor=user).secret}"
    elif user is not None:
        client.force_login(user)
    prefix = "/api/v1" if api else ""
    url = f"{prefix}/messages/{attachment.message_id}/attachments/{attachment.pk}" + ("" if api else "/")
    return client.get(url, headers=headers).status_code


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
@pytest.mark.parametrize("viewer", list(ACCESS))
def test_only_readers_of_the_channel_download_its_files(
    files: Files, request: pytest.FixtureRequest, viewer: str, api: bool
) -> None:
    user = _viewer(viewer, files, request)

    allowed = {
        name
        for name in ("researcher_thread", "report_note", "case_note", "acme_channel")
        if _download(getattr(files, name), user, api=api) == 200
    }

    assert allowed == ACCESS[viewer]


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_anonymous_visitors_download_nothing(files: Files, api: bool) -> None:
    statuses = {_download(getattr(files, name), None, api=api) for name in ("researcher_thread", "acme_channel")}

    assert statuses == ({401} if api else {302})


def test_a_file_is_not_reachable_through_another_message(files: Files, researcher: User) -> None:
    client = Client()
    client.force_login(researcher)

    # The researcher may read the thread message, but the internal note's file is not its file.
    url = f"/messages/{files.researcher_thread.message_id}/attachments/{files.report_note.pk}/"

    assert client.get(url).status_code == 404


def test_a_removed_partner_loses_its_files(files: Files, coordinator: User) -> None:
    remove_partner(CasePartner.objects.get(organization__name="Acme"), actor=coordinator)

    assert _download(files.acme_channel, files.acme_member, api=False) == 404


def test_downloads_are_attachments_never_rendered(files: Files, researcher: User) -> None:
    client = Client()
    client.force_login(researcher)

    response = client.get(f"/messages/{files.researcher_thread.message_id}/attachments/{files.researcher_thread.pk}/")

    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="thread.txt"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == TEXT  # type: ignore[attr-defined]


def test_internal_file_names_do_not_appear_in_the_researchers_thread(files: Files, researcher: User) -> None:
    client = Client()
    client.force_login(researcher)
    report_id = files.researcher_thread.message.report_id

    page = client.get(f"/reports/{report_id}/messages/").content.decode()
    api = ApiClient(researcher).get(f"/reports/{report_id}/messages").content.decode()

    assert "thread.txt" in page
    assert "report-note.txt" not in page
    assert "report-note.txt" not in api


def test_files_on_a_long_thread_cost_no_query_per_message(
    client: Client, coordinator: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    case = CaseFactory.create()
    for number in range(30):
        post_message(
            Thread(case=case),
            channel=Channel.INTERNAL,
            body=f"note {number}",
            actor=coordinator,
            attachments=[upload(f"file{number:02d}.txt", TEXT)],
        )
    client.force_login(coordinator)
    client.get(f"/cases/{case.pk}/messages/")  # warm the session and content-type caches

    with django_assert_max_num_queries(15):
        page = client.get(f"/cases/{case.pk}/messages/").content.decode()

    assert "file00.txt" in page
    assert "file29.txt" in page


def test_the_web_form_posts_files_without_text(client: Client, researcher: User) -> None:
    report = _report(researcher)
    client.force_login(researcher)

    response = client.post(
        f"/reports/{report.pk}/messages/",
        {"channel": "researcher", "body": "", "attachments": [upload("poc.txt", TEXT)]},
    )

    assert response.status_code == 302
    assert Message.objects.get().attachments.count() == 1


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_a_partners_download_is_recorded(files: Files, api: bool) -> None:
    _download(files.acme_channel, files.acme_member, api=api)

    event = AuditEvent.objects.filter(tag="partner:viewed", actor=files.acme_member).latest("pk")
    assert "file acme.txt" in event.rationale


def test_a_partners_visit_to_the_conversation_page_is_recorded(files: Files) -> None:
    client = Client()
    client.force_login(files.acme_member)

    client.get(f"/cases/{files.acme_channel.message.case_id}/messages/")

    assert AuditEvent.objects.filter(
        tag="partner:viewed", actor=files.acme_member, rationale__endswith="conversation page"
    ).exists()


# Anonymous reports: the holder of the tracking link reads the researcher thread and its files


def _anonymous_report(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> tuple[Report, str]:
    submission = ReportSubmission(
        title="Heap overflow",
        description="A crafted file overflows.",
        product_other="Parser",
        accepts_policy=True,
        contact_email="anon@researcher.example",
        credit_preference="anonymous",
    )
    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit_report(submission, actor=None)
    return receipt.report, receipt.tracking_token


def test_the_tracking_link_shows_the_thread_and_serves_its_files(
    client: Client, analyst: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    report, token = _anonymous_report(django_capture_on_commit_callbacks)
    message = post_message(
        Thread(report=report),
        channel=Channel.RESEARCHER,
        body="Please test this build.",
        actor=analyst,
        attachments=[upload("patch.txt", TEXT)],
    )
    post_message(Thread(report=report), channel=Channel.INTERNAL, body="INTERNAL-7f3a", actor=analyst)
    attachment = message.attachments.get()

    page = client.get(f"/reports/track/{token}/").content.decode()
    download = client.get(f"/reports/track/{token}/messages/{message.pk}/attachments/{attachment.pk}/")

    assert "Please test this build." in page
    assert "INTERNAL-7f3a" not in page
    assert f"/reports/track/{token}/messages/{message.pk}/attachments/{attachment.pk}/" in page
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Referrer-Policy"] == "no-referrer"
    assert b"".join(download.streaming_content) == TEXT  # type: ignore[attr-defined]


def test_the_tracking_link_never_serves_an_internal_file_or_another_reports(
    client: Client, analyst: User, researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    report, token = _anonymous_report(django_capture_on_commit_callbacks)
    note = post_message(
        Thread(report=report), channel=Channel.INTERNAL, body="n", actor=analyst, attachments=[upload("n.txt", TEXT)]
    )
    other = post_message(
        Thread(report=_report(researcher)),
        channel=Channel.RESEARCHER,
        body="o",
        actor=analyst,
        attachments=[upload("o.txt", TEXT)],
    )

    for message in (note, other):
        url = f"/reports/track/{token}/messages/{message.pk}/attachments/{message.attachments.get().pk}/"
        assert client.get(url).status_code == 404
    assert client.get(f"/reports/track/wrong-token/messages/{note.pk}/attachments/1/").status_code == 404


def test_mail_to_an_anonymous_reporter_points_to_the_tracking_link_for_files(
    analyst: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    report, token = _anonymous_report(django_capture_on_commit_callbacks)

    post_message(
        Thread(report=report),
        channel=Channel.RESEARCHER,
        body="Patch attached",
        actor=analyst,
        attachments=[upload("patch.txt", TEXT)],
    )

    mail = OutboundMail.objects.get(to_address="anon@researcher.example")
    assert "open the tracking link from our first email" in mail.body
    assert "patch.txt" in mail.body
    assert token not in mail.body
    assert "/messages/" not in mail.body
