"""API shapes of releases."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import WithJsonSchema

from vulndesk.core.api import Page, PageParams
from vulndesk.releases.models import Release
from vulndesk.remediation.models import Fix

# Inline: every model calls its enum `State`, and OpenAPI components are keyed by name.
ReleaseState = Annotated[Release.State, WithJsonSchema({"type": "string", "enum": list(Release.State.values)})]
ReleaseKind = Annotated[Release.Kind, WithJsonSchema({"type": "string", "enum": list(Release.Kind.values)})]


class ReleaseIn(Schema):
    name: str = Field(max_length=120, description="e.g. '2026-12 Security Updates'")
    release_date: dt.date = Field(description="Scheduled releases ship on the month's second Tuesday.")
    kind: ReleaseKind = Release.Kind.SCHEDULED


class ReleaseTransitionIn(Schema):
    to: ReleaseState
    reason: str = ""


class ReleaseQuery(PageParams):
    state: ReleaseState | None = None


class ReleaseFixOut(Schema):
    id: int
    vulnerability: str = Field(alias="vulnerability.reference")
    product: str = Field(alias="product_version.product.slug")
    version: str = Field(alias="product_version.version")
    state: str


class ReleaseOut(Schema):
    id: int
    name: str
    release_date: dt.date
    kind: str
    state: str
    allowed_next_states: list[str]
    released_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_allowed_next_states(release: Release) -> list[str]:
        return sorted(release.allowed_next_states())


class ReleaseDetailOut(ReleaseOut):
    fixes: list[ReleaseFixOut] = Field(description="The fixes this release carries; all must be ready to ship it.")

    @staticmethod
    def resolve_fixes(release: Release) -> list[Fix]:
        return list(release.fixes.select_related("vulnerability", "product_version__product"))


class ReleasePage(Page[ReleaseOut]):
    pass
