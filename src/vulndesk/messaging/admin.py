"""Admin views of messaging. Messages and mail are read-only here: they change through services only."""

from django.contrib import admin

from vulndesk.messaging.models import (
    MailAddress,
    MailPreference,
    Message,
    MessageRevision,
    OutboundMail,
    QuarantinedMail,
)


class MessageRevisionInline(admin.TabularInline[MessageRevision, Message]):
    model = MessageRevision
    extra = 0
    can_delete = False
    readonly_fields = ["body", "written_at", "replaced_at", "replaced_by"]
    exclude = ["body_html"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = ["id", "thread_reference", "channel", "kind", "author", "created_at", "edited_at"]
    list_filter = ["channel", "kind"]
    search_fields = ["body"]
    readonly_fields = ["report", "case", "channel", "kind", "author", "body", "reply_to", "created_at", "edited_at"]
    exclude = ["body_html", "mentions"]
    inlines = [MessageRevisionInline]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin[OutboundMail]):
    list_display = ["id", "to_address", "subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "is_encrypted"]
    search_fields = ["to_address", "subject", "message_id"]
    readonly_fields = [field.name for field in OutboundMail._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(MailAddress)
class MailAddressAdmin(admin.ModelAdmin[MailAddress]):
    list_display = ["email", "bounced_at", "bounce_reason"]
    search_fields = ["email"]


@admin.register(MailPreference)
class MailPreferenceAdmin(admin.ModelAdmin[MailPreference]):
    list_display = ["user", "is_report_mail_off", "openpgp_fingerprint"]
    search_fields = ["user__email"]
    readonly_fields = ["openpgp_fingerprint"]


@admin.register(QuarantinedMail)
class QuarantinedMailAdmin(admin.ModelAdmin[QuarantinedMail]):
    list_display = ["id", "from_address", "report", "reason", "received_at", "resolved_at"]
    readonly_fields = [field.name for field in QuarantinedMail._meta.fields]
