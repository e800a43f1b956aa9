from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "vulndesk.catalog"
    label = "catalog"
    verbose_name = "Catalog: products, versions and teams"
