"""Vulnerabilities: what a case fixes, identified by CVE and rated for risk."""

import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from vulndesk.catalog.models import Product
from vulndesk.core.models import TimestampedModel
from vulndesk.core.permissions import Permission, is_staff_role
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.triage.models import Case

if TYPE_CHECKING:
    from vulndesk.accounts.models import User

CVE_PATTERN = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,19}$")


def validate_cve_id(value: str) -> None:
    if not CVE_PATTERN.match(value):
        raise ValidationError(f"{value!r} is not a CVE id; write it like CVE-2026-12345.")


class Vulnerability(TimestampedModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="vulnerabilities")
    cve_id = models.CharField(max_length=32, unique=True, null=True, blank=True, validators=[validate_cve_id])
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    impact_type = models.CharField(max_length=16, choices=ImpactType.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    cwe = models.CharField(max_length=12, blank=True)
    cvss_vector = models.CharField(max_length=200, blank=True)
    cvss_version = models.CharField(max_length=8, blank=True)
    cvss_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    # Priority 0 (P0, most urgent) to 4, kept by scoring.services.recompute_priorities;
    # `priority` is the override when there is one, else the computed value.
    priority = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    priority_computed = models.PositiveSmallIntegerField(null=True, blank=True)
    priority_explanation = models.CharField(max_length=400, blank=True)
    priority_override = models.PositiveSmallIntegerField(null=True, blank=True)
    priority_override_rationale = models.TextField(blank=True)
    priority_updated_at = models.DateTimeField(null=True, blank=True)
    affected_customers = models.PositiveIntegerField(
        null=True, blank=True, help_text="Customers running an affected version, when known; raises the priority."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "vulnerabilities"

    def __str__(self) -> str:
        return f"{self.cve_id or f'VD-V{self.pk}'} {self.title}"

    @property
    def reference(self) -> str:
        return self.cve_id or f"VD-V{self.pk}"

    def permits(self, user: "User", permission: Permission) -> bool:
        return is_staff_role(user)


class ScoreChange(models.Model):
    """One change to a vulnerability's scoring, readable on its own: who, when, old → new, why.

    The audit trail records the same change among everything else; this table is the
    vulnerability's scoring history that an analyst or a review reads top to bottom.
    """

    class Kind(models.TextChoices):
        CVSS = "cvss", "CVSS vector"
        SEVERITY = "severity", "Severity"
        PRIORITY = "priority", "Priority"

    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="score_changes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    old_value = models.CharField(max_length=200, blank=True, help_text="The vector or rating before; empty if none.")
    new_value = models.CharField(max_length=200, blank=True)
    old_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    new_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["vulnerability", "changed_at"], name="score_change_vuln_idx")]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} of {self.vulnerability_id}: {self.old_value or '—'} → {self.new_value or '—'}"
        )


class BugBarRule(models.Model):
    """An editable rule of the severity bug bar (see scoring/bug_bar.py for the defaults).

    While this table is empty, the built-in MSRC-style defaults apply. `vulndesk scoring
    bug-bar --load-defaults` copies them here to be edited in the admin. A blank condition
    matches anything; rules are tried by `position`, the first match fires.
    """

    class AnyBool(models.TextChoices):
        ANY = "", "any"
        YES = "yes", "yes"
        NO = "no", "no"

    position = models.PositiveIntegerField(unique=True)
    name = models.SlugField(max_length=60, unique=True)
    impact_type = models.CharField(max_length=16, choices=ImpactType.choices, blank=True)
    attack_vector = models.CharField(
        max_length=12,
        blank=True,
        choices=[("network", "network"), ("adjacent", "adjacent"), ("local", "local"), ("physical", "physical")],
    )
    requires_authentication = models.CharField(max_length=3, choices=AnyBool.choices, blank=True)
    requires_user_interaction = models.CharField(max_length=3, choices=AnyBool.choices, blank=True)
    is_default_configuration = models.CharField(max_length=3, choices=AnyBool.choices, blank=True)
    product_kind = models.CharField(
        max_length=16,
        blank=True,
        choices=[("client", "client"), ("server", "server"), ("online_service", "online service")],
    )
    severity = models.CharField(max_length=16, choices=Severity.choices)
    explanation = models.CharField(max_length=300)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name} → {self.severity}"


class ProductSeverity(models.Model):
    """The severity of a vulnerability in one affected product: the proposal, and what the analyst decided.

    The vulnerability's headline severity is the highest of these (Critical > Important >
    Moderate > Low). A decision that differs from the proposal is an override and carries a rationale.
    """

    class Kind(models.TextChoices):
        CLIENT = "client", "Client (installed software)"
        SERVER = "server", "Server (installed software)"
        ONLINE_SERVICE = "online_service", "Online service (internet-facing, operated by us)"

    class AttackVector(models.TextChoices):
        NETWORK = "network", "Network"
        ADJACENT = "adjacent", "Adjacent network"
        LOCAL = "local", "Local"
        PHYSICAL = "physical", "Physical"

    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="product_severities")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    product_kind = models.CharField(max_length=16, choices=Kind.choices)
    attack_vector = models.CharField(max_length=12, choices=AttackVector.choices)
    requires_authentication = models.BooleanField()
    requires_user_interaction = models.BooleanField()
    is_default_configuration = models.BooleanField(default=True)
    chained_impact_type = models.CharField(
        max_length=16,
        choices=ImpactType.choices,
        blank=True,
        help_text="The higher class it reaches when chained with by-design behaviour; rated at that class.",
    )
    proposed_severity = models.CharField(max_length=16, choices=Severity.choices)
    proposed_by_rule = models.CharField(max_length=60)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    rationale = models.TextField(blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()

    class Meta:
        ordering = ["product__name"]
        constraints = [
            models.UniqueConstraint(fields=["vulnerability", "product"], name="product_severity_unique"),
        ]
        verbose_name_plural = "product severities"

    def __str__(self) -> str:
        return f"{self.product_id}: {self.severity}"

    @property
    def is_override(self) -> bool:
        return self.severity != self.proposed_severity


class Exploitability(models.TextChoices):
    """MSRC's Exploitability Index, assessed separately for the latest and for older releases."""

    DETECTED = "detected", "Exploitation Detected"
    MORE_LIKELY = "more_likely", "Exploitation More Likely"
    LESS_LIKELY = "less_likely", "Exploitation Less Likely"
    UNLIKELY = "unlikely", "Exploitation Unlikely"
    NOT_APPLICABLE = "n/a", "N/A"


class ExploitabilityAssessment(models.Model):
    """One exploitability assessment of a vulnerability; the newest is the current one, older ones are history."""

    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="exploitability")
    latest_release = models.CharField(max_length=16, choices=Exploitability.choices)
    older_releases = models.CharField(max_length=16, choices=Exploitability.choices)
    is_publicly_disclosed = models.BooleanField()
    is_exploited = models.BooleanField()
    rationale = models.TextField(blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()

    class Meta:
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["vulnerability", "assessed_at"], name="exploitability_vuln_idx")]

    def __str__(self) -> str:
        return f"{self.vulnerability_id}: {self.get_latest_release_display()}"

    @property
    def summary(self) -> str:
        """MSRC's own wording, e.g. 'Publicly Disclosed:No;Exploited:No;Latest Software Release:…'."""
        yes_no = {True: "Yes", False: "No"}
        return (
            f"Publicly Disclosed:{yes_no[self.is_publicly_disclosed]};Exploited:{yes_no[self.is_exploited]};"
            f"Latest Software Release:{self.get_latest_release_display()};"
            f"Older Software Release:{self.get_older_releases_display()}"
        )


class SsvcAssessment(models.Model):
    """An SSVC decision for a vulnerability: the tree, the decision points with their versions, the outcome."""

    class Tree(models.TextChoices):
        SUPPLIER = "supplier", "Supplier"
        DEPLOYER = "deployer", "Deployer"

    class Outcome(models.TextChoices):
        DEFER = "defer", "Defer"
        SCHEDULED = "scheduled", "Scheduled"
        OUT_OF_CYCLE = "out-of-cycle", "Out-of-cycle"
        IMMEDIATE = "immediate", "Immediate"

    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="ssvc_assessments")
    tree = models.CharField(max_length=10, choices=Tree.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # Decision point key → {"name", "version", "value"}; see scoring/ssvc.py.
    decision_points = models.JSONField()
    rationale = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["vulnerability", "tree", "decided_at"], name="ssvc_vuln_idx")]

    def __str__(self) -> str:
        return f"{self.vulnerability_id}: {self.tree} → {self.outcome}"

    @property
    def path(self) -> str:
        return "/".join(f"{key}:{point['value']}" for key, point in self.decision_points.items())


class ComponentCve(models.Model):
    """A third-party component's CVE that this vulnerability inherits (e.g. a bundled OpenSSL flaw).

    Threat data (KEV, EPSS) is matched on these as well as on the vulnerability's own CVE id.
    """

    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="component_cves")
    cve_id = models.CharField(max_length=32, db_index=True, validators=[validate_cve_id])
    component = models.CharField(max_length=200, help_text="e.g. OpenSSL 3.0.7")

    class Meta:
        ordering = ["cve_id"]
        constraints = [models.UniqueConstraint(fields=["vulnerability", "cve_id"], name="component_cve_unique")]

    def __str__(self) -> str:
        return f"{self.cve_id} in {self.component}"


class KnownExploitedVulnerability(models.Model):
    """One entry of CISA's Known Exploited Vulnerabilities catalog, as last imported."""

    cve_id = models.CharField(max_length=32, unique=True)
    vendor_project = models.CharField(max_length=200)
    product = models.CharField(max_length=200)
    vulnerability_name = models.CharField(max_length=300)
    date_added = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    short_description = models.TextField(blank=True)
    required_action = models.TextField(blank=True)
    known_ransomware_campaign_use = models.CharField(max_length=16, blank=True)
    catalog_version = models.CharField(max_length=32, blank=True)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-date_added", "cve_id"]
        verbose_name = "known exploited vulnerability (KEV)"
        verbose_name_plural = "known exploited vulnerabilities (KEV)"

    def __str__(self) -> str:
        return f"{self.cve_id} (KEV since {self.date_added})"


class EpssScore(models.Model):
    """FIRST's EPSS probability of exploitation in the next 30 days for one CVE, as last imported."""

    cve_id = models.CharField(max_length=32, unique=True)
    epss = models.FloatField(help_text="Probability 0 to 1.")
    percentile = models.FloatField(help_text="Share of CVEs with a lower or equal score, 0 to 1.")
    score_date = models.DateField(null=True, blank=True)
    model_version = models.CharField(max_length=32, blank=True)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["cve_id"]
        verbose_name = "EPSS score"

    def __str__(self) -> str:
        return f"{self.cve_id}: {self.epss:.5f}"


class ThreatImport(models.Model):
    """One import of a threat data file: what, from where, by whom, and what it changed."""

    class Kind(models.TextChoices):
        KEV = "kev", "CISA KEV catalog"
        EPSS = "epss", "FIRST EPSS scores"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    file_name = models.CharField(max_length=300)
    rows = models.PositiveIntegerField()
    created = models.PositiveIntegerField()
    updated = models.PositiveIntegerField()
    matched_vulnerabilities = models.PositiveIntegerField()
    data_date = models.DateField(null=True, blank=True, help_text="KEV release date or EPSS score date.")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField()
    seconds = models.FloatField()

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.file_name} at {self.imported_at:%Y-%m-%d %H:%M}"
