from django.contrib import admin

from vulndesk.triage.models import Case, CaseReport


class CaseReportInline(admin.TabularInline[CaseReport, Case]):
    model = CaseReport
    extra = 0
    raw_id_fields = ["report"]
    readonly_fields = ["added_at"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin[Case]):
    list_display = ["id", "title", "state", "owner", "created_at"]
    list_filter = ["state"]
    search_fields = ["title", "summary"]
    readonly_fields = ["state", "created_at", "updated_at"]
    filter_horizontal = ["teams"]
    inlines = [CaseReportInline]
