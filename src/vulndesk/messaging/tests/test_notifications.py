"""Staff notifications: who is told what, how, and the unread count."""

import datetime as dt

import pytest
import time_machine
from django.core import mail as django_mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Role
from vulndesk.core.services import enter_initial_state
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import CaseFactory, ReportFactory, UserFactory
from vulndesk.intake.models import Report
from vulndesk.messaging.models import Channel, MailPreference, Notification, OutboundMail
from vulndesk.messaging.notifications import notify_assignment, notify_sla_warning, send_notification_digests
from vulndesk.messaging.services import edit_message
from vulndesk.messaging.tests.factories import case_note, report_message
from vulndesk.triage.models import CaseReport
from vulndesk.triage.services import assign_report
from vulndesk.triage.sla import warn_before_breaches

pytestmark = pytest.mark.django_db


def test_mention_notifies_without_quoting_the_note(analyst: User, coordinator: User) -> None:
    report = ReportFactory.create()

    report_message(report, analyst, "@coordinator the PoC leaks the admin token", channel=Channel.INTERNAL)

    notification = Notification.objects.get(recipient=coordinator)
    assert notification.kind == Notification.Kind.MENTION
    assert notification.text == f"{analyst} mentioned you in the internal notes of {report.reference}"
    assert "token" not in notification.text
    assert notification.url.startswith(f"/reports/{report.pk}/#message-")


def test_researcher_reply_notifies_the_assignee_and_the_case_owner(
    researcher: User, analyst: User, coordinator: User
) -> None:
    report = ReportFactory.create(researcher=researcher, assignee=analyst, state=Report.State.CONFIRMED)
    CaseReport.objects.create(case=CaseFactory.create(owner=coordinator), report=report)

    report_message(report, researcher, "Any news?")

    assert set(Notification.objects.values_list("recipient", "kind")) == {
        (analyst.pk, Notification.Kind.REPLY),
        (coordinator.pk, Notification.Kind.REPLY),
    }


def test_nobody_is_notified_of_their_own_message(analyst: User) -> None:
    report = ReportFactory.create(assignee=analyst)

    report_message(report, analyst, "@analyst note to self", channel=Channel.INTERNAL)

    assert not Notification.objects.exists()


def test_mentioned_owner_is_notified_once(analyst: User, coordinator: User) -> None:
    report = ReportFactory.create(assignee=coordinator)

    report_message(report, analyst, "@coordinator look", channel=Channel.INTERNAL)

    assert list(Notification.objects.values_list("kind", flat=True)) == [Notification.Kind.MENTION]


def test_case_note_notifies_the_case_owner(engineer: User, coordinator: User) -> None:
    case = CaseFactory.create(owner=coordinator)

    case_note(case, engineer, "Patch ready")

    assert Notification.objects.get().recipient == coordinator


def test_edit_notifies_only_newly_mentioned(analyst: User, coordinator: User, admin_user: User) -> None:
    note = report_message(ReportFactory.create(), analyst, "@coordinator", channel=Channel.INTERNAL)

    edit_message(note, body="@coordinator and @admin", actor=analyst)

    assert sorted(Notification.objects.values_list("recipient", flat=True)) == sorted([coordinator.pk, admin_user.pk])


def test_assignment_and_sla_warning(analyst: User, coordinator: User) -> None:
    report = ReportFactory.create()

    notify_assignment(report, assignee=analyst, actor=coordinator)
    notify_assignment(report, assignee=analyst, actor=analyst)  # took it themselves: no news
    notify_sla_warning(analyst, reference=report.reference, text="Triage is due in 2 hours", url="/queue/")

    assert list(Notification.objects.order_by("pk").values_list("kind", "text")) == [
        (Notification.Kind.ASSIGNMENT, f"{coordinator} assigned {report.reference} to you"),
        (Notification.Kind.SLA_WARNING, f"{report.reference}: Triage is due in 2 hours"),
    ]


def test_researchers_get_no_notifications(researcher: User) -> None:
    assert notify_sla_warning(researcher, reference="VD-R1", text="x", url="/") is None


def test_immediate_preference_mails_through_the_outbox(
    analyst: User, coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report_message(ReportFactory.create(), analyst, "@coordinator", channel=Channel.INTERNAL)

    (sent,) = django_mail.outbox
    assert sent.to == [coordinator.email]
    assert "mentioned you" in sent.subject
    assert OutboundMail.objects.get().status == OutboundMail.Status.SENT


def test_off_preference_sends_no_mail(analyst: User, coordinator: User) -> None:
    MailPreference.objects.create(user=coordinator, notification_delivery="off")

    report_message(ReportFactory.create(), analyst, "@coordinator", channel=Channel.INTERNAL)

    assert Notification.objects.filter(recipient=coordinator).exists()
    assert not OutboundMail.objects.exists()


def test_daily_digest_collects_everything_once(analyst: User, coordinator: User) -> None:
    MailPreference.objects.create(user=coordinator, notification_delivery="digest")
    for number in range(3):
        report_message(ReportFactory.create(), analyst, f"@coordinator {number}", channel=Channel.INTERNAL)

    first = send_notification_digests()
    second = send_notification_digests()

    mail = OutboundMail.objects.get()
    assert (first, second) == (1, 0)
    assert mail.subject.endswith("3 notifications since your last digest")
    assert mail.body.count("mentioned you") == 3


def test_unread_badge_in_the_header(client: Client, analyst: User, coordinator: User) -> None:
    report_message(ReportFactory.create(), analyst, "@coordinator", channel=Channel.INTERNAL)
    client.force_login(coordinator)

    response = client.get("/notifications/")

    assert b'aria-label="1 unread"' in response.content


def test_opening_a_notification_marks_it_read(client: Client, analyst: User, coordinator: User) -> None:
    report_message(ReportFactory.create(), analyst, "@coordinator", channel=Channel.INTERNAL)
    notification = Notification.objects.get()
    client.force_login(coordinator)

    response = client.post("/notifications/read/", {"id": notification.pk})

    assert response["Location"] == notification.url
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notification_is_404(client: Client, analyst: User, coordinator: User) -> None:
    report_message(ReportFactory.create(), analyst, "@coordinator", channel=Channel.INTERNAL)
    client.force_login(analyst)

    assert client.post("/notifications/read/", {"id": Notification.objects.get().pk}).status_code == 404


def test_mark_all_read(client: Client, analyst: User, coordinator: User) -> None:
    for _ in range(2):
        report_message(ReportFactory.create(), analyst, "@coordinator", channel=Channel.INTERNAL)
    client.force_login(coordinator)

    client.post("/notifications/read/")

    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_api_lists_and_marks(analyst: User, coordinator: User) -> None:
    report_message(ReportFactory.create(), analyst, "@coordinator", channel=Channel.INTERNAL)
    api = ApiClient(coordinator)

    listed = api.get("/notifications", {"unread": True}).json()
    marked = api.post(f"/notifications/{listed['items'][0]['id']}/read").json()

    assert (listed["unread"], listed["count"], marked["marked"]) == (1, 1, 1)
    assert api.get("/notifications").json()["unread"] == 0
    assert ApiClient(analyst).post(f"/notifications/{listed['items'][0]['id']}/read").status_code == 404


def test_staff_choose_the_digest_on_the_settings_page(client: Client, coordinator: User) -> None:
    client.force_login(coordinator)

    client.post("/account/mail/", {"notification_delivery": "digest", "openpgp_public_key": ""})

    assert MailPreference.objects.get(user=coordinator).notification_delivery == "digest"


def test_inactive_staff_are_not_notified(analyst: User) -> None:
    gone = UserFactory.create(role=Role.COORDINATOR, email="gone@example.test", is_active=False)

    assert notify_sla_warning(gone, reference="VD-R1", text="x", url="/") is None


def test_triage_assignment_notifies_the_assignee(analyst: User, coordinator: User) -> None:
    report = ReportFactory.create()

    assign_report(report, analyst, actor=coordinator)

    assert Notification.objects.get().text == f"{coordinator} assigned {report.reference} to you"


def test_sla_warning_also_appears_in_vulndesk_without_a_second_mail(analyst: User) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False):
        report = ReportFactory.create(assignee=analyst)
        enter_initial_state(report, actor=report.researcher)

    warn_before_breaches(now=dt.datetime(2026, 11, 30, 8, tzinfo=dt.UTC))

    notification = Notification.objects.get(recipient=analyst)
    assert notification.kind == Notification.Kind.SLA_WARNING
    assert notification.text.startswith(f"{report.reference}: First response is due")
    assert not OutboundMail.objects.exists()  # triage mailed it itself
    assert len(django_mail.outbox) == 1
