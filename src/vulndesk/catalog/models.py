"""What the vendor ships and who owns it."""

from django.conf import settings
from django.db import models

from vulndesk.core.models import TimestampedModel


class Team(TimestampedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    email = models.EmailField(blank=True, help_text="Where the team is notified.")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(TimestampedModel):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    family = models.CharField(max_length=120, blank=True, help_text="Product family, e.g. 'Server', 'Browser'.")
    owning_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="products")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductVersion(TimestampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=64)
    end_of_support = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["product__name", "version"]
        constraints = [models.UniqueConstraint(fields=["product", "version"], name="product_version_unique")]

    def __str__(self) -> str:
        return f"{self.product.name} {self.version}"
