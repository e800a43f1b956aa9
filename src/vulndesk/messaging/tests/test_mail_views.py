"""The outbox pages for staff and the mail settings page."""

from pathlib import Path

import pytest
from django.core.mail import send_mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from vulndesk.accounts.models import User
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.messaging.models import MailAddress, MailPreference, OutboundMail, QuarantinedMail
from vulndesk.messaging.outbox import queue_mail, record_bounce
from vulndesk.messaging.tests.conftest import GpgIdentity

pytestmark = pytest.mark.django_db


def _failed_mail(to: str = "someone@example.test") -> OutboundMail:
    mail = queue_mail(to=to, subject="[VD-R1] New message on your report", body="Hello", report=ReportFactory.create())
    OutboundMail.objects.filter(pk=mail.pk).update(status=OutboundMail.Status.FAILED, last_error="timed out")
    return mail


@pytest.mark.parametrize("role", ["analyst", "coordinator", "admin_user"])
def test_staff_who_read_reports_see_the_outbox(client: Client, request: pytest.FixtureRequest, role: str) -> None:
    _failed_mail()
    client.force_login(request.getfixturevalue(role))

    response = client.get("/outbox/")

    assert response.status_code == 200
    assert b"someone@example.test" in response.content
    assert b"timed out" in response.content


@pytest.mark.parametrize("role", ["researcher", "engineer", "release_manager"])
def test_others_are_refused_the_outbox(client: Client, request: pytest.FixtureRequest, role: str) -> None:
    mail = _failed_mail()
    client.force_login(request.getfixturevalue(role))

    assert client.get("/outbox/").status_code == 403
    assert client.get(f"/outbox/{mail.pk}/").status_code == 404


def test_status_filter(client: Client, analyst: User) -> None:
    _failed_mail("failed@example.test")
    client.force_login(analyst)

    response = client.get("/outbox/?status=sent")

    assert b"failed@example.test" not in response.content
    assert b"No sent mail." in response.content


def test_mail_page_shows_the_body_and_resends(
    client: Client, analyst: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    mail = _failed_mail()
    client.force_login(analyst)

    page = client.get(f"/outbox/{mail.pk}/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/outbox/{mail.pk}/resend/")

    assert b"Hello" in page.content
    mail.refresh_from_db()
    assert mail.status == OutboundMail.Status.SENT  # the test task backend runs delivery at once


def test_resending_to_a_bounced_address_says_to_clear_it_first(client: Client, analyst: User) -> None:
    mail = _failed_mail("gone@example.test")
    record_bounce("gone@example.test", reason="550 no such user")
    client.force_login(analyst)

    response = client.post(f"/outbox/{mail.pk}/resend/", follow=True)

    assert b"clear the bounce first" in response.content


def test_clearing_a_bounce(client: Client, analyst: User) -> None:
    entry = record_bounce("gone@example.test", reason="550 no such user")
    client.force_login(analyst)

    client.post(f"/outbox/addresses/{entry.pk}/clear/")

    assert MailAddress.objects.get(pk=entry.pk).bounced_at is None


def test_researcher_opts_out(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post("/account/mail/", {"is_report_mail_off": "on", "openpgp_public_key": ""})

    assert response.status_code == 302
    assert MailPreference.objects.get(user=researcher).is_report_mail_off


def test_researcher_adds_their_key(client: Client, researcher: User, researcher_gpg: GpgIdentity) -> None:
    client.force_login(researcher)

    client.post("/account/mail/", {"openpgp_public_key": researcher_gpg.public_key})
    page = client.get("/account/mail/")

    assert MailPreference.objects.get(user=researcher).openpgp_fingerprint == researcher_gpg.fingerprint
    assert researcher_gpg.fingerprint.encode() in page.content


def test_a_bad_key_is_refused_with_what_to_paste(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post("/account/mail/", {"openpgp_public_key": "hello"})

    assert response.status_code == 400
    assert b"Paste exactly one OpenPGP public key" in response.content
    assert not MailPreference.objects.exists()


def _held(report_researcher: User) -> QuarantinedMail:
    report = ReportFactory.create(researcher=report_researcher)
    return QuarantinedMail.objects.create(report=report, from_address="x@example.test", body="PoC v2", reason="unknown")


def test_staff_see_and_keep_held_mail(client: Client, analyst: User, researcher: User) -> None:
    held = _held(researcher)
    client.force_login(analyst)

    page = client.get("/outbox/held/")
    response = client.post(f"/outbox/held/{held.pk}/", {"decision": "release"})

    assert b"PoC v2" in page.content
    held.refresh_from_db()
    assert held.released_as is not None
    assert response["Location"] == f"/reports/{held.report_id}/#message-{held.released_as.pk}"


def test_staff_discard_held_mail(client: Client, analyst: User, researcher: User) -> None:
    held = _held(researcher)
    client.force_login(analyst)

    client.post(f"/outbox/held/{held.pk}/", {"decision": "discard"})

    assert client.get("/outbox/held/").content.count(b"PoC v2") == 0


@pytest.mark.parametrize("role", ["researcher", "engineer"])
def test_held_mail_is_staff_only(client: Client, request: pytest.FixtureRequest, role: str, outsider: User) -> None:
    held = _held(outsider)
    client.force_login(request.getfixturevalue(role))

    assert client.get("/outbox/held/").status_code == 403
    assert client.post(f"/outbox/held/{held.pk}/", {"decision": "discard"}).status_code == 403


@pytest.fixture
def mail_to_files(settings: Settings, tmp_path: Path) -> Path:
    """The embedded default: no mail server configured, so Django writes every mail to a file."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "sent-mail"
    return tmp_path / "sent-mail"


def test_admins_read_the_mail_written_to_files(client: Client, admin_user: User, mail_to_files: Path) -> None:
    send_mail("<script>alert(1)</script> subject", "Your sign-in link", None, ["someone@example.test"])
    client.force_login(admin_user)

    listing = client.get("/outbox/files/").content.decode()
    (name,) = [path.name for path in mail_to_files.iterdir()]
    page = client.get(f"/outbox/files/{name}/").content.decode()

    assert name in listing
    assert "Your sign-in link" in page
    assert "someone@example.test" in page
    assert "<script>alert(1)" not in page
    assert "Mail written to files" in client.get("/outbox/").content.decode()


def test_no_mail_yet_says_what_will_appear(client: Client, admin_user: User, mail_to_files: Path) -> None:
    client.force_login(admin_user)

    assert b"No mail has been written yet" in client.get("/outbox/files/").content


def test_with_a_mail_server_there_are_no_mail_files(client: Client, admin_user: User, settings: Settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    client.force_login(admin_user)

    assert b"A mail server is configured" in client.get("/outbox/files/").content
    assert b"Mail written to files" not in client.get("/outbox/").content


@pytest.mark.parametrize("role", ["analyst", "coordinator", "engineer", "researcher"])
def test_only_admins_read_mail_files(
    client: Client, request: pytest.FixtureRequest, role: str, mail_to_files: Path
) -> None:
    send_mail("Subject", "Secret link", None, ["someone@example.test"])
    (name,) = [path.name for path in mail_to_files.iterdir()]
    client.force_login(request.getfixturevalue(role))

    assert client.get("/outbox/files/").status_code == 403
    assert client.get(f"/outbox/files/{name}/").status_code == 403


@pytest.mark.parametrize("name", ["..", "nothing.log", "..%2F..%2Fsettings.py"])
def test_only_files_of_the_folder_are_read(client: Client, admin_user: User, mail_to_files: Path, name: str) -> None:
    send_mail("Subject", "Body", None, ["someone@example.test"])
    client.force_login(admin_user)

    assert client.get(f"/outbox/files/{name}/").status_code == 404
