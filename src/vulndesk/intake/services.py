"""Receiving reports from researchers."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Product
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Permission, can
from vulndesk.core.services import enter_initial_state
from vulndesk.core.taxonomy import ImpactType
from vulndesk.intake.models import Report, validate_cwe
from vulndesk.lib.cvss_vectors import InvalidCvssVector, score_cvss_vector


@dataclass(frozen=True)
class ReportSubmission:
    title: str
    description: str
    product: Product | None = None
    product_other: str = ""
    affected_versions: str = ""
    impact_type: str = ""
    cwe: str = ""
    suggested_cvss_vector: str = ""


@transaction.atomic
def submit_report(submission: ReportSubmission, *, actor: User) -> Report:
    """File a new report in state `new` for `actor`, who must be allowed to submit."""
    if not can(actor, Permission.REPORT_SUBMIT):
        raise RuleViolation("Only researcher accounts can submit reports.")
    title, description = submission.title.strip(), submission.description.strip()
    if not title:
        raise RuleViolation("Give the report a title.", field="title")
    if not description:
        raise RuleViolation("Describe the vulnerability.", field="description")
    if submission.product is None and not submission.product_other.strip():
        raise RuleViolation("Pick a product, or name it under 'other product'.", field="product")
    if submission.impact_type and submission.impact_type not in ImpactType.values:
        raise RuleViolation(f"Unknown impact type {submission.impact_type!r}.", field="impact_type")
    cwe = submission.cwe.strip().upper()
    try:
        validate_cwe(cwe)
    except ValidationError as error:
        raise RuleViolation(error.messages[0], field="cwe") from None
    vector = submission.suggested_cvss_vector.strip()
    if vector:
        try:
            vector = score_cvss_vector(vector).vector
        except InvalidCvssVector as error:
            raise RuleViolation(str(error), field="suggested_cvss_vector") from None

    report = Report.objects.create(
        researcher=actor,
        title=title,
        description=description,
        product=submission.product,
        product_other=submission.product_other.strip(),
        affected_versions=submission.affected_versions.strip(),
        impact_type=submission.impact_type,
        cwe=cwe,
        suggested_cvss_vector=vector,
    )
    enter_initial_state(report, actor=actor)
    return report
