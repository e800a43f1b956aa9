from django.contrib import admin

from vulndesk.advisories.models import Advisory


@admin.register(Advisory)
class AdvisoryAdmin(admin.ModelAdmin[Advisory]):
    """Publishing goes through the workflow (approval, release gate, audit); state is read-only here."""

    list_display = ["identifier", "title", "state", "release", "published_at"]
    list_filter = ["state", "release"]
    search_fields = ["identifier", "title"]
    readonly_fields = ["state", "published_at"]
    filter_horizontal = ["vulnerabilities"]
