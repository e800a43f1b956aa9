from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from vulndesk.accounts.models import ApiToken, TotpDevice, User


@admin.register(User)
# django-stubs bounds UserAdmin to AbstractUser; ours is an email-login AbstractBaseUser.
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    ordering = ["email"]
    list_display = ["email", "display_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "role", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]})]
    filter_horizontal = ()


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "token_hash", "created_at", "last_used_at"]
    search_fields = ["prefix", "name", "user__email"]


@admin.register(TotpDevice)
class TotpDeviceAdmin(admin.ModelAdmin[TotpDevice]):
    """Deleting a device here is how an administrator resets a person's lost authenticator."""

    list_display = ["user", "confirmed_at", "created_at"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "confirmed_at", "created_at", "last_used_step"]
    exclude = ["secret"]
