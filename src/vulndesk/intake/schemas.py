"""API shapes of reports: what a researcher sends, what they see back, and the staff view.

A researcher's view leaves out everything internal (state, duplicate links, who else reported),
so the two output schemas are separate classes rather than one with optional fields; their
`view` field ("researcher" or "staff") says which one a response carries.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import WithJsonSchema

from vulndesk.core.taxonomy import ImpactType
from vulndesk.intake.models import CreditPreference, Report

# Inline enums: every model calls its enum `State`, and OpenAPI components are keyed by name.
ReportState = Annotated[Report.State, WithJsonSchema({"type": "string", "enum": list(Report.State.values)})]


class ReportIn(Schema):
    title: str = Field(max_length=200)
    description: str
    product: str | None = Field(None, description="Catalog product slug; see GET /products.")
    product_other: str = Field("", max_length=200, description="The product's name when it is not in the catalog.")
    affected_versions: str = Field("", max_length=300)
    impact_type: str = Field("", description=f"One of: {', '.join(ImpactType.values)}.")
    cwe: str = Field("", description="e.g. CWE-79")
    suggested_cvss_vector: str = Field("", description="e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    steps_to_reproduce: str = ""
    proof_of_concept: str = ""
    is_public: bool = Field(False, description="The vulnerability is already publicly known.")
    is_exploited: bool = Field(False, description="It is being exploited in the wild.")
    planned_disclosure_on: dt.date | None = Field(None, description="When you intend to publish, if you do.")
    disclosure_plans: str = Field("", description="Talk, paper or blog post you plan.")
    credit_preference: str = Field(CreditPreference.NAME, description=f"One of: {', '.join(CreditPreference.values)}.")
    credit_name: str = Field("", max_length=150, description="Name or handle to credit; defaults to your display name.")
    accepts_policy: bool = Field(False, description="Must be true: you have read and accept the disclosure policy.")
    contact_email: str = Field("", description="Anonymous submissions: where we may write to you (optional).")


class ReportReceiptOut(Schema):
    """What the researcher gets back on submission."""

    id: int
    reference: str
    state: str
    status: str
    title: str
    created_at: dt.datetime
    is_new: bool = Field(description="False when the same report was sent moments ago; this is that report.")
    response_target_hours: int = Field(description="We answer every report within this many hours.")
    tracking_url: str | None = Field(
        description="Anonymous submissions only: the secret link to follow the report. Shown once; keep it private."
    )


def _shared_fields(report: Report) -> dict[str, Any]:
    return {
        "id": report.pk,
        "reference": report.reference,
        "title": report.title,
        "description": report.description,
        "product": report.product.slug if report.product else None,
        "product_other": report.product_other,
        "affected_versions": report.affected_versions,
        "impact_type": report.impact_type,
        "cwe": report.cwe,
        "suggested_cvss_vector": report.suggested_cvss_vector,
        "steps_to_reproduce": report.steps_to_reproduce,
        "proof_of_concept": report.proof_of_concept,
        "is_public": report.is_public,
        "is_exploited": report.is_exploited,
        "planned_disclosure_on": report.planned_disclosure_on,
        "disclosure_plans": report.disclosure_plans,
        "credit_preference": report.credit_preference,
        "credit_name": report.credit_name,
        "credit_line": report.credit_line,
        "agreed_disclosure_on": report.agreed_disclosure_on,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
    }


class _ReportFields(Schema):
    id: int
    reference: str
    title: str
    description: str
    product: str | None = Field(description="Catalog product slug, or null when the researcher named another product.")
    product_other: str
    affected_versions: str
    impact_type: str
    cwe: str
    suggested_cvss_vector: str
    steps_to_reproduce: str
    proof_of_concept: str
    is_public: bool
    is_exploited: bool
    planned_disclosure_on: dt.date | None
    disclosure_plans: str
    credit_preference: str
    credit_name: str
    credit_line: str = Field(description="How the advisory will credit the researcher; empty when not credited.")
    agreed_disclosure_on: dt.date | None = Field(
        description="The disclosure date agreed with the vendor for the report's case, once there is one."
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class ResearcherReportOut(_ReportFields):
    """A researcher's own report as they may see it: a status phrase, no internal state."""

    view: Literal["researcher"] = "researcher"
    status: str = Field(
        description="Received, In review (with ': waiting for your reply' when we need your answer), Confirmed, "
        "Fix in progress, Fix released, or Closed with the reason, e.g. 'Closed: out of scope'."
    )

    @classmethod
    def of(cls, report: Report) -> "ResearcherReportOut":
        return cls(**_shared_fields(report), status=report.researcher_status)


class ReportOut(_ReportFields):
    """The staff view of a report."""

    view: Literal["staff"] = "staff"
    state: str
    researcher_status: str
    allowed_next_states: list[str]
    researcher_id: int
    duplicate_of_id: int | None
    is_low_signal: bool
    is_anonymous: bool = Field(description="Sent without an account; the researcher follows it by a secret link.")
    contact_email: str = Field(description="Anonymous submissions: the address the reporter gave, if any.")

    @classmethod
    def of(cls, report: Report) -> "ReportOut":
        return cls(**cls.values_of(report))

    @classmethod
    def values_of(cls, report: Report) -> dict[str, Any]:
        """The staff view's values, read from the report's fields: `of` validates them, a list
        page of many reports may build from them unvalidated (see triage's QueueItemOut)."""
        return _shared_fields(report) | {
            "state": report.state,
            "researcher_status": report.researcher_status,
            "allowed_next_states": sorted(report.allowed_next_states()),
            "researcher_id": report.researcher_id,
            "duplicate_of_id": report.duplicate_of_id,
            "is_low_signal": report.is_low_signal,
            "is_anonymous": report.is_anonymous,
            "contact_email": report.contact_email,
        }


# Built field by field (`of`) rather than read through aliases: ninja validates a union
# response again, and only plain fields survive that. `view` tells the two apart.
AnyReportOut = Annotated[ReportOut | ResearcherReportOut, Field(discriminator="view")]


class TimelineEntryOut(Schema):
    """One public event of a report: a status change, or the agreed disclosure date set, moved or withdrawn."""

    at: dt.datetime
    text: str = Field(description="The new status ('In review'), or 'Disclosure date agreed' / 'moved' / 'withdrawn'.")
    disclosure_on: dt.date | None = Field(description="The agreed disclosure date, for the date events.")


class AttachmentOut(Schema):
    id: int
    name: str = Field(alias="original_name")
    kind: str = Field(description="What the content is, judged by its bytes: text, pdf, png, zip, …")
    media_type: str
    size: int = Field(description="Bytes.")
    sha256: str
    created_at: dt.datetime
