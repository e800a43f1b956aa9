from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "vulndesk.scoring"
    label = "scoring"
    verbose_name = "Scoring: vulnerabilities, CVSS and severity"
