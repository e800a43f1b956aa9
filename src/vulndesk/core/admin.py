from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vulndesk.core.models import AuditEvent, StateInterval


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The audit trail can be read and searched here, never edited."""

    list_display = ["created_at", "tag", "target_repr", "actor", "request_id"]
    list_filter = ["tag", "target_type"]
    search_fields = ["tag", "target_repr", "target_id", "request_id", "actor__email"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StateInterval)
class StateIntervalAdmin(admin.ModelAdmin[StateInterval]):
    list_display = ["target_type", "target_id", "state", "entered_at", "exited_at", "entered_by"]
    list_filter = ["target_type", "state"]
    search_fields = ["target_id"]
    list_select_related = ["target_type", "entered_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
