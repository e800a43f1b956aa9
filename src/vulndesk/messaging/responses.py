"""Canned responses and the automatic messages sent when a report changes state.

Templates are Markdown with `{variable}` placeholders filled from the report (and its case):
{report_id} {title} {product} {release_date} {cve} {researcher_name} {status}. An unknown
placeholder is refused when the template is saved, so a broken template never reaches a
researcher. Every save is a new version; older versions stay readable.
"""

import string
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import record_event
from vulndesk.intake.models import Report
from vulndesk.messaging.models import AutomaticMessage, ResponseTemplate, ResponseTemplateVersion
from vulndesk.releases.models import Release
from vulndesk.scoring.models import Vulnerability

VARIABLES = {
    "report_id": "the report's reference, e.g. VD-R12",
    "title": "the report's title",
    "product": "the product (as the researcher named it when not in the catalog)",
    "release_date": "the date of the earliest release that carries a fix, or 'to be scheduled'",
    "cve": "the CVE ids of the report's case, or 'to be assigned'",
    "researcher_name": "the researcher's name or handle",
    "status": "the status the researcher sees",
}


def check_template_body(body: str) -> None:
    """RuleViolation naming the first unknown or malformed placeholder."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(body) if field is not None]
    except ValueError as error:
        raise RuleViolation(
            f"The template has a stray brace ({error}); write {{{{ for a literal brace.", field="body"
        ) from None
    for field in fields:
        if field not in VARIABLES:
            known = ", ".join(f"{{{name}}}" for name in VARIABLES)
            raise RuleViolation(f"Unknown variable {{{field}}}; use one of {known}.", field="body")


def template_values(report: Report) -> dict[str, str]:
    """The variables for `report`, each always filled (a placeholder never shows as-is)."""
    link = getattr(report, "case_link", None)
    cves: list[str] = []
    release: Release | None = None
    if link is not None:
        cves = sorted(
            cve for cve in Vulnerability.objects.filter(case_id=link.case_id).values_list("cve_id", flat=True) if cve
        )
        release = Release.objects.filter(fixes__vulnerability__case_id=link.case_id).order_by("release_date").first()
    product = report.product.name if report.product else report.product_other
    return {
        "report_id": report.reference,
        "title": report.title,
        "product": product or "the product",
        "release_date": f"{release.release_date:%d %B %Y}" if release else "to be scheduled",
        "cve": ", ".join(cves) or "to be assigned",
        "researcher_name": str(report.researcher),
        "status": report.researcher_status,
    }


def render_template(template: ResponseTemplate, report: Report) -> str:
    return template.body.format_map(template_values(report))


def active_templates() -> QuerySet[ResponseTemplate]:
    return ResponseTemplate.objects.filter(is_active=True).order_by("name")


@transaction.atomic
def save_template(template: ResponseTemplate, *, body: str, actor: User | None, **fields: Any) -> ResponseTemplate:
    """Create or change a template; a changed body becomes the next version (the old one is kept)."""
    body = body.strip()
    if not body:
        raise RuleViolation("A template needs text.", field="body")
    check_template_body(body)
    is_new = template.pk is None
    changed = is_new or body != ResponseTemplate.objects.get(pk=template.pk).body
    for name, value in fields.items():
        setattr(template, name, value)
    template.body = body
    if changed and not is_new:
        template.version += 1
    template.save()
    if changed:
        ResponseTemplateVersion.objects.create(template=template, version=template.version, body=body, created_by=actor)
        record_event(
            template, tag="response_template:saved", actor=actor, changes={"version": (None, template.version)}
        )
    return template


def automatic_message_for(report: Report) -> str | None:
    """The researcher-thread text for `report`'s new state, when an enabled automatic message covers it."""
    automatic = (
        AutomaticMessage.objects.select_related("template")
        .filter(state=report.state, is_enabled=True, template__is_active=True)
        .first()
    )
    return render_template(automatic.template, report) if automatic else None


EXAMPLE_VALUES = {
    "report_id": "VD-R123",
    "title": "Stored XSS in the settings page",
    "product": "Example Gateway",
    "release_date": "14 July 2026",
    "cve": "CVE-2026-12345",
    "researcher_name": "Ada Researcher",
    "status": "Fix in progress",
}


def preview_body(body: str) -> str:
    """`body` filled with example values (for the editor's preview); RuleViolation when it is malformed."""
    check_template_body(body)
    return body.format_map(EXAMPLE_VALUES)


@transaction.atomic
def set_automatic_message(automatic: AutomaticMessage, *, is_enabled: bool, actor: User) -> AutomaticMessage:
    automatic.is_enabled = is_enabled
    automatic.save(update_fields=["is_enabled"])
    record_event(
        automatic, tag="automatic_message:switched", actor=actor, changes={"is_enabled": (not is_enabled, is_enabled)}
    )
    return automatic
