"""Vulnerabilities of a case: identified by CVE, scored with CVSS."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from vulndesk.catalog.selectors import get_product
from vulndesk.core.api import caller, paginate, problem_responses, referenced, require
from vulndesk.core.permissions import Permission
from vulndesk.scoring.bug_bar import Conditions
from vulndesk.scoring.models import (
    ExploitabilityAssessment,
    ProductSeverity,
    ScoreChange,
    SsvcAssessment,
    Vulnerability,
)
from vulndesk.scoring.schemas import (
    CvssIn,
    CvssOut,
    ExploitabilityIn,
    ExploitabilityOut,
    ProductSeverityIn,
    ProductSeverityOut,
    ScoreChangeOut,
    SeverityConditionsIn,
    SeverityProposalOut,
    SsvcAssessmentOut,
    SsvcIn,
    SsvcOut,
    VulnerabilityIn,
    VulnerabilityOut,
    VulnerabilityPage,
    VulnerabilityPatchIn,
    VulnerabilityQuery,
    VulnerabilityUpdateIn,
)
from vulndesk.scoring.selectors import (
    get_vulnerability_for_user,
    list_exploitability_of,
    list_product_severities_of,
    list_score_changes,
    list_ssvc_assessments_of,
    list_vulnerabilities_for_user,
)
from vulndesk.scoring.services import (
    VulnerabilityDetails,
    assess_exploitability,
    assess_product_severity,
    create_vulnerability,
    decide_ssvc,
    propose_product_severity,
    record_ssvc_decision,
    score_vector,
    severity_conditions,
    update_vulnerability,
)
from vulndesk.scoring.ssvc import SsvcDecision
from vulndesk.triage.selectors import get_case_for_user

router = Router(tags=["vulnerabilities"])


@router.post(
    "/scoring/cvss",
    response=CvssOut,
    tags=["scoring"],
    summary="Score a CVSS vector",
    description="Any signed-in user (researchers use it on the submission form). Nothing is stored.",
    openapi_extra=problem_responses(401, 422),
)
def score_cvss(request: HttpRequest, payload: CvssIn) -> dict[str, Any]:
    caller(request)
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


@router.get(
    "/vulnerabilities/{vulnerability_id}",
    response=VulnerabilityOut,
    summary="Get a vulnerability",
    openapi_extra=problem_responses(401, 404),
)
def get_vulnerability(request: HttpRequest, vulnerability_id: int) -> Vulnerability:
    return get_vulnerability_for_user(caller(request), vulnerability_id)


@router.put(
    "/vulnerabilities/{vulnerability_id}",
    response=VulnerabilityOut,
    summary="Replace a vulnerability's details",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def put_vulnerability(request: HttpRequest, vulnerability_id: int, payload: VulnerabilityUpdateIn) -> Vulnerability:
    user = caller(request)
    vulnerability = get_vulnerability_for_user(user, vulnerability_id)
    require(user, Permission.VULNERABILITY_MANAGE, vulnerability)
    details = VulnerabilityDetails(**payload.model_dump(exclude={"rationale"}))
    return update_vulnerability(vulnerability, details, actor=user, rationale=payload.rationale)


@router.patch(
    "/vulnerabilities/{vulnerability_id}",
    response=VulnerabilityOut,
    summary="Change some of a vulnerability's details",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def patch_vulnerability(request: HttpRequest, vulnerability_id: int, payload: VulnerabilityPatchIn) -> Vulnerability:
    user = caller(request)
    vulnerability = get_vulnerability_for_user(user, vulnerability_id)
    require(user, Permission.VULNERABILITY_MANAGE, vulnerability)
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


@router.get(
    "/vulnerabilities/{vulnerability_id}/score-history",
    response=list[ScoreChangeOut],
    summary="A vulnerability's scoring history: who changed the vector or severity, when, from what, and why",
    openapi_extra=problem_responses(401, 404),
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


@router.get(
    "/vulnerabilities/{vulnerability_id}/severities",
    response=list[ProductSeverityOut],
    summary="Severity per affected product (the vulnerability's severity is the highest)",
    openapi_extra=problem_responses(401, 404),
)
def list_product_severities(request: HttpRequest, vulnerability_id: int) -> list[dict[str, Any]]:
    vulnerability = get_vulnerability_for_user(caller(request), vulnerability_id)
    return [_product_severity_out(item) for item in list_product_severities_of(vulnerability)]


@router.post(
    "/vulnerabilities/{vulnerability_id}/severities",
    response=ProductSeverityOut,
    summary="Rate the vulnerability in one product: accept the bug bar's proposal or override it with a rationale",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_product_severity(request: HttpRequest, vulnerability_id: int, payload: ProductSeverityIn) -> dict[str, Any]:
    user = caller(request)
    vulnerability = get_vulnerability_for_user(user, vulnerability_id)
    require(user, Permission.VULNERABILITY_MANAGE, vulnerability)
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


@router.get(
    "/vulnerabilities/{vulnerability_id}/exploitability",
    response=list[ExploitabilityOut],
    summary="Exploitability assessments, newest (current) first",
    openapi_extra=problem_responses(401, 404),
)
def list_exploitability(request: HttpRequest, vulnerability_id: int) -> list[dict[str, Any]]:
    vulnerability = get_vulnerability_for_user(caller(request), vulnerability_id)
    return [_exploitability_out(item) for item in list_exploitability_of(vulnerability)]


@router.post(
    "/vulnerabilities/{vulnerability_id}/exploitability",
    response=ExploitabilityOut,
    summary="Assess exploitability (MSRC Exploitability Index); the case's followers are notified of a change",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_exploitability(request: HttpRequest, vulnerability_id: int, payload: ExploitabilityIn) -> dict[str, Any]:
    user = caller(request)
    vulnerability = get_vulnerability_for_user(user, vulnerability_id)
    require(user, Permission.VULNERABILITY_MANAGE, vulnerability)
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


@router.get(
    "/vulnerabilities/{vulnerability_id}/ssvc",
    response=list[SsvcAssessmentOut],
    summary="SSVC decisions, newest first",
    openapi_extra=problem_responses(401, 404),
)
def list_ssvc(request: HttpRequest, vulnerability_id: int) -> list[dict[str, Any]]:
    vulnerability = get_vulnerability_for_user(caller(request), vulnerability_id)
    return [_ssvc_assessment_out(item) for item in list_ssvc_assessments_of(vulnerability)]


@router.post(
    "/vulnerabilities/{vulnerability_id}/ssvc",
    response={201: SsvcAssessmentOut},
    summary="Record an SSVC decision for a vulnerability",
    openapi_extra=problem_responses(401, 403, 404, 422),
)
def post_ssvc(request: HttpRequest, vulnerability_id: int, payload: SsvcIn) -> Status[dict[str, Any]]:
    user = caller(request)
    vulnerability = get_vulnerability_for_user(user, vulnerability_id)
    require(user, Permission.VULNERABILITY_MANAGE, vulnerability)
    decision = decide_ssvc(payload.tree, _ssvc_values(payload))
    assessment = record_ssvc_decision(vulnerability, decision, actor=user, rationale=payload.rationale)
    return Status(201, _ssvc_assessment_out(assessment))
