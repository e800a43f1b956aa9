"""Volume data for benchmarks: many reports, fast, with realistic variety. Not for demos or tests of behaviour.

The services are bypassed on purpose (they audit and notify one report at a time). On PostgreSQL
rows go in through COPY (ids assigned here, the sequence moved past them afterwards) and each
report's open state interval through one INSERT … SELECT per batch, about 4x faster than
`bulk_create`, which stays the way on SQLite. Text comes from the
demo's vocabulary of products and flaw types, so titles and descriptions vary the way real ones
do. Distributions are skewed like a real queue: most reports are closed, a few products get most
reports, and open reports are recent.

Import this module only after Django is set up.
"""

import datetime as dt
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Product, ProductVersion, Team
from vulndesk.core.models import StateInterval
from vulndesk.core.permissions import Role
from vulndesk.demo.data import FLAWS, NOT_VULNERABILITIES, OUT_OF_SCOPE, PRODUCTS, SPAM, TEAMS, FlawSpec, NoteSpec
from vulndesk.intake.models import Report

BATCH_SIZE = 2_000
COPY_BATCH_SIZE = 20_000
# From this many reports on, PostgreSQL's report indexes are built after the load rather than kept up to date.
BUILD_INDEXES_AFTER_LOAD_FROM = 50_000
EMAIL_DOMAIN = "bench.vulndesk.test"
S = Report.State
# Roughly a mature programme's queue: most reports closed, one in ten still open.
STATE_WEIGHTS = {
    S.NEW: 3,
    S.TRIAGING: 4,
    S.NEEDS_INFO: 3,
    S.VALIDATING: 4,
    S.CONFIRMED: 6,
    S.FIXED: 25,
    S.DUPLICATE: 12,
    S.NOT_REPRODUCIBLE: 8,
    S.NOT_VULNERABILITY: 18,
    S.OUT_OF_SCOPE: 8,
    S.WONT_FIX: 5,
    S.SPAM: 4,
}
_OPEN = {S.NEW, S.TRIAGING, S.NEEDS_INFO, S.VALIDATING}
_NOTES: dict[str, tuple[NoteSpec, ...]] = {
    S.NOT_VULNERABILITY: NOT_VULNERABILITIES,
    S.OUT_OF_SCOPE: OUT_OF_SCOPE,
    S.SPAM: SPAM,
}
# More products than the demo has, so product filters range from busy to quiet ones.
_EXTRA_PRODUCTS = (
    ("Analytics Engine", "server"),
    ("Backup Vault", "server"),
    ("Build Agent", "native"),
    ("Calendar", "web"),
    ("Contact Centre", "web"),
    ("Container Registry", "server"),
    ("Data Gateway", "server"),
    ("Device Manager", "native"),
    ("Expense Tracker", "web"),
    ("Field Service App", "native"),
    ("Help Desk", "web"),
    ("Key Vault", "server"),
    ("Knowledge Base", "web"),
    ("Load Balancer", "server"),
    ("Meeting Rooms", "web"),
    ("Mobile Authenticator", "native"),
    ("Monitoring Console", "web"),
    ("Notebook", "native"),
    ("Payments API", "server"),
    ("Project Boards", "web"),
    ("Queue Service", "server"),
    ("Screen Recorder", "native"),
    ("Search Appliance", "server"),
    ("Secure Gateway", "server"),
    ("Spreadsheet Online", "web"),
    ("Terminal", "native"),
    ("Video Conferencing", "native"),
    ("Wiki", "web"),
)
_GENERIC_COMPONENTS = {
    "web": ("web UI", "REST API", "admin console", "export feature", "sharing dialog", "login page"),
    "server": ("management API", "import service", "cluster protocol", "admin console", "audit log viewer"),
    "native": ("installer", "auto-updater", "file parser", "local IPC service", "crash reporter"),
}
_ASIDES = (
    "",
    "I have not tested older versions.",
    "A video of the proof of concept is available on request.",
    "Found during an authorised engagement for a customer, who agreed to this report.",
    "Please credit me in the advisory.",
    "I plan to present this at a conference in six months and would like to coordinate the date.",
    "This looks similar to an issue fixed last year, but the fix does not cover this path.",
)


def priority(pk: int) -> int | None:
    """As scoring would leave them: two in three reports scored (P0 rare, P3 common), the rest not yet.

    Given at insert: updating a million rows afterwards rewrites every index, full-text included.
    """
    if pk % 3 == 0:
        return None
    return 0 if pk % 50 == 1 else 1 if pk % 10 == 2 else 2 if pk % 4 == 1 else 3


@dataclass(frozen=True)
class _ProductChoice:
    pk: int
    name: str
    kind: str
    components: tuple[str, ...]
    versions: tuple[str, ...]


@dataclass(frozen=True)
class GeneratedReports:
    reports: int
    researchers: int
    product_slugs: list[str]
    seconds: float


@contextmanager
def _given_timestamps(*model_types: type[models.Model]) -> Iterator[None]:
    """Let bulk_create keep the dates we give instead of stamping every row with "now".

    Django applies auto_now/auto_now_add on insert; volume data needs dates spread over years.
    The flags are restored afterwards, so only rows written inside this block are affected.
    """
    fields = [
        field
        for model in model_types
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _catalog(product_count: int) -> list[_ProductChoice]:
    """The demo's products plus generated ones, up to `product_count`; existing rows are reused."""
    teams = [Team.objects.get_or_create(slug=team.slug, defaults={"name": team.name})[0] for team in TEAMS]
    specs = [(p.slug, p.name, p.family, p.kind, p.components, tuple(v.version for v in p.versions)) for p in PRODUCTS]
    for name, kind in _EXTRA_PRODUCTS:
        slug = name.lower().replace(" ", "-")
        specs.append((slug, f"Larkmoor {name}", kind.title(), kind, _GENERIC_COMPONENTS[kind], ("1.0", "2.0", "2.1")))
    choices = []
    for index, (slug, name, family, kind, components, versions) in enumerate(specs[:product_count]):
        product, _ = Product.objects.get_or_create(
            slug=slug, defaults={"name": name, "family": family, "owning_team": teams[index % len(teams)]}
        )
        for version in versions:
            ProductVersion.objects.get_or_create(product=product, version=version)
        choices.append(_ProductChoice(product.pk, name, kind, components, versions))
    return choices


def _researchers(count: int) -> list[int]:
    existing = list(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").values_list("pk", flat=True))
    if len(existing) >= count:
        return existing[:count]
    # One unusable password hash for all: hashing 2,000 passwords would dominate the run.
    unusable = make_password(None)
    start = len(existing)
    User.objects.bulk_create(
        [
            User(
                email=f"researcher{n:05d}@{EMAIL_DOMAIN}",
                display_name=f"Researcher {n:05d}",
                role=Role.RESEARCHER,
                password=unusable,
            )
            for n in range(start, count)
        ],
        batch_size=BATCH_SIZE,
    )
    return list(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").values_list("pk", flat=True))


class _Writer:
    """Builds report rows: text, product, state and dates drawn from the seeded generator."""

    def __init__(self, rng: random.Random, products: list[_ProductChoice], researchers: list[int]) -> None:
        self.rng = rng
        self.products = products
        # A few products get most reports (weights fall off like a power law).
        self.product_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(products))]
        self.researchers = researchers
        self.states = list(STATE_WEIGHTS)
        self.state_weights = list(STATE_WEIGHTS.values())
        self.flaws_by_kind = {
            kind: [flaw for flaw in FLAWS if kind in flaw.kinds] for kind in ("web", "server", "native")
        }
        self.now = timezone.now()
        self.earlier: dict[int, list[int]] = {}  # product pk -> some report ids already written

    def created_at(self, state: str) -> dt.datetime:
        # Open reports are recent; closed ones reach back three years.
        days = 60 if state in _OPEN else 180 if state == S.CONFIRMED else 3 * 365
        return self.now - dt.timedelta(seconds=self.rng.uniform(600, days * 86_400))

    def timeline(self, count: int) -> list[tuple[dt.datetime, str]]:
        """Every report's arrival and state, oldest first: ids then grow with time, as in a live table.

        That also places rows the way a live table does: open reports, the recent ones, sit
        together at the end of the table instead of scattered across it.
        """
        states = self.rng.choices(self.states, self.state_weights, k=count)
        return sorted((self.created_at(state), state) for state in states)

    def report(self, pk: int, created_at: dt.datetime, state: str) -> Report:
        product = self.rng.choices(self.products, self.product_weights)[0]
        updated_at = created_at + (self.now - created_at) * self.rng.random() * (0.1 if state in _OPEN else 1)
        report = Report(
            pk=pk,
            researcher_id=self.rng.choice(self.researchers),
            product_id=product.pk,
            state=state,
            created_at=created_at,
            updated_at=updated_at,
            priority=priority(pk),
        )
        notes = _NOTES.get(state)
        if notes and self.rng.random() < 0.5:
            note = self.rng.choice(notes)
            report.title, report.description = note.title, note.description
            if note.product_other:
                report.product_id, report.product_other = None, note.product_other
            return report
        self.describe(report, product, self.rng.choice(self.flaws_by_kind[product.kind]))
        if state == S.DUPLICATE and self.earlier.get(product.pk):
            report.duplicate_of_id = self.rng.choice(self.earlier[product.pk])
        return report

    def describe(self, report: Report, product: _ProductChoice, flaw: FlawSpec) -> None:
        component = self.rng.choice(product.components)
        version = self.rng.choice(product.versions)
        values = {"component": component, "product": product.name, "version": version}
        title = (flaw.alt_title if self.rng.random() < 0.4 else flaw.title).format(**values)
        if self.rng.random() < 0.3:
            title += self.rng.choice([f" in {version}", " (bypass of an earlier fix)", " via a crafted request"])
        steps = "\n".join(f"{n}. {step.format(**values)}" for n, step in enumerate(flaw.steps, 1))
        report.title = title[0].upper() + title[1:]
        report.description = (
            f"{flaw.summary.format(**values)}\n\nSteps to reproduce:\n{steps}\n\n"
            f"Impact: {flaw.impact.format(**values)}\n\nTested on {product.name} {version}. {self.rng.choice(_ASIDES)}"
        ).strip()
        report.affected_versions = version
        report.impact_type = flaw.impact_type
        report.cwe = flaw.cwe
        report.suggested_cvss_vector = flaw.cvss_vector if self.rng.random() < 0.4 else ""

    def remember(self, reports: list[Report]) -> None:
        for report in reports[:: max(1, len(reports) // 200)]:  # a sample is plenty to pick originals from
            if report.product_id is not None:
                self.earlier.setdefault(report.product_id, []).append(report.pk)


@contextmanager
def _indexes_built_afterwards(count: int, say: Callable[[str], None]) -> Iterator[None]:
    """PostgreSQL, large loads: drop the report table's plain indexes and build them once at the end.

    Building an index (the full-text GIN one above all) in one pass is several times faster than
    updating it row by row. Constraint indexes (the primary key, uniques) stay.
    """
    if connection.vendor != "postgresql" or count < BUILD_INDEXES_AFTER_LOAD_FROM:
        yield
        return
    table = Report._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        started = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            if connection.in_atomic_block:
                # Inside a transaction (a test), deferred foreign key checks still pending would forbid CREATE INDEX.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _name, definition in indexes:
                cursor.execute(definition)
        say(f"  built {len(indexes)} indexes on {table} in {(timezone.now() - started).total_seconds():.0f} s")


def _bulk_create_batch(rows: list[Report], report_type: ContentType) -> None:
    Report.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    # The open interval only: enough for "time in current state" queries.
    StateInterval.objects.bulk_create(
        [
            StateInterval(target_type=report_type, target_id=row.pk, state=row.state, entered_at=row.updated_at)
            for row in rows
        ],
        batch_size=BATCH_SIZE,
    )


def _copy_batch(rows: list[Report], report_type: ContentType) -> None:
    """PostgreSQL: the rows through COPY, then their open state intervals from them in one statement."""
    fields = Report._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table, intervals = Report._meta.db_table, StateInterval._meta.db_table
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields])
        cursor.execute(
            f"INSERT INTO {intervals} (target_type_id, target_id, state, entered_at, reason) "  # noqa: S608  # metadata
            f"SELECT %s, id, state, updated_at, '' FROM {table} WHERE id BETWEEN %s AND %s",
            [report_type.pk, rows[0].pk, rows[-1].pk],
        )


def generate_reports(
    count: int,
    *,
    seed: int = 42,
    products: int = 40,
    researchers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> GeneratedReports:
    """Insert `count` reports (plus catalog and researchers as needed) and return what was made.

    Deterministic for a given seed and database. Progress is reported about every 10%.
    """
    say = progress or (lambda _message: None)
    started = timezone.now()
    rng = random.Random(seed)
    catalog = _catalog(products)
    people = _researchers(researchers or max(20, count // 50))
    writer = _Writer(rng, catalog, people)
    report_type = ContentType.objects.get_for_model(Report)
    insert = _copy_batch if connection.vendor == "postgresql" else _bulk_create_batch
    batch_size = COPY_BATCH_SIZE if connection.vendor == "postgresql" else BATCH_SIZE
    next_id = (Report.objects.aggregate(newest=Max("pk"))["newest"] or 0) + 1
    timeline = writer.timeline(count)
    written, next_report = 0, 10
    with _given_timestamps(Report), _indexes_built_afterwards(count, say):
        while written < count:
            # Ids are known before insert, so duplicates can point back to earlier reports.
            rows = [
                writer.report(next_id + written + offset, *timeline[written + offset])
                for offset in range(min(batch_size, count - written))
            ]
            with transaction.atomic():
                insert(rows, report_type)
            writer.remember(rows)
            written += len(rows)
            if written * 100 >= next_report * count:
                elapsed = (timezone.now() - started).total_seconds()
                say(f"  {written * 100 // count:3d}%  {written:>9,} reports  ({elapsed:.0f} s)")
                next_report = written * 100 // count // 10 * 10 + 10
    if connection.vendor == "postgresql" and written:
        # Ids were given, so the identity sequence never moved.
        table = Report._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608  # model metadata
            )
    seconds = (timezone.now() - started).total_seconds()
    return GeneratedReports(
        reports=written,
        researchers=len(people),
        product_slugs=list(Product.objects.filter(pk__in=[p.pk for p in catalog]).values_list("slug", flat=True)),
        seconds=seconds,
    )
