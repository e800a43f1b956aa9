"""POST /api/v1/reports: the guided fields, anonymous reports, limits, duplicates and bad input."""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.core import mail
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from vulndesk.accounts.models import User
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import ProductFactory
from vulndesk.intake.models import Report

Api = Callable[[User | None], ApiClient]
SUBMISSION = {
    "title": "Path traversal in the archive import",
    "description": "A crafted archive writes outside the upload folder.",
    "product_other": "Widget Server",
    "accepts_policy": True,
}
NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def test_every_guided_field_is_stored_and_returned(api: Api, researcher: User) -> None:
    ProductFactory.create(slug="widget-server")
    body = SUBMISSION | {
        "product": "widget-server",
        "steps_to_reproduce": "1. Log in\n2. Upload evil.zip",
        "proof_of_concept": "zip evil.zip ../../etc/cron.d/x",
        "is_public": True,
        "is_exploited": True,
        "planned_disclosure_on": "2027-03-01",
        "disclosure_plans": "Talk at a conference in March.",
        "credit_preference": "handle",
        "credit_name": "@zipslip",
        "suggested_cvss_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    }

    with time_machine.travel(NOW, tick=False):
        receipt = api(researcher).post("/reports", body)
    report = api(researcher).get(f"/reports/{receipt.json()['id']}").json()

    assert receipt.status_code == 201
    assert receipt.json()["response_target_hours"] == 72
    assert receipt.json()["tracking_url"] is None
    assert report["steps_to_reproduce"] == "1. Log in\n2. Upload evil.zip"
    assert report["proof_of_concept"] == "zip evil.zip ../../etc/cron.d/x"
    assert (report["is_public"], report["is_exploited"]) == (True, True)
    assert report["planned_disclosure_on"] == "2027-03-01"
    assert (report["credit_preference"], report["credit_name"]) == ("handle", "@zipslip")
    assert report["product"] == "widget-server"
    assert Report.objects.get().policy_accepted_at == NOW


def test_policy_must_be_accepted(api: Api, researcher: User) -> None:
    response = api(researcher).post("/reports", SUBMISSION | {"accepts_policy": False})

    assert response.status_code == 422
    assert problem_fields(response) == ["accepts_policy"]
    assert not Report.objects.exists()


def test_credit_name_defaults_to_the_profile_name(api: Api, researcher: User) -> None:
    researcher.display_name = "Mira Okonkwo"
    researcher.save()

    api(researcher).post("/reports", SUBMISSION)

    assert Report.objects.get().credit_line == "Mira Okonkwo"


def test_anonymous_credit_stores_no_name(api: Api, researcher: User) -> None:
    api(researcher).post("/reports", SUBMISSION | {"credit_preference": "anonymous", "credit_name": "Mira"})

    report = Report.objects.get()
    assert (report.credit_name, report.credit_line) == ("", "")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"suggested_cvss_vector": "CVSS:3.1/AV:N/AC:L"}, "suggested_cvss_vector"),
        ({"suggested_cvss_vector": "AV:N/AC:L/Au:N/C:P/I:P/A:P"}, "suggested_cvss_vector"),
        ({"cwe": "XSS"}, "cwe"),
        ({"impact_type": "world-ending"}, "impact_type"),
        ({"credit_preference": "famous"}, "credit_preference"),
        ({"planned_disclosure_on": "2020-01-01"}, "planned_disclosure_on"),
        ({"product": "no-such-product"}, "product"),
        ({"description": "   "}, "description"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_saves_nothing(
    api: Api, researcher: User, change: dict[str, object], field: str
) -> None:
    response = api(researcher).post("/reports", SUBMISSION | change)

    assert response.status_code == 422
    assert problem_fields(response) == [field]
    assert not Report.objects.exists()


def test_html_in_text_fields_is_stored_as_given(api: Api, researcher: User) -> None:
    title = "<script>alert(1)</script> in search"

    api(researcher).post("/reports", SUBMISSION | {"title": title})

    assert Report.objects.get().title == title


def test_acknowledgment_mail_names_the_reference_and_the_response_target(
    api: Api, researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        receipt = api(researcher).post("/reports", SUBMISSION).json()

    (message,) = mail.outbox
    assert message.to == [researcher.email]
    assert receipt["reference"] in message.subject
    assert "within 72 hours" in message.body
    assert f"/reports/{receipt['id']}/" in message.body


def test_the_same_report_twice_within_minutes_is_one_report(
    api: Api, researcher: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    client = api(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/reports", SUBMISSION)

        again = client.post(
            "/reports", SUBMISSION | {"description": "  a crafted ARCHIVE writes outside the upload folder. "}
        )

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["is_new"] is False
    assert Report.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_same_text_after_the_window_is_a_new_report(api: Api, researcher: User) -> None:
    client = api(researcher)
    with time_machine.travel(NOW, tick=False):
        client.post("/reports", SUBMISSION)

    with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
        response = client.post("/reports", SUBMISSION)

    assert response.status_code == 201
    assert Report.objects.count() == 2


def test_the_same_text_from_two_researchers_is_two_reports(api: Api, researcher: User, outsider: User) -> None:
    api(researcher).post("/reports", SUBMISSION)

    response = api(outsider).post("/reports", SUBMISSION)

    assert response.status_code == 201
    assert Report.objects.count() == 2


def test_account_submissions_are_rate_limited_per_hour(api: Api, researcher: User, settings: Settings) -> None:
    settings.INTAKE_SUBMISSIONS_PER_HOUR_PER_ACCOUNT = 2
    client = api(researcher)
    with time_machine.travel(NOW, tick=False):
        for number in range(2):
            client.post("/reports", SUBMISSION | {"title": f"Report {number}"})

        response = client.post("/reports", SUBMISSION | {"title": "One too many"})

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "3600"
    assert Report.objects.count() == 2


def test_the_rate_limit_resets_in_the_next_hour(api: Api, researcher: User, settings: Settings) -> None:
    settings.INTAKE_SUBMISSIONS_PER_HOUR_PER_ACCOUNT = 1
    client = api(researcher)
    with time_machine.travel(NOW, tick=False):
        client.post("/reports", SUBMISSION | {"title": "First"})

    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        response = client.post("/reports", SUBMISSION | {"title": "Second"})

    assert response.status_code == 201


def test_staff_cannot_submit(api: Api, coordinator: User) -> None:
    response = api(coordinator).post("/reports", SUBMISSION)

    assert response.status_code == 403
    assert not Report.objects.exists()


# Anonymous reports


def test_anonymous_report_gets_a_tracking_link_that_shows_it(api: Api, db: None) -> None:
    receipt = api(None).post("/reports", SUBMISSION).json()
    token = receipt["tracking_url"].rstrip("/").rsplit("/", 1)[-1]

    tracked = api(None).get(f"/reports/tracked/{token}")

    assert tracked.status_code == 200
    assert tracked.json()["title"] == SUBMISSION["title"]
    assert tracked.json()["status"] == "Received"
    assert "state" not in tracked.json()


def test_anonymous_report_stores_only_the_hash_of_its_token(api: Api, db: None) -> None:
    receipt = api(None).post("/reports", SUBMISSION).json()
    token = receipt["tracking_url"].rstrip("/").rsplit("/", 1)[-1]

    report = Report.objects.get()
    assert report.is_anonymous
    assert token not in report.tracking_token_hash
    assert not report.researcher.is_active


def test_a_wrong_tracking_token_is_404(api: Api, db: None) -> None:
    api(None).post("/reports", SUBMISSION)

    response = api(None).get("/reports/tracked/not-the-token")

    assert response.status_code == 404


def test_anonymous_contact_gets_the_acknowledgment_with_the_link(
    api: Api, db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        receipt = api(None).post("/reports", SUBMISSION | {"contact_email": "anon@example.test"}).json()

    (message,) = mail.outbox
    assert message.to == ["anon@example.test"]
    assert receipt["tracking_url"] in message.body


def test_anonymous_report_without_contact_sends_no_mail(
    api: Api, db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        api(None).post("/reports", SUBMISSION)

    assert callbacks == []
    assert mail.outbox == []


def test_anonymous_contact_must_be_an_email_address(api: Api, db: None) -> None:
    response = api(None).post("/reports", SUBMISSION | {"contact_email": "not an address"})

    assert response.status_code == 422
    assert problem_fields(response) == ["contact_email"]


def test_anonymous_reports_are_rate_limited_per_ip(api: Api, db: None, settings: Settings) -> None:
    settings.INTAKE_ANONYMOUS_SUBMISSIONS_PER_HOUR_PER_IP = 2
    with time_machine.travel(NOW, tick=False):
        for number in range(2):
            api(None).post("/reports", SUBMISSION | {"title": f"Anonymous {number}"})

        response = api(None).post("/reports", SUBMISSION | {"title": "Flood"})

    assert response.status_code == 429
    assert Report.objects.count() == 2


def test_all_submissions_from_one_ip_are_limited(
    api: Api, researcher: User, outsider: User, settings: Settings
) -> None:
    settings.INTAKE_SUBMISSIONS_PER_HOUR_PER_IP = 2
    with time_machine.travel(NOW, tick=False):
        api(researcher).post("/reports", SUBMISSION | {"title": "One"})
        api(outsider).post("/reports", SUBMISSION | {"title": "Two"})

        response = api(None).post("/reports", SUBMISSION | {"title": "Three"})

    assert response.status_code == 429


def test_an_anonymous_resend_is_the_same_report_with_a_fresh_link(api: Api, db: None) -> None:
    first = api(None).post("/reports", SUBMISSION).json()

    again = api(None).post("/reports", SUBMISSION)

    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    new_token = again.json()["tracking_url"].rstrip("/").rsplit("/", 1)[-1]
    old_token = first["tracking_url"].rstrip("/").rsplit("/", 1)[-1]
    assert api(None).get(f"/reports/tracked/{new_token}").status_code == 200
    assert api(None).get(f"/reports/tracked/{old_token}").status_code == 404


def test_anonymous_reports_are_visible_to_staff_and_not_to_researchers(
    api: Api, analyst: User, researcher: User
) -> None:
    report_id = api(None).post("/reports", SUBMISSION | {"contact_email": "anon@example.test"}).json()["id"]

    staff_view = api(analyst).get(f"/reports/{report_id}")

    assert staff_view.json()["is_anonymous"] is True
    assert staff_view.json()["contact_email"] == "anon@example.test"
    assert api(researcher).get(f"/reports/{report_id}").status_code == 404
