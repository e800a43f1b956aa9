"""The portal's shell: layout, signing in and out, health check and error pages."""

from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.test import Client, RequestFactory
from django.urls import reverse

from vulndesk.accounts.models import User
from vulndesk.core.portal import signed_in_user
from vulndesk.core.tests.factories import TEST_PASSWORD
from vulndesk.core.views import server_error


def test_login_page_asks_for_email_and_password(client: Client, db: None) -> None:
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert b'<label for="id_username">Email address</label>' in response.content
    assert b'type="email"' in response.content
    assert b'<label for="id_password">Password</label>' in response.content


def test_login_with_email_signs_in_and_goes_home(client: Client, researcher: User) -> None:
    response = client.post(reverse("login"), {"username": "Researcher@Example.test", "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert int(client.session["_auth_user_id"]) == researcher.pk


def test_login_with_wrong_password_shows_an_error(client: Client, researcher: User) -> None:
    response = client.post(reverse("login"), {"username": researcher.email, "password": "not it"})

    assert response.status_code == 200
    assert b"That email address and password do not match an account." in response.content
    assert "_auth_user_id" not in client.session


def test_login_follows_a_safe_next_url_only(client: Client, researcher: User) -> None:
    credentials = {"username": researcher.email, "password": TEST_PASSWORD}

    response = client.post(f"{reverse('login')}?next=https://evil.example/", credentials)

    assert response["Location"] == reverse("home")


def test_login_form_is_csrf_protected(researcher: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": researcher.email, "password": TEST_PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_logout_by_post_signs_out_and_says_so(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.post(reverse("logout"), follow=True)

    assert "_auth_user_id" not in client.session
    assert b"You have signed out." in response.content
    assert b"Sign in" in response.content


def test_logout_refuses_get(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert "_auth_user_id" in client.session


def test_logout_is_csrf_protected(researcher: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher)

    response = client.post(reverse("logout"))

    assert response.status_code == 403
    assert "_auth_user_id" in client.session


def test_layout_has_landmarks_skip_link_and_organization_name(client: Client, db: None) -> None:
    response = client.get(reverse("advisory_list"))

    html = response.content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert "<footer" in html
    assert "Example Corp PSIRT" in html
    assert "/static/vulndesk/vulndesk.css" in html


def test_layout_shows_the_signed_in_user_and_a_logout_form(client: Client, analyst: User) -> None:
    client.force_login(analyst)

    html = client.get(reverse("advisory_list")).content.decode()

    assert str(analyst) in html
    assert f'action="{reverse("logout")}"' in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.parametrize(
    ("role_fixture", "shown", "hidden"),
    [
        ("researcher", ["My reports", "Report a vulnerability"], ["Report queue", "Administration"]),
        ("analyst", ["Report queue"], ["My reports", "Report a vulnerability", "Administration"]),
        ("engineer", ["Overview"], ["Report queue", "My reports", "Administration"]),
        ("admin_user", ["Report queue", "Administration"], ["My reports", "Report a vulnerability"]),
    ],
)
def test_navigation_matches_the_role(
    client: Client, request: pytest.FixtureRequest, role_fixture: str, shown: list[str], hidden: list[str]
) -> None:
    client.force_login(request.getfixturevalue(role_fixture))

    html = client.get(reverse("advisory_list")).content.decode()
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]

    assert all(f">{label}</a>" in nav for label in shown)
    assert not any(f">{label}</a>" in nav for label in hidden)


def test_healthz_is_ok_when_the_database_answers(client: Client, db: None) -> None:
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_unavailable_when_the_database_does_not_answer(client: Client, db: None) -> None:
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("connection refused")

    with mock.patch("vulndesk.core.views.connection", broken):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}
    assert b"refused" not in response.content


def test_custom_404_page(client: Client, db: None) -> None:
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert b"<h1>Page not found</h1>" in response.content
    assert b"Example Corp PSIRT" in response.content


def test_custom_403_page(client: Client, engineer: User) -> None:
    client.force_login(engineer)

    response = client.get(reverse("report_queue"))

    assert response.status_code == 403
    assert b"have access to this page" in response.content


def test_500_page_renders_without_the_database() -> None:
    request = RequestFactory().get("/")

    # No `db` fixture: any query here would raise instead of rendering.
    response = server_error(request)

    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"Example Corp PSIRT" in response.content


def test_signed_in_user_refuses_an_anonymous_request() -> None:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    with pytest.raises(PermissionDenied):
        signed_in_user(request)
