"""Canned responses: variables, versions, the preview, and automatic messages per state change."""

import pytest
from django.apps import apps
from django.test import Client

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import enter_initial_state
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import (
    CaseFactory,
    FixFactory,
    ProductFactory,
    ReleaseFactory,
    ReportFactory,
    VulnerabilityFactory,
)
from vulndesk.intake.models import Report
from vulndesk.messaging.migrations import __name__ as migrations_package
from vulndesk.messaging.models import AutomaticMessage, Message, ResponseTemplate
from vulndesk.messaging.responses import render_template, save_template, template_values
from vulndesk.triage.models import CaseReport
from vulndesk.triage.services import transition_report

pytestmark = pytest.mark.django_db


def _template(body: str, key: str = "custom") -> ResponseTemplate:
    return save_template(ResponseTemplate(key=key, name=key.title()), body=body, actor=None)


def test_variables_are_filled_from_the_report_and_its_case(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher, product=ProductFactory.create(name="Larkmoor Gateway"))
    case = CaseFactory.create()
    CaseReport.objects.create(case=case, report=report)
    vulnerability = VulnerabilityFactory.create(case=case, cve_id="CVE-2026-1234")
    release = ReleaseFactory.create()
    FixFactory.create(vulnerability=vulnerability, target_release=release)

    values = template_values(report)

    assert values["report_id"] == report.reference
    assert values["product"] == "Larkmoor Gateway"
    assert values["cve"] == "CVE-2026-1234"
    assert values["release_date"] == f"{release.release_date:%d %B %Y}"


def test_missing_values_read_naturally(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    text = render_template(_template("Fix on {release_date}, tracked as {cve}."), report)

    assert text == "Fix on to be scheduled, tracked as to be assigned."


def test_unknown_variable_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(RuleViolation, match=r"Unknown variable \{reporter\}; use one of \{report_id\}"):
        _template("Hi {reporter}")


def test_stray_brace_is_refused() -> None:
    with pytest.raises(RuleViolation, match="stray brace"):
        _template("Hi {report_id")


def test_every_change_is_a_new_version(admin_user: User) -> None:
    template = _template("one")

    save_template(template, body="two", actor=admin_user)
    save_template(template, body="two", actor=admin_user)  # unchanged text: no new version

    assert template.version == 2
    assert list(template.versions.values_list("version", "body")) == [(2, "two"), (1, "one")]


def test_automatic_message_follows_the_status_line(researcher: User, analyst: User) -> None:
    AutomaticMessage.objects.create(state=Report.State.TRIAGING, template=_template("Thanks for {report_id}!"))
    report = ReportFactory.create(researcher=researcher)
    enter_initial_state(report, actor=researcher)

    transition_report(report, Report.State.TRIAGING, actor=analyst)

    assert Message.objects.get().body == f"Status changed to **In review**.\n\nThanks for {report.reference}!"


def test_switched_off_automatic_message_posts_only_the_status(researcher: User, analyst: User) -> None:
    AutomaticMessage.objects.create(state=Report.State.TRIAGING, template=_template("Thanks"), is_enabled=False)
    report = ReportFactory.create(researcher=researcher)
    enter_initial_state(report, actor=researcher)

    transition_report(report, Report.State.TRIAGING, actor=analyst)

    assert Message.objects.get().body == "Status changed to **In review**."


def test_automatic_message_on_a_step_that_looks_the_same_outside(researcher: User, analyst: User) -> None:
    AutomaticMessage.objects.create(state=Report.State.VALIDATING, template=_template("We are reproducing it."))
    report = ReportFactory.create(researcher=researcher, state=Report.State.TRIAGING)
    enter_initial_state(report, actor=researcher)

    transition_report(report, Report.State.VALIDATING, actor=analyst)

    assert Message.objects.get().body.endswith("We are reproducing it.")


def test_staff_pick_a_template_and_see_the_preview(client: Client, analyst: User, researcher: User) -> None:
    template = _template("**Thanks** for {report_id}")
    report = ReportFactory.create(researcher=researcher)
    client.force_login(analyst)

    response = client.get(f"/reports/{report.pk}/messages/?template={template.key}")

    assert f"<strong>Thanks</strong> for {report.reference}".encode() in response.content
    assert f"**Thanks** for {report.reference}</textarea>".encode() in response.content
    assert b'value="researcher" id="id_channel_1" required checked' in response.content


def test_researchers_are_not_offered_templates(client: Client, researcher: User) -> None:
    template = _template("Thanks")
    report = ReportFactory.create(researcher=researcher)
    client.force_login(researcher)

    response = client.get(f"/reports/{report.pk}/messages/?template={template.key}")

    assert b"Canned response" not in response.content


def test_api_lists_and_previews(analyst: User, researcher: User) -> None:
    template = _template("For {report_id}")
    report = ReportFactory.create(researcher=researcher)

    listed = ApiClient(analyst).get("/response-templates").json()
    preview = ApiClient(analyst).get(f"/reports/{report.pk}/response-templates/{template.key}").json()

    assert [item["key"] for item in listed] == ["custom"]
    assert preview["body"] == f"For {report.reference}"


def test_api_templates_are_for_triage_staff(researcher: User) -> None:
    report = ReportFactory.create(researcher=researcher)

    assert ApiClient(researcher).get("/response-templates").status_code == 403
    assert ApiClient(researcher).get(f"/reports/{report.pk}/response-templates/custom").status_code == 403


def test_default_library_is_installed_once() -> None:
    migration = __import__(f"{migrations_package}.0005_canned_responses_defaults", fromlist=["add_defaults"])

    migration.add_defaults(apps, None)
    migration.add_defaults(apps, None)

    assert ResponseTemplate.objects.count() == 8
    assert set(AutomaticMessage.objects.filter(is_enabled=True).values_list("state", flat=True)) == {
        "triaging",
        "confirmed",
        "fixed",
    }


def _superuser() -> User:
    return User.objects.create_superuser("root@example.test", "correct horse battery staple")


def test_django_admin_saves_a_new_version(client: Client) -> None:
    template = _template("one")
    client.force_login(_superuser())

    response = client.post(
        f"/admin/messaging/responsetemplate/{template.pk}/change/",
        {
            "name": "Custom",
            "key": "custom",
            "is_active": "on",
            "body": "two {cve}",
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
            "versions-0-id": str(template.versions.get().pk),
            "versions-0-template": str(template.pk),
        },
    )

    assert response.status_code == 302, response.content[:2000]
    template.refresh_from_db()
    assert (template.version, template.body) == (2, "two {cve}")


def test_django_admin_refuses_an_unknown_variable(client: Client) -> None:
    client.force_login(_superuser())

    response = client.post(
        "/admin/messaging/responsetemplate/add/",
        {"name": "X", "key": "x", "body": "{nope}", "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"},
    )

    assert b"Unknown variable {nope}" in response.content
    assert not ResponseTemplate.objects.exists()


def test_admin_edits_in_the_portal_with_preview_and_versions(client: Client, admin_user: User) -> None:
    template = _template("one", key="thanks")
    client.force_login(admin_user)
    form = {"name": "Thanks", "key": "thanks", "body": "Thanks for **{report_id}**", "is_active": "on"}

    preview = client.post("/responses/thanks/", form | {"action": "preview"})
    saved = client.post("/responses/thanks/", form | {"action": "save"})

    assert b"Thanks for <strong>VD-R123</strong>" in preview.content
    assert (preview.status_code, saved.status_code) == (200, 302)
    template.refresh_from_db()
    assert template.version == 2
    assert b"Version 1" in client.get("/responses/thanks/").content


def test_portal_refuses_an_unknown_variable_and_saves_nothing(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)

    response = client.post("/responses/new/", {"name": "X", "key": "x", "body": "{nope}", "action": "save"})

    assert response.status_code == 400
    assert b"Unknown variable {nope}" in response.content
    assert not ResponseTemplate.objects.exists()


def test_portal_refuses_a_taken_key(client: Client, admin_user: User) -> None:
    _template("one", key="taken")
    client.force_login(admin_user)

    response = client.post("/responses/new/", {"name": "X", "key": "taken", "body": "hi", "action": "save"})

    assert b"already uses the key" in response.content


def test_admin_switches_an_automatic_message(client: Client, admin_user: User) -> None:
    automatic = AutomaticMessage.objects.create(state=Report.State.CONFIRMED, template=_template("Confirmed"))
    client.force_login(admin_user)

    client.post("/responses/", {"automatic": automatic.pk})

    automatic.refresh_from_db()
    assert automatic.is_enabled is False


@pytest.mark.parametrize("role", ["analyst", "coordinator", "researcher"])
def test_only_admins_manage_templates(client: Client, request: pytest.FixtureRequest, role: str) -> None:
    client.force_login(request.getfixturevalue(role))

    assert client.get("/responses/").status_code == 403
    assert client.post("/responses/new/", {"name": "X", "key": "x", "body": "x", "action": "save"}).status_code == 403
