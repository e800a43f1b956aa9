"""One report's whole life, driven through the REST API with each person's own token.

A researcher reports a bug; the PSIRT triages and confirms it, opens a case with a scored CVE,
plans fixes for two product versions, ships them in the monthly release and publishes the
advisory. Along the way: nothing leaks early to the public, or ever to another researcher.

It runs with real commits (`transactional_db`) so that work deferred with `on_commit`, such as
telling the researcher, happens as it does in production.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import ProductFactory, ProductVersionFactory, TeamFactory
from vulndesk.lib.calendars import next_second_tuesday

Api = Callable[[User | None], ApiClient]
CVSS_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"  # network, low privileges: 8.8


def ok(response: Any, status: int = 200) -> Any:
    """The JSON body, after checking the status (showing the problem document if it differs)."""
    assert response.status_code == status, response.content
    return response.json()


def public_view(anonymous: ApiClient, identifier: str) -> tuple[list[str], int]:
    """What the public gets: the advisories listed, and the status code of this one's URL."""
    listed = [item["identifier"] for item in ok(anonymous.get("/advisories"))["items"]]
    return listed, anonymous.get(f"/advisories/{identifier}").status_code


@pytest.mark.usefixtures("transactional_db")
def test_report_to_published_advisory(
    *,  # keyword-only: there are many people in this story
    api: Api,
    researcher: User,
    outsider: User,
    analyst: User,
    engineer: User,
    release_manager: User,
    coordinator: User,
) -> None:
    team = TeamFactory.create(slug="widget-team")
    team.members.add(engineer)
    product = ProductFactory.create(slug="widget-server", name="Widget Server", owning_team=team)
    version_3, version_4 = (ProductVersionFactory.create(product=product, version=v) for v in ("3.0", "4.0"))
    as_researcher, as_outsider, as_anonymous = api(researcher), api(outsider), api(None)
    as_analyst, as_engineer, as_release_manager, as_coordinator = (
        api(analyst),
        api(engineer),
        api(release_manager),
        api(coordinator),
    )

    # The researcher reports.
    receipt = ok(
        as_researcher.post(
            "/reports",
            {
                "title": "Authenticated RCE through the import endpoint",
                "description": "A crafted archive writes outside the upload folder and is executed.",
                "product": "widget-server",
                "affected_versions": "3.0, 4.0",
                "suggested_cvss_vector": CVSS_VECTOR,
                "accepts_policy": True,
            },
        ),
        201,
    )
    report_id = receipt["id"]
    assert (receipt["state"], receipt["reference"]) == ("new", f"VD-R{report_id}")
    assert ok(as_outsider.get("/reports"))["count"] == 0

    # An analyst triages, validates and confirms it.
    for state in ("triaging", "validating", "confirmed"):
        report = ok(as_analyst.post(f"/reports/{report_id}/transitions", {"to": state, "reason": f"Now {state}"}))
        assert report["state"] == state
    assert ok(as_researcher.get(f"/reports/{report_id}"))["status"] == "Confirmed"

    # A case with the CVE, scored from its CVSS 3.1 vector.
    case = ok(as_analyst.post("/cases", {"title": "Path traversal in archive import", "report_ids": [report_id]}), 201)
    vulnerability = ok(
        as_analyst.post(
            f"/cases/{case['id']}/vulnerabilities",
            {
                "title": "Widget Server remote code execution",
                "impact_type": "rce",
                "severity": "critical",
                "cve_id": "CVE-2026-40001",
                "cwe": "CWE-22",
                "cvss_vector": CVSS_VECTOR,
            },
        ),
        201,
    )
    assert (vulnerability["cvss_score"], vulnerability["cvss_version"]) == (8.8, "3.1")

    # Fixes for both versions, which the owning team's engineer takes to ready.
    fix_ids = [
        ok(
            as_release_manager.post(
                "/fixes", {"vulnerability_id": vulnerability["id"], "product_version_id": version.pk}
            ),
            201,
        )["id"]
        for version in (version_3, version_4)
    ]
    assert ok(as_analyst.get(f"/cases/{case['id']}"))["state"] == "remediating"
    for fix_id, build in zip(fix_ids, ("3.0.7", "4.0.2"), strict=True):
        ok(as_engineer.post(f"/fixes/{fix_id}/transitions", {"to": "in_progress"}))
        fix = ok(as_engineer.post(f"/fixes/{fix_id}/transitions", {"to": "ready", "fixed_version": build}))
        assert (fix["state"], fix["fixed_version"]) == ("ready", build)

    # The monthly release on the second Tuesday carries both fixes; freezing, then shipping it.
    patch_tuesday = next_second_tuesday(timezone.localdate())
    release = ok(
        as_release_manager.post(
            "/releases", {"name": f"{patch_tuesday:%Y-%m} Security Updates", "release_date": patch_tuesday.isoformat()}
        ),
        201,
    )
    for fix_id in fix_ids:
        ok(as_release_manager.post(f"/fixes/{fix_id}/retarget", {"target_release_id": release["id"]}))
    ok(as_release_manager.post(f"/releases/{release['id']}/transitions", {"to": "frozen"}))
    shipped = ok(as_release_manager.post(f"/releases/{release['id']}/transitions", {"to": "released"}))
    assert [fix["state"] for fix in shipped["fixes"]] == ["released", "released"]

    # The advisory: drafted, approved — and invisible to the public until published.
    advisory = ok(
        as_analyst.post(
            "/advisories",
            {
                "title": "Widget Server remote code execution",
                "summary": "Install Widget Server 3.0.7 or 4.0.2.",
                "vulnerability_ids": [vulnerability["id"]],
                "release_id": release["id"],
            },
        ),
        201,
    )
    identifier = advisory["identifier"]
    assert public_view(as_anonymous, identifier) == ([], 404)
    ok(as_coordinator.post(f"/advisories/{identifier}/transitions", {"to": "approved"}))
    assert public_view(as_anonymous, identifier) == ([], 404)
    ok(as_release_manager.post(f"/advisories/{identifier}/transitions", {"to": "published"}))

    # Published: the public sees it through the API and on the web page.
    (public,) = ok(as_anonymous.get("/advisories"))["items"]
    assert public["identifier"] == identifier
    assert [(v["cve_id"], v["cvss_score"]) for v in public["vulnerabilities"]] == [("CVE-2026-40001", 8.8)]
    assert ok(as_anonymous.get(f"/advisories/{identifier}"))["state"] == "published"
    page = Client().get("/advisories/")
    assert page.status_code == 200
    assert identifier in page.content.decode()

    # The researcher sees the outcome, and was told; another researcher never sees the report.
    mine = ok(as_researcher.get(f"/reports/{report_id}"))
    assert mine["status"] == "Fix released"
    assert [item["status"] for item in ok(as_researcher.get("/reports"))["items"]] == ["Fix released"]
    assert any("Fix released" in message.subject for message in mail.outbox)
    assert all(researcher.email in message.to for message in mail.outbox)
    assert as_outsider.get(f"/reports/{report_id}").status_code == 404
    assert ok(as_outsider.get("/reports"))["count"] == 0
