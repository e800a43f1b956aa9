from django.contrib import admin

from vulndesk.remediation.models import Fix


@admin.register(Fix)
class FixAdmin(admin.ModelAdmin[Fix]):
    list_display = ["vulnerability", "product_version", "team", "state", "target_release"]
    list_filter = ["state", "team", "target_release"]
    search_fields = ["vulnerability__cve_id", "vulnerability__title"]
    raw_id_fields = ["vulnerability", "product_version"]
    readonly_fields = ["state"]
    list_select_related = ["vulnerability", "product_version__product", "team", "target_release"]
