"""One benchmark scenario, inside one process on one database (run.py starts it).

`seed` migrates and fills a database (reports, then what triage adds to them); `run` times the
staff report list API, the queue and duplicate detection on it, in-process with Django's test
client, the way an analyst's script would call it. Figures only: nothing here passes or fails.

A kept database (run.py --keep-database) carries a stamp: what was seeded, with which data
version and seed, and how long it took, so a later run can reuse it instead of seeding again.

Import this module only after Django is set up.
"""

import json
import math
import platform
import random
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test import Client

from bench.duplicates import make_near_duplicates, recall
from bench.generate import generate_reports
from bench.triage import Statements, prepare_queue, run_queue
from vulndesk.accounts.models import User
from vulndesk.accounts.services import create_user, issue_token
from vulndesk.core.permissions import Role
from vulndesk.intake.models import Report

ENDPOINT = "/api/v1/reports"
PAGE_SIZE = 50
WARM_UP = 10
# Which filter combinations the requests use, and in what share. The first is the analyst's
# everyday view (one state of one product, oldest first); the rest vary it.
SHAPES = (
    ("state + product, sort=age", 0.50),
    ("state only, sort=age", 0.15),
    ("product only, sort=age", 0.15),
    ("no filter, sort=age", 0.05),
    ("state + product, other sorts", 0.10),
    ("state only, pages 2-20", 0.05),
)
SORTS = ("-age", "updated", "title")
ANALYST_EMAIL = "bench.analyst@bench.vulndesk.test"
# Bump when the generator or the preparation changes what a seeded database holds: kept
# databases with another version are seeded again.
DATA_VERSION = 4
STAMP_TABLE = "bench_stamp"


@dataclass(frozen=True)
class Seeded:
    """What a seeded database holds; kept databases store it as their stamp."""

    version: int
    reports: int
    seed: int
    seconds: float
    researchers: int
    product_slugs: list[str]
    preparation: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    shape: str
    milliseconds: float
    queries: int
    status: int
    matched: int


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value at or above `share` of the values."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(share * len(ordered))) - 1)]


def request_plan(rng: random.Random, products: list[str], count: int) -> list[tuple[str, dict[str, Any]]]:
    """`count` requests over the shapes, in a shuffled but repeatable order."""
    states = list(Report.State.values)
    plan: list[tuple[str, dict[str, Any]]] = []
    for shape, share in SHAPES:
        for _ in range(max(1, round(count * share))):
            params: dict[str, Any] = {"sort": "age", "page_size": PAGE_SIZE}
            if shape.startswith("state"):
                params["state"] = rng.choice(states)
            if "product" in shape:
                params["product"] = rng.choice(products)
            if shape.endswith("other sorts"):
                params["sort"] = rng.choice(SORTS)
            if shape.endswith("pages 2-20"):
                params["page"] = rng.randint(2, 20)
            plan.append((shape, params))
    rng.shuffle(plan)
    return plan


def _database_description() -> str:
    if connection.vendor == "postgresql":
        version = connection.pg_version  # type: ignore[attr-defined]  # set by the PostgreSQL backend
        return f"PostgreSQL {version // 10_000}.{version % 10_000}"
    return f"SQLite {sqlite3.sqlite_version}"


def _read_stamp() -> Seeded | None:
    if STAMP_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {STAMP_TABLE}")  # noqa: S608  # a constant
        row = cursor.fetchone()
    return Seeded(**json.loads(row[0])) if row else None


def _write_stamp(seeded: Seeded) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {STAMP_TABLE} (value text NOT NULL)")
        cursor.execute(f"INSERT INTO {STAMP_TABLE} (value) VALUES (%s)", [json.dumps(asdict(seeded))])  # noqa: S608


def read_seeded() -> Seeded:
    """The stamp of a database `seed(keep=True)` filled (or a copy of it)."""
    stamp = _read_stamp()
    if stamp is None:
        raise SystemExit("This database has no bench stamp: seed it first.")
    return stamp


def seed(*, reports: int, seed: int, keep: bool = False) -> Seeded:
    """Migrate and seed the database; with `keep`, reuse it when its stamp matches, else start it afresh.

    Reuse still migrates, so a kept database follows new migrations (index changes included).
    """
    print(f"Database: {_database_description()}, Python {platform.python_version()}")
    if keep:
        stamp = _read_stamp()
        if stamp and (stamp.version, stamp.reports, stamp.seed) == (DATA_VERSION, reports, seed):
            started = time.perf_counter()
            call_command("migrate", interactive=False, verbosity=1)
            print(
                f"Reusing the kept database: {stamp.reports:,} reports (seed {stamp.seed}, data version "
                f"{stamp.version}), seeded in {stamp.seconds:.0f} s then; migrations checked in "
                f"{time.perf_counter() - started:.1f} s."
            )
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # A migration may have rewritten a table (a new column): then its visibility map
                    # is empty until vacuumed, as autovacuum soon would on a live database. Quick
                    # when nothing changed.
                    cursor.execute("VACUUM ANALYZE")
            return stamp
        if connection.introspection.table_names():
            found = f"{stamp.reports:,} reports, seed {stamp.seed}, version {stamp.version}" if stamp else "no stamp"
            print(f"The kept database does not match ({found}): emptying it and seeding again.")
            with connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA public CASCADE")
                cursor.execute("CREATE SCHEMA public")
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"Migrated an empty database in {time.perf_counter() - started:.1f} s.")

    print(f"Seeding {reports:,} reports ({'COPY' if connection.vendor == 'postgresql' else 'bulk inserts'})…")
    generated = generate_reports(reports, seed=seed, progress=print)
    print(
        f"seconds to seed {generated.reports:,} reports: {generated.seconds:.1f} "
        f"({generated.reports / generated.seconds:,.0f} reports/s, {len(generated.product_slugs)} products, "
        f"{generated.researchers:,} researchers)"
    )
    analyst = create_user(email=ANALYST_EMAIL, role=Role.ANALYST, password=None, actor=None)
    preparation = prepare_queue(analyst)
    seeded = Seeded(
        version=DATA_VERSION,
        reports=generated.reports,
        seed=seed,
        seconds=round(generated.seconds, 1),
        researchers=generated.researchers,
        product_slugs=generated.product_slugs,
        preparation=preparation,
    )
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # A live database has planner statistics and a visibility map from autovacuum; a freshly
            # loaded one not yet (index-only scans need the map).
            cursor.execute("VACUUM ANALYZE")
        print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s.")
    if keep:
        _write_stamp(seeded)
    return seeded


def run(*, label: str, seeded: Seeded, requests: int, result_path: Path) -> None:
    """Time the report list, the queue and duplicate detection on a seeded database; write the figures."""
    print(f"\n=== {label}: {_database_description()}, Python {platform.python_version()} ===")
    seed = seeded.seed
    analyst = User.objects.get(email=ANALYST_EMAIL)
    token = issue_token(analyst, name="bench", actor=None).secret
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    plan = request_plan(random.Random(seed), seeded.product_slugs, requests)
    for _shape, params in plan[:WARM_UP]:  # imports, URL resolver, connection: not what we measure
        client.get(ENDPOINT, params)

    print(f"Timing {len(plan)} requests of GET {ENDPOINT} as an analyst (bearer token, in-process client)…")
    samples = []
    for shape, params in plan:
        with Statements() as queries:
            began = time.perf_counter()
            response = client.get(ENDPOINT, params)
            elapsed = (time.perf_counter() - began) * 1000
        matched = response.json().get("count", 0) if response.status_code == 200 else 0
        samples.append(Sample(shape, elapsed, len(queries), response.status_code, matched))

    failures = [sample for sample in samples if sample.status != 200]
    if failures:
        print(f"WARNING: {len(failures)} requests failed (first status {failures[0].status}); figures are suspect.")
    rows = _table(samples)
    overall = rows[-1]
    summary = (
        f"{label}: {seeded.reports:,} reports seeded in {seeded.seconds:.1f} s; "
        f"GET {ENDPOINT} p50 {overall['p50_ms']:.1f} ms, p95 {overall['p95_ms']:.1f} ms, "
        f"{overall['queries_median']} queries/request over {len(samples)} requests"
    )
    print(summary)
    queue = run_queue(
        analyst=analyst,
        token=token,
        products=seeded.product_slugs,
        requests=max(50, requests // 2),
        seed=seed,
        preparation=seeded.preparation,
    )
    overall_queue = queue["shapes"][-1]

    def worst(key: str) -> float:
        return float(max(max(shape[f"{key}_p50"], shape[f"{key}_p95"]) for shape in queue["shapes"]))

    summary += (
        f"; GET /api/v1/queue p50 {overall_queue['p50_ms']:.1f} ms, p95 {overall_queue['p95_ms']:.1f} ms, "
        f"{overall_queue['ratio_p50']:.1f}x/{overall_queue['ratio_p95']:.1f}x (p50/p95) the page's own SQL "
        f"(worst shape {worst('ratio'):.1f}x), {overall_queue['request_ratio_p50']:.1f}x/"
        f"{overall_queue['request_ratio_p95']:.1f}x all the request's SQL (worst shape {worst('request_ratio'):.1f}x), "
        f"at most {overall_queue['queries_max']} queries/request; every order on every view: "
        f"{len(queue['every_order']['over_50_ms'])} of {queue['every_order']['cells']} over 50 ms; queue page (HTML) p95 "
        f"{queue['portal'][-1]['p95_ms']:.1f} ms"
    )
    duplicates = _duplicates(reports=seeded.reports, seed=seed)
    summary += (
        f"; duplicate candidates p95 {duplicates['p95_ms']:.1f} ms, "
        f"recall@10 {duplicates['recall']:.0%} on {duplicates['near_duplicates']} near-duplicates"
    )
    result = {
        "label": label,
        "database": _database_description(),
        "reports": seeded.reports,
        "seed_seconds": round(seeded.seconds, 2),
        "requests": len(samples),
        "failed_requests": len(failures),
        "shapes": rows,
        "summary": summary,
        "samples": [asdict(sample) for sample in samples],
        "queue": queue,
        "duplicates": duplicates,
    }
    result_path.write_text(json.dumps(result, indent=1))


def _duplicates(*, reports: int, seed: int) -> dict[str, Any]:
    """Top-10 duplicate candidates for generated near-duplicates: latency and recall (bench/duplicates.py)."""
    count = max(10, min(150, reports // 20))
    print(f"\nFiling {count} near-duplicates of random reports (reworded, reordered, product name translated)…")
    figures = recall(make_near_duplicates(count, seed=seed))
    by_variant = ", ".join(f"{variant} {share:.0%}" for variant, share in figures["recall_by_variant"].items())
    by_shares = ", ".join(
        f"{shares} {share:.0%} of {figures['count_by_shares'][shares]}"
        for shares, share in figures["recall_by_shares"].items()
    )
    print(
        f"duplicate candidates (top 10): p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms; "
        f"recall@10 {figures['recall']:.0%} ({by_variant}); by what else they share with the original: {by_shares}"
    )
    return figures


def _table(samples: list[Sample]) -> list[dict[str, Any]]:
    """Print the per-shape table and return its rows, the last one for all requests together."""
    header = (
        f"{'filters':32}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'queries':>9}{'matched (median)':>18}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for shape in [*(name for name, _share in SHAPES), "all requests"]:
        group = [sample for sample in samples if shape in {sample.shape, "all requests"}]
        times = [sample.milliseconds for sample in group]
        queries = sorted(sample.queries for sample in group)
        row = {
            "shape": shape,
            "requests": len(group),
            "p50_ms": round(percentile(times, 0.50), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "max_ms": round(max(times), 2),
            "queries_median": queries[len(queries) // 2],
            "queries_max": queries[-1],
            "matched_median": int(percentile([float(sample.matched) for sample in group], 0.50)),
        }
        rows.append(row)
        spread = f"{row['queries_median']}" + (
            f"-{row['queries_max']}" if row["queries_max"] != row["queries_median"] else ""
        )
        if shape == "all requests":
            print("-" * len(header))
        print(
            f"{shape:32}{row['requests']:>9}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['max_ms']:>9.1f}"
            f"{spread:>9}{row['matched_median']:>18,}"
        )
    return rows
