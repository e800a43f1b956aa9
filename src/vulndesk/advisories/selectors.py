"""Reading advisories: published ones are public, drafts are for staff."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from vulndesk.accounts.models import User
from vulndesk.advisories.models import Advisory
from vulndesk.core.permissions import Permission, can
from vulndesk.scoring.models import Vulnerability

_VULNERABILITIES = Prefetch("vulnerabilities", queryset=Vulnerability.objects.order_by("cve_id"))


def list_published_advisories() -> QuerySet[Advisory]:
    """What the world may read, newest first; embargoed drafts never appear here."""
    return Advisory.objects.published().select_related("release").prefetch_related(_VULNERABILITIES)


def list_advisories_for_user(user: User | None, *, state: str | None = None) -> QuerySet[Advisory]:
    if user is None or not can(user, Permission.ADVISORY_VIEW_DRAFT):
        advisories = list_published_advisories()
    else:
        advisories = Advisory.objects.select_related("release").prefetch_related(_VULNERABILITIES)
    if state:
        advisories = advisories.filter(state=state)
    return advisories


def get_advisory_for_user(user: User | None, identifier: str) -> Advisory:
    """A published advisory for anyone; an unpublished one only for staff who may see drafts."""
    advisory = (
        Advisory.objects.select_related("release")
        .prefetch_related(_VULNERABILITIES)
        .filter(identifier=identifier)
        .first()
    )
    if advisory is None:
        raise Http404("No such advisory.")
    if not advisory.is_published and (user is None or not can(user, Permission.ADVISORY_VIEW_DRAFT, advisory)):
        raise Http404("No such advisory.")
    return advisory
