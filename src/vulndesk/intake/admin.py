from django.contrib import admin

from vulndesk.intake.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin[Report]):
    """Inspection only: state changes go through the triage workflow, which audits them."""

    list_display = ["id", "title", "product", "state", "researcher", "created_at"]
    list_filter = ["state", "impact_type", "product"]
    search_fields = ["title", "description", "researcher__email"]
    list_select_related = ["product", "researcher"]
    readonly_fields = ["state", "researcher", "duplicate_of", "created_at", "updated_at"]
    raw_id_fields = ["product"]
