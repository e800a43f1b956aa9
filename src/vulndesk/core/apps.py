from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "vulndesk.core"
    label = "core"
    verbose_name = "Core: audit trail and state history"
