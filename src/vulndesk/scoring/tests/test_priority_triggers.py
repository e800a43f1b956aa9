"""Priorities that follow changes made outside the scoring services, at once: a new report (intake),
a report joining a case (triage), a changed fix target (triage's SLA settings), a vulnerability
edited in the admin."""

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.http import HttpRequest
from django.test import Client, RequestFactory
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import ReportFactory, VulnerabilityFactory
from vulndesk.intake.models import Report
from vulndesk.scoring.admin import VulnerabilityAdmin
from vulndesk.scoring.models import Vulnerability
from vulndesk.scoring.services import priority_of, recompute_priorities
from vulndesk.triage.models import SlaClock, SlaTarget
from vulndesk.triage.services import add_report_to_case, create_case

pytestmark = pytest.mark.django_db
Api = Callable[[User | None], ApiClient]


def _scored(severity: str = "critical") -> Vulnerability:
    vulnerability = VulnerabilityFactory.create(severity=severity, impact_type="rce")
    recompute_priorities([vulnerability.pk], actor=None, reason="Recorded")
    vulnerability.refresh_from_db()
    return vulnerability


# --- A new report ----------------------------------------------------------------------------

WORMABLE = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def test_a_submitted_report_has_its_preliminary_priority_at_once(api: Api, researcher: User) -> None:
    submission = {"title": "Worm", "description": "RCE.", "product_other": "Widget", "accepts_policy": True}

    response = api(researcher).post("/reports", submission | {"impact_type": "rce", "suggested_cvss_vector": WORMABLE})

    assert response.status_code == 201
    assert Report.objects.get(pk=response.json()["id"]).priority == 1


def test_a_submission_without_impact_type_stays_unprioritized(api: Api, researcher: User) -> None:
    submission = {"title": "Worm", "description": "RCE.", "product_other": "Widget", "accepts_policy": True}

    response = api(researcher).post("/reports", submission | {"suggested_cvss_vector": WORMABLE})

    assert Report.objects.get(pk=response.json()["id"]).priority is None


# --- A report joining a case -----------------------------------------------------------------


def test_a_report_joining_a_case_takes_its_priority_at_once(analyst: User) -> None:
    vulnerability = _scored("critical")  # P1
    report = ReportFactory.create(state=Report.State.CONFIRMED)

    add_report_to_case(vulnerability.case, report, actor=analyst)

    report.refresh_from_db()
    assert report.priority == 1


def test_the_case_s_most_urgent_vulnerability_decides(analyst: User) -> None:
    vulnerability = _scored("low")  # P4
    urgent = VulnerabilityFactory.create(case=vulnerability.case, severity="important", impact_type="rce")
    recompute_priorities([urgent.pk], actor=None, reason="Recorded")  # P2
    report = ReportFactory.create(state=Report.State.CONFIRMED, priority=0)  # a preliminary P0 gives way

    add_report_to_case(vulnerability.case, report, actor=analyst)

    report.refresh_from_db()
    assert report.priority == 2


def test_a_case_without_prioritized_vulnerabilities_leaves_the_preliminary_priority(analyst: User) -> None:
    report = ReportFactory.create(state=Report.State.CONFIRMED, priority=3)

    case = create_case(title="Parser", reports=[report], actor=analyst)

    report.refresh_from_db()
    assert (case.reports.get(), report.priority) == (report, 3)


def test_a_refused_join_changes_no_priority(analyst: User) -> None:
    vulnerability = _scored("critical")
    report = ReportFactory.create(state=Report.State.NEW, priority=4)

    with pytest.raises(RuleViolation):
        add_report_to_case(vulnerability.case, report, actor=analyst)

    report.refresh_from_db()
    assert report.priority == 4


def test_a_joined_report_sorts_by_its_case_priority_in_the_queue(client: Client, analyst: User) -> None:
    vulnerability = _scored("critical")
    joined = ReportFactory.create(state=Report.State.CONFIRMED, title="Joined the case")
    ReportFactory.create(state=Report.State.CONFIRMED, title="Waiting alone", priority=3)
    add_report_to_case(vulnerability.case, joined, actor=analyst)
    client.force_login(analyst)

    content = client.get("/queue/?state=confirmed&sort=priority").content.decode()

    assert content.index("Joined the case") < content.index("Waiting alone")


# --- Fix targets -----------------------------------------------------------------------------


def test_a_configured_fix_target_is_in_the_explanation(analyst: User, api: Api) -> None:
    vulnerability = _scored("critical")  # P1: 30 calendar days by default
    # With a report the case's fix clock goes by the priority (without one, by severity).
    add_report_to_case(vulnerability.case, ReportFactory.create(state=Report.State.CONFIRMED), actor=analyst)

    SlaTarget.objects.create(clock=SlaClock.FIX, priority=1, amount=14, unit=SlaTarget.Unit.CALENDAR_DAYS)

    assert (
        priority_of(vulnerability).explanation == "Critical RCE → P1: next monthly release, fix due in 14 calendar days"
    )
    body = api(analyst).get(f"/vulnerabilities/{vulnerability.pk}/priority").json()
    assert body["fix_target"] == body["case_fix_target"] == "14 calendar days"
    assert body["explanation"].endswith("fix due in 14 calendar days")


def test_editing_a_fix_target_refreshes_the_stored_explanations(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    vulnerability = _scored("critical")
    history = vulnerability.score_changes.count()
    with django_capture_on_commit_callbacks(execute=True):
        target = SlaTarget.objects.create(clock=SlaClock.FIX, priority=1, amount=14)

    vulnerability.refresh_from_db()
    assert vulnerability.priority_explanation.endswith("fix due in 14 business days")

    target.amount = 10
    with django_capture_on_commit_callbacks(execute=True):
        target.save()
    vulnerability.refresh_from_db()
    assert vulnerability.priority_explanation.endswith("fix due in 10 business days")

    with django_capture_on_commit_callbacks(execute=True):
        target.delete()
    vulnerability.refresh_from_db()
    assert vulnerability.priority_explanation.endswith("fix due in 30 calendar days")
    assert vulnerability.score_changes.count() == history  # the level never moved: nothing in the history


def test_other_clock_targets_do_not_recompute_priorities(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _scored("critical")

    with django_capture_on_commit_callbacks() as callbacks:
        SlaTarget.objects.create(clock=SlaClock.TRIAGE, amount=2)

    assert callbacks == []


def test_the_page_explains_with_the_configured_target(client: Client, analyst: User) -> None:
    vulnerability = _scored("critical")
    SlaTarget.objects.create(clock=SlaClock.FIX, priority=1, amount=21, unit=SlaTarget.Unit.CALENDAR_DAYS)
    client.force_login(analyst)

    content = client.get(f"/vulnerabilities/{vulnerability.pk}/").content.decode()

    assert "Critical RCE → P1: next monthly release, fix due in 21 calendar days" in content


# --- Vulnerabilities edited in the Django admin ----------------------------------------------


def _admin_request(user: User) -> HttpRequest:
    request = RequestFactory().post("/admin/")
    request.user = user
    return request


def test_an_admin_edit_moves_the_priority_and_the_reports_at_once(admin_user: User, analyst: User) -> None:
    vulnerability = _scored("low")  # P4
    report = ReportFactory.create(state=Report.State.CONFIRMED)
    add_report_to_case(vulnerability.case, report, actor=analyst)
    vulnerability.severity = "critical"

    VulnerabilityAdmin(Vulnerability, admin.site).save_model(_admin_request(admin_user), vulnerability, None, True)

    vulnerability.refresh_from_db()
    report.refresh_from_db()
    assert (vulnerability.priority, report.priority) == (1, 1)
    change = vulnerability.score_changes.get(new_value="P1")
    assert (change.changed_by, change.rationale.split(":")[0]) == (admin_user, "Edited in the admin")


def test_deleting_the_most_urgent_vulnerability_in_the_admin_updates_the_reports(
    admin_user: User, analyst: User
) -> None:
    calm = _scored("low")  # P4
    urgent = VulnerabilityFactory.create(case=calm.case, severity="critical", impact_type="rce")
    recompute_priorities([urgent.pk], actor=None, reason="Recorded")  # P1
    report = ReportFactory.create(state=Report.State.CONFIRMED)
    add_report_to_case(calm.case, report, actor=analyst)

    VulnerabilityAdmin(Vulnerability, admin.site).delete_model(_admin_request(admin_user), urgent)

    report.refresh_from_db()
    assert report.priority == 4


def test_scores_and_priorities_are_not_typed_in_the_admin() -> None:
    readonly = set(VulnerabilityAdmin(Vulnerability, admin.site).readonly_fields)

    assert {"cvss_vector", "cvss_score", "priority", "priority_override"} <= readonly


def test_the_admin_change_page_shows_the_computed_fields(client: Client) -> None:
    vulnerability = _scored("critical")
    client.force_login(User.objects.create_superuser("root@example.test", "correct horse battery staple"))

    response = client.get(f"/admin/scoring/vulnerability/{vulnerability.pk}/change/")

    assert response.status_code == 200
    assert "fix due in 30 calendar days" in response.content.decode()
