"""Recording vulnerabilities and their scores."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import record_event
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.intake.models import validate_cwe
from vulndesk.lib.cvss_vectors import CvssScore, InvalidCvssVector, score_cvss_vector
from vulndesk.scoring.models import ScoreChange, Vulnerability, validate_cve_id
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
