from django.contrib import admin

from vulndesk.catalog.models import Product, ProductVersion, Team


class ProductVersionInline(admin.TabularInline[ProductVersion, Product]):
    model = ProductVersion
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "email"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = ["name", "family", "owning_team"]
    list_filter = ["family", "owning_team"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProductVersionInline]
