"""An engineering team's answer to a validation tells the analyst who asked and the report's assignee."""

from collections.abc import Callable

import pytest
from django.core import mail as django_mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Team
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Role
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import ReportFactory, TeamFactory, UserFactory
from vulndesk.intake.models import Report
from vulndesk.messaging.models import MailPreference, Notification, OutboundMail
from vulndesk.messaging.notifications import send_notification_digests, unread_count
from vulndesk.triage.models import Validation
from vulndesk.triage.services import ValidationInput, record_validation, reply_to_validation

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], ApiClient]


def _shared(analyst: User, team: Team, *, assignee: User | None = None, researcher: User | None = None) -> Validation:
    report = ReportFactory.create(
        state=Report.State.VALIDATING, assignee=assignee, **({"researcher": researcher} if researcher else {})
    )
    data = ValidationInput(environment="Debian 12", version_tried="2.1.4", result="reproduced", team_ids=(team.pk,))
    return record_validation(report, data, actor=analyst)


@pytest.fixture
def team(engineer: User) -> Team:
    team = TeamFactory.create(name="Imaging", slug="imaging")
    team.members.add(engineer)
    return team


def _told() -> list[tuple[int, str]]:
    return list(Notification.objects.order_by("pk").values_list("recipient", "text"))


# --- Who is told ------------------------------------------------------------------------------------


def test_the_analyst_who_asked_is_told_the_team_and_verdict_not_the_text(
    analyst: User, engineer: User, team: Team
) -> None:
    validation = _shared(analyst, team)

    reply_to_validation(validation, actor=engineer, verdict="not_confirmed", body="Only with the debug build")

    notification = Notification.objects.get()
    reference = validation.report.reference
    assert (notification.recipient, notification.kind) == (analyst, Notification.Kind.VALIDATION_REPLY)
    assert notification.text == f"Imaging answered your validation of {reference}: Could not confirm"
    assert notification.url == f"/reports/{validation.report_id}/transition/#validations-title"


def test_the_reports_assignee_is_told_too(analyst: User, coordinator: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team, assignee=coordinator)

    reply_to_validation(validation, actor=engineer, verdict="confirmed")

    reference = validation.report.reference
    assert _told() == [
        (analyst.pk, f"Imaging answered your validation of {reference}: Confirmed"),
        (coordinator.pk, f"Imaging answered {analyst}'s validation of {reference}: Confirmed"),
    ]


def test_an_analyst_who_is_also_the_assignee_is_told_once(analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team, assignee=analyst)

    reply_to_validation(validation, actor=engineer, verdict="confirmed")

    assert _told() == [(analyst.pk, f"Imaging answered your validation of {validation.report.reference}: Confirmed")]


def test_the_one_who_answered_is_not_told(analyst: User, coordinator: User, team: Team) -> None:
    # Teams list whom they like: the analyst who asked may answer for their own team.
    team.members.add(analyst)
    validation = _shared(analyst, team, assignee=coordinator)

    reply_to_validation(validation, actor=analyst, verdict="confirmed")

    assert [recipient for recipient, _ in _told()] == [coordinator.pk]


@pytest.mark.parametrize("role", [Role.RESEARCHER, Role.PARTNER])
def test_researchers_and_partners_are_never_told(
    analyst: User, engineer: User, researcher: User, team: Team, role: Role
) -> None:
    # The service never assigns a report to them; set directly to prove notifications refuse anyway.
    outside = UserFactory.create(role=role)
    validation = _shared(analyst, team, assignee=outside, researcher=researcher)

    reply_to_validation(validation, actor=engineer, verdict="confirmed")

    assert [recipient for recipient, _ in _told()] == [analyst.pk]


def test_someone_who_may_no_longer_triage_is_not_told(analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)
    analyst.role = Role.ENGINEER
    analyst.save(update_fields=["role"])

    reply_to_validation(validation, actor=engineer, verdict="confirmed")

    assert not Notification.objects.exists()


def test_a_refused_answer_tells_nobody(analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)

    with pytest.raises(RuleViolation):
        reply_to_validation(validation, actor=engineer, verdict="comment", body="")

    assert not Notification.objects.exists()


def test_api_reply_tells_the_analyst(api: Api, analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)

    api(engineer).post(f"/shared-validations/{validation.pk}/replies", {"verdict": "comment", "body": "Looking"})
    page = api(analyst).get("/notifications").json()

    assert page["unread"] == 1
    assert [item["kind"] for item in page["items"]] == ["validation_reply"]


# --- Mail per preference ----------------------------------------------------------------------------


def test_immediate_preference_mails_the_link_without_the_teams_text(
    analyst: User, engineer: User, team: Team, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    validation = _shared(analyst, team)

    with django_capture_on_commit_callbacks(execute=True):
        reply_to_validation(validation, actor=engineer, verdict="comment", body="Secret build flag XYZ")

    (sent,) = django_mail.outbox
    assert sent.to == [analyst.email]
    assert f"Imaging answered your validation of {validation.report.reference}: Comment" in sent.subject
    assert f"/reports/{validation.report_id}/transition/#validations-title" in sent.body
    assert "XYZ" not in f"{sent.subject}{sent.body}"
    assert Notification.objects.get().emailed_at is not None


def test_digest_preference_waits_for_the_digest(analyst: User, engineer: User, team: Team) -> None:
    MailPreference.objects.create(user=analyst, notification_delivery="digest")
    validation = _shared(analyst, team)
    reply_to_validation(validation, actor=engineer, verdict="confirmed")
    mailed_at_once = OutboundMail.objects.exists()

    send_notification_digests()

    assert not mailed_at_once
    assert "Imaging answered your validation" in OutboundMail.objects.get(to_address=analyst.email).body


def test_off_preference_keeps_the_notification_in_vulndesk_without_mail(
    analyst: User, engineer: User, team: Team
) -> None:
    MailPreference.objects.create(user=analyst, notification_delivery="off")
    validation = _shared(analyst, team)

    reply_to_validation(validation, actor=engineer, verdict="confirmed")
    send_notification_digests()

    assert Notification.objects.get().recipient == analyst
    assert not OutboundMail.objects.exists()


# --- Unread count and the link ----------------------------------------------------------------------


def test_each_answer_adds_to_the_unread_badge(client: Client, analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)
    reply_to_validation(validation, actor=engineer, verdict="comment", body="Trying 2.1.5")
    reply_to_validation(validation, actor=engineer, verdict="confirmed")
    client.force_login(analyst)

    response = client.get("/notifications/")

    assert unread_count(analyst) == 2
    assert b'aria-label="2 unread"' in response.content


def test_the_link_opens_the_page_showing_the_answer(client: Client, analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)
    reply_to_validation(validation, actor=engineer, verdict="not_confirmed", body="Needs the debug build")
    client.force_login(analyst)

    response = client.get(Notification.objects.get().url)

    assert response.status_code == 200
    assert 'id="validations-title"' in response.content.decode()
    assert "Needs the debug build" in response.content.decode()
