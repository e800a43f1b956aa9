from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "vulndesk.releases"
    label = "releases"
    verbose_name = "Releases: security update trains"
