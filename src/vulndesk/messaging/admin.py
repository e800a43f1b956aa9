"""Admin views of messaging. Messages and mail are read-only here: they change through services only."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.messaging.models import (
    AutomaticMessage,
    MailAddress,
    MailPreference,
    Message,
    MessageRevision,
    OutboundMail,
    QuarantinedMail,
    ResponseTemplate,
    ResponseTemplateVersion,
)
from vulndesk.messaging.responses import VARIABLES, check_template_body, save_template


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


class ResponseTemplateVersionInline(admin.TabularInline[ResponseTemplateVersion, ResponseTemplate]):
    model = ResponseTemplateVersion
    extra = 0
    can_delete = False
    readonly_fields = ["version", "body", "created_at", "created_by"]

    def has_add_permission(self, request: HttpRequest, obj: ResponseTemplate | None = None) -> bool:
        return False


class ResponseTemplateForm(forms.ModelForm[ResponseTemplate]):
    class Meta:
        model = ResponseTemplate
        fields = ["name", "key", "is_active", "body"]

    def clean_body(self) -> str:
        # Unknown {variables} are refused here, with the list of known ones, before anything is saved.
        body = str(self.cleaned_data["body"])
        try:
            check_template_body(body)
        except RuleViolation as error:
            raise forms.ValidationError(str(error)) from None
        return body


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin[ResponseTemplate]):
    form = ResponseTemplateForm
    list_display = ["name", "key", "version", "is_active", "updated_at"]
    list_filter = ["is_active"]
    readonly_fields = ["version", "variables"]
    fields = ["name", "key", "is_active", "body", "variables", "version"]
    inlines = [ResponseTemplateVersionInline]

    @admin.display(description="Variables")
    def variables(self, obj: ResponseTemplate | None) -> str:
        return "; ".join(f"{{{name}}}: {meaning}" for name, meaning in VARIABLES.items())

    def save_model(self, request: HttpRequest, obj: ResponseTemplate, form: Any, change: bool) -> None:
        # Through the service, so every change of text is a new version and is audited.
        actor = request.user if isinstance(request.user, User) else None
        save_template(obj, body=obj.body, actor=actor)


@admin.register(AutomaticMessage)
class AutomaticMessageAdmin(admin.ModelAdmin[AutomaticMessage]):
    list_display = ["state", "template", "is_enabled"]
    list_editable = ["is_enabled"]
