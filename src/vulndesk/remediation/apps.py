from django.apps import AppConfig


class RemediationConfig(AppConfig):
    name = "vulndesk.remediation"
    label = "remediation"
    verbose_name = "Remediation: fixes per product version"
