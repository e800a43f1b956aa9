"""A long case thread: 2,000 messages and 100 partner organizations, opened by staff and by a partner.

Runs inside the bench's scenario process (Django set up, database migrated). It seeds one case
with one confirmed report, 100 invited partner organizations (each with a member, the case's
three vulnerabilities shared with it, and for half of them a status on each),
and 2,000 messages spread over the case's internal notes, the report's researcher thread and
the partner channels, with mentions and replies. Messages are bulk-inserted (with their
rendered HTML) rather than posted one by one: the figure is about reading the thread.

Then it times, in-process with Django's test client:
- the case thread page (`/cases/{id}/messages/`, latest page) as the case's coordinator;
- the partners page (`/cases/{id}/partners/`: 100 organizations by the case's vulnerabilities);
- the same thread through the API (`GET /api/v1/cases/{id}/messages?page_size=100`);
- a partner's case page (`/partner/cases/{id}/`: summary, statuses, their own channel).
The issue's target is p95 ≤ 100 ms for the thread (VINCE users reported 10 s on such a case).
"""

import datetime as dt
import random
import statistics
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.accounts.services import create_user, issue_token
from vulndesk.catalog.models import Product, Team
from vulndesk.core.permissions import Role
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.intake.models import Report
from vulndesk.messaging.models import (
    CasePartner,
    Channel,
    Message,
    PartnerMember,
    PartnerOrganization,
    PartnerStatus,
    SharedVulnerability,
)
from vulndesk.messaging.rendering import render_markdown
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case, CaseReport

WARM_UP = 5
BODIES = [
    "Reproduced on **4.2.1**; the parser reads past the buffer when the header is longer than 64 KiB.",
    "Can you confirm the affected range? Our build of `libparse` is pinned to 2.8.",
    "Patch attached to the tracker; needs review before Thursday.\n\n- fuzzing: clean\n- unit tests: pass",
    "We are not affected: we ship the parser with `MAX_HEADER` set to 8 KiB.",
    "Embargo holds until the release date. Please do not share outside your PSIRT.",
]


def _seed(messages: int, partners: int, seed: int) -> tuple[Case, User, User]:
    rng = random.Random(seed)
    team = Team.objects.create(name="Bench team", slug="bench-messaging-team")
    product = Product.objects.create(name="Bench Gateway", slug="bench-messaging-gateway", owning_team=team)
    researcher = create_user(
        email="bench.researcher@bench.vulndesk.test", role=Role.RESEARCHER, password=None, actor=None
    )
    coordinator = create_user(
        email="bench.coordinator@bench.vulndesk.test", role=Role.COORDINATOR, password=None, actor=None
    )
    report = Report.objects.create(
        researcher=researcher, title="Heap overflow in the header parser", description="…", product=product,
        state=Report.State.CONFIRMED,
    )  # fmt: skip
    case = Case.objects.create(title="Header parser overflow (multi-vendor)", owner=coordinator)
    CaseReport.objects.create(case=case, report=report)
    vulnerabilities = [
        Vulnerability.objects.create(
            case=case,
            cve_id=f"CVE-2026-9{number:04d}",
            title=f"Parser flaw {number}",
            impact_type=ImpactType.REMOTE_CODE_EXECUTION,
            severity=Severity.CRITICAL,
        )
        for number in range(3)
    ]
    organizations = PartnerOrganization.objects.bulk_create(
        [PartnerOrganization(name=f"Vendor {number:03d}", kind="vendor") for number in range(partners)]
    )
    members = []
    for organization in organizations:
        member = User.objects.create_user(f"psirt@vendor-{organization.pk}.bench.test", role=Role.PARTNER)
        PartnerMember.objects.create(user=member, organization=organization)
        members.append(member)
    case_partners = CasePartner.objects.bulk_create(
        [
            CasePartner(case=case, organization=o, shared_summary="Header parser overflow.", invited_by=coordinator)
            for o in organizations
        ]
    )
    # Every organization is shared every vulnerability, so the partner's page shows them all.
    SharedVulnerability.objects.bulk_create(
        [
            SharedVulnerability(case_partner=cp, vulnerability=v, shared_by=coordinator)
            for cp in case_partners
            for v in vulnerabilities
        ]
    )
    PartnerStatus.objects.bulk_create(
        [
            PartnerStatus(
                case_partner=cp,
                vulnerability=v,
                status=rng.choice(list(PartnerStatus.Status.values)),
                justification="Component not shipped.",
                updated_by=coordinator,
            )
            for cp in case_partners[: partners // 2]
            for v in vulnerabilities
        ]
    )
    rendered = [render_markdown(body) for body in BODIES]
    now = timezone.now()
    batch: list[Message] = []
    for _ in range(messages):
        kind = rng.random()
        index = rng.randrange(len(BODIES))
        fields: dict[str, Any] = {"body": BODIES[index], "body_html": rendered[index], "author": coordinator}
        if kind < 0.4:
            fields |= {"case": case, "channel": Channel.INTERNAL}
        elif kind < 0.6:
            fields |= {"report": report, "channel": Channel.RESEARCHER, "author": rng.choice([researcher, coordinator])}
        else:
            partner = rng.randrange(partners)
            fields |= {"case": case, "channel": Channel.PARTNER, "partner_organization": organizations[partner]}
            fields["author"] = rng.choice([members[partner], coordinator])
        batch.append(Message(**fields))
    created = Message.objects.bulk_create(batch, batch_size=500)
    # Spread over two months, oldest first, as a real thread would be.
    for number, message in enumerate(created):
        message.created_at = now - dt.timedelta(minutes=30 * (messages - number))
    Message.objects.bulk_update(created, ["created_at"], batch_size=500)
    return case, coordinator, members[0]


def _time(client: Client, url: str, requests: int) -> dict[str, float]:
    for _ in range(WARM_UP):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    samples, queries = [], []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - began) * 1000)
        queries.append(len(captured))
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[max(0, round(0.95 * len(samples)) - 1)],
        "max_ms": samples[-1],
        "queries": statistics.median(queries),
        "bytes": len(response.content),
    }


def run(*, messages: int = 2_000, partners: int = 100, requests: int = 100, seed: int = 42) -> dict[str, Any]:
    print(f"\nSeeding a case thread: {messages:,} messages, {partners} partner organizations…")
    began = time.perf_counter()
    case, coordinator, partner = _seed(messages, partners, seed)
    print(f"seeded in {time.perf_counter() - began:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # Pages link the stylesheet through the manifest storage, which needs `collectstatic`; plain
    # static storage gives the same page without that step (the URL is all that differs).
    plain_static = override_settings(
        STORAGES=settings.STORAGES
        | {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    )
    plain_static.enable()
    staff, partner_client = Client(), Client()
    staff.force_login(coordinator)
    partner_client.force_login(partner)
    token = issue_token(coordinator, name="bench", actor=None).secret
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    figures = {
        "case thread page (staff, latest 50)": _time(staff, f"/cases/{case.pk}/messages/", requests),
        f"partners page ({partners} organizations)": _time(staff, f"/cases/{case.pk}/partners/", requests),
        "API thread page (100 per page)": _time(api, f"/api/v1/cases/{case.pk}/messages?page_size=100", requests),
        "partner's case page": _time(partner_client, f"/partner/cases/{case.pk}/", requests),
    }
    plain_static.disable()
    print(f"{'request':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for name, row in figures.items():
        print(f"{name:<40} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['max_ms']:8.1f} {row['queries']:8.0f}")
    return {"messages": messages, "partners": partners, "requests": requests, "figures": figures}
