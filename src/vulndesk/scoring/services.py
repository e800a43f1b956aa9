"""Recording vulnerabilities and their scores."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Product
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import record_event
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.intake.models import validate_cwe
from vulndesk.lib.cvss_vectors import CvssScore, InvalidCvssVector, score_cvss_vector
from vulndesk.scoring.bug_bar import (
    DEFAULT_RULES,
    Conditions,
    NoRuleMatched,
    Proposal,
    Rule,
    conditions_from_cvss,
    highest_severity,
    propose_severity,
)
from vulndesk.scoring.models import (
    BugBarRule,
    Exploitability,
    ExploitabilityAssessment,
    ProductSeverity,
    ScoreChange,
    SsvcAssessment,
    Vulnerability,
    validate_cve_id,
)
from vulndesk.scoring.ssvc import InvalidSsvcValue, SsvcDecision, deployer_decision, supplier_decision
from vulndesk.scoring.tasks import notify_exploitability_change
from vulndesk.triage.models import Case


@dataclass(frozen=True)
class VulnerabilityDetails:
    title: str
    impact_type: str
    severity: str
    cve_id: str | None = None
    description: str = ""
    cwe: str = ""
    cvss_vector: str = ""


def score_vector(vector: str, *, field: str = "vector") -> CvssScore:
    """Score a CVSS vector, or raise RuleViolation on `field` with a message naming the bad metric."""
    try:
        return score_cvss_vector(vector)
    except InvalidCvssVector as error:
        message = str(error)
        if error.metric:
            message = f"{error.metric}: {message}"
        raise RuleViolation(message, field=field) from None


def _validated_fields(details: VulnerabilityDetails, *, exclude_pk: int | None = None) -> dict[str, Any]:
    if not details.title.strip():
        raise RuleViolation("Give the vulnerability a title.", field="title")
    if details.impact_type not in ImpactType.values:
        raise RuleViolation(f"Unknown impact type {details.impact_type!r}.", field="impact_type")
    if details.severity not in Severity.values:
        raise RuleViolation(
            f"Unknown severity {details.severity!r}; use critical, important, moderate or low.", field="severity"
        )
    cve_id = (details.cve_id or "").strip().upper() or None
    cwe = details.cwe.strip().upper()
    try:
        if cve_id:
            validate_cve_id(cve_id)
    except ValidationError as error:
        raise RuleViolation(error.messages[0], field="cve_id") from None
    try:
        validate_cwe(cwe)
    except ValidationError as error:
        raise RuleViolation(error.messages[0], field="cwe") from None
    same_cve = Vulnerability.objects.filter(cve_id=cve_id)
    if exclude_pk is not None:
        same_cve = same_cve.exclude(pk=exclude_pk)
    if cve_id and same_cve.exists():
        raise RuleViolation(f"{cve_id} is already recorded for another vulnerability.", field="cve_id")
    values: dict[str, Any] = {
        "title": details.title.strip(),
        "impact_type": details.impact_type,
        "severity": details.severity,
        "cve_id": cve_id,
        "description": details.description,
        "cwe": cwe,
        "cvss_vector": "",
        "cvss_version": "",
        "cvss_score": None,
    }
    if details.cvss_vector.strip():
        score = score_vector(details.cvss_vector, field="cvss_vector")
        values |= {"cvss_vector": score.vector, "cvss_version": score.version, "cvss_score": score.base_score}
    return values


@transaction.atomic
def create_vulnerability(case: Case, details: VulnerabilityDetails, *, actor: User) -> Vulnerability:
    values = _validated_fields(details)
    vulnerability = Vulnerability.objects.create(case=case, **values)
    record_event(
        vulnerability,
        tag="vulnerability:created",
        actor=actor,
        changes={name: (None, value) for name, value in values.items() if value not in ("", None)},
    )
    _record_score_changes(vulnerability, {"cvss_vector": "", "cvss_score": None, "severity": ""}, actor=actor)
    return vulnerability


def _record_score_changes(
    vulnerability: Vulnerability, before: dict[str, Any], *, actor: User | None, rationale: str = ""
) -> None:
    """Append the scoring history rows for what changed between `before` and `vulnerability` now."""
    rows = []
    if before["cvss_vector"] != vulnerability.cvss_vector:
        rows.append(
            ScoreChange(
                kind=ScoreChange.Kind.CVSS,
                old_value=before["cvss_vector"],
                new_value=vulnerability.cvss_vector,
                old_score=before["cvss_score"],
                new_score=vulnerability.cvss_score,
            )
        )
    if before["severity"] != vulnerability.severity:
        rows.append(
            ScoreChange(kind=ScoreChange.Kind.SEVERITY, old_value=before["severity"], new_value=vulnerability.severity)
        )
    for row in rows:
        row.vulnerability = vulnerability
        row.changed_by = actor
        row.rationale = rationale
    ScoreChange.objects.bulk_create(rows)


@transaction.atomic
def update_vulnerability(
    vulnerability: Vulnerability, details: VulnerabilityDetails, *, actor: User, rationale: str = ""
) -> Vulnerability:
    """Replace the vulnerability's details; score changes keep old and new vector in the audit trail."""
    vulnerability = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk)
    values = _validated_fields(details, exclude_pk=vulnerability.pk)
    changes = {
        name: (getattr(vulnerability, name), value)
        for name, value in values.items()
        if getattr(vulnerability, name) != value
    }
    if not changes:
        return vulnerability
    before = {name: getattr(vulnerability, name) for name in ("cvss_vector", "cvss_score", "severity")}
    for name, value in values.items():
        setattr(vulnerability, name, value)
    vulnerability.save()
    record_event(vulnerability, tag="vulnerability:updated", actor=actor, changes=changes, rationale=rationale)
    _record_score_changes(vulnerability, before, actor=actor, rationale=rationale)
    return vulnerability


# --- Severity by impact type -----------------------------------------------------------------

_ANY_BOOL = {"": None, "yes": True, "no": False}


def _rule_from_row(row: BugBarRule) -> Rule:
    return Rule(
        name=row.name,
        severity=row.severity,
        explanation=row.explanation,
        impact_type=row.impact_type or None,
        attack_vector=row.attack_vector or None,
        requires_authentication=_ANY_BOOL[row.requires_authentication],
        requires_user_interaction=_ANY_BOOL[row.requires_user_interaction],
        is_default_configuration=_ANY_BOOL[row.is_default_configuration],
        product_kind=row.product_kind or None,
    )


def active_bug_bar() -> tuple[Rule, ...]:
    """The organisation's bug bar rules in order; the MSRC-style defaults while none are configured."""
    rows = list(BugBarRule.objects.all())
    return tuple(_rule_from_row(row) for row in rows) if rows else DEFAULT_RULES


@transaction.atomic
def load_default_bug_bar(*, actor: User | None) -> int:
    """Replace the configured rules by the built-in defaults, so they can be edited; returns how many."""
    BugBarRule.objects.all().delete()
    as_choice = {None: "", True: "yes", False: "no"}
    BugBarRule.objects.bulk_create(
        BugBarRule(
            position=(index + 1) * 10,
            name=rule.name,
            impact_type=rule.impact_type or "",
            attack_vector=rule.attack_vector or "",
            requires_authentication=as_choice[rule.requires_authentication],
            requires_user_interaction=as_choice[rule.requires_user_interaction],
            is_default_configuration=as_choice[rule.is_default_configuration],
            product_kind=rule.product_kind or "",
            severity=rule.severity,
            explanation=rule.explanation,
        )
        for index, rule in enumerate(DEFAULT_RULES)
    )
    return len(DEFAULT_RULES)


def severity_conditions(
    impact_type: str,
    *,
    cvss_vector: str = "",
    attack_vector: str | None = None,
    requires_authentication: bool | None = None,
    requires_user_interaction: bool | None = None,
    is_default_configuration: bool = True,
    product_kind: str | None = None,
    chained_impact_type: str | None = None,
) -> Conditions:
    """Bug bar conditions: given explicitly, or derived from a CVSS vector (explicit values win)."""
    derived: dict[str, Any] = {}
    if cvss_vector.strip():
        score = score_vector(cvss_vector, field="cvss_vector")
        if score.version not in ("3.0", "3.1", "4.0"):
            raise RuleViolation("Give a CVSS 3.x or 4.0 vector to derive conditions from.", field="cvss_vector")
        derived = vars(conditions_from_cvss(impact_type, score.metrics))
    explicit = {
        "attack_vector": attack_vector,
        "requires_authentication": requires_authentication,
        "requires_user_interaction": requires_user_interaction,
    }
    for name, value in explicit.items():
        if value is None and name not in derived:
            raise RuleViolation(f"Give {name}, or a cvss_vector to derive it from.", field=name)
    values = derived | {name: value for name, value in explicit.items() if value is not None}
    values |= {
        "impact_type": impact_type,
        "is_default_configuration": is_default_configuration,
        "product_kind": product_kind,
        "chained_impact_type": chained_impact_type,
    }
    return Conditions(**values)


def propose_product_severity(conditions: Conditions) -> Proposal:
    """The bug bar's proposal, or RuleViolation when no configured rule covers the conditions."""
    if conditions.impact_type not in ImpactType.values:
        raise RuleViolation(f"Unknown impact type {conditions.impact_type!r}.", field="impact_type")
    if conditions.chained_impact_type and conditions.chained_impact_type not in ImpactType.values:
        raise RuleViolation(f"Unknown impact type {conditions.chained_impact_type!r}.", field="chained_impact_type")
    try:
        return propose_severity(conditions, active_bug_bar())
    except NoRuleMatched as error:
        raise RuleViolation(f"{error} Add a rule for it to the bug bar in the admin.", field="impact_type") from None


@transaction.atomic
def assess_product_severity(
    vulnerability: Vulnerability,
    product: Product,
    conditions: Conditions,
    *,
    actor: User,
    severity: str | None = None,
    rationale: str = "",
) -> ProductSeverity:
    """Rate `vulnerability` in `product`: accept the bug bar's proposal, or override it with a rationale.

    The vulnerability's headline severity becomes the highest across its products, and a
    change of headline is kept in the scoring history.
    """
    vulnerability = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk)
    proposal = propose_product_severity(conditions)
    decided = severity or proposal.severity
    if decided not in Severity.values:
        raise RuleViolation(
            f"Unknown severity {decided!r}; use critical, important, moderate or low.", field="severity"
        )
    if decided != proposal.severity and not rationale.strip():
        raise RuleViolation(
            f"The bug bar proposes {proposal.severity}; say why you rate it {decided} (rationale).",
            field="rationale",
        )
    values = {
        "product_kind": conditions.product_kind or ProductSeverity.Kind.SERVER,
        "attack_vector": conditions.attack_vector,
        "requires_authentication": conditions.requires_authentication,
        "requires_user_interaction": conditions.requires_user_interaction,
        "is_default_configuration": conditions.is_default_configuration,
        "chained_impact_type": conditions.chained_impact_type or "",
        "proposed_severity": proposal.severity,
        "proposed_by_rule": proposal.rule.name,
        "severity": decided,
        "rationale": rationale.strip(),
        "assessed_by": actor,
        "assessed_at": timezone.now(),
    }
    assessment, _created = ProductSeverity.objects.update_or_create(
        vulnerability=vulnerability, product=product, defaults=values
    )
    record_event(
        vulnerability,
        tag="vulnerability:severity_assessed",
        actor=actor,
        changes={
            f"severity[{product.slug}]": (None, decided),
            "proposed": (None, f"{proposal.severity} ({proposal.rule.name})"),
        },
        rationale=rationale,
    )
    headline = highest_severity(list(vulnerability.product_severities.values_list("severity", flat=True)))
    if headline and headline != vulnerability.severity:
        before = {"cvss_vector": vulnerability.cvss_vector, "cvss_score": vulnerability.cvss_score}
        before["severity"] = vulnerability.severity
        vulnerability.severity = headline
        vulnerability.save(update_fields=["severity", "updated_at"])
        why = f"Highest severity across products ({product.name}: {decided})." + (f" {rationale}" if rationale else "")
        _record_score_changes(vulnerability, before, actor=actor, rationale=why.strip())
    return assessment


# --- Exploitability and SSVC -----------------------------------------------------------------


@transaction.atomic
def assess_exploitability(
    vulnerability: Vulnerability,
    *,
    latest_release: str,
    older_releases: str,
    is_publicly_disclosed: bool,
    is_exploited: bool,
    actor: User,
    rationale: str = "",
) -> ExploitabilityAssessment:
    """Record a new exploitability assessment; followers of the case are told after commit.

    Exploited means Exploitation Detected for the latest release, and the reverse: the two
    statements must agree. An unchanged assessment is not recorded again.
    """
    for field, value in (("latest_release", latest_release), ("older_releases", older_releases)):
        if value not in Exploitability.values:
            allowed = ", ".join(Exploitability.values)
            raise RuleViolation(f"Unknown exploitability {value!r}; use one of: {allowed}.", field=field)
    if is_exploited != (Exploitability.DETECTED in (latest_release, older_releases)):
        raise RuleViolation(
            "Exploited: yes goes with Exploitation Detected (and only with it); make the two agree.",
            field="is_exploited",
        )
    vulnerability = Vulnerability.objects.select_for_update().get(pk=vulnerability.pk)
    current = vulnerability.exploitability.first()
    values = {
        "latest_release": latest_release,
        "older_releases": older_releases,
        "is_publicly_disclosed": is_publicly_disclosed,
        "is_exploited": is_exploited,
    }
    if current is not None and all(getattr(current, name) == value for name, value in values.items()):
        return current
    assessment = ExploitabilityAssessment.objects.create(
        vulnerability=vulnerability, assessed_by=actor, assessed_at=timezone.now(), rationale=rationale, **values
    )
    record_event(
        vulnerability,
        tag="vulnerability:exploitability_changed",
        actor=actor,
        changes={name: (getattr(current, name, None), value) for name, value in values.items()},
        rationale=rationale,
    )
    transaction.on_commit(lambda: notify_exploitability_change.enqueue(assessment_id=assessment.pk))
    return assessment


def decide_ssvc(tree: str, values: dict[str, str | None]) -> SsvcDecision:
    """Run the supplier or deployer tree, or raise RuleViolation naming the decision point at fault."""
    try:
        if tree == SsvcAssessment.Tree.SUPPLIER:
            return supplier_decision(
                exploitation=values.get("exploitation") or "",
                technical_impact=values.get("technical_impact") or "",
                public_safety_impact=values.get("public_safety_impact") or "",
                utility_value=values.get("utility"),
                automatable=values.get("automatable"),
                value_density=values.get("value_density"),
            )
        if tree == SsvcAssessment.Tree.DEPLOYER:
            return deployer_decision(
                exploitation=values.get("exploitation") or "",
                exposure=values.get("exposure") or "",
                automatable=values.get("automatable") or "",
                human_impact_value=values.get("human_impact"),
                safety_impact=values.get("safety_impact"),
                mission_impact=values.get("mission_impact"),
            )
    except InvalidSsvcValue as error:
        field = error.decision_point.name.lower().replace(" ", "_").replace("system_", "")
        raise RuleViolation(str(error), field=field) from None
    raise RuleViolation(f"Unknown SSVC tree {tree!r}; use supplier or deployer.", field="tree")


@transaction.atomic
def record_ssvc_decision(
    vulnerability: Vulnerability, decision: SsvcDecision, *, actor: User, rationale: str = ""
) -> SsvcAssessment:
    """Keep an SSVC decision for the vulnerability, with each decision point's version."""
    assessment = SsvcAssessment.objects.create(
        vulnerability=vulnerability,
        tree=decision.tree,
        outcome=decision.outcome,
        decision_points={
            key: {"name": name, "version": version, "value": value}
            for key, (name, version, value) in decision.inputs.items()
        },
        rationale=rationale,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    record_event(
        vulnerability,
        tag="vulnerability:ssvc_decided",
        actor=actor,
        changes={f"ssvc_{decision.tree}": (None, decision.vector)},
        rationale=rationale,
    )
    return assessment
