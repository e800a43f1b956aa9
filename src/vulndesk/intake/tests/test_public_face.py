"""The disclosure policy (public, admin-edited, with history) and security.txt per RFC 9116."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings
from sectxt import Parser

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.models import AuditEvent
from vulndesk.intake.models import DisclosurePolicy
from vulndesk.intake.services import publish_policy

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def test_the_default_policy_covers_scope_safe_harbor_targets_and_credit(client: Client) -> None:
    html = client.get(reverse("policy")).content.decode()

    for heading in ("Scope", "Safe harbor", "What to include", "Response targets", "Following your report", "Credit"):
        assert f"<h2>{heading}</h2>" in html
    assert "within 72 hours" in html


def test_admin_publishes_a_new_version_and_the_old_one_stays(client: Client, admin_user: User) -> None:
    publish_policy(body="## Scope\n\nEverything.", change_note="First version", actor=admin_user)
    client.force_login(admin_user)

    response = client.post(reverse("policy_edit"), {"body": "## Scope\n\nOnly products.", "change_note": "Narrower"})

    assert response.status_code == 302
    assert [version.change_note for version in DisclosurePolicy.objects.all()] == ["Narrower", "First version"]
    assert "Only products." in client.get(reverse("policy")).content.decode()
    history = Client().get(reverse("policy_history")).content.decode()
    assert "Narrower" in history
    assert "First version" in history
    old = DisclosurePolicy.objects.get(change_note="First version")
    assert "Everything." in Client().get(reverse("policy_version", args=[old.pk])).content.decode()
    assert AuditEvent.objects.filter(tag="policy:published", actor=admin_user).count() == 2


@pytest.mark.parametrize("person", ["researcher", "analyst", "coordinator"])
def test_only_admins_edit_the_policy(client: Client, person: str, request: pytest.FixtureRequest) -> None:
    client.force_login(request.getfixturevalue(person))

    response = client.post(reverse("policy_edit"), {"body": "Nothing is in scope.", "change_note": "x"})

    assert response.status_code == 403
    assert not DisclosurePolicy.objects.exists()


def test_a_change_needs_a_note(admin_user: User) -> None:
    with pytest.raises(RuleViolation) as error:
        publish_policy(body="text", change_note=" ", actor=admin_user)

    assert error.value.field == "change_note"


def test_script_in_the_policy_is_never_rendered(client: Client, admin_user: User) -> None:
    publish_policy(
        body="<script>alert(1)</script>\n\n[click](javascript:alert(2))", change_note="test", actor=admin_user
    )

    html = client.get(reverse("policy")).content.decode()

    assert "<script>alert(1)" not in html
    assert 'href="javascript:' not in html


# security.txt


def test_security_txt_passes_an_independent_rfc_9116_validator(client: Client, settings: Settings) -> None:
    settings.BASE_URL = "https://psirt.example"  # as production requires; RFC 9116 wants https URIs
    response = client.get("/.well-known/security.txt")

    parser = Parser(response.content, urls="https://psirt.example/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert parser.errors == []
    assert parser.is_valid()


def test_security_txt_names_contact_policy_and_canonical(client: Client) -> None:
    text = client.get("/.well-known/security.txt").content.decode()

    assert "Contact: mailto:security@example.com" in text
    assert "Contact: http://127.0.0.1:8000/reports/new/" in text
    assert "Policy: http://127.0.0.1:8000/policy/" in text
    assert "Canonical: http://127.0.0.1:8000/.well-known/security.txt" in text
    assert "Preferred-Languages: en" in text


def test_security_txt_expiry_moves_with_time(client: Client) -> None:
    with time_machine.travel(NOW, tick=False):
        now_text = client.get("/.well-known/security.txt").content.decode()
    with time_machine.travel(NOW + dt.timedelta(days=400), tick=False):
        later_text = client.get("/.well-known/security.txt").content.decode()

    assert "Expires: 2027-05-27T09:00:00Z" in now_text
    assert f"Expires: {NOW + dt.timedelta(days=400 + 180):%Y-%m-%dT%H:%M:%SZ}" in later_text
