"""API shapes of vulnerabilities and their CVSS scores."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator

from vulndesk.core.api import Page, PageParams
from vulndesk.core.taxonomy import ImpactType, Severity

# Literal types make ninja answer an unknown enum value with a 422 that lists the allowed ones.
ImpactTypeChoice = Literal["rce", "eop", "info", "dos", "sfb", "spoofing", "tampering", "did"]
SeverityChoice = Literal["critical", "important", "moderate", "low"]
AttackVectorChoice = Literal["network", "adjacent", "local", "physical"]
ProductKindChoice = Literal["client", "server", "online_service"]


class VulnerabilityIn(Schema):
    """The full details; PUT replaces them all, the score is computed from `cvss_vector`."""

    title: str = Field(max_length=200)
    impact_type: str = Field(description=f"One of: {', '.join(ImpactType.values)}.")
    severity: str = Field(description=f"One of: {', '.join(Severity.values)}.")
    cve_id: str | None = Field(None, description="e.g. CVE-2026-12345")
    description: str = ""
    cwe: str = Field("", description="e.g. CWE-79")
    cvss_vector: str = Field("", description="CVSS 3.x or 4.0 vector; empty for none.")


class VulnerabilityUpdateIn(VulnerabilityIn):
    rationale: str = Field("", description="Why it changed; recorded with old and new values.")


class VulnerabilityPatchIn(Schema):
    """Only the fields sent change. A null is refused, except for `cve_id` (it removes the id)."""

    title: str | None = Field(None, max_length=200)
    impact_type: str | None = None
    severity: str | None = None
    cve_id: str | None = None
    description: str | None = None
    cwe: str | None = None
    cvss_vector: str | None = None
    rationale: str = Field("", description="Why it changed; recorded with old and new values.")

    # None is how an omitted field looks; a null actually sent for these is a mistake to report.
    @field_validator("title", "impact_type", "severity", "description", "cwe", "cvss_vector", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value


class VulnerabilityQuery(PageParams):
    case_id: int | None = None


class VulnerabilityOut(Schema):
    id: int
    reference: str
    case_id: int
    cve_id: str | None
    title: str
    description: str
    impact_type: str
    severity: str
    cwe: str
    cvss_vector: str
    cvss_version: str
    cvss_score: float | None
    priority: int | None = Field(description="0 (P0, most urgent) to 4; null until computed.")
    priority_explanation: str
    priority_override: int | None = Field(description="Set by hand with a rationale; null when computed.")
    affected_customers: int | None = Field(description="Customers running an affected version, when known.")
    created_at: dt.datetime
    updated_at: dt.datetime


class VulnerabilityPage(Page[VulnerabilityOut]):
    pass


class CvssIn(Schema):
    vector: str = Field(
        max_length=300, description="A CVSS 3.1 or 4.0 vector (2.0 and 3.0 are scored too, for imported data)."
    )


class CvssOut(Schema):
    version: str = Field(description="2.0, 3.0, 3.1 or 4.0")
    vector: str = Field(description="The vector in its canonical metric order.")
    base_score: float
    temporal_score: float | None = Field(description="CVSS 3.x and 2.0; null for 4.0 (see `score`).")
    environmental_score: float | None = Field(description="CVSS 3.x and 2.0; null for 4.0 (see `score`).")
    score: float = Field(description="The score to act on: 4.0's CVSS-B/BT/BE/BTE score, else the most specific one.")
    nomenclature: str = Field(description="CVSS 4.0: CVSS-B, CVSS-BT, CVSS-BE or CVSS-BTE; empty for 3.x and 2.0.")
    rating: str = Field(description="None, Low, Medium, High or Critical, for `score`.")
    base_rating: str = Field(description="The rating of `base_score` (what CVE records call baseSeverity).")
    metrics: dict[str, str] = Field(description="The metrics as written in the vector.")


class ScoreChangeOut(Schema):
    id: int
    kind: str = Field(description="cvss or severity")
    changed_at: dt.datetime
    changed_by: str | None = Field(description="Display name of who changed it; null for the system (imports).")
    old_value: str
    new_value: str
    old_score: float | None
    new_score: float | None
    rationale: str


class SeverityConditionsIn(Schema):
    """What the bug bar needs. Give `cvss_vector` to derive attack vector, authentication and user
    interaction from it; fields given explicitly win over the vector."""

    impact_type: ImpactTypeChoice
    cvss_vector: str = Field("", max_length=300, description="CVSS 3.x or 4.0; supplies AV, PR and UI.")
    attack_vector: AttackVectorChoice | None = None
    requires_authentication: bool | None = None
    requires_user_interaction: bool | None = None
    is_default_configuration: bool = True
    product_kind: ProductKindChoice | None = Field(None, description="Unknown when left out.")
    chained_impact_type: ImpactTypeChoice | None = Field(
        None, description="The higher class reached by chaining with by-design behaviour; rated at that class."
    )


class SeverityProposalOut(Schema):
    severity: str
    rule: str = Field(description="The bug bar rule that fired.")
    explanation: str
    conditions: dict[str, Any] = Field(description="The conditions the rules saw, after deriving from the vector.")


class ProductSeverityIn(SeverityConditionsIn):
    product: str = Field(description="The product's slug.")
    product_kind: ProductKindChoice = Field(description="client, server or online_service")
    severity: SeverityChoice | None = Field(None, description="Leave out to accept the proposal.")
    rationale: str = Field("", description="Required when `severity` differs from the proposal.")


class ProductSeverityOut(Schema):
    product: str = Field(description="The product's slug.")
    product_name: str
    product_kind: str
    attack_vector: str
    requires_authentication: bool
    requires_user_interaction: bool
    is_default_configuration: bool
    chained_impact_type: str
    proposed_severity: str
    proposed_by_rule: str
    severity: str
    is_override: bool
    rationale: str
    assessed_by: str
    assessed_at: dt.datetime


ExploitabilityChoice = Literal["detected", "more_likely", "less_likely", "unlikely", "n/a"]


class ExploitabilityIn(Schema):
    latest_release: ExploitabilityChoice
    older_releases: ExploitabilityChoice
    is_publicly_disclosed: bool
    is_exploited: bool = Field(description="Must agree with `detected` in either release.")
    rationale: str = ""


class ExploitabilityOut(Schema):
    id: int
    latest_release: str
    older_releases: str
    is_publicly_disclosed: bool
    is_exploited: bool
    summary: str = Field(description="In MSRC's own wording.")
    rationale: str
    assessed_by: str
    assessed_at: dt.datetime


class SsvcIn(Schema):
    """Supplier tree: exploitation, (utility | automatable + value_density), technical_impact,
    public_safety_impact. Deployer tree: exploitation, exposure, automatable,
    (human_impact | safety_impact + mission_impact). Values as in CERT/CC's tables."""

    tree: Literal["supplier", "deployer"] = "supplier"
    exploitation: Literal["none", "PoC", "active"]
    utility: Literal["laborious", "efficient", "super effective"] | None = None
    automatable: Literal["no", "yes"] | None = None
    value_density: Literal["diffuse", "concentrated"] | None = None
    technical_impact: Literal["partial", "total"] | None = None
    public_safety_impact: Literal["minimal", "significant"] | None = None
    exposure: Literal["small", "controlled", "open"] | None = None
    human_impact: Literal["low", "medium", "high", "very high"] | None = None
    safety_impact: Literal["None", "Minor", "Major", "Hazardous", "Catastrophic"] | None = None
    mission_impact: Literal["None", "Degraded", "Crippled", "MEF Failure", "Mission Failure"] | None = None
    rationale: str = Field("", description="Kept with a recorded decision.")


class SsvcDecisionPointOut(Schema):
    name: str
    version: str
    value: str


class SsvcOut(Schema):
    tree: str
    outcome: str = Field(description="defer, scheduled, out-of-cycle or immediate")
    decision_points: dict[str, SsvcDecisionPointOut]
    vector: str


class SsvcAssessmentOut(SsvcOut):
    id: int
    rationale: str
    decided_by: str
    decided_at: dt.datetime


class PriorityOut(Schema):
    priority: int | None = Field(description="The priority in force: the override if any, else the computed one.")
    label: str = Field(description="P0 … P4")
    computed: int
    explanation: str = Field(
        description="e.g. 'Critical RCE, exploitation more likely, internet-facing service → P0: …'"
    )
    reasons: list[str]
    action: str
    fix_target: str = Field(
        description="The triage SLA fix target of the priority in force, e.g. '7 calendar days' (configured "
        "as triage SLA targets); the explanation names the computed priority's."
    )
    case_fix_due_at: dt.datetime | None = Field(
        description="The case's triage SLA fix clock: due time from the case's most urgent priority (the SLA)."
    )
    case_fix_target: str = Field(description="e.g. '7 calendar days'; configured in triage's SLA targets.")
    override: int | None
    override_rationale: str


class PriorityOverrideIn(Schema):
    priority: int | None = Field(description="0 to 4; null gives the priority back to the computation.", ge=0, le=4)
    rationale: str = Field(description="Required.")


class ComponentCveIn(Schema):
    cve_id: str = Field(description="The component's CVE, e.g. CVE-2024-3094")
    component: str = Field(max_length=200, description="e.g. xz-utils 5.6.0")


class ThreatMatchOut(Schema):
    cve_id: str
    source: str = Field(description="'own' or the component's name")
    kev_date_added: dt.date | None
    kev_due_date: dt.date | None
    kev_ransomware: str
    epss: float | None
    epss_percentile: float | None
    epss_date: dt.date | None


class ThreatImportOut(Schema):
    id: int
    kind: str
    file_name: str
    rows: int
    created: int
    updated: int
    matched_vulnerabilities: int
    data_date: dt.date | None
    imported_at: dt.datetime
    seconds: float


class AffectedCustomersIn(Schema):
    affected_customers: int | None = Field(ge=0, description="Customers running an affected version; null: unknown.")
    rationale: str = ""
