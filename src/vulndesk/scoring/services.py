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
from vulndesk.lib.cvss_vectors import InvalidCvssVector, score_cvss_vector
from vulndesk.scoring.models import Vulnerability, validate_cve_id
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
        try:
            score = score_cvss_vector(details.cvss_vector)
        except InvalidCvssVector as error:
            raise RuleViolation(str(error), field="cvss_vector") from None
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
    return vulnerability


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
    for name, value in values.items():
        setattr(vulnerability, name, value)
    vulnerability.save()
    record_event(vulnerability, tag="vulnerability:updated", actor=actor, changes=changes, rationale=rationale)
    return vulnerability
