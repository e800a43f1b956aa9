"""Reading the catalog. Products, versions and teams are not confidential: every signed-in
user may read them (researchers pick a product when they report)."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from vulndesk.catalog.models import Product, ProductVersion, Team


def list_products() -> QuerySet[Product]:
    return Product.objects.select_related("owning_team").prefetch_related(
        Prefetch("versions", queryset=ProductVersion.objects.order_by("version"))
    )


def get_product(slug: str) -> Product:
    product = Product.objects.select_related("owning_team").filter(slug=slug).first()
    if product is None:
        raise Http404(f"No product with the slug {slug!r}.")
    return product


def get_product_version(product_version_id: int) -> ProductVersion:
    version = ProductVersion.objects.select_related("product__owning_team").filter(pk=product_version_id).first()
    if version is None:
        raise Http404("No such product version.")
    return version


def get_team(slug: str) -> Team:
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise Http404(f"No team with the slug {slug!r}.")
    return team
