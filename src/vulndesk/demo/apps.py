from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "vulndesk.demo"
    label = "demo"
    verbose_name = "Demo data"
