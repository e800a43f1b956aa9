from django.contrib import admin

from vulndesk.scoring.models import Vulnerability


@admin.register(Vulnerability)
class VulnerabilityAdmin(admin.ModelAdmin[Vulnerability]):
    list_display = ["reference", "title", "impact_type", "severity", "cvss_score", "case"]
    list_filter = ["severity", "impact_type", "cvss_version"]
    search_fields = ["cve_id", "title"]
    raw_id_fields = ["case"]
    # Scores are computed from the vector by the scoring service, never typed in.
    readonly_fields = ["cvss_version", "cvss_score"]
