from django.contrib import admin

from vulndesk.triage.models import (
    Case,
    CaseReport,
    DutyPeriod,
    SavedQueueView,
    SlaCalendar,
    SlaHoliday,
    SlaTarget,
    SlaWarning,
)


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
    # The disclosure date changes only through the case page or API (set_disclosure_date), which
    # tells the researchers and updates their reports; an admin edit would do neither.
    readonly_fields = ["state", "disclosure_date", "created_at", "updated_at"]
    filter_horizontal = ["teams"]
    inlines = [CaseReportInline]


class SlaHolidayInline(admin.TabularInline[SlaHoliday, SlaCalendar]):
    model = SlaHoliday
    extra = 1


@admin.register(SlaCalendar)
class SlaCalendarAdmin(admin.ModelAdmin[SlaCalendar]):
    list_display = ["name", "timezone", "country", "subdivision", "is_default"]
    filter_horizontal = ["teams"]
    inlines = [SlaHolidayInline]


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin[SlaTarget]):
    list_display = ["clock", "priority", "severity", "amount", "unit", "at_risk_percent"]
    list_filter = ["clock"]


@admin.register(SlaWarning)
class SlaWarningAdmin(admin.ModelAdmin[SlaWarning]):
    list_display = ["content_type", "object_id", "clock", "due_at", "sent_at"]
    readonly_fields = ["content_type", "object_id", "clock", "due_at", "sent_at", "recipients"]


@admin.register(DutyPeriod)
class DutyPeriodAdmin(admin.ModelAdmin[DutyPeriod]):
    """The on-duty calendar: automatic assignment picks among analysts on duty that day."""

    list_display = ["analyst", "starts_on", "ends_on", "note"]
    list_filter = ["starts_on"]
    raw_id_fields = ["analyst"]


@admin.register(SavedQueueView)
class SavedQueueViewAdmin(admin.ModelAdmin[SavedQueueView]):
    list_display = ["name", "owner", "query"]
    raw_id_fields = ["owner"]
