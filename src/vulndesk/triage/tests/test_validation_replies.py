"""Engineering teams answer the validations shared with them; analysts read the answers, researchers never do."""

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Team
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.core.permissions import Role
from vulndesk.core.tests.api_client import ApiClient, problem_fields
from vulndesk.core.tests.factories import ReportFactory, TeamFactory, UserFactory
from vulndesk.intake.models import Report
from vulndesk.triage.models import Validation, ValidationReply
from vulndesk.triage.services import ValidationInput, record_validation, reply_to_validation

Api = Callable[[User | None], ApiClient]


def _shared(analyst: User, *teams: Team, researcher: User | None = None) -> Validation:
    report = ReportFactory.create(state=Report.State.VALIDATING, **({"researcher": researcher} if researcher else {}))
    data = ValidationInput(
        environment="Debian 12", version_tried="2.1.4", result="reproduced", team_ids=tuple(t.pk for t in teams)
    )
    return record_validation(report, data, actor=analyst)


@pytest.fixture
def team(engineer: User) -> Team:
    team = TeamFactory.create(name="Imaging", slug="imaging")
    team.members.add(engineer)
    return team


# --- The service ------------------------------------------------------------------------------------


def test_a_team_member_confirms_and_it_is_audited(analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)

    reply = reply_to_validation(validation, actor=engineer, verdict="confirmed")

    assert (reply.team, reply.author, reply.verdict) == (team, engineer, ValidationReply.Verdict.CONFIRMED)
    event = AuditEvent.objects.get(tag="report:validation_replied")
    assert (event.actor, event.target_id, event.rationale) == (
        engineer,
        str(validation.report_id),
        "Imaging: Confirmed",
    )


def test_anything_but_a_confirmation_needs_what_the_team_found(analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)

    with pytest.raises(RuleViolation) as raised:
        reply_to_validation(validation, actor=engineer, verdict="not_confirmed", body="  ")

    assert raised.value.field == "body"
    assert not ValidationReply.objects.exists()


def test_an_unknown_verdict_is_refused(analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)

    with pytest.raises(RuleViolation) as raised:
        reply_to_validation(validation, actor=engineer, verdict="maybe", body="Hm")

    assert raised.value.field == "verdict"


def test_a_member_of_several_asked_teams_says_which_answers(analyst: User, engineer: User, team: Team) -> None:
    second = TeamFactory.create(name="Codecs", slug="codecs")
    second.members.add(engineer)
    validation = _shared(analyst, team, second)

    with pytest.raises(RuleViolation, match="Codecs") as raised:
        reply_to_validation(validation, actor=engineer, verdict="confirmed")
    reply = reply_to_validation(validation, actor=engineer, verdict="confirmed", team_id=second.pk)

    assert raised.value.field == "team_id"
    assert reply.team == second


def test_a_team_not_asked_cannot_be_named(analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)
    elsewhere = TeamFactory.create()
    elsewhere.members.add(engineer)

    with pytest.raises(RuleViolation) as raised:
        reply_to_validation(validation, actor=engineer, verdict="confirmed", team_id=elsewhere.pk)

    assert raised.value.field == "team_id"


def test_someone_outside_the_asked_teams_cannot_answer(analyst: User, team: Team) -> None:
    validation = _shared(analyst, team)
    other_engineer = UserFactory.create(role=Role.ENGINEER)
    TeamFactory.create().members.add(other_engineer)

    with pytest.raises(PermissionDenied):
        reply_to_validation(validation, actor=other_engineer, verdict="confirmed")

    assert not ValidationReply.objects.exists()


# --- API --------------------------------------------------------------------------------------------


def test_api_engineer_replies_and_the_analyst_reads_it(api: Api, analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)

    response = api(engineer).post(
        f"/shared-validations/{validation.pk}/replies", {"verdict": "not_confirmed", "body": "Fixed in 2.1.5 already"}
    )
    (listed,) = api(analyst).get(f"/reports/{validation.report_id}/validations").json()

    assert response.status_code == 201
    assert (response.json()["team"], response.json()["verdict"]) == ("imaging", "not_confirmed")
    assert [(reply["team"], reply["body"]) for reply in listed["replies"]] == [("imaging", "Fixed in 2.1.5 already")]


def test_api_the_team_sees_its_own_replies_only(api: Api, analyst: User, engineer: User, team: Team) -> None:
    other = TeamFactory.create(slug="codecs")
    colleague = UserFactory.create(role=Role.ENGINEER)
    other.members.add(colleague)
    validation = _shared(analyst, team, other)
    reply_to_validation(validation, actor=colleague, verdict="comment", body="Codecs: not ours")
    reply_to_validation(validation, actor=engineer, verdict="confirmed")

    body = api(engineer).get(f"/shared-validations/{validation.pk}").json()

    assert body["teams"] == ["imaging"]
    assert [reply["team"] for reply in body["replies"]] == ["imaging"]
    assert "not ours" not in str(body)


def test_api_engineer_of_another_team_gets_404(api: Api, analyst: User, team: Team) -> None:
    validation = _shared(analyst, team)
    outsider_engineer = UserFactory.create(role=Role.ENGINEER)
    TeamFactory.create().members.add(outsider_engineer)

    read = api(outsider_engineer).get(f"/shared-validations/{validation.pk}")
    written = api(outsider_engineer).post(f"/shared-validations/{validation.pk}/replies", {"verdict": "confirmed"})

    assert (read.status_code, written.status_code) == (404, 404)
    assert not ValidationReply.objects.exists()


def test_api_the_researcher_gets_404_and_never_sees_replies(
    api: Api, analyst: User, engineer: User, researcher: User, team: Team
) -> None:
    validation = _shared(analyst, team, researcher=researcher)
    reply_to_validation(validation, actor=engineer, verdict="comment", body="Internal build detail")

    responses = [
        api(researcher).get(f"/shared-validations/{validation.pk}"),
        api(researcher).post(f"/shared-validations/{validation.pk}/replies", {"verdict": "confirmed"}),
        api(researcher).get(f"/reports/{validation.report_id}/validations"),
    ]
    own_report = api(researcher).get(f"/reports/{validation.report_id}")

    assert [response.status_code for response in responses] == [404, 404, 404]
    assert api(researcher).get("/shared-validations").json() == []
    assert own_report.status_code == 200
    assert "Internal build detail" not in own_report.content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"verdict": "maybe"}, "verdict"), ({"verdict": "comment", "body": ""}, "body"), ({"body": "x"}, "verdict")],
)
def test_api_bad_reply_is_422_naming_the_field(
    api: Api, analyst: User, engineer: User, team: Team, *, body: dict[str, str], field: str
) -> None:
    validation = _shared(analyst, team)

    response = api(engineer).post(f"/shared-validations/{validation.pk}/replies", body)

    assert response.status_code == 422
    assert problem_fields(response) == [field]


# --- Pages ----------------------------------------------------------------------------------------


def test_page_lists_what_is_shared_and_records_the_answer(
    client: Client, analyst: User, engineer: User, team: Team
) -> None:
    validation = _shared(analyst, team)
    client.force_login(engineer)

    page = client.get(reverse("shared_validations"))
    response = client.post(
        reverse("shared_validation_reply", args=[validation.pk]),
        {f"v{validation.pk}-verdict": "confirmed", f"v{validation.pk}-body": "Same crash on 2.1.4"},
        follow=True,
    )

    assert validation.report.reference in page.content.decode()
    assert b"Your answer on" in response.content
    assert b"Same crash on 2.1.4" in response.content
    assert ValidationReply.objects.get().body == "Same crash on 2.1.4"


def test_page_shows_why_an_answer_is_refused(client: Client, analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)
    client.force_login(engineer)

    response = client.post(
        reverse("shared_validation_reply", args=[validation.pk]), {f"v{validation.pk}-verdict": "comment"}
    )

    assert response.status_code == 400
    assert b"Say what the team found" in response.content
    assert not ValidationReply.objects.exists()


def test_page_of_another_team_is_404_and_lists_nothing(client: Client, analyst: User, team: Team) -> None:
    validation = _shared(analyst, team)
    stranger = UserFactory.create(role=Role.ENGINEER)
    client.force_login(stranger)

    page = client.get(reverse("shared_validations"))
    posted = client.post(
        reverse("shared_validation_reply", args=[validation.pk]), {f"v{validation.pk}-verdict": "confirmed"}
    )

    assert b"Nothing is waiting for your teams" in page.content
    assert posted.status_code == 404


def test_analyst_sees_the_answer_on_the_report_page(client: Client, analyst: User, engineer: User, team: Team) -> None:
    validation = _shared(analyst, team)
    reply_to_validation(validation, actor=engineer, verdict="not_confirmed", body="Needs the debug build")
    client.force_login(analyst)

    html = client.get(reverse("report_transition", args=[validation.report_id])).content.decode()

    assert "Imaging answered <strong>Could not confirm</strong>" in html
    assert "Needs the debug build" in html


def test_page_asks_a_member_of_several_teams_which_answers(
    client: Client, analyst: User, engineer: User, team: Team
) -> None:
    second = TeamFactory.create(name="Codecs", slug="codecs")
    second.members.add(engineer)
    validation = _shared(analyst, team, second)
    client.force_login(engineer)
    prefix = f"v{validation.pk}"

    page = client.get(reverse("shared_validations")).content.decode()
    client.post(
        reverse("shared_validation_reply", args=[validation.pk]),
        {f"{prefix}-verdict": "confirmed", f"{prefix}-team_id": str(second.pk)},
    )

    assert f'name="{prefix}-team_id"' in page
    assert ValidationReply.objects.get().team == second
