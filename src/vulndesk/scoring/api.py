"""Vulnerabilities of a case: identified by CVE, scored with CVSS."""

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from django.http import HttpRequest
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from vulndesk.accounts.models import User
from vulndesk.catalog.selectors import get_product
from vulndesk.core.api import PUBLIC, caller, paginate, problem_responses, referenced, require
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Permission
from vulndesk.scoring.bug_bar import Conditions
from vulndesk.scoring.models import (
    ExploitabilityAssessment,
    ProductSeverity,
    ScoreChange,
    SsvcAssessment,
    ThreatImport,
    Vulnerability,
)
from vulndesk.scoring.priority import ACTIONS
from vulndesk.scoring.schemas import (
    AffectedCustomersIn,
    ComponentCveIn,
    CvssIn,
    CvssOut,
    ExploitabilityIn,
    ExploitabilityOut,
    PriorityOut,
    PriorityOverrideIn,
    ProductSeverityIn,
    ProductSeverityOut,
    ScoreChangeOut,
    SeverityConditionsIn,
    SeverityProposalOut,
    SsvcAssessmentOut,
    SsvcIn,
    SsvcOut,
    ThreatImportOut,
    ThreatMatchOut,
    VulnerabilityIn,
    VulnerabilityOut,
    VulnerabilityPage,
    VulnerabilityPatchIn,
    VulnerabilityQuery,
    VulnerabilityUpdateIn,
)
from vulndesk.scoring.selectors import (
    ThreatMatch,
    case_fix_clock,
    get_vulnerability_for_user,
    list_exploitability_of,
    list_product_severities_of,
    list_score_changes,
    list_ssvc_assessments_of,
    list_threat_matches,
    list_vulnerabilities_for_user,
)
from vulndesk.scoring.services import (
    VulnerabilityDetails,
    add_component_cve,
    assess_exploitability,
    assess_product_severity,
    create_vulnerability,
    decide_ssvc,
    fix_targets,
    import_epss,
    import_kev,
    override_priority,
    priority_of,
    propose_product_severity,
    record_ssvc_decision,
    score_vector,
    set_affected_customers,
    severity_conditions,
    update_vulnerability,
)
from vulndesk.scoring.ssvc import SsvcDecision
from vulndesk.scoring.threat_files import ThreatFileError, parse_epss, parse_kev
from vulndesk.triage.selectors import get_case_for_user

router = Router(tags=["vulnerabilities"])

_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def _reads(path: str, response: Any, summary: str) -> Callable[[_Handler], _Handler]:
    """Route a GET of one vulnerability or of its scoring: 404 for whoever may not see it."""
    return router.get(path, response=response, summary=summary, openapi_extra=problem_responses(401, 404))


def _changes(method: str, path: str, response: Any, summary: str) -> Callable[[_Handler], _Handler]:
    """Route a write to one vulnerability: 404 for whoever may not see it, 403 for whoever may not change it."""
    return router.api_operation(
        [method], path, response=response, summary=summary, openapi_extra=problem_responses(401, 403, 404, 422)
    )


def _to_change(request: HttpRequest, vulnerability_id: int) -> tuple[User, Vulnerability]:
    """The caller and the vulnerability, if they may see it (else 404) and change it (else 403)."""
    user = caller(request)
    vulnerability = get_vulnerability_for_user(user, vulnerability_id)
    require(user, Permission.VULNERABILITY_MANAGE, vulnerability)
    return user, vulnerability


@router.post(
    "/scoring/cvss",
    response=CvssOut,
    tags=["scoring"],
    summary="Score a CVSS vector",
    description="Public, like a published calculator: the submission form's calculator uses it, also for "
    "anonymous reporters. Nothing is stored.",
    auth=PUBLIC,
    openapi_extra=problem_responses(401, 422, public=True),
)
def score_cvss(request: HttpRequest, payload: CvssIn) -> dict[str, Any]:
    score = score_vector(payload.vector)
    return {
        "version": score.version,
        "vector": score.vector,
        "base_score": score.base_score,
        "temporal_score": score.temporal_score,
        "environmental_score": score.environmental_score,
        "score": score.overall_score,
        "nomenclature": score.nomenclature,
        "rating": score.rating,
        "base_rating": score.base_rating,
        "metrics": score.metrics,
    }


@router.post(
    "/cases/{case_id}/vulnerabilities",
    response={201: VulnerabilityOut},
    summary="Record a vulnerability in a case",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_vulnerability(request: HttpRequest, case_id: int, payload: VulnerabilityIn) -> Vulnerability:
    user = caller(request)
    case = get_case_for_user(user, case_id)
    require(user, Permission.VULNERABILITY_MANAGE, case)
    return create_vulnerability(case, VulnerabilityDetails(**payload.model_dump()), actor=user)


@router.get(
    "/vulnerabilities",
    response=VulnerabilityPage,
    summary="List vulnerabilities",
    openapi_extra=problem_responses(401, 422),
)
def list_vulnerabilities(request: HttpRequest, query: Query[VulnerabilityQuery]) -> dict[str, Any]:
    return paginate(list_vulnerabilities_for_user(caller(request), case_id=query.case_id), query)


@_reads("/vulnerabilities/{vulnerability_id}", VulnerabilityOut, "Get a vulnerability")
def get_vulnerability(request: HttpRequest, vulnerability_id: int) -> Vulnerability:
    return get_vulnerability_for_user(caller(request), vulnerability_id)


@_changes("PUT", "/vulnerabilities/{vulnerability_id}", VulnerabilityOut, "Replace a vulnerability's details")
def put_vulnerability(request: HttpRequest, vulnerability_id: int, payload: VulnerabilityUpdateIn) -> Vulnerability:
    user, vulnerability = _to_change(request, vulnerability_id)
    details = VulnerabilityDetails(**payload.model_dump(exclude={"rationale"}))
    return update_vulnerability(vulnerability, details, actor=user, rationale=payload.rationale)


@_changes("PATCH", "/vulnerabilities/{vulnerability_id}", VulnerabilityOut, "Change some of a vulnerability's details")
def patch_vulnerability(request: HttpRequest, vulnerability_id: int, payload: VulnerabilityPatchIn) -> Vulnerability:
    user, vulnerability = _to_change(request, vulnerability_id)
    current = {
        "title": vulnerability.title,
        "impact_type": vulnerability.impact_type,
        "severity": vulnerability.severity,
        "cve_id": vulnerability.cve_id,
        "description": vulnerability.description,
        "cwe": vulnerability.cwe,
        "cvss_vector": vulnerability.cvss_vector,
    }
    changed = payload.model_dump(exclude={"rationale"}, exclude_unset=True)
    details = VulnerabilityDetails(**(current | changed))
    return update_vulnerability(vulnerability, details, actor=user, rationale=payload.rationale)


def _score_change_out(change: ScoreChange) -> dict[str, Any]:
    return {
        "id": change.pk,
        "kind": change.kind,
        "changed_at": change.changed_at,
        "changed_by": str(change.changed_by) if change.changed_by else None,
        "old_value": change.old_value,
        "new_value": change.new_value,
        "old_score": change.old_score,
        "new_score": change.new_score,
        "rationale": change.rationale,
    }


@_reads(
    "/vulnerabilities/{vulnerability_id}/score-history",
    list[ScoreChangeOut],
    "A vulnerability's scoring history: who changed the vector or severity, when, from what, and why",
)
def get_score_history(request: HttpRequest, vulnerability_id: int) -> list[dict[str, Any]]:
    vulnerability = get_vulnerability_for_user(caller(request), vulnerability_id)
    return [_score_change_out(change) for change in list_score_changes(vulnerability)]


def _conditions(payload: SeverityConditionsIn) -> Conditions:
    return severity_conditions(
        payload.impact_type,
        cvss_vector=payload.cvss_vector,
        attack_vector=payload.attack_vector,
        requires_authentication=payload.requires_authentication,
        requires_user_interaction=payload.requires_user_interaction,
        is_default_configuration=payload.is_default_configuration,
        product_kind=payload.product_kind,
        chained_impact_type=payload.chained_impact_type,
    )


@router.post(
    "/scoring/severity",
    response=SeverityProposalOut,
    tags=["scoring"],
    summary="Propose an MSRC-style severity from impact type and conditions",
    description="Staff only. Nothing is stored; record a decision with POST /vulnerabilities/{id}/severities.",
    openapi_extra=problem_responses(401, 403, 422),
)
def propose_severity(request: HttpRequest, payload: SeverityConditionsIn) -> dict[str, Any]:
    require(caller(request), Permission.VULNERABILITY_VIEW)
    proposal = propose_product_severity(_conditions(payload))
    return {
        "severity": proposal.severity,
        "rule": proposal.rule.name,
        "explanation": proposal.explanation,
        "conditions": vars(proposal.conditions),
    }


def _product_severity_out(assessment: ProductSeverity) -> dict[str, Any]:
    return {
        "product": assessment.product.slug,
        "product_name": assessment.product.name,
        "is_override": assessment.is_override,
        "assessed_by": str(assessment.assessed_by),
    } | {
        name: getattr(assessment, name)
        for name in (
            "product_kind",
            "attack_vector",
            "requires_authentication",
            "requires_user_interaction",
            "is_default_configuration",
            "chained_impact_type",
            "proposed_severity",
            "proposed_by_rule",
            "severity",
            "rationale",
            "assessed_at",
        )
    }


@_reads(
    "/vulnerabilities/{vulnerability_id}/severities",
    list[ProductSeverityOut],
    "Severity per affected product (the vulnerability's severity is the highest)",
)
def list_product_severities(request: HttpRequest, vulnerability_id: int) -> list[dict[str, Any]]:
    vulnerability = get_vulnerability_for_user(caller(request), vulnerability_id)
    return [_product_severity_out(item) for item in list_product_severities_of(vulnerability)]


@_changes(
    "POST",
    "/vulnerabilities/{vulnerability_id}/severities",
    ProductSeverityOut,
    "Rate the vulnerability in one product: accept the bug bar's proposal or override it with a rationale",
)
def post_product_severity(request: HttpRequest, vulnerability_id: int, payload: ProductSeverityIn) -> dict[str, Any]:
    user, vulnerability = _to_change(request, vulnerability_id)
    product = referenced("product", get_product, payload.product)
    assessment = assess_product_severity(
        vulnerability,
        product,
        _conditions(payload),
        actor=user,
        severity=payload.severity,
        rationale=payload.rationale,
    )
    return _product_severity_out(assessment)


def _exploitability_out(assessment: ExploitabilityAssessment) -> dict[str, Any]:
    return {
        "id": assessment.pk,
        "latest_release": assessment.latest_release,
        "older_releases": assessment.older_releases,
        "is_publicly_disclosed": assessment.is_publicly_disclosed,
        "is_exploited": assessment.is_exploited,
        "summary": assessment.summary,
        "rationale": assessment.rationale,
        "assessed_by": str(assessment.assessed_by),
        "assessed_at": assessment.assessed_at,
    }


@_reads(
    "/vulnerabilities/{vulnerability_id}/exploitability",
    list[ExploitabilityOut],
    "Exploitability assessments, newest (current) first",
)
def list_exploitability(request: HttpRequest, vulnerability_id: int) -> list[dict[str, Any]]:
    vulnerability = get_vulnerability_for_user(caller(request), vulnerability_id)
    return [_exploitability_out(item) for item in list_exploitability_of(vulnerability)]


@_changes(
    "POST",
    "/vulnerabilities/{vulnerability_id}/exploitability",
    ExploitabilityOut,
    "Assess exploitability (MSRC Exploitability Index); the vulnerability's followers are notified of a change",
)
def post_exploitability(request: HttpRequest, vulnerability_id: int, payload: ExploitabilityIn) -> dict[str, Any]:
    user, vulnerability = _to_change(request, vulnerability_id)
    assessment = assess_exploitability(vulnerability, actor=user, **payload.model_dump())
    return _exploitability_out(assessment)


def _ssvc_values(payload: SsvcIn) -> dict[str, str | None]:
    return payload.model_dump(exclude={"tree", "rationale"})


def _decision_out(decision: SsvcDecision) -> dict[str, Any]:
    return {
        "tree": decision.tree,
        "outcome": decision.outcome,
        "decision_points": {
            key: {"name": name, "version": version, "value": value}
            for key, (name, version, value) in decision.inputs.items()
        },
        "vector": decision.vector,
    }


@router.post(
    "/scoring/ssvc",
    response=SsvcOut,
    tags=["scoring"],
    summary="Run CERT/CC's SSVC supplier or deployer tree",
    description="Staff only. Nothing is stored; record a decision with POST /vulnerabilities/{id}/ssvc.",
    openapi_extra=problem_responses(401, 403, 422),
)
def evaluate_ssvc(request: HttpRequest, payload: SsvcIn) -> dict[str, Any]:
    require(caller(request), Permission.VULNERABILITY_VIEW)
    return _decision_out(decide_ssvc(payload.tree, _ssvc_values(payload)))


def _ssvc_assessment_out(assessment: SsvcAssessment) -> dict[str, Any]:
    return {
        "id": assessment.pk,
        "tree": assessment.tree,
        "outcome": assessment.outcome,
        "decision_points": assessment.decision_points,
        "vector": f"{assessment.tree} {assessment.path} → {assessment.outcome}",
        "rationale": assessment.rationale,
        "decided_by": str(assessment.decided_by),
        "decided_at": assessment.decided_at,
    }


@_reads("/vulnerabilities/{vulnerability_id}/ssvc", list[SsvcAssessmentOut], "SSVC decisions, newest first")
def list_ssvc(request: HttpRequest, vulnerability_id: int) -> list[dict[str, Any]]:
    vulnerability = get_vulnerability_for_user(caller(request), vulnerability_id)
    return [_ssvc_assessment_out(item) for item in list_ssvc_assessments_of(vulnerability)]


@_changes(
    "POST",
    "/vulnerabilities/{vulnerability_id}/ssvc",
    {201: SsvcAssessmentOut},
    "Record an SSVC decision for a vulnerability",
)
def post_ssvc(request: HttpRequest, vulnerability_id: int, payload: SsvcIn) -> Status[dict[str, Any]]:
    user, vulnerability = _to_change(request, vulnerability_id)
    decision = decide_ssvc(payload.tree, _ssvc_values(payload))
    assessment = record_ssvc_decision(vulnerability, decision, actor=user, rationale=payload.rationale)
    return Status(201, _ssvc_assessment_out(assessment))


def _priority_out(vulnerability: Vulnerability) -> dict[str, Any]:
    computed = priority_of(vulnerability)
    in_force = vulnerability.priority_override if vulnerability.priority_override is not None else computed.level
    clock = case_fix_clock(vulnerability)
    return {
        "priority": in_force,
        "label": f"P{in_force}",
        "computed": computed.level,
        "explanation": computed.explanation,
        "reasons": list(computed.reasons),
        "action": ACTIONS[in_force],
        "fix_target": fix_targets()[in_force],
        "case_fix_due_at": clock.due_at,
        "case_fix_target": clock.target,
        "override": vulnerability.priority_override,
        "override_rationale": vulnerability.priority_override_rationale,
    }


@_reads(
    "/vulnerabilities/{vulnerability_id}/priority",
    PriorityOut,
    "The vulnerability's priority P0 to P4 with its explanation, fix target and the case's fix clock",
)
def get_priority(request: HttpRequest, vulnerability_id: int) -> dict[str, Any]:
    return _priority_out(get_vulnerability_for_user(caller(request), vulnerability_id))


@_changes(
    "PUT",
    "/vulnerabilities/{vulnerability_id}/priority-override",
    PriorityOut,
    "Set the priority by hand with a rationale, or give it back to the computation (priority null)",
)
def put_priority_override(request: HttpRequest, vulnerability_id: int, payload: PriorityOverrideIn) -> dict[str, Any]:
    user, vulnerability = _to_change(request, vulnerability_id)
    return _priority_out(override_priority(vulnerability, payload.priority, actor=user, rationale=payload.rationale))


@_changes(
    "POST",
    "/vulnerabilities/{vulnerability_id}/component-cves",
    {201: ThreatMatchOut},
    "Add a third-party component CVE the vulnerability inherits (threat data matches on it)",
)
def post_component_cve(request: HttpRequest, vulnerability_id: int, payload: ComponentCveIn) -> Status[dict[str, Any]]:
    user, vulnerability = _to_change(request, vulnerability_id)
    link = add_component_cve(vulnerability, payload.cve_id, payload.component, actor=user)
    match = next(item for item in list_threat_matches(vulnerability) if item.cve_id == link.cve_id)
    return Status(201, _threat_match_out(match))


def _threat_match_out(match: ThreatMatch) -> dict[str, Any]:
    return {
        "cve_id": match.cve_id,
        "source": match.source,
        "kev_date_added": match.kev.date_added if match.kev else None,
        "kev_due_date": match.kev.due_date if match.kev else None,
        "kev_ransomware": match.kev.known_ransomware_campaign_use if match.kev else "",
        "epss": match.epss.epss if match.epss else None,
        "epss_percentile": match.epss.percentile if match.epss else None,
        "epss_date": match.epss.score_date if match.epss else None,
    }


@_reads(
    "/vulnerabilities/{vulnerability_id}/threat-data",
    list[ThreatMatchOut],
    "KEV and EPSS data for the vulnerability's CVE id and its components' CVEs",
)
def get_threat_data(request: HttpRequest, vulnerability_id: int) -> list[dict[str, Any]]:
    vulnerability = get_vulnerability_for_user(caller(request), vulnerability_id)
    return [_threat_match_out(match) for match in list_threat_matches(vulnerability)]


@router.post(
    "/scoring/threat-imports/{kind}",
    response={201: ThreatImportOut},
    tags=["scoring"],
    summary="Import CISA's KEV catalog (kind=kev, JSON) or FIRST's EPSS scores (kind=epss, CSV or .csv.gz)",
    description="Multipart upload in `file`. The whole file is checked first; one bad line (named in the 422) "
    "and nothing is imported. Importing the same file again changes nothing.",
    openapi_extra=problem_responses(401, 403, 422),
)
def post_threat_import(
    request: HttpRequest, kind: Literal["kev", "epss"], file: File[UploadedFile]
) -> Status[ThreatImport]:
    user = caller(request)
    require(user, Permission.VULNERABILITY_MANAGE)
    try:
        if kind == "kev":
            record = import_kev(parse_kev(file.read()), file_name=file.name or "upload", actor=user)
        else:
            record = import_epss(parse_epss(file.open("rb")), file_name=file.name or "upload", actor=user)
    except ThreatFileError as error:
        raise RuleViolation(f"{error}. Nothing was imported.", field="file") from None
    return Status(201, record)


@_changes(
    "PUT",
    "/vulnerabilities/{vulnerability_id}/affected-customers",
    PriorityOut,
    "Record how many customers are affected (null: unknown); 10,000 or more raises the priority",
)
def put_affected_customers(request: HttpRequest, vulnerability_id: int, payload: AffectedCustomersIn) -> dict[str, Any]:
    user, vulnerability = _to_change(request, vulnerability_id)
    updated = set_affected_customers(vulnerability, payload.affected_customers, actor=user, rationale=payload.rationale)
    return _priority_out(updated)
