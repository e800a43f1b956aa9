from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Permission, can
from vulndesk.scoring.models import (
    EpssScore,
    ExploitabilityAssessment,
    KnownExploitedVulnerability,
    ProductSeverity,
    ScoreChange,
    SsvcAssessment,
    ThreatImport,
    Vulnerability,
)
from vulndesk.triage.clocks import Clock, case_clocks


def list_vulnerabilities_for_user(user: User, *, case_id: int | None = None) -> QuerySet[Vulnerability]:
    if not can(user, Permission.VULNERABILITY_VIEW):
        return Vulnerability.objects.none()
    vulnerabilities = Vulnerability.objects.select_related("case")
    if case_id is not None:
        vulnerabilities = vulnerabilities.filter(case_id=case_id)
    return vulnerabilities


def get_vulnerability_for_user(
    user: User, vulnerability_id: int, *, need: Permission = Permission.VULNERABILITY_VIEW
) -> Vulnerability:
    vulnerability = Vulnerability.objects.select_related("case").filter(pk=vulnerability_id).first()
    if vulnerability is None or not can(user, need, vulnerability):
        raise Http404("No such vulnerability.")
    return vulnerability


def list_score_changes(vulnerability: Vulnerability) -> QuerySet[ScoreChange]:
    """The scoring history of a vulnerability the caller was already allowed to see, newest first."""
    return ScoreChange.objects.filter(vulnerability=vulnerability).select_related("changed_by")


def list_product_severities_of(vulnerability: Vulnerability) -> QuerySet[ProductSeverity]:
    """Per-product severities of a vulnerability the caller was already allowed to see."""
    return ProductSeverity.objects.filter(vulnerability=vulnerability).select_related("product", "assessed_by")


def list_exploitability_of(vulnerability: Vulnerability) -> QuerySet[ExploitabilityAssessment]:
    """Exploitability assessments of a vulnerability the caller may see; the first is the current one."""
    return ExploitabilityAssessment.objects.filter(vulnerability=vulnerability).select_related("assessed_by")


def list_ssvc_assessments_of(vulnerability: Vulnerability) -> QuerySet[SsvcAssessment]:
    """SSVC decisions of a vulnerability the caller may see, newest first."""
    return SsvcAssessment.objects.filter(vulnerability=vulnerability).select_related("decided_by")


@dataclass(frozen=True)
class ThreatMatch:
    cve_id: str
    source: str
    kev: KnownExploitedVulnerability | None
    epss: EpssScore | None


def list_threat_matches(vulnerability: Vulnerability) -> list[ThreatMatch]:
    """KEV and EPSS data for the vulnerability's own CVE id and its components' CVEs, with their dates."""
    sources = {vulnerability.cve_id: "own"} if vulnerability.cve_id else {}
    for link in vulnerability.component_cves.all():
        sources.setdefault(link.cve_id, link.component)
    kev = {entry.cve_id: entry for entry in KnownExploitedVulnerability.objects.filter(cve_id__in=sources)}
    epss = {score.cve_id: score for score in EpssScore.objects.filter(cve_id__in=sources)}
    return [ThreatMatch(cve, source, kev.get(cve), epss.get(cve)) for cve, source in sources.items()]


def list_threat_imports() -> QuerySet[ThreatImport]:
    return ThreatImport.objects.select_related("imported_by")


def case_fix_clock(vulnerability: Vulnerability) -> Clock:
    """The triage SLA fix clock of the vulnerability's case: its target follows the case's most
    urgent priority (its reports' `Report.priority`, which scoring sets), else its worst severity."""
    return case_clocks([vulnerability.case])[vulnerability.case_id][0]
