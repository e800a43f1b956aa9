"""API shapes of advisories. Published ones are public: they carry nothing internal."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import WithJsonSchema

from vulndesk.advisories.models import Advisory
from vulndesk.core.api import Page, PageParams

# Inline: every model calls its enum `State`, and OpenAPI components are keyed by name.
AdvisoryState = Annotated[Advisory.State, WithJsonSchema({"type": "string", "enum": list(Advisory.State.values)})]


class AdvisoryIn(Schema):
    title: str = Field(max_length=200)
    summary: str
    vulnerability_ids: list[int]
    release_id: int | None = Field(None, description="The release that ships the fix; it must ship before publication.")


class AdvisoryTransitionIn(Schema):
    to: AdvisoryState
    reason: str = ""


class AdvisoryQuery(PageParams):
    state: AdvisoryState | None = Field(None, description="Staff who may see drafts only; others see published ones.")


class AdvisoryVulnerabilityOut(Schema):
    cve_id: str | None
    title: str
    impact_type: str
    severity: str
    cwe: str
    cvss_vector: str
    cvss_version: str
    cvss_score: float | None


class AdvisoryOut(Schema):
    identifier: str
    title: str
    summary: str
    state: str
    published_at: dt.datetime | None
    release: str | None = Field(None, alias="release.name")
    release_date: dt.date | None = Field(None, alias="release.release_date")
    vulnerabilities: list[AdvisoryVulnerabilityOut]


class AdvisoryPage(Page[AdvisoryOut]):
    pass
