"""API shapes of fixes."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import WithJsonSchema

from vulndesk.core.api import Page, PageParams
from vulndesk.remediation.models import Fix

# Inline: every model calls its enum `State`, and OpenAPI components are keyed by name.
FixState = Annotated[Fix.State, WithJsonSchema({"type": "string", "enum": list(Fix.State.values)})]


class FixIn(Schema):
    vulnerability_id: int
    product_version_id: int
    team: str | None = Field(None, description="Team slug; the product's owning team when omitted.")
    target_release_id: int | None = None


class FixTransitionIn(Schema):
    to: FixState
    reason: str = Field("", description="Recorded in the audit trail; required for wont_fix.")
    fixed_version: str = Field("", max_length=64, description="The build that carries the fix, e.g. when ready.")


class FixRetargetIn(Schema):
    target_release_id: int | None = Field(description="The release to ship in, or null for none yet.")


class FixQuery(PageParams):
    vulnerability_id: int | None = None
    release_id: int | None = None
    state: FixState | None = None


class FixOut(Schema):
    id: int
    vulnerability_id: int
    vulnerability: str = Field(
        alias="vulnerability.reference", description="CVE id, or VD-V<id> before one is assigned."
    )
    product: str = Field(alias="product_version.product.slug")
    product_version_id: int
    version: str = Field(alias="product_version.version")
    team: str = Field(alias="team.slug")
    state: str
    allowed_next_states: list[str]
    target_release_id: int | None
    fixed_version: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_allowed_next_states(fix: Fix) -> list[str]:
        return sorted(fix.allowed_next_states())


class FixPage(Page[FixOut]):
    pass
