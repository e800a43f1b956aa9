"""factory_boy factories for the whole domain; tests build data only through these.

Call `XFactory.create(...)`, which mypy types as the model, rather than `XFactory(...)`.
"""

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.advisories.models import Advisory
from vulndesk.catalog.models import Product, ProductVersion, Team
from vulndesk.core.permissions import Role
from vulndesk.core.taxonomy import ImpactType, Severity
from vulndesk.intake.models import Report
from vulndesk.lib.calendars import next_second_tuesday
from vulndesk.releases.models import Release
from vulndesk.remediation.models import Fix
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    display_name = factory.Faker("name")
    role = Role.RESEARCHER
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        if create:
            instance.save()


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    family = "Server"
    owning_team = factory.SubFactory(TeamFactory)


class ProductVersionFactory(factory.django.DjangoModelFactory[ProductVersion]):
    class Meta:
        model = ProductVersion

    product = factory.SubFactory(ProductFactory)
    version = factory.Sequence(lambda n: f"{n}.0")


class ReportFactory(factory.django.DjangoModelFactory[Report]):
    class Meta:
        model = Report

    researcher = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Stored XSS in settings page {n}")
    description = "Script in the display name runs for every admin who opens the user list."
    product = factory.SubFactory(ProductFactory)
    impact_type = ImpactType.SPOOFING
    state = Report.State.NEW


class CaseFactory(factory.django.DjangoModelFactory[Case]):
    class Meta:
        model = Case

    title = factory.Sequence(lambda n: f"Case {n}")


class VulnerabilityFactory(factory.django.DjangoModelFactory[Vulnerability]):
    class Meta:
        model = Vulnerability

    case = factory.SubFactory(CaseFactory)
    cve_id = factory.Sequence(lambda n: f"CVE-2026-{10000 + n}")
    title = factory.Sequence(lambda n: f"Remote code execution in parser {n}")
    impact_type = ImpactType.REMOTE_CODE_EXECUTION
    severity = Severity.CRITICAL
    cvss_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    cvss_version = "3.1"
    cvss_score = "9.8"


class ReleaseFactory(factory.django.DjangoModelFactory[Release]):
    class Meta:
        model = Release

    name = factory.Sequence(lambda n: f"Security update {n}")
    release_date = factory.LazyFunction(lambda: next_second_tuesday(timezone.now().date()))
    kind = Release.Kind.SCHEDULED


class FixFactory(factory.django.DjangoModelFactory[Fix]):
    class Meta:
        model = Fix

    vulnerability = factory.SubFactory(VulnerabilityFactory)
    product_version = factory.SubFactory(ProductVersionFactory)
    team = factory.LazyAttribute(lambda fix: fix.product_version.product.owning_team)


class AdvisoryFactory(factory.django.DjangoModelFactory[Advisory]):
    class Meta:
        model = Advisory
        skip_postgeneration_save = True

    identifier = factory.Sequence(lambda n: f"VDSA-2026-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"Advisory {n}")
    summary = "Security update for a remote code execution vulnerability."

    @factory.post_generation
    def vulnerabilities(self: Advisory, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.vulnerabilities.set(extracted)


def published(advisory: Advisory) -> Advisory:
    """Mark a factory-built advisory published without going through the workflow (for read tests)."""
    advisory.state = Advisory.State.PUBLISHED
    advisory.published_at = timezone.now() - dt.timedelta(days=1)
    advisory.save()
    return advisory
