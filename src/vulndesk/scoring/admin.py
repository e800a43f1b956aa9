from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from vulndesk.accounts.models import User
from vulndesk.scoring.models import (
    BugBarRule,
    ExploitabilityAssessment,
    ProductSeverity,
    ScoreChange,
    SsvcAssessment,
    Vulnerability,
)
from vulndesk.scoring.services import recompute_priorities, sync_case_report_priorities


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
    # Scores and priorities are computed by the scoring services, never typed in: a vector is
    # changed, and a priority set by hand (with a rationale), on the vulnerability page or the API,
    # which keep the scoring history.
    readonly_fields = [
        "cvss_vector",
        "cvss_version",
        "cvss_score",
        "priority",
        "priority_computed",
        "priority_explanation",
        "priority_override",
        "priority_override_rationale",
        "priority_updated_at",
    ]

    def save_model(self, request: HttpRequest, obj: Vulnerability, form: Any, change: bool) -> None:
        # A severity, impact type, customer count or case edited here moves the priority at once,
        # and the reports of the cases concerned follow.
        super().save_model(request, obj, form, change)
        actor = request.user if isinstance(request.user, User) else None
        recompute_priorities([obj.pk], actor=actor, reason="Edited in the admin")
        sync_case_report_priorities()

    def delete_model(self, request: HttpRequest, obj: Vulnerability) -> None:
        super().delete_model(request, obj)
        sync_case_report_priorities()  # the case's reports take its next most urgent vulnerability's

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Vulnerability]) -> None:
        super().delete_queryset(request, queryset)
        sync_case_report_priorities()


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
