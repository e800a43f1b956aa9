from django.contrib import admin
from django.http import HttpRequest

from vulndesk.scoring.models import ScoreChange, Vulnerability


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
