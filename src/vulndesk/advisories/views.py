"""Public pages: the front page for every visitor, and the published advisories.

The front page lives here, in the last app of the dependency chain, because it reads from all
of them: published advisories for visitors, a researcher's own reports, staff workload counts.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from vulndesk.accounts.models import User
from vulndesk.advisories.models import Advisory
from vulndesk.advisories.selectors import get_advisory_for_user, list_advisories_for_user, list_published_advisories
from vulndesk.core.permissions import Permission, Role, can, is_staff_role, role_of
from vulndesk.core.portal import paginate
from vulndesk.core.taxonomy import Severity
from vulndesk.intake.selectors import list_reports_for_user
from vulndesk.releases.models import Release
from vulndesk.releases.selectors import list_releases_for_user
from vulndesk.remediation.models import Fix
from vulndesk.remediation.selectors import list_fixes_for_user
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case
from vulndesk.triage.selectors import list_cases_for_user

LATEST_ON_WELCOME = 5
# Severity choices are declared most severe first; the lowest index wins.
_SEVERITY_RANK = {severity.value: rank for rank, severity in enumerate(Severity)}


@dataclass(frozen=True)
class AdvisoryRow:
    """An advisory with what its list row shows, worked out from the prefetched vulnerabilities."""

    advisory: Advisory
    vulnerabilities: list[Vulnerability]
    max_severity: str
    max_severity_label: str


def _advisory_rows(advisories: Iterable[Advisory]) -> list[AdvisoryRow]:
    rows = []
    for advisory in advisories:
        vulnerabilities = list(advisory.vulnerabilities.all())  # prefetched by the selector
        worst = min(
            (v.severity for v in vulnerabilities), key=lambda s: _SEVERITY_RANK.get(s, len(Severity)), default=""
        )
        label = Severity(worst).label if worst in _SEVERITY_RANK else ""
        rows.append(AdvisoryRow(advisory, vulnerabilities, worst, str(label)))
    return rows


def _counts_by_state(items: QuerySet[Any]) -> dict[str, int]:
    # order_by() clears the default ordering, which would otherwise join the GROUP BY.
    return dict(items.order_by().values_list("state").annotate(count=Count("pk")))


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The front page: what it shows depends on who is asking."""
    user = request.user
    if not isinstance(user, User):
        return render(
            request,
            "advisories/home_welcome.html",
            {"latest": _advisory_rows(list_published_advisories()[:LATEST_ON_WELCOME])},
        )
    if role_of(user) == Role.PARTNER:
        return redirect("partner_cases")  # partners only ever see the cases shared with them (messaging)
    if is_staff_role(user):
        if can(user, Permission.REPORT_VIEW):
            return redirect("report_queue")
        return _staff_overview(request, user)
    return render(request, "advisories/home_researcher.html", {"page": paginate(request, list_reports_for_user(user))})


def _staff_overview(request: HttpRequest, user: User) -> HttpResponse:
    """Engineers and release managers: how much work is open, in a few numbers."""
    cases = _counts_by_state(list_cases_for_user(user))
    fixes = _counts_by_state(list_fixes_for_user(user))
    releases = _counts_by_state(list_releases_for_user(user))
    advisories = _counts_by_state(list_advisories_for_user(user))
    tiles = [
        ("Open cases", cases.get(Case.State.OPEN, 0) + cases.get(Case.State.REMEDIATING, 0)),
        ("Fixes planned or in progress", fixes.get(Fix.State.PLANNED, 0) + fixes.get(Fix.State.IN_PROGRESS, 0)),
        ("Fixes ready for release", fixes.get(Fix.State.READY, 0)),
        ("Upcoming releases", releases.get(Release.State.PLANNED, 0) + releases.get(Release.State.FROZEN, 0)),
        (
            "Advisories not yet published",
            advisories.get(Advisory.State.DRAFT, 0) + advisories.get(Advisory.State.APPROVED, 0),
        ),
    ]
    return render(request, "advisories/home_staff.html", {"tiles": tiles})


@require_safe
def advisory_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, list_published_advisories())
    return render(request, "advisories/advisory_list.html", {"page": page, "rows": _advisory_rows(page)})


@require_safe
def advisory_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    user = request.user if isinstance(request.user, User) else None
    advisory = get_advisory_for_user(user, identifier)
    (row,) = _advisory_rows([advisory])
    return render(request, "advisories/advisory_detail.html", {"advisory": advisory, "row": row})
