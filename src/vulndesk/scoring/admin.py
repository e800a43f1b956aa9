from django.contrib import admin
from django.http import HttpRequest

from vulndesk.scoring.models import (
    BugBarRule,
    ExploitabilityAssessment,
    ProductSeverity,
    ScoreChange,
    SsvcAssessment,
    Vulnerability,
)


class ScoreChangeInline(admin.TabularInline[ScoreChange, Vulnerability]):
    model = ScoreChange
    extra = 0
    fields = ("changed_at", "changed_by", "kind", "old_value", "new_value", "old_score", "new_score", "rationale")
    readonly_fields = fields
    # History is written by the scoring services only.
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Vulnerability | None = None) -> bool:
        return False


@admin.register(Vulnerability)
class VulnerabilityAdmin(admin.ModelAdmin[Vulnerability]):
    inlines = [ScoreChangeInline]
    list_display = ["reference", "title", "impact_type", "severity", "cvss_score", "case"]
    list_filter = ["severity", "impact_type", "cvss_version"]
    search_fields = ["cve_id", "title"]
    raw_id_fields = ["case"]
    # Scores are computed from the vector by the scoring service, never typed in.
    readonly_fields = ["cvss_version", "cvss_score"]


@admin.register(BugBarRule)
class BugBarRuleAdmin(admin.ModelAdmin[BugBarRule]):
    list_display = [
        "position",
        "name",
        "impact_type",
        "attack_vector",
        "requires_authentication",
        "requires_user_interaction",
        "is_default_configuration",
        "product_kind",
        "severity",
    ]
    list_editable = ["severity"]
    ordering = ["position"]


@admin.register(ProductSeverity)
class ProductSeverityAdmin(admin.ModelAdmin[ProductSeverity]):
    list_display = ["vulnerability", "product", "proposed_severity", "severity", "assessed_by", "assessed_at"]
    raw_id_fields = ["vulnerability"]
    # Decided through the scoring service, which keeps the headline and history in step.
    readonly_fields = [field.name for field in ProductSeverity._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ExploitabilityAssessment)
class ExploitabilityAssessmentAdmin(admin.ModelAdmin[ExploitabilityAssessment]):
    list_display = ["vulnerability", "latest_release", "older_releases", "is_exploited", "assessed_by", "assessed_at"]
    raw_id_fields = ["vulnerability"]
    # Assessed through the scoring service, which audits and notifies.
    readonly_fields = [field.name for field in ExploitabilityAssessment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SsvcAssessment)
class SsvcAssessmentAdmin(admin.ModelAdmin[SsvcAssessment]):
    list_display = ["vulnerability", "tree", "outcome", "decided_by", "decided_at"]
    raw_id_fields = ["vulnerability"]
    readonly_fields = [field.name for field in SsvcAssessment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
