from django.contrib import admin

from vulndesk.releases.models import Release


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin[Release]):
    list_display = ["name", "release_date", "kind", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["name"]
    readonly_fields = ["state", "released_at"]
