"""Attachments: content-checked types, size limits, all-or-nothing, and who may download them."""

import hashlib
import re
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import ReportFactory
from vulndesk.intake.filetypes import sniff
from vulndesk.intake.models import Attachment, Report
from vulndesk.intake.services import ReportSubmission, add_attachments, check_upload, submit_report

Api = Callable[[User | None], ApiClient]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
ZIP = b"PK\x03\x04" + b"\x00" * 40
TEXT = "GET /admin HTTP/1.1\nHost: example\n\nrésumé\n".encode()
SUBMISSION = ReportSubmission(
    title="Heap overflow in the image parser",
    description="A crafted PNG overflows.",
    product_other="Viewer",
    accepts_policy=True,
    credit_preference="anonymous",
)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The declared content type is deliberately wrong: it must never matter.
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PNG, "png"),
        (PDF, "pdf"),
        (ZIP, "zip"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"GIF89a\x01\x00", "gif"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"\x00\x00\x00\x18ftypmp42", "mp4"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"\xd4\xc3\xb2\xa1\x02\x00", "pcap"),
        (TEXT, "text"),
        ("é".encode() * 2048 + b"\xc3", "text"),  # cut inside a character by the sample
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # a Windows executable
        (b"\x7fELF\x02\x01\x01\x00\x00", None),
        (b"", None),
    ],
)
def test_kinds_are_judged_by_content(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


# The service


def test_check_upload_describes_an_accepted_file_and_rewinds_it() -> None:
    file = upload("../shot.png", PNG)

    checked = check_upload(file)

    assert (checked.name, checked.kind, checked.size) == ("shot.png", "png", len(PNG))
    assert checked.sha256 == hashlib.sha256(PNG).hexdigest()
    assert file.read() == PNG


def test_check_upload_refuses_content_outside_the_allow_list(settings: Settings) -> None:
    settings.INTAKE_ATTACHMENT_KINDS = ["text"]

    with pytest.raises(RuleViolation, match="not a type of file we accept") as error:
        check_upload(upload("shot.png", PNG))

    assert error.value.field == "attachments"


def test_report_with_files_stores_them_with_hash_and_detected_type(researcher: User) -> None:
    receipt = submit_report(SUBMISSION, actor=researcher, attachments=[upload("crash.png", PNG), upload("log", TEXT)])

    png, log = receipt.report.attachments.all()
    assert (png.original_name, png.kind, png.media_type, png.size) == ("crash.png", "png", "image/png", len(PNG))
    assert png.sha256 == hashlib.sha256(PNG).hexdigest()
    assert (log.kind, log.media_type) == ("text", "text/plain")
    assert png.file.read() == PNG
    assert "crash" not in png.file.name  # stored under a random name


def test_a_bad_file_stores_neither_the_report_nor_any_file(researcher: User) -> None:
    files = [upload("crash.png", PNG), upload("tool.exe", b"MZ\x90\x00" + b"\x00" * 60)]

    with pytest.raises(RuleViolation, match=r"tool.exe is not a type of file we accept") as error:
        submit_report(SUBMISSION, actor=researcher, attachments=files)

    assert error.value.field == "attachments"
    assert not Report.objects.exists()
    assert not Attachment.objects.exists()


def test_a_name_that_lies_about_the_content_is_refused(researcher: User) -> None:
    with pytest.raises(RuleViolation, match=r"named like a PDF document, but its content is a ZIP archive"):
        submit_report(SUBMISSION, actor=researcher, attachments=[upload("invoice.pdf", ZIP)])

    assert not Report.objects.exists()


def test_a_kind_left_out_of_the_allow_list_is_refused(researcher: User, settings: Settings) -> None:
    settings.INTAKE_ATTACHMENT_KINDS = ["text", "png"]

    with pytest.raises(RuleViolation, match=r"its content is a ZIP archive\). We accept: plain text, PNG image"):
        submit_report(SUBMISSION, actor=researcher, attachments=[upload("poc.zip", ZIP)])


def test_an_empty_file_is_refused(researcher: User) -> None:
    with pytest.raises(RuleViolation, match=r"empty.txt is empty"):
        submit_report(SUBMISSION, actor=researcher, attachments=[upload("empty.txt", b"")])


def test_a_file_over_the_per_file_limit_is_refused(researcher: User, settings: Settings) -> None:
    settings.INTAKE_ATTACHMENT_MAX_BYTES = 1024

    with pytest.raises(RuleViolation, match=r"big.txt is 0.0 MB; each file may be at most"):
        submit_report(SUBMISSION, actor=researcher, attachments=[upload("big.txt", b"a" * 1025)])

    assert not Report.objects.exists()


def test_files_over_the_per_report_total_are_refused(researcher: User, settings: Settings) -> None:
    settings.INTAKE_REPORT_ATTACHMENTS_MAX_BYTES = 1500
    report = submit_report(SUBMISSION, actor=researcher, attachments=[upload("a.txt", b"a" * 1000)]).report

    with pytest.raises(RuleViolation, match=r"Together the attachments are"):
        add_attachments(report, [upload("b.txt", b"b" * 600)], actor=researcher)

    assert report.attachments.count() == 1


def test_too_many_files_are_refused(researcher: User, settings: Settings) -> None:
    settings.INTAKE_ATTACHMENTS_PER_REPORT = 2

    with pytest.raises(RuleViolation, match=r"at most 2 attachments"):
        submit_report(SUBMISSION, actor=researcher, attachments=[upload(f"{n}.txt", TEXT) for n in range(3)])


def test_path_and_control_characters_are_removed_from_names(researcher: User) -> None:
    receipt = submit_report(SUBMISSION, actor=researcher, attachments=[upload("..\\..\\evil\x07.txt", TEXT)])

    assert receipt.report.attachments.get().original_name == "evil.txt"


def test_files_cannot_be_added_to_a_closed_report(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, state=Report.State.SPAM)

    with pytest.raises(RuleViolation, match="closed"):
        add_attachments(report, [upload("late.txt", TEXT)], actor=researcher)


# The web form


def test_files_chosen_on_the_preview_are_sent_with_the_report(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    data = {
        "title": "XSS",
        "description": "Script runs.",
        "product_other": "Widget",
        "credit_preference": "anonymous",
        "accepts_policy": "on",
        "action": "send",
        "attachments": [upload("shot.png", PNG), upload("poc.html", TEXT)],
    }

    response = client.post(reverse("report_submit"), data)

    report = Report.objects.get()
    assert response.status_code == 302
    assert sorted(report.attachments.values_list("original_name", flat=True)) == ["poc.html", "shot.png"]


def test_a_refused_file_keeps_the_researcher_on_the_preview(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    data = {
        "title": "XSS",
        "description": "Script runs.",
        "product_other": "Widget",
        "credit_preference": "anonymous",
        "accepts_policy": "on",
        "action": "send",
        "attachments": [upload("shot.png", PDF)],
    }

    response = client.post(reverse("report_submit"), data)

    assert response.status_code == 400
    assert b"Check your report before sending" in response.content
    assert b"shot.png is named like a PNG image, but its content is a PDF document" in response.content
    assert not Report.objects.exists()


def test_researcher_adds_files_from_the_report_page(client: Client, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client.force_login(researcher)

    response = client.post(reverse("report_attach", args=[report.pk]), {"attachments": [upload("more.txt", TEXT)]})

    assert response.status_code == 302
    assert report.attachments.get().original_name == "more.txt"


def test_outsider_cannot_add_files(client: Client, researcher: User, outsider: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client.force_login(outsider)

    response = client.post(reverse("report_attach", args=[report.pk]), {"attachments": [upload("x.txt", TEXT)]})

    assert response.status_code == 404
    assert not Attachment.objects.exists()


# Downloads: who may, and how they are served


def _report_with_file(researcher: User) -> tuple[Report, Attachment]:
    report = submit_report(SUBMISSION, actor=researcher, attachments=[upload("poc.html", b"<script>x</script>")]).report
    return report, report.attachments.get()


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("researcher", 200),
        ("outsider", 404),
        ("analyst", 200),
        ("coordinator", 200),
        ("admin_user", 200),
        ("engineer", 404),
        ("release_manager", 404),
    ],
)
def test_download_access_matrix(
    client: Client, researcher: User, person: str, status: int, request: pytest.FixtureRequest
) -> None:
    report, attachment = _report_with_file(researcher)
    client.force_login(request.getfixturevalue(person))

    response = client.get(reverse("report_attachment", args=[report.pk, attachment.pk]))

    assert response.status_code == status


def test_anonymous_visitor_is_sent_to_sign_in(client: Client, researcher: User) -> None:
    report, attachment = _report_with_file(researcher)

    response = client.get(reverse("report_attachment", args=[report.pk, attachment.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_downloads_are_never_rendered_inline(client: Client, researcher: User) -> None:
    report, attachment = _report_with_file(researcher)
    client.force_login(researcher)

    response = client.get(reverse("report_attachment", args=[report.pk, attachment.pk]))

    assert response["Content-Disposition"] == 'attachment; filename="poc.html"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response.getvalue() == b"<script>x</script>"


def test_an_attachment_of_another_report_is_404(client: Client, researcher: User) -> None:
    report, _ = _report_with_file(researcher)
    other = ReportFactory.create()
    _, foreign = _report_with_file(other.researcher)
    client.force_login(researcher)

    response = client.get(reverse("report_attachment", args=[report.pk, foreign.pk]))

    assert response.status_code == 404


def test_tracking_link_holder_downloads_only_that_reports_files(client: Client, researcher: User) -> None:
    receipt = submit_report(SUBMISSION, actor=None, attachments=[upload("a.txt", TEXT)])
    attachment = receipt.report.attachments.get()
    _, foreign = _report_with_file(researcher)

    own = client.get(reverse("tracked_attachment", args=[receipt.tracking_token, attachment.pk]))
    other = client.get(reverse("tracked_attachment", args=[receipt.tracking_token, foreign.pk]))

    assert own.status_code == 200
    assert other.status_code == 404


def test_tracked_page_links_its_files_through_the_token(client: Client, db: None) -> None:
    receipt = submit_report(SUBMISSION, actor=None, attachments=[upload("a.txt", TEXT)])

    html = client.get(reverse("report_tracked", args=[receipt.tracking_token])).content.decode()

    assert re.search(rf'href="/reports/track/{receipt.tracking_token}/attachments/\d+/"', html)


# The API


def test_api_researcher_attaches_files_with_multipart(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client = api(researcher)

    response = client.post_multipart(
        f"/reports/{report.pk}/attachments", {"files": [upload("a.png", PNG), upload("b.txt", TEXT)]}
    )

    assert response.status_code == 201
    assert [(item["name"], item["kind"]) for item in response.json()] == [("a.png", "png"), ("b.txt", "text")]
    assert response.json()[0]["sha256"] == hashlib.sha256(PNG).hexdigest()


def test_api_refused_file_is_422_and_stores_none(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client = api(researcher)

    response = client.post_multipart(
        f"/reports/{report.pk}/attachments", {"files": [upload("a.png", PNG), upload("b.png", PDF)]}
    )

    assert response.status_code == 422
    assert problem_fields(response) == ["attachments"]
    assert not Attachment.objects.exists()


def test_api_outsider_gets_404_attaching(api: Api, researcher: User, outsider: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client = api(outsider)

    response = client.post_multipart(f"/reports/{report.pk}/attachments", {"files": [upload("a.txt", TEXT)]})

    assert response.status_code == 404


def test_api_staff_cannot_attach_files(api: Api, analyst: User, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)
    client = api(analyst)

    response = client.post_multipart(f"/reports/{report.pk}/attachments", {"files": [upload("a.txt", TEXT)]})

    assert response.status_code == 403


def test_api_lists_and_downloads_attachments(api: Api, researcher: User, analyst: User, outsider: User) -> None:
    report, attachment = _report_with_file(researcher)

    listed = api(analyst).get(f"/reports/{report.pk}/attachments")
    download = api(researcher).get(f"/reports/{report.pk}/attachments/{attachment.pk}")

    assert [item["name"] for item in listed.json()] == ["poc.html"]
    assert download["Content-Disposition"] == 'attachment; filename="poc.html"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert api(outsider).get(f"/reports/{report.pk}/attachments").status_code == 404
    assert api(outsider).get(f"/reports/{report.pk}/attachments/{attachment.pk}").status_code == 404
    assert api(None).get(f"/reports/{report.pk}/attachments/{attachment.pk}").status_code == 401


def test_api_anonymous_report_takes_files_through_its_token(api: Api) -> None:
    receipt = submit_report(SUBMISSION, actor=None)

    response = api(None).post_multipart(
        f"/reports/tracked/{receipt.tracking_token}/attachments", {"files": [upload("a.png", PNG)]}
    )
    wrong = api(None).post_multipart("/reports/tracked/nope/attachments", {"files": [upload("a.png", PNG)]})

    assert response.status_code == 201
    assert receipt.report.attachments.get().kind == "png"
    assert wrong.status_code == 404


def test_anonymous_actor_cannot_add_files_to_an_account_report(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    with pytest.raises(RuleViolation, match="Only the researcher"):
        add_attachments(report, [upload("x.txt", TEXT)], actor=None)


def test_researcher_api_view_has_no_low_signal_flag(api: Api, researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, is_low_signal=True)

    body = api(researcher).get(f"/reports/{report.pk}").json()

    assert "is_low_signal" not in body
