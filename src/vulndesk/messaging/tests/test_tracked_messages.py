"""The holder of an anonymous report's tracking link writes in its researcher thread from the page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from vulndesk.accounts.models import User
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake.models import Report
from vulndesk.intake.services import ReportSubmission, submit_report
from vulndesk.messaging import views
from vulndesk.messaging.models import Channel, Message
from vulndesk.messaging.permissions import Thread
from vulndesk.messaging.services import post_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> tuple[Report, str]:
    submission = ReportSubmission(
        title="Heap overflow",
        description="A crafted file overflows.",
        product_other="Parser",
        accepts_policy=True,
        credit_preference="anonymous",
    )
    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit_report(submission, actor=None)
    return receipt.report, receipt.tracking_token


def _posts(report: Report) -> list[tuple[str, str]]:
    posts = Message.objects.filter(report=report, kind=Message.Kind.POST).order_by("pk")
    return list(posts.values_list("channel", "body"))


def test_the_page_offers_the_form_and_a_post_lands_in_the_researcher_thread(
    client: Client, tracked: tuple[Report, str]
) -> None:
    report, token = tracked

    page = client.get(f"/reports/track/{token}/").content.decode()
    response = client.post(f"/reports/track/{token}/messages/", {"channel": "researcher", "body": "Here is more."})

    assert f'action="/reports/track/{token}/messages/"' in page
    assert response.status_code == 302
    assert response["Location"] == f"/reports/track/{token}/#message-form"
    assert response["Referrer-Policy"] == "same-origin"
    assert _posts(report) == [(Channel.RESEARCHER, "Here is more.")]
    assert Message.objects.get(kind=Message.Kind.POST).author == report.researcher
    assert "Here is more." in client.get(f"/reports/track/{token}/").content.decode()


def test_the_link_writes_to_no_channel_but_the_researcher_one(client: Client, tracked: tuple[Report, str]) -> None:
    report, token = tracked

    response = client.post(f"/reports/track/{token}/messages/", {"channel": "internal", "body": "Sneaky"})

    assert response.status_code == 400
    assert _posts(report) == []


def test_a_file_goes_with_the_message(client: Client, tracked: tuple[Report, str]) -> None:
    _, token = tracked
    proof = SimpleUploadedFile("proof.txt", b"step 1: open the file\n", content_type="text/plain")

    client.post(f"/reports/track/{token}/messages/", {"channel": "researcher", "body": "", "attachments": proof})

    assert Message.objects.get(kind=Message.Kind.POST).attachments.get().original_name == "proof.txt"


def test_an_empty_message_is_refused_with_the_page_and_nothing_saved(
    client: Client, tracked: tuple[Report, str]
) -> None:
    report, token = tracked

    response = client.post(f"/reports/track/{token}/messages/", {"channel": "researcher", "body": ""})

    assert response.status_code == 400
    assert "Write a message, or add a file." in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    assert _posts(report) == []


def test_a_refused_file_keeps_the_text_and_saves_nothing(client: Client, tracked: tuple[Report, str]) -> None:
    report, token = tracked
    program = SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, content_type="application/octet-stream")

    response = client.post(
        f"/reports/track/{token}/messages/", {"channel": "researcher", "body": "My tool", "attachments": program}
    )

    assert response.status_code == 400
    assert "My tool" in response.content.decode()
    assert _posts(report) == []


def test_a_wrong_link_is_404_and_posts_nothing(client: Client, tracked: tuple[Report, str]) -> None:
    report, _ = tracked

    response = client.post("/reports/track/not-the-token/messages/", {"channel": "researcher", "body": "Hi"})

    assert response.status_code == 404
    assert _posts(report) == []


def test_a_link_cannot_post_on_an_account_holders_report(client: Client, researcher: User) -> None:
    ReportFactory.create(researcher=researcher)

    response = client.post("/reports/track//messages/", {"channel": "researcher", "body": "Hi"})

    assert response.status_code == 404
    assert not Message.objects.exists()


def test_a_flood_through_one_link_is_stopped(
    client: Client, tracked: tuple[Report, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report, token = tracked
    monkeypatch.setattr(views, "TRACKED_MESSAGES_PER_HOUR", 2)

    statuses = [
        client.post(f"/reports/track/{token}/messages/", {"channel": "researcher", "body": f"#{n}"}).status_code
        for n in range(3)
    ]

    assert statuses == [302, 302, 400]
    assert len(_posts(report)) == 2


def test_the_link_holder_never_sees_internal_notes_after_writing(
    client: Client, tracked: tuple[Report, str], analyst: User
) -> None:
    report, token = tracked
    post_message(Thread(report=report), channel=Channel.INTERNAL, body="INTERNAL-9c1e", actor=analyst)

    response = client.post(f"/reports/track/{token}/messages/", {"channel": "researcher", "body": ""})

    assert "INTERNAL-9c1e" not in response.content.decode()
