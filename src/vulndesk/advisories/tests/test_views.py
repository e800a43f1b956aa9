"""The front page per role, and the public advisory pages."""

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from vulndesk.accounts.models import User
from vulndesk.advisories.models import Advisory
from vulndesk.core.taxonomy import Severity
from vulndesk.core.tests.factories import (
    AdvisoryFactory,
    CaseFactory,
    FixFactory,
    ReleaseFactory,
    ReportFactory,
    VulnerabilityFactory,
    published,
)
from vulndesk.intake.models import Report

pytestmark = pytest.mark.django_db


def _published_advisory(**kwargs: object) -> Advisory:
    return published(AdvisoryFactory.create(**kwargs))


# The front page


def test_anonymous_home_welcomes_with_latest_published_advisories_and_sign_in(client: Client) -> None:
    advisory = _published_advisory(title="Spoofing in the mail gateway")
    AdvisoryFactory.create(title="Embargoed draft")

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert advisory.identifier in html
    assert "Spoofing in the mail gateway" in html
    assert "Embargoed draft" not in html
    assert f'href="{reverse("login")}"' in html


def test_researcher_home_lists_only_their_own_reports(client: Client, researcher: User, outsider: User) -> None:
    mine = ReportFactory.create(researcher=researcher, title="My heap overflow", state=Report.State.TRIAGING)
    ReportFactory.create(researcher=outsider, title="Someone else's SSRF")
    client.force_login(researcher)

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>My reports</h1>" in html
    assert mine.reference in html
    assert "My heap overflow" in html
    assert mine.researcher_status in html  # "In review", not the internal state
    assert "Someone else&#x27;s SSRF" not in html


def test_researcher_home_without_reports_explains_what_to_do(client: Client, researcher: User) -> None:
    client.force_login(researcher)

    response = client.get(reverse("home"))

    assert b"You haven\xe2\x80\x99t reported anything yet" in response.content
    assert f'href="{reverse("report_submit")}"'.encode() in response.content


def test_researcher_home_escapes_report_titles(client: Client, researcher: User) -> None:
    ReportFactory.create(researcher=researcher, title="<script>alert(1)</script>")
    client.force_login(researcher)

    response = client.get(reverse("home"))

    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


@pytest.mark.parametrize("role_fixture", ["analyst", "coordinator", "admin_user"])
def test_staff_with_report_access_go_to_the_queue(
    client: Client, request: pytest.FixtureRequest, role_fixture: str
) -> None:
    client.force_login(request.getfixturevalue(role_fixture))

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("report_queue")


@pytest.mark.parametrize("role_fixture", ["engineer", "release_manager"])
def test_other_staff_see_an_overview_of_open_work(
    client: Client, request: pytest.FixtureRequest, role_fixture: str
) -> None:
    FixFactory.create()  # one open case (its vulnerability's) and one planned fix
    ReleaseFactory.create()
    ReportFactory.create(title="Raw researcher report")
    client.force_login(request.getfixturevalue(role_fixture))

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Overview</h1>" in html
    assert '<span class="tile__number">1</span> <span class="tile__label">Open cases</span>' in html
    assert '<span class="tile__number">1</span> <span class="tile__label">Fixes planned or in progress</span>' in html
    assert "Raw researcher report" not in html


def test_overview_counts_only_open_cases(client: Client, engineer: User) -> None:
    CaseFactory.create()
    CaseFactory.create(state="closed")
    client.force_login(engineer)

    response = client.get(reverse("home"))

    assert b'<span class="tile__number">1</span> <span class="tile__label">Open cases</span>' in response.content


# Public advisories


def test_advisory_list_shows_published_advisories_with_their_details(client: Client) -> None:
    release = ReleaseFactory.create(name="2026-12 Security Update")
    critical = VulnerabilityFactory.create(cve_id="CVE-2026-40001", severity=Severity.CRITICAL)
    low = VulnerabilityFactory.create(cve_id="CVE-2026-40002", severity=Severity.LOW)
    advisory = _published_advisory(title="RCE in the parser", release=release, vulnerabilities=[low, critical])

    response = client.get(reverse("advisory_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert advisory.identifier in html
    assert "RCE in the parser" in html
    assert "2026-12 Security Update" in html
    assert "CVE-2026-40001" in html
    assert "CVE-2026-40002" in html
    assert '<span class="badge severity--critical">Critical</span>' in html
    assert advisory.published_at is not None
    assert advisory.published_at.strftime("%Y-%m-%d") in html


def test_advisory_list_never_shows_drafts_or_approved_advisories(client: Client, admin_user: User) -> None:
    AdvisoryFactory.create(title="Draft under embargo")
    AdvisoryFactory.create(title="Approved under embargo", state=Advisory.State.APPROVED)
    client.force_login(admin_user)  # even staff who may see drafts get the public list here

    response = client.get(reverse("advisory_list"))

    assert b"under embargo" not in response.content


def test_advisory_list_empty_state(client: Client) -> None:
    response = client.get(reverse("advisory_list"))

    assert response.status_code == 200
    assert b"No advisories published yet" in response.content


def test_advisory_list_query_count_does_not_grow_with_advisories(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    release = ReleaseFactory.create()
    for _ in range(20):
        _published_advisory(release=release, vulnerabilities=VulnerabilityFactory.create_batch(3))

    # count, advisories with their release, their vulnerabilities
    with django_assert_max_num_queries(3):
        response = client.get(reverse("advisory_list"))

    assert response.content.count(b'class="ref"><a href="/advisories/') == 20


def test_advisory_list_pages_by_fifty(client: Client) -> None:
    for _ in range(51):
        _published_advisory()

    first = client.get(reverse("advisory_list"))
    second = client.get(reverse("advisory_list"), {"page": 2})

    assert first.content.count(b'class="ref"><a href="/advisories/') == 50
    assert second.content.count(b'class="ref"><a href="/advisories/') == 1


def test_published_advisory_detail_is_public(client: Client) -> None:
    vulnerability = VulnerabilityFactory.create(cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    advisory = _published_advisory(summary="Install the update.", vulnerabilities=[vulnerability])

    response = client.get(reverse("advisory_detail", args=[advisory.identifier]))

    html = response.content.decode()
    assert response.status_code == 200
    assert advisory.title in html
    assert "Install the update." in html
    assert vulnerability.reference in html
    assert "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" in html
    assert "not public" not in html


@pytest.mark.parametrize("role_fixture", [None, "researcher"])
def test_draft_advisory_is_404_for_the_public(
    client: Client, request: pytest.FixtureRequest, role_fixture: str | None
) -> None:
    advisory = AdvisoryFactory.create()
    if role_fixture:
        client.force_login(request.getfixturevalue(role_fixture))

    response = client.get(reverse("advisory_detail", args=[advisory.identifier]))

    assert response.status_code == 404
    assert advisory.title.encode() not in response.content


def test_staff_see_a_draft_advisory_marked_as_not_public(client: Client, analyst: User) -> None:
    advisory = AdvisoryFactory.create()
    client.force_login(analyst)

    response = client.get(reverse("advisory_detail", args=[advisory.identifier]))

    assert response.status_code == 200
    assert b"Draft, not public." in response.content


def test_unknown_advisory_is_404(client: Client) -> None:
    response = client.get(reverse("advisory_detail", args=["VDSA-1999-0001"]))

    assert response.status_code == 404


def test_advisory_summary_is_escaped(client: Client) -> None:
    advisory = _published_advisory(summary='<img src=x onerror="alert(1)">')

    response = client.get(reverse("advisory_detail", args=[advisory.identifier]))

    assert b"<img src=x" not in response.content
    assert b"&lt;img src=x" in response.content
